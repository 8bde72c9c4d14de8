//! Facet counts over every match of a search: language, category, duration range, instance.
//!
//! A segment's facet values are read from its columns once, into one plain
//! entry per document (see [`DocumentFacets`]): counting a match is then
//! four array increments. Reading the columns for each search's matches,
//! through their optional indexes and value mappings, was about a third of
//! the CPU of a search with facets at 1,000,000 videos. Counts are kept by term ordinal (no
//! string work per document) and turned into names once per segment.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::columns::{CHUNK, Columns, SegmentColumns};
use crate::query::DurationRange;
use crate::results::Facets;

/// A document without a value for a facet.
const NONE: u32 = u32::MAX;

/// A segment's facet values, one entry per document.
pub(crate) struct DocumentFacets {
    values: Box<[FacetValues]>,
    /// The segment's categories, indexed by [`FacetValues::category`].
    categories: Vec<i64>,
}

/// One document's facet values, side by side: counting a match reads one entry.
#[derive(Clone, Copy)]
struct FacetValues {
    /// Ordinals in the segment's language and host columns, or [`NONE`].
    language: u32,
    host: u32,
    /// An index in [`DocumentFacets::categories`], or [`NONE`].
    category: u32,
    /// A [`DurationRange`] as its index, or [`NO_DURATION`].
    duration: u8,
}

/// The duration slot of a document without a duration (counted nowhere).
const NO_DURATION: u8 = DurationRange::ALL.len() as u8;

impl DocumentFacets {
    /// Reads the columns of every document.
    pub fn read(columns: &SegmentColumns) -> Self {
        let mut values = Vec::with_capacity(columns.max_doc() as usize);
        let mut categories = Vec::new();
        let mut category_index: HashMap<i64, u32> = HashMap::new();
        let (mut languages, mut hosts) = (vec![None; CHUNK], vec![None; CHUNK]);
        let (mut category_ids, mut durations) = (vec![None; CHUNK], vec![None; CHUNK]);
        let language_ords = columns.language.as_ref().map(|c| c.ords());
        let host_ords = columns.host.as_ref().map(|c| c.ords());
        let ord = |ord: Option<u64>| ord.and_then(|ord| u32::try_from(ord).ok()).unwrap_or(NONE);
        columns.for_each_chunk(|docs| {
            let languages = first_values(language_ords, docs, &mut languages);
            let hosts = first_values(host_ords, docs, &mut hosts);
            let category_ids = first_values(columns.category.as_ref(), docs, &mut category_ids);
            let durations = first_values(columns.duration.as_ref(), docs, &mut durations);
            for i in 0..docs.len() {
                let category = category_ids[i].map_or(NONE, |id| {
                    *category_index.entry(id).or_insert_with(|| {
                        categories.push(id);
                        (categories.len() - 1) as u32
                    })
                });
                values.push(FacetValues {
                    language: ord(languages[i]),
                    host: ord(hosts[i]),
                    category,
                    duration: durations[i]
                        .map_or(NO_DURATION, |seconds| DurationRange::of(seconds) as u8),
                });
            }
        });
        Self {
            values: values.into(),
            categories,
        }
    }
}

/// Counts the matches of a video search by facet.
#[derive(Clone)]
pub(crate) struct FacetCollector {
    pub columns: Arc<Columns>,
}

pub(crate) struct SegmentFacets {
    columns: Arc<SegmentColumns>,
    documents: Arc<DocumentFacets>,
    languages: Vec<u64>,
    hosts: Vec<u64>,
    categories: Vec<u64>,
    /// By range, and a last slot for the documents without a duration.
    durations: [u64; DurationRange::ALL.len() + 1],
}

fn str_counts(column: &Option<StrColumn>) -> Vec<u64> {
    column
        .as_ref()
        .map_or_else(Vec::new, |c| vec![0; c.num_terms()])
}

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let columns = self.columns.of(segment)?;
        let documents = columns.facets();
        Ok(SegmentFacets {
            languages: str_counts(&columns.language),
            hosts: str_counts(&columns.host),
            categories: vec![0; documents.categories.len()],
            durations: Default::default(),
            columns,
            documents,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Facets>) -> tantivy::Result<Facets> {
        let mut merged = Facets::default();
        let mut durations = [0u64; 3];
        for fruit in fruits {
            for (key, count) in fruit.languages {
                *merged.languages.entry(key).or_default() += count;
            }
            for (key, count) in fruit.hosts {
                *merged.hosts.entry(key).or_default() += count;
            }
            for (key, count) in fruit.categories {
                *merged.categories.entry(key).or_default() += count;
            }
            for (range, count) in fruit.durations {
                durations[range as usize] += count;
            }
        }
        merged.durations = DurationRange::ALL
            .iter()
            .map(|range| (*range, durations[*range as usize]))
            .collect();
        Ok(merged)
    }
}

/// The first values of a batch of documents in a column (none without one).
pub(crate) fn first_values<'a, T>(
    column: Option<&Column<T>>,
    docs: &[DocId],
    values: &'a mut [Option<T>],
) -> &'a [Option<T>]
where
    T: PartialOrd + Copy + std::fmt::Debug + Send + Sync + 'static,
{
    let values = &mut values[..docs.len()];
    values.fill(None);
    if let Some(column) = column {
        column.first_vals(docs, values);
    }
    values
}

/// Adds one to a count, unless the value is [`NONE`].
fn count(counts: &mut [u64], index: u32) {
    if let Some(count) = counts.get_mut(index as usize) {
        *count += 1;
    }
}

