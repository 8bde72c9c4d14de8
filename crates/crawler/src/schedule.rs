//! Which instances a worker crawls, and when: claimed under a lease, on schedule or all at once.

use std::cmp::Reverse;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use store::{Instance, InstanceStatus};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::lease::{self, HeldLease};
use crate::{CrawlEvent, CrawlReport, Crawler, CrawlerError};

impl Crawler {
    /// What a former process under this worker's name left: its runs are
    /// interrupted, its leases released.
    async fn clear_former_self(&self) -> Result<(), CrawlerError> {
        self.store.interrupt_stale_runs(&self.worker).await?;
        self.store.release_worker_leases(&self.worker).await?;
        Ok(())
    }

    /// Crawls every approved instance once (or only `host`), whatever their
    /// schedule, except those another worker holds (they are reported as
    /// [`CrawlEvent::Skipped`]; for `host`, it is an error).
    pub async fn crawl_once(
        &self,
        host: Option<&str>,
        cancel: &CancellationToken,
    ) -> Result<Vec<CrawlReport>, CrawlerError> {
        self.clear_former_self().await?;
        match host {
            Some(host) => {
                let instance = self.approved_instance(host).await?;
                Ok(vec![self.crawl_if_free(&instance, cancel).await?])
            }
            None => self.crawl_all_free(cancel).await,
        }
    }

    /// An approved instance by host, or why it cannot be crawled.
    async fn approved_instance(&self, host: &str) -> Result<Instance, CrawlerError> {
        let instance = self
            .store
            .instance_by_host(host)
            .await?
            .ok_or_else(|| CrawlerError::UnknownInstance(host.into()))?;
        if instance.status != InstanceStatus::Approved {
            return Err(CrawlerError::NotApproved {
                host: instance.host,
                status: instance.status,
            });
        }
        Ok(instance)
    }

