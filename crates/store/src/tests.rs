//! The storage suite, run against SQLite and (when configured) PostgreSQL.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::feed::append_changes;
use crate::*;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
}

async fn instance(store: &Store, host: &str) -> Instance {
    let new = NewInstance {
        address: InstanceAddress::parse(host, "http").unwrap(),
        status: InstanceStatus::Approved,
        origin: InstanceOrigin::Cli,
        discovered_from: None,
    };
    store.add_instance(&new).await.unwrap().0
}

fn video(n: u32) -> VideoRecord {
    VideoRecord {
        remote_id: Some(n.into()),
        uuid: format!("00000000-0000-4000-8000-{n:012}"),
        short_uuid: Some(format!("short{n}")),
        url: format!("https://video.example/w/short{n}"),
        name: format!("Vidéo numéro {n}"),
        truncated_description: Some("Une description".into()),
        language_id: Some("fr".into()),
        language_label: Some("French".into()),
        privacy_id: 1,
        duration: 60 + i64::from(n),
        views: 10,
        published_at: at(i64::from(n)),
        remote_updated_at: Some(at(i64::from(n))),
        account_name: Some("alice".into()),
        channel_name: Some("alice_channel".into()),
        ..VideoRecord::default()
    }
}

fn page(videos: Vec<VideoRecord>) -> PageRecords {
    PageRecords {
        accounts: vec![AccountRecord {
            name: "alice".into(),
            display_name: "Alice".into(),
            url: "https://video.example/accounts/alice".into(),
            ..AccountRecord::default()
        }],
        channels: vec![ChannelRecord {
            name: "alice_channel".into(),
            display_name: "Les vidéos d'Alice".into(),
            url: "https://video.example/video-channels/alice_channel".into(),
            account_name: Some("alice".into()),
            ..ChannelRecord::default()
        }],
        videos,
    }
}

/// Every entry of the feed, once settled. On PostgreSQL an open transaction
/// anywhere on the server (another test's) delays the feed: wait for it.
async fn all_changes(store: &Store) -> Vec<ChangeEntry> {
    let total: i64 = on_pool!(&store.read, p => {
        sqlx::query_scalar("SELECT COUNT(*) FROM change_feed").fetch_one(p).await.unwrap()
    });
    read_feed_until(store, FeedCursor::default(), total as usize).await
}

/// Reads from `after` until `expected` entries came, or fails after 20 s.
async fn read_feed_until(store: &Store, after: FeedCursor, expected: usize) -> Vec<ChangeEntry> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let entries = store.read_feed(after, 100_000).await.unwrap().entries;
        if entries.len() >= expected || tokio::time::Instant::now() > deadline {
            return entries;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn migrations_are_applied_once(store: Store) {
    store.migrate().await.unwrap();
    let applied = store.applied_migrations().await.unwrap();
    let versions: Vec<i64> = applied.iter().map(|(version, _)| *version).collect();
    assert_eq!(versions, [1, 2], "{applied:?}");
}

async fn instances_are_added_once_and_listed_by_status(store: Store) {
    let address = InstanceAddress::parse("Video.Example", "https").unwrap();
    let new = NewInstance {
        address,
        status: InstanceStatus::Pending,
        origin: InstanceOrigin::Import,
        discovered_from: None,
    };
    let (first, created) = store.add_instance(&new).await.unwrap();
    assert!(created);
    assert_eq!(first.host, "video.example");
    assert_eq!(first.base_url, "https://video.example");
    assert_eq!(first.status, InstanceStatus::Pending);
    let (again, created) = store.add_instance(&new).await.unwrap();
    assert!(!created);
    assert_eq!(again.id, first.id);

    instance(&store, "127.0.0.1:4001").await;
    assert_eq!(store.list_instances(None).await.unwrap().len(), 2);
    let pending = store
        .list_instances(Some(InstanceStatus::Pending))
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].host, "video.example");

    store
        .set_instance_status(first.id, InstanceStatus::Approved)
        .await
        .unwrap();
    let approved = store
        .instance_by_host("video.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(approved.status, InstanceStatus::Approved);
    let changes = all_changes(&store).await;
    assert!(
        changes
            .iter()
            .any(|c| c.entity == Entity::Instance && c.entity_id == first.id)
    );
    assert!(matches!(
        store
            .set_instance_status(9999, InstanceStatus::Paused)
            .await,
        Err(StoreError::NotFound("instance"))
    ));
    assert_eq!(store.due_instances(Utc::now(), 10).await.unwrap().len(), 2);
}

