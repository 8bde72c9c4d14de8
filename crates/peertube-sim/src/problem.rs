//! PeerTube's RFC 7807 error answers (`application/problem+json; charset=utf-8`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

pub(crate) const PROBLEM_JSON: &str = "application/problem+json; charset=utf-8";
pub(crate) const JSON: &str = "application/json; charset=utf-8";
const DOCS: &str = "https://docs.joinpeertube.org/api-rest-reference.html#operation/";

/// One invalid request parameter, as express-validator reports it.
#[derive(Debug, Clone)]
pub(crate) struct InvalidParam {
    pub(crate) name: &'static str,
    pub(crate) value: String,
    pub(crate) msg: String,
    /// `query` or `params`.
    pub(crate) location: &'static str,
}

/// A problem document with PeerTube's extensions (`docs`, `error`).
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    status: StatusCode,
    detail: String,
    instance: Option<String>,
    invalid: Vec<InvalidParam>,
    operation: Option<&'static str>,
}

impl Problem {
    pub(crate) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            instance: None,
            invalid: Vec::new(),
            operation: None,
        }
    }

    /// "Incorrect request parameters: a, b" with the `invalid-params` map.
    pub(crate) fn invalid_params(uri: &str, invalid: Vec<InvalidParam>) -> Self {
        let names: Vec<&str> = invalid.iter().map(|p| p.name).collect();
        Self {
            status: StatusCode::BAD_REQUEST,
            detail: format!("Incorrect request parameters: {}", names.join(", ")),
            instance: Some(uri.to_owned()),
            invalid,
            operation: None,
        }
    }

    pub(crate) fn not_found(detail: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// The API documentation anchor (`getVideos`, `getVideo`...).
    pub(crate) fn docs(mut self, operation: &'static str) -> Self {
        self.operation = Some(operation);
        self
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("type".into(), "about:blank".into());
        map.insert(
            "title".into(),
            self.status.canonical_reason().unwrap_or("Error").into(),
        );
        map.insert("detail".into(), self.detail.clone().into());
        if let Some(instance) = &self.instance {
            map.insert("instance".into(), instance.clone().into());
        }
        map.insert("status".into(), self.status.as_u16().into());
        if !self.invalid.is_empty() {
            let params: Map<String, Value> = self
                .invalid
                .iter()
                .map(|p| {
                    let entry = json!({
                        "type": "field", "value": p.value, "msg": p.msg,
                        "path": p.name, "location": p.location,
                    });
                    (p.name.to_owned(), entry)
                })
                .collect();
            map.insert("invalid-params".into(), Value::Object(params));
        }
        if let Some(op) = self.operation {
            map.insert("docs".into(), format!("{DOCS}{op}").into());
        }
        map.insert("error".into(), self.detail.clone().into());
        Value::Object(map)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.to_json().to_string();
        let mut response = (self.status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

/// A 200 JSON answer with PeerTube's content type.
pub(crate) fn json_response(value: &Value) -> Response {
    json_bytes(StatusCode::OK, value.to_string().into_bytes())
}

pub(crate) fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_problem_matches_the_fixture() {
        let fixture: Value = serde_json::from_str(include_str!(
            "../tests/fixtures-6.3.0/error-count-too-large.json"
        ))
        .unwrap();
        let problem = Problem::invalid_params(
            "/api/v1/videos?count=500",
            vec![InvalidParam {
                name: "count",
                value: "500".into(),
                msg: "Should have a number count (max: 100)".into(),
                location: "query",
            }],
        )
        .docs("getVideos");
        assert_eq!(problem.to_json(), fixture);
    }
}
