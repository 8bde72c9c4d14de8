//! The local image cache: thumbnails and avatars fetched from instances, checked, stored by content, evicted past a cap.
//!
//! Public pages show images from this cache only, so a viewer's browser never
//! contacts an instance. A fill pass asks the store what is wanted, fetches
//! it politely through the address guard, keeps real images only (sniffed
//! from the bytes, never trusted from the `Content-Type`), writes each file
//! once under `dir/ab/cdef…` (its SHA-256) and evicts the least recently used
//! files when the total passes the cap.

mod disk;
mod fetch;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use chrono::TimeDelta;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::{ImageFile, Store, WantedImage, now};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::config::CrawlerConfig;
use disk::{remove_file, write_atomically};
use fetch::{Downloader, FetchError, Sniffed};

/// Files evicted per database query.
const EVICTION_BATCH: i64 = 64;

/// Eviction goes this far below the cap (a tenth), so it does not run at every new file.
const EVICTION_HEADROOM_DIVISOR: i64 = 10;

/// Uses of an image closer together than this (in seconds) are recorded once.
const USE_RESOLUTION_SECS: i64 = 15 * 60;

/// `[images]` settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImageCacheConfig {
    /// Where the files go, named by the SHA-256 of their bytes.
    pub dir: PathBuf,
    /// Largest image kept; larger downloads stop there.
    pub max_image_bytes: u64,
    /// Size of the cache on disk; the least recently used files go past it.
    pub max_total_bytes: u64,
    /// Downloads in flight to one host at a time.
    pub concurrency: usize,
    /// Pause after each download before the next one from the same host.
    pub pause_ms: u64,
    /// Hosts downloaded from at the same time.
    pub parallel_hosts: usize,
    /// A failed image is tried again after this long.
    pub retry_failed_after_secs: u64,
}

impl Default for ImageCacheConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("data/images"),
            max_image_bytes: 2 * 1024 * 1024,
            max_total_bytes: 2 * 1024 * 1024 * 1024,
            concurrency: 1,
            pause_ms: 250,
            parallel_hosts: 8,
            retry_failed_after_secs: 24 * 3600,
        }
    }
}

/// Why the image cache could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum ImageCacheError {
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("database: {0}")]
    Store(#[from] store::StoreError),
    #[error("image cache file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid image cache settings: {0}")]
    Config(&'static str),
}

/// What a fill pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImageFillReport {
    /// Images the store asked for.
    pub wanted: u64,
    /// Images cached.
    pub fetched: u64,
    /// Of `fetched`, images whose bytes were already on disk (one file, several URLs).
    pub shared: u64,
    /// Images refused or failed, recorded with their reason.
    pub failed: u64,
    /// Images left for a later pass (their host is in trouble, or the pass was cancelled).
    pub skipped: u64,
    pub bytes_fetched: u64,
    pub evicted_files: u64,
    pub evicted_bytes: u64,
    /// Bytes on disk after the pass.
    pub total_bytes: u64,
}

impl ImageFillReport {
    fn add(&mut self, other: &Self) {
        self.fetched += other.fetched;
        self.shared += other.shared;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.bytes_fetched += other.bytes_fetched;
        self.evicted_files += other.evicted_files;
        self.evicted_bytes += other.evicted_bytes;
    }

    fn add_eviction(&mut self, eviction: &EvictionReport) {
        self.evicted_files += eviction.files;
        self.evicted_bytes += eviction.bytes;
    }
}

/// What an eviction did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EvictionReport {
    pub files: u64,
    pub bytes: u64,
    /// Bytes on disk afterwards.
    pub total_bytes: u64,
}

/// A cached image, ready to serve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedFile {
    pub path: PathBuf,
    /// The sniffed type, to send as `Content-Type` (with `nosniff`).
    pub content_type: String,
    pub sha256: String,
}

