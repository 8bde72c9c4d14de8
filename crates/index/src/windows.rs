//! Matches a search's words and filters window by window.
//!
//! As a tree of Tantivy queries, a search is a Boolean query of words, each
//! a union of field groups, each a dis-max of variants (the exact term, its
//! stems, a fuzzy or prefix automaton), inside a Boolean query of filters:
//! every match of a common word went through four levels of scorers, each
//! with its own buffers, virtual calls and seeks. Here the documents are
//! taken in windows of [`WINDOW`] ids: each term's postings are read straight
//! into the window's score arrays (BM25 from the term's statistics, as
//! Tantivy's own term scorer computes it), the groups' dis-max and the
//! words' sums are made there, the words that select intersect (or unite) as
//! bit masks, the filters of a few terms are made masks the same way, and
//! only the documents left are checked against the other filters (ranges,
//! long lists) and scored by the common words. A window starts where every
//! selecting word has a document (strict) or where any has one (relaxed), so
//! rare words still skip the rest.
//!
//! The matches and their scores are those of the tree (up to the order in
//! which floating-point scores add up); see the tests.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EnableScoring, Explanation, Occur, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

use crate::filters::Filter;
use crate::matching::{Strictness, TIE_BREAKER, Text, Variant, Word};

/// Documents per window: the score arrays (16 KiB each) stay in the cache.
/// Tests use small windows, so that their corpus spans many.
const WINDOW: usize = if cfg!(test) { 128 } else { 4096 };
const MASK_WORDS: usize = WINDOW / 64;

type Mask = [u64; MASK_WORDS];

/// A search's words with its filters (`Must` clauses select, `MustNot` ones exclude).
#[derive(Clone, Debug)]
pub(crate) struct TextMatch {
    pub text: Text,
    pub filters: Vec<(Occur, Filter)>,
}

impl Query for TextMatch {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let words = |words: &[Word]| -> tantivy::Result<Vec<WordWeight>> {
            words
                .iter()
                .map(|word| {
                    word.iter()
                        .map(|group| {
                            group
                                .iter()
                                .map(|variant| VariantWeight::new(variant, scoring))
                                .collect()
                        })
                        .collect()
                })
                .collect()
        };
        // Filters only select: their weights need no statistics.
        let unscored = EnableScoring::disabled_from_schema(scoring.schema());
        let filters = self
            .filters
            .iter()
            .map(|(occur, filter)| {
                let weight = match filter {
                    Filter::Terms(terms) => FilterWeight::Terms(
                        terms
                            .iter()
                            .map(|term| VariantWeight::Term {
                                term: term.clone(),
                                bm25: None,
                            })
                            .collect(),
                    ),
                    Filter::Query(query) => FilterWeight::Query(query.weight(unscored)?),
                };
                Ok((*occur == Occur::Must, weight))
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(Box::new(TextWeight {
            scored: scoring.is_scoring_enabled(),
            selecting: words(&self.text.selecting)?,
            strict: self.text.strictness == Strictness::Strict,
            // Common words only score: without scores they change nothing.
            scoring: if scoring.is_scoring_enabled() {
                words(&self.text.scoring)?
            } else {
                Vec::new()
            },
            filters,
        }))
    }
}

/// The weight of one variant: a term is read straight from its postings.
enum VariantWeight {
    Term {
        term: Term,
        /// None when scoring is off.
        bm25: Option<Bm25Weight>,
    },
    Other(Box<dyn Weight>),
}

impl VariantWeight {
    fn new(variant: &Variant, scoring: EnableScoring<'_>) -> tantivy::Result<Self> {
        Ok(match (variant, scoring) {
            (
                Variant::Term { term, weight },
                EnableScoring::Enabled {
                    statistics_provider,
                    ..
                },
            ) => Self::Term {
                term: term.clone(),
                bm25: Some(
                    Bm25Weight::for_terms(statistics_provider, std::slice::from_ref(term))?
                        .boost_by(*weight),
                ),
            },
            (Variant::Term { term, .. }, EnableScoring::Disabled { .. }) => Self::Term {
                term: term.clone(),
                bm25: None,
            },
            (Variant::Automaton { .. }, _) => Self::Other(variant.query().weight(scoring)?),
        })
    }

