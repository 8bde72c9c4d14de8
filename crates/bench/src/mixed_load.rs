//! A load generator for a mix of HTTP GET targets (public pages, API calls): keep-alive connections at a given concurrency for a given time, latencies by kind, errors and timeouts counted apart.
//!
//! Requests go round the kinds in turn, so each kind gets the same share
//! whatever its number of URLs; within a kind, the URLs are taken in turn.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use url::Url;

use crate::search::load::{Latency, latency};

/// Failures quoted word for word in a result (the others are only counted).
const QUOTED_FAILURES: usize = 5;

/// One kind of request (`home`, `search API`…) and the URLs it goes through.
#[derive(Clone, Debug)]
pub struct Kind {
    pub name: String,
    pub urls: Vec<Url>,
}

/// How hard and how long to push.
#[derive(Clone, Copy, Debug)]
pub struct MixSettings {
    /// Requests in flight, each on its own keep-alive connection.
    pub connections: usize,
    pub duration: Duration,
    /// A request not fully answered within this time counts as a timeout.
    pub timeout: Duration,
}

/// Latencies of one kind of request.
#[derive(Clone, Debug)]
pub struct KindFigures {
    pub kind: String,
    pub requests: u64,
    pub latency: Latency,
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct MixResult {
    pub connections: usize,
    pub wall_secs: f64,
    /// Requests answered with a success status.
    pub requests: u64,
    /// Transport failures and error statuses.
    pub errors: u64,
    pub timeouts: u64,
    /// The first few failures, for a readable assertion message.
    pub first_failures: Vec<String>,
    /// Latencies of the successful requests.
    pub latency: Latency,
    pub by_kind: Vec<KindFigures>,
}

impl MixResult {
    pub fn per_sec(&self) -> f64 {
        self.requests as f64 / self.wall_secs.max(1e-9)
    }

    /// Errors and timeouts together.
    pub fn failures(&self) -> u64 {
        self.errors + self.timeouts
    }

    /// A Markdown table: one row per kind, then all of them.
    pub fn markdown(&self) -> String {
        let mut table = String::from(
            "| requests | count | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n",
        );
        let rows = self
            .by_kind
            .iter()
            .map(|kind| (kind.kind.as_str(), kind.requests, kind.latency))
            .chain([("all", self.requests, self.latency)]);
        for (name, count, l) in rows {
            let _ = writeln!(
                table,
                "| {name} | {count} | {:.1} | {:.1} | {:.1} | {:.1} |",
                l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms
            );
        }
        let _ = write!(
            table,
            "\n{} connections for {:.0} s: {:.0} requests/s, {} errors, {} timeouts",
            self.connections,
            self.wall_secs,
            self.per_sec(),
            self.errors,
            self.timeouts
        );
        table
    }
}

/// What the workers share: the next request's number, and the failures.
struct Shared {
    kinds: Vec<Kind>,
    next: AtomicU64,
    errors: AtomicU64,
    timeouts: AtomicU64,
    quoted: Mutex<Vec<String>>,
}

impl Shared {
    /// The kind and URL of request number `n`.
    fn target(&self, n: u64) -> (usize, &Url) {
        let kinds = self.kinds.len() as u64;
        let kind = (n % kinds) as usize;
        let urls = &self.kinds[kind].urls;
        (kind, &urls[((n / kinds) % urls.len() as u64) as usize])
    }

