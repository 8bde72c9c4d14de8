//! The indexing reference: raw Tantivy indexing the same documents from memory, with the index's own schema and analyzers.
//!
//! The rows are read from the database before the measurement; what is
//! timed is what any Tantivy user must do with the same schema: build each
//! document (the same fields, each stemmed value tagged with the video's
//! language, the stored JSON summary), add it with a writer of the same
//! threads and memory as a rebuild's, commit and wait for merges. Documents
//! are built by the index's own functions, so the difference is the
//! pipeline alone (reading the database and the feed, batching, committing).

use std::path::Path;

use index::analyzers::Analyzers;
use index::schema::Fields;
use index::{IndexerConfig, channel_document, video_document};
use store::{ChannelDocument, Store, VideoDocument};
use tantivy::TantivyDocument;

/// Rows read per query while loading.
const BATCH: i64 = 1000;

/// Every visible video and channel, in memory.
pub struct Rows {
    pub videos: Vec<VideoDocument>,
    pub channels: Vec<ChannelDocument>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.videos.len() + self.channels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads every visible video and channel document (set-up, not measured).
pub async fn load(store: &Store) -> anyhow::Result<Rows> {
    let mut rows = Rows {
        videos: Vec::new(),
        channels: Vec::new(),
    };
    let mut after = 0;
    loop {
        let ids = store.video_ids_after(after, BATCH).await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        let documents = store.video_documents(&ids).await?;
        rows.videos
            .extend(documents.into_iter().filter(|row| row.visible));
    }
    let mut after = 0;
    loop {
        let ids = store.channel_ids_after(after, BATCH).await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        let documents = store.channel_documents(&ids).await?;
        rows.channels
            .extend(documents.into_iter().filter(|row| row.visible));
    }
    Ok(rows)
}

/// Indexes `rows` into a new index in `dir` (the measured part); returns the documents written.
pub fn index(rows: &Rows, dir: &Path, config: &IndexerConfig) -> anyhow::Result<u64> {
    // The same schema and settings as Florilège's own indexes.
    let index = index::layout::create_index(dir)?;
    let fields = Fields::new(&index.schema())?;
    let threads = config.writer_threads.max(1);
    let memory = config.rebuild_memory_bytes.max(threads * 16_000_000);
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(threads, memory)?;
    // Documents are built on as many threads as the writer indexes with, as the rebuild does.
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|worker| {
                let writer = &writer;
                scope.spawn(move || -> anyhow::Result<()> {
                    let mut analyzers = Analyzers::default();
                    for row in rows.videos.iter().skip(worker).step_by(threads) {
                        writer.add_document(video_document(&fields, &mut analyzers, row))?;
                    }
                    for row in rows.channels.iter().skip(worker).step_by(threads) {
                        writer.add_document(channel_document(&fields, &mut analyzers, row))?;
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("an indexing thread panicked"))??;
        }
        Ok(())
    })?;
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(rows.len() as u64)
}
