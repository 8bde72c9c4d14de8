//! The store's error type.

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
    #[error("password hashing failed: {0}")]
    Password(String),
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
