//! The child side: runs one pass against the fleet and measures its timed part.

use std::time::Instant;

use clap::{Args, ValueEnum};
use store::{Store, StoreConfig};
use url::Url;

use crate::fleet::{FleetAccess, FleetSpec};
use crate::knobs::Knobs;
use crate::pass::{PassKind, PassResult};
use crate::procstat::{
    CpuTimes, busiest_threads, cpu_times, peak_rss_bytes, postgres_backends_cpu, reset_peak_rss,
};
use crate::{crawl_pass, fetch_only};

/// A pass to run, as the orchestrator passes it to a child process.
#[derive(Args, Clone, Debug)]
pub struct PassArgs {
    #[arg(long, value_enum)]
    pub kind: KindArg,
    /// The fleet's control server; without it the pass starts the fleet in its own process.
    #[arg(long)]
    pub control: Option<Url>,
    #[command(flatten)]
    pub fleet: FleetSpec,
    #[command(flatten)]
    pub knobs: Knobs,
    /// The (fresh) database of a crawl.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The fleet process, whose CPU time is measured over the pass.
    #[arg(long)]
    pub sim_pid: Option<u32>,
}

/// [`PassKind`] on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindArg {
    FetchOnly,
    FetchDecode,
    Crawl,
}

impl From<KindArg> for PassKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::FetchOnly => Self::FetchOnly,
            KindArg::FetchDecode => Self::FetchDecode,
            KindArg::Crawl => Self::Crawl,
        }
    }
}

impl From<PassKind> for KindArg {
    fn from(kind: PassKind) -> Self {
        match kind {
            PassKind::FetchOnly => Self::FetchOnly,
            PassKind::FetchDecode => Self::FetchDecode,
            PassKind::Crawl => Self::Crawl,
        }
    }
}

/// Runs the pass; set-up (fleet, store, registration) is outside the measurement.
pub async fn run_pass(args: PassArgs) -> anyhow::Result<PassResult> {
    let kind = PassKind::from(args.kind);
    let fleet = FleetAccess::connect(args.control, args.fleet).await?;
    let instances = fleet.instances_largest_first().await?;
    let bases: Vec<Url> = instances.iter().map(|i| i.base.clone()).collect();
    let postgres_database = args
        .database_url
        .as_deref()
        .filter(|url| url.starts_with("postgres"))
        .and_then(|url| Url::parse(url).ok())
        .map(|url| url.path().trim_start_matches('/').to_owned());
    let database_cpu = || {
        postgres_database
            .as_deref()
            .and_then(|name| postgres_backends_cpu(name).ok())
    };
    let store = match kind {
        PassKind::Crawl => {
            let database_url = args
                .database_url
                .clone()
                .ok_or_else(|| anyhow::anyhow!("a crawl needs --database-url"))?;
            let store = Store::open(&StoreConfig {
                database_url,
                ..StoreConfig::default()
            })
            .await?;
            crawl_pass::register(&store, &bases).await?;
            crawl_pass::record_announced_sizes(&store, &instances).await?;
            Some(store)
        }
        PassKind::FetchOnly | PassKind::FetchDecode => None,
    };
    let http = crawler::http_client(&args.knobs.crawler_config())?;
    let served_before = fleet.totals().await?;
    if let Err(error) = reset_peak_rss() {
        tracing::warn!(%error, "cannot reset the peak memory: set-up counts in it");
    }
    let sim_before = sim_cpu(args.sim_pid);
    let database_before = database_cpu();
    let cpu_before = cpu_times(None)?;
    let started = Instant::now();

    let (videos, mut errors) = match (&store, kind) {
        (Some(store), _) => {
            let counts = crawl_pass::run(store.clone(), args.knobs).await?;
            (counts.videos, counts.errors)
        }
        (None, kind) => {
            let counts =
                fetch_only::run(http, bases, args.knobs, kind == PassKind::FetchDecode).await;
            (counts.videos, counts.errors)
        }
    };

    let wall_secs = started.elapsed().as_secs_f64();
    let cpu = cpu_times(None)?.since(&cpu_before);
    let sim_cpu = sim_before
        .zip(sim_cpu(args.sim_pid))
        .map(|(b, a)| a.since(&b));
    let database_cpu = database_before
        .zip(database_cpu())
        .map(|(b, a)| a.since(&b));
    let peak_rss_bytes = peak_rss_bytes()?;
    let busiest_threads = busiest_threads(3)?;
    let served = fleet.totals().await?;
    if let Some(store) = store {
        let stored = crawl_pass::stored_videos(&store).await?;
        if stored != videos {
            tracing::error!(
                stored,
                reported = videos,
                "the store does not hold what the crawl reported"
            );
            errors += 1;
        }
        store.close().await;
    }
    Ok(PassResult {
        kind,
        videos,
        requests: served.requests - served_before.requests,
        bytes: served.bytes - served_before.bytes,
        errors,
        wall_secs,
        cpu,
        sim_cpu,
        database_cpu,
        busiest_threads,
        peak_rss_bytes,
    })
}

fn sim_cpu(pid: Option<u32>) -> Option<CpuTimes> {
    pid.and_then(|pid| cpu_times(Some(pid)).ok())
}
