//! The crawler's settings, with polite defaults.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `[crawler]` settings. Durations are in seconds in the file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrawlerConfig {
    /// Requests per second to one host (`0` means no limit). PeerTube's default
    /// limit is 50 per 10 s; 1 per second stays well under it.
    pub requests_per_second: f64,
    /// Requests in flight to one host at a time.
    pub concurrency_per_host: usize,
    /// Requests in flight over all hosts.
    pub global_concurrency: usize,
    /// Instances crawled at the same time.
    pub parallel_instances: usize,
    /// Lets the crawler reach loopback and private addresses (never
    /// link-local, multicast or unspecified ones). Development and tests only.
    pub allow_private_addresses: bool,
    /// Like `allow_private_addresses`, but for loopback only (tests and demo).
    pub allow_loopback: bool,
    pub connect_timeout_secs: u64,
    /// Limit for a whole request, body included.
    pub request_timeout_secs: u64,
    /// Largest JSON answer read.
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    /// Time between incremental passes of an instance.
    pub incremental_interval_secs: u64,
    /// Time between full sweeps (counters, edits, deletions). Sweeps also
    /// read the instance's identity, robots.txt and followings again;
    /// incremental passes read only the newest videos.
    pub sweep_interval_secs: u64,
    /// Retries of a request after a transient failure or a 429.
    pub retries: u32,
    /// Longest wait honoured from `Retry-After`.
    pub max_retry_after_secs: u64,
    /// Longest back-off of a failing instance.
    pub max_backoff_secs: u64,
    /// Consecutive failures (over at least `dead_after_secs`) that mark an instance dead.
    pub dead_after_failures: i64,
    pub dead_after_secs: u64,
    /// Hosts that crawled instances follow become pending candidates for admins.
    pub discover_followings: bool,
    /// How long a worker's claim on an instance lasts without renewal (it is
    /// renewed every third of it while the crawl runs): after a worker dies,
    /// its instances are taken over by another worker within this time.
    pub lease_secs: u64,
    /// Identifies Florilège to instance admins.
    pub user_agent: String,
}

impl Default for CrawlerConfig {
    fn default() -> Self {
        Self {
            requests_per_second: 1.0,
            concurrency_per_host: 1,
            global_concurrency: 32,
            parallel_instances: 16,
            allow_private_addresses: false,
            allow_loopback: false,
            connect_timeout_secs: 10,
            request_timeout_secs: 30,
            max_body_bytes: peertube::DEFAULT_MAX_BODY_BYTES,
            max_redirects: 3,
            incremental_interval_secs: 3600,
            sweep_interval_secs: 24 * 3600,
            retries: 2,
            max_retry_after_secs: 600,
            max_backoff_secs: 24 * 3600,
            dead_after_failures: 10,
            dead_after_secs: 7 * 24 * 3600,
            discover_followings: true,
            lease_secs: 60,
            user_agent: concat!(
                "Florilege/",
                env!("CARGO_PKG_VERSION"),
                " (PeerTube showcase crawler; +https://florilege.example/about)"
            )
            .into(),
        }
    }
}

impl CrawlerConfig {
    /// Settings for tests and benchmarks on loopback: no politeness delays, short timeouts.
    pub fn for_loopback_tests() -> Self {
        Self {
            requests_per_second: 0.0,
            concurrency_per_host: 4,
            allow_loopback: true,
            connect_timeout_secs: 2,
            request_timeout_secs: 5,
            retries: 1,
            max_retry_after_secs: 2,
            ..Self::default()
        }
    }

    /// The crawl lease's length, between 1 s and a day.
    pub(crate) fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs.clamp(1, 24 * 3600))
    }

    pub(crate) fn min_interval(&self) -> Option<Duration> {
        (self.requests_per_second > 0.0)
            .then(|| Duration::from_secs_f64(1.0 / self.requests_per_second))
    }
}
