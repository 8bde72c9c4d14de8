//! A video fetched on demand (an editor pasted its address): only from
//! approved instances, only their own public videos, stored as a crawl would.

mod support;

use crawler::{CancellationToken, Crawler, FetchVideoError};
use peertube_sim::FleetConfig;
use store::{InstanceStatus, Store};
use support::{assert_exact, fleet_in_store, sweeping_config};

/// Three small instances, no rate limit.
fn fleet_config(seed: u64) -> FleetConfig {
    FleetConfig {
        instances: 3,
        videos: 90,
        seed,
        rate_limit: false,
        ..FleetConfig::default()
    }
}

async fn a_video_not_yet_crawled_is_fetched_and_the_next_crawl_agrees(store: Store) {
    let (fleet, instances) = fleet_in_store(&store, fleet_config(21)).await;
    let crawler = Crawler::new(store.clone(), sweeping_config()).unwrap();
    let host = &instances[0].host;

    // Nothing crawled yet: the video is read by its short uuid, with its details.
    let want = fleet.video(0, 3).unwrap().unwrap();
    let id = crawler.fetch_video(host, &want.short_uuid).await.unwrap();
    let got = store.video(id).await.unwrap().unwrap();
    assert_eq!(
        (got.uuid.as_str(), got.name.as_str(), got.instance_id),
        (want.uuid.as_str(), want.name.as_str(), instances[0].id)
    );
    assert_eq!(got.description.as_deref(), Some(want.description.as_str()));
    assert_eq!(&*got.tags, want.tags.as_slice());
    assert!(got.details_fetched_at.is_some());
    let channel = store
        .channel(got.channel_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(channel.name, want.channel.name);
    assert!(got.account_id.is_some());

    // Asked again by its full uuid: the same row, nothing duplicated.
    assert_eq!(crawler.fetch_video(host, &want.uuid).await.unwrap(), id);
    assert_eq!(store.count_videos(instances[0].id).await.unwrap(), 1);

    // The crawl that follows knows it already and ends exact.
    let reports = crawler
        .crawl_once(Some(host), &CancellationToken::new())
        .await
        .unwrap();
    let local = fleet.info(0).unwrap().local_videos;
    assert_eq!(
        reports[0].counters.videos_new,
        i64::try_from(local).unwrap() - 1,
        "{reports:?}"
    );
    assert_exact(&store, &fleet, 0, &instances[0]).await;
    assert_eq!(
        store.video(id).await.unwrap().unwrap().first_seen_at,
        got.first_seen_at
    );
    fleet.shutdown().await;
}

async fn only_public_local_videos_of_approved_instances_are_fetched(store: Store) {
    let (fleet, instances) = fleet_in_store(&store, fleet_config(22)).await;
    let crawler = Crawler::new(store.clone(), sweeping_config()).unwrap();
    let video = fleet.video(1, 0).unwrap().unwrap();

    // A host Florilège does not know.
    let unknown = crawler.fetch_video("elsewhere.example", &video.uuid).await;
    assert!(
        matches!(&unknown, Err(FetchVideoError::NotApproved(host)) if host == "elsewhere.example"),
        "{unknown:?}"
    );
    // A known instance that is not approved (paused here) is not read.
    store
        .set_instance_status(instances[1].id, InstanceStatus::Paused)
        .await
        .unwrap();
    let paused = crawler.fetch_video(&instances[1].host, &video.uuid).await;
    assert!(
        matches!(paused, Err(FetchVideoError::NotApproved(_))),
        "{paused:?}"
    );
    // An identifier the instance does not have (404), or not an identifier (400).
    for id in ["7c4f3c1e-2f4e-4b8a-9d6b-0c1d2e3f4a5b", "not-an-id"] {
        let missing = crawler.fetch_video(&instances[0].host, id).await;
        assert!(
            matches!(missing, Err(FetchVideoError::NotFound(_))),
            "{id}: {missing:?}"
        );
    }
    // A video another instance federates: stored only from its origin.
    let (follower, origin) = (0..instances.len())
        .find_map(|i| {
            let follows = fleet.info(i).unwrap().follows;
            follows.first().map(|&origin| (i, origin))
        })
        .expect("an instance that follows another");
    let federated = fleet.video(origin, 0).unwrap().unwrap();
    let refused = crawler
        .fetch_video(&instances[follower].host, &federated.uuid)
        .await;
    assert!(
        matches!(refused, Err(FetchVideoError::NotFound(_))),
        "{refused:?}"
    );
    for instance in &instances {
        assert_eq!(
            store.count_videos(instance.id).await.unwrap(),
            0,
            "nothing was stored"
        );
    }
    fleet.shutdown().await;
}

store::backend_tests!(
    a_video_not_yet_crawled_is_fetched_and_the_next_crawl_agrees,
    only_public_local_videos_of_approved_instances_are_fetched,
);
