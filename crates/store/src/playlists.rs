//! Public playlists of channels: upserted per channel page, deleted after a complete sweep.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::QueryBuilder;

use crate::db::Store;
use crate::error::Result;
use crate::feed::{Entity, append_changes};
use crate::model::Instance;
use crate::videos::PushIn;

/// A playlist as read from an instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlaylistRecord {
    pub remote_id: Option<i64>,
    pub uuid: String,
    pub short_uuid: Option<String>,
    pub url: String,
    pub name: String,
    pub description: Option<String>,
    pub privacy_id: i64,
    pub playlist_type: i64,
    pub videos_length: i64,
    pub thumbnail_path: Option<String>,
    pub embed_path: Option<String>,
    pub remote_created_at: Option<DateTime<Utc>>,
    pub remote_updated_at: Option<DateTime<Utc>>,
}

/// A playlist as stored.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Playlist {
    pub id: i64,
    pub instance_id: i64,
    pub account_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub remote_id: Option<i64>,
    pub uuid: String,
    pub short_uuid: Option<String>,
    pub url: String,
    pub name: String,
    pub description: Option<String>,
    pub privacy_id: i64,
    pub playlist_type: i64,
    pub videos_length: i64,
    pub thumbnail_path: Option<String>,
    pub embed_path: Option<String>,
    pub remote_created_at: Option<DateTime<Utc>>,
    pub remote_updated_at: Option<DateTime<Utc>>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

pub(crate) const COLUMNS: &str = "id, instance_id, account_id, channel_id, remote_id, uuid, short_uuid, url, \
    name, description, privacy_id, playlist_type, videos_length, thumbnail_path, embed_path, \
    remote_created_at, remote_updated_at, first_seen_at, last_seen_at, deleted_at";

impl Store {
    /// Writes the playlists of one channel in one transaction; changed ones go to the feed.
    /// A uuid owned by another instance is left alone. Returns how many changed.
    pub async fn upsert_playlists(
        &self,
        instance: &Instance,
        channel_id: i64,
        records: &[PlaylistRecord],
        seen_at: DateTime<Utc>,
    ) -> Result<u64> {
        if records.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let uuids: Vec<&str> = records.iter().map(|record| record.uuid.as_str()).collect();
        let existing: Vec<Playlist> = on_tx!(&mut tx, c => {
            let mut query = QueryBuilder::new(format!("SELECT {COLUMNS} FROM playlists WHERE uuid"));
            query.push_in(&uuids);
            query.build_query_as().fetch_all(&mut **c).await?
        });
        let existing: HashMap<&str, &Playlist> =
            existing.iter().map(|p| (p.uuid.as_str(), p)).collect();
        let account_id: Option<i64> = on_tx!(&mut tx, c => {
            sqlx::query_scalar("SELECT account_id FROM channels WHERE id = $1")
                .bind(channel_id)
                .fetch_optional(&mut **c)
                .await?
                .flatten()
        });
        let mut writes = Vec::new();
        let mut touches = Vec::new();
        for record in records {
            let old = existing.get(record.uuid.as_str()).copied();
            if old.is_some_and(|old| old.instance_id != instance.id) {
                continue;
            }
            let row = Playlist {
                id: old.map_or(0, |old| old.id),
                instance_id: instance.id,
                account_id,
                channel_id: Some(channel_id),
                remote_id: record.remote_id,
                uuid: record.uuid.clone(),
                short_uuid: record.short_uuid.clone(),
                url: record.url.clone(),
                name: record.name.clone(),
                description: record.description.clone(),
                privacy_id: record.privacy_id,
                playlist_type: record.playlist_type,
                videos_length: record.videos_length,
                thumbnail_path: record.thumbnail_path.clone(),
                embed_path: record.embed_path.clone(),
                remote_created_at: record.remote_created_at,
                remote_updated_at: record.remote_updated_at,
                first_seen_at: old.map_or(seen_at, |old| old.first_seen_at),
                last_seen_at: old.map_or(seen_at, |old| old.last_seen_at),
                deleted_at: None,
            };
            match old {
                Some(old) if *old == row => touches.push(old.id),
                _ => writes.push(row),
            }
        }
        let mut changes = Vec::new();
        if !writes.is_empty() {
            let ids: Vec<(i64,)> = on_tx!(&mut tx, c => {
                let mut query = QueryBuilder::new(
                    "INSERT INTO playlists (instance_id, account_id, channel_id, remote_id, uuid, \
                     short_uuid, url, name, description, privacy_id, playlist_type, videos_length, \
                     thumbnail_path, embed_path, remote_created_at, remote_updated_at, \
                     first_seen_at, last_seen_at, deleted_at) ",
                );
                query.push_values(writes, |mut row, p| {
                    row.push_bind(p.instance_id)
                        .push_bind(p.account_id)
                        .push_bind(p.channel_id)
                        .push_bind(p.remote_id)
                        .push_bind(p.uuid)
                        .push_bind(p.short_uuid)
                        .push_bind(p.url)
                        .push_bind(p.name)
                        .push_bind(p.description)
                        .push_bind(p.privacy_id)
                        .push_bind(p.playlist_type)
                        .push_bind(p.videos_length)
                        .push_bind(p.thumbnail_path)
                        .push_bind(p.embed_path)
                        .push_bind(p.remote_created_at)
                        .push_bind(p.remote_updated_at)
                        .push_bind(p.first_seen_at)
                        .push_bind(seen_at)
                        .push_bind(None::<DateTime<Utc>>);
                });
                query.push(
                    " ON CONFLICT (uuid) DO UPDATE SET account_id = excluded.account_id, \
                     channel_id = excluded.channel_id, remote_id = excluded.remote_id, \
                     short_uuid = excluded.short_uuid, url = excluded.url, name = excluded.name, \
                     description = excluded.description, privacy_id = excluded.privacy_id, \
                     playlist_type = excluded.playlist_type, videos_length = excluded.videos_length, \
                     thumbnail_path = excluded.thumbnail_path, embed_path = excluded.embed_path, \
                     remote_created_at = excluded.remote_created_at, \
                     remote_updated_at = excluded.remote_updated_at, \
                     last_seen_at = excluded.last_seen_at, deleted_at = NULL \
                     WHERE playlists.instance_id = excluded.instance_id RETURNING id",
                );
                query.build_query_as().fetch_all(&mut **c).await?
            });
            changes.extend(ids.into_iter().map(|(id,)| (Entity::Playlist, id)));
        }
        if !touches.is_empty() {
            on_tx!(&mut tx, c => {
                let mut query = QueryBuilder::new("UPDATE playlists SET last_seen_at = ");
                query.push_bind(seen_at).push(" WHERE id").push_in(&touches);
                query.build().execute(&mut **c).await?;
            });
        }
        append_changes(&mut tx, &changes, seen_at).await?;
        tx.commit().await?;
        Ok(changes.len() as u64)
    }

