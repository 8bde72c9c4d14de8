//! The image cache's records, run against SQLite and (when configured) PostgreSQL.

use chrono::{DateTime, TimeDelta, Utc};

use crate::*;

const BASE: &str = "https://video.example";

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

fn avatar(width: i64) -> ImageRef {
    ImageRef {
        path: Some(format!("/lazy-static/avatars/alice-{width}.png")),
        url: None,
        width: Some(width),
    }
}

fn video(n: u32, thumbnail_path: &str) -> VideoRecord {
    VideoRecord {
        uuid: format!("00000000-0000-4000-8000-{n:012}"),
        url: format!("{BASE}/w/{n}"),
        name: format!("Video {n}"),
        privacy_id: 1,
        published_at: at(i64::from(n)),
        thumbnail_path: Some(thumbnail_path.into()),
        account_name: Some("alice".into()),
        channel_name: Some("alice_channel".into()),
        ..VideoRecord::default()
    }
}

/// An account with three avatar sizes, a channel with an absolute avatar URL,
/// three videos (one with a path that tries to change the host).
async fn seed(store: &Store) -> Instance {
    let instance = approved_instance(store).await;
    let page = PageRecords {
        accounts: vec![AccountRecord {
            name: "alice".into(),
            url: format!("{BASE}/accounts/alice"),
            avatars: vec![avatar(48), avatar(600), avatar(120)],
            ..AccountRecord::default()
        }],
        channels: vec![ChannelRecord {
            name: "alice_channel".into(),
            url: format!("{BASE}/video-channels/alice_channel"),
            avatars: vec![ImageRef {
                path: None,
                url: Some("https://cdn.example/channel.webp".into()),
                width: Some(120),
            }],
            account_name: Some("alice".into()),
            ..ChannelRecord::default()
        }],
        videos: vec![
            video(1, "/lazy-static/thumbnails/1.jpg"),
            video(2, "/lazy-static/thumbnails/2.jpg"),
            video(3, "@evil.example/3.jpg"),
        ],
    };
    store.upsert_page(&instance, &page, at(100)).await.unwrap();
    instance
}

fn urls(wanted: &[WantedImage]) -> Vec<&str> {
    wanted.iter().map(|w| w.source_url.as_str()).collect()
}

fn file(sha: &str, bytes: i64) -> ImageFile<'_> {
    ImageFile {
        sha256: sha,
        content_type: "image/png",
        bytes,
        width: 280,
        height: 157,
    }
}

async fn thumbnails_and_avatars_are_wanted_until_settled(store: Store) {
    let instance = seed(&store).await;
    let thumb1 = format!("{BASE}/lazy-static/thumbnails/1.jpg");
    let thumb2 = format!("{BASE}/lazy-static/thumbnails/2.jpg");
    let account_avatar = format!("{BASE}/lazy-static/avatars/alice-120.png");
    let channel_avatar = "https://cdn.example/channel.webp".to_owned();
    let wanted = store.images_wanted(100, at(0)).await.unwrap();
    assert_eq!(
        urls(&wanted),
        [&*channel_avatar, &*account_avatar, &*thumb2, &*thumb1],
        "avatars first, then thumbnails newest first; never another host"
    );
    assert_eq!(wanted[0].kind, ImageKind::Avatar);
    assert_eq!(wanted[3].kind, ImageKind::Thumbnail);
    assert_eq!(store.images_wanted(3, at(0)).await.unwrap().len(), 3);

    // Cached, failed and evicted images are not wanted; failures come back after a while.
    store
        .record_image(&thumb1, &file(&"a".repeat(64), 1000), at(200))
        .await
        .unwrap();
    store
        .record_image_failure(&thumb2, "not an image", at(200))
        .await
        .unwrap();
    store
        .record_image(&account_avatar, &file(&"b".repeat(64), 10), at(200))
        .await
        .unwrap();
    store.evict_image_file(&"b".repeat(64)).await.unwrap();
    let wanted = store.images_wanted(100, at(0)).await.unwrap();
    assert_eq!(urls(&wanted), [&*channel_avatar]);
    let wanted = store.images_wanted(100, at(300)).await.unwrap();
    assert_eq!(urls(&wanted), [&*channel_avatar, &*thumb2]);
    let failed = store.cached_image(&thumb2).await.unwrap().unwrap();
    assert_eq!(failed.failure.as_deref(), Some("not an image"));
    assert!(failed.sha256.is_none() && failed.is_wanted(at(300)) && !failed.is_wanted(at(0)));
    let evicted = store.cached_image(&account_avatar).await.unwrap().unwrap();
    assert!(evicted.is_evicted() && !evicted.is_wanted(at(1_000)));

    // A forgotten image is wanted again; deleted videos and paused instances are not.
    assert!(store.forget_image(&account_avatar).await.unwrap());
    assert!(!store.forget_image(&account_avatar).await.unwrap());
    let wanted = store.images_wanted(100, at(0)).await.unwrap();
    assert_eq!(urls(&wanted), [&*channel_avatar, &*account_avatar]);
    store
        .delete_videos_not_seen_since(instance.id, at(1_000), at(1_000))
        .await
        .unwrap();
    store
        .record_image_failure(&thumb2, "gone", at(0))
        .await
        .unwrap();
    assert_eq!(store.images_wanted(100, at(300)).await.unwrap().len(), 2);
    store
        .set_instance_status(instance.id, InstanceStatus::Paused)
        .await
        .unwrap();
    assert!(store.images_wanted(100, at(300)).await.unwrap().is_empty());
}

