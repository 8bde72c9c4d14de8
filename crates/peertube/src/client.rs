//! The async client: one instance, its endpoints, size-capped JSON answers and rate-limit info.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::header::ACCEPT;
use reqwest::{Response, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::account::Account;
use crate::body::{ensure_json, is_json, media_type, read_capped, wrong_content_type};
use crate::channel::VideoChannel;
use crate::common::host_of;
use crate::error::{Error, shorten};
use crate::follow::ServerFollow;
use crate::instance::{About, ServerConfig, ServerStats};
use crate::nodeinfo::{NodeInfo, NodeInfoLinks};
use crate::page::{LenientPage, decode, decode_page};
use crate::playlist::VideoPlaylist;
use crate::problem::Problem;
use crate::query::{ListQuery, VideoListQuery};
use crate::ratelimit::RateLimit;
use crate::video::{Video, VideoDetails, VideoExtras};

/// Default cap on an answer body: 8 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 8 * 1024 * 1024;
/// Default cap on an error (problem) body: 64 KiB.
pub const DEFAULT_MAX_ERROR_BODY_BYTES: u64 = 64 * 1024;
/// Cap on `robots.txt`, as most crawlers do: 512 KiB.
pub const MAX_ROBOTS_BYTES: u64 = 512 * 1024;

/// Tuning of a [`Client`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Largest answer body read; past it the read stops with [`Error::TooLarge`].
    pub max_body_bytes: u64,
    /// Largest error body read to find a problem document.
    pub max_error_body_bytes: u64,
    /// Per-request timeout, on top of the injected `reqwest::Client`'s own; `None` to rely on it.
    pub timeout: Option<Duration>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_error_body_bytes: DEFAULT_MAX_ERROR_BODY_BYTES,
            timeout: None,
        }
    }
}

/// A successful answer with the rate-limit information of its headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<T> {
    /// The decoded answer.
    pub value: T,
    /// What the instance said about its rate limit.
    pub rate_limit: RateLimit,
}

impl<T> Fetched<T> {
    /// Transforms the value, keeping the rate-limit information.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fetched<U> {
        Fetched {
            value: f(self.value),
            rate_limit: self.rate_limit,
        }
    }
}

/// Id/label table such as `/videos/categories` (`{"1": "Music", ...}`).
pub type Labels = BTreeMap<String, String>;

/// A client for one PeerTube instance.
///
/// The `reqwest::Client` is the caller's: its DNS resolver, address guard,
/// timeouts, redirect policy and user agent apply to every request.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    options: ClientOptions,
}

impl Client {
    /// A client for the instance at `base` (only its origin is kept), with default options.
    pub fn new(http: reqwest::Client, base: Url) -> Result<Self, Error> {
        Self::with_options(http, base, ClientOptions::default())
    }

