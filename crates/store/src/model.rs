//! Domain types as stored: instances, videos, users and their vocabularies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// Declares an enum stored as lower-case text, with its conversions.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = StoreError;

            fn from_str(text: &str) -> Result<Self, StoreError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(StoreError::Invalid {
                        field: stringify!($name),
                        message: format!(
                            "{other:?} is not one of {}",
                            [$($text),+].join(", ")
                        ),
                    }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = StoreError;

            fn try_from(text: String) -> Result<Self, StoreError> {
                text.parse()
            }
        }
    };
}

text_enum! {
    /// Where an instance stands with Florilège. Only approved instances are crawled.
    InstanceStatus {
        Pending = "pending",
        Approved = "approved",
        Paused = "paused",
        Rejected = "rejected",
        Blocked = "blocked",
        Dead = "dead",
    }
}

text_enum! {
    /// How an instance came to be known.
    InstanceOrigin {
        Cli = "cli",
        Import = "import",
        Submission = "submission",
        Following = "following",
        Demo = "demo",
    }
}

text_enum! {
    /// What a back-office user may do.
    Role {
        Admin = "admin",
        Editor = "editor",
    }
}

text_enum! {
    /// The editorial workflow of a selection.
    SelectionStatus {
        Draft = "draft",
        Review = "review",
        Published = "published",
        Archived = "archived",
    }
}

text_enum! {
    /// Which pass a crawl run is.
    CrawlRunKind {
        Identity = "identity",
        Incremental = "incremental",
        Sweep = "sweep",
        Details = "details",
        Channels = "channels",
    }
}

text_enum! {
    /// How a crawl run ended (or that it is still running).
    CrawlRunStatus {
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Interrupted = "interrupted",
    }
}

text_enum! {
    /// What a moderation block applies to.
    BlockKind {
        Instance = "instance",
        Account = "account",
        Channel = "channel",
        Video = "video",
    }
}

text_enum! {
    /// Where an instance submission stands.
    SubmissionStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
}

text_enum! {
    /// What a removal request is about.
    RemovalTargetKind {
        Video = "video",
        Channel = "channel",
        Instance = "instance",
    }
}

text_enum! {
    /// Where a removal request stands.
    RemovalStatus {
        Open = "open",
        Accepted = "accepted",
        Refused = "refused",
    }
}

text_enum! {
    /// How the public site shows videos marked sensitive (NSFW).
    NsfwPolicy {
        Hide = "hide",
        Blur = "blur",
        Show = "show",
    }
}

text_enum! {
    /// The `nsfw` value assumed when a search-API request gives none (PeerTube's `true|false|both`).
    NsfwApiDefault {
        True = "true",
        False = "false",
        Both = "both",
    }
}

/// A list stored as a JSON array in a TEXT column (tags, languages, avatars).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonList<T>(pub Vec<T>);

/// Tags, languages.
pub type StringList = JsonList<String>;
/// Avatars, banners.
pub type ImageList = JsonList<ImageRef>;

impl<T> Default for JsonList<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T: Serialize> JsonList<T> {
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".into())
    }
}

impl<T: serde::de::DeserializeOwned> TryFrom<String> for JsonList<T> {
    type Error = StoreError;

    fn try_from(json: String) -> Result<Self, StoreError> {
        serde_json::from_str(&json).map_err(|error| StoreError::Corrupt {
            column: "JSON list",
            message: error.to_string(),
        })
    }
}

impl<T> std::ops::Deref for JsonList<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> From<Vec<T>> for JsonList<T> {
    fn from(items: Vec<T>) -> Self {
        Self(items)
    }
}

/// A PeerTube instance known to Florilège.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Instance {
    pub id: i64,
    pub host: String,
    pub base_url: String,
    #[sqlx(try_from = "String")]
    pub status: InstanceStatus,
    #[sqlx(try_from = "String")]
    pub origin: InstanceOrigin,
    /// The instance whose followings revealed this one.
    pub discovered_from: Option<i64>,
    pub software: Option<String>,
    pub version: Option<String>,
    pub name: Option<String>,
    pub short_description: Option<String>,
    pub description: Option<String>,
    #[sqlx(try_from = "String")]
    pub languages: StringList,
    pub is_nsfw: bool,
    pub nsfw_policy: Option<String>,
    pub signup_allowed: Option<bool>,
    pub total_users: Option<i64>,
    pub total_local_videos: Option<i64>,
    pub health_score: i64,
    pub consecutive_failures: i64,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub next_crawl_at: Option<DateTime<Utc>>,
    pub last_full_sweep_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Instance {
    /// The columns of [`Instance`], for `SELECT` lists.
    pub(crate) const COLUMNS: &'static str = "id, host, base_url, status, origin, discovered_from, software, \
        version, name, short_description, description, languages, is_nsfw, nsfw_policy, \
        signup_allowed, total_users, total_local_videos, health_score, consecutive_failures, \
        last_error, last_error_at, last_success_at, next_crawl_at, last_full_sweep_at, \
        created_at, updated_at";

    /// The name to show: the instance's own name, or its host.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or(&self.host)
    }
}

