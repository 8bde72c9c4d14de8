//! Non-API answers: images, the embed and watch pages, robots.txt and the fallback.

use axum::extract::rejection::PathRejection;
use axum::extract::{OriginalUri, Path};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Inst;
use super::meta::identity;
use crate::content::VideoState;
use crate::ids::{ItemId, Kind, parse_item_id, parse_uuid};
use crate::images;
use crate::problem::Problem;

fn with_type(mut response: Response, content_type: &'static str) -> Response {
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
<meta property=\"og:title\" content=\"{}\"></head><body>{body}</body></html>\n",
        escape(title),
        escape(title)
    );
    with_type((status, page).into_response(), "text/html; charset=utf-8")
}

/// `GET /lazy-static/{thumbnails|previews|avatars|banners}/{uuid}.png`.
pub(crate) async fn image(
    inst: Inst,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let not_found = || {
        with_type(
            (StatusCode::NOT_FOUND, "Not Found").into_response(),
            "text/plain; charset=utf-8",
        )
    };
    let Ok(Path((family, file))) = path else {
        return not_found();
    };
    let stem = file.strip_suffix(".png").unwrap_or(&file);
    let stem = stem.strip_prefix("playlist-").unwrap_or(stem);
    let Some(decoded) = parse_uuid(stem).and_then(|u| inst.shared.codec.decode(u)) else {
        return not_found();
    };
    let (width, height, play) = match (family.as_str(), decoded.kind) {
        ("thumbnails", Kind::Thumbnail | Kind::PlaylistThumbnail) => (280, 157, true),
        ("previews", Kind::Preview) => (850, 480, true),
        ("avatars", Kind::AccountAvatar | Kind::ChannelAvatar) => {
            let side = [48, 120, 600]
                .get(usize::from(decoded.variant))
                .copied()
                .unwrap_or(120);
            (side, side, false)
        }
        ("banners", Kind::ChannelBanner) => (1920, 317, false),
        _ => return not_found(),
    };
    if decoded.instance >= inst.shared.instances.len() {
        return not_found();
    }
    let seed = inst.shared.seed;
    let key = crate::mix::mix64(
        decoded.instance as u64 ^ (decoded.index << 8) ^ ((decoded.kind as u64) << 60),
    );
    let png = tokio::task::spawn_blocking(move || images::png(seed, key, width, height, play))
        .await
        .unwrap_or_default();
    let mut response = with_type((StatusCode::OK, png).into_response(), "image/png");
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=7200"),
    );
    response
}

/// The title of a local video named by id, UUID or short UUID.
fn video_title(inst: &Inst, id: &str) -> Option<(String, String)> {
    let uuid = match parse_item_id(id) {
        ItemId::Uuid(u) => u,
        ItemId::Numeric(n) if n >= 1 => {
            let state = inst.state();
            let k = n - 1;
            let st = {
                let overlay = state.overlay();
                overlay
                    .exists(&state.spec, k)
                    .then(|| overlay.state(&state.spec, k))?
            };
            let video = inst.generator().video(k, &st);
            return Some((video.name, video.uuid));
        }
        _ => return None,
    };
    let decoded = inst.shared.codec.decode(uuid)?;
    if decoded.kind != Kind::Video || decoded.instance != inst.index {
        return None;
    }
    let state = inst.state();
    let st: VideoState = {
        let overlay = state.overlay();
        overlay
            .exists(&state.spec, decoded.index)
            .then(|| overlay.state(&state.spec, decoded.index))?
    };
    let video = inst.generator().video(decoded.index, &st);
    Some((video.name, video.uuid))
}

/// `GET /videos/embed/{id}`: a minimal player page.
pub(crate) async fn embed(inst: Inst, path: Result<Path<String>, PathRejection>) -> Response {
    let id = path.map(|Path(id)| id).unwrap_or_default();
    match video_title(&inst, &id) {
        Some((title, uuid)) => html(
            StatusCode::OK,
            &title,
            &format!(
                "<div id=\"video-wrapper\"><video controls poster=\"/lazy-static/previews/{uuid}.png\"></video></div>"
            ),
        ),
        None => html(
            StatusCode::NOT_FOUND,
            "Video not found",
            "<p>This video does not exist.</p>",
        ),
    }
}

/// `GET /w/{shortUUID}` and `GET /videos/watch/{uuid}`: the watch page.
pub(crate) async fn watch(inst: Inst, path: Result<Path<String>, PathRejection>) -> Response {
    let id = path.map(|Path(id)| id).unwrap_or_default();
    let (site, _, _) = identity(&inst);
    match video_title(&inst, &id) {
        Some((title, uuid)) => html(
            StatusCode::OK,
            &format!("{title} - {site}"),
            &format!(
                "<h1>{}</h1><iframe src=\"/videos/embed/{uuid}\" allowfullscreen></iframe>",
                escape(&title)
            ),
        ),
        None => html(StatusCode::NOT_FOUND, &site, "<p>Video not found.</p>"),
    }
}

pub(crate) async fn robots() -> Response {
    let mut response = with_type(
        (StatusCode::OK, "User-agent: *\nDisallow:\n").into_response(),
        "text/plain; charset=utf-8",
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=7200"),
    );
    response
}

/// Unknown API routes answer a 404 problem; client routes the (tiny) web client; others 404.
pub(crate) async fn fallback(inst: Inst, OriginalUri(uri): OriginalUri) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") {
        return Problem::not_found("Not found").into_response();
    }
    let client = [
        "/a/",
        "/c/",
        "/p/",
        "/accounts/",
        "/video-channels/",
        "/video-playlists/",
        "/about",
        "/videos/",
    ];
    let (site, short, _) = identity(&inst);
    if path == "/" || client.iter().any(|prefix| path.starts_with(prefix)) {
        return html(StatusCode::OK, &site, &format!("<p>{}</p>", escape(&short)));
    }
    html(StatusCode::NOT_FOUND, "Not Found", "<p>Not found.</p>")
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<script>\"'&"), "&lt;script&gt;&quot;&#39;&amp;");
    }
}
