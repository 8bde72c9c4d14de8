//! The site's Markdown filter on hostile descriptions and editors' text: whatever comes in, the HTML that comes out runs no script and loads nothing.
//!
//! Checked on the output's tags: no `script`, `style`, `iframe`, `object`,
//! `embed`, `img` or `form` element, no `on*` event attribute, no `style`
//! attribute, and no link to a `javascript:`, `vbscript:` or `data:` URL.

#![no_main]

use libfuzzer_sys::fuzz_target;
use web::site::markdown::to_safe_html;

const FORBIDDEN_TAGS: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "img", "form", "svg", "math", "base", "meta",
    "link",
];
const URL_ATTRIBUTES: &[&str] = &["href", "src", "action", "formaction", "xlink:href"];
const FORBIDDEN_SCHEMES: &[&str] = &["javascript:", "vbscript:", "data:"];

fuzz_target!(|data: &[u8]| {
    let Ok(markdown) = std::str::from_utf8(data) else {
        return;
    };
    let html = to_safe_html(markdown);
    for tag in tags(&html) {
        let name = tag.name.to_ascii_lowercase();
        assert!(
            !FORBIDDEN_TAGS.contains(&name.as_str()),
            "<{name}> in {html}"
        );
        for (attribute, value) in &tag.attributes {
            let attribute = attribute.to_ascii_lowercase();
            assert!(!attribute.starts_with("on"), "{attribute}= in {html}");
            assert!(attribute != "style", "style= in {html}");
            if URL_ATTRIBUTES.contains(&attribute.as_str()) {
                let url = as_browsers_read(value);
                for scheme in FORBIDDEN_SCHEMES {
                    assert!(!url.starts_with(scheme), "{attribute}={value:?} in {html}");
                }
            }
        }
    }
});

/// An attribute's URL as a browser reads it (WHATWG URL): entities decoded,
/// leading and trailing controls and spaces dropped, tabs and newlines
/// removed anywhere, the scheme compared in lower case. Other control
/// characters stay: inside a scheme they make the URL relative, hence inert.
fn as_browsers_read(value: &str) -> String {
    let decoded = value
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    decoded
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase()
}

struct Tag<'a> {
    name: &'a str,
    attributes: Vec<(&'a str, &'a str)>,
}

/// The start tags of serialised HTML (attribute values double-quoted, as
/// the sanitizer writes them; a `<` in text is always `&lt;`).
fn tags(html: &str) -> Vec<Tag<'_>> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if rest.starts_with('/') || rest.starts_with('!') {
            continue;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        let mut attributes = Vec::new();
        let mut inside = &rest[name_end..];
        loop {
            inside = inside.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if inside.is_empty() || inside.starts_with('>') {
                break;
            }
            let key_end = inside
                .find(|c: char| c == '=' || c.is_whitespace() || c == '>')
                .unwrap_or(inside.len());
            let key = &inside[..key_end];
            inside = &inside[key_end..];
            let mut value = "";
            if let Some(after) = inside.strip_prefix("=\"") {
                let end = after.find('"').expect("attribute values are double-quoted");
                value = &after[..end];
                inside = &after[end + 1..];
            }
            attributes.push((key, value));
            if key.is_empty() {
                break;
            }
        }
        found.push(Tag { name, attributes });
        rest = inside;
    }
    found
}
