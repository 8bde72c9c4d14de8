//! The reference pass: the crawl's requests, made the same way, bodies discarded (or only decoded).
//!
//! Like [`crawler::Crawler::crawl_once`], instances are taken
//! `parallel_instances` at a time, the largest first; each gets the identity
//! requests (nodeinfo, config, about, stats, robots.txt), then its list pages
//! one after the other, each page's details `concurrency_per_host` at a time
//! while the next page is read, under a per-host and a global cap; then
//! each channel seen (its details and playlist pages), then the hosts it
//! follows, one request at a time.
//! In raw mode the only body decoded is a list page's `uuid`s and channel
//! names (and the nodeinfo link, and the counts of playlist and following
//! pages): everything else is read to the end and dropped.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use futures::future::OptionFuture;
use futures::{StreamExt, TryFutureExt};
use peertube::{ClientOptions, ListQuery, VideoListQuery};
use reqwest::header::ACCEPT;
use serde::Deserialize;
use tokio::sync::{Semaphore, SemaphorePermit};
use url::Url;

use crate::knobs::Knobs;

/// What a fetch pass saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FetchCounts {
    /// Video details read.
    pub videos: u64,
    /// Failed requests.
    pub errors: u64,
}

/// Fetches every instance; with `decode`, answers go through the `peertube` models as the crawler's do.
pub async fn run(
    http: reqwest::Client,
    bases: Vec<Url>,
    knobs: Knobs,
    decode: bool,
) -> FetchCounts {
    let pass = FetchPass {
        http,
        global: Semaphore::new(knobs.global_concurrency.max(1)),
        per_host: knobs.concurrency_per_host.max(1),
        decode,
        videos: AtomicU64::new(0),
        errors: AtomicU64::new(0),
    };
    futures::stream::iter(bases)
        .map(|base| pass.instance(base))
        .buffer_unordered(knobs.parallel_instances.max(1))
        .collect::<Vec<()>>()
        .await;
    FetchCounts {
        videos: pass.videos.load(Ordering::Relaxed),
        errors: pass.errors.load(Ordering::Relaxed),
    }
}

struct FetchPass {
    http: reqwest::Client,
    global: Semaphore,
    per_host: usize,
    decode: bool,
    videos: AtomicU64,
    errors: AtomicU64,
}

/// One host's cap on requests in flight, under the global one.
struct Gate<'a> {
    host: Semaphore,
    global: &'a Semaphore,
}

impl Gate<'_> {
    async fn acquire(&self) -> anyhow::Result<(SemaphorePermit<'_>, SemaphorePermit<'_>)> {
        let host = self.host.acquire().await?;
        Ok((host, self.global.acquire().await?))
    }
}

/// Channels refreshed per sweep, at most (as the crawler's `CHANNELS_PER_SWEEP`).
const CHANNELS_PER_SWEEP: usize = 1_000;
/// Pages of playlists read per channel, at most (as the crawler's).
const PLAYLIST_PAGES_PER_CHANNEL: u64 = 20;
/// Followed hosts read, at most (as the crawler's `MAX_FOLLOWINGS`).
const MAX_FOLLOWINGS: u64 = 1_000;

#[derive(Deserialize)]
struct UuidPage {
    data: Vec<UuidItem>,
}

#[derive(Deserialize)]
struct UuidItem {
    uuid: String,
    channel: Option<Named>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

/// Only the length of a `{data: [...]}` page.
#[derive(Deserialize)]
struct CountPage {
    data: Vec<serde::de::IgnoredAny>,
}

/// Channel names in the order first seen, capped like the crawler's refresh.
#[derive(Default)]
struct Channels {
    seen: HashSet<String>,
    names: Vec<String>,
}

impl Channels {
    fn add(&mut self, name: &str) {
        if self.names.len() < CHANNELS_PER_SWEEP && self.seen.insert(name.to_owned()) {
            self.names.push(name.to_owned());
        }
    }
}

impl FetchPass {
    async fn instance(&self, base: Url) {
        let gate = Gate {
            host: Semaphore::new(self.per_host),
            global: &self.global,
        };
        let result = if self.decode {
            self.decoded(&gate, &base).await
        } else {
            self.raw(&gate, &base).await
        };
        if let Err(error) = result {
            self.errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(instance.host = %base, error = format!("{error:#}"), "fetch failed");
        }
    }

