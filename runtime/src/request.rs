//! Splits validated arguments into path, query and body by the tool's parameter list, and builds the
//! upstream URL without letting an argument change which path is called.

use reqwest::Url;
use serde_json::{Map, Value};

use crate::outcome::ToolError;
use crate::table::{HttpVerb, ParamLocation, Tool};

/// Argument carrying the page size on list tools.
pub const LIMIT_ARG: &str = "limit";
/// Argument carrying the opaque cursor on list tools.
pub const CURSOR_ARG: &str = "next_cursor";

/// Longest path argument, and longest query value (each item of an array), accepted: bytes once
/// percent-encoded. Longer values are refused as `invalid_arguments` before any request is made.
pub const MAX_ARGUMENT_BYTES: usize = 2048;

/// Longest request URL built from a call's arguments (before the credential is added), in bytes.
pub const MAX_URL_BYTES: usize = 8 * 1024;

/// Arguments sorted by where they go, under the vendor's names.
#[derive(Debug, Default, PartialEq)]
pub struct SplitArgs {
    /// Path parameters, by the vendor's name (the path template's placeholder), as text.
    pub path: Vec<(&'static str, String)>,
    /// Query pairs, in parameter order (arrays repeated or comma-joined).
    pub query: Vec<(String, String)>,
    /// JSON body, when the request has one.
    pub body: Option<Map<String, Value>>,
    /// Requested page size (list tools).
    pub limit: Option<u64>,
    /// The `next_cursor` passed back (list tools).
    pub cursor: Option<String>,
}

/// Splits `args` by `tool.params`, each argument under its wire name; list tools take `limit` and
/// `next_cursor` out first.
pub fn split(tool: &Tool, mut args: Map<String, Value>) -> Result<SplitArgs, ToolError> {
    let mut split = SplitArgs::default();
    if tool.pagination.is_some() {
        split.limit = match args.remove(LIMIT_ARG) {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                whole_number(&value)
                    .filter(|n| *n > 0)
                    .ok_or_else(|| invalid(LIMIT_ARG, "must be a positive integer"))?,
            ),
        };
        split.cursor = match args.remove(CURSOR_ARG) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => return Err(invalid(CURSOR_ARG, "must be a string")),
        };
    }
    let mut body = Map::new();
    for param in tool.params {
        let Some(value) = args.remove(param.name) else {
            continue;
        };
        match param.location {
            ParamLocation::Path => split
                .path
                .push((param.wire, path_text(param.name, &value)?)),
            ParamLocation::Query => push_query(
                &mut split.query,
                (param.name, param.wire),
                &value,
                param.comma_joined,
            )?,
            ParamLocation::Body => {
                body.insert(param.wire.to_owned(), value);
            }
        }
    }
    if tool.extra_body.is_some() {
        // What is left was admitted by the input schema's pattern: extra body properties.
        body.extend(args);
    }
    let has_body_params = tool.extra_body.is_some()
        || tool
            .params
            .iter()
            .any(|p| p.location == ParamLocation::Body);
    // GET and DELETE carry no body unless the tool documents one; other verbs always send an object.
    split.body = match tool.http {
        HttpVerb::Get | HttpVerb::Delete if !has_body_params => None,
        _ => Some(body),
    };
    Ok(split)
}

/// A non-negative whole number; JSON Schema counts `5.0` as an integer, so it is accepted too.
fn whole_number(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        let f = value.as_f64()?;
        (f.fract() == 0.0 && f >= 0.0 && f < u64::MAX as f64).then_some(f as u64)
    })
}

fn invalid(name: &str, message: &str) -> ToolError {
    ToolError::InvalidArguments {
        pointer: format!("/{}", escape_pointer(name)),
        message: format!("{name} {message}"),
    }
}

