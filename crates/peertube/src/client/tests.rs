//! Client tests over real HTTP against a tiny axum server on 127.0.0.1:0: endpoints and error mapping.

mod limits;
mod nodeinfo;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::RawQuery;
use axum::http::{StatusCode as AxumStatus, Uri};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::get;
use serde_json::Value;

use super::*;
use crate::error::DecodeError;

const JSON: &str = "application/json; charset=utf-8";
const PROBLEM: &str = "application/problem+json; charset=utf-8";

pub(super) fn answer(
    status: u16,
    content_type: &'static str,
    body: impl Into<Body>,
) -> AxumResponse {
    let status = AxumStatus::from_u16(status).unwrap_or(AxumStatus::INTERNAL_SERVER_ERROR);
    (
        status,
        [
            ("content-type", content_type),
            ("x-ratelimit-limit", "50"),
            ("x-ratelimit-remaining", "49"),
            ("x-ratelimit-reset", "1795466199"),
        ],
        body.into(),
    )
        .into_response()
}

pub(super) fn ok_json(body: &'static str) -> AxumResponse {
    answer(200, JSON, body)
}

/// Starts `router` on a free port and gives its base URL.
pub(super) async fn serve(router: Router) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Url::parse(&format!("http://{addr}")).unwrap()
}

pub(super) fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub(super) fn client(base: Url) -> Client {
    Client::new(http(), base).unwrap()
}

#[derive(Clone, Default)]
struct Seen {
    queries: Arc<Mutex<Vec<String>>>,
    paths: Arc<Mutex<Vec<String>>>,
}

