//! The selection, theme and all-selections pages.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use index::video_summary;
use minijinja::context;
use serde::Deserialize;
use store::{NsfwPolicy, Paging, PublicOrder, Selection, SelectionStatus};

use super::context::{Lang, base, message};
use super::error::PageError;
use super::page;
use super::pages::nsfw_policy;
use crate::state::AppState;

/// Selections per page of the list.
const PER_PAGE: i64 = 24;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageNumber {
    page: i64,
}

/// `/{lang}/selections`: every published selection, latest first.
pub async fn list(
    State(state): State<AppState>,
    lang: Lang,
    Query(number): Query<PageNumber>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let number = number.page.max(1);
    let selections = state
        .store
        .published_selections(None, PublicOrder::Latest, Paging::page(number, PER_PAGE))
        .await
        .map_err(|error| PageError::internal(&lang, error))?;
    let last_page = (selections.total + PER_PAGE - 1) / PER_PAGE;
    page(
        &state,
        &lang,
        &headers,
        "selections.html",
        context! {
            title => message(&state, &lang, "selections.title"),
            selections => selections.items,
            page_number => number,
            last_page => last_page.max(1),
            ..base(&state, &lang),
        },
    )
}

/// The published selection of a slug; a 404 for any other.
pub(super) async fn published_selection(
    state: &AppState,
    lang: &Lang,
    slug: &str,
) -> Result<Selection, PageError> {
    state
        .store
        .selection_by_slug(slug)
        .await
        .map_err(|error| PageError::internal(lang, error))?
        .filter(|selection| selection.status == SelectionStatus::Published)
        .ok_or_else(|| PageError::not_found(lang.code.clone()))
}

/// `/{lang}/selections/{slug}`: a published selection and its visible videos, in order.
pub async fn show(
    State(state): State<AppState>,
    lang: Lang,
    Path((_, slug)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let internal = |error: store::StoreError| PageError::internal(&lang, error);
    let selection = published_selection(&state, &lang, &slug).await?;
    let (policy, _) = nsfw_policy(&state, &lang).await?;
    let public = state
        .store
        .public_items(selection.id)
        .await
        .map_err(internal)?;
    let cover = selection
        .cover_video_id
        .or_else(|| public.first().map(|item| item.video.video.id));
    let items: Vec<minijinja::Value> = public
        .iter()
        .filter(|item| !(item.video.video.nsfw && policy == NsfwPolicy::Hide))
        .map(|item| {
            context! {
                note => item.item.note,
                video => video_summary(&item.video),
            }
        })
        .collect();
    let themes = state
        .store
        .selection_themes(selection.id)
        .await
        .map_err(internal)?;
    page(
        &state,
        &lang,
        &headers,
        "selection.html",
        context! {
            title => selection.title.clone(),
            description => selection.summary.clone(),
            og_image => cover.map(|id| format!("/media/thumbnails/{id}")),
            selection,
            items,
            themes,
            nsfw_policy => policy.as_str(),
            ..base(&state, &lang),
        },
    )
}

/// `/{lang}/themes/{slug}`: the published selections of a theme.
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
            PublicOrder::FeaturedFirst,
            Paging::page(1, 100),
        )
        .await
        .map_err(internal)?;
    page(
        &state,
        &lang,
        &headers,
        "theme.html",
        context! { title => theme.name.clone(), theme, selections => selections.items, ..base(&state, &lang) },
    )
}
