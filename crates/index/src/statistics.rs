//! BM25 statistics over live documents only, so that every replica scores alike.
//!
//! Tantivy's own statistics (documents, documents per term, tokens per
//! field) also count replaced and deleted documents until their segment is
//! merged. Two replicas holding the same documents after different
//! histories (commit timings, merges) would then rank close results
//! differently. These statistics depend only on the live documents:
//!
//! - documents: the live ones;
//! - documents per term: [`crate::searcher::frequency`]'s live count;
//! - tokens per field: the sum of the live documents' field norms (the
//!   lengths BM25 itself reads per document), cached per segment and number
//!   of deletions, since a segment only changes by losing documents.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use tantivy::index::SegmentId;
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::{DocId, SegmentReader, Term};

use crate::searcher::live_frequency;

/// Statistics of the live documents a searcher sees.
pub(crate) struct LiveStatistics<'a>(pub &'a tantivy::Searcher);

impl Bm25StatisticsProvider for LiveStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        self.0
            .segment_readers()
            .iter()
            .map(|segment| live_tokens(segment, field))
            .sum()
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.0.num_docs())
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        self.0
            .segment_readers()
            .iter()
            .map(|segment| live_frequency(segment, term))
            .sum()
    }
}

type TokensKey = (SegmentId, DocId, Field);

/// Entries kept before the cache starts over (merged-away segments leave
/// entries behind; recomputing is a pass over one byte per document).
const MAX_CACHED: usize = 4096;

static TOKENS: LazyLock<Mutex<HashMap<TokensKey, u64>>> = LazyLock::new(Mutex::default);

/// Tokens of `field` in a segment's live documents.
fn live_tokens(segment: &SegmentReader, field: Field) -> tantivy::Result<u64> {
    let key = (segment.segment_id(), segment.num_deleted_docs(), field);
    let cached = TOKENS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&key)
        .copied();
    if let Some(tokens) = cached {
        return Ok(tokens);
    }
    let Some(norms) = segment.fieldnorms_readers().get_field(field)? else {
        // A field without norms is not scored by length.
        return Ok(segment.inverted_index(field)?.total_num_tokens());
    };
    let tokens = match segment.alive_bitset() {
        Some(alive) => alive
            .iter_alive()
            .map(|doc| u64::from(norms.fieldnorm(doc)))
            .sum(),
        None => (0..segment.max_doc())
            .map(|doc| u64::from(norms.fieldnorm(doc)))
            .sum(),
    };
    let mut cache = TOKENS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if cache.len() >= MAX_CACHED {
        cache.clear();
    }
    cache.insert(key, tokens);
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::QueryParser;
    use tantivy::schema::{STORED, STRING, Schema, TEXT, Value};
    use tantivy::{Index, IndexWriter, TantivyDocument, doc};

    use super::LiveStatistics;

    const TITLES: [&str; 5] = [
        "hiking in the alps",
        "alps by night",
        "hiking boots review",
        "a long walk in the hills with friends",
        "hiking",
    ];

    /// Scores by document key.
    type Scores = Vec<(String, f32)>;

    /// Scores of "hiking alps", with Tantivy's statistics and with live ones.
    fn scores(index: &Index) -> (Scores, Scores) {
        let schema = index.schema();
        let name = schema.get_field("name").unwrap();
        let key = schema.get_field("key").unwrap();
        let query = QueryParser::for_index(index, vec![name])
            .parse_query("hiking alps")
            .unwrap();
        let searcher = index.reader().unwrap().searcher();
        let collector = TopDocs::with_limit(10).order_by_score();
        let named = |top: Vec<(f32, tantivy::DocAddress)>| {
            let mut named: Scores = top
                .into_iter()
                .map(|(score, address)| {
                    let doc: TantivyDocument = searcher.doc(address).unwrap();
                    let key = doc.get_first(key).unwrap().as_str().unwrap().to_owned();
                    (key, score)
                })
                .collect();
            named.sort_by(|a, b| a.0.cmp(&b.0));
            named
        };
        let tantivy = named(searcher.search(&query, &collector).unwrap());
        let live = named(
            searcher
                .search_with_statistics_provider(&query, &collector, &LiveStatistics(&searcher))
                .unwrap(),
        );
        (tantivy, live)
    }

    /// The five documents; with `history`, the first three were written
    /// before in another version and a sixth was deleted, in a segment that
    /// also holds the last two.
    fn index(history: bool) -> Index {
        let mut schema = Schema::builder();
        let name = schema.add_text_field("name", TEXT);
        let key = schema.add_text_field("key", STRING | STORED);
        let index = Index::create_in_ram(schema.build());
        let mut writer = crate::tests::segment_per_commit_writer(&index);
        let add = |writer: &mut IndexWriter, n: usize, title: &str| {
            writer
                .add_document(doc!(name => title, key => n.to_string()))
                .unwrap();
        };
        let (rewritten, kept) = TITLES.split_at(3);
        if history {
            for n in 0..rewritten.len() {
                add(
                    &mut writer,
                    n,
                    "hiking alps hiking alps in an earlier version",
                );
            }
            for (n, title) in kept.iter().enumerate() {
                add(&mut writer, n + rewritten.len(), title);
            }
            add(&mut writer, 9, "alps alps alps");
            writer.commit().unwrap();
            for n in [0, 1, 2, 9] {
                writer.delete_term(tantivy::Term::from_field_text(key, &n.to_string()));
            }
            for (n, title) in rewritten.iter().enumerate() {
                add(&mut writer, n, title);
            }
        } else {
            for (n, title) in TITLES.iter().enumerate() {
                add(&mut writer, n, title);
            }
        }
        writer.commit().unwrap();
        index
    }

    #[test]
    fn replicas_with_another_history_score_alike() {
        let (clean_tantivy, clean_live) = scores(&index(false));
        let (edited_tantivy, edited_live) = scores(&index(true));
        assert_ne!(
            clean_tantivy, edited_tantivy,
            "Tantivy's statistics count the deleted versions"
        );
        assert_eq!(clean_live, edited_live);
        assert_eq!(clean_live.len(), 4, "{clean_live:?}");
    }
}
