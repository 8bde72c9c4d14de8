//! Request-level faults: delays, stalls, 5xx, redirects, wrong types and corrupted or huge bodies.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::mastodon;
use crate::content::VideoState;
use crate::fault::FaultMode;
use crate::mix::{hash4, mix64, tag};
use crate::problem::{JSON, Problem};
use crate::render::{View, video_item};
use crate::server::ConnMeta;
use crate::state::{Counters, Shared};

/// Paths whose bodies data faults corrupt: video lists and details.
fn is_video_data(path: &str) -> bool {
    let tables = [
        "/api/v1/videos/categories",
        "/api/v1/videos/licences",
        "/api/v1/videos/languages",
        "/api/v1/videos/privacies",
    ];
    (path.starts_with("/api/v1/videos") && !tables.contains(&path))
        || (path.starts_with("/api/v1/video-channels/") && path.ends_with("/videos"))
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/.well-known/") || path.starts_with("/nodeinfo")
}

pub(crate) async fn faults(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(meta): ConnectInfo<ConnMeta>,
    request: Request,
    next: Next,
) -> Response {
    let index = meta.instance;
    let instance = shared.instance(index);
    let fault = instance.fault();
    let path = request.uri().path().to_owned();
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    // Same URL, same corruption: reproducible for a given seed.
    let url_hash = hash4(
        shared.seed,
        index as u64,
        mix64(fnv(&target)),
        tag::FAULT_PICK,
    );
    let counted = |response: Response| {
        Counters::add(&instance.counters.faults, 1);
        response
    };
    match fault {
        FaultMode::Slow => {
            tokio::select! {
                () = tokio::time::sleep(shared.tuning.slow_delay) => {}
                () = shared.stopped() => {}
            }
            counted(next.run(request).await)
        }
        FaultMode::Stall => counted(stall(Arc::clone(&shared), index)),
        FaultMode::ServerError if is_api(&path) => {
            let n = instance
                .counters
                .requests
                .load(std::sync::atomic::Ordering::Relaxed);
            counted(server_error(n))
        }
        FaultMode::WrongContentType if is_api(&path) => counted(html_page()),
        FaultMode::RedirectLoop => counted(redirect(&target)),
        FaultMode::RedirectPrivate => counted(redirect("http://169.254.169.254/latest/meta-data/")),
        FaultMode::MalformedJson if is_video_data(&path) => {
            let response = next.run(request).await;
            counted(malformed(response, url_hash).await)
        }
        FaultMode::InvalidUtf8 if is_video_data(&path) => {
            let response = next.run(request).await;
            counted(invalid_utf8(response).await)
        }
        FaultMode::Oversized if is_video_data(&path) => counted(oversized(&shared, index)),
        FaultMode::NotPeerTube => mastodon::respond(&shared, index, &path),
        FaultMode::Flaky => {
            let n = instance
                .counters
                .requests
                .load(std::sync::atomic::Ordering::Relaxed);
            match hash4(shared.seed, index as u64, n, tag::FAULT_PICK) % 6 {
                0 => counted(server_error(n)),
                1 if is_video_data(&path) => {
                    let response = next.run(request).await;
                    counted(malformed(response, 0).await)
                }
                _ => next.run(request).await,
            }
        }
        _ => next.run(request).await,
    }
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn server_error(n: u64) -> Response {
    match n % 3 {
        0 => {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
        }
        1 => nginx(StatusCode::BAD_GATEWAY, "502 Bad Gateway"),
        _ => {
            let mut response = nginx(
                StatusCode::SERVICE_UNAVAILABLE,
                "503 Service Temporarily Unavailable",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            response
        }
    }
}

fn nginx(status: StatusCode, title: &str) -> Response {
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// A 200 answer that is an HTML error page (a captive portal or a misconfigured proxy).
fn html_page() -> Response {
    let body = "<!DOCTYPE html><html><head><title>Maintenance</title></head>\
<body><h1>Nous revenons bientôt</h1><p>Le site est en maintenance.</p></body></html>";
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Status, headers and the start of a body, then nothing until the stall ends; then an abort.
fn stall(shared: Arc<Shared>, index: usize) -> Response {
    let first = format!(
        "{{\"total\":{},\"data\":[{{\"id\":1,",
        shared.instance(index).spec.base_videos
    );
    let stream = futures::stream::unfold(Some(first), move |state| {
        let shared = Arc::clone(&shared);
        async move {
            match state {
                Some(first) => Some((Ok(Bytes::from(first)), None)),
                None => {
                    tokio::select! {
                        () = tokio::time::sleep(shared.tuning.stall) => {}
                        () = shared.stopped() => {}
                    }
                    let error = std::io::Error::new(std::io::ErrorKind::TimedOut, "stalled");
                    Some((Err(error), None))
                }
            }
        }
    });
    json_stream(Body::from_stream(stream))
}

fn json_stream(body: Body) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

/// A streamed list of valid-looking items far larger than any sane cap.
fn oversized(shared: &Arc<Shared>, index: usize) -> Response {
    let generator = shared.generator(index);
    let spec = generator.spec;
    let view = View {
        old: false,
        server_host: &spec.host,
    };
    let video = generator.video(0, &VideoState::default());
    let item = format!("{},", video_item(&video, 1, view));
    let mut chunk = String::with_capacity(64 * 1024 + item.len());
    while chunk.len() < 64 * 1024 {
        chunk.push_str(&item);
    }
    let chunk = Bytes::from(chunk);
    let head = Bytes::from(format!("{{\"total\":{},\"data\":[", spec.base_videos));
    let tail = Bytes::from(format!("{}]}}", video_item(&video, 1, view)));
    let target = shared.tuning.oversized_bytes;
    let shared = Arc::clone(shared);
    let stream = futures::stream::unfold(0u64, move |sent| {
        let (head, tail, chunk) = (head.clone(), tail.clone(), chunk.clone());
        let shared = Arc::clone(&shared);
        async move {
            let next = if sent == 0 {
                head
            } else if sent == u64::MAX {
                return None;
            } else if sent >= target {
                tail
            } else {
                chunk
            };
            let len = next.len() as u64;
            Counters::add(&shared.instance(index).counters.bytes, len);
            let sent = if sent >= target && sent > 0 {
                u64::MAX
            } else {
                sent + len
            };
            Some((Ok::<_, std::io::Error>(next), sent))
        }
    });
    json_stream(Body::from_stream(stream))
}

async fn body_bytes(response: Response) -> (axum::http::response::Parts, Vec<u8>) {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    (parts, bytes)
}

fn rebuild(mut parts: axum::http::response::Parts, body: Vec<u8>) -> Response {
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// Truncated JSON, a syntax error, or (for lists) valid JSON with ill-typed items.
async fn malformed(response: Response, pick: u64) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let (parts, mut body) = body_bytes(response).await;
    match pick % 3 {
        0 => body.truncate(body.len() * 2 / 3),
        1 => {
            let text = String::from_utf8_lossy(&body)
                .replacen("\":", "\"=", 3)
                .replacen(",\"", ",,\"", 1);
            body = text.into_bytes();
        }
        _ => {
            let mut value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let items = value.get_mut("data").and_then(|d| d.as_array_mut());
            match items {
                Some(items) if !items.is_empty() => {
                    items[0]["uuid"] = serde_json::json!(42);
                    items[0]["publishedAt"] = serde_json::json!("hier soir");
                    if let Some(second) = items.get_mut(1) {
                        second["views"] = serde_json::json!("beaucoup");
                        second["account"] = serde_json::json!([]);
                    }
                    body = value.to_string().into_bytes();
                }
                _ => body.truncate(body.len() / 2),
            }
        }
    }
    rebuild(parts, body)
}

/// Invalid UTF-8 bytes inside JSON strings (names and descriptions).
async fn invalid_utf8(response: Response) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let (parts, body) = body_bytes(response).await;
    let mut out = Vec::with_capacity(body.len() + 256);
    let markers: [(&[u8], &[u8]); 2] = [
        (b"\"name\":\"", b"\xC3\x28"),
        (b"\"description\":\"", b"\xFF\xFE\x80"),
    ];
    let mut i = 0;
    while i < body.len() {
        out.push(body[i]);
        i += 1;
        for (marker, bad) in markers {
            if out.ends_with(marker) {
                out.extend_from_slice(bad);
            }
        }
    }
    rebuild(parts, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_data_paths() {
        assert!(is_video_data("/api/v1/videos"));
        assert!(is_video_data("/api/v1/videos/abc"));
        assert!(!is_video_data("/api/v1/videos/languages"));
        assert!(is_video_data("/api/v1/video-channels/x_1/videos"));
        assert!(!is_video_data("/api/v1/config"));
    }
}
