//! Video models: the list item (`Video`), the details (`VideoDetails`) and NSFW flags.

use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use url::Url;
use uuid::Uuid;

use crate::account::Account;
use crate::channel::VideoChannel;
use crate::common::{Thumbnail, VideoConstant, absolute_http_url, resolve_path, same_host};
use crate::lenient::{lenient, lenient_object, lenient_vec};

/// A video as listed by `/api/v1/videos` and friends. Only `uuid` and `name`
/// are required; everything else is defaulted when missing, null or ill-typed.
///
/// Strings are kept as sent (they may hold HTML or scripts: escape on output).
/// In lists, `description` is truncated by the server; see [`VideoDetails`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Video {
    /// Id local to the answering instance.
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<u64>,
    /// Universal identifier, shared by all instances.
    pub uuid: Uuid,
    /// Short form of the UUID used in `/w/{shortUUID}` links (3.x+).
    #[serde(rename = "shortUUID", default, deserialize_with = "lenient")]
    pub short_uuid: Option<String>,
    /// Canonical URL, on the video's own host.
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
    /// Title.
    pub name: String,
    /// Category (numeric id, null when unset).
    #[serde(default, deserialize_with = "lenient_object")]
    pub category: Option<VideoConstant<u32>>,
    /// Licence (numeric id, null when unset).
    #[serde(default, deserialize_with = "lenient_object")]
    pub licence: Option<VideoConstant<u32>>,
    /// Language (string id such as `fr`, null when unset).
    #[serde(default, deserialize_with = "lenient_object")]
    pub language: Option<VideoConstant<String>>,
    /// Privacy (1 public, 2 unlisted, 3 private, 4 internal, 5 password).
    #[serde(default, deserialize_with = "lenient_object")]
    pub privacy: Option<VideoConstant<u32>>,
    /// Whether the video is marked sensitive.
    #[serde(default, deserialize_with = "lenient")]
    pub nsfw: Option<bool>,
    /// Why it is sensitive, as bits (7.x+); see [`NsfwFlags`].
    #[serde(default, deserialize_with = "lenient")]
    pub nsfw_flags: Option<NsfwFlags>,
    /// Free-text summary of the sensitive content (7.x+).
    #[serde(default, deserialize_with = "lenient")]
    pub nsfw_summary: Option<String>,
    /// Description cut at 250 characters by the server.
    #[serde(default, deserialize_with = "lenient")]
    pub truncated_description: Option<String>,
    /// Description: truncated in lists, full in details (Markdown, untrusted).
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    /// Whether the video lives on the answering instance.
    #[serde(default, deserialize_with = "lenient")]
    pub is_local: Option<bool>,
    /// Duration in seconds.
    #[serde(default, deserialize_with = "lenient")]
    pub duration: Option<u64>,
    /// Width / height of the video.
    #[serde(default, deserialize_with = "lenient")]
    pub aspect_ratio: Option<f64>,
    /// View count.
    #[serde(default, deserialize_with = "lenient")]
    pub views: u64,
    /// Current viewers (lives).
    #[serde(default, deserialize_with = "lenient")]
    pub viewers: u64,
    /// Likes.
    #[serde(default, deserialize_with = "lenient")]
    pub likes: u64,
    /// Dislikes.
    #[serde(default, deserialize_with = "lenient")]
    pub dislikes: u64,
    /// Comment count (recent versions only).
    #[serde(default, deserialize_with = "lenient")]
    pub comments: Option<u64>,
    /// Thumbnail path on the instance (deprecated in 8.1).
    #[serde(default, deserialize_with = "lenient")]
    pub thumbnail_path: Option<String>,
    /// Absolute thumbnail URL (search results, recent versions).
    #[serde(default, deserialize_with = "lenient")]
    pub thumbnail_url: Option<String>,
    /// Preview (large image) path on the instance (deprecated in 8.1).
    #[serde(default, deserialize_with = "lenient")]
    pub preview_path: Option<String>,
    /// Absolute preview URL (search results, recent versions).
    #[serde(default, deserialize_with = "lenient")]
    pub preview_url: Option<String>,
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
    /// Last update time: refetch the details when it changes.
    #[serde(default, deserialize_with = "lenient")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Publication time.
    #[serde(default, deserialize_with = "lenient")]
    pub published_at: Option<DateTime<Utc>>,
    /// Original publication date set by the uploader.
    #[serde(default, deserialize_with = "lenient")]
    pub originally_published_at: Option<DateTime<Utc>>,
    /// Whether it is a live stream.
    #[serde(default, deserialize_with = "lenient")]
    pub is_live: Option<bool>,
    /// Owner account (summary in lists, full in details).
    #[serde(default, deserialize_with = "lenient_object")]
    pub account: Option<Account>,
    /// Channel (summary in lists, full in details).
    #[serde(default, deserialize_with = "lenient_object")]
    pub channel: Option<VideoChannel>,
}

