//! 1,000 instances and 1,000,000 videos start in seconds in one process.

use std::time::{Duration, Instant};

use peertube_sim::{Fleet, FleetConfig};

use super::common::{client, get_json};

#[tokio::test]
async fn a_thousand_instances_and_a_million_videos_start_in_seconds() {
    let started = Instant::now();
    let fleet = Fleet::start(FleetConfig {
        instances: 1_000,
        videos: 1_000_000,
        seed: 2024,
        faults: 0.1,
        rate_limit: false,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    eprintln!("1000 instances / 1,000,000 videos started in {elapsed:?}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
    assert_eq!(fleet.total_videos(), 1_000_000);
    let client = client();
    let (status, _, hosts) = get_json(
        &client,
        &format!("{}?count=5000&healthy=true", fleet.hosts_list_url()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(hosts["total"], 1_000);
    let data = hosts["data"].as_array().unwrap();
    assert_eq!(data.len(), 1_000);
    let infos = fleet.instances();
    for (item, info) in data.iter().zip(&infos) {
        assert_eq!(item["host"], info.host.as_str());
    }
    let (_, _, page) = get_json(
        &client,
        &format!("{}?start=990&count=20", fleet.hosts_list_url()),
    )
    .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 10);
    let (_, _, default) = get_json(&client, &fleet.hosts_list_url()).await;
    assert_eq!(default["data"].as_array().unwrap().len(), 20);
    // The biggest instance holds many videos, the smallest few: a power law.
    let healthy: Vec<_> = infos
        .iter()
        .filter(|i| i.fault == peertube_sim::FaultMode::None)
        .collect();
    let biggest = healthy.iter().max_by_key(|i| i.local_videos).unwrap();
    let smallest = healthy.iter().min_by_key(|i| i.local_videos).unwrap();
    assert!(biggest.local_videos > 100 * smallest.local_videos.max(1));
    for info in [biggest, smallest] {
        let url = format!("{}/api/v1/videos?isLocal=true&count=0", info.base_url);
        let (_, _, count) = get_json(&client, &url).await;
        assert_eq!(count["total"].as_u64(), Some(info.local_videos));
        // A deep page of the biggest instance is computed, not stored.
        let deep = format!(
            "{}/api/v1/videos?isLocal=true&nsfw=both&start={}&count=100",
            info.base_url,
            info.local_videos.saturating_sub(50)
        );
        let (status, _, page) = get_json(&client, &deep).await;
        assert_eq!(status, 200);
        assert_eq!(
            page["data"].as_array().unwrap().len() as u64,
            info.local_videos.min(50)
        );
    }
    let stopping = Instant::now();
    fleet.shutdown().await;
    assert!(stopping.elapsed() < Duration::from_secs(10));
}