    /// The variant's cursor on a segment; None when nothing there matches it.
    fn cursor(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Option<Cursor>> {
        match self {
            Self::Term { term, bm25 } => {
                let option = if bm25.is_some() {
                    IndexRecordOption::WithFreqs
                } else {
                    IndexRecordOption::Basic
                };
                let Some(postings) = reader
                    .inverted_index(term.field())?
                    .read_postings(term, option)?
                else {
                    return Ok(None);
                };
                let fieldnorms = reader
                    .fieldnorms_readers()
                    .get_field(term.field())?
                    .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
                Ok(Some(Cursor::Term(Box::new(TermCursor {
                    postings,
                    fieldnorms,
                    bm25: bm25.as_ref().map(|bm25| bm25.boost_by(boost)),
                }))))
            }
            Self::Other(weight) => {
                let scorer = weight.scorer(reader, boost)?;
                Ok((scorer.doc() != TERMINATED).then_some(Cursor::Scorer(scorer)))
            }
        }
    }
}

/// A filter's weight: a few terms read from their postings, or another query's.
enum FilterWeight {
    Terms(Vec<VariantWeight>),
    Query(Box<dyn Weight>),
}

/// A filter on a segment: the masks of a few terms' postings, or another
/// query's scorer that each candidate is sought in.
enum FilterCursor {
    Terms(Vec<Cursor>),
    Query(Cursor),
}

/// A word's groups, each a list of variants.
type WordWeight = Vec<Vec<VariantWeight>>;
type WordCursors = Vec<Vec<Cursor>>;

struct TextWeight {
    scored: bool,
    selecting: Vec<WordWeight>,
    strict: bool,
    scoring: Vec<WordWeight>,
    /// Each filter, and whether it selects (or excludes).
    filters: Vec<(bool, FilterWeight)>,
}

impl TextWeight {
    fn text_scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<TextScorer> {
        let words = |words: &[WordWeight]| -> tantivy::Result<Vec<WordCursors>> {
            words
                .iter()
                .map(|word| {
                    word.iter()
                        .map(|group| {
                            let cursors = group.iter().map(|v| v.cursor(reader, boost));
                            cursors.filter_map(Result::transpose).collect()
                        })
                        .collect()
                })
                .collect()
        };
        let filters = self.filters.iter().map(|(must, weight)| {
            let cursor = match weight {
                FilterWeight::Terms(terms) => {
                    let cursors = terms.iter().map(|v| v.cursor(reader, boost));
                    FilterCursor::Terms(
                        cursors
                            .filter_map(Result::transpose)
                            .collect::<Result<_, _>>()?,
                    )
                }
                FilterWeight::Query(weight) => {
                    FilterCursor::Query(Cursor::Scorer(weight.scorer(reader, boost)?))
                }
            };
            Ok((*must, cursor))
        });
        // A small segment (a recent commit) needs no more than its size.
        let window = WINDOW.min(reader.max_doc() as usize);
        let mut scorer = TextScorer {
            selecting: words(&self.selecting)?,
            strict: self.strict,
            scoring: words(&self.scoring)?,
            filters: filters.collect::<tantivy::Result<_>>()?,
            max_doc: reader.max_doc(),
            scratch: Scratch::new(self.scored, window),
            docs: Vec::with_capacity(window),
            scores: Vec::with_capacity(window),
            position: 0,
            end: 0,
        };
        scorer.fill(0);
        Ok(scorer)
    }
}

impl Weight for TextWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(self.text_scorer(reader, boost)?))
    }

    /// A window's matches at a time, without a virtual call per match.
    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        let mut scorer = self.text_scorer(reader, 1.0)?;
        while scorer.doc() != TERMINATED {
            for (&doc, &score) in scorer.docs.iter().zip(&scorer.scores) {
                callback(doc, score);
            }
            scorer.fill(scorer.end);
        }
        Ok(())
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        let mut scorer = self.text_scorer(reader, 1.0)?;
        while scorer.doc() != TERMINATED {
            callback(&scorer.docs);
            scorer.fill(scorer.end);
        }
        Ok(())
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.text_scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document #{doc} does not match"
            )));
        }
        Ok(Explanation::new(
            "words matched by window (sum of words, dis-max of variants per field group)",
            scorer.score(),
        ))
    }
}

/// Where a variant is in its segment.
enum Cursor {
    Term(Box<TermCursor>),
    Scorer(Box<dyn Scorer>),
}

/// A term's postings, scored as Tantivy's term scorer scores them.
struct TermCursor {
    postings: SegmentPostings,
    fieldnorms: FieldNormReader,
    /// None when scoring is off.
    bm25: Option<Bm25Weight>,
}

impl TermCursor {
    fn score(&self, doc: DocId) -> Score {
        self.bm25.as_ref().map_or(0.0, |bm25| {
            bm25.score(self.fieldnorms.fieldnorm_id(doc), self.postings.term_freq())
        })
    }
}

impl Cursor {
    fn doc(&self) -> DocId {
        match self {
            Self::Term(term) => term.postings.doc(),
            Self::Scorer(scorer) => scorer.doc(),
        }
    }

