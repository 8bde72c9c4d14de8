//! The crawl benchmark: a full crawl of a simulated fleet against a fetch-only reference, on SQLite and PostgreSQL.

use std::io::Write;

use anyhow::Context;
use bench::fleet::{self, FleetSpec};
use bench::knobs::Knobs;
use bench::measure::{self, PassArgs};
use bench::orchestrate::{self, Backend, RunPlan, SimPlacement};
use bench::report;
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Crawls a simulated fleet of PeerTube instances on each database backend,
/// side by side with a fetch-only reference measured in the same run (the
/// same requests, bodies discarded), and prints Markdown tables: videos/s,
/// requests/s, CPU seconds, peak memory, and the crawl/fetch-only ratio.
#[derive(Parser, Debug)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Internal>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Fleet sizes in videos, each measured in turn.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    videos: Vec<u64>,
    /// Simulated instances.
    #[arg(long, default_value_t = 1000)]
    instances: usize,
    /// Database backends, each measured in turn.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "sqlite,postgres"
    )]
    backend: Vec<Backend>,
    /// Server where a fresh database is created (and dropped) per PostgreSQL crawl.
    #[arg(
        long,
        env = "FLORILEGE_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
    /// Where the simulated fleet runs.
    #[arg(long, value_enum, default_value = "process")]
    sim: SimPlacement,
    /// Also measure fetching with decoding by the `peertube` models (nothing stored).
    #[arg(long)]
    decode_pass: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    knobs: Knobs,
}

/// The child processes the benchmark starts.
#[derive(Subcommand, Debug)]
enum Internal {
    /// Serve a simulated fleet until standard input closes.
    #[command(hide = true)]
    ServeFleet(FleetSpec),
    /// Run one measured pass and print its result as JSON.
    #[command(hide = true)]
    Pass(PassArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter =
        EnvFilter::try_from_env("FLORILEGE_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Internal::ServeFleet(spec)) => fleet::serve(spec).await,
        Some(Internal::Pass(args)) => {
            let result = measure::run_pass(args).await?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", serde_json::to_string(&result)?)?;
            Ok(())
        }
        None => run(cli.run).await,
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let plan = RunPlan {
        exe: std::env::current_exe().context("finding this program")?,
        sizes: args.videos,
        instances: args.instances,
        seed: args.seed,
        backends: args.backend,
        knobs: args.knobs,
        sim: args.sim,
        decode_pass: args.decode_pass,
        postgres_url: args.postgres_url,
    };
    eprintln!("{}", report::header(&plan));
    let measurements = orchestrate::run(&plan, |m| {
        eprint!("{}", report::passes_rows(std::slice::from_ref(m)));
    })
    .await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", report::header(&plan))?;
    writeln!(out, "{}", report::passes_table(&measurements))?;
    writeln!(out, "{}", report::ratios_table(&measurements))?;
    writeln!(out, "{}", report::threads_table(&measurements))?;
    Ok(())
}
