//! Related videos for a video page: more like this on title, tags and description, same language first.

use std::collections::HashMap;

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use crate::analyzers::Analyzers;
use crate::error::Result;
use crate::filters::{exclude_id, video_filters};
use crate::query::{VideoQuery, VideoSort};
use crate::ranking::Boosts;
use crate::results::{Hit, VideoSummary};
use crate::searcher::{Searcher, Stored, collect, find_video, payload, query_page, read_page};

/// Description words kept, by weight.
const DESCRIPTION_TERMS: usize = 10;
/// Same language is worth this much (a factor of up to ×3 against ×2.25 for the other boosts).
const SAME_LANGUAGE: f32 = 2.0;

fn term(field: Field, text: &str, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        )),
        boost,
    ))
}

impl Searcher {
    /// Videos like video `id` (none when it is not searchable). The query
    /// gives the count and the filters (NSFW, blocked hosts and accounts…);
    /// its search text and sort are ignored.
    pub fn related_videos(&self, id: i64, query: &VideoQuery) -> Result<Vec<Hit<VideoSummary>>> {
        let mut query = query.clone();
        query.search = None;
        query.sort = VideoSort::Match;
        query.with_facets = false;
        query.validate()?;
        let live = self.live();
        let fields = live.fields;
        let Some((address, searcher)) = find_video(&live, id)? else {
            return Ok(Vec::new());
        };
        let document: Stored = searcher.doc(address)?;
        let video: VideoSummary = payload(&document, &fields)?;
        let description = document.text(fields.description).unwrap_or_default();

        let (mut name_words, tags, description_words) = Analyzers::with(|a| {
            let names = a.folded_words(&video.name);
            let tags: Vec<String> = video.tags.iter().map(|tag| a.keyword(tag)).collect();
            (names, tags, a.folded_words(description))
        });
        name_words.retain(|word| word.chars().count() >= 3);
        name_words.sort();
        name_words.dedup();
        let mut clauses: Vec<Box<dyn Query>> = Vec::new();
        for word in &name_words {
            clauses.push(term(fields.name, word, 3.0));
            clauses.push(term(fields.tags, word, 1.5));
            clauses.push(term(fields.description, word, 0.5));
        }
        for tag in tags.iter().filter(|tag| !tag.is_empty()) {
            clauses.push(term(fields.tag, tag, 4.0));
        }
        let total = searcher.num_docs().max(1) as f32;
        let mut frequencies: HashMap<&str, u32> = HashMap::new();
        for word in description_words.iter().filter(|w| w.chars().count() >= 4) {
            *frequencies.entry(word).or_default() += 1;
        }
        let mut weighted: Vec<(f32, &str)> = frequencies
            .into_iter()
            .filter_map(|(word, tf)| {
                let df = searcher
                    .doc_freq(&Term::from_field_text(fields.description, word))
                    .ok()? as f32;
                // Words of one document only find nothing; words of most find everything.
                (df >= 2.0 && df <= total / 5.0).then(|| (tf as f32 * (total / df).ln(), word))
            })
            .collect();
        weighted.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, word) in weighted.into_iter().take(DESCRIPTION_TERMS) {
            clauses.push(term(fields.name, word, 1.0));
            clauses.push(term(fields.description, word, 1.0));
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let mut filters = video_filters(&fields, &query);
        exclude_id(&mut filters, &fields, id);
        let full = filters.with(Some(Box::new(BooleanQuery::union(clauses))));
        let mut boosts = Boosts::new(video.language.iter().map(|l| l.id.clone()).collect(), true);
        boosts.language_weight = SAME_LANGUAGE;
        let (_, addresses, _) = collect(
            &searcher,
            &live.columns,
            &*full,
            &query_page(&query),
            &boosts,
            false,
        )?;
        read_page(&searcher, &addresses, |score, document| {
            Ok(Hit {
                score,
                item: payload(document, &fields)?,
                highlights: None,
            })
        })
    }
}
