//! The query mix: one to three words, typos, filters, sorts and facets, drawn from words of the corpus's titles.

use serde::{Deserialize, Serialize};

use super::corpus::Sample;
use super::rng::Rng;

/// Results asked per query (PeerTube's clients ask 10 to 25).
pub const COUNT: u32 = 20;

/// The kinds of query, in the order the mix cycles through them.
pub const KINDS: &[&str] = &[
    "1 word",
    "2 words",
    "3 words",
    "typo",
    "filters",
    "sort -publishedAt",
    "sort -views",
    "facets",
];

/// One query of the mix: its kind and its query string (without `?`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuerySpec {
    pub kind: String,
    pub query: String,
}

/// `per_kind` queries of every kind, interleaved, deterministic for a seed.
pub fn mix(samples: &[Sample], per_kind: usize, seed: u64) -> Vec<QuerySpec> {
    let titles: Vec<(Vec<String>, &Sample)> = samples
        .iter()
        .map(|sample| (words(&sample.name), sample))
        .filter(|(words, _)| !words.is_empty())
        .collect();
    if titles.is_empty() {
        return Vec::new();
    }
    let mut rng = Rng::new(seed ^ 0x0051_E7C4);
    let mut out = Vec::with_capacity(per_kind * KINDS.len());
    for _ in 0..per_kind {
        for &kind in KINDS {
            let (title, sample) = &titles[rng.index(titles.len())];
            let mut params: Vec<(&str, String)> = Vec::new();
            let search = match kind {
                "2 words" | "sort -publishedAt" => phrase(title, 2, &mut rng),
                "3 words" => phrase(title, 3, &mut rng),
                "typo" => typo(title, &mut rng),
                _ => phrase(title, 1, &mut rng),
            };
            params.push(("search", search));
            match kind {
                "filters" => {
                    let language = sample.language.clone().unwrap_or_else(|| "en".into());
                    params.push(("languageOneOf", language));
                    params.push(("durationMin", "60".into()));
                    params.push(("durationMax", "1800".into()));
                }
                "sort -publishedAt" => params.push(("sort", "-publishedAt".into())),
                "sort -views" => params.push(("sort", "-views".into())),
                "facets" => params.push(("facets", "true".into())),
                _ => {}
            }
            params.push(("start", "0".into()));
            params.push(("count", COUNT.to_string()));
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            out.push(QuerySpec {
                kind: kind.to_owned(),
                query,
            });
        }
    }
    out
}

/// The words of a title a person would type: letters and digits, 3 to 20 characters.
fn words(title: &str) -> Vec<String> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| (3..=20).contains(&word.chars().count()))
        .map(str::to_owned)
        .collect()
}

/// `n` consecutive words of a title (fewer when it has fewer), lower-cased as typed.
fn phrase(title: &[String], n: usize, rng: &mut Rng) -> String {
    let n = n.min(title.len());
    let start = rng.index(title.len() - n + 1);
    title[start..start + n].join(" ").to_lowercase()
}

/// A word of the title with one inner letter replaced (edit distance 1), after another word when there is one.
fn typo(title: &[String], rng: &mut Rng) -> String {
    let long: Vec<&String> = title.iter().filter(|w| w.chars().count() >= 5).collect();
    let Some(word) = long.get(rng.index(long.len().max(1))) else {
        return phrase(title, 1, rng);
    };
    let mut chars: Vec<char> = word.to_lowercase().chars().collect();
    let at = 1 + rng.index(chars.len() - 2);
    let replacement = (b'a' + (rng.below(26) as u8)) as char;
    chars[at] = if chars[at] == replacement {
        if replacement == 'z' { 'a' } else { 'z' }
    } else {
        replacement
    };
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Sample {
        Sample {
            name: name.into(),
            language: Some("fr".into()),
            tags: Vec::new(),
        }
    }

    #[test]
    fn the_mix_cycles_every_kind_and_is_deterministic() {
        let samples = vec![
            sample("Recettes de crêpes à la montagne – Bakelo"),
            sample("Guitare électrique pour débutants"),
        ];
        let mix1 = mix(&samples, 3, 1);
        assert_eq!(mix1, mix(&samples, 3, 1));
        assert_eq!(mix1.len(), 3 * KINDS.len());
        for (query, kind) in mix1.iter().zip(KINDS.iter().cycle()) {
            assert_eq!(query.kind, *kind);
            assert!(query.query.starts_with("search="), "{query:?}");
            assert!(query.query.ends_with("&count=20"), "{query:?}");
        }
        assert!(mix1[4].query.contains("languageOneOf=fr"));
        assert!(mix(&[], 3, 1).is_empty());
    }

    #[test]
    fn a_typo_changes_one_inner_letter() {
        let mut rng = Rng::new(3);
        let title = words("Montagne");
        for _ in 0..50 {
            let typo = typo(&title, &mut rng);
            let differences = typo
                .chars()
                .zip("montagne".chars())
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(differences, 1, "{typo}");
            assert!(typo.starts_with('m') && typo.ends_with('e'));
        }
    }
}
