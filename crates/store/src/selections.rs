//! Selections: creating, reading and listing them, editing them with optimistic concurrency, and their workflow.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::{Audit, write_audit};
use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::feed::{Entity, append_changes};
use crate::model::{SelectionStatus, now};
use crate::paging::{Page, Paging};
use crate::selection_items::{ITEM_JOINS, item_visible};
use crate::selection_revisions::write_revision;
use crate::slugs::{limited_text, required_text, slug_or_from_title, unique_as_slug_taken};
use crate::themes::Theme;

/// A selection as stored.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Selection {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Markdown.
    pub body: String,
    pub language: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: SelectionStatus,
    pub featured: bool,
    pub cover_video_id: Option<i64>,
    /// When a selection in review is to be published (see [`Store::publish_due`]).
    pub publish_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    /// Bumped by every change; pass it back to edit (optimistic concurrency).
    pub version: i64,
    pub created_by: Option<i64>,
    pub updated_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Selection {
    pub(crate) const COLUMNS: &'static str = "id, slug, title, summary, body, language, status, \
        featured, cover_video_id, publish_at, published_at, version, created_by, updated_by, \
        created_at, updated_at";
}

/// A selection with its item counts, for lists.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct SelectionCard {
    #[sqlx(flatten)]
    pub selection: Selection,
    pub item_count: i64,
    /// Items whose video is deleted, blocked or otherwise hidden from search.
    pub broken_count: i64,
    /// The video whose thumbnail shows the selection: its cover, else its first item.
    pub cover_id: Option<i64>,
}

/// A selection to create (as a draft).
#[derive(Clone, Debug, Default)]
pub struct NewSelection<'a> {
    /// Empty: made from the title with [`crate::slugify`].
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub language: Option<&'a str>,
}

/// The editable fields of a selection, all replaced by [`Store::update_selection`].
#[derive(Clone, Debug, Default)]
pub struct SelectionEdit<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub language: Option<&'a str>,
    pub featured: bool,
    pub publish_at: Option<DateTime<Utc>>,
}

/// How public lists of selections are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PublicOrder {
    /// Featured selections first, then the latest published.
    #[default]
    FeaturedFirst,
    /// The latest published first.
    Latest,
}

impl SelectionStatus {
    /// Whether the workflow allows this change: draft → review → published →
    /// archived, and back to draft from any of them.
    pub fn can_become(self, to: SelectionStatus) -> bool {
        use SelectionStatus::*;
        matches!(
            (self, to),
            (Draft, Review)
                | (Review, Published)
                | (Published, Archived)
                | (Review | Published | Archived, Draft)
        )
    }

    /// The audit action of a change to this status.
    fn audit_action(self) -> &'static str {
        match self {
            SelectionStatus::Draft => "selection.return_to_draft",
            SelectionStatus::Review => "selection.submit_review",
            SelectionStatus::Published => "selection.publish",
            SelectionStatus::Archived => "selection.archive",
        }
    }
}

/// A selection's texts, trimmed and checked.
pub(crate) struct CheckedText {
    pub(crate) slug: String,
    pub(crate) title: String,
    pub(crate) summary: String,
    pub(crate) body: String,
    pub(crate) language: Option<String>,
}

pub(crate) fn check_text(
    slug: &str,
    title: &str,
    summary: &str,
    body: &str,
    language: Option<&str>,
) -> Result<CheckedText> {
    let title = required_text("title", title, 200)?;
    let language = match language.map(str::trim).filter(|l| !l.is_empty()) {
        Some(l) if l.len() <= 16 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            Some(l.to_owned())
        }
        Some(l) => {
            return Err(StoreError::Invalid {
                field: "language",
                message: format!("{l:?} is not a language code such as fr or en"),
            });
        }
        None => None,
    };
    Ok(CheckedText {
        slug: slug_or_from_title(slug, &title)?,
        summary: limited_text("summary", summary, 1_000)?,
        body: limited_text("body", body, 100_000)?,
        title,
        language,
    })
}

pub(crate) fn selection_audit<'a>(
    author: Option<i64>,
    action: &'a str,
    selection: &Selection,
    details: serde_json::Value,
) -> Audit<'a> {
    Audit {
        user_id: author,
        action,
        target_kind: "selection",
        target: selection.id.to_string(),
        details,
    }
}

