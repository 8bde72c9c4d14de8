//! The editor's desk: the dashboard, selection lists, the selection editor with its items, workflow, preview and revisions.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use index::{NsfwFilter, VideoQuery, VideoSummary, video_summary};
use minijinja::{Value, context};
use serde::Deserialize;
use store::{
    EditConflict, InstanceAddress, NsfwPolicy, Paging, Selection, SelectionEdit, SelectionStatus,
    StoreError,
};
use url::Url;

use super::auth::Posted;
use super::{Editor, Refusal, Reply, admin_base, internal, refuse, render, see_other};
use crate::federation::VideoFetchError;
use crate::site::{Lang, base};
use crate::state::AppState;

const STATUSES: [SelectionStatus; 4] = [
    SelectionStatus::Draft,
    SelectionStatus::Review,
    SelectionStatus::Published,
    SelectionStatus::Archived,
];

/// `GET /admin`: what waits for the user.
pub async fn dashboard(State(state): State<AppState>, editor: Editor) -> Reply {
    let mut counts = Vec::new();
    for status in STATUSES {
        let page = state
            .store
            .list_selections(Some(status), Paging::page(1, 1))
            .await
            .map_err(internal)?;
        counts.push(context! { status => status.as_str(), count => page.total });
    }
    render(
        &state,
        StatusCode::OK,
        "admin/dashboard.html",
        context! { counts, ..admin_base(&state, &editor.lang, Some(&editor)) },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: String,
}

/// `GET /admin/selections`: selections of a status, last changed first.
pub async fn list(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<ListQuery>,
) -> Reply {
    let status = query.status.parse::<SelectionStatus>().ok();
    let selections = state
        .store
        .list_selections(status, Paging::page(1, 200))
        .await
        .map_err(internal)?;
    render(
        &state,
        StatusCode::OK,
        "admin/selections.html",
        context! {
            selections => selections.items,
            status => status.map(SelectionStatus::as_str),
            statuses => STATUSES.map(SelectionStatus::as_str),
            ..admin_base(&state, &editor.lang, Some(&editor))
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct NewForm {
    title: String,
    #[serde(default)]
    language: String,
}

/// `POST /admin/selections`: a new draft, then its editor.
pub async fn create(State(state): State<AppState>, posted: Posted<NewForm>) -> Reply {
    let editor = &posted.editor;
    let language = Some(posted.form.language.trim()).filter(|l| !l.is_empty());
    let created = state
        .store
        .create_selection(
            &store::NewSelection {
                title: posted.form.title.trim(),
                language,
                ..store::NewSelection::default()
            },
            Some(editor.id()),
        )
        .await;
    match created {
        Ok(selection) => Ok(see_other(&format!("/admin/selections/{}", selection.id))),
        Err(StoreError::Invalid { .. } | StoreError::SlugTaken(_)) => Err(refuse(
            &state,
            &editor.lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin.selection.invalid_title",
        )),
        Err(error) => Err(internal(error)),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditQuery {
    /// Words to search the index for videos to add.
    q: String,
    /// A message key to show (after a redirect).
    notice: String,
}

/// The values shown in the selection form: stored, or as the user typed them.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct SaveForm {
    version: i64,
    title: String,
    slug: String,
    summary: String,
    body: String,
    language: String,
    publish_at: String,
    featured: String,
}

impl SaveForm {
    fn of(selection: &Selection) -> Self {
        Self {
            version: selection.version,
            title: selection.title.clone(),
            slug: selection.slug.clone(),
            summary: selection.summary.clone(),
            body: selection.body.clone(),
            language: selection.language.clone().unwrap_or_default(),
            publish_at: selection
                .publish_at
                .map(|at| at.format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default(),
            featured: if selection.featured {
                "on".into()
            } else {
                String::new()
            },
        }
    }
}

/// What else the editor page may show.
#[derive(Default)]
struct Extras<'a> {
    form: Option<SaveForm>,
    conflict: Option<&'a EditConflict>,
    notice: Option<&'a str>,
    query: &'a str,
}

async fn load(state: &AppState, editor: &Editor, id: i64) -> Result<Selection, Refusal> {
    match state.store.selection(id).await.map_err(internal)? {
        Some(selection) => Ok(selection),
        None => Err(refuse(
            state,
            &editor.lang,
            StatusCode::NOT_FOUND,
            "admin.error.not_found",
        )),
    }
}

/// Searches the index for videos to add (every video, sensitive ones too).
async fn search(state: &AppState, query: VideoQuery) -> Result<Vec<VideoSummary>, Refusal> {
    let searcher = state.searcher.clone();
    let results = tokio::task::spawn_blocking(move || searcher.search_videos(&query))
        .await
        .map_err(internal)?;
    match results {
        Ok(results) => Ok(results.hits.into_iter().map(|hit| hit.item).collect()),
        Err(error) => {
            tracing::warn!(error = %error, "back-office search refused");
            Ok(Vec::new())
        }
    }
}

async fn editor_page(
    state: &AppState,
    editor: &Editor,
    selection: &Selection,
    extras: Extras<'_>,
    status: StatusCode,
) -> Reply {
    let items = state
        .store
        .editor_items(selection.id)
        .await
        .map_err(internal)?;
    let chosen = state
        .store
        .selection_themes(selection.id)
        .await
        .map_err(internal)?;
    let themes: Vec<Value> = state
        .store
        .list_themes()
        .await
        .map_err(internal)?
        .into_iter()
        .map(|theme| {
            let checked = chosen.iter().any(|c| c.id == theme.id);
            context! { id => theme.id, name => theme.name, checked }
        })
        .collect();
    let query = extras.query.trim();
    let results = if query.is_empty() {
        Vec::new()
    } else {
        search(
            state,
            VideoQuery {
                search: Some(query.to_owned()),
                count: 12,
                nsfw: NsfwFilter::Both,
                ..VideoQuery::default()
            },
        )
        .await?
    };
    let in_selection: Vec<i64> = items.iter().map(|item| item.item.video_id).collect();
    let results: Vec<Value> = results
        .into_iter()
        .map(|video| {
            let added = in_selection.contains(&video.id);
            context! { video, added }
        })
        .collect();
    let transitions: Vec<&str> = STATUSES
        .into_iter()
        .filter(|to| selection.status.can_become(*to))
        .map(SelectionStatus::as_str)
        .collect();
    let items: Vec<Value> = items
        .iter()
        .map(|item| {
            context! {
                item => item.item,
                video => video_summary(&item.video),
                broken => item.broken,
            }
        })
        .collect();
    let form = extras.form.unwrap_or_else(|| SaveForm::of(selection));
    let conflict = extras.conflict.map(|conflict| {
        context! {
            who => conflict.saved_by_name,
            at => conflict.saved_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            version => conflict.current_version,
        }
    });
    render(
        state,
        status,
        "admin/selection.html",
        context! {
            selection,
            form,
            items,
            themes,
            results,
            query,
            transitions,
            conflict,
            notice => extras.notice,
            ..admin_base(state, &editor.lang, Some(editor))
        },
    )
}

/// `GET /admin/selections/{id}`: the editor, with search results to add when `q` is given.
pub async fn edit(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Query(query): Query<EditQuery>,
) -> Reply {
    let selection = load(&state, &editor, id).await?;
    let notice = Some(query.notice.as_str())
        .filter(|notice| NOTICES.contains(notice))
        .map(|notice| notice.to_owned());
    let notice = notice.map(|notice| format!("admin.notice.{notice}"));
    editor_page(
        &state,
        &editor,
        &selection,
        Extras {
            query: &query.q,
            notice: notice.as_deref(),
            ..Extras::default()
        },
        StatusCode::OK,
    )
    .await
}

/// The notices a redirect may ask the editor page to show.
const NOTICES: &[&str] = &[
    "saved",
    "added",
    "status",
    "restored",
    "conflict",
    "unknown_video",
    "unknown_instance",
    "fetch_failed",
    "already_added",
    "invalid",
];

fn back(id: i64, notice: &str) -> Response {
    see_other(&format!("/admin/selections/{id}?notice={notice}"))
}

fn parse_publish_at(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .map(|at| at.and_utc())
}

/// `POST /admin/selections/{id}`: saves the text, language, themes and
/// schedule, unless someone saved since the form was opened.
pub async fn save(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<SaveForm>,
) -> Reply {
    let editor = &posted.editor;
    let form = &posted.form;
    let selection = load(&state, editor, id).await?;
    let language = Some(form.language.trim()).filter(|l| !l.is_empty());
    let edit = SelectionEdit {
        slug: form.slug.trim(),
        title: form.title.trim(),
        summary: form.summary.trim(),
        body: &form.body,
        language,
        featured: form.featured == "on",
        publish_at: parse_publish_at(&form.publish_at),
    };
    let saved = state
        .store
        .update_selection(id, &edit, Some(editor.id()), form.version)
        .await;
    let saved = match saved {
        Ok(saved) => saved,
        Err(StoreError::Conflict(conflict)) => {
            return editor_page(
                &state,
                editor,
                &selection,
                Extras {
                    form: Some(posted.form),
                    conflict: Some(&conflict),
                    ..Extras::default()
                },
                StatusCode::CONFLICT,
            )
            .await;
        }
        Err(error @ (StoreError::Invalid { .. } | StoreError::SlugTaken(_))) => {
            tracing::info!(error = %error, "selection not saved");
            let notice = if matches!(error, StoreError::SlugTaken(_)) {
                "admin.notice.slug_taken"
            } else {
                "admin.notice.invalid"
            };
            return editor_page(
                &state,
                editor,
                &selection,
                Extras {
                    form: Some(posted.form),
                    notice: Some(notice),
                    ..Extras::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(error) => return Err(internal(error)),
    };
    let mut wanted: Vec<i64> = posted
        .pairs
        .iter()
        .filter(|(name, _)| name == "theme")
        .filter_map(|(_, value)| value.parse().ok())
        .collect();
    wanted.sort_unstable();
    let mut current: Vec<i64> = state
        .store
        .selection_themes(id)
        .await
        .map_err(internal)?
        .iter()
        .map(|theme| theme.id)
        .collect();
    current.sort_unstable();
    if wanted != current {
        state
            .store
            .set_selection_themes(id, &wanted, Some(editor.id()), Some(saved.version))
            .await
            .map_err(internal)?;
    }
    Ok(back(id, "saved"))
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    to: String,
    version: i64,
}

/// `POST /admin/selections/{id}/status`: one step of the workflow.
pub async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<StatusForm>,
) -> Reply {
    let editor = &posted.editor;
    let selection = load(&state, editor, id).await?;
    let Some(to) = posted
        .form
        .to
        .parse::<SelectionStatus>()
        .ok()
        .filter(|to| selection.status.can_become(*to))
    else {
        return Ok(back(id, "invalid"));
    };
    match state
        .store
        .set_selection_status(id, to, Some(editor.id()), Some(posted.form.version))
        .await
    {
        Ok(_) => Ok(back(id, "status")),
        Err(StoreError::Conflict(_)) => Ok(back(id, "conflict")),
        Err(StoreError::Invalid { .. }) => Ok(back(id, "invalid")),
        Err(error) => Err(internal(error)),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    video_id: Option<i64>,
    url: String,
    note: String,
}

/// The uuid or short uuid in a PeerTube watch URL (`/w/{id}`,
/// `/videos/watch/{id}`, `/videos/embed/{id}`), or the bare identifier.
pub fn video_identifier(url: &str) -> Option<String> {
    let url = url.trim();
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let id = ["/w/", "/videos/watch/", "/videos/embed/", "/v/"]
        .iter()
        .find_map(|marker| path.rsplit_once(marker).map(|(_, id)| id))
        .unwrap_or(if path.contains('/') { "" } else { path });
    let id = id.trim_end_matches('/');
    let plausible =
        (20..=36).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    plausible.then(|| id.to_owned())
}

/// The video a pasted URL names: known to the store, found in the index,
/// or, when its instance is approved but no crawl has reached the video yet,
/// fetched from the instance now. `Err` holds the notice telling why not.
async fn video_of_url(state: &AppState, url: &str) -> Result<Result<i64, &'static str>, Refusal> {
    let Some(id) = video_identifier(url) else {
        return Ok(Err("unknown_video"));
    };
    if let Some(video) = state.store.video_by_uuid(&id).await.map_err(internal)? {
        return Ok(Ok(video.id));
    }
    let found = search(
        state,
        VideoQuery {
            uuids: vec![id.clone()],
            count: 1,
            nsfw: NsfwFilter::Both,
            ..VideoQuery::default()
        },
    )
    .await?;
    if let Some(video) = found.first() {
        return Ok(Ok(video.id));
    }
    let (Some(federation), Some(host)) = (&state.federation, instance_host(url)) else {
        return Ok(Err("unknown_video"));
    };
    Ok(match federation.fetch_video(&host, &id).await {
        Ok(video_id) => Ok(video_id),
        Err(VideoFetchError::UnknownInstance(_)) => Err("unknown_instance"),
        Err(VideoFetchError::NotFound) => Err("unknown_video"),
        Err(VideoFetchError::Failed(reason)) => {
            tracing::warn!(%host, %id, %reason, "fetching a pasted video failed");
            Err("fetch_failed")
        }
    })
}

/// The instance host of a video URL, as the store names instances.
fn instance_host(url: &str) -> Option<String> {
    let origin = Url::parse(url.trim()).ok()?.origin().ascii_serialization();
    InstanceAddress::parse(&origin, "https")
        .ok()
        .map(|address| address.host)
}

/// `POST /admin/selections/{id}/items`: adds a video found by search (its
/// id) or by its PeerTube URL.
pub async fn add_item(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<AddForm>,
) -> Reply {
    let editor = &posted.editor;
    load(&state, editor, id).await?;
    let video_id = match posted.form.video_id {
        Some(video_id) => video_id,
        None => match video_of_url(&state, &posted.form.url).await? {
            Ok(video_id) => video_id,
            Err(notice) => return Ok(back(id, notice)),
        },
    };
    match state
        .store
        .add_item(
            id,
            video_id,
            posted.form.note.trim(),
            Some(editor.id()),
            None,
        )
        .await
    {
        Ok(_) => Ok(back(id, "added")),
        Err(StoreError::AlreadyInSelection { .. }) => Ok(back(id, "already_added")),
        Err(StoreError::NotFound(_)) => Ok(back(id, "unknown_video")),
        Err(error) => Err(internal(error)),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ItemForm {
    /// `note`, `up`, `down`, `remove` or `cover`.
    action: String,
    note: String,
}

/// `POST /admin/selections/{id}/items/{item}`: note, move, remove, or make
/// its video the cover.
pub async fn change_item(
    State(state): State<AppState>,
    Path((id, item_id)): Path<(i64, i64)>,
    posted: Posted<ItemForm>,
) -> Reply {
    let editor = &posted.editor;
    let author = Some(editor.id());
    let items = state.store.editor_items(id).await.map_err(internal)?;
    let Some(item) = items.iter().find(|item| item.item.id == item_id) else {
        return Err(refuse(
            &state,
            &editor.lang,
            StatusCode::NOT_FOUND,
            "admin.error.not_found",
        ));
    };
    let store = &state.store;
    let position = item.item.position;
    let last = i64::try_from(items.len()).unwrap_or(1) - 1;
    let done = match posted.form.action.as_str() {
        "note" => {
            store
                .set_item_note(id, item_id, posted.form.note.trim(), author, None)
                .await
        }
        "up" => {
            store
                .move_item(id, item_id, (position - 1).max(0), author, None)
                .await
        }
        "down" => {
            store
                .move_item(id, item_id, (position + 1).min(last), author, None)
                .await
        }
        "remove" => store.remove_item(id, item_id, author, None).await,
        "cover" => {
            store
                .set_cover_video(id, Some(item.item.video_id), author, None)
                .await
        }
        _ => return Ok(back(id, "invalid")),
    };
    match done {
        Ok(_) => Ok(see_other(&format!(
            "/admin/selections/{id}?notice=saved#item-{item_id}"
        ))),
        Err(StoreError::Invalid { .. }) => Ok(back(id, "invalid")),
        Err(error) => Err(internal(error)),
    }
}

/// `GET /admin/selections/{id}/preview`: the public page, exactly, even for a draft.
pub async fn preview(State(state): State<AppState>, editor: Editor, Path(id): Path<i64>) -> Reply {
    let selection = load(&state, &editor, id).await?;
    let lang = Lang {
        code: selection
            .language
            .clone()
            .filter(|code| state.site.languages.get(code).is_some())
            .unwrap_or_else(|| editor.lang.clone()),
        rest: format!("/selections/{}", selection.slug),
    };
    let policy = state.store.nsfw_policy_site().await.map_err(internal)?;
    let items: Vec<Value> = state
        .store
        .editor_items(id)
        .await
        .map_err(internal)?
        .iter()
        .filter(|item| item.broken.is_none())
        .filter(|item| !(item.video.video.nsfw && policy == NsfwPolicy::Hide))
        .map(|item| {
            context! { note => item.item.note, video => video_summary(&item.video) }
        })
        .collect();
    let themes = state.store.selection_themes(id).await.map_err(internal)?;
    render(
        &state,
        StatusCode::OK,
        "selection.html",
        context! {
            selection,
            items,
            themes,
            nsfw_policy => policy.as_str(),
            ..base(&state, &lang)
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PreviewForm {
    body: String,
}

/// `POST /admin/preview`: Markdown rendered as the public will see it (for admin.js).
pub async fn markdown_preview(State(state): State<AppState>, posted: Posted<PreviewForm>) -> Reply {
    match state.site.templates.render(
        "admin/_markdown.html",
        context! { body => posted.form.body },
    ) {
        Ok(html) => Ok(Html(html).into_response()),
        Err(error) => Err(internal(error)),
    }
}

/// `GET /admin/selections/{id}/revisions`: every saved version, newest first.
pub async fn revisions(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
) -> Reply {
    let selection = load(&state, &editor, id).await?;
    let mut revisions = state.store.revisions(id).await.map_err(internal)?;
    revisions.sort_by_key(|revision| std::cmp::Reverse(revision.version));
    render(
        &state,
        StatusCode::OK,
        "admin/revisions.html",
        context! { selection, revisions, ..admin_base(&state, &editor.lang, Some(&editor)) },
    )
}

#[derive(Debug, Deserialize)]
pub struct RestoreForm {
    version: i64,
}

/// `POST /admin/selections/{id}/revisions/{version}/restore`.
pub async fn restore(
    State(state): State<AppState>,
    Path((id, version)): Path<(i64, i64)>,
    posted: Posted<RestoreForm>,
) -> Reply {
    let editor = &posted.editor;
    match state
        .store
        .restore_revision(id, version, Some(editor.id()), posted.form.version)
        .await
    {
        Ok(_) => Ok(back(id, "restored")),
        Err(StoreError::Conflict(_)) => Ok(back(id, "conflict")),
        Err(StoreError::NotFound(_)) => Err(refuse(
            &state,
            &editor.lang,
            StatusCode::NOT_FOUND,
            "admin.error.not_found",
        )),
        Err(error) => Err(internal(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::video_identifier;

    #[test]
    fn identifiers_are_found_in_watch_urls() {
        let uuid = "0a0e0b7c-1d2e-4f30-8a41-000000000001";
        assert_eq!(
            video_identifier(&format!("https://v.example/videos/watch/{uuid}?start=3")),
            Some(uuid.to_owned())
        );
        assert_eq!(
            video_identifier("https://v.example/w/aaaaaaaaaaaaaaaaaaaaa1"),
            Some("aaaaaaaaaaaaaaaaaaaaa1".to_owned())
        );
        assert_eq!(video_identifier(uuid), Some(uuid.to_owned()));
        assert_eq!(video_identifier("https://v.example/about"), None);
    }
}
