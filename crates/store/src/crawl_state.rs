//! What the crawler keeps per instance between passes: resumable cursors, health and the next crawl time.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::db::{Store, Tx};
use crate::error::{Result, StoreError};
use crate::feed::Entity;
use crate::model::{CrawlRunStatus, InstanceStatus, now};
use crate::runs::CrawlRunCounters;

/// The result of a crawl of one instance, as the crawler judged it.
#[derive(Clone, Debug, PartialEq)]
pub struct CrawlOutcome {
    /// `None` on success; the readable reason otherwise.
    pub error: Option<String>,
    pub health_score: i64,
    pub consecutive_failures: i64,
    pub next_crawl_at: DateTime<Utc>,
    /// A new status (e.g. `dead` after a sustained outage, `approved` when it comes back).
    pub status: Option<InstanceStatus>,
}

/// How a crawl of one instance ended, recorded at once by [`Store::end_crawl`].
#[derive(Clone, Copy, Debug)]
pub struct CrawlEnd<'a> {
    /// The run to finish; `None` when its start could not be recorded.
    pub run_id: Option<i64>,
    pub status: CrawlRunStatus,
    pub counters: &'a CrawlRunCounters,
    pub error: Option<&'a str>,
    /// The instance's new health and schedule; `None` when the crawl was
    /// interrupted, which says nothing about the instance.
    pub outcome: Option<&'a CrawlOutcome>,
}

impl Store {
    /// The crawler's state for an instance, or the default when none was saved
    /// (or when what was saved no longer reads as `T`).
    pub async fn crawl_state<T: DeserializeOwned + Default>(&self, instance_id: i64) -> Result<T> {
        const SQL: &str = "SELECT crawl_state FROM instances WHERE id = $1";
        let json: Option<String> = on_pool!(&self.read, p => sqlx::query_scalar(SQL).bind(instance_id).fetch_optional(p).await?);
        let json = json.ok_or(StoreError::NotFound("instance"))?;
        Ok(serde_json::from_str(&json).unwrap_or_default())
    }

    /// Saves the crawler's state for an instance, if `worker` holds its crawl
    /// lease ([`StoreError::LeaseLost`] otherwise: the cursors belong to the
    /// worker that took the instance over).
    pub async fn save_crawl_state<T: Serialize>(
        &self,
        instance_id: i64,
        worker: &str,
        state: &T,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        save_crawl_state(&mut tx, instance_id, worker, state).await?;
        tx.commit().await
    }

    /// Saves the crawler's state at the end of a full sweep, and the sweep's
    /// completion with it: a worker that takes the instance over after this
    /// does not sweep it again. Same lease rule as [`Store::save_crawl_state`].
    pub async fn save_swept_crawl_state<T: Serialize>(
        &self,
        instance_id: i64,
        worker: &str,
        state: &T,
        swept_at: DateTime<Utc>,
    ) -> Result<()> {
        const SQL: &str = "UPDATE instances SET last_full_sweep_at = $1 WHERE id = $2";
        let mut tx = self.begin().await?;
        save_crawl_state(&mut tx, instance_id, worker, state).await?;
        on_tx!(&mut tx, c => {
            sqlx::query(SQL).bind(swept_at).bind(instance_id).execute(&mut **c).await?;
        });
        tx.commit().await
    }

    /// Ends `worker`'s crawl of an instance in one transaction: the run's
    /// status and counters, the instance's outcome, and the lease given up.
    /// A worker killed at any point before leaves the instance due, with its
    /// lease to expire and its run to be marked interrupted by the next one;
    /// never an instance scheduled for later while its run still shows running.
    pub async fn end_crawl(
        &self,
        instance_id: i64,
        worker: &str,
        end: &CrawlEnd<'_>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        if let Some(outcome) = end.outcome {
            record_crawl_outcome(&mut tx, instance_id, outcome).await?;
        }
        if let Some(run_id) = end.run_id {
            crate::runs::finish_crawl_run(&mut tx, run_id, end.status, end.counters, end.error)
                .await?;
        }
        crate::leases::release_lease(&mut tx, instance_id, worker).await?;
        tx.commit().await
    }
}

/// Records the outcome of a crawl in `tx`. A success clears the last error
/// (it stays in the crawl runs' history).
async fn record_crawl_outcome(tx: &mut Tx, instance_id: i64, outcome: &CrawlOutcome) -> Result<()> {
    const SQL: &str = "UPDATE instances SET health_score = $1, consecutive_failures = $2, \
        next_crawl_at = $3, last_error = $4, \
        last_error_at = CASE WHEN $4 IS NULL THEN last_error_at ELSE $5 END, \
        last_success_at = CASE WHEN $4 IS NULL THEN $5 ELSE last_success_at END, \
        status = COALESCE($6, status), updated_at = $5 WHERE id = $7";
    let at = now();
    on_tx!(tx, c => {
        sqlx::query(SQL)
            .bind(outcome.health_score)
            .bind(outcome.consecutive_failures)
            .bind(outcome.next_crawl_at)
            .bind(outcome.error.as_deref())
            .bind(at)
            .bind(outcome.status.map(InstanceStatus::as_str))
            .bind(instance_id)
            .execute(&mut **c)
            .await?;
    });
    if outcome.status.is_some() {
        crate::feed::append_changes(tx, &[(Entity::Instance, instance_id)], at).await?;
    }
    Ok(())
}

/// Saves the crawler's state in `tx` if `worker` holds the instance's lease.
pub(crate) async fn save_crawl_state<T: Serialize>(
    tx: &mut Tx,
    instance_id: i64,
    worker: &str,
    state: &T,
) -> Result<()> {
    let json = serde_json::to_string(state).map_err(|error| StoreError::Invalid {
        field: "crawl_state",
        message: error.to_string(),
    })?;
    const SQL: &str = "UPDATE instances SET crawl_state = $1 WHERE id = $2 AND lease_owner = $3";
    let saved = on_tx!(tx, c => {
        sqlx::query(SQL)
            .bind(json)
            .bind(instance_id)
            .bind(worker)
            .execute(&mut **c)
            .await?
            .rows_affected()
    });
    if saved == 0 {
        return Err(StoreError::LeaseLost);
    }
    Ok(())
}
