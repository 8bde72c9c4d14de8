//! Reading answer bodies safely: content-type checks and a streamed read that stops at a size cap.

use reqwest::Response;
use reqwest::header::{CONTENT_TYPE, HeaderMap};

use crate::error::{Error, shorten};

/// The media type of an answer (`type/subtype`, lower case, parameters dropped).
pub(crate) fn media_type(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let essence = raw.split(';').next()?.trim().to_ascii_lowercase();
    (!essence.is_empty()).then_some(essence)
}

/// `application/json`, `application/problem+json` and other `application/*+json`.
pub(crate) fn is_json(media_type: &str) -> bool {
    media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}

/// The error for an answer whose content type is not the `expected` one.
pub(crate) fn wrong_content_type(headers: &HeaderMap, expected: &'static str) -> Error {
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| shorten(&String::from_utf8_lossy(v.as_bytes())))
        .unwrap_or_else(|| "(none)".to_owned());
    Error::WrongContentType {
        expected,
        content_type,
    }
}

/// Refuses an answer that is not JSON.
pub(crate) fn ensure_json(response: &Response) -> Result<(), Error> {
    match media_type(response.headers()) {
        Some(media) if is_json(&media) => Ok(()),
        _ => Err(wrong_content_type(response.headers(), "JSON")),
    }
}

/// Reads the body chunk by chunk and fails as soon as it passes `limit` bytes;
/// never buffers more than `limit`. A declared `Content-Length` above the limit
/// fails before reading anything.
pub(crate) async fn read_capped(response: &mut Response, limit: u64) -> Result<Vec<u8>, Error> {
    let too_large = || Error::TooLarge { limit };
    let declared = response.content_length();
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let initial = declared.unwrap_or(0).min(limit).min(64 * 1024);
    let mut body = Vec::with_capacity(usize::try_from(initial).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(Error::from_reqwest)? {
        let total = u64::try_from(body.len().saturating_add(chunk.len())).unwrap_or(u64::MAX);
        if total > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(content_type: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers
    }

    #[test]
    fn json_media_types() {
        for (raw, json) in [
            ("application/json; charset=utf-8", true),
            ("application/problem+json; charset=utf-8", true),
            (
                "application/json; charset=utf-8; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\"",
                true,
            ),
            ("Application/JSON", true),
            ("application/activity+json", true),
            ("text/html; charset=utf-8", false),
            ("text/json", false),
            ("application/jsonp", false),
        ] {
            let media = media_type(&headers(raw)).unwrap();
            assert_eq!(is_json(&media), json, "{raw}");
        }
        assert_eq!(media_type(&HeaderMap::new()), None);
    }

    #[test]
    fn wrong_content_type_names_it() {
        let error = wrong_content_type(&headers("text/html; charset=utf-8"), "JSON");
        assert_eq!(
            error.to_string(),
            "expected JSON, got content type \"text/html; charset=utf-8\""
        );
        let none = wrong_content_type(&HeaderMap::new(), "text/plain");
        assert_eq!(
            none.to_string(),
            "expected text/plain, got content type \"(none)\""
        );
    }
}
