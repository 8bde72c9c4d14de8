//! The crate's error type, and the decode error for bodies that are not the expected JSON.

use std::error::Error as StdError;
use std::time::Duration;

use reqwest::StatusCode;

use crate::problem::Problem;
use crate::ratelimit::RateLimit;

/// Longest message kept from a remote or parser error, in characters.
const MAX_MESSAGE_CHARS: usize = 200;

/// Why a body could not be decoded. Messages never quote the body's strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The body was empty (or only whitespace).
    #[error("empty body")]
    Empty,
    /// The body is not valid UTF-8.
    #[error("invalid UTF-8 after {valid_up_to} bytes")]
    InvalidUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
    },
    /// The body is not well-formed JSON (syntax error, truncation, nesting too deep).
    #[error("malformed JSON: {message}")]
    Syntax {
        /// Parser message with position, no excerpt.
        message: String,
    },
    /// Well-formed JSON of the wrong shape (an array for an object, a missing identity field...).
    #[error("unexpected JSON shape: {message}")]
    Shape {
        /// Parser message with position; quoted values are elided.
        message: String,
    },
}

impl DecodeError {
    /// Classifies a `serde_json` error, dropping any excerpt of the input.
    pub(crate) fn from_json(error: &serde_json::Error) -> Self {
        let message = sanitize(&error.to_string());
        match error.classify() {
            serde_json::error::Category::Data => Self::Shape { message },
            _ => Self::Syntax { message },
        }
    }
}

/// Everything that can go wrong talking to an instance, in terms a crawler
/// can store as the reason an instance failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The base URL is not an absolute http(s) URL with a host, or a path identifier is unusable.
    #[error("invalid URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// The request or the body read timed out.
    #[error("timed out: {}", describe(.0))]
    Timeout(#[source] reqwest::Error),
    /// DNS, TCP or TLS failure (also a refusal by the caller's address guard).
    #[error("cannot connect: {}", describe(.0))]
    Connect(#[source] reqwest::Error),
    /// A redirect was refused by the caller's redirect policy, or there were too many.
    #[error("redirect refused: {}", describe(.0))]
    Redirect(#[source] reqwest::Error),
    /// Any other HTTP-level failure (connection reset while reading, bad framing...).
    #[error("transport error: {}", describe(.0))]
    Transport(#[source] reqwest::Error),
    /// The body is larger than the configured cap; reading stopped there.
    #[error("answer larger than {limit} bytes")]
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// The answer has the wrong content type (e.g. an HTML page where JSON was expected).
    #[error("expected {expected}, got content type {content_type:?}")]
    WrongContentType {
        /// What was expected: `JSON` or `text/plain`.
        expected: &'static str,
        /// The `Content-Type` received (shortened), or `(none)`.
        content_type: String,
    },
    /// A non-2xx answer other than 429.
    #[error("HTTP {status}{}", problem_suffix(.problem.as_deref()))]
    Status {
        /// The status code.
        status: StatusCode,
        /// The `application/problem+json` body, if any.
        problem: Option<Box<Problem>>,
    },
    /// HTTP 429: the instance asks us to slow down.
    #[error("rate limited (HTTP 429){}", retry_suffix(*.retry_after))]
    RateLimited {
        /// How long to wait, from `Retry-After`.
        retry_after: Option<Duration>,
        /// The `X-RateLimit-*` headers of the answer.
        rate_limit: RateLimit,
        /// The problem body, if any.
        problem: Option<Box<Problem>>,
    },
    /// The body is not the JSON we expected.
    #[error("undecodable answer: {0}")]
    Decode(#[from] DecodeError),
    /// The server answers, but is not PeerTube (or not a usable one).
    #[error("not a PeerTube instance: {reason}")]
    NotPeerTube {
        /// Why we think so.
        reason: String,
    },
}

impl Error {
    /// A short stable code for the kind of failure, e.g. to store or count:
    /// `invalid_url`, `timeout`, `connect`, `redirect`, `transport`, `too_large`,
    /// `content_type`, `status`, `rate_limited`, `decode`, `not_peertube`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidUrl { .. } => "invalid_url",
            Self::Timeout(_) => "timeout",
            Self::Connect(_) => "connect",
            Self::Redirect(_) => "redirect",
            Self::Transport(_) => "transport",
            Self::TooLarge { .. } => "too_large",
            Self::WrongContentType { .. } => "content_type",
            Self::Status { .. } => "status",
            Self::RateLimited { .. } => "rate_limited",
            Self::Decode(_) => "decode",
            Self::NotPeerTube { .. } => "not_peertube",
        }
    }

    /// The HTTP status, for `Status` and `RateLimited`.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            _ => None,
        }
    }

    /// The parsed problem document, if the instance sent one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Status { problem, .. } | Self::RateLimited { problem, .. } => problem.as_deref(),
            _ => None,
        }
    }

    /// How long the instance asked us to wait (429 only).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether trying again later may succeed: timeouts, connection and
    /// transport failures, 429, and 5xx answers.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout(_) | Self::Connect(_) | Self::Transport(_) | Self::RateLimited { .. } => {
                true
            }
            Self::Status { status, .. } => status.is_server_error(),
            _ => false,
        }
    }

    /// Maps a `reqwest` failure to the matching variant.
    pub(crate) fn from_reqwest(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout(error)
        } else if error.is_connect() {
            Self::Connect(error)
        } else if error.is_redirect() {
            Self::Redirect(error)
        } else {
            Self::Transport(error)
        }
    }
}

