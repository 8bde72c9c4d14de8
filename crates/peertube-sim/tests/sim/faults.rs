//! Each fault mode does its thing, reproducibly by seed. Never follows redirects.

use std::time::{Duration, Instant};

use peertube_sim::{FaultMode, Fleet, FleetConfig};
use serde_json::Value;

use super::common::{client, client_with_timeout, content_type, fast_tuning, fleet, get, get_json};

async fn faulty_fleet(seed: u64) -> Fleet {
    Fleet::start(FleetConfig {
        instances: 40,
        videos: 4_000,
        seed,
        faults: 0.5,
        rate_limit: false,
        tuning: fast_tuning(),
        ..FleetConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn same_seed_same_faults_and_content() {
    let a = faulty_fleet(77).await;
    let b = faulty_fleet(77).await;
    let c = faulty_fleet(78).await;
    let modes = |f: &Fleet| f.instances().iter().map(|i| i.fault).collect::<Vec<_>>();
    assert_eq!(modes(&a), modes(&b));
    assert_ne!(modes(&a), modes(&c));
    assert_eq!(
        modes(&a).iter().filter(|m| **m != FaultMode::None).count(),
        20
    );
    for mode in FaultMode::ALL_FAULTS {
        assert!(modes(&a).contains(&mode), "{mode} dealt");
    }
    let names = |f: &Fleet| {
        f.instances()
            .iter()
            .map(|i| (i.name.clone(), i.local_videos))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&a), names(&b));
    assert_ne!(names(&a), names(&c));
    let healthy = a
        .instances()
        .iter()
        .find(|i| i.fault == FaultMode::None)
        .unwrap()
        .index;
    let videos = |f: &Fleet| {
        f.expected_videos(healthy)
            .unwrap()
            .take(20)
            .map(|v| (v.uuid, v.name, v.description, v.tags))
            .collect::<Vec<_>>()
    };
    assert_eq!(videos(&a), videos(&b));
    // Over HTTP too (hosts differ, so compare the host-free fields).
    let client = client();
    let fetch = |f: &Fleet| {
        let url = format!(
            "{}/api/v1/videos?isLocal=true&count=10",
            f.info(healthy).unwrap().base_url
        );
        let client = client.clone();
        async move { get_json(&client, &url).await.2 }
    };
    let strip = |v: Value| -> Vec<(Value, Value, Value)> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["uuid"].clone(), x["name"].clone(), x["views"].clone()))
            .collect()
    };
    assert_eq!(strip(fetch(&a).await), strip(fetch(&b).await));
    let c_healthy = c.info(healthy).unwrap();
    let other = strip(
        get_json(
            &client,
            &format!("{}/api/v1/videos?isLocal=true&count=10", c_healthy.base_url),
        )
        .await
        .2,
    );
    assert_ne!(strip(fetch(&a).await), other);
    a.shutdown().await;
    b.shutdown().await;
    c.shutdown().await;
}

async fn with_fault(mode: FaultMode) -> (Fleet, String) {
    let fleet = fleet(3, 600, 31).await;
    fleet.set_fault(1, mode).unwrap();
    let base = fleet.info(1).unwrap().base_url;
    (fleet, base)
}

#[tokio::test]
async fn slow_stall_and_silence() {
    let (fleet, base) = with_fault(FaultMode::Slow).await;
    let started = Instant::now();
    let (status, _, _) = get(&client(), &format!("{base}/api/v1/config")).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    fleet.set_fault(1, FaultMode::Stall).unwrap();
    let short = client_with_timeout(Duration::from_millis(800));
    let response = short
        .get(format!("{base}/api/v1/videos"))
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err(), "the body never finishes");

    fleet.set_fault(1, FaultMode::NoAnswer).unwrap();
    let error = short
        .get(format!("{base}/api/v1/config"))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    fleet.shutdown().await;
}