/// Fetches wanted images into the cache and finds them for the web layer.
pub struct ImageCache {
    store: Store,
    config: ImageCacheConfig,
    downloader: Downloader,
    /// Bytes on disk as this process believes; reset from the database by each eviction.
    total: AtomicI64,
    eviction: tokio::sync::Mutex<()>,
}

/// How one image went.
enum Outcome {
    Stored {
        bytes: u64,
        shared: bool,
        eviction: EvictionReport,
    },
    Failed {
        host_trouble: bool,
    },
    Skipped,
}

impl ImageCache {
    /// A cache using the crawler's guarded HTTP settings (user agent, timeouts, address policy).
    pub fn new(
        store: Store,
        config: ImageCacheConfig,
        crawler: &CrawlerConfig,
    ) -> Result<Self, ImageCacheError> {
        if config.dir.as_os_str().is_empty() {
            return Err(ImageCacheError::Config("dir is empty"));
        }
        if config.max_image_bytes == 0 || config.max_total_bytes < config.max_image_bytes {
            return Err(ImageCacheError::Config(
                "max_image_bytes must be positive and at most max_total_bytes",
            ));
        }
        Ok(Self {
            downloader: Downloader::new(crawler, config.max_image_bytes)?,
            total: AtomicI64::new(0),
            eviction: tokio::sync::Mutex::new(()),
            store,
            config,
        })
    }

    pub fn config(&self) -> &ImageCacheConfig {
        &self.config
    }

    /// Fetches up to `limit` wanted images, then evicts down under the cap.
    /// Stops between downloads when `cancel` fires.
    pub async fn fill(
        &self,
        limit: usize,
        cancel: &CancellationToken,
    ) -> Result<ImageFillReport, ImageCacheError> {
        let started = Instant::now();
        let retry_after = i64::try_from(self.config.retry_failed_after_secs).unwrap_or(i64::MAX);
        let retry_before = now() - TimeDelta::try_seconds(retry_after).unwrap_or(TimeDelta::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let wanted = self.store.images_wanted(limit, retry_before).await?;
        self.total
            .store(self.store.cached_images_bytes().await?, Ordering::Relaxed);
        let mut report = ImageFillReport {
            wanted: wanted.len() as u64,
            ..ImageFillReport::default()
        };

        let (hosts, invalid) = group_by_host(wanted);
        for (image, reason) in invalid {
            self.record_failure(&image.source_url, &reason).await;
            report.failed += 1;
        }
        let per_host: Vec<ImageFillReport> = futures::stream::iter(hosts)
            .map(|images| self.fill_host(images, cancel))
            .buffer_unordered(self.config.parallel_hosts.max(1))
            .collect()
            .await;
        for host in &per_host {
            report.add(host);
        }
        let eviction = self.evict().await?;
        report.add_eviction(&eviction);
        report.total_bytes = eviction.total_bytes;
        tracing::info!(
            images.wanted = report.wanted,
            images.fetched = report.fetched,
            images.failed = report.failed,
            images.skipped = report.skipped,
            images.evicted = report.evicted_files,
            cache.bytes = report.total_bytes,
            duration_ms = started.elapsed().as_millis(),
            "image cache filled"
        );
        Ok(report)
    }

    /// The images of one host, at most `concurrency` at a time with a pause
    /// after each; the rest is left for later once the host is in trouble.
    async fn fill_host(&self, images: HostImages, cancel: &CancellationToken) -> ImageFillReport {
        let pause = Duration::from_millis(self.config.pause_ms);
        let halted = AtomicBool::new(false);
        let outcomes: Vec<Outcome> = futures::stream::iter(images)
            .map(|(image, url)| {
                let halted = &halted;
                async move {
                    if halted.load(Ordering::Relaxed) || cancel.is_cancelled() {
                        return Outcome::Skipped;
                    }
                    let outcome = self.cache_one(&image, &url).await;
                    if let Outcome::Failed { host_trouble: true } = outcome {
                        tracing::info!(
                            image.host = url.host_str().unwrap_or_default(),
                            "host in trouble: its other images wait"
                        );
                        halted.store(true, Ordering::Relaxed);
                    }
                    // The slot rests before its next download from this host.
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        () = cancel.cancelled() => {}
                    }
                    outcome
                }
            })
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        let mut report = ImageFillReport::default();
        for outcome in outcomes {
            match outcome {
                Outcome::Stored {
                    bytes,
                    shared,
                    eviction,
                } => {
                    report.fetched += 1;
                    report.shared += u64::from(shared);
                    report.bytes_fetched += bytes;
                    report.add_eviction(&eviction);
                }
                Outcome::Failed { .. } => report.failed += 1,
                Outcome::Skipped => report.skipped += 1,
            }
        }
        report
    }

