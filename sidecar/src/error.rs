//! Refusals on the request path: each maps to one HTTP status, a JSON body carrying the
//! request id, and the decision/reason written into the access record.

use crate::proxy::{ProxyBody, ProxyError};
use bytes::Bytes;
use http::{Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use zegel_audit::Decision;

/// Why zegel answered instead of the upstream.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The request target is malformed or ambiguous (400).
    #[error("bad request target: {0}")]
    BadTarget(String),
    /// No acceptable identity (401).
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// The policy does not allow it (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The body is larger than allowed (413).
    #[error("request body too large: {0}")]
    TooLarge(String),
    /// The access record could not be made durable (503): nothing is forwarded.
    #[error("audit log unavailable: {0}")]
    LogUnavailable(String),
    /// The upstream failed (502) or timed out (504).
    #[error("{0}")]
    Upstream(ProxyError),
}

impl Refusal {
    /// The status sent to the client.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::BadTarget(_) => StatusCode::BAD_REQUEST,
            Refusal::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Refusal::Forbidden(_) => StatusCode::FORBIDDEN,
            Refusal::TooLarge(_) | Refusal::Upstream(ProxyError::BodyTooLarge) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Refusal::LogUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::Upstream(ProxyError::Timeout(_)) => StatusCode::GATEWAY_TIMEOUT,
            Refusal::Upstream(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// The decision recorded for a refusal made before forwarding.
    pub fn decision(&self) -> Decision {
        match self {
            Refusal::Forbidden(_) => Decision::Deny,
            _ => Decision::Reject,
        }
    }

    /// A short machine-readable code for the JSON body.
    fn code(&self) -> &'static str {
        match self {
            Refusal::BadTarget(_) => "bad_request_target",
            Refusal::Unauthenticated(_) => "unauthenticated",
            Refusal::Forbidden(_) => "forbidden",
            Refusal::TooLarge(_) => "payload_too_large",
            Refusal::LogUnavailable(_) => "audit_log_unavailable",
            Refusal::Upstream(ProxyError::Timeout(_)) => "upstream_timeout",
            Refusal::Upstream(ProxyError::BodyTooLarge) => "payload_too_large",
            Refusal::Upstream(_) => "upstream_unavailable",
        }
    }

    /// What the client is told. Policy details stay in the log: the request id links them.
    fn public_message(&self) -> String {
        match self {
            Refusal::Forbidden(_) => "access denied by policy".into(),
            Refusal::LogUnavailable(_) => {
                "the access log is unavailable; the request was not forwarded".into()
            }
            Refusal::Upstream(ProxyError::Timeout(_)) => {
                "the application did not respond in time".into()
            }
            Refusal::Upstream(_) => "the application is unavailable".into(),
            other => other.to_string(),
        }
    }

    /// The JSON error response.
    pub fn response(&self, request_id: &str) -> Response<ProxyBody> {
        json_response(
            self.status(),
            self.code(),
            &self.public_message(),
            request_id,
        )
    }
}

/// A JSON error body `{"error", "message", "request_id"}` with `status`.
pub fn json_response(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<ProxyBody> {
    let body = serde_json::json!({ "error": code, "message": message, "request_id": request_id });
    let mut resp = Response::new(
        Full::new(Bytes::from(body.to_string()))
            .map_err(|never| match never {})
            .boxed(),
    );
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    if let Ok(v) = http::HeaderValue::from_str(request_id) {
        h.insert("x-request-id", v);
    }
    if status == StatusCode::UNAUTHORIZED {
        h.insert(
            header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Bearer"),
        );
    }
    resp
}
