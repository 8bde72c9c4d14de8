//! The HTTP surface of one simulated instance: routing, the instance extractor and query parsing.

mod actors;
mod envelope;
mod mastodon;
mod meta;
mod pages;
mod transport;
mod videos;

use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::from_fn_with_state;
use axum::routing::get;

use crate::content::Gen;
use crate::fault::FaultMode;
use crate::problem::InvalidParam;
use crate::render::View;
use crate::server::ConnMeta;
use crate::state::{InstanceState, Shared};

/// The router every instance serves (the instance is told apart by the connection).
pub(crate) fn instance_router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/config", get(meta::config))
        .route("/api/v1/config/about", get(meta::about))
        .route("/api/v1/server/stats", get(meta::stats))
        .route("/api/v1/server/following", get(actors::following))
        .route("/api/v1/server/followers", get(actors::followers))
        .route("/.well-known/nodeinfo", get(meta::well_known_nodeinfo))
        .route("/nodeinfo/2.0.json", get(meta::nodeinfo))
        .route("/api/v1/videos", get(videos::list))
        .route("/api/v1/videos/categories", get(meta::categories))
        .route("/api/v1/videos/licences", get(meta::licences))
        .route("/api/v1/videos/languages", get(meta::languages))
        .route("/api/v1/videos/privacies", get(meta::privacies))
        .route("/api/v1/videos/{id}", get(videos::details))
        .route("/api/v1/videos/{id}/description", get(videos::description))
        .route("/api/v1/video-channels", get(actors::channels))
        .route("/api/v1/video-channels/{handle}", get(actors::channel))
        .route(
            "/api/v1/video-channels/{handle}/videos",
            get(videos::channel_videos),
        )
        .route(
            "/api/v1/video-channels/{handle}/video-playlists",
            get(actors::channel_playlists),
        )
        .route("/api/v1/accounts/{name}", get(actors::account))
        .route(
            "/api/v1/accounts/{name}/video-channels",
            get(actors::account_channels),
        )
        .route("/api/v1/video-playlists", get(actors::playlists))
        .route("/api/v1/video-playlists/{id}", get(actors::playlist))
        .route("/lazy-static/{family}/{file}", get(pages::image))
        .route("/videos/embed/{id}", get(pages::embed))
        .route("/videos/watch/{id}", get(pages::watch))
        .route("/w/{id}", get(pages::watch))
        .route("/robots.txt", get(pages::robots))
        .fallback(pages::fallback)
        .layer(from_fn_with_state(Arc::clone(&shared), transport::faults))
        .layer(from_fn_with_state(Arc::clone(&shared), envelope::envelope))
        .with_state(shared)
}

/// The instance a request reached.
#[derive(Debug, Clone)]
pub(crate) struct Inst {
    pub(crate) shared: Arc<Shared>,
    pub(crate) index: usize,
}

impl FromRequestParts<Arc<Shared>> for Inst {
    type Rejection = StatusCode;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let meta = parts
            .extensions
            .get::<ConnectInfo<ConnMeta>>()
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
        if meta.0.instance >= state.instances.len() {
            return Err(StatusCode::INTERNAL_SERVER_ERROR);
        }
        Ok(Self {
            shared: Arc::clone(state),
            index: meta.0.instance,
        })
    }
}

impl Inst {
    pub(crate) fn state(&self) -> &InstanceState {
        self.shared.instance(self.index)
    }

    pub(crate) fn generator(&self) -> Gen<'_> {
        self.shared.generator(self.index)
    }

    pub(crate) fn is_old(&self) -> bool {
        self.state().fault() == FaultMode::OldPeerTube
    }

    pub(crate) fn view(&self) -> View<'_> {
        View {
            old: self.is_old(),
            server_host: &self.state().spec.host,
        }
    }
}

/// Query parameters in order (PeerTube accepts repeated ones; the last wins here).
#[derive(Debug, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub(crate) fn parse(query: Option<&str>) -> Self {
        let pairs = query
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self { pairs }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A non-negative integer, or an invalid-parameter entry.
    pub(crate) fn uint(
        &self,
        name: &'static str,
        max: Option<u64>,
        msg: &str,
        invalid: &mut Vec<InvalidParam>,
    ) -> Option<u64> {
        let raw = self.get(name)?;
        let trimmed = raw.strip_prefix('+').unwrap_or(raw);
        match trimmed.parse::<u64>() {
            Ok(n) if max.is_none_or(|m| n <= m) => Some(n),
            _ => {
                invalid.push(query_param(name, raw, msg));
                None
            }
        }
    }

    /// A boolean as express-validator's `isBoolean` reads it.
    pub(crate) fn boolean(
        &self,
        name: &'static str,
        invalid: &mut Vec<InvalidParam>,
    ) -> Option<bool> {
        let raw = self.get(name)?;
        match raw {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => {
                invalid.push(query_param(
                    name,
                    raw,
                    &format!("Should have a valid {name} boolean"),
                ));
                None
            }
        }
    }
}

pub(crate) fn query_param(name: &'static str, value: &str, msg: &str) -> InvalidParam {
    InvalidParam {
        name,
        value: value.to_owned(),
        msg: msg.to_owned(),
        location: "query",
    }
}

/// `start` and `count` (default 15, at most 100), like PeerTube's pagination validator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub(crate) start: u64,
    pub(crate) count: u64,
}

pub(crate) fn page(params: &Params, invalid: &mut Vec<InvalidParam>) -> Page {
    let start = params
        .uint("start", None, "Should have a number start", invalid)
        .unwrap_or(0);
    let count = params
        .uint(
            "count",
            Some(100),
            "Should have a number count (max: 100)",
            invalid,
        )
        .unwrap_or(15);
    Page { start, count }
}
