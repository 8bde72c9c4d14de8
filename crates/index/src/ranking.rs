//! The bounded boosts of `-match` ranking: popularity, freshness, editorial curation and the viewer's languages.
//!
//! The text score is multiplied by `1 + Σ boosts`, each boost bounded, so
//! that no amount of views can lift a poor match above a good one by more
//! than the factor's ceiling ([`MAX_FACTOR`]).

use std::collections::HashSet;

use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentReader};

/// Weight of popularity (views, on a log scale saturating at a million).
const POPULARITY: f32 = 0.25;
/// Weight of freshness (halved after [`FRESHNESS_HALF_LIFE_DAYS`]).
const FRESHNESS: f32 = 0.2;
const FRESHNESS_HALF_LIFE_DAYS: f32 = 90.0;
/// Weight of being in a published selection.
const CURATED: f32 = 0.3;
/// Weight of being in one of the viewer's languages.
const LANGUAGE: f32 = 0.5;
/// The largest factor the boosts can reach.
pub const MAX_FACTOR: f32 = 1.0 + POPULARITY + FRESHNESS + CURATED + LANGUAGE;

/// What the boosts of one search depend on.
#[derive(Clone, Debug)]
pub(crate) struct Boosts {
    /// Unix seconds of "now" for freshness.
    pub now: i64,
    /// Language codes to favour.
    pub languages: Vec<String>,
    /// The language weight (stronger for related videos: same language first).
    pub language_weight: f32,
    /// Whether there is a text score to multiply (otherwise the factor alone ranks).
    pub has_text: bool,
}

impl Boosts {
    /// The boosts of a search at the current time.
    pub fn new(languages: Vec<String>, has_text: bool) -> Self {
        Self {
            now: chrono::Utc::now().timestamp(),
            languages,
            language_weight: LANGUAGE,
            has_text,
        }
    }
}

fn popularity(views: i64) -> f32 {
    (((views.max(0) as f32) + 1.0).log10() / 6.0).min(1.0)
}

fn freshness(age_seconds: i64) -> f32 {
    let days = (age_seconds.max(0) as f32) / 86_400.0;
    1.0 / (1.0 + days / FRESHNESS_HALF_LIFE_DAYS)
}

/// Per segment, the scoring function `(doc, text score) -> ranking score`.
pub(crate) fn segment_scorer(
    boosts: &Boosts,
    segment: &SegmentReader,
) -> impl Fn(DocId, Score) -> Score + use<> {
    let fast = segment.fast_fields();
    let column =
        |name: &str| -> Option<Column<i64>> { fast.column_opt::<i64>(name).ok().flatten() };
    let views = column("views");
    let published = column("published_at");
    let curated: Option<Column<bool>> = fast.column_opt::<bool>("curated").ok().flatten();
    let mut language_ords = HashSet::new();
    let languages = fast.str("language").ok().flatten();
    if let Some(languages) = &languages {
        for language in &boosts.languages {
            if let Ok(Some(ord)) = languages.dictionary().term_ord(language.as_bytes()) {
                language_ords.insert(ord);
            }
        }
    }
    let language_column = languages.map(|column| column.ords().clone());
    let (now, has_text, language_weight) = (boosts.now, boosts.has_text, boosts.language_weight);
    move |doc: DocId, score: Score| {
        let mut factor = 1.0;
        if let Some(views) = &views {
            factor += POPULARITY * popularity(views.first(doc).unwrap_or(0));
        }
        if let Some(published) = &published
            && let Some(at) = published.first(doc)
        {
            factor += FRESHNESS * freshness(now - at);
        }
        if curated.as_ref().and_then(|c| c.first(doc)) == Some(true) {
            factor += CURATED;
        }
        if !language_ords.is_empty()
            && let Some(ords) = &language_column
            && ords
                .first(doc)
                .is_some_and(|ord| language_ords.contains(&ord))
        {
            factor += language_weight;
        }
        if has_text { score * factor } else { factor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boosts_are_bounded_and_monotonic() {
        assert_eq!(popularity(0), 0.0);
        assert!(popularity(1000) < popularity(100_000));
        assert_eq!(popularity(i64::MAX), 1.0);
        assert_eq!(freshness(0), 1.0);
        assert!(freshness(86_400 * 365) < 0.25);
        const { assert!(MAX_FACTOR < 2.5) };
    }
}
