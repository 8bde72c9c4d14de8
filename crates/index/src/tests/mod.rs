//! The index suite: indexing from the store on both backends, relevance, filters, crashes and swaps.

mod corpus;
mod indexing;
mod playlists;
mod relevance;
mod search;
mod windows;

use std::time::Duration;

use store::{FeedCursor, Store};

use crate::{Indexer, IndexerConfig, Searcher};

/// A one-thread Tantivy writer that never merges: each commit leaves a
/// segment of its own, for unit tests that need several segments.
pub(crate) fn segment_per_commit_writer(index: &tantivy::Index) -> tantivy::IndexWriter {
    let writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
    writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    writer
}

/// A small writer and quick commits, for tests.
fn config() -> IndexerConfig {
    IndexerConfig {
        consumer: "test".into(),
        feed_batch: 200,
        commit_documents: 10_000,
        commit_interval: Duration::from_millis(200),
        idle_interval: Duration::from_millis(20),
        writer_memory_bytes: 30_000_000,
        writer_threads: 1,
        rebuild_memory_bytes: 30_000_000,
    }
}

/// An indexer and a searcher on a fresh directory.
struct Replica {
    indexer: Indexer,
    searcher: Searcher,
    store: Store,
    dir: tempfile::TempDir,
}

impl Replica {
    async fn open(store: &Store) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let indexer = Indexer::open(dir.path(), store.clone(), config())
            .await
            .unwrap();
        let searcher = Searcher::open(dir.path()).unwrap();
        Self {
            indexer,
            searcher,
            store: store.clone(),
            dir,
        }
    }

    /// Catches up with every change committed so far, then checks that the
    /// index holds exactly the database's visible videos.
    async fn settle(&mut self) {
        let written = settled_feed(&self.store).await;
        self.indexer.catch_up().await.unwrap();
        assert!(
            self.indexer.committed_cursor() >= written,
            "the indexer stopped at {:?}, before {written:?}",
            self.indexer.committed_cursor()
        );
        self.searcher.refresh().unwrap();
        assert_eq!(
            self.searcher.video_count().unwrap(),
            self.store.count_visible_videos().await.unwrap() as u64,
            "the index holds the visible videos"
        );
    }
}

/// Waits until every change committed so far is settled in the feed, and
/// returns the head. On PostgreSQL an open transaction anywhere on the
/// server holds the feed back: wait for it, up to 30 s.
async fn settled_feed(store: &Store) -> FeedCursor {
    let head = store.feed_head().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while store.feed_settled_head().await.unwrap() < head {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the feed never settled up to {head:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    head
}
