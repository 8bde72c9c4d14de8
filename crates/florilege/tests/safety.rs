//! Keeping a collective's data safe, as a user runs it: `backup` during a crawl and editorial writes, `restore` into a fresh node, and `export`/`import` between two nodes crawling a simulated fleet.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{stderr, stdout};
use peertube_sim::{Fleet, FleetConfig};
use store::testing::write_selections;
use store::{NewSelection, Store, StoreConfig};

/// Runs the binary in `dir` with the loopback crawl settings, off the async runtime.
async fn florilege(dir: &Path, args: &[&str]) -> Output {
    let (dir, args) = (
        dir.to_owned(),
        args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>(),
    );
    tokio::task::spawn_blocking(move || {
        let mut env = common::CRAWL_LOOPBACK.to_vec();
        env.push(("FLORILEGE_ALLOW_PRIVATE_ADDRESSES", "true"));
        env.push(("FLORILEGE_LOG", "warn"));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        common::run(&dir, &args, &env, None)
    })
    .await
    .unwrap()
}

fn succeeded(output: &Output) -> String {
    assert!(output.status.success(), "{}", stderr(output));
    stdout(output)
}

async fn open(dir: &Path) -> Store {
    let config = StoreConfig {
        database_url: format!("sqlite://{}", dir.join("florilege.db").display()),
        ..StoreConfig::default()
    };
    Store::open(&config).await.unwrap()
}

