//! The indexing passes, each run in a fresh child process: Florilège's rebuild from the database, raw Tantivy from memory, and FTS5.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use index::IndexerConfig;
use serde::{Deserialize, Serialize};
use store::{Store, StoreConfig};

use super::{fts, raw};
use crate::orchestrate::Backend;
use crate::procstat::{CpuTimes, busiest_threads, cpu_times, peak_rss_bytes, reset_peak_rss};

/// Which index is built.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndexKind {
    /// `index::rebuild`: reads the database, builds and swaps in a generation.
    Florilege,
    /// Raw Tantivy, the same documents from memory (the reference).
    Tantivy,
    /// SQLite FTS5 over the videos table (the query reference's index).
    Fts5,
}

impl IndexKind {
    /// The pass's name, with Florilège's store.
    pub fn label(self, store: Backend) -> String {
        match self {
            Self::Florilege => format!("Florilège rebuild (from {})", store.name()),
            Self::Tantivy => "raw Tantivy (from memory)".into(),
            Self::Fts5 => "SQLite FTS5 rebuild".into(),
        }
    }
}

/// An indexing pass, as the orchestrator passes it to a child process.
#[derive(Args, Clone, Debug)]
pub struct IndexPassArgs {
    #[arg(long, value_enum)]
    pub kind: IndexKind,
    #[arg(long)]
    pub database_url: String,
    /// Where the index is built (Tantivy kinds).
    #[arg(long)]
    pub dir: PathBuf,
}

/// Figures of one indexing pass, over its timed part.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IndexPassResult {
    pub kind: IndexKind,
    /// Documents written (videos and channels for Tantivy, videos for FTS5).
    pub documents: u64,
    pub wall_secs: f64,
    pub cpu: CpuTimes,
    pub peak_rss_bytes: u64,
    /// The index on disk.
    pub size_bytes: u64,
    pub busiest_threads: Vec<(String, f64)>,
}

impl IndexPassResult {
    pub fn documents_per_sec(&self) -> f64 {
        self.documents as f64 / self.wall_secs.max(1e-9)
    }
}

async fn open_store(database_url: &str) -> anyhow::Result<Store> {
    Ok(Store::open(&StoreConfig {
        database_url: database_url.to_owned(),
        ..StoreConfig::default()
    })
    .await?)
}

struct Clock {
    cpu: CpuTimes,
    started: Instant,
}

impl Clock {
    fn start() -> anyhow::Result<Self> {
        if let Err(error) = reset_peak_rss() {
            tracing::warn!(%error, "cannot reset the peak memory: set-up counts in it");
        }
        Ok(Self {
            cpu: cpu_times(None)?,
            started: Instant::now(),
        })
    }

    fn stop(
        self,
        kind: IndexKind,
        documents: u64,
        size_bytes: u64,
    ) -> anyhow::Result<IndexPassResult> {
        let wall_secs = self.started.elapsed().as_secs_f64();
        Ok(IndexPassResult {
            kind,
            documents,
            wall_secs,
            cpu: cpu_times(None)?.since(&self.cpu),
            peak_rss_bytes: peak_rss_bytes()?,
            size_bytes,
            busiest_threads: busiest_threads(3)?,
        })
    }
}

/// Runs one pass; set-up (opening, loading rows for the reference) is outside the measurement.
pub async fn run(args: IndexPassArgs) -> anyhow::Result<IndexPassResult> {
    let config = IndexerConfig::default();
    match args.kind {
        IndexKind::Florilege => {
            let store = open_store(&args.database_url).await?;
            let clock = Clock::start()?;
            let report = index::rebuild(&args.dir, &store, &config, |_| {}).await?;
            let documents = report.videos + report.channels + report.playlists;
            // The size is read after the clock stops; it does not count.
            let mut result = clock.stop(args.kind, documents, 0)?;
            result.size_bytes = dir_size(&args.dir);
            store.close().await;
            Ok(result)
        }
        IndexKind::Tantivy => {
            let store = open_store(&args.database_url).await?;
            let rows = raw::load(&store).await?;
            store.close().await;
            std::fs::create_dir_all(&args.dir)?;
            let clock = Clock::start()?;
            let dir = args.dir.clone();
            let (rows, documents) = tokio::task::spawn_blocking(move || {
                let documents = raw::index(&rows, &dir, &config);
                (rows, documents)
            })
            .await?;
            let mut result = clock.stop(args.kind, documents?, 0)?;
            drop(rows);
            result.size_bytes = dir_size(&args.dir);
            Ok(result)
        }
        IndexKind::Fts5 => {
            let clock = Clock::start()?;
            let documents = fts::build(&args.database_url).await?;
            let mut result = clock.stop(args.kind, documents, 0)?;
            result.size_bytes = fts::size_bytes(&args.database_url).await?;
            Ok(result)
        }
    }
}

/// Bytes of the files under `path`.
pub fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| match entry.metadata() {
                    Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
                    Ok(meta) => meta.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}
