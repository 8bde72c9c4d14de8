//! The state every handler shares: the database, the search replica, settings and metrics.

use std::ops::Deref;
use std::sync::Arc;

use index::Searcher;
use store::Store;

use crate::config::WebConfig;
use crate::metrics::Metrics;

/// Cheap to clone: one `Arc` inside.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// What [`AppState`] holds.
pub struct Inner {
    pub store: Store,
    pub searcher: Searcher,
    pub config: WebConfig,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(store: Store, searcher: Searcher, config: WebConfig) -> Self {
        Self(Arc::new(Inner {
            store,
            searcher,
            config,
            metrics: Metrics::default(),
        }))
    }
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