async fn use_and_size_drive_least_recently_used_eviction(store: Store) {
    seed(&store).await;
    let (a, b, c) = ("a".repeat(64), "b".repeat(64), "c".repeat(64));
    let url = |n: u32| format!("{BASE}/image/{n}.png");
    store
        .record_image(&url(1), &file(&a, 1000), at(1))
        .await
        .unwrap();
    store
        .record_image(&url(2), &file(&b, 300), at(2))
        .await
        .unwrap();
    store
        .record_image(&url(3), &file(&c, 20), at(3))
        .await
        .unwrap();
    // The same bytes at another URL share the file: counted once.
    store
        .record_image(&url(4), &file(&a, 1000), at(4))
        .await
        .unwrap();
    assert_eq!(store.cached_images_bytes().await.unwrap(), 1320);
    let order = |files: Vec<ImageFileSize>| files.into_iter().map(|f| f.sha256).collect::<Vec<_>>();
    let lru = store.least_recently_used_image_files(10).await.unwrap();
    assert_eq!(
        order(lru),
        [b.clone(), c.clone(), a.clone()],
        "a file is as recent as its latest use"
    );

    // Use moves an image to the back; an older use never moves it forward.
    assert_eq!(store.mark_images_used(&[url(2)], at(10)).await.unwrap(), 1);
    assert_eq!(store.mark_images_used(&[url(2)], at(5)).await.unwrap(), 0);
    assert_eq!(store.mark_images_used(&[], at(5)).await.unwrap(), 0);
    let lru = store.least_recently_used_image_files(2).await.unwrap();
    assert_eq!(
        lru,
        [
            ImageFileSize {
                sha256: c.clone(),
                bytes: 20
            },
            ImageFileSize {
                sha256: a.clone(),
                bytes: 1000
            },
        ]
    );
    let used = store.cached_image(&url(2)).await.unwrap().unwrap();
    assert_eq!(used.last_used_at, at(10));
    assert_eq!(
        (
            used.content_type.as_deref(),
            used.width,
            used.height,
            used.fetched_at
        ),
        (Some("image/png"), Some(280), Some(157), Some(at(2)))
    );

    // Evicting a file evicts every row that shares it.
    assert_eq!(store.evict_image_file(&a).await.unwrap(), 2);
    assert_eq!(store.cached_images_bytes().await.unwrap(), 320);
    for n in [1, 4] {
        let row = store.cached_image(&url(n)).await.unwrap().unwrap();
        assert!(row.is_evicted() && row.bytes == 0 && row.content_type.is_none());
    }
    // Fetching again after a failure or an eviction clears it.
    store
        .record_image(&url(1), &file(&a, 1000), at(20))
        .await
        .unwrap();
    let row = store.cached_image(&url(1)).await.unwrap().unwrap();
    assert!(row.failure.is_none() && row.last_used_at == at(20));
    let long = "x".repeat(10_000);
    store
        .record_image_failure(&url(5), &long, at(20))
        .await
        .unwrap();
    let row = store.cached_image(&url(5)).await.unwrap().unwrap();
    assert_eq!(row.failure.map(|f| f.len()), Some(500));
    assert!(
        row.fetched_at
            .is_some_and(|t| t - at(20) == TimeDelta::zero())
    );
}

#[test]
fn source_urls_keep_the_instance_host_and_prefer_mid_sized_avatars() {
    assert_eq!(
        image_source_url(BASE, "/lazy-static/a.png").as_deref(),
        Some("https://video.example/lazy-static/a.png")
    );
    for hostile in ["@evil.example/a.png", ".evil.example/a.png", "a.png", ""] {
        assert_eq!(image_source_url(BASE, hostile), None, "{hostile}");
    }
    let widths = |avatars: &[ImageRef]| preferred_avatar(avatars).and_then(|a| a.width);
    assert_eq!(widths(&[avatar(48), avatar(600), avatar(120)]), Some(120));
    assert_eq!(widths(&[avatar(600), avatar(1200)]), Some(600));
    assert_eq!(widths(&[avatar(48), avatar(32)]), Some(48));
    assert_eq!(widths(&[]), None);
    let remote = |url: &str| ImageRef {
        path: None,
        url: Some(url.into()),
        width: None,
    };
    assert_eq!(
        avatar_source_url(BASE, &[remote("https://cdn.example/a.png")]).as_deref(),
        Some("https://cdn.example/a.png")
    );
    assert_eq!(
        avatar_source_url(BASE, &[remote("javascript:alert(1)")]),
        None
    );
}

crate::backend_tests!(
    thumbnails_and_avatars_are_wanted_until_settled,
    use_and_size_drive_least_recently_used_eviction,
);