    /// Downloads, checks, stores and records one image.
    async fn cache_one(&self, image: &WantedImage, url: &Url) -> Outcome {
        let fetched = match self.downloader.download(url).await {
            Ok(bytes) => fetch::sniff(&bytes).map(|sniffed| (bytes, sniffed)),
            Err(error) => Err(error),
        };
        let (bytes, sniffed) = match fetched {
            Ok(fetched) => fetched,
            Err(error) => return self.refused(image, &error).await,
        };
        match self.keep(&image.source_url, &bytes, sniffed).await {
            Ok((shared, eviction)) => Outcome::Stored {
                bytes: bytes.len() as u64,
                shared,
                eviction,
            },
            Err(error) => {
                tracing::error!(image.url = %image.source_url, %error, "cannot cache an image");
                Outcome::Failed {
                    host_trouble: false,
                }
            }
        }
    }

    async fn refused(&self, image: &WantedImage, error: &FetchError) -> Outcome {
        tracing::debug!(image.url = %image.source_url, %error, "image not cached");
        self.record_failure(&image.source_url, &error.to_string())
            .await;
        Outcome::Failed {
            host_trouble: error.is_host_trouble(),
        }
    }

    async fn record_failure(&self, source_url: &str, reason: &str) {
        if let Err(error) = self
            .store
            .record_image_failure(source_url, reason, now())
            .await
        {
            tracing::error!(image.url = %source_url, %error, "cannot record an image failure");
        }
    }

    /// Writes the file (once per content) and records the image; evicts when
    /// the cache grew past its cap. Tells whether the file was already there.
    async fn keep(
        &self,
        source_url: &str,
        bytes: &[u8],
        sniffed: Sniffed,
    ) -> Result<(bool, EvictionReport), ImageCacheError> {
        let sha256 = format!("{:x}", Sha256::digest(bytes));
        let path = self.file_path(&sha256).ok_or_else(|| ImageCacheError::Io {
            path: self.config.dir.clone(),
            source: std::io::Error::other("a SHA-256 digest is not 64 hex digits"),
        })?;
        let written =
            write_atomically(&path, bytes)
                .await
                .map_err(|source| ImageCacheError::Io {
                    path: path.clone(),
                    source,
                })?;
        let length = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let file = ImageFile {
            sha256: &sha256,
            content_type: sniffed.content_type,
            bytes: length,
            width: i64::try_from(sniffed.width).unwrap_or(i64::MAX),
            height: i64::try_from(sniffed.height).unwrap_or(i64::MAX),
        };
        self.store.record_image(source_url, &file, now()).await?;
        let mut eviction = EvictionReport::default();
        if written {
            let total = self.total.fetch_add(length, Ordering::Relaxed) + length;
            if total > self.cap() {
                match self.evict().await {
                    Ok(done) => eviction = done,
                    Err(error) => tracing::error!(%error, "cannot evict cached images"),
                }
            }
        }
        Ok((!written, eviction))
    }

