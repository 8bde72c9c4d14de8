//! The back office in a real browser, against `florilege serve` crawling a simulated fleet: an admin approves a submitted instance and moderates it, an editor builds and publishes a selection, permissions, CSRF, throttling, a two-session conflict, and screenshots of every page.
//!
//! Runs when `chromedriver` is on the PATH (CI sets `FLORILEGE_REQUIRE_BROWSER=1`
//! so that a missing browser fails). Screenshots go to `target/browser-artifacts/admin-*.png`.

#[expect(dead_code, reason = "shared helpers, of which this test uses some")]
mod common;
#[expect(dead_code, reason = "the browser helpers serve several test files")]
#[path = "../../web/tests/support/browser.rs"]
mod driver;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use peertube_sim::{Fleet, FleetConfig};
use serde_json::Value;

const ADMIN_PASSWORD: &str = "the admin's own long password";

/// `florilege serve`, killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data_dir: &std::path::Path) -> Server {
    let private = [("FLORILEGE_ALLOW_PRIVATE_ADDRESSES", "true")];
    let added = common::run(
        data_dir,
        &["user", "add", "root", "--admin"],
        &private,
        Some(ADMIN_PASSWORD),
    );
    assert!(added.status.success(), "{}", common::stderr(&added));
    let mut child = common::command(data_dir)
        .arg("serve")
        .envs(common::CRAWL_LOOPBACK)
        .envs(private)
        .env("FLORILEGE_LISTEN", "127.0.0.1:0")
        .env("FLORILEGE_LOG", "warn")
        .stdin(Stdio::null())
        // A pipe nobody reads would fill and stall the server.
        .stderr(std::fs::File::create(data_dir.join("serve.log")).unwrap())
        .spawn()
        .expect("start florilege serve");
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("Florilège is serving on ")
                .map(str::to_owned)
        })
        .expect("the address the site is served on");
    Server { child, base: line }
}

