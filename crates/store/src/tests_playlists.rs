//! Playlists and their search documents, run against SQLite and (when configured) PostgreSQL.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::*;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
}

async fn approved_instance(store: &Store) -> Instance {
    let new = NewInstance {
        address: InstanceAddress::parse("video.example", "https").unwrap(),
        status: InstanceStatus::Approved,
        origin: InstanceOrigin::Cli,
        discovered_from: None,
    };
    store.add_instance(&new).await.unwrap().0
}

/// Alice's account and channel on `instance`; returns the channel's id.
async fn alice_channel(store: &Store, instance: &Instance) -> i64 {
    let page = PageRecords {
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
        videos: Vec::new(),
    };
    store.upsert_page(instance, &page, at(0)).await.unwrap();
    store
        .channel_ids_of(VideoOwner::Instance, instance.id)
        .await
        .unwrap()[0]
}

fn playlist(n: u32, privacy_id: i64, playlist_type: i64) -> PlaylistRecord {
    let uuid = format!("00000000-0000-4000-9000-{n:012}");
    PlaylistRecord {
        remote_id: Some(n.into()),
        short_uuid: Some(format!("pl{n}")),
        url: format!("https://video.example/video-playlists/{uuid}"),
        name: format!("Liste numéro {n}"),
        description: Some("Une sélection".into()),
        privacy_id,
        playlist_type,
        videos_length: 3,
        thumbnail_path: Some(format!("/lazy-static/thumbnails/playlist-{n}.jpg")),
        embed_path: Some(format!("/video-playlists/embed/{uuid}")),
        remote_created_at: Some(at(1)),
        remote_updated_at: Some(at(2)),
        uuid,
    }
}

/// The feed's entries after `after`, once every change committed so far is settled.
async fn changes_after(store: &Store, after: FeedCursor) -> Vec<ChangeEntry> {
    let head = store.feed_head().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while store.feed_settled_head().await.unwrap() < head {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the feed never settled"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    store.read_feed(after, 100_000).await.unwrap().entries
}

/// The remote ids of the visible documents, in order.
fn visible(documents: &[PlaylistDocument]) -> Vec<u32> {
    let mut ids: Vec<u32> = documents
        .iter()
        .filter(|document| document.visible)
        .map(|document| document.playlist.remote_id.unwrap() as u32)
        .collect();
    ids.sort_unstable();
    ids
}

async fn playlists_are_upserted_once_and_sent_to_the_feed(store: Store) {
    let instance = approved_instance(&store).await;
    let channel = alice_channel(&store, &instance).await;
    let before = changes_after(&store, FeedCursor::default()).await.len();
    let records = [playlist(1, 1, 1), playlist(2, 1, 1)];
    let changed = store
        .upsert_playlists(&instance, channel, &records, at(10))
        .await
        .unwrap();
    assert_eq!(changed, 2);
    let changes = changes_after(&store, FeedCursor::default()).await;
    assert_eq!(changes.len(), before + 2);
    assert!(
        changes[before..]
            .iter()
            .all(|c| c.entity == Entity::Playlist)
    );
    let again = store
        .upsert_playlists(&instance, channel, &records, at(20))
        .await
        .unwrap();
    assert_eq!(again, 0, "an unchanged playlist is not written again");

    let deleted = store
        .delete_playlists_not_seen_since(instance.id, at(15), at(30))
        .await
        .unwrap();
    assert_eq!(deleted, 0, "both were seen at 20");
    let deleted = store
        .delete_playlists_not_seen_since(instance.id, at(25), at(30))
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(
        changes_after(&store, FeedCursor::default()).await.len(),
        before + 4
    );
    assert!(
        store
            .playlists_of_instance(instance.id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn playlist_documents_join_owners_and_compute_visibility(store: Store) {
    let instance = approved_instance(&store).await;
    let channel = alice_channel(&store, &instance).await;
    let records = [
        playlist(1, 1, 1),
        playlist(2, 2, 1), // unlisted
        playlist(3, 1, 2), // "watch later"
        playlist(4, 1, 1),
    ];
    store
        .upsert_playlists(&instance, channel, &records, at(10))
        .await
        .unwrap();
    let ids = store
        .playlist_ids_of(VideoOwner::Instance, instance.id)
        .await
        .unwrap();
    assert_eq!(ids.len(), 4);
    assert_eq!(
        store
            .playlist_ids_of(VideoOwner::Channel, channel)
            .await
            .unwrap(),
        ids
    );
    let documents = store.playlist_documents(&ids).await.unwrap();
    assert_eq!(visible(&documents), [1, 4]);
    let first = documents
        .iter()
        .find(|document| document.playlist.remote_id == Some(1))
        .unwrap();
    assert_eq!(first.instance_host, "video.example");
    assert_eq!(first.instance_base_url, "https://video.example");
    assert_eq!(first.playlist.name, "Liste numéro 1");
    assert_eq!(
        first.channel.as_ref().unwrap().display_name,
        "Les vidéos d'Alice"
    );
    let account = first.account.as_ref().unwrap();
    assert_eq!(
        (account.name.as_str(), account.display_name.as_str()),
        ("alice", "Alice")
    );
    assert_eq!(
        store
            .playlist_ids_of(VideoOwner::Account, account.id)
            .await
            .unwrap(),
        ids
    );
    assert_eq!(store.playlist_ids_after(0, 2).await.unwrap(), ids[..2]);
    assert_eq!(
        store.playlist_ids_after(ids[1], 10).await.unwrap(),
        ids[2..]
    );
    assert!(store.playlist_documents(&[]).await.unwrap().is_empty());

    let mark = store.feed_head().await.unwrap();
    let block = NewBlock {
        kind: BlockKind::Account,
        target: "alice@video.example",
        reason: "spam",
        source: None,
        created_by: None,
    };
    store.add_block(&block).await.unwrap();
    assert!(visible(&store.playlist_documents(&ids).await.unwrap()).is_empty());
    let queued = changes_after(&store, mark).await;
    assert_eq!(
        (queued[0].entity, queued[0].entity_id),
        (Entity::Account, account.id),
        "the indexer re-reads the account's playlists through playlist_ids_of"
    );
    store
        .remove_block(BlockKind::Account, "alice@video.example")
        .await
        .unwrap();
    let channel_block = NewBlock {
        kind: BlockKind::Channel,
        target: "alice_channel@video.example",
        ..block
    };
    store.add_block(&channel_block).await.unwrap();
    assert!(visible(&store.playlist_documents(&ids).await.unwrap()).is_empty());
    store
        .remove_block(BlockKind::Channel, "alice_channel@video.example")
        .await
        .unwrap();
    assert_eq!(
        visible(&store.playlist_documents(&ids).await.unwrap()),
        [1, 4]
    );

    store
        .set_instance_status(instance.id, InstanceStatus::Paused)
        .await
        .unwrap();
    assert!(visible(&store.playlist_documents(&ids).await.unwrap()).is_empty());
    store
        .set_instance_status(instance.id, InstanceStatus::Approved)
        .await
        .unwrap();
    store
        .upsert_playlists(&instance, channel, &[playlist(1, 1, 1)], at(20))
        .await
        .unwrap();
    store
        .delete_playlists_not_seen_since(instance.id, at(15), at(30))
        .await
        .unwrap();
    assert_eq!(
        visible(&store.playlist_documents(&ids).await.unwrap()),
        [1],
        "a deleted playlist is hidden"
    );
}

crate::backend_tests!(
    playlists_are_upserted_once_and_sent_to_the_feed,
    playlist_documents_join_owners_and_compute_visibility,
);
