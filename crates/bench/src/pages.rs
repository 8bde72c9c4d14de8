//! The pages benchmark: public pages served by Florilège against nginx serving the same bytes as static files, both loaded by wrk in the same run.
//!
//! A corpus is written into a fresh SQLite or PostgreSQL store, indexed, and
//! given a published 24-video selection. Florilège serves it from this
//! process; each measured page (home, the selection, a video, a search) is
//! fetched once, and its bytes are written where an nginx child process
//! serves them. Each page is also rendered 30 times past the page cache (the
//! database and index work, which grows with the corpus). Then wrk loads
//! each page on each server in turn, alternating which goes first.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;
use store::{NewSelection, SelectionStatus, Store, StoreConfig};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use web::{AppState, WebConfig};

use crate::orchestrate::{Backend, Database};
use crate::procstat;
use crate::search::corpus::{self, CorpusSpec};
use crate::search::load::{Latency, latency};

/// What to measure.
#[derive(Clone, Debug)]
pub struct PagesPlan {
    pub backend: Backend,
    /// A PostgreSQL server where a fresh database is made (`Backend::Postgres`).
    pub postgres_url: String,
    pub videos: u64,
    pub instances: usize,
    pub seed: u64,
    /// wrk's open connections.
    pub connections: u32,
    /// wrk's threads.
    pub threads: u32,
    /// Seconds of each wrk run.
    pub seconds: u32,
    pub nginx: PathBuf,
    pub wrk: PathBuf,
}

/// What wrk measured of one page on one server.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WrkFigures {
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Non-2xx/3xx answers and socket errors (connect, read, write, timeout).
    pub errors: u64,
}

/// One page, both servers.
#[derive(Clone, Debug, Serialize)]
pub struct PageResult {
    pub page: &'static str,
    pub path: String,
    pub bytes: usize,
    /// Florilège rendering the page without its cache (a query parameter
    /// makes each request a new cache key), one request at a time.
    pub uncached: Latency,
    pub florilege: WrkFigures,
    pub nginx: WrkFigures,
}

impl PageResult {
    pub fn ratio(&self) -> f64 {
        self.florilege.requests_per_sec / self.nginx.requests_per_sec.max(f64::MIN_POSITIVE)
    }
}

/// Targets of issue 5.
pub const TARGET_RATIO: f64 = 0.6;
pub const TARGET_P99_MS: f64 = 20.0;

/// Runs the whole benchmark.
pub async fn run(plan: &PagesPlan) -> anyhow::Result<PagesRun> {
    let database = Database::create(plan.backend, &plan.postgres_url).await?;
    let run = run_on(plan, &database.url).await;
    database.drop().await;
    run
}

/// The pages, and the memory of the process while it served them.
#[derive(Clone, Debug, Serialize)]
pub struct PagesRun {
    pub pages: Vec<PageResult>,
    /// Peak resident memory from the start of serving (reset after the
    /// corpus was written and indexed; what the allocator kept of that
    /// set-up still counts, so it is an upper bound).
    pub serving_peak_rss_bytes: u64,
}

/// Uncached renderings of each page measured before the wrk runs.
const UNCACHED_RENDERS: u32 = 30;

async fn run_on(plan: &PagesPlan, database_url: &str) -> anyhow::Result<PagesRun> {
    let dir = tempfile::tempdir()?;
    let database_url = database_url.to_owned();
    let report = corpus::write(
        CorpusSpec {
            videos: plan.videos,
            instances: plan.instances,
            seed: plan.seed,
        },
        &database_url,
    )
    .await?;
    let store = Store::open(&StoreConfig {
        database_url,
        ..StoreConfig::default()
    })
    .await?;
    let (slug, video_uuid) = publish_selection(&store).await?;
    let index_root = dir.path().join("index");
    index::rebuild(
        &index_root,
        &store,
        &index::IndexerConfig::default(),
        |_| {},
    )
    .await?;
    let searcher = index::Searcher::open(&index_root)?;
    procstat::reset_peak_rss()?;
    let state = AppState::open(
        store.clone(),
        searcher,
        WebConfig::default(),
        dir.path().join("images"),
        None,
    )
    .await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let florilege = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(web::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let word = report
        .samples
        .first()
        .and_then(|sample| sample.name.split_whitespace().next())
        .unwrap_or("video");
    let query: String = form_urlencoded::byte_serialize(word.as_bytes()).collect();
    let pages = [
        ("home", "/en/".to_owned()),
        ("selection (24 videos)", format!("/en/selections/{slug}")),
        ("video", format!("/en/videos/{video_uuid}")),
        ("search", format!("/en/search?q={query}")),
    ];
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www)?;
    let client = reqwest::Client::new();
    let mut bodies = Vec::new();
    for (index, (page, path)) in pages.iter().enumerate() {
        let response = client
            .get(format!("http://{florilege}{path}"))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("{page} ({path}) answered {}", response.status());
        }
        let body = response.bytes().await?;
        std::fs::write(www.join(format!("{index}.html")), &body)?;
        bodies.push(body.len());
    }
    let mut uncached = Vec::new();
    for (_, path) in &pages {
        uncached.push(render_uncached(&client, &format!("http://{florilege}{path}")).await?);
    }
    let nginx_dir = dir.path().join("nginx");
    let (mut nginx, nginx_address) = start_nginx(&plan.nginx, &nginx_dir, &www).await?;

    let mut results = Vec::new();
    for (index, (page, path)) in pages.iter().enumerate() {
        let ours = format!("http://{florilege}{path}");
        let theirs = format!("http://{nginx_address}/{index}.html");
        // Alternate which server goes first, so neither always meets a warmer machine.
        let (florilege_figures, nginx_figures) = if index % 2 == 0 {
            let ours = wrk(plan, &ours).await?;
            (ours, wrk(plan, &theirs).await?)
        } else {
            let theirs = wrk(plan, &theirs).await?;
            (wrk(plan, &ours).await?, theirs)
        };
        results.push(PageResult {
            page,
            path: path.clone(),
            bytes: bodies[index],
            uncached: uncached[index],
            florilege: florilege_figures,
            nginx: nginx_figures,
        });
    }
    nginx.kill().await?;
    let _ = stop.send(());
    server.await??;
    store.close().await;
    Ok(PagesRun {
        pages: results,
        serving_peak_rss_bytes: procstat::peak_rss_bytes()?,
    })
}

