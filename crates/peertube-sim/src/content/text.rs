//! Text builders: fills templates with words, writes Markdown descriptions, tags and handles.

use super::words::{Lang, XSS_MARKDOWN, XSS_PAYLOADS};
use crate::mix::Dice;

/// Fills a template's placeholders with words drawn from the language.
pub(crate) fn fill(template: &str, lang: &Lang, dice: &mut Dice) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let Some(close) = after.find('}') else {
            out.push_str(after);
            return out;
        };
        let key = &after[1..close];
        match key {
            "N" => out.push_str(&capitalise(dice.word(lang.nouns))),
            "n" => out.push_str(dice.word(lang.nouns)),
            "a" => out.push_str(dice.word(lang.adjectives)),
            "v" => out.push_str(dice.word(lang.verbs)),
            "p" => out.push_str(dice.word(lang.places)),
            "#" => out.push_str(&dice.range(1, 99).to_string()),
            _ => out.push_str(&after[..=close]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    capitalise(&out)
}

/// Upper-cases the first character.
pub(crate) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A video title between 3 and 120 characters.
pub(crate) fn title(lang: &Lang, dice: &mut Dice) -> String {
    let template = dice.word(lang.titles);
    let mut name = fill(template, lang, dice);
    if name.chars().count() < 3 {
        name.push_str(" !!");
    }
    truncate_chars(&name, 120)
}

/// A Markdown description; about two in three are longer than 250 characters.
pub(crate) fn description(lang: &Lang, dice: &mut Dice) -> String {
    let sep = if lang.no_spaces { "" } else { " " };
    let paragraphs = if dice.chance(0.65) {
        dice.range(2, 5)
    } else {
        1
    };
    let mut parts: Vec<String> = Vec::new();
    for p in 0..paragraphs {
        let sentences = dice.range(1, 4);
        let mut paragraph: Vec<String> = (0..sentences)
            .map(|_| fill(dice.word(lang.sentences), lang, dice))
            .collect();
        if dice.chance(0.3) {
            let word = dice.word(lang.nouns);
            paragraph.push(format!("**{}**", capitalise(word)));
        }
        parts.push(paragraph.join(sep));
        if p == 0 && paragraphs > 2 {
            let heading = dice.word(lang.headings);
            let items: Vec<String> = (0..dice.range(2, 4))
                .map(|i| {
                    let noun = capitalise(dice.word(lang.nouns));
                    format!("- {:02}:{:02} {noun}", i * 3, dice.below(60))
                })
                .collect();
            parts.push(format!("## {heading}\n\n{}", items.join("\n")));
        }
    }
    if dice.chance(0.4) {
        let noun = dice.word(lang.nouns);
        let slug = slug(noun);
        parts.push(format!(
            "[{}](https://example.org/{slug}) — https://joinpeertube.org",
            capitalise(noun)
        ));
    }
    let text = parts.join("\n\n");
    truncate_chars(&text, 10_000)
}

/// Up to five distinct tags, each 2 to 30 characters.
pub(crate) fn tags(lang: &Lang, dice: &mut Dice) -> Vec<String> {
    let wanted = dice.below(6) as usize;
    let mut tags: Vec<String> = Vec::with_capacity(wanted);
    for _ in 0..wanted * 2 {
        if tags.len() == wanted {
            break;
        }
        let tag = dice.word(lang.nouns).to_lowercase();
        if tag.chars().count() >= 2 && !tags.contains(&tag) {
            tags.push(truncate_chars(&tag, 30));
        }
    }
    tags
}

/// An ASCII handle fragment (PeerTube actor names are `[a-z0-9_.]`).
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let base = match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' | 'Å' => 'a',
            'ç' | 'Ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'Î' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'ø' | 'Ö' | 'Ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'Ü' => 'u',
            'ß' => 's',
            'ł' | 'Ł' => 'l',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => '_',
        };
        if base == '_' && (out.is_empty() || out.ends_with('_')) {
            continue;
        }
        out.push(base);
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("media");
    }
    out.truncate(40);
    out
}

/// Cuts a string to at most `max` characters.
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text.to_owned(),
    }
}

/// PeerTube's `truncatedDescription`: lodash `truncate` to 250 characters with a "..." omission.
pub(crate) fn peertube_truncate(text: &str) -> String {
    const MAX: usize = 250;
    if text.chars().count() <= MAX {
        return text.to_owned();
    }
    let mut cut = truncate_chars(text, MAX - 3);
    cut.push_str("...");
    cut
}

/// Adds a hostile payload to a text field (picked by the dice).
pub(crate) fn xss(text: &str, dice: &mut Dice) -> String {
    let payload = dice.word(XSS_PAYLOADS);
    if dice.chance(0.5) {
        format!("{payload} {text}")
    } else {
        format!("{text} {payload}")
    }
}

/// A hostile Markdown description: the text plus `javascript:` links and raw HTML.
pub(crate) fn xss_markdown(text: &str, dice: &mut Dice) -> String {
    format!(
        "{}\n\n{XSS_MARKDOWN}\n\n{}",
        xss(text, dice),
        dice.word(XSS_PAYLOADS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::words::LANGS;

    #[test]
    fn texts_are_well_formed() {
        for (i, lang) in LANGS.iter().enumerate() {
            for k in 0..200 {
                let mut dice = Dice::new(7, i as u64, k, 1);
                let name = title(lang, &mut dice);
                assert!((3..=120).contains(&name.chars().count()), "{name}");
                assert!(!name.contains('{'), "{name}");
                let text = description(lang, &mut dice);
                assert!(!text.contains('{'), "{text}");
                let tags = tags(lang, &mut dice);
                assert!(tags.len() <= 5);
            }
        }
    }

    #[test]
    fn truncation_counts_characters() {
        let long = "é".repeat(300);
        let cut = peertube_truncate(&long);
        assert_eq!(cut.chars().count(), 250);
        assert!(cut.ends_with("..."));
        assert_eq!(peertube_truncate("court"), "court");
        assert_eq!(slug("Cuisine Française"), "cuisine_francaise");
    }
}
