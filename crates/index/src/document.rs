//! Turns the store's video, channel and playlist documents into index documents and stored summaries.

use chrono::{DateTime, Utc};
use store::{ActorSummary, ChannelDocument, PlaylistDocument, VideoDocument};
use tantivy::TantivyDocument;

use crate::analyzers::{Analyzers, stemmed_value};
use crate::results::{
    ActorInfo, ChannelSummary, InstanceInfo, Labeled, PlaylistSummary, VideoSummary,
};
use crate::schema::{
    Fields, KIND_CHANNEL, KIND_PLAYLIST, KIND_VIDEO, UNKNOWN_LANGUAGE, channel_key, playlist_key,
    video_key,
};

/// Names longer than this (in characters) are cut before indexing.
const MAX_NAME_CHARS: usize = 500;
/// Descriptions longer than this (in characters) are cut before indexing (PeerTube allows 10,000).
const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// How much of a name the `name` sort looks at.
const SORT_KEY_CHARS: usize = 64;

fn cut(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

fn seconds(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

fn actor(summary: &ActorSummary, host: &str) -> ActorInfo {
    ActorInfo {
        id: summary.id,
        name: summary.name.clone(),
        display_name: summary.display_name.clone(),
        url: summary.url.clone(),
        host: host.to_owned(),
        avatars: summary.avatars.0.clone(),
    }
}

/// Adds `values` to a folded field and, when the language has a stemmer, to its stemmed field.
fn add_text(
    doc: &mut TantivyDocument,
    (folded, stemmed): (tantivy::schema::Field, tantivy::schema::Field),
    values: &[&str],
    language: Option<&str>,
) {
    for value in values.iter().filter(|value| !value.trim().is_empty()) {
        doc.add_text(folded, value);
        if let Some(value) = language.and_then(|language| stemmed_value(language, value)) {
            doc.add_text(stemmed, value);
        }
    }
}

/// The stored summary of a video document.
pub fn video_summary(document: &VideoDocument) -> VideoSummary {
    let video = &document.video;
    let host = &document.instance_host;
    VideoSummary {
        id: video.id,
        uuid: video.uuid.clone(),
        short_uuid: video.short_uuid.clone(),
        url: video.url.clone(),
        name: cut(&video.name, MAX_NAME_CHARS).to_owned(),
        truncated_description: video.truncated_description.clone(),
        category: video.category_id.map(|id| Labeled {
            id,
            label: video.category_label.clone().unwrap_or_default(),
        }),
        licence: video.licence_id.map(|id| Labeled {
            id,
            label: video.licence_label.clone().unwrap_or_default(),
        }),
        language: video.language_id.clone().map(|id| Labeled {
            id,
            label: video.language_label.clone().unwrap_or_default(),
        }),
        privacy_id: video.privacy_id,
        nsfw: video.nsfw,
        nsfw_flags: video.nsfw_flags,
        nsfw_summary: video.nsfw_summary.clone(),
        is_live: video.is_live,
        duration: video.duration,
        aspect_ratio: video.aspect_ratio,
        views: video.views,
        likes: video.likes,
        dislikes: video.dislikes,
        comments: video.comments,
        thumbnail_path: video.thumbnail_path.clone(),
        preview_path: video.preview_path.clone(),
        embed_path: video.embed_path.clone(),
        published_at: video.published_at,
        originally_published_at: video.originally_published_at,
        created_at: video.remote_created_at,
        updated_at: video.remote_updated_at,
        tags: video.tags.0.clone(),
        instance: InstanceInfo {
            host: host.clone(),
            base_url: document.instance_base_url.clone(),
            name: document.instance_name.clone(),
        },
        channel: document.channel.as_ref().map(|c| actor(c, host)),
        account: document.account.as_ref().map(|a| actor(a, host)),
        curated: document.curated,
    }
}

/// The index document of a visible video.
pub fn video_document(
    fields: &Fields,
    analyzers: &mut Analyzers,
    document: &VideoDocument,
) -> TantivyDocument {
    let video = &document.video;
    let summary = video_summary(document);
    let language = video.language_id.as_deref();
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.kind, KIND_VIDEO);
    doc.add_text(fields.key, video_key(video.id));
    doc.add_i64(fields.id, video.id);
    doc.add_text(fields.uuid, video.uuid.to_ascii_lowercase());
    if let Some(short) = &video.short_uuid {
        doc.add_text(fields.short_uuid, short);
    }
    add_text(
        &mut doc,
        (fields.name, fields.name_stem),
        &[&summary.name],
        language,
    );
    let tags: Vec<&str> = video.tags.iter().map(String::as_str).collect();
    add_text(&mut doc, (fields.tags, fields.tags_stem), &tags, language);
    for tag in &tags {
        let folded = analyzers.keyword(tag);
        if !folded.is_empty() {
            doc.add_text(fields.tag, folded);
        }
    }
    let mut owners: Vec<&str> = Vec::new();
    for owner in [&document.channel, &document.account].into_iter().flatten() {
        owners.push(&owner.display_name);
        owners.push(&owner.name);
    }
    add_text(
        &mut doc,
        (fields.owners, fields.owners_stem),
        &owners,
        language,
    );
    let description = video
        .description
        .as_deref()
        .or(video.truncated_description.as_deref())
        .map(|text| cut(text, MAX_DESCRIPTION_CHARS));
    if let Some(description) = description {
        add_text(
            &mut doc,
            (fields.description, fields.description_stem),
            &[description],
            language,
        );
    }
    doc.add_text(
        fields.language,
        video.language_id.as_deref().unwrap_or(UNKNOWN_LANGUAGE),
    );
    if let Some(category) = video.category_id {
        doc.add_i64(fields.category, category);
    }
    if let Some(licence) = video.licence_id {
        doc.add_i64(fields.licence, licence);
    }
    doc.add_i64(fields.duration, video.duration);
    doc.add_i64(fields.published_at, seconds(video.published_at));
    if let Some(at) = video.originally_published_at {
        doc.add_i64(fields.originally_published_at, seconds(at));
    }
    doc.add_i64(
        fields.created_at,
        seconds(video.remote_created_at.unwrap_or(video.published_at)),
    );
    doc.add_i64(fields.views, video.views);
    doc.add_i64(fields.likes, video.likes);
    doc.add_bool(fields.nsfw, video.nsfw);
    doc.add_bool(fields.is_live, video.is_live);
    doc.add_bool(fields.curated, document.curated);
    doc.add_text(fields.host, document.instance_host.to_ascii_lowercase());
    if let Some(account) = &summary.account {
        doc.add_text(fields.account_handle, analyzers.keyword(&account.handle()));
    }
    if let Some(channel) = &summary.channel {
        doc.add_text(fields.channel_handle, analyzers.keyword(&channel.handle()));
    }
    doc.add_text(fields.name_sort, sort_key(analyzers, &summary.name));
    doc.add_text(fields.payload, payload(&summary));
    doc
}

/// The stored summary of a channel document.
pub fn channel_summary(document: &ChannelDocument) -> ChannelSummary {
    let channel = &document.channel;
    ChannelSummary {
        id: channel.id,
        name: channel.name.clone(),
        host: channel.host.clone(),
        display_name: cut(&channel.display_name, MAX_NAME_CHARS).to_owned(),
        description: channel
            .description
            .as_deref()
            .map(|text| cut(text, MAX_DESCRIPTION_CHARS).to_owned()),
        support: channel.support.clone(),
        url: channel.url.clone(),
        instance_base_url: document.instance_base_url.clone(),
        avatars: channel.avatars.0.clone(),
        banners: channel.banners.0.clone(),
        followers_count: channel.followers_count,
        videos_count: channel.videos_count,
        created_at: channel.remote_created_at,
        updated_at: channel.remote_updated_at,
        owner: document.owner.as_ref().map(|a| actor(a, &channel.host)),
    }
}

/// Gives a channel or playlist the columns every video has, at neutral
/// values. A column that every document of a segment holds is read
/// directly; one that some lack is read through an index of the documents
/// that hold it, at every read. The ranking boosts, the sorts and the facets
/// read these columns at every match of a video search (which never
/// matches a channel or a playlist).
fn add_neutral_video_columns(doc: &mut TantivyDocument, fields: &Fields) {
    doc.add_text(fields.language, UNKNOWN_LANGUAGE);
    for field in [
        fields.duration,
        fields.published_at,
        fields.views,
        fields.likes,
    ] {
        doc.add_i64(field, 0);
    }
    for field in [fields.nsfw, fields.is_live, fields.curated] {
        doc.add_bool(field, false);
    }
}

/// The index document of a visible channel.
pub fn channel_document(
    fields: &Fields,
    analyzers: &mut Analyzers,
    document: &ChannelDocument,
) -> TantivyDocument {
    let summary = channel_summary(document);
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.kind, KIND_CHANNEL);
    doc.add_text(fields.key, channel_key(summary.id));
    doc.add_i64(fields.id, summary.id);
    // Channels have no language: their text is matched folded and fuzzy, not stemmed.
    for value in [&summary.display_name, &summary.name] {
        doc.add_text(fields.name, value);
    }
    if let Some(owner) = &summary.owner {
        doc.add_text(fields.owners, &owner.display_name);
        doc.add_text(fields.owners, &owner.name);
        doc.add_text(fields.account_handle, analyzers.keyword(&owner.handle()));
    }
    if let Some(description) = &summary.description {
        doc.add_text(fields.description, description);
    }
    doc.add_text(fields.channel_handle, analyzers.keyword(&summary.handle()));
    doc.add_text(fields.host, summary.host.to_ascii_lowercase());
    if let Some(at) = summary.created_at {
        doc.add_i64(fields.created_at, seconds(at));
    }
    doc.add_i64(fields.followers, summary.followers_count);
    add_neutral_video_columns(&mut doc, fields);
    doc.add_text(fields.name_sort, sort_key(analyzers, &summary.display_name));
    doc.add_text(fields.payload, payload(&summary));
    doc
}

