//! Removal requests from the public about a video, channel or instance, and how moderators answered them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::{Audit, write_audit};
use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::model::{RemovalStatus, RemovalTargetKind, now};
use crate::paging::Paging;
use crate::slugs::{limited_text, required_text};

/// A removal request as stored.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct RemovalRequest {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub target_kind: RemovalTargetKind,
    /// A video URL or uuid, a channel handle or URL, an instance host.
    pub target: String,
    /// How to reach the requester, if they said.
    pub requester: Option<String>,
    pub reason: String,
    #[sqlx(try_from = "String")]
    pub status: RemovalStatus,
    pub answer: Option<String>,
    pub handled_by: Option<i64>,
    pub handled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A removal request to record.
#[derive(Clone, Debug)]
pub struct NewRemovalRequest<'a> {
    pub target_kind: RemovalTargetKind,
    pub target: &'a str,
    pub requester: Option<&'a str>,
    pub reason: &'a str,
}

const COLUMNS: &str = "id, target_kind, target, requester, reason, status, answer, handled_by, \
    handled_at, created_at";

impl Store {
    /// Records an open removal request.
    pub async fn create_removal_request(
        &self,
        new: &NewRemovalRequest<'_>,
    ) -> Result<RemovalRequest> {
        let target = required_text("target", new.target, 500)?;
        let reason = required_text("reason", new.reason, 5_000)?;
        let requester = match new.requester.map(str::trim).filter(|r| !r.is_empty()) {
            Some(requester) => Some(limited_text("requester", requester, 320)?),
            None => None,
        };
        let sql = format!(
            "INSERT INTO removal_requests (target_kind, target, requester, reason, status, \
             created_at) VALUES ($1, $2, $3, $4, 'open', $5) RETURNING {COLUMNS}"
        );
        Ok(on_pool!(&self.write, p => {
            sqlx::query_as(&sql)
                .bind(new.target_kind.as_str())
                .bind(target)
                .bind(requester)
                .bind(reason)
                .bind(now())
                .fetch_one(p)
                .await?
        }))
    }

    /// A removal request by id.
    pub async fn removal_request(&self, id: i64) -> Result<Option<RemovalRequest>> {
        let sql = format!("SELECT {COLUMNS} FROM removal_requests WHERE id = $1");
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// Removal requests of a status (or all): open ones oldest first, others newest first.
    pub async fn list_removal_requests(
        &self,
        status: Option<RemovalStatus>,
        paging: Paging,
    ) -> Result<Vec<RemovalRequest>> {
        let order = if status == Some(RemovalStatus::Open) {
            "created_at, id"
        } else {
            "created_at DESC, id DESC"
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM removal_requests WHERE ($1 IS NULL OR status = $1) \
             ORDER BY {order} LIMIT $2 OFFSET $3"
        );
        let (limit, offset) = paging.clamped();
        let status = status.map(RemovalStatus::as_str);
        Ok(on_pool!(&self.read, p => {
            sqlx::query_as(&sql).bind(status).bind(limit).bind(offset).fetch_all(p).await?
        }))
    }

    /// Accepts an open request with an answer to the requester. The block
    /// itself is added separately ([`Store::add_block`]).
    pub async fn accept_removal_request(
        &self,
        id: i64,
        handler: i64,
        answer: &str,
    ) -> Result<RemovalRequest> {
        self.answer_removal_request(id, handler, RemovalStatus::Accepted, answer)
            .await
    }

    /// Refuses an open request with an answer to the requester.
    pub async fn refuse_removal_request(
        &self,
        id: i64,
        handler: i64,
        answer: &str,
    ) -> Result<RemovalRequest> {
        self.answer_removal_request(id, handler, RemovalStatus::Refused, answer)
            .await
    }

    async fn answer_removal_request(
        &self,
        id: i64,
        handler: i64,
        status: RemovalStatus,
        answer: &str,
    ) -> Result<RemovalRequest> {
        let answer = limited_text("answer", answer, 5_000)?;
        let sql = format!(
            "UPDATE removal_requests SET status = $1, answer = $2, handled_by = $3, \
             handled_at = $4 WHERE id = $5 AND status = 'open' RETURNING {COLUMNS}"
        );
        let at = now();
        let mut tx = self.begin().await?;
        let handled: Option<RemovalRequest> = on_tx!(&mut tx, c => {
            sqlx::query_as(&sql)
                .bind(status.as_str())
                .bind(&answer)
                .bind(handler)
                .bind(at)
                .bind(id)
                .fetch_optional(&mut **c)
                .await?
        });
        let Some(handled) = handled else {
            drop(tx);
            return Err(match self.removal_request(id).await? {
                Some(request) => StoreError::Invalid {
                    field: "removal request",
                    message: format!("it was already {}", request.status),
                },
                None => StoreError::NotFound("removal request"),
            });
        };
        let audit = Audit {
            user_id: Some(handler),
            action: if status == RemovalStatus::Accepted {
                "removal.accept"
            } else {
                "removal.refuse"
            },
            target_kind: handled.target_kind.as_str(),
            target: handled.target.clone(),
            details: serde_json::json!({ "request": id, "answer": answer }),
        };
        write_audit(&mut tx, &audit, at).await?;
        tx.commit().await?;
        Ok(handled)
    }
}
