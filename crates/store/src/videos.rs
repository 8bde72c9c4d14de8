//! Videos, channels and accounts: batched upserts of a crawled page, change detection, deletions and reads.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{Encode, Postgres, QueryBuilder, Sqlite, Type};

use crate::crawl_state::save_crawl_state;
use crate::db::{Store, Tx};
use crate::error::Result;
use crate::feed::{Entity, append_changes};
use crate::model::{Account, Channel, ImageList, ImageRef, Instance, JsonList, StringList, Video};

/// An account as read from an instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountRecord {
    pub remote_id: Option<i64>,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub url: String,
    pub avatars: Vec<ImageRef>,
    pub followers_count: i64,
    pub remote_created_at: Option<DateTime<Utc>>,
}

/// A channel as read from an instance. Without `details` (a summary embedded
/// in a video), the description, support, banners and counters already
/// stored are kept.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChannelRecord {
    pub remote_id: Option<i64>,
    pub name: String,
    pub display_name: String,
    pub url: String,
    pub avatars: Vec<ImageRef>,
    pub account_name: Option<String>,
    pub details: Option<ChannelDetails>,
}

/// What only `GET /api/v1/video-channels/{handle}` tells about a channel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChannelDetails {
    pub description: Option<String>,
    pub support: Option<String>,
    pub banners: Vec<ImageRef>,
    pub followers_count: i64,
    pub videos_count: Option<i64>,
    pub remote_created_at: Option<DateTime<Utc>>,
    pub remote_updated_at: Option<DateTime<Utc>>,
}

/// A video as read from an instance's list, with its details when fetched.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VideoRecord {
    pub remote_id: Option<i64>,
    pub uuid: String,
    pub short_uuid: Option<String>,
    pub url: String,
    pub name: String,
    pub truncated_description: Option<String>,
    pub category_id: Option<i64>,
    pub category_label: Option<String>,
    pub licence_id: Option<i64>,
    pub licence_label: Option<String>,
    pub language_id: Option<String>,
    pub language_label: Option<String>,
    pub privacy_id: i64,
    pub nsfw: bool,
    pub nsfw_flags: i64,
    pub nsfw_summary: Option<String>,
    pub is_live: bool,
    pub duration: i64,
    pub aspect_ratio: Option<f64>,
    pub views: i64,
    pub likes: i64,
    pub dislikes: i64,
    pub comments: i64,
    pub thumbnail_path: Option<String>,
    pub preview_path: Option<String>,
    pub embed_path: Option<String>,
    pub published_at: DateTime<Utc>,
    pub originally_published_at: Option<DateTime<Utc>>,
    pub remote_created_at: Option<DateTime<Utc>>,
    pub remote_updated_at: Option<DateTime<Utc>>,
    pub account_name: Option<String>,
    pub channel_name: Option<String>,
    pub details: Option<VideoDetails>,
}

/// What only `GET /api/v1/videos/{uuid}` tells about a video.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VideoDetails {
    pub description: Option<String>,
    pub support: Option<String>,
    pub tags: Vec<String>,
}

/// One crawled page: the videos and the accounts and channels they reference.
#[derive(Clone, Debug, Default)]
pub struct PageRecords {
    pub accounts: Vec<AccountRecord>,
    pub channels: Vec<ChannelRecord>,
    pub videos: Vec<VideoRecord>,
}

/// What the store already knows of a video, for the crawler's decisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownVideo {
    pub id: i64,
    pub remote_updated_at: Option<DateTime<Utc>>,
    pub has_details: bool,
    pub deleted: bool,
}

/// What an upsert changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UpsertSummary {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Videos whose uuid belongs to another instance: refused, never moved.
    pub conflicts: u64,
}

