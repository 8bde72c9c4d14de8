//! Building a whole generation from the database, and the rebuild that swaps it in while searches go on.
//!
//! The build starts from a *settled* feed position read before it walks the
//! tables: every change up to it is visible to the walk, and every change
//! after it is replayed by the indexer from the new generation's payload
//! (replaying is idempotent), so nothing is missed.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use store::{ChannelDocument, FeedCursor, PlaylistDocument, Store, VideoDocument};
use tantivy::directory::{Directory, INDEX_WRITER_LOCK, MmapDirectory};
use tantivy::{IndexWriter, TantivyDocument};
use tokio::sync::mpsc;

use crate::analyzers::Analyzers;
use crate::document::{channel_document, playlist_document, video_document};
use crate::error::{IndexError, Result};
use crate::indexer::IndexerConfig;
use crate::layout::{CommitPayload, Layout, create_index};
use crate::schema::Fields;

/// Rows read from the database per batch while building.
const BUILD_BATCH: i64 = 1000;
/// A generation directory that is not an index yet is left alone this long (a build may be starting).
const ABANDONED_AFTER: Duration = Duration::from_secs(3600);

/// How far a build is, for a progress bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BuildProgress {
    /// Video rows read so far (visible or not).
    pub videos_read: u64,
    /// Visible videos to index, counted at the start (the bar's length).
    pub videos_total: u64,
    /// Visible videos indexed so far (the bar's position).
    pub videos_indexed: u64,
    /// Visible channels indexed so far.
    pub channels_indexed: u64,
    /// Visible playlists indexed so far.
    pub playlists_indexed: u64,
}

/// What a build produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildReport {
    pub generation: String,
    pub videos: u64,
    pub channels: u64,
    pub playlists: u64,
    /// The feed position the new generation resumes from.
    pub cursor: FeedCursor,
    pub elapsed: Duration,
}

/// Rebuilds the index under `root` from the database into a new generation
/// and swaps it in atomically; searchers and a running indexer switch to it
/// by themselves. Old generations are removed once no writer holds them.
pub async fn rebuild(
    root: impl AsRef<Path>,
    store: &Store,
    config: &IndexerConfig,
    progress: impl FnMut(&BuildProgress),
) -> Result<BuildReport> {
    let layout = Layout::new(root)?;
    let report = build_generation(&layout, store, config, progress).await?;
    layout.publish(&report.generation)?;
    tracing::info!(
        index.generation = %report.generation,
        index.videos = report.videos,
        index.channels = report.channels,
        index.playlists = report.playlists,
        duration_ms = report.elapsed.as_millis() as u64,
        "index rebuilt and swapped in"
    );
    remove_stale_generations(&layout);
    Ok(report)
}

/// Builds a complete generation (not yet published).
pub(crate) async fn build_generation(
    layout: &Layout,
    store: &Store,
    config: &IndexerConfig,
    progress: impl FnMut(&BuildProgress),
) -> Result<BuildReport> {
    let started = Instant::now();
    let cursor = store.feed_settled_head().await?;
    let generation = layout.new_generation()?;
    let result = fill(layout, &generation, store, config, cursor, progress).await;
    match result {
        Ok(done) => Ok(BuildReport {
            generation,
            videos: done.videos_indexed,
            channels: done.channels_indexed,
            playlists: done.playlists_indexed,
            cursor,
            elapsed: started.elapsed(),
        }),
        Err(error) => {
            let _ = layout.remove(&generation);
            Err(error)
        }
    }
}

enum Rows {
    Videos(Vec<VideoDocument>),
    Channels(Vec<ChannelDocument>),
    Playlists(Vec<PlaylistDocument>),
}

/// A writer with the configured threads and `memory_bytes` of budget (at least Tantivy's minimum per thread).
pub(crate) fn writer(
    index: &tantivy::Index,
    config: &IndexerConfig,
    memory_bytes: usize,
) -> Result<IndexWriter> {
    let threads = config.writer_threads.max(1);
    let memory = memory_bytes.max(threads * 16_000_000);
    Ok(index.writer_with_num_threads(threads, memory)?)
}

