//! The searcher: a cheap, shareable handle on the live generation that follows commits and rebuild swaps.
//!
//! A background thread looks every [`REFRESH_INTERVAL`] at the `current`
//! pointer (a rebuild swapped in a new generation: open it and swap the
//! handle) and at the live generation's `meta.json` (a commit: reload).
//! Searches in flight keep the generation they started with. Searches are
//! synchronous CPU work: call them from `spawn_blocking` in async code.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::Directory;
use tantivy::query::{Query, TermQuery};
use tantivy::schema::document::{
    DeserializeError, DocumentDeserialize, DocumentDeserializer, ValueDeserialize,
    ValueDeserializer,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Index, IndexReader, Order, ReloadPolicy, Term};

use crate::analyzers::{Analyzers, stem_language};
use crate::columns::Columns;
use crate::error::{IndexError, Result};
use crate::facets::FacetCollector;
use crate::filters::video_filters;
use crate::highlight::Matcher;
use crate::layout::{CommitPayload, Layout, open_index};
use crate::matching::{
    Lookups, Strictness, identifier, identifier_query, significant, text_query, video_groups,
};
use crate::query::{Direction, VideoQuery, VideoSort};
use crate::ranking::Boosts;
use crate::results::{Facets, Highlights, Hit, SearchResults, VideoSummary};
use crate::schema::{Fields, KIND_CHANNEL, KIND_PLAYLIST, KIND_VIDEO, SCHEMA_VERSION};
use crate::statistics::LiveStatistics;
use crate::suggest::suggest;
use crate::top::BoostedTop;

/// How often the background thread looks for commits and swaps.
pub const REFRESH_INTERVAL: Duration = Duration::from_millis(100);
/// Below this many results, a suggestion is looked for (when asked).
const SUGGEST_BELOW: u64 = 3;

/// One opened generation.
pub(crate) struct LiveIndex {
    pub generation: String,
    pub reader: IndexReader,
    pub fields: Fields,
    pub columns: Arc<Columns>,
    index: Index,
    meta: Mutex<Vec<u8>>,
}

impl LiveIndex {
    fn open(path: &Path, generation: String) -> Result<Self> {
        let mut index = open_index(path)?;
        // Another schema's documents would fail every search that reads them.
        if let Some(commit) = CommitPayload::of(&index)?
            && !commit.is_current_schema()
        {
            return Err(IndexError::Open {
                path: path.display().to_string(),
                message: format!(
                    "the index was built with schema version {}, this build reads version \
                     {SCHEMA_VERSION}: rebuild it (`florilege index --rebuild`, or start the indexer)",
                    commit.schema_version
                ),
            });
        }
        // Segments are searched in parallel: one search uses every core.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        if threads > 1 {
            index.set_multithread_executor(threads)?;
        }
        let fields = Fields::new(&index.schema())?;
        let meta = read_meta(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            generation,
            reader,
            fields,
            columns: Arc::default(),
            index,
            meta: Mutex::new(meta),
        })
    }
}

fn read_meta(index: &Index) -> Vec<u8> {
    index
        .directory()
        .atomic_read(Path::new("meta.json"))
        .unwrap_or_default()
}

struct Inner {
    layout: Layout,
    live: RwLock<Arc<LiveIndex>>,
    refreshing: Mutex<()>,
}

/// Searches one index replica. Cheap to clone, `Send + Sync`.
#[derive(Clone)]
pub struct Searcher {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Searcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Searcher")
            .field("root", &self.inner.layout.root())
            .field("generation", &self.live().generation)
            .finish()
    }
}

