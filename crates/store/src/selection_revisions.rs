//! How every selection change is made: version check and bump, a revision snapshot, change-feed entries for curation; and restoring a revision.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::{Audit, write_audit};
use crate::db::{Store, Tx};
use crate::error::{EditConflict, Result, StoreError};
use crate::feed::{Entity, append_changes};
use crate::model::{SelectionStatus, now};
use crate::selection_items::SelectionItem;
use crate::selections::{Selection, selection_audit};
use crate::slugs::unique_as_slug_taken;

/// A selection as it was at one version: its fields, themes and ordered items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelectionSnapshot {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub language: Option<String>,
    pub status: SelectionStatus,
    pub featured: bool,
    pub cover_video_id: Option<i64>,
    pub publish_at: Option<DateTime<Utc>>,
    pub theme_ids: Vec<i64>,
    pub items: Vec<SnapshotItem>,
}

/// One item of a [`SelectionSnapshot`], in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotItem {
    pub video_id: i64,
    pub note: String,
    pub last_known_title: String,
    pub added_by: Option<i64>,
    pub added_at: DateTime<Utc>,
}

/// One saved version of a selection, with who saved it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Revision {
    pub selection_id: i64,
    pub version: i64,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub snapshot: SelectionSnapshot,
}

/// A selection change in progress: the row is locked and its version bumped.
pub(crate) struct Change {
    pub(crate) tx: Tx,
    /// The selection before the change, with its new version.
    pub(crate) before: Selection,
    pub(crate) author: Option<i64>,
    pub(crate) at: DateTime<Utc>,
    /// The videos that were curated through this selection (empty unless published).
    pub(crate) published_before: BTreeSet<i64>,
}

