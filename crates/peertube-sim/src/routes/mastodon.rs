//! The `NotPeerTube` fault: a Mastodon server's nodeinfo and instance, and 404 for PeerTube's API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::problem::{JSON, json_response};
use crate::state::Shared;

/// Answers a request to an instance that is really a Mastodon server.
pub(crate) fn respond(shared: &Shared, index: usize, path: &str) -> Response {
    let spec = &shared.instance(index).spec;
    let base = &spec.base_url;
    match path {
        "/.well-known/nodeinfo" => json_response(&json!({
            "links": [{ "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": format!("{base}/nodeinfo/2.0") }]
        })),
        "/nodeinfo/2.0" | "/nodeinfo/2.0.json" => json_response(&json!({
            "version": "2.0",
            "software": { "name": "mastodon", "version": "4.3.2" },
            "protocols": ["activitypub"],
            "services": { "outbound": [], "inbound": [] },
            "usage": {
                "users": { "total": spec.users, "activeMonth": spec.users / 2, "activeHalfyear": spec.users },
                "localPosts": spec.base_videos * 7,
            },
            "openRegistrations": true,
            "metadata": { "nodeName": spec.name, "nodeDescription": spec.short_description },
        })),
        "/api/v1/instance" => json_response(&json!({
            "uri": spec.host, "title": spec.name, "short_description": spec.short_description,
            "description": spec.description, "version": "4.3.2", "languages": spec.languages,
            "registrations": true, "stats": { "user_count": spec.users, "status_count": spec.base_videos * 7, "domain_count": 1200 },
        })),
        "/robots.txt" => {
            (StatusCode::OK, "User-agent: *\nDisallow: /media_proxy/\n").into_response()
        }
        _ if path.starts_with("/api/") => {
            let mut response =
                (StatusCode::NOT_FOUND, "{\"error\":\"Record not found\"}").into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
            response
        }
        _ => {
            let mut response = (
                StatusCode::NOT_FOUND,
                "<!DOCTYPE html><html><head><title>The page you are looking for isn't here. - Mastodon</title></head><body><h1>404</h1></body></html>",
            )
                .into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response
        }
    }
}
