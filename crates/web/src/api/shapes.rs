//! The answers' JSON in PeerTube's shapes (`Video`, `VideoChannel`, …), with absolute URLs on the origin.
//!
//! A PeerTube instance using Florilège as its search index hands these
//! objects to its own front end unchanged, so every field that front end
//! reads is here with PeerTube's name and type, and every URL points at the
//! origin instance (paths are kept too, as PeerTube sends them).

use chrono::{DateTime, Utc};
use index::{ActorInfo, ChannelSummary, Labeled, PlaylistSummary, VideoSummary, absolute};
use serde::Serialize;
use store::ImageRef;

/// `{"total": N, "data": [...]}`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub total: u64,
    pub data: Vec<T>,
}

/// A constant with its label, e.g. `{"id": 1, "label": "Public"}`.
#[derive(Debug, Serialize)]
pub struct Constant<'a, T> {
    pub id: T,
    pub label: &'a str,
}

/// The label PeerTube gives a privacy id.
fn privacy_label(id: i64) -> &'static str {
    match id {
        1 => "Public",
        2 => "Unlisted",
        3 => "Private",
        4 => "Internal",
        5 => "Password protected",
        _ => "Unknown",
    }
}

/// An avatar or banner: PeerTube's `ActorImage`, plus absolute URLs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Absolute on the origin (PeerTube 7.1+ names it `fileUrl`).
    pub file_url: String,
    /// The same, under the name older front ends read.
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
}

fn images(base_url: &str, refs: &[ImageRef]) -> Vec<Image> {
    refs.iter()
        .filter_map(|image| {
            let url = match (&image.url, &image.path) {
                (Some(url), _) => url.clone(),
                (None, Some(path)) => absolute(base_url, path),
                (None, None) => return None,
            };
            Some(Image {
                path: image.path.clone(),
                file_url: url.clone(),
                url,
                width: image.width,
            })
        })
        .collect()
}

/// The base URL of an actor's instance, from its own URL (`https://host/...`).
fn actor_base_url(actor: &ActorInfo) -> String {
    url_origin(&actor.url).unwrap_or_else(|| format!("https://{}", actor.host))
}

fn url_origin(url: &str) -> Option<String> {
    let scheme_end = url.find("://")? + 3;
    let path_start = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    Some(url[..path_start].to_owned())
}

/// An account or channel summary inside a video or playlist (`AccountSummary`, `VideoChannelSummary`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorSummary<'a> {
    pub id: i64,
    pub name: &'a str,
    pub display_name: &'a str,
    pub url: &'a str,
    pub host: &'a str,
    pub avatars: Vec<Image>,
    /// The largest avatar alone, as PeerTube before 4.2 sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<Image>,
}

impl<'a> ActorSummary<'a> {
    pub fn new(actor: &'a ActorInfo) -> Self {
        let base_url = actor_base_url(actor);
        let mut avatars = images(&base_url, &actor.avatars);
        avatars.sort_by_key(|image| image.width.unwrap_or(0));
        let avatar = avatars.last().map(|largest| Image {
            path: largest.path.clone(),
            file_url: largest.file_url.clone(),
            url: largest.url.clone(),
            width: largest.width,
        });
        Self {
            id: actor.id,
            name: &actor.name,
            display_name: &actor.display_name,
            url: &actor.url,
            host: &actor.host,
            avatars,
            avatar,
        }
    }
}

/// A thumbnail of a video, as newer PeerTube versions list them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Thumbnail<'a> {
    pub path: &'a str,
    pub file_url: String,
}

/// PeerTube's `Video`, as its search answers carry it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Video<'a> {
    pub id: i64,
    pub uuid: &'a str,
    #[serde(rename = "shortUUID", skip_serializing_if = "Option::is_none")]
    pub short_uuid: Option<&'a str>,
    pub url: &'a str,
    pub name: &'a str,
    pub category: Constant<'a, Option<i64>>,
    pub licence: Constant<'a, Option<i64>>,
    pub language: Constant<'a, Option<String>>,
    pub privacy: Constant<'a, i64>,
    pub nsfw: bool,
    pub nsfw_flags: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsfw_summary: Option<&'a str>,
    pub truncated_description: Option<&'a str>,
    pub description: Option<&'a str>,
    pub is_local: bool,
    pub is_live: bool,
    pub duration: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<f64>,
    pub views: i64,
    pub viewers: i64,
    pub likes: i64,
    pub dislikes: i64,
    pub comments: i64,
    pub thumbnail_path: Option<&'a str>,
    pub thumbnail_url: Option<String>,
    pub thumbnails: Vec<Thumbnail<'a>>,
    pub preview_path: Option<&'a str>,
    pub preview_url: Option<String>,
    pub embed_path: Option<&'a str>,
    pub embed_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: DateTime<Utc>,
    pub originally_published_at: Option<DateTime<Utc>>,
    pub tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<ActorSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<ActorSummary<'a>>,
}

