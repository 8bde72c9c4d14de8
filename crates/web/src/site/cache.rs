//! Rendered public pages kept in memory, dropped as soon as the content they show may have changed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};
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
    /// Pages being rendered, so that a page missing from the cache is
    /// rendered once however many requests want it at the same moment (after
    /// a content change, every popular page is missing at once).
    rendering: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// The right to render one missing page; see [`PageCache::turn`].
struct Turn<'a> {
    cache: &'a PageCache,
    key: &'a str,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.cache
            .rendering
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(self.key);
    }
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

    /// Waits until no other request is rendering `key`; the caller then looks
    /// in the cache again before rendering it itself.
    async fn turn<'a>(&'a self, key: &'a str) -> Turn<'a> {
        let lock = Arc::clone(
            self.rendering
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(key.to_owned())
                .or_default(),
        );
        Turn {
            cache: self,
            key,
            _guard: lock.lock_owned().await,
        }
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
    let cache = &state.site.cache;
    let mut turn = None;
    let cached = match cache.get(&key) {
        Some(page) => Some(page),
        None => {
            turn = Some(cache.turn(&key).await);
            cache.get(&key)
        }
    };
    if let Some(page) = cached {
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
        cache.put(
            key.clone(),
            Page {
                body: bytes.clone(),
                headers: parts.headers.clone(),
            },
        );
    }
    drop(turn);
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_missing_page_is_rendered_once_for_simultaneous_requests() {
        let cache = Arc::new(PageCache::default());
        let renders = Arc::new(AtomicU32::new(0));
        let requests: Vec<_> = (0..16)
            .map(|_| {
                let (cache, renders) = (Arc::clone(&cache), Arc::clone(&renders));
                tokio::spawn(async move {
                    let key = "/en/";
                    if cache.get(key).is_some() {
                        return;
                    }
                    let _turn = cache.turn(key).await;
                    if cache.get(key).is_none() {
                        renders.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        let page = Page {
                            body: Bytes::from_static(b"home"),
                            headers: HeaderMap::new(),
                        };
                        cache.put(key.to_owned(), page);
                    }
                })
            })
            .collect();
        for request in requests {
            request.await.unwrap();
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        assert!(
            cache.rendering.lock().unwrap().is_empty(),
            "nothing left behind"
        );
    }
}
