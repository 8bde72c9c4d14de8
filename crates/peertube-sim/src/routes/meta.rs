//! Instance identity endpoints: config, about, stats, nodeinfo and the label tables.

use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::Inst;
use crate::content::text;
use crate::mix::{Dice, tag};
use crate::problem::json_response;
use crate::tables::{
    CATEGORIES, LICENCES, config_template, languages as language_table, nodeinfo_template,
    numbered, stats_template,
};

/// The PeerTube version an instance reports.
pub(crate) fn server_version(inst: &Inst) -> &'static str {
    if inst.is_old() {
        return "3.4.1";
    }
    let mut dice = Dice::new(inst.shared.seed, inst.index as u64, 1, tag::INSTANCE);
    dice.word(&["6.3.0", "6.3.0", "6.3.0", "6.2.1", "6.1.0"])
}

/// Name, short description and description, with payloads on hostile instances.
pub(crate) fn identity(inst: &Inst) -> (String, String, String) {
    let spec = &inst.state().spec;
    let names = (
        spec.name.clone(),
        spec.short_description.clone(),
        spec.description.clone(),
    );
    if !inst.generator().flavor.xss {
        return names;
    }
    let mut dice = Dice::new(inst.shared.seed, inst.index as u64, 2, tag::INSTANCE);
    (
        text::xss(&names.0, &mut dice),
        text::xss(&names.1, &mut dice),
        text::xss_markdown(&names.2, &mut dice),
    )
}

fn set(value: &mut Value, path: &[&str], new: Value) {
    let mut target = value;
    for key in &path[..path.len() - 1] {
        match target.get_mut(*key) {
            Some(next) => target = next,
            None => return,
        }
    }
    if let Some(map) = target.as_object_mut() {
        map.insert(path[path.len() - 1].to_owned(), new);
    }
}

fn cached(mut response: Response, seconds: u32) -> Response {
    if let Ok(value) = HeaderValue::from_str(&format!("max-age={seconds}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

/// `GET /api/v1/config`.
pub(crate) async fn config(inst: Inst) -> Response {
    let spec = &inst.state().spec;
    let (name, short, _) = identity(&inst);
    let mut value = config_template().clone();
    set(&mut value, &["instance", "name"], name.into());
    set(&mut value, &["instance", "shortDescription"], short.into());
    set(
        &mut value,
        &["instance", "defaultNSFWPolicy"],
        spec.nsfw_policy.into(),
    );
    set(
        &mut value,
        &["instance", "isNSFW"],
        (spec.nsfw_period != 0 && spec.nsfw_period < 15).into(),
    );
    set(&mut value, &["serverVersion"], server_version(&inst).into());
    set(
        &mut value,
        &["signup", "allowed"],
        spec.index.is_multiple_of(3).into(),
    );
    json_response(&value)
}

/// `GET /api/v1/config/about`.
pub(crate) async fn about(inst: Inst) -> Response {
    let spec = &inst.state().spec;
    let (name, short, description) = identity(&inst);
    json_response(&json!({
        "instance": {
            "name": name, "shortDescription": short, "description": description,
            "terms": "Soyez respectueux·ses. Be nice.", "codeOfConduct": "", "hardwareInformation": "",
            "creationReason": "", "moderationInformation": "", "administrator": "",
            "maintenanceLifetime": "", "businessModel": "",
            "languages": spec.languages, "categories": spec.categories,
            "banners": [], "avatars": [],
        }
    }))
}

/// `GET /api/v1/server/stats`.
pub(crate) async fn stats(inst: Inst) -> Response {
    let state = inst.state();
    let spec = &state.spec;
    let local = state.overlay().live_count(spec);
    let remote: u64 = spec
        .follows
        .iter()
        .map(|&j| inst.shared.instance(j).spec.base_videos.min(local / 3))
        .sum();
    let mut value = stats_template().clone();
    let numbers = [
        ("totalUsers", spec.users),
        ("totalDailyActiveUsers", spec.users / 4),
        ("totalWeeklyActiveUsers", spec.users / 2),
        ("totalMonthlyActiveUsers", spec.users * 3 / 4),
        ("totalLocalVideos", local),
        ("totalLocalVideoViews", local * 150),
        ("totalLocalVideoComments", local * 2),
        ("totalLocalVideoFilesSize", local * 180_000_000),
        ("totalVideos", local + remote),
        ("totalVideoComments", local * 3),
        ("totalLocalVideoChannels", spec.channels),
        ("totalLocalPlaylists", spec.playlists),
        ("totalInstanceFollowers", spec.followers.len() as u64),
        ("totalInstanceFollowing", spec.follows.len() as u64),
    ];
    for (key, number) in numbers {
        set(&mut value, &[key], number.into());
    }
    cached(json_response(&value), 14_400)
}

/// `GET /.well-known/nodeinfo`.
pub(crate) async fn well_known_nodeinfo(inst: Inst) -> Response {
    let base = &inst.state().spec.base_url;
    let value = json!({
        "links": [
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{base}/nodeinfo/2.0.json") },
            { "rel": "https://www.w3.org/ns/activitystreams#Application", "href": format!("{base}/accounts/peertube") },
        ]
    });
    cached(json_response(&value), 600)
}

/// `GET /nodeinfo/2.0.json`.
pub(crate) async fn nodeinfo(inst: Inst) -> Response {
    let state = inst.state();
    let spec = &state.spec;
    let (name, short, _) = identity(&inst);
    let local = state.overlay().live_count(spec);
    let mut value = nodeinfo_template().clone();
    set(
        &mut value,
        &["software", "version"],
        server_version(&inst).into(),
    );
    set(
        &mut value,
        &["openRegistrations"],
        spec.index.is_multiple_of(3).into(),
    );
    set(&mut value, &["usage", "users", "total"], spec.users.into());
    set(
        &mut value,
        &["usage", "users", "activeMonth"],
        (spec.users * 3 / 4).into(),
    );
    set(
        &mut value,
        &["usage", "users", "activeHalfyear"],
        spec.users.into(),
    );
    set(&mut value, &["usage", "localPosts"], local.into());
    set(&mut value, &["usage", "localComments"], (local * 2).into());
    set(&mut value, &["metadata", "nodeName"], name.into());
    set(&mut value, &["metadata", "nodeDescription"], short.into());
    let mut response = cached(json_response(&value), 600);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/json; charset=utf-8; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\"",
        ),
    );
    response
}

pub(crate) async fn categories() -> Response {
    json_response(&numbered(&CATEGORIES))
}

pub(crate) async fn licences() -> Response {
    json_response(&numbered(&LICENCES))
}

pub(crate) async fn languages() -> Response {
    json_response(language_table())
}

pub(crate) async fn privacies() -> Response {
    json_response(&numbered(&[
        "Public",
        "Unlisted",
        "Private",
        "Internal",
        "Password protected",
    ]))
}
