//! Every endpoint with a PeerTube 6.3 fixture answers with the same shape and content type.

use super::common::{
    assert_same_shape, biggest, client, content_type, fixture, fixture_content_type, fixture_text,
    fleet, get, get_json,
};

#[tokio::test]
async fn answers_have_the_shapes_of_peertube_6_3() {
    let fleet = fleet(6, 3_000, 11).await;
    let client = client();
    let i = biggest(&fleet);
    let info = fleet.info(i).unwrap();
    let base = &info.base_url;
    let video = fleet.expected_videos(i).unwrap().next().unwrap();
    let channel = &video.channel;
    let account = &channel.account;
    let cases = [
        ("config", "/api/v1/config".to_owned()),
        ("config-about", "/api/v1/config/about".to_owned()),
        ("server-stats", "/api/v1/server/stats".to_owned()),
        ("well-known-nodeinfo", "/.well-known/nodeinfo".to_owned()),
        ("nodeinfo-2.0", "/nodeinfo/2.0.json".to_owned()),
        (
            "videos-list",
            "/api/v1/videos?isLocal=true&nsfw=both&skipCount=true&sort=-publishedAt&count=20"
                .to_owned(),
        ),
        (
            "videos-count-only",
            "/api/v1/videos?isLocal=true&count=0".to_owned(),
        ),
        ("video-details", format!("/api/v1/videos/{}", video.uuid)),
        (
            "video-channels-list",
            "/api/v1/video-channels?count=10".to_owned(),
        ),
        (
            "video-channel",
            format!("/api/v1/video-channels/{}", channel.name),
        ),
        (
            "video-channel-videos",
            format!("/api/v1/video-channels/{}/videos?count=10", channel.name),
        ),
        (
            "video-channel-playlists",
            format!(
                "/api/v1/video-channels/{}/video-playlists",
                fleet.expected_channels(i).unwrap()[0].name
            ),
        ),
        (
            "video-playlists-list",
            "/api/v1/video-playlists?count=10".to_owned(),
        ),
        ("account", format!("/api/v1/accounts/{}", account.name)),
        ("videos-categories", "/api/v1/videos/categories".to_owned()),
        ("videos-licences", "/api/v1/videos/licences".to_owned()),
        ("videos-languages", "/api/v1/videos/languages".to_owned()),
        (
            "instance2-server-following",
            "/api/v1/server/following".to_owned(),
        ),
        (
            "instance2-videos-list-with-federated",
            "/api/v1/videos?count=40".to_owned(),
        ),
    ];
    for (name, path) in cases {
        let (status, headers, value) = get_json(&client, &format!("{base}{path}")).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            content_type(&headers),
            fixture_content_type(&format!("{name}.headers")),
            "{path}"
        );
        assert_eq!(headers["x-powered-by"], "PeerTube");
        assert_same_shape(&format!("{name}.json"), &value);
        if let Some(data) = value.get("data").and_then(|d| d.as_array()) {
            assert!(
                !data.is_empty() || name == "videos-count-only",
                "{path} is empty"
            );
        }
    }
    // The count-only answer carries the true number of local videos.
    let (_, _, count) = get_json(
        &client,
        &format!("{base}/api/v1/videos?isLocal=true&count=0"),
    )
    .await;
    assert_eq!(count["total"], info.local_videos);
    // Lists carry the truncated description, details the full one.
    let long = fleet
        .expected_videos(i)
        .unwrap()
        .find(|v| v.description.chars().count() > 250)
        .expect("a long description");
    let (_, _, details) = get_json(
        &client,
        &format!("{base}/api/v1/videos/{}", long.short_uuid),
    )
    .await;
    assert_eq!(details["description"], long.description);
    assert_eq!(
        details["truncatedDescription"],
        long.truncated_description()
    );
    assert_eq!(details["tags"], serde_json::json!(long.tags));
    fleet.shutdown().await;
}

