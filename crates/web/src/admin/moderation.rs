//! Moderation: blocks and shared blocklists, the NSFW policies and about texts, removal requests.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use minijinja::context;
use serde::Deserialize;
use serde_json::json;
use store::{BlockKind, NewBlock, NsfwApiDefault, NsfwPolicy, Paging, RemovalStatus, StoreError};

use super::auth::Posted;
use super::{Admin, Reply, admin_base, internal, refuse, render, see_other};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    notice: String,
}

/// The notices moderation pages may show after a redirect.
const NOTICES: &[&str] = &[
    "block_added",
    "block_removed",
    "block_invalid",
    "imported",
    "import_invalid",
    "saved",
    "answered",
];

fn notice_key(notice: &str) -> Option<String> {
    NOTICES
        .contains(&notice)
        .then(|| format!("admin.notice.{notice}"))
}

/// `GET /admin/blocks`.
pub async fn blocks(
    State(state): State<AppState>,
    Admin(editor): Admin,
    Query(notice): Query<Notice>,
) -> Reply {
    let blocks = state.store.list_blocks().await.map_err(internal)?;
    render(
        &state,
        StatusCode::OK,
        "admin/blocks.html",
        context! {
            blocks,
            kinds => ["instance", "account", "channel", "video"],
            notice => notice_key(&notice.notice),
            ..admin_base(&state, &editor.lang, Some(&editor))
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BlockForm {
    kind: String,
    target: String,
    reason: String,
}

/// `POST /admin/blocks`: blocks an instance, account, channel or video at once.
pub async fn add_block(
    State(state): State<AppState>,
    Admin(_): Admin,
    posted: Posted<BlockForm>,
) -> Reply {
    let editor = &posted.editor;
    let Ok(kind) = posted.form.kind.parse::<BlockKind>() else {
        return Ok(see_other("/admin/blocks?notice=block_invalid"));
    };
    let added = state
        .store
        .add_block(&NewBlock {
            kind,
            target: &posted.form.target,
            reason: posted.form.reason.trim(),
            source: None,
            created_by: Some(editor.id()),
        })
        .await;
    match added {
        Ok((block, _)) => {
            state
                .store
                .audit(
                    Some(editor.id()),
                    "block.add",
                    kind.as_str(),
                    &block.target,
                    &json!({ "reason": block.reason }),
                )
                .await
                .map_err(internal)?;
            Ok(see_other("/admin/blocks?notice=block_added"))
        }
        Err(StoreError::Invalid { .. }) => Ok(see_other("/admin/blocks?notice=block_invalid")),
        Err(error) => Err(internal(error)),
    }
}

/// `POST /admin/blocks/remove`: lifts a block.
pub async fn remove_block(
    State(state): State<AppState>,
    Admin(_): Admin,
    posted: Posted<BlockForm>,
) -> Reply {
    let editor = &posted.editor;
    let Ok(kind) = posted.form.kind.parse::<BlockKind>() else {
        return Ok(see_other("/admin/blocks?notice=block_invalid"));
    };
    let removed = state
        .store
        .remove_block(kind, &posted.form.target)
        .await
        .map_err(internal)?;
    if removed {
        state
            .store
            .audit(
                Some(editor.id()),
                "block.remove",
                kind.as_str(),
                posted.form.target.trim(),
                &json!({}),
            )
            .await
            .map_err(internal)?;
    }
    Ok(see_other("/admin/blocks?notice=block_removed"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ImportForm {
    /// The blocklist, in the auto-mute plugin format.
    json: String,
    /// Where it comes from (its URL or a name), kept with each block.
    source: String,
}

#[derive(Debug, Deserialize)]
struct Blocklist {
    data: Vec<BlocklistEntry>,
}

#[derive(Debug, Deserialize)]
struct BlocklistEntry {
    value: String,
    #[serde(default = "add_action")]
    action: String,
}

fn add_action() -> String {
    "add".into()
}

/// What a blocklist entry blocks: an account (`user@host`) or an instance (`host`).
fn entry_kind(value: &str) -> BlockKind {
    if value.trim().trim_start_matches('@').contains('@') {
        BlockKind::Account
    } else {
        BlockKind::Instance
    }
}

/// `POST /admin/blocks/import`: applies a pasted blocklist (`{"data": [{"value", "action"}]}`).
pub async fn import_blocklist(
    State(state): State<AppState>,
    Admin(_): Admin,
    posted: Posted<ImportForm>,
) -> Reply {
    let editor = &posted.editor;
    let Ok(list) = serde_json::from_str::<Blocklist>(&posted.form.json) else {
        return Ok(see_other("/admin/blocks?notice=import_invalid"));
    };
    let source = Some(posted.form.source.trim())
        .filter(|source| !source.is_empty())
        .unwrap_or("import");
    let (mut added, mut removed, mut skipped) = (0, 0, 0);
    for entry in &list.data {
        let kind = entry_kind(&entry.value);
        let done = if entry.action == "remove" {
            state
                .store
                .remove_block(kind, &entry.value)
                .await
                .map(|gone| removed += usize::from(gone))
        } else {
            state
                .store
                .add_block(&NewBlock {
                    kind,
                    target: &entry.value,
                    reason: "",
                    source: Some(source),
                    created_by: Some(editor.id()),
                })
                .await
                .map(|(_, new)| added += usize::from(new))
        };
        match done {
            Ok(()) => {}
            Err(StoreError::Invalid { .. }) => skipped += 1,
            Err(error) => return Err(internal(error)),
        }
    }
    state
        .store
        .audit(
            Some(editor.id()),
            "block.import",
            "blocklist",
            source,
            &json!({ "added": added, "removed": removed, "skipped": skipped }),
        )
        .await
        .map_err(internal)?;
    Ok(see_other("/admin/blocks?notice=imported"))
}

/// `GET /admin/settings`: NSFW policies and the about text in each language.
pub async fn settings(
    State(state): State<AppState>,
    Admin(editor): Admin,
    Query(notice): Query<Notice>,
) -> Reply {
    let site = state.store.nsfw_policy_site().await.map_err(internal)?;
    let api = state.store.nsfw_default_api().await.map_err(internal)?;
    let mut abouts = Vec::new();
    for catalogue in state.site.languages.all() {
        let text = state
            .store
            .about_text(&catalogue.code)
            .await
            .map_err(internal)?
            .unwrap_or_default();
        abouts.push(context! { code => catalogue.code, name => catalogue.meta.name, text });
    }
    render(
        &state,
        StatusCode::OK,
        "admin/settings.html",
        context! {
            nsfw_site => site.as_str(),
            nsfw_api => api.as_str(),
            abouts,
            notice => notice_key(&notice.notice),
            ..admin_base(&state, &editor.lang, Some(&editor))
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    nsfw_site: String,
    nsfw_api: String,
}

/// `POST /admin/settings`.
pub async fn save_settings(
    State(state): State<AppState>,
    Admin(_): Admin,
    posted: Posted<SettingsForm>,
) -> Reply {
    let by = Some(posted.editor.id());
    let store = &state.store;
    if let Ok(policy) = posted.form.nsfw_site.parse::<NsfwPolicy>()
        && policy != store.nsfw_policy_site().await.map_err(internal)?
    {
        store
            .set_nsfw_policy_site(policy, by)
            .await
            .map_err(internal)?;
    }
    if let Ok(value) = posted.form.nsfw_api.parse::<NsfwApiDefault>()
        && value != store.nsfw_default_api().await.map_err(internal)?
    {
        store
            .set_nsfw_default_api(value, by)
            .await
            .map_err(internal)?;
    }
    for (name, text) in &posted.pairs {
        let Some(code) = name.strip_prefix("about_") else {
            continue;
        };
        if state.site.languages.get(code).is_none() {
            continue;
        }
        let current = store.about_text(code).await.map_err(internal)?;
        if current.as_deref().unwrap_or_default() != text.as_str() {
            store
                .set_about_text(code, text, by)
                .await
                .map_err(internal)?;
        }
    }
    Ok(see_other("/admin/settings?notice=saved"))
}

/// `GET /admin/removals`: open requests first, then the handled ones.
pub async fn removals(
    State(state): State<AppState>,
    Admin(editor): Admin,
    Query(notice): Query<Notice>,
) -> Reply {
    let open = state
        .store
        .list_removal_requests(Some(RemovalStatus::Open), Paging::page(1, 200))
        .await
        .map_err(internal)?;
    let handled = state
        .store
        .list_removal_requests(None, Paging::page(1, 100))
        .await
        .map_err(internal)?
        .into_iter()
        .filter(|request| request.status != RemovalStatus::Open)
        .collect::<Vec<_>>();
    render(
        &state,
        StatusCode::OK,
        "admin/removals.html",
        context! {
            open,
            handled,
            notice => notice_key(&notice.notice),
            ..admin_base(&state, &editor.lang, Some(&editor))
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AnswerForm {
    /// `accept` or `refuse`.
    decision: String,
    answer: String,
    /// With `accept`: what to block (`instance`, `account`, `channel`,
    /// `video`) and its target; empty to accept without a block.
    block_kind: String,
    block_target: String,
    /// With an instance block: `on` also purges what was crawled of it.
    purge: String,
}

/// `POST /admin/removals/{id}`: accept (with a block) or refuse, with an answer.
pub async fn answer_removal(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
    posted: Posted<AnswerForm>,
) -> Reply {
    let editor = &posted.editor;
    let form = &posted.form;
    let answered = if form.decision == "accept" {
        if let Ok(kind) = form.block_kind.parse::<BlockKind>()
            && !form.block_target.trim().is_empty()
        {
            let reason = format!("removal request #{id}");
            match state
                .store
                .add_block(&NewBlock {
                    kind,
                    target: &form.block_target,
                    reason: &reason,
                    source: None,
                    created_by: Some(editor.id()),
                })
                .await
            {
                Ok((block, _)) => {
                    state
                        .store
                        .audit(
                            Some(editor.id()),
                            "block.add",
                            kind.as_str(),
                            &block.target,
                            &json!({ "reason": reason }),
                        )
                        .await
                        .map_err(internal)?;
                    if kind == BlockKind::Instance
                        && form.purge == "on"
                        && let Some(instance) = state
                            .store
                            .instance_by_host(&block.target)
                            .await
                            .map_err(internal)?
                    {
                        super::federation::purge_instance(&state, editor.id(), &instance).await?;
                    }
                }
                Err(StoreError::Invalid { .. }) => {
                    return Ok(see_other("/admin/blocks?notice=block_invalid"));
                }
                Err(error) => return Err(internal(error)),
            }
        }
        state
            .store
            .accept_removal_request(id, editor.id(), form.answer.trim())
            .await
    } else {
        state
            .store
            .refuse_removal_request(id, editor.id(), form.answer.trim())
            .await
    };
    match answered {
        Ok(_) => Ok(see_other("/admin/removals?notice=answered")),
        Err(StoreError::NotFound(_) | StoreError::Invalid { .. }) => Err(refuse(
            &state,
            &editor.lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin.error.not_found",
        )),
        Err(error) => Err(internal(error)),
    }
}
