//! Freshness: from an upload on the simulated fleet to the video being searchable on a running showcase.
//!
//! The showcase is the real `florilege serve` binary (crawler, indexer and
//! web server in one node) with polite crawler settings, against a fleet it
//! has already crawled once. Uploads are spread over two incremental
//! intervals; each is followed until the search API finds it. Each delay is
//! split along the pipeline with the crawl runs the node recorded:
//!
//! - *wait*: from the upload to the start of the pass that found it. This is
//!   the schedule (`incremental_interval_secs`): the reference, the part that
//!   only crawling more often can shorten;
//! - *pass*: from that start to the video being in the database (identity
//!   requests, the list page and the details, at the polite request rate);
//! - *index*: from the database to the search answer (the indexer's commit).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use crawler::{CancellationToken, Crawler, CrawlerConfig};
use peertube_sim::{Fleet, FleetConfig};
use serde::Serialize;
use store::{Store, StoreConfig};
use tokio::process::{Child, Command};
use url::Url;

use crate::crawl_pass::register;
use crate::orchestrate::{Backend, Database};
use crate::search::load::{Latency, latency};
use crate::search::rng::Rng;

/// What to measure.
#[derive(Clone, Debug)]
pub struct FreshnessPlan {
    pub instances: usize,
    pub videos: u64,
    pub seed: u64,
    /// Videos uploaded during the measurement, one at a time, at random moments.
    pub uploads: usize,
    /// The node's `crawler.incremental_interval_secs`.
    pub interval_secs: u64,
    /// The node's `crawler.requests_per_second` (per host).
    pub requests_per_second: f64,
    pub backends: Vec<Backend>,
    pub postgres_url: String,
    /// The `florilege` binary.
    pub florilege: PathBuf,
}

/// The delays of one backend, in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct FreshnessResult {
    pub backend: &'static str,
    pub uploads: usize,
    /// Uploads not searchable before the deadline.
    pub missed: usize,
    pub wait: Latency,
    pub pass: Latency,
    pub index: Latency,
    pub total: Latency,
}

/// Polling period of the database and of the search API.
const POLL: Duration = Duration::from_millis(100);

/// Runs the benchmark on each backend in turn.
pub async fn run(plan: &FreshnessPlan) -> anyhow::Result<Vec<FreshnessResult>> {
    let mut results = Vec::new();
    for &backend in &plan.backends {
        tracing::info!(backend = backend.name(), "freshness");
        let database = Database::create(backend, &plan.postgres_url).await?;
        let result = measure(plan, backend, &database.url).await;
        database.drop().await;
        results.push(result?);
    }
    Ok(results)
}

/// One upload, followed: when it happened and when each stage saw it.
struct Followed {
    instance_id: i64,
    uploaded: DateTime<Utc>,
    in_database: Option<DateTime<Utc>>,
    searchable: Option<DateTime<Utc>>,
}

async fn measure(
    plan: &FreshnessPlan,
    backend: Backend,
    database_url: &str,
) -> anyhow::Result<FreshnessResult> {
    let fleet = Arc::new(
        Fleet::start(FleetConfig {
            instances: plan.instances,
            videos: plan.videos,
            seed: plan.seed,
            faults: 0.0,
            rate_limit: false,
            ..FleetConfig::default()
        })
        .await?,
    );
    let store = Store::open(&StoreConfig {
        database_url: database_url.to_owned(),
        ..StoreConfig::default()
    })
    .await?;
    let bases = fleet
        .instances()
        .iter()
        .map(|info| Url::parse(&info.base_url))
        .collect::<Result<Vec<_>, _>>()?;
    register(&store, &bases).await?;
    let instance_ids: Vec<i64> = {
        let mut ids = Vec::new();
        for info in fleet.instances() {
            let instance = store.instance_by_host(&info.host).await?;
            ids.push(instance.context("a registered instance")?.id);
        }
        ids
    };

    // Set-up, not measured: a first crawl without politeness delays, which
    // schedules every instance's next pass one interval later.
    let first = Crawler::new(
        store.clone(),
        CrawlerConfig {
            incremental_interval_secs: plan.interval_secs,
            concurrency_per_host: 8,
            ..CrawlerConfig::for_loopback_tests()
        },
    )?;
    let reports = first.crawl_once(None, &CancellationToken::new()).await?;
    if let Some(failed) = reports.iter().find(|report| report.error.is_some()) {
        bail!("the first crawl failed: {failed:?}");
    }

    let data_dir = tempfile::Builder::new()
        .prefix("florilege-freshness-")
        .tempdir()?;
    let listen = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?
    };
    let mut node = spawn_node(plan, database_url, data_dir.path(), listen)?;
    let base = format!("http://{listen}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let outcome = async {
        let expected = fleet.total_videos();
        wait_for_total(&client, &base, expected, &mut node).await?;
        follow_uploads(plan, &fleet, &instance_ids, &store, &client, &base).await
    }
    .await;
    let _ = node.kill().await;
    let followed = outcome.with_context(|| {
        format!(
            "the node's log: {}",
            data_dir.path().join("serve.log").display()
        )
    })?;
    let result = summarise(backend, &store, &followed).await;
    store.close().await;
    if let Ok(fleet) = Arc::try_unwrap(fleet) {
        fleet.shutdown().await;
    }
    result
}

