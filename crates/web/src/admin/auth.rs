//! Signing in and out, the signed-in user extractors, and CSRF-checked forms.

use axum::body::Body;
use axum::extract::{Form, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use chrono::{TimeDelta, Utc};
use minijinja::context;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use store::{NewSession, Role, User};

use super::{Refusal, Reply, admin_base, internal, language, refuse, render, see_other};
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "florilege_admin";
/// How long a session lasts.
const SESSION_LIFETIME: TimeDelta = TimeDelta::hours(12);
/// The window failed sign-ins are counted in.
const THROTTLE_WINDOW: TimeDelta = TimeDelta::minutes(15);
/// Failed sign-ins allowed per account name within the window.
const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed sign-ins allowed per address within the window.
const MAX_FAILURES_PER_ADDRESS: i64 = 20;

/// A signed-in user (editor or admin), with their session's CSRF token.
#[derive(Clone)]
pub struct Editor {
    pub user: User,
    pub csrf: String,
    /// The session token (from the cookie), to sign out.
    token: String,
    /// The language of their pages.
    pub lang: String,
}

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor")
            .field("user", &self.user.username)
            .finish_non_exhaustive()
    }
}

impl Editor {
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    pub fn id(&self) -> i64 {
        self.user.id
    }
}

/// A signed-in admin.
#[derive(Clone, Debug)]
pub struct Admin(pub Editor);

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

impl FromRequestParts<AppState> for Editor {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let lang = language(state, &parts.headers);
        let session = match session_token(&parts.headers) {
            Some(token) => state
                .store
                .session_user(&token, Utc::now())
                .await
                .map_err(internal)?
                .map(|session| (token, session)),
            None => None,
        };
        let Some((token, session)) = session else {
            if parts.method == Method::GET || parts.method == Method::HEAD {
                let next = parts
                    .uri
                    .path_and_query()
                    .map_or("/admin", |path| path.as_str());
                let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
                return Err(see_other(&format!("/admin/sign-in?next={next}")).into());
            }
            return Err(refuse(
                state,
                &lang,
                StatusCode::FORBIDDEN,
                "admin.error.signed_out",
            ));
        };
        // A temporary password must be replaced before anything else.
        let path = parts.uri.path();
        if session.user.must_change_password && !PASSWORD_PATHS.contains(&path) {
            if parts.method == Method::GET || parts.method == Method::HEAD {
                return Err(see_other(ACCOUNT_PATH).into());
            }
            return Err(refuse(
                state,
                &lang,
                StatusCode::FORBIDDEN,
                "admin.error.must_change_password",
            ));
        }
        Ok(Self {
            user: session.user,
            csrf: session.csrf_token,
            token,
            lang,
        })
    }
}

/// Where users change their own password.
const ACCOUNT_PATH: &str = "/admin/account";
/// What a user who must change their password may still use.
const PASSWORD_PATHS: &[&str] = &[ACCOUNT_PATH, "/admin/sign-out"];
/// The shortest password accepted.
const MIN_PASSWORD_CHARS: usize = 12;

impl FromRequestParts<AppState> for Admin {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let editor = Editor::from_request_parts(parts, state).await?;
        if !editor.is_admin() {
            return Err(refuse(
                state,
                &editor.lang,
                StatusCode::FORBIDDEN,
                "admin.error.admin_only",
            ));
        }
        Ok(Self(editor))
    }
}

/// A form posted by a signed-in user, refused with 403 unless its `csrf`
/// field holds their session's token.
pub struct Posted<T> {
    pub editor: Editor,
    pub form: T,
    /// Every field, in order (for repeated names such as checkboxes).
    pub pairs: Vec<(String, String)>,
}

/// The largest form accepted (a pasted blocklist can be long).
const MAX_FORM_BYTES: usize = 4 * 1024 * 1024;

impl<T: DeserializeOwned> FromRequest<AppState> for Posted<T> {
    type Rejection = Refusal;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Refusal> {
        let (mut parts, body) = request.into_parts();
        let editor = Editor::from_request_parts(&mut parts, state).await?;
        let refused = |key| refuse(state, &editor.lang, StatusCode::FORBIDDEN, key);
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| refused("admin.error.too_big"))?;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
        let csrf_ok = pairs
            .iter()
            .any(|(name, value)| name == "csrf" && same(value, &editor.csrf));
        if !csrf_ok {
            return Err(refused("admin.error.csrf"));
        }
        let rebuilt = Request::builder()
            .method(Method::POST)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(bytes))
            .map_err(internal)?;
        let Form(form) = Form::<T>::from_request(rebuilt, &()).await.map_err(|_| {
            refuse(
                state,
                &editor.lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin.error.bad_form",
            )
        })?;
        Ok(Self {
            editor,
            form,
            pairs,
        })
    }
}

/// Compares two tokens in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Next {
    next: String,
}

/// Only back-office paths are followed after signing in.
fn safe_next(next: &str) -> &str {
    if next.starts_with("/admin") && !next.starts_with("/admin/sign-") {
        next
    } else {
        "/admin"
    }
}

/// `GET /admin/sign-in`.
pub async fn sign_in_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(next): Query<Next>,
) -> Reply {
    let lang = language(&state, &headers);
    sign_in_page(
        &state,
        &lang,
        safe_next(&next.next),
        "",
        None,
        StatusCode::OK,
    )
}

