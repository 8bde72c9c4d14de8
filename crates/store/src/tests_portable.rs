//! Export and import of the portable showcase, on both backends: a round trip to another database, idempotence, videos crawled later, and bad files that write nothing.

use chrono::{DateTime, Utc};

use crate::testing::TestStore;
use crate::*;

const HOST: &str = "video.example";

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
}

fn video(n: u32) -> VideoRecord {
    VideoRecord {
        uuid: format!("00000000-0000-4000-8000-{n:012}"),
        url: format!("https://{HOST}/w/{n}"),
        name: format!("Vidéo {n}"),
        privacy_id: 1,
        published_at: at(i64::from(n)),
        ..VideoRecord::default()
    }
}

/// The instance (approved) with the videos numbered `numbers`; returns the ids in order.
async fn seed(store: &Store, numbers: &[u32]) -> Vec<i64> {
    let new = NewInstance {
        address: InstanceAddress::parse(HOST, "https").unwrap(),
        status: InstanceStatus::Approved,
        origin: InstanceOrigin::Cli,
        discovered_from: None,
    };
    let instance = store.add_instance(&new).await.unwrap().0;
    let records = PageRecords {
        videos: numbers.iter().copied().map(video).collect(),
        ..PageRecords::default()
    };
    store
        .upsert_page(&instance, &records, at(100))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in numbers {
        ids.push(
            store
                .video_by_uuid(&video(*n).uuid)
                .await
                .unwrap()
                .unwrap()
                .id,
        );
    }
    ids
}

/// Two themes and three selections: published (themed, noted, with a
/// cover), in review with a schedule, and a draft.
async fn editorial(store: &Store, videos: &[i64]) {
    let cinema = ThemeInput {
        name: "Cinéma",
        description: "Des films",
        ..ThemeInput::default()
    };
    let cinema = store.create_theme(&cinema, None).await.unwrap();
    let science = ThemeInput {
        name: "Sciences",
        ..ThemeInput::default()
    };
    let science = store.create_theme(&science, None).await.unwrap();
    let new = NewSelection {
        title: "Courts métrages",
        summary: "Les meilleurs",
        body: "# Bonjour\n\n*Markdown*",
        language: Some("fr"),
        ..NewSelection::default()
    };
    let shorts = store.create_selection(&new, None).await.unwrap();
    for (video, note) in videos.iter().zip(["premier", "", "troisième"]) {
        store
            .add_item(shorts.id, *video, note, None, None)
            .await
            .unwrap();
    }
    store
        .set_cover_video(shorts.id, Some(videos[1]), None, None)
        .await
        .unwrap();
    store
        .set_selection_themes(shorts.id, &[cinema.id, science.id], None, None)
        .await
        .unwrap();
    store
        .set_selection_status(shorts.id, SelectionStatus::Review, None, None)
        .await
        .unwrap();
    store
        .set_selection_status(shorts.id, SelectionStatus::Published, None, None)
        .await
        .unwrap();

    let later = NewSelection {
        title: "Bientôt",
        ..NewSelection::default()
    };
    let later = store.create_selection(&later, None).await.unwrap();
    store
        .add_item(later.id, videos[0], "", None, None)
        .await
        .unwrap();
    let edit = SelectionEdit {
        slug: &later.slug,
        title: &later.title,
        publish_at: Some(at(1_000_000_000)),
        ..SelectionEdit::default()
    };
    let later = store
        .update_selection(later.id, &edit, None, 2)
        .await
        .unwrap();
    store
        .set_selection_status(later.id, SelectionStatus::Review, None, None)
        .await
        .unwrap();
    let draft = NewSelection {
        title: "Brouillon",
        ..NewSelection::default()
    };
    store.create_selection(&draft, None).await.unwrap();
}

/// A fresh store on the same backend as `store`.
async fn another(store: &Store) -> TestStore {
    match store.backend() {
        Backend::Sqlite => TestStore::sqlite().await,
        Backend::Postgres => TestStore::postgres()
            .await
            .expect("PostgreSQL is configured"),
    }
}

/// The export without its date, to compare two exports.
async fn exported(store: &Store) -> Showcase {
    let mut showcase = store.export_showcase(&[]).await.unwrap();
    showcase.exported_at = at(0);
    showcase
}

