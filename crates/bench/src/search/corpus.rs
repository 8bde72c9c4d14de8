//! The search corpus: a simulated fleet's videos written into a fresh SQLite store through the store API, and samples for the query mix.
//!
//! Text comes from `peertube-sim` (multilingual titles, Markdown
//! descriptions, tags, channel and account names). Its lexicons are small
//! (a few dozen nouns per language), so every one of their words is common;
//! real catalogues also have a long tail of rare words (names of people,
//! places, works). A deterministic Zipf-distributed tail of invented proper
//! nouns is therefore added: to half of the titles, to every description
//! (a credits line) and to some tags.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::Utc;
use peertube_sim::{Fleet, FleetConfig, SimAccount, SimChannel, SimVideo};
use serde::{Deserialize, Serialize};
use store::{
    AccountRecord, ChannelDetails, ChannelRecord, ImageRef, InstanceAddress, InstanceIdentity,
    InstanceOrigin, InstanceStatus, NewInstance, PageRecords, Store, StoreConfig, VideoDetails,
    VideoRecord,
};

use super::rng::Rng;

/// Videos written per `upsert_page` (a crawled list page holds at most 100).
const PAGE: usize = 100;
/// Invented proper nouns the long tail draws from.
const TAIL_VOCABULARY: u64 = 100_000;
/// About this many videos are kept as samples for the query mix.
const SAMPLES: u64 = 3_000;

/// What the corpus is made of.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct CorpusSpec {
    pub videos: u64,
    pub instances: usize,
    pub seed: u64,
}

/// A video kept to build queries from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sample {
    pub name: String,
    pub language: Option<String>,
    pub tags: Vec<String>,
}

/// What was written.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CorpusReport {
    pub videos: u64,
    pub channels: u64,
    pub accounts: u64,
    pub instances: u64,
    /// Languages of the videos, most frequent first: `(code, videos)`.
    pub languages: Vec<(String, u64)>,
    /// Set-up time (generation and upserts), not a measurement.
    pub write_secs: f64,
    pub samples: Vec<Sample>,
}

