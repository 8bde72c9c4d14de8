//! Throw-away stores for tests: a SQLite file in a temporary directory, or a fresh PostgreSQL database.
//!
//! PostgreSQL tests run when `FLORILEGE_TEST_POSTGRES_URL` names a server
//! (e.g. `postgres://postgres@127.0.0.1:5432/postgres`); each test gets its
//! own database, dropped by [`TestStore::cleanup`]. When the variable is set,
//! an unreachable server fails the test instead of skipping it.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::db::{Store, StoreConfig};
use crate::selections::NewSelection;

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "FLORILEGE_TEST_POSTGRES_URL";

/// A migrated store that lives as long as the test.
#[derive(Debug)]
pub struct TestStore {
    pub store: Store,
    pub config: StoreConfig,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(PgConnectOptions, String)>,
}

impl TestStore {
    /// A fresh SQLite database in a temporary directory.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let config = StoreConfig {
            database_url: format!("sqlite://{}", dir.path().join("test.db").display()),
            ..StoreConfig::default()
        };
        let store = Store::open(&config).await.expect("open SQLite test store");
        Self {
            store,
            config,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` when no test server is configured.
    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            eprintln!("{POSTGRES_URL_VAR} is not set: skipping the PostgreSQL variant");
            return None;
        };
        let admin = PgConnectOptions::from_str(&admin_url)
            .unwrap_or_else(|error| panic!("{POSTGRES_URL_VAR} is not a PostgreSQL URL: {error}"));
        let name = format!("florilege_test_{}", uuid::Uuid::new_v4().simple());
        let mut connection = admin
            .connect()
            .await
            .unwrap_or_else(|error| panic!("cannot reach PostgreSQL at {admin_url}: {error}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut connection)
            .await
            .expect("create test database");
        connection.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("PostgreSQL URL");
        url.set_path(&name);
        let config = StoreConfig {
            database_url: url.to_string(),
            ..StoreConfig::default()
        };
        let store = Store::open(&config)
            .await
            .expect("open PostgreSQL test store");
        Some(Self {
            store,
            config,
            _dir: None,
            postgres: Some((admin, name)),
        })
    }

    /// Closes the store and drops its PostgreSQL database.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.postgres
            && let Ok(mut connection) = admin.connect().await
        {
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::query(&drop).execute(&mut connection).await;
        }
    }
}

/// Runs each listed `async fn NAME(store: Store)` once per backend, as
/// `sqlite::NAME` and `postgres::NAME` tests.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let test = $crate::testing::TestStore::sqlite().await;
                    super::$name(test.store.clone()).await;
                    test.cleanup().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(test) = $crate::testing::TestStore::postgres().await else { return };
                    super::$name(test.store.clone()).await;
                    test.cleanup().await;
                }
            )+
        }
    };
}

/// Creates selections `s-0`, `s-1`… (one transaction each) until `stop` is
/// set, counting commits in `committed`; `pause` between two spreads them
/// over a longer operation (a backup, say).
pub async fn write_selections(
    store: Store,
    committed: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    pause: Duration,
) {
    for n in 0.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let slug = format!("s-{n}");
        let new = NewSelection {
            slug: &slug,
            title: &slug,
            ..NewSelection::default()
        };
        store.create_selection(&new, None).await.unwrap();
        committed.store(n + 1, Ordering::SeqCst);
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
}
