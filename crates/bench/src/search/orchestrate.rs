//! The parent side of the search benchmark: per size, the corpus, three indexing passes, then a server and load runs, each in its own process.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use serde::de::DeserializeOwned;
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use url::Url;

use super::corpus::CorpusReport;
use super::indexing::{IndexKind, IndexPassResult, dir_size};
use super::load::LoadResult;
use super::queries;
use super::serve::{FLORILEGE_PREFIX, FTS5_PREFIX};
use crate::orchestrate::{Backend, Database, json_of_child};
use crate::procstat::{CpuTimes, cpu_times};

/// A whole search benchmark run.
#[derive(Clone, Debug)]
pub struct SearchPlan {
    /// This program, run again for every child process.
    pub exe: PathBuf,
    pub sizes: Vec<u64>,
    pub instances: usize,
    pub seed: u64,
    /// Queries of each kind in the mix.
    pub per_kind: usize,
    /// At concurrency 1: at most this many requests…
    pub single_requests: u64,
    /// …and at most this many seconds.
    pub single_seconds: f64,
    /// The concurrency of the throughput runs.
    pub concurrency: usize,
    /// Seconds of each throughput run.
    pub concurrent_seconds: f64,
    /// Read connections of the FTS5 endpoint.
    pub fts_connections: u32,
    /// Times the Florilège and raw Tantivy indexing passes run, alternating.
    pub index_runs: usize,
    /// Florilège's store. The FTS5 reference always reads its own SQLite copy of the corpus.
    pub backend: Backend,
    /// A PostgreSQL server where a fresh database is made per size.
    pub postgres_url: String,
    /// Keep each size's directory instead of removing it.
    pub keep: bool,
}

/// Which server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Florilege,
    Fts5,
}

impl Engine {
    pub const ALL: [Engine; 2] = [Engine::Florilege, Engine::Fts5];

    pub fn label(self) -> &'static str {
        match self {
            Self::Florilege => "Florilège (Tantivy)",
            Self::Fts5 => "SQLite FTS5",
        }
    }
}

/// One load run against one server.
#[derive(Clone, Debug)]
pub struct QueryRun {
    pub engine: Engine,
    pub warmup: bool,
    pub load: LoadResult,
    /// CPU of the server process over the run.
    pub server_cpu: Option<CpuTimes>,
}

/// Everything measured for one corpus size.
#[derive(Clone, Debug)]
pub struct SizeMeasurement {
    pub videos: u64,
    pub corpus: CorpusReport,
    pub database_bytes: u64,
    pub queries: usize,
    pub indexing: Vec<IndexPassResult>,
    pub runs: Vec<QueryRun>,
    /// The machine's 1-minute load average when the size started and when it ended.
    pub load_average: (Option<f64>, Option<f64>),
}

impl SizeMeasurement {
    /// The fastest pass of `kind` (passes may be repeated).
    pub fn index(&self, kind: IndexKind) -> Option<&IndexPassResult> {
        self.indexing
            .iter()
            .filter(|pass| pass.kind == kind)
            .min_by(|a, b| a.wall_secs.total_cmp(&b.wall_secs))
    }

    /// The measured run of `engine` at `concurrency` (warm-ups excluded).
    pub fn run(&self, engine: Engine, concurrency: usize) -> Option<&QueryRun> {
        self.runs
            .iter()
            .find(|run| run.engine == engine && !run.warmup && run.load.concurrency == concurrency)
    }

    pub fn warmup(&self, engine: Engine) -> Option<&QueryRun> {
        self.runs
            .iter()
            .find(|run| run.engine == engine && run.warmup)
    }
}

