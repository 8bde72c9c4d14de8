//! `-match` searches that skip the documents that cannot reach the page (MaxScore).
//!
//! A search's text score is a sum of clauses, one per word and field group,
//! each with a bound on what it can add ([`Clause::bound`]). Once the page
//! is full, a document must beat its last score; divided by the segment's
//! largest boost factor, that is a text score to beat. The clauses of
//! least bounds whose bounds together cannot reach it are non-essential: a
//! document that only they match cannot make the page, so only the other
//! clauses' documents are visited, and the non-essential clauses are looked
//! up for those, while they could still make a difference (Turtle and
//! Flood's MaxScore, as Lucene prunes disjunctions).
//!
//! Skipping documents means not counting them: the total is exact up to
//! [`TOTAL_CAP`] matches, the pruning starting only beyond, and is reported
//! as a lower bound then, as Elasticsearch counts by default (and so Sepia
//! Search, PeerTube's own search index). Pagination stops there anyway
//! ([`crate::query::MAX_WINDOW`]).

use tantivy::query::{EnableScoring, Query, Scorer, Weight};
use tantivy::{DocAddress, DocId, DocSet, Score, TERMINATED};

use crate::error::Result;
use crate::matching::{Clause, TextQuery};
use crate::query::MAX_WINDOW;
use crate::ranking::{Boosts, SegmentBoosts};
use crate::statistics::LiveStatistics;
use crate::top::{Kept, best_first};

/// Matches counted exactly before a search may skip some.
pub const TOTAL_CAP: u64 = MAX_WINDOW as u64;

/// What a pruned search found.
#[derive(Debug, PartialEq)]
pub(crate) struct Pruned {
    /// Matches, counted up to the cap.
    pub total: u64,
    /// Whether counting stopped at the cap (there are at least `total` matches).
    pub capped: bool,
    /// The best `limit` documents, best first.
    pub top: Vec<(Score, DocAddress)>,
}

/// The best `limit` documents matching `text` (which must select by any of
/// its clauses, see [`TextQuery::any_selecting_clause`]) and `filters`, by
/// boosted score, counting matches up to `cap`.
pub(crate) fn search(
    searcher: &tantivy::Searcher,
    text: &TextQuery,
    filters: &dyn Query,
    boosts: &Boosts,
    limit: usize,
    cap: u64,
) -> Result<Pruned> {
    debug_assert!(text.any_selecting_clause());
    // Scored on live documents only, so that every replica ranks alike.
    let statistics = LiveStatistics(searcher);
    let scoring = EnableScoring::enabled_from_statistics_provider(&statistics, searcher);
    let weigh = |words: &[Vec<Clause>]| -> Result<Vec<(Box<dyn Weight>, Score)>> {
        let clauses = words.iter().flatten();
        Ok(clauses
            .map(|c| Ok((c.query.weight(scoring)?, c.bound)))
            .collect::<tantivy::Result<_>>()?)
    };
    let selecting = weigh(&text.selecting)?;
    let scoring_only = weigh(&text.scoring)?;
    let filters = filters.weight(EnableScoring::disabled_from_searcher(searcher))?;
    // Segments in parallel, as Tantivy searches them; each counts up to the cap.
    let search_segment = |(ordinal, reader): (usize, &tantivy::SegmentReader)| {
        let leaves = |weights: &[(Box<dyn Weight>, Score)]| -> tantivy::Result<Vec<Leaf>> {
            weights
                .iter()
                .map(|(weight, bound)| {
                    Ok(Leaf {
                        scorer: weight.scorer(reader, 1.0)?,
                        bound: *bound,
                    })
                })
                .collect()
        };
        let mut segment = Segment {
            ordinal: u32::try_from(ordinal).expect("fewer segments than u32::MAX"),
            reader,
            boosts: SegmentBoosts::new(boosts, reader),
            filter: filters.scorer(reader, 1.0)?,
            selecting: leaves(&selecting)?,
            scoring: leaves(&scoring_only)?,
            scores: vec![0.0; selecting.len() + scoring_only.len()],
        };
        let mut run = Run {
            kept: Kept::new(limit),
            matches: 0,
            cap,
        };
        segment.search(&mut run);
        Ok((run.kept.into_vec(), run.matches))
    };
    let segments = searcher.segment_readers().iter().enumerate();
    let found = searcher
        .index()
        .search_executor()
        .map(search_segment, segments)?;
    let matches: u64 = found.iter().map(|(_, matches)| matches).sum();
    let kept = found.into_iter().flat_map(|(kept, _)| kept).collect();
    Ok(Pruned {
        total: matches.min(cap),
        capped: matches >= cap,
        top: best_first(kept, limit),
    })
}

