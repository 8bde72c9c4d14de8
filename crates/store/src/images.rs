//! The local image cache's records: which thumbnails and avatars are wanted, fetched, failed, used and evicted.
//!
//! A row per source URL. Its states: cached (`sha256` set), failed
//! (`failure` set, tried again after a while), evicted (`failure` is
//! [`EVICTED`]: not fetched again until [`Store::forget_image`] asks for it).
//! Files are content-addressed, so several rows may share one `sha256`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::QueryBuilder;

use crate::db::Store;
use crate::error::Result;
use crate::model::{ImageList, ImageRef, InstanceStatus};
use crate::videos::PushIn;

/// The `failure` of a row whose file was evicted to keep the cache under its cap.
pub const EVICTED: &str = "evicted";

/// Avatars at least this wide are preferred (the smallest of them is cached).
pub const AVATAR_WIDTH: i64 = 120;

/// Longest failure reason stored.
const MAX_FAILURE_CHARS: usize = 500;

/// Actors read per query when looking for wanted avatars.
const ACTOR_BATCH: i64 = 500;

/// A row of `cached_images`.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct CachedImage {
    pub id: i64,
    pub source_url: String,
    /// Hex SHA-256 of the bytes, naming the file; `None` when not cached.
    pub sha256: Option<String>,
    /// The sniffed type, e.g. `image/png` (never the instance's word for it).
    pub content_type: Option<String>,
    pub bytes: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub last_used_at: DateTime<Utc>,
    pub failure: Option<String>,
}

impl CachedImage {
    const COLUMNS: &'static str = "id, source_url, sha256, content_type, bytes, width, height, \
        fetched_at, last_used_at, failure";

    pub fn is_evicted(&self) -> bool {
        self.sha256.is_none() && self.failure.as_deref() == Some(EVICTED)
    }

    /// Whether a fill pass should fetch it: a failure older than `retry_failed_before`.
    pub fn is_wanted(&self, retry_failed_before: DateTime<Utc>) -> bool {
        self.sha256.is_none()
            && match self.failure.as_deref() {
                None => true,
                Some(EVICTED) => false,
                Some(_) => self.fetched_at.is_none_or(|at| at < retry_failed_before),
            }
    }
}

/// What an image is to Florilège.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ImageKind {
    Thumbnail,
    Avatar,
}

/// An image to fetch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WantedImage {
    pub source_url: String,
    pub kind: ImageKind,
}

/// A fetched image, as checked by the cache.
#[derive(Clone, Copy, Debug)]
pub struct ImageFile<'a> {
    pub sha256: &'a str,
    pub content_type: &'a str,
    pub bytes: i64,
    pub width: i64,
    pub height: i64,
}

/// A cached file and its size, for eviction.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ImageFileSize {
    pub sha256: String,
    pub bytes: i64,
}

/// The URL of an image an instance gives by absolute path (`/lazy-static/…`);
/// `None` for anything else, so the host can never be changed by the path.
pub fn image_source_url(base_url: &str, path: &str) -> Option<String> {
    path.starts_with('/').then(|| format!("{base_url}{path}"))
}

/// Where the cached file of an image lives under the cache directory `dir`:
/// sharded by the first two hex digits of its SHA-256. `None` unless `sha256`
/// is 64 lower-case hex digits, so a path is never made of anything else.
pub fn image_file_path(dir: &Path, sha256: &str) -> Option<PathBuf> {
    let valid = sha256.len() == 64
        && sha256
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    valid.then(|| dir.join(&sha256[..2]).join(&sha256[2..]))
}

/// The avatar cached and shown for an actor: the smallest at least
/// [`AVATAR_WIDTH`] wide, else the widest.
pub fn preferred_avatar(avatars: &[ImageRef]) -> Option<&ImageRef> {
    let width = |image: &&ImageRef| image.width.unwrap_or(0);
    avatars
        .iter()
        .filter(|image| width(image) >= AVATAR_WIDTH)
        .min_by_key(width)
        .or_else(|| avatars.iter().max_by_key(width))
}

/// The source URL of an actor's preferred avatar: its path on `base_url`,
/// else its absolute http(s) URL.
pub fn avatar_source_url(base_url: &str, avatars: &[ImageRef]) -> Option<String> {
    let avatar = preferred_avatar(avatars)?;
    if let Some(url) = avatar
        .path
        .as_deref()
        .and_then(|path| image_source_url(base_url, path))
    {
        return Some(url);
    }
    avatar
        .url
        .as_deref()
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
        .map(str::to_owned)
}

