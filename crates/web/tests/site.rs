//! The public site over real HTTP: every page type in both languages, privacy, hostile content, feeds, forms.

#[expect(dead_code, reason = "the support serves several test files")]
mod support;

use store::{NewSelection, SelectionStatus, ThemeInput};
use support::{CORPUS, Site};

/// Publishes a selection of the first, second and fifth videos in a theme.
async fn publish_selection(site: &Site) {
    let store = site.store();
    let theme = store
        .create_theme(
            &ThemeInput {
                name: "Nature & sciences",
                description: "Bees, skies and mountains.",
                ..ThemeInput::default()
            },
            None,
        )
        .await
        .unwrap();
    let selection = store
        .create_selection(
            &NewSelection {
                title: "Le meilleur du Vercors",
                summary: "Abeilles, musique et montagnes.",
                body: "Une **sélection** <script>alert('body')</script> pour l'été.",
                language: Some("fr"),
                ..NewSelection::default()
            },
            None,
        )
        .await
        .unwrap();
    for (seed, note) in [
        (&CORPUS[4], "<b>Une</b> merveille"),
        (&CORPUS[0], "Pour les curieux"),
        (&CORPUS[1], ""),
    ] {
        let video = store.video_by_uuid(seed.uuid).await.unwrap().unwrap();
        store
            .add_item(selection.id, video.id, note, None, None)
            .await
            .unwrap();
    }
    store
        .set_selection_themes(selection.id, &[theme.id], None, None)
        .await
        .unwrap();
    for status in [SelectionStatus::Review, SelectionStatus::Published] {
        store
            .set_selection_status(selection.id, status, None, None)
            .await
            .unwrap();
    }
    site.settle().await;
}

/// Every page type, in each language.
fn pages() -> Vec<String> {
    let mut pages = Vec::new();
    for lang in ["en", "fr"] {
        for path in [
            "/",
            "/selections",
            "/selections/le-meilleur-du-vercors",
            "/themes/nature-sciences",
            &format!("/videos/{}", CORPUS[4].uuid),
            "/search?q=abeilles",
            "/search?q=zzzz",
            "/search",
            "/instances",
            "/instances/video.example",
            "/about",
            "/submit",
            "/removal",
        ] {
            pages.push(format!("/{lang}{path}"));
        }
    }
    pages
}

