//! `florilege backup` and `florilege restore`: an online copy of the SQLite database, and putting one back (then rebuilding the search index).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use index::{IndexerConfig, rebuild};
use store::{Store, backup};

use crate::config::Config;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new backup file, or an existing directory to write
    /// florilege-YYYYMMDDTHHMMSSZ.db into.
    pub dest: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A backup made by `florilege backup` (or a copy of a stopped node's database).
    pub source: PathBuf,
    /// Replace the database even if a running Florilège has it open.
    #[arg(long)]
    pub force: bool,
    /// Do not rebuild the search index afterwards (then run `florilege index --rebuild`).
    #[arg(long)]
    pub no_index: bool,
}

const INDEX_NOTE: &str = "the search index is not in the backup: it is rebuilt from the \
    database (`florilege index --rebuild`)";

pub(super) async fn run_backup(
    config: &Config,
    args: BackupArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store_config = config.store();
    // No migration: a backup taken before an upgrade keeps the old schema.
    let store = Store::connect(&store_config).await.with_context(|| {
        format!(
            "cannot open the database {}",
            store::redact_url(&store_config.database_url)
        )
    })?;
    let dest = destination(&args.dest);
    let started = std::time::Instant::now();
    let contents = store.backup_to(&dest).await;
    store.close().await;
    let contents = contents?;
    let bytes = std::fs::metadata(&dest).map(|m| m.len()).unwrap_or(0);
    writeln!(
        out,
        "backed up to {} ({bytes} bytes in {:.1} s): {contents}",
        dest.display(),
        started.elapsed().as_secs_f64()
    )?;
    writeln!(out, "{INDEX_NOTE}")?;
    Ok(())
}

/// The backup file: `dest`, or a dated file inside it when it is a directory.
fn destination(dest: &Path) -> PathBuf {
    if dest.is_dir() {
        let name = format!(
            "florilege-{}.db",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        );
        dest.join(name)
    } else {
        dest.to_owned()
    }
}

pub(super) async fn run_restore(
    config: &Config,
    args: RestoreArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let restored = backup::restore(&args.source, &config.database_url(), args.force).await?;
    writeln!(
        out,
        "restored {} into {}: {}",
        args.source.display(),
        restored.database.display(),
        restored.contents
    )?;
    if let Some(aside) = &restored.set_aside {
        writeln!(
            out,
            "the database it replaced is kept as {}",
            aside.display()
        )?;
    }
    if args.no_index {
        writeln!(
            out,
            "the search index still reflects the old database: run `florilege index --rebuild`"
        )?;
        return Ok(());
    }
    let store = super::open_store(config).await?;
    let bar = super::index::progress_bar();
    let report = rebuild(
        config.data_dir.join("index"),
        &store,
        &IndexerConfig::default(),
        |progress| {
            bar.set_length(progress.videos_total);
            bar.set_position(progress.videos_indexed);
        },
    )
    .await;
    bar.finish_and_clear();
    store.close().await;
    let report = report.context("the database is restored, but rebuilding the index failed")?;
    writeln!(
        out,
        "search index rebuilt: {} videos, {} channels",
        report.videos, report.channels
    )?;
    Ok(())
}
