//! Rendered public pages kept in memory, dropped as soon as the content they show may have changed.

use std::collections::HashMap;
use std::sync::{RwLock, Weak};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::state::{AppState, Inner};

/// How often the content version is read.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Pages kept at most (the cache is emptied when it is full).
const MAX_PAGES: usize = 4_096;
/// Largest page kept.
const MAX_PAGE_BYTES: usize = 512 * 1024;
/// Largest page read back from a handler (pages are far smaller).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Pages never cached: they carry fresh form tokens or private content.
const UNCACHED: [&str; 3] = ["/submit", "/removal", "/submissions/"];

/// A rendered page and the headers it is served with.
#[derive(Clone)]
struct Page {
    body: Bytes,
    headers: HeaderMap,
}

/// The cache, keyed by path and query.
#[derive(Default)]
pub struct PageCache {
    version: RwLock<String>,
    pages: RwLock<HashMap<String, Page>>,
}

impl PageCache {
    fn get(&self, key: &str) -> Option<Page> {
        self.pages
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    fn put(&self, key: String, page: Page) {
        let mut pages = self
            .pages
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if pages.len() >= MAX_PAGES {
            pages.clear();
        }
        pages.insert(key, page);
    }

    /// Records the content version; a new one empties the cache.
    fn observe(&self, version: String) {
        let mut current = self
            .version
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *current != version {
            *current = version;
            self.pages
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clear();
        }
    }
}

/// Follows the content version until the state is dropped.
pub async fn follow_content(state: Weak<Inner>) {
    loop {
        let Some(state) = state.upgrade() else { return };
        match state.store.content_version().await {
            // The index's generation and commits change what search shows too.
            Ok(version) => state.site.cache.observe(format!(
                "{version}|{}|{}",
                state.searcher.generation(),
                state.searcher.video_count().unwrap_or(0)
            )),
            Err(error) => {
                tracing::warn!(%error, "cannot read the content version: pages are not cached");
                state.site.cache.observe(String::new());
            }
        }
        drop(state);
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

fn cacheable(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/assets/")
        && !path.starts_with("/media/")
        && !path.starts_with("/admin")
        && !UNCACHED.iter().any(|part| path.contains(part))
}

/// Serves public pages from the cache, and fills it.
pub async fn serve_cached(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !cacheable(&request) {
        return next.run(request).await;
    }
    let key = request.uri().to_string();
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    if let Some(page) = state.site.cache.get(&key) {
        let fresh = if_none_match
            .as_ref()
            .is_some_and(|tag| page.headers.get(header::ETAG) == Some(tag));
        let mut response = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            Body::from(page.body).into_response()
        };
        for (name, value) in &page.headers {
            response.headers_mut().insert(name, value.clone());
        }
        return response;
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "a page could not be read back for the cache");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if bytes.len() <= MAX_PAGE_BYTES {
        state.site.cache.put(
            key,
            Page {
                body: bytes.clone(),
                headers: parts.headers.clone(),
            },
        );
    }
    Response::from_parts(parts, Body::from(bytes))
}