    /// The first document from `target` on.
    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.doc();
        if doc >= target {
            return doc;
        }
        match self {
            Self::Term(term) => term.postings.seek(target),
            Self::Scorer(scorer) => scorer.seek(target),
        }
    }

    /// Calls `visit(offset from base, score)` for each document in
    /// `[base, end)`, and stops on the first one after.
    #[inline]
    fn drain(&mut self, base: DocId, end: DocId, mut visit: impl FnMut(usize, Score)) {
        let mut doc = self.seek(base);
        match self {
            Self::Term(term) => {
                while doc < end {
                    visit((doc - base) as usize, term.score(doc));
                    doc = term.postings.advance();
                }
            }
            Self::Scorer(scorer) => {
                while doc < end {
                    visit((doc - base) as usize, scorer.score());
                    doc = scorer.advance();
                }
            }
        }
    }

    /// Its score on `doc`, if it matches it (`doc` must not go back).
    fn score_at(&mut self, doc: DocId) -> Option<Score> {
        if self.seek(doc) != doc {
            return None;
        }
        Some(match self {
            Self::Term(term) => term.score(doc),
            Self::Scorer(scorer) => scorer.score(),
        })
    }
}

/// The window's working arrays, indexed by offset from its first document
/// (as long as the window, or the segment when it is shorter).
struct Scratch {
    /// Whether scores are wanted, or only the matches.
    scored: bool,
    total: Box<[Score]>,
    /// A group's best variant score, and the sum of its variants' scores.
    best: Box<[Score]>,
    sum: Box<[Score]>,
    /// Documents with a score in `total`, to clear after the window.
    touched: Mask,
    /// Documents still matching.
    matched: Mask,
    word: Mask,
    group: Mask,
    /// Offsets of the documents that matched the selecting words.
    candidates: Vec<u32>,
}

impl Scratch {
    fn new(scored: bool, window: usize) -> Self {
        Self {
            scored,
            total: vec![0.0; window].into_boxed_slice(),
            best: vec![0.0; window].into_boxed_slice(),
            sum: vec![0.0; window].into_boxed_slice(),
            touched: [0; MASK_WORDS],
            matched: [0; MASK_WORDS],
            word: [0; MASK_WORDS],
            group: [0; MASK_WORDS],
            candidates: Vec::with_capacity(window),
        }
    }

    /// Adds a word's score on the window's documents to `total` (when
    /// scored), and leaves the documents it matches in `word`.
    fn add_word(&mut self, word: &mut WordCursors, base: DocId, end: DocId) {
        self.word = [0; MASK_WORDS];
        if !self.scored {
            let mask = &mut self.word;
            for cursor in word.iter_mut().flatten() {
                cursor.drain(base, end, |offset, _| set(mask, offset));
            }
            return;
        }
        for group in word.iter_mut() {
            if let [only] = group.as_mut_slice() {
                let (total, mask) = (&mut self.total, &mut self.word);
                only.drain(base, end, |offset, score| {
                    total[offset] += score;
                    set(mask, offset);
                });
                continue;
            }
            self.group = [0; MASK_WORDS];
            for cursor in group.iter_mut() {
                let (best, sum, mask) = (&mut self.best, &mut self.sum, &mut self.group);
                cursor.drain(base, end, |offset, score| {
                    best[offset] = best[offset].max(score);
                    sum[offset] += score;
                    set(mask, offset);
                });
            }
            for offset in ones(&self.group) {
                let (best, sum) = (self.best[offset], self.sum[offset]);
                self.total[offset] += dis_max(best, sum);
                self.best[offset] = 0.0;
                self.sum[offset] = 0.0;
            }
            for (word, group) in self.word.iter_mut().zip(&self.group) {
                *word |= group;
            }
        }
        for (touched, word) in self.touched.iter_mut().zip(&self.word) {
            *touched |= word;
        }
    }
}

fn set(mask: &mut Mask, offset: usize) {
    mask[offset / 64] |= 1 << (offset % 64);
}

/// The offsets set in a mask, in increasing order.
fn ones(mask: &Mask) -> impl Iterator<Item = usize> + '_ {
    mask.iter().enumerate().flat_map(|(i, &bits)| {
        let mut bits = bits;
        std::iter::from_fn(move || {
            (bits != 0).then(|| {
                let bit = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                i * 64 + bit
            })
        })
    })
}

/// A group's score on one document, if any of its variants matches it.
fn group_score_at(group: &mut [Cursor], doc: DocId) -> Option<Score> {
    let mut matched = false;
    let (mut best, mut sum): (Score, Score) = (0.0, 0.0);
    for cursor in group {
        if let Some(score) = cursor.score_at(doc) {
            matched = true;
            best = best.max(score);
            sum += score;
        }
    }
    matched.then(|| dis_max(best, sum))
}

/// A group's score from its best variant's and the sum of its variants'
/// (Tantivy's `DisjunctionMaxCombiner`).
fn dis_max(best: Score, sum: Score) -> Score {
    best + (sum - best) * TIE_BREAKER
}

