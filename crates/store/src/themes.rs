//! Themes: the headings selections are filed under, ordered by position, each with its own slug.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::{Audit, write_audit};
use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::model::now;
use crate::slugs::{limited_text, required_text, slug_or_from_title, unique_as_slug_taken};

/// A theme as stored.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Theme {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Theme {
    pub(crate) const COLUMNS: &'static str =
        "id, slug, name, description, position, created_at, updated_at";
}

/// A theme to create or the new values of one.
#[derive(Clone, Debug, Default)]
pub struct ThemeInput<'a> {
    /// Empty: made from the name with [`crate::slugify`].
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    /// `None` on creation: after the last theme; on update: unchanged.
    pub position: Option<i64>,
}

/// A theme's texts, trimmed and checked.
pub(crate) struct CheckedTheme {
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) description: String,
}

pub(crate) fn check(input: &ThemeInput<'_>) -> Result<CheckedTheme> {
    let name = required_text("name", input.name, 200)?;
    Ok(CheckedTheme {
        slug: slug_or_from_title(input.slug, &name)?,
        description: limited_text("description", input.description, 5_000)?,
        name,
    })
}

impl Store {
    /// Creates a theme. A slug in use gives [`StoreError::SlugTaken`].
    pub async fn create_theme(&self, input: &ThemeInput<'_>, by: Option<i64>) -> Result<Theme> {
        let theme = check(input)?;
        let sql = format!(
            "INSERT INTO themes (slug, name, description, position, created_at, updated_at) \
             VALUES ($1, $2, $3, COALESCE($4, (SELECT COALESCE(MAX(position), -1) + 1 FROM themes)), \
             $5, $5) RETURNING {}",
            Theme::COLUMNS
        );
        let at = now();
        let mut tx = self.begin().await?;
        let created: Theme = on_tx!(&mut tx, c => {
            sqlx::query_as(&sql)
                .bind(&theme.slug)
                .bind(&theme.name)
                .bind(&theme.description)
                .bind(input.position)
                .bind(at)
                .fetch_one(&mut **c)
                .await
        })
        .map_err(|error| unique_as_slug_taken(error, &theme.slug))?;
        let audit = theme_audit(by, "theme.create", &created);
        write_audit(&mut tx, &audit, at).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Replaces a theme's slug, name and description (and position when given).
    pub async fn update_theme(
        &self,
        id: i64,
        input: &ThemeInput<'_>,
        by: Option<i64>,
    ) -> Result<Theme> {
        let theme = check(input)?;
        let sql = format!(
            "UPDATE themes SET slug = $1, name = $2, description = $3, \
             position = COALESCE($4, position), updated_at = $5 WHERE id = $6 RETURNING {}",
            Theme::COLUMNS
        );
        let at = now();
        let mut tx = self.begin().await?;
        let updated: Option<Theme> = on_tx!(&mut tx, c => {
            sqlx::query_as(&sql)
                .bind(&theme.slug)
                .bind(&theme.name)
                .bind(&theme.description)
                .bind(input.position)
                .bind(at)
                .bind(id)
                .fetch_optional(&mut **c)
                .await
        })
        .map_err(|error| unique_as_slug_taken(error, &theme.slug))?;
        let updated = updated.ok_or(StoreError::NotFound("theme"))?;
        write_audit(&mut tx, &theme_audit(by, "theme.update", &updated), at).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes a theme; its selections stay, filed under their other themes.
    pub async fn delete_theme(&self, id: i64, by: Option<i64>) -> Result<bool> {
        let sql = format!(
            "DELETE FROM themes WHERE id = $1 RETURNING {}",
            Theme::COLUMNS
        );
        let at = now();
        let mut tx = self.begin().await?;
        let deleted: Option<Theme> =
            on_tx!(&mut tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(&mut **c).await?);
        let Some(deleted) = deleted else {
            return Ok(false);
        };
        write_audit(&mut tx, &theme_audit(by, "theme.delete", &deleted), at).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// All themes, by position then name.
    pub async fn list_themes(&self) -> Result<Vec<Theme>> {
        let sql = format!(
            "SELECT {} FROM themes ORDER BY position, name, id",
            Theme::COLUMNS
        );
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// A theme by id.
    pub async fn theme(&self, id: i64) -> Result<Option<Theme>> {
        let sql = format!("SELECT {} FROM themes WHERE id = $1", Theme::COLUMNS);
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// A theme by slug.
    pub async fn theme_by_slug(&self, slug: &str) -> Result<Option<Theme>> {
        let sql = format!("SELECT {} FROM themes WHERE slug = $1", Theme::COLUMNS);
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(slug).fetch_optional(p).await?))
    }
}

fn theme_audit<'a>(by: Option<i64>, action: &'a str, theme: &Theme) -> Audit<'a> {
    Audit {
        user_id: by,
        action,
        target_kind: "theme",
        target: theme.slug.clone(),
        details: serde_json::json!({ "id": theme.id, "name": theme.name }),
    }
}
