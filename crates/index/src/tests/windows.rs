//! Matching by window finds what the tree of Tantivy queries it replaces
//! finds, with the same scores: strict and relaxed words, common words,
//! stems, typos, prefixes, filters, deleted documents, and as a clause that
//! another query seeks into.

use std::collections::HashMap;

use chrono::Utc;
use store::testing::TestStore;
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, DisjunctionMaxQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Term};

use super::Replica;
use super::corpus::{known_items, page, record, seed};
use crate::analyzers::Analyzers;
use crate::filters::video_filters;
use crate::matching::{
    Lookups, Strictness, TIE_BREAKER, Text, Variant, Word, significant, text_query, video_groups,
};
use crate::query::{NsfwFilter, VideoQuery};
use crate::searcher::frequency;
use crate::statistics::LiveStatistics;

/// The tree of queries the search used before windows.
fn tree(text: &Text) -> Box<dyn Query> {
    let word = |word: &Word| -> Box<dyn Query> {
        let groups = word.iter().map(|group| -> Box<dyn Query> {
            match group.as_slice() {
                [only] => only.query(),
                variants => Box::new(DisjunctionMaxQuery::with_tie_breaker(
                    variants.iter().map(Variant::query).collect(),
                    TIE_BREAKER,
                )),
            }
        });
        Box::new(BooleanQuery::union(groups.collect()))
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = match text.strictness {
        Strictness::Strict => text
            .selecting
            .iter()
            .map(|w| (Occur::Must, word(w)))
            .collect(),
        Strictness::Relaxed => vec![(
            Occur::Must,
            Box::new(BooleanQuery::union(
                text.selecting.iter().map(word).collect(),
            )),
        )],
    };
    clauses.extend(text.scoring.iter().map(|w| (Occur::Should, word(w))));
    Box::new(BooleanQuery::new(clauses))
}

/// Every match with its score, as the search ranks them (live statistics;
/// beside `Count`, as searches collect, so that matches are visited one by one).
fn scored(searcher: &tantivy::Searcher, query: &dyn Query) -> HashMap<DocAddress, f32> {
    let all = TopDocs::with_limit(searcher.num_docs() as usize + 1).order_by_score();
    let (all, count) = searcher
        .search_with_statistics_provider(query, &(all, Count), &LiveStatistics(searcher))
        .unwrap();
    assert_eq!(all.len(), count);
    all.into_iter()
        .map(|(score, address)| (address, score))
        .collect()
}

fn assert_same(searcher: &tantivy::Searcher, windowed: &dyn Query, tree: &dyn Query, what: &str) {
    let (expected, found) = (scored(searcher, tree), scored(searcher, windowed));
    let mut missing: Vec<_> = expected.keys().filter(|a| !found.contains_key(a)).collect();
    let mut extra: Vec<_> = found.keys().filter(|a| !expected.contains_key(a)).collect();
    missing.sort();
    extra.sort();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: {} missing (first {:?}), {} extra (first {:?})",
        missing.len(),
        missing.first(),
        extra.len(),
        extra.first(),
    );
    for (address, score) in &expected {
        let got = found[address];
        assert!(
            (got - score).abs() <= 1e-4 * score.abs().max(1.0),
            "{what}: {address:?} scored {got}, not {score}"
        );
    }
    // Unscored: counting and collecting the set.
    assert_eq!(
        searcher.search(windowed, &Count).unwrap(),
        expected.len(),
        "{what}: count"
    );
    assert_eq!(
        searcher.search(windowed, &DocSetCollector).unwrap(),
        searcher.search(tree, &DocSetCollector).unwrap(),
        "{what}: unscored matches"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_find_what_the_tree_of_queries_finds() {
    let test = TestStore::sqlite().await;
    let store = &test.store;
    let corpus = seed(store, known_items(), 1_500).await;
    let mut replica = Replica::open(store).await;
    replica.settle().await;
    // Known items edited after indexing: their first copies are deleted documents.
    let now = Utc::now();
    for (n, item) in known_items().iter().enumerate().step_by(2) {
        let mut edited = record(n + 1, item, now);
        edited.name = format!("{} remastered", edited.name);
        let instance = &corpus.instances[item.host];
        store
            .upsert_page(instance, &page(item.host, vec![edited]), now)
            .await
            .unwrap();
    }
    replica.settle().await;

    let live = replica.searcher.live();
    let searcher = live.reader.searcher();
    assert!(
        searcher
            .segment_readers()
            .iter()
            .any(|segment| segment.num_deleted_docs() > 0),
        "the edits left deleted documents"
    );
    let fields = live.fields;
    let groups = video_groups(&fields);
    let frequency = |field, text: &str| frequency(&searcher, field, text);
    let lookups = Lookups::new(searcher.num_docs(), &frequency);
    let searches = [
        "video",                        // a common filler word: every window
        "podcast interview",            // two common words: scoring only
        "écoles de musique",            // stems, one-letter words, a rare word
        "ecole musique podcast",        // a common word beside rare ones
        "documantaire abeilles",        // a typo beside a word
        "documantiare",                 // two edits
        "abei",                         // a prefix
        "remastered",                   // only in the edited copies
        "abeilles zzzzqx",              // a word found nowhere: the relaxed search finds the other
        "zzzzqx",                       // nothing at all
        "marathon runs mountain pasta", // four words, all but one required
    ];
    let filter_sets = [
        VideoQuery::default(),
        VideoQuery {
            nsfw: NsfwFilter::Both,
            language_one_of: vec!["fr".into(), "en".into()],
            duration_min: Some(60),
            duration_max: Some(1800),
            ..VideoQuery::default()
        },
        // Terms of several fields, selecting and excluding; a list too long
        // to read term by term (a `TermSetQuery`).
        VideoQuery {
            nsfw: NsfwFilter::Both,
            blocked_hosts: vec!["media.example".into()],
            blocked_accounts: (0..20)
                .map(|n| format!("nobody{n}@nowhere.example"))
                .collect(),
            category_one_of: vec![1, 2, 4],
            ..VideoQuery::default()
        },
    ];
    let mut compared = 0;
    for search in searches {
        let words = significant(Analyzers::with(|a| a.query_words(search)));
        for strictness in [Strictness::Strict, Strictness::Relaxed] {
            let Some(text) = text_query(&groups, &words, strictness, &lookups) else {
                continue;
            };
            for (i, query) in filter_sets.iter().enumerate() {
                let what = format!("{search:?}, {strictness:?}, filters {i}");
                let windowed = video_filters(&fields, query).around(Some(text.clone()));
                let reference = video_filters(&fields, query).with(Some(tree(&text)));
                assert_same(&searcher, &*windowed, &*reference, &what);
                // As a clause of another query, which seeks into it.
                let french = |query: Box<dyn Query>| {
                    let term = Term::from_field_text(fields.language, "fr");
                    BooleanQuery::new(vec![
                        (Occur::Must, query),
                        (
                            Occur::Must,
                            Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                        ),
                    ])
                };
                assert_same(
                    &searcher,
                    &french(windowed),
                    &french(reference),
                    &format!("{what}, French only"),
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 30, "{compared} comparisons");
    test.cleanup().await;
}
