//! The crawler settings shared by both passes, so that the reference makes its requests the same way.

use clap::Args;
use crawler::CrawlerConfig;

/// Concurrency of a pass (politeness delays are always off).
#[derive(Args, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Knobs {
    /// Instances crawled at the same time.
    #[arg(long, default_value_t = 16)]
    pub parallel_instances: usize,
    /// Requests in flight to one instance (video details are fetched this many at a time).
    #[arg(long, default_value_t = 8)]
    pub concurrency_per_host: usize,
    /// Requests in flight over all instances.
    #[arg(long, default_value_t = 64)]
    pub global_concurrency: usize,
}

impl Knobs {
    /// The command-line form, for a child process.
    pub fn to_args(self) -> Vec<String> {
        vec![
            "--parallel-instances".into(),
            self.parallel_instances.to_string(),
            "--concurrency-per-host".into(),
            self.concurrency_per_host.to_string(),
            "--global-concurrency".into(),
            self.global_concurrency.to_string(),
        ]
    }

    /// The crawler's settings for a benchmark on loopback: no rate limit,
    /// every crawl a full sweep, timeouts long enough for a loaded machine.
    pub fn crawler_config(self) -> CrawlerConfig {
        CrawlerConfig {
            requests_per_second: 0.0,
            concurrency_per_host: self.concurrency_per_host,
            global_concurrency: self.global_concurrency,
            parallel_instances: self.parallel_instances,
            allow_loopback: true,
            connect_timeout_secs: 30,
            request_timeout_secs: 300,
            retries: 2,
            max_retry_after_secs: 5,
            sweep_interval_secs: 0,
            ..CrawlerConfig::default()
        }
    }
}
