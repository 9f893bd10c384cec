//! HTTP plumbing shared by both vendors: per-request context, extractor results, JSON bodies,
//! query parameters and the input checks both vendors make.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Facts the gate established for one vendor request, available to handlers as an extension.
#[derive(Debug, Clone)]
pub(crate) struct RequestCtx {
    /// The id echoed in `X-HubSpot-Correlation-Id` and in HubSpot error bodies.
    pub(crate) correlation_id: String,
}

/// A path extractor's result, so each vendor can answer a bad path in its own error shape.
pub(crate) type PathArg<T> = Result<Path<T>, PathRejection>;
/// A query-string extractor's result (pairs in request order), answered like [`PathArg`].
pub(crate) type QueryArg = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// A JSON response with the vendor's exact `Content-Type`.
pub(crate) fn json_response<T: Serialize + ?Sized>(
    status: StatusCode,
    body: &T,
    content_type: &'static str,
) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Decoded query parameters in request order (repeated keys kept).
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Wraps decoded pairs.
    pub(crate) fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// The first value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub(crate) fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All pairs, in order.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved characters stay as they are).
pub(crate) fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A JSON object that keeps its keys in insertion order (serde_json's map sorts them).
#[derive(Debug, Clone, Default)]
pub(crate) struct Ordered(pub(crate) Vec<(String, Value)>);

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// A short human description of a JSON value's type, for error messages.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A plausible email address: one `@`, a dotted domain, no white space (both vendors refuse others).
pub(crate) fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_objects_keep_key_order() {
        let o = Ordered(vec![
            ("b".into(), Value::from(1)),
            ("a".into(), Value::from("x")),
        ]);
        assert_eq!(
            serde_json::to_string(&o).ok().as_deref(),
            Some(r#"{"b":1,"a":"x"}"#)
        );
        assert_eq!(encode_component("a,b c&é"), "a%2Cb%20c%26%C3%A9");
    }
}
