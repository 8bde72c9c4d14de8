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
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

pub use config::WebConfig;
pub use error::ApiError;
pub use federation::{BoxFuture, CheckOutcome, CheckStep, Federation, VideoFetchError};
pub use state::{AppState, Inner, StartError};

/// The longest a request may take before it is answered with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Headers every answer carries: no framing, no sniffing, no referrer leak,
/// and a policy that allows nothing but Florilège itself (embeds from
/// instances are framed on demand, so frames may come from anywhere).
const SECURITY_HEADERS: [(&str, &str); 5] = [
    (
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; frame-src http: https:; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("referrer-policy", "same-origin"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    ),
];

/// Every route of the web node.
pub fn router(state: AppState) -> Router {
    let api = api::routes().layer(CorsLayer::permissive());
    let mut router = Router::new()
        .merge(api)
        .merge(site::routes())
        .merge(admin::routes())
        .route("/healthz", get(metrics::healthz))
        .route("/metrics", get(metrics::metrics))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            site::error::render_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            site::cache::serve_cached,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    for (name, value) in SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::SERVER,
            HeaderValue::from_static("florilege"),
        ))
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
