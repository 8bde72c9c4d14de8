//! Back-office users: creation with a hashed password, look-up and password checks.

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::model::{Role, User, now};
use crate::passwords::{hash_password, verify_password};

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: Role,
}

fn validate_username(username: &str) -> Result<()> {
    let valid = (1..=64).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'));
    if valid {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field: "username",
            message: "use 1 to 64 lower-case letters, digits, '.', '-' or '_'".into(),
        })
    }
}

impl Store {
    /// Creates a user; the password is hashed with argon2 before it is stored.
    pub async fn add_user(&self, new: NewUser<'_>) -> Result<User> {
        validate_username(new.username)?;
        let password = new.password.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|error| StoreError::Password(error.to_string()))??;
        let sql = format!(
            "INSERT INTO users (username, display_name, password_hash, role, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {}",
            User::COLUMNS
        );
        let display_name = if new.display_name.is_empty() {
            new.username
        } else {
            new.display_name
        };
        on_pool!(&self.write, p => {
            sqlx::query_as(&sql)
                .bind(new.username)
                .bind(display_name)
                .bind(hash)
                .bind(new.role.as_str())
                .bind(now())
                .fetch_one(p)
                .await
        })
        .map_err(|error| StoreError::unique_as_exists(error, format!("user {}", new.username)))
    }

    /// A user by name.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {} FROM users WHERE username = $1", User::COLUMNS);
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).bind(username).fetch_optional(p).await?))
    }

    /// All users, by name.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {} FROM users ORDER BY username", User::COLUMNS);
        Ok(on_pool!(&self.read, p => sqlx::query_as(&sql).fetch_all(p).await?))
    }

    /// The user, if the name exists, is enabled and the password matches.
    pub async fn check_password(&self, username: &str, password: &str) -> Result<Option<User>> {
        const SQL: &str = "SELECT password_hash FROM users WHERE username = $1 AND NOT disabled";
        let hash: Option<String> = on_pool!(&self.read, p => sqlx::query_scalar(SQL).bind(username).fetch_optional(p).await?);
        let Some(hash) = hash else { return Ok(None) };
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(|error| StoreError::Password(error.to_string()))?;
        if matches {
            self.user_by_name(username).await
        } else {
            Ok(None)
        }
    }

    /// Replaces a user's password.
    pub async fn set_password(
        &self,
        user_id: i64,
        password: &str,
        must_change: bool,
    ) -> Result<()> {
        let password = password.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|error| StoreError::Password(error.to_string()))??;
        const SQL: &str =
            "UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3";
        let result = on_pool!(&self.write, p => {
            sqlx::query(SQL).bind(hash).bind(must_change).bind(user_id).execute(p).await?.rows_affected()
        });
        if result == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }
}
