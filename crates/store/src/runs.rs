//! Crawl runs: one record per pass over an instance, with its counters and outcome.

use serde::{Deserialize, Serialize};

use crate::db::Store;
use crate::error::Result;
use crate::model::now;

/// Which pass a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrawlRunKind {
    Identity,
    Incremental,
    Sweep,
    Details,
    Channels,
}

impl CrawlRunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CrawlRunKind::Identity => "identity",
            CrawlRunKind::Incremental => "incremental",
            CrawlRunKind::Sweep => "sweep",
            CrawlRunKind::Details => "details",
            CrawlRunKind::Channels => "channels",
        }
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrawlRunStatus {
    Running,
    Succeeded,
    Failed,
    Interrupted,
}

impl CrawlRunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CrawlRunStatus::Running => "running",
            CrawlRunStatus::Succeeded => "succeeded",
            CrawlRunStatus::Failed => "failed",
            CrawlRunStatus::Interrupted => "interrupted",
        }
    }
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrawlRunCounters {
    pub requests: i64,
    pub pages: i64,
    pub videos_new: i64,
    pub videos_updated: i64,
    pub videos_deleted: i64,
    pub items_skipped: i64,
    pub errors: i64,
    pub latency_ms_total: i64,
}

impl Store {
    /// Records the start of a run and returns its id.
    pub async fn start_crawl_run(
        &self,
        instance_id: i64,
        kind: CrawlRunKind,
        worker: &str,
    ) -> Result<i64> {
        const SQL: &str = "INSERT INTO crawl_runs (instance_id, kind, worker, status, started_at) \
            VALUES ($1, $2, $3, 'running', $4) RETURNING id";
        Ok(on_pool!(&self.write, p => {
            sqlx::query_scalar(SQL)
                .bind(instance_id)
                .bind(kind.as_str())
                .bind(worker)
                .bind(now())
                .fetch_one(p)
                .await?
        }))
    }

    /// Records how a run ended.
    pub async fn finish_crawl_run(
        &self,
        run_id: i64,
        status: CrawlRunStatus,
        counters: &CrawlRunCounters,
        error: Option<&str>,
    ) -> Result<()> {
        const SQL: &str = "UPDATE crawl_runs SET status = $1, finished_at = $2, requests = $3, \
            pages = $4, videos_new = $5, videos_updated = $6, videos_deleted = $7, \
            items_skipped = $8, errors = $9, latency_ms_total = $10, error = $11 WHERE id = $12";
        on_pool!(&self.write, p => {
            sqlx::query(SQL)
                .bind(status.as_str())
                .bind(now())
                .bind(counters.requests)
                .bind(counters.pages)
                .bind(counters.videos_new)
                .bind(counters.videos_updated)
                .bind(counters.videos_deleted)
                .bind(counters.items_skipped)
                .bind(counters.errors)
                .bind(counters.latency_ms_total)
                .bind(error)
                .bind(run_id)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Marks runs left `running` by a worker that stopped (crashed) as interrupted.
    pub async fn interrupt_stale_runs(&self, worker: &str) -> Result<u64> {
        const SQL: &str = "UPDATE crawl_runs SET status = 'interrupted', finished_at = $1 \
            WHERE worker = $2 AND status = 'running'";
        let result = on_pool!(&self.write, p => {
            sqlx::query(SQL).bind(now()).bind(worker).execute(p).await?.rows_affected()
        });
        Ok(result)
    }
}
