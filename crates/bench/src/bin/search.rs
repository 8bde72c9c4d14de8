//! The search benchmark: indexing from the database against raw Tantivy, and queries over HTTP against SQLite FTS5.

use std::io::Write;

use anyhow::Context;
use bench::orchestrate::Backend;
use bench::search::corpus::{self, CorpusSpec};
use bench::search::indexing::{self, IndexPassArgs};
use bench::search::load::{self, LoadArgs};
use bench::search::orchestrate::{self, SearchPlan};
use bench::search::report;
use bench::search::serve::{self, ServeArgs};
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Writes a corpus of simulated PeerTube videos into a fresh store (SQLite,
/// or PostgreSQL with a SQLite copy for the FTS5 reference), then measures,
/// side by side in the same run: building Florilège's index from the
/// database against raw Tantivy indexing the same documents from memory,
/// and searching over HTTP (p50/p99 at concurrency 1, queries/s at
/// concurrency 16) against SQLite FTS5 answering the same queries on the
/// same data. Prints Markdown tables, with the targets of issue 4.
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
    /// Corpus sizes in videos, each measured in turn.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    videos: Vec<u64>,
    /// Simulated instances the videos are spread over (along a power law).
    #[arg(long, default_value_t = 300)]
    instances: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Queries of each kind in the mix (8 kinds).
    #[arg(long, default_value_t = 100)]
    queries_per_kind: usize,
    /// At concurrency 1, stop after this many requests…
    #[arg(long, default_value_t = 3000)]
    single_requests: u64,
    /// …or after this many seconds.
    #[arg(long, default_value_t = 30.0)]
    single_seconds: f64,
    /// Requests in flight in the throughput runs.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds of each throughput run.
    #[arg(long, default_value_t = 15.0)]
    concurrent_seconds: f64,
    /// Read connections of the FTS5 endpoint.
    #[arg(long, default_value_t = 8)]
    fts_connections: u32,
    /// Run the Florilège and raw Tantivy indexing passes this many times,
    /// alternating; ratios use the fastest of each (the machine is shared).
    #[arg(long, default_value_t = 1)]
    index_runs: usize,
    /// Florilège's store (the FTS5 reference always searches a SQLite copy).
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// A PostgreSQL server where a fresh database is made per size.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Keep each size's directory (SQLite corpus, index, query mix) for
    /// runs by hand of the `serve` and `load` children; its path is printed.
    #[arg(long)]
    keep: bool,
}

/// The child processes the benchmark starts.
#[derive(Subcommand, Debug)]
enum Internal {
    /// Write the corpus into a fresh database and print what was written as JSON.
    #[command(hide = true)]
    Corpus(CorpusArgs),
    /// Run one indexing pass and print its result as JSON.
    #[command(hide = true)]
    IndexPass(IndexPassArgs),
    /// Serve Florilège's API and the FTS5 endpoint until standard input closes.
    #[command(hide = true)]
    Serve(ServeArgs),
    /// Send the query mix and print the latencies as JSON.
    #[command(hide = true)]
    Load(LoadArgs),
}

#[derive(Args, Debug)]
struct CorpusArgs {
    #[arg(long)]
    videos: u64,
    #[arg(long)]
    instances: usize,
    #[arg(long)]
    seed: u64,
    #[arg(long)]
    database_url: String,
}

fn main() -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_env("FLORILEGE_LOG")
        // sqlx warns about every FTS5 statement over 1 s at 1,000,000 videos: the tables say it.
        .unwrap_or_else(|_| EnvFilter::new("warn,sqlx::query=error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        // The load generator keeps to one thread; everything else runs on a multi-threaded runtime.
        Some(Internal::Load(args)) => print_json(&load::run(args)?),
        Some(command) => tokio::runtime::Runtime::new()?.block_on(child(command)),
        None => tokio::runtime::Runtime::new()?.block_on(run(cli.run)),
    }
}

async fn child(command: Internal) -> anyhow::Result<()> {
    match command {
        Internal::Corpus(args) => {
            let spec = CorpusSpec {
                videos: args.videos,
                instances: args.instances,
                seed: args.seed,
            };
            print_json(&corpus::write(spec, &args.database_url).await?)
        }
        Internal::IndexPass(args) => print_json(&indexing::run(args).await?),
        Internal::Serve(args) => serve::serve(args).await,
        Internal::Load(args) => print_json(&load::run(args)?),
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string(value)?)?;
    Ok(())
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let plan = SearchPlan {
        exe: std::env::current_exe().context("finding this program")?,
        sizes: args.videos,
        instances: args.instances,
        seed: args.seed,
        per_kind: args.queries_per_kind,
        single_requests: args.single_requests,
        single_seconds: args.single_seconds,
        concurrency: args.concurrency,
        concurrent_seconds: args.concurrent_seconds,
        fts_connections: args.fts_connections,
        index_runs: args.index_runs,
        backend: args.backend,
        postgres_url: args.postgres_url,
        keep: args.keep,
    };
    eprintln!("{}", report::header(&plan));
    let measurements = orchestrate::run(&plan, |news| eprintln!("{news}")).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", report::header(&plan))?;
    writeln!(out, "{}", report::corpus_table(&measurements))?;
    writeln!(out, "{}", report::indexing_table(&plan, &measurements))?;
    writeln!(out, "{}", report::queries_table(&measurements))?;
    writeln!(out, "{}", report::kinds_table(&measurements))?;
    writeln!(out, "{}", report::ratios_table(&plan, &measurements))?;
    writeln!(out, "{}", report::growth_table(&plan, &measurements))?;
    Ok(())
}
