//! The store's error type.

use chrono::{DateTime, Utc};

/// What can go wrong when talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL (expected sqlite://PATH or postgres://…): {0}")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("stored value of {column} is unreadable: {message}")]
    Corrupt {
        column: &'static str,
        message: String,
    },
    /// A backup or restore that cannot be done, with what to do instead.
    #[error("{0}")]
    Backup(String),
    #[error("password hashing failed: {0}")]
    Password(String),
    /// A theme or selection slug that another one already uses.
    #[error("the slug {0:?} is already taken")]
    SlugTaken(String),
    /// Someone saved the record since the caller read it; nothing was written.
    #[error("{0}")]
    Conflict(Box<EditConflict>),
    /// The video is already an item of the selection.
    #[error("this video is already in the selection (item {item_id}, position {position})")]
    AlreadyInSelection { item_id: i64, position: i64 },
    /// A crawl worker wrote for an instance whose lease another worker took over.
    #[error("the crawl lease on this instance was taken over by another worker")]
    LeaseLost,
}

/// Who saved a record last, for a stale edit refused by optimistic concurrency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditConflict {
    /// The version now stored (the caller edited an older one).
    pub current_version: i64,
    pub saved_by: Option<i64>,
    /// The display name of `saved_by`, when that user still exists.
    pub saved_by_name: Option<String>,
    pub saved_at: DateTime<Utc>,
}

impl std::fmt::Display for EditConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let who = self.saved_by_name.as_deref().unwrap_or("someone else");
        write!(
            f,
            "{who} saved a newer version ({}) at {} since you opened it; nothing was changed",
            self.current_version,
            self.saved_at.format("%Y-%m-%d %H:%M UTC")
        )
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::AlreadyExists`].
    pub(crate) fn unique_as_exists(error: sqlx::Error, what: impl Into<String>) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::AlreadyExists(what.into())
            }
            _ => StoreError::Database(error),
        }
    }
}
