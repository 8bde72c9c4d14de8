//! Client tests: NodeInfo discovery and the "not PeerTube" answers.

use axum::Router;
use axum::routing::get;

use super::{JSON, answer, client, ok_json, serve};
use crate::client::*;

/// A router whose well-known document links to `href` and whose NodeInfo names `software`.
fn nodeinfo_router(href: String, software: &'static str) -> Router {
    Router::new()
        .route(
            "/.well-known/nodeinfo",
            get(move || {
                let href = href.clone();
                async move {
                let body = serde_json::json!({ "links": [
                    { "rel": "https://www.w3.org/ns/activitystreams#Application", "href": "/accounts/peertube" },
                    { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": href },
                ]});
                answer(200, JSON, body.to_string())
                }
            }),
        )
        .route(
            "/nodeinfo/2.0.json",
            get(move || async move {
                let body = include_str!("../../../tests/fixtures/6.3.0/nodeinfo-2.0.json")
                    .replace("\"peertube\"", &format!("{software:?}"));
                answer(
                    200,
                    "application/json; charset=utf-8; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\"",
                    body,
                )
            }),
        )
}

/// Serves a router built from its own base URL.
async fn serve_with_base(build: impl FnOnce(&Url) -> Router) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let router = build(&base);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    base
}

#[tokio::test]
async fn nodeinfo_follows_the_absolute_link() {
    let base =
        serve_with_base(|base| nodeinfo_router(format!("{base}nodeinfo/2.0.json"), "peertube"))
            .await;
    let info = client(base).nodeinfo().await.unwrap();
    assert!(info.value.is_peertube());
    assert_eq!(info.value.software.version.as_deref(), Some("6.3.0"));
    assert_eq!(info.rate_limit.limit, Some(50));
}

#[tokio::test]
async fn nodeinfo_links_stay_on_the_instance_origin() {
    // The saved 6.3.0 answer links to localhost:9001, another origin than ours:
    // its path is fetched from our origin instead.
    let base = serve(nodeinfo_router(
        "http://localhost:9001/nodeinfo/2.0.json".to_owned(),
        "peertube",
    ))
    .await;
    assert!(
        client(base.clone())
            .nodeinfo()
            .await
            .unwrap()
            .value
            .is_peertube()
    );
    let relative = serve(nodeinfo_router("/nodeinfo/2.0.json".to_owned(), "peertube")).await;
    assert!(client(relative).nodeinfo().await.is_ok());
}

#[tokio::test]
async fn nodeinfo_of_other_software_is_not_peertube() {
    let base = serve(nodeinfo_router("/nodeinfo/2.0.json".to_owned(), "mastodon")).await;
    let error = client(base).nodeinfo().await.unwrap_err();
    assert_eq!(error.code(), "not_peertube");
    assert_eq!(
        error.to_string(),
        "not a PeerTube instance: NodeInfo software is \"mastodon\""
    );
    let empty = serve(Router::new()).await;
    let error = client(empty).nodeinfo().await.unwrap_err();
    assert_eq!(error.code(), "not_peertube", "{error}");
}

#[tokio::test]
async fn a_config_without_server_version_is_not_peertube() {
    let router = Router::new().route(
        "/api/v1/config",
        get(|| async { ok_json(r#"{"instance": {}}"#) }),
    );
    let error = client(serve(router).await).config().await.unwrap_err();
    assert_eq!(error.code(), "not_peertube");
}
