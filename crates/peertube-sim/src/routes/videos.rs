//! Video endpoints: the paged list, details, descriptions and a channel's videos.

use axum::extract::rejection::PathRejection;
use axum::extract::{OriginalUri, Path};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Inst, Page, Params, page, query_param};
use crate::content::VideoState;
use crate::ids::{ItemId, Kind, parse_item_id};
use crate::listing::{NsfwFilter, Slot, Sort, Visible, mixed_slots, sort_indices, sorted_locals};
use crate::mutate;
use crate::problem::{InvalidParam, Problem, json_response};
use crate::render::{video_details, video_item};

/// The parameters of a video list.
#[derive(Debug, Clone, Copy)]
struct ListQuery {
    page: Page,
    sort: Sort,
    nsfw: NsfwFilter,
    is_local: Option<bool>,
    skip_count: bool,
}

fn parse_list(
    inst: &Inst,
    params: &Params,
    uri: &Uri,
    op: &'static str,
) -> Result<ListQuery, Problem> {
    let mut invalid: Vec<InvalidParam> = Vec::new();
    let page = page(params, &mut invalid);
    let sort = match params.get("sort") {
        None => Sort::DEFAULT,
        Some(raw) => Sort::parse(raw).unwrap_or_else(|| {
            invalid.push(query_param(
                "sort",
                raw,
                "Should have correct sortable column",
            ));
            Sort::DEFAULT
        }),
    };
    let default_nsfw = if inst.state().spec.nsfw_policy == "do_not_list" {
        NsfwFilter::Safe
    } else {
        NsfwFilter::Both
    };
    let nsfw = match params.get("nsfw") {
        None => default_nsfw,
        Some("both") => NsfwFilter::Both,
        Some("true") => NsfwFilter::Only,
        Some("false") => NsfwFilter::Safe,
        Some(raw) => {
            invalid.push(query_param(
                "nsfw",
                raw,
                "Should have a valid NSFW attribute",
            ));
            default_nsfw
        }
    };
    let is_local = params.boolean("isLocal", &mut invalid);
    let skip_count = params.boolean("skipCount", &mut invalid).unwrap_or(false);
    if !invalid.is_empty() {
        let target = uri.path_and_query().map_or("", |pq| pq.as_str());
        return Err(Problem::invalid_params(target, invalid).docs(op));
    }
    Ok(ListQuery {
        page,
        sort,
        nsfw,
        is_local,
        skip_count,
    })
}

fn list_response(total: u64, data: &[Value], skip_count: bool) -> Response {
    if skip_count {
        json_response(&json!({ "data": data }))
    } else {
        json_response(&json!({ "total": total, "data": data }))
    }
}

/// The database id an instance gives a federated video of instance `j`.
pub(crate) fn remote_id(j: usize, k: u64) -> u64 {
    ((j as u64 + 1) << 32) | (k & 0xFFFF_FFFF)
}

/// `GET /api/v1/videos`.
pub(crate) async fn list(inst: Inst, OriginalUri(uri): OriginalUri) -> Response {
    let params = Params::parse(uri.query());
    if params.get("filter").is_some() {
        return Problem::new(
            StatusCode::BAD_REQUEST,
            "\"filter\" query parameter is not supported anymore by PeerTube. Please use \"isLocal\" and \"include\" instead",
        )
        .docs("getVideos")
        .into_response();
    }
    if params.get("include").is_some() || params.get("privacyOneOf").is_some() {
        // Both need moderator rights; anonymous callers get a 401.
        return Problem::new(
            StatusCode::UNAUTHORIZED,
            "You are not allowed to see all videos, specify a valid OAuth token",
        )
        .docs("getVideos")
        .into_response();
    }
    let query = match parse_list(&inst, &params, &uri, "getVideos") {
        Ok(q) => q,
        Err(problem) => return problem.into_response(),
    };
    mutate::churn_tick(&inst.shared, inst.index);
    let (total, data) = list_page(&inst, query);
    list_response(total, &data, query.skip_count)
}

