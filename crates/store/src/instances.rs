//! Instances: adding them, listing them, their status and their identity as last read.

use chrono::{DateTime, Utc};

use crate::address::InstanceAddress;
use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::feed::Entity;
use crate::model::{Instance, InstanceOrigin, InstanceStatus, JsonList, now};

/// An instance to add.
#[derive(Clone, Debug)]
pub struct NewInstance {
    pub address: InstanceAddress,
    pub status: InstanceStatus,
    pub origin: InstanceOrigin,
    pub discovered_from: Option<i64>,
}

/// What an instance says about itself (config, about, stats, nodeinfo).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InstanceIdentity {
    pub software: String,
    pub version: Option<String>,
    pub name: Option<String>,
    pub short_description: Option<String>,
    pub description: Option<String>,
    pub languages: Vec<String>,
    pub categories: Vec<i64>,
    pub is_nsfw: bool,
    pub nsfw_policy: Option<String>,
    pub signup_allowed: Option<bool>,
    pub total_users: Option<i64>,
    pub total_local_videos: Option<i64>,
    pub total_local_video_views: Option<i64>,
}

impl Store {
    /// Adds an instance; if its host is already known, returns the existing
    /// one untouched. The boolean tells whether it was created.
    pub async fn add_instance(&self, new: &NewInstance) -> Result<(Instance, bool)> {
        let sql = format!(
            "INSERT INTO instances (host, base_url, status, origin, discovered_from, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (host) DO NOTHING \
             RETURNING {}",
            Instance::COLUMNS
        );
        let created: Option<Instance> = on_pool!(&self.write, p => {
            sqlx::query_as(&sql)
                .bind(&new.address.host)
                .bind(new.address.base_url.as_str().trim_end_matches('/'))
                .bind(new.status.as_str())
                .bind(new.origin.as_str())
                .bind(new.discovered_from)
                .bind(now())
                .fetch_optional(p)
                .await?
        });
        match created {
            Some(instance) => Ok((instance, true)),
            None => {
                let existing = self.instance_by_host(&new.address.host).await?;
                Ok((existing.ok_or(StoreError::NotFound("instance"))?, false))
            }
        }
    }

    /// An instance by id.
    pub async fn instance(&self, id: i64) -> Result<Option<Instance>> {
        let sql = format!("SELECT {} FROM instances WHERE id = $1", Instance::COLUMNS);
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// An instance by host (`video.example`, `127.0.0.1:4001`).
    pub async fn instance_by_host(&self, host: &str) -> Result<Option<Instance>> {
        let sql = format!(
            "SELECT {} FROM instances WHERE host = $1",
            Instance::COLUMNS
        );
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(host).fetch_optional(p).await?))
    }

    /// Instances, optionally of one status, by host.
    pub async fn list_instances(&self, status: Option<InstanceStatus>) -> Result<Vec<Instance>> {
        let sql = format!(
            "SELECT {} FROM instances WHERE ($1 IS NULL OR status = $1) ORDER BY host",
            Instance::COLUMNS
        );
        let status = status.map(InstanceStatus::as_str);
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(status).fetch_all(p).await?))
    }

    /// Changes an instance's status. What search shows of it changes too, so
    /// the change feed gets an instance-wide entry in the same transaction.
    pub async fn set_instance_status(&self, id: i64, status: InstanceStatus) -> Result<()> {
        let mut tx = self.begin().await?;
        let at = now();
        let updated = on_tx!(&mut tx, c => {
            sqlx::query("UPDATE instances SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status.as_str())
                .bind(at)
                .bind(id)
                .execute(&mut **c)
                .await?
                .rows_affected()
        });
        if updated == 0 {
            return Err(StoreError::NotFound("instance"));
        }
        crate::feed::append_changes(&mut tx, &[(Entity::Instance, id)], at).await?;
        tx.commit().await
    }

    /// Stores what an instance says about itself.
    pub async fn record_identity(&self, id: i64, identity: &InstanceIdentity) -> Result<()> {
        const SQL: &str = "UPDATE instances SET software = $1, version = $2, name = $3, \
            short_description = $4, description = $5, languages = $6, categories = $7, \
            is_nsfw = $8, nsfw_policy = $9, signup_allowed = $10, total_users = $11, \
            total_local_videos = $12, total_local_video_views = $13, updated_at = $14 \
            WHERE id = $15";
        let languages = JsonList(identity.languages.clone()).to_json();
        let categories =
            serde_json::to_string(&identity.categories).unwrap_or_else(|_| "[]".into());
        let mut tx = self.begin().await?;
        let at = now();
        on_tx!(&mut tx, c => {
            sqlx::query(SQL)
                .bind(&identity.software)
                .bind(&identity.version)
                .bind(&identity.name)
                .bind(&identity.short_description)
                .bind(&identity.description)
                .bind(languages)
                .bind(categories)
                .bind(identity.is_nsfw)
                .bind(&identity.nsfw_policy)
                .bind(identity.signup_allowed)
                .bind(identity.total_users)
                .bind(identity.total_local_videos)
                .bind(identity.total_local_video_views)
                .bind(at)
                .bind(id)
                .execute(&mut **c)
                .await?;
        });
        // Video documents carry the instance's name.
        crate::feed::append_changes(&mut tx, &[(Entity::Instance, id)], at).await?;
        tx.commit().await
    }

    /// Approved instances whose next crawl is due, oldest first.
    pub async fn due_instances(&self, at: DateTime<Utc>, limit: i64) -> Result<Vec<Instance>> {
        let sql = format!(
            "SELECT {} FROM instances WHERE status = 'approved' \
             AND (next_crawl_at IS NULL OR next_crawl_at <= $1) \
             ORDER BY next_crawl_at NULLS FIRST, id LIMIT $2",
            Instance::COLUMNS
        );
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(at).bind(limit).fetch_all(p).await?))
    }
}