/// Latencies of `UNCACHED_RENDERS` requests of `url`, each with a query
/// parameter of its own so that the page cache never answers.
async fn render_uncached(client: &reqwest::Client, url: &str) -> anyhow::Result<Latency> {
    let separator = if url.contains('?') { '&' } else { '?' };
    let mut micros = Vec::new();
    for attempt in 0..UNCACHED_RENDERS {
        let started = std::time::Instant::now();
        let response = client
            .get(format!("{url}{separator}uncached={attempt}"))
            .send()
            .await?
            .error_for_status()?;
        response.bytes().await?;
        micros.push(u64::try_from(started.elapsed().as_micros())?);
    }
    Ok(latency(&mut micros))
}

/// Publishes a selection of the first 24 videos of the largest instance,
/// with notes; returns its slug and the uuid of its first video.
async fn publish_selection(store: &Store) -> anyhow::Result<(String, String)> {
    let mut best = None;
    for instance in store.list_instances(None).await? {
        let count = store.count_videos(instance.id).await?;
        if best.as_ref().is_none_or(|(_, most)| count > *most) {
            best = Some((instance, count));
        }
    }
    let (instance, _) = best.context("the corpus has no instance")?;
    let videos = store.videos_of_instance(instance.id).await?;
    let selection = store
        .create_selection(
            &NewSelection {
                title: "Vingt-quatre vidéos",
                summary: "A selection as large as editors make them.",
                body: "Chosen for the **benchmark**: every video has a note.",
                language: Some("en"),
                ..NewSelection::default()
            },
            None,
        )
        .await?;
    for video in videos.iter().take(24) {
        store
            .add_item(
                selection.id,
                video.id,
                "Worth watching for its pace and its sound.",
                None,
                None,
            )
            .await?;
    }
    store
        .set_selection_status(selection.id, SelectionStatus::Review, None, None)
        .await?;
    store
        .set_selection_status(selection.id, SelectionStatus::Published, None, None)
        .await?;
    let first = videos
        .first()
        .context("the largest instance has no video")?;
    Ok((selection.slug, first.uuid.clone()))
}

/// Starts nginx on a free loopback port serving `www`, with as many workers as cores.
async fn start_nginx(nginx: &Path, dir: &Path, www: &Path) -> anyhow::Result<(Child, SocketAddr)> {
    std::fs::create_dir_all(dir.join("tmp"))?;
    // nginx's workers may run as another user: let them read the pages.
    allow_reading(www)?;
    let address = TcpListener::bind("127.0.0.1:0").await?.local_addr()?;
    let dir_text = dir.display();
    let config = format!(
        "worker_processes auto;\npid {dir_text}/nginx.pid;\nerror_log {dir_text}/error.log warn;\n\
         daemon off;\nevents {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {dir_text}/tmp;\n  proxy_temp_path {dir_text}/tmp;\n\
         \x20 fastcgi_temp_path {dir_text}/tmp;\n  uwsgi_temp_path {dir_text}/tmp;\n  scgi_temp_path {dir_text}/tmp;\n\
         \x20 server {{\n    listen {address};\n    root {www};\n    default_type text/html;\n\
         \x20   location / {{ try_files $uri =404; }}\n  }}\n}}\n",
        www = www.display(),
    );
    let config_path = dir.join("nginx.conf");
    std::fs::write(&config_path, config)?;
    let mut child = Command::new(nginx)
        .arg("-c")
        .arg(&config_path)
        .arg("-p")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", nginx.display()))?;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return Ok((child, address));
        }
        if let Some(status) = child.try_wait()? {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            bail!("nginx exited with {status}: {log}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("nginx did not listen on {address} within 5 s")
}

#[cfg(unix)]
fn allow_reading(www: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut dir = Some(www);
    while let Some(path) = dir {
        let mode = std::fs::metadata(path)?.permissions().mode();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode | 0o755))?;
        dir = path.parent().filter(|parent| parent != &Path::new("/"));
    }
    for entry in std::fs::read_dir(www)? {
        std::fs::set_permissions(entry?.path(), std::fs::Permissions::from_mode(0o644))?;
    }
    Ok(())
}

