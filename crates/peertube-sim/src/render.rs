//! JSON rendering of generated items in PeerTube 6.3's shapes (or 3.4's for old instances).

use serde_json::{Value, json};

use crate::content::{SimAccount, SimChannel, SimPlaylist, SimVideo, iso};
use crate::tables::{category_label, language_label, licence_label};

/// How an item is shown by the instance that serves it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    /// PeerTube 3.4 shapes: single `avatar`, no `aspectRatio`, `viewers`, `truncatedDescription`...
    pub(crate) old: bool,
    /// Host of the serving instance.
    pub(crate) server_host: &'a str,
}

impl View<'_> {
    fn is_local(&self, host: &str) -> bool {
        host == self.server_host
    }
}

fn images(paths: &[(u32, String)], created: &str, old: bool) -> (&'static str, Value) {
    if old {
        let avatar = paths.iter().find(|(w, _)| *w == 120).map_or(
            Value::Null,
            |(_, path)| json!({ "path": path, "createdAt": created, "updatedAt": created }),
        );
        return ("avatar", avatar);
    }
    let list: Vec<Value> = paths
        .iter()
        .map(|(width, path)| {
            json!({ "width": width, "path": path, "createdAt": created, "updatedAt": created })
        })
        .collect();
    ("avatars", Value::Array(list))
}

fn insert(value: &mut Value, key: &str, item: Value) {
    if let Some(map) = value.as_object_mut() {
        map.insert(key.to_owned(), item);
    }
}

/// The short account form inside video and playlist lists.
pub(crate) fn account_summary(a: &SimAccount, view: View<'_>) -> Value {
    let mut out = json!({
        "id": a.id, "displayName": a.display_name, "name": a.name, "url": a.url, "host": a.host,
    });
    let (key, avatars) = images(&a.avatars, &iso(a.created_at), view.old);
    insert(&mut out, key, avatars);
    out
}

/// The short channel form inside video and playlist lists.
pub(crate) fn channel_summary(c: &SimChannel, view: View<'_>) -> Value {
    let mut out = json!({
        "id": c.id, "name": c.name, "displayName": c.display_name, "url": c.url, "host": c.host,
    });
    let (key, avatars) = images(&c.avatars, &iso(c.created_at), view.old);
    insert(&mut out, key, avatars);
    out
}

/// `GET /api/v1/accounts/{name}`.
pub(crate) fn account_full(a: &SimAccount, view: View<'_>) -> Value {
    let mut out = json!({
        "url": a.url, "name": a.name, "host": a.host, "id": a.id,
        "hostRedundancyAllowed": false, "followingCount": 0, "followersCount": a.followers,
        "createdAt": iso(a.created_at), "displayName": a.display_name,
        "description": a.description, "updatedAt": iso(a.updated_at), "userId": a.user_id,
    });
    let (key, avatars) = images(&a.avatars, &iso(a.created_at), view.old);
    insert(&mut out, key, avatars);
    out
}

/// `GET /api/v1/video-channels/{handle}`.
pub(crate) fn channel_full(c: &SimChannel, view: View<'_>) -> Value {
    let created = iso(c.created_at);
    let banners: Vec<Value> = c
        .banner
        .iter()
        .map(|path| json!({ "width": 1920, "path": path, "createdAt": created, "updatedAt": created }))
        .collect();
    let mut out = json!({
        "url": c.url, "name": c.name, "host": c.host, "id": c.id,
        "hostRedundancyAllowed": false, "followingCount": 0, "followersCount": c.followers,
        "createdAt": created, "displayName": c.display_name,
        "description": c.description, "support": c.support, "isLocal": view.is_local(&c.host),
        "updatedAt": iso(c.updated_at), "ownerAccount": account_full(&c.account, view),
    });
    let (key, avatars) = images(&c.avatars, &created, view.old);
    insert(&mut out, key, avatars);
    if view.old {
        insert(
            &mut out,
            "banner",
            banners.first().cloned().unwrap_or(Value::Null),
        );
    } else {
        insert(&mut out, "banners", Value::Array(banners));
    }
    out
}

/// A video as list endpoints show it; `id` is the serving instance's database id.
pub(crate) fn video_item(v: &SimVideo, id: u64, view: View<'_>) -> Value {
    let truncated = v.truncated_description();
    let mut out = json!({
        "id": id, "uuid": v.uuid, "shortUUID": v.short_uuid, "url": v.url, "name": v.name,
        "category": { "id": v.category, "label": category_label(v.category) },
        "licence": { "id": v.licence, "label": licence_label(v.licence) },
        "language": { "id": v.language, "label": language_label(v.language.as_deref()) },
        "privacy": { "id": 1, "label": "Public" },
        "nsfw": v.nsfw,
        "description": truncated,
        "isLocal": view.is_local(&v.host),
        "duration": v.duration,
        "views": v.views, "likes": v.likes, "dislikes": v.dislikes,
        "thumbnailPath": v.thumbnail_path, "previewPath": v.preview_path,
        "embedPath": v.embed_path,
        "createdAt": iso(v.created_at), "updatedAt": iso(v.updated_at),
        "publishedAt": iso(v.published_at),
        "originallyPublishedAt": v.originally_published_at.map(iso),
        "isLive": v.is_live,
        "account": account_summary(&v.channel.account, view),
        "channel": channel_summary(&v.channel, view),
    });
    if !view.old {
        insert(&mut out, "truncatedDescription", Value::from(truncated));
        insert(&mut out, "aspectRatio", Value::from(v.aspect_ratio));
        insert(
            &mut out,
            "viewers",
            Value::from(u64::from(v.is_live) * (v.views % 40)),
        );
    }
    out
}