#[tokio::test]
async fn errors_match_the_fixtures_exactly() {
    let fleet = fleet(2, 100, 3).await;
    let client = client();
    let base = fleet.info(0).unwrap().base_url;
    let cases = [
        ("error-count-too-large", "/api/v1/videos?count=500", 400),
        ("error-filter-param", "/api/v1/videos?filter=local", 400),
        (
            "error-video-not-found",
            "/api/v1/videos/00000000-0000-0000-0000-000000000000",
            400,
        ),
    ];
    for (name, path, status) in cases {
        let (got, headers, value) = get_json(&client, &format!("{base}{path}")).await;
        assert_eq!(got, status, "{path}");
        assert_eq!(
            content_type(&headers),
            "application/problem+json; charset=utf-8"
        );
        assert_eq!(value, fixture(&format!("{name}.json")), "{path}");
    }
    let (status, headers, body) = get(&client, &format!("{base}/robots.txt")).await;
    assert_eq!(status, 200);
    assert_eq!(content_type(&headers), "text/plain; charset=utf-8");
    assert_eq!(String::from_utf8(body).unwrap(), fixture_text("robots.txt"));
    fleet.shutdown().await;
}

#[tokio::test]
async fn pages_images_and_unknown_items() {
    let fleet = fleet(3, 300, 8).await;
    let client = client();
    let i = biggest(&fleet);
    let base = fleet.info(i).unwrap().base_url;
    let video = fleet.expected_videos(i).unwrap().next().unwrap();
    for path in [
        video.thumbnail_path.clone(),
        video.preview_path.clone(),
        fleet.expected_playlists(i).unwrap()[0]
            .thumbnail_path
            .clone(),
    ] {
        let (status, headers, body) = get(&client, &format!("{base}{path}")).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(content_type(&headers), "image/png");
        assert_eq!(&body[..8], b"\x89PNG\r\n\x1a\n");
        let (_, _, again) = get(&client, &format!("{base}{path}")).await;
        assert_eq!(body, again, "images are deterministic");
    }
    let avatar = fleet
        .expected_channels(i)
        .unwrap()
        .into_iter()
        .find_map(|c| c.account.avatars.first().cloned())
        .expect("an account with an avatar");
    let (status, headers, _) = get(&client, &format!("{base}{}", avatar.1)).await;
    assert_eq!(
        (status.as_u16(), content_type(&headers)),
        (200, "image/png")
    );
    let (status, headers, body) = get(&client, &format!("{base}{}", video.embed_path)).await;
    assert_eq!(status, 200);
    assert!(content_type(&headers).starts_with("text/html"));
    assert!(String::from_utf8_lossy(&body).contains("<video"));
    let (status, _, _) = get(&client, &format!("{base}/w/{}", video.short_uuid)).await;
    assert_eq!(status, 200);
    // Unknown but well-formed ids are 404 problems; the other instance's ids too.
    let stranger = fleet.expected_videos((i + 1) % 3).unwrap().next().unwrap();
    let follows = fleet.info(i).unwrap().follows;
    for id in ["999999", "4f2b1c1e-9d3a-4b6e-8f00-123456789abc"] {
        let (status, headers, value) =
            get_json(&client, &format!("{base}/api/v1/videos/{id}")).await;
        assert_eq!(status, 404, "{id}");
        assert_eq!(
            content_type(&headers),
            "application/problem+json; charset=utf-8"
        );
        assert_eq!(value["detail"], "Video not found");
    }
    let (status, _, _) = get(&client, &format!("{base}/api/v1/videos/{}", stranger.uuid)).await;
    let expected = if follows.contains(&((i + 1) % 3)) {
        200
    } else {
        404
    };
    assert_eq!(status, expected);
    let (status, _, value) =
        get_json(&client, &format!("{base}/api/v1/video-channels/nobody_0")).await;
    assert_eq!(
        (status.as_u16(), value["status"].as_u64()),
        (404, Some(404))
    );
    // Numeric ids and short UUIDs name the same video.
    let (_, _, by_id) = get_json(&client, &format!("{base}/api/v1/videos/{}", video.id)).await;
    let (_, _, by_short) = get_json(
        &client,
        &format!("{base}/api/v1/videos/{}", video.short_uuid),
    )
    .await;
    assert_eq!(by_id, by_short);
    assert_eq!(by_id["uuid"], video.uuid);
    fleet.shutdown().await;
}
