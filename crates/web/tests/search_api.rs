//! The PeerTube search-index API over real HTTP: shapes, parameters, filters, sorts, errors.

mod support;

use std::path::PathBuf;

use serde_json::{Value, json};
use store::{BlockKind, NewBlock};
use support::{PLAYLIST_UUID, Site, names};

const VIDEOS: &str = "/api/v1/search/videos";
const CHANNELS: &str = "/api/v1/search/video-channels";
const PLAYLISTS: &str = "/api/v1/search/video-playlists";

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../peertube-sim/tests/fixtures-6.3.0")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

/// Every field of `reference` (a real PeerTube 6.3.0 answer) is in `ours`,
/// with the same JSON type (a `null` in either is accepted as "optional").
fn assert_same_shape(reference: &Value, ours: &Value, path: &str) {
    match (reference, ours) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, value) in expected {
                let Some(ours) = actual.get(key) else {
                    panic!("{path}.{key} is missing from our answer: {actual:?}");
                };
                assert_same_shape(value, ours, &format!("{path}.{key}"));
            }
        }
        (Value::Array(expected), Value::Array(actual)) => {
            if let (Some(first), Some(ours)) = (expected.first(), actual.first()) {
                assert_same_shape(first, ours, &format!("{path}[0]"));
            }
        }
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        (expected, actual) => panic!("{path}: PeerTube has {expected}, we have {actual}"),
    }
}

async fn videos_have_peertube_shape_and_absolute_urls(site: &Site) {
    let (status, answer) = site.get_json(&format!("{VIDEOS}?search=ecoles")).await;
    assert_eq!(status, 200, "{answer}");
    let reference = fixture("search-videos.json");
    assert_same_shape(&reference, &answer, "answer");
    let video = &answer["data"][0];
    assert_eq!(video["name"], "Les écoles de musique à Paris");
    let uuid = video["uuid"].as_str().unwrap();
    assert_eq!(
        video["thumbnailUrl"],
        format!("https://video.example/lazy-static/thumbnails/{uuid}.jpg"),
        "thumbnails point at the origin instance"
    );
    assert_eq!(
        video["embedUrl"],
        format!("https://video.example/videos/embed/{uuid}")
    );
    assert!(
        video["previewUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://video.example/")
    );
    assert_eq!(video["account"]["host"], "video.example");
    assert_eq!(
        video["account"]["avatars"][0]["fileUrl"],
        "https://video.example/lazy-static/avatars/claire.png"
    );
    assert_eq!(
        video["channel"]["url"],
        "https://video.example/video-channels/ecoles"
    );
    assert_eq!(video["tags"], json!(["musique", "éducation"]));
    assert_eq!(video["isLocal"], false);
    // Our models of PeerTube's API read the answer as a PeerTube page
    // (they decode JSON text, as a PeerTube instance receives it).
    let page = peertube::decode_page::<peertube::Video>(answer.to_string().as_bytes()).unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.skipped.is_empty());
    assert_eq!(page.items[0].account.as_ref().unwrap().avatars.len(), 1);
}

async fn channels_have_peertube_shape(site: &Site) {
    let (status, answer) = site.get_json(&format!("{CHANNELS}?search=outdoors")).await;
    assert_eq!(status, 200, "{answer}");
    let (_, all) = site.get_json(CHANNELS).await;
    assert_eq!(
        answer["total"],
        1,
        "{} channels indexed: {all}",
        site.searcher.channel_count().unwrap()
    );
    let mut reference = fixture("search-video-channels.json");
    // PeerTube's own owner account carries a userId, meaningless remotely.
    reference["data"][0]["ownerAccount"]
        .as_object_mut()
        .unwrap()
        .remove("userId");
    assert_same_shape(&reference, &answer, "answer");
    assert_eq!(answer["data"][0]["ownerAccount"]["name"], "jane");
    let (_, by_handle) = site
        .get_json(&format!("{CHANNELS}?handles=ciel@video.example"))
        .await;
    assert_eq!(by_handle["total"], 1);
    assert_eq!(by_handle["data"][0]["name"], "ciel");
}

