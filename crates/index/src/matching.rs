//! Turns search words into a Tantivy query: weighted fields, stems, typo tolerance, prefix on the last word, exact ids.
//!
//! Per word and per field group, the best of: the exact folded word (BM25),
//! one of its stems, a fuzzy match (constant score), a prefix match on the
//! last word (constant score). Groups add up with their weights (name 5,
//! tags 2, channel and account names 2, description 1, as in Sepia). Words
//! are all required for one or two words, all but one beyond; a search that
//! finds nothing is retried with any word.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use tantivy::Term;
use tantivy::query::{
    AutomatonWeight, BoostQuery, DfaWrapper, EnableScoring, FuzzyTermQuery, Query, TermQuery,
    Weight,
};
use tantivy::schema::{Field, IndexRecordOption};

use crate::analyzers::QueryWord;
use crate::schema::Fields;

/// A stem match counts this much of an exact one.
const STEM_FACTOR: f32 = 0.8;
/// The constant score of a fuzzy match, per unit of field weight.
const FUZZY_SCORE: f32 = 1.5;
/// The constant score of a prefix match, per unit of field weight.
const PREFIX_SCORE: f32 = 1.0;
/// How much the other variants of a word in a group add to the best one.
pub(crate) const TIE_BREAKER: f32 = 0.1;
/// The score of an exact uuid or short uuid (far above any text score).
const IDENTIFIER_SCORE: f32 = 1.0e6;
/// A word in more than 1/`COMMON_SHARE` of the documents is common: it scores but does not select.
const COMMON_SHARE: u64 = 10;
/// A field group holding a word in more than 1/`BROAD_SHARE` of the documents is not searched for it.
const BROAD_SHARE: u64 = 5;
/// A word in fewer fuzzy-matched fields' documents than this is matched with typos too.
const FUZZY_BELOW_FREQUENCY: u64 = 50;
/// Shortest last word matched as a prefix.
const MIN_PREFIX_CHARS: usize = 3;

/// A set of fields searched together with one weight.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldGroup {
    pub folded: Field,
    pub stemmed: Option<Field>,
    pub weight: f32,
    pub fuzzy: bool,
    pub prefix: bool,
}

/// The groups of a video search.
pub(crate) fn video_groups(fields: &Fields) -> [FieldGroup; 4] {
    [
        FieldGroup {
            folded: fields.name,
            stemmed: Some(fields.name_stem),
            weight: 5.0,
            fuzzy: true,
            prefix: true,
        },
        FieldGroup {
            folded: fields.tags,
            stemmed: Some(fields.tags_stem),
            weight: 2.0,
            fuzzy: true,
            prefix: false,
        },
        FieldGroup {
            folded: fields.owners,
            stemmed: Some(fields.owners_stem),
            weight: 2.0,
            fuzzy: true,
            prefix: false,
        },
        // No fuzzy matching in descriptions: their dictionary is the largest
        // by far, and a typo there would mostly find noise.
        FieldGroup {
            folded: fields.description,
            stemmed: Some(fields.description_stem),
            weight: 1.0,
            fuzzy: false,
            prefix: false,
        },
    ]
}

/// The groups of a channel or playlist search (no stems: they have no language).
pub(crate) fn channel_groups(fields: &Fields) -> [FieldGroup; 3] {
    [
        FieldGroup {
            folded: fields.name,
            stemmed: None,
            weight: 5.0,
            fuzzy: true,
            prefix: true,
        },
        FieldGroup {
            folded: fields.owners,
            stemmed: None,
            weight: 2.0,
            fuzzy: true,
            prefix: false,
        },
        FieldGroup {
            folded: fields.description,
            stemmed: None,
            weight: 1.0,
            fuzzy: false,
            prefix: false,
        },
    ]
}

/// The edits a word may differ by: none below 4 letters, one from 4, two from 8.
pub(crate) fn fuzzy_distance(word: &str) -> u8 {
    match word.chars().count() {
        ..4 => 0,
        4..8 => 1,
        _ => 2,
    }
}

