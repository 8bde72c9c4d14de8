//! Holding an instance's crawl lease while its crawl runs: renewed every third of its length, the crawl stopped when it is lost.
//!
//! Workers claim instances through the store (see `store::Lease`); this
//! module keeps a claimed lease alive. When another worker took the
//! instance over (this one stalled past the lease), or when the lease could
//! not be renewed before it expired, the crawl is cancelled: it stops after
//! its current page, and the store refuses its cursor writes anyway.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::TimeDelta;
use store::Store;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A unique worker name: host name, process id and a random suffix.
pub fn default_worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "florilege".into());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &random[..6])
}

/// A lease length as the store takes it.
pub(crate) fn as_delta(length: Duration) -> TimeDelta {
    TimeDelta::from_std(length).unwrap_or(TimeDelta::MAX)
}

/// The lease of one instance, kept alive until [`HeldLease::stop`].
pub(crate) struct HeldLease {
    lost: Arc<AtomicBool>,
    stop: CancellationToken,
    heartbeat: Option<JoinHandle<()>>,
}

impl HeldLease {
    /// Starts renewing a lease just claimed; cancels `crawl` if it is lost.
    pub(crate) fn keep(
        store: &Store,
        instance_id: i64,
        worker: &str,
        length: Duration,
        crawl: CancellationToken,
    ) -> Self {
        let lost = Arc::new(AtomicBool::new(false));
        let stop = CancellationToken::new();
        let heartbeat = Heartbeat {
            store: store.clone(),
            instance_id,
            worker: worker.to_owned(),
            length,
        };
        let task = tokio::spawn(heartbeat.run(Arc::clone(&lost), crawl, stop.clone()));
        Self {
            lost,
            stop,
            heartbeat: Some(task),
        }
    }

    /// Whether another worker took the instance over (or the lease ran out).
    pub(crate) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }

    /// Stops renewing, for the crawl's end to give the lease up (see
    /// `Store::end_crawl`); unrenewed, it expires on its own.
    pub(crate) async fn stop(mut self) {
        self.stop.cancel();
        if let Some(task) = self.heartbeat.take() {
            let _ = task.await;
        }
    }
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

struct Heartbeat {
    store: Store,
    instance_id: i64,
    worker: String,
    length: Duration,
}

impl Heartbeat {
    async fn run(self, lost: Arc<AtomicBool>, crawl: CancellationToken, stop: CancellationToken) {
        let mut valid_until = Instant::now() + self.length;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(self.length / 3) => {}
            }
            let asked = Instant::now();
            let renewed = self
                .store
                .renew_lease(self.instance_id, &self.worker, as_delta(self.length))
                .await;
            match renewed {
                Ok(true) => valid_until = asked + self.length,
                Ok(false) => {
                    tracing::warn!(instance.id = self.instance_id, worker = %self.worker,
                        "crawl lease lost: another worker took the instance over");
                    break;
                }
                Err(error) if Instant::now() < valid_until => {
                    tracing::warn!(%error, instance.id = self.instance_id,
                        "cannot renew the crawl lease; retrying");
                }
                Err(error) => {
                    tracing::error!(%error, instance.id = self.instance_id,
                        "crawl lease expired before it could be renewed");
                    break;
                }
            }
        }
        lost.store(true, Ordering::Relaxed);
        crawl.cancel();
    }
}
