//! Site settings editable from the back office (about text per language, NSFW policies), stored as strings.
//!
//! Settings are read on hot paths (every search API request without `nsfw`,
//! every public page), so a read is kept for [`SETTINGS_TTL`]: a change made
//! through a store is seen at once by it and its clones, and by other
//! processes on the same database within that time.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

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

/// How long a setting read from the database is used before it is read again.
const SETTINGS_TTL: Duration = if cfg!(test) {
    Duration::from_millis(200)
} else {
    Duration::from_secs(2)
};
/// Settings kept at most (the cache is emptied when full; about texts are per language).
const MAX_CACHED_SETTINGS: usize = 256;

/// Settings read recently, shared by a store's clones.
#[derive(Debug, Default)]
pub(crate) struct SettingsCache(Mutex<CachedSettings>);

#[derive(Debug, Default)]
struct CachedSettings {
    /// Bumped by every write, so that a read that raced with one is not kept.
    generation: u64,
    values: HashMap<String, (Option<String>, Instant)>,
}

impl SettingsCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CachedSettings> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value if it was read recently enough, or the generation to keep a fresh read under.
    fn get(&self, key: &str) -> std::result::Result<Option<String>, u64> {
        let cached = self.lock();
        match cached.values.get(key) {
            Some((value, read_at)) if read_at.elapsed() < SETTINGS_TTL => Ok(value.clone()),
            _ => Err(cached.generation),
        }
    }

    /// Keeps a value read from the database, unless a write came in since
    /// the read started (at `generation`).
    fn keep_read(&self, key: &str, value: Option<String>, generation: u64) {
        let mut cached = self.lock();
        if cached.generation == generation {
            cached.insert(key, value);
        }
    }

    /// Keeps a value just written, and drops any read in flight.
    fn keep_written(&self, key: &str, value: &str) {
        let mut cached = self.lock();
        cached.generation += 1;
        cached.insert(key, Some(value.to_owned()));
    }
}

impl CachedSettings {
    fn insert(&mut self, key: &str, value: Option<String>) {
        if self.values.len() >= MAX_CACHED_SETTINGS {
            self.values.clear();
        }
        self.values.insert(key.to_owned(), (value, Instant::now()));
    }
}

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
    /// A setting's value, if set (at most [`SETTINGS_TTL`] old when another process changed it).
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        const SQL: &str = "SELECT value FROM settings WHERE key = $1";
        let generation = match self.settings.get(key) {
            Ok(value) => return Ok(value),
            Err(generation) => generation,
        };
        let value: Option<String> =
            on_pool!(&self.read, p => sqlx::query_scalar(SQL).bind(key).fetch_optional(p).await?);
        self.settings.keep_read(key, value.clone(), generation);
        Ok(value)
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
        tx.commit().await?;
        self.settings.keep_written(key, value);
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestStore;

    #[test]
    fn reads_are_kept_unless_a_write_came_in_between() {
        let cache = SettingsCache::default();
        let generation = cache.get("k").unwrap_err();
        cache.keep_read("k", Some("read".into()), generation);
        assert_eq!(cache.get("k"), Ok(Some("read".into())));

        // A read that started before a write finishes after it: the write's value stays.
        let stale = cache.get("other").unwrap_err();
        cache.keep_written("k", "written");
        cache.keep_read("k", Some("read before the write".into()), stale);
        assert_eq!(cache.get("k"), Ok(Some("written".into())));

        // An unset setting is kept as unset.
        let generation = cache.get("unset").unwrap_err();
        cache.keep_read("unset", None, generation);
        assert_eq!(cache.get("unset"), Ok(None));
    }

    #[test]
    fn a_full_cache_starts_again() {
        let cache = SettingsCache::default();
        for n in 0..=MAX_CACHED_SETTINGS {
            cache.keep_written(&format!("about_text.l{n}"), "");
        }
        assert_eq!(cache.lock().values.len(), 1);
    }

    /// A store sees its own writes at once, and another process's (another
    /// store on the same database) once its read is older than the TTL.
    async fn another_store_change_is_seen_after_the_ttl(test: &TestStore) {
        let ours = &test.store;
        let theirs = Store::open(&test.config).await.unwrap();
        assert_eq!(ours.nsfw_default_api().await.unwrap(), DEFAULT_NSFW_API);
        theirs
            .set_nsfw_default_api(NsfwApiDefault::Both, None)
            .await
            .unwrap();
        assert_eq!(
            theirs.nsfw_default_api().await.unwrap(),
            NsfwApiDefault::Both
        );
        tokio::time::sleep(SETTINGS_TTL).await;
        assert_eq!(ours.nsfw_default_api().await.unwrap(), NsfwApiDefault::Both);
        theirs.close().await;
    }

    #[tokio::test]
    async fn sqlite_another_store_change_is_seen_after_the_ttl() {
        let test = TestStore::sqlite().await;
        another_store_change_is_seen_after_the_ttl(&test).await;
        test.cleanup().await;
    }

    #[tokio::test]
    async fn postgres_another_store_change_is_seen_after_the_ttl() {
        let Some(test) = TestStore::postgres().await else {
            return;
        };
        another_store_change_is_seen_after_the_ttl(&test).await;
        test.cleanup().await;
    }
}
