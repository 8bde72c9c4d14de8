//! The freshness benchmark: from an upload on the simulated fleet to the video being searchable on a running `florilege serve`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use bench::freshness::{self, FreshnessPlan};
use bench::orchestrate::Backend;
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Starts a simulated fleet, crawls it once, then runs `florilege serve`
/// (polite crawler, in-process indexer) against it, uploads videos on the
/// fleet at random moments and follows each one until the node's search API
/// finds it. Prints the delays, split along the pipeline: the wait for the
/// instance's next scheduled pass (the reference), the pass, and indexing.
#[derive(Parser, Debug)]
struct Cli {
    #[arg(long, default_value_t = 20)]
    instances: usize,
    #[arg(long, default_value_t = 10_000)]
    videos: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 20)]
    uploads: usize,
    /// The node's time between incremental passes of an instance, seconds.
    #[arg(long, default_value_t = 60)]
    interval: u64,
    /// The node's requests per second to one host (the default setting is 1).
    #[arg(long, default_value_t = 1.0)]
    requests_per_second: f64,
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "sqlite,postgres"
    )]
    backend: Vec<Backend>,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// The `florilege` binary (by default the one built beside this program).
    #[arg(long)]
    florilege: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("FLORILEGE_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let florilege = match cli.florilege {
        Some(path) => path,
        None => std::env::current_exe()?
            .parent()
            .context("this program's directory")?
            .join("florilege"),
    };
    let plan = FreshnessPlan {
        instances: cli.instances,
        videos: cli.videos,
        seed: cli.seed,
        uploads: cli.uploads,
        interval_secs: cli.interval,
        requests_per_second: cli.requests_per_second,
        backends: cli.backend,
        postgres_url: cli.postgres_url,
        florilege,
    };
    let results = tokio::runtime::Runtime::new()?.block_on(freshness::run(&plan))?;
    let mut out = std::io::stdout().lock();
    write!(out, "{}", freshness::report(&plan, &results))?;
    out.flush()?;
    Ok(())
}