fn file(v: &SimVideo, id: u64, height: u64, origin: &str, hls: bool) -> Value {
    let width = (height as f64 * v.aspect_ratio.max(0.5)).round() as u64 / 2 * 2;
    let kind = if hls { "-fragmented" } else { "" };
    let base = if hls {
        format!("{origin}/static/streaming-playlists/hls/{}", v.uuid)
    } else {
        format!("{origin}/static/web-videos")
    };
    let file_url = format!("{base}/{}-{height}{kind}.mp4", v.uuid);
    let torrent = format!(
        "{}-{height}{}.torrent",
        v.uuid,
        if hls { "-hls" } else { "" }
    );
    json!({
        "id": id * 10 + u64::from(hls), "resolution": { "id": height, "label": format!("{height}p") },
        "width": width, "height": height,
        "magnetUri": format!("magnet:?xs={origin}/lazy-static/torrents/{torrent}&dn={}", v.short_uuid),
        "size": v.duration * height * 1_000 + 4_096, "fps": 25,
        "torrentUrl": format!("{origin}/lazy-static/torrents/{torrent}"),
        "torrentDownloadUrl": format!("{origin}/download/torrents/{torrent}"),
        "fileUrl": file_url,
        "fileDownloadUrl": format!("{origin}/download/videos/{}-{height}.mp4", v.uuid),
        "metadataUrl": format!("{origin}/api/v1/videos/{}/metadata/{}", v.uuid, id * 10),
        "hasAudio": true, "hasVideo": true, "storage": 0,
    })
}

/// `GET /api/v1/videos/{id}`: the full description, tags, support, full channel and account.
pub(crate) fn video_details(v: &SimVideo, id: u64, view: View<'_>) -> Value {
    let mut out = video_item(v, id, view);
    let origin = format!("http://{}", v.host);
    let (files, playlists) = if v.is_live {
        (Vec::new(), Vec::new())
    } else {
        let playlist = json!({
            "id": id, "type": 1,
            "playlistUrl": format!("{origin}/static/streaming-playlists/hls/{}/master.m3u8", v.uuid),
            "segmentsSha256Url": format!("{origin}/static/streaming-playlists/hls/{}/segments-sha256.json", v.uuid),
            "redundancies": [],
            "files": [file(v, id, 720, &origin, true)],
        });
        (vec![file(v, id, 480, &origin, false)], vec![playlist])
    };
    let extra = json!({
        "description": v.description,
        "account": account_full(&v.channel.account, view),
        "channel": channel_full(&v.channel, view),
        "blacklisted": false, "blacklistedReason": null,
        "streamingPlaylists": playlists, "files": files,
        "support": v.support,
        "descriptionPath": format!("/api/v1/videos/{}/description", v.uuid),
        "tags": v.tags,
        "commentsEnabled": true, "downloadEnabled": true, "waitTranscoding": false,
        "inputFileUpdatedAt": null,
        "state": { "id": 1, "label": "Published" },
        "trackerUrls": [format!("{origin}/tracker/announce"), format!("ws://{}/tracker/socket", v.host)],
    });
    if let (Some(map), Value::Object(extra)) = (out.as_object_mut(), extra) {
        map.extend(extra);
        if !view.old {
            map.insert(
                "commentsPolicy".into(),
                json!({ "id": 1, "label": "Enabled" }),
            );
        }
    }
    out
}

/// A playlist as `GET /api/v1/video-playlists` shows it.
pub(crate) fn playlist(p: &SimPlaylist, view: View<'_>) -> Value {
    json!({
        "id": p.id, "uuid": p.uuid, "shortUUID": p.short_uuid,
        "isLocal": view.is_local(&p.channel.host), "url": p.url,
        "displayName": p.display_name, "description": p.description,
        "privacy": { "id": 1, "label": "Public" },
        "thumbnailPath": p.thumbnail_path,
        "embedPath": format!("/video-playlists/embed/{}", p.uuid),
        "type": { "id": 1, "label": "Regular" },
        "videosLength": p.videos_length,
        "createdAt": iso(p.created_at), "updatedAt": iso(p.updated_at),
        "ownerAccount": account_summary(&p.channel.account, view),
        "videoChannel": channel_summary(&p.channel, view),
    })
}

/// The instance actor (`peertube`) as followings show it.
pub(crate) fn server_actor(
    base_url: &str,
    host: &str,
    id: u64,
    follows: usize,
    followers: usize,
    created: &str,
) -> Value {
    json!({
        "url": format!("{base_url}/accounts/peertube"), "name": "peertube", "host": host,
        "avatars": [], "id": id, "hostRedundancyAllowed": false,
        "followingCount": follows, "followersCount": followers,
        "createdAt": created, "banners": [],
    })
}