fn sign_in_page(
    state: &AppState,
    lang: &str,
    next: &str,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Reply {
    render(
        state,
        status,
        "admin/sign_in.html",
        context! {
            next,
            username,
            error,
            token => state.site.forms.issue("admin-sign-in"),
            ..admin_base(state, lang, None)
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct SignIn {
    #[serde(default)]
    token: String,
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// The client's address, through trusted proxies, for throttling.
fn client_address(state: &AppState, request: &Request) -> String {
    crate::client::client_ip(
        request.extensions(),
        request.headers(),
        &state.config.trusted_proxies,
    )
    .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// `POST /admin/sign-in`: checks the password, unless this account or this
/// address failed too often lately.
pub async fn sign_in(State(state): State<AppState>, request: Request) -> Reply {
    let address = client_address(&state, &request);
    let headers = request.headers().clone();
    let lang = language(&state, &headers);
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let Form(form) = Form::<SignIn>::from_request(request, &())
        .await
        .map_err(|_| {
            refuse(
                &state,
                &lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin.error.bad_form",
            )
        })?;
    if !state.site.forms.check("admin-sign-in", &form.token) {
        return Err(refuse(
            &state,
            &lang,
            StatusCode::FORBIDDEN,
            "admin.error.csrf",
        ));
    }
    let next = safe_next(&form.next);
    let username = form.username.trim().to_lowercase();
    let now = Utc::now();
    let (by_account, by_address) = state
        .store
        .recent_sign_in_failures(&username, &address, now - THROTTLE_WINDOW)
        .await
        .map_err(internal)?;
    if by_account >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS {
        tracing::warn!(user.name = %username, client.ip = %address, "sign-in throttled");
        return sign_in_page(
            &state,
            &lang,
            next,
            &username,
            Some("admin.sign_in.throttled"),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let user = state
        .store
        .check_password(&username, &form.password)
        .await
        .map_err(internal)?;
    let Some(user) = user else {
        state
            .store
            .record_sign_in_failure(&username, &address, now)
            .await
            .map_err(internal)?;
        return sign_in_page(
            &state,
            &lang,
            next,
            &username,
            Some("admin.sign_in.wrong"),
            StatusCode::UNAUTHORIZED,
        );
    };
    state
        .store
        .clear_sign_in_failures(&username)
        .await
        .map_err(internal)?;
    let session = state
        .store
        .create_session(
            &NewSession {
                user_id: user.id,
                lifetime: SESSION_LIFETIME,
                ip: Some(&address),
                user_agent: user_agent.as_deref(),
            },
            now,
        )
        .await
        .map_err(internal)?;
    let secure = if state.config.public_url.starts_with("https:") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; HttpOnly; SameSite=Lax; Path=/admin; Max-Age={}{secure}",
        session.token,
        SESSION_LIFETIME.num_seconds()
    );
    let mut response = see_other(next);
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(internal)?,
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct Nothing {}

/// `POST /admin/sign-out`: revokes the session and forgets the cookie.
pub async fn sign_out(State(state): State<AppState>, posted: Posted<Nothing>) -> Reply {
    state
        .store
        .revoke_session(&posted.editor.token, Utc::now())
        .await
        .map_err(internal)?;
    let mut response = see_other("/admin/sign-in");
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/admin; Max-Age=0"
        ))
        .map_err(internal)?,
    );
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AccountQuery {
    notice: String,
}

/// `GET /admin/account`: one's own account and the password form (the only
/// page reachable while a temporary password is in use).
pub async fn account(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<AccountQuery>,
) -> Reply {
    let notice = (query.notice == "password_changed").then_some("admin.account.changed");
    account_page(&state, &editor, notice, None, StatusCode::OK)
}

fn account_page(
    state: &AppState,
    editor: &Editor,
    notice: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Reply {
    render(
        state,
        status,
        "admin/account.html",
        context! {
            forced => editor.user.must_change_password,
            notice,
            error,
            min_chars => MIN_PASSWORD_CHARS,
            ..admin_base(state, &editor.lang, Some(editor))
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

/// `POST /admin/account`: changes one's password (the current one is asked
/// again, and wrong guesses count as failed sign-ins); signs out every
/// other session.
pub async fn change_password(State(state): State<AppState>, request: Request) -> Reply {
    let address = client_address(&state, &request);
    let posted = Posted::<PasswordForm>::from_request(request, &state).await?;
    let (editor, form) = (&posted.editor, &posted.form);
    let refused = |error| {
        account_page(
            &state,
            editor,
            None,
            Some(error),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let username = editor.user.username.as_str();
    let now = Utc::now();
    let (by_account, by_address) = state
        .store
        .recent_sign_in_failures(username, &address, now - THROTTLE_WINDOW)
        .await
        .map_err(internal)?;
    if by_account >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS {
        return account_page(
            &state,
            editor,
            None,
            Some("admin.sign_in.throttled"),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let checked = state
        .store
        .check_password(username, &form.current)
        .await
        .map_err(internal)?;
    if checked.is_none() {
        state
            .store
            .record_sign_in_failure(username, &address, now)
            .await
            .map_err(internal)?;
        return refused("admin.account.wrong_current");
    }
    if form.new.chars().count() < MIN_PASSWORD_CHARS {
        return refused("admin.account.too_short");
    }
    if form.new != form.confirm {
        return refused("admin.account.mismatch");
    }
    if form.new == form.current {
        return refused("admin.account.unchanged");
    }
    state
        .store
        .set_password(editor.id(), &form.new, false)
        .await
        .map_err(internal)?;
    let signed_out = state
        .store
        .revoke_user_sessions(editor.id(), Some(&editor.token), now)
        .await
        .map_err(internal)?;
    state
        .store
        .audit(
            Some(editor.id()),
            "user.password",
            "user",
            username,
            &serde_json::json!({ "other_sessions_revoked": signed_out }),
        )
        .await
        .map_err(internal)?;
    Ok(see_other(&format!(
        "{ACCOUNT_PATH}?notice=password_changed"
    )))
}
