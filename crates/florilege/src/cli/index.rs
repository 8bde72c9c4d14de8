//! `florilege index`: follow the change feed into the search index, catch up once, or rebuild.

use std::io::{IsTerminal, Write};

use clap::Args;
use crawler::CancellationToken;
use index::{Indexer, IndexerConfig, rebuild};
use indicatif::{ProgressBar, ProgressStyle};
use store::Store;

use crate::config::Config;

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Index what the feed holds now, then exit (default: follow it until stopped).
    #[arg(long, conflicts_with = "rebuild")]
    pub once: bool,
    /// Build a fresh index from the database into a new directory and swap it
    /// in atomically; searches keep answering meanwhile.
    #[arg(long)]
    pub rebuild: bool,
    /// This replica's name in the feed cursors (one per web node).
    #[arg(long, default_value = "index")]
    pub consumer: String,
}

pub(super) async fn run(
    store: Store,
    config: &Config,
    args: IndexArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let root = config.data_dir.join("index");
    let indexer_config = IndexerConfig {
        consumer: args.consumer.clone(),
        ..IndexerConfig::default()
    };
    if args.rebuild {
        let bar = progress_bar();
        let report = rebuild(&root, &store, &indexer_config, |progress| {
            bar.set_length(progress.videos_total);
            bar.set_position(progress.videos_indexed);
        })
        .await?;
        bar.finish_and_clear();
        writeln!(
            out,
            "rebuilt generation {}: {} videos, {} channels in {:.1} s",
            report.generation,
            report.videos,
            report.channels,
            report.elapsed.as_secs_f64()
        )?;
        return Ok(());
    }
    let mut indexer = Indexer::open(&root, store, indexer_config).await?;
    if args.once {
        let caught_up = indexer.catch_up().await?;
        indexer.commit().await?;
        writeln!(
            out,
            "indexed {} changes ({} documents)",
            caught_up.entries, caught_up.documents
        )?;
        return Ok(());
    }
    let cancel = CancellationToken::new();
    tokio::spawn(super::crawl::cancel_on_signal(cancel.clone()));
    tracing::info!(index.root = %root.display(), "following the change feed; Ctrl-C or SIGTERM stops");
    indexer.run(cancel.cancelled_owned()).await?;
    Ok(())
}

pub(super) fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{bar:30}] {pos}/{len} videos ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