impl Store {
    /// Starts a change: bumps the version if it is still `expected_version`
    /// (any version when `None`), which also locks the row until commit.
    pub(crate) async fn begin_change(
        &self,
        id: i64,
        author: Option<i64>,
        expected_version: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<Change> {
        let sql = format!(
            "UPDATE selections SET version = version + 1, updated_by = $2, updated_at = $3 \
             WHERE id = $1 AND ($4 IS NULL OR version = $4) RETURNING {}",
            Selection::COLUMNS
        );
        let mut tx = self.begin().await?;
        let before: Option<Selection> = on_tx!(&mut tx, c => {
            sqlx::query_as(&sql)
                .bind(id)
                .bind(author)
                .bind(at)
                .bind(expected_version)
                .fetch_optional(&mut **c)
                .await?
        });
        let Some(before) = before else {
            return Err(conflict_or_missing(&mut tx, id).await);
        };
        let published_before = if before.status == SelectionStatus::Published {
            video_ids(&mut tx, id).await?
        } else {
            BTreeSet::new()
        };
        Ok(Change {
            tx,
            before,
            author,
            at,
            published_before,
        })
    }

    /// Every revision of a selection, newest first.
    pub async fn revisions(&self, selection_id: i64) -> Result<Vec<Revision>> {
        self.read_revisions(selection_id, None).await
    }

    /// One revision of a selection.
    pub async fn revision(&self, selection_id: i64, version: i64) -> Result<Option<Revision>> {
        Ok(self
            .read_revisions(selection_id, Some(version))
            .await?
            .into_iter()
            .next())
    }

    async fn read_revisions(
        &self,
        selection_id: i64,
        version: Option<i64>,
    ) -> Result<Vec<Revision>> {
        const SQL: &str = "SELECT r.version, r.author_id, u.display_name, r.created_at, r.snapshot \
            FROM selection_revisions r LEFT JOIN users u ON u.id = r.author_id \
            WHERE r.selection_id = $1 AND ($2 IS NULL OR r.version = $2) ORDER BY r.version DESC";
        type Row = (i64, Option<i64>, Option<String>, DateTime<Utc>, String);
        let rows: Vec<Row> = on_pool!(&self.read, p => {
            sqlx::query_as(SQL).bind(selection_id).bind(version).fetch_all(p).await?
        });
        rows.into_iter()
            .map(|(version, author_id, author_name, created_at, snapshot)| {
                Ok(Revision {
                    selection_id,
                    version,
                    author_id,
                    author_name,
                    created_at,
                    snapshot: parse_snapshot(&snapshot)?,
                })
            })
            .collect()
    }

    /// Puts back the fields, themes and items of an earlier version, as a new
    /// revision. The workflow (status, schedule) stays as it is now; items
    /// whose video no longer exists and themes since deleted are left out.
    pub async fn restore_revision(
        &self,
        selection_id: i64,
        version: i64,
        author: Option<i64>,
        expected_version: i64,
    ) -> Result<Selection> {
        let mut change = self
            .begin_change(selection_id, author, Some(expected_version), now())
            .await?;
        let snapshot: Option<String> = on_tx!(&mut change.tx, c => {
            sqlx::query_scalar(
                "SELECT snapshot FROM selection_revisions WHERE selection_id = $1 AND version = $2",
            )
            .bind(selection_id)
            .bind(version)
            .fetch_optional(&mut **c)
            .await?
        });
        let snapshot = parse_snapshot(&snapshot.ok_or(StoreError::NotFound("revision"))?)?;
        restore_snapshot(&mut change, &snapshot).await?;
        let details = serde_json::json!({ "restored_version": version });
        let audit = selection_audit(author, "selection.restore", &change.before, details);
        change.finish(Some(audit)).await
    }
}

impl Change {
    /// Records the revision and the curation changes, writes the audit line, commits.
    pub(crate) async fn finish(mut self, audit: Option<Audit<'_>>) -> Result<Selection> {
        let selection = write_revision(
            &mut self.tx,
            self.before.id,
            self.author,
            self.at,
            &self.published_before,
        )
        .await?;
        if let Some(audit) = audit {
            write_audit(&mut self.tx, &audit, self.at).await?;
        }
        self.tx.commit().await?;
        Ok(selection)
    }
}

/// Snapshots the selection as it now is in `tx` as a revision of its current
/// version, and queues re-indexing of the videos whose curation through this
/// selection changed (`published_before` → its videos now, if published).
pub(crate) async fn write_revision(
    tx: &mut Tx,
    id: i64,
    author: Option<i64>,
    at: DateTime<Utc>,
    published_before: &BTreeSet<i64>,
) -> Result<Selection> {
    let sql = format!(
        "SELECT {} FROM selections WHERE id = $1",
        Selection::COLUMNS
    );
    let items_sql = format!(
        "SELECT {} FROM selection_items WHERE selection_id = $1 ORDER BY position, id",
        SelectionItem::COLUMNS
    );
    let (selection, items, theme_ids): (Selection, Vec<SelectionItem>, Vec<i64>) = on_tx!(tx, c => {
        let selection = sqlx::query_as(&sql).bind(id).fetch_one(&mut **c).await?;
        let items = sqlx::query_as(&items_sql).bind(id).fetch_all(&mut **c).await?;
        let themes = sqlx::query_scalar(
            "SELECT theme_id FROM selection_themes WHERE selection_id = $1 ORDER BY theme_id",
        )
        .bind(id)
        .fetch_all(&mut **c)
        .await?;
        (selection, items, themes)
    });
    let published_after: BTreeSet<i64> = if selection.status == SelectionStatus::Published {
        items.iter().map(|item| item.video_id).collect()
    } else {
        BTreeSet::new()
    };
    let snapshot = SelectionSnapshot {
        slug: selection.slug.clone(),
        title: selection.title.clone(),
        summary: selection.summary.clone(),
        body: selection.body.clone(),
        language: selection.language.clone(),
        status: selection.status,
        featured: selection.featured,
        cover_video_id: selection.cover_video_id,
        publish_at: selection.publish_at,
        theme_ids,
        items: items
            .into_iter()
            .map(|item| SnapshotItem {
                video_id: item.video_id,
                note: item.note,
                last_known_title: item.last_known_title,
                added_by: item.added_by,
                added_at: item.added_at,
            })
            .collect(),
    };
    let json = serde_json::to_string(&snapshot).map_err(|error| StoreError::Corrupt {
        column: "selection_revisions.snapshot",
        message: error.to_string(),
    })?;
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO selection_revisions (selection_id, version, snapshot, author_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(selection.version)
        .bind(json)
        .bind(author)
        .bind(at)
        .execute(&mut **c)
        .await?;
    });
    let curation_changed: Vec<_> = published_before
        .symmetric_difference(&published_after)
        .map(|video_id| (Entity::Video, *video_id))
        .collect();
    append_changes(tx, &curation_changed, at).await?;
    Ok(selection)
}

