//! The back office under `/admin`: editors build selections, admins moderate and run the federation.
//!
//! Every route is declared once in [`ROUTES`] with who may use it; the
//! router is built from that table, and a test walks the table, so a route
//! cannot be added without its access rule being checked.

mod auth;
mod charts;
mod federation;
mod moderation;
mod people;
mod selections;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use minijinja::{Value, context};

pub use auth::{Admin, Editor, Posted, SESSION_COOKIE};

use crate::state::AppState;

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (the sign-in page).
    Public,
    /// Any signed-in user, editor or admin.
    Editor,
    /// Admins only; editors get 403.
    Admin,
}

/// One back-office route: its path, methods and access rule.
pub struct AdminRoute {
    pub path: &'static str,
    pub get: bool,
    pub post: bool,
    pub access: Access,
    handler: fn() -> MethodRouter<AppState>,
}

const fn route(
    path: &'static str,
    methods: (bool, bool),
    access: Access,
    handler: fn() -> MethodRouter<AppState>,
) -> AdminRoute {
    AdminRoute {
        path,
        get: methods.0,
        post: methods.1,
        access,
        handler,
    }
}

const GET: (bool, bool) = (true, false);
const POST: (bool, bool) = (false, true);
const BOTH: (bool, bool) = (true, true);

/// Every back-office route. The router is built from this table only.
pub const ROUTES: &[AdminRoute] = &[
    route("/admin/sign-in", BOTH, Access::Public, || {
        get(auth::sign_in_form).post(auth::sign_in)
    }),
    route("/admin/sign-out", POST, Access::Editor, || {
        post(auth::sign_out)
    }),
    route("/admin", GET, Access::Editor, || get(selections::dashboard)),
    route("/admin/account", BOTH, Access::Editor, || {
        get(auth::account).post(auth::change_password)
    }),
    route("/admin/preview", POST, Access::Editor, || {
        post(selections::markdown_preview)
    }),
    route("/admin/selections", BOTH, Access::Editor, || {
        get(selections::list).post(selections::create)
    }),
    route("/admin/selections/{id}", BOTH, Access::Editor, || {
        get(selections::edit).post(selections::save)
    }),
    route(
        "/admin/selections/{id}/preview",
        GET,
        Access::Editor,
        || get(selections::preview),
    ),
    route(
        "/admin/selections/{id}/status",
        POST,
        Access::Editor,
        || post(selections::set_status),
    ),
    route("/admin/selections/{id}/items", POST, Access::Editor, || {
        post(selections::add_item)
    }),
    route(
        "/admin/selections/{id}/items/{item}",
        POST,
        Access::Editor,
        || post(selections::change_item),
    ),
    route(
        "/admin/selections/{id}/revisions",
        GET,
        Access::Editor,
        || get(selections::revisions),
    ),
    route(
        "/admin/selections/{id}/revisions/{version}/restore",
        POST,
        Access::Editor,
        || post(selections::restore),
    ),
    route("/admin/themes", BOTH, Access::Editor, || {
        get(people::themes).post(people::create_theme)
    }),
    route("/admin/themes/{id}", POST, Access::Editor, || {
        post(people::change_theme)
    }),
    route("/admin/blocks", BOTH, Access::Admin, || {
        get(moderation::blocks).post(moderation::add_block)
    }),
    route("/admin/blocks/remove", POST, Access::Admin, || {
        post(moderation::remove_block)
    }),
    route("/admin/blocks/import", POST, Access::Admin, || {
        post(moderation::import_blocklist)
    }),
    route("/admin/settings", BOTH, Access::Admin, || {
        get(moderation::settings).post(moderation::save_settings)
    }),
    route("/admin/removals", GET, Access::Admin, || {
        get(moderation::removals)
    }),
    route("/admin/removals/{id}", POST, Access::Admin, || {
        post(moderation::answer_removal)
    }),
    route("/admin/submissions", GET, Access::Admin, || {
        get(federation::submissions)
    }),
    route("/admin/submissions/{id}", POST, Access::Admin, || {
        post(federation::review_submission)
    }),
    route("/admin/instances", GET, Access::Admin, || {
        get(federation::instances)
    }),
    route("/admin/instances/{id}", POST, Access::Admin, || {
        post(federation::change_instance)
    }),
    route("/admin/users", BOTH, Access::Admin, || {
        get(people::users).post(people::create_user)
    }),
    route("/admin/users/{id}", POST, Access::Admin, || {
        post(people::change_user)
    }),
    route("/admin/audit", GET, Access::Admin, || get(people::audit)),
];

/// The back office's routes.
pub fn routes() -> Router<AppState> {
    ROUTES.iter().fold(Router::new(), |router, route| {
        router.route(route.path, (route.handler)())
    })
}

/// What a back-office handler answers: a page, or a refusal already rendered.
pub type Reply = Result<Response, Refusal>;

/// A refusal or failure, already rendered (boxed: responses are large).
#[derive(Debug)]
pub struct Refusal(Box<Response>);

impl From<Response> for Refusal {
    fn from(response: Response) -> Self {
        Self(Box::new(response))
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// The language of back-office pages: the user's `Accept-Language`.
pub fn language(state: &AppState, headers: &HeaderMap) -> String {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok());
    state.site.languages.negotiate(accept).code.clone()
}

/// The variables every back-office template gets.
pub fn admin_base(state: &AppState, lang: &str, editor: Option<&Editor>) -> Value {
    context! {
        lang,
        site_name => state.config.site_name,
        user => editor.map(|editor| context! {
            name => editor.user.display_name,
            username => editor.user.username,
            is_admin => editor.is_admin(),
        }),
        csrf => editor.map(|editor| editor.csrf.clone()),
        prefix => format!("/{lang}"),
    }
}

/// Renders a back-office page: never cached, never shared.
pub fn render(state: &AppState, status: StatusCode, template: &str, context: Value) -> Reply {
    match state.site.templates.render(template, context) {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            Ok(response)
        }
        Err(error) => Err(internal(format!("{template}: {error:#}"))),
    }
}

/// A failure of the server: logged once, a plain 500 page for the user.
pub fn internal(error: impl std::fmt::Display) -> Refusal {
    tracing::error!(error = %error, "back-office page failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html("<!doctype html><title>500</title><h1>Something went wrong / Une erreur est survenue</h1>"),
    )
        .into_response()
        .into()
}

/// A refusal with a message in the user's language.
pub fn refuse(state: &AppState, lang: &str, status: StatusCode, message_key: &str) -> Refusal {
    let message = state
        .site
        .languages
        .get(lang)
        .unwrap_or_else(|| state.site.languages.default_language())
        .message(message_key, &[]);
    let context = context! { status => status.as_u16(), message, ..admin_base(state, lang, None) };
    match render(state, status, "admin/error.html", context) {
        Ok(page) => page.into(),
        Err(refusal) => refusal,
    }
}

/// A 303 to another back-office page.
pub fn see_other(to: &str) -> Response {
    axum::response::Redirect::to(to).into_response()
}
