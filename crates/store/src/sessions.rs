//! Back-office sign-in: sessions kept by the hash of their token, and the failed attempts that throttle guessing.

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::model::User;

/// How often a session's `last_seen_at` is written at most.
const TOUCH_EVERY: TimeDelta = TimeDelta::minutes(1);

/// A session to open.
#[derive(Clone, Debug)]
pub struct NewSession<'a> {
    pub user_id: i64,
    /// How long it lasts from its creation.
    pub lifetime: TimeDelta,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// A session just opened. The token goes in the cookie and is never stored
/// (only its SHA-256 is); the CSRF token goes in forms.
#[derive(Clone)]
pub struct CreatedSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for CreatedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedSession")
            .field("token", &"***")
            .field("csrf_token", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The user behind a valid session token.
#[derive(Clone)]
pub struct SessionUser {
    pub user: User,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for SessionUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionUser")
            .field("user", &self.user)
            .field("csrf_token", &"***")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    user: User,
    csrf_token: String,
    session_created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

/// 244 random bits from the operating system (two v4 UUIDs), as 64 hex digits.
pub(crate) fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The SHA-256 of a token, in hex: what is stored instead of the token.
fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn throttle_username(username: &str) -> String {
    username.trim().to_lowercase()
}

fn truncated(text: Option<&str>, max: usize) -> Option<String> {
    text.map(|text| text.chars().take(max).collect())
}

impl Store {
    /// Opens a session for a user and stamps their `last_sign_in_at`.
    pub async fn create_session(
        &self,
        new: &NewSession<'_>,
        at: DateTime<Utc>,
    ) -> Result<CreatedSession> {
        if new.lifetime <= TimeDelta::zero() {
            return Err(StoreError::Invalid {
                field: "session lifetime",
                message: "it must be positive".into(),
            });
        }
        let created = CreatedSession {
            token: random_token(),
            csrf_token: random_token(),
            expires_at: at + new.lifetime,
        };
        const INSERT: &str = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, \
            last_seen_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6, $7)";
        const STAMP: &str = "UPDATE users SET last_sign_in_at = $1 WHERE id = $2";
        let mut tx = self.begin().await?;
        let inserted = on_tx!(&mut tx, c => {
            sqlx::query(INSERT)
                .bind(token_hash(&created.token))
                .bind(new.user_id)
                .bind(&created.csrf_token)
                .bind(at)
                .bind(created.expires_at)
                .bind(truncated(new.ip, 64))
                .bind(truncated(new.user_agent, 512))
                .execute(&mut **c)
                .await
                .map(|_| ())
        });
        if let Err(error) = inserted {
            return Err(match error {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    StoreError::NotFound("user")
                }
                error => error.into(),
            });
        }
        on_tx!(&mut tx, c => {
            sqlx::query(STAMP).bind(at).bind(new.user_id).execute(&mut **c).await?;
        });
        tx.commit().await?;
        Ok(created)
    }

    /// The user of a session token, if the session is neither expired nor
    /// revoked and the user not disabled. Notes the visit at most once a minute.
    pub async fn session_user(
        &self,
        token: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<SessionUser>> {
        let sql = format!(
            "SELECT {}, s.csrf_token, s.created_at AS session_created_at, s.last_seen_at, \
             s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
             AND NOT u.disabled",
            user_columns()
        );
        let hash = token_hash(token);
        let row: Option<SessionRow> = on_pool!(&self.read, p => {
            sqlx::query_as(&sql).bind(&hash).bind(at).fetch_optional(p).await?
        });
        let Some(row) = row else { return Ok(None) };
        if at - row.last_seen_at >= TOUCH_EVERY {
            const TOUCH: &str = "UPDATE sessions SET last_seen_at = $1 \
                WHERE token_hash = $2 AND last_seen_at <= $3";
            on_pool!(&self.write, p => {
                sqlx::query(TOUCH).bind(at).bind(&hash).bind(at - TOUCH_EVERY).execute(p).await?;
            });
        }
        Ok(Some(SessionUser {
            user: row.user,
            csrf_token: row.csrf_token,
            created_at: row.session_created_at,
            expires_at: row.expires_at,
        }))
    }

    /// When a session was last seen (for tests and the sessions page).
    pub async fn session_last_seen(&self, token: &str) -> Result<Option<DateTime<Utc>>> {
        const SQL: &str = "SELECT last_seen_at FROM sessions WHERE token_hash = $1";
        Ok(on_pool!(&self.read, p => {
            sqlx::query_scalar(SQL).bind(token_hash(token)).fetch_optional(p).await?
        }))
    }

    /// Revokes one session (signing out). Tells whether it was active.
    pub async fn revoke_session(&self, token: &str, at: DateTime<Utc>) -> Result<bool> {
        const SQL: &str =
            "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL";
        let revoked = on_pool!(&self.write, p => {
            sqlx::query(SQL).bind(at).bind(token_hash(token)).execute(p).await?.rows_affected()
        });
        Ok(revoked > 0)
    }

    /// Revokes every session of a user, except `keep` (the caller's own,
    /// to sign out everywhere else). Returns how many were revoked.
    pub async fn revoke_user_sessions(
        &self,
        user_id: i64,
        keep: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        const SQL: &str = "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 \
            AND revoked_at IS NULL AND ($3 IS NULL OR token_hash <> $3)";
        let keep = keep.map(token_hash);
        Ok(on_pool!(&self.write, p => {
            sqlx::query(SQL).bind(at).bind(user_id).bind(keep).execute(p).await?.rows_affected()
        }))
    }

    /// Deletes sessions that expired or were revoked before `at`.
    pub async fn purge_sessions(&self, at: DateTime<Utc>) -> Result<u64> {
        const SQL: &str = "DELETE FROM sessions WHERE expires_at <= $1 OR revoked_at <= $1";
        Ok(on_pool!(&self.write, p => sqlx::query(SQL).bind(at).execute(p).await?.rows_affected()))
    }

    /// Notes a failed sign-in (the user name as typed, lower-cased).
    pub async fn record_sign_in_failure(
        &self,
        username: &str,
        ip: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        const SQL: &str = "INSERT INTO sign_in_failures (username, ip, at) VALUES ($1, $2, $3)";
        let username: String = throttle_username(username).chars().take(200).collect();
        on_pool!(&self.write, p => {
            sqlx::query(SQL).bind(username).bind(ip).bind(at).execute(p).await?;
        });
        Ok(())
    }

    /// Failed sign-ins since `since`: `(for this user name, from this IP)`.
    pub async fn recent_sign_in_failures(
        &self,
        username: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64)> {
        const SQL: &str = "SELECT \
            (SELECT COUNT(*) FROM sign_in_failures WHERE username = $1 AND at >= $3), \
            (SELECT COUNT(*) FROM sign_in_failures WHERE ip = $2 AND at >= $3)";
        let username: String = throttle_username(username).chars().take(200).collect();
        Ok(on_pool!(&self.read, p => {
            sqlx::query_as(SQL).bind(username).bind(ip).bind(since).fetch_one(p).await?
        }))
    }

    /// Forgets the failures of a user name after a successful sign-in (those
    /// of the IP stay, so one good account cannot reset an IP's count).
    pub async fn clear_sign_in_failures(&self, username: &str) -> Result<u64> {
        const SQL: &str = "DELETE FROM sign_in_failures WHERE username = $1";
        let username: String = throttle_username(username).chars().take(200).collect();
        Ok(on_pool!(&self.write, p => {
            sqlx::query(SQL).bind(username).execute(p).await?.rows_affected()
        }))
    }

    /// Deletes failures older than `before`.
    pub async fn purge_sign_in_failures(&self, before: DateTime<Utc>) -> Result<u64> {
        const SQL: &str = "DELETE FROM sign_in_failures WHERE at < $1";
        Ok(
            on_pool!(&self.write, p => sqlx::query(SQL).bind(before).execute(p).await?.rows_affected()),
        )
    }
}

fn user_columns() -> String {
    User::COLUMNS
        .split(", ")
        .map(|column| format!("u.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}