/// Waits until `done` holds for the JSON of `path` (an API of the site).
async fn until_api(base: &str, path: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    let client = reqwest::Client::new();
    loop {
        let answer: Value = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if done(&answer) {
            return answer;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: still {} results",
            answer["total"]
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn find(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| {
            panic!("no {css} on the page: {error}");
        })
}

async fn page_text(client: &Client) -> String {
    find(client, "main").await.text().await.unwrap()
}

async fn fill(client: &Client, css: &str, text: &str) {
    let field = find(client, css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks a submit button and waits for the next page to load.
async fn click(client: &Client, css: &str) {
    const MARK: &str = "window.florilegeOldPage";
    client
        .execute(&format!("{MARK} = true"), vec![])
        .await
        .unwrap();
    find(client, css).await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let loaded = client
            .execute(
                &format!("return {MARK} === undefined && document.readyState === 'complete'"),
                vec![],
            )
            .await
            .ok()
            .and_then(|value| value.as_bool())
            .unwrap_or(false);
        if loaded {
            return;
        }
        assert!(Instant::now() < deadline, "clicking {css} loaded no page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn path(client: &Client) -> String {
    let url = client.current_url().await.unwrap();
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(driver::artifacts().join(format!("admin-{name}.png")), png).unwrap();
}

async fn sign_in(client: &Client, base: &str, username: &str, password: &str) {
    client.goto(&format!("{base}/admin/sign-in")).await.unwrap();
    fill(client, "#username", username).await;
    fill(client, "#password", password).await;
    click(client, "main form button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_back_office_works_in_a_browser() {
    let Some(chromedriver) = driver::start_driver() else {
        return;
    };
    let fleet = Fleet::start(FleetConfig {
        instances: 2,
        videos: 40,
        seed: 11,
        rate_limit: false,
        ..FleetConfig::default()
    })
    .await
    .unwrap();
    let instance = fleet.info(0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let base = server.base.clone();
    let admin = driver::browser(&chromedriver, false).await;

    // Anonymous: every back-office page sends to sign-in.
    for route in web::admin::ROUTES.iter().filter(|route| route.get) {
        let target = route.path.replace("{id}", "1");
        admin.goto(&format!("{base}{target}")).await.unwrap();
        let landed = path(&admin).await;
        assert!(
            landed.starts_with("/admin/sign-in"),
            "anonymous GET {target} landed on {landed}"
        );
    }
    screenshot(&admin, "sign-in").await;

    // An instance admin submits their instance on the public site.
    admin.goto(&format!("{base}/en/submit")).await.unwrap();
    fill(&admin, "#address", &instance.base_url).await;
    fill(&admin, "#contact", "admin@example.org").await;
    click(&admin, "main form button[type=submit]").await;
    let status = page_text(&admin).await;
    assert!(
        status.contains("Waiting for an editor's review")
            && status.contains("A PeerTube server: passed"),
        "{status}"
    );

    // The Florilège admin approves it: it is crawled and becomes searchable.
    sign_in(&admin, &base, "root", ADMIN_PASSWORD).await;
    assert_eq!(path(&admin).await, "/admin");
    admin
        .goto(&format!("{base}/admin/submissions"))
        .await
        .unwrap();
    screenshot(&admin, "submissions").await;
    click(&admin, "button[name=decision][value=approve]").await;
    assert!(path(&admin).await.ends_with("notice=approved"));
    let expected = fleet.expected_videos(0).unwrap().count() as u64;
    let found = until_api(
        &base,
        "/api/v1/search/videos?count=3&sort=name&nsfw=both",
        "the approved instance's videos become searchable",
        |answer| answer["total"].as_u64() == Some(expected),
    )
    .await;
    let videos = found["data"].as_array().unwrap();
    let (first, second) = (&videos[0], &videos[1]);
    let first_name = first["name"].as_str().unwrap();
    let (second_name, second_url) = (
        second["name"].as_str().unwrap(),
        second["url"].as_str().unwrap(),
    );

    // The admin creates an editor, who must replace the temporary password.
    admin.goto(&format!("{base}/admin/users")).await.unwrap();
    fill(&admin, "#new-username", "edith").await;
    fill(&admin, "#new-display", "Édith").await;
    click(&admin, "form[action='/admin/users'] button[type=submit]").await;
    let temporary = find(&admin, ".temporary-password")
        .await
        .text()
        .await
        .unwrap();
    screenshot(&admin, "users").await;
    let editor = driver::browser(&chromedriver, false).await;
    sign_in(&editor, &base, "edith", &temporary).await;
    assert_eq!(path(&editor).await, "/admin/account");
    let own = "edith's very own passphrase";
    fill(&editor, "#current", &temporary).await;
    fill(&editor, "#new", own).await;
    fill(&editor, "#confirm", own).await;
    click(&editor, "main form button[type=submit]").await;
    assert!(
        path(&editor).await.ends_with("notice=password_changed"),
        "{}",
        page_text(&editor).await
    );

    // Editors may not use admin pages.
    editor.goto(&format!("{base}/admin/users")).await.unwrap();
    assert!(page_text(&editor).await.contains("Only administrators"));

    // The editor builds a selection: search in place, paste a URL, notes, order.
    editor
        .goto(&format!("{base}/admin/selections"))
        .await
        .unwrap();
    fill(&editor, "#new-title", "Les préférées d’Édith").await;
    click(
        &editor,
        "form[action='/admin/selections'] button[type=submit]",
    )
    .await;
    let editing = path(&editor).await;
    assert!(editing.starts_with("/admin/selections/"), "{editing}");
    fill(&editor, "#q", first_name).await;
    click(&editor, "form[role=search] button").await;
    click(&editor, "#search-results form button").await;
    fill(&editor, "#url", second_url).await;
    click(&editor, "form:has(#url) button").await;
    // A video uploaded since the crawl is fetched from its instance on demand.
    let fresh = fleet.upload(0, 1).unwrap().remove(0);
    let fresh_url = format!("{}/w/{}", instance.base_url, fresh.short_uuid);
    fill(&editor, "#url", &fresh_url).await;
    click(&editor, "form:has(#url) button").await;
    let items = editor.find_all(Locator::Css(".admin-item")).await.unwrap();
    assert_eq!(items.len(), 3, "{}", page_text(&editor).await);
    // A video of an instance Florilège does not crawl is not fetched.
    fill(
        &editor,
        "#url",
        "https://elsewhere.example/w/kkkkkkkkkkkkkkkkkkkkkk",
    )
    .await;
    click(&editor, "form:has(#url) button").await;
    let refused = page_text(&editor).await;
    assert!(refused.contains("Submit the instance first"), "{refused}");
    fill(&editor, ".admin-item textarea[name=note]", "Un bijou.").await;
    click(&editor, ".admin-item button[value=note]").await;
    click(&editor, ".admin-item button[value=down]").await;
    let titles = editor
        .find_all(Locator::Css(".admin-item__head a"))
        .await
        .unwrap();
    let mut order = Vec::new();
    for title in titles {
        order.push(title.text().await.unwrap());
    }
    assert_eq!(
        order,
        [second_name, first_name, fresh.name.as_str()],
        "the first moved down"
    );
    screenshot(&editor, "selection").await;
    let id = editing.trim_start_matches("/admin/selections/").to_owned();
    editor
        .goto(&format!("{base}/admin/selections/{id}/preview"))
        .await
        .unwrap();
    assert!(page_text(&editor).await.contains("Un bijou."));
    screenshot(&editor, "preview").await;

    // Two sessions on one selection: the later save is refused, not lost.
    editor.goto(&format!("{base}{editing}")).await.unwrap();
    admin.goto(&format!("{base}{editing}")).await.unwrap();
    fill(&editor, "#title", "Titre d’Édith").await;
    click(&editor, "form:has(#title) button[type=submit]").await;
    fill(&admin, "#title", "Titre de l’admin").await;
    click(&admin, "form:has(#title) button[type=submit]").await;
    let conflict = page_text(&admin).await;
    assert!(
        conflict.contains("Someone else") || conflict.contains("meanwhile"),
        "{conflict}"
    );
    screenshot(&admin, "conflict").await;

    // A form with a forged CSRF token is refused.
    editor.goto(&format!("{base}{editing}")).await.unwrap();
    editor
        .execute(
            "document.querySelectorAll('input[name=csrf]').forEach(i => i.value = 'forged')",
            vec![],
        )
        .await
        .unwrap();
    click(&editor, "form:has(#title) button[type=submit]").await;
    assert!(page_text(&editor).await.contains("This form has expired"));

    // The editor publishes: the selection is on the public site and in its feed.
    editor.goto(&format!("{base}{editing}")).await.unwrap();
    click(&editor, "form:has(input[name=to][value=review]) button").await;
    click(&editor, "form:has(input[name=to][value=published]) button").await;
    let listed = until_api(
        &base,
        "/api/v1/selections",
        "the selection is published",
        |answer| answer["total"].as_u64() == Some(1),
    )
    .await;
    let slug = listed["data"][0]["slug"].as_str().unwrap().to_owned();
    editor
        .goto(&format!("{base}/en/selections/{slug}"))
        .await
        .unwrap();
    let public = page_text(&editor).await;
    assert!(
        public.contains("Titre d’Édith")
            && public.contains(first_name)
            && public.contains(&fresh.name),
        "{public}"
    );
    let feed = reqwest::get(format!("{base}/en/feed.atom"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(feed.contains("Titre d’Édith"), "{feed}");

    // The admin blocks the first video's channel: gone from search and from the selection.
    let channel = &first["channel"];
    let target = format!(
        "{}@{}",
        channel["name"].as_str().unwrap(),
        channel["host"].as_str().unwrap()
    );
    admin.goto(&format!("{base}/admin/blocks")).await.unwrap();
    admin
        .find(Locator::Css("#kind"))
        .await
        .unwrap()
        .select_by_value("channel")
        .await
        .unwrap();
    fill(&admin, "#target", &target).await;
    fill(&admin, "#reason", "test").await;
    click(&admin, "form[action='/admin/blocks'] button[type=submit]").await;
    assert!(
        path(&admin).await.ends_with("notice=block_added"),
        "{}",
        page_text(&admin).await
    );
    let search = format!(
        "/api/v1/search/videos?search={}",
        form_urlencoded::byte_serialize(first_name.as_bytes()).collect::<String>()
    );
    until_api(
        &base,
        &search,
        "the blocked channel's video leaves search",
        |answer| {
            answer["data"]
                .as_array()
                .is_some_and(|data| data.iter().all(|video| video["name"] != first["name"]))
        },
    )
    .await;
    // Public pages are cached until the next change is noticed (within a second).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        editor
            .goto(&format!("{base}/en/selections/{slug}"))
            .await
            .unwrap();
        let public = page_text(&editor).await;
        if !public.contains(first_name) {
            break;
        }
        assert!(Instant::now() < deadline, "still shown: {public}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Screenshots of every back-office page, as the admin sees it.
    for route in web::admin::ROUTES.iter().filter(|route| route.get) {
        let target = route.path.replace("{id}", &id);
        admin.goto(&format!("{base}{target}")).await.unwrap();
        let name = target.trim_start_matches('/').replace('/', "-");
        screenshot(&admin, &name).await;
    }

    // Repeated wrong passwords are throttled.
    let stranger = driver::browser(&chromedriver, false).await;
    for _ in 0..6 {
        sign_in(&stranger, &base, "edith", "not the password").await;
    }
    let refused = page_text(&stranger).await;
    assert!(refused.contains("Too many failed attempts"), "{refused}");
    screenshot(&stranger, "throttled").await;

    for client in [admin, editor, stranger] {
        client.close().await.unwrap();
    }
    drop(server);
    fleet.shutdown().await;
}
