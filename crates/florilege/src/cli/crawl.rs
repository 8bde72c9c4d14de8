//! `florilege crawl`: the crawl scheduler until stopped, or one pass with progress.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use clap::Args;
use crawler::images::ImageCache;
use crawler::{CancellationToken, CrawlEvent, Crawler};
use indicatif::{ProgressBar, ProgressStyle};
use store::Store;

use crate::config::Config;

#[derive(Debug, Args)]
pub struct CrawlArgs {
    /// Crawl every approved instance once, the largest first, then exit (default: run the
    /// schedule until stopped).
    #[arg(long)]
    pub once: bool,
    /// With --once: crawl only this instance (its host, e.g. video.example).
    #[arg(long, value_name = "HOST", requires = "once")]
    pub instance: Option<String>,
    /// This worker's name in crawl leases and runs; it must be unique among
    /// running workers (default: HOST-PID-RANDOM). A worker restarted under
    /// its former name takes its instances back at once instead of waiting
    /// for their leases to expire.
    #[arg(long, value_name = "NAME")]
    pub worker: Option<String>,
}

pub(super) async fn run(
    store: Store,
    config: &Config,
    args: CrawlArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let cancel = CancellationToken::new();
    tokio::spawn(cancel_on_signal(cancel.clone()));
    let mut crawler = Crawler::new(store.clone(), config.crawler())?;
    if let Some(worker) = args.worker {
        crawler = crawler.with_worker_name(worker);
    }
    let images = ImageCache::new(store.clone(), config.images(), &config.crawler())?;
    if !args.once {
        tracing::info!(
            worker = crawler.worker(),
            "crawling on schedule; Ctrl-C or SIGTERM stops after the current pages"
        );
        let filling = tokio::spawn(crate::node::fill_images_until(images, cancel.clone()));
        Arc::new(crawler).run(cancel).await?;
        let _ = filling.await;
        return Ok(());
    }
    let total = match &args.instance {
        Some(_) => 1,
        None => store
            .list_instances(Some(store::InstanceStatus::Approved))
            .await?
            .len(),
    };
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let crawler = crawler.with_events(events);
    let bar = progress_bar(total as u64);
    let progress = tokio::spawn(async move {
        let mut skipped = Vec::new();
        while let Some(event) = received.recv().await {
            match event {
                CrawlEvent::Started { host } => bar.set_message(host),
                CrawlEvent::Finished(report) => {
                    bar.inc(1);
                    if let Some(error) = &report.error {
                        bar.println(format!("{}: {error}", report.host));
                    }
                }
                CrawlEvent::Skipped { host, owner } => {
                    bar.inc(1);
                    skipped.push(format!("{host} (worker {owner})"));
                }
            }
        }
        bar.finish_and_clear();
        skipped
    });
    let reports = crawler
        .crawl_once(args.instance.as_deref(), &cancel)
        .await?;
    drop(crawler);
    let skipped = progress.await.unwrap_or_default();
    let failed = reports
        .iter()
        .filter(|report| report.error.is_some())
        .count();
    let sum = |field: fn(&store::CrawlRunCounters) -> i64| {
        reports.iter().map(|r| field(&r.counters)).sum::<i64>()
    };
    let filled = images.fill(crate::node::IMAGES_PER_FILL, &cancel).await?;
    writeln!(
        out,
        "cached {} images ({} failed, {} left for later), {} MiB on disk",
        filled.fetched,
        filled.failed,
        filled.skipped,
        filled.total_bytes / (1024 * 1024)
    )?;
    writeln!(
        out,
        "crawled {} instances ({failed} failed): {} requests, {} new videos, {} updated, {} deleted",
        reports.len(),
        sum(|c| c.requests),
        sum(|c| c.videos_new),
        sum(|c| c.videos_updated),
        sum(|c| c.videos_deleted),
    )?;
    if !skipped.is_empty() {
        writeln!(
            out,
            "skipped {} instances that other workers are crawling: {}",
            skipped.len(),
            skipped.join(", ")
        )?;
    }
    Ok(())
}

/// A bar on a terminal; hidden otherwise (the log lines then tell the progress).
fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} instances ({elapsed}) {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Cancels on Ctrl-C or SIGTERM: crawls stop after their current page.
pub(crate) async fn cancel_on_signal(cancel: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    cancel.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("stopping: finishing the pages in flight");
    cancel.cancel();
}
