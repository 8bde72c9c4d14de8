//! The editorial and moderation suite (themes, selections, sessions, submissions, removals, audit, settings), on both backends.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use crate::*;

const BASE: &str = "https://video.example";

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
}

async fn user(store: &Store, username: &str, display_name: &str) -> User {
    let new = NewUser {
        username,
        display_name,
        password: "un mot de passe solide",
        role: Role::Editor,
    };
    store.add_user(new).await.unwrap()
}

fn video(n: u32) -> VideoRecord {
    VideoRecord {
        uuid: format!("00000000-0000-4000-8000-{n:012}"),
        url: format!("{BASE}/w/{n}"),
        name: format!("Vidéo {n}"),
        privacy_id: 1,
        published_at: at(i64::from(n)),
        account_name: Some("alice".into()),
        channel_name: Some("alice_channel".into()),
        ..VideoRecord::default()
    }
}

fn page(videos: Vec<VideoRecord>) -> PageRecords {
    PageRecords {
        accounts: vec![AccountRecord {
            name: "alice".into(),
            url: format!("{BASE}/accounts/alice"),
            ..AccountRecord::default()
        }],
        channels: vec![ChannelRecord {
            name: "alice_channel".into(),
            url: format!("{BASE}/video-channels/alice_channel"),
            account_name: Some("alice".into()),
            ..ChannelRecord::default()
        }],
        videos,
    }
}

/// An approved instance with videos 1..=n; returns it and the video ids in order.
async fn seed_videos(store: &Store, n: u32) -> (Instance, Vec<i64>) {
    let new = NewInstance {
        address: InstanceAddress::parse("video.example", "https").unwrap(),
        status: InstanceStatus::Approved,
        origin: InstanceOrigin::Cli,
        discovered_from: None,
    };
    let instance = store.add_instance(&new).await.unwrap().0;
    let videos = (1..=n).map(video).collect();
    store
        .upsert_page(&instance, &page(videos), at(10))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 1..=n {
        ids.push(
            store
                .video_by_uuid(&video(i).uuid)
                .await
                .unwrap()
                .unwrap()
                .id,
        );
    }
    (instance, ids)
}

async fn draft(store: &Store, title: &str, author: Option<i64>) -> Selection {
    let new = NewSelection {
        title,
        ..NewSelection::default()
    };
    store.create_selection(&new, author).await.unwrap()
}

/// Moves a draft through review to published.
async fn publish(store: &Store, id: i64) -> Selection {
    store
        .set_selection_status(id, SelectionStatus::Review, None, None)
        .await
        .unwrap();
    store
        .set_selection_status(id, SelectionStatus::Published, None, None)
        .await
        .unwrap()
}

/// The newest change-feed id: entries after it are the next actions'.
async fn feed_mark(store: &Store) -> i64 {
    on_pool!(&store.read, p => {
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM change_feed").fetch_one(p).await.unwrap()
    })
}

/// The video ids queued for re-indexing after `mark`.
async fn videos_queued_since(store: &Store, mark: i64) -> BTreeSet<i64> {
    let ids: Vec<i64> = on_pool!(&store.read, p => {
        sqlx::query_scalar("SELECT entity_id FROM change_feed WHERE entity = 'video' AND id > $1")
            .bind(mark)
            .fetch_all(p)
            .await
            .unwrap()
    });
    ids.into_iter().collect()
}

async fn curated(store: &Store, ids: &[i64]) -> Vec<bool> {
    let documents = store.video_documents(ids).await.unwrap();
    ids.iter()
        .map(|id| documents.iter().any(|d| d.video.id == *id && d.curated))
        .collect()
}

async fn audit_actions(store: &Store, target_kind: &str) -> Vec<String> {
    let filter = AuditFilter {
        target_kind: Some(target_kind),
        ..AuditFilter::default()
    };
    let page = store.audit_log(&filter).await.unwrap();
    page.items
        .into_iter()
        .rev()
        .map(|entry| entry.action)
        .collect()
}

fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}

fn item_videos(items: &[EditorItem]) -> Vec<i64> {
    items.iter().map(|item| item.item.video_id).collect()
}

async fn themes_are_ordered_and_their_slugs_unique(store: Store) {
    let editor = user(&store, "camille", "Camille").await;
    let by = Some(editor.id);
    let nature = ThemeInput {
        name: "École d'été",
        description: "Pour les vacances",
        ..ThemeInput::default()
    };
    let first = store.create_theme(&nature, by).await.unwrap();
    assert_eq!(first.slug, "ecole-d-ete");
    assert_eq!(first.position, 0);
    let second = store
        .create_theme(
            &ThemeInput {
                slug: "sciences",
                name: "Sciences",
                ..ThemeInput::default()
            },
            by,
        )
        .await
        .unwrap();
    assert_eq!(second.position, 1);
    let top = store
        .create_theme(
            &ThemeInput {
                name: "À la une",
                position: Some(-1),
                ..ThemeInput::default()
            },
            by,
        )
        .await
        .unwrap();
    assert_eq!(top.slug, "a-la-une");
    let slugs: Vec<_> = store
        .list_themes()
        .await
        .unwrap()
        .into_iter()
        .map(|theme| theme.slug)
        .collect();
    assert_eq!(slugs, ["a-la-une", "ecole-d-ete", "sciences"]);

    let taken = store.create_theme(&nature, by).await;
    assert!(
        matches!(&taken, Err(StoreError::SlugTaken(slug)) if slug == "ecole-d-ete"),
        "{taken:?}"
    );
    let invalid = ThemeInput {
        slug: "Not A Slug",
        name: "x",
        ..ThemeInput::default()
    };
    assert!(matches!(
        store.create_theme(&invalid, by).await,
        Err(StoreError::Invalid { field: "slug", .. })
    ));

    let renamed = ThemeInput {
        slug: "sciences-et-techniques",
        name: "Sciences et techniques",
        ..ThemeInput::default()
    };
    let updated = store.update_theme(second.id, &renamed, by).await.unwrap();
    assert_eq!(
        (updated.slug.as_str(), updated.position),
        ("sciences-et-techniques", 1)
    );
    assert_eq!(
        store
            .theme_by_slug("sciences-et-techniques")
            .await
            .unwrap()
            .unwrap()
            .name,
        "Sciences et techniques"
    );
    assert!(store.theme_by_slug("sciences").await.unwrap().is_none());
    let clash = ThemeInput {
        slug: "a-la-une",
        name: "Clash",
        ..ThemeInput::default()
    };
    assert!(matches!(
        store.update_theme(second.id, &clash, by).await,
        Err(StoreError::SlugTaken(_))
    ));
    assert!(matches!(
        store.update_theme(999_999, &renamed, by).await,
        Err(StoreError::NotFound("theme"))
    ));

    assert!(store.delete_theme(top.id, by).await.unwrap());
    assert!(!store.delete_theme(top.id, by).await.unwrap());
    assert_eq!(store.list_themes().await.unwrap().len(), 2);
    // Refused changes left no audit line behind.
    assert_eq!(
        audit_actions(&store, "theme").await,
        [
            "theme.create",
            "theme.create",
            "theme.create",
            "theme.update",
            "theme.delete"
        ]
    );
}

