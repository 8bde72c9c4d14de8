//! The public forms: submitting an instance (checked at once, with a private status link) and asking for a removal.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use store::{InstanceAddress, NewRemovalRequest, NewSubmission, RemovalTargetKind};

use super::context::{Lang, base, message};
use super::error::PageError;
use super::page;
use crate::federation::{CheckOutcome, CheckStep};
use crate::state::AppState;

/// Refuses posts from other sites: the `Origin` header, when the browser
/// sends one, must name this host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin
        .split_once("://")
        .is_some_and(|(_, origin_host)| origin_host == host)
}

fn refused(lang: &Lang) -> PageError {
    PageError {
        status: StatusCode::FORBIDDEN,
        lang: lang.code.clone(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SubmitForm {
    address: String,
    contact: String,
    message: String,
    token: String,
}

fn submit_page(
    state: &AppState,
    lang: &Lang,
    headers: &HeaderMap,
    error: Option<&str>,
    form: &SubmitForm,
) -> Result<Response, PageError> {
    let mut response = page(
        state,
        lang,
        headers,
        "submit.html",
        context! {
            title => message(state, lang, "submit.title"),
            token => state.site.forms.issue("submit"),
            error,
            address => form.address,
            contact => form.contact,
            message => form.message,
            ..base(state, lang),
        },
    )?;
    if error.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `GET /{lang}/submit`.
pub async fn submit_form(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    submit_page(&state, &lang, &headers, None, &SubmitForm::default())
}

/// `POST /{lang}/submit`: checks the instance at once, records the
/// submission, and sends the submitter to its private status page.
pub async fn submit(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Form(form): Form<SubmitForm>,
) -> Result<Response, PageError> {
    if !same_origin(&headers) || !state.site.forms.check("submit", &form.token) {
        return Err(refused(&lang));
    }
    let address = match InstanceAddress::parse(form.address.trim(), "https") {
        Ok(address) => address,
        Err(_) => return submit_page(&state, &lang, &headers, Some("submit.error.address"), &form),
    };
    if form.contact.chars().count() > 200 || form.message.chars().count() > 2000 {
        return submit_page(
            &state,
            &lang,
            &headers,
            Some("submit.error.too_long"),
            &form,
        );
    }
    let outcome = match &state.federation {
        Some(federation) => federation.check(&address).await,
        None => CheckOutcome {
            passed: false,
            steps: vec![CheckStep {
                name: "checks".into(),
                ok: false,
                detail: "automatic checks are not available on this node; an editor will check"
                    .into(),
            }],
        },
    };
    let check_result = serde_json::to_value(&outcome).unwrap_or_default();
    let contact = Some(form.contact.trim()).filter(|c| !c.is_empty());
    let (submission, _) = state
        .store
        .create_submission(&NewSubmission {
            address: &address,
            contact,
            message: form.message.trim(),
            check_result: &check_result,
            check_passed: outcome.passed,
        })
        .await
        .map_err(|error| PageError::internal(&lang, error))?;
    Ok(
        Redirect::to(&lang.path(&format!("/submissions/{}", submission.status_token)))
            .into_response(),
    )
}

/// `GET /{lang}/submissions/{token}`: the submitter's private status page.
pub async fn submission_status(
    State(state): State<AppState>,
    lang: Lang,
    Path((_, token)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let submission = state
        .store
        .submission_by_token(&token)
        .await
        .map_err(|error| PageError::internal(&lang, error))?;
    let Some(submission) = submission else {
        return Err(PageError::not_found(lang.code));
    };
    let outcome: CheckOutcome =
        serde_json::from_value(submission.check_result.clone()).unwrap_or_default();
    let mut response = page(
        &state,
        &lang,
        &headers,
        "submission.html",
        context! { submission, checks => outcome.steps, ..base(&state, &lang) },
    )?;
    // A private page: never stored by shared caches, never indexed.
    let out = response.headers_mut();
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    out.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RemovalForm {
    kind: String,
    target: String,
    requester: String,
    reason: String,
    token: String,
}

fn removal_page(
    state: &AppState,
    lang: &Lang,
    headers: &HeaderMap,
    outcome: Option<&str>,
    form: &RemovalForm,
) -> Result<Response, PageError> {
    page(
        state,
        lang,
        headers,
        "removal.html",
        context! {
            title => message(state, lang, "removal.title"),
            token => state.site.forms.issue("removal"),
            outcome,
            kind => form.kind,
            target => form.target,
            requester => form.requester,
            reason => form.reason,
            ..base(state, lang),
        },
    )
}

/// `GET /{lang}/removal`, prefilled by `?kind=video&target=…` (the video page links so).
pub async fn removal_form(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Query(prefill): Query<RemovalForm>,
) -> Result<Response, PageError> {
    removal_page(&state, &lang, &headers, None, &prefill)
}

/// `POST /{lang}/removal`: records the request for the back office.
pub async fn removal(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Form(form): Form<RemovalForm>,
) -> Result<Response, PageError> {
    if !same_origin(&headers) || !state.site.forms.check("removal", &form.token) {
        return Err(refused(&lang));
    }
    let kind = match form.kind.as_str() {
        "video" => RemovalTargetKind::Video,
        "channel" => RemovalTargetKind::Channel,
        "instance" => RemovalTargetKind::Instance,
        _ => RemovalTargetKind::Video,
    };
    let target = form.target.trim();
    let reason = form.reason.trim();
    if target.is_empty() || target.len() > 500 || reason.is_empty() || reason.len() > 4000 {
        let mut response = removal_page(&state, &lang, &headers, Some("invalid"), &form)?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    state
        .store
        .create_removal_request(&NewRemovalRequest {
            target_kind: kind,
            target,
            requester: Some(form.requester.trim()).filter(|r| !r.is_empty()),
            reason,
        })
        .await
        .map_err(|error| PageError::internal(&lang, error))?;
    removal_page(
        &state,
        &lang,
        &headers,
        Some("sent"),
        &RemovalForm::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_from_other_sites_are_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("showcase.example"));
        assert!(
            same_origin(&headers),
            "no Origin: a form post without it is allowed"
        );
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://showcase.example"),
        );
        assert!(same_origin(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&headers));
        headers.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&headers));
    }
}