/// An instance answering like the saved 6.3.0 server.
fn instance(seen: &Seen) -> Router {
    let queries = Arc::clone(&seen.queries);
    let paths = Arc::clone(&seen.paths);
    Router::new()
        .route(
            "/api/v1/config",
            get(|| async { ok_json(include_str!("../../tests/fixtures/6.3.0/config.json")) }),
        )
        .route(
            "/api/v1/config/about",
            get(|| async { answer(200, "text/html; charset=utf-8", "<html>hi</html>") }),
        )
        .route(
            "/api/v1/server/stats",
            get(|| async {
                (
                    AxumStatus::TOO_MANY_REQUESTS,
                    [
                        ("content-type", PROBLEM),
                        ("retry-after", "7"),
                        ("x-ratelimit-limit", "50"),
                        ("x-ratelimit-remaining", "0"),
                        ("x-ratelimit-reset", "1795466199"),
                    ],
                    r#"{"type": "about:blank", "title": "Too Many Requests", "status": 429,
                        "detail": "Too many requests, please try again later."}"#,
                )
                    .into_response()
            }),
        )
        .route(
            "/api/v1/videos",
            get(move |RawQuery(query): RawQuery| async move {
                if let Ok(mut queries) = queries.lock() {
                    queries.push(query.unwrap_or_default());
                }
                ok_json(include_str!("../../tests/fixtures/6.3.0/videos-list.json"))
            }),
        )
        .route(
            "/api/v1/videos/856a38e2-c9af-4755-bf73-ce63357bb8b8",
            get(|| async {
                ok_json(include_str!(
                    "../../tests/fixtures/6.3.0/video-details.json"
                ))
            }),
        )
        .route(
            "/api/v1/videos/00000000-0000-0000-0000-000000000000",
            get(|| async {
                answer(
                    400,
                    PROBLEM,
                    include_str!("../../tests/fixtures/6.3.0/error-video-not-found.json"),
                )
            }),
        )
        .route(
            "/api/v1/video-channels/cuisine_fr",
            get(|| async {
                ok_json(include_str!(
                    "../../tests/fixtures/6.3.0/video-channel.json"
                ))
            }),
        )
        .route(
            "/api/v1/video-channels/cuisine_fr/video-playlists",
            get(|| async {
                ok_json(include_str!(
                    "../../tests/fixtures/6.3.0/video-channel-playlists.json"
                ))
            }),
        )
        .route(
            "/api/v1/video-channels/cuisine_fr/videos",
            get(|| async {
                ok_json(
                    r#"{"total": 3, "data": [
                        {"uuid": "bdc7eddd-77cb-4628-aa4c-0de742ca4c4f", "name": "good"},
                        {"uuid": "bdc7eddd-77cb-4628-aa4c-0de742ca4c4f"},
                        {"uuid": "7a1c1b81-cfe2-4599-a64a-d9b98a59b1e8", "name": "also good"}]}"#,
                )
            }),
        )
        .route(
            "/api/v1/video-channels",
            get(|| async {
                ok_json(include_str!(
                    "../../tests/fixtures/6.3.0/video-channels-list.json"
                ))
            }),
        )
        .route(
            "/api/v1/accounts/alice",
            get(|| async { ok_json(include_str!("../../tests/fixtures/6.3.0/account.json")) }),
        )
        .route(
            "/api/v1/video-playlists",
            get(|| async {
                ok_json(include_str!(
                    "../../tests/fixtures/6.3.0/video-playlists-list.json"
                ))
            }),
        )
        .route(
            "/api/v1/server/following",
            get(|| async {
                ok_json(include_str!(
                    "../../tests/fixtures/6.3.0/instance2-server-following.json"
                ))
            }),
        )
        .route(
            "/api/v1/videos/categories",
            get(|| async {
                ok_json(include_str!(
                    "../../tests/fixtures/6.3.0/videos-categories.json"
                ))
            }),
        )
        .route(
            "/robots.txt",
            get(|| async {
                answer(
                    200,
                    "text/plain; charset=utf-8",
                    include_str!("../../tests/fixtures/6.3.0/robots.txt"),
                )
            }),
        )
        .route(
            "/broken/utf8",
            get(|| async { answer(200, JSON, &b"{\"name\": \"\xff\"}"[..]) }),
        )
        .route("/broken/empty", get(|| async { answer(200, JSON, "") }))
        .route("/broken/array", get(|| async { ok_json("[1, 2, 3]") }))
        .route(
            "/broken/truncated",
            get(|| async { ok_json(r#"{"data": [{"uuid": "#) }),
        )
        .route(
            "/broken/500",
            get(|| async { answer(500, "text/html", "<h1>Internal error</h1>") }),
        )
        .route(
            "/broken/no-content-type",
            get(|| async { (AxumStatus::OK, Body::from("{}")).into_response() }),
        )
        .fallback(move |uri: Uri| async move {
            if let Ok(mut paths) = paths.lock() {
                paths.push(uri.path().to_owned());
            }
            answer(
                404,
                PROBLEM,
                r#"{"type": "about:blank", "title": "Not Found", "status": 404}"#,
            )
        })
}
#[tokio::test]
async fn decodes_every_endpoint_and_reads_rate_limits() {
    let seen = Seen::default();
    let client = client(serve(instance(&seen)).await);

    let config = client.config().await.unwrap();
    assert_eq!(config.value.server_version.as_deref(), Some("6.3.0"));
    assert_eq!(
        config.rate_limit,
        RateLimit {
            limit: Some(50),
            remaining: Some(49),
            reset: Some(1_795_466_199),
            retry_after: None,
        }
    );

    let videos = client.videos(&VideoListQuery::page(200)).await.unwrap();
    assert_eq!(videos.value.items.len(), 5);
    assert_eq!(
        seen.queries.lock().unwrap().as_slice(),
        ["isLocal=true&nsfw=both&skipCount=true&sort=-publishedAt&start=200&count=100"]
    );

    let details = client
        .video("856a38e2-c9af-4755-bf73-ce63357bb8b8")
        .await
        .unwrap();
    assert_eq!(details.value.tags, ["pattern", "test"]);

    let channel = client.channel("cuisine_fr").await.unwrap();
    assert_eq!(channel.value.display_name_or_name(), "Cuisine Française");
    let playlists = client
        .channel_playlists("cuisine_fr", &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(playlists.value.items.len(), 1);
    let channels = client.channels(&ListQuery::default()).await.unwrap();
    assert_eq!(channels.value.total, Some(6));
    let account = client.account("alice").await.unwrap();
    assert_eq!(account.value.name, "alice");
    let all_playlists = client.playlists(&ListQuery::default()).await.unwrap();
    assert_eq!(all_playlists.value.items.len(), 3);
    let following = client.following(&ListQuery::default()).await.unwrap();
    assert_eq!(
        following.value.items[0].following_host(),
        Some("localhost:9001")
    );
    let categories = client.video_categories().await.unwrap();
    assert_eq!(
        categories.value.get("15").map(String::as_str),
        Some("Science & Technology")
    );
    let robots = client.robots_txt().await.unwrap();
    assert!(robots.value.starts_with("User-agent: *"));
}

#[tokio::test]
async fn a_bad_item_over_http_is_skipped() {
    let client = client(serve(instance(&Seen::default())).await);
    let page = client
        .channel_videos("cuisine_fr", &VideoListQuery::default())
        .await
        .unwrap()
        .value;
    let names: Vec<&str> = page.items.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["good", "also good"]);
    assert_eq!(page.skipped.len(), 1);
    assert_eq!(page.skipped[0].index, 1);
    assert!(page.skipped[0].error.contains("missing field `name`"));
}

#[tokio::test]
async fn problem_json_errors_are_mapped() {
    let client = client(serve(instance(&Seen::default())).await);
    let error = client
        .video("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::BAD_REQUEST));
    assert_eq!(error.code(), "status");
    let problem = error.problem().unwrap();
    assert_eq!(
        problem.detail.as_deref(),
        Some("Incorrect request parameters: id")
    );
    assert_eq!(
        error.to_string(),
        "HTTP 400 Bad Request: Bad Request: Incorrect request parameters: id"
    );

    let html = client
        .get_object::<Value>("/broken/500", &[])
        .await
        .unwrap_err();
    assert_eq!(html.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert!(html.problem().is_none());
    assert!(html.is_transient());
}

#[tokio::test]
async fn rate_limited_answers_carry_retry_after() {
    let client = client(serve(instance(&Seen::default())).await);
    let error = client.stats().await.unwrap_err();
    let Error::RateLimited {
        retry_after,
        rate_limit,
        problem,
    } = &error
    else {
        panic!("expected RateLimited, got {error:?}");
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(7)));
    assert!(rate_limit.is_exhausted());
    assert_eq!(rate_limit.limit, Some(50));
    assert_eq!(
        problem.as_ref().unwrap().title.as_deref(),
        Some("Too Many Requests")
    );
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(error.code(), "rate_limited");
}

#[tokio::test]
async fn wrong_content_types_are_refused() {
    let client = client(serve(instance(&Seen::default())).await);
    let error = client.about().await.unwrap_err();
    assert!(
        matches!(&error, Error::WrongContentType { content_type, .. } if content_type == "text/html; charset=utf-8"),
        "{error:?}"
    );
    let none = client
        .get_object::<Value>("/broken/no-content-type", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&none, Error::WrongContentType { content_type, .. } if content_type == "(none)"),
        "{none:?}"
    );
}

#[tokio::test]
async fn broken_bodies_give_decode_errors() {
    let client = client(serve(instance(&Seen::default())).await);
    let decode_error = |e: Error| match e {
        Error::Decode(d) => d,
        other => panic!("expected a decode error, got {other:?}"),
    };
    let utf8 = client
        .get_object::<Value>("/broken/utf8", &[])
        .await
        .unwrap_err();
    assert_eq!(
        decode_error(utf8),
        DecodeError::InvalidUtf8 { valid_up_to: 10 }
    );
    let empty = client
        .get_object::<Value>("/broken/empty", &[])
        .await
        .unwrap_err();
    assert_eq!(decode_error(empty), DecodeError::Empty);
    let array = client
        .get_object::<ServerConfig>("/broken/array", &[])
        .await
        .unwrap_err();
    assert!(matches!(decode_error(array), DecodeError::Shape { .. }));
    let truncated = client
        .get_page::<Video>("/broken/truncated", &[])
        .await
        .unwrap_err();
    assert!(matches!(
        decode_error(truncated),
        DecodeError::Syntax { .. }
    ));
}

#[tokio::test]
async fn path_segments_are_encoded_and_dot_segments_refused() {
    let seen = Seen::default();
    let client = client(serve(instance(&seen)).await);
    let error = client.channel("a/b?c#d@host").await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(
        seen.paths.lock().unwrap().as_slice(),
        ["/api/v1/video-channels/a%2Fb%3Fc%23d@host"]
    );
    for bad in ["..", ".", ""] {
        let error = client.channel(bad).await.unwrap_err();
        assert_eq!(error.code(), "invalid_url", "{bad:?}");
    }
}
#[test]
fn decodes_the_label_tables() {
    let categories: Labels = decode(include_bytes!(
        "../../tests/fixtures/6.3.0/videos-categories.json"
    ))
    .unwrap();
    assert_eq!(categories.get("18").map(String::as_str), Some("Food"));
    let licences: Labels = decode(include_bytes!(
        "../../tests/fixtures/6.3.0/videos-licences.json"
    ))
    .unwrap();
    assert_eq!(licences.len(), 7);
    let languages: Labels = decode(include_bytes!(
        "../../tests/fixtures/6.3.0/videos-languages.json"
    ))
    .unwrap();
    assert_eq!(languages.get("fr").map(String::as_str), Some("French"));
}

/// Parses a saved `NAME.headers` file (status line, then `Name: value` lines).
fn saved_headers(text: &str) -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    for line in text.lines().skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            let name = reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()).unwrap();
            let value = reqwest::header::HeaderValue::from_str(value.trim()).unwrap();
            headers.append(name, value);
        }
    }
    headers
}

#[test]
fn saved_6_3_headers_give_rate_limits_and_json_types() {
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T20:36:30Z")
        .unwrap()
        .with_timezone(&Utc);
    let error = saved_headers(include_str!(
        "../../tests/fixtures/6.3.0/error-count-too-large.headers"
    ));
    let limit = RateLimit::from_headers(&error, now);
    assert_eq!(limit.limit, Some(100_000));
    assert_eq!(limit.remaining, Some(99_992));
    assert_eq!(limit.reset, Some(1_795_466_199));
    assert_eq!(limit.retry_after, None);
    assert_eq!(
        media_type(&error).as_deref(),
        Some("application/problem+json")
    );
    for text in [
        include_str!("../../tests/fixtures/6.3.0/nodeinfo-2.0.headers"),
        include_str!("../../tests/fixtures/6.3.0/well-known-nodeinfo.headers"),
        include_str!("../../tests/fixtures/6.3.0/videos-list.headers"),
    ] {
        let media = media_type(&saved_headers(text)).unwrap();
        assert!(is_json(&media), "{media}");
    }
    let robots = saved_headers(include_str!("../../tests/fixtures/6.3.0/robots.headers"));
    assert_eq!(media_type(&robots).as_deref(), Some("text/plain"));
}
