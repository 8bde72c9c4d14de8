//! Text analysis shared by indexing and querying: words, lower-casing, accent folding, per-language stemming.
//!
//! Every text field is indexed twice: *folded* (lower-cased, accents
//! folded: "École" → "ecole") for exact and fuzzy matching, and *stemmed*
//! in the video's own language ("chansons" → "chanson") for plurals and
//! conjugations. Stemming runs on the lower-cased word before folding, as
//! the Snowball stemmers expect accents; the stem is folded afterwards. The
//! stemmed field is pre-tokenized by [`Analyzers::stem_tokens`], since the
//! analyzer depends on the document, not on the field.

use std::cell::RefCell;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer, Token, TokenStream, TokenizerManager,
};

/// The tokenizer of folded text fields: words, lower-cased, accents folded.
pub const FOLDED: &str = "florilege_folded";
/// The tokenizer of keyword fields (tags, hosts, handles): the whole value, lower-cased and folded.
pub const KEYWORD: &str = "florilege_keyword";

/// Words longer than this (in bytes) are dropped: they are noise, not words.
const MAX_WORD_BYTES: usize = 40;

/// The languages with a stemmer, by PeerTube language code.
pub const STEMMED_LANGUAGES: &[(&str, Language)] = &[
    ("fr", Language::French),
    ("en", Language::English),
    ("de", Language::German),
    ("es", Language::Spanish),
    ("it", Language::Italian),
    ("pt", Language::Portuguese),
    ("nl", Language::Dutch),
    ("da", Language::Danish),
    ("fi", Language::Finnish),
    ("hu", Language::Hungarian),
    ("no", Language::Norwegian),
    ("nb", Language::Norwegian),
    ("nn", Language::Norwegian),
    ("ro", Language::Romanian),
    ("ru", Language::Russian),
    ("sv", Language::Swedish),
    ("tr", Language::Turkish),
    ("el", Language::Greek),
    ("ar", Language::Arabic),
    ("ta", Language::Tamil),
];

/// The stemmer of a PeerTube language code (`fr`, `pt-BR`, …), if there is one.
pub fn stem_language(code: &str) -> Option<Language> {
    let primary = code.split(['-', '_']).next()?.to_ascii_lowercase();
    STEMMED_LANGUAGES
        .iter()
        .find(|(known, _)| *known == primary)
        .map(|(_, language)| *language)
}

/// Registers the analyzers on an index's tokenizer manager (needed at every open).
pub fn register(manager: &TokenizerManager) {
    manager.register(FOLDED, folded_analyzer());
    manager.register(KEYWORD, keyword_analyzer());
}

fn folded_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

fn keyword_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

fn stem_analyzer(language: Language) -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(Stemmer::new(language))
        .filter(AsciiFoldingFilter)
        .build()
}

/// One word of a search, folded, with its stems in every stemmed language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryWord {
    /// Lower-cased and folded, as in the folded fields.
    pub folded: String,
    /// Distinct stems (folded) over all stemmed languages.
    pub stems: Vec<String>,
}

/// A set of analyzers, reused across documents (building them allocates).
pub struct Analyzers {
    folded: TextAnalyzer,
    keyword: TextAnalyzer,
    stems: Vec<(Language, TextAnalyzer)>,
}

impl Default for Analyzers {
    fn default() -> Self {
        let mut stems: Vec<(Language, TextAnalyzer)> = Vec::new();
        for (_, language) in STEMMED_LANGUAGES {
            if !stems.iter().any(|(known, _)| known == language) {
                stems.push((*language, stem_analyzer(*language)));
            }
        }
        Self {
            folded: folded_analyzer(),
            keyword: keyword_analyzer(),
            stems,
        }
    }
}

impl Analyzers {
    /// Runs `f` with this thread's analyzers (for the query side).
    pub fn with<R>(f: impl FnOnce(&mut Analyzers) -> R) -> R {
        thread_local! {
            static ANALYZERS: RefCell<Analyzers> = RefCell::new(Analyzers::default());
        }
        ANALYZERS.with(|analyzers| f(&mut analyzers.borrow_mut()))
    }

