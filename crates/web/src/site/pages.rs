//! The home, about, video and instance pages.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use index::{NsfwFilter, SearchResults, VideoQuery, VideoSort, VideoSummary};
use minijinja::context;
use store::{InstanceStatus, NsfwPolicy, Paging, PublicOrder};

use super::context::{Lang, base, message};
use super::error::PageError;
use super::page;
use crate::state::AppState;

/// How many cards a row of the home page shows.
const HOME_CARDS: usize = 8;

/// Searches off the async threads (Tantivy searches are CPU work).
pub(super) async fn search_videos(
    state: &AppState,
    lang: &Lang,
    query: VideoQuery,
) -> Result<SearchResults<VideoSummary>, PageError> {
    let searcher = state.searcher.clone();
    tokio::task::spawn_blocking(move || searcher.search_videos(&query))
        .await
        .map_err(|error| PageError::internal(lang, error))?
        .map_err(|error| PageError::internal(lang, error))
}

/// The site's NSFW policy, and the search filter it implies.
pub(super) async fn nsfw_policy(
    state: &AppState,
    lang: &Lang,
) -> Result<(NsfwPolicy, NsfwFilter), PageError> {
    let policy = state
        .store
        .nsfw_policy_site()
        .await
        .map_err(|error| PageError::internal(lang, error))?;
    let filter = match policy {
        NsfwPolicy::Hide => NsfwFilter::Hide,
        NsfwPolicy::Blur | NsfwPolicy::Show => NsfwFilter::Both,
    };
    Ok((policy, filter))
}

/// `/{lang}/`: featured and latest selections, themes, the newest videos.
pub async fn home(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let internal = |error: store::StoreError| PageError::internal(&lang, error);
    let featured = state
        .store
        .published_selections(None, PublicOrder::FeaturedFirst, Paging::page(1, 3))
        .await
        .map_err(internal)?;
    let latest = state
        .store
        .published_selections(None, PublicOrder::Latest, Paging::page(1, 6))
        .await
        .map_err(internal)?;
    let themes = state.store.list_themes().await.map_err(internal)?;
    let (policy, nsfw) = nsfw_policy(&state, &lang).await?;
    let newest = search_videos(
        &state,
        &lang,
        VideoQuery {
            sort: VideoSort::PublishedAt(index::Direction::Desc),
            count: HOME_CARDS,
            nsfw,
            ..VideoQuery::default()
        },
    )
    .await?;
    let videos: Vec<&VideoSummary> = newest.hits.iter().map(|hit| &hit.item).collect();
    page(
        &state,
        &lang,
        &headers,
        "home.html",
        context! {
            featured => featured.items,
            latest => latest.items,
            themes,
            videos,
            video_total => newest.total,
            nsfw_policy => policy.as_str(),
            ..base(&state, &lang),
        },
    )
}

/// `/{lang}/about`: the editorial charter, as editors wrote it.
pub async fn about(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let text = state
        .store
        .about_text(&lang.code)
        .await
        .map_err(|error| PageError::internal(&lang, error))?;
    page(
        &state,
        &lang,
        &headers,
        "about.html",
        context! { text, title => message(&state, &lang, "about.title"), ..base(&state, &lang) },
    )
}