async fn selections_start_as_drafts_with_a_first_revision(store: Store) {
    let editor = user(&store, "camille", "Camille").await;
    let new = NewSelection {
        title: "  École d'été  ",
        summary: "Des vidéos pour l'été",
        language: Some("fr"),
        ..NewSelection::default()
    };
    let selection = store.create_selection(&new, Some(editor.id)).await.unwrap();
    assert_eq!(selection.slug, "ecole-d-ete");
    assert_eq!(selection.title, "École d'été");
    assert_eq!(selection.status, SelectionStatus::Draft);
    assert_eq!(selection.version, 1);
    assert_eq!(selection.created_by, Some(editor.id));
    assert_eq!(selection.language.as_deref(), Some("fr"));
    assert_eq!(
        store.selection(selection.id).await.unwrap().as_ref(),
        Some(&selection)
    );
    assert_eq!(
        store
            .selection_by_slug("ecole-d-ete")
            .await
            .unwrap()
            .unwrap()
            .id,
        selection.id
    );
    let revisions = store.revisions(selection.id).await.unwrap();
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0].version, 1);
    assert_eq!(revisions[0].author_name.as_deref(), Some("Camille"));
    assert_eq!(revisions[0].snapshot.title, "École d'été");

    assert!(matches!(
        store.create_selection(&new, None).await,
        Err(StoreError::SlugTaken(slug)) if slug == "ecole-d-ete"
    ));
    let untitled = NewSelection {
        title: "   ",
        ..NewSelection::default()
    };
    assert!(matches!(
        store.create_selection(&untitled, None).await,
        Err(StoreError::Invalid { field: "title", .. })
    ));
    let bad_language = NewSelection {
        title: "Ok",
        language: Some("fr; DROP"),
        ..NewSelection::default()
    };
    assert!(matches!(
        store.create_selection(&bad_language, None).await,
        Err(StoreError::Invalid {
            field: "language",
            ..
        })
    ));
    assert_eq!(
        store
            .list_selections(None, Paging::default())
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        audit_actions(&store, "selection").await,
        ["selection.create"]
    );
}