impl Store {
    /// Writes one crawled page in one transaction: accounts, channels, then
    /// videos. Rows that did not change only get their `last_seen_at`
    /// touched; new and changed rows are appended to the change feed.
    pub async fn upsert_page(
        &self,
        instance: &Instance,
        page: &PageRecords,
        seen_at: DateTime<Utc>,
    ) -> Result<UpsertSummary> {
        let mut tx = self.begin().await?;
        let summary = upsert_page(&mut tx, instance, page, seen_at).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Writes a page (if any) and the crawler's state after it in one
    /// transaction, if `worker` holds the instance's crawl lease
    /// ([`StoreError::LeaseLost`] otherwise, and nothing is written): a
    /// cursor saved is never ahead of the pages written.
    ///
    /// [`StoreError::LeaseLost`]: crate::StoreError::LeaseLost
    pub async fn upsert_page_and_state<T: Serialize>(
        &self,
        instance: &Instance,
        page: Option<&PageRecords>,
        seen_at: DateTime<Utc>,
        (worker, state): (&str, &T),
    ) -> Result<UpsertSummary> {
        let mut tx = self.begin().await?;
        save_crawl_state(&mut tx, instance.id, worker, state).await?;
        let summary = match page {
            Some(page) => upsert_page(&mut tx, instance, page, seen_at).await?,
            None => UpsertSummary::default(),
        };
        tx.commit().await?;
        Ok(summary)
    }

    /// What is known of these videos of an instance, by uuid.
    pub async fn known_videos(
        &self,
        instance_id: i64,
        uuids: &[String],
    ) -> Result<HashMap<String, KnownVideo>> {
        if uuids.is_empty() {
            return Ok(HashMap::new());
        }
        // By uuid alone, the instance checked here: PostgreSQL's generic plan
        // for `instance_id = $1 AND uuid IN (…)` also scanned every video of
        // the instance (a bitmap AND), which made a first crawl of a large
        // instance quadratic.
        let rows: Vec<KnownRow> = on_pool!(&self.read, p => {
            let mut query = QueryBuilder::new(
                "SELECT instance_id, id, uuid, remote_updated_at, details_fetched_at, deleted_at \
                 FROM videos WHERE uuid",
            );
            query.push_in(uuids);
            query.build_query_as().fetch_all(p).await?
        });
        Ok(rows
            .into_iter()
            .filter(|row| row.0 == instance_id)
            .map(|(_, id, uuid, remote_updated_at, details, deleted)| {
                let known = KnownVideo {
                    id,
                    remote_updated_at,
                    has_details: details.is_some(),
                    deleted: deleted.is_some(),
                };
                (uuid, known)
            })
            .collect())
    }

    /// Soft-deletes the videos of an instance not seen since `sweep_started_at`.
    /// Call it only after the instance was enumerated completely.
    pub async fn delete_videos_not_seen_since(
        &self,
        instance_id: i64,
        sweep_started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let ids: Vec<(i64,)> = on_tx!(&mut tx, c => sqlx::query_as(
            "UPDATE videos SET deleted_at = $1, updated_at = $1 \
             WHERE instance_id = $2 AND deleted_at IS NULL AND last_seen_at < $3 RETURNING id",
        )
        .bind(now)
        .bind(instance_id)
        .bind(sweep_started_at)
        .fetch_all(&mut **c)
        .await?);
        let changes: Vec<_> = ids.iter().map(|(id,)| (Entity::Video, *id)).collect();
        append_changes(&mut tx, &changes, now).await?;
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    /// Uuids of an instance's videos still listed but not seen since `since`:
    /// after a sweep, the candidates for deletion.
    pub async fn videos_not_seen_since(
        &self,
        instance_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        const SQL: &str = "SELECT uuid FROM videos WHERE instance_id = $1 AND deleted_at IS NULL \
            AND last_seen_at < $2 ORDER BY id";
        Ok(
            on_pool!(&self.read, p => sqlx::query_scalar(SQL).bind(instance_id).bind(since).fetch_all(p).await?),
        )
    }

    /// Uuids of an instance's videos whose details are missing or stale, oldest first.
    pub async fn videos_wanting_details(
        &self,
        instance_id: i64,
        limit: i64,
    ) -> Result<Vec<String>> {
        const SQL: &str = "SELECT uuid FROM videos WHERE instance_id = $1 AND deleted_at IS NULL \
            AND details_fetched_at IS NULL ORDER BY id LIMIT $2";
        Ok(
            on_pool!(&self.read, p => sqlx::query_scalar(SQL).bind(instance_id).bind(limit).fetch_all(p).await?),
        )
    }

    /// A video by uuid, deleted or not.
    pub async fn video_by_uuid(&self, uuid: &str) -> Result<Option<Video>> {
        let sql = format!("SELECT {} FROM videos WHERE uuid = $1", Video::COLUMNS);
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(uuid).fetch_optional(p).await?))
    }

