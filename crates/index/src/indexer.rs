//! The indexer: follows the database's change feed into the index, with the feed cursor inside each commit.
//!
//! It reads the feed in batches, expands instance, account and channel
//! entries to their videos, channels and playlists, re-reads those
//! documents, and for each one deletes its key and adds it back when it is
//! visible. It commits
//! by size and by time; the commit's payload carries the feed cursor, so a
//! crash at any instant resumes from the last commit without losing or
//! duplicating a document. After each commit the cursor is also mirrored to
//! the database (`feed_cursors`) for monitoring. It owns the only writer of
//! its replica's directory, and follows a rebuild's swap by itself.

use std::collections::BTreeSet;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use store::{ChangeEntry, Entity, FeedCursor, Store, VideoOwner};
use tantivy::{IndexWriter, TantivyDocument, Term};

use crate::analyzers::Analyzers;
use crate::build::{build_generation, remove_stale_generations, writer};
use crate::document::{channel_document, playlist_document, video_document};
use crate::error::{IndexError, Result};
use crate::layout::{CommitPayload, Layout, open_index};
use crate::schema::{Fields, channel_key, playlist_key, video_key};

/// Documents re-read from the database per query.
const DOCUMENT_CHUNK: usize = 500;
/// The longest pause after a failure before trying again.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How the indexer reads, writes and commits.
#[derive(Clone, Debug)]
pub struct IndexerConfig {
    /// This replica's name in `feed_cursors` (one per web node).
    pub consumer: String,
    /// Feed entries read per batch.
    pub feed_batch: i64,
    /// Commit once this many documents were written since the last commit…
    pub commit_documents: usize,
    /// …or once the oldest uncommitted change is this old.
    pub commit_interval: Duration,
    /// The pause when the feed is drained.
    pub idle_interval: Duration,
    /// The writer's memory budget, shared by its threads.
    pub writer_memory_bytes: usize,
    /// The writer's indexing threads.
    pub writer_threads: usize,
    /// The memory budget of a rebuild's writer: the larger, the fewer segments it writes and merges.
    pub rebuild_memory_bytes: usize,
}

impl Default for IndexerConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            consumer: "index".into(),
            feed_batch: 1000,
            commit_documents: 20_000,
            commit_interval: Duration::from_millis(500),
            idle_interval: Duration::from_millis(200),
            writer_memory_bytes: 256 * 1024 * 1024,
            writer_threads: cores.clamp(1, 4),
            rebuild_memory_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// What a [`Indexer::catch_up`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Feed entries read.
    pub entries: u64,
    /// Documents re-read and written (deleted, and added back when visible).
    pub documents: u64,
}

/// The writable state of the live generation.
struct Live {
    generation: String,
    fields: Fields,
    writer: Arc<Mutex<IndexWriter>>,
    /// What the last commit covers.
    committed: FeedCursor,
    /// What was read and written, committed or not.
    read_to: FeedCursor,
    pending_documents: usize,
    pending_since: Option<Instant>,
}

/// Follows the change feed into one index replica. See the module doc.
pub struct Indexer {
    layout: Layout,
    store: Store,
    config: IndexerConfig,
    live: Live,
}

impl std::fmt::Debug for Indexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer")
            .field("root", &self.layout.root())
            .field("generation", &self.live.generation)
            .field("committed", &self.live.committed)
            .finish_non_exhaustive()
    }
}

fn lock(writer: &Mutex<IndexWriter>) -> std::sync::MutexGuard<'_, IndexWriter> {
    writer
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| IndexError::Task(error.to_string()))?
}

impl Indexer {
    /// Opens the replica under `root`, building it from the database first
    /// when there is none yet or when its schema is outdated.
    pub async fn open(root: impl AsRef<Path>, store: Store, config: IndexerConfig) -> Result<Self> {
        let layout = Layout::new(root)?;
        let generation = match layout.current()? {
            Some(generation) if is_current_schema(&layout, &generation) => generation,
            previous => {
                tracing::info!(index.root = %layout.root().display(), index.previous = ?previous,
                    "building the search index from the database");
                let report = build_generation(&layout, &store, &config, |_| {}).await?;
                layout.publish(&report.generation)?;
                report.generation
            }
        };
        let live = Self::open_live(&layout, &config, generation).await?;
        remove_stale_generations(&layout);
        tracing::info!(index.generation = %live.generation, feed.txid = live.committed.txid,
            feed.id = live.committed.id, "indexer opened");
        Ok(Self {
            layout,
            store,
            config,
            live,
        })
    }