    async fn raw(&self, gate: &Gate<'_>, base: &Url) -> anyhow::Result<()> {
        let links: peertube::NodeInfoLinks =
            peertube::decode(&self.body(gate, base.join("/.well-known/nodeinfo")?).await?)?;
        let href = links.nodeinfo_href().context("no NodeInfo link")?;
        // Followed on the instance's origin, as `peertube::Client::nodeinfo` does.
        let nodeinfo = match Url::parse(href) {
            Ok(url) => base.join(url.path())?,
            Err(_) => base.join(href)?,
        };
        for url in [
            nodeinfo,
            base.join("/api/v1/config")?,
            base.join("/api/v1/config/about")?,
            base.join("/api/v1/server/stats")?,
            base.join("/robots.txt")?,
        ] {
            self.discard(gate, url).await?;
        }
        let mut channels = Channels::default();
        let mut start = 0;
        let mut listed = self.body(gate, videos_url(base, start)?).await?;
        loop {
            let page: UuidPage = serde_json::from_slice(&listed)?;
            let received = u64::try_from(page.data.len())?;
            for channel in page.data.iter().filter_map(|item| item.channel.as_ref()) {
                channels.add(&channel.name);
            }
            let urls = page
                .data
                .iter()
                .map(|item| api_url(base, &["videos", &item.uuid]))
                .collect::<anyhow::Result<Vec<_>>>()?;
            start += received;
            let next = if received == u64::from(peertube::MAX_COUNT) {
                Some(self.body(gate, videos_url(base, start)?))
            } else {
                None
            };
            let details = futures::stream::iter(urls)
                .map(|url| self.discard(gate, url))
                .buffer_unordered(self.per_host)
                .collect::<Vec<anyhow::Result<()>>>();
            let (results, next) = futures::join!(details, OptionFuture::from(next));
            self.count(&results);
            match next {
                Some(body) => listed = body?,
                None => break,
            }
        }
        for name in &channels.names {
            self.discard(gate, api_url(base, &["video-channels", name])?)
                .await?;
            let mut playlists = api_url(base, &["video-channels", name, "video-playlists"])?;
            self.pages(gate, &mut playlists, PLAYLIST_PAGES_PER_CHANNEL * 100)
                .await?;
        }
        let mut following = base.join("/api/v1/server/following")?;
        self.pages(gate, &mut following, MAX_FOLLOWINGS).await
    }

    /// Reads `{data}` pages of 100 from `url` until a short one or `max` items.
    async fn pages(&self, gate: &Gate<'_>, url: &mut Url, max: u64) -> anyhow::Result<()> {
        let mut start = 0;
        while start < max {
            let mut page_url = url.clone();
            ListQuery::page(start).apply(&mut page_url);
            let page: CountPage = serde_json::from_slice(&self.body(gate, page_url).await?)?;
            let received = u64::try_from(page.data.len())?;
            if received < u64::from(peertube::MAX_COUNT) {
                break;
            }
            start += received;
        }
        Ok(())
    }

