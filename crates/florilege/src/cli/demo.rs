//! `florilege demo`: a living showcase in one process — a simulated fleet, the crawler, the indexer and the site, with example selections.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use crawler::CancellationToken;
use peertube_sim::{FaultMode, Fleet, FleetConfig};
use store::{InstanceAddress, InstanceOrigin, InstanceStatus, NewInstance, NewUser, Role};

use crate::config::Config;
use crate::node::{Node, Parts};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Simulated PeerTube instances.
    #[arg(long, default_value_t = 24)]
    pub instances: usize,
    /// Videos over the whole simulated fleet.
    #[arg(long, default_value_t = 3_000)]
    pub videos: u64,
    /// Fraction of hostile or broken instances (slow, huge, malformed, redirecting…).
    #[arg(long, default_value_t = 0.12)]
    pub faults: f64,
    /// Seed of the fleet's content.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// Videos indexed before the example selections are written (at most; a
/// third of the fleet for small fleets).
const SEED_AFTER_VIDEOS: u64 = 600;
/// How long to wait for them at most.
const SEED_WAIT: Duration = Duration::from_secs(90);

pub(super) async fn run(
    config: &Config,
    args: DemoArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let config = demo_config(config)?;
    let fleet = Fleet::start(FleetConfig {
        instances: args.instances,
        videos: args.videos,
        seed: args.seed,
        faults: args.faults,
        rate_limit: false,
        ..FleetConfig::default()
    })
    .await?;
    let store = super::open_store(&config).await?;
    for instance in fleet.instances() {
        let address = InstanceAddress::parse(&instance.base_url, "http")?;
        store
            .add_instance(&NewInstance {
                address,
                status: InstanceStatus::Approved,
                origin: InstanceOrigin::Cli,
                discovered_from: None,
            })
            .await?;
    }
    let password = format!("demo-{}", uuid::Uuid::new_v4().simple())[..21].to_owned();
    store
        .add_user(NewUser {
            username: "admin",
            display_name: "Demo admin",
            password: &password,
            role: Role::Admin,
        })
        .await?;
    let cancel = CancellationToken::new();
    tokio::spawn(super::crawl::cancel_on_signal(cancel.clone()));
    let node = Node::start(
        store.clone(),
        &config,
        &Parts::default(),
        None,
        cancel.clone(),
    )
    .await?;
    let address = node.address.context("the demo serves the site")?;
    let hostile = fleet
        .instances()
        .iter()
        .filter(|instance| instance.fault != FaultMode::None)
        .count();
    writeln!(
        out,
        "Florilège demo: {} simulated PeerTube instances ({hostile} hostile or broken), {} videos.\n\
         \n  Site:        http://{address}/\n  Back office: http://{address}/admin  (sign in as admin / {password})\n  Search API:  http://{address}/api/v1/search/videos?search=garden\n\
         \nThe crawler is reading the fleet now; example selections appear once enough \
         videos are indexed. Data lives in {} and is started afresh at each run.\nCtrl-C stops.",
        args.instances,
        args.videos,
        config.data_dir.display(),
    )?;
    out.flush()?;
    if let Some(searcher) = node.searcher.clone() {
        let store = store.clone();
        let enough = SEED_AFTER_VIDEOS.min(args.videos / 3);
        tokio::spawn(async move {
            let started = Instant::now();
            while searcher.video_count().unwrap_or(0) < enough && started.elapsed() < SEED_WAIT {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            match crate::demo::seed_editorial(&store, &searcher).await {
                Ok(count) => tracing::info!(selections = count, "demo selections published"),
                Err(error) => {
                    tracing::error!(error = format!("{error:#}"), "demo selections failed");
                }
            }
        });
    }
    let result = node.wait().await;
    fleet.shutdown().await;
    result
}

/// The demo's own data directory (wiped at each run) and loopback crawling.
fn demo_config(config: &Config) -> anyhow::Result<Config> {
    let mut demo = config.clone();
    demo.data_dir = config.data_dir.join("demo");
    if demo.data_dir.exists() {
        std::fs::remove_dir_all(&demo.data_dir)
            .with_context(|| format!("cannot clear {}", demo.data_dir.display()))?;
    }
    std::fs::create_dir_all(&demo.data_dir)?;
    demo.database_url = None;
    demo.images.dir = demo.data_dir.join("images");
    demo.images.pause_ms = 0;
    demo.crawler.allow_loopback = true;
    // The simulated fleet has no rate limit: crawl it briskly.
    demo.crawler.requests_per_second = 50.0;
    demo.crawler.concurrency_per_host = 4;
    demo.crawler.request_timeout_secs = 5;
    demo.crawler.connect_timeout_secs = 2;
    demo.crawler.retries = 1;
    demo.crawler.incremental_interval_secs = 120;
    Ok(demo)
}
