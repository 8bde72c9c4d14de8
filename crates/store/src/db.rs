//! Connection pools for SQLite or PostgreSQL, migrations, and the macros that run one query on either.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::error::{Result, StoreError};
use crate::settings::SettingsCache;

/// The SQLite writer's page cache: `-N` is N KiB (32 MiB).
const WRITER_CACHE_SIZE: &str = "-32768";
/// WAL pages after which a commit copies the log into the database (64 MiB of 4 KiB pages).
const WAL_AUTOCHECKPOINT_PAGES: &str = "16384";
/// Rows a SQLite connection's thread may send ahead of the task reading them.
/// With sqlx's default (50), the thread stopped in the middle of a statement
/// whenever its reader had not caught up (a page's upsert returns up to 400
/// ids), and the write connection waited for that task to be polled.
const ROW_BUFFER_SIZE: usize = 1024;

pub(crate) static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Runs `$body` with `$pool` bound to the concrete pool of either backend.
///
/// The body is compiled once per backend, so a query written once is
/// type-checked against both drivers.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::db::Pool::Sqlite($p) => $body,
            $crate::db::Pool::Postgres($p) => $body,
        }
    };
}

/// Like [`on_pool!`] for an open write transaction; `$c` is `&mut` the transaction.
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite($c) => $body,
            $crate::db::Tx::Postgres($c) => $body,
        }
    };
}

/// Which database engine a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The store's settings (`database_url` and pool sizes).
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct StoreConfig {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`.
    pub database_url: String,
    /// Connections for reads (SQLite) or for everything (PostgreSQL).
    pub max_connections: u32,
    /// How long to wait for a connection or a lock before giving up.
    pub acquire_timeout_secs: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/florilege.db".into(),
            max_connections: 8,
            acquire_timeout_secs: 30,
        }
    }
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("database_url", &redact_url(&self.database_url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout_secs", &self.acquire_timeout_secs)
            .finish()
    }
}

/// Hides the password of a database URL (`postgres://user:secret@host` → `postgres://user:***@host`).
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// A handle on the database; cheap to clone (pools are shared).
///
/// On SQLite, writes go through a single connection so that write
/// transactions are serialised in-process instead of failing with
/// `SQLITE_BUSY`, while reads use a pool of readers (WAL mode).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) read: Pool,
    pub(crate) write: Pool,
    backend: Backend,
    pub(crate) settings: Arc<SettingsCache>,
}

impl Store {
    /// Opens the database named by `config.database_url` (creating a SQLite file if needed).
    /// Does not migrate: call [`Store::migrate`].
    pub async fn connect(config: &StoreConfig) -> Result<Self> {
        let url = config.database_url.as_str();
        let timeout = Duration::from_secs(config.acquire_timeout_secs);
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(timeout)
                .row_buffer_size(ROW_BUFFER_SIZE);
            if let Some(parent) = options.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|error| StoreError::Invalid {
                    field: "database_url",
                    message: format!("cannot create {}: {error}", parent.display()),
                })?;
            }
            // The writer's page cache holds the indexes a crawl inserts into
            // at random places (uuids): with SQLite's default 2 MB, each page
            // of 100 videos read back dozens of index pages from the file.
            // Its statement journals (a multi-row upsert needs one) stay in
            // memory instead of temporary files.
            let writer = options
                .clone()
                .pragma("cache_size", WRITER_CACHE_SIZE)
                .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
                .pragma("temp_store", "memory");
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(timeout)
                .connect_with(writer)
                .await?;
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let read = if in_memory {
                write.clone()
            } else {
                SqlitePoolOptions::new()
                    .max_connections(config.max_connections.max(1))
                    .acquire_timeout(timeout)
                    .connect_with(options.read_only(true))
                    .await?
            };
            Ok(Self {
                read: Pool::Sqlite(read),
                write: Pool::Sqlite(write),
                backend: Backend::Sqlite,
                settings: Arc::default(),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // Plan every execution with the tables as they are: sqlx prepares
            // each statement once per connection, and after five executions
            // PostgreSQL may keep a generic plan made when the tables were
            // small (a sequential scan for `uuid IN (…)`). Only an ANALYZE
            // replaces it, and none comes when autovacuum is off or behind:
            // a first crawl of 1,000,000 videos then took 1,037 s instead of
            // 182, the server's CPU in those scans (docs/deployment.md says
            // what to do behind a pooler that drops startup options).
            let options = PgConnectOptions::from_str(url)?
                .options([("plan_cache_mode", "force_custom_plan")]);
            let pool = PgPoolOptions::new()
                .max_connections(config.max_connections.max(2))
                .acquire_timeout(timeout)
                .connect_with(options)
                .await?;
            Ok(Self {
                read: Pool::Postgres(pool.clone()),
                write: Pool::Postgres(pool),
                backend: Backend::Postgres,
                settings: Arc::default(),
            })
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    /// Connects and applies pending migrations.
    pub async fn open(config: &StoreConfig) -> Result<Self> {
        let store = Self::connect(config).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the embedded migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<()> {
        match &self.write {
            Pool::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// The versions and descriptions of the migrations applied so far.
    pub async fn applied_migrations(&self) -> Result<Vec<(i64, String)>> {
        const SQL: &str = "SELECT version, description FROM _sqlx_migrations ORDER BY version";
        Ok(on_pool!(&self.read, p => sqlx::query_as(SQL).fetch_all(p).await?))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that the database answers (for health checks).
    pub async fn ping(&self) -> Result<()> {
        let _: (i32,) = on_pool!(&self.read, p => sqlx::query_as("SELECT 1").fetch_one(p).await?);
        Ok(())
    }

    /// Closes every connection, waiting for queries in flight.
    pub async fn close(&self) {
        for pool in [&self.read, &self.write] {
            on_pool!(pool, p => p.close().await);
        }
    }

    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(match &self.write {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://florilege:s3cret@db.example/florilege"),
            "postgres://florilege:***@db.example/florilege"
        );
        assert_eq!(
            redact_url("sqlite://data/florilege.db"),
            "sqlite://data/florilege.db"
        );
    }
}
