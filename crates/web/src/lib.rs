//! Florilège's web face: the PeerTube search-index API, the public showcase and the back office.
//!
//! The web crate reads the database and searches the index; it never writes
//! to the index and never calls PeerTube (DESIGN.md).

pub mod admin;
pub mod api;
mod client;
mod config;
mod error;
mod federation;
mod metrics;
pub mod site;
mod state;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::http::header::{self, Entry};
use axum::http::{HeaderName, HeaderValue, Response};
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::util::MapResponseLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::timeout::TimeoutLayer;

pub use config::WebConfig;
pub use error::ApiError;
pub use federation::{BoxFuture, CheckOutcome, CheckStep, Federation, VideoFetchError};
pub use state::{AppState, Inner, StartError};

/// The longest a request may take before it is answered with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Headers every answer carries unless its handler set them: no framing, no
/// sniffing, no referrer leak, and a policy that allows nothing but
/// Florilège itself (embeds from instances are framed on demand, so frames
/// may come from anywhere).
const DEFAULT_HEADERS: [(HeaderName, HeaderValue); 6] = [
    (
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; frame-src http: https:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    ),
    (
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    ),
    (
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    ),
    (
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ),
    (header::SERVER, HeaderValue::from_static("florilege")),
];

/// Adds the [`DEFAULT_HEADERS`] an answer lacks.
fn default_headers<B>(mut response: Response<B>) -> Response<B> {
    let headers = response.headers_mut();
    for (name, value) in DEFAULT_HEADERS {
        if let Entry::Vacant(entry) = headers.entry(name) {
            entry.insert(value);
        }
    }
    response
}

/// Every route of the web node.
///
/// The middleware is one `ServiceBuilder` stack, outermost first: each
/// `Router::layer` call boxes every route once more, and a request then
/// clones and polls every box. Merging eleven such calls into this one
/// made cached pages 9–19 % faster (BENCHMARKS.md, Pages).
pub fn router(state: AppState) -> Router {
    let api = api::routes().layer(CorsLayer::permissive());
    Router::new()
        .merge(api)
        .merge(site::routes())
        .merge(admin::routes())
        .route("/healthz", get(metrics::healthz))
        .route("/metrics", get(metrics::metrics))
        .layer(
            ServiceBuilder::new()
                .layer(MapResponseLayer::new(default_headers))
                .layer(TimeoutLayer::with_status_code(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    REQUEST_TIMEOUT,
                ))
                .layer(CompressionLayer::new())
                .layer(from_fn_with_state(state.clone(), metrics::track))
                .layer(from_fn_with_state(state.clone(), site::cache::serve_cached))
                .layer(from_fn_with_state(
                    state.clone(),
                    site::error::render_errors,
                )),
        )
        .with_state(state)
}

/// Serves the router on `listener` until `shutdown` completes, then lets
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
