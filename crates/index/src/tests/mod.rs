//! The index suite: indexing from the store on both backends, relevance, filters, crashes and swaps.

mod corpus;
mod indexing;
mod relevance;
mod search;

use std::time::Duration;

use store::Store;

use crate::{Indexer, IndexerConfig, Searcher};

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

    /// Catches up until the index holds exactly the database's visible videos.
    /// On PostgreSQL an open transaction anywhere on the server delays the
    /// feed: wait for it, up to 30 s.
    async fn settle(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            self.indexer.catch_up().await.unwrap();
            self.searcher.refresh().unwrap();
            let expected = self.store.count_visible_videos().await.unwrap() as u64;
            let indexed = self.searcher.video_count().unwrap();
            if indexed == expected {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the index settles at {indexed} videos, the database has {expected}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
