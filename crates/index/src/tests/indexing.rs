//! The indexer against the store: following the feed, blocks and deletions, crashes, searching while writing and during a rebuild swap.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use store::{BlockKind, InstanceStatus, NewBlock, Store, VideoRecord};

use super::corpus::{self, Corpus, known_items, page, record, seed};
use super::{Replica, config, settled_feed};
use crate::{Indexer, IndexerConfig, NsfwFilter, Searcher, VideoQuery, rebuild};

/// Marks a video curated in the index (the store cannot publish selections yet).
pub(super) async fn rewrite_curated(replica: &mut Replica, id: i64) {
    let mut rows = replica.store.video_documents(&[id]).await.unwrap();
    rows[0].curated = true;
    replica
        .indexer
        .put_video_for_tests(rows.remove(0))
        .await
        .unwrap();
    replica.searcher.refresh().unwrap();
}

fn count(searcher: &Searcher, query: VideoQuery) -> u64 {
    searcher
        .search_videos(&VideoQuery {
            nsfw: NsfwFilter::Both,
            ..query
        })
        .unwrap()
        .total
}

fn on_host(host: &str) -> VideoQuery {
    VideoQuery {
        host: Some(host.into()),
        ..VideoQuery::default()
    }
}

/// Catches up with everything committed, then checks `what`.
async fn settled(replica: &mut Replica, what: &str, check: impl Fn(&Searcher) -> bool) {
    replica.settle().await;
    assert!(check(&replica.searcher), "not so once settled: {what}");
}

/// A renamed copy of known item `key` (numbered like the corpus does), seen later.
fn renamed(corpus: &Corpus, key: &str, name: &'static str) -> (String, VideoRecord) {
    let position = corpus.specs.iter().position(|s| s.key == key).unwrap();
    let mut spec = corpus.specs[position].clone();
    spec.name = name;
    let mut video = record(position + 1, &spec, Utc::now());
    video.remote_updated_at = Some(Utc::now());
    (spec.host.to_owned(), video)
}

async fn follows_the_feed_from_an_empty_start(store: Store) {
    let mut replica = Replica::open(&store).await;
    assert_eq!(replica.searcher.video_count().unwrap(), 0);
    let corpus = seed(&store, known_items(), 40).await;
    replica.settle().await;
    assert_eq!(replica.searcher.channel_count().unwrap(), 6);
    assert_eq!(
        store.feed_cursor("test").await.unwrap(),
        replica.indexer.committed_cursor(),
        "the cursor is mirrored to the database"
    );

    let (host, video) = renamed(&corpus, "kaese", "Bergkäse aus dem Allgäu");
    let instance = &corpus.instances[host.as_str()];
    store
        .upsert_page(instance, &page(&host, vec![video]), Utc::now())
        .await
        .unwrap();
    settled(&mut replica, "the new name is found", |s| {
        count(s, VideoQuery::text("allgau")) == 1
    })
    .await;
    assert_eq!(
        count(&replica.searcher, VideoQuery::text("selber machen")),
        0
    );
    replica.settle().await;
}

