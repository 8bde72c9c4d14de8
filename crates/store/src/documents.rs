//! What the indexer reads: videos, channels and playlists joined with their instance, owners, blocks and curation.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::QueryBuilder;

use crate::db::Store;
use crate::error::Result;
use crate::model::{ImageList, InstanceStatus, Video};
use crate::videos::PushIn;

/// The owner (channel or account) of a video, as search shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActorSummary {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub url: String,
    pub avatars: ImageList,
}

/// Everything the index needs to know about one video.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VideoDocument {
    pub video: Video,
    pub instance_host: String,
    pub instance_base_url: String,
    pub instance_name: Option<String>,
    pub channel: Option<ActorSummary>,
    pub account: Option<ActorSummary>,
    /// Whether search may show it: instance approved, not deleted at its
    /// origin, public, and nothing in its chain blocked.
    pub visible: bool,
    /// Whether it is in at least one published selection.
    pub curated: bool,
}

/// Everything the index needs to know about one channel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelDocument {
    pub channel: crate::model::Channel,
    pub instance_base_url: String,
    pub owner: Option<ActorSummary>,
    pub visible: bool,
}

/// Blocks that hide a row whose instance, channel and account are aliased i, c and a.
pub(crate) const BLOCKED: &str = "EXISTS (SELECT 1 FROM blocks b WHERE \
    (b.kind = 'instance' AND b.target = i.host) \
    OR (b.kind = 'channel' AND b.target = c.name || '@' || i.host) \
    OR (b.kind = 'account' AND b.target = a.name || '@' || i.host))";

#[derive(sqlx::FromRow)]
struct VideoDocumentRow {
    #[sqlx(flatten)]
    video: Video,
    instance_host: String,
    instance_base_url: String,
    instance_name: Option<String>,
    instance_status: String,
    channel_name: Option<String>,
    channel_display_name: Option<String>,
    channel_url: Option<String>,
    channel_avatars: Option<String>,
    account_name: Option<String>,
    account_display_name: Option<String>,
    account_url: Option<String>,
    account_avatars: Option<String>,
    blocked: bool,
    video_blocked: bool,
    curated: bool,
}

pub(crate) fn summary(
    id: Option<i64>,
    name: Option<String>,
    display_name: Option<String>,
    url: Option<String>,
    avatars: Option<String>,
) -> Option<ActorSummary> {
    Some(ActorSummary {
        id: id?,
        name: name?,
        display_name: display_name.unwrap_or_default(),
        url: url.unwrap_or_default(),
        avatars: avatars
            .and_then(|json| ImageList::try_from(json).ok())
            .unwrap_or_default(),
    })
}

impl From<VideoDocumentRow> for VideoDocument {
    fn from(row: VideoDocumentRow) -> Self {
        let video = row.video;
        let visible = row.instance_status == InstanceStatus::Approved.as_str()
            && video.deleted_at.is_none()
            && video.privacy_id == 1
            && !row.blocked
            && !row.video_blocked;
        let channel = summary(
            video.channel_id,
            row.channel_name,
            row.channel_display_name,
            row.channel_url,
            row.channel_avatars,
        );
        let account = summary(
            video.account_id,
            row.account_name,
            row.account_display_name,
            row.account_url,
            row.account_avatars,
        );
        Self {
            video,
            instance_host: row.instance_host,
            instance_base_url: row.instance_base_url,
            instance_name: row.instance_name,
            channel,
            account,
            visible,
            curated: row.curated,
        }
    }
}

