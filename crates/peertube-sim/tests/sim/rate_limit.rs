//! PeerTube's default rate limit: 50 requests per 10 s per client IP, then 429.

use peertube_sim::{Fleet, FleetConfig};

use super::common::{client, get};

#[tokio::test]
async fn the_51st_request_in_ten_seconds_is_refused() {
    let fleet = Fleet::start(FleetConfig {
        instances: 2,
        videos: 100,
        rate_limit: true,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let client = client();
    let base = fleet.info(0).unwrap().base_url;
    for n in 1..=50u32 {
        let (status, headers, _) = get(&client, &format!("{base}/api/v1/videos?count=1")).await;
        assert_eq!(status, 200, "request {n}");
        assert_eq!(headers["x-ratelimit-limit"], "50");
        assert_eq!(
            headers["x-ratelimit-remaining"],
            (50 - n).to_string().as_str()
        );
        assert!(headers.contains_key("x-ratelimit-reset"));
    }
    let (status, headers, body) = get(&client, &format!("{base}/api/v1/config")).await;
    assert_eq!(status, 429);
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "Retry-After {retry}");
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    let reset: u64 = headers["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(reset > 1_700_000_000);
    assert!(String::from_utf8_lossy(&body).contains("Too many requests"));
    // Limits are per instance: the other one still answers.
    let other = fleet.info(1).unwrap().base_url;
    let (status, _, _) = get(&client, &format!("{other}/api/v1/config")).await;
    assert_eq!(status, 200);
    // Switched off (for benchmarks), nothing is refused and no limit is announced.
    fleet.set_rate_limit(false);
    for _ in 0..60 {
        let (status, headers, _) = get(&client, &format!("{base}/api/v1/config")).await;
        assert_eq!(status, 200);
        assert!(!headers.contains_key("x-ratelimit-limit"));
    }
    let stats = fleet.stats();
    assert_eq!(stats.instances[0].rate_limited, 1);
    assert_eq!(stats.instances[0].requests, 111);
    assert!(stats.total.bytes > 0);
    fleet.shutdown().await;
}
