//! The command-line pipeline: import a fleet, crawl it, index the change feed, rebuild the index.

mod common;

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
