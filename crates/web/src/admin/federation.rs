//! The federation: the submissions queue, the instance list with its crawl health, and candidates found in followings.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;
use store::{InstanceStatus, Paging, StoreError, SubmissionStatus};

use super::auth::Posted;
use super::{Admin, Reply, admin_base, internal, refuse, render, see_other};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    notice: String,
}

const NOTICES: &[&str] = &[
    "approved",
    "rejected",
    "changed",
    "invalid",
    "blocked_instance",
];

fn notice_key(notice: &str) -> Option<String> {
    NOTICES
        .contains(&notice)
        .then(|| format!("admin.notice.{notice}"))
}

/// `GET /admin/submissions`: pending submissions with their check results, then the reviewed.
pub async fn submissions(
    State(state): State<AppState>,
    Admin(editor): Admin,
    Query(notice): Query<Notice>,
) -> Reply {
    let pending = state
        .store
        .list_submissions(Some(SubmissionStatus::Pending), Paging::page(1, 200))
        .await
        .map_err(internal)?;
    let reviewed: Vec<_> = state
        .store
        .list_submissions(None, Paging::page(1, 100))
        .await
        .map_err(internal)?
        .into_iter()
        .filter(|submission| submission.status != SubmissionStatus::Pending)
        .collect();
    render(
        &state,
        StatusCode::OK,
        "admin/submissions.html",
        context! {
            pending,
            reviewed,
            notice => notice_key(&notice.notice),
            ..admin_base(&state, &editor.lang, Some(&editor))
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReviewForm {
    /// `approve` or `reject`.
    decision: String,
    reason: String,
}

/// `POST /admin/submissions/{id}`: approve (the instance is crawled at once) or reject with a reason.
pub async fn review_submission(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
    posted: Posted<ReviewForm>,
) -> Reply {
    let editor = &posted.editor;
    let done = if posted.form.decision == "approve" {
        match state.store.approve_submission(id, editor.id()).await {
            Ok((_, instance)) => {
                state
                    .store
                    .crawl_instance_now(instance.id)
                    .await
                    .map_err(internal)?;
                Ok("approved")
            }
            Err(error) => Err(error),
        }
    } else {
        state
            .store
            .reject_submission(id, editor.id(), posted.form.reason.trim())
            .await
            .map(|_| "rejected")
    };
    match done {
        Ok(notice) => Ok(see_other(&format!("/admin/submissions?notice={notice}"))),
        Err(StoreError::Invalid {
            field: "submission",
            ..
        }) => Ok(see_other("/admin/submissions?notice=blocked_instance")),
        Err(StoreError::Invalid { .. }) => Ok(see_other("/admin/submissions?notice=invalid")),
        Err(StoreError::NotFound(_)) => Err(refuse(
            &state,
            &editor.lang,
            StatusCode::NOT_FOUND,
            "admin.error.not_found",
        )),
        Err(error) => Err(internal(error)),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InstancesQuery {
    status: String,
    notice: String,
}

/// `GET /admin/instances`: every instance with its health; candidates (pending) first.
pub async fn instances(
    State(state): State<AppState>,
    Admin(editor): Admin,
    Query(query): Query<InstancesQuery>,
) -> Reply {
    let status = query.status.parse::<InstanceStatus>().ok();
    let counts = state
        .store
        .video_counts_by_instance()
        .await
        .map_err(internal)?;
    let all = state.store.list_instances(status).await.map_err(internal)?;
    let describe = |instance: &store::Instance| -> Value {
        let videos = counts
            .iter()
            .find(|(id, _)| *id == instance.id)
            .map_or(0, |(_, count)| *count);
        context! { instance, videos }
    };
    let candidates: Vec<Value> = all
        .iter()
        .filter(|instance| {
            instance.status == InstanceStatus::Pending
                && instance.origin == store::InstanceOrigin::Following
        })
        .map(describe)
        .collect();
    let instances: Vec<Value> = all
        .iter()
        .filter(|instance| {
            !(instance.status == InstanceStatus::Pending
                && instance.origin == store::InstanceOrigin::Following)
        })
        .map(describe)
        .collect();
    render(
        &state,
        StatusCode::OK,
        "admin/instances.html",
        context! {
            instances,
            candidates,
            status => status.map(InstanceStatus::as_str),
            statuses => ["pending", "approved", "paused", "rejected", "blocked", "dead"],
            notice => notice_key(&query.notice),
            ..admin_base(&state, &editor.lang, Some(&editor))
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InstanceForm {
    /// `pause`, `resume`, `approve`, `dismiss`, `remove` or `crawl`.
    action: String,
}

/// `POST /admin/instances/{id}`: pause, resume, approve or dismiss a candidate, remove, crawl now.
pub async fn change_instance(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
    posted: Posted<InstanceForm>,
) -> Reply {
    let editor = &posted.editor;
    let Some(instance) = state.store.instance(id).await.map_err(internal)? else {
        return Err(refuse(
            &state,
            &editor.lang,
            StatusCode::NOT_FOUND,
            "admin.error.not_found",
        ));
    };
    let action = posted.form.action.as_str();
    let status = match action {
        "pause" => Some(InstanceStatus::Paused),
        "resume" | "approve" => Some(InstanceStatus::Approved),
        "dismiss" | "remove" => Some(InstanceStatus::Rejected),
        "crawl" => None,
        _ => return Ok(see_other("/admin/instances?notice=invalid")),
    };
    if let Some(status) = status {
        state
            .store
            .set_instance_status(id, status)
            .await
            .map_err(internal)?;
    }
    if matches!(action, "resume" | "approve" | "crawl") {
        state.store.crawl_instance_now(id).await.map_err(internal)?;
    }
    state
        .store
        .audit(
            Some(editor.id()),
            &format!("instance.{action}"),
            "instance",
            &instance.host,
            &json!({ "from": instance.status.as_str() }),
        )
        .await
        .map_err(internal)?;
    Ok(see_other("/admin/instances?notice=changed"))
}