async fn fill(
    layout: &Layout,
    generation: &str,
    store: &Store,
    config: &IndexerConfig,
    cursor: FeedCursor,
    mut progress: impl FnMut(&BuildProgress),
) -> Result<BuildProgress> {
    let index = create_index(&layout.path(generation))?;
    let fields = Fields::new(&index.schema())?;
    let writer = Arc::new(writer(&index, config, config.rebuild_memory_bytes)?);
    let (sender, receiver) = mpsc::channel::<Rows>(8);
    // Documents are analysed on as many threads as the writer indexes with.
    let receiver = Arc::new(std::sync::Mutex::new(receiver));
    let consumers: Vec<_> = (0..config.writer_threads.max(1))
        .map(|_| {
            let (writer, receiver) = (Arc::clone(&writer), Arc::clone(&receiver));
            tokio::task::spawn_blocking(move || -> Result<()> {
                let mut analyzers = Analyzers::default();
                loop {
                    let next = receiver
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .blocking_recv();
                    let Some(rows) = next else { return Ok(()) };
                    let documents: Vec<TantivyDocument> = match &rows {
                        Rows::Videos(rows) => rows
                            .iter()
                            .filter(|row| row.visible)
                            .map(|row| video_document(&fields, &mut analyzers, row))
                            .collect(),
                        Rows::Channels(rows) => rows
                            .iter()
                            .filter(|row| row.visible)
                            .map(|row| channel_document(&fields, &mut analyzers, row))
                            .collect(),
                        Rows::Playlists(rows) => rows
                            .iter()
                            .filter(|row| row.visible)
                            .map(|row| playlist_document(&fields, &mut analyzers, row))
                            .collect(),
                    };
                    for document in documents {
                        writer.add_document(document)?;
                    }
                }
            })
        })
        .collect();

    let mut state = BuildProgress {
        videos_total: store.count_visible_videos().await?.max(0) as u64,
        ..BuildProgress::default()
    };
    progress(&state);
    let mut after = 0;
    loop {
        let ids = store.video_ids_after(after, BUILD_BATCH).await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        let rows = store.video_documents(&ids).await?;
        state.videos_read += ids.len() as u64;
        state.videos_indexed += rows.iter().filter(|row| row.visible).count() as u64;
        if sender.send(Rows::Videos(rows)).await.is_err() {
            break;
        }
        progress(&state);
    }
    let mut after = 0;
    loop {
        let ids = store.channel_ids_after(after, BUILD_BATCH).await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        let rows = store.channel_documents(&ids).await?;
        state.channels_indexed += rows.iter().filter(|row| row.visible).count() as u64;
        if sender.send(Rows::Channels(rows)).await.is_err() {
            break;
        }
        progress(&state);
    }
    let mut after = 0;
    loop {
        let ids = store.playlist_ids_after(after, BUILD_BATCH).await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        let rows = store.playlist_documents(&ids).await?;
        state.playlists_indexed += rows.iter().filter(|row| row.visible).count() as u64;
        if sender.send(Rows::Playlists(rows)).await.is_err() {
            break;
        }
        progress(&state);
    }
    drop(sender);
    for consumer in consumers {
        consumer
            .await
            .map_err(|error| IndexError::Task(error.to_string()))??;
    }

    let mut writer = Arc::try_unwrap(writer)
        .map_err(|_| IndexError::Task("the index writer is still shared".into()))?;
    let payload = CommitPayload::at(cursor).to_json();
    tokio::task::spawn_blocking(move || -> Result<()> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        writer.wait_merging_threads()?;
        Ok(())
    })
    .await
    .map_err(|error| IndexError::Task(error.to_string()))??;
    progress(&state);
    Ok(state)
}

/// Removes generations that are not live and that no writer holds.
pub(crate) fn remove_stale_generations(layout: &Layout) {
    let Ok(stale) = layout.stale_generations() else {
        return;
    };
    for generation in stale {
        let path = layout.path(&generation);
        if !removable(&path) {
            continue;
        }
        match layout.remove(&generation) {
            Ok(()) => {
                tracing::info!(index.generation = %generation, "old index generation removed");
            }
            Err(error) => {
                tracing::warn!(index.generation = %generation, %error, "cannot remove an old index generation");
            }
        }
    }
}

/// Whether nobody writes to a generation: an unlocked index, or a long-abandoned directory.
fn removable(path: &Path) -> bool {
    let is_index = path.join("meta.json").exists();
    if !is_index {
        let age = std::fs::metadata(path)
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok());
        return age.is_some_and(|age| age > ABANDONED_AFTER);
    }
    let Ok(directory) = MmapDirectory::open(path) else {
        return false;
    };
    directory.acquire_lock(&INDEX_WRITER_LOCK).is_ok()
}
