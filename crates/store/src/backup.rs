//! Backups of a SQLite database: an online, consistent copy (`VACUUM INTO`), checking that a file is a Florilège database this build can open, and swapping one in.
//!
//! PostgreSQL is backed up and restored with its own tools (`pg_dump`,
//! `pg_restore`), as `docs/deployment.md` explains; the functions here say
//! so instead of doing half a job. The search index is never backed up: it
//! is rebuilt from the database.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteLockingMode};
use sqlx::{ConnectOptions, Connection};

use crate::db::{Pool, SQLITE_MIGRATIONS, Store, StoreConfig};
use crate::error::{Result, StoreError};
use crate::model::now;

/// Where a PostgreSQL deployment learns how to back up and restore.
const POSTGRES_ADVICE: &str = "on PostgreSQL, back up with `pg_dump --format=custom` and restore \
    with `pg_restore` (see docs/deployment.md, \"Backup and restore\")";

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

/// How many rows of each kind a database holds, and its schema version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Contents {
    /// The latest migration applied.
    pub schema_version: i64,
    pub instances: i64,
    pub videos: i64,
    pub themes: i64,
    pub selections: i64,
    pub selection_items: i64,
    pub users: i64,
}

const CONTENTS_SQL: &str = "SELECT \
    (SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success) AS schema_version, \
    (SELECT COUNT(*) FROM instances) AS instances, \
    (SELECT COUNT(*) FROM videos) AS videos, \
    (SELECT COUNT(*) FROM themes) AS themes, \
    (SELECT COUNT(*) FROM selections) AS selections, \
    (SELECT COUNT(*) FROM selection_items) AS selection_items, \
    (SELECT COUNT(*) FROM users) AS users";

impl std::fmt::Display for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "schema version {}: {} instances, {} videos, {} themes, {} selections ({} items), {} users",
            self.schema_version,
            self.instances,
            self.videos,
            self.themes,
            self.selections,
            self.selection_items,
            self.users
        )
    }
}

/// What [`restore`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    /// The restored database, after migration.
    pub contents: Contents,
    pub database: PathBuf,
    /// Where the database it replaced was moved (nothing is deleted).
    pub set_aside: Option<PathBuf>,
}

impl Store {
    /// What the database holds, counted in one read.
    pub async fn contents(&self) -> Result<Contents> {
        Ok(on_pool!(&self.read, p => sqlx::query_as(CONTENTS_SQL).fetch_one(p).await?))
    }

    /// Writes a consistent copy of a SQLite database to `dest` (a new file)
    /// while the database stays in use: `VACUUM INTO` reads one snapshot,
    /// so the copy holds exactly the transactions committed when it began.
    /// The copy is written beside `dest` and renamed once checked, so `dest`
    /// never names a partial file. Refused on PostgreSQL (use `pg_dump`).
    pub async fn backup_to(&self, dest: &Path) -> Result<Contents> {
        let Pool::Sqlite(pool) = &self.read else {
            return Err(StoreError::Backup(format!(
                "`florilege backup` copies SQLite databases; {POSTGRES_ADVICE}"
            )));
        };
        if dest.exists() {
            return Err(StoreError::Backup(format!(
                "{} already exists: choose a new file or a directory",
                dest.display()
            )));
        }
        let partial = with_suffix(dest, ".partial");
        remove_if_present(&partial)?;
        let partial_name = partial.to_str().ok_or_else(|| {
            StoreError::Backup(format!("{} is not a UTF-8 path", partial.display()))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(partial_name)
            .execute(pool)
            .await?;
        let contents = match check_database(&partial).await {
            Ok(contents) => contents,
            Err(error) => {
                remove_if_present(&partial)?;
                return Err(error);
            }
        };
        std::fs::rename(&partial, dest).map_err(|error| io_error("rename", &partial, &error))?;
        Ok(contents)
    }
}

/// Checks that the SQLite file at `path` is a sound Florilège database whose
/// schema this build knows (it may be older: opening it migrates it), and
/// counts what it holds. The file may be written to (SQLite's own
/// bookkeeping): check a copy of what must stay untouched.
pub async fn check_database(path: &Path) -> Result<Contents> {
    check_copy(path, path).await
}

/// Checks the database at `path`, naming it `shown` in errors (the file it was copied from).
async fn check_copy(path: &Path, shown: &Path) -> Result<Contents> {
    let header = read_header(path)?;
    if header != SQLITE_HEADER {
        return Err(StoreError::Backup(format!(
            "{} is not a SQLite database",
            shown.display()
        )));
    }
    let mut connection = SqliteConnectOptions::new().filename(path).connect().await?;
    let checked = check_connection(&mut connection, shown).await;
    connection.close().await?;
    checked
}

async fn check_connection(connection: &mut SqliteConnection, path: &Path) -> Result<Contents> {
    let integrity: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&mut *connection)
        .await?;
    if integrity != "ok" {
        return Err(StoreError::Backup(format!(
            "{} is damaged: {integrity}",
            path.display()
        )));
    }
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' \
         AND name IN ('_sqlx_migrations', 'selections', 'videos', 'change_feed')",
    )
    .fetch_one(&mut *connection)
    .await?;
    if tables != 4 {
        return Err(StoreError::Backup(format!(
            "{} is a SQLite database but not a Florilège one",
            path.display()
        )));
    }
    let applied: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *connection)
            .await?;
    check_migrations(&applied, path)?;
    Ok(sqlx::query_as(CONTENTS_SQL)
        .fetch_one(&mut *connection)
        .await?)
}