#[tokio::test]
async fn errors_resets_and_wrong_types() {
    let (fleet, base) = with_fault(FaultMode::ServerError).await;
    let client = client();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (status, _, _) = get(&client, &format!("{base}/api/v1/videos")).await;
        seen.push(status.as_u16());
    }
    seen.sort_unstable();
    assert_eq!(seen, vec![500, 502, 503]);

    fleet.set_fault(1, FaultMode::ConnectionReset).unwrap();
    let fresh = client_with_timeout(Duration::from_secs(5));
    let error = fresh
        .get(format!("{base}/api/v1/config"))
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_timeout(), "reset, not a timeout: {error}");

    fleet.set_fault(1, FaultMode::WrongContentType).unwrap();
    let (status, headers, body) = get(&client, &format!("{base}/api/v1/videos")).await;
    assert_eq!(status, 200);
    assert!(content_type(&headers).starts_with("text/html"));
    assert!(serde_json::from_slice::<Value>(&body).is_err());

    for (mode, expected) in [
        (FaultMode::RedirectLoop, "/api/v1/videos?count=2".to_owned()),
        (
            FaultMode::RedirectPrivate,
            "http://169.254.169.254/latest/meta-data/".to_owned(),
        ),
    ] {
        fleet.set_fault(1, mode).unwrap();
        let (status, headers, _) = get(&client, &format!("{base}/api/v1/videos?count=2")).await;
        assert_eq!(status, 302, "{mode}");
        assert_eq!(headers["location"], expected.as_str(), "{mode}");
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn corrupted_and_huge_bodies() {
    let (fleet, base) = with_fault(FaultMode::MalformedJson).await;
    let client = client();
    let mut broken = 0;
    for start in 0..6 {
        let (status, _, body) = get(
            &client,
            &format!("{base}/api/v1/videos?start={start}&count=5"),
        )
        .await;
        assert_eq!(status, 200);
        match serde_json::from_slice::<Value>(&body) {
            Err(_) => broken += 1,
            Ok(value) => {
                assert!(value["data"][0]["uuid"].is_number(), "ill-typed item");
                broken += 1;
            }
        }
    }
    assert_eq!(broken, 6);
    let (_, _, config) = get_json(&client, &format!("{base}/api/v1/config")).await;
    assert!(config["serverVersion"].is_string(), "identity stays valid");

    fleet.set_fault(1, FaultMode::InvalidUtf8).unwrap();
    let (status, _, body) = get(&client, &format!("{base}/api/v1/videos?count=5")).await;
    assert_eq!(status, 200);
    assert!(std::str::from_utf8(&body).is_err());

    fleet.set_fault(1, FaultMode::Oversized).unwrap();
    let mut response = client
        .get(format!("{base}/api/v1/videos"))
        .send()
        .await
        .unwrap();
    assert!(response.content_length().is_none(), "streamed");
    let mut size = 0usize;
    while let Some(chunk) = response.chunk().await.unwrap() {
        size += chunk.len();
    }
    assert!(size >= 3 * 1024 * 1024, "{size} bytes");
    fleet.shutdown().await;
}

#[tokio::test]
async fn hostile_and_foreign_servers() {
    let (fleet, base) = with_fault(FaultMode::Xss).await;
    let client = client();
    let (status, _, list) = get_json(&client, &format!("{base}/api/v1/videos?count=10")).await;
    assert_eq!(status, 200, "XSS answers stay valid JSON");
    let first = &list["data"][0];
    for field in [
        &first["name"],
        &first["channel"]["displayName"],
        &first["account"]["displayName"],
        &first["channel"]["name"],
    ] {
        assert!(
            field.as_str().unwrap().contains('<') || field.as_str().unwrap().contains("{{"),
            "{field}"
        );
    }
    let uuid = first["uuid"].as_str().unwrap();
    let (_, _, details) = get_json(&client, &format!("{base}/api/v1/videos/{uuid}")).await;
    assert!(
        details["description"]
            .as_str()
            .unwrap()
            .contains("javascript:")
    );
    assert!(
        details["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t.as_str().unwrap().contains("<script>"))
    );
    assert!(
        details["support"].as_str().unwrap().contains('<')
            || details["support"].as_str().unwrap().contains("{{")
    );
    // Hostile actor names still resolve when the client percent-encodes them.
    let channel = first["channel"]["name"].as_str().unwrap();
    let encoded: String = url::form_urlencoded::byte_serialize(channel.as_bytes()).collect();
    let (status, _, found) = get_json(
        &client,
        &format!(
            "{base}/api/v1/video-channels/{}",
            encoded.replace('+', "%20")
        ),
    )
    .await;
    assert_eq!(status, 200, "{channel}");
    assert_eq!(found["name"], channel);
    let (_, _, config) = get_json(&client, &format!("{base}/api/v1/config")).await;
    let name = config["instance"]["name"].as_str().unwrap();
    assert!(name.contains('<') || name.contains("{{"), "{name}");
    let truth = fleet.expected_videos(1).unwrap().next().unwrap();
    assert!(
        truth.description.contains("javascript:"),
        "ground truth carries the payloads"
    );

    fleet.set_fault(1, FaultMode::NotPeerTube).unwrap();
    let (_, _, links) = get_json(&client, &format!("{base}/.well-known/nodeinfo")).await;
    let href = links["links"][0]["href"].as_str().unwrap();
    let (_, _, nodeinfo) = get_json(&client, href).await;
    assert_eq!(nodeinfo["software"]["name"], "mastodon");
    let (status, headers, _) = get(&client, &format!("{base}/api/v1/videos")).await;
    assert_eq!(status, 404);
    assert!(!headers.contains_key("x-powered-by"));

    fleet.set_fault(1, FaultMode::OldPeerTube).unwrap();
    let host = fleet.info(1).unwrap().host;
    let (_, _, config) = get_json(&client, &format!("{base}/api/v1/config")).await;
    assert_eq!(config["serverVersion"], "3.4.1");
    let (_, _, list) = get_json(
        &client,
        &format!("{base}/api/v1/videos?isLocal=true&count=40"),
    )
    .await;
    let data = list["data"].as_array().unwrap();
    let remote: Vec<&Value> = data.iter().filter(|v| v["isLocal"] == false).collect();
    assert!(!remote.is_empty(), "isLocal is ignored");
    assert!(remote.iter().all(|v| v["account"]["host"] != host.as_str()));
    assert!(
        data.iter()
            .all(|v| v["account"].get("avatar").is_some() && v["account"].get("avatars").is_none())
    );
    assert!(list["total"].as_u64().unwrap() > fleet.info(1).unwrap().local_videos);
    fleet.shutdown().await;
}

#[tokio::test]
async fn flaky_fails_some_requests() {
    let (fleet, base) = with_fault(FaultMode::Flaky).await;
    let client = client_with_timeout(Duration::from_secs(5));
    let (mut ok, mut failed) = (0, 0);
    for start in 0..40 {
        match client
            .get(format!("{base}/api/v1/videos?start={start}&count=3"))
            .send()
            .await
        {
            Ok(response) if response.status() == 200 => {
                let body = response.bytes().await.unwrap_or_default();
                if serde_json::from_slice::<Value>(&body)
                    .is_ok_and(|v| v["data"][0]["uuid"].is_string())
                {
                    ok += 1;
                } else {
                    failed += 1;
                }
            }
            _ => failed += 1,
        }
    }
    assert!(ok > 10 && failed > 3, "ok {ok}, failed {failed}");
    assert!(fleet.stats().instances[1].faults > 0);
    fleet.shutdown().await;
}
