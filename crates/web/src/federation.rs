//! What the web node asks of the federation. The crawler provides it: the
//! web crate never calls an instance itself.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use store::InstanceAddress;

/// The outcome of the automatic checks of a submitted instance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub passed: bool,
    pub steps: Vec<CheckStep>,
}

/// One check and what it found, in plain words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckStep {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// Why a video could not be fetched on demand.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VideoFetchError {
    /// Its host is not an instance Florilège crawls (unknown, pending, paused, blocked…).
    #[error("{0} is not an approved instance")]
    UnknownInstance(String),
    /// The instance has no public local video by that identifier.
    #[error("the instance has no such public video")]
    NotFound,
    /// The instance could not be read, or the video not stored.
    #[error("{0}")]
    Failed(String),
}

/// A boxed future borrowing its arguments.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The crawler's services to the web node.
pub trait Federation: Send + Sync + 'static {
    /// Runs the checks of a submitted instance.
    fn check<'a>(&'a self, address: &'a InstanceAddress) -> BoxFuture<'a, CheckOutcome>;

    /// Fetches one video of an approved instance (`id`: uuid or short uuid)
    /// and stores it with its channel and account, as a crawl would; returns
    /// its id in the store.
    fn fetch_video<'a>(
        &'a self,
        host: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<i64, VideoFetchError>>;
}
