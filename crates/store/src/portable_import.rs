//! Importing a portable showcase: themes and selections matched by slug and made equal to the file, in one transaction, with videos found by host and uuid.
//!
//! Importing the same file twice changes nothing the second time: a
//! selection or theme already equal to the file is not touched (no new
//! version, revision or audit line). An item whose video this database does
//! not know yet is left out and reported; importing the file again once its
//! instance is crawled adds it in its place.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::{Audit, write_audit};
use crate::db::{Store, Tx};
use crate::error::Result;
use crate::model::{SelectionStatus, now};
use crate::portable::{PortableSelection, PortableTheme, Showcase, VideoRef};
use crate::selection_items::SelectionItem;
use crate::selection_revisions::{video_ids, write_revision};
use crate::selections::{CheckedText, Selection, check_text, selection_audit};
use crate::slugs::{limited_text, unique_as_slug_taken};
use crate::themes::{Theme, ThemeInput, check};

/// How an import treats the workflow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// New selections arrive as drafts and existing ones keep their status
    /// and dates: for selections shared by another collective, to review
    /// before publishing them here.
    pub as_drafts: bool,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub themes_created: Vec<String>,
    pub themes_updated: Vec<String>,
    pub themes_unchanged: usize,
    pub selections_created: Vec<String>,
    pub selections_updated: Vec<String>,
    pub selections_unchanged: usize,
    /// Items left out because their video is not in this database yet.
    pub missing: Vec<MissingVideo>,
}

impl ImportReport {
    /// Whether anything was written.
    pub fn changed(&self) -> bool {
        !(self.themes_created.is_empty()
            && self.themes_updated.is_empty()
            && self.selections_created.is_empty()
            && self.selections_updated.is_empty())
    }
}

/// An item that could not be created: its video is unknown here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MissingVideo {
    /// The selection's slug.
    pub selection: String,
    pub video: VideoRef,
}

/// An item as it must be stored.
#[derive(Debug, PartialEq)]
struct WantedItem {
    video_id: i64,
    note: String,
    title: String,
    added_at: DateTime<Utc>,
}

/// A selection as the file wants it, with ids of this database.
struct Wanted {
    text: CheckedText,
    status: SelectionStatus,
    featured: bool,
    publish_at: Option<DateTime<Utc>>,
    published_at: Option<DateTime<Utc>>,
    theme_ids: Vec<i64>,
    items: Vec<WantedItem>,
    cover_video_id: Option<i64>,
}

/// A stored selection with its themes and items.
struct Current {
    selection: Selection,
    theme_ids: Vec<i64>,
    items: Vec<SelectionItem>,
}

impl Current {
    fn equals(&self, wanted: &Wanted) -> bool {
        let s = &self.selection;
        let same_items = self.items.len() == wanted.items.len()
            && self.items.iter().zip(&wanted.items).all(|(have, want)| {
                have.video_id == want.video_id
                    && have.note == want.note
                    && have.last_known_title == want.title
            });
        s.title == wanted.text.title
            && s.summary == wanted.text.summary
            && s.body == wanted.text.body
            && s.language == wanted.text.language
            && s.status == wanted.status
            && s.featured == wanted.featured
            && s.publish_at == wanted.publish_at
            && s.published_at == wanted.published_at
            && s.cover_video_id == wanted.cover_video_id
            && self.theme_ids == wanted.theme_ids
            && same_items
    }
}