    /// A client for the instance at `base` (only its origin is kept).
    pub fn with_options(
        http: reqwest::Client,
        mut base: Url,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidUrl {
            reason: reason.to_owned(),
        };
        if !matches!(base.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if base.host().is_none() {
            return Err(invalid("no host"));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(invalid("credentials in the URL are not supported"));
        }
        base.set_path("/");
        base.set_query(None);
        base.set_fragment(None);
        Ok(Self {
            http,
            base,
            options,
        })
    }

    /// The instance's origin, e.g. `https://video.example/`.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The instance host as PeerTube writes it (`host` or `host:port`), to compare with `account.host`.
    pub fn host(&self) -> String {
        host_of(&self.base).unwrap_or_default()
    }

    /// The options in use.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// `GET /api/v1/config`. [`Error::NotPeerTube`] if it has no `serverVersion`.
    pub async fn config(&self) -> Result<Fetched<ServerConfig>, Error> {
        let fetched: Fetched<ServerConfig> = self.object(self.api(&["config"])?).await?;
        if fetched.value.server_version.is_none() {
            return Err(Error::NotPeerTube {
                reason: "/api/v1/config has no serverVersion".to_owned(),
            });
        }
        Ok(fetched)
    }

    /// `GET /api/v1/config/about`.
    pub async fn about(&self) -> Result<Fetched<About>, Error> {
        self.object(self.api(&["config", "about"])?).await
    }

    /// `GET /api/v1/server/stats`.
    pub async fn stats(&self) -> Result<Fetched<ServerStats>, Error> {
        self.object(self.api(&["server", "stats"])?).await
    }

    /// `GET /.well-known/nodeinfo`, then the NodeInfo 2.0 document it links to.
    ///
    /// The link is followed on the instance's origin only: a link to another
    /// origin is rewritten to the same path on this one. [`Error::NotPeerTube`]
    /// when there is no well-known document (404), no NodeInfo link, or the
    /// software is not `peertube`. The rate limit returned is the second answer's.
    pub async fn nodeinfo(&self) -> Result<Fetched<NodeInfo>, Error> {
        let well_known = self.url(&[".well-known", "nodeinfo"])?;
        let links: NodeInfoLinks = match self.object(well_known).await {
            Ok(fetched) => fetched.value,
            Err(Error::Status { status, .. }) if status == StatusCode::NOT_FOUND => {
                return Err(Error::NotPeerTube {
                    reason: "no /.well-known/nodeinfo (HTTP 404)".to_owned(),
                });
            }
            Err(error) => return Err(error),
        };
        let href = links.nodeinfo_href().ok_or_else(|| Error::NotPeerTube {
            reason: "no NodeInfo 2.0 link in /.well-known/nodeinfo".to_owned(),
        })?;
        let url = self.on_origin(href)?;
        let fetched: Fetched<NodeInfo> = self.object(url).await?;
        if !fetched.value.is_peertube() {
            let software = fetched.value.software.name.as_deref().unwrap_or("unknown");
            return Err(Error::NotPeerTube {
                reason: format!("NodeInfo software is {:?}", shorten(software)),
            });
        }
        Ok(fetched)
    }

    /// `GET /api/v1/videos` with `query`.
    pub async fn videos(
        &self,
        query: &VideoListQuery,
    ) -> Result<Fetched<LenientPage<Video>>, Error> {
        let mut url = self.api(&["videos"])?;
        query.apply(&mut url);
        self.page(url).await
    }

    /// `GET /api/v1/videos/{id}` (UUID, short UUID or local id): full description, tags, support.
    pub async fn video(&self, id: &str) -> Result<Fetched<VideoDetails>, Error> {
        self.object(self.api(&["videos", id])?).await
    }

    /// `GET /api/v1/videos/{id}` read only for what it adds to a list item.
    pub async fn video_extras(&self, id: &str) -> Result<Fetched<VideoExtras>, Error> {
        self.object(self.api(&["videos", id])?).await
    }

    /// `GET /api/v1/videos/categories` (id → label).
    pub async fn video_categories(&self) -> Result<Fetched<Labels>, Error> {
        self.object(self.api(&["videos", "categories"])?).await
    }

    /// `GET /api/v1/videos/licences` (id → label).
    pub async fn video_licences(&self) -> Result<Fetched<Labels>, Error> {
        self.object(self.api(&["videos", "licences"])?).await
    }

    /// `GET /api/v1/videos/languages` (code → label).
    pub async fn video_languages(&self) -> Result<Fetched<Labels>, Error> {
        self.object(self.api(&["videos", "languages"])?).await
    }

    /// `GET /api/v1/video-channels/{handle}` (`name` or `name@host`).
    pub async fn channel(&self, handle: &str) -> Result<Fetched<VideoChannel>, Error> {
        self.object(self.api(&["video-channels", handle])?).await
    }

    /// `GET /api/v1/video-channels/{handle}/videos` with `query`.
    pub async fn channel_videos(
        &self,
        handle: &str,
        query: &VideoListQuery,
    ) -> Result<Fetched<LenientPage<Video>>, Error> {
        let mut url = self.api(&["video-channels", handle, "videos"])?;
        query.apply(&mut url);
        self.page(url).await
    }

    /// `GET /api/v1/video-channels/{handle}/video-playlists`.
    pub async fn channel_playlists(
        &self,
        handle: &str,
        query: &ListQuery,
    ) -> Result<Fetched<LenientPage<VideoPlaylist>>, Error> {
        let mut url = self.api(&["video-channels", handle, "video-playlists"])?;
        query.apply(&mut url);
        self.page(url).await
    }

    /// `GET /api/v1/video-channels`: channels known to the instance (check `is_local`/`host`).
    pub async fn channels(
        &self,
        query: &ListQuery,
    ) -> Result<Fetched<LenientPage<VideoChannel>>, Error> {
        let mut url = self.api(&["video-channels"])?;
        query.apply(&mut url);
        self.page(url).await
    }

    /// `GET /api/v1/accounts/{name}` (`name` or `name@host`).
    pub async fn account(&self, name: &str) -> Result<Fetched<Account>, Error> {
        self.object(self.api(&["accounts", name])?).await
    }

    /// `GET /api/v1/video-playlists`: playlists known to the instance (check `is_local`/`host`).
    pub async fn playlists(
        &self,
        query: &ListQuery,
    ) -> Result<Fetched<LenientPage<VideoPlaylist>>, Error> {
        let mut url = self.api(&["video-playlists"])?;
        query.apply(&mut url);
        self.page(url).await
    }

    /// `GET /api/v1/server/following`: instances this one follows.
    pub async fn following(
        &self,
        query: &ListQuery,
    ) -> Result<Fetched<LenientPage<ServerFollow>>, Error> {
        let mut url = self.api(&["server", "following"])?;
        query.apply(&mut url);
        self.page(url).await
    }

    /// `GET /robots.txt` as text (at most [`MAX_ROBOTS_BYTES`], invalid UTF-8 replaced).
    /// The content type must be `text/plain` or absent.
    pub async fn robots_txt(&self) -> Result<Fetched<String>, Error> {
        let url = self.url(&["robots.txt"])?;
        let (mut response, rate_limit) = self.send(url, "text/plain").await?;
        match media_type(response.headers()) {
            None => {}
            Some(media) if media == "text/plain" => {}
            Some(_) => return Err(wrong_content_type(response.headers(), "text/plain")),
        }
        let limit = self.options.max_body_bytes.min(MAX_ROBOTS_BYTES);
        let bytes = read_capped(&mut response, limit).await?;
        Ok(Fetched {
            value: String::from_utf8_lossy(&bytes).into_owned(),
            rate_limit,
        })
    }

    /// `GET {path}?{query}` decoded as one JSON object, for endpoints this
    /// client does not wrap. `path` is percent-encoded as needed.
    pub async fn get_object<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Fetched<T>, Error> {
        self.object(self.raw_url(path, query)).await
    }

    /// `GET {path}?{query}` decoded as a `{total, data}` page, item by item.
    pub async fn get_page<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Fetched<LenientPage<T>>, Error> {
        self.page(self.raw_url(path, query)).await
    }

    fn raw_url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// `{base}/api/v1/{segments...}`.
    fn api(&self, segments: &[&str]) -> Result<Url, Error> {
        let mut all = vec!["api", "v1"];
        all.extend_from_slice(segments);
        self.url(&all)
    }

    /// `{base}/{segments...}`, each segment percent-encoded; refuses segments
    /// that would change the path's meaning (empty, `.`, `..`, control characters).
    fn url(&self, segments: &[&str]) -> Result<Url, Error> {
        if let Some(bad) = segments
            .iter()
            .find(|s| s.is_empty() || **s == "." || **s == ".." || s.chars().any(char::is_control))
        {
            return Err(Error::InvalidUrl {
                reason: format!("unusable path segment {:?}", shorten(bad)),
            });
        }
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::InvalidUrl {
                reason: "the base URL cannot have a path".to_owned(),
            })?
            .clear()
            .extend(segments);
        Ok(url)
    }

