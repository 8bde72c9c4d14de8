//! The query reference: SQLite FTS5 over the same `videos` table, answering the same query strings over HTTP.
//!
//! An external-content FTS5 table (`name`, `description`, `tags`, tokenizer
//! `unicode61 remove_diacritics 2`) is built inside the benchmark's database.
//! A small axum endpoint, served by the same process as Florilège's API and
//! driven by the same load generator, answers `search`, `sort` (`-match`,
//! `-publishedAt`, `-views`), `languageOneOf`, `durationMin`/`durationMax`,
//! `start`/`count` and `facets`, with the same fallback as Florilège (all
//! words, then any word when nothing matched). FTS5 has no typo tolerance
//! and no stemming: a misspelt word finds only what happens to contain it.
//! Visibility is read from the video row (not deleted, public, not NSFW);
//! instance status and blocks are left out (the corpus has none to hide).

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{ConnectOptions, Connection, QueryBuilder, Row, Sqlite};

/// The FTS5 table.
pub const TABLE: &str = "videos_fts";
/// Memory-mapped I/O for the readers, as Tantivy reads its index through mmap.
const MMAP_BYTES: &str = "268435456";

/// Builds (or rebuilds) the FTS5 table over every video; returns the videos indexed.
pub async fn build(database_url: &str) -> anyhow::Result<u64> {
    let mut connection = SqliteConnectOptions::from_str(database_url)?
        .connect()
        .await?;
    sqlx::query(&format!("DROP TABLE IF EXISTS {TABLE}"))
        .execute(&mut connection)
        .await?;
    sqlx::query(&format!(
        "CREATE VIRTUAL TABLE {TABLE} USING fts5(name, description, tags, \
         content='videos', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    ))
    .execute(&mut connection)
    .await?;
    sqlx::query(&format!("INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')"))
        .execute(&mut connection)
        .await?;
    let videos: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM videos")
        .fetch_one(&mut connection)
        .await?;
    connection.close().await?;
    Ok(u64::try_from(videos)?)
}

/// Bytes of the FTS5 table's shadow tables (its index, document sizes and configuration).
pub async fn size_bytes(database_url: &str) -> anyhow::Result<u64> {
    let mut connection = SqliteConnectOptions::from_str(database_url)?
        .connect()
        .await?;
    let bytes: Option<i64> = sqlx::query_scalar(
        "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'videos\\_fts\\_%' ESCAPE '\\'",
    )
    .fetch_one(&mut connection)
    .await?;
    connection.close().await?;
    Ok(u64::try_from(bytes.unwrap_or(0))?)
}

struct Inner {
    pool: SqlitePool,
    hosts: HashMap<i64, String>,
}

/// The endpoint's routes (`/api/v1/search/videos`, GET), on a pool of read-only connections.
pub async fn router(database_url: &str, connections: u32) -> anyhow::Result<Router> {
    let options = SqliteConnectOptions::from_str(database_url)?
        .read_only(true)
        .pragma("mmap_size", MMAP_BYTES);
    let pool = SqlitePoolOptions::new()
        .max_connections(connections)
        .min_connections(connections)
        .connect_with(options)
        .await?;
    let hosts = sqlx::query_as::<_, (i64, String)>("SELECT id, host FROM instances")
        .fetch_all(&pool)
        .await?
        .into_iter()
        .collect();
    let state = Arc::new(Inner { pool, hosts });
    Ok(Router::new()
        .route("/api/v1/search/videos", get(search))
        .with_state(state))
}

/// The parameters the endpoint understands.
#[derive(Debug, Default, PartialEq)]
struct Params {
    search: String,
    sort: Sort,
    languages: Vec<String>,
    duration_min: Option<i64>,
    duration_max: Option<i64>,
    start: i64,
    count: i64,
    facets: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Sort {
    #[default]
    Match,
    PublishedAt,
    Views,
}

impl Params {
    fn parse(query: &str) -> Self {
        let mut params = Self {
            count: 15,
            ..Self::default()
        };
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let name = name.strip_suffix("[]").unwrap_or(&name).to_owned();
            match name.as_str() {
                "search" => params.search = value.into_owned(),
                "sort" => {
                    params.sort = match value.as_ref() {
                        "-publishedAt" => Sort::PublishedAt,
                        "-views" => Sort::Views,
                        _ => Sort::Match,
                    }
                }
                "languageOneOf" => params.languages.push(value.into_owned()),
                "durationMin" => params.duration_min = value.parse().ok(),
                "durationMax" => params.duration_max = value.parse().ok(),
                "start" => params.start = value.parse().unwrap_or(0),
                "count" => params.count = value.parse::<i64>().unwrap_or(15).clamp(0, 100),
                "facets" => params.facets = value == "true",
                _ => {}
            }
        }
        params
    }
}

/// An FTS5 expression: every word quoted (no operators from the user), joined by `AND` or `OR`.
fn expression(search: &str, any: bool) -> Option<String> {
    let words: Vec<String> = search
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(if any { " OR " } else { " " }))
}

/// `FROM … WHERE …` of every query: the match and the filters.
fn push_matches(builder: &mut QueryBuilder<'_, Sqlite>, expression: &str, params: &Params) {
    builder.push(format!(
        " FROM {TABLE} JOIN videos v ON v.id = {TABLE}.rowid WHERE {TABLE} MATCH "
    ));
    builder.push_bind(expression.to_owned());
    builder.push(" AND v.deleted_at IS NULL AND v.privacy_id = 1 AND v.nsfw = 0");
    if !params.languages.is_empty() {
        builder.push(" AND v.language_id IN (");
        let mut list = builder.separated(", ");
        for language in &params.languages {
            list.push_bind(language.clone());
        }
        builder.push(")");
    }
    if let Some(min) = params.duration_min {
        builder.push(" AND v.duration >= ").push_bind(min);
    }
    if let Some(max) = params.duration_max {
        builder.push(" AND v.duration <= ").push_bind(max);
    }
}

#[derive(Default, Serialize)]
struct Facets {
    languages: BTreeMap<String, u64>,
    categories: BTreeMap<i64, u64>,
    durations: BTreeMap<&'static str, u64>,
    hosts: BTreeMap<String, u64>,
}

/// The total, and the facets when asked (one pass over the matches either way).
async fn total(
    inner: &Inner,
    expression: &str,
    params: &Params,
) -> sqlx::Result<(u64, Option<Facets>)> {
    if !params.facets {
        let mut builder = QueryBuilder::new("SELECT COUNT(*)");
        push_matches(&mut builder, expression, params);
        let total: i64 = builder.build_query_scalar().fetch_one(&inner.pool).await?;
        return Ok((u64::try_from(total).unwrap_or(0), None));
    }
    let mut builder = QueryBuilder::new(
        "SELECT COALESCE(v.language_id, '_unknown'), v.category_id, \
         CASE WHEN v.duration < 240 THEN 'short' WHEN v.duration < 1200 THEN 'medium' ELSE 'long' END, \
         v.instance_id, COUNT(*)",
    );
    push_matches(&mut builder, expression, params);
    builder.push(" GROUP BY 1, 2, 3, 4");
    let rows: Vec<(String, Option<i64>, String, i64, i64)> =
        builder.build_query_as().fetch_all(&inner.pool).await?;
    let mut facets = Facets::default();
    let mut total = 0;
    for (language, category, duration, instance, count) in rows {
        let count = u64::try_from(count).unwrap_or(0);
        total += count;
        *facets.languages.entry(language).or_default() += count;
        if let Some(category) = category {
            *facets.categories.entry(category).or_default() += count;
        }
        let bucket = match duration.as_str() {
            "short" => "short",
            "medium" => "medium",
            _ => "long",
        };
        *facets.durations.entry(bucket).or_default() += count;
        if let Some(host) = inner.hosts.get(&instance) {
            *facets.hosts.entry(host.clone()).or_default() += count;
        }
    }
    Ok((total, Some(facets)))
}

#[derive(Serialize)]
struct Labeled<T> {
    id: T,
    label: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Actor {
    id: i64,
    name: String,
    display_name: String,
    url: String,
    host: String,
    avatars: serde_json::Value,
}

/// A video in PeerTube's shape (the fields a search result shows).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Video {
    id: i64,
    uuid: String,
    #[serde(rename = "shortUUID")]
    short_uuid: Option<String>,
    url: String,
    name: String,
    truncated_description: Option<String>,
    description: Option<String>,
    category: Labeled<Option<i64>>,
    licence: Labeled<Option<i64>>,
    language: Labeled<Option<String>>,
    privacy: Labeled<i64>,
    nsfw: bool,
    is_local: bool,
    is_live: bool,
    duration: i64,
    aspect_ratio: Option<f64>,
    views: i64,
    likes: i64,
    dislikes: i64,
    comments: i64,
    thumbnail_path: Option<String>,
    preview_path: Option<String>,
    embed_path: Option<String>,
    thumbnail_url: Option<String>,
    preview_url: Option<String>,
    embed_url: Option<String>,
    published_at: DateTime<Utc>,
    originally_published_at: Option<DateTime<Utc>>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    tags: Vec<String>,
    account: Option<Actor>,
    channel: Option<Actor>,
}

const VIDEO_COLUMNS: &str = "v.id, v.uuid, v.short_uuid, v.url, v.name, v.truncated_description, \
    v.category_id, v.category_label, v.licence_id, v.licence_label, v.language_id, v.language_label, \
    v.nsfw, v.is_live, v.duration, v.views, v.likes, v.dislikes, v.comments, v.thumbnail_path, \
    v.preview_path, v.embed_path, v.published_at, v.originally_published_at, v.remote_created_at, \
    v.remote_updated_at, i.host, i.base_url, v.tags, v.aspect_ratio, \
    c.id, c.name, c.display_name, c.url, c.avatars, a.id, a.name, a.display_name, a.url, a.avatars";

/// Reads the actor whose five columns (id, name, display name, url, avatars) start at `at`.
fn actor(row: &SqliteRow, at: usize, host: &str) -> sqlx::Result<Option<Actor>> {
    let Some(id) = row.try_get::<Option<i64>, _>(at)? else {
        return Ok(None);
    };
    let avatars: Option<String> = row.try_get(at + 4)?;
    Ok(Some(Actor {
        id,
        name: row
            .try_get::<Option<String>, _>(at + 1)?
            .unwrap_or_default(),
        display_name: row
            .try_get::<Option<String>, _>(at + 2)?
            .unwrap_or_default(),
        url: row
            .try_get::<Option<String>, _>(at + 3)?
            .unwrap_or_default(),
        host: host.to_owned(),
        avatars: avatars
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default(),
    }))
}

fn video(row: &SqliteRow) -> sqlx::Result<Video> {
    let host: String = row.try_get(26)?;
    let base: String = row.try_get(27)?;
    let absolute = |path: &Option<String>| path.as_ref().map(|path| format!("{base}{path}"));
    let thumbnail_path: Option<String> = row.try_get(19)?;
    let preview_path: Option<String> = row.try_get(20)?;
    let embed_path: Option<String> = row.try_get(21)?;
    let truncated_description: Option<String> = row.try_get(5)?;
    let tags: String = row.try_get(28)?;
    Ok(Video {
        id: row.try_get(0)?,
        uuid: row.try_get(1)?,
        short_uuid: row.try_get(2)?,
        url: row.try_get(3)?,
        name: row.try_get(4)?,
        description: truncated_description.clone(),
        truncated_description,
        category: Labeled {
            id: row.try_get(6)?,
            label: row.try_get::<Option<String>, _>(7)?.unwrap_or_default(),
        },
        licence: Labeled {
            id: row.try_get(8)?,
            label: row.try_get::<Option<String>, _>(9)?.unwrap_or_default(),
        },
        language: Labeled {
            id: row.try_get(10)?,
            label: row.try_get::<Option<String>, _>(11)?.unwrap_or_default(),
        },
        privacy: Labeled {
            id: 1,
            label: "Public".into(),
        },
        nsfw: row.try_get(12)?,
        is_local: false,
        is_live: row.try_get(13)?,
        duration: row.try_get(14)?,
        aspect_ratio: row.try_get(29)?,
        views: row.try_get(15)?,
        likes: row.try_get(16)?,
        dislikes: row.try_get(17)?,
        comments: row.try_get(18)?,
        thumbnail_url: absolute(&thumbnail_path),
        preview_url: absolute(&preview_path),
        embed_url: absolute(&embed_path),
        thumbnail_path,
        preview_path,
        embed_path,
        published_at: row.try_get(22)?,
        originally_published_at: row.try_get(23)?,
        created_at: row.try_get(24)?,
        updated_at: row.try_get(25)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        channel: actor(row, 30, &host)?,
        account: actor(row, 35, &host)?,
    })
}

/// One page of matches in order: the page is cut on the FTS table and videos, then joined with its owners.
async fn page(inner: &Inner, expression: &str, params: &Params) -> sqlx::Result<Vec<Video>> {
    let (key, direction) = match params.sort {
        Sort::Match => (format!("{TABLE}.rank"), "ASC"),
        Sort::PublishedAt => ("v.published_at".to_owned(), "DESC"),
        Sort::Views => ("v.views".to_owned(), "DESC"),
    };
    let mut builder = QueryBuilder::new(format!(
        "SELECT {VIDEO_COLUMNS} FROM (SELECT v.id AS id, {key} AS position"
    ));
    push_matches(&mut builder, expression, params);
    builder.push(format!(" ORDER BY position {direction} LIMIT "));
    builder.push_bind(params.count);
    builder.push(" OFFSET ");
    builder.push_bind(params.start);
    builder.push(format!(
        ") h JOIN videos v ON v.id = h.id JOIN instances i ON i.id = v.instance_id \
         LEFT JOIN channels c ON c.id = v.channel_id LEFT JOIN accounts a ON a.id = v.account_id \
         ORDER BY h.position {direction}"
    ));
    let rows = builder.build().fetch_all(&inner.pool).await?;
    rows.iter().map(video).collect()
}

#[derive(Serialize)]
struct Answer {
    total: u64,
    data: Vec<Video>,
    #[serde(skip_serializing_if = "Option::is_none")]
    facets: Option<Facets>,
}

async fn answer(inner: &Inner, params: &Params) -> sqlx::Result<Answer> {
    let mut found = (0, None, None);
    for any in [false, true] {
        let Some(expression) = expression(&params.search, any) else {
            break;
        };
        let (total, facets) = total(inner, &expression, params).await?;
        found = (total, facets, Some(expression));
        let several_words = params.search.split_whitespace().nth(1).is_some();
        if total > 0 || !several_words {
            break;
        }
    }
    let (total, facets, expression) = found;
    let data = match expression {
        Some(expression) if total > 0 && params.count > 0 => {
            page(inner, &expression, params).await?
        }
        _ => Vec::new(),
    };
    Ok(Answer {
        total,
        data,
        facets,
    })
}

async fn search(State(inner): State<Arc<Inner>>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.as_deref().unwrap_or_default());
    match answer(&inner, &params).await {
        Ok(answer) => axum::Json(answer).into_response(),
        Err(error) => {
            tracing::error!(%error, "FTS5 search failed");
            (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_parameters_and_quotes_every_word() {
        let params = Params::parse(
            "search=cr%C3%AApes+%22x%22&sort=-views&languageOneOf=fr&languageOneOf=en\
             &durationMin=60&durationMax=1800&start=0&count=20&facets=true",
        );
        assert_eq!(params.search, "crêpes \"x\"");
        assert_eq!(params.sort, Sort::Views);
        assert_eq!(params.languages, ["fr", "en"]);
        assert_eq!(
            (params.duration_min, params.duration_max),
            (Some(60), Some(1800))
        );
        assert_eq!((params.start, params.count, params.facets), (0, 20, true));
        assert_eq!(
            expression(&params.search, false).unwrap(),
            "\"crêpes\" \"x\""
        );
        assert_eq!(expression("a b", true).unwrap(), "\"a\" OR \"b\"");
        assert_eq!(expression(" -- ", false), None);
    }
}
