//! Facet counts over every match of a search: language, category, duration range, instance.
//!
//! Counts are kept per segment by term ordinal (no string work per
//! document) and turned into names once per segment. Matches are counted a
//! batch at a time: a column read for many documents at once costs less
//! than one per document.

use std::collections::BTreeMap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::columns::{Columns, SegmentColumns};
use crate::query::DurationRange;
use crate::results::Facets;

/// Category ids counted in an array rather than a map.
const COMMON_CATEGORIES: usize = 64;
/// Matches counted together.
const BATCH: usize = 256;

/// Counts the matches of a video search by facet.
#[derive(Clone)]
pub(crate) struct FacetCollector {
    pub columns: Arc<Columns>,
}

pub(crate) struct SegmentFacets {
    columns: Arc<SegmentColumns>,
    languages: Vec<u64>,
    hosts: Vec<u64>,
    /// Counts of the categories `0..COMMON_CATEGORIES` (PeerTube's are 1 to 18)…
    common_categories: [u64; COMMON_CATEGORIES],
    /// …and of any other (a plugin's), in a map: a map lookup per document costs more.
    other_categories: BTreeMap<i64, u64>,
    durations: [u64; 3],
    /// Matches not counted yet, and a batch's values.
    pending: Vec<DocId>,
    ords: Vec<Option<u64>>,
    values: Vec<Option<i64>>,
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
        Ok(SegmentFacets {
            languages: str_counts(&columns.language),
            hosts: str_counts(&columns.host),
            columns,
            common_categories: [0; COMMON_CATEGORIES],
            other_categories: BTreeMap::new(),
            durations: [0; 3],
            pending: Vec::with_capacity(BATCH),
            ords: vec![None; BATCH],
            values: vec![None; BATCH],
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

/// Counts the term ordinals of a batch of documents.
fn count_ords(
    column: &Option<StrColumn>,
    counts: &mut [u64],
    docs: &[DocId],
    ords: &mut [Option<u64>],
) {
    let column = column.as_ref().map(|column| column.ords());
    for ord in first_values(column, docs, ords).iter().flatten() {
        if let Some(count) = counts.get_mut(*ord as usize) {
            *count += 1;
        }
    }
}

impl SegmentFacets {
    fn count_pending(&mut self) {
        let docs = &self.pending;
        let columns = &*self.columns;
        count_ords(&columns.language, &mut self.languages, docs, &mut self.ords);
        count_ords(&columns.host, &mut self.hosts, docs, &mut self.ords);
        for category in first_values(columns.category.as_ref(), docs, &mut self.values)
            .iter()
            .flatten()
        {
            match usize::try_from(*category) {
                Ok(i) if i < COMMON_CATEGORIES => self.common_categories[i] += 1,
                _ => *self.other_categories.entry(*category).or_default() += 1,
            }
        }
        for duration in first_values(columns.duration.as_ref(), docs, &mut self.values)
            .iter()
            .flatten()
        {
            self.durations[DurationRange::of(*duration) as usize] += 1;
        }
        self.pending.clear();
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
        self.pending.push(doc);
        if self.pending.len() == BATCH {
            self.count_pending();
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for batch in docs.chunks(BATCH) {
            if self.pending.len() + batch.len() > BATCH {
                self.count_pending();
            }
            self.pending.extend_from_slice(batch);
        }
    }

    fn harvest(mut self) -> Facets {
        self.count_pending();
        Facets {
            languages: named(self.columns.language.as_ref(), self.languages),
            hosts: named(self.columns.host.as_ref(), self.hosts),
            categories: self
                .common_categories
                .iter()
                .enumerate()
                .filter(|(_, count)| **count > 0)
                .map(|(category, count)| (category as i64, *count))
                .chain(self.other_categories)
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
    /// a time (alone), over segments larger than a batch and a partial one,
    /// the facets are the same, and add up to the matches.
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
                field("duration") => (n * 37) % 3_000,
            );
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
                total
            );
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
