//! Crashes: `florilege crawl` and `florilege index` on one data directory, killed with SIGKILL at random moments (seeded, printed) and restarted each time, while the fleet changes; in the end the database equals the fleet and the index equals the database.

use std::ops::Range;
use std::time::{Duration, Instant};

use bench::search::rng::Rng;
use peertube_sim::{ChurnConfig, Fleet, FleetConfig};
use store::testing::TestStore;

use crate::crawler_support::assert_exact;
use crate::support::{Florilege, Running, sized};

/// How many kills, how far apart, on how large a fleet.
struct Plan {
    kills: u32,
    /// Kills of each process at least (the crawl may also end on its own between two).
    kills_each: u32,
    delay_ms: Range<u64>,
    instances: usize,
    videos: u64,
}

const LIGHT: Plan = Plan {
    kills: 20,
    kills_each: 5,
    delay_ms: 100..700,
    instances: 6,
    videos: 2_500,
};

const HEAVY: Plan = Plan {
    kills: 60,
    kills_each: 20,
    delay_ms: 200..3_000,
    instances: 12,
    videos: 40_000,
};

/// Uploads, edits and deletions while the crawl pages, so that each pass has work to lose.
const CHURN: ChurnConfig = ChurnConfig {
    upload_every_n_list_requests: 2,
    edit_every_n_list_requests: 3,
    delete_every_n_list_requests: 5,
};

/// Videos per instance looked up by UUID in the index at the end.
const SAMPLE_PER_INSTANCE: usize = 20;

/// `FLORILEGE_CRASH_SEED` replays a schedule; otherwise the clock picks one.
fn schedule_seed() -> u64 {
    std::env::var("FLORILEGE_CRASH_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |since| since.as_nanos() as u64)
        })
}

/// Every crawl runs under one worker name, so a restart takes the leases of
/// the killed run back at once instead of waiting for them to expire.
const CRAWL_ONCE: [&str; 4] = ["crawl", "--once", "--worker", "crash"];

/// Kills and restarts the crawl and the indexer at random moments; returns the kills of each.
async fn kill_at_random(florilege: &Florilege, plan: &Plan, rng: &mut Rng) -> (u32, u32) {
    let crawl = CRAWL_ONCE;
    let mut processes: [Running; 2] = [florilege.spawn(&crawl), florilege.spawn(&["index"])];
    let mut kills = [0, 0];
    let mut rounds = 0;
    while kills[0] + kills[1] < plan.kills || kills.iter().any(|k| *k < plan.kills_each) {
        rounds += 1;
        assert!(rounds < plan.kills * 10, "too few kills landed: {kills:?}");
        let delay = plan.delay_ms.start + rng.below(plan.delay_ms.end - plan.delay_ms.start);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let victim = rng.index(2);
        if processes[victim].kill() {
            kills[victim] += 1;
        }
        processes[victim] = florilege.spawn(if victim == 0 { &crawl } else { &["index"] });
    }
    (kills[0], kills[1])
}

async fn crawl_and_indexing_killed_at_random_end_exact(db: &TestStore) {
    let plan = sized(&LIGHT, &HEAVY);
    let seed = schedule_seed();
    eprintln!("crash schedule seed {seed} (FLORILEGE_CRASH_SEED={seed} replays it)");
    let fleet = Fleet::start(FleetConfig {
        instances: plan.instances,
        videos: plan.videos,
        seed: 77,
        rate_limit: false,
        churn: CHURN,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    // Every pass is a full sweep, so that each one sees deletions and edits.
    let florilege = Florilege::new(db).with_env("FLORILEGE_CRAWLER_SWEEP_INTERVAL_SECS", "0");
    florilege.import(&fleet).await;

    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let (crawl_kills, index_kills) = kill_at_random(&florilege, plan, &mut rng).await;
    eprintln!(
        "killed the crawl {crawl_kills} times and the indexer {index_kills} times in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Once the fleet is quiet, the first pass finishes the sweeps the kills
    // interrupted (changes made before it resumed are the next pass's work),
    // and the second, a sweep of a quiet fleet, must leave it exact.
    for instance in 0..fleet.len() {
        fleet.set_churn(instance, ChurnConfig::default()).unwrap();
    }
    for _ in 0..2 {
        let crawl = florilege.run(&CRAWL_ONCE).await;
        assert!(crawl.stdout.contains("(0 failed)"), "{}", crawl.stdout);
    }
    florilege.run(&["index", "--once"]).await;
    eprintln!(
        "crawled and indexed to the end in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(florilege.panics(), Vec::<String>::new(), "no panic");

    assert_database_equals_fleet(db, &fleet).await;
    assert_index_equals_database(db, &florilege, &fleet, &mut rng).await;
    fleet.shutdown().await;
}

async fn assert_database_equals_fleet(db: &TestStore, fleet: &Fleet) {
    for info in fleet.instances() {
        let instance = db
            .store
            .instance_by_host(&info.host)
            .await
            .unwrap()
            .unwrap();
        assert_exact(&db.store, fleet, info.index, &instance).await;
    }
}

/// Same count of searchable videos as visible ones, and a sample found by UUID with its latest name.
async fn assert_index_equals_database(
    db: &TestStore,
    florilege: &Florilege,
    fleet: &Fleet,
    rng: &mut Rng,
) {
    let searcher = index::Searcher::open(florilege.data_dir().join("index")).unwrap();
    let visible = db.store.count_visible_videos().await.unwrap();
    assert_eq!(
        searcher.video_count().unwrap(),
        u64::try_from(visible).unwrap(),
        "searchable videos = visible videos"
    );
    for info in fleet.instances() {
        let instance = db
            .store
            .instance_by_host(&info.host)
            .await
            .unwrap()
            .unwrap();
        let videos = db.store.videos_of_instance(instance.id).await.unwrap();
        for _ in 0..SAMPLE_PER_INSTANCE.min(videos.len()) {
            let video = &videos[rng.index(videos.len())];
            let found = searcher
                .video_by_uuid(&video.uuid)
                .unwrap()
                .unwrap_or_else(|| panic!("video {} is searchable", video.uuid));
            assert_eq!(found.name, video.name, "video {}: latest name", video.uuid);
        }
    }
}

on_both_backends!(crawl_and_indexing_killed_at_random_end_exact);
