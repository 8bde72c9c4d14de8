//! Static assets (CSS, scripts, icons) under content-hashed URLs, cached for a year.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "../../assets/"]
struct AssetFiles;

/// One asset: its bytes, type and the hash in its URL.
struct Asset {
    bytes: Vec<u8>,
    content_type: &'static str,
    hash: String,
}

/// Every asset, loaded once at start-up.
pub struct Assets {
    files: HashMap<String, Asset>,
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

impl Assets {
    pub fn load() -> Self {
        let files = AssetFiles::iter()
            .filter_map(|name| {
                let file = AssetFiles::get(&name)?;
                let bytes = file.data.into_owned();
                let hash = format!("{:x}", Sha256::digest(&bytes))[..12].to_owned();
                let asset = Asset {
                    content_type: content_type(&name),
                    bytes,
                    hash,
                };
                Some((name.into_owned(), asset))
            })
            .collect();
        Self { files }
    }

    /// The URL of an asset, with its content hash: `/assets/<hash>/<name>`.
    pub fn url(&self, name: &str) -> Option<String> {
        self.files
            .get(name)
            .map(|asset| format!("/assets/{}/{name}", asset.hash))
    }

    /// The bytes and type of an asset.
    pub fn get(&self, name: &str) -> Option<(&[u8], &'static str)> {
        self.files
            .get(name)
            .map(|asset| (asset.bytes.as_slice(), asset.content_type))
    }
}

/// `GET /assets/{hash}/{name}`: immutable when the hash is the current one;
/// an old hash still gets the current file, cached briefly.
pub async fn serve(
    State(state): State<AppState>,
    Path((hash, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(asset) = state.site.assets.files.get(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", asset.hash);
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| value.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let cache = if hash == asset.hash {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let mut response = asset.bytes.clone().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}
