//! "Did you mean": replaces the words the index does not know by the most frequent close terms of video names.

use std::collections::HashMap;

use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

use crate::analyzers::Analyzers;
use crate::highlight::edit_distance;
use crate::matching::fuzzy_distance;

/// A word in fewer documents than this is unknown, worth correcting.
const RARE_BELOW: u64 = 1;
/// Candidates examined per word, at most.
const MAX_CANDIDATES: usize = 200;

/// The search with its unknown words replaced, if any could be.
pub(crate) fn suggest(searcher: &Searcher, fields: [Field; 2], search: &str) -> Option<String> {
    let tokens = Analyzers::with(|analyzers| analyzers.folded_tokens(search));
    let mut suggestion = String::with_capacity(search.len());
    let mut at = 0;
    let mut changed = false;
    for token in tokens {
        let distance = fuzzy_distance(&token.text).max(1);
        if token.text.chars().count() < 4 || known(searcher, &fields, &token.text) {
            continue;
        }
        if let Some(better) = closest(searcher, fields[0], &token.text, distance) {
            suggestion.push_str(&search[at..token.offset_from]);
            suggestion.push_str(&better);
            at = token.offset_to;
            changed = true;
        }
    }
    suggestion.push_str(&search[at..]);
    changed.then_some(suggestion)
}

fn known(searcher: &Searcher, fields: &[Field], word: &str) -> bool {
    let frequency: u64 = fields
        .iter()
        .map(|field| {
            searcher
                .doc_freq(&Term::from_field_text(*field, word))
                .unwrap_or(0)
        })
        .sum();
    frequency >= RARE_BELOW
}

/// The most frequent term of `field` within `distance` edits, the fewest edits first.
fn closest(searcher: &Searcher, field: Field, word: &str, distance: u8) -> Option<String> {
    let automaton = FuzzyTermQuery::new(Term::from_field_text(field, word), distance, true)
        .automaton()
        .ok()?;
    let mut frequencies: HashMap<Vec<u8>, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else {
            continue;
        };
        let Ok(mut stream) = inverted.terms().search(&automaton).into_stream() else {
            continue;
        };
        while stream.advance() && frequencies.len() < MAX_CANDIDATES {
            *frequencies.entry(stream.key().to_vec()).or_default() +=
                u64::from(stream.value().doc_freq);
        }
    }
    frequencies
        .into_iter()
        .filter_map(|(term, frequency)| {
            let term = String::from_utf8(term).ok()?;
            let edits = edit_distance(&term, word, usize::from(distance))?;
            (edits > 0 && frequency >= RARE_BELOW).then_some((
                edits,
                std::cmp::Reverse(frequency),
                term,
            ))
        })
        .min()
        .map(|(_, _, term)| term)
}
