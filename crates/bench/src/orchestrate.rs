//! The parent side: a fleet process per size, and per backend a reference pass then a crawl, each in a fresh child.

use std::path::PathBuf;
use std::process::Stdio;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use clap::ValueEnum;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use url::Url;

use crate::fleet::{CONTROL_PREFIX, FleetSpec};
use crate::knobs::Knobs;
use crate::measure::KindArg;
use crate::pass::{PassKind, PassResult};

/// A database backend under test.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// Where the simulated fleet runs.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimPlacement {
    /// Its own process, started once per size (its CPU is measured apart).
    Process,
    /// Inside each pass's process (its CPU and memory count in the pass's).
    InProcess,
}

/// A whole benchmark run.
#[derive(Clone, Debug)]
pub struct RunPlan {
    /// This program, run again for the fleet and each pass.
    pub exe: PathBuf,
    pub sizes: Vec<u64>,
    pub instances: usize,
    pub seed: u64,
    pub backends: Vec<Backend>,
    pub knobs: Knobs,
    pub sim: SimPlacement,
    /// Adds a fetch+decode pass between the reference and the crawl.
    pub decode_pass: bool,
    /// A PostgreSQL server where a fresh database is made per crawl.
    pub postgres_url: String,
}

/// The passes of one size on one backend, in the order they ran.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub videos: u64,
    pub backend: Backend,
    pub passes: Vec<PassResult>,
}

impl Measurement {
    pub fn pass(&self, kind: PassKind) -> Option<&PassResult> {
        self.passes.iter().find(|pass| pass.kind == kind)
    }

    /// The fetch-only reference's runs (before and after the crawl).
    pub fn references(&self) -> Vec<&PassResult> {
        self.passes
            .iter()
            .filter(|pass| pass.kind == PassKind::FetchOnly)
            .collect()
    }
}

/// Runs every size and backend; `on_result` sees each measurement as it completes.
pub async fn run(
    plan: &RunPlan,
    mut on_result: impl FnMut(&Measurement),
) -> anyhow::Result<Vec<Measurement>> {
    let mut all = Vec::new();
    for &videos in &plan.sizes {
        let spec = FleetSpec {
            instances: plan.instances,
            videos,
            seed: plan.seed,
        };
        let fleet = match plan.sim {
            SimPlacement::Process => {
                let fleet = FleetProcess::spawn(plan, spec).await?;
                // The first pass over a new fleet costs it more CPU than the
                // next ones (151–170 s against 133–136 s at 1,000,000
                // videos): an unmeasured pass warms it, so that the first
                // reference does not run on a colder fleet than the crawl.
                run_child(plan, spec, Some(&fleet), PassKind::FetchOnly, None).await?;
                Some(fleet)
            }
            SimPlacement::InProcess => None,
        };
        for &backend in &plan.backends {
            let mut passes =
                vec![run_child(plan, spec, fleet.as_ref(), PassKind::FetchOnly, None).await?];
            if plan.decode_pass {
                passes.push(
                    run_child(plan, spec, fleet.as_ref(), PassKind::FetchDecode, None).await?,
                );
            }
            let database = Database::create(backend, &plan.postgres_url).await?;
            let crawl = run_child(
                plan,
                spec,
                fleet.as_ref(),
                PassKind::Crawl,
                Some(&database.url),
            )
            .await;
            database.drop().await;
            passes.push(crawl?);
            // The reference again: a machine whose speed drifts through the
            // run then weighs on both sides of the ratio.
            passes.push(run_child(plan, spec, fleet.as_ref(), PassKind::FetchOnly, None).await?);
            let measurement = Measurement {
                videos,
                backend,
                passes,
            };
            on_result(&measurement);
            all.push(measurement);
        }
        if let Some(fleet) = fleet {
            fleet.stop().await;
        }
    }
    Ok(all)
}

async fn run_child(
    plan: &RunPlan,
    spec: FleetSpec,
    fleet: Option<&FleetProcess>,
    kind: PassKind,
    database_url: Option<&str>,
) -> anyhow::Result<PassResult> {
    let mut command = Command::new(&plan.exe);
    command
        .arg("pass")
        .arg("--kind")
        .arg(
            KindArg::from(kind)
                .to_possible_value()
                .context("kind")?
                .get_name(),
        )
        .args(spec.to_args())
        .args(plan.knobs.to_args());
    if let Some(fleet) = fleet {
        command.arg("--control").arg(fleet.control.as_str());
        if let Some(pid) = fleet.pid {
            command.arg("--sim-pid").arg(pid.to_string());
        }
    }
    if let Some(url) = database_url {
        command.arg("--database-url").arg(url);
    }
    json_of_child(&mut command, &format!("the {} pass", kind.label())).await
}

/// Runs a child process of the benchmark and reads the JSON of the last line
/// it printed (its result); its standard error passes through.
pub async fn json_of_child<T: serde::de::DeserializeOwned>(
    command: &mut Command,
    what: &str,
) -> anyhow::Result<T> {
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .await
        .with_context(|| format!("running {what}"))?;
    anyhow::ensure!(output.status.success(), "{what} failed: {}", output.status);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .with_context(|| format!("{what} printed no result"))?;
    serde_json::from_str(line).with_context(|| format!("reading the result of {what} {line:?}"))
}

/// The fleet in its own process, serving until its standard input closes.
struct FleetProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    control: Url,
    pid: Option<u32>,
}

impl FleetProcess {
    async fn spawn(plan: &RunPlan, spec: FleetSpec) -> anyhow::Result<Self> {
        let mut child = Command::new(&plan.exe)
            .arg("serve-fleet")
            .args(spec.to_args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the fleet process")?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("the fleet's output")?;
        let mut lines = BufReader::new(stdout).lines();
        let control = loop {
            let line = lines
                .next_line()
                .await?
                .context("the fleet process ended before it was ready")?;
            if let Some(url) = line.strip_prefix(CONTROL_PREFIX) {
                break Url::parse(url.trim())?;
            }
        };
        Ok(Self {
            pid: child.id(),
            child,
            stdin,
            control,
        })
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

/// A fresh database for one measurement, dropped after it.
pub(crate) struct Database {
    pub(crate) url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(tempfile::TempDir),
    Postgres(Box<PgConnectOptions>, String),
}

impl Database {
    pub(crate) async fn create(backend: Backend, postgres_url: &str) -> anyhow::Result<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("florilege-bench-")
                    .tempdir()?;
                Ok(Self {
                    url: format!("sqlite://{}", dir.path().join("bench.db").display()),
                    cleanup: Cleanup::Sqlite(dir),
                })
            }
            Backend::Postgres => {
                let admin = PgConnectOptions::from_str(postgres_url)?;
                let name = format!("florilege_bench_{}", uuid::Uuid::new_v4().simple());
                let mut connection = admin.connect().await.context("reaching PostgreSQL")?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut connection)
                    .await?;
                connection.close().await?;
                let mut url = Url::parse(postgres_url)?;
                url.set_path(&name);
                Ok(Self {
                    url: url.to_string(),
                    cleanup: Cleanup::Postgres(Box::new(admin), name),
                })
            }
        }
    }

    pub(crate) async fn drop(self) {
        match self.cleanup {
            Cleanup::Sqlite(dir) => drop(dir),
            Cleanup::Postgres(admin, name) => {
                let dropped = async {
                    let mut connection = admin.connect().await?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut connection)
                        .await?;
                    connection.close().await
                }
                .await;
                if let Err(error) = dropped {
                    tracing::warn!(%error, database = name, "cannot drop the benchmark database");
                }
            }
        }
    }
}
