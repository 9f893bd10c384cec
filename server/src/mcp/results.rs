//! How call outcomes look to agents: the envelope on success, and one structured error shape shared by
//! MCP tool results (`structuredContent`) and REST error bodies.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Map, Value};

use switchboard_runtime::account::Account;
use switchboard_runtime::outcome::{Success, ToolError};

/// Which integration (and account, when there is one) a failed call was about.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    /// The integration's name.
    pub integration: &'a str,
    /// The account, when the call had one (a per-user integration the caller has not connected has
    /// none).
    pub account: Option<&'a str>,
}

impl<'a> From<&'a Account> for Subject<'a> {
    fn from(account: &'a Account) -> Self {
        Self {
            integration: &account.integration,
            account: Some(&account.id),
        }
    }
}

/// A successful call as an MCP tool result: the envelope as `structuredContent` and the same JSON as text.
pub fn success_result(success: Success) -> CallToolResult {
    CallToolResult::structured(success.envelope)
}

/// A failed call as an MCP tool result with `isError: true`; `structuredContent` is [`error_value`].
pub fn error_result(error: &ToolError, subject: Option<Subject<'_>>) -> CallToolResult {
    let value = error_value(error, subject);
    let mut result = CallToolResult::error(vec![ContentBlock::text(value.to_string())]);
    result.structured_content = Some(value);
    result
}

/// The structured form of a tool error:
/// `{"error": {"code", "message", …}, "status", "retry_after", "rate_limit"}`.
///
/// `error.code` is the stable Switchboard code ([`ToolError::code`]); the vendor's own code, when read,
/// is `error.vendor_code`. `status`, `retry_after` and `rate_limit` appear when the vendor was reached
/// (rate-limited or upstream errors), so an agent can decide when to try again without another call.
/// `auth_required` names the `integration`, the `account` and the `authorization_url` a person opens.
pub fn error_value(error: &ToolError, subject: Option<Subject<'_>>) -> Value {
    let mut detail = Map::new();
    detail.insert("code".into(), Value::from(error.code()));
    detail.insert("message".into(), Value::from(message(error)));
    let mut body = Map::new();
    match error {
        ToolError::InvalidArguments { pointer, .. } => {
            detail.insert("pointer".into(), Value::from(pointer.as_str()));
        }
        ToolError::RateLimited {
            status,
            rate_limit,
            code,
            ..
        } => {
            detail.insert("vendor_code".into(), option_str(code.as_deref()));
            body.insert("status".into(), Value::from(*status));
            body.insert("retry_after".into(), option_u64(retry_after(error)));
            body.insert("rate_limit".into(), rate_limit_value(rate_limit));
        }
        ToolError::Upstream {
            status,
            code,
            rate_limit,
            ..
        } => {
            detail.insert("vendor_code".into(), option_str(code.as_deref()));
            body.insert("status".into(), Value::from(*status));
            body.insert("rate_limit".into(), rate_limit_value(rate_limit));
        }
        ToolError::AuthRequired { reconnect_url, .. } => {
            detail.insert(
                "authorization_url".into(),
                option_str(reconnect_url.as_deref()),
            );
            if let Some(subject) = subject {
                detail.insert("integration".into(), Value::from(subject.integration));
                if let Some(account) = subject.account {
                    detail.insert("account".into(), Value::from(account));
                }
            }
        }
        ToolError::UnknownTool(name) => {
            detail.insert("tool".into(), Value::from(name.as_str()));
        }
        ToolError::Busy(_) => {
            body.insert("retry_after".into(), option_u64(retry_after(error)));
        }
        ToolError::InvalidCursor(_)
        | ToolError::Timeout
        | ToolError::Transport(_)
        | ToolError::UpstreamInvalid(_)
        | ToolError::Mapping(_) => {}
    }
    body.insert("error".into(), Value::Object(detail));
    Value::Object(body)
}

/// Seconds an agent should wait before calling again: the vendor's retry figure, else the time until
/// its window resets; a moment when this server is busy. `None` for other errors.
pub fn retry_after(error: &ToolError) -> Option<u64> {
    match error {
        ToolError::RateLimited {
            retry_after,
            rate_limit,
            ..
        } => retry_after.or(rate_limit.reset),
        ToolError::Busy(_) => Some(BUSY_RETRY_AFTER),
        _ => None,
    }
}

