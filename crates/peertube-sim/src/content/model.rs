//! The public, typed ground truth: generated videos, channels, accounts and playlists.

use chrono::{DateTime, Utc};

use super::text;

/// A generated account (the owner of channels).
#[derive(Debug, Clone, PartialEq)]
pub struct SimAccount {
    pub index: u64,
    pub id: u64,
    pub user_id: u64,
    /// The actor name (handle without host).
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub host: String,
    pub url: String,
    pub followers: u64,
    /// Avatar paths by width (empty when the account has no avatar).
    pub avatars: Vec<(u32, String)>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A generated channel.
#[derive(Debug, Clone, PartialEq)]
pub struct SimChannel {
    pub index: u64,
    pub id: u64,
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub support: Option<String>,
    pub host: String,
    pub url: String,
    pub followers: u64,
    pub avatars: Vec<(u32, String)>,
    pub banner: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub account: SimAccount,
}

/// A generated video with everything the details endpoint shows.
#[derive(Debug, Clone, PartialEq)]
pub struct SimVideo {
    pub instance: usize,
    /// Position in the instance's publication order (0 is the oldest).
    pub index: u64,
    pub id: u64,
    pub uuid: String,
    pub short_uuid: String,
    pub host: String,
    /// `http://HOST/videos/watch/UUID`, as PeerTube sends it.
    pub url: String,
    pub name: String,
    /// The full Markdown description (lists carry [`SimVideo::truncated_description`]).
    pub description: String,
    pub tags: Vec<String>,
    pub support: Option<String>,
    pub category: Option<u32>,
    pub licence: Option<u32>,
    /// PeerTube language code.
    pub language: Option<String>,
    pub nsfw: bool,
    pub is_live: bool,
    pub duration: u64,
    pub aspect_ratio: f64,
    pub views: u64,
    pub likes: u64,
    pub dislikes: u64,
    pub comments: u64,
    pub published_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub originally_published_at: Option<DateTime<Utc>>,
    pub thumbnail_path: String,
    pub preview_path: String,
    pub embed_path: String,
    pub channel: SimChannel,
}

impl SimVideo {
    /// The 250-character description that list endpoints carry.
    pub fn truncated_description(&self) -> String {
        text::peertube_truncate(&self.description)
    }

    /// The account that owns the video's channel.
    pub fn account(&self) -> &SimAccount {
        &self.channel.account
    }
}

/// A generated playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct SimPlaylist {
    pub index: u64,
    pub id: u64,
    pub uuid: String,
    pub short_uuid: String,
    pub display_name: String,
    pub description: Option<String>,
    pub url: String,
    pub thumbnail_path: String,
    pub videos_length: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub channel: SimChannel,
}
