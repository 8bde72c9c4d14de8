//! The state every handler shares: the database, the search replica, the site's templates and catalogues, settings and metrics.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

use index::Searcher;
use store::Store;

use crate::config::WebConfig;
use crate::federation::Federation;
use crate::metrics::Metrics;
use crate::site::Site;

/// Cheap to clone: one `Arc` inside.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// What [`AppState`] holds.
pub struct Inner {
    pub store: Store,
    pub searcher: Searcher,
    pub config: WebConfig,
    pub site: Site,
    /// Checks submitted instances and fetches videos on demand (provided by
    /// the crawler); `None` on nodes that do not reach out to instances.
    pub federation: Option<Arc<dyn Federation>>,
    pub metrics: Metrics,
}

/// Why the web node could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Catalogue(#[from] crate::site::i18n::CatalogueError),
}

impl AppState {
    /// Loads the site (catalogues, templates, assets, the form secret).
    /// `images_dir` is the crawler's image cache, read to serve images.
    pub async fn open(
        store: Store,
        searcher: Searcher,
        config: WebConfig,
        images_dir: PathBuf,
        federation: Option<Arc<dyn Federation>>,
    ) -> Result<Self, StartError> {
        let secret = store.site_secret().await?;
        let site = Site::new(&secret, images_dir)?;
        let inner = Arc::new(Inner {
            store,
            searcher,
            config,
            site,
            federation,
            metrics: Metrics::default(),
        });
        tokio::spawn(crate::site::cache::follow_content(Arc::downgrade(&inner)));
        Ok(Self(inner))
    }
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
