//! The image cache over real HTTP: the fleet's thumbnails and avatars, hostile answers, caps, eviction and politeness.

mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Path as UrlPath;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use crawler::images::{ImageCache, ImageCacheConfig};
use crawler::{CancellationToken, Crawler, CrawlerConfig};
use futures::StreamExt;
use peertube_sim::FleetConfig;
use sha2::{Digest, Sha256};
use store::{
    AccountRecord, ChannelRecord, ImageRef, Instance, InstanceAddress, InstanceOrigin,
    InstanceStatus, NewInstance, PageRecords, Store, VideoRecord, avatar_source_url,
    image_source_url, now,
};
use support::{assert_exact, fleet_in_store, sweeping_config};
use tokio::time::Instant;

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// A 1×1 GIF.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

const MIB: u64 = 1024 * 1024;

/// A distinct PNG of exactly `size` bytes (trailing bytes after IEND).
fn png(n: u8, size: usize) -> Vec<u8> {
    let mut bytes = PNG.to_vec();
    bytes.resize(size, n);
    bytes
}

fn typed(content_type: &'static str, body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body.into()).into_response()
}

/// Serves `router` on loopback; returns its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// Registers the site at `base` as an approved instance with one video per thumbnail path.
async fn site_in_store(store: &Store, base: &str, paths: &[String], first: u32) -> Instance {
    let new = NewInstance {
        address: InstanceAddress::parse(base, "http").unwrap(),
        status: InstanceStatus::Approved,
        origin: InstanceOrigin::Cli,
        discovered_from: None,
    };
    let instance = store.add_instance(&new).await.unwrap().0;
    add_videos(store, &instance, paths, first, PageRecords::default()).await;
    instance
}

async fn add_videos(
    store: &Store,
    instance: &Instance,
    paths: &[String],
    first: u32,
    mut page: PageRecords,
) {
    for (n, path) in (first..).zip(paths) {
        page.videos.push(VideoRecord {
            uuid: format!("00000000-0000-4000-8000-{n:012}"),
            url: format!("{}/w/{n}", instance.base_url),
            name: format!("Video {n}"),
            privacy_id: 1,
            published_at: now(),
            thumbnail_path: Some(path.clone()),
            ..VideoRecord::default()
        });
    }
    store.upsert_page(instance, &page, now()).await.unwrap();
}

fn cache_config(dir: &Path) -> ImageCacheConfig {
    ImageCacheConfig {
        dir: dir.to_owned(),
        concurrency: 2,
        pause_ms: 0,
        ..ImageCacheConfig::default()
    }
}

/// Every file under `dir`, with its bytes.
fn files_in(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let Ok(shards) = std::fs::read_dir(dir) else {
        return files;
    };
    for shard in shards {
        for file in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            files.push((path, bytes));
        }
    }
    files
}

/// Each file is named by the SHA-256 of its bytes, as `ab/cdef…`.
fn assert_content_addressed(dir: &Path) {
    for (path, bytes) in files_in(dir) {
        let sha = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(
            path,
            dir.join(&sha[..2]).join(&sha[2..]),
            "{}",
            path.display()
        );
    }
}

