//! The `florilege` binary as a user runs it: configuration, migrations, users and instance imports.

mod common;

use common::{run as florilege, stderr, stdout};
use peertube_sim::{Fleet, FleetConfig};

#[test]
fn help_explains_the_commands_and_settings() {
    let dir = tempfile::tempdir().unwrap();
    let output = florilege(dir.path(), &["--help"], &[], None);
    assert!(output.status.success());
    let help = stdout(&output);
    for word in [
        "migrate",
        "instances",
        "user",
        "sim",
        "FLORILEGE_DATABASE_URL",
        "FLORILEGE_ALLOW_PRIVATE_ADDRESSES",
    ] {
        assert!(help.contains(word), "--help must mention {word}:\n{help}");
    }
}

#[test]
fn config_shows_effective_settings_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        (
            "FLORILEGE_DATABASE_URL",
            "postgres://florilege:hunter2@db.example/florilege",
        ),
        ("FLORILEGE_LISTEN", "0.0.0.0:9999"),
    ];
    let output = florilege(dir.path(), &["config"], &env, None);
    assert!(output.status.success(), "{}", stderr(&output));
    let shown = stdout(&output);
    assert!(shown.contains("0.0.0.0:9999"), "{shown}");
    assert!(
        shown.contains("postgres://florilege:***@db.example/florilege"),
        "{shown}"
    );
    assert!(!shown.contains("hunter2"));

    let bad = florilege(
        dir.path(),
        &["config"],
        &[("FLORILEGE_LISTEN", "not an address")],
        None,
    );
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).to_lowercase().contains("listen"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn migrate_then_users_are_added_with_a_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let output = florilege(dir.path(), &["migrate"], &[], None);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("up to date"));
    assert!(dir.path().join("florilege.db").exists());

    let added = florilege(
        dir.path(),
        &["user", "add", "camille", "--admin"],
        &[],
        Some("a long enough password\n"),
    );
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&added).contains("created admin camille"));

    let again = florilege(
        dir.path(),
        &["user", "add", "camille"],
        &[],
        Some("a long enough password\n"),
    );
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    let short = florilege(
        dir.path(),
        &["user", "add", "dominique"],
        &[],
        Some("short\n"),
    );
    assert!(!short.status.success());
    assert!(
        stderr(&short).contains("at least 10 characters"),
        "{}",
        stderr(&short)
    );

    let list = florilege(dir.path(), &["user", "list"], &[], None);
    assert!(stdout(&list).contains("camille"));
    assert!(!stdout(&list).contains("dominique"));
}

#[test]
fn instances_are_added_only_with_allowed_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let added = florilege(
        dir.path(),
        &["instances", "add", "https://Video.Example/"],
        &[],
        None,
    );
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&added).contains("added video.example"));
    let again = florilege(
        dir.path(),
        &["instances", "add", "video.example"],
        &[],
        None,
    );
    assert!(stdout(&again).contains("already known"));

    for refused in [
        "127.0.0.1:9000",
        "http://video.example",
        "https://169.254.169.254",
        "https://2130706433",
    ] {
        let output = florilege(dir.path(), &["instances", "add", refused], &[], None);
        assert!(!output.status.success(), "{refused} must be refused");
        assert!(
            stderr(&output).contains("allowed"),
            "{refused}: {}",
            stderr(&output)
        );
    }
    let allowed = [("FLORILEGE_ALLOW_PRIVATE_ADDRESSES", "true")];
    let local = florilege(
        dir.path(),
        &[
            "instances",
            "add",
            "127.0.0.1:9000",
            "--scheme",
            "http",
            "--pending",
        ],
        &allowed,
        None,
    );
    assert!(local.status.success(), "{}", stderr(&local));
    assert!(stdout(&local).contains("http://127.0.0.1:9000"));
    assert!(stdout(&local).contains("pending"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_hosts_list_is_imported_from_its_url_and_from_a_file() {
    let fleet = Fleet::start(FleetConfig {
        instances: 45,
        videos: 450,
        ..FleetConfig::default()
    })
    .await
    .expect("start the simulated fleet");
    // Pages of 20 hosts, as the JoinPeerTube index answers by default: the
    // import reads all three.
    let url = format!("{}?healthy=true&count=20", fleet.hosts_list_url());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();

    let refused = {
        let (path, url) = (path.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            florilege(
                &path,
                &["instances", "import", &url, "--scheme", "http"],
                &[],
                None,
            )
        })
        .await
        .unwrap()
    };
    assert!(
        !refused.status.success(),
        "a loopback list needs allow_private_addresses"
    );

    let allowed = [("FLORILEGE_ALLOW_PRIVATE_ADDRESSES", "true")];
    let imported = {
        let (path, url) = (path.clone(), url.clone());
        tokio::task::spawn_blocking(move || {
            florilege(
                &path,
                &["instances", "import", &url, "--scheme", "http"],
                &allowed,
                None,
            )
        })
        .await
        .unwrap()
    };
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(
        stdout(&imported).contains("imported 45 hosts: 45 added"),
        "{}",
        stdout(&imported)
    );

    // The same list from a file, with junk entries: nothing new, junk reported.
    let whole = format!("{}?count=5000", fleet.hosts_list_url());
    let body = reqwest::get(&whole).await.unwrap().text().await.unwrap();
    let mut list: serde_json::Value = serde_json::from_str(&body).unwrap();
    list["data"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"host": "not a host!"}));
    list["data"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"nohost": true}));
    std::fs::write(path.join("hosts.json"), list.to_string()).unwrap();
    let from_file = tokio::task::spawn_blocking(move || {
        florilege(
            &path,
            &["instances", "import", "hosts.json", "--scheme", "http"],
            &allowed,
            None,
        )
    })
    .await
    .unwrap();
    let report = stdout(&from_file);
    assert!(
        report.contains("0 added, 45 already known, 1 refused, 1 malformed"),
        "{report}"
    );

    let first = fleet.instances()[0].base_url.clone();
    let checked = {
        let path = dir.path().to_owned();
        tokio::task::spawn_blocking(move || {
            florilege(
                &path,
                &["instances", "check", &first],
                &common::CRAWL_LOOPBACK,
                None,
            )
        })
        .await
        .unwrap()
    };
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert!(
        stdout(&checked).contains("ok   peertube     PeerTube "),
        "{}",
        stdout(&checked)
    );

    let listed = florilege(dir.path(), &["instances", "list", "--json"], &[], None);
    let instances: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let hosts: Vec<&str> = instances
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["host"].as_str().unwrap())
        .collect();
    for instance in fleet.instances() {
        assert!(
            hosts.contains(&instance.host.as_str()),
            "{} missing",
            instance.host
        );
    }
    assert!(
        instances
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "approved")
    );
    fleet.shutdown().await;
}
