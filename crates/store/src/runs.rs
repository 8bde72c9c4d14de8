//! Crawl runs: one record per pass over an instance, with its counters and outcome.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::{Backend, Store, Tx};
use crate::error::Result;
use crate::model::{CrawlRunKind, CrawlRunStatus, now};

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

/// One instance's crawling on one day (UTC), for the back office's charts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CrawlDay {
    pub instance_id: i64,
    /// `YYYY-MM-DD`.
    pub day: String,
    pub runs: i64,
    pub failed_runs: i64,
    pub requests: i64,
    pub errors: i64,
    pub latency_ms_total: i64,
    pub videos_new: i64,
    pub videos_deleted: i64,
}

/// A run as recorded: who ran which pass on an instance, when, and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CrawlRun {
    pub id: i64,
    pub instance_id: i64,
    #[sqlx(try_from = "String")]
    pub kind: CrawlRunKind,
    pub worker: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: CrawlRunStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub pages: i64,
    pub error: Option<String>,
}

impl Store {
    /// Crawl runs started since `since`, summed per instance and day, ordered
    /// by instance then day.
    pub async fn crawl_days(&self, since: DateTime<Utc>) -> Result<Vec<CrawlDay>> {
        let day = match self.backend() {
            Backend::Sqlite => "substr(started_at, 1, 10)",
            Backend::Postgres => "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        };
        let sql = format!(
            "SELECT instance_id, {day} AS day, CAST(COUNT(*) AS BIGINT) AS runs, \
             CAST(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS BIGINT) AS failed_runs, \
             CAST(SUM(requests) AS BIGINT) AS requests, CAST(SUM(errors) AS BIGINT) AS errors, \
             CAST(SUM(latency_ms_total) AS BIGINT) AS latency_ms_total, \
             CAST(SUM(videos_new) AS BIGINT) AS videos_new, \
             CAST(SUM(videos_deleted) AS BIGINT) AS videos_deleted \
             FROM crawl_runs WHERE started_at >= $1 GROUP BY instance_id, {day} \
             ORDER BY instance_id, day"
        );
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(since).fetch_all(p).await?))
    }

    /// The runs of an instance, oldest first.
    pub async fn crawl_runs(&self, instance_id: i64) -> Result<Vec<CrawlRun>> {
        const SQL: &str = "SELECT id, instance_id, kind, worker, status, started_at, \
            finished_at, pages, error FROM crawl_runs WHERE instance_id = $1 ORDER BY id";
        Ok(on_pool!(&self.read, p => sqlx::query_as(SQL).bind(instance_id).fetch_all(p).await?))
    }

    /// Records the start of a run by `worker`, which holds the instance's
    /// crawl lease, and returns its id. Runs of the instance still marked
    /// running were left by a worker that lost the lease (it died or
    /// stalled): they are marked interrupted in the same transaction.
    pub async fn start_crawl_run(
        &self,
        instance_id: i64,
        kind: CrawlRunKind,
        worker: &str,
    ) -> Result<i64> {
        const INTERRUPT: &str = "UPDATE crawl_runs SET status = 'interrupted', finished_at = $1, \
            error = $2 WHERE instance_id = $3 AND status = 'running'";
        const START: &str = "INSERT INTO crawl_runs (instance_id, kind, worker, status, started_at) \
            VALUES ($1, $2, $3, 'running', $4) RETURNING id";
        let at = now();
        let taken_over = format!("lease expired: taken over by {worker}");
        let mut tx = self.begin().await?;
        let id = on_tx!(&mut tx, c => {
            sqlx::query(INTERRUPT)
                .bind(at)
                .bind(&taken_over)
                .bind(instance_id)
                .execute(&mut **c)
                .await?;
            sqlx::query_scalar(START)
                .bind(instance_id)
                .bind(kind.as_str())
                .bind(worker)
                .bind(at)
                .fetch_one(&mut **c)
                .await?
        });
        tx.commit().await?;
        Ok(id)
    }

    /// Records how a run ended.
    pub async fn finish_crawl_run(
        &self,
        run_id: i64,
        status: CrawlRunStatus,
        counters: &CrawlRunCounters,
        error: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        finish_crawl_run(&mut tx, run_id, status, counters, error).await?;
        tx.commit().await
    }

    /// Marks runs left `running` by a worker that stopped (crashed) as
    /// interrupted: for a worker restarting under its former name.
    pub async fn interrupt_stale_runs(&self, worker: &str) -> Result<u64> {
        const SQL: &str = "UPDATE crawl_runs SET status = 'interrupted', finished_at = $1 \
            WHERE worker = $2 AND status = 'running'";
        let result = on_pool!(&self.write, p => {
            sqlx::query(SQL).bind(now()).bind(worker).execute(p).await?.rows_affected()
        });
        Ok(result)
    }
}

/// Records how a run ended, in `tx`.
pub(crate) async fn finish_crawl_run(
    tx: &mut Tx,
    run_id: i64,
    status: CrawlRunStatus,
    counters: &CrawlRunCounters,
    error: Option<&str>,
) -> Result<()> {
    const SQL: &str = "UPDATE crawl_runs SET status = $1, finished_at = $2, requests = $3, \
        pages = $4, videos_new = $5, videos_updated = $6, videos_deleted = $7, \
        items_skipped = $8, errors = $9, latency_ms_total = $10, error = $11 WHERE id = $12";
    on_tx!(tx, c => {
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
            .execute(&mut **c)
            .await?;
    });
    Ok(())
}