    /// Soft-deletes an instance's playlists not seen since `since` (after all its channels were read).
    pub async fn delete_playlists_not_seen_since(
        &self,
        instance_id: i64,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let ids: Vec<(i64,)> = on_tx!(&mut tx, c => sqlx::query_as(
            "UPDATE playlists SET deleted_at = $1 WHERE instance_id = $2 AND deleted_at IS NULL \
             AND last_seen_at < $3 RETURNING id",
        )
        .bind(now)
        .bind(instance_id)
        .bind(since)
        .fetch_all(&mut **c)
        .await?);
        let changes: Vec<_> = ids.iter().map(|(id,)| (Entity::Playlist, *id)).collect();
        append_changes(&mut tx, &changes, now).await?;
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    /// An instance's playlists not deleted at their origin.
    pub async fn playlists_of_instance(&self, instance_id: i64) -> Result<Vec<Playlist>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM playlists WHERE instance_id = $1 AND deleted_at IS NULL ORDER BY id"
        );
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(instance_id).fetch_all(p).await?))
    }

    /// Playlists by id (for the indexer).
    pub async fn playlists(&self, ids: &[i64]) -> Result<Vec<Playlist>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Playlist> = on_pool!(&self.read, p => {
            let mut query = QueryBuilder::new(format!("SELECT {COLUMNS} FROM playlists WHERE id"));
            query.push_in(ids);
            query.build_query_as().fetch_all(p).await?
        });
        Ok(rows)
    }

    /// Channels of an instance whose details were never read or were read before `before`.
    pub async fn channels_wanting_details(
        &self,
        instance_id: i64,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        const SQL: &str = "SELECT id, name FROM channels WHERE instance_id = $1 AND deleted_at IS NULL \
            AND (details_fetched_at IS NULL OR details_fetched_at < $2) ORDER BY id LIMIT $3";
        Ok(on_pool!(&self.read, p => {
            sqlx::query_as(SQL).bind(instance_id).bind(before).bind(limit).fetch_all(p).await?
        }))
    }
}