impl Store {
    /// Makes the themes and selections of `showcase` exist here as the file
    /// has them (matched by slug), in one transaction; others are left as
    /// they are. `source` names the file in the audit log.
    pub async fn import_showcase(
        &self,
        showcase: &Showcase,
        options: ImportOptions,
        by: Option<i64>,
        source: &str,
    ) -> Result<ImportReport> {
        showcase.validate()?;
        let at = now();
        let mut report = ImportReport::default();
        let mut tx = self.begin().await?;
        let theme_ids = import_themes(&mut tx, &showcase.themes, at, &mut report).await?;
        for selection in &showcase.selections {
            let import = SelectionImport {
                theme_ids: &theme_ids,
                options,
                by,
                at,
            };
            import.run(&mut tx, selection, &mut report).await?;
        }
        if report.changed() {
            let audit = Audit {
                user_id: by,
                action: "showcase.import",
                target_kind: "showcase",
                target: source.to_owned(),
                details: summary(&report),
            };
            write_audit(&mut tx, &audit, at).await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}

/// The audit details of an import (the missing videos' uuids, at most 50).
fn summary(report: &ImportReport) -> serde_json::Value {
    let missing: Vec<&str> = report
        .missing
        .iter()
        .take(50)
        .map(|m| m.video.uuid.as_str())
        .collect();
    serde_json::json!({
        "themes_created": report.themes_created,
        "themes_updated": report.themes_updated,
        "selections_created": report.selections_created,
        "selections_updated": report.selections_updated,
        "selections_unchanged": report.selections_unchanged,
        "missing_videos": report.missing.len(),
        "missing_uuids": missing,
    })
}

/// Creates or updates the themes; returns every theme's id by slug.
async fn import_themes(
    tx: &mut Tx,
    themes: &[PortableTheme],
    at: DateTime<Utc>,
    report: &mut ImportReport,
) -> Result<HashMap<String, i64>> {
    let select = format!("SELECT {} FROM themes WHERE slug = $1", Theme::COLUMNS);
    const INSERT: &str = "INSERT INTO themes (slug, name, description, position, created_at, \
        updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id";
    const UPDATE: &str = "UPDATE themes SET name = $2, description = $3, position = $4, updated_at = $5 WHERE id = $1";
    let mut ids = HashMap::new();
    for theme in themes {
        let checked = check(&ThemeInput {
            slug: &theme.slug,
            name: &theme.name,
            description: &theme.description,
            position: None,
        })?;
        let existing: Option<Theme> = on_tx!(tx, c => {
            sqlx::query_as(&select).bind(&checked.slug).fetch_optional(&mut **c).await?
        });
        let id = match existing {
            None => {
                let id: i64 = on_tx!(tx, c => {
                    sqlx::query_scalar(INSERT)
                        .bind(&checked.slug)
                        .bind(&checked.name)
                        .bind(&checked.description)
                        .bind(theme.position)
                        .bind(at)
                        .fetch_one(&mut **c)
                        .await
                })
                .map_err(|error| unique_as_slug_taken(error, &checked.slug))?;
                report.themes_created.push(checked.slug.clone());
                id
            }
            Some(have)
                if have.name == checked.name
                    && have.description == checked.description
                    && have.position == theme.position =>
            {
                report.themes_unchanged += 1;
                have.id
            }
            Some(have) => {
                on_tx!(tx, c => {
                    sqlx::query(UPDATE)
                        .bind(have.id)
                        .bind(&checked.name)
                        .bind(&checked.description)
                        .bind(theme.position)
                        .bind(at)
                        .execute(&mut **c)
                        .await?;
                });
                report.themes_updated.push(checked.slug.clone());
                have.id
            }
        };
        ids.insert(checked.slug, id);
    }
    Ok(ids)
}

/// What importing one selection needs to know.
struct SelectionImport<'a> {
    theme_ids: &'a HashMap<String, i64>,
    options: ImportOptions,
    by: Option<i64>,
    at: DateTime<Utc>,
}

impl SelectionImport<'_> {
    async fn run(
        &self,
        tx: &mut Tx,
        file: &PortableSelection,
        report: &mut ImportReport,
    ) -> Result<()> {
        let text = check_text(
            &file.slug,
            &file.title,
            &file.summary,
            &file.body,
            file.language.as_deref(),
        )?;
        let current = read_current(tx, &text.slug).await?;
        let wanted = self
            .wanted(tx, file, text, current.as_ref(), report)
            .await?;
        let slug = wanted.text.slug.clone();
        let (id, published_before, created) = match current {
            Some(current) if current.equals(&wanted) => {
                report.selections_unchanged += 1;
                return Ok(());
            }
            Some(current) => {
                let id = current.selection.id;
                bump_version(tx, id, self.by, self.at).await?;
                let published_before = if current.selection.status == SelectionStatus::Published {
                    video_ids(tx, id).await?
                } else {
                    Default::default()
                };
                report.selections_updated.push(slug);
                (id, published_before, false)
            }
            None => {
                let created_at = file.created_at.map_or(self.at, micros);
                let id = insert_selection(tx, &wanted.text, self.by, created_at, self.at).await?;
                report.selections_created.push(slug);
                (id, Default::default(), true)
            }
        };
        write_selection(tx, id, &wanted).await?;
        let selection = write_revision(tx, id, self.by, self.at, &published_before).await?;
        let details = serde_json::json!({
            "created": created,
            "items": wanted.items.len(),
            "missing_items": file.items.len() - wanted.items.len(),
        });
        let audit = selection_audit(self.by, "selection.import", &selection, details);
        write_audit(tx, &audit, self.at).await
    }

