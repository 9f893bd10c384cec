//! Turns a vendor's 4xx/5xx answer into an error an agent can act on: rate limited, re-authenticate,
//! or `{status, code, message}` read where the integration's table says the vendor puts them.

use serde_json::Value;

use crate::outcome::ToolError;
use crate::rate_limit::RateLimitReading;
use crate::table::Integration;

/// Longest vendor message passed on; error bodies can be large and the agent needs the gist.
const MAX_MESSAGE_CHARS: usize = 1000;

/// The error for an upstream answer with status ≥ 400.
pub fn classify(
    integration: &Integration,
    status: u16,
    reason: Option<&str>,
    body: &[u8],
    reading: RateLimitReading,
) -> ToolError {
    let (code, message) = read_code_and_message(integration, status, reason, body);
    if is_rate_limited(integration, status, code.as_deref()) {
        return ToolError::RateLimited {
            status,
            retry_after: reading.retry_after,
            rate_limit: reading.info,
            code,
            message,
        };
    }
    if status == 401 {
        return ToolError::AuthRequired {
            reconnect_url: None,
            message: format!(
                "the vendor refused the account's credentials ({status}): {message}; reconnect the account"
            ),
        };
    }
    ToolError::Upstream {
        status,
        code,
        message,
        rate_limit: reading.info,
    }
}

/// Whether `(status, code)` means "rate limited" for this integration.
///
/// 429 always does: it is HTTP's own "Too Many Requests", not vendor knowledge. The table adds the
/// vendor's equivalents; a rule with a code matches only that code.
pub fn is_rate_limited(integration: &Integration, status: u16, code: Option<&str>) -> bool {
    status == 429
        || integration
            .rate_limit
            .limited_when
            .iter()
            .any(|(rule_status, rule_code)| {
                *rule_status == status
                    && match rule_code {
                        None => true,
                        Some(rule_code) => code == Some(*rule_code),
                    }
            })
}

/// The vendor's code and message, with the HTTP reason (or the start of a text body) as fallback.
pub fn read_code_and_message(
    integration: &Integration,
    status: u16,
    reason: Option<&str>,
    body: &[u8],
) -> (Option<String>, String) {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let code = json
        .as_ref()
        .zip(integration.errors.code)
        .and_then(|(json, pointer)| text_at(json, pointer));
    let message = json
        .as_ref()
        .and_then(|json| text_at(json, integration.errors.message))
        .or_else(|| {
            // A short plain-text body (a proxy's "upstream timed out") says more than the reason.
            let text = std::str::from_utf8(body).ok()?.trim();
            (json.is_none() && !text.is_empty() && !text.starts_with('<')).then(|| text.to_owned())
        })
        .unwrap_or_else(|| match reason {
            Some(reason) => format!("HTTP {status} {reason}"),
            None => format!("HTTP {status}"),
        });
    (code, truncate(message))
}

/// A string or number at `pointer`, as text; anything else is not a usable message or code.
fn text_at(json: &Value, pointer: &str) -> Option<String> {
    let text = match json.pointer(pointer)? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

fn truncate(message: String) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::RateLimitInfo;
    use crate::table::{Auth, ErrorRules, RateLimit};

    fn integration(
        message: &'static str,
        code: Option<&'static str>,
        limited_when: &'static [(u16, Option<&'static str>)],
    ) -> Integration {
        Integration {
            name: "example",
            display_name: "Example",
            description: "",
            categories: &[],
            docs_url: "",
            base_url: "https://api.example.test",
            auth: Auth {
                oauth2: None,
                bearer: true,
                api_key: None,
                basic: false,
            },
            rate_limit: RateLimit {
                headers: &[],
                limited_when,
            },
            errors: ErrorRules { message, code },
            tools: &[],
            maps: &[],
        }
    }

    fn reading() -> RateLimitReading {
        RateLimitReading {
            info: RateLimitInfo {
                limit: Some(10),
                remaining: Some(0),
                reset: Some(5),
            },
            retry_after: Some(5),
        }
    }

    #[test]
    fn reads_code_and_message_from_an_array_body() {
        let table = integration(
            "/0/message",
            Some("/0/errorCode"),
            &[(403, Some("LIMITED"))],
        );
        let body = br#"[{"message":"Too many","errorCode":"LIMITED"}]"#;
        let error = classify(&table, 403, Some("Forbidden"), body, reading());
        assert_eq!(
            error,
            ToolError::RateLimited {
                status: 403,
                retry_after: Some(5),
                rate_limit: reading().info,
                code: Some("LIMITED".to_owned()),
                message: "Too many".to_owned(),
            }
        );
        let other = br#"[{"message":"No access","errorCode":"INSUFFICIENT_ACCESS"}]"#;
        assert!(matches!(
            classify(&table, 403, Some("Forbidden"), other, reading()),
            ToolError::Upstream { status: 403, code: Some(code), .. } if code == "INSUFFICIENT_ACCESS"
        ));
    }

    #[test]
    fn any_429_is_rate_limited() {
        let table = integration("/message", None, &[]);
        assert!(matches!(
            classify(&table, 429, None, b"", reading()),
            ToolError::RateLimited { status: 429, .. }
        ));
    }

    #[test]
    fn unauthorized_asks_to_reconnect() {
        let table = integration("/message", Some("/category"), &[]);
        let body = br#"{"message":"bad token","category":"INVALID_AUTHENTICATION"}"#;
        assert!(matches!(
            classify(&table, 401, None, body, reading()),
            ToolError::AuthRequired { message, .. } if message.contains("bad token")
        ));
    }

    #[test]
    fn falls_back_without_panicking_on_odd_bodies() {
        let table = integration("/message", Some("/category"), &[]);
        let cases: [(&[u8], &str); 6] = [
            (b"", "HTTP 502 Bad Gateway"),
            (b"[]", "HTTP 502 Bad Gateway"),
            (b"{\"message\": {\"nested\": 1}}", "HTTP 502 Bad Gateway"),
            (b"\xff\xfe", "HTTP 502 Bad Gateway"),
            (b"<html>oops</html>", "HTTP 502 Bad Gateway"),
            (b"upstream timed out", "upstream timed out"),
        ];
        for (body, expected) in cases {
            let (code, message) = read_code_and_message(&table, 502, Some("Bad Gateway"), body);
            assert_eq!(code, None);
            assert_eq!(message, expected);
        }
        let long = format!("{{\"message\": \"{}\"}}", "é".repeat(5000));
        let (_, message) = read_code_and_message(&table, 400, None, long.as_bytes());
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}
