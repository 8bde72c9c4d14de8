//! PeerTube's API rate limit (express-rate-limit): a fixed window per client IP.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::state::lock;

/// Per-IP windows of one instance.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: Mutex<HashMap<IpAddr, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    hits: u32,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decision {
    pub(crate) allowed: bool,
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Unix time (seconds) when the window resets.
    pub(crate) reset_epoch: u64,
    /// Whole seconds until the window resets (at least 1).
    pub(crate) retry_after: u64,
}

impl RateLimiter {
    /// Counts a request from `ip` against `max` per `window`.
    pub(crate) fn hit(&self, ip: IpAddr, max: u32, window: Duration) -> Decision {
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        if windows.len() > 10_000 {
            windows.retain(|_, w| now.duration_since(w.started) < window);
        }
        let entry = windows.entry(ip).or_insert(Window {
            started: now,
            hits: 0,
        });
        if now.duration_since(entry.started) >= window {
            *entry = Window {
                started: now,
                hits: 0,
            };
        }
        entry.hits = entry.hits.saturating_add(1);
        let left = window.saturating_sub(now.duration_since(entry.started));
        let epoch_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Decision {
            allowed: entry.hits <= max,
            limit: max,
            remaining: max.saturating_sub(entry.hits),
            reset_epoch: (epoch_now + left).as_secs_f64().ceil() as u64,
            retry_after: left.as_secs_f64().ceil().max(1.0) as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_pass_then_refused_until_the_window_ends() {
        let limiter = RateLimiter::default();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for i in 0..50 {
            let d = limiter.hit(ip, 50, Duration::from_secs(10));
            assert!(d.allowed, "request {i}");
            assert_eq!(d.remaining, 49 - i);
        }
        let refused = limiter.hit(ip, 50, Duration::from_secs(10));
        assert!(!refused.allowed);
        assert!((1..=10).contains(&refused.retry_after));
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(limiter.hit(other, 50, Duration::from_secs(10)).allowed);
        let short = RateLimiter::default();
        assert!(short.hit(ip, 1, Duration::from_millis(1)).allowed);
        std::thread::sleep(Duration::from_millis(5));
        assert!(short.hit(ip, 1, Duration::from_millis(1)).allowed);
    }
}
