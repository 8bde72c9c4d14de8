//! The audit log: who did what to which target, written in the same transaction as the action it records.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::{Store, Tx};
use crate::error::{Result, StoreError};
use crate::model::now;
use crate::paging::{Page, Paging};

/// One line of the audit log, with the name of the user who acted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `None`: the system (scheduled publication) or a user since deleted.
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub user_display_name: Option<String>,
    /// What was done, as `kind.verb` (`selection.publish`, `block.add`).
    pub action: String,
    pub target_kind: String,
    pub target: String,
    pub details: serde_json::Value,
}

/// Which audit lines to list; `None` fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter<'a> {
    pub user_id: Option<i64>,
    pub action: Option<&'a str>,
    pub target_kind: Option<&'a str>,
    pub target: Option<&'a str>,
    pub paging: Paging,
}

/// An audit line to write.
#[derive(Clone, Debug)]
pub(crate) struct Audit<'a> {
    pub user_id: Option<i64>,
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target: String,
    pub details: serde_json::Value,
}

/// Writes an audit line inside the caller's transaction, so it commits (or not) with the action.
pub(crate) async fn write_audit(tx: &mut Tx, entry: &Audit<'_>, at: DateTime<Utc>) -> Result<()> {
    if entry.action.trim().is_empty() || entry.target_kind.trim().is_empty() {
        return Err(StoreError::Invalid {
            field: "audit action",
            message: "an audit line needs an action and a target kind".into(),
        });
    }
    const SQL: &str = "INSERT INTO audit_log (at, user_id, action, target_kind, target, details) \
        VALUES ($1, $2, $3, $4, $5, $6)";
    let details = entry.details.to_string();
    on_tx!(tx, c => {
        sqlx::query(SQL)
            .bind(at)
            .bind(entry.user_id)
            .bind(entry.action)
            .bind(entry.target_kind)
            .bind(&entry.target)
            .bind(details)
            .execute(&mut **c)
            .await?;
    });
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    user_id: Option<i64>,
    username: Option<String>,
    user_display_name: Option<String>,
    action: String,
    target_kind: String,
    target: String,
    details: String,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;

    fn try_from(row: AuditRow) -> Result<Self> {
        let details = serde_json::from_str(&row.details).map_err(|error| StoreError::Corrupt {
            column: "audit_log.details",
            message: error.to_string(),
        })?;
        Ok(Self {
            id: row.id,
            at: row.at,
            user_id: row.user_id,
            username: row.username,
            user_display_name: row.user_display_name,
            action: row.action,
            target_kind: row.target_kind,
            target: row.target,
            details,
        })
    }
}

const FILTER: &str = "WHERE ($1 IS NULL OR l.user_id = $1) AND ($2 IS NULL OR l.action = $2) \
    AND ($3 IS NULL OR l.target_kind = $3) AND ($4 IS NULL OR l.target = $4)";

impl Store {
    /// Records an action in its own transaction. Editorial methods of the
    /// store (selection workflow, themes, submissions, removals, settings)
    /// already write their line with the change: do not audit them twice.
    pub async fn audit(
        &self,
        user_id: Option<i64>,
        action: &str,
        target_kind: &str,
        target: &str,
        details: &serde_json::Value,
    ) -> Result<()> {
        let entry = Audit {
            user_id,
            action,
            target_kind,
            target: target.to_owned(),
            details: details.clone(),
        };
        let mut tx = self.begin().await?;
        write_audit(&mut tx, &entry, now()).await?;
        tx.commit().await
    }

    /// Audit lines matching the filter, newest first, with the total count.
    pub async fn audit_log(&self, filter: &AuditFilter<'_>) -> Result<Page<AuditEntry>> {
        let (limit, offset) = filter.paging.clamped();
        let sql = format!(
            "SELECT l.id, l.at, l.user_id, u.username, u.display_name AS user_display_name, \
             l.action, l.target_kind, l.target, l.details \
             FROM audit_log l LEFT JOIN users u ON u.id = l.user_id {FILTER} \
             ORDER BY l.at DESC, l.id DESC LIMIT $5 OFFSET $6"
        );
        let count = format!("SELECT COUNT(*) FROM audit_log l {FILTER}");
        let (rows, total): (Vec<AuditRow>, i64) = on_pool!(&self.read, p => {
            let rows = sqlx::query_as(&sql)
                .bind(filter.user_id)
                .bind(filter.action)
                .bind(filter.target_kind)
                .bind(filter.target)
                .bind(limit)
                .bind(offset)
                .fetch_all(p)
                .await?;
            let total = sqlx::query_scalar(&count)
                .bind(filter.user_id)
                .bind(filter.action)
                .bind(filter.target_kind)
                .bind(filter.target)
                .fetch_one(p)
                .await?;
            (rows, total)
        });
        let items = rows
            .into_iter()
            .map(AuditEntry::try_from)
            .collect::<Result<_>>()?;
        Ok(Page { items, total })
    }
}
