//! The command-line pipeline: import a fleet, crawl it, index the change feed, rebuild the index; and a running node's freshness.

mod common;

use bench::freshness::FreshnessPlan;
use bench::orchestrate::Backend;
use common::{CRAWL_LOOPBACK, run, stderr, stdout};
use peertube_sim::{Fleet, FleetConfig};
use store::{Store, StoreConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawled_videos_become_searchable_and_a_rebuild_agrees() {
    let fleet = Fleet::start(FleetConfig {
        instances: 5,
        videos: 600,
        seed: 3,
        rate_limit: false,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let url = fleet.hosts_list_url();
    let steps = tokio::task::spawn_blocking(move || {
        let private = [("FLORILEGE_ALLOW_PRIVATE_ADDRESSES", "true")];
        let import = run(
            &path,
            &["instances", "import", &url, "--scheme", "http"],
            &private,
            None,
        );
        let crawl = run(&path, &["crawl", "--once"], &CRAWL_LOOPBACK, None);
        let index = run(&path, &["index", "--once"], &[], None);
        let again = run(&path, &["index", "--once"], &[], None);
        let rebuild = run(&path, &["index", "--rebuild"], &[], None);
        [import, crawl, index, again, rebuild]
    })
    .await
    .unwrap();
    for step in &steps {
        assert!(step.status.success(), "{}", stderr(step));
    }
    let [_, crawl, index, again, rebuild] = &steps;
    assert!(
        stdout(crawl).contains("crawled 5 instances (0 failed)"),
        "{}",
        stdout(crawl)
    );
    assert!(stdout(index).starts_with("indexed "), "{}", stdout(index));
    assert!(
        stdout(again).starts_with("indexed 0 changes"),
        "{}",
        stdout(again)
    );

    let config = StoreConfig {
        database_url: format!("sqlite://{}", dir.path().join("florilege.db").display()),
        ..StoreConfig::default()
    };
    let store = Store::open(&config).await.unwrap();
    let visible = store.count_visible_videos().await.unwrap() as u64;
    assert_eq!(visible, fleet.total_videos());
    assert!(
        stdout(rebuild).contains(&format!("{visible} videos")),
        "{}",
        stdout(rebuild)
    );
    let searcher = index::Searcher::open(dir.path().join("index")).unwrap();
    assert_eq!(searcher.video_count().unwrap(), visible);
    store.close().await;
    fleet.shutdown().await;
}

/// Freshness end to end (the freshness benchmark, in small): on a running
/// `florilege serve`, a video uploaded on the fleet becomes searchable within
/// one incremental interval (give or take its jitter and the scheduler's
/// one-second tick), plus the pass and the indexer's commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_become_searchable_on_a_running_node_within_an_interval() {
    let plan = FreshnessPlan {
        instances: 3,
        videos: 150,
        seed: 5,
        uploads: 4,
        interval_secs: 4,
        requests_per_second: 20.0,
        backends: vec![Backend::Sqlite],
        postgres_url: String::new(),
        florilege: env!("CARGO_BIN_EXE_florilege").into(),
    };
    let results = bench::freshness::run(&plan).await.unwrap();
    let result = &results[0];
    let report = bench::freshness::report(&plan, &results);
    assert_eq!((result.uploads, result.missed), (4, 0), "{report}");
    // The next pass starts within the interval (+10 % jitter), the
    // scheduler's tick, and the end of a pass that was under way.
    assert!(result.wait.max_ms <= 4.4e3 + 3e3, "{report}");
    assert!(result.index.max_ms <= 10e3, "{report}");
    assert!(result.total.max_ms <= 30e3, "{report}");
}
