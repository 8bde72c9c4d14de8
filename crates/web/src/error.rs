//! Errors of the JSON API, answered as RFC 7807 problems shaped like PeerTube's.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use index::{IndexError, QueryError};
use serde_json::json;

/// What an API request can fail with; each maps to a status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter the caller must fix (400, naming it).
    #[error("invalid parameter {parameter}: {message}")]
    InvalidParameter {
        parameter: &'static str,
        message: String,
        /// The value received, echoed back as PeerTube does.
        value: Option<String>,
    },
    /// The body could not be read as parameters (400).
    #[error("{0}")]
    BadBody(String),
    #[error("not found")]
    NotFound,
    /// Anything else: logged once here, never detailed to the caller (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A parameter error with the value that was sent.
    pub fn parameter(error: QueryError, value: Option<String>) -> Self {
        Self::InvalidParameter {
            parameter: error.parameter,
            message: error.message,
            value,
        }
    }
}

impl From<IndexError> for ApiError {
    fn from(error: IndexError) -> Self {
        match error {
            IndexError::Query(error) => Self::parameter(error, None),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<store::StoreError> for ApiError {
    fn from(error: store::StoreError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::Internal(format!("a search task failed: {error}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            Self::InvalidParameter {
                parameter,
                message,
                value,
            } => {
                let detail = format!("Incorrect request parameters: {parameter}");
                (
                    StatusCode::BAD_REQUEST,
                    json!({
                        "type": "about:blank",
                        "title": "Bad Request",
                        "status": 400,
                        "detail": detail,
                        "error": detail,
                        "invalid-params": {
                            *parameter: {
                                "type": "field",
                                "msg": message,
                                "path": parameter,
                                "value": value,
                            }
                        },
                    }),
                )
            }
            Self::BadBody(message) => (
                StatusCode::BAD_REQUEST,
                json!({
                    "type": "about:blank",
                    "title": "Bad Request",
                    "status": 400,
                    "detail": message,
                    "error": message,
                }),
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                json!({
                    "type": "about:blank",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "Not found",
                    "error": "Not found",
                }),
            ),
            Self::Internal(message) => {
                tracing::error!(error = %message, "API request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({
                        "type": "about:blank",
                        "title": "Internal Server Error",
                        "status": 500,
                        "detail": "The server could not answer; the error is logged.",
                    }),
                )
            }
        };
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json; charset=utf-8"),
        );
        response
    }
}