    /// A video by id, deleted or not.
    pub async fn video(&self, id: i64) -> Result<Option<Video>> {
        let sql = format!("SELECT {} FROM videos WHERE id = $1", Video::COLUMNS);
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// The videos of an instance not deleted at their origin, oldest first.
    pub async fn videos_of_instance(&self, instance_id: i64) -> Result<Vec<Video>> {
        let sql = format!(
            "SELECT {} FROM videos WHERE instance_id = $1 AND deleted_at IS NULL \
             ORDER BY published_at, id",
            Video::COLUMNS
        );
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(instance_id).fetch_all(p).await?))
    }

    /// The number of videos of an instance not deleted at their origin.
    pub async fn count_videos(&self, instance_id: i64) -> Result<i64> {
        const SQL: &str =
            "SELECT COUNT(*) FROM videos WHERE instance_id = $1 AND deleted_at IS NULL";
        Ok(on_pool!(&self.read, p => sqlx::query_scalar(SQL).bind(instance_id).fetch_one(p).await?))
    }

    /// A channel by id.
    pub async fn channel(&self, id: i64) -> Result<Option<Channel>> {
        let sql = format!("SELECT {} FROM channels WHERE id = $1", Channel::COLUMNS);
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// An account by id.
    pub async fn account(&self, id: i64) -> Result<Option<Account>> {
        let sql = format!("SELECT {} FROM accounts WHERE id = $1", Account::COLUMNS);
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }
}

