//! After a crawl the database equals the fleet: first crawl, uploads, edits, deletions, and changes during a pass.

mod support;

use crawler::{CancellationToken, Crawler, CrawlerConfig};
use peertube_sim::{ChurnConfig, FleetConfig};
use store::{CrawlRunKind, Store};
use support::{assert_exact, fleet_in_store, sweeping_config};

fn fleet_config(seed: u64) -> FleetConfig {
    FleetConfig {
        instances: 4,
        videos: 700,
        seed,
        rate_limit: false,
        ..FleetConfig::default()
    }
}

async fn a_healthy_fleet_is_copied_exactly(store: Store) {
    let (fleet, instances) = fleet_in_store(&store, fleet_config(11)).await;
    let crawler = Crawler::new(store.clone(), sweeping_config()).unwrap();
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
        let stored = store.instance(instance.id).await.unwrap().unwrap();
        assert_eq!(stored.software.as_deref(), Some("peertube"));
        assert!(
            stored.name.is_some()
                && stored.last_success_at.is_some()
                && stored.next_crawl_at.is_some()
        );
    }
    // A second crawl of an unchanged fleet changes nothing.
    let again = crawler
        .crawl_once(None, &CancellationToken::new())
        .await
        .unwrap();
    assert!(
        again
            .iter()
            .all(|r| r.counters.videos_new == 0 && r.counters.videos_updated == 0),
        "{again:?}"
    );
    fleet.shutdown().await;
}

async fn uploads_edits_and_deletions_between_passes_are_followed(store: Store) {
    let (fleet, instances) = fleet_in_store(&store, fleet_config(12)).await;
    let incremental = CrawlerConfig {
        sweep_interval_secs: 3600,
        ..CrawlerConfig::for_loopback_tests()
    };
    let crawler = Crawler::new(store.clone(), incremental).unwrap();
    let cancel = CancellationToken::new();
    crawler.crawl_once(None, &cancel).await.unwrap();

    // New uploads are found by an incremental pass, reading only the newest
    // page and the new videos' details (identity, robots.txt and followings
    // wait for the next sweep).
    fleet.upload(0, 5).unwrap();
    let reports = crawler
        .crawl_once(Some(&instances[0].host), &cancel)
        .await
        .unwrap();
    assert_eq!(reports[0].kind, CrawlRunKind::Incremental);
    assert_eq!(reports[0].counters.videos_new, 5, "{reports:?}");
    assert_eq!(reports[0].counters.pages, 1);
    assert_eq!(reports[0].counters.requests, 1 + 5, "{reports:?}");
    assert_exact(&store, &fleet, 0, &instances[0]).await;

    // Edits and deletions are found by a sweep.
    let local = fleet.info(1).unwrap().local_videos;
    fleet.edit(1, 3).unwrap();
    fleet.edit(1, local - 1).unwrap();
    fleet.delete(1, 7).unwrap();
    fleet.delete(1, 8).unwrap();
    let sweeper = Crawler::new(store.clone(), sweeping_config()).unwrap();
    let reports = sweeper
        .crawl_once(Some(&instances[1].host), &cancel)
        .await
        .unwrap();
    assert_eq!(reports[0].kind, CrawlRunKind::Sweep);
    assert_eq!(
        (
            reports[0].counters.videos_updated >= 2,
            reports[0].counters.videos_deleted
        ),
        (true, 2),
        "{reports:?}"
    );
    assert_exact(&store, &fleet, 1, &instances[1]).await;
    fleet.shutdown().await;
}

async fn uploads_and_deletions_during_a_sweep_leave_no_gap_and_no_wrong_deletion(store: Store) {
    let (fleet, instances) = fleet_in_store(&store, fleet_config(13)).await;
    let biggest = (0..instances.len())
        .max_by_key(|&i| fleet.info(i).unwrap().local_videos)
        .unwrap();
    let churn = ChurnConfig {
        upload_every_n_list_requests: 1,
        edit_every_n_list_requests: 2,
        delete_every_n_list_requests: 2,
    };
    fleet.set_churn(biggest, churn).unwrap();
    let crawler = Crawler::new(store.clone(), sweeping_config()).unwrap();
    let cancel = CancellationToken::new();
    let host = instances[biggest].host.clone();
    let reports = crawler.crawl_once(Some(&host), &cancel).await.unwrap();
    assert!(reports[0].error.is_none(), "{reports:?}");
    // Pages shifted under the sweep: nothing it saw may be lost, nothing
    // still there deleted. Once the fleet is still, one more sweep is exact.
    fleet.set_churn(biggest, ChurnConfig::default()).unwrap();
    crawler.crawl_once(Some(&host), &cancel).await.unwrap();
    assert_exact(&store, &fleet, biggest, &instances[biggest]).await;
    fleet.shutdown().await;
}

store::backend_tests!(
    a_healthy_fleet_is_copied_exactly,
    uploads_edits_and_deletions_between_passes_are_followed,
    uploads_and_deletions_during_a_sweep_leave_no_gap_and_no_wrong_deletion,
);