    async fn open_live(
        layout: &Layout,
        config: &IndexerConfig,
        generation: String,
    ) -> Result<Live> {
        let path = layout.path(&generation);
        let config = config.clone();
        let (fields, writer, cursor) = blocking(move || {
            let index = open_index(&path)?;
            let cursor = CommitPayload::of(&index)?.unwrap_or_default().cursor;
            let fields = Fields::new(&index.schema())?;
            Ok((
                fields,
                writer(&index, &config, config.writer_memory_bytes)?,
                cursor,
            ))
        })
        .await?;
        Ok(Live {
            generation,
            fields,
            writer: Arc::new(Mutex::new(writer)),
            committed: cursor,
            read_to: cursor,
            pending_documents: 0,
            pending_since: None,
        })
    }

    /// The feed position the last commit covers.
    pub fn committed_cursor(&self) -> FeedCursor {
        self.live.committed
    }

    /// The live generation written to.
    pub fn generation(&self) -> &str {
        &self.live.generation
    }

    /// The replica's root directory (what a [`crate::Searcher`] opens).
    pub fn root(&self) -> &Path {
        self.layout.root()
    }

    /// Reads and applies one batch of the feed, committing when due.
    /// Returns the number of entries read (0 when the feed is drained).
    pub async fn step(&mut self) -> Result<usize> {
        self.follow_swap().await?;
        let batch = self
            .store
            .read_feed(self.live.read_to, self.config.feed_batch)
            .await?;
        if batch.next == self.live.read_to {
            if self.live.read_to != self.live.committed {
                self.commit().await?;
            }
            return Ok(0);
        }
        let read = batch.entries.len();
        let documents = self.apply(&batch.entries).await?;
        self.live.read_to = batch.next;
        self.live.pending_documents += documents;
        let since = *self.live.pending_since.get_or_insert_with(Instant::now);
        if self.live.pending_documents >= self.config.commit_documents
            || since.elapsed() >= self.config.commit_interval
        {
            self.commit().await?;
        }
        Ok(read)
    }

    /// Applies the feed until it is drained, then commits (for tests and `--once`).
    pub async fn catch_up(&mut self) -> Result<CatchUp> {
        let mut done = CatchUp::default();
        loop {
            let before = self.live.pending_documents;
            let read = self.step().await?;
            if read == 0 {
                break;
            }
            done.entries += read as u64;
            done.documents += self.live.pending_documents.saturating_sub(before) as u64;
        }
        if self.live.read_to != self.live.committed {
            self.commit().await?;
        }
        Ok(done)
    }

