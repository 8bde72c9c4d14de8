//! Languages of the site: message catalogues (one TOML file per language), negotiation, and formatting of numbers, dates and durations.
//!
//! A catalogue is `crates/web/locales/<code>.toml`. Its `[meta]` table names
//! the language and how it writes numbers, dates and plurals; every other
//! table holds messages, looked up as `table.key`. A message may hold
//! `{name}` placeholders, and may be a table `{one = "…", other = "…"}`
//! chosen by the `count` argument. Adding a language is adding a file.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use rust_embed::RustEmbed;
use serde::Deserialize;

#[derive(RustEmbed)]
#[folder = "locales/"]
#[include = "*.toml"]
struct Locales;

/// How a language writes things.
#[derive(Clone, Debug, Deserialize)]
pub struct Meta {
    /// The language's own name ("Français").
    pub name: String,
    /// Thousands separator (a narrow no-break space in French).
    pub thousands: String,
    pub decimal: String,
    /// With `{day}`, `{month}` (its name) and `{year}`.
    pub date: String,
    /// The twelve month names.
    pub months: Vec<String>,
    /// Counts up to this use the `one` form (1 in English, 1 in French where 0 is also singular).
    pub one_up_to: u64,
    /// Whether 0 takes the `one` form (French) or `other` (English).
    pub zero_is_one: bool,
}

/// One language's messages.
#[derive(Debug)]
pub struct Catalogue {
    pub code: String,
    pub meta: Meta,
    messages: HashMap<String, Message>,
}

#[derive(Debug)]
enum Message {
    Text(String),
    Plural { one: String, other: String },
}

/// Why a catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("catalogue {file}: {message}")]
pub struct CatalogueError {
    file: String,
    message: String,
}

impl Catalogue {
    fn parse(code: &str, text: &str) -> Result<Self, CatalogueError> {
        let error = |message: String| CatalogueError {
            file: format!("{code}.toml"),
            message,
        };
        let mut table: toml::Table = text.parse().map_err(|e| error(format!("{e}")))?;
        let meta = table
            .remove("meta")
            .ok_or_else(|| error("no [meta] table".into()))?;
        let meta: Meta = meta.try_into().map_err(|e| error(format!("[meta]: {e}")))?;
        if meta.months.len() != 12 {
            return Err(error("[meta] months must name the 12 months".into()));
        }
        let mut messages = HashMap::new();
        flatten("", toml::Value::Table(table), &mut messages).map_err(error)?;
        Ok(Self {
            code: code.to_owned(),
            meta,
            messages,
        })
    }

    /// The message `key` with its `{placeholders}` filled; a missing key shows itself.
    pub fn message(&self, key: &str, args: &[(&str, String)]) -> String {
        let count = args
            .iter()
            .find(|(name, _)| *name == "count")
            .and_then(|(_, value)| value.parse::<u64>().ok());
        let template = match self.messages.get(key) {
            Some(Message::Text(text)) => text.as_str(),
            Some(Message::Plural { one, other }) => {
                let singular = count.is_some_and(|n| {
                    (n == 0 && self.meta.zero_is_one) || (1..=self.meta.one_up_to).contains(&n)
                });
                if singular { one } else { other }
            }
            None => return key.to_owned(),
        };
        fill(template, args)
    }

    /// Whether the catalogue has `key`.
    pub fn has(&self, key: &str) -> bool {
        self.messages.contains_key(key)
    }

    /// The keys of the catalogue, for completeness checks.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.messages.keys().map(String::as_str)
    }

    /// An integer with the language's thousands separator.
    pub fn number(&self, value: i64) -> String {
        let digits = value.unsigned_abs().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 * 3);
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push_str(&self.meta.thousands);
            }
            grouped.push(digit);
        }
        if value < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    }

    /// A day, as the language writes it ("24 novembre 2026", "November 24, 2026").
    pub fn date(&self, at: DateTime<Utc>) -> String {
        let month = &self.meta.months[at.month0() as usize];
        self.meta
            .date
            .replace("{day}", &at.day().to_string())
            .replace("{month}", month)
            .replace("{year}", &at.year().to_string())
    }
}

/// `h:mm:ss` or `m:ss`, as video players show durations.
pub fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (hours, minutes, secs) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{secs:02}")
    } else {
        format!("{minutes}:{secs:02}")
    }
}

fn fill(template: &str, args: &[(&str, String)]) -> String {
    let mut text = template.to_owned();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

fn flatten(
    prefix: &str,
    value: toml::Value,
    into: &mut HashMap<String, Message>,
) -> Result<(), String> {
    match value {
        toml::Value::String(text) => {
            into.insert(prefix.to_owned(), Message::Text(text));
        }
        toml::Value::Table(mut table)
            if table.len() == 2 && table.contains_key("one") && table.contains_key("other") =>
        {
            let mut take = |form: &str| match table.remove(form) {
                Some(toml::Value::String(text)) => Ok(text),
                _ => Err(format!("{prefix}.{form} must be text")),
            };
            let (one, other) = (take("one")?, take("other")?);
            into.insert(prefix.to_owned(), Message::Plural { one, other });
        }
        toml::Value::Table(table) => {
            for (key, value) in table {
                let key = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&key, value, into)?;
            }
        }
        other => return Err(format!("{prefix}: a message must be text, not {other}")),
    }
    Ok(())
}

