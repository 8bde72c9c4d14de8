//! The command line: what each subcommand means, and dispatch to its implementation.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use store::{InstanceStatus, Store};

use crate::config::Config;

mod backup;
mod crawl;
mod demo;
mod index;
mod instances;
mod serve;
mod showcase;
mod sim;
mod users;

const ABOUT: &str = "Florilège: a curated showcase and search index of the PeerTube federation.";

const LONG_ABOUT: &str = "\
Florilège polls PeerTube instances' REST APIs for video metadata, keeps it in a \
database (SQLite by default, PostgreSQL for scale-out), indexes it for search, and \
serves editors' selections as a public showcase site.

Settings come from a TOML file (--config, or ./florilege.toml) overlaid with \
FLORILEGE_* environment variables: FLORILEGE_DATABASE_URL (sqlite://PATH or \
postgres://…), FLORILEGE_DATA_DIR, FLORILEGE_LISTEN (HOST:PORT) and \
FLORILEGE_ALLOW_PRIVATE_ADDRESSES (true lets the crawler reach loopback and private \
addresses, for development and tests). `florilege config` shows the result.";

#[derive(Debug, Parser)]
#[command(name = "florilege", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    /// Configuration file (TOML). Default: ./florilege.toml when it exists.
    #[arg(long, global = true, env = "FLORILEGE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Log more (debug level for Florilège). FLORILEGE_LOG sets a precise filter.
    #[arg(long, short, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or upgrade the database schema (also done at start-up by the other commands).
    Migrate,
    /// Print the effective configuration, secrets redacted.
    Config,
    /// Manage back-office users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the PeerTube instances Florilège knows.
    #[command(subcommand)]
    Instances(InstancesCommand),
    /// Crawl approved instances: on schedule until stopped (SIGINT/SIGTERM), or once with --once.
    Crawl(crawl::CrawlArgs),
    /// Feed the search index from the database's change feed (or rebuild it).
    Index(index::IndexArgs),
    /// Run a complete showcase in one process, for a first look: a simulated
    /// PeerTube fleet (some of it hostile), the crawler, the indexer, the site
    /// with example selections, and an admin account (printed). Its data lives
    /// in DATA_DIR/demo and is started afresh at each run.
    Demo(demo::DemoArgs),
    /// Serve the site, the back office and the API, with the indexer and the
    /// crawl scheduler in the same process; stops gracefully on SIGINT/SIGTERM.
    Serve(serve::ServeArgs),
    /// Run a simulated PeerTube fleet on loopback, for tests, benchmarks and demos.
    Sim(sim::SimArgs),
    /// Write a consistent copy of the SQLite database while Florilège runs
    /// (serve, crawl and index go on). On PostgreSQL use pg_dump instead
    /// (docs/deployment.md). The search index is not copied: it is rebuilt
    /// from the database.
    Backup(backup::BackupArgs),
    /// Put a backup in place of the SQLite database: checks it is a Florilège
    /// database this version can open, migrates it, keeps the replaced file
    /// aside, then rebuilds the search index. Stop serve, crawl and index first.
    Restore(backup::RestoreArgs),
    /// Export selections (ordered items, notes, workflow), themes and their
    /// links as JSON; videos are named by instance host and uuid.
    Export(showcase::ExportArgs),
    /// Import a file written by `florilege export`: themes and selections are
    /// matched by slug and made equal to the file; importing it again changes
    /// nothing, or adds items whose videos have been crawled since.
    Import(showcase::ImportArgs),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from standard input when it is not
    /// a terminal (one line), otherwise asked for twice.
    Add {
        /// Login name: lower-case letters, digits, '.', '-' or '_'.
        name: String,
        /// Make the user an admin (users, instances, moderation) rather than an editor.
        #[arg(long)]
        admin: bool,
        /// Name shown in the back office and the audit log.
        #[arg(long, value_name = "TEXT")]
        display_name: Option<String>,
    },
    /// List users.
    List,
}