async fn instance_identity_is_recorded(store: Store) {
    let instance = instance(&store, "127.0.0.1:4001").await;
    let identity = InstanceIdentity {
        software: "peertube".into(),
        version: Some("6.3.0".into()),
        name: Some("<b>Tube</b> des Écoles".into()),
        languages: vec!["fr".into(), "en".into()],
        total_local_videos: Some(42),
        ..InstanceIdentity::default()
    };
    store.record_identity(instance.id, &identity).await.unwrap();
    let stored = store.instance(instance.id).await.unwrap().unwrap();
    assert_eq!(stored.display_name(), "<b>Tube</b> des Écoles");
    assert_eq!(&*stored.languages, ["fr", "en"]);
    assert_eq!(stored.total_local_videos, Some(42));
}

async fn a_page_is_upserted_with_change_detection(store: Store) {
    let instance = instance(&store, "video.example").await;
    let first = page(vec![video(1), video(2), video(3)]);
    let summary = store.upsert_page(&instance, &first, at(100)).await.unwrap();
    assert_eq!(
        summary,
        UpsertSummary {
            inserted: 3,
            ..UpsertSummary::default()
        }
    );
    let changes = all_changes(&store).await;
    let count = |entity| changes.iter().filter(|c| c.entity == entity).count();
    assert_eq!(
        (
            count(Entity::Video),
            count(Entity::Channel),
            count(Entity::Account)
        ),
        (3, 1, 1)
    );

    let stored = store.video_by_uuid(&video(2).uuid).await.unwrap().unwrap();
    assert_eq!(stored.name, "Vidéo numéro 2");
    assert_eq!(stored.first_seen_at, at(100));
    let channel = store
        .channel(stored.channel_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(channel.display_name, "Les vidéos d'Alice");
    assert_eq!(channel.host, "video.example");
    assert_eq!(channel.account_id, stored.account_id);

    // The same page again changes nothing but the sighting.
    let summary = store.upsert_page(&instance, &first, at(200)).await.unwrap();
    assert_eq!(
        summary,
        UpsertSummary {
            unchanged: 3,
            ..UpsertSummary::default()
        }
    );
    assert_eq!(
        all_changes(&store).await.len(),
        changes.len(),
        "no new feed entry"
    );
    let seen = store.video_by_uuid(&video(2).uuid).await.unwrap().unwrap();
    assert_eq!((seen.first_seen_at, seen.last_seen_at), (at(100), at(200)));

    // One edited video, one new one, one repeated in the page (shifted).
    let mut edited = video(2);
    edited.name = "Vidéo renommée".into();
    edited.views = 99;
    let second = page(vec![video(1), edited.clone(), edited, video(4)]);
    let summary = store
        .upsert_page(&instance, &second, at(300))
        .await
        .unwrap();
    assert_eq!(
        summary,
        UpsertSummary {
            inserted: 1,
            updated: 1,
            unchanged: 1,
            conflicts: 0
        }
    );
    // The feed names the edited and the new video, nothing else.
    let mut fed: Vec<_> = all_changes(&store).await[changes.len()..]
        .iter()
        .map(|change| (change.entity, change.entity_id))
        .collect();
    fed.sort_by_key(|&(_, id)| id);
    let mut expected = Vec::new();
    for n in [2, 4] {
        let video = store.video_by_uuid(&video(n).uuid).await.unwrap().unwrap();
        expected.push((Entity::Video, video.id));
    }
    expected.sort_by_key(|&(_, id)| id);
    assert_eq!(fed, expected);
    assert_eq!(store.count_videos(instance.id).await.unwrap(), 4);
}

async fn details_are_kept_until_the_video_is_edited(store: Store) {
    let instance = instance(&store, "video.example").await;
    let mut detailed = video(1);
    detailed.details = Some(VideoDetails {
        description: Some("La description complète, bien plus longue.".into()),
        support: Some("Soutenez-nous".into()),
        tags: vec!["école".into(), "musique".into()],
    });
    store
        .upsert_page(&instance, &page(vec![detailed]), at(10))
        .await
        .unwrap();

    // A list item (no details) keeps the details already fetched.
    let summary = store
        .upsert_page(&instance, &page(vec![video(1)]), at(20))
        .await
        .unwrap();
    assert_eq!(summary.unchanged, 1);
    let stored = store.video_by_uuid(&video(1).uuid).await.unwrap().unwrap();
    assert_eq!(
        stored.description.as_deref(),
        Some("La description complète, bien plus longue.")
    );
    assert_eq!(&*stored.tags, ["école", "musique"]);
    assert_eq!(stored.details_fetched_at, Some(at(10)));
    let known = store
        .known_videos(instance.id, &[video(1).uuid])
        .await
        .unwrap();
    assert!(known[&video(1).uuid].has_details);

    // Edited at its origin: the details are stale and wanted again.
    let mut edited = video(1);
    edited.remote_updated_at = Some(at(15));
    store
        .upsert_page(&instance, &page(vec![edited]), at(30))
        .await
        .unwrap();
    let known = store
        .known_videos(instance.id, &[video(1).uuid])
        .await
        .unwrap();
    assert!(!known[&video(1).uuid].has_details);
    assert_eq!(known[&video(1).uuid].remote_updated_at, Some(at(15)));
}

async fn an_instance_cannot_take_over_another_instances_video(store: Store) {
    let honest = instance(&store, "video.example").await;
    let hostile = instance(&store, "hostile.example").await;
    store
        .upsert_page(&honest, &page(vec![video(1)]), at(10))
        .await
        .unwrap();
    let mut stolen = video(1);
    stolen.name = "Pwned".into();
    let before = all_changes(&store).await.len();
    let summary = store
        .upsert_page(&hostile, &page(vec![stolen]), at(20))
        .await
        .unwrap();
    assert_eq!(summary.conflicts, 1);
    let after = all_changes(&store).await;
    assert!(
        after[before..].iter().all(|c| c.entity != Entity::Video),
        "no feed entry for a refused video: {after:?}"
    );
    let stored = store.video_by_uuid(&video(1).uuid).await.unwrap().unwrap();
    assert_eq!(
        (stored.instance_id, stored.name.as_str()),
        (honest.id, "Vidéo numéro 1")
    );
    // Known to its instance only.
    let uuids = [video(1).uuid];
    let known = store.known_videos(honest.id, &uuids).await.unwrap();
    assert_eq!(known[&uuids[0]].id, stored.id);
    assert!(
        store
            .known_videos(hostile.id, &uuids)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn videos_not_seen_in_a_complete_sweep_are_deleted_and_can_return(store: Store) {
    let instance = instance(&store, "video.example").await;
    store
        .upsert_page(&instance, &page(vec![video(1), video(2), video(3)]), at(10))
        .await
        .unwrap();
    // A sweep starting at 20 sees only 1 and 3.
    store
        .upsert_page(&instance, &page(vec![video(1), video(3)]), at(20))
        .await
        .unwrap();
    let before = all_changes(&store).await.len();
    let deleted = store
        .delete_videos_not_seen_since(instance.id, at(20), at(25))
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    let gone = store.video_by_uuid(&video(2).uuid).await.unwrap().unwrap();
    assert_eq!(gone.deleted_at, Some(at(25)));
    assert_eq!(store.count_videos(instance.id).await.unwrap(), 2);
    assert_eq!(all_changes(&store).await.len(), before + 1);

    // It comes back (e.g. made public again): restored, with a feed entry.
    let summary = store
        .upsert_page(&instance, &page(vec![video(2)]), at(30))
        .await
        .unwrap();
    assert_eq!(summary.updated, 1);
    assert_eq!(
        store
            .video_by_uuid(&video(2).uuid)
            .await
            .unwrap()
            .unwrap()
            .deleted_at,
        None
    );
    assert_eq!(store.count_videos(instance.id).await.unwrap(), 3);
}

async fn feed_is_read_in_batches_from_a_stored_cursor(store: Store) {
    let changes: Vec<_> = (1..=25).map(|id| (Entity::Video, id)).collect();
    store.append_changes(&changes).await.unwrap();
    let mut cursor = store.feed_cursor("replica-a").await.unwrap();
    assert_eq!(cursor, FeedCursor::default());
    read_feed_until(&store, cursor, 25).await;
    let mut seen = Vec::new();
    loop {
        let batch = store.read_feed(cursor, 10).await.unwrap();
        if batch.entries.is_empty() {
            break;
        }
        seen.extend(batch.entries.iter().map(|entry| entry.entity_id));
        cursor = batch.next;
        store.save_feed_cursor("replica-a", cursor).await.unwrap();
    }
    assert_eq!(seen, (1..=25).collect::<Vec<_>>());
    assert_eq!(store.feed_cursor("replica-a").await.unwrap(), cursor);
    assert_eq!(store.feed_head().await.unwrap(), cursor);
    assert_eq!(store.feed_settled_head().await.unwrap(), cursor);
    assert_eq!(
        store.feed_cursor("replica-b").await.unwrap(),
        FeedCursor::default()
    );
}

/// A transaction that appended first but commits last must not be passed over.
async fn feed_waits_for_a_transaction_that_commits_late(store: Store) {
    let mut slow = store.begin().await.unwrap();
    append_changes(&mut slow, &[(Entity::Video, 1)], Utc::now())
        .await
        .unwrap();

    let writer = store.clone();
    let fast = tokio::spawn(async move { writer.append_changes(&[(Entity::Video, 2)]).await });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let early = store.read_feed(FeedCursor::default(), 100).await.unwrap();
    assert!(
        early.entries.is_empty(),
        "nothing may be read past an open writer: {early:?}"
    );
    assert_eq!(
        store.feed_settled_head().await.unwrap(),
        FeedCursor::default(),
        "nothing is settled past an open writer"
    );

    slow.commit().await.unwrap();
    fast.await.unwrap().unwrap();
    let entries = read_feed_until(&store, early.next, 2).await;
    assert_eq!(
        store.feed_settled_head().await.unwrap(),
        store.feed_head().await.unwrap(),
        "both settled once read"
    );
    let ids: Vec<i64> = entries.iter().map(|entry| entry.entity_id).collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(
        ids.iter().copied().collect::<HashSet<_>>(),
        HashSet::from([1, 2])
    );
}

/// Concurrent writers committing in random order, a reader polling all along:
/// the reader gets every entry exactly once.
async fn feed_never_skips_or_repeats_under_concurrent_writers(store: Store) {
    const WRITERS: i64 = 6;
    const TRANSACTIONS: i64 = 15;
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            for n in 0..TRANSACTIONS {
                let mut tx = store.begin().await.unwrap();
                let id = writer * 1000 + n;
                append_changes(&mut tx, &[(Entity::Video, id)], Utc::now())
                    .await
                    .unwrap();
                // Hold some transactions open while others commit.
                let pause = ((writer * 7 + n * 13) % 5) as u64 * 3;
                tokio::time::sleep(Duration::from_millis(pause)).await;
                tx.commit().await.unwrap();
            }
        }));
    }
    let mut cursor = FeedCursor::default();
    let mut seen = Vec::new();
    let mut writers_done = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let batch = store.read_feed(cursor, 7).await.unwrap();
        if batch.entries.is_empty() {
            let complete = seen.len() as i64 == WRITERS * TRANSACTIONS;
            if writers_done && (complete || tokio::time::Instant::now() > deadline) {
                break;
            }
            writers_done = writers.iter().all(|writer| writer.is_finished());
            tokio::time::sleep(Duration::from_millis(2)).await;
            continue;
        }
        assert!(batch.next > cursor, "the cursor only moves forward");
        seen.extend(batch.entries.iter().map(|entry| entry.entity_id));
        cursor = batch.next;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "an entry was read twice");
    assert_eq!(
        seen.len() as i64,
        WRITERS * TRANSACTIONS,
        "an entry was skipped"
    );
}

