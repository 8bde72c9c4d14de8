//! Machine-readable faces: Atom feeds, the selections and instances JSON API, sitemap.xml and robots.txt.

use std::fmt::Write;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use store::{InstanceStatus, Paging, PublicOrder, Selection};

use super::cached;
use super::context::Lang;
use super::error::PageError;
use super::selections::published_selection;
use crate::state::AppState;

/// Entries in a feed.
const FEED_ENTRIES: i64 = 50;

/// Escapes text for XML content and attributes.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// One entry of an Atom feed.
struct Entry {
    id: String,
    title: String,
    link: String,
    updated: DateTime<Utc>,
    summary: String,
}

fn atom(title: &str, self_url: &str, page_url: &str, entries: &[Entry]) -> String {
    let updated = entries
        .iter()
        .map(|entry| entry.updated)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <title>{}</title>\n<id>{}</id>\n<updated>{}</updated>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
         <author><name>{}</name></author>\n",
        xml(title),
        xml(self_url),
        updated.to_rfc3339(),
        xml(self_url),
        xml(page_url),
        xml(title),
    );
    for entry in entries {
        let _ = write!(
            out,
            "<entry>\n<title>{}</title>\n<id>{}</id>\n<updated>{}</updated>\n\
             <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             <summary type=\"text\">{}</summary>\n</entry>\n",
            xml(&entry.title),
            xml(&entry.id),
            entry.updated.to_rfc3339(),
            xml(&entry.link),
            xml(&entry.summary),
        );
    }
    out.push_str("</feed>\n");
    out
}

fn public_url(state: &AppState) -> &str {
    state.config.public_url.trim_end_matches('/')
}

fn selection_entry(state: &AppState, lang: &Lang, selection: &Selection) -> Entry {
    let link = format!(
        "{}/{}/selections/{}",
        public_url(state),
        lang.code,
        selection.slug
    );
    Entry {
        id: link.clone(),
        title: selection.title.clone(),
        link,
        updated: selection.published_at.unwrap_or(selection.updated_at),
        summary: selection.summary.clone(),
    }
}

fn atom_response(headers: &HeaderMap, body: String) -> Response {
    cached(headers, body, "application/atom+xml; charset=utf-8")
}

/// `/{lang}/feed.atom`: the latest published selections.
pub async fn all(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let selections = state
        .store
        .published_selections(None, PublicOrder::Latest, Paging::page(1, FEED_ENTRIES))
        .await
        .map_err(|error| PageError::internal(&lang, error))?;
    let entries: Vec<Entry> = selections
        .items
        .iter()
        .map(|card| selection_entry(&state, &lang, &card.selection))
        .collect();
    let base = format!("{}/{}", public_url(&state), lang.code);
    let body = atom(
        &state.config.site_name,
        &format!("{base}/feed.atom"),
        &format!("{base}/"),
        &entries,
    );
    Ok(atom_response(&headers, body))
}