/// Runs wrk once against `url`.
async fn wrk(plan: &PagesPlan, url: &str) -> anyhow::Result<WrkFigures> {
    let output = Command::new(&plan.wrk)
        .arg(format!("-t{}", plan.threads))
        .arg(format!("-c{}", plan.connections))
        .arg(format!("-d{}s", plan.seconds))
        .arg("--latency")
        .arg(url)
        .output()
        .await
        .with_context(|| format!("cannot run {}", plan.wrk.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed on {url}: {}{text}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_wrk(&text).with_context(|| format!("cannot read wrk's report on {url}:\n{text}"))
}

/// Reads requests/s, the 50th and 99th latency percentiles and the errors of wrk's `--latency` report.
pub fn parse_wrk(report: &str) -> Option<WrkFigures> {
    let mut figures = WrkFigures::default();
    let mut found = (false, false, false);
    for line in report.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(value)) => {
                figures.requests_per_sec = value.parse().ok()?;
                found.0 = true;
            }
            (Some("50%"), Some(value)) => {
                figures.p50_ms = milliseconds(value)?;
                found.1 = true;
            }
            (Some("99%"), Some(value)) => {
                figures.p99_ms = milliseconds(value)?;
                found.2 = true;
            }
            (Some("Non-2xx"), _) => {
                figures.errors += line.rsplit(' ').next()?.parse::<u64>().ok()?;
            }
            (Some("Socket"), Some("errors:")) => {
                figures.errors += line
                    .split(',')
                    .filter_map(|part| part.rsplit(' ').next()?.parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    (found == (true, true, true)).then_some(figures)
}

/// `812.00us`, `1.23ms` or `2.01s` in milliseconds.
fn milliseconds(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        "m" => number * 60_000.0,
        _ => return None,
    })
}

/// The results as a Markdown table with the targets.
pub fn report(plan: &PagesPlan, run: &PagesRun) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "wrk, {} connections, {} threads, {} s per run; {} videos on {}. \
         Targets: at least {TARGET_RATIO} of nginx's requests/s, p99 under {TARGET_P99_MS} ms.\n",
        plan.connections,
        plan.threads,
        plan.seconds,
        plan.videos,
        plan.backend.name()
    );
    let _ = writeln!(
        out,
        "| page | bytes | Florilège req/s | nginx req/s | ratio | Florilège p50 / p99 ms | nginx p50 / p99 ms | errors | targets | uncached render p50 / p90 ms |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    for result in &run.pages {
        let met = result.ratio() >= TARGET_RATIO
            && result.florilege.p99_ms < TARGET_P99_MS
            && result.florilege.errors == 0;
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.0} | {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {} | {} | {:.1} / {:.1} |",
            result.page,
            result.bytes,
            result.florilege.requests_per_sec,
            result.nginx.requests_per_sec,
            result.ratio(),
            result.florilege.p50_ms,
            result.florilege.p99_ms,
            result.nginx.p50_ms,
            result.nginx.p99_ms,
            result.florilege.errors + result.nginx.errors,
            if met { "met" } else { "not met" },
            result.uncached.p50_ms,
            result.uncached.p90_ms,
        );
    }
    let _ = writeln!(
        out,
        "\nPeak resident memory while serving: {:.0} MB.",
        run.serving_peak_rss_bytes as f64 / 1e6
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 10s test @ http://127.0.0.1:8080/en/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    1.00ms  40.00ms   90.00%
    Req/Sec    15.00k     1.00k   17.00k    70.00%
  Latency Distribution
     50%  812.00us
     75%    1.40ms
     90%    1.80ms
     99%    1.02s
  300000 requests in 10.00s, 3.00GB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:  30000.50
Transfer/sec:    300.00MB
";

    #[test]
    fn wrk_reports_are_read_with_their_units() {
        assert_eq!(
            parse_wrk(REPORT),
            Some(WrkFigures {
                requests_per_sec: 30000.5,
                p50_ms: 0.812,
                p99_ms: 1020.0,
                errors: 9,
            })
        );
    }

    #[test]
    fn a_report_without_latency_distribution_is_refused() {
        assert_eq!(parse_wrk("Requests/sec: 10\n"), None);
    }
}
