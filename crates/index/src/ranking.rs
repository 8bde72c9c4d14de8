//! The bounded boosts of `-match` ranking: popularity, freshness, editorial curation and the viewer's languages.
//!
//! The text score is multiplied by `1 + Σ boosts`, each boost bounded, so
//! that no amount of views can lift a poor match above a good one by more
//! than the factor's ceiling ([`MAX_FACTOR`]).

use std::collections::HashSet;
use std::sync::Arc;

use tantivy::columnar::Column;
use tantivy::{DocId, Score};

use crate::columns::SegmentColumns;

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

/// Freshness of a video published at `at` (Unix seconds); a date in the future counts as now.
fn freshness(now: i64, at: i64) -> f32 {
    let days = (now.saturating_sub(at).max(0) as f32) / 86_400.0;
    1.0 / (1.0 + days / FRESHNESS_HALF_LIFE_DAYS)
}

/// The boosts of one search on one segment: the columns they read, and the
/// largest factor any of the segment's documents can reach.
pub(crate) struct SegmentBoosts {
    columns: Arc<SegmentColumns>,
    language_ords: HashSet<u64>,
    now: i64,
    has_text: bool,
    language_weight: f32,
    ceiling: f32,
}

impl SegmentBoosts {
    pub fn new(boosts: &Boosts, columns: Arc<SegmentColumns>) -> Self {
        let mut language_ords = HashSet::new();
        if let Some(languages) = &columns.language {
            for language in &boosts.languages {
                if let Ok(Some(ord)) = languages.dictionary().term_ord(language.as_bytes()) {
                    language_ords.insert(ord);
                }
            }
        }
        let mut boosts = Self {
            columns,
            language_ords,
            now: boosts.now,
            has_text: boosts.has_text,
            language_weight: boosts.language_weight,
            ceiling: MAX_FACTOR,
        };
        boosts.ceiling = boosts.ceiling();
        boosts
    }

    /// The largest factor of the segment, from its columns' extremes, summed
    /// in the order [`Self::factor`] sums (so rounding keeps it an upper bound).
    fn ceiling(&self) -> f32 {
        let columns = &*self.columns;
        let mut factor = 1.0;
        if let Some(views) = &columns.views {
            factor += POPULARITY * popularity(views.max_value());
        }
        if let Some(published) = &columns.published_at {
            factor += FRESHNESS * freshness(self.now, published.max_value());
        }
        if columns.curated.as_ref().is_some_and(Column::max_value) {
            factor += CURATED;
        }
        if !self.language_ords.is_empty() {
            factor += self.language_weight;
        }
        factor
    }

    fn factor(&self, doc: DocId) -> f32 {
        let columns = &*self.columns;
        let mut factor = 1.0;
        if let Some(views) = &columns.views {
            factor += POPULARITY * popularity(views.first(doc).unwrap_or(0));
        }
        if let Some(published) = &columns.published_at
            && let Some(at) = published.first(doc)
        {
            factor += FRESHNESS * freshness(self.now, at);
        }
        if columns.curated.as_ref().and_then(|c| c.first(doc)) == Some(true) {
            factor += CURATED;
        }
        if !self.language_ords.is_empty()
            && let Some(languages) = &columns.language
            && languages
                .ords()
                .first(doc)
                .is_some_and(|ord| self.language_ords.contains(&ord))
        {
            factor += self.language_weight;
        }
        factor
    }

    /// The ranking score of a document with this text score.
    pub fn score(&self, doc: DocId, text: Score) -> Score {
        let factor = self.factor(doc);
        if self.has_text { text * factor } else { factor }
    }

    /// The best ranking score any document of the segment with this text score can get.
    pub fn bound(&self, text: Score) -> Score {
        if self.has_text {
            text * self.ceiling
        } else {
            self.ceiling
        }
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
        let now = 1_800_000_000;
        assert_eq!(freshness(now, now), 1.0);
        assert!(freshness(now, now - 86_400 * 365) < 0.25);
        assert_eq!(
            freshness(now, now + 86_400),
            1.0,
            "a date in the future is fresh, not fresher"
        );
        assert!(
            freshness(now, i64::MIN) < 1e-6,
            "an absurd date neither overflows nor helps"
        );
        const { assert!(MAX_FACTOR < 2.5) };
    }
}
