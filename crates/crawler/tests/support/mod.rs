//! Shared helpers of the crawler tests: a fleet registered in a store, and the exactness check.

use std::collections::HashMap;

use crawler::CrawlerConfig;
use peertube_sim::{Fleet, FleetConfig};
use store::{Instance, InstanceAddress, InstanceOrigin, InstanceStatus, NewInstance, Store};

/// Starts a fleet without rate limit and registers its instances as approved.
pub async fn fleet_in_store(store: &Store, config: FleetConfig) -> (Fleet, Vec<Instance>) {
    let fleet = Fleet::start(config)
        .await
        .expect("start the simulated fleet");
    let mut instances = Vec::new();
    for info in fleet.instances() {
        let new = NewInstance {
            address: InstanceAddress::parse(&info.base_url, "http").unwrap(),
            status: InstanceStatus::Approved,
            origin: InstanceOrigin::Cli,
            discovered_from: None,
        };
        instances.push(store.add_instance(&new).await.unwrap().0);
    }
    (fleet, instances)
}

/// Loopback-only crawling, no politeness delays, every crawl a full sweep.
pub fn sweeping_config() -> CrawlerConfig {
    CrawlerConfig {
        sweep_interval_secs: 0,
        ..CrawlerConfig::for_loopback_tests()
    }
}

/// The database holds exactly the instance's current local videos, field by field.
pub async fn assert_exact(store: &Store, fleet: &Fleet, index: usize, instance: &Instance) {
    let expected: HashMap<String, peertube_sim::SimVideo> = fleet
        .expected_videos(index)
        .unwrap()
        .map(|video| (video.uuid.clone(), video))
        .collect();
    let stored = store.videos_of_instance(instance.id).await.unwrap();
    let stored: HashMap<&str, &store::Video> = stored
        .iter()
        .map(|video| (video.uuid.as_str(), video))
        .collect();
    let missing: Vec<&String> = expected
        .keys()
        .filter(|uuid| !stored.contains_key(uuid.as_str()))
        .collect();
    let extra: Vec<&&str> = stored
        .keys()
        .filter(|uuid| !expected.contains_key(**uuid))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{}: {} missing, {} extra (of {} expected)",
        instance.host,
        missing.len(),
        extra.len(),
        expected.len()
    );
    for (uuid, want) in &expected {
        let got = stored[uuid.as_str()];
        let context = format!("{} video {uuid}", instance.host);
        assert_eq!(got.name, want.name, "{context}: name");
        assert_eq!(
            got.description.as_deref(),
            Some(want.description.as_str()),
            "{context}: description"
        );
        assert_eq!(&*got.tags, want.tags.as_slice(), "{context}: tags");
        assert_eq!(got.support, want.support, "{context}: support");
        assert_eq!(
            got.short_uuid.as_deref(),
            Some(want.short_uuid.as_str()),
            "{context}: short uuid"
        );
        assert_eq!(got.duration, want.duration as i64, "{context}: duration");
        assert_eq!(got.views, want.views as i64, "{context}: views");
        assert_eq!(got.likes, want.likes as i64, "{context}: likes");
        assert_eq!(got.language_id, want.language, "{context}: language");
        assert_eq!(
            got.category_id,
            want.category.map(i64::from),
            "{context}: category"
        );
        assert_eq!(
            got.licence_id,
            want.licence.map(i64::from),
            "{context}: licence"
        );
        assert_eq!(
            (got.nsfw, got.is_live),
            (want.nsfw, want.is_live),
            "{context}: flags"
        );
        assert_eq!(
            got.published_at, want.published_at,
            "{context}: publishedAt"
        );
        assert_eq!(
            got.remote_updated_at,
            Some(want.updated_at),
            "{context}: updatedAt"
        );
        assert!(got.details_fetched_at.is_some(), "{context}: details");
        let channel = store
            .channel(got.channel_id.expect("a channel"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(channel.name, want.channel.name, "{context}: channel");
    }
}
