//! One Florilège node: the web server, the indexer following the change feed, and the crawl scheduler, in one process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::TimeDelta;
use crawler::images::ImageCache;
use crawler::{CancellationToken, Crawler, FetchVideoError};
use index::{Indexer, IndexerConfig, Searcher};
use store::Store;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::config::Config;

/// How often scheduled selections are looked for.
const PUBLISH_INTERVAL: Duration = Duration::from_secs(30);
/// How often ended sessions and old failed sign-ins are deleted.
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);
/// How long failed sign-ins are kept (throttling looks back 15 minutes).
const SIGN_IN_FAILURES_KEPT: TimeDelta = TimeDelta::days(1);

/// The web node's chores until cancelled: publishes selections whose
/// scheduled time has come, and deletes expired or revoked sessions and old
/// failed sign-ins. Several nodes may do it at once: the store publishes each
/// selection once, and deleting twice is harmless.
async fn housekeeping(store: Store, cancel: CancellationToken) {
    let mut last_purge: Option<Instant> = None;
    while !cancel.is_cancelled() {
        match store.publish_due(store::now()).await {
            Ok(published) => {
                for selection in published {
                    tracing::info!(selection.slug = %selection.slug, "scheduled selection published");
                }
            }
            Err(error) => tracing::error!(%error, "scheduled publication failed"),
        }
        if last_purge.is_none_or(|at| at.elapsed() >= PURGE_INTERVAL) {
            last_purge = Some(Instant::now());
            let now = store::now();
            let purged = futures::try_join!(
                store.purge_sessions(now),
                store.purge_sign_in_failures(now - SIGN_IN_FAILURES_KEPT),
            );
            match purged {
                Ok((sessions, failures)) => {
                    tracing::debug!(sessions, sign_in_failures = failures, "purged");
                }
                Err(error) => tracing::error!(%error, "purging sessions failed"),
            }
        }
        tokio::select! {
            () = cancel.cancelled() => {}
            () = tokio::time::sleep(PUBLISH_INTERVAL) => {}
        }
    }
}

/// The crawler's services to the web node: checks of submitted instances,
/// videos fetched on demand.
struct CrawlerServices(Crawler);

impl web::Federation for CrawlerServices {
    fn check<'a>(
        &'a self,
        address: &'a store::InstanceAddress,
    ) -> web::BoxFuture<'a, web::CheckOutcome> {
        Box::pin(async move {
            let check = self.0.check_instance(address).await;
            web::CheckOutcome {
                passed: check.passed,
                steps: check
                    .steps
                    .into_iter()
                    .map(|step| web::CheckStep {
                        name: step.name.to_owned(),
                        ok: step.ok,
                        detail: step.detail,
                    })
                    .collect(),
            }
        })
    }

    fn fetch_video<'a>(
        &'a self,
        host: &'a str,
        id: &'a str,
    ) -> web::BoxFuture<'a, Result<i64, web::VideoFetchError>> {
        Box::pin(async move {
            self.0
                .fetch_video(host, id)
                .await
                .map_err(|error| match error {
                    FetchVideoError::NotApproved(host) => {
                        web::VideoFetchError::UnknownInstance(host)
                    }
                    FetchVideoError::NotFound(_) => web::VideoFetchError::NotFound,
                    error => web::VideoFetchError::Failed(error.to_string()),
                })
        })
    }
}

/// Which parts run in this process (all by default; switch parts off to scale out).
#[derive(Clone, Debug)]
pub struct Parts {
    pub web: bool,
    /// Keeps this node's index replica up to date from the change feed.
    pub indexer: bool,
    pub crawler: bool,
    /// This replica's name in the feed cursors: one per index directory.
    pub consumer: String,
}

impl Default for Parts {
    fn default() -> Self {
        Self {
            web: true,
            indexer: true,
            crawler: true,
            consumer: "index".into(),
        }
    }
}

/// A running node; [`Node::wait`] returns when every part has stopped.
pub struct Node {
    cancel: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
    /// Where the web server listens, when it runs.
    pub address: Option<std::net::SocketAddr>,
    pub searcher: Option<Searcher>,
}

