//! The address guard against a corpus of tricks: internal addresses in every spelling, names resolving to loopback, redirects.

use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use crawler::{CancellationToken, Crawler, CrawlerConfig, http_client};
use peertube_sim::FleetConfig;
use store::{InstanceAddress, InstanceOrigin, InstanceStatus, NewInstance};

fn public_only() -> CrawlerConfig {
    CrawlerConfig {
        allow_loopback: false,
        allow_private_addresses: false,
        ..CrawlerConfig::for_loopback_tests()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_only_crawler_never_contacts_internal_addresses() {
    let test = store::testing::TestStore::sqlite().await;
    let store = test.store.clone();
    let fleet = peertube_sim::Fleet::start(FleetConfig {
        instances: 1,
        videos: 10,
        rate_limit: false,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let port = fleet.instances()[0]
        .base_url
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let tricks = [
        format!("http://127.0.0.1:{port}"),
        format!("http://2130706433:{port}"),
        format!("http://0x7f000001:{port}"),
        format!("http://0177.0.0.1:{port}"),
        format!("http://127.1:{port}"),
        format!("http://0.0.0.0:{port}"),
        format!("http://[::1]:{port}"),
        format!("http://[::ffff:127.0.0.1]:{port}"),
        format!("http://localhost:{port}"),
        format!("http://LocalHost.:{port}"),
        "http://169.254.169.254".to_owned(),
        "http://[::ffff:a9fe:a9fe]".to_owned(),
        "http://10.0.0.1".to_owned(),
        "http://192.168.0.1".to_owned(),
        "http://172.16.0.1".to_owned(),
        "http://100.64.0.1".to_owned(),
        "http://[fe80::1]".to_owned(),
        "http://[fc00::1]".to_owned(),
        "http://224.0.0.1".to_owned(),
        "http://[::]".to_owned(),
    ];
    for trick in &tricks {
        let address = InstanceAddress::parse(trick, "http").unwrap();
        let new = NewInstance {
            address,
            status: InstanceStatus::Approved,
            origin: InstanceOrigin::Cli,
            discovered_from: None,
        };
        store.add_instance(&new).await.unwrap();
    }
    let crawler = Crawler::new(store.clone(), public_only()).unwrap();
    let reports = crawler
        .crawl_once(None, &CancellationToken::new())
        .await
        .unwrap();
    assert!(!reports.is_empty());
    for report in &reports {
        let error = report
            .error
            .as_deref()
            .unwrap_or_else(|| panic!("{} must be refused", report.host));
        assert!(
            error.contains("refused") || error.contains("internal"),
            "{}: {error}",
            report.host
        );
    }
    let stats = fleet.stats();
    assert_eq!(
        (stats.total.connections, stats.total.requests),
        (0, 0),
        "the fleet was never contacted"
    );
    fleet.shutdown().await;
    test.cleanup().await;
}

/// A loopback server whose `/r?to=URL` redirects to URL.
async fn redirector() -> String {
    async fn redirect(
        Query(query): Query<std::collections::HashMap<String, String>>,
    ) -> (StatusCode, HeaderMap) {
        let mut headers = HeaderMap::new();
        if let Some(to) = query.get("to").and_then(|to| to.parse().ok()) {
            headers.insert(header::LOCATION, to);
        }
        (StatusCode::FOUND, headers)
    }
    let app = axum::Router::new()
        .route("/r", get(redirect))
        .route("/ok", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

#[tokio::test]
async fn redirects_to_internal_addresses_are_refused_before_any_connection() {
    let base = redirector().await;
    let config = CrawlerConfig {
        allow_loopback: true,
        ..CrawlerConfig::for_loopback_tests()
    };
    let client = http_client(&config).unwrap();
    let targets = [
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/",
        "http://0xa9fea9fe/",
        "http://[::ffff:169.254.169.254]/",
        "http://10.0.0.1/",
        "http://167772161/",
        "http://192.168.1.1/",
        "http://0.0.0.0/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:25/",
    ];
    for target in targets {
        let url = format!("{base}/r?to={}", urlencode(target));
        match client.get(&url).send().await {
            // Not an http(s) URL: not followed at all, the 302 comes back as it is.
            Ok(response) => assert!(response.status().is_redirection(), "{target} was followed"),
            Err(error) => {
                let chain = error_chain(&error).join(": ");
                assert!(chain.contains("refused"), "{target}: {chain}");
            }
        }
    }
    // A loop is cut after max_redirects; a loopback target is allowed by this policy.
    let mut looping = format!("{base}/ok");
    for _ in 0..6 {
        looping = format!("{base}/r?to={}", urlencode(&looping));
    }
    assert!(
        client.get(&looping).send().await.is_err(),
        "too many redirects"
    );
    let allowed = client
        .get(format!("{base}/r?to={}", urlencode(&format!("{base}/ok"))))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.text().await.unwrap(), "ok");
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn error_chain(error: &dyn std::error::Error) -> Vec<String> {
    let mut chain = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push(cause.to_string());
        source = cause.source();
    }
    chain
}
