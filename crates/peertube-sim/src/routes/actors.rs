//! Channel, account, playlist and server-following endpoints.

use axum::extract::rejection::PathRejection;
use axum::extract::{OriginalUri, Path};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Inst, Page, Params, page};
use crate::content::{from_ms, iso};
use crate::ids::{ItemId, Kind, parse_item_id};
use crate::problem::{Problem, json_response};
use crate::render::{account_full, channel_full, playlist as render_playlist, server_actor};

/// Pagination plus the direction of `sort` (newest first unless the column has no `-`).
fn paging(uri: &Uri, op: &'static str) -> Result<(Page, bool), Problem> {
    let params = Params::parse(uri.query());
    let mut invalid = Vec::new();
    let page = page(&params, &mut invalid);
    if !invalid.is_empty() {
        let target = uri.path_and_query().map_or("", |pq| pq.as_str());
        return Err(Problem::invalid_params(target, invalid).docs(op));
    }
    let desc = params.get("sort").is_none_or(|s| s.starts_with('-'));
    Ok((page, desc))
}

/// One page of `items` (listed oldest first), in the requested direction.
fn slice(items: &[u64], page: Page, desc: bool) -> Vec<u64> {
    let ordered: Box<dyn Iterator<Item = &u64>> = if desc {
        Box::new(items.iter().rev())
    } else {
        Box::new(items.iter())
    };
    ordered
        .skip(page.start.min(usize::MAX as u64) as usize)
        .take(page.count as usize)
        .copied()
        .collect()
}

fn list(total: usize, data: &[Value]) -> Response {
    json_response(&json!({ "total": total, "data": data }))
}

fn handle_of(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(h)| h).unwrap_or_default()
}

fn follow_entry(inst: &Inst, follower: usize, following: usize) -> Value {
    let shared = &inst.shared;
    let actor = |i: usize| {
        let spec = &shared.instance(i).spec;
        let created = iso(from_ms(spec.start_ms));
        server_actor(
            &spec.base_url,
            &spec.host,
            i as u64 + 1,
            spec.follows.len(),
            spec.followers.len(),
            &created,
        )
    };
    let later = shared
        .instance(follower)
        .spec
        .start_ms
        .max(shared.instance(following).spec.start_ms);
    let created = iso(from_ms(later + 86_400_000));
    json!({
        "id": (follower * shared.instances.len() + following) as u64 + 1,
        "follower": actor(follower), "following": actor(following),
        "score": 20, "state": "accepted", "createdAt": created, "updatedAt": created,
    })
}

/// `GET /api/v1/server/following`: the fleet instances this one follows.
pub(crate) async fn following(inst: Inst, OriginalUri(uri): OriginalUri) -> Response {
    let (page, desc) = match paging(&uri, "getFollowing") {
        Ok(p) => p,
        Err(problem) => return problem.into_response(),
    };
    let follows = &inst.state().spec.follows;
    let positions: Vec<u64> = (0..follows.len() as u64).collect();
    let data: Vec<Value> = slice(&positions, page, desc)
        .into_iter()
        .map(|p| follow_entry(&inst, inst.index, follows[p as usize]))
        .collect();
    list(follows.len(), &data)
}

/// `GET /api/v1/server/followers`.
pub(crate) async fn followers(inst: Inst, OriginalUri(uri): OriginalUri) -> Response {
    let (page, desc) = match paging(&uri, "getFollowers") {
        Ok(p) => p,
        Err(problem) => return problem.into_response(),
    };
    let followers = &inst.state().spec.followers;
    let positions: Vec<u64> = (0..followers.len() as u64).collect();
    let data: Vec<Value> = slice(&positions, page, desc)
        .into_iter()
        .map(|p| follow_entry(&inst, followers[p as usize], inst.index))
        .collect();
    list(followers.len(), &data)
}

/// `GET /api/v1/video-channels`.
pub(crate) async fn channels(inst: Inst, OriginalUri(uri): OriginalUri) -> Response {
    let (page, desc) = match paging(&uri, "getVideoChannels") {
        Ok(p) => p,
        Err(problem) => return problem.into_response(),
    };
    let total = inst.state().spec.channels;
    let generator = inst.generator();
    let all: Vec<u64> = (0..total).collect();
    let data: Vec<Value> = slice(&all, page, desc)
        .into_iter()
        .map(|c| channel_full(&generator.channel(c), inst.view()))
        .collect();
    list(total as usize, &data)
}