/// Every applied migration must be one of this build's, unchanged.
fn check_migrations(applied: &[(i64, Vec<u8>)], path: &Path) -> Result<()> {
    let newest_known = SQLITE_MIGRATIONS
        .iter()
        .map(|migration| migration.version)
        .max()
        .unwrap_or(0);
    for (version, checksum) in applied {
        let Some(known) = SQLITE_MIGRATIONS.iter().find(|m| m.version == *version) else {
            return Err(StoreError::Backup(if *version > newest_known {
                format!(
                    "{} has schema version {version}, newer than this Florilège knows \
                     ({newest_known}): restore it with a newer Florilège",
                    path.display()
                )
            } else {
                format!(
                    "{} has a migration {version} this Florilège does not know",
                    path.display()
                )
            }));
        };
        if known.checksum.as_ref() != checksum.as_slice() {
            return Err(StoreError::Backup(format!(
                "{}: migration {version} differs from this Florilège's (another build or an edited schema)",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Puts the database in the file `source` in place of the SQLite database
/// of `database_url`, after checking it and migrating it (on a copy, so
/// `source` is never changed). A database in use by another process is
/// refused unless `force`; the replaced database is moved aside, not deleted.
pub async fn restore(source: &Path, database_url: &str, force: bool) -> Result<Restored> {
    let target = sqlite_file(database_url)?;
    if !source.is_file() {
        return Err(StoreError::Backup(format!(
            "{} is not a file",
            source.display()
        )));
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|error| io_error("create", parent, &error))?;
    }
    if !force && target.exists() && in_use(&target).await? {
        return Err(in_use_error(&target));
    }
    let staged = with_suffix(&target, ".restoring");
    let contents = match stage(source, &staged).await {
        Ok(contents) => contents,
        Err(error) => {
            remove_with_sidecars(&staged)?;
            return Err(error);
        }
    };
    // Checked again: a process may have started while the copy was made.
    if !force && target.exists() && in_use(&target).await? {
        remove_with_sidecars(&staged)?;
        return Err(in_use_error(&target));
    }
    let set_aside = if target.exists() {
        let aside = with_suffix(
            &target,
            &format!(".before-restore-{}", now().format("%Y%m%dT%H%M%SZ")),
        );
        move_with_sidecars(&target, &aside)?;
        Some(aside)
    } else {
        None
    };
    move_with_sidecars(&staged, &target)?;
    Ok(Restored {
        contents,
        database: target,
        set_aside,
    })
}

/// Copies `source` to `staged`, checks the copy and migrates it.
async fn stage(source: &Path, staged: &Path) -> Result<Contents> {
    remove_with_sidecars(staged)?;
    std::fs::copy(source, staged).map_err(|error| io_error("copy", source, &error))?;
    // A database copied while in use may keep commits in its write-ahead log.
    let wal = with_suffix(source, "-wal");
    if wal.exists() {
        let staged_wal = with_suffix(staged, "-wal");
        std::fs::copy(&wal, &staged_wal).map_err(|error| io_error("copy", &wal, &error))?;
    }
    check_copy(staged, source).await?;
    let config = StoreConfig {
        database_url: format!("sqlite://{}", staged.display()),
        ..StoreConfig::default()
    };
    let store = Store::open(&config).await?;
    let contents = store.contents().await;
    if let Pool::Sqlite(pool) = &store.write {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(pool)
            .await?;
    }
    store.close().await;
    std::fs::File::open(staged)
        .and_then(|file| file.sync_all())
        .map_err(|error| io_error("sync", staged, &error))?;
    contents
}

/// Whether another connection has the database open: it then holds a lock
/// that keeps this one from taking the database exclusively. A file SQLite
/// cannot read (a damaged database being replaced) is in no one's use.
async fn in_use(path: &Path) -> Result<bool> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .locking_mode(SqliteLockingMode::Exclusive)
        .busy_timeout(Duration::from_millis(200));
    let mut connection = match options.connect().await {
        Ok(connection) => connection,
        Err(sqlx::Error::Database(error)) if is_busy(error.as_ref()) => return Ok(true),
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "cannot open the database to replace");
            return Ok(false);
        }
    };
    let busy = match sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut connection)
        .await
    {
        Ok(_) => {
            sqlx::query("COMMIT").execute(&mut connection).await?;
            false
        }
        Err(sqlx::Error::Database(error)) if is_busy(error.as_ref()) => true,
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "cannot lock the database to replace");
            false
        }
    };
    connection.close().await?;
    Ok(busy)
}

