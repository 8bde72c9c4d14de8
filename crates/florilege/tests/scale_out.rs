//! Scale-out on one PostgreSQL: two `florilege crawl` workers (one killed mid-crawl) and two web nodes with their own index replicas.
//!
//! Runs when `FLORILEGE_TEST_POSTGRES_URL` names a server. The surviving
//! worker takes the killed worker's instances over once their leases expire
//! and resumes their sweeps; at the end the database equals the fleet, no
//! instance was crawled by two workers at once or swept twice, and both web
//! nodes answer searches alike, with every visible video.

#[expect(dead_code, reason = "shared helpers, of which this test uses some")]
mod common;
#[expect(
    dead_code,
    reason = "the crawler tests' helpers, of which this test uses one"
)]
#[path = "../../crawler/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use peertube_sim::{Fleet, FleetConfig};
use serde_json::Value;
use store::testing::TestStore;
use store::{CrawlRun, CrawlRunStatus, Instance, InstanceStatus, Store};

/// Short leases, so that the killed worker's instances are taken over quickly.
const LEASE_SECS: &str = "3";
/// How long the whole crawl may take.
const CRAWL_DEADLINE: Duration = Duration::from_secs(90);

/// Child processes, killed when the test ends (also when it fails).
#[derive(Default)]
struct Processes(Vec<Option<Child>>);

impl Processes {
    fn add(&mut self, child: Child) -> usize {
        self.0.push(Some(child));
        self.0.len() - 1
    }

    /// Kills one with SIGKILL.
    fn kill(&mut self, which: usize) {
        let mut child = self.0[which].take().expect("a running process");
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }

