//! Removing an instance from Florilège: its status becomes rejected and what was crawled of it is deleted.

use serde::Serialize;

use crate::db::{Store, Tx};
use crate::error::{Result, StoreError};
use crate::feed::{Entity, append_changes};
use crate::model::{InstanceStatus, now};

/// What a purge deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub videos: u64,
    /// Videos kept as soft-deleted tombstones because selections hold them:
    /// their items stay in the editor, flagged, with their last known title.
    pub videos_kept_for_selections: u64,
    pub channels: u64,
    pub accounts: u64,
    pub playlists: u64,
    /// Cached image files no other row uses any more: the caller deletes
    /// them from the image directory.
    pub orphaned_image_files: Vec<String>,
}

/// Ids of rows of `table` belonging to the instance, for the change feed.
async fn ids_of(tx: &mut Tx, table: &str, instance_id: i64) -> Result<Vec<i64>> {
    let sql = format!("SELECT id FROM {table} WHERE instance_id = $1");
    Ok(on_tx!(tx, c => sqlx::query_scalar(&sql).bind(instance_id).fetch_all(&mut **c).await?))
}

async fn execute(tx: &mut Tx, sql: &str, instance_id: i64) -> Result<u64> {
    Ok(on_tx!(tx, c => sqlx::query(sql).bind(instance_id).execute(&mut **c).await?.rows_affected()))
}

impl Store {
    /// Removes an instance: it is no longer crawled (status rejected unless
    /// blocked, crawl cursors reset, and its lease taken back, so a worker
    /// crawling it stops after its page) and its videos, channels, accounts, playlists and cached
    /// images are deleted, all in one transaction. The change feed gets an
    /// entry per deleted document, so every index replica drops them.
    ///
    /// Videos held by selections are kept as soft-deleted tombstones: an
    /// editor's note is never lost silently, and the public pages already
    /// hide deleted videos.
    pub async fn purge_instance(&self, instance_id: i64) -> Result<PurgeReport> {
        let mut tx = self.begin().await?;
        let at = now();
        let base_url: Option<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "UPDATE instances SET status = CASE WHEN status = 'blocked' THEN status ELSE $1 END, \
             crawl_state = '{}', last_full_sweep_at = NULL, \
             next_crawl_at = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = $2 \
             WHERE id = $3 RETURNING base_url",
        )
        .bind(InstanceStatus::Rejected.as_str())
        .bind(at)
        .bind(instance_id)
        .fetch_optional(&mut **c)
        .await?);
        let base_url = base_url.ok_or(StoreError::NotFound("instance"))?;

        let mut changes = vec![(Entity::Instance, instance_id)];
        for (entity, table) in [
            (Entity::Video, "videos"),
            (Entity::Channel, "channels"),
            (Entity::Playlist, "playlists"),
        ] {
            let ids = ids_of(&mut tx, table, instance_id).await?;
            changes.extend(ids.into_iter().map(|id| (entity, id)));
        }
        append_changes(&mut tx, &changes, at).await?;

        const HELD: &str = "id IN (SELECT video_id FROM selection_items)";
        let kept = on_tx!(&mut tx, c => sqlx::query(&format!(
            "UPDATE videos SET deleted_at = COALESCE(deleted_at, $1), updated_at = $1 \
             WHERE instance_id = $2 AND {HELD}"
        ))
        .bind(at)
        .bind(instance_id)
        .execute(&mut **c)
        .await?
        .rows_affected());
        let mut report = PurgeReport {
            videos_kept_for_selections: kept,
            videos: execute(
                &mut tx,
                &format!("DELETE FROM videos WHERE instance_id = $1 AND NOT {HELD}"),
                instance_id,
            )
            .await?,
            playlists: execute(
                &mut tx,
                "DELETE FROM playlists WHERE instance_id = $1",
                instance_id,
            )
            .await?,
            channels: execute(
                &mut tx,
                "DELETE FROM channels WHERE instance_id = $1",
                instance_id,
            )
            .await?,
            accounts: execute(
                &mut tx,
                "DELETE FROM accounts WHERE instance_id = $1",
                instance_id,
            )
            .await?,
            orphaned_image_files: Vec::new(),
        };

        // Image rows are keyed by their source URL, which starts with the
        // instance's base URL; a file may be shared with another instance's row.
        let files: Vec<Option<String>> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "DELETE FROM cached_images WHERE substr(source_url, 1, length($1)) = $1 \
             RETURNING sha256",
        )
        .bind(format!("{}/", base_url.trim_end_matches('/')))
        .fetch_all(&mut **c)
        .await?);
        let mut files: Vec<String> = files.into_iter().flatten().collect();
        files.sort_unstable();
        files.dedup();
        for sha256 in files {
            let still_used: bool = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM cached_images WHERE sha256 = $1)",
            )
            .bind(&sha256)
            .fetch_one(&mut **c)
            .await?);
            if !still_used {
                report.orphaned_image_files.push(sha256);
            }
        }
        tx.commit().await?;
        Ok(report)
    }
}