/// A segment's page, and its matches counted up to the cap.
struct Run {
    kept: Kept,
    matches: u64,
    cap: u64,
}

impl Run {
    fn counting(&self) -> bool {
        self.matches < self.cap
    }
}

/// One clause's scorer in a segment.
struct Leaf {
    scorer: Box<dyn Scorer>,
    bound: Score,
}

struct Segment<'a> {
    ordinal: u32,
    reader: &'a tantivy::SegmentReader,
    boosts: SegmentBoosts,
    /// The filters, as a set of documents.
    filter: Box<dyn Scorer>,
    /// The clauses that select documents, least bound first.
    selecting: Vec<Leaf>,
    /// The clauses of common words, which only score, greatest bound first.
    scoring: Vec<Leaf>,
    /// The current document's score by clause, selecting ones first.
    scores: Vec<Score>,
}

impl Segment<'_> {
    fn search(&mut self, run: &mut Run) {
        self.selecting.sort_by(|a, b| a.bound.total_cmp(&b.bound));
        self.scoring.sort_by(|a, b| b.bound.total_cmp(&a.bound));
        let scoring_bound: Score = self.scoring.iter().map(|leaf| leaf.bound).sum();
        // `selecting[..essential]` are the non-essential clauses, whose
        // bounds add up (with the scoring ones') to `others_bound`.
        let (mut essential, mut others_bound) = (0, scoring_bound);
        let alive = self.reader.alive_bitset();
        loop {
            if !run.counting() {
                (essential, others_bound) = self.essential(run.kept.floor(), essential, others_bound);
                if essential == self.selecting.len() {
                    // No document left in the segment can reach the page.
                    return;
                }
            }
            let doc = self.selecting[essential..]
                .iter()
                .map(|leaf| leaf.scorer.doc())
                .min()
                .unwrap_or(TERMINATED);
            if doc == TERMINATED {
                return;
            }
            self.scores.fill(0.0);
            let mut text = 0.0;
            for (leaf, score) in self.selecting[essential..]
                .iter_mut()
                .zip(&mut self.scores[essential..])
            {
                if leaf.scorer.doc() == doc {
                    *score = leaf.scorer.score();
                    text += *score;
                    leaf.scorer.advance();
                }
            }
            if alive.is_some_and(|alive| alive.is_deleted(doc)) || !seek(&mut *self.filter, doc) {
                continue;
            }
            if run.counting() {
                run.matches += 1;
            }
            let floor = run.kept.floor();
            if !self.add_others(doc, text, essential, others_bound, floor) {
                continue;
            }
            // Summed in one order whatever the clauses visited: the same
            // document gets the same score however much was skipped.
            let text = self.scores.iter().sum();
            let address = DocAddress::new(self.ordinal, doc);
            run.kept.offer(&self.boosts, address, text);
        }
    }

    /// Where the essential clauses start for the page's `floor`, and the
    /// bound of the clauses before them: the longest run of least bounds
    /// that cannot lift a document onto the page, with the scoring clauses.
    fn essential(
        &self,
        floor: Option<Score>,
        mut essential: usize,
        mut others_bound: Score,
    ) -> (usize, Score) {
        let Some(floor) = floor else {
            return (essential, others_bound);
        };
        while let Some(leaf) = self.selecting.get(essential) {
            if self.boosts.bound(others_bound + leaf.bound) > floor {
                break;
            }
            others_bound += leaf.bound;
            essential += 1;
        }
        (essential, others_bound)
    }

    /// Scores `doc` on the other clauses, greatest bound first, after
    /// `text` on the essential ones; false as soon as what they could still
    /// add cannot take the document above `floor`.
    fn add_others(
        &mut self,
        doc: DocId,
        mut text: Score,
        essential: usize,
        others_bound: Score,
        floor: Option<Score>,
    ) -> bool {
        let mut rest = others_bound;
        let (selecting, scoring) = self.scores.split_at_mut(self.selecting.len());
        let others = (self.selecting[..essential].iter_mut())
            .zip(&mut selecting[..essential])
            .rev()
            .chain(self.scoring.iter_mut().zip(scoring));
        for (leaf, score) in others {
            if floor.is_some_and(|floor| self.boosts.bound(text + rest) <= floor) {
                return false;
            }
            rest -= leaf.bound;
            if seek(&mut *leaf.scorer, doc) {
                *score = leaf.scorer.score();
                text += *score;
            }
        }
        true
    }
}

/// Whether `docs` holds `doc` (not behind it: documents are asked in increasing order).
fn seek(docs: &mut dyn Scorer, doc: DocId) -> bool {
    if docs.doc() < doc {
        docs.seek(doc);
    }
    docs.doc() == doc
}
