//! The portable showcase: selections (ordered items, notes, workflow), themes and their links as versioned JSON, with videos named by host and uuid, never by database id.
//!
//! [`Store::export_showcase`] writes it; [`Store::import_showcase`]
//! (in `portable_import`) reads it back into any Florilège, matching themes
//! and selections by slug.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::{Backend, Store};
use crate::error::{Result, StoreError};
use crate::model::{SelectionStatus, now};
use crate::selections::{Selection, check_text};
use crate::slugs::limited_text;
use crate::themes::{Theme, ThemeInput, check};

/// The `format` field of a portable showcase file.
pub const FORMAT: &str = "florilege.showcase";
/// The version of the format this build writes and reads.
pub const VERSION: u32 = 1;

/// A showcase, or part of one, as a file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Showcase {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`] when written by this build.
    pub version: u32,
    pub exported_at: DateTime<Utc>,
    #[serde(default)]
    pub themes: Vec<PortableTheme>,
    #[serde(default)]
    pub selections: Vec<PortableSelection>,
}

/// A theme, known by its slug.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortableTheme {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub position: i64,
}

/// A selection with its workflow state, themes (by slug) and ordered items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortableSelection {
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// Markdown.
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub language: Option<String>,
    pub status: SelectionStatus,
    #[serde(default)]
    pub featured: bool,
    /// A scheduled publication (selections in review).
    #[serde(default)]
    pub publish_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Slugs of themes listed in the same file.
    #[serde(default)]
    pub themes: Vec<String>,
    /// One of the items' videos.
    #[serde(default)]
    pub cover: Option<VideoRef>,
    #[serde(default)]
    pub items: Vec<PortableItem>,
}

/// One video of a selection, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortableItem {
    pub video: VideoRef,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub added_at: Option<DateTime<Utc>>,
}

/// A video as any Florilège can find it: its origin instance and uuid; the
/// URL and title name it for people when it is not known yet.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VideoRef {
    pub host: String,
    pub uuid: String,
    pub url: String,
    /// The item's last known title (for a cover, the video's).
    pub title: String,
}

impl Showcase {
    /// Reads a showcase file, with a clear error for another format or a
    /// newer version, then checks every value before anything is written.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let invalid = |message: String| StoreError::Invalid {
            field: "showcase file",
            message,
        };
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|error| invalid(format!("not valid JSON: {error}")))?;
        match value.get("format").and_then(serde_json::Value::as_str) {
            Some(FORMAT) => {}
            Some(other) => return Err(invalid(format!("format {other:?} is not {FORMAT:?}"))),
            None => return Err(invalid(format!("no \"format\": {FORMAT:?} field"))),
        }
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(version) if version == u64::from(VERSION) => {}
            Some(version) => {
                return Err(invalid(format!(
                    "version {version} is not one this Florilège reads ({VERSION}); \
                     a newer Florilège wrote it"
                )));
            }
            None => return Err(invalid("no numeric \"version\" field".into())),
        }
        let showcase: Self =
            serde_json::from_value(value).map_err(|error| invalid(error.to_string()))?;
        showcase.validate()?;
        Ok(showcase)
    }

    /// The file's JSON, pretty-printed.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Checks slugs, texts and references as the back office would.
    pub fn validate(&self) -> Result<()> {
        let mut theme_slugs = HashSet::new();
        for (n, theme) in self.themes.iter().enumerate() {
            let input = ThemeInput {
                slug: &theme.slug,
                name: &theme.name,
                description: &theme.description,
                position: None,
            };
            check(&input).map_err(|error| located("themes", n, &theme.slug, &error))?;
            if !theme_slugs.insert(theme.slug.trim()) {
                return Err(located("themes", n, &theme.slug, &duplicate()));
            }
        }
        let mut selection_slugs = HashSet::new();
        for (n, selection) in self.selections.iter().enumerate() {
            selection
                .validate(&theme_slugs)
                .map_err(|error| located("selections", n, &selection.slug, &error))?;
            if !selection_slugs.insert(selection.slug.trim()) {
                return Err(located("selections", n, &selection.slug, &duplicate()));
            }
        }
        Ok(())
    }
}

impl PortableSelection {
    fn validate(&self, theme_slugs: &HashSet<&str>) -> Result<()> {
        if self.slug.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "slug",
                message: "it must not be empty".into(),
            });
        }
        check_text(
            &self.slug,
            &self.title,
            &self.summary,
            &self.body,
            self.language.as_deref(),
        )?;
        if let Some(theme) = self.themes.iter().find(|t| !theme_slugs.contains(t.trim())) {
            return Err(StoreError::Invalid {
                field: "themes",
                message: format!("{theme:?} is not among the file's themes"),
            });
        }
        let mut videos = HashSet::new();
        for item in &self.items {
            item.video.validate()?;
            limited_text("note", &item.note, 2_000)?;
            if !videos.insert((&item.video.host, &item.video.uuid)) {
                return Err(StoreError::Invalid {
                    field: "items",
                    message: format!("video {} is listed twice", item.video.uuid),
                });
            }
        }
        if let Some(cover) = &self.cover
            && !videos.contains(&(&cover.host, &cover.uuid))
        {
            return Err(StoreError::Invalid {
                field: "cover",
                message: format!("video {} is not one of the items", cover.uuid),
            });
        }
        Ok(())
    }
}

impl VideoRef {
    fn validate(&self) -> Result<()> {
        for (field, value) in [("video host", &self.host), ("video uuid", &self.uuid)] {
            if value.trim().is_empty() || value.len() > 200 {
                return Err(StoreError::Invalid {
                    field,
                    message: "it must be 1 to 200 characters".into(),
                });
            }
        }
        limited_text("video title", &self.title, 1_000)?;
        Ok(())
    }
}

