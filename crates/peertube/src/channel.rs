//! The video channel model, full (`/video-channels/{handle}`) or summary (in videos and playlists).

use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::account::{Account, display_or_name, handle};
use crate::common::ActorImage;
use crate::lenient::{LegacyImages, lenient, lenient_object, lenient_vec};

/// A PeerTube video channel. The summary embedded in videos and playlists only
/// has `id`, `name`, `displayName`, `url`, `host` and `avatars`; the other
/// fields are then `None` or empty. Only `name` is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct VideoChannel {
    /// Id local to the answering instance.
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<u64>,
    /// The immutable channel name (without host).
    pub name: String,
    /// The display name.
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: Option<String>,
    /// Canonical ActivityPub URL, on the channel's own host.
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
    /// Host the channel lives on (`host` or `host:port`).
    #[serde(default, deserialize_with = "lenient")]
    pub host: Option<String>,
    /// Avatars; a pre-6.0 single `avatar` is normalised into this list.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub avatars: Vec<ActorImage>,
    /// Banners; a legacy single `banner` is normalised into this list.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub banners: Vec<ActorImage>,
    /// Description (Markdown, untrusted).
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    /// Support text (Markdown, untrusted).
    #[serde(default, deserialize_with = "lenient")]
    pub support: Option<String>,
    /// Whether the channel lives on the answering instance.
    #[serde(default, deserialize_with = "lenient")]
    pub is_local: Option<bool>,
    /// Followers, as seen by the answering instance.
    #[serde(default, deserialize_with = "lenient")]
    pub followers_count: Option<u64>,
    /// Followed actors, as seen by the answering instance.
    #[serde(default, deserialize_with = "lenient")]
    pub following_count: Option<u64>,
    /// Number of videos, sent by some endpoints of recent versions.
    #[serde(default, deserialize_with = "lenient")]
    pub videos_count: Option<u64>,
    /// The owner account (full channel objects only).
    #[serde(default, deserialize_with = "lenient_object")]
    pub owner_account: Option<Account>,
    /// Creation time.
    #[serde(default, deserialize_with = "lenient")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last update time.
    #[serde(default, deserialize_with = "lenient")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// The derive reads every field; an empty image list is then filled from
/// the legacy single image, if the same text has one.
impl<'de> Deserialize<'de> for VideoChannel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = <&RawValue>::deserialize(deserializer)?;
        let mut channel = VideoChannel::deserialize(object).map_err(D::Error::custom)?;
        if channel.avatars.is_empty() || channel.banners.is_empty() {
            let legacy = LegacyImages::of(object);
            if channel.avatars.is_empty() {
                channel.avatars.extend(legacy.avatar);
            }
            if channel.banners.is_empty() {
                channel.banners.extend(legacy.banner);
            }
        }
        Ok(channel)
    }
}

impl Serialize for VideoChannel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        VideoChannel::serialize(self, serializer)
    }
}

impl VideoChannel {
    /// `name@host`, or `name` when the host is unknown (the form the API takes as `{handle}`).
    pub fn handle(&self) -> String {
        handle(&self.name, self.host.as_deref())
    }

    /// The display name, or the name when it is missing or blank.
    pub fn display_name_or_name(&self) -> &str {
        display_or_name(self.display_name.as_deref(), &self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::decode_page;

    #[test]
    fn decodes_the_6_3_fixture() {
        let channel: VideoChannel =
            serde_json::from_str(include_str!("../tests/fixtures/6.3.0/video-channel.json"))
                .unwrap();
        assert_eq!(channel.name, "cuisine_fr");
        assert_eq!(channel.handle(), "cuisine_fr@localhost:9001");
        assert_eq!(channel.display_name_or_name(), "Cuisine Française");
        assert_eq!(
            channel.support.as_deref(),
            Some("Soutenez la chaîne sur Liberapay")
        );
        assert_eq!(channel.is_local, Some(true));
        assert_eq!(channel.followers_count, Some(0));
        let owner = channel.owner_account.unwrap();
        assert_eq!(owner.name, "alice");
        assert_eq!(owner.host.as_deref(), Some("localhost:9001"));
    }

    #[test]
    fn decodes_the_channel_list_and_search_fixtures() {
        for (bytes, expected) in [
            (
                &include_bytes!("../tests/fixtures/6.3.0/video-channels-list.json")[..],
                3,
            ),
            (
                &include_bytes!("../tests/fixtures/6.3.0/search-video-channels.json")[..],
                1,
            ),
        ] {
            let page = decode_page::<VideoChannel>(bytes).unwrap();
            assert_eq!(page.items.len(), expected);
            assert!(page.skipped.is_empty());
        }
        let list = decode_page::<VideoChannel>(include_bytes!(
            "../tests/fixtures/6.3.0/video-channels-list.json"
        ))
        .unwrap();
        assert_eq!(list.total, Some(6));
        assert_eq!(list.items[0].name, "musique_libre");
        assert_eq!(list.items[0].support, None);
    }

    #[test]
    fn pre_4_2_channel_with_single_avatar_and_banner() {
        let channel: VideoChannel = serde_json::from_str(
            r#"{"id": 7, "name": "old_channel", "displayName": "Old", "host": "old.example",
                "avatar": {"path": "/static/avatars/c.jpg", "createdAt": "2020-05-01T10:00:00.000Z",
                           "updatedAt": "2020-05-01T10:00:00.000Z"},
                "banner": null, "isLocal": true, "ownerAccount": {"name": "owner",
                "avatar": null}}"#,
        )
        .unwrap();
        assert_eq!(channel.avatars.len(), 1);
        assert!(channel.banners.is_empty());
        assert_eq!(channel.owner_account.unwrap().name, "owner");
    }

    #[test]
    fn peertube_7_1_images_carry_file_urls() {
        let channel: VideoChannel = serde_json::from_str(
            r#"{"name": "new_channel", "host": "new.example",
                "avatars": [{"width": 48, "height": 48, "path": "/lazy-static/avatars/a-48.webp",
                             "fileUrl": "https://new.example/lazy-static/avatars/a-48.webp",
                             "createdAt": "2025-03-01T10:00:00.000Z", "updatedAt": "2025-03-01T10:00:00.000Z"}],
                "banners": [{"width": 1920, "height": 317,
                             "fileUrl": "https://s3.example/banners/b.webp"}]}"#,
        )
        .unwrap();
        let base = url::Url::parse("https://new.example").unwrap();
        assert_eq!(
            channel.banners[0].absolute_url(&base).unwrap().as_str(),
            "https://s3.example/banners/b.webp"
        );
        assert_eq!(channel.avatars[0].height, Some(48));
    }

    #[test]
    fn a_bad_owner_account_is_dropped_not_fatal() {
        let channel: VideoChannel =
            serde_json::from_str(r#"{"name": "c", "ownerAccount": {"displayName": 3}}"#).unwrap();
        assert_eq!(channel.owner_account, None);
    }
}