    /// Follows the feed until `shutdown` completes, then commits what was
    /// written. Failures are logged and retried with a growing pause, from
    /// the last commit.
    pub async fn run(&mut self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut backoff = Duration::ZERO;
        loop {
            let pause = match self.step().await {
                Ok(0) => {
                    backoff = Duration::ZERO;
                    self.config.idle_interval
                }
                Ok(_) => {
                    backoff = Duration::ZERO;
                    Duration::ZERO
                }
                Err(error) => {
                    backoff = (backoff * 2).clamp(Duration::from_millis(500), MAX_BACKOFF);
                    tracing::error!(%error, retry_in_ms = backoff.as_millis() as u64,
                        "indexing failed; resuming from the last commit");
                    if let Err(error) = self.roll_back().await {
                        tracing::error!(%error, "cannot roll the index writer back");
                    }
                    backoff
                }
            };
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        if self.live.read_to != self.live.committed {
            self.commit().await?;
        }
        tracing::info!(index.generation = %self.live.generation, "indexer stopped");
        Ok(())
    }

    /// Commits what was written, with the feed cursor in the commit's payload.
    pub async fn commit(&mut self) -> Result<()> {
        let cursor = self.live.read_to;
        let payload = CommitPayload::at(cursor).to_json();
        let writer = Arc::clone(&self.live.writer);
        let started = Instant::now();
        blocking(move || {
            let mut writer = lock(&writer);
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit()?;
            Ok(())
        })
        .await?;
        tracing::debug!(
            index.documents = self.live.pending_documents,
            feed.txid = cursor.txid,
            feed.id = cursor.id,
            duration_ms = started.elapsed().as_millis() as u64,
            "index committed"
        );
        self.live.committed = cursor;
        self.live.pending_documents = 0;
        self.live.pending_since = None;
        if let Err(error) = self
            .store
            .save_feed_cursor(&self.config.consumer, cursor)
            .await
        {
            tracing::warn!(%error, index.consumer = %self.config.consumer,
                "cannot mirror the feed cursor to the database");
        }
        Ok(())
    }

    /// Drops what was not committed: back to the last commit and its cursor.
    async fn roll_back(&mut self) -> Result<()> {
        let writer = Arc::clone(&self.live.writer);
        blocking(move || {
            lock(&writer).rollback()?;
            Ok(())
        })
        .await?;
        self.live.read_to = self.live.committed;
        self.live.pending_documents = 0;
        self.live.pending_since = None;
        Ok(())
    }

    /// Switches to a generation swapped in by a rebuild, and removes the old one.
    async fn follow_swap(&mut self) -> Result<()> {
        let Some(current) = self.layout.current()? else {
            return Ok(());
        };
        if current == self.live.generation {
            return Ok(());
        }
        let old = self.live.generation.clone();
        let live = Self::open_live(&self.layout, &self.config, current).await?;
        // Dropping the old writer discards what it had not committed: the new
        // generation's cursor replays it.
        let previous = std::mem::replace(&mut self.live, live);
        blocking(move || {
            drop(previous);
            Ok(())
        })
        .await?;
        tracing::info!(index.generation = %self.live.generation, index.previous = %old,
            feed.txid = self.live.committed.txid, feed.id = self.live.committed.id,
            "indexer switched to a rebuilt generation");
        remove_stale_generations(&self.layout);
        Ok(())
    }

    /// Writes what a batch of entries changed; returns the number of documents written.
    async fn apply(&mut self, entries: &[ChangeEntry]) -> Result<usize> {
        let mut videos = BTreeSet::new();
        let mut channels = BTreeSet::new();
        let mut playlists = BTreeSet::new();
        for entry in entries {
            let id = entry.entity_id;
            let owner = match entry.entity {
                Entity::Video => {
                    videos.insert(id);
                    continue;
                }
                Entity::Playlist => {
                    playlists.insert(id);
                    continue;
                }
                Entity::Channel => VideoOwner::Channel,
                Entity::Account => VideoOwner::Account,
                Entity::Instance => VideoOwner::Instance,
            };
            channels.extend(self.store.channel_ids_of(owner, id).await?);
            videos.extend(self.store.video_ids_of(owner, id).await?);
            playlists.extend(self.store.playlist_ids_of(owner, id).await?);
            if owner == VideoOwner::Channel {
                channels.insert(id);
            }
        }
        let videos: Vec<i64> = videos.into_iter().collect();
        let channels: Vec<i64> = channels.into_iter().collect();
        let playlists: Vec<i64> = playlists.into_iter().collect();
        for chunk in videos.chunks(DOCUMENT_CHUNK) {
            let rows = self.store.video_documents(chunk).await?;
            self.replace(chunk, video_key, rows, |fields, analyzers, row| {
                row.visible.then(|| video_document(fields, analyzers, row))
            })
            .await?;
        }
        for chunk in channels.chunks(DOCUMENT_CHUNK) {
            let rows = self.store.channel_documents(chunk).await?;
            self.replace(chunk, channel_key, rows, |fields, analyzers, row| {
                row.visible
                    .then(|| channel_document(fields, analyzers, row))
            })
            .await?;
        }
        for chunk in playlists.chunks(DOCUMENT_CHUNK) {
            let rows = self.store.playlist_documents(chunk).await?;
            self.replace(chunk, playlist_key, rows, |fields, analyzers, row| {
                row.visible
                    .then(|| playlist_document(fields, analyzers, row))
            })
            .await?;
        }
        Ok(videos.len() + channels.len() + playlists.len())
    }

    /// Deletes the documents of `ids` (by `key`) and adds back those `document` makes of `rows`.
    async fn replace<R: Send + 'static>(
        &self,
        ids: &[i64],
        key: fn(i64) -> String,
        rows: Vec<R>,
        document: fn(&Fields, &mut Analyzers, &R) -> Option<TantivyDocument>,
    ) -> Result<()> {
        let (writer, fields, ids) = (
            Arc::clone(&self.live.writer),
            self.live.fields,
            ids.to_vec(),
        );
        blocking(move || {
            let writer = lock(&writer);
            for id in ids {
                writer.delete_term(Term::from_field_text(fields.key, &key(id)));
            }
            Analyzers::with(|analyzers| {
                for row in &rows {
                    if let Some(document) = document(&fields, analyzers, row) {
                        writer.add_document(document)?;
                    }
                }
                Ok(())
            })
        })
        .await
    }
}

#[cfg(test)]
impl Indexer {
    /// Writes one video document as given and commits (for tests of what the store cannot produce yet).
    pub(crate) async fn put_video_for_tests(&mut self, row: store::VideoDocument) -> Result<()> {
        let (writer, fields) = (Arc::clone(&self.live.writer), self.live.fields);
        blocking(move || {
            let writer = lock(&writer);
            writer.delete_term(Term::from_field_text(fields.key, &video_key(row.video.id)));
            Analyzers::with(|analyzers| {
                writer.add_document(video_document(&fields, analyzers, &row))
            })?;
            Ok(())
        })
        .await?;
        self.commit().await
    }
}

/// Whether a generation was built with this build's schema.
fn is_current_schema(layout: &Layout, generation: &str) -> bool {
    open_index(&layout.path(generation))
        .and_then(|index| CommitPayload::of(&index))
        .is_ok_and(|payload| payload.is_some_and(CommitPayload::is_current_schema))
}
