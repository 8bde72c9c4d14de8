//! Change over time: uploads shift pages, edits bump `updatedAt`, deletions disappear.

use std::collections::HashSet;

use peertube_sim::ChurnConfig;

use super::common::{biggest, client, content_type, fleet, get_json, page_all};

#[tokio::test]
async fn an_upload_while_paging_shifts_the_next_page() {
    let fleet = fleet(2, 400, 41).await;
    let client = client();
    let i = biggest(&fleet);
    let base = fleet.info(i).unwrap().base_url;
    let before = fleet.info(i).unwrap().local_videos;
    let url = |start: u64| {
        format!("{base}/api/v1/videos?isLocal=true&sort=-publishedAt&start={start}&count=10")
    };
    let (_, _, first) = get_json(&client, &url(0)).await;
    let uploaded = fleet.upload(i, 3).unwrap();
    assert_eq!(uploaded.len(), 3);
    let (_, _, second) = get_json(&client, &url(10)).await;
    let first: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["uuid"].as_str().unwrap())
        .collect();
    let second: Vec<&str> = second["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(
        &second[..3],
        &first[7..],
        "the naive client sees the last three again"
    );
    assert_eq!(fleet.info(i).unwrap().local_videos, before + 3);
    let (_, _, head) = get_json(&client, &url(0)).await;
    assert_eq!(
        head["data"][0]["uuid"], uploaded[2].uuid,
        "the newest upload comes first"
    );
    assert!(uploaded[2].published_at > uploaded[1].published_at);
    fleet.shutdown().await;
}

#[tokio::test]
async fn churn_uploads_while_a_crawler_pages() {
    let fleet = fleet(2, 500, 43).await;
    let client = client();
    let i = biggest(&fleet);
    let base = fleet.info(i).unwrap().base_url;
    let before = fleet.info(i).unwrap().local_videos;
    fleet
        .set_churn(
            i,
            ChurnConfig {
                upload_every_n_list_requests: 2,
                ..ChurnConfig::default()
            },
        )
        .unwrap();
    let items = page_all(&client, &base, "isLocal=true&nsfw=both", 20).await;
    let unique: HashSet<&str> = items.iter().map(|v| v["uuid"].as_str().unwrap()).collect();
    assert!(unique.len() < items.len(), "duplicates from shifted pages");
    let after = fleet.info(i).unwrap().local_videos;
    assert!(after > before);
    assert_eq!(
        unique.len() as u64,
        before,
        "every original video was seen once the pages settled"
    );
    fleet.set_churn(i, ChurnConfig::default()).unwrap();
    let settled = page_all(&client, &base, "isLocal=true&nsfw=both", 100).await;
    assert_eq!(settled.len() as u64, after);
    fleet.shutdown().await;
}

#[tokio::test]
async fn edits_bump_updated_at_and_deletions_disappear() {
    let fleet = fleet(2, 300, 47).await;
    let client = client();
    let i = biggest(&fleet);
    let base = fleet.info(i).unwrap().base_url;
    let video = fleet.expected_videos(i).unwrap().nth(5).unwrap();
    let details = |uuid: String| {
        let client = client.clone();
        let url = format!("{base}/api/v1/videos/{uuid}");
        async move { get_json(&client, &url).await }
    };
    let (_, _, old) = details(video.uuid.clone()).await;
    let edited = fleet.edit(i, video.index).unwrap();
    let (_, _, new) = details(video.uuid.clone()).await;
    assert!(new["updatedAt"].as_str() > old["updatedAt"].as_str());
    assert_eq!(
        new["publishedAt"], old["publishedAt"],
        "publication does not move"
    );
    assert!(
        new["name"] != old["name"]
            || new["description"] != old["description"]
            || new["tags"] != old["tags"]
    );
    assert_eq!(new["name"], edited.name);
    let views = fleet.bump_views(i, video.index, 1_000).unwrap();
    let (_, _, bumped) = details(video.uuid.clone()).await;
    assert_eq!(bumped["views"].as_u64(), Some(views));

    let total = fleet.info(i).unwrap().local_videos;
    fleet.delete(i, video.index).unwrap();
    let (status, headers, problem) = details(video.uuid.clone()).await;
    assert_eq!(status, 404);
    assert_eq!(
        content_type(&headers),
        "application/problem+json; charset=utf-8"
    );
    assert_eq!(problem["detail"], "Video not found");
    let listed = page_all(&client, &base, "isLocal=true&nsfw=both", 100).await;
    assert_eq!(listed.len() as u64, total - 1);
    assert!(listed.iter().all(|v| v["uuid"] != video.uuid.as_str()));
    let (_, _, count) = get_json(
        &client,
        &format!("{base}/api/v1/videos?isLocal=true&nsfw=both&count=0"),
    )
    .await;
    assert_eq!(count["total"].as_u64(), Some(total - 1));
    assert!(
        fleet
            .expected_videos(i)
            .unwrap()
            .all(|v| v.uuid != video.uuid)
    );
    assert!(fleet.edit(i, video.index).is_err());
    fleet.shutdown().await;
}
