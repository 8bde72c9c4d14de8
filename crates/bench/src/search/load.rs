//! The load generator, run in its own process: the query mix over keep-alive HTTP/1.1 at a given concurrency, with latencies and its own CPU.
//!
//! It runs on one thread (a current-thread runtime) so that it can never
//! take more than one of the machine's cores from the server; its CPU time is
//! reported so that a reader can tell whether it was the bottleneck.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use serde::{Deserialize, Serialize};
use url::Url;

use super::queries::QuerySpec;
use crate::procstat::{CpuTimes, cpu_times};

/// A load run, as the orchestrator passes it to a child process.
#[derive(Args, Clone, Debug)]
pub struct LoadArgs {
    /// The server's base URL (`http://127.0.0.1:PORT`).
    #[arg(long)]
    pub base: Url,
    /// The query mix (a JSON array of `{kind, query}`).
    #[arg(long)]
    pub queries: PathBuf,
    /// Requests in flight.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Stop after this many requests…
    #[arg(long)]
    pub requests: Option<u64>,
    /// …or after this many seconds, whichever comes first.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Send every query once, in order, and count those that found something (not a measurement).
    #[arg(long)]
    pub warmup: bool,
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Latencies of one kind of query.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KindFigures {
    pub kind: String,
    pub requests: u64,
    pub latency: Latency,
    /// Warm-up only: queries of this kind that found at least one video.
    pub found: u64,
    /// Warm-up only: mean `total` of this kind's answers.
    pub mean_total: f64,
}

/// Figures of one load run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoadResult {
    pub concurrency: usize,
    pub requests: u64,
    pub errors: u64,
    pub wall_secs: f64,
    pub latency: Latency,
    pub by_kind: Vec<KindFigures>,
    pub mean_response_bytes: f64,
    /// CPU of the load generator over the run.
    pub cpu: CpuTimes,
}

impl LoadResult {
    pub fn per_sec(&self) -> f64 {
        self.requests as f64 / self.wall_secs.max(1e-9)
    }
}

/// One answered request: which query, how long, how big, what it found.
#[derive(Clone, Copy)]
struct Sample {
    query: usize,
    micros: u64,
    bytes: u64,
    total: Option<u64>,
}

#[derive(Deserialize)]
struct Total {
    total: u64,
}

/// Runs the load on a current-thread runtime.
pub fn run(args: LoadArgs) -> anyhow::Result<LoadResult> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(run_async(args))
}

async fn run_async(args: LoadArgs) -> anyhow::Result<LoadResult> {
    let queries: Vec<QuerySpec> = serde_json::from_slice(&std::fs::read(&args.queries)?)?;
    anyhow::ensure!(!queries.is_empty(), "no queries in {:?}", args.queries);
    let endpoint = args.base.join("/api/v1/search/videos")?;
    let urls: Arc<Vec<Url>> = Arc::new(
        queries
            .iter()
            .map(|query| {
                let mut url = endpoint.clone();
                url.set_query(Some(&query.query));
                url
            })
            .collect(),
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .no_gzip()
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(args.concurrency.max(1) * 2)
        .timeout(Duration::from_secs(60))
        .build()?;
    let (concurrency, limit) = if args.warmup {
        (1, Some(urls.len() as u64))
    } else {
        (args.concurrency.max(1), args.requests)
    };
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let cpu_before = cpu_times(None)?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.seconds);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, urls, next, errors) = (
                client.clone(),
                Arc::clone(&urls),
                Arc::clone(&next),
                Arc::clone(&errors),
            );
            let parse = args.warmup;
            tokio::spawn(async move {
                let mut samples = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if limit.is_some_and(|limit| n >= limit) || Instant::now() >= deadline {
                        return samples;
                    }
                    let query = usize::try_from(n).unwrap_or(0) % urls.len();
                    let sent = Instant::now();
                    match fetch(&client, &urls[query]).await {
                        Ok(body) => {
                            let micros = sent.elapsed().as_micros() as u64;
                            let total = parse
                                .then(|| serde_json::from_slice::<Total>(&body).ok())
                                .flatten()
                                .map(|answer| answer.total);
                            samples.push(Sample {
                                query,
                                micros,
                                bytes: body.len() as u64,
                                total,
                            });
                        }
                        Err(error) => {
                            if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                                tracing::warn!(%error, url = %urls[query], "a search failed");
                            }
                        }
                    }
                }
            })
        })
        .collect();
    let mut samples = Vec::new();
    for worker in workers {
        samples.extend(worker.await?);
    }
    let wall_secs = started.elapsed().as_secs_f64();
    let cpu = cpu_times(None)?.since(&cpu_before);
    let by_kind = by_kind(&queries, &samples);
    let mut micros: Vec<u64> = samples.iter().map(|s| s.micros).collect();
    let bytes: u64 = samples.iter().map(|s| s.bytes).sum();
    Ok(LoadResult {
        concurrency,
        requests: samples.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        wall_secs,
        latency: latency(&mut micros),
        by_kind,
        mean_response_bytes: bytes as f64 / samples.len().max(1) as f64,
        cpu,
    })
}

async fn fetch(client: &reqwest::Client, url: &Url) -> anyhow::Result<bytes::Bytes> {
    let answer = client.get(url.clone()).send().await?.error_for_status()?;
    Ok(answer.bytes().await?)
}

fn by_kind(queries: &[QuerySpec], samples: &[Sample]) -> Vec<KindFigures> {
    let mut kinds: BTreeMap<&str, (Vec<u64>, u64, u64, u64)> = BTreeMap::new();
    for sample in samples {
        let entry = kinds.entry(&queries[sample.query].kind).or_default();
        entry.0.push(sample.micros);
        if let Some(total) = sample.total {
            entry.1 += u64::from(total > 0);
            entry.2 += total;
            entry.3 += 1;
        }
    }
    super::queries::KINDS
        .iter()
        .filter_map(|kind| {
            let (mut micros, found, totals, parsed) = kinds.remove(kind)?;
            Some(KindFigures {
                kind: (*kind).to_owned(),
                requests: micros.len() as u64,
                latency: latency(&mut micros),
                found,
                mean_total: totals as f64 / parsed.max(1) as f64,
            })
        })
        .collect()
}

/// Nearest-rank percentiles of latencies in microseconds (sorts them).
pub fn latency(micros: &mut [u64]) -> Latency {
    if micros.is_empty() {
        return Latency::default();
    }
    micros.sort_unstable();
    let at = |p: f64| {
        let rank = ((p * micros.len() as f64).ceil() as usize).clamp(1, micros.len());
        micros[rank - 1] as f64 / 1000.0
    };
    Latency {
        p50_ms: at(0.50),
        p90_ms: at(0.90),
        p99_ms: at(0.99),
        max_ms: at(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut micros: Vec<u64> = (1..=100).rev().map(|ms| ms * 1000).collect();
        let latency = latency(&mut micros);
        assert_eq!(latency.p50_ms, 50.0);
        assert_eq!(latency.p90_ms, 90.0);
        assert_eq!(latency.p99_ms, 99.0);
        assert_eq!(latency.max_ms, 100.0);
        assert_eq!(super::latency(&mut []).p50_ms, 0.0);
    }
}
