//! Helpers shared by the integration tests: fleets, an HTTP client, fixtures and a shape comparator.

use std::path::PathBuf;
use std::time::Duration;

use peertube_sim::{FaultTuning, Fleet, FleetConfig};
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode, redirect};
use serde_json::Value;

/// A client that never follows redirects (a fault redirects to a link-local address).
pub(crate) fn client() -> Client {
    client_with_timeout(Duration::from_secs(30))
}

pub(crate) fn client_with_timeout(timeout: Duration) -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .timeout(timeout)
        .build()
        .expect("client")
}

/// Short fault timings so fault tests stay fast.
pub(crate) fn fast_tuning() -> FaultTuning {
    FaultTuning {
        slow_delay: Duration::from_millis(300),
        stall: Duration::from_secs(3),
        oversized_bytes: 3 * 1024 * 1024,
        ..FaultTuning::default()
    }
}

/// A fleet without faults or rate limit.
pub(crate) async fn fleet(instances: usize, videos: u64, seed: u64) -> Fleet {
    Fleet::start(FleetConfig {
        instances,
        videos,
        seed,
        faults: 0.0,
        rate_limit: false,
        tuning: fast_tuning(),
        ..FleetConfig::default()
    })
    .await
    .expect("fleet starts")
}

pub(crate) async fn get(client: &Client, url: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let response = client.get(url).send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("body").to_vec();
    (status, headers, body)
}

pub(crate) async fn get_json(client: &Client, url: &str) -> (StatusCode, HeaderMap, Value) {
    let (status, headers, body) = get(client, url).await;
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {}", String::from_utf8_lossy(&body)));
    (status, headers, value)
}

pub(crate) fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures-6.3.0")
}

pub(crate) fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures_dir().join(name)).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

pub(crate) fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(name)).expect("fixture")
}

/// The `Content-Type` a real server sent with a fixture.
pub(crate) fn fixture_content_type(name: &str) -> String {
    fixture_text(name)
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Differences of keys, JSON types and nesting between a fixture and an answer.
/// Values may differ; `null` matches anything (nullable fields); array elements are compared
/// with the fixture's first element.
pub(crate) fn shape_diff(expected: &Value, actual: &Value, path: &str, errors: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(e), Value::Object(a)) => {
            for key in e.keys() {
                match a.get(key) {
                    Some(value) => shape_diff(&e[key], value, &format!("{path}.{key}"), errors),
                    None => errors.push(format!("{path}.{key}: missing")),
                }
            }
            for key in a.keys().filter(|k| !e.contains_key(*k)) {
                errors.push(format!("{path}.{key}: unexpected"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let Some(template) = e.first() {
                for (i, item) in a.iter().enumerate() {
                    shape_diff(template, item, &format!("{path}[{i}]"), errors);
                }
            }
        }
        (e, a) if kind(e) != kind(a) => {
            errors.push(format!("{path}: {} instead of {}", kind(a), kind(e)));
        }
        _ => {}
    }
}

pub(crate) fn assert_same_shape(fixture_name: &str, actual: &Value) {
    let mut errors = Vec::new();
    shape_diff(&fixture(fixture_name), actual, "$", &mut errors);
    assert!(errors.is_empty(), "{fixture_name}: {errors:#?}");
}

/// The instance with the most local videos.
pub(crate) fn biggest(fleet: &Fleet) -> usize {
    fleet
        .instances()
        .iter()
        .max_by_key(|i| i.local_videos)
        .map(|i| i.index)
        .expect("instances")
}

/// Every item of a list, paging naively with `count`.
pub(crate) async fn page_all(client: &Client, base: &str, query: &str, count: u64) -> Vec<Value> {
    let mut items = Vec::new();
    let mut start = 0;
    loop {
        let url = format!("{base}/api/v1/videos?{query}&start={start}&count={count}");
        let (status, _, page) = get_json(client, &url).await;
        assert_eq!(status, 200, "{url}");
        let data = page["data"].as_array().expect("data").clone();
        if data.is_empty() {
            break;
        }
        start += data.len() as u64;
        items.extend(data);
        assert!(start < 10_000_000, "runaway paging");
    }
    items
}

#[test]
fn shape_diff_notices_differences() {
    let fixture: Value = serde_json::json!({"a": 1, "b": [{"c": "x"}], "d": null});
    let good: Value = serde_json::json!({"a": 2, "b": [{"c": "y"}, {"c": "z"}], "d": {"e": 1}});
    let mut errors = Vec::new();
    shape_diff(&fixture, &good, "$", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    let bad: Value = serde_json::json!({"a": "2", "b": [{"c": 1}], "x": true});
    shape_diff(&fixture, &bad, "$", &mut errors);
    assert_eq!(errors.len(), 4, "{errors:?}");
}