/// `/{lang}/selections/{slug}/feed.atom`: the videos of a selection.
pub async fn selection(
    State(state): State<AppState>,
    lang: Lang,
    Path((_, slug)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let selection = published_selection(&state, &lang, &slug).await?;
    let items = state
        .store
        .public_items(selection.id)
        .await
        .map_err(|error| PageError::internal(&lang, error))?;
    let base = format!("{}/{}", public_url(&state), lang.code);
    let entries: Vec<Entry> = items
        .iter()
        .map(|item| {
            let video = &item.video.video;
            let link = format!("{base}/videos/{}", video.uuid);
            Entry {
                id: format!("urn:uuid:{}", video.uuid),
                title: video.name.clone(),
                link,
                updated: item.item.added_at,
                summary: if item.item.note.is_empty() {
                    video.truncated_description.clone().unwrap_or_default()
                } else {
                    item.item.note.clone()
                },
            }
        })
        .collect();
    let page_url = format!("{base}/selections/{}", selection.slug);
    let body = atom(
        &selection.title,
        &format!("{page_url}/feed.atom"),
        &page_url,
        &entries,
    );
    Ok(atom_response(&headers, body))
}

/// `/{lang}/themes/{slug}/feed.atom`: the selections of a theme.
pub async fn theme(
    State(state): State<AppState>,
    lang: Lang,
    Path((_, slug)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let internal = |error: store::StoreError| PageError::internal(&lang, error);
    let Some(theme) = state.store.theme_by_slug(&slug).await.map_err(internal)? else {
        return Err(PageError::not_found(lang.code));
    };
    let selections = state
        .store
        .published_selections(
            Some(theme.id),
            PublicOrder::Latest,
            Paging::page(1, FEED_ENTRIES),
        )
        .await
        .map_err(internal)?;
    let entries: Vec<Entry> = selections
        .items
        .iter()
        .map(|card| selection_entry(&state, &lang, &card.selection))
        .collect();
    let page_url = format!("{}/{}/themes/{}", public_url(&state), lang.code, theme.slug);
    let body = atom(
        &theme.name,
        &format!("{page_url}/feed.atom"),
        &page_url,
        &entries,
    );
    Ok(atom_response(&headers, body))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SelectionJson<'a> {
    slug: &'a str,
    title: &'a str,
    summary: &'a str,
    language: Option<&'a str>,
    featured: bool,
    published_at: Option<DateTime<Utc>>,
    videos: i64,
    url: String,
}

/// `GET /api/v1/selections`: the published selections.
pub async fn selections_json(State(state): State<AppState>) -> Result<Response, crate::ApiError> {
    let selections = state
        .store
        .published_selections(
            None,
            PublicOrder::Latest,
            Paging::page(1, Paging::MAX_LIMIT),
        )
        .await?;
    let lang = &state.site.languages.default_language().code;
    let data: Vec<SelectionJson<'_>> = selections
        .items
        .iter()
        .map(|card| SelectionJson {
            slug: &card.selection.slug,
            title: &card.selection.title,
            summary: &card.selection.summary,
            language: card.selection.language.as_deref(),
            featured: card.selection.featured,
            published_at: card.selection.published_at,
            videos: card.item_count - card.broken_count,
            url: format!(
                "{}/{lang}/selections/{}",
                public_url(&state),
                card.selection.slug
            ),
        })
        .collect();
    let total = selections.total;
    Ok(Json(serde_json::json!({ "total": total, "data": data })).into_response())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstanceJson<'a> {
    host: &'a str,
    url: &'a str,
    name: Option<&'a str>,
    short_description: Option<&'a str>,
    languages: &'a [String],
    signup_allowed: Option<bool>,
    version: Option<&'a str>,
    total_local_videos: Option<i64>,
    health_score: i64,
}

/// `GET /api/v1/instances`: the indexed instances.
pub async fn instances_json(State(state): State<AppState>) -> Result<Response, crate::ApiError> {
    let instances = state
        .store
        .list_instances(Some(InstanceStatus::Approved))
        .await?;
    let data: Vec<InstanceJson<'_>> = instances
        .iter()
        .map(|instance| InstanceJson {
            host: &instance.host,
            url: &instance.base_url,
            name: instance.name.as_deref(),
            short_description: instance.short_description.as_deref(),
            languages: &instance.languages.0,
            signup_allowed: instance.signup_allowed,
            version: instance.version.as_deref(),
            total_local_videos: instance.total_local_videos,
            health_score: instance.health_score,
        })
        .collect();
    Ok(Json(serde_json::json!({ "total": data.len(), "data": data })).into_response())
}

/// `GET /sitemap.xml`: the home, search, instances and selections pages in every language.
pub async fn sitemap(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, crate::ApiError> {
    let selections = state
        .store
        .published_selections(
            None,
            PublicOrder::Latest,
            Paging::page(1, Paging::MAX_LIMIT),
        )
        .await?;
    let themes = state.store.list_themes().await?;
    let mut paths: Vec<String> = ["/", "/selections", "/instances", "/about"]
        .iter()
        .map(|path| (*path).to_owned())
        .collect();
    paths.extend(
        selections
            .items
            .iter()
            .map(|card| format!("/selections/{}", card.selection.slug)),
    );
    paths.extend(themes.iter().map(|theme| format!("/themes/{}", theme.slug)));
    let base = public_url(&state);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
         xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    for path in &paths {
        for catalogue in state.site.languages.all() {
            let _ = write!(
                out,
                "<url><loc>{}</loc>",
                xml(&format!("{base}/{}{path}", catalogue.code))
            );
            for alternate in state.site.languages.all() {
                let _ = write!(
                    out,
                    "<xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>",
                    alternate.code,
                    xml(&format!("{base}/{}{path}", alternate.code))
                );
            }
            out.push_str("</url>\n");
        }
    }
    out.push_str("</urlset>\n");
    Ok(cached(&headers, out, "application/xml; charset=utf-8"))
}

/// `GET /robots.txt`: everything public may be crawled, the back office not.
pub async fn robots(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let body = format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /media/\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
        public_url(&state)
    );
    cached(&headers, body, "text/plain; charset=utf-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_cannot_break_out_of_xml() {
        assert_eq!(
            xml("<script>\"a\" & 'b'</script>\u{0}\u{8}"),
            "&lt;script&gt;&quot;a&quot; &amp; &apos;b&apos;&lt;/script&gt;"
        );
    }
}
