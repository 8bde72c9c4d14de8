//! Channels' details and playlists, followed hosts as candidates, and the checks of a submitted instance.

mod support;

use std::collections::HashMap;

use crawler::{CancellationToken, Crawler};
use peertube_sim::{FaultMode, Fleet, FleetConfig};
use store::{InstanceAddress, InstanceOrigin, InstanceStatus, NewInstance, Store};
use support::{assert_exact, fleet_in_store, sweeping_config};

fn fleet_config() -> FleetConfig {
    FleetConfig {
        instances: 4,
        videos: 400,
        seed: 31,
        rate_limit: false,
        ..FleetConfig::default()
    }
}

async fn channels_get_their_details_and_public_playlists(store: Store) {
    let (fleet, instances) = fleet_in_store(&store, fleet_config()).await;
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
        let expected: HashMap<String, peertube_sim::SimPlaylist> = fleet
            .expected_playlists(index)
            .unwrap()
            .into_iter()
            .map(|p| (p.uuid.clone(), p))
            .collect();
        let stored = store.playlists_of_instance(instance.id).await.unwrap();
        assert_eq!(stored.len(), expected.len(), "{}: playlists", instance.host);
        for playlist in &stored {
            let want = &expected[&playlist.uuid];
            assert_eq!(playlist.name, want.display_name);
            assert_eq!(playlist.videos_length, want.videos_length as i64);
            let channel = store
                .channel(playlist.channel_id.unwrap())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(channel.name, want.channel.name);
        }
        for channel in fleet.expected_channels(index).unwrap() {
            let ids = store
                .channel_ids_of(store::VideoOwner::Instance, instance.id)
                .await
                .unwrap();
            let documents = store.channel_documents(&ids).await.unwrap();
            if let Some(stored) = documents.iter().find(|d| d.channel.name == channel.name) {
                assert_eq!(
                    stored.channel.description, channel.description,
                    "{}",
                    channel.name
                );
                assert_eq!(stored.channel.support, channel.support, "{}", channel.name);
                assert!(stored.channel.details_fetched_at.is_some());
            }
        }
    }
    fleet.shutdown().await;
}

async fn followed_hosts_become_pending_candidates(store: Store) {
    let fleet = Fleet::start(fleet_config()).await.unwrap();
    let infos = fleet.instances();
    let follower = infos
        .iter()
        .find(|info| !info.follows.is_empty())
        .expect("an instance that follows others");
    let new = NewInstance {
        address: InstanceAddress::parse(&follower.base_url, "http").unwrap(),
        status: InstanceStatus::Approved,
        origin: InstanceOrigin::Cli,
        discovered_from: None,
    };
    let (instance, _) = store.add_instance(&new).await.unwrap();
    let mut config = sweeping_config();
    config.allow_private_addresses = true; // the followed hosts are on loopback
    Crawler::new(store.clone(), config)
        .unwrap()
        .crawl_once(None, &CancellationToken::new())
        .await
        .unwrap();
    let pending = store
        .list_instances(Some(InstanceStatus::Pending))
        .await
        .unwrap();
    for followed in &follower.follows {
        let host = &infos[*followed].host;
        let candidate = pending
            .iter()
            .find(|i| &i.host == host)
            .unwrap_or_else(|| panic!("{host} not a candidate"));
        assert_eq!(
            (candidate.origin, candidate.discovered_from),
            (InstanceOrigin::Following, Some(instance.id))
        );
    }
    // Candidates are never crawled on their own.
    assert!(
        pending
            .iter()
            .all(|candidate| candidate.last_success_at.is_none())
    );
    fleet.shutdown().await;
}

async fn a_submitted_instance_is_checked_in_plain_words(store: Store) {
    let fleet = Fleet::start(fleet_config()).await.unwrap();
    fleet.set_fault(1, FaultMode::NotPeerTube).unwrap();
    let crawler = Crawler::new(store.clone(), sweeping_config()).unwrap();
    let address =
        |index: usize| InstanceAddress::parse(&fleet.instances()[index].base_url, "http").unwrap();

    let healthy = crawler.check_instance(&address(0)).await;
    assert!(healthy.passed, "{healthy:?}");
    assert!(
        healthy
            .steps
            .iter()
            .any(|step| step.detail.starts_with("PeerTube ")),
        "{healthy:?}"
    );

    let mastodon = crawler.check_instance(&address(1)).await;
    assert!(!mastodon.passed);
    assert!(
        mastodon
            .failure()
            .unwrap()
            .contains("not a PeerTube server"),
        "{mastodon:?}"
    );

    let block = store::NewBlock {
        kind: store::BlockKind::Instance,
        target: &address(2).host,
        reason: "spam",
        source: None,
        created_by: None,
    };
    store.add_block(&block).await.unwrap();
    let blocked = crawler.check_instance(&address(2)).await;
    assert_eq!(
        blocked.failure().as_deref(),
        Some("not blocked: blocked: spam")
    );

    let public_only = Crawler::new(store.clone(), crawler::CrawlerConfig::default()).unwrap();
    let internal = public_only.check_instance(&address(0)).await;
    assert!(
        internal.failure().unwrap().starts_with("address:"),
        "{internal:?}"
    );
    assert_eq!(fleet.stats().instances[3].requests, 0);
    fleet.shutdown().await;
}

store::backend_tests!(
    channels_get_their_details_and_public_playlists,
    followed_hosts_become_pending_candidates,
    a_submitted_instance_is_checked_in_plain_words,
);
