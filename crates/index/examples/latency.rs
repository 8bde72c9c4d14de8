//! Measures the index on a synthetic corpus: build rate from SQLite, size, query latency, and stored summaries against a database read.
//!
//! `cargo run --release -p index --example latency -- 100000` (the number of videos).

use std::time::{Duration, Instant};

use chrono::Utc;
use index::{IndexerConfig, NsfwFilter, Searcher, VideoQuery, VideoSort, rebuild};
use store::testing::TestStore;
use store::{
    AccountRecord, ChannelRecord, InstanceAddress, InstanceOrigin, InstanceStatus, NewInstance,
    PageRecords, VideoDetails, VideoRecord,
};

const SYLLABLES: &[&str] = &[
    "ba", "ke", "lo", "mi", "nu", "ra", "se", "ti", "vo", "za", "chan", "mon", "ter", "vid", "pho",
    "gra", "cu", "li", "na", "ber", "sto", "pel", "dra", "mar", "qui", "fel", "ho", "jun", "wal",
    "ex", "or", "al", "en", "is", "un",
];
const LANGUAGES: &[&str] = &["fr", "en", "de", "es", "it", "pt", "nl", "ja", "ru", "sv"];

/// A tiny deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A rank with a Zipf-like distribution over `n` (rank 0 most frequent).
    fn zipf(&mut self, n: u64) -> u64 {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((n as f64).powf(u) - 1.0) as u64
    }
}

/// The word of a rank: syllables from its digits, so that the vocabulary is large.
fn word(rank: u64) -> String {
    let base = SYLLABLES.len() as u64;
    let mut n = rank + base;
    let mut word = String::new();
    while n > 0 {
        word.push_str(SYLLABLES[(n % base) as usize]);
        n /= base;
    }
    word
}

fn words(rng: &mut Rng, count: u64, vocabulary: u64) -> Vec<String> {
    (0..count).map(|_| word(rng.zipf(vocabulary))).collect()
}

fn video(rng: &mut Rng, n: u64, channel: &str, account: &str) -> VideoRecord {
    let (name_words, description_words, tags) =
        (2 + rng.below(6), 10 + rng.below(60), rng.below(5));
    let name = words(rng, name_words, 60_000).join(" ");
    let description = words(rng, description_words, 200_000).join(" ");
    let published = Utc::now() - chrono::Duration::days(rng.below(3000) as i64);
    VideoRecord {
        remote_id: Some(n as i64),
        uuid: format!("{n:08x}-0000-4000-8000-{n:012x}"),
        short_uuid: Some(format!("sh{n:09}Xq9WvTzMbNc")),
        url: format!("https://h/w/{n}"),
        name,
        truncated_description: Some(description.chars().take(250).collect()),
        category_id: Some(1 + rng.below(18) as i64),
        category_label: Some("Category".into()),
        licence_id: Some(1 + rng.below(7) as i64),
        licence_label: Some("Licence".into()),
        language_id: Some(LANGUAGES[rng.below(LANGUAGES.len() as u64) as usize].into()),
        language_label: Some("Language".into()),
        privacy_id: 1,
        nsfw: rng.below(20) == 0,
        duration: rng.below(7200) as i64,
        views: rng.zipf(1_000_000) as i64,
        likes: rng.zipf(10_000) as i64,
        thumbnail_path: Some(format!("/lazy-static/thumbnails/{n}.jpg")),
        preview_path: Some(format!("/lazy-static/previews/{n}.jpg")),
        embed_path: Some(format!("/videos/embed/{n}")),
        published_at: published,
        remote_created_at: Some(published),
        remote_updated_at: Some(published),
        account_name: Some(account.into()),
        channel_name: Some(channel.into()),
        details: Some(VideoDetails {
            description: Some(description),
            support: None,
            tags: words(rng, tags, 5_000),
        }),
        ..VideoRecord::default()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort();
    eprintln!(
        "{label:<28} n={:<5} p50={:>7.2?} p90={:>7.2?} p99={:>7.2?} max={:>7.2?}",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99),
        times.last().unwrap()
    );
}

fn typo(word: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = word.chars().collect();
    if chars.len() > 4 {
        let at = 1 + rng.below(chars.len() as u64 - 2) as usize;
        chars.swap(at, at + 1);
    }
    chars.into_iter().collect()
}