/// A video as stored, with the fields the search-index contract needs.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Video {
    pub id: i64,
    pub instance_id: i64,
    pub account_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub remote_id: Option<i64>,
    pub uuid: String,
    pub short_uuid: Option<String>,
    pub url: String,
    pub name: String,
    pub truncated_description: Option<String>,
    pub description: Option<String>,
    pub support: Option<String>,
    #[sqlx(try_from = "String")]
    pub tags: StringList,
    pub category_id: Option<i64>,
    pub category_label: Option<String>,
    pub licence_id: Option<i64>,
    pub licence_label: Option<String>,
    pub language_id: Option<String>,
    pub language_label: Option<String>,
    pub privacy_id: i64,
    pub nsfw: bool,
    pub nsfw_flags: i64,
    pub nsfw_summary: Option<String>,
    pub is_live: bool,
    pub duration: i64,
    pub aspect_ratio: Option<f64>,
    pub views: i64,
    pub likes: i64,
    pub dislikes: i64,
    pub comments: i64,
    pub thumbnail_path: Option<String>,
    pub preview_path: Option<String>,
    pub embed_path: Option<String>,
    pub published_at: DateTime<Utc>,
    pub originally_published_at: Option<DateTime<Utc>>,
    pub remote_created_at: Option<DateTime<Utc>>,
    pub remote_updated_at: Option<DateTime<Utc>>,
    pub details_fetched_at: Option<DateTime<Utc>>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl Video {
    pub(crate) const COLUMNS: &'static str = "id, instance_id, account_id, channel_id, \
        remote_id, uuid, short_uuid, url, name, truncated_description, description, support, \
        tags, category_id, category_label, licence_id, licence_label, language_id, \
        language_label, privacy_id, nsfw, nsfw_flags, nsfw_summary, is_live, duration, \
        aspect_ratio, views, likes, dislikes, comments, thumbnail_path, preview_path, \
        embed_path, published_at, originally_published_at, remote_created_at, \
        remote_updated_at, details_fetched_at, first_seen_at, last_seen_at, deleted_at, \
        updated_at";
}

/// An image (avatar, banner) of a remote actor, as its instance describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    /// Path on the origin instance (`/lazy-static/avatars/….png`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Absolute URL, when the instance gives one (`fileUrl`, 7.1+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
}

/// A PeerTube account (the owner of channels).
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    pub instance_id: i64,
    pub remote_id: Option<i64>,
    pub name: String,
    pub host: String,
    pub display_name: String,
    pub description: Option<String>,
    pub url: String,
    #[sqlx(try_from = "String")]
    pub avatars: ImageList,
    pub followers_count: i64,
    pub remote_created_at: Option<DateTime<Utc>>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Account {
    pub(crate) const COLUMNS: &'static str = "id, instance_id, remote_id, name, host, \
        display_name, description, url, avatars, followers_count, remote_created_at, \
        first_seen_at, last_seen_at, deleted_at";
}

/// A PeerTube video channel.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Channel {
    pub id: i64,
    pub instance_id: i64,
    pub account_id: Option<i64>,
    pub remote_id: Option<i64>,
    pub name: String,
    pub host: String,
    pub display_name: String,
    pub description: Option<String>,
    pub support: Option<String>,
    pub url: String,
    #[sqlx(try_from = "String")]
    pub avatars: ImageList,
    #[sqlx(try_from = "String")]
    pub banners: ImageList,
    pub followers_count: i64,
    pub videos_count: Option<i64>,
    pub remote_created_at: Option<DateTime<Utc>>,
    pub remote_updated_at: Option<DateTime<Utc>>,
    pub details_fetched_at: Option<DateTime<Utc>>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Channel {
    pub(crate) const COLUMNS: &'static str = "id, instance_id, account_id, remote_id, name, \
        host, display_name, description, support, url, avatars, banners, followers_count, \
        videos_count, remote_created_at, remote_updated_at, details_fetched_at, \
        first_seen_at, last_seen_at, deleted_at";
}

/// A back-office user (never carries the password hash).
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub disabled: bool,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl User {
    pub(crate) const COLUMNS: &'static str = "id, username, display_name, role, disabled, \
        must_change_password, created_at, last_sign_in_at";
}

/// Now, rounded to the microsecond so that values survive both backends unchanged.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_enums_round_trip_and_name_the_choices() {
        for status in InstanceStatus::ALL {
            assert_eq!(status.as_str().parse::<InstanceStatus>().unwrap(), *status);
        }
        let error = "zombie".parse::<InstanceStatus>().unwrap_err().to_string();
        assert!(error.contains("pending, approved"), "{error}");
    }

    #[test]
    fn string_lists_reject_corrupt_json() {
        assert_eq!(
            StringList::try_from(r#"["a","b"]"#.to_owned())
                .unwrap()
                .len(),
            2
        );
        assert!(StringList::try_from("{".to_owned()).is_err());
    }
}
