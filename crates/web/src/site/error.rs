//! Friendly error pages: handlers fail with a [`PageError`], and a middleware renders it in the page's language.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;

use super::context::{Lang, base};
use crate::state::AppState;

/// A page that cannot be shown: its status and the language to say it in.
#[derive(Clone, Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub lang: String,
}

impl PageError {
    pub fn not_found(lang: String) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            lang,
        }
    }

    /// A server-side failure: logged here, once; the viewer sees a plain 500 page.
    pub fn internal(lang: &Lang, error: impl std::fmt::Display) -> Self {
        tracing::error!(error = %error, "page failed");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            lang: lang.code.clone(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Renders [`PageError`]s, and plain 404s of unknown paths, as HTML pages.
pub async fn render_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let wants_page =
        !request.uri().path().starts_with("/api/") && !request.uri().path().starts_with("/assets/");
    let accept = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    let error = match response.extensions().get::<PageError>() {
        Some(error) => error.clone(),
        None if wants_page && response.status() == StatusCode::NOT_FOUND && is_empty(&response) => {
            PageError::not_found(
                state
                    .site
                    .languages
                    .negotiate(accept.as_deref())
                    .code
                    .clone(),
            )
        }
        None => return response,
    };
    let lang = Lang {
        code: error.lang.clone(),
        rest: "/".into(),
    };
    let page = state.site.templates.render(
        "error.html",
        context! { status => error.status.as_u16(), ..base(&state, &lang) },
    );
    match page {
        Ok(html) => {
            let mut response = (error.status, Html(html)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(render_error) => {
            tracing::error!(error = %render_error, "the error page failed to render");
            (error.status, "Florilège could not show this page.").into_response()
        }
    }
}

fn is_empty(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_none_or(|length| length == "0")
        && response.headers().get(header::CONTENT_TYPE).is_none()
}
