//! Crawl leases seen from the crawler: `crawl_once` leaves alone what another worker holds; a worker that lost its lease stops and cannot move the cursor.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use crawler::{CancellationToken, CrawlEvent, Crawler, CrawlerConfig, CrawlerError};
use peertube_sim::FleetConfig;
use serde_json::Value;
use store::{CrawlRunStatus, Store};
use support::{assert_exact, fleet_in_store, sweeping_config};

const MINUTE: TimeDelta = TimeDelta::seconds(60);

fn fleet_config(instances: usize, videos: u64) -> FleetConfig {
    FleetConfig {
        instances,
        videos,
        seed: 31,
        rate_limit: false,
        ..FleetConfig::default()
    }
}

/// Where the instance's sweep would resume.
async fn sweep_cursor(store: &Store, instance_id: i64) -> u64 {
    let state: Value = store.crawl_state(instance_id).await.unwrap();
    state["sweep"]["next_start"].as_u64().unwrap_or(0)
}

async fn crawl_once_leaves_instances_held_by_another_worker(store: Store) {
    let (fleet, instances) = fleet_in_store(&store, fleet_config(3, 300)).await;
    let held = &instances[0];
    store
        .claim_instance(held.id, "scheduled", MINUTE)
        .await
        .unwrap()
        .expect("a free instance");
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let crawler = Crawler::new(store.clone(), sweeping_config())
        .unwrap()
        .with_events(events);
    let cancel = CancellationToken::new();
    let reports = crawler.crawl_once(None, &cancel).await.unwrap();
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(reports.iter().all(|report| report.host != held.host));
    assert!(store.videos_of_instance(held.id).await.unwrap().is_empty());
    for (index, instance) in instances.iter().enumerate().skip(1) {
        assert_exact(&store, &fleet, index, instance).await;
        assert_eq!(store.lease(instance.id).await.unwrap(), None, "released");
    }
    drop(crawler);
    let mut skipped = Vec::new();
    while let Some(event) = received.recv().await {
        if let CrawlEvent::Skipped { host, owner } = event {
            skipped.push((host, owner));
        }
    }
    assert_eq!(skipped, [(held.host.clone(), "scheduled".to_owned())]);

    let crawler = Crawler::new(store.clone(), sweeping_config()).unwrap();
    let refused = crawler.crawl_once(Some(&held.host), &cancel).await;
    assert!(
        matches!(&refused, Err(CrawlerError::Leased { owner, .. }) if owner == "scheduled"),
        "{:?}",
        refused.map(|reports| reports.len())
    );
    fleet.shutdown().await;
}

async fn a_worker_that_lost_its_lease_stops_and_cannot_move_the_cursor(store: Store) {
    let (fleet, instances) = fleet_in_store(&store, fleet_config(1, 600)).await;
    let instance = &instances[0];
    let config = CrawlerConfig {
        lease_secs: 3,
        requests_per_second: 50.0,
        ..sweeping_config()
    };
    let crawler = Crawler::new(store.clone(), config)
        .unwrap()
        .with_worker_name("stalled");
    let cancel = CancellationToken::new();
    let running = tokio::spawn(Arc::new(crawler).run(cancel.clone()));
    let start = Instant::now();
    while sweep_cursor(&store, instance.id).await == 0 {
        assert!(start.elapsed() < Duration::from_secs(30), "no page saved");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Another worker takes the instance over, as if the lease had expired.
    assert!(store.release_lease(instance.id, "stalled").await.unwrap());
    store
        .claim_instance(instance.id, "taker", MINUTE)
        .await
        .unwrap()
        .expect("a released instance");
    let cursor = sweep_cursor(&store, instance.id).await;
    let run = loop {
        let runs = store.crawl_runs(instance.id).await.unwrap();
        let run = runs.last().unwrap().clone();
        if run.status != CrawlRunStatus::Running {
            break run;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "still crawling");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(run.status, CrawlRunStatus::Interrupted, "{run:?}");
    assert!(
        run.error.as_deref().unwrap().contains("lease lost"),
        "{run:?}"
    );
    assert_eq!(sweep_cursor(&store, instance.id).await, cursor, "fenced");
    let (stored, expected) = (
        store.videos_of_instance(instance.id).await.unwrap().len(),
        fleet.expected_videos(0).unwrap().count(),
    );
    assert!(stored < expected, "stopped before the end of its sweep");

    // It does not take the instance back while the taker holds it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cancel.cancel();
    running.await.unwrap().unwrap();
    assert_eq!(
        store.lease(instance.id).await.unwrap().unwrap().owner,
        "taker"
    );
    assert_eq!(store.crawl_runs(instance.id).await.unwrap().len(), 1);
    fleet.shutdown().await;
}

store::backend_tests!(
    crawl_once_leaves_instances_held_by_another_worker,
    a_worker_that_lost_its_lease_stops_and_cannot_move_the_cursor,
);
