//! The videos of a selection: adding, removing, annotating and ordering them, and listing them for the editor (broken ones flagged) or the public.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::{Store, Tx};
use crate::documents::{BLOCKED, VideoDocument};
use crate::error::{Result, StoreError};
use crate::model::now;
use crate::selections::Selection;
use crate::slugs::limited_text;

/// One video of a selection, as stored. Positions count from 0, without gaps.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct SelectionItem {
    pub id: i64,
    pub selection_id: i64,
    pub video_id: i64,
    pub position: i64,
    pub note: String,
    /// The video's title when it was added, to name it once it is gone.
    pub last_known_title: String,
    pub added_by: Option<i64>,
    pub added_at: DateTime<Utc>,
}

impl SelectionItem {
    pub(crate) const COLUMNS: &'static str =
        "id, selection_id, video_id, position, note, last_known_title, added_by, added_at";
}

/// Why an item cannot be shown to the public.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokenReason {
    /// Gone from its instance.
    Deleted,
    /// The video, its channel, account or instance is blocked.
    Blocked,
    /// Not public any more, or its instance is not approved (paused, dead…).
    Unavailable,
}

/// An item as the editor sees it: the video (as search knows it) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EditorItem {
    pub item: SelectionItem,
    pub video: VideoDocument,
    pub broken: Option<BrokenReason>,
}

/// An item the public may see.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublicItem {
    pub item: SelectionItem,
    pub video: VideoDocument,
}

/// Joins an item `si` to its video `v`, instance `i`, channel `c` and account `a`.
pub(crate) const ITEM_JOINS: &str = "JOIN videos v ON v.id = si.video_id \
    JOIN instances i ON i.id = v.instance_id \
    LEFT JOIN channels c ON c.id = v.channel_id \
    LEFT JOIN accounts a ON a.id = v.account_id";

/// The video `v` is visible in search (as [`VideoDocument::visible`] computes it).
pub(crate) fn item_visible() -> String {
    format!(
        "i.status = 'approved' AND v.deleted_at IS NULL AND v.privacy_id = 1 AND NOT {BLOCKED} \
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.kind = 'video' AND b.target = v.uuid)"
    )
}

/// The columns `deleted`, `blocked`, `unavailable` of the video `v`.
fn broken_flags() -> String {
    format!(
        "v.deleted_at IS NOT NULL AS deleted, \
         ({BLOCKED} OR i.status = 'blocked' \
          OR EXISTS (SELECT 1 FROM blocks b WHERE b.kind = 'video' AND b.target = v.uuid)) AS blocked, \
         (i.status <> 'approved' OR v.privacy_id <> 1) AS unavailable"
    )
}

fn broken_reason(deleted: bool, blocked: bool, unavailable: bool) -> Option<BrokenReason> {
    if deleted {
        Some(BrokenReason::Deleted)
    } else if blocked {
        Some(BrokenReason::Blocked)
    } else if unavailable {
        Some(BrokenReason::Unavailable)
    } else {
        None
    }
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    #[sqlx(flatten)]
    item: SelectionItem,
    deleted: bool,
    blocked: bool,
    unavailable: bool,
}