    /// Crawls every approved instance that no other worker holds,
    /// `parallel_instances` at a time, each in a task of its own (so that
    /// decoding and mapping pages use every worker thread of the runtime),
    /// the largest first (see [`largest_first`]).
    async fn crawl_all_free(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Vec<CrawlReport>, CrawlerError> {
        let mut instances = self
            .store
            .list_instances(Some(InstanceStatus::Approved))
            .await?;
        largest_first(&mut instances);
        let mut instances = instances.into_iter();
        let parallel = self.config.parallel_instances.max(1);
        let mut tasks = JoinSet::new();
        let mut outcomes = Vec::new();
        loop {
            while tasks.len() < parallel
                && let Some(instance) = instances.next()
            {
                let (crawler, cancel) = (self.clone(), cancel.clone());
                tasks.spawn(async move { crawler.crawl_if_free(&instance, &cancel).await });
            }
            match tasks.join_next().await {
                Some(Ok(outcome)) => outcomes.push(outcome),
                Some(Err(failed)) => std::panic::resume_unwind(failed.into_panic()),
                None => break,
            }
        }
        let mut reports = Vec::new();
        for outcome in outcomes {
            match outcome {
                Ok(report) => reports.push(report),
                Err(CrawlerError::Leased { host, owner }) => {
                    tracing::info!(instance.host = %host, worker = %owner,
                        "skipped: another worker is crawling it");
                    self.emit(CrawlEvent::Skipped { host, owner });
                }
                Err(error) => return Err(error),
            }
        }
        Ok(reports)
    }

    /// Claims the instance and crawls it, or says which worker holds it.
    async fn crawl_if_free(
        &self,
        instance: &Instance,
        cancel: &CancellationToken,
    ) -> Result<CrawlReport, CrawlerError> {
        let length = lease::as_delta(self.config.lease());
        match self
            .store
            .claim_instance(instance.id, &self.worker, length)
            .await?
        {
            Some(claimed) => Ok(self.crawl_leased(&claimed, cancel).await),
            None => {
                let owner = self.store.lease(instance.id).await?;
                Err(CrawlerError::Leased {
                    host: instance.host.clone(),
                    owner: owner.map_or_else(|| "unknown".into(), |lease| lease.owner),
                })
            }
        }
    }

    /// Runs the schedule until `cancel` fires: due instances that no other
    /// worker holds are claimed and crawled, at most `parallel_instances` at
    /// a time; on cancellation the crawls in flight stop after their current
    /// page and give their instances up.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) -> Result<(), CrawlerError> {
        self.clear_former_self().await?;
        tracing::info!(worker = %self.worker, "crawl worker started");
        let parallel = self.config.parallel_instances.max(1);
        let length = lease::as_delta(self.config.lease());
        let mut tasks = JoinSet::new();
        let mut running = HashSet::new();
        while !cancel.is_cancelled() {
            let free = parallel.saturating_sub(tasks.len());
            if free > 0 {
                let limit = i64::try_from(free).unwrap_or(i64::MAX);
                let claimed = self
                    .store
                    .claim_due_instances(&self.worker, Utc::now(), length, limit)
                    .await
                    .unwrap_or_else(|error| {
                        tracing::error!(%error, "cannot claim due instances; trying again");
                        Vec::new()
                    });
                for instance in claimed {
                    if !running.insert(instance.id) {
                        continue;
                    }
                    let (crawler, cancel) = (Arc::clone(&self), cancel.clone());
                    tasks.spawn(async move {
                        crawler.crawl_leased(&instance, &cancel).await;
                        instance.id
                    });
                }
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Ok(id) = done {
                        running.remove(&id);
                    }
                }
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        while tasks.join_next().await.is_some() {}
        Ok(())
    }

    /// Crawls an instance this worker has just claimed, keeping the lease
    /// alive meanwhile; the crawl gives it up when it ends.
    async fn crawl_leased(&self, instance: &Instance, cancel: &CancellationToken) -> CrawlReport {
        let crawl = cancel.child_token();
        let lease = HeldLease::keep(
            &self.store,
            instance.id,
            &self.worker,
            self.config.lease(),
            crawl.clone(),
        );
        self.crawl_instance(instance, &crawl, lease).await
    }
}

/// Orders instances by the number of local videos they last announced,
/// largest first, those never read last, ties by host.
///
/// An instance's pages are read one after the other, so its crawl cannot
/// be shortened by running more of them at once: starting the longest first
/// keeps a large instance from beginning near the end of a round and
/// leaving the other slots idle while it finishes (at 1,000,000 videos the
/// largest simulated instance holds 18 % of them).
pub(crate) fn largest_first(instances: &mut [Instance]) {
    instances.sort_by(|a, b| {
        crawl_order(a.total_local_videos, &a.host).cmp(&crawl_order(b.total_local_videos, &b.host))
    });
}

/// The key of [`largest_first`]: announced local videos, descending (none last), then host.
pub fn crawl_order(total_local_videos: Option<i64>, host: &str) -> (Reverse<Option<i64>>, &str) {
    (Reverse(total_local_videos), host)
}

#[cfg(test)]
mod tests {
    use store::Instance;

    use super::largest_first;

    fn instance(host: &str, videos: Option<i64>) -> Instance {
        Instance {
            host: host.into(),
            total_local_videos: videos,
            ..crate::health::tests::instance(0, 50, 1)
        }
    }

    #[test]
    fn largest_instances_come_first_and_unknown_sizes_last() {
        let mut instances = vec![
            instance("c.example", None),
            instance("b.example", Some(10)),
            instance("a.example", None),
            instance("d.example", Some(5_000)),
            instance("e.example", Some(10)),
        ];
        largest_first(&mut instances);
        let hosts: Vec<&str> = instances.iter().map(|i| i.host.as_str()).collect();
        assert_eq!(
            hosts,
            [
                "d.example",
                "b.example",
                "e.example",
                "a.example",
                "c.example"
            ]
        );
    }
}
