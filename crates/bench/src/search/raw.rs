//! The indexing reference: raw Tantivy indexing the same documents from memory, with the index's own schema and analyzers.
//!
//! The rows are read from the database before the measurement; what is
//! timed is what any Tantivy user must do with the same schema: build each
//! document (the same fields, the stems pre-tokenized in the video's
//! language, the stored JSON summary), add it with a writer of the same
//! threads and memory, commit and wait for merges. Building documents
//! mirrors `index`'s private `document` module (kept in step by the size
//! check of the report: both indexes should weigh the same).

use std::path::Path;

use index::analyzers::{self, Analyzers, stem_language};
use index::schema::{
    Fields, KIND_CHANNEL, KIND_VIDEO, UNKNOWN_LANGUAGE, build_schema, channel_key, video_key,
};
use index::{IndexerConfig, channel_summary, video_summary};
use store::{ChannelDocument, Store, VideoDocument};
use tantivy::schema::Field;
use tantivy::tokenizer::{Language, PreTokenizedString, Token};
use tantivy::{Index, TantivyDocument};

/// Rows read per query while loading.
const BATCH: i64 = 1000;
/// The index's cuts (`index::document`).
const MAX_NAME_CHARS: usize = 500;
const MAX_DESCRIPTION_CHARS: usize = 10_000;
const SORT_KEY_CHARS: usize = 64;

/// Every visible video and channel, in memory.
pub struct Rows {
    pub videos: Vec<VideoDocument>,
    pub channels: Vec<ChannelDocument>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.videos.len() + self.channels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reads every visible video and channel document (set-up, not measured).
pub async fn load(store: &Store) -> anyhow::Result<Rows> {
    let mut rows = Rows {
        videos: Vec::new(),
        channels: Vec::new(),
    };
    let mut after = 0;
    loop {
        let ids = store.video_ids_after(after, BATCH).await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        let documents = store.video_documents(&ids).await?;
        rows.videos
            .extend(documents.into_iter().filter(|row| row.visible));
    }
    let mut after = 0;
    loop {
        let ids = store.channel_ids_after(after, BATCH).await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        let documents = store.channel_documents(&ids).await?;
        rows.channels
            .extend(documents.into_iter().filter(|row| row.visible));
    }
    Ok(rows)
}

/// Indexes `rows` into a new index in `dir` (the measured part); returns the documents written.
pub fn index(rows: &Rows, dir: &Path, config: &IndexerConfig) -> anyhow::Result<u64> {
    let index = Index::create_in_dir(dir, build_schema())?;
    analyzers::register(index.tokenizers());
    let fields = Fields::new(&index.schema())?;
    let threads = config.writer_threads.max(1);
    let memory = config.writer_memory_bytes.max(threads * 16_000_000);
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(threads, memory)?;
    // Documents are built on as many threads as the writer indexes with, as the rebuild does.
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|worker| {
                let writer = &writer;
                scope.spawn(move || -> anyhow::Result<()> {
                    let mut analyzers = Analyzers::default();
                    for row in rows.videos.iter().skip(worker).step_by(threads) {
                        writer.add_document(video_document(&fields, &mut analyzers, row))?;
                    }
                    for row in rows.channels.iter().skip(worker).step_by(threads) {
                        writer.add_document(channel_document(&fields, &mut analyzers, row))?;
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("an indexing thread panicked"))??;
        }
        Ok(())
    })?;
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(rows.len() as u64)
}

fn cut(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

fn add_text(
    doc: &mut TantivyDocument,
    analyzers: &mut Analyzers,
    (folded, stemmed): (Field, Field),
    values: &[&str],
    language: Option<Language>,
) {
    let mut stems: Vec<Token> = Vec::new();
    for value in values.iter().filter(|value| !value.trim().is_empty()) {
        doc.add_text(folded, value);
        if let Some(language) = language {
            let next = stems.last().map_or(0, |token| token.position + 2);
            stems.extend(analyzers.stem_tokens(value, language, next));
        }
    }
    if !stems.is_empty() {
        doc.add_pre_tokenized_text(
            stemmed,
            PreTokenizedString {
                text: String::new(),
                tokens: stems,
            },
        );
    }
}

fn sort_key(analyzers: &mut Analyzers, name: &str) -> String {
    let key = analyzers.keyword(cut(name, SORT_KEY_CHARS));
    key.trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_owned()
}

fn video_document(
    fields: &Fields,
    analyzers: &mut Analyzers,
    row: &VideoDocument,
) -> TantivyDocument {
    let video = &row.video;
    let summary = video_summary(row);
    let language = video.language_id.as_deref().and_then(stem_language);
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.kind, KIND_VIDEO);
    doc.add_text(fields.key, video_key(video.id));
    doc.add_i64(fields.id, video.id);
    doc.add_text(fields.uuid, video.uuid.to_ascii_lowercase());
    if let Some(short) = &video.short_uuid {
        doc.add_text(fields.short_uuid, short);
    }
    let name = cut(&summary.name, MAX_NAME_CHARS);
    add_text(
        &mut doc,
        analyzers,
        (fields.name, fields.name_stem),
        &[name],
        language,
    );
    let tags: Vec<&str> = video.tags.0.iter().map(String::as_str).collect();
    add_text(
        &mut doc,
        analyzers,
        (fields.tags, fields.tags_stem),
        &tags,
        language,
    );
    for tag in &tags {
        let folded = analyzers.keyword(tag);
        if !folded.is_empty() {
            doc.add_text(fields.tag, folded);
        }
    }
    let mut owners: Vec<&str> = Vec::new();
    for owner in [&row.channel, &row.account].into_iter().flatten() {
        owners.push(&owner.display_name);
        owners.push(&owner.name);
    }
    add_text(
        &mut doc,
        analyzers,
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
            analyzers,
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
    doc.add_i64(fields.published_at, video.published_at.timestamp());
    if let Some(at) = video.originally_published_at {
        doc.add_i64(fields.originally_published_at, at.timestamp());
    }
    doc.add_i64(
        fields.created_at,
        video
            .remote_created_at
            .unwrap_or(video.published_at)
            .timestamp(),
    );
    doc.add_i64(fields.views, video.views);
    doc.add_i64(fields.likes, video.likes);
    doc.add_bool(fields.nsfw, video.nsfw);
    doc.add_bool(fields.is_live, video.is_live);
    doc.add_bool(fields.curated, row.curated);
    doc.add_text(fields.host, row.instance_host.to_ascii_lowercase());
    if let Some(account) = &summary.account {
        doc.add_text(fields.account_handle, analyzers.keyword(&account.handle()));
    }
    if let Some(channel) = &summary.channel {
        doc.add_text(fields.channel_handle, analyzers.keyword(&channel.handle()));
    }
    doc.add_text(fields.name_sort, sort_key(analyzers, &summary.name));
    doc.add_bytes(
        fields.payload,
        &serde_json::to_vec(&summary).unwrap_or_default(),
    );
    doc
}

fn channel_document(
    fields: &Fields,
    analyzers: &mut Analyzers,
    row: &ChannelDocument,
) -> TantivyDocument {
    let summary = channel_summary(row);
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.kind, KIND_CHANNEL);
    doc.add_text(fields.key, channel_key(summary.id));
    doc.add_i64(fields.id, summary.id);
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
        doc.add_i64(fields.created_at, at.timestamp());
    }
    doc.add_i64(fields.followers, summary.followers_count);
    doc.add_text(fields.name_sort, sort_key(analyzers, &summary.display_name));
    doc.add_bytes(
        fields.payload,
        &serde_json::to_vec(&summary).unwrap_or_default(),
    );
    doc
}
