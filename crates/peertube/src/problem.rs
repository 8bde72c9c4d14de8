//! The `application/problem+json` error document (RFC 7807) PeerTube sends with 4xx/5xx answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::shorten;
use crate::lenient::{lenient, lenient_object};

/// A PeerTube problem document. Every field is optional and untrusted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// Problem type URI (`about:blank` on PeerTube).
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub problem_type: Option<String>,
    /// Short summary, e.g. `Bad Request`.
    #[serde(default, deserialize_with = "lenient")]
    pub title: Option<String>,
    /// HTTP status repeated in the body.
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<u16>,
    /// Human-readable explanation.
    #[serde(default, deserialize_with = "lenient")]
    pub detail: Option<String>,
    /// The request path that failed.
    #[serde(default, deserialize_with = "lenient")]
    pub instance: Option<String>,
    /// PeerTube error code such as `video_not_found` (recent versions).
    #[serde(default, deserialize_with = "lenient")]
    pub code: Option<String>,
    /// Link to the API documentation of the endpoint.
    #[serde(default, deserialize_with = "lenient")]
    pub docs: Option<String>,
    /// Legacy `error` message, same as `detail`.
    #[serde(default, deserialize_with = "lenient")]
    pub error: Option<String>,
    /// Per-parameter validation errors, kept as loose JSON.
    #[serde(
        rename = "invalid-params",
        default,
        deserialize_with = "lenient_object"
    )]
    pub invalid_params: Option<Value>,
}

impl Problem {
    /// `title: detail` (or `title: error`), shortened, for logs and stored reasons.
    pub fn summary(&self) -> String {
        let title = self.title.as_deref().map(str::trim).unwrap_or_default();
        let detail = self
            .detail
            .as_deref()
            .or(self.error.as_deref())
            .map(str::trim)
            .unwrap_or_default();
        let text = match (title.is_empty(), detail.is_empty()) {
            (false, false) if detail != title => format!("{title}: {detail}"),
            (false, _) => title.to_owned(),
            (true, false) => detail.to_owned(),
            (true, true) => String::new(),
        };
        shorten(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_6_3_error_fixtures() {
        let count: Problem = serde_json::from_str(include_str!(
            "../tests/fixtures/6.3.0/error-count-too-large.json"
        ))
        .unwrap();
        assert_eq!(count.status, Some(400));
        assert_eq!(count.problem_type.as_deref(), Some("about:blank"));
        assert_eq!(count.instance.as_deref(), Some("/api/v1/videos?count=500"));
        assert_eq!(
            count.summary(),
            "Bad Request: Incorrect request parameters: count"
        );
        assert!(count.invalid_params.unwrap()["count"].is_object());

        let filter: Problem = serde_json::from_str(include_str!(
            "../tests/fixtures/6.3.0/error-filter-param.json"
        ))
        .unwrap();
        assert!(filter.detail.unwrap().contains("isLocal"));
        assert_eq!(filter.instance, None);

        let missing: Problem = serde_json::from_str(include_str!(
            "../tests/fixtures/6.3.0/error-video-not-found.json"
        ))
        .unwrap();
        assert!(missing.docs.unwrap().contains("getVideo"));
    }

    #[test]
    fn newer_problems_carry_a_code() {
        let problem: Problem = serde_json::from_str(
            r#"{"type": "https://docs.joinpeertube.org/api-rest-reference.html#section/Errors/video_not_found",
                "title": "Not Found", "status": 404, "detail": "Video not found",
                "code": "video_not_found"}"#,
        )
        .unwrap();
        assert_eq!(problem.code.as_deref(), Some("video_not_found"));
        assert_eq!(problem.summary(), "Not Found: Video not found");
    }

    #[test]
    fn junk_problems_decode_to_empty() {
        let problem: Problem =
            serde_json::from_str(r#"{"title": ["x"], "status": "400", "detail": null}"#).unwrap();
        assert_eq!(problem, Problem::default());
        assert_eq!(problem.summary(), "");
    }
}
