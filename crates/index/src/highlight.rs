//! Highlighted names and description snippets: HTML-escaped text with the matched words in `<mark>`.
//!
//! A word of the text is marked when it matches a searched word the way
//! the query does: folded equality, same stem in the video's language,
//! within the typo budget, or as a prefix of the last word.

use tantivy::tokenizer::Language;

use crate::analyzers::{Analyzers, QueryWord};
use crate::matching::fuzzy_distance;

/// The length of a description snippet, in characters (about two lines).
const SNIPPET_CHARS: usize = 200;

/// Decides which words of a text to mark.
pub(crate) struct Matcher {
    words: Vec<QueryWord>,
}

impl Matcher {
    pub(crate) fn new(words: &[QueryWord]) -> Self {
        Self {
            words: words.to_vec(),
        }
    }

    fn matches(
        &self,
        analyzers: &mut Analyzers,
        token: &str,
        surface: &str,
        language: Option<Language>,
    ) -> bool {
        let last = self.words.len().saturating_sub(1);
        let stem = language.and_then(|language| analyzers.stem(surface, language));
        self.words.iter().enumerate().any(|(i, word)| {
            token == word.folded
                || stem.as_ref().is_some_and(|stem| word.stems.contains(stem))
                || within(token, &word.folded, fuzzy_distance(&word.folded))
                || (i == last
                    && word.folded.chars().count() >= 3
                    && token.starts_with(&word.folded))
        })
    }

    /// The byte ranges of `text` to mark.
    fn ranges(
        &self,
        analyzers: &mut Analyzers,
        text: &str,
        language: Option<Language>,
    ) -> Vec<(usize, usize)> {
        if self.words.is_empty() {
            return Vec::new();
        }
        analyzers
            .folded_tokens(text)
            .into_iter()
            .filter(|token| {
                let surface = &text[token.offset_from..token.offset_to];
                self.matches(analyzers, &token.text, surface, language)
            })
            .map(|token| (token.offset_from, token.offset_to))
            .collect()
    }

    /// The whole text, escaped, with its matches marked.
    pub(crate) fn highlight(
        &self,
        analyzers: &mut Analyzers,
        text: &str,
        language: Option<Language>,
    ) -> String {
        let ranges = self.ranges(analyzers, text, language);
        mark(text, &ranges, 0, text.len())
    }

    /// A passage of about [`SNIPPET_CHARS`] around the densest matches, escaped and marked.
    pub(crate) fn snippet(
        &self,
        analyzers: &mut Analyzers,
        text: &str,
        language: Option<Language>,
    ) -> String {
        let ranges = self.ranges(analyzers, text, language);
        let window = SNIPPET_CHARS * 4; // bytes, generous for accents
        let first = best_window_start(&ranges, window);
        // Some context before the first match, starting on a word.
        let mut start = text[..first]
            .char_indices()
            .rev()
            .nth(40)
            .map_or(0, |(at, _)| at);
        if start > 0
            && let Some(space) = text[start..first].find(char::is_whitespace)
        {
            start += space + 1;
        }
        let end = text[start..]
            .char_indices()
            .nth(SNIPPET_CHARS)
            .map_or(text.len(), |(at, _)| start + at);
        let end = if end < text.len() {
            text[start..end]
                .rfind(char::is_whitespace)
                .map_or(end, |at| start + at)
        } else {
            end
        };
        let mut snippet = String::new();
        if start > 0 {
            snippet.push('…');
        }
        snippet.push_str(&mark(text, &ranges, start, end));
        if end < text.len() {
            snippet.push('…');
        }
        snippet
    }
}

/// The start (in bytes) of the window holding the most matches.
fn best_window_start(ranges: &[(usize, usize)], window: usize) -> usize {
    let mut best = (0, 0);
    for (i, (start, _)) in ranges.iter().enumerate() {
        let inside = ranges[i..]
            .iter()
            .take_while(|(s, _)| *s < start + window)
            .count();
        if inside > best.1 {
            best = (*start, inside);
        }
    }
    best.0
}

/// Escapes `text[from..to]`, wrapping the ranges inside it in `<mark>`.
fn mark(text: &str, ranges: &[(usize, usize)], from: usize, to: usize) -> String {
    let mut out = String::with_capacity(to - from + ranges.len() * 13);
    let mut at = from;
    for &(start, end) in ranges {
        if start < from || end > to {
            continue;
        }
        escape_into(&mut out, &text[at..start]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[start..end]);
        out.push_str("</mark>");
        at = end;
    }
    escape_into(&mut out, &text[at..to]);
    out
}

/// Escapes text for HTML.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Whether two words are within `max` edits (insertions, deletions, substitutions, transpositions).
pub(crate) fn within(a: &str, b: &str, max: u8) -> bool {
    if max == 0 {
        return a == b;
    }
    edit_distance(a, b, usize::from(max)).is_some()
}

/// The edit distance between two words if it is at most `max` (optimal string alignment).
pub(crate) fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; 3];
    for (j, cell) in rows[1].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (current, previous, before) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[current][0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (rows[previous][j] + 1)
                .min(rows[current][j - 1] + 1)
                .min(rows[previous][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(rows[before][j - 2] + 1);
            }
            rows[current][j] = value;
            row_min = row_min.min(value);
        }
        if row_min > max {
            return None;
        }
    }
    let distance = rows[a.len() % 3][b.len()];
    (distance <= max).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(search: &str) -> Matcher {
        Matcher::new(&Analyzers::default().query_words(search))
    }

    #[test]
    fn names_are_escaped_and_marked() {
        let mut analyzers = Analyzers::default();
        let marked = matcher("ecole").highlight(&mut analyzers, "<b>L'École</b> & co", None);
        assert_eq!(
            marked,
            "&lt;b&gt;L&#39;<mark>École</mark>&lt;/b&gt; &amp; co"
        );
        let stemmed =
            matcher("chansons").highlight(&mut analyzers, "Une chanson", Some(Language::French));
        assert_eq!(stemmed, "Une <mark>chanson</mark>");
        let typo = matcher("musqiue").highlight(&mut analyzers, "Musique libre", None);
        assert_eq!(typo, "<mark>Musique</mark> libre");
        let prefix = matcher("vid").highlight(&mut analyzers, "Des vidéos", None);
        assert_eq!(prefix, "Des <mark>vidéos</mark>");
    }

    #[test]
    fn snippets_centre_on_matches() {
        let mut analyzers = Analyzers::default();
        let text = format!(
            "{} le mot rare est ici {}",
            "bla ".repeat(200),
            "fin ".repeat(100)
        );
        let snippet = matcher("rare").snippet(&mut analyzers, &text, None);
        assert!(snippet.starts_with('…'), "{snippet}");
        assert!(snippet.contains("<mark>rare</mark>"), "{snippet}");
        assert!(snippet.chars().count() < 260, "{snippet}");
    }

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance("musique", "musqiue", 2), Some(1));
        assert_eq!(edit_distance("chat", "chien", 2), None);
        assert_eq!(edit_distance("abc", "abc", 0), Some(0));
    }
}