async fn audit_count(store: &Store) -> i64 {
    store
        .audit_log(&AuditFilter::default())
        .await
        .unwrap()
        .total
}

async fn a_showcase_moves_to_another_florilege_and_completes_once_crawled(store: Store) {
    let videos = seed(&store, &[1, 2, 3]).await;
    editorial(&store, &videos).await;
    let file = store.export_showcase(&[]).await.unwrap().to_json();
    let showcase = Showcase::from_json(file.as_bytes()).unwrap();
    assert_eq!(showcase.format, "florilege.showcase");
    assert_eq!(showcase.selections.len(), 3);
    let shorts = &showcase
        .selections
        .iter()
        .find(|s| s.slug == "courts-metrages")
        .unwrap();
    assert_eq!(shorts.themes, ["cinema", "sciences"]);
    assert_eq!(shorts.items[0].video.host, HOST);
    assert_eq!(shorts.items[0].video.uuid, video(1).uuid);
    assert_eq!(shorts.items[0].note, "premier");
    assert_eq!(shorts.cover.as_ref().unwrap().uuid, video(2).uuid);
    assert!(!file.contains("video_id"), "no database ids in the file");

    // The target knows video 3 only: 1 and 2 are reported missing.
    let target = another(&store).await;
    let there = &target.store;
    seed(there, &[3]).await;
    let report = there
        .import_showcase(&showcase, ImportOptions::default(), None, "showcase.json")
        .await
        .unwrap();
    assert_eq!(report.themes_created, ["cinema", "sciences"]);
    assert_eq!(report.selections_created.len(), 3);
    let missing: Vec<(&str, &str)> = report
        .missing
        .iter()
        .map(|m| (m.selection.as_str(), m.video.uuid.as_str()))
        .collect();
    let (uuid1, uuid2) = (video(1).uuid, video(2).uuid);
    assert_eq!(
        missing,
        [
            ("bientot", uuid1.as_str()),
            ("courts-metrages", uuid1.as_str()),
            ("courts-metrages", uuid2.as_str()),
        ]
    );
    let imported = there
        .selection_by_slug("courts-metrages")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imported.status, SelectionStatus::Published);
    assert_eq!(imported.published_at, shorts.published_at);
    assert_eq!(
        imported.cover_video_id, None,
        "the cover's video is not known yet"
    );
    let items = there.editor_items(imported.id).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].item.note, "troisième");
    let later = there.selection_by_slug("bientot").await.unwrap().unwrap();
    assert_eq!(
        (later.status, later.publish_at),
        (SelectionStatus::Review, Some(at(1_000_000_000)))
    );
    let actions: Vec<String> = there
        .audit_log(&AuditFilter::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert!(
        actions.contains(&"showcase.import".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"selection.import".to_owned()),
        "{actions:?}"
    );

    // The same file again: nothing changes, not even the audit log.
    let (contents, audit) = (there.contents().await.unwrap(), audit_count(there).await);
    let again = there
        .import_showcase(&showcase, ImportOptions::default(), None, "showcase.json")
        .await
        .unwrap();
    assert!(!again.changed(), "{again:?}");
    assert_eq!(again.selections_unchanged, 3);
    assert_eq!(again.missing.len(), 3);
    assert_eq!(there.contents().await.unwrap(), contents);
    assert_eq!(audit_count(there).await, audit);
    assert_eq!(
        there.selection(imported.id).await.unwrap().unwrap().version,
        imported.version
    );

    // Once videos 1 and 2 are crawled, importing again completes the items in order.
    seed(there, &[1, 2, 3]).await;
    let completed = there
        .import_showcase(&showcase, ImportOptions::default(), None, "showcase.json")
        .await
        .unwrap();
    assert_eq!(completed.selections_updated, ["bientot", "courts-metrages"]);
    assert!(completed.missing.is_empty());
    let mut source = exported(&store).await;
    let mut copy = exported(there).await;
    for showcase in [&mut source, &mut copy] {
        for selection in &mut showcase.selections {
            selection.created_at = None;
        }
    }
    assert_eq!(copy, source, "the target now exports what the source does");
    target.cleanup().await;
}

