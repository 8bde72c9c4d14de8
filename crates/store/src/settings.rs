//! Site settings editable from the back office (about text per language, NSFW policies), stored as strings.

use chrono::{DateTime, Utc};

use crate::audit::{Audit, write_audit};
use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::model::{NsfwApiDefault, NsfwPolicy, now};

/// Key of the public site's NSFW policy ([`NsfwPolicy`]).
pub const NSFW_POLICY_SITE: &str = "nsfw_policy_site";
/// Key of the search API's default `nsfw` value ([`NsfwApiDefault`]).
pub const NSFW_DEFAULT_API: &str = "nsfw_default_api";
/// Key of the secret of [`Store::site_secret`]; never shown in the back office.
pub const SITE_SECRET: &str = "site_secret";
/// Prefix of the about-page text keys (`about_text.fr`).
pub const ABOUT_TEXT_PREFIX: &str = "about_text.";

/// The site's NSFW policy when none is set: hide, like PeerTube's `do_not_list` default.
pub const DEFAULT_NSFW_POLICY_SITE: NsfwPolicy = NsfwPolicy::Hide;
/// The search API's `nsfw` when the request and the settings say nothing.
pub const DEFAULT_NSFW_API: NsfwApiDefault = NsfwApiDefault::False;

fn check_key(key: &str) -> Result<()> {
    let valid = (1..=64).contains(&key.len())
        && key.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
        });
    if valid {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field: "setting key",
            message: format!("{key:?}: use 1 to 64 lower-case letters, digits, '_', '.', '-'"),
        })
    }
}

fn check_language(language: &str) -> Result<()> {
    let valid = (2..=16).contains(&language.len())
        && language
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field: "language",
            message: format!("{language:?} is not a lower-case language code such as fr or en"),
        })
    }
}

/// Checks the value of a known key; other keys take any string.
fn check_value(key: &str, value: &str) -> Result<()> {
    match key {
        NSFW_POLICY_SITE => value.parse::<NsfwPolicy>().map(|_| ()),
        NSFW_DEFAULT_API => value.parse::<NsfwApiDefault>().map(|_| ()),
        _ if key.starts_with(ABOUT_TEXT_PREFIX) => {
            check_language(&key[ABOUT_TEXT_PREFIX.len()..])?;
            if value.chars().count() > 100_000 {
                return Err(StoreError::Invalid {
                    field: "about text",
                    message: "it must not be longer than 100000 characters".into(),
                });
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

impl Store {
    /// A setting's value, if set.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        const SQL: &str = "SELECT value FROM settings WHERE key = $1";
        Ok(on_pool!(&self.read, p => sqlx::query_scalar(SQL).bind(key).fetch_optional(p).await?))
    }

    /// When a setting last changed.
    pub async fn setting_updated_at(&self, key: &str) -> Result<Option<DateTime<Utc>>> {
        const SQL: &str = "SELECT updated_at FROM settings WHERE key = $1";
        Ok(on_pool!(&self.read, p => sqlx::query_scalar(SQL).bind(key).fetch_optional(p).await?))
    }

    /// Sets a setting (values of known keys are checked) and audits it.
    pub async fn set_setting(&self, key: &str, value: &str, by: Option<i64>) -> Result<()> {
        check_key(key)?;
        check_value(key, value)?;
        const SQL: &str = "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
        let at = now();
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(SQL).bind(key).bind(value).bind(at).execute(&mut **c).await?;
        });
        let audit = Audit {
            user_id: by,
            action: "setting.set",
            target_kind: "setting",
            target: key.to_owned(),
            details: serde_json::json!({ "length": value.chars().count() }),
        };
        write_audit(&mut tx, &audit, at).await?;
        tx.commit().await
    }

    /// The secret signing the site's anonymous form tokens: made at first
    /// use (two v4 UUIDs, 244 random bits), then shared by every web node.
    pub async fn site_secret(&self) -> Result<String> {
        const INSERT: &str = "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
            ON CONFLICT (key) DO NOTHING";
        let candidate = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let at = now();
        on_pool!(&self.write, p => {
            sqlx::query(INSERT).bind(SITE_SECRET).bind(&candidate).bind(at).execute(p).await?;
        });
        const SELECT: &str = "SELECT value FROM settings WHERE key = $1";
        Ok(
            on_pool!(&self.write, p => sqlx::query_scalar(SELECT).bind(SITE_SECRET).fetch_one(p).await?),
        )
    }

    /// The about-page text of a language, if written.
    pub async fn about_text(&self, language: &str) -> Result<Option<String>> {
        check_language(language)?;
        self.setting(&format!("{ABOUT_TEXT_PREFIX}{language}"))
            .await
    }

    /// Writes the about-page text of a language.
    pub async fn set_about_text(&self, language: &str, text: &str, by: Option<i64>) -> Result<()> {
        check_language(language)?;
        self.set_setting(&format!("{ABOUT_TEXT_PREFIX}{language}"), text, by)
            .await
    }

    /// How the public site shows sensitive videos ([`DEFAULT_NSFW_POLICY_SITE`] when unset).
    pub async fn nsfw_policy_site(&self) -> Result<NsfwPolicy> {
        Ok(match self.setting(NSFW_POLICY_SITE).await? {
            Some(value) => value.parse()?,
            None => DEFAULT_NSFW_POLICY_SITE,
        })
    }

    pub async fn set_nsfw_policy_site(&self, policy: NsfwPolicy, by: Option<i64>) -> Result<()> {
        self.set_setting(NSFW_POLICY_SITE, policy.as_str(), by)
            .await
    }

    /// The search API's `nsfw` when a request gives none ([`DEFAULT_NSFW_API`] when unset).
    pub async fn nsfw_default_api(&self) -> Result<NsfwApiDefault> {
        Ok(match self.setting(NSFW_DEFAULT_API).await? {
            Some(value) => value.parse()?,
            None => DEFAULT_NSFW_API,
        })
    }

    pub async fn set_nsfw_default_api(&self, value: NsfwApiDefault, by: Option<i64>) -> Result<()> {
        self.set_setting(NSFW_DEFAULT_API, value.as_str(), by).await
    }
}