    /// A whole value (tag, host, handle) as the keyword fields hold it.
    pub fn keyword(&mut self, value: &str) -> String {
        let mut stream = self.keyword.token_stream(value.trim());
        let mut out = String::new();
        if stream.advance() {
            out.push_str(&stream.token().text);
        }
        out
    }

    /// The folded words of a text, in order.
    pub fn folded_words(&mut self, text: &str) -> Vec<String> {
        let mut stream = self.folded.token_stream(text);
        let mut words = Vec::new();
        while stream.advance() {
            words.push(stream.token().text.clone());
        }
        words
    }

    /// The folded words of a text with their byte offsets in it (for highlighting).
    pub fn folded_tokens(&mut self, text: &str) -> Vec<Token> {
        let mut stream = self.folded.token_stream(text);
        let mut tokens = Vec::new();
        while stream.advance() {
            tokens.push(stream.token().clone());
        }
        tokens
    }

    /// The stemmed tokens of a text in a language, for a pre-tokenized field.
    pub fn stem_tokens(
        &mut self,
        text: &str,
        language: Language,
        first_position: usize,
    ) -> Vec<Token> {
        let Some((_, analyzer)) = self.stems.iter_mut().find(|(known, _)| *known == language)
        else {
            return Vec::new();
        };
        let mut stream = analyzer.token_stream(text);
        let mut tokens = Vec::new();
        while stream.advance() {
            let mut token = stream.token().clone();
            token.position += first_position;
            tokens.push(token);
        }
        tokens
    }

    /// The words of a search, each with its stems in every stemmed language.
    pub fn query_words(&mut self, text: &str) -> Vec<QueryWord> {
        let tokens = self.folded_tokens(text);
        let mut words = Vec::with_capacity(tokens.len());
        for token in tokens {
            let surface = &text[token.offset_from..token.offset_to];
            let mut stems: Vec<String> = Vec::new();
            for (_, analyzer) in &mut self.stems {
                let mut stream = analyzer.token_stream(surface);
                if stream.advance() {
                    let stem = &stream.token().text;
                    if !stem.is_empty() && !stems.contains(stem) {
                        stems.push(stem.clone());
                    }
                }
            }
            words.push(QueryWord {
                folded: token.text,
                stems,
            });
        }
        words
    }

    /// One word's stem in one language (folded), for tests and related videos.
    pub fn stem(&mut self, word: &str, language: Language) -> Option<String> {
        self.stem_tokens(word, language, 0)
            .into_iter()
            .next()
            .map(|token| token.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_and_accents() {
        let mut analyzers = Analyzers::default();
        assert_eq!(
            analyzers.folded_words("L'École des Garçons, ÇA VA?"),
            ["l", "ecole", "des", "garcons", "ca", "va"]
        );
        assert_eq!(analyzers.keyword("  Logiciel Libre "), "logiciel libre");
    }

    #[test]
    fn stems_follow_the_language_then_fold() {
        let mut analyzers = Analyzers::default();
        assert_eq!(
            analyzers.stem("chansons", Language::French).unwrap(),
            "chanson"
        );
        assert_eq!(analyzers.stem("écoles", Language::French).unwrap(), "ecol");
        assert_eq!(analyzers.stem("running", Language::English).unwrap(), "run");
        assert_eq!(stem_language("pt-BR"), Some(Language::Portuguese));
        assert_eq!(stem_language("ja"), None);
    }

    #[test]
    fn query_words_carry_distinct_stems() {
        let mut analyzers = Analyzers::default();
        let words = analyzers.query_words("Chansons d'été");
        assert_eq!(words[0].folded, "chansons");
        assert!(words[0].stems.contains(&"chanson".to_owned()), "{words:?}");
        assert_eq!(words[1].folded, "d");
        assert_eq!(words[2].folded, "ete");
    }
}