impl Store {
    /// Up to `limit` images to fetch: avatars of channels and accounts, then
    /// thumbnails of videos (newest first), of approved instances, never
    /// cached nor evicted, or failed before `retry_failed_before`.
    pub async fn images_wanted(
        &self,
        limit: i64,
        retry_failed_before: DateTime<Utc>,
    ) -> Result<Vec<WantedImage>> {
        let mut wanted = Vec::new();
        for table in ["channels", "accounts"] {
            let left = limit - wanted.len() as i64;
            if left <= 0 {
                break;
            }
            let avatars = self
                .avatars_wanted(table, left, retry_failed_before)
                .await?;
            wanted.extend(avatars);
        }
        let left = limit - wanted.len() as i64;
        if left > 0 {
            const SQL: &str = "SELECT i.base_url || v.thumbnail_path FROM videos v \
                JOIN instances i ON i.id = v.instance_id \
                LEFT JOIN cached_images c ON c.source_url = i.base_url || v.thumbnail_path \
                WHERE v.deleted_at IS NULL AND i.status = $1 AND v.thumbnail_path LIKE '/%' \
                AND (c.id IS NULL OR (c.sha256 IS NULL AND (c.failure IS NULL \
                OR (c.failure <> $2 AND (c.fetched_at IS NULL OR c.fetched_at < $3))))) \
                ORDER BY v.id DESC LIMIT $4";
            let urls: Vec<String> = on_pool!(&self.read, p => sqlx::query_scalar(SQL)
                .bind(InstanceStatus::Approved.as_str())
                .bind(EVICTED)
                .bind(retry_failed_before)
                .bind(left)
                .fetch_all(p)
                .await?);
            let mut seen: HashSet<String> = wanted.iter().map(|w| w.source_url.clone()).collect();
            wanted.extend(urls.into_iter().filter(|url| seen.insert(url.clone())).map(
                |source_url| WantedImage {
                    source_url,
                    kind: ImageKind::Thumbnail,
                },
            ));
        }
        Ok(wanted)
    }

    /// Wanted avatars of `table` (`channels` or `accounts`), read in batches.
    async fn avatars_wanted(
        &self,
        table: &'static str,
        limit: i64,
        retry_failed_before: DateTime<Utc>,
    ) -> Result<Vec<WantedImage>> {
        let sql = format!(
            "SELECT a.id, i.base_url, a.avatars FROM {table} a \
             JOIN instances i ON i.id = a.instance_id \
             WHERE a.deleted_at IS NULL AND i.status = $1 AND a.avatars <> '[]' AND a.id > $2 \
             ORDER BY a.id LIMIT $3"
        );
        let mut wanted: Vec<WantedImage> = Vec::new();
        let mut after = 0_i64;
        while (wanted.len() as i64) < limit {
            let rows: Vec<(i64, String, String)> = on_pool!(&self.read, p => sqlx::query_as(&sql)
                .bind(InstanceStatus::Approved.as_str())
                .bind(after)
                .bind(ACTOR_BATCH)
                .fetch_all(p)
                .await?);
            let Some(last) = rows.last() else { break };
            after = last.0;
            let mut candidates: Vec<String> = Vec::new();
            for (_, base_url, avatars) in &rows {
                let Ok(avatars) = ImageList::try_from(avatars.clone()) else {
                    continue;
                };
                if let Some(url) = avatar_source_url(base_url, &avatars.0)
                    && !candidates.contains(&url)
                    && !wanted.iter().any(|w| w.source_url == url)
                {
                    candidates.push(url);
                }
            }
            let known = self.cached_images(&candidates).await?;
            let settled: HashSet<&str> = known
                .iter()
                .filter(|image| !image.is_wanted(retry_failed_before))
                .map(|image| image.source_url.as_str())
                .collect();
            let left = usize::try_from(limit)
                .unwrap_or(0)
                .saturating_sub(wanted.len());
            wanted.extend(
                candidates
                    .iter()
                    .filter(|url| !settled.contains(url.as_str()))
                    .take(left)
                    .map(|url| WantedImage {
                        source_url: url.clone(),
                        kind: ImageKind::Avatar,
                    }),
            );
        }
        Ok(wanted)
    }