async fn playlists_have_peertube_shape(site: &Site) {
    let (status, answer) = site
        .get_json(&format!("{PLAYLISTS}?search=musique%20libre"))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["total"], 1, "{answer}");
    assert_same_shape(&fixture("search-video-playlists.json"), &answer, "answer");
    let playlist = &answer["data"][0];
    assert_eq!(playlist["uuid"], PLAYLIST_UUID);
    assert_eq!(playlist["type"]["label"], "Regular");
    assert_eq!(
        playlist["embedUrl"],
        format!("https://video.example/video-playlists/embed/{PLAYLIST_UUID}")
    );
    assert_eq!(playlist["videoChannel"]["name"], "ecoles");
    let (_, by_uuid) = site
        .post_json(PLAYLISTS, &json!({"uuids": ["17uH2PccQg6SGBS8pP1DMB"]}))
        .await;
    assert_eq!(by_uuid["total"], 1, "short uuids find playlists: {by_uuid}");
    let (_, blocked) = site
        .get_json(&format!(
            "{PLAYLISTS}?search=musique&blockedHosts=video.example"
        ))
        .await;
    assert_eq!(blocked["total"], 0);
    let (status, _) = site.get_json(&format!("{PLAYLISTS}?sort=-views")).await;
    assert_eq!(status, 400);
}