/// PeerTube gives unknown constants as `{"id": null, "label": "Unknown"}`.
fn constant_or_unknown<T: Clone>(labeled: Option<&Labeled<T>>) -> Constant<'_, Option<T>> {
    match labeled {
        Some(known) => Constant {
            id: Some(known.id.clone()),
            label: &known.label,
        },
        None => Constant {
            id: None,
            label: "Unknown",
        },
    }
}

impl<'a> Video<'a> {
    pub fn new(video: &'a VideoSummary) -> Self {
        let origin = |path: &Option<String>| path.as_deref().map(|path| video.origin_url(path));
        Self {
            id: video.id,
            uuid: &video.uuid,
            short_uuid: video.short_uuid.as_deref(),
            url: &video.url,
            name: &video.name,
            category: constant_or_unknown(video.category.as_ref()),
            licence: constant_or_unknown(video.licence.as_ref()),
            language: constant_or_unknown(video.language.as_ref()),
            privacy: Constant {
                id: video.privacy_id,
                label: privacy_label(video.privacy_id),
            },
            nsfw: video.nsfw,
            nsfw_flags: video.nsfw_flags,
            nsfw_summary: video.nsfw_summary.as_deref(),
            truncated_description: video.truncated_description.as_deref(),
            description: video.truncated_description.as_deref(),
            is_local: false,
            is_live: video.is_live,
            duration: video.duration,
            aspect_ratio: video.aspect_ratio,
            views: video.views,
            viewers: 0,
            likes: video.likes,
            dislikes: video.dislikes,
            comments: video.comments,
            thumbnail_path: video.thumbnail_path.as_deref(),
            thumbnail_url: origin(&video.thumbnail_path),
            thumbnails: video
                .thumbnail_path
                .as_deref()
                .map(|path| Thumbnail {
                    path,
                    file_url: video.origin_url(path),
                })
                .into_iter()
                .collect(),
            preview_path: video.preview_path.as_deref(),
            preview_url: origin(&video.preview_path),
            embed_path: video.embed_path.as_deref(),
            embed_url: origin(&video.embed_path),
            created_at: video.created_at.unwrap_or(video.published_at),
            updated_at: video
                .updated_at
                .or(video.created_at)
                .unwrap_or(video.published_at),
            published_at: video.published_at,
            originally_published_at: video.originally_published_at,
            tags: &video.tags,
            account: video.account.as_ref().map(ActorSummary::new),
            channel: video.channel.as_ref().map(ActorSummary::new),
        }
    }
}

/// PeerTube's `Account` as the owner of a channel.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerAccount<'a> {
    #[serde(flatten)]
    pub summary: ActorSummary<'a>,
    /// Not known for owners (the channel's list item does not carry them).
    pub description: Option<&'a str>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub followers_count: i64,
    pub following_count: i64,
    pub host_redundancy_allowed: bool,
}

/// PeerTube's `VideoChannel`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel<'a> {
    pub id: i64,
    pub name: &'a str,
    pub display_name: &'a str,
    pub description: Option<&'a str>,
    pub support: Option<&'a str>,
    pub url: &'a str,
    pub host: &'a str,
    pub avatars: Vec<Image>,
    pub banners: Vec<Image>,
    pub followers_count: i64,
    pub following_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub videos_count: Option<i64>,
    pub is_local: bool,
    pub host_redundancy_allowed: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_account: Option<OwnerAccount<'a>>,
}

