//! Florilège's configuration: a TOML file overlaid with `FLORILEGE_*` environment variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use store::StoreConfig;

/// Sections of the file; `FLORILEGE_<SECTION>_<KEY>` sets `<section>.<key>`.
const SECTIONS: &[&str] = &["database", "crawler", "images", "web"];
/// Top-level keys that begin like a section name.
const TOP_LEVEL: &[&str] = &["database_url"];
/// `FLORILEGE_*` variables that are not settings.
const NOT_SETTINGS: &[&str] = &[
    "config",
    "log",
    "test_postgres_url",
    "require_browser",
    "require_bench_tools",
    "heavy",
    "crash_seed",
];

/// The effective configuration of one process.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where Florilège keeps its files (SQLite database, index, image cache).
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; by default a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Address of the web server (`serve`, `demo`).
    pub listen: SocketAddr,
    /// Lets the crawler reach loopback and private addresses, and plain http
    /// instances: for development and tests only.
    pub allow_private_addresses: bool,
    pub database: DatabaseSection,
    pub crawler: crawler::CrawlerConfig,
    pub images: crawler::images::ImageCacheConfig,
    pub web: web::WebConfig,
}

/// `[database]`: connection pool settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSection {
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        let store = StoreConfig::default();
        Self {
            max_connections: store.max_connections,
            acquire_timeout_secs: store.acquire_timeout_secs,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database_url: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            allow_private_addresses: false,
            database: DatabaseSection::default(),
            crawler: crawler::CrawlerConfig::default(),
            images: crawler::images::ImageCacheConfig::default(),
            web: web::WebConfig::default(),
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(Box<figment::Error>),
}

impl Config {
    /// Loads defaults, then the TOML file (if given or if `florilege.toml`
    /// exists in the working directory), then `FLORILEGE_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::figment(file)?
            .extract()
            .map_err(|error| ConfigError::Invalid(Box::new(error)))
    }

    fn figment(file: Option<&Path>) -> Result<Figment, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.to_owned())),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file("florilege.toml")),
        }
        let env = Env::prefixed("FLORILEGE_").ignore(NOT_SETTINGS).map(|key| {
            let key = key.as_str().to_ascii_lowercase();
            if !TOP_LEVEL.contains(&key.as_str()) {
                for section in SECTIONS {
                    if let Some(rest) = key.strip_prefix(section).and_then(|r| r.strip_prefix('_'))
                    {
                        return format!("{section}.{rest}").into();
                    }
                }
            }
            key.into()
        });
        Ok(figment.merge(env))
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("florilege.db").display()))
    }

    /// The store's settings.
    pub fn store(&self) -> StoreConfig {
        StoreConfig {
            database_url: self.database_url(),
            max_connections: self.database.max_connections,
            acquire_timeout_secs: self.database.acquire_timeout_secs,
        }
    }

    /// The crawler's settings; the top-level `allow_private_addresses` applies to it.
    pub fn crawler(&self) -> crawler::CrawlerConfig {
        let mut config = self.crawler.clone();
        config.allow_private_addresses |= self.allow_private_addresses;
        config
    }

    /// The image cache's settings; by default its files live in `data_dir/images`.
    pub fn images(&self) -> crawler::images::ImageCacheConfig {
        let mut config = self.images.clone();
        if config.dir == crawler::images::ImageCacheConfig::default().dir {
            config.dir = self.data_dir.join("images");
        }
        config
    }

    /// The configuration as TOML, secrets redacted.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = Some(store::redact_url(&self.database_url()));
        toml::to_string_pretty(&shown).unwrap_or_else(|error| format!("# unprintable: {error}\n"))
    }
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail closures return its own large error"
)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "custom.toml",
                "listen = \"0.0.0.0:9000\"\ndata_dir = \"/srv/florilege\"\n[database]\nmax_connections = 3\n",
            )?;
            jail.set_env(
                "FLORILEGE_DATABASE_URL",
                "postgres://florilege:secret@db/florilege",
            );
            jail.set_env("FLORILEGE_DATABASE_MAX_CONNECTIONS", "12");
            jail.set_env("FLORILEGE_ALLOW_PRIVATE_ADDRESSES", "true");
            jail.set_env("FLORILEGE_TEST_POSTGRES_URL", "postgres://ignored");
            jail.set_env("FLORILEGE_HEAVY", "1");
            jail.set_env("FLORILEGE_CRASH_SEED", "42");
            jail.set_env("FLORILEGE_CRAWLER_REQUESTS_PER_SECOND", "0.5");
            jail.set_env("FLORILEGE_CRAWLER_CONCURRENCY_PER_HOST", "2");
            let config = Config::load(Some(Path::new("custom.toml"))).expect("valid");
            assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
            assert_eq!(config.data_dir, PathBuf::from("/srv/florilege"));
            assert_eq!(config.database.max_connections, 12);
            assert!(config.allow_private_addresses);
            assert!(config.crawler().allow_private_addresses);
            assert_eq!(config.crawler.requests_per_second, 0.5);
            assert_eq!(config.crawler.concurrency_per_host, 2);
            let shown = config.to_redacted_toml();
            assert!(
                shown.contains("postgres://florilege:***@db/florilege"),
                "{shown}"
            );
            assert!(!shown.contains("secret"));
            Ok(())
        });
    }

    #[test]
    fn sqlite_in_the_data_dir_is_the_default() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("FLORILEGE_DATA_DIR", "/tmp/florilege-data");
            let config = Config::load(None).expect("valid");
            assert_eq!(
                config.database_url(),
                "sqlite:///tmp/florilege-data/florilege.db"
            );
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_missing_files_are_clear_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("typo.toml", "lisen = \"0.0.0.0:80\"\n")?;
            let error = Config::load(Some(Path::new("typo.toml")))
                .unwrap_err()
                .to_string();
            assert!(error.contains("lisen"), "{error}");
            let error = Config::load(Some(Path::new("absent.toml")))
                .unwrap_err()
                .to_string();
            assert!(error.contains("absent.toml"), "{error}");
            Ok(())
        });
    }
}