async fn get_and_post_answer_alike(site: &Site) {
    let (_, by_get) = site
        .get_json(&format!(
            "{VIDEOS}?search=mountain&nsfw=both&sort=-views&languageOneOf=en&count=5"
        ))
        .await;
    let (status, by_post) = site
        .post_json(
            VIDEOS,
            &json!({"search": "mountain", "nsfw": "both", "sort": "-views",
                    "languageOneOf": ["en"], "count": 5}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(by_get, by_post);
    assert_eq!(
        names(&by_post),
        [
            "Running a marathon in the mountains",
            "Mountain night club party"
        ]
    );
}

async fn nsfw_follows_peertube(site: &Site) {
    let nsfw = "Mountain night club party";
    let (_, default) = site.get_json(&format!("{VIDEOS}?search=mountain")).await;
    assert!(
        !names(&default).contains(&nsfw.to_owned()),
        "hidden by default"
    );
    let (_, hidden) = site
        .get_json(&format!("{VIDEOS}?search=mountain&nsfw=false"))
        .await;
    assert!(!names(&hidden).contains(&nsfw.to_owned()));
    let (_, both) = site
        .get_json(&format!("{VIDEOS}?search=mountain&nsfw=both"))
        .await;
    assert!(names(&both).contains(&nsfw.to_owned()));
    let (_, only) = site.get_json(&format!("{VIDEOS}?nsfw=true")).await;
    assert_eq!(names(&only), [nsfw]);
    site.store()
        .set_nsfw_default_api(store::NsfwApiDefault::Both, None)
        .await
        .unwrap();
    let (_, admins_default) = site.get_json(&format!("{VIDEOS}?search=mountain")).await;
    assert!(
        names(&admins_default).contains(&nsfw.to_owned()),
        "without nsfw, the admins' default applies: {admins_default}"
    );
    let (_, explicit) = site
        .get_json(&format!("{VIDEOS}?search=mountain&nsfw=false"))
        .await;
    assert!(!names(&explicit).contains(&nsfw.to_owned()));
}

async fn filters_narrow_the_results(site: &Site) {
    let cases: &[(&str, &[&str])] = &[
        // Names sort by their words, markup aside.
        (
            "languageOneOf=fr&sort=name",
            &[
                "Les écoles de musique à Paris",
                "<script>alert('xss')</script> Abeilles du Vercors",
            ],
        ),
        ("isLive=true", &["Aurores boréales en direct"]),
        (
            "durationMin=1000&nsfw=both&sort=duration",
            &[
                "Mountain night club party",
                "Running a marathon in the mountains",
            ],
        ),
        (
            "durationMax=100&isLive=false",
            &["<script>alert('xss')</script> Abeilles du Vercors"],
        ),
        ("categoryOneOf=5", &["Running a marathon in the mountains"]),
        (
            "tagsOneOf=ciel&tagsOneOf=trail&sort=-views",
            &[
                "Running a marathon in the mountains",
                "Aurores boréales en direct",
            ],
        ),
        (
            "tagsAllOf=musique&tagsAllOf=éducation",
            &["Les écoles de musique à Paris"],
        ),
        (
            "host=tube.example",
            &["Running a marathon in the mountains"],
        ),
        (
            "blockedHosts=video.example",
            &["Running a marathon in the mountains"],
        ),
        (
            "blockedAccounts=paul@video.example&blockedAccounts=jane@tube.example",
            &["Les écoles de musique à Paris"],
        ),
        (
            "uuids=0a0e0b7c-1d2e-4f30-8a41-000000000004",
            &["Aurores boréales en direct"],
        ),
        (
            "uuids=aaaaaaaaaaaaaaaaaaaaa2",
            &["Running a marathon in the mountains"],
        ),
        (
            "search=0a0e0b7c-1d2e-4f30-8a41-000000000001",
            &["Les écoles de musique à Paris"],
        ),
    ];
    for (query, expected) in cases {
        let (status, answer) = site.get_json(&format!("{VIDEOS}?{query}")).await;
        assert_eq!(status, 200, "{query}: {answer}");
        let mut got = names(&answer);
        if !query.contains("sort=") {
            got.sort();
        }
        assert_eq!(got, *expected, "{query}");
        assert_eq!(answer["total"], expected.len(), "{query}");
    }
}

async fn dates_filter_on_publication(site: &Site) {
    let since = (chrono::Utc::now() - chrono::Duration::days(5)).to_rfc3339();
    let (status, answer) = site
        .post_json(
            VIDEOS,
            &json!({"startDate": since, "nsfw": "both", "sort": "-publishedAt"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        names(&answer),
        [
            "Mountain night club party",
            "Running a marathon in the mountains"
        ]
    );
}

async fn sorts_and_pages(site: &Site) {
    let (_, by_views) = site.get_json(&format!("{VIDEOS}?sort=-views")).await;
    let views: Vec<i64> = by_views["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|video| video["views"].as_i64().unwrap())
        .collect();
    assert_eq!(views, [5000, 700, 100, 10]);
    let (_, page) = site
        .get_json(&format!("{VIDEOS}?sort=-views&start=1&count=2"))
        .await;
    assert_eq!(
        page["total"], 4,
        "the total counts every match, not the page"
    );
    assert_eq!(
        names(&page),
        [
            "Aurores boréales en direct",
            "Les écoles de musique à Paris"
        ]
    );
    let (_, past_the_end) = site.get_json(&format!("{VIDEOS}?start=50")).await;
    assert_eq!(
        (past_the_end["total"].as_i64(), names(&past_the_end).len()),
        (Some(4), 0)
    );
}

async fn invalid_parameters_get_a_problem_naming_them(site: &Site) {
    for (query, parameter) in [
        ("count=101", "count"),
        ("start=-1", "start"),
        ("sort=-bogus", "sort"),
        ("nsfw=sometimes", "nsfw"),
        ("durationMin=ten", "durationMin"),
        ("startDate=yesterday", "startDate"),
        ("isLive=perhaps", "isLive"),
    ] {
        let response = site
            .client
            .get(site.url(&format!("{VIDEOS}?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json; charset=utf-8"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["status"], 400);
        assert!(
            problem["invalid-params"][parameter]["msg"].is_string(),
            "{query}: {problem}"
        );
    }
    let response = site
        .client
        .post(site.url(VIDEOS))
        .header("content-type", "application/json")
        .body("{\"search\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{problem}"
    );
    let (status, _) = site.get_json(&format!("{CHANNELS}?sort=-views")).await;
    assert_eq!(status, 400);
}

async fn a_block_hides_at_once_after_indexing(site: &Site) {
    site.store()
        .add_block(&NewBlock {
            kind: BlockKind::Account,
            target: "jane@tube.example",
            reason: "test",
            source: None,
            created_by: None,
        })
        .await
        .unwrap();
    site.settle().await;
    let (_, answer) = site.get_json(&format!("{VIDEOS}?search=marathon")).await;
    assert_eq!(answer["total"], 0, "{answer}");
    let (_, channels) = site.get_json(&format!("{CHANNELS}?search=outdoors")).await;
    assert_eq!(channels["total"], 0, "{channels}");
}

async fn the_site_extras_come_only_when_asked(site: &Site) {
    let (_, plain) = site.get_json(&format!("{VIDEOS}?search=abeilles")).await;
    assert!(plain.get("facets").is_none() && plain["data"][0].get("highlights").is_none());
    let (_, rich) = site
        .get_json(&format!(
            "{VIDEOS}?search=abeilles&facets=true&highlights=true&suggest=true"
        ))
        .await;
    assert_eq!(rich["facets"]["languages"]["fr"], 1, "{rich}");
    let highlighted = rich["data"][0]["highlights"]["name"].as_str().unwrap();
    assert!(
        highlighted.contains("<mark>Abeilles</mark>") && highlighted.contains("&lt;script&gt;"),
        "highlights are escaped HTML: {highlighted}"
    );
    let (_, typo) = site
        .get_json(&format!(
            "{VIDEOS}?search=marathn%20mountans%20zzzqqq&suggest=true"
        ))
        .await;
    assert!(typo["total"].as_u64().unwrap() <= 1, "{typo}");
}

/// Publishing a selection re-indexes its videos (they become curated): they
/// must still be found by every word, although the index then counts the
/// replaced documents too until it merges them.
async fn re_indexed_videos_are_still_found_by_their_words(site: &Site) {
    let store = site.store();
    let selection = store
        .create_selection(
            &store::NewSelection {
                title: "Sport",
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let marathon = store
        .video_by_uuid(support::CORPUS[1].uuid)
        .await
        .unwrap()
        .unwrap();
    store
        .add_item(selection.id, marathon.id, "", None, None)
        .await
        .unwrap();
    for status in [
        store::SelectionStatus::Review,
        store::SelectionStatus::Published,
    ] {
        store
            .set_selection_status(selection.id, status, None, None)
            .await
            .unwrap();
    }
    site.settle().await;
    for word in ["marathon", "mountains", "running", "trail"] {
        let (_, answer) = site.get_json(&format!("{VIDEOS}?search={word}")).await;
        assert_eq!(
            names(&answer),
            ["Running a marathon in the mountains"],
            "{word}"
        );
        assert_eq!(answer["data"][0]["curated"], true);
    }
}

async fn health_and_metrics(site: &Site) {
    let health = site.client.get(site.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let _ = site.get_json(&format!("{VIDEOS}?search=x")).await;
    let metrics = site.client.get(site.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("florilege_http_requests_total{route=\"/api/v1/search/videos\",method=\"GET\",status=\"200\"}"),
        "{text}"
    );
    assert!(text.contains("florilege_searchable_videos 5"), "{text}");
}

async fn answers_carry_security_and_cors_headers(site: &Site) {
    let response = site
        .client
        .get(site.url(&format!("{VIDEOS}?search=x")))
        .header("origin", "https://peertube.example")
        .send()
        .await
        .unwrap();
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
}

site_tests!(
    videos_have_peertube_shape_and_absolute_urls,
    channels_have_peertube_shape,
    playlists_have_peertube_shape,
    get_and_post_answer_alike,
    nsfw_follows_peertube,
    filters_narrow_the_results,
    dates_filter_on_publication,
    sorts_and_pages,
    invalid_parameters_get_a_problem_naming_them,
    a_block_hides_at_once_after_indexing,
    the_site_extras_come_only_when_asked,
    re_indexed_videos_are_still_found_by_their_words,
    health_and_metrics,
    answers_carry_security_and_cors_headers,
);