/// The matches of one segment, a window at a time.
struct TextScorer {
    selecting: Vec<WordCursors>,
    strict: bool,
    scoring: Vec<WordCursors>,
    /// Each filter, and whether it selects (or excludes).
    filters: Vec<(bool, FilterCursor)>,
    max_doc: DocId,
    scratch: Scratch,
    /// The current window's matches and their scores.
    docs: Vec<DocId>,
    scores: Vec<Score>,
    position: usize,
    /// The end of the current window: the next one starts there or later.
    end: DocId,
}

impl TextScorer {
    /// The first document from `from` on where a window may hold matches.
    fn start(&mut self, from: DocId) -> DocId {
        let firsts = self.selecting.iter_mut().map(|word| {
            word.iter_mut()
                .flatten()
                .map(|cursor| cursor.seek(from))
                .min()
                .unwrap_or(TERMINATED)
        });
        let first = if self.strict {
            firsts.max()
        } else {
            firsts.min()
        };
        first.unwrap_or(TERMINATED)
    }

    /// Moves to the first window from `from` on that holds matches.
    fn fill(&mut self, mut from: DocId) {
        self.docs.clear();
        self.scores.clear();
        self.position = 0;
        while from < self.max_doc {
            let base = self.start(from);
            if base >= self.max_doc {
                break;
            }
            let end = base.saturating_add(WINDOW as DocId).min(self.max_doc);
            self.match_window(base, end);
            self.end = end;
            if !self.docs.is_empty() {
                return;
            }
            from = end;
        }
        self.end = TERMINATED;
        self.docs.push(TERMINATED);
        self.scores.push(0.0);
    }

    fn match_window(&mut self, base: DocId, end: DocId) {
        let scratch = &mut self.scratch;
        for (i, word) in self.selecting.iter_mut().enumerate() {
            scratch.add_word(word, base, end);
            if i == 0 {
                scratch.matched = scratch.word;
                continue;
            }
            for (matched, word) in scratch.matched.iter_mut().zip(&scratch.word) {
                if self.strict {
                    *matched &= word;
                } else {
                    *matched |= word;
                }
            }
            if self.strict && scratch.matched.iter().all(|bits| *bits == 0) {
                break;
            }
        }
        for (must, filter) in &mut self.filters {
            let FilterCursor::Terms(terms) = filter else {
                continue;
            };
            if scratch.matched.iter().all(|bits| *bits == 0) {
                break;
            }
            let mut held = [0; MASK_WORDS];
            for cursor in terms.iter_mut() {
                cursor.drain(base, end, |offset, _| set(&mut held, offset));
            }
            for (matched, held) in scratch.matched.iter_mut().zip(&held) {
                *matched &= if *must { *held } else { !*held };
            }
        }
        scratch.candidates.clear();
        scratch
            .candidates
            .extend(ones(&scratch.matched).map(|offset| offset as u32));
        for (must, filter) in &mut self.filters {
            let FilterCursor::Query(cursor) = filter else {
                continue;
            };
            scratch
                .candidates
                .retain(|&offset| (cursor.seek(base + offset) == base + offset) == *must);
        }
        for &offset in &scratch.candidates {
            let doc = base + offset;
            let offset = offset as usize;
            for word in &mut self.scoring {
                for group in word.iter_mut() {
                    if let Some(score) = group_score_at(group, doc) {
                        scratch.total[offset] += score;
                    }
                }
            }
            self.docs.push(doc);
            self.scores.push(scratch.total[offset]);
        }
        for offset in ones(&scratch.touched) {
            scratch.total[offset] = 0.0;
        }
        scratch.touched = [0; MASK_WORDS];
    }
}

impl DocSet for TextScorer {
    fn advance(&mut self) -> DocId {
        self.position += 1;
        if self.position == self.docs.len() {
            self.fill(self.end);
        }
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc() >= target {
            return self.doc();
        }
        if target < self.end {
            self.position += self.docs[self.position..].partition_point(|&doc| doc < target);
            if self.position < self.docs.len() {
                return self.doc();
            }
            self.fill(self.end);
        } else {
            self.fill(target);
        }
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs[self.position]
    }

    fn size_hint(&self) -> u32 {
        let words = self.selecting.iter().map(|word| {
            word.iter()
                .flatten()
                .map(|cursor| match cursor {
                    Cursor::Term(term) => term.postings.size_hint(),
                    Cursor::Scorer(scorer) => scorer.size_hint(),
                })
                .fold(0u32, u32::saturating_add)
        });
        let hint = if self.strict {
            words.min()
        } else {
            words.reduce(u32::saturating_add)
        };
        hint.unwrap_or(0).min(self.max_doc)
    }
}

impl Scorer for TextScorer {
    fn score(&mut self) -> Score {
        self.scores[self.position]
    }
}
