//! What the indexer reads of playlists: each joined with its instance, owners and blocks.

use serde::Serialize;
use sqlx::QueryBuilder;

use crate::db::Store;
use crate::documents::{ActorSummary, BLOCKED, VideoOwner, qualified, summary};
use crate::error::Result;
use crate::model::InstanceStatus;
use crate::playlists::{COLUMNS, Playlist};
use crate::videos::PushIn;

/// PeerTube's privacy id of a public playlist.
const PUBLIC: i64 = 1;
/// PeerTube's type id of a regular playlist (not "watch later").
const REGULAR: i64 = 1;

/// Everything the index needs to know about one playlist.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlaylistDocument {
    pub playlist: Playlist,
    pub instance_host: String,
    pub instance_base_url: String,
    pub instance_name: Option<String>,
    pub channel: Option<ActorSummary>,
    pub account: Option<ActorSummary>,
    /// Whether search may show it: instance approved, not deleted at its
    /// origin, public, regular, and nothing in its chain blocked.
    pub visible: bool,
}

#[derive(sqlx::FromRow)]
struct PlaylistDocumentRow {
    #[sqlx(flatten)]
    playlist: Playlist,
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
}

impl From<PlaylistDocumentRow> for PlaylistDocument {
    fn from(row: PlaylistDocumentRow) -> Self {
        let playlist = row.playlist;
        let visible = row.instance_status == InstanceStatus::Approved.as_str()
            && playlist.deleted_at.is_none()
            && playlist.privacy_id == PUBLIC
            && playlist.playlist_type == REGULAR
            && !row.blocked;
        let channel = summary(
            playlist.channel_id,
            row.channel_name,
            row.channel_display_name,
            row.channel_url,
            row.channel_avatars,
        );
        let account = summary(
            playlist.account_id,
            row.account_name,
            row.account_display_name,
            row.account_url,
            row.account_avatars,
        );
        Self {
            playlist,
            instance_host: row.instance_host,
            instance_base_url: row.instance_base_url,
            instance_name: row.instance_name,
            channel,
            account,
            visible,
        }
    }
}

impl Store {
    /// The documents of these playlists (missing ids are left out).
    pub async fn playlist_documents(&self, ids: &[i64]) -> Result<Vec<PlaylistDocument>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {}, i.host AS instance_host, i.base_url AS instance_base_url, \
             i.name AS instance_name, i.status AS instance_status, \
             c.name AS channel_name, c.display_name AS channel_display_name, \
             c.url AS channel_url, c.avatars AS channel_avatars, \
             a.name AS account_name, a.display_name AS account_display_name, \
             a.url AS account_url, a.avatars AS account_avatars, {BLOCKED} AS blocked \
             FROM playlists p JOIN instances i ON i.id = p.instance_id \
             LEFT JOIN channels c ON c.id = p.channel_id \
             LEFT JOIN accounts a ON a.id = p.account_id WHERE p.id",
            qualified(COLUMNS, "p")
        );
        let mut documents = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let rows: Vec<PlaylistDocumentRow> = on_pool!(&self.read, p => {
                let mut query = QueryBuilder::new(&sql);
                query.push_in(chunk);
                query.build_query_as().fetch_all(p).await?
            });
            documents.extend(rows.into_iter().map(PlaylistDocument::from));
        }
        Ok(documents)
    }

    /// Ids of the playlists of an instance, channel or account (to re-index after a change to it).
    pub async fn playlist_ids_of(&self, owner: VideoOwner, id: i64) -> Result<Vec<i64>> {
        let column = match owner {
            VideoOwner::Instance => "instance_id",
            VideoOwner::Channel => "channel_id",
            VideoOwner::Account => "account_id",
        };
        let sql = format!("SELECT id FROM playlists WHERE {column} = $1 ORDER BY id");
        Ok(on_pool!(&self.read, p => sqlx::query_scalar(&sql).bind(id).fetch_all(p).await?))
    }

    /// Playlist ids above `after`, in order: to walk the whole table in batches (index rebuild).
    pub async fn playlist_ids_after(&self, after: i64, limit: i64) -> Result<Vec<i64>> {
        const SQL: &str = "SELECT id FROM playlists WHERE id > $1 ORDER BY id LIMIT $2";
        Ok(
            on_pool!(&self.read, p => sqlx::query_scalar(SQL).bind(after).bind(limit).fetch_all(p).await?),
        )
    }
}