/// Runs every size; `progress` sees each line of news.
pub async fn run(
    plan: &SearchPlan,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<Vec<SizeMeasurement>> {
    let mut all = Vec::new();
    for &videos in &plan.sizes {
        let dir = tempfile::Builder::new()
            .prefix("florilege-search-bench-")
            .tempdir()?;
        let measurement = run_size(plan, videos, dir.path(), &mut progress).await;
        if plan.keep {
            progress(&format!("{videos} videos: kept {}", dir.keep().display()));
        }
        all.push(measurement?);
    }
    Ok(all)
}

async fn run_size(
    plan: &SearchPlan,
    videos: u64,
    dir: &Path,
    progress: &mut impl FnMut(&str),
) -> anyhow::Result<SizeMeasurement> {
    let load_at_start = load_average();
    let sqlite_url = format!("sqlite://{}", dir.join("bench.db").display());
    let corpus = write_corpus(plan, videos, &sqlite_url).await?;
    progress(&format!(
        "{videos} videos: corpus of {} videos, {} channels on {} instances written in {:.1} s (set-up)",
        corpus.videos, corpus.channels, corpus.instances, corpus.write_secs
    ));
    let (postgres, database_bytes) = match plan.backend {
        Backend::Sqlite => (None, dir_size(dir)),
        Backend::Postgres => {
            let database = Database::create(Backend::Postgres, &plan.postgres_url).await?;
            // The same seed writes the same corpus.
            let written = async {
                write_corpus(plan, videos, &database.url).await?;
                postgres_size(&database.url).await
            }
            .await;
            match written {
                Ok(bytes) => (Some(database), bytes),
                Err(error) => {
                    database.drop().await;
                    return Err(error);
                }
            }
        }
    };
    let store_url = postgres.as_ref().map_or(&*sqlite_url, |db| &*db.url);
    let measured = measure_size(plan, videos, dir, &sqlite_url, store_url, &corpus, progress).await;
    if let Some(database) = postgres {
        database.drop().await;
    }
    let (queries, indexing, runs) = measured?;
    Ok(SizeMeasurement {
        videos,
        corpus,
        database_bytes,
        queries,
        indexing,
        runs,
        load_average: (load_at_start, load_average()),
    })
}

/// Writes the corpus into the fresh database at `database_url` (set-up).
async fn write_corpus(
    plan: &SearchPlan,
    videos: u64,
    database_url: &str,
) -> anyhow::Result<CorpusReport> {
    run_child(
        plan,
        &[
            "corpus".into(),
            "--videos".into(),
            videos.to_string(),
            "--instances".into(),
            plan.instances.to_string(),
            "--seed".into(),
            plan.seed.to_string(),
            "--database-url".into(),
            database_url.to_owned(),
        ],
    )
    .await
    .context("writing the corpus")
}

async fn postgres_size(database_url: &str) -> anyhow::Result<u64> {
    let mut connection = sqlx::PgConnection::connect(database_url).await?;
    let bytes: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
        .fetch_one(&mut connection)
        .await?;
    connection.close().await?;
    Ok(u64::try_from(bytes)?)
}

/// The indexing passes and the load runs of one size: Florilège and raw
/// Tantivy read the store at `store_url`, FTS5 its SQLite copy at `sqlite_url`.
async fn measure_size(
    plan: &SearchPlan,
    videos: u64,
    dir: &Path,
    sqlite_url: &str,
    store_url: &str,
    corpus: &CorpusReport,
    progress: &mut impl FnMut(&str),
) -> anyhow::Result<(usize, Vec<IndexPassResult>, Vec<QueryRun>)> {
    let mix = queries::mix(&corpus.samples, plan.per_kind, plan.seed);
    anyhow::ensure!(!mix.is_empty(), "no query could be drawn from the corpus");
    let queries_path = dir.join("queries.json");
    std::fs::write(&queries_path, serde_json::to_vec(&mix)?)?;

    let index_root = dir.join("index");
    let mut indexing = Vec::new();
    // Florilège and raw Tantivy alternate `index_runs` times (the fastest of each counts); FTS5 once.
    let mut order = Vec::new();
    for _ in 0..plan.index_runs.max(1) {
        order.extend([IndexKind::Florilege, IndexKind::Tantivy]);
    }
    order.push(IndexKind::Fts5);
    for kind in order {
        let (target, database_url) = match kind {
            IndexKind::Tantivy => (dir.join("raw"), store_url),
            IndexKind::Florilege => (index_root.clone(), store_url),
            IndexKind::Fts5 => (index_root.clone(), sqlite_url),
        };
        let result: IndexPassResult = run_child(
            plan,
            &[
                "index-pass".into(),
                "--kind".into(),
                kind_arg(kind).into(),
                "--database-url".into(),
                database_url.to_owned(),
                "--dir".into(),
                target.display().to_string(),
            ],
        )
        .await
        .with_context(|| format!("the {} pass", kind.label(plan.backend)))?;
        if kind == IndexKind::Tantivy {
            std::fs::remove_dir_all(&target)?;
        }
        progress(&format!(
            "{videos} videos: {} {} documents in {:.1} s ({:.0}/s), {:.1} MB",
            kind.label(plan.backend),
            result.documents,
            result.wall_secs,
            result.documents_per_sec(),
            result.size_bytes as f64 / 1e6
        ));
        indexing.push(result);
    }

    let server = Server::spawn(plan, store_url, sqlite_url, &index_root).await?;
    let runs = query_runs(plan, &server, &queries_path, videos, progress).await;
    server.stop().await;
    Ok((mix.len(), indexing, runs?))
}

/// The machine's 1-minute load average (other work shares the cores: it says how noisy a run was).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

async fn query_runs(
    plan: &SearchPlan,
    server: &Server,
    queries_path: &Path,
    videos: u64,
    progress: &mut impl FnMut(&str),
) -> anyhow::Result<Vec<QueryRun>> {
    let mut runs = Vec::new();
    for engine in Engine::ALL {
        let base = server.base(engine);
        let shapes = [
            (true, 1, None, plan.single_seconds * 4.0),
            (false, 1, Some(plan.single_requests), plan.single_seconds),
            (false, plan.concurrency, None, plan.concurrent_seconds),
        ];
        for (warmup, concurrency, requests, seconds) in shapes {
            let mut args = vec![
                "load".to_owned(),
                "--base".into(),
                base.to_string(),
                "--queries".into(),
                queries_path.display().to_string(),
                "--concurrency".into(),
                concurrency.to_string(),
                "--seconds".into(),
                seconds.to_string(),
            ];
            if let Some(requests) = requests {
                args.extend(["--requests".into(), requests.to_string()]);
            }
            if warmup {
                args.push("--warmup".into());
            }
            let before = server.cpu();
            let load: LoadResult = run_child(plan, &args)
                .await
                .with_context(|| format!("load on {}", engine.label()))?;
            let server_cpu = before.zip(server.cpu()).map(|(b, a)| a.since(&b));
            progress(&format!(
                "{videos} videos: {} {} at concurrency {}: {} requests, {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
                engine.label(),
                if warmup { "warm-up" } else { "run" },
                load.concurrency,
                load.requests,
                load.per_sec(),
                load.latency.p50_ms,
                load.latency.p99_ms,
                load.errors,
            ));
            runs.push(QueryRun {
                engine,
                warmup,
                load,
                server_cpu,
            });
        }
    }
    Ok(runs)
}

fn kind_arg(kind: IndexKind) -> &'static str {
    match kind {
        IndexKind::Florilege => "florilege",
        IndexKind::Tantivy => "tantivy",
        IndexKind::Fts5 => "fts5",
    }
}