/// The names of the counted ordinals. The ordinals are looked up together, in
/// order: the dictionary is read block by block, once, where looking each one
/// up alone would decompress its block again (a `ZSTD` context each time; the
/// hosts facet alone has hundreds of ordinals).
fn named(column: Option<&StrColumn>, counts: Vec<u64>) -> BTreeMap<String, u64> {
    let mut named = BTreeMap::new();
    let Some(column) = column else {
        return named;
    };
    let (ords, counts): (Vec<u64>, Vec<u64>) = counts
        .into_iter()
        .enumerate()
        .filter(|(_, count)| *count > 0)
        .map(|(ord, count)| (ord as u64, count))
        .unzip();
    let mut counts = counts.into_iter();
    // A dictionary that cannot be read leaves the facet short, as a missing name did before.
    let _ = column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
        if let (Some(count), Ok(name)) = (counts.next(), std::str::from_utf8(bytes)) {
            named.insert(name.to_owned(), count);
        }
    });
    named
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _: Score) {
        let values = self.documents.values[doc as usize];
        count(&mut self.languages, values.language);
        count(&mut self.hosts, values.host);
        count(&mut self.categories, values.category);
        self.durations[usize::from(values.duration)] += 1;
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for &doc in docs {
            self.collect(doc, 0.0);
        }
    }

    fn harvest(self) -> Facets {
        Facets {
            languages: named(self.columns.language.as_ref(), self.languages),
            hosts: named(self.columns.host.as_ref(), self.hosts),
            categories: self
                .documents
                .categories
                .iter()
                .zip(self.categories)
                .filter(|(_, count)| *count > 0)
                .map(|(category, count)| (*category, count))
                .collect(),
            durations: DurationRange::ALL
                .iter()
                .map(|range| (*range, self.durations[*range as usize]))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{AllQuery, TermQuery};
    use tantivy::schema::{FAST, INDEXED, IndexRecordOption, STRING, Schema};
    use tantivy::{Index, Term, doc};

    use super::*;

    /// Counted a match at a time (beside a scoring collector) or a block at
    /// a time (alone), over three segments, the facets are the same, and add
    /// up to the matches that have a value.
    #[test]
    fn facets_count_every_match_by_batch_or_by_match() {
        let mut schema = Schema::builder();
        let parity = schema.add_text_field("parity", STRING);
        schema.add_text_field("language", STRING | FAST);
        schema.add_text_field("host", STRING | FAST);
        schema.add_i64_field("category", INDEXED | FAST);
        schema.add_i64_field("duration", FAST);
        let schema = schema.build();
        let field = |name: &str| schema.get_field(name).unwrap();
        let index = Index::create_in_ram(schema.clone());
        let mut writer = crate::tests::segment_per_commit_writer(&index);
        for n in 0..1_300_i64 {
            let mut document = doc!(
                parity => if n % 2 == 0 { "even" } else { "odd" },
                field("host") => format!("host{}.example", n % 7),
            );
            if n % 13 != 0 {
                document.add_i64(field("duration"), (n * 37) % 3_000);
            }
            if n % 5 != 0 {
                document.add_text(field("language"), ["fr", "en", "it"][(n % 3) as usize]);
            }
            if n % 4 != 0 {
                // Common ids, and a plugin's beyond the array.
                document.add_i64(
                    field("category"),
                    if n % 11 == 0 { 100 + n % 3 } else { n % 18 },
                );
            }
            writer.add_document(document).unwrap();
            if n % 600 == 599 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        let even = TermQuery::new(
            Term::from_field_text(parity, "even"),
            IndexRecordOption::Basic,
        );
        // Each query, and which of the numbered documents it matches.
        type Case<'a> = (&'a dyn tantivy::query::Query, fn(i64) -> bool);
        let queries: [Case<'_>; 2] = [(&even, |n| n % 2 == 0), (&AllQuery, |_| true)];
        let facets = FacetCollector {
            columns: Arc::default(),
        };
        for (query, matches) in queries {
            let matched = |counted: fn(i64) -> bool| {
                (0..1_300_i64)
                    .filter(|n| matches(*n) && counted(*n))
                    .count() as u64
            };
            let (by_block, total) = searcher.search(query, &(facets.clone(), Count)).unwrap();
            let (_, by_match, _) = searcher
                .search(
                    query,
                    &(
                        TopDocs::with_limit(1).order_by_score(),
                        facets.clone(),
                        Count,
                    ),
                )
                .unwrap();
            assert_eq!(by_block, by_match);
            let total = total as u64;
            assert_eq!(total, matched(|_| true));
            assert_eq!(by_block.hosts.values().sum::<u64>(), total);
            assert_eq!(
                by_block.durations.iter().map(|(_, n)| n).sum::<u64>(),
                matched(|n| n % 13 != 0),
                "the documents without a duration are in no range"
            );
            let (range, long) = by_block.durations[2];
            assert_eq!(range, DurationRange::Long);
            assert_eq!(long, matched(|n| n % 13 != 0 && (n * 37) % 3_000 >= 1_200));
            let languages: u64 = by_block.languages.values().sum();
            assert_eq!(languages, matched(|n| n % 5 != 0));
            assert_eq!(
                by_block.languages["fr"],
                matched(|n| n % 5 != 0 && n % 3 == 0)
            );
            assert_eq!(
                by_block.categories.values().sum::<u64>(),
                matched(|n| n % 4 != 0)
            );
            assert_eq!(
                by_block.categories[&100],
                matched(|n| n % 4 != 0 && n % 11 == 0 && n % 3 == 0)
            );
        }
    }
}