fn spawn_node(
    plan: &FreshnessPlan,
    database_url: &str,
    data_dir: &std::path::Path,
    listen: std::net::SocketAddr,
) -> anyhow::Result<Child> {
    let log = std::fs::File::create(data_dir.join("serve.log"))?;
    Command::new(&plan.florilege)
        .arg("serve")
        .env("FLORILEGE_LOG", "warn")
        .env("FLORILEGE_DATA_DIR", data_dir)
        .env("FLORILEGE_DATABASE_URL", database_url)
        .env("FLORILEGE_LISTEN", listen.to_string())
        .env("FLORILEGE_CRAWLER_ALLOW_LOOPBACK", "true")
        .env(
            "FLORILEGE_CRAWLER_INCREMENTAL_INTERVAL_SECS",
            plan.interval_secs.to_string(),
        )
        .env(
            "FLORILEGE_CRAWLER_REQUESTS_PER_SECOND",
            plan.requests_per_second.to_string(),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", plan.florilege.display()))
}

/// Waits until the node's search finds every video of the fleet (its
/// indexer caught up with the first crawl).
async fn wait_for_total(
    client: &reqwest::Client,
    base: &str,
    expected: u64,
    node: &mut Child,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    let url = format!("{base}/api/v1/search/videos?count=1&nsfw=both");
    let mut total = None;
    while Instant::now() < deadline {
        if let Some(status) = node.try_wait()? {
            bail!("the node stopped: {status}");
        }
        total = search_total(client, &url).await;
        if total == Some(expected) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("the node's search never caught up: {total:?} of {expected} videos")
}

async fn search_total(client: &reqwest::Client, url: &str) -> Option<u64> {
    let response = client.get(url).send().await.ok()?;
    let answer: serde_json::Value = response.error_for_status().ok()?.json().await.ok()?;
    answer["total"].as_u64()
}

/// Uploads `plan.uploads` videos at random moments over two intervals, each
/// on a random instance, and follows each until it is searchable.
async fn follow_uploads(
    plan: &FreshnessPlan,
    fleet: &Arc<Fleet>,
    instance_ids: &[i64],
    store: &Store,
    client: &reqwest::Client,
    base: &str,
) -> anyhow::Result<Vec<Followed>> {
    let span = Duration::from_secs(plan.interval_secs * 2);
    let deadline = span + Duration::from_secs(plan.interval_secs + 180);
    let started = Instant::now();
    let mut rng = Rng::new(plan.seed);
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..plan.uploads {
        // Stratified: one upload in each slice of the span, at a random point of it.
        let slice = span.as_secs_f64() / plan.uploads.max(1) as f64;
        let at = Duration::from_secs_f64(slice * (k as f64 + rng.below(1000) as f64 / 1000.0));
        let instance = rng.index(instance_ids.len());
        let (fleet, store, client) = (Arc::clone(fleet), store.clone(), client.clone());
        let (base, instance_id) = (base.to_owned(), instance_ids[instance]);
        tasks.spawn(async move {
            tokio::time::sleep_until((started + at).into()).await;
            let video = fleet
                .upload(instance, 1)?
                .pop()
                .context("the fleet uploaded nothing")?;
            let mut followed = Followed {
                instance_id,
                uploaded: Utc::now(),
                in_database: None,
                searchable: None,
            };
            let search = format!(
                "{base}/api/v1/search/videos?search={}&nsfw=both&count=1",
                video.uuid
            );
            while started.elapsed() < deadline {
                if followed.in_database.is_none()
                    && store.video_by_uuid(&video.uuid).await?.is_some()
                {
                    followed.in_database = Some(Utc::now());
                }
                if followed.searchable.is_none()
                    && search_total(&client, &search)
                        .await
                        .is_some_and(|total| total > 0)
                {
                    followed.searchable = Some(Utc::now());
                }
                if followed.searchable.is_some() && followed.in_database.is_some() {
                    break;
                }
                tokio::time::sleep(POLL).await;
            }
            anyhow::Ok(followed)
        });
    }
    let mut followed = Vec::new();
    while let Some(done) = tasks.join_next().await {
        followed.push(done??);
    }
    Ok(followed)
}

/// Splits each delay along the pipeline with the node's crawl runs.
async fn summarise(
    backend: Backend,
    store: &Store,
    followed: &[Followed],
) -> anyhow::Result<FreshnessResult> {
    let instances: HashSet<i64> = followed.iter().map(|upload| upload.instance_id).collect();
    let mut runs: HashMap<i64, Vec<DateTime<Utc>>> = HashMap::new();
    for instance_id in instances {
        let started = store.crawl_runs(instance_id).await?;
        runs.insert(
            instance_id,
            started.into_iter().map(|run| run.started_at).collect(),
        );
    }
    let micros = |from: DateTime<Utc>, to: DateTime<Utc>| {
        u64::try_from((to - from).num_microseconds().unwrap_or(0)).unwrap_or(0)
    };
    let (mut wait, mut pass, mut index, mut total) = (vec![], vec![], vec![], vec![]);
    let mut missed = 0;
    for upload in followed {
        let (Some(in_database), Some(searchable)) = (upload.in_database, upload.searchable) else {
            missed += 1;
            continue;
        };
        // The pass that stored it: the last one started before it was stored.
        let pass_start = runs[&upload.instance_id]
            .iter()
            .copied()
            .filter(|&start| start <= in_database)
            .max()
            .unwrap_or(upload.uploaded)
            .max(upload.uploaded);
        wait.push(micros(upload.uploaded, pass_start));
        pass.push(micros(pass_start, in_database));
        index.push(micros(in_database, searchable));
        total.push(micros(upload.uploaded, searchable));
    }
    Ok(FreshnessResult {
        backend: backend.name(),
        uploads: followed.len(),
        missed,
        wait: latency(&mut wait),
        pass: latency(&mut pass),
        index: latency(&mut index),
        total: latency(&mut total),
    })
}

/// A Markdown table of the results.
pub fn report(plan: &FreshnessPlan, results: &[FreshnessResult]) -> String {
    let seconds = |latency: &Latency| {
        format!(
            "{:.1} / {:.1} / {:.1}",
            latency.p50_ms / 1000.0,
            latency.p90_ms / 1000.0,
            latency.max_ms / 1000.0
        )
    };
    let mut out = format!(
        "{} instances, {} videos, incremental interval {} s, {} requests/s per host, \
         {} uploads over {} s\n\n\
         | backend | found | upload → pass start (schedule, reference) | pass start → database | \
         database → searchable | upload → searchable | searchable / schedule (p50) |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        plan.instances,
        plan.videos,
        plan.interval_secs,
        plan.requests_per_second,
        plan.uploads,
        plan.interval_secs * 2,
    );
    for result in results {
        out.push_str(&format!(
            "| {} | {}/{} | {} | {} | {} | {} | {:.2} |\n",
            result.backend,
            result.uploads - result.missed,
            result.uploads,
            seconds(&result.wait),
            seconds(&result.pass),
            seconds(&result.index),
            seconds(&result.total),
            result.total.p50_ms / result.wait.p50_ms.max(1.0),
        ));
    }
    out.push_str("\nEach cell: p50 / p90 / max seconds.\n");
    out
}
