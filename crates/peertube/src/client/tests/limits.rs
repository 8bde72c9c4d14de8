//! Client tests: size caps, transport failures and base URL checks.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::get;

use super::{JSON, answer, client, http, ok_json, serve};
use crate::client::*;

#[tokio::test]
async fn size_cap_stops_an_endless_streamed_body() {
    let produced = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&produced);
    let router = Router::new().route(
        "/api/v1/config",
        get(move || {
            let counter = Arc::clone(&counter);
            async move {
                let chunks = futures::stream::repeat_with(move || {
                    counter.fetch_add(1, Ordering::Relaxed);
                    Ok::<_, Infallible>(Bytes::from(vec![b' '; 64 * 1024]))
                });
                answer(200, JSON, Body::from_stream(chunks))
            }
        }),
    );
    let options = ClientOptions {
        max_body_bytes: 1024 * 1024,
        ..ClientOptions::default()
    };
    let client = Client::with_options(http(), serve(router).await, options).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(20), client.config())
        .await
        .expect("the read must stop at the cap");
    assert!(
        matches!(result, Err(Error::TooLarge { limit: 1_048_576 })),
        "{result:?}"
    );
    // The server may have buffered some chunks ahead, but not an endless stream.
    assert!(produced.load(Ordering::Relaxed) < 1024);
}

#[tokio::test]
async fn size_cap_is_exact() {
    const CAP: usize = 4096;
    let exact = format!(r#"{{"serverVersion": "{}"}}"#, "9".repeat(CAP - 21));
    let over = format!(r#"{{"serverVersion": "{}"}}"#, "9".repeat(CAP - 20));
    assert_eq!(exact.len(), CAP);
    let router = Router::new()
        .route(
            "/exact",
            get(move || async move { answer(200, JSON, exact.clone()) }),
        )
        .route(
            "/over",
            get(move || async move { answer(200, JSON, over.clone()) }),
        );
    let options = ClientOptions {
        max_body_bytes: CAP as u64,
        ..ClientOptions::default()
    };
    let client = Client::with_options(http(), serve(router).await, options).unwrap();
    assert!(
        client
            .get_object::<ServerConfig>("/exact", &[])
            .await
            .is_ok()
    );
    let error = client
        .get_object::<ServerConfig>("/over", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::TooLarge { limit: 4096 }),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "answer larger than 4096 bytes");
}
#[tokio::test]
async fn transport_failures_are_classified() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let refused = client(Url::parse(&format!("http://{addr}")).unwrap())
        .config()
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "connect", "{refused}");
    let text = refused.to_string();
    assert!(
        text.starts_with("cannot connect: error sending request: "),
        "{text}"
    );
    assert!(
        !text.contains(&addr.to_string()),
        "the URL is left to the caller: {text}"
    );
    assert!(refused.is_transient());

    let slow = Router::new().route(
        "/api/v1/config",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            ok_json("{}")
        }),
    );
    let options = ClientOptions {
        timeout: Some(Duration::from_millis(200)),
        ..ClientOptions::default()
    };
    let client = Client::with_options(http(), serve(slow).await, options).unwrap();
    let error = client.config().await.unwrap_err();
    assert_eq!(error.code(), "timeout", "{error}");
}

#[test]
fn base_urls_are_checked_and_reduced_to_their_origin() {
    let client = Client::new(
        http(),
        Url::parse("https://video.example:8443/some/path?q=1#f").unwrap(),
    )
    .unwrap();
    assert_eq!(client.base_url().as_str(), "https://video.example:8443/");
    assert_eq!(client.host(), "video.example:8443");
    for bad in [
        "ftp://video.example",
        "https://user:pw@video.example",
        "data:text/plain,x",
    ] {
        let error = Client::new(http(), Url::parse(bad).unwrap()).unwrap_err();
        assert_eq!(error.code(), "invalid_url", "{bad}");
    }
}

#[tokio::test]
async fn size_cap_applies_to_the_decompressed_body() {
    // 16 KiB of gzip that inflates to 16 MiB.
    let router = Router::new().route(
        "/api/v1/config",
        get(|| async {
            (
                [("content-type", JSON), ("content-encoding", "gzip")],
                &include_bytes!("../../../tests/fixtures/gzip-bomb-16mib.json.gz")[..],
            )
        }),
    );
    let options = ClientOptions {
        max_body_bytes: 1024 * 1024,
        ..ClientOptions::default()
    };
    let client = Client::with_options(http(), serve(router).await, options).unwrap();
    let error = client.config().await.unwrap_err();
    assert!(
        matches!(error, Error::TooLarge { limit: 1_048_576 }),
        "{error:?}"
    );
}

#[tokio::test]
async fn robots_txt_must_be_text() {
    let router = Router::new().route("/robots.txt", get(|| async { ok_json("{}") }));
    let error = client(serve(router).await).robots_txt().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "expected text/plain, got content type \"application/json; charset=utf-8\""
    );
}
