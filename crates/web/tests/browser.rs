//! The public site in a real browser (Debian's chromium and chromium-driver): a viewer's journey, privacy, hostile content, accessibility (axe-core), screenshots.
//!
//! Runs when `chromedriver` is on the PATH; CI sets `FLORILEGE_REQUIRE_BROWSER=1`
//! so that a missing browser fails instead of skipping. axe-core comes from
//! npm (`npm ci --prefix tests/browser`). Screenshots of each page type, in
//! both languages and both colour schemes, go to `target/browser-artifacts/`.

#[expect(dead_code, reason = "the support serves several test files")]
mod support;

#[path = "support/browser.rs"]
mod driver;

use driver::{accessibility_violations, artifacts, axe_source, browser, start_driver};
use fantoccini::{Client, Locator};
use serde_json::Value;
use store::{NewSelection, SelectionStatus};
use support::{CORPUS, Site};

/// Publishes a selection of three videos, the hostile one among them.
async fn publish_selection(site: &Site) -> String {
    let store = site.store();
    let selection = store
        .create_selection(
            &NewSelection {
                title: "Abeilles et aurores",
                summary: "Trois vidéos à voir.",
                body: "Une sélection *de test*.",
                language: Some("fr"),
                ..NewSelection::default()
            },
            None,
        )
        .await
        .unwrap();
    for seed in [&CORPUS[4], &CORPUS[0], &CORPUS[3]] {
        let video = store.video_by_uuid(seed.uuid).await.unwrap().unwrap();
        store
            .add_item(
                selection.id,
                video.id,
                "<img src=x onerror=alert(1)>",
                None,
                None,
            )
            .await
            .unwrap();
    }
    for status in [SelectionStatus::Review, SelectionStatus::Published] {
        store
            .set_selection_status(selection.id, status, None, None)
            .await
            .unwrap();
    }
    site.settle().await;
    selection.slug
}

/// The URLs the page loaded (Resource Timing), and whether any is not ours.
async fn foreign_requests(client: &Client, base: &str) -> Vec<String> {
    let loaded = client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            vec![],
        )
        .await
        .unwrap();
    loaded
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|url| !url.starts_with(base))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_browses_privately_and_accessibly() {
    let Some(driver) = start_driver() else { return };
    let site = Site::start(store::testing::TestStore::sqlite().await).await;
    let slug = publish_selection(&site).await;
    let axe = axe_source();
    let base = site.base.clone();
    let pages = [
        ("home", "/".to_owned()),
        ("selection", format!("/selections/{slug}")),
        ("video", format!("/videos/{}", CORPUS[4].uuid)),
        ("search", "/search?q=abeilles".to_owned()),
        ("instances", "/instances".to_owned()),
        ("instance", "/instances/video.example".to_owned()),
        ("about", "/about".to_owned()),
        ("submit", "/submit".to_owned()),
        ("removal", "/removal".to_owned()),
        ("not-found", "/nowhere".to_owned()),
    ];
    let mut failures = Vec::new();
    for dark in [false, true] {
        let client = browser(&driver, dark).await;
        let scheme_matches: bool = client
            .execute(
                "return matchMedia('(prefers-color-scheme: dark)').matches",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        for lang in ["fr", "en"] {
            for (name, path) in &pages {
                let url = format!("{base}/{lang}{path}");
                client.goto(&url).await.expect("navigate");
                // An alert would mean a hostile payload ran.
                if let Ok(text) = client.get_alert_text().await {
                    failures.push(format!("{url}: a script ran and opened an alert: {text}"));
                    let _ = client.dismiss_alert().await;
                }
                let foreign = foreign_requests(&client, &base).await;
                if !foreign.is_empty() {
                    failures.push(format!("{url}: requests outside Florilège: {foreign:?}"));
                }
                if !client.get_all_cookies().await.unwrap().is_empty() {
                    failures.push(format!("{url}: a cookie was set"));
                }
                if !dark {
                    for violation in accessibility_violations(&client, &axe).await {
                        failures.push(format!("{url}: axe: {violation}"));
                    }
                }
                let scheme = if dark { "dark" } else { "light" };
                let png = client.screenshot().await.expect("screenshot");
                std::fs::write(artifacts().join(format!("{name}-{lang}-{scheme}.png")), png)
                    .unwrap();
            }
        }
        if dark && !scheme_matches {
            failures.push("the dark session does not prefer a dark colour scheme".to_owned());
        }
        client.close().await.unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pressing_play_is_what_loads_the_origin_player() {
    let Some(driver) = start_driver() else { return };
    let site = Site::start(store::testing::TestStore::sqlite().await).await;
    let slug = publish_selection(&site).await;
    let client = browser(&driver, false).await;
    let base = site.base.clone();
    // Home → selection → video.
    client.goto(&format!("{base}/fr/")).await.unwrap();
    client
        .find(Locator::Css(&format!("a[href='/fr/selections/{slug}']")))
        .await
        .expect("the selection is on the home page")
        .click()
        .await
        .unwrap();
    let note = client
        .find(Locator::Css(".card__note"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        note, "<img src=x onerror=alert(1)>",
        "the editor's note is text"
    );
    client
        .find(Locator::Css(&format!(
            "a[href='/fr/videos/{}']",
            CORPUS[0].uuid
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        client.find(Locator::Css("iframe")).await.is_err(),
        "no embed before play"
    );
    assert!(foreign_requests(&client, &base).await.is_empty());
    client
        .find(Locator::Css("[data-play]"))
        .await
        .expect("the play button is shown by the script")
        .click()
        .await
        .unwrap();
    let frame = client
        .wait()
        .for_element(Locator::Css(".player iframe"))
        .await
        .unwrap();
    let src = frame.attr("src").await.unwrap().unwrap();
    assert!(
        src.starts_with(&format!(
            "https://video.example/videos/embed/{}",
            CORPUS[0].uuid
        )),
        "the embed points at the origin instance: {src}"
    );
    // Search with a filter, then a video page, then its feed.
    client
        .goto(&format!("{base}/en/search?q=mountain"))
        .await
        .unwrap();
    let results = client
        .find(Locator::Css(".results__count"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(results.contains("video"), "{results}");
    client
        .goto(&format!(
            "{base}/en/search?q=mountain&instance=tube.example"
        ))
        .await
        .unwrap();
    let cards = client.find_all(Locator::Css(".card")).await.unwrap();
    assert_eq!(cards.len(), 1, "the filter narrows to one video");
    let feed = site
        .client
        .get(site.url(&format!("/fr/selections/{slug}/feed.atom")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">") && feed.contains("<entry>")
    );
    client.close().await.unwrap();
    site.stop().await;
}
