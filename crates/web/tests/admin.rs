//! The back office over real HTTP: sign-in, sessions, CSRF, permissions of every route, selections from creation to publication, conflicts, moderation.

#[expect(dead_code, reason = "the support serves several test files")]
mod support;

use chrono::{TimeDelta, Utc};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use store::{InstanceAddress, NewSession, NewSubmission, NewUser, Role, SelectionStatus, User};
use support::{CORPUS, Site, names};
use web::admin::{Access, ROUTES, SESSION_COOKIE};

const PASSWORD: &str = "correct horse battery staple";

async fn user(site: &Site, username: &str, role: Role) -> User {
    site.store()
        .add_user(NewUser {
            username,
            display_name: &format!("{username} (display)"),
            password: PASSWORD,
            role,
        })
        .await
        .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of a hidden field in a page.
fn field(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {name} field in {html}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// What a back-office answer says.
struct Answer {
    status: StatusCode,
    location: String,
    body: String,
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    Answer {
        status,
        location,
        body: response.text().await.unwrap(),
    }
}

/// A signed-in browser.
struct Browser<'a> {
    site: &'a Site,
    client: reqwest::Client,
    cookie: String,
    csrf: String,
}

impl<'a> Browser<'a> {
    async fn sign_in(site: &'a Site, username: &str) -> Self {
        Self::sign_in_with(site, username, PASSWORD, "/admin").await
    }

    /// Signs in with `password`; the CSRF token is read on `landing`.
    async fn sign_in_with(site: &'a Site, username: &str, password: &str, landing: &str) -> Self {
        let (status, set_cookie) = try_sign_in(site, username, password).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "signed in");
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let mut browser = Self {
            site,
            client: client(),
            cookie,
            csrf: String::new(),
        };
        let home = browser.get(landing).await;
        assert_eq!(home.status, StatusCode::OK);
        browser.csrf = field(&home.body, "csrf");
        browser
    }

    async fn get(&self, path: &str) -> Answer {
        let response = self
            .client
            .get(self.site.url(path))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let response = self
            .client
            .post(self.site.url(path))
            .header(COOKIE, &self.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        answer(response).await
    }
}

/// Signs in: the status and the `Set-Cookie` header.
async fn try_sign_in(site: &Site, username: &str, password: &str) -> (StatusCode, String) {
    let page = client()
        .get(site.url("/admin/sign-in"))
        .send()
        .await
        .unwrap();
    let token = field(&page.text().await.unwrap(), "token");
    let response = client()
        .post(site.url("/admin/sign-in"))
        .form(&[
            ("token", token.as_str()),
            ("username", username),
            ("password", password),
            ("next", "/admin"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get(SET_COOKIE)
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status(), cookie)
}

async fn signing_in_is_checked_and_throttled(site: &Site) {
    user(site, "alice", Role::Editor).await;
    let (status, cookie) = try_sign_in(site, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        cookie.starts_with(&format!("{SESSION_COOKIE}=")),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/admin", "Max-Age="] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: no Secure flag");

    let (status, cookie) = try_sign_in(site, "alice", "wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(cookie.is_empty());
    for _ in 0..4 {
        try_sign_in(site, "alice", "wrong").await;
    }
    let (status, _) = try_sign_in(site, "alice", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let page = client()
        .get(site.url("/admin/sign-in"))
        .send()
        .await
        .unwrap();
    let token = field(&page.text().await.unwrap(), "token");
    let refused = client()
        .post(site.url("/admin/sign-in"))
        .header("accept-language", "fr")
        .form(&[
            ("token", token.as_str()),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Attendez 15 minutes")
    );
    // Another account from the same address is not yet throttled.
    user(site, "bruno", Role::Editor).await;
    let (status, _) = try_sign_in(site, "bruno", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The sign-in form needs its token.
    let forged = client()
        .post(site.url("/admin/sign-in"))
        .form(&[("username", "bruno"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

async fn sessions_expire_and_end_at_sign_out(site: &Site) {
    let alice = user(site, "alice", Role::Editor).await;
    let browser = Browser::sign_in(site, "alice").await;
    let out = browser.post("/admin/sign-out", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = browser.get("/admin/selections").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location.starts_with("/admin/sign-in?next="));

    let old = site
        .store()
        .create_session(
            &NewSession {
                user_id: alice.id,
                lifetime: TimeDelta::hours(1),
                ip: None,
                user_agent: None,
            },
            Utc::now() - TimeDelta::hours(2),
        )
        .await
        .unwrap();
    let expired = client()
        .get(site.url("/admin"))
        .header(COOKIE, format!("{SESSION_COOKIE}={}", old.token))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), StatusCode::SEE_OTHER);
}

async fn forms_without_the_session_token_are_refused(site: &Site) {
    user(site, "alice", Role::Editor).await;
    let browser = Browser::sign_in(site, "alice").await;
    for csrf in [None, Some("forged")] {
        let mut form = vec![("title", "Sans jeton")];
        if let Some(csrf) = csrf {
            form.push(("csrf", csrf));
        }
        let response = browser
            .client
            .post(site.url("/admin/selections"))
            .header(COOKIE, &browser.cookie)
            .header("accept-language", "en")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("This form has expired")
        );
    }
    let listed = site
        .store()
        .list_selections(None, store::Paging::page(1, 10))
        .await
        .unwrap();
    assert_eq!(listed.total, 0, "nothing was created");
}

/// A concrete path for a route pattern (`{id}` → `1`).
fn sample(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn every_route_requires_its_role(site: &Site) {
    user(site, "eddie", Role::Editor).await;
    let editor = Browser::sign_in(site, "eddie").await;
    let anonymous = client();
    assert!(ROUTES.len() > 20, "the table lists the back office");
    for route in ROUTES {
        let path = sample(route.path);
        assert!(route.get || route.post, "{} answers something", route.path);
        if route.access == Access::Public {
            continue;
        }
        if route.get {
            let response = anonymous.get(site.url(&path)).send().await.unwrap();
            let got = answer(response).await;
            assert_eq!(got.status, StatusCode::SEE_OTHER, "anonymous GET {path}");
            assert!(
                got.location.starts_with("/admin/sign-in?next=%2Fadmin"),
                "GET {path} → {}",
                got.location
            );
        }
        if route.post {
            let response = anonymous
                .post(site.url(&path))
                .form(&[("csrf", "x")])
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "anonymous POST {path}"
            );
        }
        if route.access == Access::Admin {
            if route.get {
                let got = editor.get(&path).await;
                assert_eq!(got.status, StatusCode::FORBIDDEN, "editor GET {path}");
                assert!(
                    got.body.contains("administrators") || got.body.contains("administrateurs")
                );
            }
            if route.post {
                let got = editor.post(&path, &[]).await;
                assert_eq!(got.status, StatusCode::FORBIDDEN, "editor POST {path}");
            }
        } else if route.get {
            let got = editor.get(&path).await;
            assert!(
                got.status != StatusCode::FORBIDDEN && got.status != StatusCode::SEE_OTHER,
                "editor GET {path}: {}",
                got.status
            );
        }
    }
}

fn selection_id(location: &str) -> i64 {
    location
        .trim_start_matches("/admin/selections/")
        .split(['?', '#', '/'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn an_editor_builds_and_publishes_a_selection(site: &Site) {
    user(site, "eddie", Role::Editor).await;
    let browser = Browser::sign_in(site, "eddie").await;
    let created = browser
        .post(
            "/admin/selections",
            &[("title", "Sommets et sentiers"), ("language", "fr")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let id = selection_id(&created.location);
    let editor_path = format!("/admin/selections/{id}");
    let items_path = format!("{editor_path}/items");

    // Search in place, then add the result.
    site.settle().await;
    let found = browser.get(&format!("{editor_path}?q=marathon")).await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains("Running a marathon in the mountains"));
    let marathon = site
        .store()
        .video_by_uuid(CORPUS[1].uuid)
        .await
        .unwrap()
        .unwrap();
    assert!(
        found
            .body
            .contains(&format!("name=\"video_id\" value=\"{}\"", marathon.id))
    );
    let added = browser
        .post(&items_path, &[("video_id", &marathon.id.to_string())])
        .await;
    assert!(
        added.location.ends_with("notice=added"),
        "{}",
        added.location
    );

    // By URL: a short-uuid /w/ link and a full watch link.
    let by_short = browser
        .post(
            &items_path,
            &[("url", "https://video.example/w/aaaaaaaaaaaaaaaaaaaaa1")],
        )
        .await;
    assert!(
        by_short.location.ends_with("notice=added"),
        "{}",
        by_short.location
    );
    let watch = format!("https://video.example/videos/watch/{}", CORPUS[4].uuid);
    let by_watch = browser.post(&items_path, &[("url", &watch)]).await;
    assert!(by_watch.location.ends_with("notice=added"));
    let again = browser.post(&items_path, &[("url", &watch)]).await;
    assert!(again.location.ends_with("notice=already_added"));
    let unknown = browser
        .post(
            &items_path,
            &[("url", "https://elsewhere.example/w/zzzzzzzzzzzzzzzzzzzzzz")],
        )
        .await;
    assert!(unknown.location.ends_with("notice=unknown_video"));
    let page = browser.get(&unknown.location).await;
    assert!(page.body.contains("not in the index") || page.body.contains("pas dans l’index"));

    // A note, and the last item moved up to first place.
    let items = site.store().editor_items(id).await.unwrap();
    assert_eq!(items.len(), 3);
    let (first, last) = (items[0].item.id, items[2].item.id);
    let noted = browser
        .post(
            &format!("{items_path}/{first}"),
            &[
                ("action", "note"),
                ("note", "Un effort <em>magnifique</em>"),
            ],
        )
        .await;
    assert_eq!(noted.status, StatusCode::SEE_OTHER);
    for _ in 0..2 {
        browser
            .post(&format!("{items_path}/{last}"), &[("action", "up")])
            .await;
    }
    let items = site.store().editor_items(id).await.unwrap();
    assert_eq!(items[0].item.id, last);
    assert_eq!(items[1].item.id, first);
    assert_eq!(items[1].item.note, "Un effort <em>magnifique</em>");

    // Text, preview of the draft, then the workflow.
    let selection = site.store().selection(id).await.unwrap().unwrap();
    let version = selection.version.to_string();
    let saved = browser
        .post(
            &editor_path,
            &[
                ("version", &version),
                ("title", "Sommets et sentiers"),
                ("slug", "sommets"),
                ("summary", "Courir, grimper, écouter."),
                ("body", "Des **montagnes** à voir."),
                ("language", "fr"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let preview = browser.get(&format!("{editor_path}/preview")).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("<strong>montagnes</strong>"));
    assert!(
        preview
            .body
            .contains("Un effort &lt;em&gt;magnifique&lt;/em&gt;")
    );
    let public = site
        .client
        .get(site.url("/fr/selections/sommets"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404, "a draft is not public");
    for to in ["review", "published"] {
        let version = site
            .store()
            .selection(id)
            .await
            .unwrap()
            .unwrap()
            .version
            .to_string();
        let moved = browser
            .post(
                &format!("{editor_path}/status"),
                &[("to", to), ("version", &version)],
            )
            .await;
        assert!(
            moved.location.ends_with("notice=status"),
            "{to}: {}",
            moved.location
        );
    }
    let selection = site.store().selection(id).await.unwrap().unwrap();
    assert_eq!(selection.status, SelectionStatus::Published);
    let public = site
        .client
        .get(site.url("/fr/selections/sommets"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 200);
    let html = public.text().await.unwrap();
    assert!(html.contains("Sommets et sentiers"));
    let abeilles = html.find("Abeilles du Vercors").expect("moved first");
    let marathon = html.find("Running a marathon").expect("second");
    assert!(abeilles < marathon, "the public order follows the editor's");

    // The revisions list and the audit log know who did it.
    let revisions = browser.get(&format!("{editor_path}/revisions")).await;
    assert!(revisions.body.contains("eddie (display)"));
}

async fn two_editors_saving_one_selection_conflict(site: &Site) {
    user(site, "anna", Role::Editor).await;
    user(site, "ben", Role::Editor).await;
    let anna = Browser::sign_in(site, "anna").await;
    let ben = Browser::sign_in(site, "ben").await;
    let created = anna
        .post("/admin/selections", &[("title", "Commune")])
        .await;
    let id = selection_id(&created.location);
    let path = format!("/admin/selections/{id}");
    let opened_by_anna = anna.get(&path).await;
    let opened_by_ben = ben.get(&path).await;
    let version = field(&opened_by_anna.body, "version");
    assert_eq!(version, field(&opened_by_ben.body, "version"));
    let first = anna
        .post(
            &path,
            &[("version", &version), ("title", "La version d’Anna")],
        )
        .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let second = ben
        .post(
            &path,
            &[
                ("version", &version),
                ("title", "La version de Ben"),
                ("body", "Le long texte de Ben"),
            ],
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert!(second.body.contains("anna (display)"), "who saved");
    assert!(
        second.body.contains("Le long texte de Ben"),
        "Ben's text is kept"
    );
    assert!(second.body.contains("La version de Ben"));
    let stored = site.store().selection(id).await.unwrap().unwrap();
    assert_eq!(stored.title, "La version d’Anna");
}

async fn an_admin_approves_a_submission_and_blocks_a_channel(site: &Site) {
    user(site, "root", Role::Admin).await;
    let admin = Browser::sign_in(site, "root").await;
    let address = InstanceAddress::parse("new.example", "https").unwrap();
    let (submission, _) = site
        .store()
        .create_submission(&NewSubmission {
            address: &address,
            contact: Some("admin@new.example"),
            message: "Nous avons des vidéos",
            check_result: &serde_json::json!([]),
            check_passed: true,
        })
        .await
        .unwrap();
    let queue = admin.get("/admin/submissions").await;
    assert!(queue.body.contains("new.example"));
    let approved = admin
        .post(
            &format!("/admin/submissions/{}", submission.id),
            &[("decision", "approve")],
        )
        .await;
    assert!(
        approved.location.ends_with("notice=approved"),
        "{}",
        approved.location
    );
    let instance = site
        .store()
        .instance_by_host("new.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(instance.status, store::InstanceStatus::Approved);
    assert!(instance.next_crawl_at.is_some(), "crawled right away");
    let instances = admin.get("/admin/instances").await;
    assert!(instances.body.contains("new.example"));

    let (_, before) = site.get_json("/api/v1/search/videos?search=marathon").await;
    assert_eq!(names(&before), ["Running a marathon in the mountains"]);
    let blocked = admin
        .post(
            "/admin/blocks",
            &[
                ("kind", "channel"),
                ("target", "outdoors@tube.example"),
                ("reason", "test"),
            ],
        )
        .await;
    assert!(blocked.location.ends_with("notice=block_added"));
    site.settle().await;
    let (_, after) = site.get_json("/api/v1/search/videos?search=marathon").await;
    assert!(names(&after).is_empty(), "{after}");
    let audit = admin.get("/admin/audit?action=block.add").await;
    assert!(audit.body.contains("outdoors@tube.example"));

    let imported = admin
        .post(
            "/admin/blocks/import",
            &[
                ("source", "https://lists.example/blocklist.json"),
                (
                    "json",
                    r#"{"data": [{"value": "bad.example", "action": "add"}, {"value": "troll@worse.example", "action": "add"}]}"#,
                ),
            ],
        )
        .await;
    assert!(imported.location.ends_with("notice=imported"));
    let blocks = site.store().list_blocks().await.unwrap();
    assert_eq!(blocks.len(), 3);
    let removed = admin
        .post(
            "/admin/blocks/remove",
            &[("kind", "channel"), ("target", "outdoors@tube.example")],
        )
        .await;
    assert!(removed.location.ends_with("notice=block_removed"));
    assert_eq!(site.store().list_blocks().await.unwrap().len(), 2);
}

async fn every_page_renders(site: &Site) {
    user(site, "root", Role::Admin).await;
    let admin = Browser::sign_in(site, "root").await;
    let created = admin
        .post("/admin/selections", &[("title", "Tout voir")])
        .await;
    let id = selection_id(&created.location);
    for route in ROUTES.iter().filter(|route| route.get) {
        let path = route.path.replace("{id}", &id.to_string());
        let page = admin.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "GET {path}: {}", page.body);
        assert!(page.body.contains("<main"), "{path} has a main landmark");
        assert!(page.body.contains("<h1"), "{path} has a heading");
    }
    let users = admin
        .post(
            "/admin/users",
            &[("username", "newbie"), ("role", "editor")],
        )
        .await;
    assert_eq!(users.status, StatusCode::OK);
    let password = users
        .body
        .split("class=\"temporary-password\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    a_temporary_password_is_changed_first(site, "newbie", &password).await;
}

/// A user signed in with a temporary password can only change it, then works as usual.
async fn a_temporary_password_is_changed_first(site: &Site, username: &str, temporary: &str) {
    let newbie = Browser::sign_in_with(site, username, temporary, "/admin/account").await;
    let home = newbie.get("/admin").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location, "/admin/account");
    let page = newbie.get("/admin/account").await;
    assert!(page.body.contains("temporary password"), "{}", page.body);
    let create = newbie
        .post("/admin/selections", &[("title", "Trop tôt")])
        .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);

    let new = "a long and personal sentence";
    let change = async |current, new, confirm| {
        let fields = [("current", current), ("new", new), ("confirm", confirm)];
        newbie.post("/admin/account", &fields).await
    };
    for (refused, because) in [
        (change("wrong", new, new).await, "current password is wrong"),
        (change(temporary, "short", "short").await, "too short"),
        (
            change(temporary, new, "another long sentence").await,
            "differ",
        ),
    ] {
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.body.contains(because),
            "{because}: {}",
            refused.body
        );
    }
    let changed = change(temporary, new, new).await;
    assert_eq!(changed.location, "/admin/account?notice=password_changed");
    assert_eq!(newbie.get("/admin").await.status, StatusCode::OK);
    let (status, _) = try_sign_in(site, username, temporary).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the temporary one is gone"
    );
    let (status, _) = try_sign_in(site, username, new).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let audit = site
        .store()
        .audit_log(&store::AuditFilter {
            action: Some("user.password"),
            ..store::AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.total, 1);
}

async fn removing_an_instance_purges_it_from_search_and_charts_show_crawls(site: &Site) {
    user(site, "root", Role::Admin).await;
    let admin = Browser::sign_in(site, "root").await;
    let store = site.store();
    let instance = store
        .instance_by_host("tube.example")
        .await
        .unwrap()
        .unwrap();
    let run = store
        .start_crawl_run(instance.id, store::CrawlRunKind::Sweep, "test")
        .await
        .unwrap();
    let counters = store::CrawlRunCounters {
        requests: 42,
        errors: 2,
        latency_ms_total: 4200,
        ..store::CrawlRunCounters::default()
    };
    store
        .finish_crawl_run(run, store::CrawlRunStatus::Succeeded, &counters, None)
        .await
        .unwrap();
    let page = admin.get("/admin/instances").await;
    // The overall chart, and one per instance of the corpus.
    assert_eq!(page.body.matches("<svg class=\"chart\"").count(), 1 + 2);
    assert!(page.body.contains("42 requests, 2 errors"), "{}", page.body);
    assert!(page.body.contains("mean latency 100 ms"));

    let (_, before) = site.get_json("/api/v1/search/videos?search=marathon").await;
    assert_eq!(names(&before).len(), 1);
    let removed = admin
        .post(
            &format!("/admin/instances/{}", instance.id),
            &[("action", "remove")],
        )
        .await;
    assert_eq!(removed.location, "/admin/instances?notice=removed");
    site.settle().await;
    let (_, after) = site.get_json("/api/v1/search/videos?search=marathon").await;
    assert!(names(&after).is_empty(), "{after}");
    assert_eq!(store.count_videos(instance.id).await.unwrap(), 0);
    let removed = store.instance(instance.id).await.unwrap().unwrap();
    assert_eq!(removed.status, store::InstanceStatus::Rejected);
    let audit = admin.get("/admin/audit?action=instance.remove").await;
    assert!(audit.body.contains("tube.example"));
}

async fn throttling_counts_the_client_behind_a_trusted_proxy(site: &Site) {
    let attempt = |forwarded: &'static str, username: String| async move {
        let page = client()
            .get(site.url("/admin/sign-in"))
            .send()
            .await
            .unwrap();
        let token = field(&page.text().await.unwrap(), "token");
        client()
            .post(site.url("/admin/sign-in"))
            .header("x-forwarded-for", forwarded)
            .form(&[
                ("token", token.as_str()),
                ("username", username.as_str()),
                ("password", "guess"),
            ])
            .send()
            .await
            .unwrap()
            .status()
    };
    for n in 0..20 {
        let status = attempt("198.51.100.7", format!("someone{n}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = attempt("198.51.100.7", "someone_else".into()).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "that client is throttled"
    );
    let status = attempt("198.51.100.8", "someone_else".into()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "another client is not");
    // Claims to the left of the proxy's own entry are not believed.
    let status = attempt("198.51.100.9, 198.51.100.7", "someone_else".into()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

site_tests!(
    signing_in_is_checked_and_throttled,
    sessions_expire_and_end_at_sign_out,
    forms_without_the_session_token_are_refused,
    every_route_requires_its_role,
    an_editor_builds_and_publishes_a_selection,
    two_editors_saving_one_selection_conflict,
    an_admin_approves_a_submission_and_blocks_a_channel,
    every_page_renders,
    removing_an_instance_purges_it_from_search_and_charts_show_crawls,
    throttling_counts_the_client_behind_a_trusted_proxy,
);
