//! The JSON API: PeerTube's search-index endpoints (GET and POST), with the site's extras on request.

mod params;
mod queries;
mod shapes;

use axum::extract::{FromRequest, Request, State};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use index::{Facets, Highlights, NsfwFilter};
use serde::Serialize;
use store::NsfwApiDefault;

pub use params::Params;
pub use queries::{channel_query, playlist_query, video_query};
pub use shapes::{Channel, Page, Playlist, Video};

use crate::error::ApiError;
use crate::state::AppState;

/// The largest request body read (PeerTube's requests are a few hundred bytes).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The API's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/search/videos",
            get(search_videos).post(search_videos),
        )
        .route(
            "/api/v1/search/video-channels",
            get(search_channels).post(search_channels),
        )
        .route(
            "/api/v1/search/video-playlists",
            get(search_playlists).post(search_playlists),
        )
}

/// The parameters of a search request: its query string, and for a POST its
/// JSON (or form) body, the body's values winning.
pub struct SearchParams(pub Params);

impl<S: Send + Sync> FromRequest<S> for SearchParams {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let mut params = Params::from_query(request.uri().query().unwrap_or_default());
        if request.method() != Method::POST {
            return Ok(Self(params));
        }
        let form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
        let body = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|error| ApiError::BadBody(format!("cannot read the body: {error}")))?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(params));
        }
        let from_body = if form {
            Params::from_query(&String::from_utf8_lossy(&body))
        } else {
            Params::from_json(&body).map_err(|error| ApiError::BadBody(error.0))?
        };
        params.merge(from_body);
        Ok(Self(params))
    }
}

/// A video in an answer: PeerTube's shape, plus what the site asks for.
#[derive(Serialize)]
struct VideoHit<'a> {
    #[serde(flatten)]
    video: Video<'a>,
    /// In a published selection of this showcase.
    curated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    highlights: Option<&'a Highlights>,
}

/// `{total, data}`, plus facets and a suggestion when asked.
#[derive(Serialize)]
struct VideoAnswer<'a> {
    total: u64,
    data: Vec<VideoHit<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    facets: Option<&'a Facets>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suggestion: Option<&'a str>,
}

/// `/api/v1/search/videos`. Beyond PeerTube's parameters it takes
/// `facets`, `highlights`, `suggest` and `curatedOnly` (booleans), and then
/// answers with `facets`, per-video `highlights` and a `suggestion`.
async fn search_videos(
    State(state): State<AppState>,
    SearchParams(params): SearchParams,
) -> Result<Response, ApiError> {
    // PeerTube always sends `nsfw`; other callers get the admins' default,
    // read from the database only for them.
    let default_nsfw = match params.text("nsfw") {
        // Not used: the request's own value wins.
        Some(_) => NsfwFilter::Both,
        None => match state.store.nsfw_default_api().await? {
            NsfwApiDefault::True => NsfwFilter::Only,
            NsfwApiDefault::False => NsfwFilter::Hide,
            NsfwApiDefault::Both => NsfwFilter::Both,
        },
    };
    let mut query = video_query(&params, default_nsfw).map_err(|error| invalid(error, &params))?;
    let flag = |name| params.bool(name).map_err(|error| invalid(error, &params));
    query.with_facets = flag("facets")?.unwrap_or(false);
    query.with_highlights = flag("highlights")?.unwrap_or(false);
    query.with_suggestion = flag("suggest")?.unwrap_or(false);
    query.curated_only = flag("curatedOnly")?.unwrap_or(false);
    let searcher = state.searcher.clone();
    let results = tokio::task::spawn_blocking(move || searcher.search_videos(&query)).await??;
    let answer = VideoAnswer {
        total: results.total,
        data: results
            .hits
            .iter()
            .map(|hit| VideoHit {
                video: Video::new(&hit.item),
                curated: hit.item.curated,
                highlights: hit.highlights.as_ref(),
            })
            .collect(),
        facets: results.facets.as_ref(),
        suggestion: results.suggestion.as_deref(),
    };
    Ok(Json(answer).into_response())
}

/// `/api/v1/search/video-channels`.
async fn search_channels(
    State(state): State<AppState>,
    SearchParams(params): SearchParams,
) -> Result<Response, ApiError> {
    let query = channel_query(&params).map_err(|error| invalid(error, &params))?;
    let searcher = state.searcher.clone();
    let results = tokio::task::spawn_blocking(move || searcher.search_channels(&query)).await??;
    let answer = Page {
        total: results.total,
        data: results
            .hits
            .iter()
            .map(|hit| Channel::new(&hit.item))
            .collect(),
    };
    Ok(Json(answer).into_response())
}

/// `/api/v1/search/video-playlists`.
async fn search_playlists(
    State(state): State<AppState>,
    SearchParams(params): SearchParams,
) -> Result<Response, ApiError> {
    let query = playlist_query(&params).map_err(|error| invalid(error, &params))?;
    let searcher = state.searcher.clone();
    let results = tokio::task::spawn_blocking(move || searcher.search_playlists(&query)).await??;
    let answer = Page {
        total: results.total,
        data: results
            .hits
            .iter()
            .map(|hit| Playlist::new(&hit.item))
            .collect(),
    };
    Ok(Json(answer).into_response())
}

fn invalid(error: index::QueryError, params: &Params) -> ApiError {
    let value = params.raw(error.parameter);
    ApiError::parameter(error, value)
}