impl Video {
    /// Host the video lives on, from its account, else its channel.
    pub fn host(&self) -> Option<&str> {
        self.account
            .as_ref()
            .and_then(|a| a.host.as_deref())
            .or_else(|| self.channel.as_ref().and_then(|c| c.host.as_deref()))
    }

    /// Whether the video belongs to `instance_host` (`host[:port]`).
    ///
    /// Instances older than 4.0 ignore `isLocal=true` in the query, so this
    /// checks both the `isLocal` field and the account/channel host.
    pub fn is_local_to(&self, instance_host: &str) -> bool {
        local_to(self.is_local, self.host(), instance_host)
    }

    /// The watch page: `url` when it is on `base`'s origin, else
    /// `{base}/videos/watch/{uuid}`. Never leaves `base`'s origin.
    pub fn absolute_url(&self, base: &Url) -> Url {
        self.url
            .as_deref()
            .and_then(absolute_http_url)
            .filter(|url| url.origin() == base.origin())
            .unwrap_or_else(|| path_on(base, &["videos", "watch", &self.uuid.to_string()]))
    }

    /// The embed page: `embedPath` resolved on `base`, else `{base}/videos/embed/{uuid}`.
    pub fn embed_absolute_url(&self, base: &Url) -> Url {
        self.embed_path
            .as_deref()
            .and_then(|p| resolve_path(base, p))
            .unwrap_or_else(|| path_on(base, &["videos", "embed", &self.uuid.to_string()]))
    }

    /// The best thumbnail: the widest of `thumbnails[]` (8.1+), else
    /// `thumbnailUrl`, else `thumbnailPath` on `base`. File URLs may be on
    /// another host (object storage); paths must stay on `base`'s origin.
    pub fn thumbnail_absolute_url(&self, base: &Url) -> Option<Url> {
        let mut thumbnails: Vec<&Thumbnail> = self.thumbnails.iter().collect();
        thumbnails.sort_by_key(|t| std::cmp::Reverse(t.width.unwrap_or(0)));
        thumbnails
            .into_iter()
            .find_map(|t| absolute_http_url(&t.file_url))
            .or_else(|| self.thumbnail_url.as_deref().and_then(absolute_http_url))
            .or_else(|| {
                self.thumbnail_path
                    .as_deref()
                    .and_then(|p| resolve_path(base, p))
            })
    }

    /// The large preview image: `previewUrl`, else `previewPath` on `base`,
    /// else the best thumbnail.
    pub fn preview_absolute_url(&self, base: &Url) -> Option<Url> {
        self.preview_url
            .as_deref()
            .and_then(absolute_http_url)
            .or_else(|| {
                self.preview_path
                    .as_deref()
                    .and_then(|p| resolve_path(base, p))
            })
            .or_else(|| self.thumbnail_absolute_url(base))
    }

    /// The description, else the truncated one.
    pub fn any_description(&self) -> Option<&str> {
        self.description
            .as_deref()
            .or(self.truncated_description.as_deref())
    }

    /// Whether the video is sensitive: the `nsfw` flag or any NSFW bit.
    pub fn is_nsfw(&self) -> bool {
        self.nsfw == Some(true) || self.nsfw_flags.is_some_and(|f| f.bits() != 0)
    }
}

/// `isLocal` unless it is missing; the owner's host decides when there is one.
fn local_to(is_local: Option<bool>, owner_host: Option<&str>, instance_host: &str) -> bool {
    if is_local == Some(false) {
        return false;
    }
    match owner_host {
        Some(host) => same_host(host, instance_host),
        None => is_local == Some(true),
    }
}

fn path_on(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.clear().extend(segments);
    }
    url
}

/// A video as answered by `/api/v1/videos/{id}`: the list fields with the
/// full description, plus tags and support text. Files are not decoded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoDetails {
    /// The list fields; `description` is the full one here.
    #[serde(flatten)]
    pub video: Video,
    /// Tags (at most 5 on PeerTube).
    pub tags: Vec<String>,
    /// Support text (Markdown, untrusted).
    pub support: Option<String>,
    /// Path of the legacy full-description endpoint.
    pub description_path: Option<String>,
    /// State (1 published, 2 to transcode, ...).
    pub state: Option<VideoConstant<u32>>,
    /// Whether comments are enabled (deprecated by `commentsPolicy` in 6.2).
    pub comments_enabled: Option<bool>,
    /// Comment policy (6.2+).
    pub comments_policy: Option<VideoConstant<u32>>,
    /// Whether downloads are enabled.
    pub download_enabled: Option<bool>,
}