    fn assert_running(&mut self) {
        for child in self.0.iter_mut().flatten() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("a florilege process exited early: {status}");
            }
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for child in self.0.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn florilege(data_dir: &Path, database_url: &str) -> std::process::Command {
    let mut command = common::command(data_dir);
    command
        .env("FLORILEGE_DATABASE_URL", database_url)
        .env("FLORILEGE_LOG", "warn")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    command
}

fn crawl_worker(data_dir: &Path, database_url: &str, name: &str) -> Child {
    florilege(data_dir, database_url)
        .args(["crawl", "--worker", name])
        .envs(common::CRAWL_LOOPBACK)
        .env("FLORILEGE_CRAWLER_LEASE_SECS", LEASE_SECS)
        .env("FLORILEGE_CRAWLER_PARALLEL_INSTANCES", "2")
        .stdout(Stdio::null())
        .spawn()
        .expect("start a crawl worker")
}

/// Starts `florilege serve --no-crawl` and returns it with its address.
fn web_node(data_dir: &Path, database_url: &str, consumer: &str) -> (Child, String) {
    let mut child = florilege(data_dir, database_url)
        .args(["serve", "--no-crawl", "--consumer", consumer])
        .env("FLORILEGE_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start a web node");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .strip_prefix("Florilège is serving on ")
        .unwrap_or_else(|| panic!("unexpected first line of serve: {line:?}"))
        .to_owned();
    (child, address)
}

/// Polls `done` every 200 ms until it holds, or fails after `deadline`.
async fn wait_until<F: AsyncFnMut() -> bool>(what: &str, deadline: Duration, mut done: F) {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// An instance leased by `worker` whose sweep has saved at least one page.
async fn sweeping_under(store: &Store, instances: &[Instance], worker: &str) -> bool {
    for instance in instances {
        let leased = store.lease(instance.id).await.unwrap();
        if leased.is_none_or(|lease| lease.owner != worker) {
            continue;
        }
        let state: Value = store.crawl_state(instance.id).await.unwrap();
        if state["sweep"]["next_start"].as_u64().unwrap_or(0) > 0 {
            return true;
        }
    }
    false
}

/// Every instance has a finished successful run and nobody holds it.
async fn all_crawled(store: &Store, instances: &[Instance]) -> bool {
    for instance in instances {
        let runs = store.crawl_runs(instance.id).await.unwrap();
        let succeeded = runs
            .iter()
            .any(|run| run.status == CrawlRunStatus::Succeeded);
        if !succeeded || store.lease(instance.id).await.unwrap().is_some() {
            return false;
        }
    }
    true
}

/// One worker at a time, one successful pass, one completed sweep, and no
/// page listed twice but those a killed worker may have fetched without
/// saving: a sweep writes [`crawler::PAGES_PER_WRITE`] pages in one
/// transaction while it prepares the next page and lists the one after, so
/// that is two pages more than a write per kill. (A worker killed after its
/// sweep was saved leaves an incremental pass to its successor: one page.)
fn assert_one_pass(instance: &Instance, runs: &[CrawlRun], expected: u64, list_requests: u64) {
    let host = &instance.host;
    for pair in runs.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        let finished = before.finished_at.expect("every run ended");
        assert!(
            finished <= after.started_at,
            "{host}: run {} by {:?} overlaps run {} by {:?}",
            before.id,
            before.worker,
            after.id,
            after.worker
        );
    }
    let (last, interrupted) = runs.split_last().expect("a run");
    assert_eq!(last.status, CrawlRunStatus::Succeeded, "{host}: {runs:?}");
    assert!(
        interrupted
            .iter()
            .all(|run| run.status == CrawlRunStatus::Interrupted),
        "{host}: {runs:?}"
    );
    assert!(instance.last_full_sweep_at.is_some(), "{host}: swept");
    let pages = expected / 100 + 1;
    let interrupted = interrupted.len() as u64;
    let unsaved_per_kill = u64::from(crawler::PAGES_PER_WRITE) + 2;
    assert!(
        list_requests <= pages + unsaved_per_kill * interrupted,
        "{host}: {list_requests} list pages requested for {pages} pages and {interrupted} interruptions"
    );
}

async fn search(http: &reqwest::Client, node: &str, query: &str) -> Value {
    let url = format!("{node}/api/v1/search/videos?nsfw=both&{query}");
    let answer = http.get(&url).send().await.unwrap();
    assert!(answer.status().is_success(), "{url}: {}", answer.status());
    answer.json().await.unwrap()
}

/// The uuids of a search's answer, in order.
fn uuids(answer: &Value) -> Vec<String> {
    answer["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|video| video["uuid"].as_str().unwrap().to_owned())
        .collect()
}

/// A few searches taken from the words of stored video names.
async fn sample_queries(store: &Store, instances: &[Instance]) -> Vec<String> {
    let mut queries = vec!["sort=-publishedAt&count=50".to_owned()];
    for instance in instances.iter().take(4) {
        let videos = store.videos_of_instance(instance.id).await.unwrap();
        let word = videos
            .iter()
            .flat_map(|video| video.name.split_whitespace())
            .find(|word| word.len() > 4 && word.chars().all(char::is_alphanumeric));
        if let Some(word) = word {
            queries.push(format!("search={word}&sort=-publishedAt&count=30"));
        }
    }
    queries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_one_killed_and_two_web_nodes_agree() {
    let Some(test) = TestStore::postgres().await else {
        return;
    };
    let database_url = test.config.database_url.clone();
    let store = test.store.clone();
    let fleet = Fleet::start(FleetConfig {
        instances: 8,
        videos: 3000,
        seed: 2026,
        rate_limit: false,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let dirs: Vec<tempfile::TempDir> = (0..5).map(|_| tempfile::tempdir().unwrap()).collect();
    let import = florilege(dirs[0].path(), &database_url)
        .args(["instances", "import", &fleet.hosts_list_url()])
        .args(["--scheme", "http"])
        .env("FLORILEGE_ALLOW_PRIVATE_ADDRESSES", "true")
        .output()
        .unwrap();
    assert!(import.status.success(), "{}", common::stderr(&import));
    let instances = store
        .list_instances(Some(InstanceStatus::Approved))
        .await
        .unwrap();
    assert_eq!(instances.len(), fleet.len());

    let mut processes = Processes::default();
    let mut nodes = Vec::new();
    for (dir, consumer) in [(&dirs[1], "web-a"), (&dirs[2], "web-b")] {
        let (child, address) = web_node(dir.path(), &database_url, consumer);
        processes.add(child);
        nodes.push(address);
    }
    let doomed = processes.add(crawl_worker(dirs[3].path(), &database_url, "doomed"));
    processes.add(crawl_worker(dirs[4].path(), &database_url, "survivor"));

    wait_until(
        "the doomed worker is mid-sweep",
        CRAWL_DEADLINE,
        async || sweeping_under(&store, &instances, "doomed").await,
    )
    .await;
    processes.kill(doomed);
    wait_until("every instance is crawled", CRAWL_DEADLINE, async || {
        all_crawled(&store, &instances).await
    })
    .await;
    processes.assert_running();

    let stats = fleet.stats();
    let mut taken_over = 0;
    for info in fleet.instances() {
        let instance = &store.instance_by_host(&info.host).await.unwrap().unwrap();
        support::assert_exact(&store, &fleet, info.index, instance).await;
        let runs = store.crawl_runs(instance.id).await.unwrap();
        let expected = fleet.expected_videos(info.index).unwrap().count() as u64;
        let list_requests = stats.instances[info.index].list_requests;
        assert_one_pass(instance, &runs, expected, list_requests);
        taken_over += runs
            .iter()
            .filter(|run| run.worker.as_deref() == Some("doomed"))
            .filter(|run| run.status == CrawlRunStatus::Interrupted)
            .count();
    }
    assert!(taken_over >= 1, "the survivor took an instance over");

    let visible = store.count_visible_videos().await.unwrap();
    assert_eq!(visible as u64, fleet.total_videos());
    let head = store.feed_head().await.unwrap();
    for consumer in ["web-a", "web-b"] {
        wait_until(
            "both replicas read the whole feed",
            CRAWL_DEADLINE,
            async || store.feed_cursor(consumer).await.unwrap() >= head,
        )
        .await;
    }
    let http = reqwest::Client::new();
    for node in &nodes {
        wait_until(
            "the web node searches what it indexed",
            CRAWL_DEADLINE,
            async || search(&http, node, "count=0").await["total"].as_i64() == Some(visible),
        )
        .await;
    }
    // The searchers reload within a second of the last commit.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for query in sample_queries(&store, &instances).await {
        let a = search(&http, &nodes[0], &query).await;
        let b = search(&http, &nodes[1], &query).await;
        assert_eq!(a["total"], b["total"], "{query}");
        assert_eq!(uuids(&a), uuids(&b), "{query}");
        assert!(!uuids(&a).is_empty(), "{query} finds videos");
    }

    drop(processes);
    fleet.shutdown().await;
    test.cleanup().await;
}
