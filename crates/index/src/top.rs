//! The best documents of a `-match` search by boosted score.
//!
//! The boosts are only computed for a document whose text score could
//! still reach the page: its score times the segment's largest boost factor
//! must beat the page's last score. Once the page fills, that skips the
//! column reads of most matches, which were a third of a search's CPU at
//! 1,000,000 videos.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::columns::Columns;
use crate::ranking::{Boosts, SegmentBoosts};

/// Collects the best `start + count` documents by boosted score, best first.
pub(crate) struct BoostedTop {
    pub boosts: Boosts,
    pub columns: Arc<Columns>,
    /// Documents kept: the page and every one before it.
    pub limit: usize,
}

/// A kept document; the heap's least is the first to give way.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ranked {
    score: Score,
    address: DocAddress,
}

impl Ranked {
    /// Higher scores first, then lower addresses (as Tantivy's `TopDocs` orders ties).
    fn rank(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then_with(|| self.address.cmp(&other.address))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.rank(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    /// A better-ranked document is "less", so that a max-heap of them holds the worst on top.
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank(other)
    }
}

pub(crate) struct SegmentTop {
    boosts: SegmentBoosts,
    segment: SegmentOrdinal,
    limit: usize,
    /// The kept documents, the worst on top.
    kept: BinaryHeap<Ranked>,
}

impl SegmentTop {
    /// The score a new document must beat to be kept, once the page is full.
    fn floor(&self) -> Option<Score> {
        (self.kept.len() >= self.limit).then(|| self.kept.peek().map_or(Score::MAX, |w| w.score))
    }
}

impl Collector for BoostedTop {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = SegmentTop;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTop> {
        Ok(SegmentTop {
            boosts: SegmentBoosts::new(&self.boosts, &*self.columns.of(reader)?),
            segment,
            limit: self.limit,
            kept: BinaryHeap::with_capacity(self.limit + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Ranked>>) -> tantivy::Result<Self::Fruit> {
        let mut kept: Vec<Ranked> = fruits.into_iter().flatten().collect();
        kept.sort_unstable();
        kept.truncate(self.limit);
        Ok(kept.into_iter().map(|r| (r.score, r.address)).collect())
    }
}

impl SegmentCollector for SegmentTop {
    type Fruit = Vec<Ranked>;

    fn collect(&mut self, doc: DocId, text: Score) {
        if self.limit == 0 {
            return;
        }
        let floor = self.floor();
        if floor.is_some_and(|floor| self.boosts.bound(text) <= floor) {
            return;
        }
        let ranked = Ranked {
            score: self.boosts.score(doc, text),
            address: DocAddress::new(self.segment, doc),
        };
        match floor {
            None => self.kept.push(ranked),
            // Documents come in increasing order: an equal score ranks after the kept one.
            Some(floor) if ranked.score > floor => {
                self.kept.pop();
                self.kept.push(ranked);
            }
            Some(_) => {}
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.kept.into_vec()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{Query, TermQuery};
    use tantivy::schema::{FAST, INDEXED, IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::{Index, Term, doc};

    use super::*;

    fn ranked(score: Score, doc: DocId) -> Ranked {
        Ranked {
            score,
            address: DocAddress::new(0, doc),
        }
    }

    #[test]
    fn better_scores_and_then_lower_addresses_rank_first() {
        let mut all = vec![
            ranked(1.0, 3),
            ranked(2.0, 9),
            ranked(1.0, 1),
            ranked(0.5, 0),
        ];
        all.sort_unstable();
        let order: Vec<DocId> = all.iter().map(|r| r.address.doc_id).collect();
        assert_eq!(order, [9, 1, 3, 0]);
        let mut heap: BinaryHeap<Ranked> = all.into_iter().collect();
        assert_eq!(
            heap.pop().map(|r| r.address.doc_id),
            Some(0),
            "the worst on top"
        );
    }

    /// The pages, totals and scores equal those of scoring every match with
    /// the boosts (Tantivy's `TopDocs` with `tweak_score`), over several
    /// segments, with deleted documents, tied scores and every boost.
    #[test]
    fn pages_equal_scoring_every_match() {
        let mut schema = Schema::builder();
        let name = schema.add_text_field("name", TEXT);
        let key = schema.add_text_field("key", STRING);
        let views = schema.add_i64_field("views", FAST);
        let published = schema.add_i64_field("published_at", FAST);
        let curated = schema.add_bool_field("curated", INDEXED | FAST);
        let language = schema.add_text_field("language", STRING | FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer = crate::tests::segment_per_commit_writer(&index);
        let now = 1_800_000_000;
        for n in 0..600_i64 {
            // Titles of 1 to 7 words (so text scores differ), and every tenth one repeated (ties).
            let words = if n % 10 == 0 { 3 } else { 1 + n % 7 };
            let title = ["hiking"]
                .into_iter()
                .chain(std::iter::repeat_n("alps", words as usize - 1))
                .collect::<Vec<_>>()
                .join(" ");
            let (views_of, age) = if n % 10 == 0 {
                (7, 86_400)
            } else {
                ((n * 7919) % 100_000, (n * 104_729) % 40_000_000)
            };
            writer
                .add_document(doc!(
                    name => title,
                    key => n.to_string(),
                    views => views_of,
                    published => now - age,
                    curated => n % 13 == 0,
                    language => if n % 3 == 0 { "fr" } else { "en" },
                ))
                .unwrap();
            if n % 200 == 199 {
                writer.commit().unwrap();
            }
        }
        for n in (0..600).step_by(17) {
            writer.delete_term(Term::from_field_text(key, &n.to_string()));
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        let columns = Arc::new(Columns::default());
        let query = TermQuery::new(
            Term::from_field_text(name, "hiking"),
            IndexRecordOption::WithFreqs,
        );
        for (languages, has_text) in [
            (vec![], true),
            (vec!["fr".to_owned()], true),
            (vec![], false),
        ] {
            let boosts = Boosts {
                now,
                languages,
                language_weight: 0.5,
                has_text,
            };
            for (start, count) in [(0, 10), (10, 10), (0, 50), (537, 20), (600, 5)] {
                let expected = {
                    let boosts = boosts.clone();
                    let top = TopDocs::with_limit(count).and_offset(start).tweak_score(
                        move |segment: &SegmentReader| {
                            let columns = crate::columns::SegmentColumns::open(segment).unwrap();
                            let boosts = SegmentBoosts::new(&boosts, &columns);
                            move |doc: DocId, score: Score| boosts.score(doc, score)
                        },
                    );
                    searcher
                        .search(&query as &dyn Query, &(top, Count))
                        .unwrap()
                };
                let collector = BoostedTop {
                    boosts: boosts.clone(),
                    columns: Arc::clone(&columns),
                    limit: start + count,
                };
                let (kept, total) = searcher.search(&query, &(collector, Count)).unwrap();
                let page: Vec<_> = kept.into_iter().skip(start).collect();
                assert_eq!(total, expected.1);
                assert_eq!(
                    page, expected.0,
                    "start {start}, count {count}, text {has_text}"
                );
            }
        }
    }
}