/// The keys details add to a list item.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DetailsFields {
    #[serde(default, deserialize_with = "lenient_vec")]
    tags: Vec<String>,
    #[serde(default, deserialize_with = "lenient")]
    support: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    description_path: Option<String>,
    #[serde(default, deserialize_with = "lenient_object")]
    state: Option<VideoConstant<u32>>,
    #[serde(default, deserialize_with = "lenient")]
    comments_enabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient_object")]
    comments_policy: Option<VideoConstant<u32>>,
    #[serde(default, deserialize_with = "lenient")]
    download_enabled: Option<bool>,
}

/// Reads the object's text twice, as a [`Video`] and as its [`DetailsFields`]:
/// each pass skips the other's keys (and the files) without buffering them.
impl<'de> Deserialize<'de> for VideoDetails {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = <&RawValue>::deserialize(deserializer)?;
        let video = Video::deserialize(object).map_err(D::Error::custom)?;
        let fields = DetailsFields::deserialize(object).map_err(D::Error::custom)?;
        Ok(Self {
            video,
            tags: fields.tags,
            support: fields.support,
            description_path: fields.description_path,
            state: fields.state,
            comments_enabled: fields.comments_enabled,
            comments_policy: fields.comments_policy,
            download_enabled: fields.download_enabled,
        })
    }
}

/// What `/api/v1/videos/{id}` adds to a list item (the full description,
/// tags and support), with what tells whether the video is local. Reading
/// the answer as this skips the rest of it (the files, the channel and its
/// owner, ...): for a crawler that already holds the list item.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoExtras {
    /// Full description (Markdown, untrusted).
    #[serde(default, deserialize_with = "lenient")]
    pub description: Option<String>,
    /// Tags (at most 5 on PeerTube).
    #[serde(default, deserialize_with = "lenient_vec")]
    pub tags: Vec<String>,
    /// Support text (Markdown, untrusted).
    #[serde(default, deserialize_with = "lenient")]
    pub support: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    is_local: Option<bool>,
    #[serde(default, deserialize_with = "lenient_object")]
    account: Option<Owner>,
    #[serde(default, deserialize_with = "lenient_object")]
    channel: Option<Owner>,
}

/// Only the host of a video's account or channel.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
struct Owner {
    #[serde(default, deserialize_with = "lenient")]
    host: Option<String>,
}

impl VideoExtras {
    /// Whether the video belongs to `instance_host`, as [`Video::is_local_to`] says.
    pub fn is_local_to(&self, instance_host: &str) -> bool {
        let owner_host = [&self.account, &self.channel]
            .into_iter()
            .find_map(|owner| owner.as_ref()?.host.as_deref());
        local_to(self.is_local, owner_host, instance_host)
    }
}

impl From<&VideoDetails> for VideoExtras {
    fn from(details: &VideoDetails) -> Self {
        let video = &details.video;
        Self {
            description: video.description.clone(),
            tags: details.tags.clone(),
            support: details.support.clone(),
            is_local: video.is_local,
            account: video.account.as_ref().map(|a| Owner {
                host: a.host.clone(),
            }),
            channel: video.channel.as_ref().map(|c| Owner {
                host: c.host.clone(),
            }),
        }
    }
}

impl std::ops::Deref for VideoDetails {
    type Target = Video;

    fn deref(&self) -> &Video {
        &self.video
    }
}

/// NSFW reasons as a bit field (PeerTube 7.x+): 1 violent, 2 explicit sex.
/// Unknown bits are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NsfwFlags(pub u32);

impl NsfwFlags {
    /// Violent content.
    pub const VIOLENT: u32 = 1;
    /// Explicit sexual content.
    pub const EXPLICIT_SEX: u32 = 2;

    /// The raw bits.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// Whether the violent bit is set.
    pub fn violent(self) -> bool {
        self.0 & Self::VIOLENT != 0
    }

    /// Whether the explicit-sex bit is set.
    pub fn explicit_sex(self) -> bool {
        self.0 & Self::EXPLICIT_SEX != 0
    }

    /// Names of the known bits that are set, in PeerTube's spelling (`violent`, `explicitSex`).
    pub fn names(self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.violent() {
            names.push("violent");
        }
        if self.explicit_sex() {
            names.push("explicitSex");
        }
        names
    }
}

#[cfg(test)]
#[path = "video_tests.rs"]
mod tests;