async fn get(site: &Site, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let response = site.client.get(site.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// Every `src`/`href`/`action`/`srcset` that would load something is local.
fn external_loads(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in [
        "src=\"",
        "srcset=\"",
        "<link rel=\"stylesheet\" href=\"",
        "<link rel=\"icon\" href=\"",
    ] {
        for (position, _) in html.match_indices(attribute) {
            let value: String = html[position + attribute.len()..]
                .chars()
                .take_while(|c| *c != '"')
                .collect();
            if value.starts_with("http") || value.starts_with("//") {
                found.push(value);
            }
        }
    }
    found
}

async fn every_page_renders_in_both_languages_privately(site: &Site) {
    publish_selection(site).await;
    for path in pages() {
        let (status, headers, html) = get(site, &path).await;
        assert_eq!(status, 200, "{path}: {html}");
        assert!(headers.get("set-cookie").is_none(), "{path} sets a cookie");
        let lang = &path[1..3];
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{path}");
        assert!(
            html.contains("hreflang=\"fr\"") && html.contains("hreflang=\"en\""),
            "{path}"
        );
        assert!(html.contains("<link rel=\"canonical\""), "{path}");
        assert!(html.contains("property=\"og:title\""), "{path}");
        assert_eq!(
            external_loads(&html),
            Vec::<String>::new(),
            "{path} loads from elsewhere"
        );
        assert!(!html.contains("<iframe"), "{path}: no embed before play");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src") || csp.contains("default-src 'self'"),
            "{csp}"
        );
        // The second answer comes from the page cache: the same defaults.
        let (_, cached, _) = get(site, &path).await;
        for headers in [&headers, &cached] {
            for (name, value) in [
                ("x-frame-options", "DENY"),
                ("x-content-type-options", "nosniff"),
                ("referrer-policy", "same-origin"),
                ("server", "florilege"),
            ] {
                assert_eq!(headers[name], value, "{path}: {name}");
            }
        }
    }
}

async fn hostile_titles_and_bodies_are_inert(site: &Site) {
    publish_selection(site).await;
    for path in [
        "/fr/selections/le-meilleur-du-vercors",
        &format!("/fr/videos/{}", CORPUS[4].uuid),
        "/fr/search?q=abeilles",
        "/en/search?q=%3Cscript%3E",
    ] {
        let (_, _, html) = get(site, path).await;
        assert!(!html.contains("<script>alert"), "{path}: {html}");
        assert!(!html.contains("<b>Une</b>"), "{path}: notes are text");
    }
    let (_, _, video) = get(site, &format!("/fr/videos/{}", CORPUS[4].uuid)).await;
    assert!(
        video.contains("<title>&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt; Abeilles du Vercors · Florilège</title>"),
        "the title names the video, inert"
    );
    assert!(video.contains("og:image\" content=\"http://127.0.0.1:8080/media/thumbnails/"));
    let (_, _, search) = get(site, "/fr/search?q=abeilles").await;
    assert!(
        search.contains("<mark>Abeilles</mark>") && search.contains(">1 vidéo<"),
        "the hostile video is found, its title inert: {search}"
    );
    let (_, _, selection) = get(site, "/fr/selections/le-meilleur-du-vercors").await;
    assert!(
        selection.contains("<strong>sélection</strong>"),
        "the body is Markdown"
    );
    assert!(selection.contains("&lt;b&gt;Une&lt;/b&gt; merveille"));
    assert!(selection.contains("&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt; Abeilles"));
}

async fn pages_speak_the_viewers_language(site: &Site) {
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (accept, expected) in [
        ("fr-FR,fr;q=0.9", "/fr/"),
        ("de, en;q=0.5", "/en/"),
        ("", "/en/"),
    ] {
        let response = redirect
            .get(site.url("/"))
            .header("accept-language", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{accept}");
        assert_eq!(response.headers()["location"], expected, "{accept}");
        assert_eq!(response.headers()["vary"], "Accept-Language");
    }
    let (_, _, french) = get(site, "/fr/search").await;
    assert!(
        french.contains("Recherche") && french.contains("5\u{a0}vidéos")
            || french.contains("vidéos")
    );
    let (_, _, english) = get(site, "/en/instances").await;
    assert!(english.contains("Sign-up closed"), "{english}");
}

async fn unknown_pages_get_a_friendly_404(site: &Site) {
    for path in [
        "/fr/videos/0a0e0b7c-0000-0000-0000-000000000000",
        "/de/",
        "/nowhere",
        "/fr/selections/none",
    ] {
        let (status, headers, html) = get(site, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert!(html.contains("Page"), "{path}: {html}");
    }
    let (_, _, french) = get(site, "/fr/selections/none").await;
    assert!(french.contains("Page introuvable"));
}

async fn feeds_sitemap_and_json(site: &Site) {
    publish_selection(site).await;
    let (status, headers, atom) =
        get(site, "/fr/selections/le-meilleur-du-vercors/feed.atom").await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    assert!(
        atom.starts_with("<?xml") && atom.matches("<entry>").count() == 3,
        "{atom}"
    );
    assert!(
        atom.contains("&lt;script&gt;") && !atom.contains("<script>"),
        "{atom}"
    );
    let (_, _, all) = get(site, "/en/feed.atom").await;
    assert!(all.contains("Le meilleur du Vercors"));
    let (_, _, theme) = get(site, "/en/themes/nature-sciences/feed.atom").await;
    assert!(theme.contains("<entry>"));
    let (_, _, sitemap) = get(site, "/sitemap.xml").await;
    assert!(
        sitemap.contains("/fr/selections/le-meilleur-du-vercors</loc>"),
        "{sitemap}"
    );
    assert!(sitemap.contains("hreflang=\"en\""));
    let (_, _, robots) = get(site, "/robots.txt").await;
    assert!(robots.contains("Disallow: /admin") && robots.contains("Sitemap:"));
    let (_, selections) = site.get_json("/api/v1/selections").await;
    assert_eq!(selections["total"], 1);
    assert_eq!(selections["data"][0]["videos"], 3);
    let (_, instances) = site.get_json("/api/v1/instances").await;
    assert_eq!(instances["total"], 2);
}

async fn pages_revalidate_with_etags(site: &Site) {
    let (_, headers, _) = get(site, "/en/").await;
    let etag = headers["etag"].clone();
    let response = site
        .client
        .get(site.url("/en/"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 304);
    let (_, _, home) = get(site, "/en/").await;
    let css = home
        .split("href=\"/assets/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let asset = site
        .client
        .get(site.url(&format!("/assets/{css}")))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert!(
        asset.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
}

async fn forms_need_their_token_and_record_requests(site: &Site) {
    let no_token = site
        .client
        .post(site.url("/en/removal"))
        .form(&[
            ("kind", "video"),
            ("target", "https://x.example/w/1"),
            ("reason", "mine"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_token.status(),
        403,
        "a post without the form's token is refused"
    );
    let (_, _, form) = get(site, "/en/removal").await;
    let token = form
        .split("name=\"token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let cross_site = site
        .client
        .post(site.url("/en/removal"))
        .header("origin", "https://evil.example")
        .form(&[
            ("token", token),
            ("kind", "video"),
            ("target", "x"),
            ("reason", "y"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        cross_site.status(),
        403,
        "a post from another site is refused"
    );
    let sent = site
        .client
        .post(site.url("/en/removal"))
        .form(&[
            ("token", token),
            ("kind", "channel"),
            ("target", "https://video.example/c/ciel"),
            ("requester", "paul@example.org"),
            ("reason", "This is my channel."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    assert!(sent.text().await.unwrap().contains("Your request was sent"));
    let requests = site
        .store()
        .list_removal_requests(None, store::Paging::page(1, 10))
        .await
        .unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].target, "https://video.example/c/ciel");

    let (_, _, submit) = get(site, "/fr/submit").await;
    let token = submit
        .split("name=\"token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let bad = site
        .client
        .post(site.url("/fr/submit"))
        .form(&[("token", token), ("address", "not an address at all")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("nom de domaine"));
    let submitted = site
        .client
        .post(site.url("/fr/submit"))
        .form(&[
            ("token", token),
            ("address", "new.example"),
            ("contact", "admin@new.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200, "followed to the status page");
    let status_url = submitted.url().path().to_owned();
    assert!(status_url.starts_with("/fr/submissions/"), "{status_url}");
    let status_page = submitted.text().await.unwrap();
    assert!(status_page.contains("En attente"), "{status_page}");
    let (_, headers, _) = get(site, &status_url).await;
    assert_eq!(headers["cache-control"], "private, no-store");
}

async fn cached_pages_follow_the_content(site: &Site) {
    let (_, _, before) = get(site, "/en/selections").await;
    assert!(before.contains("No selection has been published yet."));
    let (_, _, again) = get(site, "/en/selections").await;
    assert_eq!(before, again, "served again, from the cache");
    publish_selection(site).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, _, after) = get(site, "/en/selections").await;
        if after.contains("Le meilleur du Vercors") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the cached page was never dropped"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

site_tests!(
    cached_pages_follow_the_content,
    every_page_renders_in_both_languages_privately,
    hostile_titles_and_bodies_are_inert,
    pages_speak_the_viewers_language,
    unknown_pages_get_a_friendly_404,
    feeds_sitemap_and_json,
    pages_revalidate_with_etags,
    forms_need_their_token_and_record_requests,
);
