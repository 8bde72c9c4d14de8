//! The index crate's error type.

/// What can go wrong while indexing or searching.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index: cannot open {path}: {message}")]
    Open { path: String, message: String },
    #[error("database: {0}")]
    Store(#[from] store::StoreError),
    #[error("search index: corrupt commit payload: {0}")]
    Payload(String),
    #[error("search index: a background task failed: {0}")]
    Task(String),
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// An invalid search parameter, named as the search-index API names it (a 400 for the API).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid parameter {parameter}: {message}")]
pub struct QueryError {
    pub parameter: &'static str,
    pub message: String,
}

impl QueryError {
    /// An error about `parameter`.
    pub fn new(parameter: &'static str, message: impl Into<String>) -> Self {
        Self {
            parameter,
            message: message.into(),
        }
    }
}

/// The index crate's result type.
pub type Result<T, E = IndexError> = std::result::Result<T, E>;
