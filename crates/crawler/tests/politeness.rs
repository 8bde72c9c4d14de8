//! Politeness against PeerTube's rate limit: no 429 at the configured pace, and obeying Retry-After when pushed.

mod support;

use std::time::{Duration, Instant};

use crawler::{CancellationToken, Crawler, CrawlerConfig};
use peertube_sim::{FaultTuning, FleetConfig};
use store::Store;
use support::{assert_exact, fleet_in_store, sweeping_config};

/// PeerTube's limit, scaled down in time: 10 requests per 2 s (5 per second).
fn limited_fleet() -> FleetConfig {
    let tuning = FaultTuning {
        rate_limit_max: 10,
        rate_limit_window: Duration::from_secs(2),
        ..FaultTuning::default()
    };
    FleetConfig {
        instances: 3,
        videos: 90,
        seed: 21,
        rate_limit: true,
        tuning,
        ..FleetConfig::default()
    }
}

async fn a_crawl_at_the_configured_pace_gets_no_429(store: Store) {
    let (fleet, instances) = fleet_in_store(&store, limited_fleet()).await;
    let config = CrawlerConfig {
        requests_per_second: 4.0,
        concurrency_per_host: 1,
        ..sweeping_config()
    };
    let crawler = Crawler::new(store.clone(), config).unwrap();
    let started = Instant::now();
    let reports = crawler
        .crawl_once(None, &CancellationToken::new())
        .await
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        reports.iter().all(|report| report.error.is_none()),
        "{reports:?}"
    );
    let stats = fleet.stats();
    assert_eq!(
        stats.total.rate_limited, 0,
        "no 429 at 4 requests per second"
    );
    for (index, instance) in instances.iter().enumerate() {
        let requests = stats.instances[index].requests as f64;
        // n requests paced at 4/s need at least (n - 1) / 4 seconds.
        assert!(
            (requests - 1.0) / elapsed <= 4.0 * 1.05,
            "{}: {requests} requests in {elapsed:.1} s",
            instance.host
        );
        assert_exact(&store, &fleet, index, instance).await;
    }
    fleet.shutdown().await;
}

async fn an_unthrottled_crawl_slows_down_and_completes(store: Store) {
    let (fleet, instances) = fleet_in_store(&store, limited_fleet()).await;
    let config = CrawlerConfig {
        retries: 3,
        max_retry_after_secs: 5,
        ..sweeping_config()
    };
    let crawler = Crawler::new(store.clone(), config).unwrap();
    let reports = crawler
        .crawl_once(None, &CancellationToken::new())
        .await
        .unwrap();
    assert!(
        reports.iter().all(|report| report.error.is_none()),
        "{reports:?}"
    );
    for (index, instance) in instances.iter().enumerate() {
        assert_exact(&store, &fleet, index, instance).await;
    }
    // The X-RateLimit-Remaining headers make it slow down before most 429s;
    // those it still gets are waited out, never retried in a loop.
    let stats = fleet.stats();
    assert!(
        stats.total.rate_limited * 10 < stats.total.requests,
        "{:?}",
        stats.total
    );
    fleet.shutdown().await;
}

store::backend_tests!(
    a_crawl_at_the_configured_pace_gets_no_429,
    an_unthrottled_crawl_slows_down_and_completes
);