/// `GET /api/v1/video-channels/{handle}`.
pub(crate) async fn channel(inst: Inst, path: Result<Path<String>, PathRejection>) -> Response {
    let generator = inst.generator();
    match generator.channel_index(&handle_of(path)) {
        Some(c) => json_response(&channel_full(&generator.channel(c), inst.view())),
        None => Problem::not_found("Video channel not found").into_response(),
    }
}

/// `GET /api/v1/video-channels/{handle}/video-playlists`.
pub(crate) async fn channel_playlists(
    inst: Inst,
    path: Result<Path<String>, PathRejection>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let (page, desc) = match paging(&uri, "getVideoChannelPlaylists") {
        Ok(p) => p,
        Err(problem) => return problem.into_response(),
    };
    let generator = inst.generator();
    let Some(c) = generator.channel_index(&handle_of(path)) else {
        return Problem::not_found("Video channel not found").into_response();
    };
    let spec = &inst.state().spec;
    let mine: Vec<u64> = (c..spec.playlists)
        .step_by(spec.channels.max(1) as usize)
        .collect();
    let data: Vec<Value> = slice(&mine, page, desc)
        .into_iter()
        .map(|p| render_playlist(&generator.playlist(p), inst.view()))
        .collect();
    list(mine.len(), &data)
}

/// `GET /api/v1/accounts/{name}`.
pub(crate) async fn account(inst: Inst, path: Result<Path<String>, PathRejection>) -> Response {
    let generator = inst.generator();
    match generator.account_index(&handle_of(path)) {
        Some(a) => json_response(&account_full(&generator.account(a), inst.view())),
        None => Problem::not_found("Account not found").into_response(),
    }
}

/// `GET /api/v1/accounts/{name}/video-channels`.
pub(crate) async fn account_channels(
    inst: Inst,
    path: Result<Path<String>, PathRejection>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let (page, desc) = match paging(&uri, "getAccountVideoChannelsList") {
        Ok(p) => p,
        Err(problem) => return problem.into_response(),
    };
    let generator = inst.generator();
    let Some(a) = generator.account_index(&handle_of(path)) else {
        return Problem::not_found("Account not found").into_response();
    };
    let spec = &inst.state().spec;
    let mine: Vec<u64> = (a..spec.channels)
        .step_by(spec.accounts.max(1) as usize)
        .collect();
    let data: Vec<Value> = slice(&mine, page, desc)
        .into_iter()
        .map(|c| channel_full(&generator.channel(c), inst.view()))
        .collect();
    list(mine.len(), &data)
}

/// `GET /api/v1/video-playlists`.
pub(crate) async fn playlists(inst: Inst, OriginalUri(uri): OriginalUri) -> Response {
    let (page, desc) = match paging(&uri, "getPlaylists") {
        Ok(p) => p,
        Err(problem) => return problem.into_response(),
    };
    let total = inst.state().spec.playlists;
    let generator = inst.generator();
    let all: Vec<u64> = (0..total).collect();
    let data: Vec<Value> = slice(&all, page, desc)
        .into_iter()
        .map(|p| render_playlist(&generator.playlist(p), inst.view()))
        .collect();
    list(total as usize, &data)
}

/// `GET /api/v1/video-playlists/{id}`.
pub(crate) async fn playlist(inst: Inst, path: Result<Path<String>, PathRejection>) -> Response {
    let id = handle_of(path);
    let spec = &inst.state().spec;
    let index = match parse_item_id(&id) {
        ItemId::Numeric(n) if n >= 1 => Some(n - 1),
        ItemId::Uuid(uuid) => inst
            .shared
            .codec
            .decode(uuid)
            .filter(|d| d.kind == Kind::Playlist && d.instance == inst.index)
            .map(|d| d.index),
        _ => None,
    };
    match index.filter(|&p| p < spec.playlists) {
        Some(p) => json_response(&render_playlist(&inst.generator().playlist(p), inst.view())),
        None => Problem::not_found("Video playlist not found").into_response(),
    }
}