fn list_page(inst: &Inst, q: ListQuery) -> (u64, Vec<Value>) {
    let shared = &inst.shared;
    let state = inst.state();
    let spec = &state.spec;
    let old = inst.is_old();
    let fed = spec.follows.first().copied();
    let want_local = old || q.is_local != Some(false);
    let want_remote = old || q.is_local != Some(true);
    // Lock one overlay at a time: never two (no lock-order deadlock between instances).
    let remote_total = match fed {
        Some(j) if want_remote => {
            let other = shared.instance(j);
            let overlay = other.overlay();
            Visible::new(&other.spec, &overlay, q.nsfw).total()
        }
        _ => 0,
    };
    let generator = inst.generator();
    let local_total = if want_local {
        Visible::new(spec, &state.overlay(), q.nsfw).total()
    } else {
        0
    };
    let remote = if want_local {
        remote_total.min(local_total / 3)
    } else {
        remote_total
    };
    let slots = mixed_slots(local_total, remote, q.page.start, q.page.count);
    let (local_ranks, remote_ranks) = rank_ranges(&slots);
    let locals: Vec<(u64, VideoState)> = match local_ranks {
        Some((a, b)) => {
            let overlay = state.overlay();
            let indices = if q.sort.field == crate::listing::SortField::PublishedAt {
                Visible::new(spec, &overlay, q.nsfw).page_by_index(a, b - a, q.sort.desc)
            } else {
                let sorted = sorted_locals(state, &generator, &overlay, q.sort, q.nsfw);
                sorted
                    .get(a as usize..(b as usize).min(sorted.len()))
                    .unwrap_or_default()
                    .to_vec()
            };
            indices
                .into_iter()
                .map(|k| (k, overlay.state(spec, k)))
                .collect()
        }
        None => Vec::new(),
    };
    let remotes: Vec<(u64, VideoState)> = match (remote_ranks, fed) {
        (Some((c, d)), Some(j)) => {
            let other = shared.instance(j);
            let overlay = other.overlay();
            Visible::new(&other.spec, &overlay, q.nsfw)
                .page_by_index(c, d - c, true)
                .into_iter()
                .map(|k| (k, overlay.state(&other.spec, k)))
                .collect()
        }
        _ => Vec::new(),
    };
    let view = inst.view();
    let mut locals = locals.into_iter();
    let mut remotes = remotes.into_iter();
    let mut data: Vec<Value> = Vec::with_capacity(slots.len());
    for slot in slots {
        match slot {
            Slot::Local(_) => {
                if let Some((k, st)) = locals.next() {
                    let video = generator.video(k, &st);
                    data.push(video_item(&video, video.id, view));
                }
            }
            Slot::Remote(_) => {
                if let (Some((k, st)), Some(j)) = (remotes.next(), fed) {
                    let video = shared.generator(j).video(k, &st);
                    data.push(video_item(&video, remote_id(j, k), view));
                }
            }
        }
    }
    (local_total + remote, data)
}

/// Ranks `[a, b)` of one source, if the page has any.
type RankRange = Option<(u64, u64)>;

/// The contiguous rank ranges `[a, b)` of local and remote slots.
fn rank_ranges(slots: &[Slot]) -> (RankRange, RankRange) {
    let mut local: RankRange = None;
    let mut remote: RankRange = None;
    for slot in slots {
        let (range, r) = match *slot {
            Slot::Local(r) => (&mut local, r),
            Slot::Remote(r) => (&mut remote, r),
        };
        *range = Some(range.map_or((r, r + 1), |(a, b)| (a.min(r), b.max(r + 1))));
    }
    (local, remote)
}

