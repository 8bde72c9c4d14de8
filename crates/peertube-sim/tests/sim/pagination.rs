//! Pagination, validation and sort order of video lists, against the fleet's ground truth.

use std::collections::HashSet;

use serde_json::Value;

use super::common::{biggest, client, content_type, fleet, get_json, page_all};

#[tokio::test]
async fn paging_a_big_instance_returns_each_video_once() {
    let fleet = fleet(4, 6_000, 21).await;
    let client = client();
    let i = biggest(&fleet);
    let info = fleet.info(i).unwrap();
    let truth: Vec<String> = fleet.expected_videos(i).unwrap().map(|v| v.uuid).collect();
    assert_eq!(truth.len() as u64, info.local_videos);
    assert!(truth.len() > 1_000, "a big instance: {}", truth.len());
    let items = page_all(
        &client,
        &info.base_url,
        "isLocal=true&nsfw=both&skipCount=true&sort=-publishedAt",
        100,
    )
    .await;
    let uuids: Vec<String> = items
        .iter()
        .map(|v| v["uuid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(uuids, truth, "same videos, same order, once each");
    let published: Vec<&str> = items
        .iter()
        .map(|v| v["publishedAt"].as_str().unwrap())
        .collect();
    assert!(
        published.windows(2).all(|w| w[0] > w[1]),
        "strictly newest first"
    );
    assert!(items.iter().all(|v| v["isLocal"] == true));
    assert!(items.iter().any(|v| v["nsfw"] == true), "some NSFW videos");
    let (_, _, count) = get_json(
        &client,
        &format!("{}/api/v1/videos?isLocal=true&count=0", info.base_url),
    )
    .await;
    assert_eq!(count["total"].as_u64(), Some(info.local_videos));
    assert_eq!(count["data"], serde_json::json!([]));
    // Details agree with the ground truth.
    for video in fleet.expected_videos(i).unwrap().step_by(997) {
        let (_, _, details) = get_json(
            &client,
            &format!("{}/api/v1/videos/{}", info.base_url, video.uuid),
        )
        .await;
        assert_eq!(details["name"], video.name);
        assert_eq!(details["description"], video.description);
        assert_eq!(details["support"], serde_json::json!(video.support));
        assert_eq!(details["channel"]["name"], video.channel.name);
        assert_eq!(details["account"]["name"], video.channel.account.name);
        assert_eq!(details["duration"], video.duration);
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn invalid_parameters_are_400_problems() {
    let fleet = fleet(2, 200, 5).await;
    let client = client();
    let base = fleet.info(0).unwrap().base_url;
    for (query, param) in [
        ("count=101", "count"),
        ("count=-1", "count"),
        ("start=-5", "start"),
        ("start=abc", "start"),
        ("sort=-updatedAt", "sort"),
        ("sort=random", "sort"),
        ("nsfw=maybe", "nsfw"),
        ("isLocal=perhaps", "isLocal"),
        ("skipCount=2", "skipCount"),
    ] {
        let (status, headers, value) =
            get_json(&client, &format!("{base}/api/v1/videos?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(
            content_type(&headers),
            "application/problem+json; charset=utf-8"
        );
        assert!(
            value["invalid-params"].get(param).is_some(),
            "{query}: {value}"
        );
        assert_eq!(value["status"], 400);
    }
    let (status, _, value) = get_json(&client, &format!("{base}/api/v1/videos?count=100")).await;
    assert_eq!(status, 200);
    assert!((1..=100).contains(&value["data"].as_array().unwrap().len()));
    let (_, _, value) = get_json(&client, &format!("{base}/api/v1/videos?isLocal=true")).await;
    assert_eq!(
        value["data"].as_array().unwrap().len(),
        15,
        "default count is 15"
    );
    let (status, _, value) = get_json(&client, &format!("{base}/api/v1/videos?include=1")).await;
    assert_eq!(
        (status.as_u16(), value["status"].as_u64()),
        (401, Some(401))
    );
    let (status, _, _) =
        get_json(&client, &format!("{base}/api/v1/video-channels?count=101")).await;
    assert_eq!(status, 400);
    fleet.shutdown().await;
}

fn column<'a>(items: &'a [Value], key: &str) -> Vec<&'a Value> {
    items.iter().map(|v| &v[key]).collect()
}

#[tokio::test]
async fn sorts_and_filters_follow_peertube() {
    let fleet = fleet(3, 2_000, 13).await;
    let client = client();
    let i = biggest(&fleet);
    let base = fleet.info(i).unwrap().base_url;
    let all = page_all(&client, &base, "isLocal=true&nsfw=both&sort=-views", 100).await;
    let views: Vec<u64> = column(&all, "views")
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(views.windows(2).all(|w| w[0] >= w[1]));
    assert!(
        views[0] > 10 * views[views.len() / 2],
        "views follow a power law"
    );
    let by_duration = page_all(&client, &base, "isLocal=true&nsfw=both&sort=duration", 100).await;
    let durations: Vec<u64> = column(&by_duration, "duration")
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(durations.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(by_duration.len(), all.len());
    let oldest = page_all(
        &client,
        &base,
        "isLocal=true&nsfw=both&sort=publishedAt",
        100,
    )
    .await;
    let names: HashSet<&str> = oldest.iter().map(|v| v["uuid"].as_str().unwrap()).collect();
    assert_eq!(names.len(), all.len());
    assert!(
        oldest
            .windows(2)
            .all(|w| w[0]["publishedAt"].as_str() < w[1]["publishedAt"].as_str())
    );
    let by_name = page_all(&client, &base, "isLocal=true&nsfw=both&sort=name", 100).await;
    let lowered: Vec<String> = by_name
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(lowered.windows(2).all(|w| w[0] <= w[1]));
    let safe = page_all(&client, &base, "isLocal=true&nsfw=false", 100).await;
    let sensitive = page_all(&client, &base, "isLocal=true&nsfw=true", 100).await;
    assert!(safe.iter().all(|v| v["nsfw"] == false));
    assert!(sensitive.iter().all(|v| v["nsfw"] == true));
    assert_eq!(safe.len() + sensitive.len(), all.len());
    for sort in [
        "-likes",
        "-trending",
        "-hot",
        "-best",
        "-createdAt",
        "-duration",
        "-name",
        "originallyPublishedAt",
    ] {
        let (status, _, value) = get_json(
            &client,
            &format!("{base}/api/v1/videos?sort={sort}&count=5"),
        )
        .await;
        assert_eq!(status, 200, "{sort}");
        assert_eq!(value["data"].as_array().unwrap().len(), 5);
    }
    // A channel's videos are the videos whose channel it is.
    let channel = &fleet.expected_channels(i).unwrap()[0];
    let expected: Vec<String> = fleet
        .expected_videos(i)
        .unwrap()
        .filter(|v| v.channel.index == channel.index)
        .map(|v| v.uuid)
        .collect();
    let (_, _, first) = get_json(
        &client,
        &format!(
            "{base}/api/v1/video-channels/{}/videos?count=100&nsfw=both",
            channel.name
        ),
    )
    .await;
    assert_eq!(first["total"].as_u64(), Some(expected.len() as u64));
    let got: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        expected
            .iter()
            .take(100)
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    fleet.shutdown().await;
}
