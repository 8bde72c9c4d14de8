//! Markdown from editors and instances, rendered to HTML that is safe to show.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};

/// The sanitizer: ammonia's defaults (no script, no event handler, no style,
/// links get `rel="noopener noreferrer"`) minus images, which would load
/// from third-party hosts and break the site's privacy promise.
static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder.rm_tags(HashSet::from(["img"]));
    builder.link_rel(Some("noopener noreferrer nofollow ugc"));
    builder
});

/// Markdown to sanitized HTML.
pub fn to_safe_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TABLES);
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    CLEANER.clean(&unsafe_html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_scripts_are_not() {
        let html = to_safe_html(
            "# Title\n\n**bold** [link](https://v.example) <script>alert(1)</script>\n\
             <img src=\"https://tracker.example/p.gif\" onerror=\"alert(2)\">\n\
             [js](javascript:alert(3))",
        );
        assert!(html.contains("<h1>Title</h1>") && html.contains("<strong>bold</strong>"));
        assert!(
            html.contains("rel=\"noopener noreferrer nofollow ugc\""),
            "{html}"
        );
        for forbidden in [
            "<script",
            "onerror",
            "<img",
            "tracker.example",
            "javascript:",
        ] {
            assert!(!html.contains(forbidden), "{forbidden} in {html}");
        }
    }

    /// Found by the `markdown` fuzz target (fuzz/): a scheme spelled with
    /// entities and control characters. Tabs and newlines, which browsers
    /// drop from URLs, must not smuggle `javascript:` through; other control
    /// characters make the link relative, which is inert.
    #[test]
    fn obfuscated_javascript_links_are_dropped_or_inert() {
        let html = to_safe_html(
            "<a href=\"java&#9;script:alert(1)\">tab</a> \
             <a href=\" &#10;JaVa&#13;Script:alert(2)\">newline</a> \
             <a href=\"&#106;avasc&#6;&#6;ript:alert(3)\">control</a>",
        );
        assert!(
            html.contains(">tab</a>") && html.contains(">newline</a>"),
            "{html}"
        );
        for link in html.split("href=\"").skip(1) {
            let url: String = link[..link.find('"').unwrap()]
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect();
            let url = url.trim_matches(|c: char| c <= ' ').to_ascii_lowercase();
            assert!(!url.starts_with("javascript:"), "{url:?} in {html}");
        }
        assert!(
            html.contains("href=\"javasc\u{6}\u{6}ript:alert(3)\""),
            "{html}"
        );
    }
}
