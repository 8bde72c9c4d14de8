//! Facet counts over every match of a search: language, category, duration range, instance.
//!
//! Counts are kept per segment by term ordinal (no string work per
//! document) and turned into names once per segment.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::query::DurationRange;
use crate::results::Facets;

/// Category ids counted in an array rather than a map.
const COMMON_CATEGORIES: usize = 64;

/// Counts the matches of a video search by facet.
pub(crate) struct FacetCollector;

pub(crate) struct SegmentFacets {
    language: Option<StrColumn>,
    languages: Vec<u64>,
    host: Option<StrColumn>,
    hosts: Vec<u64>,
    category: Option<Column<i64>>,
    /// Counts of the categories `0..COMMON_CATEGORIES` (PeerTube's are 1 to 18)…
    common_categories: [u64; COMMON_CATEGORIES],
    /// …and of any other (a plugin's), in a map: a map lookup per document costs more.
    other_categories: BTreeMap<i64, u64>,
    duration: Option<Column<i64>>,
    durations: [u64; 3],
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
        let fast = segment.fast_fields();
        let language = fast.str("language")?;
        let host = fast.str("host")?;
        Ok(SegmentFacets {
            languages: str_counts(&language),
            hosts: str_counts(&host),
            language,
            host,
            category: fast.column_opt::<i64>("category")?,
            common_categories: [0; COMMON_CATEGORIES],
            other_categories: BTreeMap::new(),
            duration: fast.column_opt::<i64>("duration")?,
            durations: [0; 3],
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

fn count_ord(column: &Option<StrColumn>, counts: &mut [u64], doc: DocId) {
    if let Some(ord) = column.as_ref().and_then(|c| c.ords().first(doc))
        && let Some(count) = counts.get_mut(ord as usize)
    {
        *count += 1;
    }
}

/// The names of the counted ordinals. The ordinals are looked up together, in
/// order: the dictionary is read block by block, once, where looking each one
/// up alone would decompress its block again (a `ZSTD` context each time; the
/// hosts facet alone has hundreds of ordinals).
fn named(column: Option<StrColumn>, counts: Vec<u64>) -> BTreeMap<String, u64> {
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
        count_ord(&self.language, &mut self.languages, doc);
        count_ord(&self.host, &mut self.hosts, doc);
        if let Some(category) = self.category.as_ref().and_then(|c| c.first(doc)) {
            match usize::try_from(category) {
                Ok(i) if i < COMMON_CATEGORIES => self.common_categories[i] += 1,
                _ => *self.other_categories.entry(category).or_default() += 1,
            }
        }
        if let Some(duration) = self.duration.as_ref().and_then(|c| c.first(doc)) {
            self.durations[DurationRange::of(duration) as usize] += 1;
        }
    }

    fn harvest(self) -> Facets {
        Facets {
            languages: named(self.language, self.languages),
            hosts: named(self.host, self.hosts),
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
