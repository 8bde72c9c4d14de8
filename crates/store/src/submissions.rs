//! Instance submissions from the public: recording them with their automatic checks, the submitter's private status link, and their review.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::address::InstanceAddress;
use crate::audit::{Audit, write_audit};
use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::instances::NewInstance;
use crate::model::{Instance, InstanceOrigin, InstanceStatus, SubmissionStatus, now};
use crate::paging::Paging;
use crate::sessions::random_token;
use crate::slugs::limited_text;

/// A submission as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Submission {
    pub id: i64,
    pub host: String,
    pub base_url: String,
    pub contact: Option<String>,
    pub message: String,
    pub status: SubmissionStatus,
    pub check_passed: bool,
    /// Each automatic check and its readable outcome, as the checker wrote it.
    pub check_result: serde_json::Value,
    /// The secret of the submitter's status link.
    #[serde(skip)]
    pub status_token: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub instance_id: Option<i64>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A submission to record.
#[derive(Clone, Debug)]
pub struct NewSubmission<'a> {
    pub address: &'a InstanceAddress,
    pub contact: Option<&'a str>,
    pub message: &'a str,
    pub check_result: &'a serde_json::Value,
    pub check_passed: bool,
}

const COLUMNS: &str = "id, host, base_url, contact, message, status, check_passed, check_result, \
    status_token, reason, instance_id, reviewed_by, reviewed_at, created_at";

#[derive(sqlx::FromRow)]
struct SubmissionRow {
    id: i64,
    host: String,
    base_url: String,
    contact: Option<String>,
    message: String,
    #[sqlx(try_from = "String")]
    status: SubmissionStatus,
    check_passed: bool,
    check_result: String,
    status_token: String,
    reason: Option<String>,
    instance_id: Option<i64>,
    reviewed_by: Option<i64>,
    reviewed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<SubmissionRow> for Submission {
    type Error = StoreError;

    fn try_from(row: SubmissionRow) -> Result<Self> {
        let check_result =
            serde_json::from_str(&row.check_result).map_err(|error| StoreError::Corrupt {
                column: "instance_submissions.check_result",
                message: error.to_string(),
            })?;
        Ok(Self {
            id: row.id,
            host: row.host,
            base_url: row.base_url,
            contact: row.contact,
            message: row.message,
            status: row.status,
            check_passed: row.check_passed,
            check_result,
            status_token: row.status_token,
            reason: row.reason,
            instance_id: row.instance_id,
            reviewed_by: row.reviewed_by,
            reviewed_at: row.reviewed_at,
            created_at: row.created_at,
        })
    }
}

impl Store {
    /// Records a submission. If the same host already waits for review, that
    /// submission is returned instead (the boolean tells whether it was created).
    pub async fn create_submission(&self, new: &NewSubmission<'_>) -> Result<(Submission, bool)> {
        let contact = match new.contact.map(str::trim).filter(|c| !c.is_empty()) {
            Some(contact) => Some(limited_text("contact", contact, 320)?),
            None => None,
        };
        let message = limited_text("message", new.message, 5_000)?;
        let host = &new.address.host;
        let pending = format!(
            "SELECT {COLUMNS} FROM instance_submissions WHERE host = $1 AND status = 'pending' \
             ORDER BY id LIMIT 1"
        );
        let insert = format!(
            "INSERT INTO instance_submissions (host, base_url, contact, message, status, \
             check_passed, check_result, status_token, created_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8) RETURNING {COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let existing: Option<SubmissionRow> = on_tx!(&mut tx, c => {
            sqlx::query_as(&pending).bind(host).fetch_optional(&mut **c).await?
        });
        if let Some(existing) = existing {
            return Ok((existing.try_into()?, false));
        }
        let row: SubmissionRow = on_tx!(&mut tx, c => {
            sqlx::query_as(&insert)
                .bind(host)
                .bind(new.address.base_url.as_str().trim_end_matches('/'))
                .bind(contact)
                .bind(message)
                .bind(new.check_passed)
                .bind(new.check_result.to_string())
                .bind(random_token())
                .bind(now())
                .fetch_one(&mut **c)
                .await?
        });
        tx.commit().await?;
        Ok((row.try_into()?, true))
    }

    /// A submission by id.
    pub async fn submission(&self, id: i64) -> Result<Option<Submission>> {
        let sql = format!("SELECT {COLUMNS} FROM instance_submissions WHERE id = $1");
        let row: Option<SubmissionRow> =
            on_pool!(&self.read, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?);
        row.map(Submission::try_from).transpose()
    }

    /// A submission by its private status token.
    pub async fn submission_by_token(&self, token: &str) -> Result<Option<Submission>> {
        let sql = format!("SELECT {COLUMNS} FROM instance_submissions WHERE status_token = $1");
        let row: Option<SubmissionRow> =
            on_pool!(&self.read, p => sqlx::query_as(&sql).bind(token).fetch_optional(p).await?);
        row.map(Submission::try_from).transpose()
    }

