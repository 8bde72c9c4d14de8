//! The bounded boosts of `-match` ranking: popularity, freshness, editorial curation and the viewer's languages.
//!
//! The text score is multiplied by `1 + Σ boosts`, each boost bounded, so
//! that no amount of views can lift a poor match above a good one by more
//! than the factor's ceiling ([`MAX_FACTOR`]).

use std::sync::Arc;

use tantivy::{DocId, Score};

use crate::columns::{CHUNK, SegmentColumns};
use crate::facets::first_values;

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

/// A segment's boost inputs as plain arrays, one entry per document.
/// Reading the columns for each match cost a virtual call per column, and
/// for the columns channels and playlists lack, a rank in their optional
/// index: most of what the boosts cost.
pub(crate) struct DocumentBoosts {
    /// `POPULARITY · popularity`, plus `CURATED` when curated: the part of the factor no search changes.
    fixed: Box<[f32]>,
    /// Publication times (Unix seconds), [`UNPUBLISHED`] for none.
    published: Box<[i64]>,
    /// Language ordinals in the segment's language column, [`NO_LANGUAGE`] for none.
    languages: Box<[u32]>,
    max_fixed: f32,
    max_published: i64,
}

const UNPUBLISHED: i64 = i64::MIN;
const NO_LANGUAGE: u32 = u32::MAX;

impl DocumentBoosts {
    /// Reads the columns of every document.
    pub fn read(columns: &SegmentColumns) -> Self {
        let max_doc = columns.max_doc() as usize;
        let mut fixed = Vec::with_capacity(max_doc);
        let mut published = Vec::with_capacity(max_doc);
        let mut languages = Vec::with_capacity(max_doc);
        let (mut views, mut ats) = (vec![None; CHUNK], vec![None; CHUNK]);
        let (mut curated, mut ords) = (vec![None; CHUNK], vec![None; CHUNK]);
        let language_ords = columns.language.as_ref().map(|c| c.ords());
        columns.for_each_chunk(|docs| {
            let views = first_values(columns.views.as_ref(), docs, &mut views);
            let ats = first_values(columns.published_at.as_ref(), docs, &mut ats);
            let curated = first_values(columns.curated.as_ref(), docs, &mut curated);
            let ords = first_values(language_ords, docs, &mut ords);
            for i in 0..docs.len() {
                let curated = if curated[i] == Some(true) {
                    CURATED
                } else {
                    0.0
                };
                fixed.push(POPULARITY * popularity(views[i].unwrap_or(0)) + curated);
                published.push(ats[i].unwrap_or(UNPUBLISHED));
                let language = ords[i].and_then(|ord| u32::try_from(ord).ok());
                languages.push(language.unwrap_or(NO_LANGUAGE));
            }
        });
        Self {
            max_fixed: fixed.iter().copied().fold(0.0, f32::max),
            max_published: published.iter().copied().max().unwrap_or(UNPUBLISHED),
            fixed: fixed.into(),
            published: published.into(),
            languages: languages.into(),
        }
    }
}

/// The boosts of one search on one segment: its documents' inputs, and the
/// largest factor any of them can reach.
pub(crate) struct SegmentBoosts {
    documents: Arc<DocumentBoosts>,
    /// The ordinals of the viewer's languages.
    language_ords: Vec<u32>,
    now: i64,
    has_text: bool,
    language_weight: f32,
    ceiling: f32,
}

impl SegmentBoosts {
    pub fn new(boosts: &Boosts, columns: &SegmentColumns) -> Self {
        let mut language_ords = Vec::new();
        if let Some(languages) = &columns.language {
            for language in &boosts.languages {
                if let Ok(Some(ord)) = languages.dictionary().term_ord(language.as_bytes())
                    && let Ok(ord) = u32::try_from(ord)
                {
                    language_ords.push(ord);
                }
            }
        }
        let mut boosts = Self {
            documents: columns.boosts(),
            language_ords,
            now: boosts.now,
            has_text: boosts.has_text,
            language_weight: boosts.language_weight,
            ceiling: MAX_FACTOR,
        };
        boosts.ceiling = boosts.ceiling();
        boosts
    }