/// The stored summary of a playlist document.
pub fn playlist_summary(document: &PlaylistDocument) -> PlaylistSummary {
    let playlist = &document.playlist;
    let host = &document.instance_host;
    PlaylistSummary {
        id: playlist.id,
        uuid: playlist.uuid.clone(),
        short_uuid: playlist.short_uuid.clone(),
        url: playlist.url.clone(),
        display_name: cut(&playlist.name, MAX_NAME_CHARS).to_owned(),
        description: playlist
            .description
            .as_deref()
            .map(|text| cut(text, MAX_DESCRIPTION_CHARS).to_owned()),
        privacy_id: playlist.privacy_id,
        playlist_type: playlist.playlist_type,
        videos_length: playlist.videos_length,
        thumbnail_path: playlist.thumbnail_path.clone(),
        embed_path: playlist.embed_path.clone(),
        created_at: playlist.remote_created_at,
        updated_at: playlist.remote_updated_at,
        instance: InstanceInfo {
            host: host.clone(),
            base_url: document.instance_base_url.clone(),
            name: document.instance_name.clone(),
        },
        channel: document.channel.as_ref().map(|c| actor(c, host)),
        account: document.account.as_ref().map(|a| actor(a, host)),
    }
}

/// The index document of a visible playlist.
pub fn playlist_document(
    fields: &Fields,
    analyzers: &mut Analyzers,
    document: &PlaylistDocument,
) -> TantivyDocument {
    let playlist = &document.playlist;
    let summary = playlist_summary(document);
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.kind, KIND_PLAYLIST);
    doc.add_text(fields.key, playlist_key(playlist.id));
    doc.add_i64(fields.id, playlist.id);
    doc.add_text(fields.uuid, playlist.uuid.to_ascii_lowercase());
    if let Some(short) = &playlist.short_uuid {
        doc.add_text(fields.short_uuid, short);
    }
    // Like channels, playlists have no language: folded and fuzzy, not stemmed.
    doc.add_text(fields.name, &summary.display_name);
    for owner in [&summary.channel, &summary.account].into_iter().flatten() {
        doc.add_text(fields.owners, &owner.display_name);
        doc.add_text(fields.owners, &owner.name);
    }
    if let Some(description) = &summary.description {
        doc.add_text(fields.description, description);
    }
    doc.add_text(fields.host, document.instance_host.to_ascii_lowercase());
    if let Some(account) = &summary.account {
        doc.add_text(fields.account_handle, analyzers.keyword(&account.handle()));
    }
    if let Some(channel) = &summary.channel {
        doc.add_text(fields.channel_handle, analyzers.keyword(&channel.handle()));
    }
    let created = playlist.remote_created_at.unwrap_or(playlist.first_seen_at);
    doc.add_i64(fields.created_at, seconds(created));
    doc.add_i64(
        fields.updated_at,
        seconds(playlist.remote_updated_at.unwrap_or(created)),
    );
    add_neutral_video_columns(&mut doc, fields);
    doc.add_text(fields.name_sort, sort_key(analyzers, &summary.display_name));
    doc.add_text(fields.payload, payload(&summary));
    doc
}

fn sort_key(analyzers: &mut Analyzers, name: &str) -> String {
    let key = analyzers.keyword(cut(name, SORT_KEY_CHARS));
    key.trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_owned()
}

fn payload<T: serde::Serialize>(summary: &T) -> String {
    serde_json::to_string(summary).unwrap_or_default()
}