impl Store {
    /// Appends a video to a selection, remembering its title. A video
    /// already there gives [`StoreError::AlreadyInSelection`]; a deleted or
    /// hidden video is refused.
    pub async fn add_item(
        &self,
        selection_id: i64,
        video_id: i64,
        note: &str,
        author: Option<i64>,
        expected_version: Option<i64>,
    ) -> Result<(Selection, SelectionItem)> {
        let note = limited_text("note", note, 2_000)?;
        let mut change = self
            .begin_change(selection_id, author, expected_version, now())
            .await?;
        let video_sql = format!(
            "SELECT v.name, {} FROM videos v JOIN instances i ON i.id = v.instance_id \
             LEFT JOIN channels c ON c.id = v.channel_id \
             LEFT JOIN accounts a ON a.id = v.account_id WHERE v.id = $1",
            broken_flags()
        );
        let insert_sql = format!(
            "INSERT INTO selection_items (selection_id, video_id, position, note, \
             last_known_title, added_by, added_at) VALUES ($1, $2, \
             (SELECT COALESCE(MAX(position), -1) + 1 FROM selection_items WHERE selection_id = $1), \
             $3, $4, $5, $6) RETURNING {}",
            SelectionItem::COLUMNS
        );
        let at = change.at;
        let item: SelectionItem = on_tx!(&mut change.tx, c => {
            let video: Option<(String, bool, bool, bool)> =
                sqlx::query_as(&video_sql).bind(video_id).fetch_optional(&mut **c).await?;
            let Some((title, deleted, blocked, unavailable)) = video else {
                return Err(StoreError::NotFound("video"));
            };
            if let Some(reason) = broken_reason(deleted, blocked, unavailable) {
                let why = match reason {
                    BrokenReason::Deleted => "is deleted at its origin",
                    BrokenReason::Blocked => "is blocked",
                    BrokenReason::Unavailable => "is not public or its instance is not approved",
                };
                return Err(StoreError::Invalid {
                    field: "video",
                    message: format!("{title:?} {why}: it cannot be added"),
                });
            }
            let existing: Option<(i64, i64)> = sqlx::query_as(
                "SELECT id, position FROM selection_items WHERE selection_id = $1 AND video_id = $2",
            )
            .bind(selection_id)
            .bind(video_id)
            .fetch_optional(&mut **c)
            .await?;
            if let Some((item_id, position)) = existing {
                return Err(StoreError::AlreadyInSelection { item_id, position });
            }
            sqlx::query_as(&insert_sql)
                .bind(selection_id)
                .bind(video_id)
                .bind(&note)
                .bind(&title)
                .bind(author)
                .bind(at)
                .fetch_one(&mut **c)
                .await?
        });
        let selection = change.finish(None).await?;
        Ok((selection, item))
    }

    /// Removes an item (and the cover, if it was its video).
    pub async fn remove_item(
        &self,
        selection_id: i64,
        item_id: i64,
        author: Option<i64>,
        expected_version: Option<i64>,
    ) -> Result<Selection> {
        let mut change = self
            .begin_change(selection_id, author, expected_version, now())
            .await?;
        let removed: Option<i64> = on_tx!(&mut change.tx, c => {
            sqlx::query_scalar(
                "DELETE FROM selection_items WHERE id = $1 AND selection_id = $2 RETURNING video_id",
            )
            .bind(item_id)
            .bind(selection_id)
            .fetch_optional(&mut **c)
            .await?
        });
        let video_id = removed.ok_or(StoreError::NotFound("selection item"))?;
        on_tx!(&mut change.tx, c => {
            sqlx::query(
                "UPDATE selections SET cover_video_id = NULL WHERE id = $1 AND cover_video_id = $2",
            )
            .bind(selection_id)
            .bind(video_id)
            .execute(&mut **c)
            .await?;
        });
        let order = item_order(&mut change.tx, selection_id).await?;
        renumber(&mut change.tx, selection_id, &order).await?;
        change.finish(None).await
    }

    /// Replaces an item's note.
    pub async fn set_item_note(
        &self,
        selection_id: i64,
        item_id: i64,
        note: &str,
        author: Option<i64>,
        expected_version: Option<i64>,
    ) -> Result<Selection> {
        let note = limited_text("note", note, 2_000)?;
        let mut change = self
            .begin_change(selection_id, author, expected_version, now())
            .await?;
        let updated = on_tx!(&mut change.tx, c => {
            sqlx::query("UPDATE selection_items SET note = $1 WHERE id = $2 AND selection_id = $3")
                .bind(&note)
                .bind(item_id)
                .bind(selection_id)
                .execute(&mut **c)
                .await?
                .rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::NotFound("selection item"));
        }
        change.finish(None).await
    }