impl Searcher {
    /// Opens the live generation under `root` and starts following it.
    /// Fails when there is no index yet (open an [`crate::Indexer`] first).
    pub fn open(root: impl AsRef<Path>) -> Result<Self> {
        let layout = Layout::new(root)?;
        let Some(generation) = layout.current()? else {
            return Err(IndexError::Open {
                path: layout.root().display().to_string(),
                message: "there is no index yet: run the indexer first".into(),
            });
        };
        let live = LiveIndex::open(&layout.path(&generation), generation)?;
        let inner = Arc::new(Inner {
            layout,
            live: RwLock::new(Arc::new(live)),
            refreshing: Mutex::new(()),
        });
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("index-refresh".into())
            .spawn(move || follow(&weak))?;
        Ok(Self { inner })
    }

    pub(crate) fn live(&self) -> Arc<LiveIndex> {
        Arc::clone(
            &self
                .inner
                .live
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// The root directory of the replica.
    pub fn root(&self) -> PathBuf {
        self.inner.layout.root().to_path_buf()
    }

    /// The name of the generation searched.
    pub fn generation(&self) -> String {
        self.live().generation.clone()
    }

    /// Picks up commits and swaps now (the background thread does it every [`REFRESH_INTERVAL`]).
    /// Returns whether anything changed.
    pub fn refresh(&self) -> Result<bool> {
        refresh(&self.inner)
    }

    /// The number of searchable videos.
    pub fn video_count(&self) -> Result<u64> {
        self.count_kind(KIND_VIDEO)
    }

    /// The number of searchable channels.
    pub fn channel_count(&self) -> Result<u64> {
        self.count_kind(KIND_CHANNEL)
    }

    /// The number of searchable playlists.
    pub fn playlist_count(&self) -> Result<u64> {
        self.count_kind(KIND_PLAYLIST)
    }

    fn count_kind(&self, kind: &str) -> Result<u64> {
        let live = self.live();
        let query = TermQuery::new(
            Term::from_field_text(live.fields.kind, kind),
            IndexRecordOption::Basic,
        );
        Ok(live.reader.searcher().search(&query, &Count)? as u64)
    }

    /// Searches videos (PeerTube's `/api/v1/search/videos` and the site's search).
    pub fn search_videos(&self, query: &VideoQuery) -> Result<SearchResults<VideoSummary>> {
        let mut query = query.clone();
        query.validate()?;
        let live = self.live();
        let searcher = live.reader.searcher();
        let fields = live.fields;
        let search = query.search.as_deref().map(str::trim).unwrap_or_default();
        let words = significant(Analyzers::with(|a| a.query_words(search)));
        let groups = video_groups(&fields);
        let id = identifier(search);
        let frequency = |field, text: &str| frequency(&searcher, field, text);
        let lookups = &Lookups::new(searcher.num_docs(), &frequency);
        let filters = || video_filters(&fields, &query);
        let text = |strictness| filters().around(text_query(&groups, &words, strictness, lookups));
        let mut attempts: Vec<Box<dyn Query>> = Vec::new();
        if let Some(id) = &id {
            attempts.push(filters().with(Some(identifier_query(&fields, id))));
        }
        attempts.push(text(Strictness::Strict));
        if id.is_none() && words.len() > 1 {
            attempts.push(text(Strictness::Relaxed));
        }
        let has_text = id.is_some() || !words.is_empty();
        let boosts = Boosts::new(query.boost_languages.clone(), has_text);
        let mut found = (0, Vec::new(), None);
        for full in attempts {
            found = collect(
                &searcher,
                &live.columns,
                &*full,
                &query_page(&query),
                &boosts,
                query.with_facets,
            )?;
            if found.0 > 0 {
                break;
            }
        }
        let (total, addresses, facets) = found;
        let matcher = query.with_highlights.then(|| Matcher::new(&words));
        let hits = read_page(&searcher, &addresses, |score, document| {
            let item: VideoSummary = payload(document, &fields)?;
            let highlights = matcher
                .as_ref()
                .map(|m| video_highlights(m, document, &fields, &item));
            Ok(Hit {
                score,
                item,
                highlights,
            })
        })?;
        let suggestion = (query.with_suggestion && total < SUGGEST_BELOW && id.is_none())
            .then(|| suggest(&searcher, [fields.name, fields.tags], search))
            .flatten();
        Ok(SearchResults {
            total,
            hits,
            facets,
            suggestion,
        })
    }

    /// The stored summary of a video by uuid or short uuid, if it is searchable.
    pub fn video_by_uuid(&self, uuid: &str) -> Result<Option<VideoSummary>> {
        let results = self.search_videos(&VideoQuery {
            uuids: vec![uuid.to_owned()],
            nsfw: crate::NsfwFilter::Both,
            count: 1,
            ..VideoQuery::default()
        })?;
        Ok(results.hits.into_iter().next().map(|hit| hit.item))
    }

    /// The stored summary of a video, if it is searchable.
    pub fn video(&self, id: i64) -> Result<Option<VideoSummary>> {
        let live = self.live();
        let Some((address, searcher)) = find_video(&live, id)? else {
            return Ok(None);
        };
        let document: Stored = searcher.doc(address)?;
        payload(&document, &live.fields).map(Some)
    }
}

/// The address of a video's document, with the searcher that found it.
pub(crate) fn find_video(
    live: &LiveIndex,
    id: i64,
) -> Result<Option<(DocAddress, tantivy::Searcher)>> {
    let searcher = live.reader.searcher();
    let query = TermQuery::new(
        Term::from_field_text(live.fields.key, &crate::schema::video_key(id)),
        IndexRecordOption::Basic,
    );
    let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
    Ok(top.first().map(|(_, address)| (*address, searcher.clone())))
}

/// The number of live documents holding a term.
///
/// Tantivy's own `doc_freq` also counts replaced and deleted documents until
/// their segment is merged, so it differs between replicas that hold the
/// same documents with another history; which words are common, broad or
/// matched with typos would differ too, and so would what a search finds.
/// Counting only live documents makes every replica decide alike. Segments
/// without deletions answer from their term dictionary; the others scan the
/// term's postings.
pub(crate) fn frequency(searcher: &tantivy::Searcher, field: Field, text: &str) -> u64 {
    let term = Term::from_field_text(field, text);
    searcher
        .segment_readers()
        .iter()
        .map(|segment| live_frequency(segment, &term).unwrap_or(0))
        .sum()
}

pub(crate) fn live_frequency(
    segment: &tantivy::SegmentReader,
    term: &Term,
) -> tantivy::Result<u64> {
    let inverted = segment.inverted_index(term.field())?;
    let Some(alive) = segment.alive_bitset() else {
        return Ok(u64::from(inverted.doc_freq(term)?));
    };
    let postings = inverted.read_postings(term, IndexRecordOption::Basic)?;
    Ok(postings.map_or(0, |postings| {
        u64::from(postings.doc_freq_given_deletes(alive))
    }))
}

/// How results are ordered and cut.
pub(crate) struct Page {
    pub start: usize,
    pub count: usize,
    pub sort: SortKey,
}

pub(crate) enum SortKey {
    Score,
    Number(&'static str, Direction),
    Text(&'static str, Direction),
}

pub(crate) fn query_page(query: &VideoQuery) -> Page {
    let sort = match query.sort {
        VideoSort::Match => SortKey::Score,
        VideoSort::PublishedAt(dir) => SortKey::Number("published_at", dir),
        VideoSort::OriginallyPublishedAt(dir) => SortKey::Number("originally_published_at", dir),
        VideoSort::CreatedAt(dir) => SortKey::Number("created_at", dir),
        VideoSort::Views(dir) => SortKey::Number("views", dir),
        VideoSort::Likes(dir) => SortKey::Number("likes", dir),
        VideoSort::Duration(dir) => SortKey::Number("duration", dir),
        VideoSort::Name(dir) => SortKey::Text("name_sort", dir),
    };
    Page {
        start: query.start,
        count: query.count,
        sort,
    }
}

fn order(direction: Direction) -> Order {
    match direction {
        Direction::Asc => Order::Asc,
        Direction::Desc => Order::Desc,
    }
}

type Found = (u64, Vec<(f32, DocAddress)>, Option<Facets>);

/// Runs a query: total, one page of addresses with scores, and facets when asked.
pub(crate) fn collect(
    searcher: &tantivy::Searcher,
    columns: &Arc<Columns>,
    query: &dyn Query,
    page: &Page,
    boosts: &Boosts,
    with_facets: bool,
) -> Result<Found> {
    let facets = with_facets.then(|| FacetCollector {
        columns: Arc::clone(columns),
    });
    if page.count == 0 {
        let (total, facets) = searcher.search(query, &(Count, facets))?;
        return Ok((total as u64, Vec::new(), facets));
    }
    let top = TopDocs::with_limit(page.count).and_offset(page.start);
    let (total, addresses, facets) = match page.sort {
        SortKey::Score => {
            let collector = BoostedTop {
                boosts: boosts.clone(),
                columns: Arc::clone(columns),
                limit: page.start + page.count,
            };
            // Scored on live documents only, so that every replica ranks alike.
            let statistics = LiveStatistics(searcher);
            let (kept, total, facets) = searcher.search_with_statistics_provider(
                query,
                &(collector, Count, facets),
                &statistics,
            )?;
            (
                total as u64,
                kept.into_iter().skip(page.start).collect(),
                facets,
            )
        }
        SortKey::Number(field, direction) => {
            let collector = top.order_by_fast_field::<i64>(field, order(direction));
            let (top, total, facets) = searcher.search(query, &(collector, Count, facets))?;
            (total as u64, unscored(top), facets)
        }
        SortKey::Text(field, direction) => {
            let collector = top.order_by_string_fast_field(field, order(direction));
            let (top, total, facets) = searcher.search(query, &(collector, Count, facets))?;
            (total as u64, unscored(top), facets)
        }
    };
    Ok((total, addresses, facets))
}

/// A page sorted by a field: no scores to show.
fn unscored<K>(top: Vec<(K, DocAddress)>) -> Vec<(f32, DocAddress)> {
    top.into_iter().map(|(_, address)| (0.0, address)).collect()
}

/// Documents read by one task of [`read_page`].
const DOCUMENTS_PER_TASK: usize = 5;

/// Reads a page of results on the search threads, a few documents per task,
/// as the segments were searched: `read` turns each stored document into a
/// result. At 1,000,000 videos a page's documents (each one's block of the
/// document store decompressed) are about 14 % of a search's CPU, which a
/// lone search would otherwise spend on one core while the others idle.
pub(crate) fn read_page<T: Send>(
    searcher: &tantivy::Searcher,
    addresses: &[(f32, DocAddress)],
    read: impl Fn(f32, &Stored) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let read_task = |addresses: &[(f32, DocAddress)]| -> tantivy::Result<Result<Vec<T>>> {
        Ok(addresses
            .iter()
            .map(|&(score, address)| read(score, &searcher.doc(address)?))
            .collect())
    };
    let tasks = searcher
        .index()
        .search_executor()
        .map(read_task, addresses.chunks(DOCUMENTS_PER_TASK))?;
    let mut page = Vec::with_capacity(addresses.len());
    for task in tasks {
        page.extend(task?);
    }
    Ok(page)
}

/// The stored fields of a document, as a result reads them: its JSON
/// summary and, for snippets, its description (every stored field is text).
///
/// Read straight from the document store's bytes: no [`tantivy::TantivyDocument`]
/// is built, and the summary needs no second UTF-8 check to be decoded.
pub(crate) struct Stored(Vec<(Field, String)>);

impl Stored {
    /// A stored field's text.
    pub fn text(&self, field: Field) -> Option<&str> {
        self.0
            .iter()
            .find(|(stored, _)| *stored == field)
            .map(|(_, text)| text.as_str())
    }
}

impl DocumentDeserialize for Stored {
    fn deserialize<'de, D: DocumentDeserializer<'de>>(
        mut document: D,
    ) -> std::result::Result<Self, DeserializeError> {
        let mut texts = Vec::with_capacity(document.size_hint());
        while let Some((field, StoredText(text))) = document.next_field()? {
            texts.push((field, text));
        }
        Ok(Self(texts))
    }
}

/// One stored text value.
struct StoredText(String);

impl ValueDeserialize for StoredText {
    fn deserialize<'de, D: ValueDeserializer<'de>>(
        value: D,
    ) -> std::result::Result<Self, DeserializeError> {
        value.deserialize_string().map(Self)
    }
}

/// The stored summary of a document.
pub(crate) fn payload<T: DeserializeOwned>(document: &Stored, fields: &Fields) -> Result<T> {
    let json = document
        .text(fields.payload)
        .ok_or_else(|| IndexError::Payload("a document has no stored summary".into()))?;
    serde_json::from_str(json).map_err(|error| IndexError::Payload(error.to_string()))
}

pub(crate) fn video_highlights(
    matcher: &Matcher,
    document: &Stored,
    fields: &Fields,
    item: &VideoSummary,
) -> Highlights {
    let language = item.language.as_ref().and_then(|l| stem_language(&l.id));
    let description = document
        .text(fields.description)
        .or(item.truncated_description.as_deref());
    Analyzers::with(|a| Highlights {
        name: matcher.highlight(a, &item.name, language),
        description: description.map(|text| matcher.snippet(a, text, language)),
    })
}

/// Picks up a swap or a commit.
fn refresh(inner: &Inner) -> Result<bool> {
    let _only_one = inner
        .refreshing
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let live = Arc::clone(
        &inner
            .live
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    if let Some(current) = inner.layout.current()?
        && current != live.generation
    {
        let next = LiveIndex::open(&inner.layout.path(&current), current)?;
        tracing::info!(index.generation = %next.generation, index.previous = %live.generation,
            "searcher switched to a rebuilt generation");
        *inner
            .live
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(next);
        return Ok(true);
    }
    let meta = read_meta(&live.index);
    let mut seen = live
        .meta
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if meta.is_empty() || *seen == meta {
        return Ok(false);
    }
    live.reader.reload()?;
    live.columns.retain(&live.reader.searcher());
    *seen = meta;
    Ok(true)
}

/// The background refresh loop; ends when the last [`Searcher`] handle is dropped.
fn follow(inner: &Weak<Inner>) {
    let mut failing = false;
    loop {
        std::thread::sleep(REFRESH_INTERVAL);
        let Some(inner) = inner.upgrade() else {
            return;
        };
        match refresh(&inner) {
            Ok(_) => failing = false,
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(%error, "cannot refresh the search index");
            }
            Err(_) => {}
        }
    }
}

impl<T> SearchResults<T> {
    /// No results.
    pub fn empty() -> Self {
        Self {
            total: 0,
            hits: Vec::new(),
            facets: None,
            suggestion: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{STORED, STRING, Schema, TEXT};
    use tantivy::{DocAddress, Index, Term, doc};

    use super::{Searcher, frequency, read_page};
    use crate::error::IndexError;
    use crate::layout::{CommitPayload, Layout, create_index};
    use crate::schema::SCHEMA_VERSION;

    /// An index of another schema is refused with a reason, rather than
    /// opened to fail each search that reads its documents.
    #[test]
    fn an_index_of_another_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path()).unwrap();
        let commit = |schema_version| {
            let generation = layout.new_generation().unwrap();
            let index = create_index(&layout.path(&generation)).unwrap();
            let mut writer = crate::tests::segment_per_commit_writer(&index);
            let mut prepared = writer.prepare_commit().unwrap();
            let payload = CommitPayload {
                schema_version,
                ..CommitPayload::default()
            };
            prepared.set_payload(&payload.to_json());
            prepared.commit().unwrap();
            layout.publish(&generation).unwrap();
        };

        commit(SCHEMA_VERSION - 1);
        let error = Searcher::open(dir.path()).err().unwrap().to_string();
        assert!(
            error.contains(&format!(
                "built with schema version {}, this build reads version {SCHEMA_VERSION}",
                SCHEMA_VERSION - 1
            )),
            "{error}"
        );
        assert!(error.contains("florilege index --rebuild"), "{error}");

        commit(SCHEMA_VERSION);
        let searcher = Searcher::open(dir.path()).unwrap();
        assert_eq!(searcher.video_count().unwrap(), 0);
    }

    #[test]
    fn word_frequencies_leave_deleted_documents_out() {
        let mut schema = Schema::builder();
        let name = schema.add_text_field("name", TEXT);
        let key = schema.add_text_field("key", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer = crate::tests::segment_per_commit_writer(&index);
        for n in 0..4 {
            writer
                .add_document(doc!(name => "hiking alps", key => n.to_string()))
                .unwrap();
        }
        writer.commit().unwrap();
        // One document replaced (it keeps one word), one deleted.
        writer.delete_term(Term::from_field_text(key, "0"));
        writer
            .add_document(doc!(name => "hiking", key => "0"))
            .unwrap();
        writer.delete_term(Term::from_field_text(key, "1"));
        writer.commit().unwrap();

        let searcher = index.reader().unwrap().searcher();
        let hiking = Term::from_field_text(name, "hiking");
        assert_eq!(searcher.doc_freq(&hiking).unwrap(), 5, "Tantivy's count");
        assert_eq!(frequency(&searcher, name, "hiking"), 3);
        assert_eq!(frequency(&searcher, name, "alps"), 2);
        assert_eq!(frequency(&searcher, name, "absent"), 0);
    }

    /// A page read by several tasks on several threads keeps its order, and
    /// a document that cannot be read fails the page.
    #[test]
    fn pages_are_read_in_order_on_the_search_threads() {
        let mut schema = Schema::builder();
        let key = schema.add_text_field("key", STRING | STORED);
        let mut index = Index::create_in_ram(schema.build());
        index.set_multithread_executor(2).unwrap();
        let mut writer = crate::tests::segment_per_commit_writer(&index);
        for n in 0..23_u32 {
            writer.add_document(doc!(key => n.to_string())).unwrap();
            if n % 10 == 9 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let mut addresses: Vec<(f32, DocAddress)> = Vec::new();
        for (segment, reader) in searcher.segment_readers().iter().enumerate().rev() {
            for doc in (0..reader.max_doc()).rev() {
                addresses.push((doc as f32, DocAddress::new(segment as u32, doc)));
            }
        }
        assert_eq!(addresses.len(), 23);
        let read = |score: f32, document: &super::Stored| {
            let key = document.text(key).unwrap();
            Ok((score, key.to_owned()))
        };
        let page = read_page(&searcher, &addresses, read).unwrap();
        let keys: Vec<String> = page.iter().map(|(_, key)| key.clone()).collect();
        let expected: Vec<String> = addresses
            .iter()
            .map(|&(score, address)| read(score, &searcher.doc(address).unwrap()).unwrap().1)
            .collect();
        assert_eq!(
            keys, expected,
            "the page's order, across segments and tasks"
        );
        let mut all = keys;
        all.sort_by_key(|key| key.parse::<u32>().unwrap());
        assert_eq!(all, (0..23).map(|n: u32| n.to_string()).collect::<Vec<_>>());
        assert!(page.iter().zip(&addresses).all(|((a, _), (b, _))| a == b));

        let failing = read_page(&searcher, &addresses, |score, document| {
            if score == 2.0 {
                return Err(IndexError::Payload("unreadable".into()));
            }
            read(score, document)
        });
        assert!(matches!(failing, Err(IndexError::Payload(_))));
    }
}