    /// Submissions of a status (or all): pending ones oldest first (a queue), others newest first.
    pub async fn list_submissions(
        &self,
        status: Option<SubmissionStatus>,
        paging: Paging,
    ) -> Result<Vec<Submission>> {
        let order = if status == Some(SubmissionStatus::Pending) {
            "created_at, id"
        } else {
            "created_at DESC, id DESC"
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM instance_submissions WHERE ($1 IS NULL OR status = $1) \
             ORDER BY {order} LIMIT $2 OFFSET $3"
        );
        let (limit, offset) = paging.clamped();
        let status = status.map(SubmissionStatus::as_str);
        let rows: Vec<SubmissionRow> = on_pool!(&self.read, p => {
            sqlx::query_as(&sql).bind(status).bind(limit).bind(offset).fetch_all(p).await?
        });
        rows.into_iter().map(Submission::try_from).collect()
    }

    /// Approves a pending submission: its instance is added (or, if known,
    /// approved) for crawling and linked. A blocked instance is refused.
    pub async fn approve_submission(
        &self,
        id: i64,
        reviewer: i64,
    ) -> Result<(Submission, Instance)> {
        let submission = self.pending_submission(id).await?;
        let address = InstanceAddress::parse(&submission.base_url, "https").map_err(|error| {
            StoreError::Invalid {
                field: "base_url",
                message: error.to_string(),
            }
        })?;
        let new = NewInstance {
            address,
            status: InstanceStatus::Approved,
            origin: InstanceOrigin::Submission,
            discovered_from: None,
        };
        let (mut instance, created) = self.add_instance(&new).await?;
        if !created && instance.status != InstanceStatus::Approved {
            if instance.status == InstanceStatus::Blocked {
                return Err(StoreError::Invalid {
                    field: "submission",
                    message: format!("{} is blocked: unblock it before approving", instance.host),
                });
            }
            self.set_instance_status(instance.id, InstanceStatus::Approved)
                .await?;
            instance.status = InstanceStatus::Approved;
        }
        let reviewed = self
            .review_submission(
                id,
                reviewer,
                SubmissionStatus::Approved,
                None,
                Some(instance.id),
            )
            .await?;
        Ok((reviewed, instance))
    }

    /// Rejects a pending submission, with the reason the submitter will read.
    pub async fn reject_submission(
        &self,
        id: i64,
        reviewer: i64,
        reason: &str,
    ) -> Result<Submission> {
        let reason = limited_text("reason", reason, 5_000)?;
        self.pending_submission(id).await?;
        self.review_submission(
            id,
            reviewer,
            SubmissionStatus::Rejected,
            Some(&reason),
            None,
        )
        .await
    }

    async fn pending_submission(&self, id: i64) -> Result<Submission> {
        let submission = self
            .submission(id)
            .await?
            .ok_or(StoreError::NotFound("submission"))?;
        if submission.status != SubmissionStatus::Pending {
            return Err(StoreError::Invalid {
                field: "submission",
                message: format!("it was already {}", submission.status),
            });
        }
        Ok(submission)
    }

    async fn review_submission(
        &self,
        id: i64,
        reviewer: i64,
        status: SubmissionStatus,
        reason: Option<&str>,
        instance_id: Option<i64>,
    ) -> Result<Submission> {
        let sql = format!(
            "UPDATE instance_submissions SET status = $1, reason = $2, instance_id = $3, \
             reviewed_by = $4, reviewed_at = $5 WHERE id = $6 AND status = 'pending' \
             RETURNING {COLUMNS}"
        );
        let at = now();
        let mut tx = self.begin().await?;
        let row: Option<SubmissionRow> = on_tx!(&mut tx, c => {
            sqlx::query_as(&sql)
                .bind(status.as_str())
                .bind(reason)
                .bind(instance_id)
                .bind(reviewer)
                .bind(at)
                .bind(id)
                .fetch_optional(&mut **c)
                .await?
        });
        let submission = Submission::try_from(row.ok_or_else(|| StoreError::Invalid {
            field: "submission",
            message: "someone reviewed it meanwhile".into(),
        })?)?;
        let action = match status {
            SubmissionStatus::Approved => "submission.approve",
            _ => "submission.reject",
        };
        let audit = Audit {
            user_id: Some(reviewer),
            action,
            target_kind: "submission",
            target: submission.host.clone(),
            details: serde_json::json!({ "id": id, "reason": reason, "instance_id": instance_id }),
        };
        write_audit(&mut tx, &audit, at).await?;
        tx.commit().await?;
        Ok(submission)
    }
}