    fn fail(&self, timeout: bool, what: String) {
        let counter = if timeout {
            &self.timeouts
        } else {
            &self.errors
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let mut quoted = self.quoted.lock().unwrap_or_else(|e| e.into_inner());
        if quoted.len() < QUOTED_FAILURES {
            quoted.push(what);
        }
    }
}

/// Sends the mix at `settings.connections` requests in flight for `settings.duration`.
pub async fn run(kinds: Vec<Kind>, settings: MixSettings) -> anyhow::Result<MixResult> {
    anyhow::ensure!(
        !kinds.is_empty() && kinds.iter().all(|kind| !kind.urls.is_empty()),
        "every kind of request needs at least one URL"
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(settings.connections)
        .timeout(settings.timeout)
        .build()?;
    let shared = Arc::new(Shared {
        kinds,
        next: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        timeouts: AtomicU64::new(0),
        quoted: Mutex::new(Vec::new()),
    });
    let started = Instant::now();
    let deadline = started + settings.duration;
    let workers: Vec<_> = (0..settings.connections.max(1))
        .map(|_| tokio::spawn(worker(client.clone(), Arc::clone(&shared), deadline)))
        .collect();
    let mut samples = Vec::new();
    for worker in workers {
        samples.extend(worker.await?);
    }
    let wall_secs = started.elapsed().as_secs_f64();
    Ok(summarise(
        &shared,
        &samples,
        settings.connections,
        wall_secs,
    ))
}

/// One connection's loop: `(kind, microseconds)` of each successful request.
async fn worker(
    client: reqwest::Client,
    shared: Arc<Shared>,
    deadline: Instant,
) -> Vec<(usize, u64)> {
    let mut samples = Vec::new();
    while Instant::now() < deadline {
        let (kind, url) = shared.target(shared.next.fetch_add(1, Ordering::Relaxed));
        let sent = Instant::now();
        match fetch(&client, url).await {
            Ok(()) => samples.push((kind, sent.elapsed().as_micros() as u64)),
            Err(error) => shared.fail(
                error.is_timeout(),
                format!("{url}: {error} after {} ms", sent.elapsed().as_millis()),
            ),
        }
    }
    samples
}

async fn fetch(client: &reqwest::Client, url: &Url) -> reqwest::Result<()> {
    client
        .get(url.clone())
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    Ok(())
}

fn summarise(
    shared: &Shared,
    samples: &[(usize, u64)],
    connections: usize,
    wall_secs: f64,
) -> MixResult {
    let by_kind = shared
        .kinds
        .iter()
        .enumerate()
        .map(|(index, kind)| {
            let mut micros: Vec<u64> = samples
                .iter()
                .filter(|(k, _)| *k == index)
                .map(|(_, us)| *us)
                .collect();
            KindFigures {
                kind: kind.name.clone(),
                requests: micros.len() as u64,
                latency: latency(&mut micros),
            }
        })
        .collect();
    let mut all: Vec<u64> = samples.iter().map(|(_, us)| *us).collect();
    MixResult {
        connections,
        wall_secs,
        requests: all.len() as u64,
        errors: shared.errors.load(Ordering::Relaxed),
        timeouts: shared.timeouts.load(Ordering::Relaxed),
        first_failures: shared
            .quoted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone(),
        latency: latency(&mut all),
        by_kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str, urls: &[&str]) -> Kind {
        Kind {
            name: name.into(),
            urls: urls.iter().map(|url| Url::parse(url).unwrap()).collect(),
        }
    }

    #[test]
    fn kinds_take_turns_whatever_their_number_of_urls() {
        let shared = Shared {
            kinds: vec![
                kind("a", &["http://x/a1", "http://x/a2", "http://x/a3"]),
                kind("b", &["http://x/b1"]),
            ],
            next: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            quoted: Mutex::new(Vec::new()),
        };
        let paths: Vec<String> = (0..6)
            .map(|n| shared.target(n).1.path().to_owned())
            .collect();
        assert_eq!(paths, ["/a1", "/b1", "/a2", "/b1", "/a3", "/b1"]);
    }

    #[tokio::test]
    async fn a_server_that_refuses_counts_as_errors() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let settings = MixSettings {
            connections: 2,
            duration: Duration::from_millis(100),
            timeout: Duration::from_secs(1),
        };
        let url = format!("http://{address}/");
        let result = run(vec![kind("home", &[&url])], settings).await.unwrap();
        assert_eq!(result.requests, 0);
        assert!(result.errors > 0);
        assert!(!result.first_failures.is_empty());
        assert!(result.markdown().contains("| all | 0 |"));
    }
}
