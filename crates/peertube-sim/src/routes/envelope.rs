//! Around every request: counting, the rate limit (429) and PeerTube's response headers.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::HttpBody;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::fault::FaultMode;
use crate::ratelimit::Decision;
use crate::server::ConnMeta;
use crate::state::{Counters, Shared};

pub(crate) async fn envelope(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(meta): ConnectInfo<ConnMeta>,
    request: Request,
    next: Next,
) -> Response {
    let instance = shared.instance(meta.instance);
    Counters::add(&instance.counters.requests, 1);
    let decision = shared.rate_limit.load(Ordering::Relaxed).then(|| {
        instance.limiter.hit(
            meta.remote.ip(),
            shared.tuning.rate_limit_max,
            shared.tuning.rate_limit_window,
        )
    });
    let mut response = match decision {
        Some(d) if !d.allowed => {
            Counters::add(&instance.counters.rate_limited, 1);
            too_many_requests(d)
        }
        _ => next.run(request).await,
    };
    let headers = response.headers_mut();
    if instance.fault() != FaultMode::NotPeerTube {
        peertube_headers(headers);
    }
    if let Some(d) = decision {
        rate_headers(headers, d);
    }
    if let Some(bytes) = response.body().size_hint().exact() {
        Counters::add(&instance.counters.bytes, bytes);
    }
    response
}

fn peertube_headers(headers: &mut HeaderMap) {
    let fixed = [
        ("x-powered-by", "PeerTube"),
        ("x-frame-options", "DENY"),
        ("access-control-allow-origin", "*"),
        ("access-control-allow-credentials", "true"),
        ("access-control-expose-headers", "Retry-After"),
        ("tk", "N"),
    ];
    for (name, value) in fixed {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
}

fn rate_headers(headers: &mut HeaderMap, d: Decision) {
    let values = [
        ("x-ratelimit-limit", u64::from(d.limit)),
        ("x-ratelimit-remaining", u64::from(d.remaining)),
        ("x-ratelimit-reset", d.reset_epoch),
    ];
    for (name, value) in values {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}

/// express-rate-limit's answer: 429, `Retry-After`, a short text body.
fn too_many_requests(d: Decision) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        "Too many requests, please try again later.",
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(d.retry_after));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}