/// Escapes a property name as one JSON Pointer token (RFC 6901).
pub fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// A scalar as query or path text; `None` for null.
fn scalar_text(value: &Value) -> Option<Option<String>> {
    match value {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        Value::Number(n) => Some(Some(n.to_string())),
        Value::Bool(b) => Some(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn path_text(name: &str, value: &Value) -> Result<String, ToolError> {
    match scalar_text(value) {
        Some(Some(text)) => {
            // An empty, "." or ".." segment would address another resource even when encoded:
            // URL parsers treat `%2e%2e` as `..`.
            let trimmed = text.trim();
            if trimmed.is_empty() {
                Err(invalid(name, "must not be empty"))
            } else if matches!(text.as_str(), "." | "..") {
                Err(invalid(name, "must not be `.` or `..`"))
            } else {
                bounded(&format!("/{}", escape_pointer(name)), name, &text)?;
                Ok(text)
            }
        }
        Some(None) => Err(invalid(name, "must not be null")),
        None => Err(invalid(name, "must be a string or number")),
    }
}

/// `name` is the argument's name (for errors), `wire` the query parameter's.
fn push_query(
    query: &mut Vec<(String, String)>,
    (name, wire): (&'static str, &'static str),
    value: &Value,
    comma_joined: bool,
) -> Result<(), ToolError> {
    match value {
        Value::Array(items) => {
            let mut texts = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match scalar_text(item) {
                    Some(Some(text)) => {
                        let pointer = format!("/{}/{i}", escape_pointer(name));
                        bounded(&pointer, &format!("{name}[{i}]"), &text)?;
                        texts.push(text);
                    }
                    Some(None) => {}
                    None => {
                        return Err(ToolError::InvalidArguments {
                            pointer: format!("/{}/{i}", escape_pointer(name)),
                            message: format!(
                                "{name}[{i}] must be a string, number or boolean to go in the query"
                            ),
                        });
                    }
                }
            }
            if texts.is_empty() {
                // Nothing to send; an empty `name=` could mean "none" to some vendors.
            } else if comma_joined {
                query.push((wire.to_owned(), texts.join(",")));
            } else {
                query.extend(texts.into_iter().map(|t| (wire.to_owned(), t)));
            }
            Ok(())
        }
        Value::Object(_) => Err(invalid(
            name,
            "must not be an object: query parameters take strings, numbers, booleans or arrays of them",
        )),
        other => {
            if let Some(Some(text)) = scalar_text(other) {
                bounded(&format!("/{}", escape_pointer(name)), name, &text)?;
                query.push((wire.to_owned(), text));
            }
            Ok(())
        }
    }
}

/// Refuses `text` (the argument at `pointer`, called `label` in the message) when it is longer than
/// [`MAX_ARGUMENT_BYTES`] once encoded: a caller's mistake, answered before anything is sent.
fn bounded(pointer: &str, label: &str, text: &str) -> Result<(), ToolError> {
    let len = encoded_len(text);
    if len > MAX_ARGUMENT_BYTES {
        return Err(ToolError::InvalidArguments {
            pointer: pointer.to_owned(),
            message: format!(
                "{label} is {len} bytes once URL-encoded; at most {MAX_ARGUMENT_BYTES} are accepted \
                 in the path or query"
            ),
        });
    }
    Ok(())
}

/// Length of `text` once percent-encoded; an upper bound for form encoding too.
pub fn encoded_len(text: &str) -> usize {
    text.bytes()
        .map(|byte| if unreserved(byte) { 1 } else { 3 })
        .sum()
}

/// RFC 3986 unreserved characters: never percent-encoded.
fn unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// The name of the caller's path or query argument that adds the most bytes to the request URL, to
/// point at when the URL is too long.
pub fn largest_argument(tool: &Tool, split: &SplitArgs) -> Option<&'static str> {
    let name_of = |wire: &str, location: ParamLocation| {
        tool.params
            .iter()
            .find(|p| p.location == location && p.wire == wire)
            .map(|p| p.name)
    };
    let mut sizes: Vec<(&'static str, usize)> = Vec::new();
    let pairs = split
        .path
        .iter()
        .map(|(wire, value)| (*wire, value, ParamLocation::Path))
        .chain(
            split
                .query
                .iter()
                .map(|(wire, value)| (wire.as_str(), value, ParamLocation::Query)),
        );
    for (wire, value, location) in pairs {
        let Some(name) = name_of(wire, location) else {
            continue;
        };
        let len = encoded_len(wire)
            .saturating_add(encoded_len(value))
            .saturating_add(2);
        match sizes.iter_mut().find(|(n, _)| *n == name) {
            Some((_, total)) => *total = total.saturating_add(len),
            None => sizes.push((name, len)),
        }
    }
    sizes
        .into_iter()
        .max_by_key(|(_, len)| *len)
        .map(|(name, _)| name)
}

/// Refuses a request URL longer than [`MAX_URL_BYTES`], pointing at `culprit` (an argument name), or
/// at the whole arguments object when no argument is to blame.
pub fn check_url_length(url: &Url, culprit: Option<&str>) -> Result<(), ToolError> {
    let len = url.as_str().len();
    if len <= MAX_URL_BYTES {
        return Ok(());
    }
    let pointer = culprit.map_or_else(String::new, |name| format!("/{}", escape_pointer(name)));
    let blame = culprit.map_or_else(String::new, |name| format!(" ({name} adds the most)"));
    Err(ToolError::InvalidArguments {
        pointer,
        message: format!(
            "the request URL would be {len} bytes, over the {MAX_URL_BYTES} accepted{blame}; send \
             fewer or shorter path and query arguments"
        ),
    })
}

/// Percent-encodes one path segment: everything but RFC 3986 unreserved characters, so `/`, `?`, `#`
/// and `%` in a value stay inside the segment.
pub fn encode_segment(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if unreserved(byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

/// `template` with each `{name}` replaced by its encoded value.
pub fn render_path(template: &str, values: &[(&'static str, String)]) -> Result<String, ToolError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            // An unclosed brace is literal text.
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let name = &after[..close];
        let value = values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| ToolError::InvalidArguments {
                pointer: format!("/{}", escape_pointer(name)),
                message: format!("{name} is required"),
            })?;
        out.push_str(&encode_segment(value));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Parses the account's (or table's) base URL.
pub fn base_url(text: &str) -> Result<Url, ToolError> {
    let url = Url::parse(text.trim()).map_err(|e| {
        ToolError::Transport(format!(
            "the account's base URL {text:?} is not a valid URL: {e}"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ToolError::Transport(format!(
            "the account's base URL {text:?} must be an http(s) URL with a host"
        )));
    }
    Ok(url)
}

/// `base` + `path` + `query`; the result is checked to stay below `base`.
pub fn build_url(base: &Url, path: &str, query: &[(String, String)]) -> Result<Url, ToolError> {
    // The base URL's own query and fragment are not part of any endpoint.
    let mut prefix = base.clone();
    prefix.set_query(None);
    prefix.set_fragment(None);
    let joined = format!("{}{}", prefix.as_str().trim_end_matches('/'), path);
    let mut url = Url::parse(&joined)
        .map_err(|e| ToolError::Transport(format!("could not build the request URL: {e}")))?;
    if !within_base(base, &url) {
        return Err(ToolError::Transport(
            "the request path would leave the account's base URL".to_owned(),
        ));
    }
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in query {
            pairs.append_pair(name, value);
        }
    }
    Ok(url)
}

/// `url` without any `name=` query pair, so a vendor link that echoes an API key does not carry it
/// into a cursor the agent holds.
pub fn without_query_param(url: &str, name: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return url.to_owned();
    };
    if !parsed.query_pairs().any(|(key, _)| key == name) {
        return url.to_owned();
    }
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(key, _)| key != name)
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    parsed.to_string()
}

/// Whether `url` has `base`'s origin and lies under its path (segment-wise).
pub fn within_base(base: &Url, url: &Url) -> bool {
    if base.origin() != url.origin() {
        return false;
    }
    let base_path = base.path().trim_end_matches('/');
    let path = url.path();
    base_path.is_empty()
        || path == base_path
        || path
            .strip_prefix(base_path)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::table::{Annotations, MethodKind, Param};

    fn tool(http: HttpVerb, params: &'static [Param]) -> Tool {
        Tool {
            name: "t",
            title: "",
            description: "",
            integration: "example",
            resource: "things",
            method: "get",
            kind: MethodKind::Get,
            http,
            path: "/things/{id}",
            params,
            fixed_query: &[],
            extra_body: None,
            pagination: None,
            scopes: &[],
            broader_scopes: &[],
            tags: &[],
            annotations: Annotations {
                read_only: true,
                destructive: false,
                idempotent: true,
                open_world: true,
            },
            schema: "{}",
            unified: None,
            pii: &[],
            mostly_pii: false,
        }
    }

    static PARAMS: &[Param] = &[
        Param {
            name: "id",
            wire: "id",
            location: ParamLocation::Path,
            comma_joined: true,
        },
        Param {
            name: "fields",
            wire: "fields",
            location: ParamLocation::Query,
            comma_joined: true,
        },
        Param {
            name: "tag",
            wire: "tag",
            location: ParamLocation::Query,
            comma_joined: false,
        },
        Param {
            name: "archived",
            wire: "archived",
            location: ParamLocation::Query,
            comma_joined: true,
        },
        Param {
            name: "name",
            wire: "name",
            location: ParamLocation::Body,
            comma_joined: true,
        },
    ];

    fn args(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn extra_body_properties_go_into_the_body_as_they_come() {
        let mut with_extra = tool(HttpVerb::Put, PARAMS);
        with_extra.extra_body = Some("^[0-9a-f]{40}$");
        let key = "dcf558aac1ae4e8c4f849ba5e668430d8df9be12";
        let extra = split(
            &with_extra,
            args(json!({"id": 7, "name": "n", key: {"nested": [1]}})),
        )
        .unwrap();
        assert_eq!(
            extra.body,
            Some(args(json!({"name": "n", key: {"nested": [1]}})))
        );
        // Without the opt-in nothing but documented parameters is ever sent.
        let plain = split(&tool(HttpVerb::Put, PARAMS), args(json!({"id": 7, key: 1}))).unwrap();
        assert_eq!(plain.body, Some(Map::new()));
    }

    #[test]
    fn splits_by_location() {
        let split = split(
            &tool(HttpVerb::Patch, PARAMS),
            args(
                json!({"id": 42, "fields": ["a", "b"], "tag": ["x", "y"], "archived": false, "name": "n"}),
            ),
        );
        assert_eq!(
            split,
            Ok(SplitArgs {
                path: vec![("id", "42".to_owned())],
                query: vec![
                    ("fields".to_owned(), "a,b".to_owned()),
                    ("tag".to_owned(), "x".to_owned()),
                    ("tag".to_owned(), "y".to_owned()),
                    ("archived".to_owned(), "false".to_owned()),
                ],
                body: Some(args(json!({"name": "n"}))),
                limit: None,
                cursor: None,
            })
        );
    }

    #[test]
    fn arguments_go_out_under_the_vendors_names() {
        static RENAMED: &[Param] = &[
            Param {
                name: "id",
                wire: "contactId",
                location: ParamLocation::Path,
                comma_joined: true,
            },
            Param {
                name: "fields",
                wire: "properties",
                location: ParamLocation::Query,
                comma_joined: true,
            },
        ];
        let mut renamed = tool(HttpVerb::Get, RENAMED);
        renamed.path = "/contacts/{contactId}";
        let split = split(&renamed, args(json!({"id": "42", "fields": ["a", "b"]})));
        let Ok(split) = split else {
            panic!("split: {split:?}");
        };
        assert_eq!(split.path, vec![("contactId", "42".to_owned())]);
        assert_eq!(
            split.query,
            vec![("properties".to_owned(), "a,b".to_owned())]
        );
        assert_eq!(
            render_path(renamed.path, &split.path).as_deref(),
            Ok("/contacts/42")
        );
        // Errors point at the argument the agent sent.
        let refused = split_err(&renamed, json!({"id": ".."}));
        assert_eq!(refused.as_deref(), Some("/id"));
    }

    fn split_err(tool: &Tool, value: Value) -> Option<String> {
        match split(tool, args(value)) {
            Err(ToolError::InvalidArguments { pointer, .. }) => Some(pointer),
            _ => None,
        }
    }

    #[test]
    fn objects_in_the_query_are_refused_with_a_pointer() {
        let refused = split(
            &tool(HttpVerb::Get, PARAMS),
            args(json!({"fields": {"a": 1}})),
        );
        assert!(
            matches!(refused, Err(ToolError::InvalidArguments { pointer, .. }) if pointer == "/fields")
        );
        let refused = split(
            &tool(HttpVerb::Get, PARAMS),
            args(json!({"tag": ["ok", {"a": 1}]})),
        );
        assert!(
            matches!(refused, Err(ToolError::InvalidArguments { pointer, .. }) if pointer == "/tag/1")
        );
    }

    #[test]
    fn get_without_body_params_has_no_body() {
        static QUERY_ONLY: &[Param] = &[Param {
            name: "q",
            wire: "q",
            location: ParamLocation::Query,
            comma_joined: true,
        }];
        let split = split(&tool(HttpVerb::Get, QUERY_ONLY), args(json!({"q": "x"})));
        assert!(matches!(split, Ok(SplitArgs { body: None, .. })));
    }

    #[test]
    fn path_values_cannot_change_the_path() {
        let base = base_url("https://api.example.test/v1").unwrap_or_else(|_| unreachable!());
        for (value, expected) in [
            ("a/b", "https://api.example.test/v1/things/a%2Fb"),
            ("../admin", "https://api.example.test/v1/things/..%2Fadmin"),
            (
                "x?y=1#z",
                "https://api.example.test/v1/things/x%3Fy%3D1%23z",
            ),
            ("100%", "https://api.example.test/v1/things/100%25"),
            ("é", "https://api.example.test/v1/things/%C3%A9"),
        ] {
            let path = render_path("/things/{id}", &[("id", value.to_owned())]);
            let url = path.and_then(|p| build_url(&base, &p, &[]));
            assert_eq!(
                url.map(|u| u.to_string()).ok().as_deref(),
                Some(expected),
                "{value}"
            );
        }
        for value in ["..", ".", "", "  "] {
            let refused = split(&tool(HttpVerb::Get, PARAMS), args(json!({ "id": value })));
            assert!(
                matches!(refused, Err(ToolError::InvalidArguments { ref pointer, .. }) if pointer == "/id"),
                "{value:?}"
            );
        }
    }

    #[test]
    fn missing_path_values_name_the_parameter() {
        assert!(matches!(
            render_path("/things/{id}", &[]),
            Err(ToolError::InvalidArguments { pointer, .. }) if pointer == "/id"
        ));
    }

    #[test]
    fn query_is_encoded() {
        let base = base_url("http://127.0.0.1:8080").unwrap_or_else(|_| unreachable!());
        let url = build_url(
            &base,
            "/q",
            &[(
                "q".to_owned(),
                "SELECT Id FROM X WHERE a = 'b&c'".to_owned(),
            )],
        );
        assert_eq!(
            url.map(|u| u.to_string()).ok().as_deref(),
            Some("http://127.0.0.1:8080/q?q=SELECT+Id+FROM+X+WHERE+a+%3D+%27b%26c%27")
        );
    }

    #[test]
    fn credentials_are_stripped_from_links() {
        assert_eq!(
            without_query_param("https://a.test/next?page=2&api_key=s3cret", "api_key"),
            "https://a.test/next?page=2"
        );
        assert_eq!(
            without_query_param("https://a.test/next?api_key=s3cret", "api_key"),
            "https://a.test/next"
        );
        assert_eq!(
            without_query_param("https://a.test/next?q=a%20b", "api_key"),
            "https://a.test/next?q=a%20b"
        );
    }

    #[test]
    fn within_base_checks_origin_and_path() {
        let base = base_url("https://api.example.test/v1").unwrap_or_else(|_| unreachable!());
        let check = |text: &str| {
            Url::parse(text)
                .map(|u| within_base(&base, &u))
                .unwrap_or(false)
        };
        assert!(check("https://api.example.test/v1/things"));
        assert!(check("https://api.example.test/v1"));
        assert!(!check("https://api.example.test/v10/things"));
        assert!(!check("https://api.example.test/other"));
        assert!(!check("http://api.example.test/v1/things"));
        assert!(!check("https://api.example.test:444/v1/things"));
        assert!(!check("https://evil.test/v1/things"));
    }
}