    /// The rows of these source URLs that exist.
    async fn cached_images(&self, source_urls: &[String]) -> Result<Vec<CachedImage>> {
        if source_urls.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM cached_images WHERE source_url",
            CachedImage::COLUMNS
        );
        Ok(on_pool!(&self.read, p => {
            let mut query = QueryBuilder::new(sql);
            query.push_in(source_urls);
            query.build_query_as().fetch_all(p).await?
        }))
    }

    /// The row of a source URL.
    pub async fn cached_image(&self, source_url: &str) -> Result<Option<CachedImage>> {
        let sql = format!(
            "SELECT {} FROM cached_images WHERE source_url = $1",
            CachedImage::COLUMNS
        );
        Ok(
            on_pool!(&self.read, p => sqlx::query_as(&sql).bind(source_url).fetch_optional(p).await?),
        )
    }

    /// Records a fetched image (used now, as far as eviction is concerned).
    pub async fn record_image(
        &self,
        source_url: &str,
        file: &ImageFile<'_>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO cached_images (source_url, sha256, content_type, bytes, \
            width, height, fetched_at, last_used_at, failure) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $7, NULL) ON CONFLICT (source_url) DO UPDATE SET \
            sha256 = excluded.sha256, content_type = excluded.content_type, \
            bytes = excluded.bytes, width = excluded.width, height = excluded.height, \
            fetched_at = excluded.fetched_at, last_used_at = excluded.last_used_at, failure = NULL";
        on_pool!(&self.write, p => {
            sqlx::query(SQL)
                .bind(source_url)
                .bind(file.sha256)
                .bind(file.content_type)
                .bind(file.bytes)
                .bind(file.width)
                .bind(file.height)
                .bind(at)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Records why an image could not be cached; it is tried again after a while.
    pub async fn record_image_failure(
        &self,
        source_url: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO cached_images (source_url, bytes, fetched_at, \
            last_used_at, failure) VALUES ($1, 0, $2, $2, $3) ON CONFLICT (source_url) DO UPDATE \
            SET sha256 = NULL, content_type = NULL, bytes = 0, width = NULL, height = NULL, \
            fetched_at = excluded.fetched_at, failure = excluded.failure";
        let reason: String = reason.chars().take(MAX_FAILURE_CHARS).collect();
        on_pool!(&self.write, p => {
            sqlx::query(SQL).bind(source_url).bind(at).bind(reason).execute(p).await?;
        });
        Ok(())
    }

    /// Marks images as used at `at` (rows already used later are left alone).
    pub async fn mark_images_used(&self, source_urls: &[String], at: DateTime<Utc>) -> Result<u64> {
        if source_urls.is_empty() {
            return Ok(0);
        }
        Ok(on_pool!(&self.write, p => {
            let mut query = QueryBuilder::new("UPDATE cached_images SET last_used_at = ");
            query.push_bind(at).push(" WHERE last_used_at < ");
            query.push_bind(at).push(" AND source_url").push_in(source_urls);
            query.build().execute(p).await?.rows_affected()
        }))
    }

    /// Bytes of the cached files (each file counted once).
    pub async fn cached_images_bytes(&self) -> Result<i64> {
        const SQL: &str = "SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM \
            (SELECT MAX(bytes) AS bytes FROM cached_images WHERE sha256 IS NOT NULL \
            GROUP BY sha256) AS files";
        Ok(on_pool!(&self.read, p => sqlx::query_scalar(SQL).fetch_one(p).await?))
    }

    /// The cached files least recently used (by any of their rows), oldest first.
    pub async fn least_recently_used_image_files(&self, limit: i64) -> Result<Vec<ImageFileSize>> {
        const SQL: &str = "SELECT sha256, MAX(bytes) AS bytes FROM cached_images \
            WHERE sha256 IS NOT NULL GROUP BY sha256 ORDER BY MAX(last_used_at), sha256 LIMIT $1";
        Ok(on_pool!(&self.read, p => sqlx::query_as(SQL).bind(limit).fetch_all(p).await?))
    }

    /// Marks every row of a file as evicted; returns how many there were.
    pub async fn evict_image_file(&self, sha256: &str) -> Result<u64> {
        const SQL: &str = "UPDATE cached_images SET sha256 = NULL, content_type = NULL, \
            bytes = 0, width = NULL, height = NULL, failure = $1 WHERE sha256 = $2";
        Ok(on_pool!(&self.write, p => sqlx::query(SQL)
            .bind(EVICTED)
            .bind(sha256)
            .execute(p)
            .await?
            .rows_affected()))
    }

    /// Deletes the row of a source URL, so that it is wanted again.
    pub async fn forget_image(&self, source_url: &str) -> Result<bool> {
        const SQL: &str = "DELETE FROM cached_images WHERE source_url = $1";
        let deleted = on_pool!(&self.write, p => sqlx::query(SQL)
            .bind(source_url)
            .execute(p)
            .await?
            .rows_affected());
        Ok(deleted > 0)
    }
}