/// Finds a video by numeric id, UUID or short UUID: `(instance, index)` or an error answer.
fn resolve(inst: &Inst, id: &str, uri: &Uri) -> Result<(usize, u64), Problem> {
    let not_found = || Problem::not_found("Video not found").docs("getVideo");
    let (j, k) = match parse_item_id(id) {
        ItemId::Numeric(0) => return Err(not_found()),
        ItemId::Numeric(n) if n >= 1 << 32 => ((n >> 32) as usize - 1, n & 0xFFFF_FFFF),
        ItemId::Numeric(n) => (inst.index, n - 1),
        ItemId::Uuid(uuid) => match inst.shared.codec.decode(uuid) {
            Some(d) if d.kind == Kind::Video => (d.instance, d.index),
            _ => return Err(not_found()),
        },
        ItemId::Invalid => {
            let target = uri.path_and_query().map_or("", |pq| pq.as_str());
            let param = InvalidParam {
                name: "id",
                value: id.to_owned(),
                msg: "Should have a valid video id (id, short UUID or UUID)".into(),
                location: "params",
            };
            return Err(Problem::invalid_params(target, vec![param]).docs("getVideo"));
        }
    };
    let spec = &inst.state().spec;
    let known = j == inst.index || spec.follows.contains(&j);
    let exists = known
        && inst
            .shared
            .instances
            .get(j)
            .is_some_and(|other| other.overlay().exists(&other.spec, k));
    if exists { Ok((j, k)) } else { Err(not_found()) }
}

fn path_id(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(id)| id).unwrap_or_default()
}

/// `GET /api/v1/videos/{id}`.
pub(crate) async fn details(
    inst: Inst,
    path: Result<Path<String>, PathRejection>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let id = path_id(path);
    match resolve(&inst, &id, &uri) {
        Ok((j, k)) => {
            let other = inst.shared.instance(j);
            let st = other.overlay().state(&other.spec, k);
            let video = inst.shared.generator(j).video(k, &st);
            let db_id = if j == inst.index {
                video.id
            } else {
                remote_id(j, k)
            };
            json_response(&video_details(&video, db_id, inst.view()))
        }
        Err(problem) => problem.into_response(),
    }
}

/// `GET /api/v1/videos/{id}/description`.
pub(crate) async fn description(
    inst: Inst,
    path: Result<Path<String>, PathRejection>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let id = path_id(path);
    match resolve(&inst, &id, &uri) {
        Ok((j, k)) => {
            let other = inst.shared.instance(j);
            let st = other.overlay().state(&other.spec, k);
            let video = inst.shared.generator(j).video(k, &st);
            json_response(&json!({ "description": video.description }))
        }
        Err(problem) => problem.into_response(),
    }
}

/// `GET /api/v1/video-channels/{handle}/videos`.
pub(crate) async fn channel_videos(
    inst: Inst,
    path: Result<Path<String>, PathRejection>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let handle = path_id(path);
    let params = Params::parse(uri.query());
    let query = match parse_list(&inst, &params, &uri, "getVideoChannelVideos") {
        Ok(q) => q,
        Err(problem) => return problem.into_response(),
    };
    let generator = inst.generator();
    let Some(c) = generator.channel_index(&handle) else {
        return Problem::not_found("Video channel not found").into_response();
    };
    let state = inst.state();
    let spec = &state.spec;
    let step = spec.channels.max(1);
    let (total, picked): (u64, Vec<(u64, VideoState)>) = {
        let overlay = state.overlay();
        let visible = Visible::new(spec, &overlay, query.nsfw);
        let mine: Vec<u64> = (c..overlay.index_count(spec))
            .step_by(step as usize)
            .filter(|&k| visible.passes(k))
            .collect();
        let total = mine.len() as u64;
        let sorted = sort_indices(&generator, &overlay, mine, query.sort);
        let start = query.page.start.min(total) as usize;
        let end = (query.page.start.saturating_add(query.page.count)).min(total) as usize;
        let picked = sorted[start..end]
            .iter()
            .map(|&k| (k, overlay.state(spec, k)))
            .collect();
        (total, picked)
    };
    let view = inst.view();
    let data: Vec<Value> = picked
        .iter()
        .map(|(k, st)| {
            let video = generator.video(*k, st);
            video_item(&video, video.id, view)
        })
        .collect();
    list_response(total, &data, query.skip_count)
}
