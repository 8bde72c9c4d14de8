//! PeerTube's label tables (categories, licences, languages) and JSON templates from a 6.3 server.

use std::sync::OnceLock;

use serde_json::{Map, Value};

pub(crate) const CATEGORIES: [&str; 18] = [
    "Music",
    "Films",
    "Vehicles",
    "Art",
    "Sports",
    "Travels",
    "Gaming",
    "People",
    "Comedy",
    "Entertainment",
    "News & Politics",
    "How To",
    "Education",
    "Activism",
    "Science & Technology",
    "Animals",
    "Kids",
    "Food",
];

pub(crate) const LICENCES: [&str; 7] = [
    "Attribution",
    "Attribution - Share Alike",
    "Attribution - No Derivatives",
    "Attribution - Non Commercial",
    "Attribution - Non Commercial - Share Alike",
    "Attribution - Non Commercial - No Derivatives",
    "Public Domain Dedication",
];

fn parse_template(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Object(Map::new()))
}

/// `GET /api/v1/videos/languages` of a 6.3 server.
pub(crate) fn languages() -> &'static Value {
    static LANGUAGES: OnceLock<Value> = OnceLock::new();
    LANGUAGES.get_or_init(|| parse_template(include_str!("data/videos-languages.json")))
}

/// `GET /api/v1/config` of a 6.3 server (patched per instance).
pub(crate) fn config_template() -> &'static Value {
    static CONFIG: OnceLock<Value> = OnceLock::new();
    CONFIG.get_or_init(|| parse_template(include_str!("data/config.json")))
}

/// `GET /nodeinfo/2.0.json` of a 6.3 server (patched per instance).
pub(crate) fn nodeinfo_template() -> &'static Value {
    static NODEINFO: OnceLock<Value> = OnceLock::new();
    NODEINFO.get_or_init(|| parse_template(include_str!("data/nodeinfo-2.0.json")))
}

/// `GET /api/v1/server/stats` of a 6.3 server (patched per instance).
pub(crate) fn stats_template() -> &'static Value {
    static STATS: OnceLock<Value> = OnceLock::new();
    STATS.get_or_init(|| parse_template(include_str!("data/server-stats.json")))
}

/// PeerTube's label of a category id ("Unknown" for none or an unknown one).
pub fn category_label(id: Option<u32>) -> &'static str {
    id.and_then(|i| CATEGORIES.get((i as usize).wrapping_sub(1)))
        .copied()
        .unwrap_or("Unknown")
}

/// PeerTube's label of a licence id.
pub fn licence_label(id: Option<u32>) -> &'static str {
    id.and_then(|i| LICENCES.get((i as usize).wrapping_sub(1)))
        .copied()
        .unwrap_or("Unknown")
}

/// PeerTube's (English) name of a language code.
pub fn language_label(code: Option<&str>) -> String {
    code.and_then(|c| languages().get(c))
        .and_then(Value::as_str)
        .unwrap_or("Unknown")
        .to_owned()
}

/// A `{"1": "Music", ...}` table.
pub(crate) fn numbered(labels: &[&str]) -> Value {
    let map: Map<String, Value> = labels
        .iter()
        .enumerate()
        .map(|(i, label)| ((i + 1).to_string(), Value::from(*label)))
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_resolve() {
        assert_eq!(category_label(Some(18)), "Food");
        assert_eq!(category_label(Some(0)), "Unknown");
        assert_eq!(licence_label(None), "Unknown");
        assert_eq!(language_label(Some("es")), "Spanish (Spain)");
        assert_eq!(language_label(Some("ca")), "Catalan");
        assert!(config_template().get("serverVersion").is_some());
        assert!(nodeinfo_template().get("software").is_some());
    }
}