fn card_sql(filter: &str, order: &str) -> String {
    format!(
        "SELECT {}, \
         (SELECT COUNT(*) FROM selection_items si WHERE si.selection_id = s.id) AS item_count, \
         (SELECT COUNT(*) FROM selection_items si {ITEM_JOINS} \
          WHERE si.selection_id = s.id AND NOT ({})) AS broken_count, \
         COALESCE(s.cover_video_id, (SELECT si.video_id FROM selection_items si \
          WHERE si.selection_id = s.id ORDER BY si.position LIMIT 1)) AS cover_id \
         FROM selections s {filter} ORDER BY {order} LIMIT $2 OFFSET $3",
        Selection::COLUMNS,
        item_visible()
    )
}

impl Store {
    /// Creates a draft at version 1, with its first revision.
    pub async fn create_selection(
        &self,
        new: &NewSelection<'_>,
        author: Option<i64>,
    ) -> Result<Selection> {
        let text = check_text(new.slug, new.title, new.summary, new.body, new.language)?;
        const SQL: &str = "INSERT INTO selections (slug, title, summary, body, language, status, \
            version, created_by, updated_by, created_at, updated_at) \
            VALUES ($1, $2, $3, $4, $5, 'draft', 1, $6, $6, $7, $7) RETURNING id";
        let at = now();
        let mut tx = self.begin().await?;
        let id: i64 = on_tx!(&mut tx, c => {
            sqlx::query_scalar(SQL)
                .bind(&text.slug)
                .bind(&text.title)
                .bind(&text.summary)
                .bind(&text.body)
                .bind(&text.language)
                .bind(author)
                .bind(at)
                .fetch_one(&mut **c)
                .await
        })
        .map_err(|error| unique_as_slug_taken(error, &text.slug))?;
        let selection = write_revision(&mut tx, id, author, at, &Default::default()).await?;
        let details = serde_json::json!({ "slug": selection.slug, "title": selection.title });
        let audit = selection_audit(author, "selection.create", &selection, details);
        write_audit(&mut tx, &audit, at).await?;
        tx.commit().await?;
        Ok(selection)
    }

