//! Rate-limit information from `X-RateLimit-*` and `Retry-After` headers, so a crawler can be polite.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Epoch seconds below this are read as a delay rather than a date
/// (some rate limiters send `reset` as seconds from now).
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

/// What an instance said about its rate limit in one answer. Fields are
/// `None` when the header is absent or unreadable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window (`X-RateLimit-Limit`).
    pub limit: Option<u64>,
    /// Requests left in the window (`X-RateLimit-Remaining`).
    pub remaining: Option<u64>,
    /// When the window resets, in epoch seconds on PeerTube (`X-RateLimit-Reset`), as sent.
    pub reset: Option<u64>,
    /// How long to wait (`Retry-After`, seconds or HTTP date), as sent; callers should clamp it.
    pub retry_after: Option<Duration>,
}

impl RateLimit {
    /// Reads the headers, taking `now` to turn a `Retry-After` date into a delay.
    /// The unprefixed draft-standard `RateLimit-*` headers are read as a fallback.
    pub fn from_headers(headers: &HeaderMap, now: DateTime<Utc>) -> Self {
        let number =
            |names: [&str; 2]| names.into_iter().find_map(|name| header_u64(headers, name));
        Self {
            limit: number(["x-ratelimit-limit", "ratelimit-limit"]),
            remaining: number(["x-ratelimit-remaining", "ratelimit-remaining"]),
            reset: number(["x-ratelimit-reset", "ratelimit-reset"]),
            retry_after: headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now)),
        }
    }

    /// Whether the window is used up (`remaining == 0`).
    pub fn is_exhausted(&self) -> bool {
        self.remaining == Some(0)
    }

    /// Time until the window resets, reading small `reset` values as a delay
    /// and large ones as epoch seconds.
    pub fn reset_in(&self, now: DateTime<Utc>) -> Option<Duration> {
        let reset = self.reset?;
        if reset < EPOCH_THRESHOLD {
            return Some(Duration::from_secs(reset));
        }
        let now = u64::try_from(now.timestamp()).unwrap_or(0);
        Some(Duration::from_secs(reset.saturating_sub(now)))
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Parses a `Retry-After` value: delay seconds, or an HTTP date (a past date gives zero).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    let delay = date.with_timezone(&Utc) - now;
    Some(delay.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T20:36:32Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn reads_peertube_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("X-RateLimit-Limit", HeaderValue::from_static("50"));
        headers.insert("X-RateLimit-Remaining", HeaderValue::from_static("0"));
        headers.insert("X-RateLimit-Reset", HeaderValue::from_static("1795466199"));
        headers.insert("Retry-After", HeaderValue::from_static("7"));
        let limit = RateLimit::from_headers(&headers, now());
        assert_eq!(limit.limit, Some(50));
        assert_eq!(limit.remaining, Some(0));
        assert!(limit.is_exhausted());
        assert_eq!(limit.reset, Some(1_795_466_199));
        assert_eq!(limit.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(limit.reset_in(now()), Some(Duration::from_secs(7)));
    }

    #[test]
    fn retry_after_accepts_http_dates() {
        assert_eq!(
            parse_retry_after("Mon, 23 Nov 2026 20:36:42 GMT", now()),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Mon, 23 Nov 2026 20:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now()), None);
        assert_eq!(parse_retry_after("-5", now()), None);
    }

    #[test]
    fn absent_or_junk_headers_give_none() {
        let mut headers = HeaderMap::new();
        headers.insert("X-RateLimit-Limit", HeaderValue::from_static("many"));
        headers.insert("RateLimit-Remaining", HeaderValue::from_static("3"));
        headers.insert("RateLimit-Reset", HeaderValue::from_static("4"));
        let limit = RateLimit::from_headers(&headers, now());
        assert_eq!(limit.limit, None);
        assert_eq!(limit.remaining, Some(3));
        assert_eq!(limit.reset_in(now()), Some(Duration::from_secs(4)));
        assert_eq!(limit.retry_after, None);
    }
}