async fn the_fleets_thumbnails_and_avatars_are_cached_once(store: Store) {
    let fleet_config = FleetConfig {
        instances: 2,
        videos: 40,
        rate_limit: false,
        ..FleetConfig::default()
    };
    let (fleet, instances) = fleet_in_store(&store, fleet_config).await;
    let crawler = Crawler::new(store.clone(), sweeping_config()).unwrap();
    let cancel = CancellationToken::new();
    crawler.crawl_once(None, &cancel).await.unwrap();
    assert_exact(&store, &fleet, 0, &instances[0]).await;

    let dir = tempfile::tempdir().unwrap();
    let cache = ImageCache::new(
        store.clone(),
        cache_config(dir.path()),
        &CrawlerConfig::for_loopback_tests(),
    )
    .unwrap();
    let report = cache.fill(10_000, &cancel).await.unwrap();
    assert_eq!(report.skipped + report.evicted_files, 0, "{report:?}");
    assert_eq!(
        report.total_bytes,
        files_in(dir.path())
            .iter()
            .map(|f| f.1.len() as u64)
            .sum::<u64>()
    );
    assert_content_addressed(dir.path());

    let mut thumbnails = 0;
    let mut avatars = HashSet::new();
    for instance in &instances {
        for video in store.videos_of_instance(instance.id).await.unwrap() {
            let path = video.thumbnail_path.as_deref().unwrap();
            let url = image_source_url(&instance.base_url, path).unwrap();
            let cached = cache.path_for(&url).await.unwrap();
            let cached = cached.expect("thumbnail cached");
            assert_eq!(cached.content_type, "image/png");
            assert!(cached.path.is_file());
            let row = store.cached_image(&url).await.unwrap().unwrap();
            assert_eq!((row.width, row.height), (Some(280), Some(157)));
            thumbnails += 1;
            let channel = store.channel(video.channel_id.unwrap()).await;
            let account = store.account(video.account_id.unwrap()).await;
            let (channel, account) = (channel.unwrap().unwrap(), account.unwrap().unwrap());
            for images in [&channel.avatars, &account.avatars] {
                avatars.extend(avatar_source_url(&instance.base_url, &images.0));
            }
        }
    }
    // peertube-sim puts an avatar's size class over the instance bits of its
    // ids, so it answers 404 for avatars wider than 48 px: such failures are
    // recorded with their reason, and every other avatar is cached.
    let (mut cached_avatars, mut sim_404) = (0, 0);
    for url in &avatars {
        let row = store.cached_image(url).await.unwrap().unwrap();
        if row.failure.as_deref() == Some("the instance answered HTTP 404") {
            sim_404 += 1;
            continue;
        }
        assert!(cache.path_for(url).await.unwrap().unwrap().path.is_file());
        assert_eq!(row.width, Some(120), "the mid-sized avatar is kept");
        cached_avatars += 1;
    }
    assert!(
        thumbnails >= 40 && !avatars.is_empty(),
        "{thumbnails} thumbnails"
    );
    assert_eq!(
        report.wanted,
        thumbnails + avatars.len() as u64,
        "{report:?}"
    );
    assert_eq!(report.fetched, thumbnails + cached_avatars, "{report:?}");
    assert_eq!(report.failed, sim_404, "{report:?}");

    // A second pass has nothing to fetch and sends no request.
    let requests = fleet.stats().total.requests;
    let again = cache.fill(10_000, &cancel).await.unwrap();
    assert_eq!((again.wanted, again.fetched), (0, 0), "{again:?}");
    assert_eq!(fleet.stats().total.requests, requests);
    fleet.shutdown().await;
}