    /// The largest factor of the segment, from its documents' largest
    /// inputs, summed in the order [`Self::factor`] sums (so rounding keeps
    /// it an upper bound).
    fn ceiling(&self) -> f32 {
        let documents = &*self.documents;
        let mut factor = 1.0 + documents.max_fixed;
        if documents.max_published != UNPUBLISHED {
            factor += FRESHNESS * freshness(self.now, documents.max_published);
        }
        if !self.language_ords.is_empty() {
            factor += self.language_weight;
        }
        factor
    }

    fn factor(&self, doc: DocId) -> f32 {
        let documents = &*self.documents;
        let doc = doc as usize;
        let mut factor = 1.0 + documents.fixed[doc];
        let at = documents.published[doc];
        if at != UNPUBLISHED {
            factor += FRESHNESS * freshness(self.now, at);
        }
        if self.language_ords.contains(&documents.languages[doc]) {
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
    use tantivy::schema::{FAST, INDEXED, STRING, Schema};
    use tantivy::{Index, TantivyDocument};

    use super::*;

    /// Read into arrays a chunk at a time (segments longer than a chunk),
    /// each document's factor is the one its own values give, documents
    /// without views, date, curation or language (channels, playlists)
    /// included, and no factor exceeds the segment's ceiling.
    #[test]
    fn factors_come_from_each_document_values() {
        let mut schema = Schema::builder();
        let views = schema.add_i64_field("views", FAST);
        let published = schema.add_i64_field("published_at", FAST);
        let curated = schema.add_bool_field("curated", INDEXED | FAST);
        let language = schema.add_text_field("language", STRING | FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer = crate::tests::segment_per_commit_writer(&index);
        let now = 1_800_000_000_i64;
        let values = |n: i64| {
            let video = n % 7 != 0;
            (
                (video && n % 5 != 0).then_some((n * 7919) % 2_000_000),
                (video && n % 11 != 0).then_some(now - (n * 104_729) % 90_000_000),
                video && n % 13 == 0,
                (video && n % 3 != 0).then_some(["fr", "en", "it"][(n % 4) as usize % 3]),
            )
        };
        for n in 0..9_000_i64 {
            let (v, at, c, l) = values(n);
            let mut document = TantivyDocument::default();
            if let Some(v) = v {
                document.add_i64(views, v);
            }
            if let Some(at) = at {
                document.add_i64(published, at);
            }
            if c {
                document.add_bool(curated, true);
            }
            if let Some(l) = l {
                document.add_text(language, l);
            }
            writer.add_document(document).unwrap();
            if n == 4_999 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let boosts = Boosts {
            now,
            languages: vec!["it".into()],
            language_weight: 0.5,
            has_text: true,
        };
        let mut first = 0;
        for segment in searcher.segment_readers() {
            let columns = SegmentColumns::open(segment).unwrap();
            let ranked = SegmentBoosts::new(&boosts, &columns);
            for doc in 0..segment.max_doc() {
                let (v, at, c, l) = values(first + i64::from(doc));
                let fixed = POPULARITY * popularity(v.unwrap_or(0)) + if c { CURATED } else { 0.0 };
                let mut expected = 1.0 + fixed;
                if let Some(at) = at {
                    expected += FRESHNESS * freshness(now, at);
                }
                if l == Some("it") {
                    expected += 0.5;
                }
                let factor = ranked.factor(doc);
                assert_eq!(factor, expected, "document {doc}");
                assert!(factor <= ranked.ceiling);
                assert_eq!(ranked.score(doc, 2.0), 2.0 * factor);
            }
            first += i64::from(segment.max_doc());
        }
        assert_eq!(first, 9_000);
    }

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
