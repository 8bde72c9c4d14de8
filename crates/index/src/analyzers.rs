//! Text analysis shared by indexing and querying: words, lower-casing, accent folding, per-language stemming.
//!
//! Every text field is indexed twice: *folded* (lower-cased, accents
//! folded: "École" → "ecole") for exact and fuzzy matching, and *stemmed*
//! in the video's own language ("chansons" → "chanson") for plurals and
//! conjugations. Stemming runs on the lower-cased word before folding, as
//! the Snowball stemmers expect accents; the stem is folded afterwards. The
//! stemmer depends on the document, not on the field, so a stemmed value
//! carries its language in front ([`stemmed_value`]) and the field's
//! tokenizer ([`STEMMED`]) picks the stemmer from it. (Pre-tokenized values
//! would do the same, but Tantivy keeps them in the document as JSON: its
//! encoding and decoding took a sixth of the indexing CPU.)

use std::cell::RefCell;

use tantivy::tokenizer::{
    AsciiFoldingFilter, BoxTokenStream, Language, LowerCaser, RawTokenizer, RemoveLongFilter,
    SimpleTokenizer, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer, TokenizerManager,
};

/// The tokenizer of folded text fields: words, lower-cased, accents folded.
pub const FOLDED: &str = "florilege_folded";
/// The tokenizer of keyword fields (tags, hosts, handles): the whole value, lower-cased and folded.
pub const KEYWORD: &str = "florilege_keyword";
/// The tokenizer of stemmed fields: words of a [`stemmed_value`], stemmed in its language, then folded.
pub const STEMMED: &str = "florilege_stemmed";

/// Ends the language code in front of a stemmed value.
const LANGUAGE_END: char = '\u{1f}';

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
    // No allocation: it runs twice per stemmed value (building the document, then tokenizing it).
    let primary = code.split(['-', '_']).next()?;
    STEMMED_LANGUAGES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(primary))
        .map(|(_, language)| *language)
}

/// A value for a stemmed field: `text` to be stemmed in the language of the PeerTube code `language`.
/// `None` when the language has no stemmer.
pub fn stemmed_value(language: &str, text: &str) -> Option<String> {
    stem_language(language)?;
    let mut value = String::with_capacity(language.len() + LANGUAGE_END.len_utf8() + text.len());
    value.push_str(language);
    value.push(LANGUAGE_END);
    value.push_str(text);
    Some(value)
}

/// Registers the analyzers on an index's tokenizer manager (needed at every open).
pub fn register(manager: &TokenizerManager) {
    manager.register(FOLDED, folded_analyzer());
    manager.register(KEYWORD, keyword_analyzer());
    manager.register(STEMMED, TextAnalyzer::from(LanguageStemming::default()));
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

/// One analyzer per stemmed language, each language once.
fn stem_analyzers() -> Vec<(Language, TextAnalyzer)> {
    let mut stems: Vec<(Language, TextAnalyzer)> = Vec::new();
    for (_, language) in STEMMED_LANGUAGES {
        if !stems.iter().any(|(known, _)| known == language) {
            stems.push((*language, stem_analyzer(*language)));
        }
    }
    stems
}

/// The tokenizer behind [`STEMMED`]: reads the language in front of a [`stemmed_value`] and stems the rest in it.
#[derive(Clone)]
struct LanguageStemming {
    stems: Vec<(Language, TextAnalyzer)>,
}

impl Default for LanguageStemming {
    fn default() -> Self {
        Self {
            stems: stem_analyzers(),
        }
    }
}

impl Tokenizer for LanguageStemming {
    type TokenStream<'a> = BoxTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, value: &'a str) -> BoxTokenStream<'a> {
        let (code, text) = value.split_once(LANGUAGE_END).unwrap_or(("", ""));
        let language = stem_language(code);
        let at = language
            .and_then(|language| self.stems.iter().position(|(known, _)| *known == language));
        match at {
            Some(at) => self.stems[at].1.token_stream(text),
            // Not a stemmed value: nothing to index (the first analyzer yields no token for "").
            None => self.stems[0].1.token_stream(""),
        }
    }
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
        Self {
            folded: folded_analyzer(),
            keyword: keyword_analyzer(),
            stems: stem_analyzers(),
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

    /// One word's stem in one language (folded), for highlighting and tests.
    pub fn stem(&mut self, word: &str, language: Language) -> Option<String> {
        let (_, analyzer) = self
            .stems
            .iter_mut()
            .find(|(known, _)| *known == language)?;
        let mut stream = analyzer.token_stream(word);
        stream.advance().then(|| stream.token().text.clone())
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

    fn stemmed_words(value: &str) -> Vec<String> {
        let manager = TokenizerManager::default();
        register(&manager);
        let mut analyzer = manager.get(STEMMED).unwrap();
        let mut stream = analyzer.token_stream(value);
        let mut words = Vec::new();
        while stream.advance() {
            words.push(stream.token().text.clone());
        }
        words
    }

    #[test]
    fn stemmed_values_are_stemmed_in_their_own_language() {
        let french = stemmed_value("fr", "Chansons d'été").unwrap();
        assert_eq!(stemmed_words(&french), ["chanson", "d", "ete"]);
        let english = stemmed_value("en-GB", "Running songs").unwrap();
        assert_eq!(stemmed_words(&english), ["run", "song"]);
        // The separator inside the text is only a word boundary.
        let hostile = stemmed_value("fr", "écoles\u{1f}de\u{1f}fr").unwrap();
        assert_eq!(stemmed_words(&hostile), ["ecol", "de", "fr"]);
        assert_eq!(stemmed_value("ja", "歌"), None);
        assert!(stemmed_words("no language in front").is_empty());
        assert!(stemmed_words("xx\u{1f}unknown language").is_empty());
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