async fn only_real_images_within_the_cap_are_kept(store: Store) {
    let streamed = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&streamed);
    let router = Router::new()
        .route("/real.png", get(|| async { typed("image/png", PNG) }))
        .route("/real.gif", get(|| async { typed("text/plain", GIF) }))
        .route(
            "/page.png",
            get(|| async { typed("image/png", "<!doctype html><script>alert(1)</script>") }),
        )
        .route(
            "/script.svg",
            get(|| async {
                typed(
                    "image/svg+xml",
                    r#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
                )
            }),
        )
        .route(
            "/huge.png",
            get(|| async { typed("image/png", png(1, (3 * MIB) as usize)) }),
        )
        .route(
            "/stream.png",
            get(move || async move {
                let chunks = futures::stream::iter(0..1024).map(move |n| {
                    counter.fetch_add(64 * 1024, Ordering::Relaxed);
                    let chunk = if n == 0 {
                        png(2, 64 * 1024)
                    } else {
                        vec![0; 64 * 1024]
                    };
                    Ok::<_, std::io::Error>(chunk)
                });
                typed("image/png", Body::from_stream(chunks))
            }),
        )
        .route(
            "/redirect.png",
            get(|| async {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, "http://169.254.169.254/latest/meta-data/")],
                )
            }),
        );
    let base = serve(router).await;
    let paths: Vec<String> = [
        "/real.png",
        "/real.gif",
        "/page.png",
        "/script.svg",
        "/huge.png",
        "/stream.png",
        "/redirect.png",
        "/missing.png",
    ]
    .iter()
    .map(|path| (*path).to_owned())
    .collect();
    let instance = site_in_store(&store, &base, &paths, 1).await;
    let metadata_avatar = "http://169.254.169.254/avatar.png";
    let page = PageRecords {
        accounts: vec![AccountRecord {
            name: "mallory".into(),
            url: format!("{base}/accounts/mallory"),
            avatars: vec![ImageRef {
                path: None,
                url: Some(metadata_avatar.into()),
                width: Some(120),
            }],
            ..AccountRecord::default()
        }],
        channels: vec![ChannelRecord {
            name: "mallory_channel".into(),
            url: format!("{base}/video-channels/mallory_channel"),
            avatars: vec![ImageRef {
                path: Some("/real.png?avatar".into()),
                url: None,
                width: Some(120),
            }],
            ..ChannelRecord::default()
        }],
        videos: Vec::new(),
    };
    add_videos(&store, &instance, &[], 100, page).await;

    let dir = tempfile::tempdir().unwrap();
    let config = ImageCacheConfig {
        max_image_bytes: MIB,
        max_total_bytes: 10 * MIB,
        ..cache_config(dir.path())
    };
    let cache =
        ImageCache::new(store.clone(), config, &CrawlerConfig::for_loopback_tests()).unwrap();
    let report = cache.fill(100, &CancellationToken::new()).await.unwrap();
    assert_eq!(report.wanted, 10, "{report:?}");
    assert_eq!((report.fetched, report.failed), (3, 7), "{report:?}");

    let url = |path: &str| format!("{base}{path}");
    let gif = store
        .cached_image(&url("/real.gif"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        gif.content_type.as_deref(),
        Some("image/gif"),
        "sniffed, not trusted"
    );
    let expected = [
        (url("/page.png"), "not a PNG, JPEG, WebP, GIF or AVIF image"),
        (
            url("/script.svg"),
            "not a PNG, JPEG, WebP, GIF or AVIF image",
        ),
        (url("/huge.png"), "larger than 1048576 bytes"),
        (url("/stream.png"), "larger than 1048576 bytes"),
        (
            url("/redirect.png"),
            "refused internal address 169.254.169.254",
        ),
        (url("/missing.png"), "the instance answered HTTP 404"),
        (
            metadata_avatar.to_owned(),
            "refused internal address 169.254.169.254",
        ),
    ];
    for (source, reason) in expected {
        let row = store.cached_image(&source).await.unwrap().unwrap();
        let failure = row.failure.unwrap_or_default();
        assert!(failure.contains(reason), "{source}: {failure}");
        assert!(row.sha256.is_none() && cache.path_for(&source).await.unwrap().is_none());
    }
    assert!(
        streamed.load(Ordering::Relaxed) < 32 * MIB,
        "the download stopped past the cap"
    );
    let files = files_in(dir.path());
    let mut kept: Vec<&[u8]> = files.iter().map(|(_, bytes)| bytes.as_slice()).collect();
    kept.sort();
    assert_eq!(kept, [GIF, PNG], "one file per content, nothing else");
    assert_content_addressed(dir.path());

    let again = cache.fill(100, &CancellationToken::new()).await.unwrap();
    assert_eq!(again.wanted, 0, "failures wait before they are tried again");
}