async fn blocks_and_deletions_disappear(store: Store) {
    let corpus = seed(&store, known_items(), 60).await;
    let mut replica = Replica::open(&store).await;
    replica.settle().await;
    let media = count(&replica.searcher, on_host("media.example"));
    assert!(media > 0);

    let block = NewBlock {
        kind: BlockKind::Instance,
        target: "media.example",
        reason: "test",
        source: None,
        created_by: None,
    };
    store.add_block(&block).await.unwrap();
    replica.settle().await;
    assert_eq!(count(&replica.searcher, on_host("media.example")), 0);
    assert_eq!(
        replica
            .searcher
            .search_channels(&crate::ChannelQuery {
                host: Some("media.example".into()),
                ..crate::ChannelQuery::default()
            })
            .unwrap()
            .total,
        0
    );
    store
        .remove_block(BlockKind::Instance, "media.example")
        .await
        .unwrap();
    replica.settle().await;
    assert_eq!(count(&replica.searcher, on_host("media.example")), media);

    let account = NewBlock {
        kind: BlockKind::Account,
        target: "claire@video.example",
        ..block
    };
    store.add_block(&account).await.unwrap();
    replica.settle().await;
    assert_eq!(
        count(&replica.searcher, VideoQuery::text("Claire Martin")),
        0
    );

    let video = NewBlock {
        kind: BlockKind::Video,
        target: corpus.uuid("marathon"),
        ..block
    };
    store.add_block(&video).await.unwrap();
    replica.settle().await;
    assert_eq!(count(&replica.searcher, VideoQuery::text("marathon")), 0);

    let tube = &corpus.instances["tube.example"];
    store
        .set_instance_status(tube.id, InstanceStatus::Paused)
        .await
        .unwrap();
    replica.settle().await;
    assert_eq!(count(&replica.searcher, on_host("tube.example")), 0);

    let video_example = &corpus.instances["video.example"];
    let later = Utc::now() + chrono::Duration::hours(1);
    store
        .delete_videos_not_seen_since(video_example.id, later, later)
        .await
        .unwrap();
    replica.settle().await;
    assert_eq!(count(&replica.searcher, on_host("video.example")), 0);
    assert_eq!(
        replica.searcher.video_count().unwrap(),
        store.count_visible_videos().await.unwrap() as u64
    );
}

async fn a_crash_loses_and_duplicates_nothing(store: Store) {
    let corpus = seed(&store, known_items(), 100).await;
    let mut replica = Replica::open(&store).await;
    replica.settle().await;
    let committed = replica.indexer.committed_cursor();

    // New and changed videos, written by an indexer that never commits, then "killed".
    let instance = &corpus.instances["video.example"];
    let now = Utc::now();
    let mut videos: Vec<VideoRecord> = (0..150)
        .map(|i| {
            let spec = corpus::Spec {
                name: "Nouvelle vidéo",
                ..known_items()[0].clone()
            };
            record(5000 + i, &spec, now)
        })
        .collect();
    let (_, changed) = renamed(&corpus, "ecoles", "Les écoles de danse à Lyon");
    videos.push(changed);
    for chunk in videos.chunks(50) {
        store
            .upsert_page(instance, &page("video.example", chunk.to_vec()), now)
            .await
            .unwrap();
    }
    let lazy = IndexerConfig {
        feed_batch: 50,
        commit_documents: usize::MAX,
        commit_interval: Duration::from_secs(3600),
        ..config()
    };
    drop(replica.indexer);
    let mut crashing = Indexer::open(replica.dir.path(), store.clone(), lazy)
        .await
        .unwrap();
    assert_eq!(crashing.committed_cursor(), committed);
    // One batch of the feed written, the feed not drained: no commit yet.
    settled_feed(&store).await;
    assert!(crashing.step().await.unwrap() > 0, "a batch is read");
    assert_eq!(
        crashing.committed_cursor(),
        committed,
        "nothing was committed"
    );
    drop(crashing);

    replica.indexer = Indexer::open(replica.dir.path(), store.clone(), config())
        .await
        .unwrap();
    assert_eq!(
        replica.indexer.committed_cursor(),
        committed,
        "resumes from the last commit"
    );
    replica.settle().await;
    let uuids: Vec<String> = (0..150).map(|i| corpus::uuid(5000 + i)).collect();
    let once = count(
        &replica.searcher,
        VideoQuery {
            uuids,
            count: 100,
            ..VideoQuery::default()
        },
    );
    assert_eq!(once, 150, "each new video is there exactly once");
    assert_eq!(count(&replica.searcher, VideoQuery::text("danse lyon")), 1);
    let ecoles = replica
        .searcher
        .video_by_uuid(corpus.uuid("ecoles"))
        .unwrap()
        .unwrap();
    assert_eq!(ecoles.name, "Les écoles de danse à Lyon");
}