/// Words worth requiring: one-letter words ("l'", "d'") are dropped unless nothing else is left.
pub(crate) fn significant(words: Vec<QueryWord>) -> Vec<QueryWord> {
    if words.iter().all(|word| word.folded.chars().count() < 2) {
        return words;
    }
    words
        .into_iter()
        .filter(|word| word.folded.chars().count() >= 2)
        .collect()
}

/// How the words of a search must match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// Every rare word.
    Strict,
    /// Any rare word.
    Relaxed,
}

/// One way a word may match in a field group.
#[derive(Clone, Debug)]
pub(crate) enum Variant {
    /// A term, scored by BM25 times `weight`.
    Term { term: Term, weight: f32 },
    /// The terms of a fuzzy or prefix automaton, at a constant score.
    Automaton { query: AutomatonQuery, score: f32 },
}

impl Variant {
    fn term(field: Field, text: &str, weight: f32) -> Self {
        Self::Term {
            term: Term::from_field_text(field, text),
            weight,
        }
    }

    /// The variant as a Tantivy query.
    pub(crate) fn query(&self) -> Box<dyn Query> {
        match self {
            Self::Term { term, weight } => Box::new(BoostQuery::new(
                Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                *weight,
            )),
            Self::Automaton { query, score } => {
                Box::new(BoostQuery::new(Box::new(query.clone()), *score))
            }
        }
    }
}

/// The variants of one word in one field group: the best scores, and each
/// other adds [`TIE_BREAKER`] of its own (a dis-max).
pub(crate) type Group = Vec<Variant>;

/// One word: the sum of its groups.
pub(crate) type Word = Vec<Group>;

/// The words of a search, as [`text_query`] makes them; matched by [`crate::windows`].
#[derive(Clone, Debug)]
pub(crate) struct Text {
    /// Words that select the documents: all of them, or any of them when relaxed.
    pub selecting: Vec<Word>,
    pub strictness: Strictness,
    /// Words in so many documents that they only add to the score of the
    /// documents the others select.
    pub scoring: Vec<Word>,
}

/// What building the text query of one search looks up in the index, each
/// looked up once: a search asks for the same frequencies per group, stem
/// and attempt, and for the same Levenshtein automaton in every fuzzy group.
pub(crate) struct Lookups<'a> {
    /// Documents in the index.
    pub documents: u64,
    /// Documents holding a term of a field.
    frequency: &'a dyn Fn(Field, &str) -> u64,
    frequencies: RefCell<HashMap<(Field, String), u64>>,
    /// By word, edit distance and whether it is a prefix automaton.
    automata: RefCell<HashMap<(String, u8, bool), Arc<DfaWrapper>>>,
}

impl<'a> Lookups<'a> {
    pub fn new(documents: u64, frequency: &'a dyn Fn(Field, &str) -> u64) -> Self {
        Self {
            documents,
            frequency,
            frequencies: RefCell::default(),
            automata: RefCell::default(),
        }
    }

    /// Documents holding a term of a field.
    pub fn frequency(&self, field: Field, text: &str) -> u64 {
        if let Some(frequency) = self.frequencies.borrow().get(&(field, text.to_owned())) {
            return *frequency;
        }
        let frequency = (self.frequency)(field, text);
        self.frequencies
            .borrow_mut()
            .insert((field, text.to_owned()), frequency);
        frequency
    }