pub(crate) fn qualified(columns: &str, alias: &str) -> String {
    columns
        .split(", ")
        .map(|column| format!("{alias}.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// The documents of these videos (missing ids are left out).
    pub async fn video_documents(&self, ids: &[i64]) -> Result<Vec<VideoDocument>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {}, i.host AS instance_host, i.base_url AS instance_base_url, \
             i.name AS instance_name, i.status AS instance_status, \
             c.name AS channel_name, c.display_name AS channel_display_name, \
             c.url AS channel_url, c.avatars AS channel_avatars, \
             a.name AS account_name, a.display_name AS account_display_name, \
             a.url AS account_url, a.avatars AS account_avatars, \
             {BLOCKED} AS blocked, \
             EXISTS (SELECT 1 FROM blocks b WHERE b.kind = 'video' AND b.target = v.uuid) AS video_blocked, \
             EXISTS (SELECT 1 FROM selection_items si JOIN selections s ON s.id = si.selection_id \
                     WHERE si.video_id = v.id AND s.status = 'published') AS curated \
             FROM videos v JOIN instances i ON i.id = v.instance_id \
             LEFT JOIN channels c ON c.id = v.channel_id \
             LEFT JOIN accounts a ON a.id = v.account_id WHERE v.id",
            qualified(Video::COLUMNS, "v")
        );
        let mut documents = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let rows: Vec<VideoDocumentRow> = on_pool!(&self.read, p => {
                let mut query = QueryBuilder::new(&sql);
                query.push_in(chunk);
                query.build_query_as().fetch_all(p).await?
            });
            documents.extend(rows.into_iter().map(VideoDocument::from));
        }
        Ok(documents)
    }

    /// The documents of these channels (missing ids are left out).
    pub async fn channel_documents(&self, ids: &[i64]) -> Result<Vec<ChannelDocument>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {}, i.base_url AS instance_base_url, i.status AS instance_status, \
             a.name AS account_name, a.display_name AS account_display_name, \
             a.url AS account_url, a.avatars AS account_avatars, {BLOCKED} AS blocked \
             FROM channels c JOIN instances i ON i.id = c.instance_id \
             LEFT JOIN accounts a ON a.id = c.account_id WHERE c.id",
            qualified(crate::model::Channel::COLUMNS, "c")
        );
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            channel: crate::model::Channel,
            instance_base_url: String,
            instance_status: String,
            account_name: Option<String>,
            account_display_name: Option<String>,
            account_url: Option<String>,
            account_avatars: Option<String>,
            blocked: bool,
        }
        let mut documents = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let rows: Vec<Row> = on_pool!(&self.read, p => {
                let mut query = QueryBuilder::new(&sql);
                query.push_in(chunk);
                query.build_query_as().fetch_all(p).await?
            });
            documents.extend(rows.into_iter().map(|row| ChannelDocument {
                visible: row.instance_status == InstanceStatus::Approved.as_str()
                    && row.channel.deleted_at.is_none()
                    && !row.blocked,
                owner: summary(
                    row.channel.account_id,
                    row.account_name,
                    row.account_display_name,
                    row.account_url,
                    row.account_avatars,
                ),
                instance_base_url: row.instance_base_url,
                channel: row.channel,
            }));
        }
        Ok(documents)
    }

    /// Ids of the videos of an instance, channel or account (to re-index after a change to it).
    pub async fn video_ids_of(&self, owner: VideoOwner, id: i64) -> Result<Vec<i64>> {
        let column = match owner {
            VideoOwner::Instance => "instance_id",
            VideoOwner::Channel => "channel_id",
            VideoOwner::Account => "account_id",
        };
        let sql = format!("SELECT id FROM videos WHERE {column} = $1 ORDER BY id");
        Ok(on_pool!(&self.read, p => sqlx::query_scalar(&sql).bind(id).fetch_all(p).await?))
    }

    /// Ids of the channels of an instance or account.
    pub async fn channel_ids_of(&self, owner: VideoOwner, id: i64) -> Result<Vec<i64>> {
        let column = match owner {
            VideoOwner::Instance => "instance_id",
            VideoOwner::Channel => "id",
            VideoOwner::Account => "account_id",
        };
        let sql = format!("SELECT id FROM channels WHERE {column} = $1 ORDER BY id");
        Ok(on_pool!(&self.read, p => sqlx::query_scalar(&sql).bind(id).fetch_all(p).await?))
    }

    /// Video ids above `after`, in order: to walk the whole table in batches (index rebuild).
    pub async fn video_ids_after(&self, after: i64, limit: i64) -> Result<Vec<i64>> {
        const SQL: &str = "SELECT id FROM videos WHERE id > $1 ORDER BY id LIMIT $2";
        Ok(
            on_pool!(&self.read, p => sqlx::query_scalar(SQL).bind(after).bind(limit).fetch_all(p).await?),
        )
    }

    /// Channel ids above `after`, in order.
    pub async fn channel_ids_after(&self, after: i64, limit: i64) -> Result<Vec<i64>> {
        const SQL: &str = "SELECT id FROM channels WHERE id > $1 ORDER BY id LIMIT $2";
        Ok(
            on_pool!(&self.read, p => sqlx::query_scalar(SQL).bind(after).bind(limit).fetch_all(p).await?),
        )
    }

    /// The number of videos search may show, computed like [`VideoDocument::visible`].
    pub async fn count_visible_videos(&self) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM videos v JOIN instances i ON i.id = v.instance_id \
             LEFT JOIN channels c ON c.id = v.channel_id \
             LEFT JOIN accounts a ON a.id = v.account_id \
             WHERE i.status = 'approved' AND v.deleted_at IS NULL AND v.privacy_id = 1 \
             AND NOT {BLOCKED} \
             AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.kind = 'video' AND b.target = v.uuid)"
        );
        Ok(on_pool!(&self.read, p => sqlx::query_scalar(&sql).fetch_one(p).await?))
    }

    /// When the feed last changed, for freshness metrics.
    pub async fn last_change_at(&self) -> Result<Option<DateTime<Utc>>> {
        const SQL: &str = "SELECT MAX(changed_at) FROM change_feed";
        Ok(on_pool!(&self.read, p => sqlx::query_scalar(SQL).fetch_one(p).await?))
    }

    /// A value that changes whenever anything a public page shows may have
    /// changed: the change feed, selections, themes, settings and instances.
    /// Cheap (index lookups), for invalidating cached pages.
    pub async fn content_version(&self) -> Result<String> {
        const SQL: &str = "SELECT \
            (SELECT MAX(id) FROM change_feed), \
            (SELECT MAX(updated_at) FROM selections), \
            (SELECT COUNT(*) FROM selections), \
            (SELECT MAX(updated_at) FROM themes), \
            (SELECT COUNT(*) FROM themes), \
            (SELECT MAX(updated_at) FROM settings), \
            (SELECT MAX(updated_at) FROM instances)";
        type Row = (
            Option<i64>,
            Option<DateTime<Utc>>,
            i64,
            Option<DateTime<Utc>>,
            i64,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
        );
        let row: Row = on_pool!(&self.read, p => sqlx::query_as(SQL).fetch_one(p).await?);
        Ok(format!("{row:?}"))
    }
}

/// What owns a set of videos.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VideoOwner {
    Instance,
    Channel,
    Account,
}