    /// The selection as it must be: the file's, with this database's ids,
    /// and the current workflow kept when importing as drafts.
    async fn wanted(
        &self,
        tx: &mut Tx,
        file: &PortableSelection,
        text: CheckedText,
        current: Option<&Current>,
        report: &mut ImportReport,
    ) -> Result<Wanted> {
        let mut items = Vec::with_capacity(file.items.len());
        let mut cover_video_id = None;
        for item in &file.items {
            let Some(video_id) = find_video(tx, &item.video).await? else {
                report.missing.push(MissingVideo {
                    selection: text.slug.clone(),
                    video: item.video.clone(),
                });
                continue;
            };
            if file
                .cover
                .as_ref()
                .is_some_and(|cover| cover.uuid == item.video.uuid && cover.host == item.video.host)
            {
                cover_video_id = Some(video_id);
            }
            items.push(WantedItem {
                video_id,
                note: limited_text("note", &item.note, 2_000)?,
                title: limited_text("video title", &item.video.title, 1_000)?,
                added_at: item.added_at.map_or(self.at, micros),
            });
        }
        let mut theme_ids: Vec<i64> = file
            .themes
            .iter()
            .filter_map(|slug| self.theme_ids.get(slug.trim()).copied())
            .collect();
        theme_ids.sort_unstable();
        theme_ids.dedup();
        let (status, publish_at, published_at) = match (self.options.as_drafts, current) {
            (true, Some(current)) => (
                current.selection.status,
                current.selection.publish_at,
                current.selection.published_at,
            ),
            (true, None) => (SelectionStatus::Draft, None, None),
            (false, _) => {
                let published_at = file
                    .published_at
                    .map(micros)
                    .or((file.status == SelectionStatus::Published).then_some(self.at));
                (file.status, file.publish_at.map(micros), published_at)
            }
        };
        Ok(Wanted {
            text,
            status,
            featured: file.featured,
            publish_at,
            published_at,
            theme_ids,
            items,
            cover_video_id,
        })
    }
}

/// A time as the databases keep it (microseconds), so a re-import compares equal.
fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

async fn read_current(tx: &mut Tx, slug: &str) -> Result<Option<Current>> {
    let select = format!(
        "SELECT {} FROM selections WHERE slug = $1",
        Selection::COLUMNS
    );
    let items_sql = format!(
        "SELECT {} FROM selection_items WHERE selection_id = $1 ORDER BY position, id",
        SelectionItem::COLUMNS
    );
    const THEMES: &str =
        "SELECT theme_id FROM selection_themes WHERE selection_id = $1 ORDER BY theme_id";
    Ok(on_tx!(tx, c => {
        let selection: Option<Selection> =
            sqlx::query_as(&select).bind(slug).fetch_optional(&mut **c).await?;
        match selection {
            None => None,
            Some(selection) => {
                let items = sqlx::query_as(&items_sql).bind(selection.id).fetch_all(&mut **c).await?;
                let theme_ids = sqlx::query_scalar(THEMES).bind(selection.id).fetch_all(&mut **c).await?;
                Some(Current { selection, theme_ids, items })
            }
        }
    }))
}