    /// Moves an item to `new_position` (from 0; beyond the end means last).
    pub async fn move_item(
        &self,
        selection_id: i64,
        item_id: i64,
        new_position: i64,
        author: Option<i64>,
        expected_version: Option<i64>,
    ) -> Result<Selection> {
        let mut change = self
            .begin_change(selection_id, author, expected_version, now())
            .await?;
        let mut order = item_order(&mut change.tx, selection_id).await?;
        let from = order
            .iter()
            .position(|id| *id == item_id)
            .ok_or(StoreError::NotFound("selection item"))?;
        let moved = order.remove(from);
        let to = usize::try_from(new_position.max(0))
            .unwrap_or(usize::MAX)
            .min(order.len());
        order.insert(to, moved);
        renumber(&mut change.tx, selection_id, &order).await?;
        change.finish(None).await
    }

    /// Puts the items in this order, which must name each item exactly once.
    pub async fn reorder(
        &self,
        selection_id: i64,
        item_ids: &[i64],
        author: Option<i64>,
        expected_version: Option<i64>,
    ) -> Result<Selection> {
        let mut change = self
            .begin_change(selection_id, author, expected_version, now())
            .await?;
        let mut current = item_order(&mut change.tx, selection_id).await?;
        let mut wanted = item_ids.to_vec();
        current.sort_unstable();
        wanted.sort_unstable();
        if current != wanted {
            return Err(StoreError::Invalid {
                field: "order",
                message: "the new order must list every item of the selection once; \
                          reload the selection and try again"
                    .into(),
            });
        }
        renumber(&mut change.tx, selection_id, item_ids).await?;
        change.finish(None).await
    }

    /// The items in order, each with its video and whether (and why) it is broken.
    pub async fn editor_items(&self, selection_id: i64) -> Result<Vec<EditorItem>> {
        let sql = format!(
            "SELECT {}, {} FROM selection_items si {ITEM_JOINS} \
             WHERE si.selection_id = $1 ORDER BY si.position, si.id",
            qualified_item_columns(),
            broken_flags()
        );
        let rows: Vec<ItemRow> =
            on_pool!(&self.read, p => sqlx::query_as(&sql).bind(selection_id).fetch_all(p).await?);
        let ids: Vec<i64> = rows.iter().map(|row| row.item.video_id).collect();
        let mut documents: HashMap<i64, VideoDocument> = self
            .video_documents(&ids)
            .await?
            .into_iter()
            .map(|document| (document.video.id, document))
            .collect();
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                // A video deleted between the two reads takes its item with it.
                let video = documents.remove(&row.item.video_id)?;
                Some(EditorItem {
                    broken: broken_reason(row.deleted, row.blocked, row.unavailable),
                    item: row.item,
                    video,
                })
            })
            .collect())
    }

    /// The items the public may see, in order: broken ones are left out.
    /// (Whether the selection itself is published is the caller's business.)
    pub async fn public_items(&self, selection_id: i64) -> Result<Vec<PublicItem>> {
        Ok(self
            .editor_items(selection_id)
            .await?
            .into_iter()
            .filter(|item| item.broken.is_none() && item.video.visible)
            .map(|item| PublicItem {
                item: item.item,
                video: item.video,
            })
            .collect())
    }
}

fn qualified_item_columns() -> String {
    SelectionItem::COLUMNS
        .split(", ")
        .map(|column| format!("si.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The item ids of a selection, in order.
async fn item_order(tx: &mut Tx, selection_id: i64) -> Result<Vec<i64>> {
    const SQL: &str =
        "SELECT id FROM selection_items WHERE selection_id = $1 ORDER BY position, id";
    Ok(on_tx!(tx, c => sqlx::query_scalar(SQL).bind(selection_id).fetch_all(&mut **c).await?))
}

/// Numbers the items 0, 1, 2… in the given order.
async fn renumber(tx: &mut Tx, selection_id: i64, order: &[i64]) -> Result<()> {
    const SQL: &str = "UPDATE selection_items SET position = $1 WHERE id = $2 AND selection_id = $3 \
         AND position <> $1";
    for (position, item_id) in (0_i64..).zip(order) {
        on_tx!(tx, c => {
            sqlx::query(SQL)
                .bind(position)
                .bind(item_id)
                .bind(selection_id)
                .execute(&mut **c)
                .await?;
        });
    }
    Ok(())
}