#[tokio::main]
async fn main() {
    let videos: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let test = TestStore::sqlite().await;
    let store = test.store.clone();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);

    let started = Instant::now();
    let hosts = 20;
    let mut n = 0;
    for h in 0..hosts {
        let host = format!("peertube{h}.example");
        let new = NewInstance {
            address: InstanceAddress::parse(&host, "https").unwrap(),
            status: InstanceStatus::Approved,
            origin: InstanceOrigin::Cli,
            discovered_from: None,
        };
        let instance = store.add_instance(&new).await.unwrap().0;
        let per_host = videos / hosts;
        while n < per_host * (h + 1) {
            let c = rng.below(50);
            let (channel, account) = (format!("channel{c}"), format!("account{c}"));
            let mut page = PageRecords {
                accounts: vec![AccountRecord {
                    name: account.clone(),
                    display_name: word(rng.zipf(60_000)),
                    url: format!("https://{host}/a/{account}"),
                    ..AccountRecord::default()
                }],
                channels: vec![ChannelRecord {
                    name: channel.clone(),
                    display_name: words(&mut rng, 2, 60_000).join(" "),
                    url: format!("https://{host}/c/{channel}"),
                    account_name: Some(account.clone()),
                    ..ChannelRecord::default()
                }],
                videos: Vec::new(),
            };
            for _ in 0..100 {
                n += 1;
                page.videos.push(video(&mut rng, n, &channel, &account));
            }
            store
                .upsert_page(&instance, &page, Utc::now())
                .await
                .unwrap();
        }
    }
    eprintln!("seeded {n} videos in {:.1?}", started.elapsed());

    let started = Instant::now();
    let (mut after, mut read) = (0, 0);
    loop {
        let ids = store.video_ids_after(after, 1000).await.unwrap();
        let Some(&last) = ids.last() else { break };
        after = last;
        read += store.video_documents(&ids).await.unwrap().len();
    }
    eprintln!(
        "read {read} documents from SQLite alone at {:.0}/s",
        read as f64 / started.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir().unwrap();
    let config = IndexerConfig {
        writer_threads: 2,
        ..IndexerConfig::default()
    };
    let built = rebuild(dir.path(), &store, &config, |_| {}).await.unwrap();
    let size: u64 = walk_size(dir.path());
    eprintln!(
        "built {} videos in {:.1?}: {:.0} docs/s from SQLite, {:.1} MiB on disk",
        built.videos,
        built.elapsed,
        built.videos as f64 / built.elapsed.as_secs_f64(),
        size as f64 / 1_048_576.0
    );

    let searcher = Searcher::open(dir.path()).unwrap();
    let mut mix: Vec<(&str, VideoQuery)> = Vec::new();
    for i in 0..300 {
        let common = word(rng.zipf(2_000));
        let rare = word(300 + rng.zipf(50_000));
        let two = format!("{common} {rare}");
        let three = format!("{} {} {}", word(rng.zipf(500)), common, rare);
        mix.push(("one word", VideoQuery::text(&rare)));
        mix.push(("two words", VideoQuery::text(&two)));
        mix.push(("three words", VideoQuery::text(&three)));
        mix.push(("typo", VideoQuery::text(typo(&rare, &mut rng))));
        mix.push((
            "prefix (as you type)",
            VideoQuery::text(&rare[..rare.len().min(4)]),
        ));
        mix.push((
            "filters + sort",
            VideoQuery {
                language_one_of: vec![LANGUAGES[i % 3].into()],
                duration_min: Some(60),
                duration_max: Some(1200),
                sort: VideoSort::parse("-publishedAt").unwrap(),
                ..VideoQuery::text(&common)
            },
        ));
        mix.push((
            "facets",
            VideoQuery {
                with_facets: true,
                nsfw: NsfwFilter::Both,
                ..VideoQuery::text(&common)
            },
        ));
        mix.push((
            "highlights + suggestion",
            VideoQuery {
                with_highlights: true,
                with_suggestion: true,
                ..VideoQuery::text(&two)
            },
        ));
    }
    // Warm up, then measure.
    for (_, query) in mix.iter().take(200) {
        searcher.search_videos(query).unwrap();
    }
    let mut all = Vec::new();
    let mut by_kind: std::collections::BTreeMap<&str, Vec<Duration>> = Default::default();
    let mut ids_of_pages = Vec::new();
    for (kind, query) in &mix {
        let started = Instant::now();
        let results = searcher.search_videos(query).unwrap();
        let elapsed = started.elapsed();
        all.push(elapsed);
        by_kind.entry(kind).or_default().push(elapsed);
        if *kind == "two words" {
            ids_of_pages.push(results.hits.iter().map(|h| h.item.id).collect::<Vec<_>>());
        }
    }
    report("all queries", all);
    for (kind, times) in by_kind {
        report(kind, times);
    }
    let mut database = Vec::new();
    for ids in ids_of_pages.iter().filter(|ids| !ids.is_empty()) {
        let started = Instant::now();
        store.video_documents(ids).await.unwrap();
        database.push(started.elapsed());
    }
    report("page read from SQLite", database);
    test.cleanup().await;
}

fn walk_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| {
                    let meta = entry.metadata().unwrap();
                    if meta.is_dir() {
                        walk_size(&entry.path())
                    } else {
                        meta.len()
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
