//! Rendering pages: the minijinja environment (templates embedded in release builds, read from disk in debug ones), its filters and functions.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};
use rust_embed::RustEmbed;

use super::assets::Assets;
use super::i18n::{Catalogue, Languages, duration};
use super::markdown;

#[derive(RustEmbed)]
#[folder = "../../templates/"]
#[include = "*.html"]
struct TemplateFiles;

/// Escapes text for HTML content and quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The catalogue of the page's language (its `lang` variable).
fn catalogue<'a>(languages: &'a Languages, state: &State<'_, '_>) -> &'a Catalogue {
    state
        .lookup("lang")
        .and_then(|lang| lang.as_str().and_then(|code| languages.get(code)))
        .unwrap_or_else(|| languages.default_language())
}

/// The template engine with the site's functions; shared by every request.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn new(languages: Arc<Languages>, assets: Arc<Assets>) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_formatter(|out, state, value| {
            // minijinja's HTML escaping also escapes `/`, which makes every
            // URL unreadable; the five characters that matter are enough.
            if let (AutoEscape::Html, Some(text)) = (state.auto_escape(), value.as_str())
                && !value.is_safe()
            {
                return out.write_str(&escape_html(text)).map_err(Error::from);
            }
            minijinja::escape_formatter(out, state, value)
        });
        env.set_loader(|name| {
            Ok(TemplateFiles::get(name)
                .map(|file| String::from_utf8_lossy(&file.data).into_owned()))
        });
        {
            let languages = Arc::clone(&languages);
            env.add_function(
                "t",
                move |state: &State<'_, '_>, key: &str, kwargs: Kwargs| -> Result<String, Error> {
                    let mut args = Vec::new();
                    for name in kwargs.args() {
                        let value: Value = kwargs.get(name)?;
                        args.push((name, value.to_string()));
                    }
                    Ok(catalogue(&languages, state).message(key, &args))
                },
            );
        }
        {
            let languages = Arc::clone(&languages);
            env.add_filter("number", move |state: &State<'_, '_>, value: i64| {
                catalogue(&languages, state).number(value)
            });
        }
        env.add_filter(
            "date",
            move |state: &State<'_, '_>, value: &str| -> Result<String, Error> {
                let at = DateTime::parse_from_rfc3339(value)
                    .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
                Ok(catalogue(&languages, state).date(at.with_timezone(&Utc)))
            },
        );
        env.add_filter("duration", |seconds: i64| duration(seconds));
        env.add_filter("markdown", |text: &str| {
            Value::from_safe_string(markdown::to_safe_html(text))
        });
        env.add_function("asset", move |name: &str| -> Result<String, Error> {
            assets
                .url(name)
                .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("no asset {name}")))
        });
        Self { env }
    }

    /// Renders a template with its context.
    pub fn render(&self, name: &str, context: Value) -> Result<String, Error> {
        // In debug builds templates are read from disk at each render, so
        // that editing one shows at the next reload.
        if cfg!(debug_assertions) {
            let mut env = self.env.clone();
            env.clear_templates();
            return env.get_template(name)?.render(context);
        }
        self.env.get_template(name)?.render(context)
    }
}
