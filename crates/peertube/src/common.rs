//! Small shared models (actor images, thumbnails, id/label constants) and URL helpers.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::lenient::{lenient, lenient_object};

/// An avatar or banner of an account, a channel or the instance.
///
/// `fileUrl` is sent from PeerTube 7.1 on; `path` (relative to the instance)
/// before that; `url` by some versions. All fields are optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorImage {
    /// Path on the instance, e.g. `/lazy-static/avatars/x.png` (deprecated in 7.1).
    #[serde(default, deserialize_with = "lenient")]
    pub path: Option<String>,
    /// Absolute URL of the file (7.1+).
    #[serde(default, deserialize_with = "lenient")]
    pub file_url: Option<String>,
    /// Absolute URL, sent by some versions.
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
    /// Width in pixels.
    #[serde(default, deserialize_with = "lenient")]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(default, deserialize_with = "lenient")]
    pub height: Option<u32>,
    /// When the image was created.
    #[serde(default, deserialize_with = "lenient")]
    pub created_at: Option<DateTime<Utc>>,
    /// When the image was last updated.
    #[serde(default, deserialize_with = "lenient")]
    pub updated_at: Option<DateTime<Utc>>,
}

impl ActorImage {
    /// The image's absolute URL: `fileUrl`, else `url` (any http(s) host),
    /// else `path` resolved on `base` (same origin only).
    pub fn absolute_url(&self, base: &Url) -> Option<Url> {
        self.file_url
            .as_deref()
            .and_then(absolute_http_url)
            .or_else(|| self.url.as_deref().and_then(absolute_http_url))
            .or_else(|| self.path.as_deref().and_then(|p| resolve_path(base, p)))
    }
}

/// Picks the widest image of a list (e.g. the best avatar), if any.
pub fn largest_image(images: &[ActorImage]) -> Option<&ActorImage> {
    images.iter().max_by_key(|image| image.width.unwrap_or(0))
}

/// A video or playlist thumbnail of PeerTube 8.1+ (`thumbnails[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thumbnail {
    /// Width in pixels.
    #[serde(default, deserialize_with = "lenient")]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(default, deserialize_with = "lenient")]
    pub height: Option<u32>,
    /// Aspect ratio label such as `16:9`.
    #[serde(default, deserialize_with = "lenient")]
    pub aspect_ratio: Option<String>,
    /// Absolute URL of the file; required (a thumbnail without it is dropped).
    pub file_url: String,
}

/// An id/label pair such as a video's category, licence, language or privacy.
///
/// The id is `null` when unset (the label is then e.g. `Unknown`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct VideoConstant<T> {
    /// The id: a number for category, licence and privacy, a string for language.
    #[serde(default, deserialize_with = "lenient_object")]
    pub id: Option<T>,
    /// The label in the instance's default language.
    #[serde(default, deserialize_with = "lenient")]
    pub label: Option<String>,
}

impl<T> Default for VideoConstant<T> {
    fn default() -> Self {
        Self {
            id: None,
            label: None,
        }
    }
}

/// Parses `raw` as an absolute `http`/`https` URL; anything else gives `None`.
pub fn absolute_http_url(raw: &str) -> Option<Url> {
    let url = Url::parse(raw.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host().is_some()).then_some(url)
}

/// Resolves a server-relative path (`/lazy-static/...`) on `base`.
///
/// Refuses anything that would leave `base`'s origin: absolute URLs,
/// scheme-relative `//host` paths, backslash tricks.
pub fn resolve_path(base: &Url, path: &str) -> Option<Url> {
    if !path.starts_with('/') || path.starts_with("//") || path.contains('\\') {
        return None;
    }
    let url = base.join(path).ok()?;
    (url.origin() == base.origin()).then_some(url)
}

/// The host of `url` written as PeerTube writes actor hosts: `host` or `host:port`
/// when the port is not the scheme's default.
pub fn host_of(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// Compares two PeerTube hosts, ignoring ASCII case.
pub(crate) fn same_host(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://video.example").unwrap()
    }

    #[test]
    fn resolves_relative_paths_on_the_same_origin_only() {
        let ok = resolve_path(&base(), "/lazy-static/avatars/a.png").unwrap();
        assert_eq!(
            ok.as_str(),
            "https://video.example/lazy-static/avatars/a.png"
        );
        for evil in [
            "//evil.example/x.png",
            "/\\evil.example/x.png",
            "https://evil.example/x.png",
            "javascript:alert(1)",
            "relative/path.png",
            "",
        ] {
            assert_eq!(resolve_path(&base(), evil), None, "{evil}");
        }
    }

    #[test]
    fn absolute_urls_must_be_http() {
        assert!(absolute_http_url("https://cdn.example/a.jpg").is_some());
        assert!(absolute_http_url("javascript:alert(1)").is_none());
        assert!(absolute_http_url("data:text/html,hi").is_none());
        assert!(absolute_http_url("/relative").is_none());
    }

    #[test]
    fn image_url_prefers_file_url_then_path() {
        let image = ActorImage {
            path: Some("/lazy-static/avatars/a.png".into()),
            file_url: Some("https://cdn.example/a.png".into()),
            ..ActorImage::default()
        };
        assert_eq!(
            image.absolute_url(&base()).unwrap().as_str(),
            "https://cdn.example/a.png"
        );
        let legacy = ActorImage {
            path: Some("/lazy-static/avatars/a.png".into()),
            file_url: Some("javascript:alert(1)".into()),
            ..ActorImage::default()
        };
        assert_eq!(
            legacy.absolute_url(&base()).unwrap().as_str(),
            "https://video.example/lazy-static/avatars/a.png"
        );
    }

    #[test]
    fn hosts_keep_non_default_ports() {
        let url = Url::parse("http://localhost:9001/x").unwrap();
        assert_eq!(host_of(&url).as_deref(), Some("localhost:9001"));
        assert_eq!(host_of(&base()).as_deref(), Some("video.example"));
        assert!(same_host("Video.Example", "video.example"));
    }

    #[test]
    fn constants_accept_null_ids() {
        let c: VideoConstant<u32> =
            serde_json::from_str(r#"{"id": null, "label": "Unknown"}"#).unwrap();
        assert_eq!(c.id, None);
        assert_eq!(c.label.as_deref(), Some("Unknown"));
        let lang: VideoConstant<String> =
            serde_json::from_str(r#"{"id": "fr", "label": "French"}"#).unwrap();
        assert_eq!(lang.id.as_deref(), Some("fr"));
        let wrong: VideoConstant<u32> = serde_json::from_str(r#"{"id": "x"}"#).unwrap();
        assert_eq!(wrong.id, None);
    }
}
