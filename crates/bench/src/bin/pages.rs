//! The pages benchmark: Florilège's public pages against nginx serving the same bytes, loaded by wrk in the same run.

use std::io::Write;
use std::path::PathBuf;

use bench::orchestrate::Backend;
use bench::pages::{self, PagesPlan};
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Writes a corpus of simulated PeerTube videos into a fresh store,
/// indexes it, publishes a 24-video selection, serves the site, and loads
/// the home page, the selection, a video page and a search page with wrk,
/// each against nginx serving the very same bytes as static files. Prints a
/// Markdown table with the targets of issue 5.
#[derive(Parser, Debug)]
struct Cli {
    #[arg(long, default_value_t = 10_000)]
    videos: u64,
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Simulated instances the videos are spread over.
    #[arg(long, default_value_t = 100)]
    instances: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// wrk's open connections.
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// wrk's threads.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Seconds of each wrk run (8 runs in all).
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    #[arg(long, default_value = "/usr/sbin/nginx")]
    nginx: PathBuf,
    #[arg(long, default_value = "wrk")]
    wrk: PathBuf,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("FLORILEGE_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let plan = PagesPlan {
        backend: cli.backend,
        postgres_url: cli.postgres_url,
        videos: cli.videos,
        instances: cli.instances,
        seed: cli.seed,
        connections: cli.connections,
        threads: cli.threads,
        seconds: cli.seconds,
        nginx: cli.nginx,
        wrk: cli.wrk,
    };
    let run = tokio::runtime::Runtime::new()?.block_on(pages::run(&plan))?;
    let mut out = std::io::stdout().lock();
    write!(out, "{}", pages::report(&plan, &run))?;
    out.flush()?;
    Ok(())
}