    /// A selection by id.
    pub async fn selection(&self, id: i64) -> Result<Option<Selection>> {
        let sql = format!(
            "SELECT {} FROM selections WHERE id = $1",
            Selection::COLUMNS
        );
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// A selection by slug, whatever its status.
    pub async fn selection_by_slug(&self, slug: &str) -> Result<Option<Selection>> {
        let sql = format!(
            "SELECT {} FROM selections WHERE slug = $1",
            Selection::COLUMNS
        );
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(slug).fetch_optional(p).await?))
    }

    /// The back office's list: selections of a status (or all), last changed first.
    pub async fn list_selections(
        &self,
        status: Option<SelectionStatus>,
        paging: Paging,
    ) -> Result<Page<SelectionCard>> {
        const FILTER: &str = "WHERE ($1 IS NULL OR s.status = $1)";
        let sql = card_sql(FILTER, "s.updated_at DESC, s.id DESC");
        let count = format!("SELECT COUNT(*) FROM selections s {FILTER}");
        let status = status.map(SelectionStatus::as_str);
        let (limit, offset) = paging.clamped();
        let (items, total) = on_pool!(&self.read, p => {
            let items = sqlx::query_as(&sql).bind(status).bind(limit).bind(offset).fetch_all(p).await?;
            let total = sqlx::query_scalar(&count).bind(status).fetch_one(p).await?;
            (items, total)
        });
        Ok(Page { items, total })
    }

    /// The public list: published selections, of one theme or all.
    pub async fn published_selections(
        &self,
        theme_id: Option<i64>,
        order: PublicOrder,
        paging: Paging,
    ) -> Result<Page<SelectionCard>> {
        const FILTER: &str = "WHERE s.status = 'published' AND ($1 IS NULL OR EXISTS \
            (SELECT 1 FROM selection_themes st WHERE st.selection_id = s.id AND st.theme_id = $1))";
        let order = match order {
            PublicOrder::FeaturedFirst => "s.featured DESC, s.published_at DESC, s.id DESC",
            PublicOrder::Latest => "s.published_at DESC, s.id DESC",
        };
        let sql = card_sql(FILTER, order);
        let count = format!("SELECT COUNT(*) FROM selections s {FILTER}");
        let (limit, offset) = paging.clamped();
        let (items, total) = on_pool!(&self.read, p => {
            let items = sqlx::query_as(&sql).bind(theme_id).bind(limit).bind(offset).fetch_all(p).await?;
            let total = sqlx::query_scalar(&count).bind(theme_id).fetch_one(p).await?;
            (items, total)
        });
        Ok(Page { items, total })
    }

    /// The published selections a video is in, latest first.
    pub async fn published_selections_of_video(&self, video_id: i64) -> Result<Vec<Selection>> {
        let sql = format!(
            "SELECT {} FROM selections s WHERE s.status = 'published' AND EXISTS \
             (SELECT 1 FROM selection_items si WHERE si.selection_id = s.id AND si.video_id = $1) \
             ORDER BY s.published_at DESC, s.id DESC LIMIT 50",
            Selection::COLUMNS
        );
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(video_id).fetch_all(p).await?))
    }

    /// Saves the editable fields. `expected_version` is the version the
    /// editor started from: if someone saved since, nothing is written and
    /// [`StoreError::Conflict`] tells who.
    pub async fn update_selection(
        &self,
        id: i64,
        edit: &SelectionEdit<'_>,
        author: Option<i64>,
        expected_version: i64,
    ) -> Result<Selection> {
        let text = check_text(
            edit.slug,
            edit.title,
            edit.summary,
            edit.body,
            edit.language,
        )?;
        const SQL: &str = "UPDATE selections SET slug = $1, title = $2, summary = $3, body = $4, \
            language = $5, featured = $6, publish_at = $7 WHERE id = $8";
        let mut change = self
            .begin_change(id, author, Some(expected_version), now())
            .await?;
        on_tx!(&mut change.tx, c => {
            sqlx::query(SQL)
                .bind(&text.slug)
                .bind(&text.title)
                .bind(&text.summary)
                .bind(&text.body)
                .bind(&text.language)
                .bind(edit.featured)
                .bind(edit.publish_at)
                .bind(id)
                .execute(&mut **c)
                .await
                .map(|_| ())
        })
        .map_err(|error| unique_as_slug_taken(error, &text.slug))?;
        change.finish(None).await
    }

    /// Moves a selection along its workflow (see [`SelectionStatus::can_become`]).
    /// Publishing stamps `published_at` and clears any schedule.
    pub async fn set_selection_status(
        &self,
        id: i64,
        to: SelectionStatus,
        author: Option<i64>,
        expected_version: Option<i64>,
    ) -> Result<Selection> {
        let change = self
            .begin_change(id, author, expected_version, now())
            .await?;
        let from = change.before.status;
        if !from.can_become(to) {
            return Err(StoreError::Invalid {
                field: "status",
                message: format!("a {from} selection cannot become {to}"),
            });
        }
        self.finish_transition(change, to, false).await
    }

    /// Publishes the selections in review whose `publish_at` has come, and returns them.
    pub async fn publish_due(&self, now: DateTime<Utc>) -> Result<Vec<Selection>> {
        const SQL: &str = "SELECT id FROM selections WHERE status = 'review' \
            AND publish_at IS NOT NULL AND publish_at <= $1 ORDER BY publish_at, id";
        let due: Vec<i64> =
            on_pool!(&self.read, p => sqlx::query_scalar(SQL).bind(now).fetch_all(p).await?);
        let mut published = Vec::with_capacity(due.len());
        for id in due {
            let change = match self.begin_change(id, None, None, now).await {
                Ok(change) => change,
                Err(StoreError::NotFound(_)) => continue,
                Err(error) => return Err(error),
            };
            // Another worker may have published or rescheduled it meanwhile.
            let still_due = change.before.status == SelectionStatus::Review
                && change.before.publish_at.is_some_and(|at| at <= now);
            if still_due {
                let selection = self
                    .finish_transition(change, SelectionStatus::Published, true)
                    .await?;
                tracing::info!(selection.id = id, "published a scheduled selection");
                published.push(selection);
            }
        }
        Ok(published)
    }

    async fn finish_transition(
        &self,
        mut change: crate::selection_revisions::Change,
        to: SelectionStatus,
        scheduled: bool,
    ) -> Result<Selection> {
        let from = change.before.status;
        let id = change.before.id;
        let at = change.at;
        on_tx!(&mut change.tx, c => {
            if to == SelectionStatus::Published {
                sqlx::query(
                    "UPDATE selections SET status = $1, published_at = $2, publish_at = NULL \
                     WHERE id = $3",
                )
                .bind(to.as_str())
                .bind(at)
                .bind(id)
                .execute(&mut **c)
                .await?;
            } else {
                sqlx::query("UPDATE selections SET status = $1 WHERE id = $2")
                    .bind(to.as_str())
                    .bind(id)
                    .execute(&mut **c)
                    .await?;
            }
        });
        let details = serde_json::json!({ "from": from, "to": to, "scheduled": scheduled });
        let audit = selection_audit(change.author, to.audit_action(), &change.before, details);
        change.finish(Some(audit)).await
    }

    /// Deletes a selection, its items and its revisions.
    pub async fn delete_selection(
        &self,
        id: i64,
        author: Option<i64>,
        expected_version: Option<i64>,
    ) -> Result<()> {
        let mut change = self
            .begin_change(id, author, expected_version, now())
            .await?;
        on_tx!(&mut change.tx, c => {
            sqlx::query("DELETE FROM selections WHERE id = $1").bind(id).execute(&mut **c).await?;
        });
        let curated: Vec<_> = change
            .published_before
            .iter()
            .map(|video_id| (Entity::Video, *video_id))
            .collect();
        append_changes(&mut change.tx, &curated, change.at).await?;
        let details = serde_json::json!({
            "slug": change.before.slug,
            "title": change.before.title,
            "status": change.before.status,
        });
        let audit = selection_audit(author, "selection.delete", &change.before, details);
        write_audit(&mut change.tx, &audit, change.at).await?;
        change.tx.commit().await
    }

    /// Sets the cover video, which must be one of the selection's videos (`None` clears it).
    pub async fn set_cover_video(
        &self,
        id: i64,
        video_id: Option<i64>,
        author: Option<i64>,
        expected_version: Option<i64>,
    ) -> Result<Selection> {
        let mut change = self
            .begin_change(id, author, expected_version, now())
            .await?;
        let updated = on_tx!(&mut change.tx, c => {
            sqlx::query(
                "UPDATE selections SET cover_video_id = $1 WHERE id = $2 AND ($1 IS NULL OR EXISTS \
                 (SELECT 1 FROM selection_items si WHERE si.selection_id = $2 AND si.video_id = $1))",
            )
            .bind(video_id)
            .bind(id)
            .execute(&mut **c)
            .await?
            .rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::Invalid {
                field: "cover video",
                message: "the cover must be one of the selection's videos".into(),
            });
        }
        change.finish(None).await
    }

    /// Files a selection under exactly these themes.
    pub async fn set_selection_themes(
        &self,
        id: i64,
        theme_ids: &[i64],
        author: Option<i64>,
        expected_version: Option<i64>,
    ) -> Result<Selection> {
        let mut theme_ids = theme_ids.to_vec();
        theme_ids.sort_unstable();
        theme_ids.dedup();
        let mut change = self
            .begin_change(id, author, expected_version, now())
            .await?;
        on_tx!(&mut change.tx, c => {
            sqlx::query("DELETE FROM selection_themes WHERE selection_id = $1")
                .bind(id)
                .execute(&mut **c)
                .await?;
            for theme_id in &theme_ids {
                let inserted = sqlx::query(
                    "INSERT INTO selection_themes (selection_id, theme_id) \
                     SELECT $1, id FROM themes WHERE id = $2",
                )
                .bind(id)
                .bind(theme_id)
                .execute(&mut **c)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Err(StoreError::NotFound("theme"));
                }
            }
        });
        change.finish(None).await
    }

    /// The themes of a selection, by position.
    pub async fn selection_themes(&self, id: i64) -> Result<Vec<Theme>> {
        let sql = format!(
            "SELECT {} FROM themes WHERE id IN \
             (SELECT theme_id FROM selection_themes WHERE selection_id = $1) \
             ORDER BY position, name, id",
            Theme::COLUMNS
        );
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(id).fetch_all(p).await?))
    }
}