/// The id of a video here, by its origin's host and its uuid.
async fn find_video(tx: &mut Tx, video: &VideoRef) -> Result<Option<i64>> {
    const SQL: &str = "SELECT v.id FROM videos v JOIN instances i ON i.id = v.instance_id \
        WHERE v.uuid = $1 AND i.host = $2";
    let host = video.host.trim().to_ascii_lowercase();
    let uuid = video.uuid.trim();
    Ok(on_tx!(tx, c => {
        sqlx::query_scalar(SQL).bind(uuid).bind(&host).fetch_optional(&mut **c).await?
    }))
}

async fn bump_version(tx: &mut Tx, id: i64, by: Option<i64>, at: DateTime<Utc>) -> Result<()> {
    const SQL: &str = "UPDATE selections SET version = version + 1, updated_by = $2, \
        updated_at = $3 WHERE id = $1";
    on_tx!(tx, c => {
        sqlx::query(SQL).bind(id).bind(by).bind(at).execute(&mut **c).await?;
    });
    Ok(())
}

async fn insert_selection(
    tx: &mut Tx,
    text: &CheckedText,
    by: Option<i64>,
    created_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<i64> {
    const SQL: &str = "INSERT INTO selections (slug, title, status, version, created_by, \
        updated_by, created_at, updated_at) VALUES ($1, $2, 'draft', 1, $3, $3, $4, $5) RETURNING id";
    let id = on_tx!(tx, c => {
        sqlx::query_scalar(SQL)
            .bind(&text.slug)
            .bind(&text.title)
            .bind(by)
            .bind(created_at)
            .bind(at)
            .fetch_one(&mut **c)
            .await
    })
    .map_err(|error| unique_as_slug_taken(error, &text.slug))?;
    Ok(id)
}

/// Writes the fields, themes, items (in order) and cover of a selection.
async fn write_selection(tx: &mut Tx, id: i64, wanted: &Wanted) -> Result<()> {
    const FIELDS: &str = "UPDATE selections SET title = $2, summary = $3, body = $4, \
        language = $5, status = $6, featured = $7, publish_at = $8, published_at = $9, \
        cover_video_id = NULL WHERE id = $1";
    const ITEM: &str = "INSERT INTO selection_items (selection_id, video_id, position, note, \
        last_known_title, added_by, added_at) VALUES ($1, $2, $3, $4, $5, NULL, $6)";
    const COVER: &str = "UPDATE selections SET cover_video_id = $2 WHERE id = $1";
    let text = &wanted.text;
    on_tx!(tx, c => {
        sqlx::query(FIELDS)
            .bind(id)
            .bind(&text.title)
            .bind(&text.summary)
            .bind(&text.body)
            .bind(&text.language)
            .bind(wanted.status.as_str())
            .bind(wanted.featured)
            .bind(wanted.publish_at)
            .bind(wanted.published_at)
            .execute(&mut **c)
            .await?;
        sqlx::query("DELETE FROM selection_themes WHERE selection_id = $1")
            .bind(id)
            .execute(&mut **c)
            .await?;
        for theme_id in &wanted.theme_ids {
            sqlx::query("INSERT INTO selection_themes (selection_id, theme_id) VALUES ($1, $2)")
                .bind(id)
                .bind(theme_id)
                .execute(&mut **c)
                .await?;
        }
        sqlx::query("DELETE FROM selection_items WHERE selection_id = $1")
            .bind(id)
            .execute(&mut **c)
            .await?;
        for (position, item) in (0_i64..).zip(&wanted.items) {
            sqlx::query(ITEM)
                .bind(id)
                .bind(item.video_id)
                .bind(position)
                .bind(&item.note)
                .bind(&item.title)
                .bind(item.added_at)
                .execute(&mut **c)
                .await?;
        }
        if wanted.cover_video_id.is_some() {
            sqlx::query(COVER).bind(id).bind(wanted.cover_video_id).execute(&mut **c).await?;
        }
    });
    Ok(())
}
