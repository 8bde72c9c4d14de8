//! What searches return: hits with the stored summaries that answers are built from, totals, facets, snippets.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use store::ImageRef;

/// A value and its human label (PeerTube's `{id, label}` constants).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labeled<T> {
    pub id: T,
    pub label: String,
}

/// The instance a video or playlist comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceInfo {
    pub host: String,
    /// `https://host`, without a trailing slash: the base of every path below.
    pub base_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An account or channel, as a result shows its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorInfo {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    /// Absolute URL on the origin instance.
    pub url: String,
    pub host: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub avatars: Vec<ImageRef>,
}

impl ActorInfo {
    /// `name@host`.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.name, self.host)
    }
}

/// Everything a search answer shows of a video (stored in the index).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VideoSummary {
    pub id: i64,
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_uuid: Option<String>,
    /// Absolute URL of the watch page at its origin.
    pub url: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Labeled<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<Labeled<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Labeled<String>>,
    pub privacy_id: i64,
    pub nsfw: bool,
    #[serde(default)]
    pub nsfw_flags: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nsfw_summary: Option<String>,
    pub is_live: bool,
    pub duration: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<f64>,
    pub views: i64,
    pub likes: i64,
    pub dislikes: i64,
    pub comments: i64,
    /// Paths on the origin instance (see [`InstanceInfo::base_url`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embed_path: Option<String>,
    pub published_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originally_published_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    pub instance: InstanceInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ActorInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<ActorInfo>,
    /// In at least one published selection.
    #[serde(default)]
    pub curated: bool,
}

impl VideoSummary {
    /// An absolute URL for a path on the video's origin instance.
    pub fn origin_url(&self, path: &str) -> String {
        absolute(&self.instance.base_url, path)
    }
}

/// Everything a search answer shows of a channel (stored in the index).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelSummary {
    pub id: i64,
    pub name: String,
    pub host: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support: Option<String>,
    /// Absolute URL on the origin instance.
    pub url: String,
    pub instance_base_url: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub avatars: Vec<ImageRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub banners: Vec<ImageRef>,
    pub followers_count: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub videos_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<ActorInfo>,
}

impl ChannelSummary {
    /// `name@host`.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.name, self.host)
    }
}

/// Everything a search answer shows of a playlist (stored in the index).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaylistSummary {
    pub id: i64,
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_uuid: Option<String>,
    /// Absolute URL of the playlist's page at its origin.
    pub url: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// PeerTube's privacy id (1, public, for everything searchable).
    pub privacy_id: i64,
    /// PeerTube's playlist type id (1, regular, for everything searchable).
    pub playlist_type: i64,
    pub videos_length: i64,
    /// Paths on the origin instance (see [`InstanceInfo::base_url`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embed_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    pub instance: InstanceInfo,
    /// PeerTube's `videoChannel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ActorInfo>,
    /// PeerTube's `ownerAccount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<ActorInfo>,
}

impl PlaylistSummary {
    /// An absolute URL for a path on the playlist's origin instance.
    pub fn origin_url(&self, path: &str) -> String {
        absolute(&self.instance.base_url, path)
    }
}

/// Joins a base URL and a path on it; absolute paths are kept as they are.
pub fn absolute(base_url: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_owned();
    }
    let base = base_url.trim_end_matches('/');
    if path.starts_with('/') {
        format!("{base}{path}")
    } else {
        format!("{base}/{path}")
    }
}

/// Highlighted text: HTML-escaped, with the matched words in `<mark>…</mark>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Highlights {
    pub name: String,
    /// A passage of the description around the matches (or its start).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit<T> {
    /// The ranking score (0 for sorts other than `-match`).
    pub score: f32,
    #[serde(flatten)]
    pub item: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlights: Option<Highlights>,
}

/// Counts of the matching videos by facet (over all matches, not one page).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// By language code ([`crate::schema::UNKNOWN_LANGUAGE`] for none).
    pub languages: BTreeMap<String, u64>,
    /// By category id.
    pub categories: BTreeMap<i64, u64>,
    /// By duration range, in the order of [`crate::DurationRange::ALL`].
    pub durations: Vec<(crate::DurationRange, u64)>,
    /// By instance host.
    pub hosts: BTreeMap<String, u64>,
}

impl Facets {
    /// The `n` largest buckets of a facet, largest first.
    pub fn top<K: Clone + Ord>(counts: &BTreeMap<K, u64>, n: usize) -> Vec<(K, u64)> {
        let mut buckets: Vec<(K, u64)> = counts.iter().map(|(k, c)| (k.clone(), *c)).collect();
        buckets.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        buckets.truncate(n);
        buckets
    }
}

/// A page of results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchResults<T> {
    /// How many documents match in all.
    pub total: u64,
    pub hits: Vec<Hit<T>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
    /// "Did you mean": the search with its unknown words replaced, when asked and found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_absolute_on_the_origin() {
        assert_eq!(
            absolute("https://v.example/", "/lazy-static/a.jpg"),
            "https://v.example/lazy-static/a.jpg"
        );
        assert_eq!(
            absolute("https://v.example", "https://cdn.example/a.jpg"),
            "https://cdn.example/a.jpg"
        );
    }
}