/// `/{lang}/videos/{uuid}`: a video, its description, the selections it is
/// in, related videos, and the embed loaded only when asked.
pub async fn video(
    State(state): State<AppState>,
    lang: Lang,
    Path((_, uuid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let internal = |error: store::StoreError| PageError::internal(&lang, error);
    let searcher = state.searcher.clone();
    let key = uuid.clone();
    let summary = tokio::task::spawn_blocking(move || searcher.video_by_uuid(&key))
        .await
        .map_err(|error| PageError::internal(&lang, error))?
        .map_err(|error| PageError::internal(&lang, error))?;
    let (Some(summary), Some(stored)) = (
        summary,
        state.store.video_by_uuid(&uuid).await.map_err(internal)?,
    ) else {
        return Err(PageError::not_found(lang.code));
    };
    let (policy, nsfw) = nsfw_policy(&state, &lang).await?;
    if summary.nsfw && policy == NsfwPolicy::Hide {
        return Err(PageError::not_found(lang.code));
    }
    let selections = state
        .store
        .published_selections_of_video(summary.id)
        .await
        .map_err(internal)?;
    let searcher = state.searcher.clone();
    let id = summary.id;
    let related_query = VideoQuery {
        count: 8,
        nsfw,
        ..VideoQuery::default()
    };
    let related = tokio::task::spawn_blocking(move || searcher.related_videos(id, &related_query))
        .await
        .map_err(|error| PageError::internal(&lang, error))?
        .map_err(|error| PageError::internal(&lang, error))?;
    let related: Vec<&VideoSummary> = related.iter().map(|hit| &hit.item).collect();
    let embed_url = summary
        .embed_path
        .as_deref()
        .map(|path| summary.origin_url(path));
    page(
        &state,
        &lang,
        &headers,
        "video.html",
        context! {
            title => summary.name.clone(),
            description => summary.truncated_description.clone(),
            og_image => format!("/media/thumbnails/{}", summary.id),
            og_type => "video.other",
            video => summary,
            description => stored.description.or(stored.truncated_description),
            support => stored.support,
            embed_url,
            selections,
            related,
            nsfw_policy => policy.as_str(),
            ..base(&state, &lang),
        },
    )
}

/// `/{lang}/instances`: the directory of indexed instances.
pub async fn instances(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let instances = state
        .store
        .list_instances(Some(InstanceStatus::Approved))
        .await
        .map_err(|error| PageError::internal(&lang, error))?;
    let counts = search_videos(
        &state,
        &lang,
        VideoQuery {
            count: 0,
            nsfw: NsfwFilter::Both,
            with_facets: true,
            ..VideoQuery::default()
        },
    )
    .await?
    .facets
    .unwrap_or_default()
    .hosts;
    let mut directory: Vec<minijinja::Value> = instances
        .iter()
        .map(|instance| {
            context! {
                instance,
                indexed => counts.get(&instance.host).copied().unwrap_or(0),
            }
        })
        .collect();
    directory.sort_by_key(|entry| {
        std::cmp::Reverse(
            entry
                .get_attr("indexed")
                .ok()
                .and_then(|value| u64::try_from(value).ok())
                .unwrap_or(0),
        )
    });
    page(
        &state,
        &lang,
        &headers,
        "instances.html",
        context! { instances => directory, title => message(&state, &lang, "instances.title"), ..base(&state, &lang) },
    )
}

/// `/{lang}/instances/{host}`: one instance and its newest videos.
pub async fn instance(
    State(state): State<AppState>,
    lang: Lang,
    Path((_, host)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let instance = state
        .store
        .instance_by_host(&host)
        .await
        .map_err(|error| PageError::internal(&lang, error))?
        .filter(|instance| instance.status == InstanceStatus::Approved);
    let Some(instance) = instance else {
        return Err(PageError::not_found(lang.code));
    };
    let (policy, nsfw) = nsfw_policy(&state, &lang).await?;
    let videos = search_videos(
        &state,
        &lang,
        VideoQuery {
            host: Some(instance.host.clone()),
            sort: VideoSort::PublishedAt(index::Direction::Desc),
            count: 24,
            nsfw,
            ..VideoQuery::default()
        },
    )
    .await?;
    let cards: Vec<&VideoSummary> = videos.hits.iter().map(|hit| &hit.item).collect();
    page(
        &state,
        &lang,
        &headers,
        "instance.html",
        context! {
            title => instance.name.clone().unwrap_or_else(|| instance.host.clone()),
            description => instance.short_description.clone(),
            instance,
            videos => cards,
            video_total => videos.total,
            nsfw_policy => policy.as_str(),
            ..base(&state, &lang),
        },
    )
}
