//! Turns a vendor's 4xx/5xx answer into an error an agent can act on: rate limited, re-authenticate,
//! or `{status, code, message}` read where the integration's table says the vendor puts them.

use serde_json::Value;

use crate::outcome::ToolError;
use crate::rate_limit::RateLimitReading;
use crate::table::{FieldErrorRules, Integration};

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

/// The vendor's code and message (with its field errors, named), with the HTTP reason (or the start
/// of a text body) as fallback.
pub fn read_code_and_message(
    integration: &Integration,
    status: u16,
    reason: Option<&str>,
    body: &[u8],
) -> (Option<String>, String) {
    let rules = &integration.errors;
    let special = rules.by_status.iter().find(|r| r.status == status);
    let message_at = special
        .map(|r| r.message)
        .filter(|m| !m.is_empty())
        .unwrap_or(rules.message);
    let code_at = special
        .map(|r| r.code)
        .filter(|c| !c.is_empty())
        .unwrap_or(rules.code);
    let fields_at = special
        .and_then(|r| r.fields.as_ref())
        .or(rules.fields.as_ref());
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let code = json.as_ref().and_then(|json| first_text(json, code_at));
    let fields = json
        .as_ref()
        .zip(fields_at)
        .and_then(|(json, at)| field_errors(json, at));
    let message = json
        .as_ref()
        .and_then(|json| first_text(json, message_at))
        .or_else(|| {
            // A short plain-text body (a proxy's "upstream timed out") says more than the reason.
            let text = std::str::from_utf8(body).ok()?.trim();
            (json.is_none() && !text.is_empty() && !text.starts_with('<')).then(|| text.to_owned())
        });
    let message = match (message, fields) {
        (Some(message), Some(fields)) => format!("{message}: {fields}"),
        (None, Some(fields)) => fields,
        (Some(message), None) => message,
        (None, None) => match reason {
            Some(reason) => format!("HTTP {status} {reason}"),
            None => format!("HTTP {status}"),
        },
    };
    (code, truncate(message))
}

/// The text at the first of `pointers` that holds some.
fn first_text(json: &Value, pointers: &[&str]) -> Option<String> {
    pointers.iter().find_map(|pointer| text_at(json, pointer))
}

/// Field errors joined into one line naming each field (`email: is invalid; name: is required`);
/// `None` when there are none.
fn field_errors(json: &Value, rules: &FieldErrorRules) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let messages_of = |v: &Value| -> Vec<String> {
        let one = |v: &Value| match v {
            Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            other => rules.message.and_then(|pointer| text_at(other, pointer)),
        };
        match v {
            Value::Array(items) => items.iter().filter_map(one).collect(),
            other => one(other).into_iter().collect(),
        }
    };
    match json.pointer(rules.at)? {
        Value::Object(fields) => {
            for (field, v) in fields {
                let messages = messages_of(v);
                if !messages.is_empty() {
                    parts.push(format!("{field}: {}", messages.join(", ")));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                let messages = messages_of(item);
                if messages.is_empty() {
                    continue;
                }
                let names: Vec<String> = match rules.field.and_then(|p| item.pointer(p)) {
                    Some(Value::String(s)) => vec![s.clone()],
                    Some(Value::Array(names)) => names
                        .iter()
                        .filter_map(|n| n.as_str().map(str::to_owned))
                        .collect(),
                    _ => Vec::new(),
                };
                parts.push(if names.is_empty() {
                    messages.join(", ")
                } else {
                    format!("{}: {}", names.join(", "), messages.join(", "))
                });
            }
        }
        _ => return None,
    }
    // A bound on what one error can add: the agent needs the gist.
    parts.truncate(20);
    (!parts.is_empty()).then(|| parts.join("; "))
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
    use crate::table::{Auth, ErrorRules, RateLimit, StatusErrorRules};

    fn integration(
        message: &'static [&'static str],
        code: &'static [&'static str],
        limited_when: &'static [(u16, Option<&'static str>)],
    ) -> Integration {
        Integration {
            name: "example",
            display_name: "Example",
            description: "",
            categories: &[],
            docs_url: "",
            base_url: "https://api.example.test",
            base_url_variables: &[],
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
            errors: ErrorRules {
                message,
                code,
                fields: None,
                by_status: &[],
            },
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
            &["/0/message"],
            &["/0/errorCode"],
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
    fn candidate_pointers_field_errors_and_status_rules() {
        let mut table = integration(&["/description", "/error"], &["/error"], &[]);
        table.errors.fields = Some(FieldErrorRules {
            at: "/details",
            message: Some("/description"),
            field: None,
        });
        // An object of fields, each a list of error objects (a 422 RecordInvalid).
        let body = br#"{"error":"RecordInvalid","description":"Record validation errors",
            "details":{"email":[{"description":"Email: is invalid","error":"InvalidValue"}],
                       "name":["is required", "is too short"], "empty": []}}"#;
        let (code, message) = read_code_and_message(&table, 422, None, body);
        assert_eq!(code.as_deref(), Some("RecordInvalid"));
        assert_eq!(
            message,
            "Record validation errors: email: Email: is invalid; name: is required, is too short"
        );
        // The second candidate when the first is absent.
        let (_, message) =
            read_code_and_message(&table, 404, None, br#"{"error":"RecordNotFound"}"#);
        assert_eq!(message, "RecordNotFound");

        // An array of errors naming their fields.
        table.errors.fields = Some(FieldErrorRules {
            at: "",
            message: Some("/message"),
            field: Some("/fields"),
        });
        table.errors.message = &["/0/message"];
        let body = br#"[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]},
                        {"message":"bad", "fields": "Email"}]"#;
        let (_, message) = read_code_and_message(&table, 400, None, body);
        assert_eq!(
            message,
            "Required fields are missing: [LastName]: LastName: Required fields are missing: [LastName]; Email: bad"
        );

        // A status whose body is shaped differently (an object-shaped 429).
        static STATUS_RULES: [StatusErrorRules; 1] = [StatusErrorRules {
            status: 429,
            message: &["/error/message"],
            code: &["/error/title"],
            fields: None,
        }];
        let mut table = integration(&["/message"], &["/code"], &[]);
        table.errors.by_status = &STATUS_RULES;
        let body = br#"{"error":{"title":"TooManyRequests","message":"Slow down: 10 requests per minute"}}"#;
        let (code, message) = read_code_and_message(&table, 429, None, body);
        assert_eq!(code.as_deref(), Some("TooManyRequests"));
        assert_eq!(message, "Slow down: 10 requests per minute");
        // Other statuses keep the integration's rules.
        let (code, message) =
            read_code_and_message(&table, 400, None, br#"{"message":"no","code":"BAD"}"#);
        assert_eq!((code.as_deref(), message.as_str()), (Some("BAD"), "no"));
    }

    #[test]
    fn any_429_is_rate_limited() {
        let table = integration(&["/message"], &[], &[]);
        assert!(matches!(
            classify(&table, 429, None, b"", reading()),
            ToolError::RateLimited { status: 429, .. }
        ));
    }

    #[test]
    fn unauthorized_asks_to_reconnect() {
        let table = integration(&["/message"], &["/category"], &[]);
        let body = br#"{"message":"bad token","category":"INVALID_AUTHENTICATION"}"#;
        assert!(matches!(
            classify(&table, 401, None, body, reading()),
            ToolError::AuthRequired { message, .. } if message.contains("bad token")
        ));
    }

    #[test]
    fn falls_back_without_panicking_on_odd_bodies() {
        let table = integration(&["/message"], &["/category"], &[]);
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