async fn eviction_keeps_the_cache_under_its_cap_and_drops_the_least_recently_used(store: Store) {
    let router = Router::new().route(
        "/img/{file}",
        get(|UrlPath(file): UrlPath<String>| async move {
            let n: u8 = file.trim_end_matches(".png").parse().unwrap_or(0);
            typed("image/png", png(n, 1000))
        }),
    );
    let base = serve(router).await;
    let path = |n: u32| format!("/img/{n}.png");
    let url = |n: u32| format!("{base}{}", path(n));
    let instance = site_in_store(&store, &base, &[path(1), path(2), path(3)], 1).await;
    let dir = tempfile::tempdir().unwrap();
    let config = ImageCacheConfig {
        max_image_bytes: 2000,
        max_total_bytes: 3500,
        ..cache_config(dir.path())
    };
    let cache =
        ImageCache::new(store.clone(), config, &CrawlerConfig::for_loopback_tests()).unwrap();
    let cancel = CancellationToken::new();
    let report = cache.fill(100, &cancel).await.unwrap();
    assert_eq!(
        (report.fetched, report.evicted_files, report.total_bytes),
        (3, 0, 3000)
    );

    // Image 1 is shown on a page; 2 and 3 are not: they go first.
    store
        .mark_images_used(&[url(1)], now() + chrono::TimeDelta::minutes(1))
        .await
        .unwrap();
    add_videos(
        &store,
        &instance,
        &[path(4), path(5)],
        4,
        PageRecords::default(),
    )
    .await;
    let report = cache.fill(100, &cancel).await.unwrap();
    assert_eq!((report.fetched, report.evicted_files), (2, 2), "{report:?}");
    assert!(report.total_bytes <= 3500, "{report:?}");
    assert_eq!(store.cached_images_bytes().await.unwrap(), 3000);
    assert_eq!(files_in(dir.path()).len(), 3);
    for n in [2, 3] {
        let row = store.cached_image(&url(n)).await.unwrap().unwrap();
        assert!(row.is_evicted(), "image {n}: {row:?}");
    }
    for n in [1, 4, 5] {
        assert!(
            cache.path_for(&url(n)).await.unwrap().is_some(),
            "image {n}"
        );
    }

    // Evicted images are not fetched again unless a page asks for them.
    let report = cache.fill(100, &cancel).await.unwrap();
    assert_eq!((report.wanted, report.fetched), (0, 0), "{report:?}");
    assert!(cache.path_for(&url(2)).await.unwrap().is_none());
    let report = cache.fill(100, &cancel).await.unwrap();
    assert_eq!((report.fetched, report.evicted_files), (1, 1), "{report:?}");
    for n in [1, 2] {
        assert!(
            cache.path_for(&url(n)).await.unwrap().is_some(),
            "image {n}"
        );
    }
    assert_eq!(files_in(dir.path()).len(), 3);
    assert_content_addressed(dir.path());
}

async fn downloads_from_one_host_are_paced_and_bounded(store: Store) {
    #[derive(Default)]
    struct Seen {
        in_flight: AtomicUsize,
        most: AtomicUsize,
        /// When each request arrived and when its answer left.
        spans: Mutex<Vec<(Instant, Instant)>>,
    }
    let seen = Arc::new(Seen::default());
    let server_seen = Arc::clone(&seen);
    let router = Router::new().route(
        "/slow/{file}",
        get(move |UrlPath(file): UrlPath<String>| {
            let seen = Arc::clone(&server_seen);
            async move {
                let start = Instant::now();
                let now = seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                seen.most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(40)).await;
                seen.in_flight.fetch_sub(1, Ordering::SeqCst);
                seen.spans.lock().unwrap().push((start, Instant::now()));
                let n: u8 = file.trim_end_matches(".png").parse().unwrap_or(0);
                typed("image/png", png(n, 100))
            }
        }),
    );
    let base = serve(router).await;
    let paths: Vec<String> = (1..=4).map(|n| format!("/slow/{n}.png")).collect();
    let instance = site_in_store(&store, &base, &paths, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let paced = ImageCacheConfig {
        concurrency: 1,
        pause_ms: 100,
        ..cache_config(dir.path())
    };
    let cache =
        ImageCache::new(store.clone(), paced, &CrawlerConfig::for_loopback_tests()).unwrap();
    let report = cache.fill(100, &CancellationToken::new()).await.unwrap();
    assert_eq!(report.fetched, 4, "{report:?}");
    assert_eq!(seen.most.load(Ordering::SeqCst), 1);
    let mut spans = seen.spans.lock().unwrap().clone();
    spans.sort();
    for pair in spans.windows(2) {
        let rest = pair[1].0 - pair[0].1;
        assert!(
            rest >= Duration::from_millis(100),
            "{rest:?} between downloads"
        );
    }

    let paths: Vec<String> = (5..=12).map(|n| format!("/slow/{n}.png")).collect();
    add_videos(&store, &instance, &paths, 5, PageRecords::default()).await;
    let two = ImageCacheConfig {
        concurrency: 2,
        pause_ms: 0,
        ..cache_config(dir.path())
    };
    let cache = ImageCache::new(store.clone(), two, &CrawlerConfig::for_loopback_tests()).unwrap();
    let report = cache.fill(100, &CancellationToken::new()).await.unwrap();
    assert_eq!(report.fetched, 8, "{report:?}");
    assert_eq!(seen.most.load(Ordering::SeqCst), 2);
}

store::backend_tests!(
    the_fleets_thumbnails_and_avatars_are_cached_once,
    only_real_images_within_the_cap_are_kept,
    eviction_keeps_the_cache_under_its_cap_and_drops_the_least_recently_used,
    downloads_from_one_host_are_paced_and_bounded,
);