async fn fleet(instances: usize, videos: u64) -> Fleet {
    Fleet::start(FleetConfig {
        instances,
        videos,
        seed: 7,
        rate_limit: false,
        ..FleetConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_during_a_crawl_and_edits_restores_exactly_what_was_committed() {
    let fleet = fleet(4, 3000).await;
    let source = tempfile::tempdir().unwrap();
    let url = fleet.hosts_list_url();
    succeeded(
        &florilege(
            source.path(),
            &["instances", "import", &url, "--scheme", "http"],
        )
        .await,
    );

    // A crawl in another process and editors' writes in this one.
    let mut crawl = common::command(source.path())
        .args(["crawl", "--once"])
        .envs(common::CRAWL_LOOPBACK)
        .env("FLORILEGE_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let store = open(source.path()).await;
    let (committed, stop) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let writer = tokio::spawn(write_selections(
        store.clone(),
        Arc::clone(&committed),
        Arc::clone(&stop),
        Duration::from_millis(2),
    ));
    while store.contents().await.unwrap().videos < 200 || committed.load(Ordering::SeqCst) < 20 {
        // Neither may end before the backup: fail rather than wait forever.
        if writer.is_finished() {
            writer.await.unwrap();
            panic!("the editors' writes stopped before the backup");
        }
        if let Some(status) = crawl.try_wait().unwrap() {
            panic!("the crawl ended ({status}) before the backup");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let backups = tempfile::tempdir().unwrap();
    let before = committed.load(Ordering::SeqCst);
    let report = succeeded(
        &florilege(
            source.path(),
            &["backup", &backups.path().display().to_string()],
        )
        .await,
    );
    let after = committed.load(Ordering::SeqCst);
    let crawling = crawl.try_wait().unwrap().is_none();
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(
        report.contains("backed up to") && report.contains("index --rebuild"),
        "{report}"
    );
    assert!(crawling, "the crawl was still writing during the backup");
    assert!(crawl.wait().unwrap().success());
    let backup: PathBuf = std::fs::read_dir(backups.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();

    // What the backup holds, counted on a copy so the file stays as written.
    let probe = backups.path().join("probe.db");
    std::fs::copy(&backup, &probe).unwrap();
    let held = store::backup::check_database(&probe).await.unwrap();
    let final_contents = store.contents().await.unwrap();
    assert!(held.videos >= 200 && held.videos <= final_contents.videos);
    let selections = usize::try_from(held.selections).unwrap();
    assert!(
        (before..=after).contains(&selections),
        "{before} ≤ {selections} ≤ {after}"
    );

    let fresh = tempfile::tempdir().unwrap();
    let restored =
        succeeded(&florilege(fresh.path(), &["restore", &backup.display().to_string()]).await);
    assert!(restored.contains("search index rebuilt"), "{restored}");
    succeeded(&florilege(fresh.path(), &["migrate"]).await);
    let copy = open(fresh.path()).await;
    assert_eq!(copy.contents().await.unwrap(), held);
    for n in 0..selections {
        let slug = format!("s-{n}");
        assert!(
            copy.selection_by_slug(&slug).await.unwrap().is_some(),
            "{slug} lost"
        );
    }
    let next = format!("s-{selections}");
    assert!(
        copy.selection_by_slug(&next).await.unwrap().is_none(),
        "{next} was not committed yet"
    );

    // The restored node is in use now: a second restore needs --force and keeps the old file.
    let refused = florilege(
        fresh.path(),
        &["restore", &backup.display().to_string(), "--no-index"],
    )
    .await;
    assert!(
        !refused.status.success() && stderr(&refused).contains("in use"),
        "{}",
        stderr(&refused)
    );
    let forced = succeeded(
        &florilege(
            fresh.path(),
            &[
                "restore",
                &backup.display().to_string(),
                "--no-index",
                "--force",
            ],
        )
        .await,
    );
    assert!(forced.contains("kept as"), "{forced}");
    copy.close().await;
    store.close().await;
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selections_move_to_another_node_and_complete_once_it_has_crawled() {
    let fleet = fleet(2, 40).await;
    let hosts: Vec<String> = fleet.instances().iter().map(|i| i.host.clone()).collect();
    let url = fleet.hosts_list_url();
    let (origin, target) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [origin.path(), target.path()] {
        succeeded(&florilege(dir, &["instances", "import", &url, "--scheme", "http"]).await);
    }
    succeeded(&florilege(origin.path(), &["crawl", "--once"]).await);
    succeeded(&florilege(target.path(), &["crawl", "--once", "--instance", &hosts[0]]).await);

    // One selection with a video of each instance, published, with notes.
    let store = open(origin.path()).await;
    let new = NewSelection {
        title: "Le meilleur des deux",
        ..NewSelection::default()
    };
    let selection = store.create_selection(&new, None).await.unwrap();
    for (n, host) in hosts.iter().enumerate() {
        let instance = store.instance_by_host(host).await.unwrap().unwrap();
        let video = &store.videos_of_instance(instance.id).await.unwrap()[0];
        let note = format!("note {n}");
        store
            .add_item(selection.id, video.id, &note, None, None)
            .await
            .unwrap();
    }
    store.close().await;
    let file = origin.path().join("showcase.json");
    let exported =
        succeeded(&florilege(origin.path(), &["export", &file.display().to_string()]).await);
    assert!(
        exported.contains("exported 1 selections (2 items)"),
        "{exported}"
    );

    let path = file.display().to_string();
    let first = succeeded(&florilege(target.path(), &["import", &path]).await);
    assert!(
        first.contains("selections: 1 created (le-meilleur-des-deux)"),
        "{first}"
    );
    assert!(
        first.contains("1 items were left out") && first.contains(&hosts[1]),
        "{first}"
    );
    assert!(first.contains("import the same file again"), "{first}");
    let again = succeeded(&florilege(target.path(), &["import", &path]).await);
    assert!(
        again.contains("0 created, 0 updated, 1 unchanged"),
        "{again}"
    );

    succeeded(&florilege(target.path(), &["crawl", "--once", "--instance", &hosts[1]]).await);
    let completed = succeeded(&florilege(target.path(), &["import", &path]).await);
    assert!(
        completed.contains("1 updated (le-meilleur-des-deux)"),
        "{completed}"
    );
    assert!(!completed.contains("left out"), "{completed}");
    let copy = open(target.path()).await;
    let imported = copy
        .selection_by_slug("le-meilleur-des-deux")
        .await
        .unwrap()
        .unwrap();
    let notes: Vec<String> = copy
        .editor_items(imported.id)
        .await
        .unwrap()
        .into_iter()
        .map(|item| item.item.note)
        .collect();
    assert_eq!(notes, ["note 0", "note 1"]);
    let audit = copy
        .audit_log(&store::AuditFilter {
            action: Some("showcase.import"),
            ..store::AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        audit.total, 2,
        "the first import and the one that completed it"
    );

    let bad = target.path().join("bad.json");
    std::fs::write(&bad, r#"{"format": "florilege.showcase", "version": 1, "exported_at": "2024-01-01T00:00:00Z", "selections": [{"slug": "Bad Slug", "title": "x", "status": "draft"}]}"#).unwrap();
    let refused = florilege(target.path(), &["import", &bad.display().to_string()]).await;
    assert!(
        !refused.status.success() && stderr(&refused).contains("Bad Slug"),
        "{}",
        stderr(&refused)
    );
    copy.close().await;
    fleet.shutdown().await;
}