async fn shared_selections_arrive_as_drafts_and_local_status_is_kept(store: Store) {
    let videos = seed(&store, &[1, 2, 3]).await;
    editorial(&store, &videos).await;
    let one = store
        .export_showcase(&["courts-metrages".to_owned()])
        .await
        .unwrap();
    assert_eq!(one.selections.len(), 1);
    assert_eq!(one.themes.len(), 2, "only the themes it is filed under");
    assert!(matches!(
        store.export_showcase(&["absent".to_owned()]).await,
        Err(StoreError::NotFound("selection"))
    ));

    let target = another(&store).await;
    let there = &target.store;
    seed(there, &[1, 2, 3]).await;
    let drafts = ImportOptions { as_drafts: true };
    there
        .import_showcase(&one, drafts, None, "shared.json")
        .await
        .unwrap();
    let draft = there
        .selection_by_slug("courts-metrages")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (draft.status, draft.published_at),
        (SelectionStatus::Draft, None)
    );
    assert!(draft.cover_video_id.is_some());
    assert_eq!(there.editor_items(draft.id).await.unwrap().len(), 3);

    // Their edit upstream comes in again; the local workflow stays.
    let mut edited = one.clone();
    edited.selections[0].summary = "Encore meilleurs".into();
    edited.selections[0].items.reverse();
    let report = there
        .import_showcase(&edited, drafts, None, "shared.json")
        .await
        .unwrap();
    assert_eq!(report.selections_updated, ["courts-metrages"]);
    let updated = there
        .selection_by_slug("courts-metrages")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (updated.status, updated.summary.as_str()),
        (SelectionStatus::Draft, "Encore meilleurs")
    );
    let notes: Vec<String> = there
        .editor_items(updated.id)
        .await
        .unwrap()
        .into_iter()
        .map(|item| item.item.note)
        .collect();
    assert_eq!(notes, ["troisième", "", "premier"]);
    assert_eq!(there.revisions(updated.id).await.unwrap().len(), 2);
    target.cleanup().await;
}

async fn bad_files_are_refused_and_write_nothing(store: Store) {
    let videos = seed(&store, &[1, 2, 3]).await;
    editorial(&store, &videos).await;
    let good = store.export_showcase(&[]).await.unwrap();
    let contents = store.contents().await.unwrap();
    let audit = audit_count(&store).await;

    let mut value = serde_json::to_value(&good).unwrap();
    value["version"] = 2.into();
    let newer = Showcase::from_json(value.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        newer.contains("version 2") && newer.contains("newer"),
        "{newer}"
    );
    value["format"] = "something.else".into();
    let other = Showcase::from_json(value.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(other.contains("something.else"), "{other}");
    assert!(
        Showcase::from_json(b"{not json")
            .unwrap_err()
            .to_string()
            .contains("JSON")
    );

    type Spoil = fn(&mut Showcase);
    let refusals: [(&str, Spoil); 5] = [
        ("Not A Slug", |s| s.selections[0].slug = "Not A Slug".into()),
        ("twice", |s| {
            s.selections[1].slug = s.selections[0].slug.clone();
        }),
        ("not among the file's themes", |s| {
            s.selections[1].themes.push("absent".into());
        }),
        ("not one of the items", |s| {
            s.selections[0].cover = s.selections[0].items.pop().map(|i| i.video);
        }),
        ("title", |s| s.selections[2].title = " ".into()),
    ];
    for (expected, spoil) in refusals {
        let mut bad = good.clone();
        bad.selections.sort_by_key(|s| s.items.is_empty());
        spoil(&mut bad);
        let error = Showcase::from_json(bad.to_json().as_bytes())
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{expected}: {error}");
        let imported = store
            .import_showcase(&bad, ImportOptions::default(), None, "bad.json")
            .await;
        assert!(imported.is_err(), "{expected} imported");
    }
    assert_eq!(store.contents().await.unwrap(), contents);
    assert_eq!(audit_count(&store).await, audit);
}

crate::backend_tests!(
    a_showcase_moves_to_another_florilege_and_completes_once_crawled,
    shared_selections_arrive_as_drafts_and_local_status_is_kept,
    bad_files_are_refused_and_write_nothing,
);