async fn users_have_hashed_passwords(store: Store) {
    let new = NewUser {
        username: "camille",
        display_name: "Camille",
        password: "un mot de passe solide",
        role: Role::Admin,
    };
    let user = store.add_user(new.clone()).await.unwrap();
    assert_eq!(
        (user.role, user.display_name.as_str()),
        (Role::Admin, "Camille")
    );
    assert!(matches!(
        store.add_user(new).await,
        Err(StoreError::AlreadyExists(_))
    ));
    let invalid = NewUser {
        username: "Not Valid",
        display_name: "",
        password: "x",
        role: Role::Editor,
    };
    assert!(matches!(
        store.add_user(invalid).await,
        Err(StoreError::Invalid {
            field: "username",
            ..
        })
    ));

    assert!(
        store
            .check_password("camille", "un mot de passe solide")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .check_password("camille", "wrong password")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .check_password("nobody", "un mot de passe solide")
            .await
            .unwrap()
            .is_none()
    );
    store
        .set_password(user.id, "un autre mot de passe", true)
        .await
        .unwrap();
    assert!(
        store
            .check_password("camille", "un mot de passe solide")
            .await
            .unwrap()
            .is_none()
    );
    let changed = store
        .check_password("camille", "un autre mot de passe")
        .await
        .unwrap()
        .unwrap();
    assert!(changed.must_change_password);
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

async fn crawl_runs_record_their_counters(store: Store) {
    let instance = instance(&store, "video.example").await;
    let run = store
        .start_crawl_run(instance.id, CrawlRunKind::Sweep, "worker-1")
        .await
        .unwrap();
    let counters = CrawlRunCounters {
        requests: 12,
        pages: 10,
        videos_new: 950,
        ..Default::default()
    };
    store
        .finish_crawl_run(run, CrawlRunStatus::Succeeded, &counters, None)
        .await
        .unwrap();
    let stale = store
        .start_crawl_run(instance.id, CrawlRunKind::Incremental, "worker-1")
        .await
        .unwrap();
    assert!(stale > run);
    assert_eq!(store.interrupt_stale_runs("worker-1").await.unwrap(), 1);
    assert_eq!(store.interrupt_stale_runs("worker-1").await.unwrap(), 0);
}

/// Every column of a video written by a page's upsert (a multi-row `VALUES`
/// on SQLite, one array per column on PostgreSQL) reads back as the row the
/// upsert meant to write: each holds a value no other column of the same
/// type holds, so a column written in another's place fails.
async fn every_video_column_is_written_in_its_place(store: Store) {
    let instance = instance(&store, "video.example").await;
    let record = VideoRecord {
        remote_id: Some(7),
        uuid: "00000000-0000-4000-8000-000000000007".into(),
        short_uuid: Some("short-7".into()),
        url: "https://video.example/w/short-7".into(),
        name: "Le nom".into(),
        truncated_description: Some("La description, coupée".into()),
        category_id: Some(11),
        category_label: Some("Musique".into()),
        licence_id: Some(12),
        licence_label: Some("CC BY".into()),
        language_id: Some("fr".into()),
        language_label: Some("Français".into()),
        privacy_id: 13,
        nsfw: true,
        nsfw_flags: 14,
        nsfw_summary: Some("Le résumé NSFW".into()),
        is_live: true,
        duration: 15,
        aspect_ratio: Some(1.75),
        views: 16,
        likes: 17,
        dislikes: 18,
        comments: 19,
        thumbnail_path: Some("/thumbnail.jpg".into()),
        preview_path: Some("/preview.jpg".into()),
        embed_path: Some("/embed".into()),
        published_at: at(21),
        originally_published_at: Some(at(22)),
        remote_created_at: Some(at(23)),
        remote_updated_at: Some(at(24)),
        account_name: Some("alice".into()),
        channel_name: Some("alice_channel".into()),
        details: Some(VideoDetails {
            description: Some("La description entière".into()),
            support: Some("Le soutien".into()),
            tags: vec!["un".into(), "deux".into()],
        }),
    };
    store
        .upsert_page(&instance, &page(vec![record.clone()]), at(25))
        .await
        .unwrap();
    let stored = store.video_by_uuid(&record.uuid).await.unwrap().unwrap();
    let channel = store
        .channel(stored.channel_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    let accounts = HashMap::from([("alice".to_owned(), channel.account_id.unwrap())]);
    let channels = HashMap::from([("alice_channel".to_owned(), channel.id)]);
    let expected = Video {
        id: stored.id,
        ..videos::video_row(instance.id, &record, None, (&accounts, &channels), at(25))
    };
    assert_eq!(stored, expected);

    // An update goes through the same statement's other branch.
    let mut edited = record;
    edited.name = "Le nouveau nom".into();
    edited.views = 26;
    let summary = store
        .upsert_page(&instance, &page(vec![edited.clone()]), at(27))
        .await
        .unwrap();
    assert_eq!(summary.updated, 1);
    let stored = store.video_by_uuid(&edited.uuid).await.unwrap().unwrap();
    assert_eq!(
        stored,
        Video {
            name: edited.name,
            views: 26,
            last_seen_at: at(27),
            updated_at: at(27),
            ..expected
        }
    );
}

async fn times_round_trip_exactly(store: Store) {
    let instance = instance(&store, "video.example").await;
    let mut precise = video(1);
    precise.published_at = at(0) + TimeDelta::milliseconds(917);
    store
        .upsert_page(&instance, &page(vec![precise.clone()]), now())
        .await
        .unwrap();
    let stored = store.video_by_uuid(&precise.uuid).await.unwrap().unwrap();
    assert_eq!(stored.published_at, precise.published_at);
    let summary = store
        .upsert_page(&instance, &page(vec![precise]), now())
        .await
        .unwrap();
    assert_eq!(summary.unchanged, 1, "a re-read time must compare equal");
}

async fn documents_join_owners_and_compute_visibility(store: Store) {
    let instance = instance(&store, "video.example").await;
    store
        .upsert_page(&instance, &page(vec![video(1), video(2)]), at(10))
        .await
        .unwrap();
    let ids = store
        .video_ids_of(VideoOwner::Instance, instance.id)
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let documents = store.video_documents(&ids).await.unwrap();
    assert_eq!(documents.len(), 2);
    let document = &documents[0];
    assert_eq!(document.instance_host, "video.example");
    assert_eq!(
        document.channel.as_ref().unwrap().display_name,
        "Les vidéos d'Alice"
    );
    assert_eq!(document.account.as_ref().unwrap().name, "alice");
    assert!(document.visible && !document.curated);
    assert_eq!(store.count_visible_videos().await.unwrap(), 2);
    let channel_id = document.video.channel_id.unwrap();
    let channels = store.channel_documents(&[channel_id]).await.unwrap();
    assert_eq!(channels[0].owner.as_ref().unwrap().display_name, "Alice");
    assert!(channels[0].visible);
    assert_eq!(store.video_ids_after(0, 1).await.unwrap(), vec![ids[0]]);

    store
        .set_instance_status(instance.id, InstanceStatus::Paused)
        .await
        .unwrap();
    let documents = store.video_documents(&ids).await.unwrap();
    assert!(documents.iter().all(|document| !document.visible));
    assert_eq!(store.count_visible_videos().await.unwrap(), 0);
}

async fn blocks_hide_what_they_cover_and_queue_reindexing(store: Store) {
    let instance = instance(&store, "video.example").await;
    store
        .upsert_page(&instance, &page(vec![video(1), video(2)]), at(10))
        .await
        .unwrap();
    let ids = store
        .video_ids_of(VideoOwner::Instance, instance.id)
        .await
        .unwrap();
    let before = all_changes(&store).await.len();

    let block = NewBlock {
        kind: BlockKind::Channel,
        target: "alice_channel@Video.Example",
        reason: "spam",
        source: None,
        created_by: None,
    };
    let (stored, created) = store.add_block(&block).await.unwrap();
    assert!(created);
    assert_eq!(stored.target, "alice_channel@video.example");
    assert!(
        !store.add_block(&block).await.unwrap().1,
        "a block is added once"
    );
    let changes = all_changes(&store).await;
    assert_eq!(changes.len(), before + 1);
    assert_eq!(changes.last().unwrap().entity, Entity::Channel);
    assert!(
        store
            .video_documents(&ids)
            .await
            .unwrap()
            .iter()
            .all(|d| !d.visible)
    );
    assert_eq!(store.count_visible_videos().await.unwrap(), 0);

    assert!(
        store
            .remove_block(BlockKind::Channel, "alice_channel@video.example")
            .await
            .unwrap()
    );
    assert_eq!(store.count_visible_videos().await.unwrap(), 2);
    let one = NewBlock {
        kind: BlockKind::Video,
        target: &video(1).uuid,
        ..block
    };
    store.add_block(&one).await.unwrap();
    assert_eq!(store.count_visible_videos().await.unwrap(), 1);
    let host = NewBlock {
        kind: BlockKind::Instance,
        target: "video.example",
        ..block
    };
    store.add_block(&host).await.unwrap();
    assert_eq!(store.count_visible_videos().await.unwrap(), 0);
    assert_eq!(store.list_blocks().await.unwrap().len(), 2);
    assert!(normalize_block_target(BlockKind::Account, "nobody").is_err());
    assert!(normalize_block_target(BlockKind::Instance, "a b").is_err());
}

async fn a_sweeps_page_and_cursor_commit_together_for_the_lease_holder(store: Store) {
    let instance = instance(&store, "video.example").await;
    let lease = TimeDelta::seconds(60);
    let claimed = store.claim_instance(instance.id, "a", lease).await.unwrap();
    assert!(claimed.is_some());
    let cursor = serde_json::json!({"next_start": 100});
    let written = store
        .upsert_page_and_state(
            &instance,
            Some(&page(vec![video(1)])),
            at(10),
            ("a", &cursor),
        )
        .await
        .unwrap();
    assert_eq!(written.inserted, 1);
    let state: serde_json::Value = store.crawl_state(instance.id).await.unwrap();
    assert_eq!(state, cursor);

    // Another worker took the instance over: the old holder writes nothing.
    store.release_lease(instance.id, "a").await.unwrap();
    store.claim_instance(instance.id, "b", lease).await.unwrap();
    let fenced = store
        .upsert_page_and_state(
            &instance,
            Some(&page(vec![video(2)])),
            at(20),
            ("a", &serde_json::json!({"next_start": 200})),
        )
        .await;
    assert!(matches!(fenced, Err(StoreError::LeaseLost)), "{fenced:?}");
    assert_eq!(store.count_videos(instance.id).await.unwrap(), 1);
    let state: serde_json::Value = store.crawl_state(instance.id).await.unwrap();
    assert_eq!(state, cursor, "the cursor stays where its pages are");

    // An empty page (all repeats) still moves the holder's cursor.
    let moved = serde_json::json!({"next_start": 200});
    store
        .upsert_page_and_state(&instance, None, at(30), ("b", &moved))
        .await
        .unwrap();
    let state: serde_json::Value = store.crawl_state(instance.id).await.unwrap();
    assert_eq!(state, moved);
}

crate::backend_tests!(
    migrations_are_applied_once,
    a_sweeps_page_and_cursor_commit_together_for_the_lease_holder,
    instances_are_added_once_and_listed_by_status,
    instance_identity_is_recorded,
    a_page_is_upserted_with_change_detection,
    details_are_kept_until_the_video_is_edited,
    an_instance_cannot_take_over_another_instances_video,
    videos_not_seen_in_a_complete_sweep_are_deleted_and_can_return,
    feed_is_read_in_batches_from_a_stored_cursor,
    feed_waits_for_a_transaction_that_commits_late,
    feed_never_skips_or_repeats_under_concurrent_writers,
    users_have_hashed_passwords,
    crawl_runs_record_their_counters,
    every_video_column_is_written_in_its_place,
    times_round_trip_exactly,
    documents_join_owners_and_compute_visibility,
    blocks_hide_what_they_cover_and_queue_reindexing,
);

/// PostgreSQL keeps no generic plan: one made while `videos` was empty (a
/// sequential scan) would otherwise serve a lookup by uuid for as long as
/// no ANALYZE came, which made a first crawl quadratic with autovacuum off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_plans_each_lookup_with_the_tables_as_they_are() {
    let Some(test) = testing::TestStore::postgres().await else {
        return;
    };
    let db::Pool::Postgres(pool) = &test.store.read else {
        unreachable!("a PostgreSQL test store")
    };
    let mut connection = pool.acquire().await.unwrap();
    const LOOKUP: &str = "SELECT id FROM videos WHERE uuid IN ($1, $2)";
    for n in 0..10 {
        let found: Vec<(i64,)> = sqlx::query_as(LOOKUP)
            .bind(format!("missing-{n}"))
            .bind("missing")
            .fetch_all(&mut *connection)
            .await
            .unwrap();
        assert!(found.is_empty());
    }
    let (generic, custom): (i64, i64) = sqlx::query_as(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
    )
    .bind(LOOKUP)
    .fetch_one(&mut *connection)
    .await
    .unwrap();
    assert_eq!((generic, custom), (0, 10));
    drop(connection);
    test.cleanup().await;
}