/// Writes the corpus into the (fresh) database at `database_url`.
pub async fn write(spec: CorpusSpec, database_url: &str) -> anyhow::Result<CorpusReport> {
    let started = Instant::now();
    let store = Store::open(&StoreConfig {
        database_url: database_url.to_owned(),
        ..StoreConfig::default()
    })
    .await?;
    let fleet = Fleet::start(FleetConfig {
        instances: spec.instances,
        videos: spec.videos,
        seed: spec.seed,
        faults: 0.0,
        rate_limit: false,
        ..FleetConfig::default()
    })
    .await?;
    let mut tail = Rng::new(spec.seed ^ 0x7A11_7A11);
    let mut sampling = Rng::new(spec.seed ^ 0x05A3_B1E5);
    let sample_every = (spec.videos / SAMPLES).max(1);
    let mut report = CorpusReport {
        videos: 0,
        channels: 0,
        accounts: 0,
        instances: 0,
        languages: Vec::new(),
        write_secs: 0.0,
        samples: Vec::new(),
    };
    let mut languages: BTreeMap<String, u64> = BTreeMap::new();
    let seen_at = Utc::now();
    for info in fleet.instances() {
        let host = format!("tube{:04}.example", info.index);
        let origin = Origin {
            sim_base: info.base_url.clone(),
            base: format!("https://{host}"),
        };
        let (instance, _) = store
            .add_instance(&NewInstance {
                address: InstanceAddress::parse(&host, "https")?,
                status: InstanceStatus::Approved,
                origin: InstanceOrigin::Cli,
                discovered_from: None,
            })
            .await?;
        store
            .record_identity(
                instance.id,
                &InstanceIdentity {
                    software: "peertube".into(),
                    version: Some("6.3.0".into()),
                    name: Some(info.name.clone()),
                    ..InstanceIdentity::default()
                },
            )
            .await?;
        report.instances += 1;
        let mut channels_seen = std::collections::HashSet::new();
        let mut accounts_seen = std::collections::HashSet::new();
        let mut page = PageRecords::default();
        for mut video in fleet.expected_videos(info.index)? {
            add_tail(&mut video, &mut tail);
            if sampling.below(sample_every) == 0 {
                report.samples.push(Sample {
                    name: video.name.clone(),
                    language: video.language.clone(),
                    tags: video.tags.clone(),
                });
            }
            *languages
                .entry(video.language.clone().unwrap_or_else(|| "none".into()))
                .or_default() += 1;
            // A page carries the accounts and channels of its videos, as a crawled page does.
            let account = video.account();
            accounts_seen.insert(account.name.clone());
            if !page.accounts.iter().any(|a| a.name == account.name) {
                page.accounts.push(account_record(account, &origin));
            }
            channels_seen.insert(video.channel.name.clone());
            if !page.channels.iter().any(|c| c.name == video.channel.name) {
                page.channels.push(channel_record(&video.channel, &origin));
            }
            page.videos.push(video_record(&video, &origin));
            if page.videos.len() == PAGE {
                report.videos += page.videos.len() as u64;
                store.upsert_page(&instance, &page, seen_at).await?;
                page = PageRecords::default();
            }
        }
        if !page.videos.is_empty() {
            report.videos += page.videos.len() as u64;
            store.upsert_page(&instance, &page, seen_at).await?;
        }
        report.channels += channels_seen.len() as u64;
        report.accounts += accounts_seen.len() as u64;
    }
    fleet.shutdown().await;
    store.close().await;
    let mut languages: Vec<(String, u64)> = languages.into_iter().collect();
    languages.sort_by_key(|(_, videos)| std::cmp::Reverse(*videos));
    report.languages = languages;
    report.write_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

/// An invented proper noun of a rank (rank 0 the most frequent): syllables from its digits.
fn proper_noun(rank: u64) -> String {
    const SYLLABLES: &[&str] = &[
        "ba", "ke", "lo", "mi", "nu", "ra", "se", "ti", "vo", "za", "chan", "mon", "ter", "vid",
        "pho", "gra", "cu", "li", "na", "ber", "sto", "pel", "dra", "mar", "qui", "fel", "ho",
        "jun", "wal", "ex", "or", "al", "en", "is", "un",
    ];
    let base = SYLLABLES.len() as u64;
    let mut n = rank + base;
    let mut word = String::new();
    while n > 0 {
        word.push_str(SYLLABLES[(n % base) as usize]);
        n /= base;
    }
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Adds the long tail: a proper noun to half of the titles, a credits line, sometimes a tag.
fn add_tail(video: &mut SimVideo, rng: &mut Rng) {
    if rng.below(2) == 0 {
        video.name = format!(
            "{} – {}",
            video.name,
            proper_noun(rng.zipf(TAIL_VOCABULARY))
        );
    }
    let credits: Vec<String> = (0..2 + rng.below(3))
        .map(|_| proper_noun(rng.zipf(TAIL_VOCABULARY)))
        .collect();
    video.description = format!("{}\n\n— {}", video.description, credits.join(", "));
    if video.tags.len() < 5 && rng.below(3) == 0 {
        video.tags.push(proper_noun(rng.zipf(TAIL_VOCABULARY)));
    }
}

/// The simulated instance's address (`http://127.0.0.1:PORT`) and the stable one stored instead.
struct Origin {
    sim_base: String,
    base: String,
}

impl Origin {
    fn url(&self, url: &str) -> String {
        match url.strip_prefix(&self.sim_base) {
            Some(path) => format!("{}{path}", self.base),
            None => url.to_owned(),
        }
    }
}

fn images(list: &[(u32, String)]) -> Vec<ImageRef> {
    list.iter()
        .map(|(width, path)| ImageRef {
            path: Some(path.clone()),
            url: None,
            width: Some(i64::from(*width)),
        })
        .collect()
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn account_record(account: &SimAccount, origin: &Origin) -> AccountRecord {
    AccountRecord {
        remote_id: Some(count(account.id)),
        name: account.name.clone(),
        display_name: account.display_name.clone(),
        description: account.description.clone(),
        url: origin.url(&account.url),
        avatars: images(&account.avatars),
        followers_count: count(account.followers),
        remote_created_at: Some(account.created_at),
    }
}

fn channel_record(channel: &SimChannel, origin: &Origin) -> ChannelRecord {
    ChannelRecord {
        remote_id: Some(count(channel.id)),
        name: channel.name.clone(),
        display_name: channel.display_name.clone(),
        url: origin.url(&channel.url),
        avatars: images(&channel.avatars),
        account_name: Some(channel.account.name.clone()),
        details: Some(ChannelDetails {
            description: channel.description.clone(),
            support: channel.support.clone(),
            banners: channel
                .banner
                .iter()
                .map(|path| ImageRef {
                    path: Some(path.clone()),
                    url: None,
                    width: Some(1920),
                })
                .collect(),
            followers_count: count(channel.followers),
            videos_count: None,
            remote_created_at: Some(channel.created_at),
            remote_updated_at: Some(channel.updated_at),
        }),
    }
}

fn video_record(video: &SimVideo, origin: &Origin) -> VideoRecord {
    VideoRecord {
        remote_id: Some(count(video.id)),
        uuid: video.uuid.clone(),
        short_uuid: Some(video.short_uuid.clone()),
        url: origin.url(&video.url),
        name: video.name.clone(),
        truncated_description: Some(video.truncated_description()),
        category_id: video.category.map(i64::from),
        category_label: video
            .category
            .map(|id| peertube_sim::category_label(Some(id)).to_owned()),
        licence_id: video.licence.map(i64::from),
        licence_label: video
            .licence
            .map(|id| peertube_sim::licence_label(Some(id)).to_owned()),
        language_id: video.language.clone(),
        language_label: video
            .language
            .as_deref()
            .map(|code| peertube_sim::language_label(Some(code))),
        privacy_id: 1,
        nsfw: video.nsfw,
        is_live: video.is_live,
        duration: count(video.duration),
        aspect_ratio: Some(video.aspect_ratio),
        views: count(video.views),
        likes: count(video.likes),
        dislikes: count(video.dislikes),
        comments: count(video.comments),
        thumbnail_path: Some(video.thumbnail_path.clone()),
        preview_path: Some(video.preview_path.clone()),
        embed_path: Some(video.embed_path.clone()),
        published_at: video.published_at,
        originally_published_at: video.originally_published_at,
        remote_created_at: Some(video.created_at),
        remote_updated_at: Some(video.updated_at),
        account_name: Some(video.account().name.clone()),
        channel_name: Some(video.channel.name.clone()),
        details: Some(VideoDetails {
            description: Some(video.description.clone()),
            support: video.support.clone(),
            tags: video.tags.clone(),
        }),
        ..VideoRecord::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proper_nouns_are_distinct_capitalised_words() {
        let words: std::collections::HashSet<String> = (0..5_000).map(proper_noun).collect();
        assert_eq!(words.len(), 5_000);
        assert!(
            words
                .iter()
                .all(|w| w.chars().next().unwrap().is_uppercase())
        );
    }
}