impl<'a> Channel<'a> {
    pub fn new(channel: &'a ChannelSummary) -> Self {
        Self {
            id: channel.id,
            name: &channel.name,
            display_name: &channel.display_name,
            description: channel.description.as_deref(),
            support: channel.support.as_deref(),
            url: &channel.url,
            host: &channel.host,
            avatars: images(&channel.instance_base_url, &channel.avatars),
            banners: images(&channel.instance_base_url, &channel.banners),
            followers_count: channel.followers_count,
            following_count: 0,
            videos_count: channel.videos_count,
            is_local: false,
            host_redundancy_allowed: false,
            created_at: channel.created_at,
            updated_at: channel.updated_at.or(channel.created_at),
            owner_account: channel.owner.as_ref().map(|owner| OwnerAccount {
                summary: ActorSummary::new(owner),
                description: None,
                created_at: None,
                updated_at: None,
                followers_count: 0,
                following_count: 0,
                host_redundancy_allowed: false,
            }),
        }
    }
}

/// PeerTube's `VideoPlaylist`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Playlist<'a> {
    pub id: i64,
    pub uuid: &'a str,
    #[serde(rename = "shortUUID", skip_serializing_if = "Option::is_none")]
    pub short_uuid: Option<&'a str>,
    pub url: &'a str,
    pub display_name: &'a str,
    pub description: Option<&'a str>,
    pub privacy: Constant<'a, i64>,
    #[serde(rename = "type")]
    pub playlist_type: Constant<'a, i64>,
    pub videos_length: i64,
    pub is_local: bool,
    pub thumbnail_path: Option<&'a str>,
    pub thumbnail_url: Option<String>,
    pub embed_path: Option<&'a str>,
    pub embed_url: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_account: Option<ActorSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_channel: Option<ActorSummary<'a>>,
}

/// The label PeerTube gives a playlist type id.
fn playlist_type_label(id: i64) -> &'static str {
    match id {
        1 => "Regular",
        2 => "Watch later",
        _ => "Unknown",
    }
}

impl<'a> Playlist<'a> {
    pub fn new(playlist: &'a PlaylistSummary) -> Self {
        let origin = |path: &Option<String>| path.as_deref().map(|path| playlist.origin_url(path));
        Self {
            id: playlist.id,
            uuid: &playlist.uuid,
            short_uuid: playlist.short_uuid.as_deref(),
            url: &playlist.url,
            display_name: &playlist.display_name,
            description: playlist.description.as_deref(),
            privacy: Constant {
                id: playlist.privacy_id,
                label: privacy_label(playlist.privacy_id),
            },
            playlist_type: Constant {
                id: playlist.playlist_type,
                label: playlist_type_label(playlist.playlist_type),
            },
            videos_length: playlist.videos_length,
            is_local: false,
            thumbnail_path: playlist.thumbnail_path.as_deref(),
            thumbnail_url: origin(&playlist.thumbnail_path),
            embed_path: playlist.embed_path.as_deref(),
            embed_url: origin(&playlist.embed_path),
            created_at: playlist.created_at,
            updated_at: playlist.updated_at.or(playlist.created_at),
            owner_account: playlist.account.as_ref().map(ActorSummary::new),
            video_channel: playlist.channel.as_ref().map(ActorSummary::new),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_read_from_actor_urls() {
        assert_eq!(
            url_origin("http://127.0.0.1:9001/accounts/alice").as_deref(),
            Some("http://127.0.0.1:9001")
        );
        assert_eq!(
            url_origin("https://v.example").as_deref(),
            Some("https://v.example")
        );
        assert_eq!(url_origin("not a url"), None);
    }

    #[test]
    fn image_paths_become_absolute_and_given_urls_stay() {
        let refs = [
            ImageRef {
                path: Some("/lazy-static/avatars/a.png".into()),
                url: None,
                width: Some(48),
            },
            ImageRef {
                path: Some("/lazy-static/avatars/b.png".into()),
                url: Some("https://cdn.example/b.png".into()),
                width: Some(120),
            },
            ImageRef::default(),
        ];
        let images = images("https://v.example", &refs);
        assert_eq!(images.len(), 2, "an image without path nor URL is dropped");
        assert_eq!(
            images[0].file_url,
            "https://v.example/lazy-static/avatars/a.png"
        );
        assert_eq!(images[1].url, "https://cdn.example/b.png");
    }
}