    /// Resolves `href` on the base; keeps only its path and query when it
    /// points to another origin.
    fn on_origin(&self, href: &str) -> Result<Url, Error> {
        let joined = self
            .base
            .join(href.trim())
            .map_err(|_| Error::NotPeerTube {
                reason: "the NodeInfo link is not a URL".to_owned(),
            })?;
        if joined.origin() == self.base.origin() {
            return Ok(joined);
        }
        tracing::debug!(
            instance.host = %self.host(),
            "NodeInfo link points to another origin; using its path on the instance"
        );
        let mut url = self.base.clone();
        url.set_path(joined.path());
        url.set_query(joined.query());
        Ok(url)
    }

    async fn object<T: DeserializeOwned>(&self, url: Url) -> Result<Fetched<T>, Error> {
        let (bytes, rate_limit) = self.json_body(url).await?;
        Ok(Fetched {
            value: decode(&bytes)?,
            rate_limit,
        })
    }

    async fn page<T: DeserializeOwned>(&self, url: Url) -> Result<Fetched<LenientPage<T>>, Error> {
        let (bytes, rate_limit) = self.json_body(url).await?;
        let value = decode_page(&bytes)?;
        if value.skipped_count > 0 {
            tracing::debug!(
                instance.host = %self.host(),
                skipped = value.skipped_count,
                "skipped undecodable items"
            );
        }
        Ok(Fetched { value, rate_limit })
    }

    async fn json_body(&self, url: Url) -> Result<(Vec<u8>, RateLimit), Error> {
        let (mut response, rate_limit) = self.send(url, "application/json").await?;
        ensure_json(&response)?;
        let bytes = read_capped(&mut response, self.options.max_body_bytes).await?;
        Ok((bytes, rate_limit))
    }

    /// Sends a GET; maps non-2xx answers to [`Error::Status`] / [`Error::RateLimited`].
    async fn send(&self, url: Url, accept: &'static str) -> Result<(Response, RateLimit), Error> {
        let started = Instant::now();
        let mut request = self.http.get(url.clone()).header(ACCEPT, accept);
        if let Some(timeout) = self.options.timeout {
            request = request.timeout(timeout);
        }
        let result = request.send().await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let response = result.map_err(Error::from_reqwest)?;
        let status = response.status();
        tracing::debug!(
            http.url = %url,
            http.status = status.as_u16(),
            duration_ms,
            "PeerTube request"
        );
        let rate_limit = RateLimit::from_headers(response.headers(), Utc::now());
        if status.is_success() {
            return Ok((response, rate_limit));
        }
        let problem = self.problem(response).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Error::RateLimited {
                retry_after: rate_limit.retry_after,
                rate_limit,
                problem,
            });
        }
        Err(Error::Status { status, problem })
    }

    /// The problem document of an error answer, if it sent a readable one.
    async fn problem(&self, mut response: Response) -> Option<Box<Problem>> {
        let media = media_type(response.headers())?;
        if !is_json(&media) {
            return None;
        }
        let bytes = read_capped(&mut response, self.options.max_error_body_bytes)
            .await
            .ok()?;
        decode::<Problem>(&bytes).ok().map(Box::new)
    }
}

#[cfg(test)]
mod tests;