/// Every language the site speaks, the first being the default.
#[derive(Debug)]
pub struct Languages {
    catalogues: Vec<Catalogue>,
}

/// The language English falls back to being, when a viewer asks for none we have.
const DEFAULT: &str = "en";

impl Languages {
    /// Loads the embedded catalogues.
    pub fn load() -> Result<Self, CatalogueError> {
        let mut catalogues = Vec::new();
        for file in Locales::iter() {
            let Some(code) = file.strip_suffix(".toml") else {
                continue;
            };
            let Some(content) = Locales::get(&file) else {
                continue;
            };
            let text = String::from_utf8_lossy(&content.data);
            catalogues.push(Catalogue::parse(code, &text)?);
        }
        catalogues.sort_by_key(|catalogue| (catalogue.code != DEFAULT, catalogue.code.clone()));
        if catalogues.is_empty() {
            return Err(CatalogueError {
                file: "locales/".into(),
                message: "no catalogue".into(),
            });
        }
        Ok(Self { catalogues })
    }

    /// The catalogue of a language code.
    pub fn get(&self, code: &str) -> Option<&Catalogue> {
        self.catalogues.iter().find(|c| c.code == code)
    }

    pub fn default_language(&self) -> &Catalogue {
        &self.catalogues[0]
    }

    pub fn all(&self) -> &[Catalogue] {
        &self.catalogues
    }

    /// The best language for an `Accept-Language` header (RFC 9110 weights;
    /// `fr-CA` matches `fr`), else the default.
    pub fn negotiate(&self, accept_language: Option<&str>) -> &Catalogue {
        let mut wanted: Vec<(f32, usize, &str)> = accept_language
            .unwrap_or_default()
            .split(',')
            .enumerate()
            .filter_map(|(position, range)| {
                let mut parts = range.split(';');
                let tag = parts.next()?.trim();
                let weight = parts
                    .find_map(|param| param.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (!tag.is_empty() && weight > 0.0).then_some((weight, position, tag))
            })
            .collect();
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        wanted
            .iter()
            .find_map(|(_, _, tag)| {
                let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
                self.get(&primary)
            })
            .unwrap_or_else(|| self.default_language())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn every_language_has_every_message() {
        let languages = Languages::load().unwrap();
        assert!(languages.all().len() >= 2, "French and English at least");
        let reference = languages.get("en").unwrap();
        for catalogue in languages.all() {
            let mut missing: Vec<&str> = reference.keys().filter(|k| !catalogue.has(k)).collect();
            missing.sort_unstable();
            assert!(missing.is_empty(), "{} lacks {missing:?}", catalogue.code);
            let mut extra: Vec<&str> = catalogue.keys().filter(|k| !reference.has(k)).collect();
            extra.sort_unstable();
            assert!(extra.is_empty(), "{} has unknown {extra:?}", catalogue.code);
        }
    }

    #[test]
    fn negotiation_follows_weights_and_falls_back() {
        let languages = Languages::load().unwrap();
        let code = |header| languages.negotiate(header).code.as_str();
        assert_eq!(code(Some("fr-CA,fr;q=0.9,en;q=0.8")), "fr");
        assert_eq!(code(Some("de;q=1, en;q=0.5, fr;q=0.7")), "fr");
        assert_eq!(code(Some("de, ja")), "en");
        assert_eq!(code(Some("fr;q=0")), "en");
        assert_eq!(code(None), "en");
    }

    #[test]
    fn numbers_dates_and_plurals_follow_the_language() {
        let languages = Languages::load().unwrap();
        let (en, fr) = (languages.get("en").unwrap(), languages.get("fr").unwrap());
        assert_eq!(en.number(1_234_567), "1,234,567");
        assert_eq!(fr.number(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(fr.number(-999), "-999");
        let day = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
        assert_eq!(en.date(day), "November 24, 2026");
        assert_eq!(fr.date(day), "24 novembre 2026");
        let count = |n: u64| [("count", n.to_string()), ("n", n.to_string())];
        assert_eq!(en.message("search.results", &count(1)), "1 video");
        assert_eq!(en.message("search.results", &count(0)), "0 videos");
        assert_eq!(fr.message("search.results", &count(0)), "0 vidéo");
        assert_eq!(fr.message("search.results", &count(2)), "2 vidéos");
        assert_eq!(en.message("no.such.key", &[]), "no.such.key");
    }

    #[test]
    fn durations_read_like_players() {
        assert_eq!(duration(59), "0:59");
        assert_eq!(duration(3600 + 62), "1:01:02");
        assert_eq!(duration(-4), "0:00");
    }
}
