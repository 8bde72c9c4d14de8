//! One instance's connection for a crawl: its client, its politeness gate, retries and request counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use peertube::{Client, Fetched};
use tokio::time::Instant;

use crate::config::CrawlerConfig;
use crate::gate::HostGate;

/// Requests to one instance, paced by its gate, retried when that is polite.
pub(crate) struct Session {
    pub(crate) client: Client,
    gate: Arc<HostGate>,
    config: Arc<CrawlerConfig>,
    pub(crate) requests: AtomicI64,
    pub(crate) errors: AtomicI64,
    pub(crate) latency_ms: AtomicI64,
}

impl Session {
    pub(crate) fn new(client: Client, gate: Arc<HostGate>, config: Arc<CrawlerConfig>) -> Self {
        Self {
            client,
            gate,
            config,
            requests: AtomicI64::new(0),
            errors: AtomicI64::new(0),
            latency_ms: AtomicI64::new(0),
        }
    }

    /// Sends a request through the gate. A 429 waits as the instance says
    /// (bounded) and a transient failure backs off, then it is retried at
    /// most `retries` times: never in a tight loop.
    pub(crate) async fn call<'a, T>(
        &'a self,
        request: impl Fn(&'a Client) -> BoxFuture<'a, Result<Fetched<T>, peertube::Error>>,
    ) -> Result<T, peertube::Error> {
        let mut attempt = 0;
        loop {
            let permit = self.gate.acquire().await;
            let started = Instant::now();
            let result = request(&self.client).await;
            drop(permit);
            self.requests.fetch_add(1, Ordering::Relaxed);
            let elapsed = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
            self.latency_ms.fetch_add(elapsed, Ordering::Relaxed);
            let error = match result {
                Ok(fetched) => {
                    self.gate.observe(&fetched.rate_limit);
                    return Ok(fetched.value);
                }
                Err(error) => error,
            };
            self.errors.fetch_add(1, Ordering::Relaxed);
            let max_wait = Duration::from_secs(self.config.max_retry_after_secs);
            let wait = match &error {
                peertube::Error::RateLimited { retry_after, .. } => retry_after
                    .unwrap_or(Duration::from_secs(10))
                    .clamp(Duration::from_secs(1), max_wait),
                error if error.is_transient() => {
                    (Duration::from_millis(500) * 2u32.pow(attempt)).min(max_wait)
                }
                _ => return Err(error),
            };
            self.gate.pause(wait);
            if attempt >= self.config.retries {
                return Err(error);
            }
            attempt += 1;
            tracing::debug!(instance.host = %self.client.host(), %error, wait_ms = wait.as_millis(), "retrying");
        }
    }
}