fn is_busy(error: &dyn sqlx::error::DatabaseError) -> bool {
    // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
    error
        .code()
        .and_then(|code| code.parse::<i64>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
}

fn in_use_error(target: &Path) -> StoreError {
    StoreError::Backup(format!(
        "{} is in use by a running Florilège (serve, crawl or index): stop it first, \
         or pass --force to replace the database anyway",
        target.display()
    ))
}

/// The file of a `sqlite://` URL.
pub fn sqlite_file(database_url: &str) -> Result<PathBuf> {
    if !database_url.starts_with("sqlite:") {
        return Err(StoreError::Backup(format!(
            "`florilege restore` replaces SQLite databases; {POSTGRES_ADVICE}"
        )));
    }
    let options = SqliteConnectOptions::from_str(database_url)?;
    let file = options.get_filename();
    if database_url.contains(":memory:") || file.as_os_str().is_empty() {
        return Err(StoreError::Backup(
            "an in-memory database has nothing to back up or restore".into(),
        ));
    }
    Ok(file.to_owned())
}

fn read_header(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut header = Vec::with_capacity(SQLITE_HEADER.len());
    std::fs::File::open(path)
        .and_then(|file| {
            file.take(SQLITE_HEADER.len() as u64)
                .read_to_end(&mut header)
        })
        .map_err(|error| io_error("read", path, &error))?;
    Ok(header)
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The files SQLite keeps beside a database.
const SIDECARS: [&str; 3] = ["-wal", "-shm", "-journal"];

fn move_with_sidecars(from: &Path, to: &Path) -> Result<()> {
    for sidecar in SIDECARS {
        let (from_sidecar, to_sidecar) = (with_suffix(from, sidecar), with_suffix(to, sidecar));
        // A sidecar may vanish at any moment (SQLite deletes `-shm` when
        // its last connection closes): a missing one is not an error.
        match std::fs::rename(&from_sidecar, &to_sidecar) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(io_error("move", &from_sidecar, &error));
            }
            _ => {}
        }
    }
    std::fs::rename(from, to).map_err(|error| io_error("move", from, &error))
}

fn remove_with_sidecars(path: &Path) -> Result<()> {
    for sidecar in SIDECARS {
        remove_if_present(&with_suffix(path, sidecar))?;
    }
    remove_if_present(path)
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(io_error("remove", path, &error))
        }
        _ => Ok(()),
    }
}

fn io_error(action: &str, path: &Path, error: &std::io::Error) -> StoreError {
    StoreError::Backup(format!("cannot {action} {}: {error}", path.display()))
}
