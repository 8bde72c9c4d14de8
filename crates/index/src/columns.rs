//! The fast-field columns searches read, opened once per segment.
//!
//! Opening a column decodes its header, and for a blockwise-linear column
//! every block's parameters: at 1,000,000 videos, opening the boosts'
//! columns for each search and segment took about 3 % of the searches' CPU.
//! A segment's columns never change once it is written (deletions are kept
//! beside it), so the first search of a segment opens them and later ones
//! share them, until a reload finds the segment merged away.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tantivy::columnar::{Column, StrColumn};
use tantivy::index::SegmentId;
use tantivy::{DocId, SegmentReader};

use crate::facets::DocumentFacets;
use crate::ranking::DocumentBoosts;

/// Documents per call of [`SegmentColumns::for_each_chunk`].
pub(crate) const CHUNK: usize = 4096;

/// The columns of one segment that ranking and facets read.
pub(crate) struct SegmentColumns {
    pub views: Option<Column<i64>>,
    pub published_at: Option<Column<i64>>,
    pub curated: Option<Column<bool>>,
    pub language: Option<StrColumn>,
    pub host: Option<StrColumn>,
    pub category: Option<Column<i64>>,
    pub duration: Option<Column<i64>>,
    max_doc: DocId,
    /// The boosts' inputs as plain arrays, read on the first `-match` search.
    boosts: OnceLock<Arc<DocumentBoosts>>,
    /// The facets' values as plain arrays, read on the first search with facets.
    facets: OnceLock<Arc<DocumentFacets>>,
}

impl SegmentColumns {
    pub fn open(segment: &SegmentReader) -> tantivy::Result<Self> {
        let fast = segment.fast_fields();
        Ok(Self {
            views: fast.column_opt("views")?,
            published_at: fast.column_opt("published_at")?,
            curated: fast.column_opt("curated")?,
            language: fast.str("language")?,
            host: fast.str("host")?,
            category: fast.column_opt("category")?,
            duration: fast.column_opt("duration")?,
            max_doc: segment.max_doc(),
            boosts: OnceLock::new(),
            facets: OnceLock::new(),
        })
    }

    pub fn max_doc(&self) -> DocId {
        self.max_doc
    }

    /// Calls `read` with every document of the segment in order, [`CHUNK`]
    /// at a time: a column reads many documents at once for less than one
    /// at a time.
    pub fn for_each_chunk(&self, mut read: impl FnMut(&[DocId])) {
        let mut docs = Vec::with_capacity(CHUNK);
        for start in (0..self.max_doc).step_by(CHUNK) {
            docs.clear();
            docs.extend(start..self.max_doc.min(start + CHUNK as DocId));
            read(&docs);
        }
    }

    /// The boosts' inputs of every document of the segment.
    pub fn boosts(&self) -> Arc<DocumentBoosts> {
        Arc::clone(
            self.boosts
                .get_or_init(|| Arc::new(DocumentBoosts::read(self))),
        )
    }

    /// The facet values of every document of the segment.
    pub fn facets(&self) -> Arc<DocumentFacets> {
        Arc::clone(
            self.facets
                .get_or_init(|| Arc::new(DocumentFacets::read(self))),
        )
    }
}

/// The opened columns of an index's segments, shared by its searches.
#[derive(Default)]
pub(crate) struct Columns(Mutex<HashMap<SegmentId, Arc<SegmentColumns>>>);

impl Columns {
    /// The columns of a segment, opened on the first call.
    pub fn of(&self, segment: &SegmentReader) -> tantivy::Result<Arc<SegmentColumns>> {
        let id = segment.segment_id();
        if let Some(columns) = self.lock().get(&id) {
            return Ok(Arc::clone(columns));
        }
        // Opened outside the lock: two searches may both open a new
        // segment's columns, and the second keeps its own.
        let columns = Arc::new(SegmentColumns::open(segment)?);
        self.lock().insert(id, Arc::clone(&columns));
        Ok(columns)
    }

    /// Forgets the segments a reload left behind (merged away or deleted).
    pub fn retain(&self, searcher: &tantivy::Searcher) {
        let live: HashSet<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(SegmentReader::segment_id)
            .collect();
        self.lock().retain(|id, _| live.contains(id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, Arc<SegmentColumns>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::schema::{FAST, STRING, Schema};
    use tantivy::{Index, IndexWriter, doc};

    use super::*;

    /// Each segment's columns are opened once and read its own values; a
    /// reload after a merge forgets them.
    #[test]
    fn a_segment_columns_are_opened_once_and_read_its_values() {
        let mut schema = Schema::builder();
        let views = schema.add_i64_field("views", FAST);
        let language = schema.add_text_field("language", STRING | FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer = crate::tests::segment_per_commit_writer(&index);
        for (n, code) in [(7_i64, "fr"), (11, "en")] {
            writer
                .add_document(doc!(views => n, language => code))
                .unwrap();
            writer.commit().unwrap();
        }
        drop(writer);
        let searcher = index.reader().unwrap().searcher();
        let [first, second] = searcher.segment_readers() else {
            panic!("two segments");
        };
        let columns = Columns::default();
        let opened = columns.of(first).unwrap();
        assert!(Arc::ptr_eq(&opened, &columns.of(first).unwrap()));
        let other = columns.of(second).unwrap();
        assert!(!Arc::ptr_eq(&opened, &other));
        let mut seen: Vec<_> = [&opened, &other]
            .iter()
            .map(|c| {
                let code = c.language.as_ref().unwrap();
                let mut name = String::new();
                code.ord_to_str(code.ords().first(0).unwrap(), &mut name)
                    .unwrap();
                (c.views.as_ref().unwrap().first(0), name)
            })
            .collect();
        seen.sort();
        assert_eq!(seen, [(Some(7), "fr".into()), (Some(11), "en".into())]);
        assert!(opened.curated.is_none(), "a column the schema lacks");

        let reloaded = {
            let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
            writer
                .merge(&index.searchable_segment_ids().unwrap())
                .wait()
                .unwrap();
            let reader = index.reader().unwrap();
            reader.reload().unwrap();
            reader.searcher()
        };
        columns.retain(&reloaded);
        assert!(columns.lock().is_empty(), "both segments merged away");
        assert!(!Arc::ptr_eq(&opened, &columns.of(first).unwrap()));
    }
}