impl Node {
    /// Starts the parts; they stop when `cancel` is cancelled.
    pub async fn start(
        store: Store,
        config: &Config,
        parts: &Parts,
        listener: Option<TcpListener>,
        cancel: CancellationToken,
    ) -> anyhow::Result<Self> {
        let mut tasks = JoinSet::new();
        let cancel = cancel.child_token();
        let root = config.data_dir.join("index");
        if parts.indexer {
            let indexer_config = IndexerConfig {
                consumer: parts.consumer.clone(),
                ..IndexerConfig::default()
            };
            let mut indexer = Indexer::open(&root, store.clone(), indexer_config)
                .await
                .with_context(|| format!("cannot open the index at {}", root.display()))?;
            let stop = cancel.clone().cancelled_owned();
            tasks.spawn(async move {
                indexer.run(stop).await.context("the indexer stopped")?;
                Ok(())
            });
        }
        if parts.crawler {
            let crawler = Arc::new(Crawler::new(store.clone(), config.crawler())?);
            let images = ImageCache::new(store.clone(), config.images(), &config.crawler())?;
            let stop = cancel.clone();
            tasks.spawn(async move {
                crawler.run(stop).await.context("the crawler stopped")?;
                Ok(())
            });
            let stop = cancel.clone();
            tasks.spawn(async move {
                fill_images_until(images, stop).await;
                Ok(())
            });
        }
        let mut address = None;
        let mut searcher = None;
        if parts.web {
            let index = Searcher::open(&root).with_context(|| {
                format!(
                    "cannot open the index at {}: run `florilege index` once, or serve with the indexer",
                    root.display()
                )
            })?;
            let listener = match listener {
                Some(listener) => listener,
                None => TcpListener::bind(config.listen)
                    .await
                    .with_context(|| format!("cannot listen on {}", config.listen))?,
            };
            address = Some(listener.local_addr()?);
            let stop = cancel.clone();
            let chores = store.clone();
            tasks.spawn(async move {
                housekeeping(chores, stop).await;
                Ok(())
            });
            let federation = Arc::new(CrawlerServices(Crawler::new(
                store.clone(),
                config.crawler(),
            )?));
            let state = web::AppState::open(
                store,
                index.clone(),
                config.web.clone(),
                config.images().dir,
                Some(federation),
            )
            .await?;
            let stop = cancel.clone().cancelled_owned();
            tasks.spawn(async move {
                web::serve(listener, state, stop)
                    .await
                    .context("the web server stopped")?;
                Ok(())
            });
            searcher = Some(index);
        }
        Ok(Self {
            cancel,
            tasks,
            address,
            searcher,
        })
    }

    /// Waits for every part to stop. When one fails, the others are stopped
    /// and the first failure is returned.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next().await {
            let result = joined
                .context("a part of the node panicked")
                .and_then(|r| r);
            if let Err(error) = result {
                tracing::error!(error = format!("{error:#}"), "a part of the node failed");
                first_error.get_or_insert(error);
                self.cancel.cancel();
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Images fetched per fill pass, at most.
/// The pause between two fills of the image cache (a fill with nothing to
/// fetch is one cheap query).
const IMAGE_FILL_INTERVAL: Duration = Duration::from_secs(15);

pub(crate) const IMAGES_PER_FILL: usize = 100_000;

/// Fills the image cache every few seconds until cancelled.
pub(crate) async fn fill_images_until(images: ImageCache, cancel: CancellationToken) {
    while !cancel.is_cancelled() {
        match images.fill(IMAGES_PER_FILL, &cancel).await {
            Ok(report) if report.fetched > 0 => {
                tracing::info!(
                    images.fetched = report.fetched,
                    images.failed = report.failed,
                    "image cache filled"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "image cache fill failed"),
        }
        tokio::select! {
            () = cancel.cancelled() => {}
            () = tokio::time::sleep(IMAGE_FILL_INTERVAL) => {}
        }
    }
}
