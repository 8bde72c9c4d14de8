//! Load: `florilege serve` crawls and indexes a changing simulated fleet (the demo's set-up) while a load generator sends a mix of public pages and search-API calls; no error, no timeout, and p50/p99 and requests per second reported.

use std::time::{Duration, Instant};

use bench::mixed_load::{Kind, MixSettings};
use bench::procstat::cpu_times;
use peertube_sim::{ChurnConfig, Fleet, FleetConfig};
use store::testing::TestStore;
use url::Url;

use crate::support::{Florilege, Running, sized};

/// The fleet, and how hard and how long to push.
struct Plan {
    instances: usize,
    videos: u64,
    connections: usize,
    seconds: u64,
}

const LIGHT: Plan = Plan {
    instances: 12,
    videos: 2_000,
    connections: 64,
    seconds: 10,
};

const HEAVY: Plan = Plan {
    instances: 24,
    videos: 20_000,
    connections: 256,
    seconds: 60,
};

/// A request not answered within this time is a timeout.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Videos and words sampled for the video pages and the searches.
const SAMPLES: usize = 24;

async fn pages_and_searches_hold_under_load_while_crawling(db: &TestStore) {
    let plan = sized(&LIGHT, &HEAVY);
    let fleet = Fleet::start(FleetConfig {
        instances: plan.instances,
        videos: plan.videos,
        seed: 7,
        faults: 0.12,
        rate_limit: false,
        // Every incremental pass finds a new video on every instance.
        churn: ChurnConfig {
            upload_every_n_list_requests: 1,
            ..ChurnConfig::default()
        },
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let florilege = Florilege::new(db)
        .with_env("FLORILEGE_LISTEN", "127.0.0.1:0")
        .with_env("FLORILEGE_CRAWLER_INCREMENTAL_INTERVAL_SECS", "2");
    florilege.import(&fleet).await;
    let mut server = florilege.spawn(&["serve"]);
    let base = address(&server).await;
    let client = reqwest::Client::new();
    let before = searchable_at_least(&client, &base, plan.videos / 4).await;
    let searcher = index::Searcher::open(florilege.data_dir().join("index")).unwrap();
    let published = florilege::demo::seed_editorial(&db.store, &searcher)
        .await
        .unwrap();
    assert!(published > 0, "the demo's selections found videos");

    let settings = MixSettings {
        connections: plan.connections,
        duration: Duration::from_secs(plan.seconds),
        timeout: TIMEOUT,
    };
    let mix = request_mix(&client, &base).await;
    let cpu_before = (cpu_times(Some(server.pid())), cpu_times(None));
    let result = bench::mixed_load::run(mix, settings).await.unwrap();
    let cpu = (cpu_times(Some(server.pid())), cpu_times(None));
    let after = searchable_at_least(&client, &base, 0).await;
    eprintln!(
        "load on {:?} ({} instances, {} videos at start), searchable videos {before} → {after}, \
         CPU s: serve {:.1}, fleet and load generator {:.1}\n{}",
        db.store.backend(),
        plan.instances,
        plan.videos,
        cpu.0.unwrap().since(&cpu_before.0.unwrap()).total(),
        cpu.1.unwrap().since(&cpu_before.1.unwrap()).total(),
        result.markdown()
    );
    assert_eq!(
        result.failures(),
        0,
        "no error and no timeout: {:#?}",
        result.first_failures
    );
    assert!(result.requests > 0);
    assert!(
        after > before,
        "the crawler and the indexer kept working during the load"
    );
    assert!(server.is_running(), "the server is still up");
    assert_eq!(florilege.panics(), Vec::<String>::new(), "no panic");
    fleet.shutdown().await;
}

/// The site's address, once `serve` prints it.
async fn address(server: &Running) -> Url {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(url) = server
            .stdout()
            .lines()
            .find_map(|line| line.strip_prefix("Florilège is serving on "))
        {
            return Url::parse(url.trim()).unwrap();
        }
        assert!(Instant::now() < deadline, "serve printed no address");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the search API finds at least `count` videos; returns how many it finds.
async fn searchable_at_least(client: &reqwest::Client, base: &Url, count: u64) -> u64 {
    let url = base.join("/api/v1/search/videos?count=0").unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let answer: serde_json::Value = client
            .get(url.clone())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let total = answer["total"].as_u64().unwrap_or(0);
        if total >= count {
            return total;
        }
        assert!(Instant::now() < deadline, "only {total} videos searchable");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Home pages, selection pages, video pages, the search page and the search API, in equal shares.
async fn request_mix(client: &reqwest::Client, base: &Url) -> Vec<Kind> {
    let selections: serde_json::Value = client
        .get(base.join("/api/v1/selections").unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let slugs = selections["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|selection| selection["slug"].as_str().unwrap().to_owned());
    let videos = sample_videos(client, base).await;
    let words: Vec<String> = videos
        .iter()
        .filter_map(|(_, name)| {
            name.split_whitespace()
                .find(|word| word.chars().count() > 3 && word.chars().all(char::is_alphabetic))
                .map(str::to_lowercase)
        })
        .collect();
    assert!(!words.is_empty(), "words to search for");
    let url = |path: &str, query: &[(&str, &str)]| {
        let mut url = base.join(path).unwrap();
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    };
    let kind = |name: &str, urls: Vec<Url>| Kind {
        name: name.to_owned(),
        urls,
    };
    vec![
        kind("home", vec![url("/fr/", &[]), url("/en/", &[])]),
        kind(
            "selection",
            slugs
                .map(|slug| url(&format!("/fr/selections/{slug}"), &[]))
                .collect(),
        ),
        kind(
            "video",
            videos
                .iter()
                .map(|(uuid, _)| url(&format!("/en/videos/{uuid}"), &[]))
                .collect(),
        ),
        kind(
            "search page",
            words
                .iter()
                .map(|w| url("/fr/search", &[("q", w)]))
                .collect(),
        ),
        kind(
            "search API",
            words
                .iter()
                .map(|w| url("/api/v1/search/videos", &[("search", w), ("count", "20")]))
                .collect(),
        ),
    ]
}

/// `(uuid, name)` of searchable videos, spread over the search API's latest ones.
async fn sample_videos(client: &reqwest::Client, base: &Url) -> Vec<(String, String)> {
    let url = base
        .join("/api/v1/search/videos?count=100&sort=-publishedAt")
        .unwrap();
    let answer: serde_json::Value = client.get(url).send().await.unwrap().json().await.unwrap();
    let all = answer["data"].as_array().unwrap();
    let step = (all.len() / SAMPLES).max(1);
    all.iter()
        .step_by(step)
        .take(SAMPLES)
        .map(|video| {
            let text = |field: &str| video[field].as_str().unwrap().to_owned();
            (text("uuid"), text("name"))
        })
        .collect()
}

on_both_backends!(pages_and_searches_hold_under_load_while_crawling);
