//! Backups and restores: a copy taken during writes holds exactly a prefix of the commits, restores check what they swap in, and PostgreSQL points to pg_dump.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::testing::{TestStore, write_selections};
use crate::*;

async fn slugs(store: &Store) -> Vec<String> {
    on_pool!(&store.read, p => {
        sqlx::query_scalar("SELECT slug FROM selections").fetch_all(p).await.unwrap()
    })
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_during_writes_holds_exactly_the_commits_before_it_and_restores() {
    let test = TestStore::sqlite().await;
    let store = test.store.clone();
    let (committed, stop) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let writer = tokio::spawn(write_selections(
        store.clone(),
        Arc::clone(&committed),
        Arc::clone(&stop),
        std::time::Duration::ZERO,
    ));
    while committed.load(Ordering::SeqCst) < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db");
    let before = committed.load(Ordering::SeqCst);
    let contents = store.backup_to(&backup).await.unwrap();
    let after = committed.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(after > before, "writes went on during the backup");

    let held = usize::try_from(contents.selections).unwrap();
    assert!(
        (before..=after).contains(&held),
        "{before} ≤ {held} ≤ {after}"
    );
    assert!(!dir.path().join("backup.db.partial").exists());
    assert!(
        matches!(store.backup_to(&backup).await, Err(StoreError::Backup(m)) if m.contains("already exists"))
    );

    let restored_path = dir.path().join("restored/florilege.db");
    let restored = backup::restore(&backup, &sqlite_url(&restored_path), false)
        .await
        .unwrap();
    assert_eq!(restored.contents, contents);
    assert_eq!(restored.set_aside, None);
    let config = StoreConfig {
        database_url: sqlite_url(&restored_path),
        ..StoreConfig::default()
    };
    let copy = Store::open(&config).await.unwrap();
    let expected: Vec<String> = (0..held).map(|n| format!("s-{n}")).collect();
    let mut found = slugs(&copy).await;
    found.sort_by_key(|slug| slug[2..].parse::<usize>().unwrap());
    assert_eq!(found, expected, "exactly the first {held} commits");
    assert_eq!(copy.revisions(1).await.unwrap().len(), 1);

    // The copy is in use now: replacing it needs --force, and keeps the old file.
    let refused = backup::restore(&backup, &config.database_url, false).await;
    assert!(
        matches!(&refused, Err(StoreError::Backup(m)) if m.contains("in use")),
        "{refused:?}"
    );
    let forced = backup::restore(&backup, &config.database_url, true)
        .await
        .unwrap();
    let aside = forced.set_aside.expect("the replaced database is kept");
    assert!(aside.exists() && restored_path.exists());
    copy.close().await;
    test.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restores_refuse_what_is_not_a_florilege_database_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("florilege.db");
    let live = TestStore::sqlite().await;
    live.store.backup_to(&target).await.unwrap();
    let original = std::fs::read(&target).unwrap();

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database at all, just some text").unwrap();
    let foreign = dir.path().join("foreign.db");
    let newer = dir.path().join("newer.db");
    for (path, extra) in [(&foreign, None), (&newer, Some(9999))] {
        let config = StoreConfig {
            database_url: sqlite_url(path),
            ..StoreConfig::default()
        };
        let store = Store::connect(&config).await.unwrap();
        if let Some(version) = extra {
            store.migrate().await.unwrap();
            on_pool!(&store.write, p => {
                sqlx::query("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES ($1, 'future', CURRENT_TIMESTAMP, TRUE, x'00', 0)")
                    .bind(version)
                    .execute(p)
                    .await
                    .unwrap();
            });
        } else {
            on_pool!(&store.write, p => {
                sqlx::query("CREATE TABLE notes (text TEXT)").execute(p).await.unwrap();
            });
        }
        store.close().await;
    }
    let url = sqlite_url(&target);
    for (source, expected) in [
        (&junk, "not a SQLite database"),
        (&foreign, "not a Florilège one"),
        (&newer, "schema version 9999, newer"),
        (&dir.path().join("absent.db"), "is not a file"),
    ] {
        let error = backup::restore(source, &url, true)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{expected}: {error}");
        assert_eq!(
            std::fs::read(&target).unwrap(),
            original,
            "{expected}: target changed"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("restoring"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    live.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backups_point_to_pg_dump() {
    let Some(test) = TestStore::postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let error = test
        .store
        .backup_to(&dir.path().join("x.db"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("pg_dump") && error.contains("docs/deployment.md"),
        "{error}"
    );
    let error = backup::restore(&dir.path().join("x.db"), &test.config.database_url, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("pg_restore"), "{error}");
    test.cleanup().await;
}
