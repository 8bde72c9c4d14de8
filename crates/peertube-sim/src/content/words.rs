//! Per-language vocabularies and templates that titles, descriptions and names are built from.

/// The words of one language; templates use `{N}` (capitalised noun), `{n}` noun, `{a}` adjective,
/// `{v}` verb phrase, `{p}` place and `{#}` a number.
#[derive(Debug)]
pub(crate) struct Lang {
    /// PeerTube's language code.
    pub(crate) code: &'static str,
    pub(crate) nouns: &'static [&'static str],
    pub(crate) adjectives: &'static [&'static str],
    pub(crate) verbs: &'static [&'static str],
    pub(crate) places: &'static [&'static str],
    pub(crate) titles: &'static [&'static str],
    pub(crate) sentences: &'static [&'static str],
    pub(crate) support: &'static [&'static str],
    /// Headings used in long Markdown descriptions.
    pub(crate) headings: &'static [&'static str],
    /// Instance name templates.
    pub(crate) instance_names: &'static [&'static str],
    /// Channel display name templates.
    pub(crate) channel_names: &'static [&'static str],
    /// Words joined without spaces (Japanese).
    pub(crate) no_spaces: bool,
}

pub(crate) static LANGS: &[&Lang] = &[
    &super::lexicon_west::FR,
    &super::lexicon_west::EN,
    &super::lexicon_west::DE,
    &super::lexicon_west::ES,
    &super::lexicon_west::IT,
    &super::lexicon_west::PT,
    &super::lexicon_west::NL,
    &super::lexicon_more::PL,
    &super::lexicon_more::SV,
    &super::lexicon_more::RU,
    &super::lexicon_more::JA,
    &super::lexicon_more::CA,
];

/// How often each language is an instance's main language (same order as [`LANGS`]).
pub(crate) const LANG_WEIGHTS: &[u64] = &[30, 28, 12, 9, 6, 5, 4, 2, 1, 1, 1, 1];

/// Given names for accounts (their handles are lower-cased and suffixed with a number).
pub(crate) static GIVEN_NAMES: &[&str] = &[
    "Alice",
    "Bruno",
    "Chloé",
    "Daniel",
    "Élodie",
    "François",
    "Gisela",
    "Hugo",
    "Inès",
    "Jürgen",
    "Katarzyna",
    "Lars",
    "María",
    "Nikolai",
    "Océane",
    "Paolo",
    "Quentin",
    "Rosa",
    "Søren",
    "Thérèse",
    "Ugo",
    "Valérie",
    "Wiebke",
    "Xavier",
    "Yuki",
    "Zoé",
    "Ana",
    "João",
    "Mirjam",
    "Åsa",
    "Björn",
    "Łucja",
];

/// Family names for account display names.
pub(crate) static FAMILY_NAMES: &[&str] = &[
    "Dupont",
    "Martin",
    "Müller",
    "García",
    "Rossi",
    "Silva",
    "de Vries",
    "Kowalski",
    "Lindqvist",
    "Ivanova",
    "Tanaka",
    "Puig",
    "Lefèvre",
    "Schröder",
    "Núñez",
    "Bianchi",
    "Gonçalves",
    "Jansen",
];

/// Cross-site scripting payloads put into every text field of hostile instances.
pub(crate) static XSS_PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(document.cookie)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "{{constructor.constructor('alert(1)')()}}",
    "<a href=\"javascript:alert(1)\">clic</a>",
];

/// A Markdown fragment with a `javascript:` link and raw HTML, for hostile descriptions.
pub(crate) const XSS_MARKDOWN: &str = "[Voir la vidéo](javascript:alert(1)) \
<img src=x onerror=alert(1)> <script>alert('xss')</script> \
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)";
