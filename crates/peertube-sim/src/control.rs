//! The control address: the JoinPeerTube-style hosts list, and the fleet's counters.

use std::sync::Arc;

use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::problem::{Problem, json_response};
use crate::routes::{Params, query_param};
use crate::state::Shared;
use crate::stats::collect;

/// Routes of the control server.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/instances/hosts", get(hosts))
        .route("/sim/stats", get(stats))
        .route("/", get(index))
        .with_state(shared)
}

/// `GET /api/v1/instances/hosts?start=&count=&healthy=`: `{"total": N, "data": [{"host": ...}]}`.
/// `count` defaults to 20 and may be up to 5000; `healthy` is accepted (every host answers).
async fn hosts(State(shared): State<Arc<Shared>>, OriginalUri(uri): OriginalUri) -> Response {
    let params = Params::parse(uri.query());
    let mut invalid = Vec::new();
    let start = params
        .uint("start", None, "Should have a number start", &mut invalid)
        .unwrap_or(0);
    let count = params
        .uint(
            "count",
            Some(5000),
            "Should have a number count (max: 5000)",
            &mut invalid,
        )
        .unwrap_or(20);
    if let Some(raw) = params.get("healthy")
        && !matches!(raw, "true" | "false" | "1" | "0")
    {
        invalid.push(query_param(
            "healthy",
            raw,
            "Should have a valid healthy boolean",
        ));
    }
    if !invalid.is_empty() {
        let target = uri.path_and_query().map_or("", |pq| pq.as_str());
        return Problem::invalid_params(target, invalid).into_response();
    }
    let data: Vec<_> = shared
        .instances
        .iter()
        .skip(start.min(usize::MAX as u64) as usize)
        .take(count as usize)
        .map(|i| json!({ "host": i.spec.host }))
        .collect();
    json_response(&json!({ "total": shared.instances.len(), "data": data }))
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    let stats = collect(&shared);
    let per_instance: Vec<_> = stats
        .instances
        .iter()
        .zip(&shared.instances)
        .map(|(s, i)| {
            json!({
                "host": i.spec.host, "fault": i.fault().name(), "requests": s.requests,
                "rateLimited": s.rate_limited, "bytes": s.bytes, "connections": s.connections,
                "faults": s.faults, "listRequests": s.list_requests,
            })
        })
        .collect();
    json_response(&json!({
        "total": {
            "requests": stats.total.requests, "rateLimited": stats.total.rate_limited,
            "bytes": stats.total.bytes, "connections": stats.total.connections,
        },
        "instances": per_instance,
    }))
}

async fn index() -> &'static str {
    "peertube-sim: GET /api/v1/instances/hosts for the fleet's hosts, /sim/stats for counters\n"
}
