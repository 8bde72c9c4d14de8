//! Thumbnails and avatars from the local image cache: public pages never load an image from an instance.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use store::{avatar_source_url, image_file_path, image_source_url};

use crate::state::AppState;

/// Shown while an image is not cached (yet), or when an instance has none.
const PLACEHOLDER: &str = "placeholder.svg";

/// `GET /media/thumbnails/{video id}`.
pub async fn thumbnail(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let source = async {
        let video = state.store.video(id).await.ok()??;
        let instance = state.store.instance(video.instance_id).await.ok()??;
        image_source_url(&instance.base_url, video.thumbnail_path.as_deref()?)
    }
    .await;
    serve(&state, source, &headers).await
}

/// `GET /media/avatars/{channels|accounts}/{id}`.
pub async fn avatar(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Response {
    let source = async {
        let (instance_id, avatars) = match kind.as_str() {
            "channels" => {
                let channel = state.store.channel(id).await.ok()??;
                (channel.instance_id, channel.avatars)
            }
            "accounts" => {
                let account = state.store.account(id).await.ok()??;
                (account.instance_id, account.avatars)
            }
            _ => return None,
        };
        let instance = state.store.instance(instance_id).await.ok()??;
        avatar_source_url(&instance.base_url, &avatars)
    }
    .await;
    serve(&state, source, &headers).await
}

async fn serve(state: &AppState, source: Option<String>, headers: &HeaderMap) -> Response {
    let cached = match &source {
        Some(source) => state.store.cached_image(source).await.ok().flatten(),
        None => None,
    };
    let file = cached.and_then(|image| {
        let sha256 = image.sha256?;
        let path = image_file_path(&state.site.images_dir, &sha256)?;
        Some((path, image.content_type?, sha256))
    });
    let Some((path, content_type, sha256)) = file else {
        return placeholder(state);
    };
    let etag = format!("\"{}\"", &sha256[..20]);
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| value.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let Ok(bytes) = tokio::fs::read(&path).await else {
        return placeholder(state);
    };
    let mut response = bytes.into_response();
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        out.insert(header::CONTENT_TYPE, value);
    }
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    response
}

/// The placeholder, cached briefly so that the real image shows once fetched.
fn placeholder(state: &AppState) -> Response {
    let Some((bytes, content_type)) = state.site.assets.get(PLACEHOLDER) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = bytes.to_vec().into_response();
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