/// Searches in a loop on another thread until stopped; fails on an error or an empty answer.
fn searching(searcher: Searcher, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let searches = AtomicU64::new(0);
        while !stop.load(Ordering::Relaxed) {
            for query in [
                VideoQuery::text("abeilles"),
                VideoQuery::default(),
                VideoQuery::text("wanderung"),
            ] {
                let results = searcher.search_videos(&query).expect("a search fails");
                assert!(
                    results.total > 0 && !results.hits.is_empty(),
                    "an empty answer to {query:?}"
                );
                searches.fetch_add(1, Ordering::Relaxed);
            }
        }
        searches.load(Ordering::Relaxed)
    })
}

async fn searches_go_on_while_writing_and_during_a_rebuild(store: Store) {
    let corpus = seed(&store, known_items(), 300).await;
    let mut replica = Replica::open(&store).await;
    replica.settle().await;
    let before = replica.searcher.generation();
    let stop = Arc::new(AtomicBool::new(false));
    let searches = searching(replica.searcher.clone(), Arc::clone(&stop));

    // Writing: pages of changes applied and committed while searches run.
    let instance = &corpus.instances["tube.example"];
    for round in 0..5 {
        let now = Utc::now();
        let videos: Vec<VideoRecord> = (0..100)
            .map(|i| record(7000 + round * 100 + i, &known_items()[7], now))
            .collect();
        store
            .upsert_page(instance, &page("tube.example", videos), now)
            .await
            .unwrap();
        replica.indexer.step().await.unwrap();
        replica.indexer.commit().await.unwrap();
    }

    // Rebuilding: a new generation is swapped in under the searches.
    let mut progress = Vec::new();
    let report = rebuild(replica.dir.path(), &store, &config(), |p| progress.push(*p))
        .await
        .unwrap();
    assert_ne!(report.generation, before);
    let last = progress.last().unwrap();
    assert_eq!(last.videos_indexed, report.videos);
    assert!(progress.len() > 2);
    replica.searcher.refresh().unwrap();
    assert_eq!(replica.searcher.generation(), report.generation);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The running indexer follows the swap and removes the old generation.
    let (host, video) = renamed(&corpus, "molens", "De molens van Zaanse Schans");
    store
        .upsert_page(
            &corpus.instances[host.as_str()],
            &page(&host, vec![video]),
            Utc::now(),
        )
        .await
        .unwrap();
    settled(&mut replica, "the rename after the swap", |s| {
        count(s, VideoQuery::text("zaanse schans")) == 1
    })
    .await;
    assert_eq!(replica.indexer.generation(), report.generation);
    stop.store(true, Ordering::Relaxed);
    let done = tokio::task::spawn_blocking(move || searches.join())
        .await
        .unwrap()
        .expect("searches never failed nor came back empty");
    assert!(done > 0);
    replica.settle().await;
    let generations = std::fs::read_dir(replica.dir.path())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("gen-"))
        .count();
    assert_eq!(generations, 1, "the old generation is removed");
}

async fn run_stops_on_shutdown_after_committing(store: Store) {
    let corpus = seed(&store, known_items(), 10).await;
    let dir = tempfile::tempdir().unwrap();
    let mut indexer = Indexer::open(dir.path(), store.clone(), config())
        .await
        .unwrap();
    let searcher = Searcher::open(dir.path()).unwrap();
    let (sender, receiver) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        indexer
            .run(async {
                let _ = receiver.await;
            })
            .await
            .map(|()| indexer)
    });
    let (host, video) = renamed(&corpus, "paella", "Paella de marisco");
    store
        .upsert_page(
            &corpus.instances[host.as_str()],
            &page(&host, vec![video]),
            Utc::now(),
        )
        .await
        .unwrap();
    // Visible within about a second, through the background refresh.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while count(&searcher, VideoQuery::text("marisco")) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the change never became searchable"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sender.send(()).unwrap();
    let indexer = task.await.unwrap().unwrap();
    assert_eq!(
        store.feed_cursor("test").await.unwrap(),
        indexer.committed_cursor()
    );
}

store::backend_tests!(
    follows_the_feed_from_an_empty_start,
    blocks_and_deletions_disappear,
    a_crash_loses_and_duplicates_nothing,
    searches_go_on_while_writing_and_during_a_rebuild,
    run_stops_on_shutdown_after_committing,
);
