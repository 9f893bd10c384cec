//! HTTP plumbing shared by the vendors: per-request context, extractor results, JSON bodies,
//! query parameters and the input checks the vendors share.

use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Form, FromRequest, Path, Query, Request};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Facts the gate established for one vendor request, available to handlers as an extension.
#[derive(Debug, Clone)]
pub(crate) struct RequestCtx {
    /// The id echoed in `X-HubSpot-Correlation-Id` and in HubSpot error bodies (and Pipedrive's
    /// `x-correlation-id`).
    pub(crate) correlation_id: String,
    /// How the request authenticated (vendors word their 401s differently per style).
    pub(crate) credential: CredentialKind,
}

/// The style of credential a vendor request presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredentialKind {
    /// No credential at all.
    Missing,
    /// An api token (Pipedrive's `api_token` / `x-api-token`, Zendesk's `{email}/token` Basic).
    ApiToken,
    /// `Authorization: Bearer` (HubSpot and Salesforce also carry the static token this way).
    Bearer,
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

/// `http://<Host>`: the origin the client reached the sandbox by (vendors put absolute URLs of
/// their own host in records and links).
pub(crate) fn origin(headers: &HeaderMap) -> String {
    headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| Authority::try_from(*h).is_ok())
        .map_or_else(
            || "http://127.0.0.1".to_owned(),
            |host| format!("http://{host}"),
        )
}

/// Whether a request declares an `application/x-www-form-urlencoded` body.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// Decodes an `application/x-www-form-urlencoded` body into pairs (`None` when malformed).
pub(crate) async fn form_pairs(body: Bytes) -> Option<Vec<(String, String)>> {
    let request = Request::builder()
        .method("POST")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .ok()?;
    Form::<Vec<(String, String)>>::from_request(request, &())
        .await
        .ok()
        .map(|Form(pairs)| pairs)
}

/// A JSON document assembled from rendered parts that keeps every object's key order, nested
/// [`Ordered`] records included (a `serde_json::Value` would sort them).
#[derive(Debug, Clone)]
pub(crate) enum Doc {
    /// Any JSON value (its own objects sorted, as serde_json keeps them).
    Value(Value),
    /// An object in insertion order.
    Object(Vec<(String, Doc)>),
    /// An array of documents.
    Array(Vec<Doc>),
}

impl Doc {
    /// An object from `(key, part)` pairs, in order.
    pub(crate) fn object<const N: usize>(entries: [(&str, Doc); N]) -> Self {
        Self::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    /// Appends `key` to an object (other documents are left as they are).
    pub(crate) fn push(&mut self, key: &str, value: Doc) {
        if let Self::Object(entries) = self {
            entries.push((key.to_owned(), value));
        }
    }
}

impl From<Value> for Doc {
    fn from(value: Value) -> Self {
        Self::Value(value)
    }
}

impl From<Ordered> for Doc {
    fn from(ordered: Ordered) -> Self {
        Self::Object(
            ordered
                .0
                .into_iter()
                .map(|(k, v)| (k, Doc::Value(v)))
                .collect(),
        )
    }
}

impl From<Vec<Ordered>> for Doc {
    fn from(items: Vec<Ordered>) -> Self {
        Self::Array(items.into_iter().map(Doc::from).collect())
    }
}

impl Serialize for Doc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Value(value) => value.serialize(serializer),
            Self::Array(items) => items.serialize(serializer),
            Self::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
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

/// A plausible email address: one `@`, a dotted domain, no white space (the vendors refuse others).
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
        let mut doc = Doc::object([
            ("z", Doc::from(o)),
            (
                "a",
                Doc::from(vec![Ordered(vec![
                    ("y".into(), Value::from(2)),
                    ("b".into(), Value::Null),
                ])]),
            ),
        ]);
        doc.push("m", Doc::from(Value::from(true)));
        assert_eq!(
            serde_json::to_string(&doc).ok().as_deref(),
            Some(r#"{"z":{"b":1,"a":"x"},"a":[{"y":2,"b":null}],"m":true}"#)
        );
    }
}
