//! URL slugs of themes and selections: deriving one from a title (accents folded) and checking its shape.

use crate::error::{Result, StoreError};

/// The longest slug accepted.
pub const MAX_SLUG_LEN: usize = 80;

/// Latin letters with diacritics or ligatures, and what they fold to.
const FOLDS: &[(&str, &str)] = &[
    ("àáâãäåāăąǎ", "a"),
    ("æ", "ae"),
    ("çćĉċč", "c"),
    ("ďđð", "d"),
    ("èéêëēĕėęě", "e"),
    ("ĝğġģ", "g"),
    ("ĥħ", "h"),
    ("ìíîïĩīĭįıǐ", "i"),
    ("ĳ", "ij"),
    ("ĵ", "j"),
    ("ķ", "k"),
    ("ĺļľŀł", "l"),
    ("ñńņňŉ", "n"),
    ("òóôõöøōŏőǒ", "o"),
    ("œ", "oe"),
    ("ŕŗř", "r"),
    ("śŝşšș", "s"),
    ("ß", "ss"),
    ("ţťŧț", "t"),
    ("þ", "th"),
    ("ùúûüũūŭůűųǔ", "u"),
    ("ŵ", "w"),
    ("ýÿŷ", "y"),
    ("źżž", "z"),
];

fn fold(c: char) -> Option<&'static str> {
    FOLDS
        .iter()
        .find(|(from, _)| from.contains(c))
        .map(|(_, to)| *to)
}

/// A slug made from a title: lower case, accents folded, anything else
/// turned into single hyphens ("École d'été" → "ecole-d-ete"). Letters
/// outside the Latin alphabet are dropped, so the result may be empty.
pub fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    let mut pending_hyphen = false;
    for c in title.chars().flat_map(char::to_lowercase) {
        let folded: Option<std::borrow::Cow<'static, str>> = if c.is_ascii_alphanumeric() {
            Some(c.to_string().into())
        } else if ('\u{300}'..='\u{36f}').contains(&c) {
            // A combining accent (decomposed input): drop it, keep the word together.
            continue;
        } else {
            fold(c).map(Into::into)
        };
        match folded {
            Some(text) => {
                if pending_hyphen && !slug.is_empty() {
                    slug.push('-');
                }
                pending_hyphen = false;
                slug.push_str(&text);
            }
            None => pending_hyphen = true,
        }
    }
    if slug.len() > MAX_SLUG_LEN {
        slug.truncate(MAX_SLUG_LEN);
        while slug.ends_with('-') {
            slug.pop();
        }
    }
    slug
}

/// Checks that a slug is 1 to 80 lower-case ASCII letters, digits and single inner hyphens.
pub fn validate_slug(slug: &str) -> Result<()> {
    let valid = (1..=MAX_SLUG_LEN).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if valid {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field: "slug",
            message: format!(
                "{slug:?}: use 1 to {MAX_SLUG_LEN} lower-case letters, digits and single hyphens, \
                 e.g. ecole-d-ete"
            ),
        })
    }
}

/// The slug to store: the one given (trimmed), or one made from the title when none is given.
pub(crate) fn slug_or_from_title(slug: &str, title: &str) -> Result<String> {
    let slug = slug.trim();
    let slug = if slug.is_empty() {
        slugify(title)
    } else {
        slug.to_owned()
    };
    validate_slug(&slug)?;
    Ok(slug)
}

/// Maps a unique violation (the only unique column being the slug) to [`StoreError::SlugTaken`].
pub(crate) fn unique_as_slug_taken(error: sqlx::Error, slug: &str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::SlugTaken(slug.to_owned())
        }
        _ => StoreError::Database(error),
    }
}

/// A required, trimmed text of at most `max` characters.
pub(crate) fn required_text(field: &'static str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::Invalid {
            field,
            message: "it must not be empty".into(),
        });
    }
    limited_text(field, text, max)
}

/// A text of at most `max` characters, trimmed.
pub(crate) fn limited_text(field: &'static str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(StoreError::Invalid {
            field,
            message: format!("it must not be longer than {max} characters"),
        });
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_become_ascii_slugs() {
        assert_eq!(slugify("École d'été"), "ecole-d-ete");
        assert_eq!(slugify("  Œuvres — complètes !  "), "oeuvres-completes");
        assert_eq!(slugify("Straße 42"), "strasse-42");
        assert_eq!(slugify("Cafe\u{301} noir"), "cafe-noir");
        assert_eq!(slugify("日本"), "");
        assert_eq!(slugify(&"a b ".repeat(60)).len(), MAX_SLUG_LEN - 1);
    }

    #[test]
    fn slugs_are_checked() {
        assert!(validate_slug("ecole-d-ete").is_ok());
        for bad in ["", "-a", "a-", "a--b", "Ecole", "é", "a b", &"a".repeat(81)] {
            assert!(validate_slug(bad).is_err(), "{bad:?} accepted");
        }
    }
}