fn duplicate() -> StoreError {
    StoreError::Invalid {
        field: "slug",
        message: "it appears twice in the file".into(),
    }
}

/// Says where in the file an error is.
fn located(list: &str, index: usize, slug: &str, error: &StoreError) -> StoreError {
    StoreError::Invalid {
        field: "showcase file",
        message: format!("{list}[{index}] ({slug:?}): {error}"),
    }
}

/// One item row of an export.
#[derive(sqlx::FromRow)]
struct ItemRow {
    selection_id: i64,
    note: String,
    last_known_title: String,
    added_at: DateTime<Utc>,
    uuid: String,
    url: String,
    host: String,
}

/// A video as a reference, for covers.
#[derive(sqlx::FromRow)]
struct CoverRow {
    selection_id: i64,
    uuid: String,
    url: String,
    name: String,
    host: String,
}

/// Everything an export reads, from one snapshot.
struct ExportRows {
    themes: Vec<Theme>,
    selections: Vec<Selection>,
    links: Vec<(i64, String)>,
    items: Vec<ItemRow>,
    covers: Vec<CoverRow>,
}

impl Store {
    /// The selections named by `slugs` (all of them when empty), with the
    /// themes they are filed under (all themes when exporting everything).
    pub async fn export_showcase(&self, slugs: &[String]) -> Result<Showcase> {
        let rows = self.export_rows().await?;
        let chosen: Vec<Selection> = if slugs.is_empty() {
            rows.selections
        } else {
            let mut chosen = Vec::with_capacity(slugs.len());
            for slug in slugs {
                let selection = rows.selections.iter().find(|s| &s.slug == slug);
                chosen.push(
                    selection
                        .cloned()
                        .ok_or(StoreError::NotFound("selection"))?,
                );
            }
            chosen
        };
        let mut themes_of: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (selection_id, slug) in rows.links {
            themes_of.entry(selection_id).or_default().push(slug);
        }
        let mut items_of: BTreeMap<i64, Vec<PortableItem>> = BTreeMap::new();
        for row in rows.items {
            items_of
                .entry(row.selection_id)
                .or_default()
                .push(PortableItem {
                    video: VideoRef {
                        host: row.host,
                        uuid: row.uuid,
                        url: row.url,
                        title: row.last_known_title,
                    },
                    note: row.note,
                    added_at: Some(row.added_at),
                });
        }
        let mut covers: BTreeMap<i64, VideoRef> = rows
            .covers
            .into_iter()
            .map(|row| {
                let video = VideoRef {
                    host: row.host,
                    uuid: row.uuid,
                    url: row.url,
                    title: row.name,
                };
                (row.selection_id, video)
            })
            .collect();
        let used: HashSet<&String> = chosen
            .iter()
            .flat_map(|s| themes_of.get(&s.id).into_iter().flatten())
            .collect();
        let themes = rows
            .themes
            .iter()
            .filter(|theme| slugs.is_empty() || used.contains(&theme.slug))
            .map(|theme| PortableTheme {
                slug: theme.slug.clone(),
                name: theme.name.clone(),
                description: theme.description.clone(),
                position: theme.position,
            })
            .collect();
        let selections = chosen
            .into_iter()
            .map(|s| PortableSelection {
                themes: themes_of.remove(&s.id).unwrap_or_default(),
                items: items_of.remove(&s.id).unwrap_or_default(),
                cover: covers.remove(&s.id),
                slug: s.slug,
                title: s.title,
                summary: s.summary,
                body: s.body,
                language: s.language,
                status: s.status,
                featured: s.featured,
                publish_at: s.publish_at,
                published_at: s.published_at,
                created_at: Some(s.created_at),
            })
            .collect();
        Ok(Showcase {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: now(),
            themes,
            selections,
        })
    }

    /// Reads themes, selections, their links, items and covers in one
    /// read-only transaction (a repeatable snapshot on PostgreSQL too).
    async fn export_rows(&self) -> Result<ExportRows> {
        let selections_sql = format!(
            "SELECT {} FROM selections ORDER BY slug",
            Selection::COLUMNS
        );
        let themes_sql = format!(
            "SELECT {} FROM themes ORDER BY position, name, id",
            Theme::COLUMNS
        );
        const LINKS: &str = "SELECT st.selection_id, t.slug FROM selection_themes st \
            JOIN themes t ON t.id = st.theme_id ORDER BY st.selection_id, t.position, t.slug";
        const ITEMS: &str = "SELECT si.selection_id, si.note, si.last_known_title, si.added_at, \
            v.uuid, v.url, i.host FROM selection_items si JOIN videos v ON v.id = si.video_id \
            JOIN instances i ON i.id = v.instance_id ORDER BY si.selection_id, si.position, si.id";
        const COVERS: &str = "SELECT s.id AS selection_id, v.uuid, v.url, v.name, i.host \
            FROM selections s JOIN videos v ON v.id = s.cover_video_id \
            JOIN instances i ON i.id = v.instance_id";
        let postgres = self.backend() == Backend::Postgres;
        Ok(on_pool!(&self.read, p => {
            let mut tx = p.begin().await?;
            if postgres {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            let rows = ExportRows {
                themes: sqlx::query_as(&themes_sql).fetch_all(&mut *tx).await?,
                selections: sqlx::query_as(&selections_sql).fetch_all(&mut *tx).await?,
                links: sqlx::query_as(LINKS).fetch_all(&mut *tx).await?,
                items: sqlx::query_as(ITEMS).fetch_all(&mut *tx).await?,
                covers: sqlx::query_as(COVERS).fetch_all(&mut *tx).await?,
            };
            tx.commit().await?;
            rows
        }))
    }
}
