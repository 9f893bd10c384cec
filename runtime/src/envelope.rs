//! The normalized result envelopes agents receive.

use serde_json::{Map, Value, json};

use crate::outcome::RateLimitInfo;

/// `{"result": [...], "next_cursor": …, "result_count": n, "rate_limit"?: …}` for list tools.
pub fn list(records: Vec<Value>, next_cursor: Option<String>, rate_limit: &RateLimitInfo) -> Value {
    let mut envelope = Map::new();
    envelope.insert("result_count".to_owned(), json!(records.len()));
    envelope.insert("result".to_owned(), Value::Array(records));
    envelope.insert(
        "next_cursor".to_owned(),
        next_cursor.map_or(Value::Null, Value::String),
    );
    insert_rate_limit(&mut envelope, rate_limit);
    Value::Object(envelope)
}

/// `{"result": <body or null>, "rate_limit"?: …}` for every other tool.
pub fn single(result: Value, rate_limit: &RateLimitInfo) -> Value {
    let mut envelope = Map::new();
    envelope.insert("result".to_owned(), result);
    insert_rate_limit(&mut envelope, rate_limit);
    Value::Object(envelope)
}

/// Adds `rate_limit` only when some figure is known, so "unknown" is not mistaken for "zero".
fn insert_rate_limit(envelope: &mut Map<String, Value>, rate_limit: &RateLimitInfo) {
    if !rate_limit.is_empty() {
        envelope.insert("rate_limit".to_owned(), rate_limit_value(rate_limit));
    }
}

/// Rate-limit figures as JSON: `{"limit", "remaining", "reset"}`, `null` for unknown figures.
pub fn rate_limit_value(info: &RateLimitInfo) -> Value {
    json!({
        "limit": info.limit,
        "remaining": info.remaining,
        "reset": info.reset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_envelope_shape() {
        let info = RateLimitInfo {
            limit: Some(10),
            remaining: Some(9),
            reset: None,
        };
        assert_eq!(
            list(vec![json!({"id": 1})], Some("c".to_owned()), &info),
            json!({
                "result": [{"id": 1}],
                "next_cursor": "c",
                "result_count": 1,
                "rate_limit": {"limit": 10, "remaining": 9, "reset": null}
            })
        );
        assert_eq!(
            list(vec![], None, &RateLimitInfo::default()),
            json!({"result": [], "next_cursor": null, "result_count": 0})
        );
    }

    #[test]
    fn single_envelope_shape() {
        assert_eq!(
            single(Value::Null, &RateLimitInfo::default()),
            json!({"result": null})
        );
    }
}
