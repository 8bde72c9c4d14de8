//! What every page knows: its language (from the path prefix), the alternates in other languages, and the site's name and address.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use minijinja::Value;
use minijinja::context;

use super::error::PageError;
use crate::state::AppState;

/// The page's language, read from the first path segment (`/fr/…`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lang {
    pub code: String,
    /// The path after the language prefix, with its query (`/search?q=x`).
    pub rest: String,
}

impl FromRequestParts<AppState> for Lang {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let path = parts.uri.path();
        let trimmed = path.trim_start_matches('/');
        let (code, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
        if state.site.languages.get(code).is_none() {
            return Err(PageError::not_found(
                state.site.languages.default_language().code.clone(),
            ));
        }
        let mut rest = format!("/{rest}");
        if let Some(query) = parts.uri.query() {
            rest.push('?');
            rest.push_str(query);
        }
        Ok(Self {
            code: code.to_owned(),
            rest,
        })
    }
}

impl Lang {
    /// A path of the site in this language.
    pub fn path(&self, rest: &str) -> String {
        format!("/{}{rest}", self.code)
    }
}

/// A message of the page's language (for titles set by handlers).
pub fn message(state: &AppState, lang: &Lang, key: &str) -> String {
    state
        .site
        .languages
        .get(&lang.code)
        .unwrap_or_else(|| state.site.languages.default_language())
        .message(key, &[])
}

/// The variables every template gets: `lang`, `languages` (with the
/// alternate URL of this page in each), `site_name`, `public_url`,
/// `canonical` and `path`.
pub fn base(state: &AppState, lang: &Lang) -> Value {
    let public_url = state.config.public_url.trim_end_matches('/');
    let languages: Vec<Value> = state
        .site
        .languages
        .all()
        .iter()
        .map(|catalogue| {
            context! {
                code => catalogue.code,
                name => catalogue.meta.name,
                url => format!("{public_url}/{}{}", catalogue.code, lang.rest),
                path => format!("/{}{}", catalogue.code, lang.rest),
                current => catalogue.code == lang.code,
            }
        })
        .collect();
    context! {
        lang => lang.code,
        languages,
        site_name => state.config.site_name,
        public_url,
        canonical => format!("{public_url}/{}{}", lang.code, lang.rest),
        path => lang.rest,
        prefix => format!("/{}", lang.code),
    }
}