    async fn decoded(&self, gate: &Gate<'_>, base: &Url) -> anyhow::Result<()> {
        let options = ClientOptions {
            max_body_bytes: peertube::DEFAULT_MAX_BODY_BYTES,
            ..ClientOptions::default()
        };
        let client = &peertube::Client::with_options(self.http.clone(), base.clone(), options)?;
        let permit = gate.acquire().await?;
        client.nodeinfo().await?;
        drop(permit);
        let permit = gate.acquire().await?;
        client.config().await?;
        drop(permit);
        let permit = gate.acquire().await?;
        client.about().await?;
        drop(permit);
        let permit = gate.acquire().await?;
        client.stats().await?;
        drop(permit);
        let permit = gate.acquire().await?;
        client.robots_txt().await?;
        drop(permit);
        let mut channels = Channels::default();
        let list = |start| async move {
            let _permit = gate.acquire().await?;
            anyhow::Ok(client.videos(&VideoListQuery::page(start)).await?.value)
        };
        let mut start = 0;
        let mut page = list(start).await?;
        loop {
            let received = u64::try_from(page.received())?;
            for channel in page.items.iter().filter_map(|video| video.channel.as_ref()) {
                channels.add(&channel.name);
            }
            let uuids: Vec<String> = page.items.iter().map(|v| v.uuid.to_string()).collect();
            start += received;
            let next = (received == u64::from(peertube::MAX_COUNT)).then(|| list(start));
            let details = futures::stream::iter(uuids)
                .map(|uuid| async move {
                    let _permit = gate.acquire().await?;
                    client.video_extras(&uuid).map_ok(|_| ()).err_into().await
                })
                .buffer_unordered(self.per_host)
                .collect::<Vec<anyhow::Result<()>>>();
            let (results, next) = futures::join!(details, OptionFuture::from(next));
            self.count(&results);
            match next {
                Some(next) => page = next?,
                None => break,
            }
        }
        for name in &channels.names {
            let permit = gate.acquire().await?;
            client.channel(name).await?;
            drop(permit);
            for page in 0..PLAYLIST_PAGES_PER_CHANNEL {
                let query = ListQuery::page(page * u64::from(peertube::MAX_COUNT));
                let permit = gate.acquire().await?;
                let found = client.channel_playlists(name, &query).await?.value;
                drop(permit);
                if found.received() < usize::try_from(peertube::MAX_COUNT)? {
                    break;
                }
            }
        }
        let mut start = 0;
        while start < MAX_FOLLOWINGS {
            let permit = gate.acquire().await?;
            let page = client.following(&ListQuery::page(start)).await?.value;
            drop(permit);
            let received = u64::try_from(page.received())?;
            if received < u64::from(peertube::MAX_COUNT) {
                break;
            }
            start += received;
        }
        Ok(())
    }

    fn count(&self, results: &[anyhow::Result<()>]) {
        let failed = results.iter().filter(|result| result.is_err()).count() as u64;
        self.videos
            .fetch_add(results.len() as u64 - failed, Ordering::Relaxed);
        self.errors.fetch_add(failed, Ordering::Relaxed);
    }

    async fn send(&self, url: Url) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .http
            .get(url)
            .header(ACCEPT, "application/json")
            .send()
            .await?
            .error_for_status()?)
    }

    /// The whole body of a successful answer.
    async fn body(&self, gate: &Gate<'_>, url: Url) -> anyhow::Result<bytes::Bytes> {
        let _permit = gate.acquire().await?;
        Ok(self.send(url).await?.bytes().await?)
    }

    /// Reads a successful answer to its end, keeping nothing.
    async fn discard(&self, gate: &Gate<'_>, url: Url) -> anyhow::Result<()> {
        let _permit = gate.acquire().await?;
        let mut response = self.send(url).await?;
        while response.chunk().await?.is_some() {}
        Ok(())
    }
}

/// The list page of local videos at `start`, as the crawler asks for it.
fn videos_url(base: &Url, start: u64) -> anyhow::Result<Url> {
    let mut url = base.join("/api/v1/videos")?;
    VideoListQuery::page(start).apply(&mut url);
    Ok(url)
}

/// `{base}/api/v1/{segments...}`, each segment percent-encoded (as `peertube::Client` builds them).
fn api_url(base: &Url, segments: &[&str]) -> anyhow::Result<Url> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| anyhow::anyhow!("{base} cannot have a path"))?
        .clear()
        .extend(["api", "v1"])
        .extend(segments);
    Ok(url)
}
