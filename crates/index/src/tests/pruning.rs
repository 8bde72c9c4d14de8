//! Pruned `-match` searches (MaxScore, totals counted up to a cap) find the
//! same pages as scoring every match, over several segments with deleted
//! documents.

use chrono::Utc;
use store::Store;

use super::Replica;
use super::corpus::{known_items, page, record, seed};
use crate::{MAX_COUNT, NsfwFilter, SearchResults, VideoQuery, VideoSummary};

/// Searches that match much of the corpus through several clauses: filler
/// words in names, a word of every description, typos, a prefix, words
/// that select and words that only score, words never found together.
const SEARCHES: &[&str] = &[
    "podcast",
    "interview talk",
    "video",
    "video podcast",
    "podcats",
    "interv",
    "news highlights lecture",
    "abeilles podcast",
    "documentaire",
];

/// Pages of different depths and sizes.
const PAGES: &[(usize, usize)] = &[(0, 1), (0, 20), (13, 7), (0, MAX_COUNT), (150, 50)];

fn hits(results: &SearchResults<VideoSummary>) -> Vec<(String, f32)> {
    results
        .hits
        .iter()
        .map(|hit| (hit.item.uuid.clone(), hit.score))
        .collect()
}

async fn pruned_pages_equal_scoring_every_match(store: Store) {
    let corpus = seed(&store, known_items(), 1_500).await;
    let mut replica = Replica::open(&store).await;
    replica.settle().await;
    // Known items renamed with filler words: deleted documents in the
    // first segment, their new versions in a second one.
    let now = Utc::now();
    for (position, spec) in corpus.specs.iter().enumerate().take(30) {
        let mut spec = spec.clone();
        spec.name = Box::leak(format!("podcast interview {}", spec.name).into_boxed_str());
        let mut video = record(position + 1, &spec, now);
        video.remote_updated_at = Some(now);
        let instance = &corpus.instances[spec.host];
        store
            .upsert_page(instance, &page(spec.host, vec![video]), now)
            .await
            .unwrap();
    }
    replica.settle().await;
    let searcher = &replica.searcher;
    let mut pruned_searches = 0;

    for &search in SEARCHES {
        for &(start, count) in PAGES {
            for boost_languages in [vec![], vec!["de".to_owned()]] {
                let query = VideoQuery {
                    start,
                    count,
                    nsfw: NsfwFilter::Both,
                    boost_languages,
                    ..VideoQuery::text(search)
                };
                let case = format!("{search:?}, start {start}, count {count}");
                // Counting everything never prunes; a cap of 0 prunes from the first match.
                let every = searcher.search_videos_counting(&query, u64::MAX).unwrap();
                let pruned = searcher.search_videos_counting(&query, 0).unwrap();
                assert_eq!(hits(&pruned), hits(&every), "{case}");
                assert!(!every.total_is_lower_bound, "{case}");
                assert!(every.total > 0, "{case}: finds something");

                // The same as Tantivy's own boolean query, which facets ask for.
                let full = searcher
                    .search_videos(&VideoQuery {
                        with_facets: true,
                        ..query.clone()
                    })
                    .unwrap();
                assert_eq!(full.total, every.total, "{case}");
                assert!(!full.total_is_lower_bound, "{case}");
                assert_eq!(full.hits.len(), every.hits.len(), "{case}");
                for (a, b) in full.hits.iter().zip(&every.hits) {
                    let close = (a.score - b.score).abs() <= a.score.abs() * 1e-5;
                    assert!(close, "{case}: scores {} and {}", a.score, b.score);
                }

                // A cap below the matches: counted up to it, and said so
                // (searches requiring several words are not pruned: exact).
                let capped = searcher.search_videos_counting(&query, 40).unwrap();
                assert_eq!(hits(&capped), hits(&every), "{case}");
                if capped.total_is_lower_bound {
                    assert!(capped.total == 40 && every.total >= 40, "{case}");
                } else {
                    assert_eq!(capped.total, every.total, "{case}");
                }
                pruned_searches += u32::from(capped.total_is_lower_bound);
            }
        }
    }
    assert!(pruned_searches > 50, "most searches prune: {pruned_searches}");
}

store::backend_tests!(pruned_pages_equal_scoring_every_match);
