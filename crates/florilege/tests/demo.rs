//! `florilege demo` end to end: the binary starts a fleet, crawls it, indexes it, seeds selections and serves the site.

#[expect(dead_code, reason = "shared helpers, of which this test uses one")]
mod common;

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

/// Reads the demo's banner until the site's address, then keeps reading in
/// the background: closing the pipe would make the demo's next line fail
/// (broken pipe) and stop it.
fn site_address(stdout: impl std::io::Read + Send + 'static) -> String {
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.expect("a line of the banner");
        if let Some(url) = line.trim().strip_prefix("Site:") {
            std::thread::spawn(move || lines.for_each(drop));
            return url.trim().trim_end_matches('/').to_owned();
        }
    }
    panic!("the demo printed no site address");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_a_living_showcase() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = common::command(dir.path())
        .args([
            "demo",
            "--instances",
            "6",
            "--videos",
            "300",
            "--faults",
            "0.2",
        ])
        .env("FLORILEGE_LISTEN", "127.0.0.1:0")
        // Its logs go to a file: a pipe nobody reads would fill and stall it.
        .stderr(std::fs::File::create(dir.path().join("demo.log")).unwrap())
        .spawn()
        .expect("start the demo");
    let stdout = child.stdout.take().unwrap();
    let base = tokio::task::spawn_blocking(move || site_address(stdout))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut selections = serde_json::Value::Null;
    while Instant::now() < deadline {
        if let Ok(response) = client.get(format!("{base}/api/v1/selections")).send().await {
            selections = response.json().await.unwrap_or_default();
            if selections["total"].as_i64().unwrap_or(0) > 0 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let log = || std::fs::read_to_string(dir.path().join("demo.log")).unwrap_or_default();
    let found: serde_json::Value = client
        .get(format!("{base}/api/v1/search/videos?count=1"))
        .send()
        .await
        .unwrap_or_else(|error| panic!("{error}; the demo's log:\n{}", log()))
        .json()
        .await
        .unwrap();
    let home = client
        .get(format!("{base}/fr/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        found["total"].as_u64().unwrap_or(0) > 100,
        "videos are searchable: {found}"
    );
    assert!(
        selections["total"].as_i64().unwrap_or(0) >= 1,
        "selections are published: {selections}"
    );
    assert!(home.contains("selection-card"), "the home page shows them");
}