    fn idf(&self, frequency: u64) -> f32 {
        let (n, df) = (self.documents as f32, frequency as f32);
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The boost that makes a stem score at most like the word would: a stem
    /// found in one language only is rarer than the word, and would
    /// otherwise favour that language's documents.
    fn stem_scale(&self, exact: u64, stem: u64) -> f32 {
        if exact == 0 {
            return 1.0;
        }
        (self.idf(exact) / self.idf(stem.max(1))).min(1.0)
    }

    /// The terms of `field` within `distance` edits of `word` (or starting
    /// with it, for a prefix), at a constant score.
    fn automaton_query(
        &self,
        field: Field,
        word: &str,
        distance: u8,
        prefix: bool,
    ) -> Option<AutomatonQuery> {
        let key = (word.to_owned(), distance, prefix);
        let automaton = self.automata.borrow().get(&key).cloned();
        let automaton = automaton.or_else(|| {
            // Any field: the automaton depends on the text only.
            let term = Term::from_field_text(field, word);
            let query = if prefix {
                FuzzyTermQuery::new_prefix(term, distance, false)
            } else {
                FuzzyTermQuery::new(term, distance, true)
            };
            let automaton = Arc::new(query.automaton().ok()?);
            self.automata
                .borrow_mut()
                .insert(key, Arc::clone(&automaton));
            Some(automaton)
        });
        // None: not a text term, or a distance Tantivy refuses; the fuzzy
        // query would have matched nothing.
        automaton.map(|automaton| AutomatonQuery { field, automaton })
    }
}

/// A [`FuzzyTermQuery`] whose automaton is built once and shared by every field and attempt.
#[derive(Clone)]
pub(crate) struct AutomatonQuery {
    field: Field,
    automaton: Arc<DfaWrapper>,
}

impl std::fmt::Debug for AutomatonQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutomatonQuery")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl Query for AutomatonQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<DfaWrapper>::new(
            self.field,
            Arc::clone(&self.automaton),
        )))
    }
}

/// The variants of one word in one group. Terms no live document holds are
/// left out (they would match nothing, yet cost a scorer per segment); when
/// nothing is left, the word's own term stands for it.
fn word_in_group(
    group: &FieldGroup,
    word: &QueryWord,
    last: bool,
    fuzzy: bool,
    lookups: &Lookups<'_>,
) -> Group {
    let exact = lookups.frequency(group.folded, &word.folded);
    let mut variants = Vec::new();
    if exact > 0 {
        variants.push(Variant::term(group.folded, &word.folded, group.weight));
    }
    if let Some(stemmed) = group.stemmed {
        for stem in &word.stems {
            let frequency = lookups.frequency(stemmed, stem);
            if frequency == 0 {
                continue;
            }
            let scale = lookups.stem_scale(exact, frequency);
            variants.push(Variant::term(
                stemmed,
                stem,
                group.weight * STEM_FACTOR * scale,
            ));
        }
    }
    let distance = fuzzy_distance(&word.folded);
    if group.fuzzy && fuzzy && distance > 0 {
        variants.extend(
            lookups
                .automaton_query(group.folded, &word.folded, distance, false)
                .map(|query| Variant::Automaton {
                    query,
                    score: group.weight * FUZZY_SCORE,
                }),
        );
    }
    if group.prefix && last && word.folded.chars().count() >= MIN_PREFIX_CHARS {
        variants.extend(
            lookups
                .automaton_query(group.folded, &word.folded, 0, true)
                .map(|query| Variant::Automaton {
                    query,
                    score: group.weight * PREFIX_SCORE,
                }),
        );
    }
    if variants.is_empty() {
        variants.push(Variant::term(group.folded, &word.folded, group.weight));
    }
    variants
}

