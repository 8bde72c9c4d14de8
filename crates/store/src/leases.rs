//! Crawl leases: an instance is crawled by one worker at a time, and a dead worker's instances are taken over when its lease expires.
//!
//! A worker claims instances (atomically, so two workers never get the same
//! one), renews its leases while it crawls, and releases them at the end.
//! Another worker may take an instance over only once its lease has expired.
//! The crawler's cursors are written only by the lease holder (see
//! [`Store::save_crawl_state`]), so a worker that lost an instance cannot
//! move its cursor back.
//!
//! Times come from the workers' clocks: keep them synchronised (NTP), the
//! skew well under a lease.

use chrono::{DateTime, TimeDelta, Utc};

use crate::db::{Backend, Store, Tx};
use crate::error::Result;
use crate::model::{Instance, now};

/// Who holds an instance, and until when.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Lease {
    pub owner: String,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Claims up to `limit` approved instances whose crawl is due at `at` and
    /// that no worker holds (or whose lease expired), for `worker`, for
    /// `length`. Oldest due first.
    ///
    /// One statement: on PostgreSQL the due rows are locked with
    /// `FOR UPDATE SKIP LOCKED`, so concurrent claimers split them; on SQLite
    /// the statement is one write transaction.
    pub async fn claim_due_instances(
        &self,
        worker: &str,
        at: DateTime<Utc>,
        length: TimeDelta,
        limit: i64,
    ) -> Result<Vec<Instance>> {
        let sql = format!(
            "UPDATE instances SET lease_owner = $1, lease_expires_at = $2 WHERE id IN (\
             SELECT id FROM instances WHERE status = 'approved' \
             AND (next_crawl_at IS NULL OR next_crawl_at <= $3) \
             AND (lease_owner IS NULL OR lease_expires_at <= $3) \
             ORDER BY next_crawl_at NULLS FIRST, id LIMIT $4{}) RETURNING {}",
            skip_locked(self.backend()),
            Instance::COLUMNS
        );
        let mut claimed: Vec<Instance> = on_pool!(&self.write, p => {
            sqlx::query_as(&sql)
                .bind(worker)
                .bind(at + length)
                .bind(at)
                .bind(limit)
                .fetch_all(p)
                .await?
        });
        claimed.sort_by_key(|instance| (instance.next_crawl_at, instance.id));
        Ok(claimed)
    }

    /// Claims one instance, whatever its schedule, unless another worker
    /// holds a lease on it that has not expired. `None` when it is held (or
    /// unknown).
    pub async fn claim_instance(
        &self,
        id: i64,
        worker: &str,
        length: TimeDelta,
    ) -> Result<Option<Instance>> {
        let sql = format!(
            "UPDATE instances SET lease_owner = $1, lease_expires_at = $2 WHERE id = $3 \
             AND (lease_owner IS NULL OR lease_owner = $1 OR lease_expires_at <= $4) \
             RETURNING {}",
            Instance::COLUMNS
        );
        let at = now();
        Ok(on_pool!(&self.write, p => {
            sqlx::query_as(&sql)
                .bind(worker)
                .bind(at + length)
                .bind(id)
                .bind(at)
                .fetch_optional(p)
                .await?
        }))
    }

    /// Extends `worker`'s lease on an instance to `length` from now. `false`
    /// when the worker no longer holds it (another worker took it over).
    pub async fn renew_lease(&self, id: i64, worker: &str, length: TimeDelta) -> Result<bool> {
        const SQL: &str =
            "UPDATE instances SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3";
        let renewed = on_pool!(&self.write, p => {
            sqlx::query(SQL)
                .bind(now() + length)
                .bind(id)
                .bind(worker)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(renewed == 1)
    }

    /// Gives an instance up, if `worker` still holds it. `false` otherwise.
    pub async fn release_lease(&self, id: i64, worker: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let released = release_lease(&mut tx, id, worker).await?;
        tx.commit().await?;
        Ok(released)
    }

    /// Gives up every lease held under `worker`'s name: a worker starting
    /// under the name of a stopped one takes its instances back at once.
    pub async fn release_worker_leases(&self, worker: &str) -> Result<u64> {
        const SQL: &str = "UPDATE instances SET lease_owner = NULL, lease_expires_at = NULL \
            WHERE lease_owner = $1";
        Ok(on_pool!(&self.write, p => {
            sqlx::query(SQL).bind(worker).execute(p).await?.rows_affected()
        }))
    }

    /// The lease on an instance, expired or not; `None` when nobody holds it.
    pub async fn lease(&self, id: i64) -> Result<Option<Lease>> {
        const SQL: &str = "SELECT lease_owner AS owner, lease_expires_at AS expires_at \
            FROM instances WHERE id = $1 AND lease_owner IS NOT NULL";
        Ok(on_pool!(&self.read, p => sqlx::query_as(SQL).bind(id).fetch_optional(p).await?))
    }
}

/// Gives an instance up in `tx`, if `worker` still holds it. `false` otherwise.
pub(crate) async fn release_lease(tx: &mut Tx, id: i64, worker: &str) -> Result<bool> {
    const SQL: &str = "UPDATE instances SET lease_owner = NULL, lease_expires_at = NULL \
        WHERE id = $1 AND lease_owner = $2";
    let released = on_tx!(tx, c => {
        sqlx::query(SQL).bind(id).bind(worker).execute(&mut **c).await?.rows_affected()
    });
    Ok(released == 1)
}

/// The clause that makes concurrent claimers skip each other's rows: the
/// one backend-specific part of a claim (SQLite serialises writers anyway).
fn skip_locked(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}