/// The error and its sources, joined with `: `, without repeats or the URL
/// (the caller knows it), shortened.
fn describe(error: &reqwest::Error) -> String {
    let mut top = error.to_string();
    if let Some(url) = error.url() {
        top = top.replace(&format!(" for url ({url})"), "");
    }
    let mut parts: Vec<String> = vec![top];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    shorten(&parts.join(": "))
}

fn problem_suffix(problem: Option<&Problem>) -> String {
    problem
        .map(Problem::summary)
        .filter(|s| !s.is_empty())
        .map(|s| format!(": {s}"))
        .unwrap_or_default()
}

fn retry_suffix(retry_after: Option<Duration>) -> String {
    retry_after
        .map(|d| format!(", retry after {} s", d.as_secs()))
        .unwrap_or_default()
}

/// Replaces the content of double-quoted strings with `…` and shortens the
/// result, so a message never carries more than a character of remote data.
pub(crate) fn sanitize(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_MESSAGE_CHARS));
    let mut in_quote = false;
    let mut escaped = false;
    for c in message.chars() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quote = false;
                out.push_str("…\"");
            }
        } else {
            if c == '"' {
                in_quote = true;
            }
            out.push(c);
        }
    }
    if in_quote {
        out.push_str("…\"");
    }
    shorten(&out)
}

/// Cuts `text` to [`MAX_MESSAGE_CHARS`] characters and drops control characters.
pub(crate) fn shorten(text: &str) -> String {
    let mut out: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_MESSAGE_CHARS)
        .collect();
    if text
        .chars()
        .filter(|c| !c.is_control())
        .nth(MAX_MESSAGE_CHARS)
        .is_some()
    {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_elides_quoted_values() {
        assert_eq!(
            sanitize(r#"invalid type: string "<script>alert(1)</script>", expected u64 at line 1"#),
            r#"invalid type: string "…", expected u64 at line 1"#
        );
        assert_eq!(
            sanitize(r#"invalid type: string "a\"b", expected x"#),
            r#"invalid type: string "…", expected x"#
        );
        assert_eq!(sanitize(r#"open "quote"#), r#"open "…""#);
    }

    #[test]
    fn shorten_caps_length_and_strips_controls() {
        let long = "x".repeat(1000);
        assert_eq!(shorten(&long).chars().count(), MAX_MESSAGE_CHARS + 1);
        assert_eq!(shorten("a\nb\u{7}c"), "abc");
    }

    #[test]
    fn json_errors_are_classified_without_excerpts() {
        let syntax = serde_json::from_str::<serde_json::Value>("{nope").unwrap_err();
        assert!(matches!(
            DecodeError::from_json(&syntax),
            DecodeError::Syntax { .. }
        ));
        let shape = serde_json::from_str::<u64>(r#""secret payload""#).unwrap_err();
        let decoded = DecodeError::from_json(&shape);
        assert!(matches!(decoded, DecodeError::Shape { .. }));
        assert!(!decoded.to_string().contains("secret"), "{decoded}");
    }

    #[test]
    fn status_errors_show_the_problem() {
        let error = Error::Status {
            status: StatusCode::BAD_REQUEST,
            problem: Some(Box::new(Problem {
                title: Some("Bad Request".into()),
                detail: Some("Incorrect request parameters: count".into()),
                ..Problem::default()
            })),
        };
        assert_eq!(
            error.to_string(),
            "HTTP 400 Bad Request: Bad Request: Incorrect request parameters: count"
        );
        assert_eq!(error.code(), "status");
        assert!(!error.is_transient());
        let limited = Error::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
            rate_limit: RateLimit::default(),
            problem: None,
        };
        assert_eq!(
            limited.to_string(),
            "rate limited (HTTP 429), retry after 7 s"
        );
        assert!(limited.is_transient());
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));
    }
}