/// Seconds to wait after `upstream_busy`: the answers holding the budget finish within a call's
/// timeout, most much sooner.
const BUSY_RETRY_AFTER: u64 = 1;

/// Rate-limit figures as JSON (`null` for unknown figures), as in success envelopes.
pub use switchboard_runtime::envelope::rate_limit_value;

/// A human-readable message for the error.
pub fn message(error: &ToolError) -> String {
    match error {
        ToolError::UnknownTool(name) => format!("unknown tool `{name}`"),
        ToolError::InvalidArguments { pointer, message } if pointer.is_empty() => {
            format!("invalid arguments: {message}")
        }
        ToolError::InvalidArguments { pointer, message } => {
            format!("invalid argument at `{pointer}`: {message}")
        }
        ToolError::InvalidCursor(message) => format!("invalid next_cursor: {message}"),
        ToolError::RateLimited { message, .. } | ToolError::Upstream { message, .. } => {
            message.clone()
        }
        ToolError::Timeout => "the vendor did not answer in time".to_owned(),
        ToolError::AuthRequired { message, .. } => message.clone(),
        ToolError::Transport(message)
        | ToolError::UpstreamInvalid(message)
        | ToolError::Busy(message)
        | ToolError::Mapping(message) => message.clone(),
    }
}

fn option_str(value: Option<&str>) -> Value {
    value.map_or(Value::Null, Value::from)
}

fn option_u64(value: Option<u64>) -> Value {
    value.map_or(Value::Null, Value::from)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use switchboard_runtime::outcome::RateLimitInfo;

    #[test]
    fn rate_limited_carries_status_retry_and_figures() {
        let error = ToolError::RateLimited {
            status: 429,
            retry_after: None,
            rate_limit: RateLimitInfo {
                limit: Some(100),
                remaining: Some(0),
                reset: Some(7),
            },
            code: Some("RATE_LIMIT".into()),
            message: "slow down".into(),
        };
        let result = error_result(&error, None);
        assert_eq!(result.is_error, Some(true));
        assert_eq!(
            result.structured_content,
            Some(json!({
                "error": {"code": "rate_limited", "message": "slow down", "vendor_code": "RATE_LIMIT"},
                "status": 429,
                "retry_after": 7,
                "rate_limit": {"limit": 100, "remaining": 0, "reset": 7},
            }))
        );
    }

    #[test]
    fn invalid_arguments_name_the_pointer() {
        let error = ToolError::InvalidArguments {
            pointer: "/limit".into(),
            message: "must be at most 100".into(),
        };
        let value = error_value(&error, None);
        assert_eq!(value["error"]["pointer"], "/limit");
        assert_eq!(value["error"]["code"], "invalid_arguments");
        assert!(
            value["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("/limit"))
        );
    }

    #[test]
    fn invalid_answers_and_busy_have_their_own_codes() {
        let invalid = error_result(&ToolError::UpstreamInvalid("not JSON".into()), None);
        assert_eq!(invalid.is_error, Some(true));
        assert_eq!(
            invalid.structured_content,
            Some(json!({"error": {"code": "upstream_invalid_response", "message": "not JSON"}}))
        );
        let busy = error_value(&ToolError::Busy("full".into()), None);
        assert_eq!(
            busy,
            json!({"error": {"code": "upstream_busy", "message": "full"}, "retry_after": 1})
        );
        let unreachable = error_value(&ToolError::Transport("refused".into()), None);
        assert_eq!(unreachable["error"]["code"], "upstream_unreachable");
    }

    #[test]
    fn success_mirrors_the_envelope_as_text() {
        let envelope = json!({"result": [], "next_cursor": null, "result_count": 0});
        let result = success_result(Success {
            envelope: envelope.clone(),
            upstream_status: 200,
            rate_limit: RateLimitInfo::default(),
        });
        assert_eq!(result.is_error, Some(false));
        assert_eq!(result.structured_content, Some(envelope.clone()));
        let text = result
            .content
            .first()
            .and_then(|c| c.as_text())
            .map(|t| t.text.clone());
        assert_eq!(
            text.map(|t| serde_json::from_str::<Value>(&t).ok()),
            Some(Some(envelope))
        );
    }
}
