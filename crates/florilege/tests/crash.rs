//! `florilege crawl` killed with SIGKILL at several moments resumes and ends exactly where a clean crawl would.

#[expect(dead_code, reason = "shared helpers, of which this test uses some")]
mod common;
#[expect(
    dead_code,
    reason = "the crawler tests' helpers, of which this test uses one"
)]
#[path = "../../crawler/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use peertube_sim::{Fleet, FleetConfig};
use store::{InstanceStatus, Store, StoreConfig};

/// Each run takes the leases of the killed one back at once (same worker name).
const CRAWL_ONCE: [&str; 4] = ["crawl", "--once", "--worker", "crash"];

fn florilege(data_dir: &Path) -> Command {
    let mut command = common::command(data_dir);
    command
        .envs(common::CRAWL_LOOPBACK)
        .env("FLORILEGE_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawl_killed_repeatedly_ends_exact() {
    let fleet = Fleet::start(FleetConfig {
        instances: 6,
        videos: 4000,
        seed: 77,
        rate_limit: false,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let url = fleet.hosts_list_url();
    let import = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || {
            florilege(&path)
                .args(["instances", "import", &url, "--scheme", "http"])
                .env("FLORILEGE_ALLOW_PRIVATE_ADDRESSES", "true")
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );

    // Kill the crawl at growing moments: in the identity checks, in the
    // middle of pages and details, in the deletion checks.
    let mut kills = 0;
    for delay_ms in [150u64, 400, 700, 1000, 1400, 1900, 2500] {
        let mut child = florilege(&path).args(CRAWL_ONCE).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(
        kills >= 3,
        "the crawl must have been killed mid-way at least 3 times, not {kills}"
    );

    let last = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || florilege(&path).args(CRAWL_ONCE).output().unwrap())
            .await
            .unwrap()
    };
    assert!(
        last.status.success(),
        "{}",
        String::from_utf8_lossy(&last.stderr)
    );

    let config = StoreConfig {
        database_url: format!("sqlite://{}", path.join("florilege.db").display()),
        ..StoreConfig::default()
    };
    let store = Store::open(&config).await.unwrap();
    let instances = store
        .list_instances(Some(InstanceStatus::Approved))
        .await
        .unwrap();
    assert_eq!(instances.len(), fleet.len());
    for info in fleet.instances() {
        let instance = instances
            .iter()
            .find(|instance| instance.host == info.host)
            .unwrap();
        support::assert_exact(&store, &fleet, info.index, instance).await;
    }
    store.close().await;
    fleet.shutdown().await;
}