/// `instance_id, id, uuid, remote_updated_at, details_fetched_at, deleted_at`.
type KnownRow = (
    i64,
    i64,
    String,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// Appends a membership test to the column just pushed: ` IN (…)` with one
/// parameter per item on SQLite, ` = ANY($n)` with one array on PostgreSQL.
/// PostgreSQL plans every execution afresh (see `Store::connect`), and an
/// array keeps the statement and its planning the same size whatever the
/// number of items.
pub(crate) trait PushIn<'a, T> {
    fn push_in(&mut self, items: &'a [T]) -> &mut Self;
}

impl<'a, T: 'a> PushIn<'a, T> for QueryBuilder<'a, Sqlite>
where
    &'a T: Encode<'a, Sqlite> + Type<Sqlite>,
{
    fn push_in(&mut self, items: &'a [T]) -> &mut Self {
        self.push(" IN (");
        let mut separated = self.separated(", ");
        for item in items {
            separated.push_bind(item);
        }
        separated.push_unseparated(")");
        self
    }
}

impl<'a, T: 'a> PushIn<'a, T> for QueryBuilder<'a, Postgres>
where
    &'a [T]: Encode<'a, Postgres> + Type<Postgres>,
{
    fn push_in(&mut self, items: &'a [T]) -> &mut Self {
        self.push(" = ANY(").push_bind(items).push(")")
    }
}

/// Accounts, channels, then videos of a page, and their change-feed entries.
async fn upsert_page(
    tx: &mut Tx,
    instance: &Instance,
    page: &PageRecords,
    seen_at: DateTime<Utc>,
) -> Result<UpsertSummary> {
    let mut changes = Vec::new();
    let accounts = upsert_accounts(tx, instance, &page.accounts, seen_at, &mut changes).await?;
    let channels = upsert_channels(
        tx,
        instance,
        &page.channels,
        &accounts,
        seen_at,
        &mut changes,
    )
    .await?;
    let summary = upsert_videos(
        tx,
        instance,
        &page.videos,
        (&accounts, &channels),
        seen_at,
        &mut changes,
    )
    .await?;
    append_changes(tx, &changes, seen_at).await?;
    Ok(summary)
}

async fn upsert_accounts(
    tx: &mut Tx,
    instance: &Instance,
    records: &[AccountRecord],
    seen_at: DateTime<Utc>,
    changes: &mut Vec<(Entity, i64)>,
) -> Result<HashMap<String, i64>> {
    let records = dedup_by_key(records, |record| &record.name);
    if records.is_empty() {
        return Ok(HashMap::new());
    }
    let names: Vec<&str> = records.iter().map(|record| record.name.as_str()).collect();
    let sql = format!(
        "SELECT {} FROM accounts WHERE instance_id = ",
        Account::COLUMNS
    );
    let existing: Vec<Account> = on_tx!(tx, c => {
        let mut query = QueryBuilder::new(sql);
        query.push_bind(instance.id).push(" AND name").push_in(&names);
        query.build_query_as().fetch_all(&mut **c).await?
    });
    let existing: HashMap<&str, &Account> = existing
        .iter()
        .map(|account| (account.name.as_str(), account))
        .collect();

    let mut ids = HashMap::new();
    let mut writes = Vec::new();
    let mut touches = Vec::new();
    for record in records {
        let old = existing.get(record.name.as_str()).copied();
        let row = Account {
            id: old.map_or(0, |old| old.id),
            instance_id: instance.id,
            remote_id: record.remote_id,
            name: record.name.clone(),
            host: instance.host.clone(),
            display_name: record.display_name.clone(),
            description: record.description.clone(),
            url: record.url.clone(),
            avatars: JsonList(record.avatars.clone()),
            followers_count: record.followers_count,
            remote_created_at: record.remote_created_at,
            first_seen_at: old.map_or(seen_at, |old| old.first_seen_at),
            last_seen_at: old.map_or(seen_at, |old| old.last_seen_at),
            deleted_at: None,
        };
        match old {
            Some(old) if *old == row => {
                ids.insert(row.name.clone(), old.id);
                touches.push(old.id);
            }
            _ => writes.push(row),
        }
    }
    if !writes.is_empty() {
        let written: Vec<(i64, String)> = on_tx!(tx, c => {
            let mut query = QueryBuilder::new(
                "INSERT INTO accounts (instance_id, remote_id, name, host, display_name, \
                 description, url, avatars, followers_count, remote_created_at, first_seen_at, \
                 last_seen_at, deleted_at) ",
            );
            query.push_values(writes, |mut row, account| {
                row.push_bind(account.instance_id)
                    .push_bind(account.remote_id)
                    .push_bind(account.name)
                    .push_bind(account.host)
                    .push_bind(account.display_name)
                    .push_bind(account.description)
                    .push_bind(account.url)
                    .push_bind(account.avatars.to_json())
                    .push_bind(account.followers_count)
                    .push_bind(account.remote_created_at)
                    .push_bind(account.first_seen_at)
                    .push_bind(seen_at)
                    .push_bind(None::<DateTime<Utc>>);
            });
            query.push(
                " ON CONFLICT (instance_id, name) DO UPDATE SET remote_id = excluded.remote_id, \
                 display_name = excluded.display_name, description = excluded.description, \
                 url = excluded.url, avatars = excluded.avatars, \
                 followers_count = excluded.followers_count, \
                 remote_created_at = excluded.remote_created_at, \
                 last_seen_at = excluded.last_seen_at, deleted_at = NULL RETURNING id, name",
            );
            query.build_query_as().fetch_all(&mut **c).await?
        });
        for (id, name) in written {
            changes.push((Entity::Account, id));
            ids.insert(name, id);
        }
    }
    touch(tx, "accounts", &touches, seen_at).await?;
    Ok(ids)
}

async fn upsert_channels(
    tx: &mut Tx,
    instance: &Instance,
    records: &[ChannelRecord],
    account_ids: &HashMap<String, i64>,
    seen_at: DateTime<Utc>,
    changes: &mut Vec<(Entity, i64)>,
) -> Result<HashMap<String, i64>> {
    let records = dedup_by_key(records, |record| &record.name);
    if records.is_empty() {
        return Ok(HashMap::new());
    }
    let names: Vec<&str> = records.iter().map(|record| record.name.as_str()).collect();
    let sql = format!(
        "SELECT {} FROM channels WHERE instance_id = ",
        Channel::COLUMNS
    );
    let existing: Vec<Channel> = on_tx!(tx, c => {
        let mut query = QueryBuilder::new(sql);
        query.push_bind(instance.id).push(" AND name").push_in(&names);
        query.build_query_as().fetch_all(&mut **c).await?
    });
    let existing: HashMap<&str, &Channel> = existing
        .iter()
        .map(|channel| (channel.name.as_str(), channel))
        .collect();

    let mut ids = HashMap::new();
    let mut writes = Vec::new();
    let mut touches = Vec::new();
    for record in records {
        let old = existing.get(record.name.as_str()).copied();
        let account_id = record
            .account_name
            .as_ref()
            .and_then(|name| account_ids.get(name).copied())
            .or(old.and_then(|old| old.account_id));
        let mut row = Channel {
            id: old.map_or(0, |old| old.id),
            instance_id: instance.id,
            account_id,
            remote_id: record.remote_id,
            name: record.name.clone(),
            host: instance.host.clone(),
            display_name: record.display_name.clone(),
            description: None,
            support: None,
            url: record.url.clone(),
            avatars: JsonList(record.avatars.clone()),
            banners: ImageList::default(),
            followers_count: 0,
            videos_count: None,
            remote_created_at: None,
            remote_updated_at: None,
            details_fetched_at: None,
            first_seen_at: old.map_or(seen_at, |old| old.first_seen_at),
            last_seen_at: old.map_or(seen_at, |old| old.last_seen_at),
            deleted_at: None,
        };
        match (&record.details, old) {
            (Some(details), _) => {
                row.description = details.description.clone();
                row.support = details.support.clone();
                row.banners = JsonList(details.banners.clone());
                row.followers_count = details.followers_count;
                row.videos_count = details.videos_count;
                row.remote_created_at = details.remote_created_at;
                row.remote_updated_at = details.remote_updated_at;
                row.details_fetched_at = Some(
                    old.and_then(|old| old.details_fetched_at)
                        .unwrap_or(seen_at),
                );
            }
            (None, Some(old)) => {
                row.description = old.description.clone();
                row.support = old.support.clone();
                row.banners = old.banners.clone();
                row.followers_count = old.followers_count;
                row.videos_count = old.videos_count;
                row.remote_created_at = old.remote_created_at;
                row.remote_updated_at = old.remote_updated_at;
                row.details_fetched_at = old.details_fetched_at;
            }
            (None, None) => {}
        }
        match old {
            Some(old) if *old == row => {
                ids.insert(row.name.clone(), old.id);
                touches.push(old.id);
            }
            _ => {
                if record.details.is_some() {
                    row.details_fetched_at = Some(seen_at);
                }
                writes.push(row);
            }
        }
    }
    if !writes.is_empty() {
        let written: Vec<(i64, String)> = on_tx!(tx, c => {
            let mut query = QueryBuilder::new(
                "INSERT INTO channels (instance_id, account_id, remote_id, name, host, \
                 display_name, description, support, url, avatars, banners, followers_count, \
                 videos_count, remote_created_at, remote_updated_at, details_fetched_at, \
                 first_seen_at, last_seen_at, deleted_at) ",
            );
            query.push_values(writes, |mut row, channel| {
                row.push_bind(channel.instance_id)
                    .push_bind(channel.account_id)
                    .push_bind(channel.remote_id)
                    .push_bind(channel.name)
                    .push_bind(channel.host)
                    .push_bind(channel.display_name)
                    .push_bind(channel.description)
                    .push_bind(channel.support)
                    .push_bind(channel.url)
                    .push_bind(channel.avatars.to_json())
                    .push_bind(channel.banners.to_json())
                    .push_bind(channel.followers_count)
                    .push_bind(channel.videos_count)
                    .push_bind(channel.remote_created_at)
                    .push_bind(channel.remote_updated_at)
                    .push_bind(channel.details_fetched_at)
                    .push_bind(channel.first_seen_at)
                    .push_bind(seen_at)
                    .push_bind(None::<DateTime<Utc>>);
            });
            query.push(
                " ON CONFLICT (instance_id, name) DO UPDATE SET account_id = excluded.account_id, \
                 remote_id = excluded.remote_id, display_name = excluded.display_name, \
                 description = excluded.description, support = excluded.support, \
                 url = excluded.url, avatars = excluded.avatars, banners = excluded.banners, \
                 followers_count = excluded.followers_count, \
                 videos_count = excluded.videos_count, \
                 remote_created_at = excluded.remote_created_at, \
                 remote_updated_at = excluded.remote_updated_at, \
                 details_fetched_at = excluded.details_fetched_at, \
                 last_seen_at = excluded.last_seen_at, deleted_at = NULL RETURNING id, name",
            );
            query.build_query_as().fetch_all(&mut **c).await?
        });
        for (id, name) in written {
            changes.push((Entity::Channel, id));
            ids.insert(name, id);
        }
    }
    touch(tx, "channels", &touches, seen_at).await?;
    Ok(ids)
}

async fn upsert_videos(
    tx: &mut Tx,
    instance: &Instance,
    records: &[VideoRecord],
    (account_ids, channel_ids): (&HashMap<String, i64>, &HashMap<String, i64>),
    seen_at: DateTime<Utc>,
    changes: &mut Vec<(Entity, i64)>,
) -> Result<UpsertSummary> {
    let records = dedup_by_key(records, |record| &record.uuid);
    let mut summary = UpsertSummary::default();
    if records.is_empty() {
        return Ok(summary);
    }
    let uuids: Vec<&str> = records.iter().map(|record| record.uuid.as_str()).collect();
    let sql = format!("SELECT {} FROM videos WHERE uuid", Video::COLUMNS);
    let existing: Vec<Video> = on_tx!(tx, c => {
        let mut query = QueryBuilder::new(sql);
        query.push_in(&uuids);
        query.build_query_as().fetch_all(&mut **c).await?
    });
    let existing: HashMap<&str, &Video> = existing
        .iter()
        .map(|video| (video.uuid.as_str(), video))
        .collect();

    let mut writes = Vec::new();
    let mut touches = Vec::new();
    for record in records {
        let old = existing.get(record.uuid.as_str()).copied();
        if old.is_some_and(|old| old.instance_id != instance.id) {
            summary.conflicts += 1;
            continue;
        }
        let row = video_row(
            instance.id,
            record,
            old,
            (account_ids, channel_ids),
            seen_at,
        );
        match old {
            Some(old) if *old == row => {
                summary.unchanged += 1;
                touches.push(old.id);
            }
            Some(_) => {
                summary.updated += 1;
                writes.push(row);
            }
            None => {
                summary.inserted += 1;
                writes.push(row);
            }
        }
    }
    if !writes.is_empty() {
        let written: Vec<(i64,)> = match tx {
            Tx::Postgres(c) => insert_videos_postgres(c, &writes, seen_at).await?,
            Tx::Sqlite(c) => insert_videos_sqlite(c, writes, seen_at).await?,
        };
        changes.extend(written.into_iter().map(|(id,)| (Entity::Video, id)));
    }
    touch(tx, "videos", &touches, seen_at).await?;
    Ok(summary)
}

/// Inserts or updates videos on SQLite in one multi-row statement, moving
/// their strings into its arguments.
async fn insert_videos_sqlite(
    c: &mut sqlx::SqliteConnection,
    rows: Vec<Video>,
    seen_at: DateTime<Utc>,
) -> Result<Vec<(i64,)>> {
    let mut query = QueryBuilder::new(format!("INSERT INTO videos ({VIDEO_WRITE_COLUMNS}) "));
    query.push_values(rows, |mut row, video| {
        row.push_bind(video.instance_id)
            .push_bind(video.account_id)
            .push_bind(video.channel_id)
            .push_bind(video.remote_id)
            .push_bind(video.uuid)
            .push_bind(video.short_uuid)
            .push_bind(video.url)
            .push_bind(video.name)
            .push_bind(video.truncated_description)
            .push_bind(video.description)
            .push_bind(video.support)
            .push_bind(video.tags.to_json())
            .push_bind(video.category_id)
            .push_bind(video.category_label)
            .push_bind(video.licence_id)
            .push_bind(video.licence_label)
            .push_bind(video.language_id)
            .push_bind(video.language_label)
            .push_bind(video.privacy_id)
            .push_bind(video.nsfw)
            .push_bind(video.nsfw_flags)
            .push_bind(video.nsfw_summary)
            .push_bind(video.is_live)
            .push_bind(video.duration)
            .push_bind(video.aspect_ratio)
            .push_bind(video.views)
            .push_bind(video.likes)
            .push_bind(video.dislikes)
            .push_bind(video.comments)
            .push_bind(video.thumbnail_path)
            .push_bind(video.preview_path)
            .push_bind(video.embed_path)
            .push_bind(video.published_at)
            .push_bind(video.originally_published_at)
            .push_bind(video.remote_created_at)
            .push_bind(video.remote_updated_at)
            .push_bind(video.details_fetched_at)
            .push_bind(video.first_seen_at)
            .push_bind(seen_at)
            .push_bind(None::<DateTime<Utc>>)
            .push_bind(seen_at);
    });
    query.push(format!(
        " ON CONFLICT (uuid) DO UPDATE SET {VIDEO_UPDATE_SET} \
         WHERE videos.instance_id = excluded.instance_id RETURNING id"
    ));
    Ok(query.build_query_as().fetch_all(c).await?)
}

/// Inserts or updates videos on PostgreSQL with one array per column: the
/// statement stays the same whatever the number of rows, so its plan does
/// not grow with the page. Every execution is planned afresh (see
/// `Store::connect`), and planning a multi-row `VALUES` of 400 rows of 41
/// values cost the server about 12 % of its CPU in a crawl (BENCHMARKS.md).
async fn insert_videos_postgres(
    c: &mut sqlx::PgConnection,
    rows: &[Video],
    seen_at: DateTime<Utc>,
) -> Result<Vec<(i64,)>> {
    macro_rules! column {
        ($($field:tt)+) => {
            rows.iter().map(|row| row.$($field)+).collect::<Vec<_>>()
        };
    }
    let tags: Vec<String> = rows.iter().map(|row| row.tags.to_json()).collect();
    let sql = format!(
        "INSERT INTO videos ({VIDEO_WRITE_COLUMNS}) \
         SELECT u.*, $39::timestamptz, NULL::timestamptz, $39::timestamptz FROM unnest(\
         $1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], \
         $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], \
         $13::bigint[], $14::text[], $15::bigint[], $16::text[], $17::text[], $18::text[], \
         $19::bigint[], $20::boolean[], $21::bigint[], $22::text[], $23::boolean[], \
         $24::bigint[], $25::float8[], $26::bigint[], $27::bigint[], $28::bigint[], \
         $29::bigint[], $30::text[], $31::text[], $32::text[], $33::timestamptz[], \
         $34::timestamptz[], $35::timestamptz[], $36::timestamptz[], $37::timestamptz[], \
         $38::timestamptz[]) AS u \
         ON CONFLICT (uuid) DO UPDATE SET {VIDEO_UPDATE_SET} \
         WHERE videos.instance_id = excluded.instance_id RETURNING id"
    );
    Ok(sqlx::query_as(&sql)
        .bind(column!(instance_id))
        .bind(column!(account_id))
        .bind(column!(channel_id))
        .bind(column!(remote_id))
        .bind(column!(uuid.as_str()))
        .bind(column!(short_uuid.as_deref()))
        .bind(column!(url.as_str()))
        .bind(column!(name.as_str()))
        .bind(column!(truncated_description.as_deref()))
        .bind(column!(description.as_deref()))
        .bind(column!(support.as_deref()))
        .bind(tags)
        .bind(column!(category_id))
        .bind(column!(category_label.as_deref()))
        .bind(column!(licence_id))
        .bind(column!(licence_label.as_deref()))
        .bind(column!(language_id.as_deref()))
        .bind(column!(language_label.as_deref()))
        .bind(column!(privacy_id))
        .bind(column!(nsfw))
        .bind(column!(nsfw_flags))
        .bind(column!(nsfw_summary.as_deref()))
        .bind(column!(is_live))
        .bind(column!(duration))
        .bind(column!(aspect_ratio))
        .bind(column!(views))
        .bind(column!(likes))
        .bind(column!(dislikes))
        .bind(column!(comments))
        .bind(column!(thumbnail_path.as_deref()))
        .bind(column!(preview_path.as_deref()))
        .bind(column!(embed_path.as_deref()))
        .bind(column!(published_at))
        .bind(column!(originally_published_at))
        .bind(column!(remote_created_at))
        .bind(column!(remote_updated_at))
        .bind(column!(details_fetched_at))
        .bind(column!(first_seen_at))
        .bind(seen_at)
        .fetch_all(c)
        .await?)
}

const VIDEO_WRITE_COLUMNS: &str = "instance_id, account_id, channel_id, remote_id, uuid, \
    short_uuid, url, name, truncated_description, description, support, tags, category_id, \
    category_label, licence_id, licence_label, language_id, language_label, privacy_id, nsfw, \
    nsfw_flags, nsfw_summary, is_live, duration, aspect_ratio, views, likes, dislikes, \
    comments, thumbnail_path, preview_path, embed_path, published_at, originally_published_at, \
    remote_created_at, remote_updated_at, details_fetched_at, first_seen_at, last_seen_at, \
    deleted_at, updated_at";

const VIDEO_UPDATE_SET: &str = "account_id = excluded.account_id, \
    channel_id = excluded.channel_id, remote_id = excluded.remote_id, \
    short_uuid = excluded.short_uuid, url = excluded.url, name = excluded.name, \
    truncated_description = excluded.truncated_description, \
    description = excluded.description, support = excluded.support, tags = excluded.tags, \
    category_id = excluded.category_id, category_label = excluded.category_label, \
    licence_id = excluded.licence_id, licence_label = excluded.licence_label, \
    language_id = excluded.language_id, language_label = excluded.language_label, \
    privacy_id = excluded.privacy_id, nsfw = excluded.nsfw, nsfw_flags = excluded.nsfw_flags, \
    nsfw_summary = excluded.nsfw_summary, is_live = excluded.is_live, \
    duration = excluded.duration, aspect_ratio = excluded.aspect_ratio, \
    views = excluded.views, likes = excluded.likes, dislikes = excluded.dislikes, \
    comments = excluded.comments, thumbnail_path = excluded.thumbnail_path, \
    preview_path = excluded.preview_path, embed_path = excluded.embed_path, \
    published_at = excluded.published_at, \
    originally_published_at = excluded.originally_published_at, \
    remote_created_at = excluded.remote_created_at, \
    remote_updated_at = excluded.remote_updated_at, \
    details_fetched_at = excluded.details_fetched_at, last_seen_at = excluded.last_seen_at, \
    deleted_at = NULL, updated_at = excluded.updated_at";

/// The row a record should leave in the database. Compared with the stored
/// row (volatile bookkeeping columns copied over) to detect a change.
pub(crate) fn video_row(
    instance_id: i64,
    record: &VideoRecord,
    old: Option<&Video>,
    (account_ids, channel_ids): (&HashMap<String, i64>, &HashMap<String, i64>),
    seen_at: DateTime<Utc>,
) -> Video {
    let lookup = |ids: &HashMap<String, i64>, name: &Option<String>| {
        name.as_ref().and_then(|name| ids.get(name).copied())
    };
    // Without details, keep what details said before, unless the video was
    // edited since: then they are stale and wanted again.
    let edited = old.is_some_and(|old| old.remote_updated_at != record.remote_updated_at);
    let (description, support, tags, details_fetched_at) = match (&record.details, old) {
        (Some(details), _) => (
            details.description.clone(),
            details.support.clone(),
            JsonList(details.tags.clone()),
            match old.and_then(|old| old.details_fetched_at) {
                Some(fetched) if !edited => Some(fetched),
                _ => Some(seen_at),
            },
        ),
        (None, Some(old)) => (
            old.description.clone(),
            old.support.clone(),
            old.tags.clone(),
            if edited { None } else { old.details_fetched_at },
        ),
        (None, None) => (
            record.truncated_description.clone(),
            None,
            StringList::default(),
            None,
        ),
    };
    Video {
        id: old.map_or(0, |old| old.id),
        instance_id,
        account_id: lookup(account_ids, &record.account_name).or(old.and_then(|o| o.account_id)),
        channel_id: lookup(channel_ids, &record.channel_name).or(old.and_then(|o| o.channel_id)),
        remote_id: record.remote_id,
        uuid: record.uuid.clone(),
        short_uuid: record.short_uuid.clone(),
        url: record.url.clone(),
        name: record.name.clone(),
        truncated_description: record.truncated_description.clone(),
        description,
        support,
        tags,
        category_id: record.category_id,
        category_label: record.category_label.clone(),
        licence_id: record.licence_id,
        licence_label: record.licence_label.clone(),
        language_id: record.language_id.clone(),
        language_label: record.language_label.clone(),
        privacy_id: record.privacy_id,
        nsfw: record.nsfw,
        nsfw_flags: record.nsfw_flags,
        nsfw_summary: record.nsfw_summary.clone(),
        is_live: record.is_live,
        duration: record.duration,
        aspect_ratio: record.aspect_ratio,
        views: record.views,
        likes: record.likes,
        dislikes: record.dislikes,
        comments: record.comments,
        thumbnail_path: record.thumbnail_path.clone(),
        preview_path: record.preview_path.clone(),
        embed_path: record.embed_path.clone(),
        published_at: record.published_at,
        originally_published_at: record.originally_published_at,
        remote_created_at: record.remote_created_at,
        remote_updated_at: record.remote_updated_at,
        details_fetched_at,
        first_seen_at: old.map_or(seen_at, |old| old.first_seen_at),
        last_seen_at: old.map_or(seen_at, |old| old.last_seen_at),
        deleted_at: None,
        updated_at: old.map_or(seen_at, |old| old.updated_at),
    }
}

/// Sets `last_seen_at` on rows that were seen unchanged.
async fn touch(tx: &mut Tx, table: &str, ids: &[i64], seen_at: DateTime<Utc>) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    on_tx!(tx, c => {
        let mut query = QueryBuilder::new(format!("UPDATE {table} SET last_seen_at = "));
        query.push_bind(seen_at).push(" WHERE id").push_in(ids);
        query.build().execute(&mut **c).await?;
    });
    Ok(())
}

/// Keeps the last record of each key: a page may repeat an item when it shifts.
fn dedup_by_key<T, K: std::hash::Hash + Eq + ?Sized>(
    records: &[T],
    key: impl Fn(&T) -> &K,
) -> Vec<&T> {
    let mut position: HashMap<&K, usize> = HashMap::new();
    let mut kept: Vec<&T> = Vec::with_capacity(records.len());
    for record in records {
        match position.get(key(record)) {
            Some(&index) => kept[index] = record,
            None => {
                position.insert(key(record), kept.len());
                kept.push(record);
            }
        }
    }
    kept
}
