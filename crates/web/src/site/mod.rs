//! The public showcase site: server-rendered pages in every language of the catalogues, feeds, and the cached images they show.

pub mod assets;
pub mod cache;
mod context;
pub mod error;
mod feeds;
pub mod forms;
pub mod i18n;
pub mod markdown;
mod media;
mod pages;
mod render;
mod search;
mod selections;
mod tokens;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::Value;
use sha2::{Digest, Sha256};

pub use context::{Lang, base};
pub use error::PageError;
pub use render::Templates;
pub use tokens::FormTokens;

use crate::state::AppState;
use assets::Assets;
use i18n::Languages;

/// What the site needs beyond the database and the index.
pub struct Site {
    pub languages: Arc<Languages>,
    pub templates: Templates,
    pub assets: Arc<Assets>,
    /// Signs the anonymous forms' tokens (no cookie for viewers).
    pub forms: FormTokens,
    /// The crawler's image cache, read to serve thumbnails and avatars.
    pub images_dir: PathBuf,
    /// Rendered public pages.
    pub cache: cache::PageCache,
}

impl Site {
    pub fn new(secret: &str, images_dir: PathBuf) -> Result<Self, i18n::CatalogueError> {
        let languages = Arc::new(Languages::load()?);
        let assets = Arc::new(Assets::load());
        Ok(Self {
            templates: Templates::new(Arc::clone(&languages), Arc::clone(&assets)),
            languages,
            assets,
            forms: FormTokens::new(secret),
            images_dir,
            cache: cache::PageCache::default(),
        })
    }
}

/// The site's routes (every page under its language prefix).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(negotiate_home))
        .route("/{lang}", get(pages::home))
        .route("/{lang}/", get(pages::home))
        .route("/{lang}/about", get(pages::about))
        .route("/{lang}/search", get(search::search_page))
        .route("/{lang}/videos/{uuid}", get(pages::video))
        .route("/{lang}/instances", get(pages::instances))
        .route("/{lang}/instances/{host}", get(pages::instance))
        .route("/{lang}/selections", get(selections::list))
        .route("/{lang}/selections/{slug}", get(selections::show))
        .route("/{lang}/selections/{slug}/feed.atom", get(feeds::selection))
        .route("/{lang}/themes/{slug}", get(selections::theme))
        .route("/{lang}/themes/{slug}/feed.atom", get(feeds::theme))
        .route("/{lang}/feed.atom", get(feeds::all))
        .route(
            "/{lang}/submit",
            get(forms::submit_form).post(forms::submit),
        )
        .route("/{lang}/submissions/{token}", get(forms::submission_status))
        .route(
            "/{lang}/removal",
            get(forms::removal_form).post(forms::removal),
        )
        .route("/api/v1/selections", get(feeds::selections_json))
        .route("/api/v1/instances", get(feeds::instances_json))
        .route("/sitemap.xml", get(feeds::sitemap))
        .route("/robots.txt", get(feeds::robots))
        .route("/assets/{hash}/{name}", get(assets::serve))
        .route("/media/thumbnails/{uuid}", get(media::thumbnail))
        .route("/media/avatars/{kind}/{id}", get(media::avatar))
}

/// `/`: the home page in the viewer's language (`Accept-Language`).
async fn negotiate_home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok());
    let code = &state.site.languages.negotiate(accept).code;
    let mut response = Redirect::to(&format!("/{code}/")).into_response();
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    response
}

/// A rendered page, with an ETag (a 304 when the viewer has it) and a short
/// public cache lifetime: pages change when editors publish or the crawl
/// brings news.
pub fn page(
    state: &AppState,
    lang: &Lang,
    headers: &HeaderMap,
    template: &str,
    context: Value,
) -> Result<Response, PageError> {
    let html = state
        .site
        .templates
        .render(template, context)
        .map_err(|error| PageError::internal(lang, format!("{template}: {error:#}")))?;
    Ok(cached(headers, html, "text/html; charset=utf-8"))
}

/// A body with a content ETag: 304 when `If-None-Match` has it. Browsers and
/// proxies may keep it but must ask again before each use (`no-cache`), so a
/// block or an unpublished selection shows at once; asking again is cheap, as
/// the server keeps rendered pages and answers 304 while nothing changed.
pub fn cached(headers: &HeaderMap, body: String, content_type: &'static str) -> Response {
    let etag = format!(
        "\"{}\"",
        &format!("{:x}", Sha256::digest(body.as_bytes()))[..20]
    );
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| value.as_bytes() == etag.as_bytes());
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, no-cache"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    response
}