#[derive(Debug, Subcommand)]
pub enum InstancesCommand {
    /// Add one instance by host name (video.example) or URL (https://video.example).
    Add {
        /// Host or URL of the instance.
        address: String,
        #[command(flatten)]
        options: AddOptions,
    },
    /// Import instances from a hosts list in the JoinPeerTube index format
    /// ({"total": N, "data": [{"host": "…"}]}), read from a URL or a file.
    Import {
        /// URL (http:// or https://) or path of the list.
        source: String,
        #[command(flatten)]
        options: AddOptions,
    },
    /// Run the automatic checks of a submission on a host (reachable, PeerTube,
    /// version, not blocked, address allowed, robots.txt) and print each outcome.
    Check {
        /// Host or URL of the instance.
        address: String,
        /// Scheme for a bare host name.
        #[arg(long, value_enum, default_value_t = SchemeArg::Https)]
        scheme: SchemeArg,
    },
    /// List known instances.
    List {
        /// Only instances with this status.
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddOptions {
    /// Scheme for bare host names. `http` needs allow_private_addresses.
    #[arg(long, value_enum, default_value_t = SchemeArg::Https)]
    pub scheme: SchemeArg,
    /// Queue the instances for review instead of approving them for crawling.
    #[arg(long)]
    pub pending: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SchemeArg {
    Https,
    Http,
}

impl SchemeArg {
    fn as_str(self) -> &'static str {
        match self {
            SchemeArg::Https => "https",
            SchemeArg::Http => "http",
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StatusArg {
    Pending,
    Approved,
    Paused,
    Rejected,
    Blocked,
    Dead,
}

impl From<StatusArg> for InstanceStatus {
    fn from(status: StatusArg) -> Self {
        match status {
            StatusArg::Pending => InstanceStatus::Pending,
            StatusArg::Approved => InstanceStatus::Approved,
            StatusArg::Paused => InstanceStatus::Paused,
            StatusArg::Rejected => InstanceStatus::Rejected,
            StatusArg::Blocked => InstanceStatus::Blocked,
            StatusArg::Dead => InstanceStatus::Dead,
        }
    }
}

/// Runs the command and turns errors into a message and exit code 1.
pub fn main(cli: Cli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, &mut std::io::stdout().lock())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one command, writing its report to `out`.
pub async fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Config => {
            out.write_all(config.to_redacted_toml().as_bytes())?;
            Ok(())
        }
        Command::Migrate => {
            let store = open_store(&config).await?;
            for (version, description) in store.applied_migrations().await? {
                writeln!(out, "applied {version:04} {description}")?;
            }
            writeln!(out, "database is up to date ({:?})", store.backend())?;
            Ok(())
        }
        Command::User(command) => users::run(&open_store(&config).await?, command, out).await,
        Command::Instances(command) => {
            instances::run(&open_store(&config).await?, &config, command, out).await
        }
        Command::Crawl(args) => crawl::run(open_store(&config).await?, &config, args, out).await,
        Command::Index(args) => index::run(open_store(&config).await?, &config, args, out).await,
        Command::Demo(args) => demo::run(&config, args, out).await,
        Command::Serve(args) => serve::run(open_store(&config).await?, &config, args, out).await,
        Command::Sim(args) => sim::run(args, out).await,
        Command::Backup(args) => backup::run_backup(&config, args, out).await,
        Command::Restore(args) => backup::run_restore(&config, args, out).await,
        Command::Export(args) => showcase::run_export(&open_store(&config).await?, args, out).await,
        Command::Import(args) => showcase::run_import(&open_store(&config).await?, args, out).await,
    }
}

/// Opens the configured database and applies pending migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store_config = config.store();
    let store = Store::open(&store_config).await.map_err(|error| {
        anyhow::anyhow!(
            "cannot open the database {}: {error}",
            store::redact_url(&store_config.database_url)
        )
    })?;
    Ok(store)
}