/// The ids of the videos of a selection.
pub(crate) async fn video_ids(tx: &mut Tx, id: i64) -> Result<BTreeSet<i64>> {
    const SQL: &str = "SELECT video_id FROM selection_items WHERE selection_id = $1";
    let ids: Vec<i64> =
        on_tx!(tx, c => sqlx::query_scalar(SQL).bind(id).fetch_all(&mut **c).await?);
    Ok(ids.into_iter().collect())
}

/// Why a change found no row to bump: a newer version, or no such selection.
async fn conflict_or_missing(tx: &mut Tx, id: i64) -> StoreError {
    const SQL: &str = "SELECT s.version, s.updated_by, u.display_name, s.updated_at \
        FROM selections s LEFT JOIN users u ON u.id = s.updated_by WHERE s.id = $1";
    type Row = (i64, Option<i64>, Option<String>, DateTime<Utc>);
    let row: Result<Option<Row>, sqlx::Error> =
        on_tx!(tx, c => sqlx::query_as(SQL).bind(id).fetch_optional(&mut **c).await);
    match row {
        Ok(Some((current_version, saved_by, saved_by_name, saved_at))) => {
            StoreError::Conflict(Box::new(EditConflict {
                current_version,
                saved_by,
                saved_by_name,
                saved_at,
            }))
        }
        Ok(None) => StoreError::NotFound("selection"),
        Err(error) => StoreError::Database(error),
    }
}

fn parse_snapshot(json: &str) -> Result<SelectionSnapshot> {
    serde_json::from_str(json).map_err(|error| StoreError::Corrupt {
        column: "selection_revisions.snapshot",
        message: error.to_string(),
    })
}

/// Writes a snapshot's fields, themes and items over the selection's.
async fn restore_snapshot(change: &mut Change, snapshot: &SelectionSnapshot) -> Result<()> {
    let id = change.before.id;
    on_tx!(&mut change.tx, c => {
        sqlx::query(
            "UPDATE selections SET slug = $1, title = $2, summary = $3, body = $4, language = $5, \
             featured = $6, cover_video_id = NULL WHERE id = $7",
        )
        .bind(&snapshot.slug)
        .bind(&snapshot.title)
        .bind(&snapshot.summary)
        .bind(&snapshot.body)
        .bind(&snapshot.language)
        .bind(snapshot.featured)
        .bind(id)
        .execute(&mut **c)
        .await
        .map_err(|error| unique_as_slug_taken(error, &snapshot.slug))?;
        sqlx::query("DELETE FROM selection_themes WHERE selection_id = $1")
            .bind(id)
            .execute(&mut **c)
            .await?;
        for theme_id in &snapshot.theme_ids {
            sqlx::query(
                "INSERT INTO selection_themes (selection_id, theme_id) \
                 SELECT $1, id FROM themes WHERE id = $2",
            )
            .bind(id)
            .bind(theme_id)
            .execute(&mut **c)
            .await?;
        }
        sqlx::query("DELETE FROM selection_items WHERE selection_id = $1")
            .bind(id)
            .execute(&mut **c)
            .await?;
        let mut position: i64 = 0;
        for item in &snapshot.items {
            let inserted = sqlx::query(
                "INSERT INTO selection_items (selection_id, video_id, position, note, \
                 last_known_title, added_by, added_at) \
                 SELECT $1, v.id, $3, $4, $5, (SELECT u.id FROM users u WHERE u.id = $6), $7 \
                 FROM videos v WHERE v.id = $2",
            )
            .bind(id)
            .bind(item.video_id)
            .bind(position)
            .bind(&item.note)
            .bind(&item.last_known_title)
            .bind(item.added_by)
            .bind(item.added_at)
            .execute(&mut **c)
            .await?
            .rows_affected();
            position += i64::try_from(inserted).unwrap_or(0);
        }
        sqlx::query(
            "UPDATE selections SET cover_video_id = $1 WHERE id = $2 AND EXISTS \
             (SELECT 1 FROM selection_items si WHERE si.selection_id = $2 AND si.video_id = $1)",
        )
        .bind(snapshot.cover_video_id)
        .bind(id)
        .execute(&mut **c)
        .await?;
    });
    Ok(())
}
