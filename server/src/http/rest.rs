//! The REST mirror: `POST /mcp/{token}/tools/{tool}` with the arguments as the JSON body, and
//! `GET /mcp/{token}/tools` listing what the server exposes.
//!
//! Tool errors become real HTTP statuses (see [`status_of`]) with the same JSON body an MCP client
//! finds in `structuredContent`; rate-limit figures become headers (see [`super::rate_limit_headers`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};

use super::request_id::RequestId;
use super::{AppState, not_found_response, rate_limit_headers};
use crate::audit::Via;
use crate::gateway::{self, Caller, Refused};
use crate::mcp::results::Subject;
use crate::mcp::{describe_for, results};
use switchboard_runtime::outcome::{RateLimitInfo, ToolError};

/// `GET /mcp/{token}/tools`: `{"tools": [...]}` in MCP's tool shape, sorted by name.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let binding = match state.resolve(token, &headers).await {
        Ok(Some(binding)) => binding,
        Ok(None) => return not_found_response(),
        Err(response) => return response,
    };
    let tools: Vec<_> = binding
        .tools(&state.executor)
        .into_iter()
        .map(|tool| describe_for(&state.executor, &binding, tool))
        .collect();
    Json(json!({ "tools": tools })).into_response()
}

/// `POST /mcp/{token}/tools/{tool}`.
pub(crate) async fn call(
    State(state): State<Arc<AppState>>,
    Path((token, tool_name)): Path<(String, String)>,
    request_id: Option<Extension<RequestId>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let binding = match state.resolve(token, &headers).await {
        Ok(Some(binding)) => binding,
        Ok(None) => return not_found_response(),
        Err(response) => return response,
    };
    let arguments = match parse_arguments(&body) {
        Ok(arguments) => arguments,
        Err(error) => {
            return error_response(&error, None);
        }
    };
    let request = request_id.map(|Extension(RequestId(id))| id);
    let caller = Caller {
        via: Via::Rest,
        request_id: request.as_deref(),
    };
    let called = match gateway::call(
        &state.executor,
        &state.audit,
        &binding,
        &tool_name,
        arguments,
        caller,
    )
    .await
    {
        Ok(called) => called,
        Err(Refused::UnknownTool(name)) => {
            return error_response(&ToolError::UnknownTool(name), None);
        }
        Err(Refused::InsufficientScope { message, missing }) => {
            return (
                StatusCode::FORBIDDEN,
                Json(
                    json!({"error": {"code": "insufficient_scope", "message": message,
                                           "missing_scopes": missing}}),
                ),
            )
                .into_response();
        }
    };
    let subject = called.subject();
    match &called.outcome {
        Ok(success) => {
            let mut response = Json(&success.envelope).into_response();
            rate_limit_headers::apply(response.headers_mut(), &success.rate_limit, None);
            response
        }
        Err(error) => error_response(error, Some(subject)),
    }
}

/// The body as tool arguments: a JSON object; an empty body is `{}`.
fn parse_arguments(body: &[u8]) -> Result<Value, ToolError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err(ToolError::InvalidArguments {
            pointer: String::new(),
            message: "the request body must be a JSON object of arguments".into(),
        }),
        Err(error) => Err(ToolError::InvalidArguments {
            pointer: String::new(),
            message: format!("the request body is not valid JSON: {error}"),
        }),
    }
}

/// The HTTP status a tool error answers with.
pub(crate) fn status_of(error: &ToolError) -> StatusCode {
    match error {
        ToolError::InvalidArguments { .. } | ToolError::InvalidCursor(_) => StatusCode::BAD_REQUEST,
        ToolError::UnknownTool(_) => StatusCode::NOT_FOUND,
        ToolError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        ToolError::Upstream { status, .. } if (400..500).contains(status) => {
            StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY)
        }
        ToolError::Upstream { .. }
        | ToolError::Transport(_)
        | ToolError::UpstreamInvalid(_)
        | ToolError::Mapping(_) => StatusCode::BAD_GATEWAY,
        ToolError::AuthRequired { .. } => StatusCode::UNAUTHORIZED,
        ToolError::Timeout => StatusCode::GATEWAY_TIMEOUT,
        // This server's own memory budget, not the vendor: try again shortly (`Retry-After`).
        ToolError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn error_response(error: &ToolError, subject: Option<Subject<'_>>) -> Response {
    let mut body = results::error_value(error, subject);
    if let ToolError::AuthRequired { reconnect_url, .. } = error
        && let Value::Object(body) = &mut body
    {
        // `{"error": {"type": "auth_required", …}, "authorization_urls": {"<integration>": URL}}`:
        // one URL per integration to connect, the shape an app checks before starting an agent.
        if let Some(Value::Object(detail)) = body.get_mut("error") {
            detail.insert("type".into(), Value::from(error.code()));
        }
        let mut urls = serde_json::Map::new();
        if let (Some(url), Some(subject)) = (reconnect_url, subject) {
            urls.insert(subject.integration.to_owned(), Value::from(url.as_str()));
        }
        body.insert("authorization_urls".into(), Value::Object(urls));
    }
    let mut response = (status_of(error), Json(body)).into_response();
    let figures = match error {
        ToolError::RateLimited { rate_limit, .. } | ToolError::Upstream { rate_limit, .. } => {
            *rate_limit
        }
        _ => RateLimitInfo::default(),
    };
    rate_limit_headers::apply(
        response.headers_mut(),
        &figures,
        results::retry_after(error),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let upstream = |status| ToolError::Upstream {
            status,
            code: None,
            message: String::new(),
            rate_limit: RateLimitInfo::default(),
        };
        assert_eq!(status_of(&upstream(404)), StatusCode::NOT_FOUND);
        assert_eq!(status_of(&upstream(422)), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(status_of(&upstream(500)), StatusCode::BAD_GATEWAY);
        assert_eq!(status_of(&upstream(503)), StatusCode::BAD_GATEWAY);
        assert_eq!(status_of(&ToolError::Timeout), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(
            status_of(&ToolError::AuthRequired {
                reconnect_url: None,
                message: String::new()
            }),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status_of(&ToolError::InvalidCursor(String::new())),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status_of(&ToolError::UpstreamInvalid(String::new())),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(
            status_of(&ToolError::Transport(String::new())),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(
            status_of(&ToolError::Busy(String::new())),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn busy_says_when_to_try_again() {
        let response = error_response(&ToolError::Busy(String::new()), None);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );
    }

    #[test]
    fn arguments() {
        assert_eq!(parse_arguments(b""), Ok(json!({})));
        assert_eq!(parse_arguments(b" \n"), Ok(json!({})));
        assert_eq!(parse_arguments(br#"{"limit": 5}"#), Ok(json!({"limit": 5})));
        assert!(matches!(
            parse_arguments(b"[1]"),
            Err(ToolError::InvalidArguments { pointer, .. }) if pointer.is_empty()
        ));
        assert!(parse_arguments(b"{").is_err());
    }
}
