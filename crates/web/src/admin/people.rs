//! Themes, users and the audit log.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use minijinja::context;
use serde::Deserialize;
use serde_json::json;
use store::{AuditFilter, NewUser, Paging, Role, StoreError, ThemeInput};

use super::auth::Posted;
use super::{Admin, Editor, Reply, admin_base, internal, refuse, render, see_other};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    notice: String,
}

const NOTICES: &[&str] = &[
    "saved",
    "deleted",
    "invalid",
    "slug_taken",
    "user_created",
    "user_exists",
    "changed",
];

fn notice_key(notice: &str) -> Option<String> {
    NOTICES
        .contains(&notice)
        .then(|| format!("admin.notice.{notice}"))
}

/// `GET /admin/themes`.
pub async fn themes(
    State(state): State<AppState>,
    editor: Editor,
    Query(notice): Query<Notice>,
) -> Reply {
    let themes = state.store.list_themes().await.map_err(internal)?;
    render(
        &state,
        StatusCode::OK,
        "admin/themes.html",
        context! {
            themes,
            notice => notice_key(&notice.notice),
            ..admin_base(&state, &editor.lang, Some(&editor))
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ThemeForm {
    name: String,
    slug: String,
    description: String,
    /// `save` or `delete` (on an existing theme).
    action: String,
}

fn theme_outcome(result: Result<(), StoreError>) -> Reply {
    match result {
        Ok(()) => Ok(see_other("/admin/themes?notice=saved")),
        Err(StoreError::SlugTaken(_)) => Ok(see_other("/admin/themes?notice=slug_taken")),
        Err(StoreError::Invalid { .. }) => Ok(see_other("/admin/themes?notice=invalid")),
        Err(error) => Err(internal(error)),
    }
}

/// `POST /admin/themes`: a new theme.
pub async fn create_theme(State(state): State<AppState>, posted: Posted<ThemeForm>) -> Reply {
    let form = &posted.form;
    let created = state
        .store
        .create_theme(
            &ThemeInput {
                slug: form.slug.trim(),
                name: form.name.trim(),
                description: form.description.trim(),
                position: None,
            },
            Some(posted.editor.id()),
        )
        .await
        .map(|_| ());
    theme_outcome(created)
}

/// `POST /admin/themes/{id}`: renames, describes or deletes a theme.
pub async fn change_theme(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    posted: Posted<ThemeForm>,
) -> Reply {
    let form = &posted.form;
    let by = Some(posted.editor.id());
    if form.action == "delete" {
        state.store.delete_theme(id, by).await.map_err(internal)?;
        return Ok(see_other("/admin/themes?notice=deleted"));
    }
    let updated = state
        .store
        .update_theme(
            id,
            &ThemeInput {
                slug: form.slug.trim(),
                name: form.name.trim(),
                description: form.description.trim(),
                position: None,
            },
            by,
        )
        .await
        .map(|_| ());
    theme_outcome(updated)
}

/// `GET /admin/users`.
pub async fn users(
    State(state): State<AppState>,
    Admin(editor): Admin,
    Query(notice): Query<Notice>,
) -> Reply {
    let users = state.store.list_users().await.map_err(internal)?;
    users_page_with(
        &state,
        &editor,
        &users,
        notice_key(&notice.notice).as_deref(),
        None,
        StatusCode::OK,
    )
}

fn users_page_with(
    state: &AppState,
    editor: &Editor,
    users: &[store::User],
    notice: Option<&str>,
    password: Option<(String, String)>,
    status: StatusCode,
) -> Reply {
    render(
        state,
        status,
        "admin/users.html",
        context! {
            users,
            notice,
            temporary => password.map(|(username, password)| context! { username, password }),
            me => editor.id(),
            ..admin_base(state, &editor.lang, Some(editor))
        },
    )
}

/// A temporary password of 122 random bits, to be changed at first sign-in.
fn temporary_password() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewUserForm {
    username: String,
    display_name: String,
    role: String,
}

/// `POST /admin/users`: a new user, shown once with a temporary password.
pub async fn create_user(
    State(state): State<AppState>,
    Admin(_): Admin,
    posted: Posted<NewUserForm>,
) -> Reply {
    let editor = &posted.editor;
    let form = &posted.form;
    let role = form.role.parse::<Role>().unwrap_or(Role::Editor);
    let password = temporary_password();
    let username = form.username.trim().to_lowercase();
    let created = state
        .store
        .add_user(NewUser {
            username: &username,
            display_name: form.display_name.trim(),
            password: &password,
            role,
        })
        .await;
    let user = match created {
        Ok(user) => user,
        Err(StoreError::AlreadyExists(_)) => {
            return Ok(see_other("/admin/users?notice=user_exists"));
        }
        Err(StoreError::Invalid { .. }) => return Ok(see_other("/admin/users?notice=invalid")),
        Err(error) => return Err(internal(error)),
    };
    state
        .store
        .set_password(user.id, &password, true)
        .await
        .map_err(internal)?;
    state
        .store
        .audit(
            Some(editor.id()),
            "user.create",
            "user",
            &user.username,
            &json!({ "role": role.as_str() }),
        )
        .await
        .map_err(internal)?;
    let users = state.store.list_users().await.map_err(internal)?;
    users_page_with(
        &state,
        editor,
        &users,
        Some("admin.notice.user_created"),
        Some((user.username, password)),
        StatusCode::OK,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserForm {
    /// `role`, `disable`, `enable` or `reset`.
    action: String,
    role: String,
}

/// `POST /admin/users/{id}`: re-role, disable or enable, reset the password.
pub async fn change_user(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<i64>,
    posted: Posted<UserForm>,
) -> Reply {
    let editor = &posted.editor;
    let users = state.store.list_users().await.map_err(internal)?;
    let Some(user) = users.iter().find(|user| user.id == id).cloned() else {
        return Err(refuse(
            &state,
            &editor.lang,
            StatusCode::NOT_FOUND,
            "admin.error.not_found",
        ));
    };
    if id == editor.id() && posted.form.action != "reset" {
        return Ok(see_other("/admin/users?notice=invalid"));
    }
    let store = &state.store;
    let mut temporary = None;
    match posted.form.action.as_str() {
        "role" => {
            let Ok(role) = posted.form.role.parse::<Role>() else {
                return Ok(see_other("/admin/users?notice=invalid"));
            };
            store.set_user_role(id, role).await.map_err(internal)?;
        }
        "disable" => {
            store.set_user_disabled(id, true).await.map_err(internal)?;
            store
                .revoke_user_sessions(id, None, Utc::now())
                .await
                .map_err(internal)?;
        }
        "enable" => store.set_user_disabled(id, false).await.map_err(internal)?,
        "reset" => {
            let password = temporary_password();
            store
                .set_password(id, &password, true)
                .await
                .map_err(internal)?;
            temporary = Some((user.username.clone(), password));
        }
        _ => return Ok(see_other("/admin/users?notice=invalid")),
    }
    store
        .audit(
            Some(editor.id()),
            &format!("user.{}", posted.form.action),
            "user",
            &user.username,
            &json!({ "role": posted.form.role }),
        )
        .await
        .map_err(internal)?;
    if temporary.is_none() {
        return Ok(see_other("/admin/users?notice=changed"));
    }
    let users = store.list_users().await.map_err(internal)?;
    users_page_with(
        &state,
        editor,
        &users,
        Some("admin.notice.changed"),
        temporary,
        StatusCode::OK,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    user: String,
    action: String,
    target: String,
    page: i64,
}

/// `GET /admin/audit`: the audit log, filterable by person, action and target.
pub async fn audit(
    State(state): State<AppState>,
    Admin(editor): Admin,
    Query(query): Query<AuditQuery>,
) -> Reply {
    let users = state.store.list_users().await.map_err(internal)?;
    let user_id = users
        .iter()
        .find(|user| user.username == query.user.trim())
        .map(|user| user.id);
    let non_empty = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let action = non_empty(&query.action);
    let target = non_empty(&query.target);
    if !query.user.trim().is_empty() && user_id.is_none() {
        return render(
            &state,
            StatusCode::OK,
            "admin/audit.html",
            context! {
                entries => Vec::<()>::new(), total => 0, query => context! {
                    user => query.user, action => query.action, target => query.target,
                },
                users, page => 1, last_page => 1,
                ..admin_base(&state, &editor.lang, Some(&editor))
            },
        );
    }
    let page_number = query.page.max(1);
    let log = state
        .store
        .audit_log(&AuditFilter {
            user_id,
            action: action.as_deref(),
            target_kind: None,
            target: target.as_deref(),
            paging: Paging::page(page_number, 50),
        })
        .await
        .map_err(internal)?;
    let entries: Vec<_> = log
        .items
        .iter()
        .map(|entry| {
            context! {
                entry,
                at => entry.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                details => entry.details.to_string(),
            }
        })
        .collect();
    render(
        &state,
        StatusCode::OK,
        "admin/audit.html",
        context! {
            entries,
            total => log.total,
            query => context! { user => query.user, action => query.action, target => query.target },
            users,
            page => page_number,
            last_page => ((log.total + 49) / 50).max(1),
            ..admin_base(&state, &editor.lang, Some(&editor))
        },
    )
}
