//! The one schema of the search index: videos, channels and playlists side by side, told apart by `kind`.
//!
//! Text is indexed folded (exact and fuzzy matching) and stemmed in the
//! document's language (plurals, conjugations). Filters and sorts read fast
//! fields; times are Unix seconds in `i64` fields. What a result shows is
//! one stored JSON `payload` (a [`crate::VideoSummary`],
//! [`crate::ChannelSummary`] or [`crate::PlaylistSummary`]), so answers need
//! no database round trip; the description is stored apart, for highlighted
//! snippets.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, NumericOptions, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};

use crate::analyzers::{FOLDED, KEYWORD, STEMMED};
use crate::error::{IndexError, Result};

/// Bumped whenever the schema or the analysis changes: an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 4;

/// `kind` of a video document.
pub const KIND_VIDEO: &str = "video";
/// `kind` of a channel document.
pub const KIND_CHANNEL: &str = "channel";
/// `kind` of a playlist document.
pub const KIND_PLAYLIST: &str = "playlist";
/// The `language` of a video without one (PeerTube's `languageOneOf=_unknown`).
pub const UNKNOWN_LANGUAGE: &str = "_unknown";

/// The handles of every field, resolved once per index.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// `video`, `channel` or `playlist`.
    pub kind: Field,
    /// The unique key of a document: `v{id}`, `c{id}`, `p{id}` (what updates delete).
    pub key: Field,
    /// The database id (fast).
    pub id: Field,
    pub uuid: Field,
    pub short_uuid: Field,
    /// Video name, channel display name and name, or playlist display name.
    pub name: Field,
    pub name_stem: Field,
    pub tags: Field,
    pub tags_stem: Field,
    /// Each tag whole, folded: for `tagsOneOf` / `tagsAllOf`.
    pub tag: Field,
    /// Channel and account names and display names (of the owners, for videos and playlists).
    pub owners: Field,
    pub owners_stem: Field,
    /// Stored, for snippets.
    pub description: Field,
    pub description_stem: Field,
    /// PeerTube language code, or [`UNKNOWN_LANGUAGE`].
    pub language: Field,
    pub category: Field,
    pub licence: Field,
    /// Seconds.
    pub duration: Field,
    pub published_at: Field,
    pub originally_published_at: Field,
    pub created_at: Field,
    /// Playlists only (`updatedAt` sort).
    pub updated_at: Field,
    pub views: Field,
    pub likes: Field,
    pub followers: Field,
    pub nsfw: Field,
    pub is_live: Field,
    /// In at least one published selection.
    pub curated: Field,
    pub host: Field,
    /// `name@host` of the owning account (lower-cased).
    pub account_handle: Field,
    /// `name@host` of the channel (lower-cased).
    pub channel_handle: Field,
    /// Folded name, for `name` sorts.
    pub name_sort: Field,
    /// The stored JSON summary.
    pub payload: Field,
}

fn text(tokenizer: &str, record: IndexRecordOption, fieldnorms: bool) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record)
            .set_fieldnorms(fieldnorms),
    )
}

fn searchable() -> TextOptions {
    text(FOLDED, IndexRecordOption::WithFreqs, true)
}

fn stemmed() -> TextOptions {
    text(STEMMED, IndexRecordOption::WithFreqs, true)
}

fn keyword() -> TextOptions {
    text(KEYWORD, IndexRecordOption::Basic, false)
}

fn number(fast: bool) -> NumericOptions {
    let options = NumericOptions::default().set_indexed();
    if fast { options.set_fast() } else { options }
}

/// Builds the schema (the one place it is defined).
pub fn build_schema() -> Schema {
    let mut builder = Schema::builder();
    builder.add_text_field("kind", STRING);
    builder.add_text_field("key", STRING);
    builder.add_i64_field("id", FAST | INDEXED);
    builder.add_text_field("uuid", STRING);
    builder.add_text_field("short_uuid", STRING);
    for name in ["name", "tags", "owners"] {
        builder.add_text_field(name, searchable());
        builder.add_text_field(&format!("{name}_stem"), stemmed());
    }
    builder.add_text_field("tag", keyword());
    builder.add_text_field("description", searchable().set_stored());
    builder.add_text_field("description_stem", stemmed());
    builder.add_text_field("language", STRING | FAST);
    for name in ["category", "licence", "duration"] {
        builder.add_i64_field(name, number(true));
    }
    for name in [
        "published_at",
        "originally_published_at",
        "created_at",
        "updated_at",
    ] {
        builder.add_i64_field(name, number(true));
    }
    for name in ["views", "likes", "followers"] {
        builder.add_i64_field(name, FAST);
    }
    for name in ["nsfw", "is_live", "curated"] {
        builder.add_bool_field(name, INDEXED | FAST);
    }
    builder.add_text_field("host", STRING | FAST);
    builder.add_text_field("account_handle", keyword());
    builder.add_text_field("channel_handle", keyword());
    builder.add_text_field("name_sort", TextOptions::default().set_fast("raw"));
    builder.add_text_field("payload", STORED);
    builder.build()
}

impl Fields {
    /// Resolves the fields of a schema built by [`build_schema`].
    pub fn new(schema: &Schema) -> Result<Self> {
        let field = |name: &str| {
            schema.get_field(name).map_err(|_| IndexError::Open {
                path: String::new(),
                message: format!("the index has no field {name:?}: rebuild it"),
            })
        };
        Ok(Self {
            kind: field("kind")?,
            key: field("key")?,
            id: field("id")?,
            uuid: field("uuid")?,
            short_uuid: field("short_uuid")?,
            name: field("name")?,
            name_stem: field("name_stem")?,
            tags: field("tags")?,
            tags_stem: field("tags_stem")?,
            tag: field("tag")?,
            owners: field("owners")?,
            owners_stem: field("owners_stem")?,
            description: field("description")?,
            description_stem: field("description_stem")?,
            language: field("language")?,
            category: field("category")?,
            licence: field("licence")?,
            duration: field("duration")?,
            published_at: field("published_at")?,
            originally_published_at: field("originally_published_at")?,
            created_at: field("created_at")?,
            updated_at: field("updated_at")?,
            views: field("views")?,
            likes: field("likes")?,
            followers: field("followers")?,
            nsfw: field("nsfw")?,
            is_live: field("is_live")?,
            curated: field("curated")?,
            host: field("host")?,
            account_handle: field("account_handle")?,
            channel_handle: field("channel_handle")?,
            name_sort: field("name_sort")?,
            payload: field("payload")?,
        })
    }
}

/// The key of a video document.
pub fn video_key(id: i64) -> String {
    format!("v{id}")
}

/// The key of a channel document.
pub fn channel_key(id: i64) -> String {
    format!("c{id}")
}

/// The key of a playlist document.
pub fn playlist_key(id: i64) -> String {
    format!("p{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_resolves() {
        let schema = build_schema();
        Fields::new(&schema).unwrap();
        assert!(
            schema
                .get_field_entry(schema.get_field("payload").unwrap())
                .is_stored()
        );
    }
}