/// Runs this program with `args` and reads the JSON of its last output line.
async fn run_child<T: DeserializeOwned>(plan: &SearchPlan, args: &[String]) -> anyhow::Result<T> {
    let what = format!("{:?}", args.first());
    json_of_child(Command::new(&plan.exe).args(args), &what).await
}

/// The server process, serving until its standard input closes.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    florilege: Url,
    fts5: Url,
    pid: Option<u32>,
}

impl Server {
    async fn spawn(
        plan: &SearchPlan,
        store_url: &str,
        fts_url: &str,
        index_root: &Path,
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(&plan.exe)
            .arg("serve")
            .arg("--database-url")
            .arg(store_url)
            .arg("--fts-database-url")
            .arg(fts_url)
            .arg("--index-root")
            .arg(index_root)
            .arg("--fts-connections")
            .arg(plan.fts_connections.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the server process")?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("the server's output")?;
        let mut lines = BufReader::new(stdout).lines();
        let (mut florilege, mut fts5) = (None, None);
        while florilege.is_none() || fts5.is_none() {
            let line = lines
                .next_line()
                .await?
                .context("the server process ended before it was ready")?;
            if let Some(url) = line.strip_prefix(FLORILEGE_PREFIX) {
                florilege = Some(Url::parse(url.trim())?);
            } else if let Some(url) = line.strip_prefix(FTS5_PREFIX) {
                fts5 = Some(Url::parse(url.trim())?);
            }
        }
        Ok(Self {
            pid: child.id(),
            child,
            stdin,
            florilege: florilege.context("no Florilège address")?,
            fts5: fts5.context("no FTS5 address")?,
        })
    }

    fn base(&self, engine: Engine) -> &Url {
        match engine {
            Engine::Florilege => &self.florilege,
            Engine::Fts5 => &self.fts5,
        }
    }

    fn cpu(&self) -> Option<CpuTimes> {
        self.pid.and_then(|pid| cpu_times(Some(pid)).ok())
    }

    async fn stop(mut self) {
        drop(self.stdin.take());
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// The queries a plan sends, for the report's header.
pub fn mix_size(plan: &SearchPlan) -> usize {
    plan.per_kind * queries::KINDS.len()
}