    /// Evicts the least recently used files until the cache is a tenth under
    /// its cap, when it is over it.
    pub async fn evict(&self) -> Result<EvictionReport, ImageCacheError> {
        let _one_at_a_time = self.eviction.lock().await;
        let cap = self.cap();
        let target = cap - cap / EVICTION_HEADROOM_DIVISOR;
        let mut total = self.store.cached_images_bytes().await?;
        let mut report = EvictionReport::default();
        if total > cap {
            'evicting: while total > target {
                let files = self
                    .store
                    .least_recently_used_image_files(EVICTION_BATCH)
                    .await?;
                if files.is_empty() {
                    break;
                }
                for file in files {
                    if total <= target {
                        break 'evicting;
                    }
                    self.store.evict_image_file(&file.sha256).await?;
                    if let Some(path) = self.file_path(&file.sha256) {
                        remove_file(&path).await;
                    }
                    total -= file.bytes;
                    report.files += 1;
                    report.bytes += u64::try_from(file.bytes).unwrap_or(0);
                }
            }
            tracing::info!(
                images.evicted = report.files,
                cache.bytes = total,
                "image cache evicted"
            );
        }
        self.total.store(total, Ordering::Relaxed);
        report.total_bytes = u64::try_from(total).unwrap_or(0);
        Ok(report)
    }

    /// The cached file of an image, for the web layer; marks it used. An
    /// evicted image (or one whose file is gone) is asked for again: the
    /// next fill fetches it.
    pub async fn path_for(&self, source_url: &str) -> Result<Option<CachedFile>, ImageCacheError> {
        let Some(image) = self.store.cached_image(source_url).await? else {
            return Ok(None);
        };
        if image.is_evicted() {
            self.store.forget_image(source_url).await?;
            return Ok(None);
        }
        let (Some(sha256), Some(content_type)) = (image.sha256, image.content_type) else {
            return Ok(None);
        };
        let Some(path) = self.file_path(&sha256) else {
            return Ok(None);
        };
        if !tokio::fs::try_exists(&path).await.unwrap_or(true) {
            self.store.forget_image(source_url).await?;
            return Ok(None);
        }
        let at = now();
        if (at - image.last_used_at).num_seconds() >= USE_RESOLUTION_SECS {
            self.store
                .mark_images_used(&[source_url.to_owned()], at)
                .await?;
        }
        Ok(Some(CachedFile {
            path,
            content_type,
            sha256,
        }))
    }

    /// Where the file of a SHA-256 lives; `None` unless it is 64 lower-case hex digits.
    pub fn file_path(&self, sha256: &str) -> Option<PathBuf> {
        store::image_file_path(&self.config.dir, sha256)
    }

    fn cap(&self) -> i64 {
        i64::try_from(self.config.max_total_bytes).unwrap_or(i64::MAX)
    }
}

/// The wanted images of one host, with their parsed URLs.
type HostImages = Vec<(WantedImage, Url)>;

/// Images grouped by host (and port), in their order; unparsable URLs apart with the reason.
fn group_by_host(wanted: Vec<WantedImage>) -> (Vec<HostImages>, Vec<(WantedImage, String)>) {
    let mut hosts: Vec<HostImages> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut invalid = Vec::new();
    for image in wanted {
        let url = match Url::parse(&image.source_url) {
            Ok(url) => url,
            Err(error) => {
                invalid.push((image, format!("invalid URL: {error}")));
                continue;
            }
        };
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        );
        let at = *index.entry(host).or_insert_with(|| {
            hosts.push(Vec::new());
            hosts.len() - 1
        });
        hosts[at].push((image, url));
    }
    (hosts, invalid)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn files_are_sharded_by_digest_and_only_digests_are_paths() {
        let dir = Path::new("/cache");
        let sha = "ab".to_owned() + &"0".repeat(62);
        assert_eq!(
            store::image_file_path(dir, &sha).unwrap(),
            Path::new("/cache/ab").join("0".repeat(62))
        );
        let config: ImageCacheConfig = serde_json::from_str(r#"{"dir": "/cache"}"#).unwrap();
        assert_eq!(config.max_image_bytes, 2 * 1024 * 1024);
        assert!(serde_json::from_str::<ImageCacheConfig>(r#"{"max_bytes": 1}"#).is_err());
    }
}
