//! The video playlist model (`/video-playlists`, `/video-channels/{handle}/video-playlists`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;

use crate::account::Account;
use crate::channel::VideoChannel;
use crate::common::{Thumbnail, VideoConstant, absolute_http_url, resolve_path};
use crate::lenient::{lenient, lenient_object, lenient_vec};

/// A PeerTube playlist. Only `uuid` is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoPlaylist {
    /// Id local to the answering instance.
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<u64>,
    /// Universal identifier.
    pub uuid: Uuid,
    /// Short form of the UUID.
    #[serde(rename = "shortUUID", default, deserialize_with = "lenient")]
    pub short_uuid: Option<String>,
    /// Whether the playlist lives on the answering instance.
    #[serde(default, deserialize_with = "lenient")]
    pub is_local: Option<bool>,
    /// Canonical URL, on the playlist's own host.
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
    /// Title.
    #[serde(default, deserialize_with = "lenient")]
    pub display_name: Option<String>,
    /// Description (untrusted).
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    /// Privacy (1 public, 2 unlisted, 3 private).
    #[serde(default, deserialize_with = "lenient_object")]
    pub privacy: Option<VideoConstant<u32>>,
    /// Type (1 regular, 2 watch later).
    #[serde(rename = "type", default, deserialize_with = "lenient_object")]
    pub playlist_type: Option<VideoConstant<u32>>,
    /// Number of videos.
    #[serde(default, deserialize_with = "lenient")]
    pub videos_length: Option<u64>,
    /// Thumbnail path on the instance (deprecated in 8.1).
    #[serde(default, deserialize_with = "lenient")]
    pub thumbnail_path: Option<String>,
    /// Absolute thumbnail URL (recent versions).
    #[serde(default, deserialize_with = "lenient")]
    pub thumbnail_url: Option<String>,
    /// Thumbnails in several sizes (8.1+).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub thumbnails: Vec<Thumbnail>,
    /// Embed page path on the instance.
    #[serde(default, deserialize_with = "lenient")]
    pub embed_path: Option<String>,
    /// Absolute embed URL (search results).
    #[serde(default, deserialize_with = "lenient")]
    pub embed_url: Option<String>,
    /// Creation time.
    #[serde(default, deserialize_with = "lenient")]
    pub created_at: Option<DateTime<Utc>>,
    /// Last update time.
    #[serde(default, deserialize_with = "lenient")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Owner account (summary).
    #[serde(default, deserialize_with = "lenient_object")]
    pub owner_account: Option<Account>,
    /// Channel (summary); absent for playlists outside a channel.
    #[serde(default, deserialize_with = "lenient_object")]
    pub video_channel: Option<VideoChannel>,
    /// Position within the channel's playlists (recent versions).
    #[serde(default, deserialize_with = "lenient")]
    pub video_channel_position: Option<u64>,
}

impl VideoPlaylist {
    /// Host the playlist lives on, from its owner account, else its channel.
    pub fn host(&self) -> Option<&str> {
        self.owner_account
            .as_ref()
            .and_then(|a| a.host.as_deref())
            .or_else(|| self.video_channel.as_ref().and_then(|c| c.host.as_deref()))
    }

    /// The best thumbnail: widest of `thumbnails[]`, else `thumbnailUrl`,
    /// else `thumbnailPath` on `base` (same origin only).
    pub fn thumbnail_absolute_url(&self, base: &Url) -> Option<Url> {
        self.thumbnails
            .iter()
            .filter_map(|t| Some((t.width.unwrap_or(0), absolute_http_url(&t.file_url)?)))
            .max_by_key(|(width, _)| *width)
            .map(|(_, url)| url)
            .or_else(|| self.thumbnail_url.as_deref().and_then(absolute_http_url))
            .or_else(|| {
                self.thumbnail_path
                    .as_deref()
                    .and_then(|p| resolve_path(base, p))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::decode_page;

    #[test]
    fn decodes_the_6_3_playlist_fixtures() {
        let channel_playlists = decode_page::<VideoPlaylist>(include_bytes!(
            "../tests/fixtures/6.3.0/video-channel-playlists.json"
        ))
        .unwrap();
        assert_eq!(channel_playlists.total, Some(1));
        let playlist = &channel_playlists.items[0];
        assert_eq!(
            playlist.display_name.as_deref(),
            Some("Recettes du dimanche")
        );
        assert_eq!(playlist.privacy.as_ref().unwrap().id, Some(1));
        assert_eq!(
            playlist.playlist_type.as_ref().unwrap().label.as_deref(),
            Some("Regular")
        );
        assert_eq!(playlist.videos_length, Some(3));
        assert_eq!(playlist.host(), Some("localhost:9001"));
        assert_eq!(
            playlist.video_channel.as_ref().unwrap().handle(),
            "cuisine_fr@localhost:9001"
        );
        assert_eq!(
            playlist.embed_path.as_deref(),
            Some("/video-playlists/embed/c1f296b4-2f60-4214-a624-886404cc50ce")
        );
        let base = Url::parse("http://localhost:9001").unwrap();
        assert_eq!(
            playlist.thumbnail_absolute_url(&base).unwrap().as_str(),
            "http://localhost:9001/lazy-static/thumbnails/playlist-e67504b3-b40c-46d2-a8d4-8c96f54d1f3b.jpg"
        );

        for bytes in [
            &include_bytes!("../tests/fixtures/6.3.0/video-playlists-list.json")[..],
            &include_bytes!("../tests/fixtures/6.3.0/search-video-playlists.json")[..],
        ] {
            let page = decode_page::<VideoPlaylist>(bytes).unwrap();
            assert!(page.skipped.is_empty());
            assert!(!page.items.is_empty());
        }
    }

    #[test]
    fn peertube_8_1_playlist_thumbnails() {
        let playlist: VideoPlaylist = serde_json::from_str(
            r#"{"uuid": "81818181-8181-4181-8181-818181818182", "displayName": "P",
                "thumbnails": [{"width": 280, "fileUrl": "https://next.example/t-280.jpg"},
                               {"width": 560, "fileUrl": "https://next.example/t-560.jpg"}],
                "videoChannel": null, "ownerAccount": {"name": "o", "host": "next.example"}}"#,
        )
        .unwrap();
        let base = Url::parse("https://next.example").unwrap();
        assert_eq!(
            playlist.thumbnail_absolute_url(&base).unwrap().as_str(),
            "https://next.example/t-560.jpg"
        );
        assert_eq!(playlist.video_channel, None);
        assert_eq!(playlist.host(), Some("next.example"));
    }

    #[test]
    fn uuid_is_required() {
        assert!(serde_json::from_str::<VideoPlaylist>(r#"{"displayName": "x"}"#).is_err());
    }
}