/// The text part of a search. Words in fewer names and tags than
/// [`FUZZY_BELOW_FREQUENCY`] also match with typos: a frequent word is
/// spelt right, and its typo variants would cost much and add noise.
pub(crate) fn text_query(
    groups: &[FieldGroup],
    words: &[QueryWord],
    strictness: Strictness,
    lookups: &Lookups<'_>,
) -> Option<Text> {
    if words.is_empty() {
        return None;
    }
    let documents = lookups.documents.max(1);
    let last = words.len() - 1;
    let mut rare: Vec<Word> = Vec::new();
    let mut common: Vec<Word> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let frequencies: Vec<u64> = groups
            .iter()
            .map(|group| lookups.frequency(group.folded, &word.folded))
            .collect();
        let fuzzy_frequency: u64 = groups
            .iter()
            .zip(&frequencies)
            .filter(|(group, _)| group.fuzzy)
            .map(|(_, frequency)| frequency)
            .sum();
        let allow_fuzzy = fuzzy_frequency < FUZZY_BELOW_FREQUENCY;
        let total: u64 = frequencies.iter().sum();
        // A group where the word is everywhere costs the most and ranks nothing:
        // leave it out when another group holding the word is narrower. When
        // the word is broad in every group holding it (a small index, or
        // deleted documents still counted), keep them all rather than
        // match nothing.
        let narrow = |frequency: u64| frequency * BROAD_SHARE <= documents;
        let narrow_elsewhere = frequencies
            .iter()
            .any(|frequency| *frequency > 0 && narrow(*frequency));
        let query: Word = groups
            .iter()
            .zip(&frequencies)
            .filter(|(_, frequency)| !narrow_elsewhere || narrow(**frequency))
            .map(|(group, _)| word_in_group(group, word, i == last, allow_fuzzy, lookups))
            .collect();
        if total * COMMON_SHARE > documents {
            common.push(query);
        } else {
            rare.push(query);
        }
    }
    // Common words only score when rarer words select the documents: the
    // work follows the rare words' short posting lists.
    if rare.is_empty() {
        rare = std::mem::take(&mut common);
    }
    Some(Text {
        selecting: rare,
        strictness,
        scoring: common,
    })
}

/// A uuid, short uuid or watch URL in a search, if the search is one.
pub(crate) fn identifier(search: &str) -> Option<Identifier> {
    let search = search.trim();
    if search.is_empty() || search.contains(char::is_whitespace) {
        return None;
    }
    let candidate = if search.contains('/') {
        let path = search.split(['?', '#']).next()?;
        path.rsplit('/').find(|segment| !segment.is_empty())?
    } else {
        search
    };
    let is_uuid = candidate.len() == 36
        && candidate.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if is_uuid {
        return Some(Identifier::Uuid(candidate.to_ascii_lowercase()));
    }
    // PeerTube's short uuids are base58, 22 characters (a little less for some values).
    let is_short = (16..=24).contains(&candidate.len())
        && candidate.chars().all(|c| c.is_ascii_alphanumeric())
        && candidate.chars().any(|c| c.is_ascii_digit())
        && candidate.chars().any(|c| c.is_ascii_alphabetic());
    is_short.then(|| Identifier::Short(candidate.to_owned()))
}

/// An exact video identifier found in a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Identifier {
    Uuid(String),
    Short(String),
}

/// The query of a video identifier, scored above anything else.
pub(crate) fn identifier_query(fields: &Fields, identifier: &Identifier) -> Box<dyn Query> {
    let term = match identifier {
        Identifier::Uuid(uuid) => Term::from_field_text(fields.uuid, uuid),
        Identifier::Short(short) => Term::from_field_text(fields.short_uuid, short),
    };
    Box::new(tantivy::query::ConstScoreQuery::new(
        Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
        IDENTIFIER_SCORE,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_budget_grows_with_the_word() {
        assert_eq!(fuzzy_distance("cat"), 0);
        assert_eq!(fuzzy_distance("chat"), 1);
        assert_eq!(fuzzy_distance("musiques"), 2);
        assert_eq!(fuzzy_distance("écoles"), 1);
    }

    #[test]
    fn identifiers_are_recognised_in_urls_too() {
        assert_eq!(
            identifier("9C9DE5E8-0A1E-484A-B099-E80766180A6D"),
            Some(Identifier::Uuid(
                "9c9de5e8-0a1e-484a-b099-e80766180a6d".into()
            ))
        );
        assert_eq!(
            identifier("https://v.example/w/kkGMgK9ZtnKfYAgnEtQxbv?start=3"),
            Some(Identifier::Short("kkGMgK9ZtnKfYAgnEtQxbv".into()))
        );
        assert_eq!(identifier("chat noir"), None);
        assert_eq!(identifier("documentaire"), None);
    }
}