async fn stale_edits_conflict_and_write_nothing(store: Store) {
    let (_, videos) = seed_videos(&store, 1).await;
    let alice = user(&store, "alice", "Alice").await;
    let bob = user(&store, "bob", "Bob").await;
    let selection = draft(&store, "Brouillon", Some(alice.id)).await;

    let alices = SelectionEdit {
        slug: "brouillon",
        title: "Le titre d'Alice",
        featured: true,
        ..SelectionEdit::default()
    };
    let saved = store
        .update_selection(selection.id, &alices, Some(alice.id), 1)
        .await
        .unwrap();
    assert_eq!((saved.version, saved.featured), (2, true));
    assert_eq!(saved.updated_by, Some(alice.id));

    let bobs = SelectionEdit {
        slug: "brouillon",
        title: "Le titre de Bob",
        ..SelectionEdit::default()
    };
    let conflict = store
        .update_selection(selection.id, &bobs, Some(bob.id), 1)
        .await;
    let Err(StoreError::Conflict(conflict)) = conflict else {
        panic!("expected a conflict, got {conflict:?}");
    };
    assert_eq!(conflict.current_version, 2);
    assert_eq!(conflict.saved_by, Some(alice.id));
    assert_eq!(conflict.saved_by_name.as_deref(), Some("Alice"));
    assert!(conflict.to_string().contains("Alice"), "{conflict}");

    // Item changes check the version too.
    assert!(matches!(
        store
            .add_item(selection.id, videos[0], "", Some(bob.id), Some(1))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let now = store.selection(selection.id).await.unwrap().unwrap();
    assert_eq!(now.title, "Le titre d'Alice");
    assert_eq!(now.version, 2);
    assert_eq!(store.revisions(selection.id).await.unwrap().len(), 2);
    assert!(store.editor_items(selection.id).await.unwrap().is_empty());

    // With the current version Bob's save goes through.
    let saved = store
        .update_selection(selection.id, &bobs, Some(bob.id), 2)
        .await
        .unwrap();
    assert_eq!(
        (saved.version, saved.title.as_str()),
        (3, "Le titre de Bob")
    );
    assert!(matches!(
        store.update_selection(999_999, &bobs, None, 1).await,
        Err(StoreError::NotFound("selection"))
    ));
    // A slug clash is reported as such, and writes nothing either.
    draft(&store, "Autre", None).await;
    let clash = SelectionEdit {
        slug: "autre",
        title: "x",
        ..SelectionEdit::default()
    };
    assert!(matches!(
        store.update_selection(selection.id, &clash, None, 3).await,
        Err(StoreError::SlugTaken(_))
    ));
    assert_eq!(
        store
            .selection(selection.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        3
    );
}

async fn the_workflow_allows_only_its_transitions(store: Store) {
    let editor = user(&store, "camille", "Camille").await;
    let by = Some(editor.id);
    let selection = draft(&store, "Flux", by).await;
    let id = selection.id;
    assert!(matches!(
        store
            .set_selection_status(id, SelectionStatus::Published, by, None)
            .await,
        Err(StoreError::Invalid {
            field: "status",
            ..
        })
    ));
    assert!(matches!(
        store
            .set_selection_status(id, SelectionStatus::Archived, by, None)
            .await,
        Err(StoreError::Invalid { .. })
    ));
    let review = store
        .set_selection_status(id, SelectionStatus::Review, by, Some(1))
        .await
        .unwrap();
    assert_eq!(
        (review.status, review.version),
        (SelectionStatus::Review, 2)
    );
    assert!(review.published_at.is_none());
    let published = store
        .set_selection_status(id, SelectionStatus::Published, by, Some(2))
        .await
        .unwrap();
    assert_eq!(published.status, SelectionStatus::Published);
    assert!(published.published_at.is_some());
    let archived = store
        .set_selection_status(id, SelectionStatus::Archived, by, None)
        .await
        .unwrap();
    assert_eq!(archived.status, SelectionStatus::Archived);
    assert!(matches!(
        store
            .set_selection_status(id, SelectionStatus::Published, by, None)
            .await,
        Err(StoreError::Invalid { .. })
    ));
    let back = store
        .set_selection_status(id, SelectionStatus::Draft, by, None)
        .await
        .unwrap();
    assert_eq!((back.status, back.version), (SelectionStatus::Draft, 5));
    assert_eq!(store.revisions(id).await.unwrap().len(), 5);
    assert_eq!(
        audit_actions(&store, "selection").await,
        [
            "selection.create",
            "selection.submit_review",
            "selection.publish",
            "selection.archive",
            "selection.return_to_draft"
        ]
    );
    let log = store
        .audit_log(&AuditFilter {
            action: Some("selection.publish"),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(log.total, 1);
    assert_eq!(log.items[0].details["from"], "review");
    assert_eq!(log.items[0].username.as_deref(), Some("camille"));

    draft(&store, "Autre", by).await;
    let drafts = store
        .list_selections(Some(SelectionStatus::Draft), Paging::default())
        .await
        .unwrap();
    assert_eq!(drafts.total, 2);
    let published = store
        .list_selections(Some(SelectionStatus::Published), Paging::default())
        .await
        .unwrap();
    assert_eq!((published.total, published.items.len()), (0, 0));
    let first = store
        .list_selections(None, Paging::page(1, 1))
        .await
        .unwrap();
    assert_eq!((first.total, first.items.len()), (2, 1));
    assert_eq!(first.items[0].selection.title, "Autre");
}

async fn scheduled_selections_are_published_when_due(store: Store) {
    let schedule = |title: &'static str, seconds: i64| SelectionEdit {
        slug: "",
        title,
        publish_at: Some(at(seconds)),
        ..SelectionEdit::default()
    };
    let due = draft(&store, "Due", None).await;
    store
        .update_selection(due.id, &schedule("Due", 100), None, 1)
        .await
        .unwrap();
    store
        .set_selection_status(due.id, SelectionStatus::Review, None, None)
        .await
        .unwrap();
    let still_draft = draft(&store, "Draft", None).await;
    store
        .update_selection(still_draft.id, &schedule("Draft", 50), None, 1)
        .await
        .unwrap();
    let later = draft(&store, "Later", None).await;
    store
        .update_selection(later.id, &schedule("Later", 1_000), None, 1)
        .await
        .unwrap();
    store
        .set_selection_status(later.id, SelectionStatus::Review, None, None)
        .await
        .unwrap();

    assert!(store.publish_due(at(99)).await.unwrap().is_empty());
    let published = store.publish_due(at(200)).await.unwrap();
    assert_eq!(published.len(), 1);
    let selection = &published[0];
    assert_eq!(selection.id, due.id);
    assert_eq!(selection.status, SelectionStatus::Published);
    assert_eq!(selection.published_at, Some(at(200)));
    assert_eq!(selection.publish_at, None);
    assert_eq!(selection.updated_by, None);
    assert!(store.publish_due(at(300)).await.unwrap().is_empty());
    assert_eq!(
        store
            .selection(still_draft.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        SelectionStatus::Draft
    );
    let log = store
        .audit_log(&AuditFilter {
            action: Some("selection.publish"),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(log.items.len(), 1);
    assert_eq!(log.items[0].user_id, None);
    assert_eq!(log.items[0].details["scheduled"], true);
    let ids: Vec<_> = store
        .publish_due(at(5_000))
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, [later.id]);
}

async fn curation_changes_are_queued_for_the_index(store: Store) {
    let (_, v) = seed_videos(&store, 3).await;
    let selection = draft(&store, "Curation", None).await;
    let id = selection.id;
    let mark = feed_mark(&store).await;
    store.add_item(id, v[0], "", None, None).await.unwrap();
    store.add_item(id, v[1], "", None, None).await.unwrap();
    assert!(videos_queued_since(&store, mark).await.is_empty());

    let mark = feed_mark(&store).await;
    publish(&store, id).await;
    assert_eq!(videos_queued_since(&store, mark).await, set(&v[..2]));
    assert_eq!(curated(&store, &v).await, [true, true, false]);

    let mark = feed_mark(&store).await;
    let (_, third) = store.add_item(id, v[2], "", None, None).await.unwrap();
    assert_eq!(videos_queued_since(&store, mark).await, set(&[v[2]]));
    let first_item = store.editor_items(id).await.unwrap()[0].item.id;
    let mark = feed_mark(&store).await;
    store.remove_item(id, first_item, None, None).await.unwrap();
    assert_eq!(videos_queued_since(&store, mark).await, set(&[v[0]]));
    assert_eq!(curated(&store, &v).await, [false, true, true]);

    // Notes and order do not change what is curated.
    let mark = feed_mark(&store).await;
    store
        .set_item_note(id, third.id, "Bravo", None, None)
        .await
        .unwrap();
    store.move_item(id, third.id, 0, None, None).await.unwrap();
    assert!(videos_queued_since(&store, mark).await.is_empty());

    let mark = feed_mark(&store).await;
    store
        .set_selection_status(id, SelectionStatus::Archived, None, None)
        .await
        .unwrap();
    assert_eq!(videos_queued_since(&store, mark).await, set(&v[1..]));
    assert_eq!(curated(&store, &v).await, [false, false, false]);

    let mark = feed_mark(&store).await;
    store
        .set_selection_status(id, SelectionStatus::Draft, None, None)
        .await
        .unwrap();
    assert!(videos_queued_since(&store, mark).await.is_empty());

    // Restoring version 4 (videos 1 and 2) while published again.
    publish(&store, id).await;
    let mark = feed_mark(&store).await;
    let current = store.selection(id).await.unwrap().unwrap().version;
    store.restore_revision(id, 4, None, current).await.unwrap();
    assert_eq!(
        videos_queued_since(&store, mark).await,
        set(&[v[0], v[2]]),
        "video 1 comes back, video 3 goes"
    );
    assert_eq!(curated(&store, &v).await, [true, true, false]);

    let mark = feed_mark(&store).await;
    store.delete_selection(id, None, None).await.unwrap();
    assert_eq!(videos_queued_since(&store, mark).await, set(&v[..2]));
    assert_eq!(curated(&store, &v).await, [false, false, false]);
    assert!(store.selection(id).await.unwrap().is_none());
    assert!(store.revisions(id).await.unwrap().is_empty());
    assert_eq!(
        audit_actions(&store, "selection").await.last().unwrap(),
        "selection.delete"
    );
}

async fn items_are_added_once_ordered_and_annotated(store: Store) {
    let (_, v) = seed_videos(&store, 4).await;
    let editor = user(&store, "camille", "Camille").await;
    let by = Some(editor.id);
    let selection = draft(&store, "Ordre", by).await;
    let id = selection.id;
    let mut items = Vec::new();
    for video_id in &v[..3] {
        let (selection, item) = store
            .add_item(id, *video_id, "  une note  ", by, None)
            .await
            .unwrap();
        assert_eq!(item.position, i64::try_from(items.len()).unwrap());
        assert_eq!(selection.version, 2 + i64::try_from(items.len()).unwrap());
        items.push(item);
    }
    assert_eq!(items[0].last_known_title, "Vidéo 1");
    assert_eq!(items[0].note, "une note");
    assert_eq!(items[0].added_by, Some(editor.id));

    let duplicate = store.add_item(id, v[1], "", by, None).await;
    assert!(
        matches!(
            duplicate,
            Err(StoreError::AlreadyInSelection { item_id, position: 1 }) if item_id == items[1].id
        ),
        "{duplicate:?}"
    );
    assert!(matches!(
        store.add_item(id, 999_999, "", by, None).await,
        Err(StoreError::NotFound("video"))
    ));

    store
        .set_item_note(id, items[1].id, "La meilleure", by, None)
        .await
        .unwrap();
    let moved = store.move_item(id, items[2].id, 0, by, None).await.unwrap();
    assert_eq!(moved.version, 6);
    let listed = store.editor_items(id).await.unwrap();
    assert_eq!(item_videos(&listed), [v[2], v[0], v[1]]);
    assert_eq!(
        listed.iter().map(|i| i.item.position).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert_eq!(listed[2].item.note, "La meilleure");
    store
        .move_item(id, items[2].id, 99, by, None)
        .await
        .unwrap();
    assert_eq!(
        item_videos(&store.editor_items(id).await.unwrap()),
        [v[0], v[1], v[2]]
    );

    store
        .reorder(id, &[items[1].id, items[2].id, items[0].id], by, None)
        .await
        .unwrap();
    assert_eq!(
        item_videos(&store.editor_items(id).await.unwrap()),
        [v[1], v[2], v[0]]
    );
    assert!(matches!(
        store
            .reorder(id, &[items[1].id, items[2].id], by, None)
            .await,
        Err(StoreError::Invalid { field: "order", .. })
    ));
    assert!(matches!(
        store.move_item(id, 999_999, 0, by, None).await,
        Err(StoreError::NotFound("selection item"))
    ));

    // The cover is one of the selection's videos, and goes with its item.
    assert!(matches!(
        store.set_cover_video(id, Some(v[3]), by, None).await,
        Err(StoreError::Invalid { .. })
    ));
    let covered = store
        .set_cover_video(id, Some(v[2]), by, None)
        .await
        .unwrap();
    assert_eq!(covered.cover_video_id, Some(v[2]));
    let after = store.remove_item(id, items[2].id, by, None).await.unwrap();
    assert_eq!(after.cover_video_id, None);
    let listed = store.editor_items(id).await.unwrap();
    assert_eq!(item_videos(&listed), [v[1], v[0]]);
    assert_eq!(
        listed.iter().map(|i| i.item.position).collect::<Vec<_>>(),
        [0, 1]
    );
    assert!(matches!(
        store.remove_item(id, items[2].id, by, None).await,
        Err(StoreError::NotFound("selection item"))
    ));

    // Themes of a selection.
    let theme = |name| ThemeInput {
        name,
        ..ThemeInput::default()
    };
    let b = store.create_theme(&theme("B"), by).await.unwrap();
    let a = store
        .create_theme(
            &ThemeInput {
                position: Some(-5),
                ..theme("A")
            },
            by,
        )
        .await
        .unwrap();
    let version = store
        .set_selection_themes(id, &[b.id, a.id, b.id], by, None)
        .await
        .unwrap()
        .version;
    let names: Vec<_> = store
        .selection_themes(id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["A", "B"]);
    assert!(matches!(
        store
            .set_selection_themes(id, &[a.id, 999_999], by, None)
            .await,
        Err(StoreError::NotFound("theme"))
    ));
    assert_eq!(store.selection_themes(id).await.unwrap().len(), 2);
    assert_eq!(store.selection(id).await.unwrap().unwrap().version, version);
}

async fn revisions_snapshot_every_change_and_can_be_restored(store: Store) {
    let (_, v) = seed_videos(&store, 3).await;
    let alice = user(&store, "alice", "Alice").await;
    let by = Some(alice.id);
    let selection = draft(&store, "Première version", by).await;
    let id = selection.id;
    store.add_item(id, v[0], "Note A", by, None).await.unwrap();
    let (_, second) = store.add_item(id, v[1], "Note B", by, None).await.unwrap();
    store.move_item(id, second.id, 0, by, None).await.unwrap();
    let theme = store
        .create_theme(
            &ThemeInput {
                name: "Thème",
                ..ThemeInput::default()
            },
            by,
        )
        .await
        .unwrap();
    store
        .set_selection_themes(id, &[theme.id], by, None)
        .await
        .unwrap();
    // Version 5: two items (video 2 then 1), one theme.
    let edit = SelectionEdit {
        slug: "seconde",
        title: "Seconde version",
        summary: "Résumé",
        ..SelectionEdit::default()
    };
    store.update_selection(id, &edit, by, 5).await.unwrap();
    store.add_item(id, v[2], "Note C", by, None).await.unwrap();
    let first_item = store.editor_items(id).await.unwrap()[0].item.id;
    let current = store.remove_item(id, first_item, by, None).await.unwrap();
    assert_eq!(current.version, 8);

    let revisions = store.revisions(id).await.unwrap();
    assert_eq!(
        revisions.iter().map(|r| r.version).collect::<Vec<_>>(),
        [8, 7, 6, 5, 4, 3, 2, 1]
    );
    assert!(
        revisions
            .iter()
            .all(|r| r.author_name.as_deref() == Some("Alice"))
    );
    let five = store.revision(id, 5).await.unwrap().unwrap().snapshot;
    assert_eq!(five.title, "Première version");
    assert_eq!(five.theme_ids, [theme.id]);
    let notes: Vec<_> = five
        .items
        .iter()
        .map(|i| (i.video_id, i.note.as_str()))
        .collect();
    assert_eq!(notes, [(v[1], "Note B"), (v[0], "Note A")]);
    assert_eq!(revisions[0].snapshot.items.len(), 2);
    assert_eq!(revisions[0].snapshot.slug, "seconde");

    assert!(matches!(
        store.restore_revision(id, 5, by, 7).await,
        Err(StoreError::Conflict(conflict)) if conflict.current_version == 8
    ));
    assert!(matches!(
        store.restore_revision(id, 42, by, 8).await,
        Err(StoreError::NotFound("revision"))
    ));
    store.set_selection_themes(id, &[], by, None).await.unwrap();
    let restored = store.restore_revision(id, 5, by, 9).await.unwrap();
    assert_eq!(restored.version, 10);
    assert_eq!(restored.title, "Première version");
    assert_eq!(restored.slug, "premiere-version");
    assert_eq!(restored.summary, "");
    let items = store.editor_items(id).await.unwrap();
    assert_eq!(item_videos(&items), [v[1], v[0]]);
    assert_eq!(items[0].item.note, "Note B");
    assert_eq!(items[0].item.added_by, Some(alice.id));
    assert_eq!(store.selection_themes(id).await.unwrap().len(), 1);
    let newest = &store.revisions(id).await.unwrap()[0];
    assert_eq!(newest.version, 10);
    assert_eq!(newest.snapshot.items.len(), 2);
    let restores = store
        .audit_log(&AuditFilter {
            action: Some("selection.restore"),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(restores.items[0].details["restored_version"], 5);
}

async fn broken_items_are_flagged_for_editors_and_left_out_for_the_public(store: Store) {
    let (instance, v) = seed_videos(&store, 4).await;
    let selection = draft(&store, "Cassée", None).await;
    let id = selection.id;
    for video_id in &v {
        store.add_item(id, *video_id, "", None, None).await.unwrap();
    }
    // Video 1 disappears from its instance, video 2 is blocked, video 3 turns private.
    let mut private = video(3);
    private.privacy_id = 2;
    store
        .upsert_page(&instance, &page(vec![video(2), private, video(4)]), at(100))
        .await
        .unwrap();
    store
        .delete_videos_not_seen_since(instance.id, at(100), at(101))
        .await
        .unwrap();
    let block = NewBlock {
        kind: BlockKind::Video,
        target: &video(2).uuid,
        reason: "spam",
        source: None,
        created_by: None,
    };
    store.add_block(&block).await.unwrap();

    let items = store.editor_items(id).await.unwrap();
    assert_eq!(item_videos(&items), v);
    let broken: Vec<_> = items.iter().map(|i| i.broken).collect();
    assert_eq!(
        broken,
        [
            Some(BrokenReason::Deleted),
            Some(BrokenReason::Blocked),
            Some(BrokenReason::Unavailable),
            None
        ]
    );
    assert_eq!(items[0].item.last_known_title, "Vidéo 1");
    let public = store.public_items(id).await.unwrap();
    assert_eq!(public.len(), 1);
    assert_eq!(public[0].video.video.id, v[3]);
    assert_eq!(public[0].video.video.name, "Vidéo 4");

    let cards = store
        .list_selections(None, Paging::default())
        .await
        .unwrap();
    assert_eq!(
        (cards.items[0].item_count, cards.items[0].broken_count),
        (4, 3)
    );
    // Broken videos cannot be added to another selection.
    let other = draft(&store, "Autre", None).await;
    assert!(matches!(
        store.add_item(other.id, v[0], "", None, None).await,
        Err(StoreError::Invalid { field: "video", .. })
    ));
    assert!(matches!(
        store.add_item(other.id, v[1], "", None, None).await,
        Err(StoreError::Invalid { field: "video", .. })
    ));
    // A blocked instance breaks everything it hosts.
    store
        .set_instance_status(instance.id, InstanceStatus::Blocked)
        .await
        .unwrap();
    let items = store.editor_items(id).await.unwrap();
    assert_eq!(items[3].broken, Some(BrokenReason::Blocked));
    assert!(store.public_items(id).await.unwrap().is_empty());
}

async fn public_lists_show_published_selections_only(store: Store) {
    let theme = store
        .create_theme(
            &ThemeInput {
                name: "Musique",
                ..ThemeInput::default()
            },
            None,
        )
        .await
        .unwrap();
    let featured = draft(&store, "Featured", None).await;
    let edit = SelectionEdit {
        slug: "featured",
        title: "Featured",
        featured: true,
        ..SelectionEdit::default()
    };
    store
        .update_selection(featured.id, &edit, None, 1)
        .await
        .unwrap();
    publish(&store, featured.id).await;
    let latest = draft(&store, "Latest", None).await;
    store
        .set_selection_themes(latest.id, &[theme.id], None, None)
        .await
        .unwrap();
    publish(&store, latest.id).await;
    draft(&store, "Hidden draft", None).await;

    let titles = |page: Page<SelectionCard>| -> Vec<String> {
        page.items.into_iter().map(|c| c.selection.title).collect()
    };
    let all = store
        .published_selections(None, PublicOrder::FeaturedFirst, Paging::default())
        .await
        .unwrap();
    assert_eq!(all.total, 2);
    assert_eq!(titles(all), ["Featured", "Latest"]);
    let newest = store
        .published_selections(None, PublicOrder::Latest, Paging::default())
        .await
        .unwrap();
    assert_eq!(titles(newest), ["Latest", "Featured"]);
    let of_theme = store
        .published_selections(
            Some(theme.id),
            PublicOrder::FeaturedFirst,
            Paging::default(),
        )
        .await
        .unwrap();
    assert_eq!(of_theme.total, 1);
    assert_eq!(titles(of_theme), ["Latest"]);
    let second_page = store
        .published_selections(None, PublicOrder::FeaturedFirst, Paging::page(2, 1))
        .await
        .unwrap();
    assert_eq!(second_page.total, 2);
    assert_eq!(titles(second_page), ["Latest"]);
}

async fn sessions_expire_and_can_be_revoked(store: Store) {
    let alice = user(&store, "alice", "Alice").await;
    let new = NewSession {
        user_id: alice.id,
        lifetime: TimeDelta::hours(1),
        ip: Some("192.0.2.1"),
        user_agent: Some("Firefox"),
    };
    let session = store.create_session(&new, at(0)).await.unwrap();
    assert_eq!(session.token.len(), 64);
    assert_ne!(session.token, session.csrf_token);
    assert_eq!(session.expires_at, at(3_600));
    assert!(!format!("{session:?}").contains(&session.token));
    let stored_tokens: i64 = on_pool!(&store.read, p => {
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = $1 OR csrf_token = $1")
            .bind(&session.token)
            .fetch_one(p)
            .await
            .unwrap()
    });
    assert_eq!(stored_tokens, 0, "the token itself is never stored");
    assert_eq!(
        store
            .user_by_name("alice")
            .await
            .unwrap()
            .unwrap()
            .last_sign_in_at,
        Some(at(0))
    );

    let found = store
        .session_user(&session.token, at(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.user.id, alice.id);
    assert_eq!(found.csrf_token, session.csrf_token);
    assert_eq!(
        store.session_last_seen(&session.token).await.unwrap(),
        Some(at(0)),
        "not touched within the minute"
    );
    store.session_user(&session.token, at(120)).await.unwrap();
    assert_eq!(
        store.session_last_seen(&session.token).await.unwrap(),
        Some(at(120))
    );
    store.session_user(&session.token, at(150)).await.unwrap();
    assert_eq!(
        store.session_last_seen(&session.token).await.unwrap(),
        Some(at(120))
    );
    assert!(
        store
            .session_user(&session.token, at(3_600))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(
        store
            .session_user("not-a-token", at(10))
            .await
            .unwrap()
            .is_none()
    );

    // Revocation: one, then all but the current one.
    assert!(store.revoke_session(&session.token, at(200)).await.unwrap());
    assert!(!store.revoke_session(&session.token, at(201)).await.unwrap());
    assert!(
        store
            .session_user(&session.token, at(300))
            .await
            .unwrap()
            .is_none()
    );
    let mut others = Vec::new();
    for _ in 0..3 {
        others.push(store.create_session(&new, at(400)).await.unwrap());
    }
    let revoked = store
        .revoke_user_sessions(alice.id, Some(&others[0].token), at(500))
        .await
        .unwrap();
    assert_eq!(revoked, 2);
    assert!(
        store
            .session_user(&others[0].token, at(600))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session_user(&others[1].token, at(600))
            .await
            .unwrap()
            .is_none()
    );

    // A disabled user's sessions stop working.
    on_pool!(&store.write, p => {
        sqlx::query("UPDATE users SET disabled = TRUE WHERE id = $1")
            .bind(alice.id)
            .execute(p)
            .await
            .unwrap();
    });
    assert!(
        store
            .session_user(&others[0].token, at(700))
            .await
            .unwrap()
            .is_none()
    );

    // Purging: revoked and expired sessions go, the live one stays.
    assert_eq!(store.purge_sessions(at(1_000)).await.unwrap(), 3);
    assert_eq!(store.purge_sessions(at(4_000)).await.unwrap(), 1);
    assert!(matches!(
        store
            .create_session(
                &NewSession {
                    user_id: 999_999,
                    ..new
                },
                at(0)
            )
            .await,
        Err(StoreError::NotFound("user"))
    ));
}

async fn sign_in_failures_are_counted_by_user_and_ip(store: Store) {
    for seconds in [10, 20, 30] {
        store
            .record_sign_in_failure("Alice", "192.0.2.1", at(seconds))
            .await
            .unwrap();
    }
    store
        .record_sign_in_failure("bob", "192.0.2.1", at(40))
        .await
        .unwrap();
    store
        .record_sign_in_failure("alice", "198.51.100.7", at(0))
        .await
        .unwrap();
    assert_eq!(
        store
            .recent_sign_in_failures("alice", "192.0.2.1", at(5))
            .await
            .unwrap(),
        (3, 4)
    );
    assert_eq!(
        store
            .recent_sign_in_failures(" ALICE ", "198.51.100.7", at(0))
            .await
            .unwrap(),
        (4, 1)
    );
    assert_eq!(
        store
            .recent_sign_in_failures("alice", "192.0.2.1", at(25))
            .await
            .unwrap(),
        (1, 2)
    );
    assert_eq!(store.clear_sign_in_failures("Alice").await.unwrap(), 4);
    assert_eq!(
        store
            .recent_sign_in_failures("alice", "192.0.2.1", at(0))
            .await
            .unwrap(),
        (0, 1),
        "the IP keeps bob's failure"
    );
    assert_eq!(store.purge_sign_in_failures(at(41)).await.unwrap(), 1);
    assert_eq!(
        store
            .recent_sign_in_failures("bob", "192.0.2.1", at(0))
            .await
            .unwrap(),
        (0, 0)
    );
}

async fn submissions_are_deduplicated_and_reviewed(store: Store) {
    let admin = user(&store, "admin", "Admin").await;
    let address = InstanceAddress::parse("Tube.Example", "https").unwrap();
    let checks = json!({ "nodeinfo": { "ok": true, "detail": "PeerTube 7.1" } });
    let new = NewSubmission {
        address: &address,
        contact: Some("admin@tube.example"),
        message: "Nous publions des conférences",
        check_result: &checks,
        check_passed: true,
    };
    let (submission, created) = store.create_submission(&new).await.unwrap();
    assert!(created);
    assert_eq!(submission.host, "tube.example");
    assert_eq!(submission.base_url, "https://tube.example");
    assert_eq!(submission.status, SubmissionStatus::Pending);
    assert_eq!(submission.check_result, checks);
    assert_eq!(submission.status_token.len(), 64);
    let again = NewSubmission {
        message: "Encore nous",
        ..new.clone()
    };
    let (existing, created) = store.create_submission(&again).await.unwrap();
    assert!(!created);
    assert_eq!(existing.id, submission.id);
    assert_eq!(existing.message, "Nous publions des conférences");
    assert_eq!(
        store
            .submission_by_token(&submission.status_token)
            .await
            .unwrap()
            .unwrap()
            .id,
        submission.id
    );
    assert!(store.submission_by_token("nope").await.unwrap().is_none());

    let other_address = InstanceAddress::parse("other.example", "https").unwrap();
    let (other, _) = store
        .create_submission(&NewSubmission {
            address: &other_address,
            contact: None,
            check_passed: false,
            ..new.clone()
        })
        .await
        .unwrap();
    let pending = store
        .list_submissions(Some(SubmissionStatus::Pending), Paging::default())
        .await
        .unwrap();
    assert_eq!(
        pending.iter().map(|s| s.id).collect::<Vec<_>>(),
        [submission.id, other.id]
    );

    let (approved, instance) = store
        .approve_submission(submission.id, admin.id)
        .await
        .unwrap();
    assert_eq!(approved.status, SubmissionStatus::Approved);
    assert_eq!(approved.instance_id, Some(instance.id));
    assert_eq!(approved.reviewed_by, Some(admin.id));
    assert!(approved.reviewed_at.is_some());
    assert_eq!(instance.host, "tube.example");
    assert_eq!(instance.status, InstanceStatus::Approved);
    assert_eq!(instance.origin, InstanceOrigin::Submission);
    assert!(matches!(
        store.approve_submission(submission.id, admin.id).await,
        Err(StoreError::Invalid { .. })
    ));
    // Once reviewed, the same host may be submitted again.
    assert!(store.create_submission(&again).await.unwrap().1);

    let rejected = store
        .reject_submission(other.id, admin.id, "Pas d'instance PeerTube ici")
        .await
        .unwrap();
    assert_eq!(rejected.status, SubmissionStatus::Rejected);
    assert_eq!(
        rejected.reason.as_deref(),
        Some("Pas d'instance PeerTube ici")
    );
    assert!(matches!(
        store.reject_submission(other.id, admin.id, "again").await,
        Err(StoreError::Invalid { .. })
    ));
    assert_eq!(
        store
            .list_submissions(Some(SubmissionStatus::Pending), Paging::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .list_submissions(None, Paging::default())
            .await
            .unwrap()
            .len(),
        3
    );

    // A known instance is approved in place; a blocked one is refused.
    let known = NewInstance {
        address: InstanceAddress::parse("known.example", "https").unwrap(),
        status: InstanceStatus::Pending,
        origin: InstanceOrigin::Import,
        discovered_from: None,
    };
    let (known_instance, _) = store.add_instance(&known).await.unwrap();
    let (known_submission, _) = store
        .create_submission(&NewSubmission {
            address: &known.address,
            ..new.clone()
        })
        .await
        .unwrap();
    let (_, approved_instance) = store
        .approve_submission(known_submission.id, admin.id)
        .await
        .unwrap();
    assert_eq!(approved_instance.id, known_instance.id);
    assert_eq!(
        store
            .instance(known_instance.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        InstanceStatus::Approved
    );
    let blocked = NewInstance {
        address: InstanceAddress::parse("blocked.example", "https").unwrap(),
        status: InstanceStatus::Blocked,
        ..known.clone()
    };
    store.add_instance(&blocked).await.unwrap();
    let (blocked_submission, _) = store
        .create_submission(&NewSubmission {
            address: &blocked.address,
            ..new.clone()
        })
        .await
        .unwrap();
    assert!(matches!(
        store
            .approve_submission(blocked_submission.id, admin.id)
            .await,
        Err(StoreError::Invalid { .. })
    ));
    assert_eq!(
        audit_actions(&store, "submission").await,
        [
            "submission.approve",
            "submission.reject",
            "submission.approve"
        ]
    );
}

async fn removal_requests_are_answered_once(store: Store) {
    let admin = user(&store, "admin", "Admin").await;
    let new = NewRemovalRequest {
        target_kind: RemovalTargetKind::Video,
        target: " https://video.example/w/abc ",
        requester: Some("someone@example.org"),
        reason: "C'est ma vidéo",
    };
    let first = store.create_removal_request(&new).await.unwrap();
    assert_eq!(first.status, RemovalStatus::Open);
    assert_eq!(first.target, "https://video.example/w/abc");
    let second = store
        .create_removal_request(&NewRemovalRequest {
            target_kind: RemovalTargetKind::Instance,
            target: "video.example",
            requester: None,
            ..new.clone()
        })
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_removal_request(&NewRemovalRequest {
                reason: "  ",
                ..new.clone()
            })
            .await,
        Err(StoreError::Invalid {
            field: "reason",
            ..
        })
    ));
    let open = store
        .list_removal_requests(Some(RemovalStatus::Open), Paging::default())
        .await
        .unwrap();
    assert_eq!(
        open.iter().map(|r| r.id).collect::<Vec<_>>(),
        [first.id, second.id]
    );

    let accepted = store
        .accept_removal_request(first.id, admin.id, "Retirée")
        .await
        .unwrap();
    assert_eq!(accepted.status, RemovalStatus::Accepted);
    assert_eq!(accepted.answer.as_deref(), Some("Retirée"));
    assert_eq!(accepted.handled_by, Some(admin.id));
    assert!(accepted.handled_at.is_some());
    assert!(matches!(
        store
            .refuse_removal_request(first.id, admin.id, "non")
            .await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        store.refuse_removal_request(999_999, admin.id, "non").await,
        Err(StoreError::NotFound("removal request"))
    ));
    let refused = store
        .refuse_removal_request(second.id, admin.id, "Contenu légal")
        .await
        .unwrap();
    assert_eq!(refused.status, RemovalStatus::Refused);
    assert!(
        store
            .list_removal_requests(Some(RemovalStatus::Open), Paging::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .list_removal_requests(Some(RemovalStatus::Accepted), Paging::default())
            .await
            .unwrap()[0]
            .id,
        first.id
    );
    let log = store
        .audit_log(&AuditFilter {
            target: Some("video.example"),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(log.items.len(), 1);
    assert_eq!(log.items[0].action, "removal.refuse");
    assert_eq!(log.items[0].target_kind, "instance");
}

async fn the_audit_log_is_filtered_and_paged_newest_first(store: Store) {
    let alice = user(&store, "alice", "Alice").await;
    let bob = user(&store, "bob", "Bob").await;
    for n in 0..5 {
        let who = if n % 2 == 0 { alice.id } else { bob.id };
        store
            .audit(
                Some(who),
                "block.add",
                "instance",
                &format!("bad{n}.example"),
                &json!({ "n": n }),
            )
            .await
            .unwrap();
    }
    store
        .audit(None, "user.create", "user", "carol", &json!({}))
        .await
        .unwrap();

    let everything = store.audit_log(&AuditFilter::default()).await.unwrap();
    assert_eq!(everything.total, 6);
    assert_eq!(everything.items[0].action, "user.create");
    assert_eq!(everything.items[0].username, None);
    assert_eq!(everything.items[1].details["n"], 4);
    let alices = store
        .audit_log(&AuditFilter {
            user_id: Some(alice.id),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(alices.total, 3);
    assert!(
        alices
            .items
            .iter()
            .all(|e| e.username.as_deref() == Some("alice")
                && e.user_display_name.as_deref() == Some("Alice"))
    );
    let page = store
        .audit_log(&AuditFilter {
            action: Some("block.add"),
            target_kind: Some("instance"),
            paging: Paging::page(2, 2),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 5);
    let targets: Vec<_> = page.items.iter().map(|e| e.target.as_str()).collect();
    assert_eq!(targets, ["bad2.example", "bad1.example"]);
    let one = store
        .audit_log(&AuditFilter {
            target: Some("bad3.example"),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(one.items[0].user_id, Some(bob.id));
    assert!(
        store
            .audit(None, "", "user", "x", &json!({}))
            .await
            .is_err()
    );
}

async fn settings_are_typed_and_checked(store: Store) {
    let admin = user(&store, "admin", "Admin").await;
    let by = Some(admin.id);
    assert_eq!(store.nsfw_policy_site().await.unwrap(), NsfwPolicy::Hide);
    assert_eq!(
        store.nsfw_default_api().await.unwrap(),
        NsfwApiDefault::False
    );
    assert_eq!(store.about_text("fr").await.unwrap(), None);

    store
        .set_nsfw_policy_site(NsfwPolicy::Blur, by)
        .await
        .unwrap();
    store
        .set_nsfw_default_api(NsfwApiDefault::Both, by)
        .await
        .unwrap();
    store
        .set_about_text("fr", "À propos de Florilège", by)
        .await
        .unwrap();
    store
        .set_about_text("en", "About Florilège", by)
        .await
        .unwrap();
    assert_eq!(store.nsfw_policy_site().await.unwrap(), NsfwPolicy::Blur);
    assert_eq!(
        store.nsfw_default_api().await.unwrap(),
        NsfwApiDefault::Both
    );
    assert_eq!(
        store.about_text("fr").await.unwrap().as_deref(),
        Some("À propos de Florilège")
    );
    assert_eq!(
        store.setting("about_text.en").await.unwrap().as_deref(),
        Some("About Florilège")
    );
    store
        .set_about_text("fr", "Nouveau texte", by)
        .await
        .unwrap();
    assert_eq!(
        store.about_text("fr").await.unwrap().as_deref(),
        Some("Nouveau texte")
    );
    assert!(
        store
            .setting_updated_at("about_text.fr")
            .await
            .unwrap()
            .is_some()
    );

    assert!(matches!(
        store.set_setting(NSFW_POLICY_SITE, "maybe", by).await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(store.set_setting("Bad Key", "x", by).await.is_err());
    assert!(store.set_about_text("FR!", "x", by).await.is_err());
    assert_eq!(store.nsfw_policy_site().await.unwrap(), NsfwPolicy::Blur);
    store
        .set_setting("custom.key", "free text", by)
        .await
        .unwrap();
    assert_eq!(
        store.setting("custom.key").await.unwrap().as_deref(),
        Some("free text")
    );
    assert_eq!(
        store
            .audit_log(&AuditFilter {
                action: Some("setting.set"),
                ..AuditFilter::default()
            })
            .await
            .unwrap()
            .total,
        6
    );
}

async fn concurrent_changes_are_serialised_per_selection(store: Store) {
    let (_, v) = seed_videos(&store, 6).await;
    let selection = draft(&store, "Concurrente", None).await;
    let id = selection.id;
    // Two saves of the same version: exactly one wins.
    let save = |title: &'static str| {
        let store = store.clone();
        tokio::spawn(async move {
            let edit = SelectionEdit {
                slug: "concurrente",
                title,
                ..SelectionEdit::default()
            };
            store.update_selection(id, &edit, None, 1).await
        })
    };
    let (a, b) = tokio::join!(save("A"), save("B"));
    let results = [a.unwrap(), b.unwrap()];
    let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Err(StoreError::Conflict(c)) if c.current_version == 2))
    );
    let stored = store.selection(id).await.unwrap().unwrap();
    assert_eq!((stored.version, &stored.title), (2, &won[0].title));

    // Items added at the same time get distinct positions and versions.
    let tasks: Vec<_> = v
        .iter()
        .map(|video_id| {
            let store = store.clone();
            let video_id = *video_id;
            tokio::spawn(async move { store.add_item(id, video_id, "", None, None).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let items = store.editor_items(id).await.unwrap();
    let positions: Vec<_> = items.iter().map(|i| i.item.position).collect();
    assert_eq!(positions, [0, 1, 2, 3, 4, 5]);
    let versions: BTreeSet<i64> = store
        .revisions(id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.version)
        .collect();
    assert_eq!(versions, (1..=8).collect());
}

async fn removing_an_instance_purges_its_data_but_not_editors_notes(store: Store) {
    let (instance, ids) = seed_videos(&store, 4).await;
    let selection = draft(&store, "Gardée", None).await;
    store
        .add_item(selection.id, ids[0], "une note", None, None)
        .await
        .unwrap();
    let image = |sha256| ImageFile {
        sha256,
        content_type: "image/jpeg",
        bytes: 10,
        width: 1,
        height: 1,
    };
    let own = format!("{BASE}/lazy-static/thumbnails/1.jpg");
    let shared = format!("{BASE}/lazy-static/thumbnails/2.jpg");
    let elsewhere = "https://other.example/lazy-static/thumbnails/2.jpg";
    store.record_image(&own, &image("aa"), at(1)).await.unwrap();
    store
        .record_image(&shared, &image("bb"), at(1))
        .await
        .unwrap();
    store
        .record_image(elsewhere, &image("bb"), at(1))
        .await
        .unwrap();
    let mark = feed_mark(&store).await;

    let report = store.purge_instance(instance.id).await.unwrap();

    assert_eq!(report.videos, 3);
    assert_eq!(report.videos_kept_for_selections, 1);
    assert_eq!((report.channels, report.accounts), (1, 1));
    assert_eq!(report.orphaned_image_files, ["aa"], "bb is still used");
    let instance = store.instance(instance.id).await.unwrap().unwrap();
    assert_eq!(instance.status, InstanceStatus::Rejected);
    assert_eq!(store.count_videos(instance.id).await.unwrap(), 0);
    assert!(store.cached_image(&own).await.unwrap().is_none());
    assert!(store.cached_image(elsewhere).await.unwrap().is_some());
    assert_eq!(
        videos_queued_since(&store, mark).await,
        set(&ids),
        "every replica is told to drop each video"
    );
    let items = store.editor_items(selection.id).await.unwrap();
    assert_eq!(items.len(), 1, "the editor's item survives");
    assert_eq!(items[0].item.note, "une note");
    assert!(items[0].broken.is_some(), "and is flagged");
    assert!(matches!(
        store.purge_instance(999).await,
        Err(StoreError::NotFound("instance"))
    ));
}

async fn crawl_runs_are_summed_per_instance_and_day(store: Store) {
    let (instance, _) = seed_videos(&store, 1).await;
    let counters = CrawlRunCounters {
        requests: 10,
        errors: 1,
        latency_ms_total: 500,
        videos_new: 3,
        ..CrawlRunCounters::default()
    };
    for status in [CrawlRunStatus::Succeeded, CrawlRunStatus::Failed] {
        let run = store
            .start_crawl_run(instance.id, CrawlRunKind::Sweep, "test")
            .await
            .unwrap();
        store
            .finish_crawl_run(run, status, &counters, None)
            .await
            .unwrap();
    }
    let today = Utc::now().format("%Y-%m-%d").to_string();
    let days = store
        .crawl_days(Utc::now() - TimeDelta::days(1))
        .await
        .unwrap();
    assert_eq!(
        days,
        [CrawlDay {
            instance_id: instance.id,
            day: today,
            runs: 2,
            failed_runs: 1,
            requests: 20,
            errors: 2,
            latency_ms_total: 1000,
            videos_new: 6,
            videos_deleted: 0,
        }]
    );
    assert!(
        store
            .crawl_days(Utc::now() + TimeDelta::hours(1))
            .await
            .unwrap()
            .is_empty()
    );
}

crate::backend_tests!(
    themes_are_ordered_and_their_slugs_unique,
    selections_start_as_drafts_with_a_first_revision,
    stale_edits_conflict_and_write_nothing,
    concurrent_changes_are_serialised_per_selection,
    the_workflow_allows_only_its_transitions,
    scheduled_selections_are_published_when_due,
    curation_changes_are_queued_for_the_index,
    items_are_added_once_ordered_and_annotated,
    revisions_snapshot_every_change_and_can_be_restored,
    broken_items_are_flagged_for_editors_and_left_out_for_the_public,
    public_lists_show_published_selections_only,
    sessions_expire_and_can_be_revoked,
    sign_in_failures_are_counted_by_user_and_ip,
    submissions_are_deduplicated_and_reviewed,
    removal_requests_are_answered_once,
    the_audit_log_is_filtered_and_paged_newest_first,
    settings_are_typed_and_checked,
    removing_an_instance_purges_its_data_but_not_editors_notes,
    crawl_runs_are_summed_per_instance_and_day,
);
