//! The federation: the submissions queue, the instance list with its crawl health, and candidates found in followings.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{NaiveTime, TimeDelta, Utc};
use minijinja::{Value, context};
use serde::Deserialize;
use serde_json::json;
use store::{InstanceStatus, Paging, StoreError, SubmissionStatus};

use super::auth::Posted;
use super::charts::{self, Histories};
use super::{Admin, Refusal, Reply, admin_base, internal, refuse, render, see_other};
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
    "removed",
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

/// Days of crawl history the instance list charts.
const HISTORY_DAYS: u16 = 14;

/// `GET /admin/instances`: every instance with its health and crawl history; candidates (pending) first.
pub async fn instances(
    State(state): State<AppState>,
    Admin(editor): Admin,
    Query(query): Query<InstancesQuery>,
) -> Reply {
    let status = query.status.parse::<InstanceStatus>().ok();
    let counts: HashMap<i64, i64> = state
        .store
        .video_counts_by_instance()
        .await
        .map_err(internal)?
        .into_iter()
        .collect();
    let today = Utc::now().date_naive();
    let since = (today - TimeDelta::days(i64::from(HISTORY_DAYS) - 1)).and_time(NaiveTime::MIN);
    let crawl_days = state
        .store
        .crawl_days(since.and_utc())
        .await
        .map_err(internal)?;
    let histories = Histories::new(&crawl_days, today, HISTORY_DAYS);
    let lang = &editor.lang;
    let catalogue = state
        .site
        .languages
        .get(lang)
        .unwrap_or_else(|| state.site.languages.default_language());
    let chart = |days: &[charts::Day], host: Option<&str>, detailed: bool| -> Value {
        let (requests, errors, latency) = charts::totals(days);
        let title = match host {
            Some(host) => catalogue.message("admin.instance.chart_of", &[("host", host.into())]),
            None => catalogue.message("admin.instance.chart_all", &[]),
        };
        let description = catalogue.message(
            "admin.instance.chart_desc",
            &[
                ("days", HISTORY_DAYS.to_string()),
                ("requests", requests.to_string()),
                ("errors", errors.to_string()),
                (
                    "latency",
                    latency.map_or_else(|| "—".into(), |ms| format!("{ms:.0}")),
                ),
            ],
        );
        let (width, height) = if detailed { (560, 140) } else { (112, 28) };
        let frame = charts::Frame {
            width,
            height,
            title: &title,
            description: &description,
            detailed,
        };
        context! {
            svg => Value::from_safe_string(charts::render(days, &frame)),
            requests,
            errors,
            latency_ms => latency.map(f64::round),
        }
    };
    let uncrawled = Histories::new(&[], today, HISTORY_DAYS).overall;
    let describe = |instance: &store::Instance| -> Value {
        let days = histories
            .by_instance
            .get(&instance.id)
            .unwrap_or(&uncrawled);
        context! {
            instance,
            videos => counts.get(&instance.id).copied().unwrap_or(0),
            history => chart(days, Some(&instance.host), false),
        }
    };
    let is_candidate = |instance: &&store::Instance| {
        instance.status == InstanceStatus::Pending
            && instance.origin == store::InstanceOrigin::Following
    };
    let all = state.store.list_instances(status).await.map_err(internal)?;
    let candidates: Vec<Value> = all.iter().filter(is_candidate).map(describe).collect();
    let instances: Vec<Value> = all
        .iter()
        .filter(|instance| !is_candidate(instance))
        .map(describe)
        .collect();
    render(
        &state,
        StatusCode::OK,
        "admin/instances.html",
        context! {
            instances,
            candidates,
            overall => chart(&histories.overall, None, true),
            history_days => HISTORY_DAYS,
            status => status.map(InstanceStatus::as_str),
            statuses => ["pending", "approved", "paused", "rejected", "blocked", "dead"],
            notice => notice_key(&query.notice),
            ..admin_base(&state, lang, Some(&editor))
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
    if action == "remove" {
        purge_instance(&state, editor.id(), &instance).await?;
        return Ok(see_other("/admin/instances?notice=removed"));
    }
    let status = match action {
        "pause" => Some(InstanceStatus::Paused),
        "resume" | "approve" => Some(InstanceStatus::Approved),
        "dismiss" => Some(InstanceStatus::Rejected),
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

/// Removes an instance and what was crawled of it (see
/// [`store::Store::purge_instance`]), deletes the image files nothing else
/// uses, and writes it to the audit log.
pub(super) async fn purge_instance(
    state: &AppState,
    editor_id: i64,
    instance: &store::Instance,
) -> Result<(), Refusal> {
    let report = state
        .store
        .purge_instance(instance.id)
        .await
        .map_err(internal)?;
    for sha256 in &report.orphaned_image_files {
        let Some(path) = store::image_file_path(&state.site.images_dir, sha256) else {
            continue;
        };
        if let Err(error) = tokio::fs::remove_file(&path).await
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %path.display(), %error, "cannot delete a purged image");
        }
    }
    state
        .store
        .audit(
            Some(editor_id),
            "instance.remove",
            "instance",
            &instance.host,
            &json!({
                "from": instance.status.as_str(),
                "videos": report.videos,
                "videos_kept_for_selections": report.videos_kept_for_selections,
                "channels": report.channels,
                "accounts": report.accounts,
                "playlists": report.playlists,
                "image_files": report.orphaned_image_files.len(),
            }),
        )
        .await
        .map_err(internal)?;
    Ok(())
}
