//! Redaction of personal data in tool results: the fields a definition marks `pii` (listed per tool in
//! [`Tool::pii`]) are stripped, masked or hashed, and the output schema agents are shown says so, so
//! a redacted result always validates against the redacted schema.
//!
//! - **strip** removes the fields (an object keeps its other keys; the schema no longer lists them).
//! - **mask** keeps their shape: `jane@acme.com` → `j***@acme.com`, `+1-555-555-0100` →
//!   `+1-***-***-0100`, `Jane` → `J***`.
//! - **hash** replaces each value with a keyed pseudonym, `pii_` and 16 base32 characters
//!   (HMAC-SHA256 under a per-tenant key): the same value gives the same pseudonym under one key, so
//!   an agent can match records without seeing what they hold, and another tenant's key gives another.
//!
//! A marked object or array is personal data as a whole: strip removes it; mask and hash rewrite every
//! value inside it, unless fields inside it are marked themselves, in which case only those are
//! rewritten (a contact's `email_addresses` keep `is_primary`). Under mask and hash, a rewritten
//! number or boolean becomes a string, and `null` and `""` stay as they are.
//!
//! Nothing here panics, whatever the value: missing fields, unexpected types and deep nesting are
//! passed over or, past [`MAX_DEPTH`], replaced by `null` rather than shown.

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, KeyInit as _, Mac as _};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::table::Tool;

/// How deep inside a marked value mask and hash rewrite; anything deeper is replaced by `null`.
pub const MAX_DEPTH: usize = 64;

/// What happens to fields marked `pii`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Redaction {
    /// Removed, and left out of the output schema.
    Strip,
    /// Shape kept, content hidden (`j***@acme.com`).
    Mask,
    /// Replaced by a stable keyed pseudonym (`pii_…`).
    Hash,
}

impl Redaction {
    /// `strip`, `mask` or `hash`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strip => "strip",
            Self::Mask => "mask",
            Self::Hash => "hash",
        }
    }
}

impl fmt::Display for Redaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A redaction mode that is not `strip`, `mask` or `hash`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown redaction `{0}`: expected strip, mask or hash")]
pub struct UnknownRedaction(pub String);

impl FromStr for Redaction {
    type Err = UnknownRedaction;

    /// `strip`, `mask` or `hash`, in any case, surrounding spaces ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "strip" => Ok(Self::Strip),
            "mask" => Ok(Self::Mask),
            "hash" => Ok(Self::Hash),
            _ => Err(UnknownRedaction(s.chars().take(32).collect())),
        }
    }
}

/// Redacts a successful result envelope of `tool` in place: every record of a list envelope
/// (`{"result": [...], "next_cursor", "result_count"}`), or the `result` of any other. `key` is the
/// tenant's pseudonym key, used by [`Redaction::Hash`] only. Envelope fields other than `result`
/// are left alone; a tool without marks is left alone.
pub fn redact_result(tool: &Tool, envelope: &mut Value, mode: Redaction, key: &[u8; 32]) {
    if tool.pii.is_empty() {
        return;
    }
    let Some(result) = envelope.get_mut("result") else {
        return;
    };
    let marks = Marks::of(tool, mode);
    match (tool.pagination.is_some(), result) {
        (true, Value::Array(records)) => {
            for record in records {
                marks.apply(record, mode, key);
            }
        }
        // A list answer that is not a list holds no records to redact by these paths.
        (true, _) => {}
        (false, record) => marks.apply(record, mode, key),
    }
}

/// Rewrites `tool`'s output schema (`{"type": "object", "properties": {"result": …}}`, as generated)
/// into the one agents must be shown under `mode`: strip removes the marked properties (and takes
/// them out of `required`); mask and hash make each rewritten value a string (`null` still allowed
/// where it was), drop the checks a rewritten value no longer meets (`format`, `enum`, bounds,
/// patterns, examples) and say in its description what agents see instead.
pub fn redact_output_schema(tool: &Tool, schema: &mut Value, mode: Redaction) {
    if tool.pii.is_empty() {
        return;
    }
    let Some(result) = schema
        .get_mut("properties")
        .and_then(|p| p.get_mut("result"))
    else {
        return;
    };
    let record = if tool.pagination.is_some() {
        match result.get_mut("items") {
            Some(items) => items,
            None => return,
        }
    } else {
        result
    };
    let marks = Marks::of(tool, mode);
    for (path, _) in &marks.paths {
        schema_at_parent(record, path, 0, &mut |parent, last| {
            redact_schema_member(parent, last, mode);
        });
    }
}

/// The paths redaction acts on: the outermost marks for strip (what is inside goes with them), the
/// innermost for mask and hash (a marked container with marked fields inside keeps its other fields),
/// each with the length of its outermost marked ancestor: below that, any value that is not the
/// shape the path expects (a string where an object should be) is rewritten whole rather than shown.
struct Marks {
    paths: Vec<(Vec<String>, usize)>,
}

impl Marks {
    fn of(tool: &Tool, mode: Redaction) -> Self {
        let all: Vec<Vec<String>> = tool.pii.iter().map(|p| tokens(p)).collect();
        let inside = |outer: &[String], inner: &[String]| {
            inner.len() > outer.len() && inner.starts_with(outer)
        };
        let paths = all
            .iter()
            .filter(|path| !path.is_empty())
            .filter(|path| match mode {
                Redaction::Strip => !all.iter().any(|other| inside(other, path)),
                Redaction::Mask | Redaction::Hash => !all.iter().any(|other| inside(path, other)),
            })
            .map(|path| {
                let guard = all
                    .iter()
                    .filter(|other| !other.is_empty() && inside(other, path))
                    .map(Vec::len)
                    .min()
                    .unwrap_or(usize::MAX);
                (path.clone(), guard)
            })
            .collect();
        Self { paths }
    }

    fn apply(&self, record: &mut Value, mode: Redaction, key: &[u8; 32]) {
        for (path, guard) in &self.paths {
            match mode {
                Redaction::Strip => strip_at(record, path, 0),
                Redaction::Mask | Redaction::Hash => {
                    rewrite_at(record, path, 0, *guard, mode, key);
                }
            }
        }
    }
}

/// The tokens of a JSON Pointer (`~1` is `/`, `~0` is `~`); `""` has none.
fn tokens(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Removes what `path[i..]` names below `value` (`*`: every element or key).
fn strip_at(value: &mut Value, path: &[String], i: usize) {
    let Some(token) = path.get(i) else {
        return;
    };
    let last = i + 1 == path.len();
    if i > MAX_DEPTH {
        return;
    }
    match (value, token.as_str()) {
        (Value::Object(map), "*") if last => map.clear(),
        (Value::Array(items), "*") if last => items.clear(),
        (Value::Object(map), key) if last => {
            map.remove(key);
        }
        (Value::Array(items), "*") => {
            for item in items {
                strip_at(item, path, i + 1);
            }
        }
        (Value::Object(map), "*") => {
            for item in map.values_mut() {
                strip_at(item, path, i + 1);
            }
        }
        (Value::Object(map), key) => {
            if let Some(child) = map.get_mut(key) {
                strip_at(child, path, i + 1);
            }
        }
        _ => {}
    }
}

/// Masks or hashes what `path[i..]` names below `value`. From token `guard` on (inside a marked
/// container), a value that is not the shape the path expects is rewritten whole.
fn rewrite_at(
    value: &mut Value,
    path: &[String],
    i: usize,
    guard: usize,
    mode: Redaction,
    key: &[u8; 32],
) {
    let Some(token) = path.get(i) else {
        rewrite(value, mode, key, i);
        return;
    };
    if i > MAX_DEPTH {
        if i >= guard {
            *value = Value::Null;
        }
        return;
    }
    match (value, token.as_str()) {
        (Value::Null, _) => {}
        (Value::Array(items), "*") => {
            for item in items {
                rewrite_at(item, path, i + 1, guard, mode, key);
            }
        }
        (Value::Object(map), "*") => {
            for item in map.values_mut() {
                rewrite_at(item, path, i + 1, guard, mode, key);
            }
        }
        (Value::Object(map), name) => {
            if let Some(child) = map.get_mut(name) {
                rewrite_at(child, path, i + 1, guard, mode, key);
            }
        }
        (other, _) => {
            if i >= guard {
                rewrite(other, mode, key, i);
            }
        }
    }
}

/// Masks or hashes every value in `value`, keeping arrays and objects.
fn rewrite(value: &mut Value, mode: Redaction, key: &[u8; 32], depth: usize) {
    if depth > MAX_DEPTH {
        *value = Value::Null;
        return;
    }
    let hashed = mode == Redaction::Hash;
    let rewritten = match value {
        Value::Null => return,
        Value::String(s) if hashed => pseudonym(s, key),
        Value::String(s) => mask(s),
        Value::Number(n) if hashed => pseudonym(&n.to_string(), key),
        Value::Number(n) => mask_first(&n.to_string()),
        Value::Bool(b) if hashed => pseudonym(if *b { "true" } else { "false" }, key),
        // Masking a boolean's first letter would show it whole.
        Value::Bool(_) => "***".to_owned(),
        Value::Array(items) => {
            for item in items {
                rewrite(item, mode, key, depth + 1);
            }
            return;
        }
        Value::Object(map) => {
            for item in map.values_mut() {
                rewrite(item, mode, key, depth + 1);
            }
            return;
        }
    };
    *value = Value::String(rewritten);
}

/// Masks one value, keeping its shape: an email keeps the first character of its local part and its
/// domain (`j***@acme.com`); a phone number keeps its `+country` code, its separators and its last 4
/// digits (`+1-***-***-0100`); anything else keeps its first character (`J***`). Empty and
/// whitespace-only values stay as they are.
pub fn mask(value: &str) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return value.to_owned();
    }
    mask_email(trimmed)
        .or_else(|| mask_phone(trimmed))
        .unwrap_or_else(|| mask_first(trimmed))
}

/// The first character and `***`; empty stays empty.
fn mask_first(value: &str) -> String {
    value
        .chars()
        .next()
        .map_or_else(String::new, |first| format!("{first}***"))
}

/// `j***@acme.com`, when `s` is one address (no spaces, something before and after the last `@`).
fn mask_email(s: &str) -> Option<String> {
    let (local, domain) = s.rsplit_once('@')?;
    let first = local.chars().next()?;
    if domain.is_empty() || s.chars().any(char::is_whitespace) {
        return None;
    }
    Some(format!("{first}***@{domain}"))
}

/// Characters a phone number is written with besides digits.
const PHONE_SEPARATORS: [char; 5] = [' ', '-', '.', '(', ')'];

/// `+1-***-***-0100`, when `s` reads as a phone number: digits and separators only, `+` only first,
/// 7 to 15 digits, and not shaped like a date (`1990-05-17`, `17.05.1990`).
fn mask_phone(s: &str) -> Option<String> {
    let body = s.strip_prefix('+');
    let rest = body.unwrap_or(s);
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || PHONE_SEPARATORS.contains(&c))
    {
        return None;
    }
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits) || (body.is_none() && looks_like_date(rest)) {
        return None;
    }
    // The country code: the digits right after `+`, when 1 to 3 of them and a separator follows.
    let code_len = match body {
        Some(b) => {
            let code = b.chars().take_while(char::is_ascii_digit).count();
            let separated = b.chars().nth(code).is_some();
            if (1..=3).contains(&code) && separated {
                code
            } else {
                0
            }
        }
        None => 0,
    };
    let mut to_mask = (digits - code_len).saturating_sub(4);
    let mut out = String::with_capacity(s.len());
    if body.is_some() {
        out.push('+');
    }
    for (i, c) in rest.chars().enumerate() {
        if i >= code_len && c.is_ascii_digit() && to_mask > 0 {
            out.push('*');
            to_mask -= 1;
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Three digit groups split by one kind of separator, one of 4 digits and two of at most 2.
fn looks_like_date(s: &str) -> bool {
    ['-', '.', ' '].iter().any(|&sep| {
        let groups: Vec<&str> = s.split(sep).collect();
        groups.len() == 3
            && groups
                .iter()
                .all(|g| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit()))
            && groups.iter().filter(|g| g.len() == 4).count() == 1
            && groups.iter().filter(|g| g.len() <= 2).count() == 2
    })
}

/// Domain separation for pseudonyms, so the key can never produce a value another use of it does.
const PSEUDONYM_LABEL: &[u8] = b"switchboard pii pseudonym v1\0";

/// The keyed pseudonym of one value: `pii_` and the first 80 bits of HMAC-SHA256(`key`, value) in
/// lower-case base32 (16 characters). Surrounding spaces are ignored and an email address is
/// compared in lower case, so `Jane@Acme.com ` and `jane@acme.com` match; empty values stay empty.
pub fn pseudonym(value: &str, key: &[u8; 32]) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return value.to_owned();
    }
    let normalized = if mask_email(trimmed).is_some() {
        trimmed.to_lowercase()
    } else {
        trimmed.to_owned()
    };
    let mut mac = hmac(key);
    mac.update(PSEUDONYM_LABEL);
    mac.update(normalized.as_bytes());
    let tag = mac.finalize().into_bytes();
    let mut out = String::with_capacity(20);
    out.push_str("pii_");
    base32_into(tag.get(..10).unwrap_or_default(), &mut out);
    out
}

/// A tenant's pseudonym key derived from one server-wide secret: HMAC-SHA256(`master`, label ‖
/// `tenant`). Keys of different tenants are unrelated, so their pseudonyms cannot be matched.
pub fn tenant_key(master: &[u8; 32], tenant: &str) -> [u8; 32] {
    let mut mac = hmac(master);
    mac.update(b"switchboard pii tenant key v1\0");
    mac.update(tenant.as_bytes());
    mac.finalize().into_bytes().into()
}

fn hmac(key: &[u8; 32]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so the fallback is never used.
    Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| Hmac::<Sha256>::new(&Default::default()))
}

/// RFC 4648 base32, lower case, without padding (10 bytes give 16 characters).
fn base32_into(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut buffer: u16 = 0;
    let mut bits = 0u32;
    for &byte in bytes {
        buffer = (buffer << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[usize::from((buffer >> bits) & 31)]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(
            ALPHABET[usize::from((buffer << (5 - bits)) & 31)],
        ));
    }
}

// ------------------------------------------------------------------------------------------------
// Schemas

/// Calls `at` with every schema that describes the holder of the last token of `path`, and that token.
fn schema_at_parent(
    schema: &mut Value,
    path: &[String],
    depth: usize,
    at: &mut impl FnMut(&mut Value, &str),
) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        at(schema, first);
        return;
    }
    if depth > MAX_DEPTH {
        return;
    }
    for child in member_schemas(schema, first) {
        schema_at_parent(child, rest, depth + 1, at);
    }
}

/// The schemas a member `token` of values described by `schema` is validated against: `*` is every
/// array element (`items`) and every key (each of `properties`, and `additionalProperties`); a name is
/// its property, or `additionalProperties` when it is not listed.
fn member_schemas<'a>(schema: &'a mut Value, token: &str) -> Vec<&'a mut Value> {
    let Value::Object(schema) = schema else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let listed = token != "*"
        && schema
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| p.contains_key(token));
    for (keyword, value) in schema.iter_mut() {
        match keyword.as_str() {
            "items" if token == "*" && value.is_object() => out.push(value),
            "additionalProperties" if !listed && value.is_object() => out.push(value),
            "properties" => {
                if let Value::Object(props) = value {
                    if token == "*" {
                        out.extend(props.values_mut());
                    } else if let Some(v) = props.get_mut(token) {
                        out.push(v);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Applies `mode` to member `last` of the values `parent` describes.
fn redact_schema_member(parent: &mut Value, last: &str, mode: Redaction) {
    match mode {
        Redaction::Strip => strip_schema_member(parent, last),
        Redaction::Mask | Redaction::Hash => {
            for member in member_schemas(parent, last) {
                rewrite_schema(member, mode, 0);
            }
        }
    }
}

/// Takes member `last` (`*`: every member) out of an object or array schema.
fn strip_schema_member(parent: &mut Value, last: &str) {
    let Value::Object(schema) = parent else {
        return;
    };
    if last == "*" {
        if schema.remove("items").is_some() {
            schema.insert("maxItems".to_owned(), Value::from(0));
        }
        if let Some(Value::Object(props)) = schema.get_mut("properties") {
            props.clear();
        }
        schema.remove("additionalProperties");
        schema.remove("required");
        return;
    }
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        props.remove(last);
    }
    let emptied = match schema.get_mut("required") {
        Some(Value::Array(required)) => {
            required.retain(|r| r.as_str() != Some(last));
            required.is_empty()
        }
        _ => false,
    };
    if emptied {
        schema.remove("required");
    }
}

/// Keywords a masked or hashed value no longer meets.
const VALUE_CHECKS: [&str; 16] = [
    "format",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "pattern",
    "minLength",
    "maxLength",
    "contentEncoding",
    "contentMediaType",
    "default",
    "examples",
    "example",
];

/// The schema of a value after [`rewrite`]: containers keep their shape with every value inside
/// rewritten; a value becomes a string (or `null`, where it could be null).
fn rewrite_schema(schema: &mut Value, mode: Redaction, depth: usize) {
    let Value::Object(map) = schema else {
        return;
    };
    if depth > MAX_DEPTH {
        // Values this deep are replaced by `null`.
        map.clear();
        return;
    }
    let types = types_of(map);
    let container = types.iter().any(|t| t == "object" || t == "array")
        || map.contains_key("properties")
        || map.contains_key("items");
    let free_form = !(map.contains_key("properties")
        || map.contains_key("items")
        || map.contains_key("additionalProperties"));
    if container && !free_form {
        for (keyword, value) in map.iter_mut() {
            match keyword.as_str() {
                "items" | "additionalProperties" => rewrite_schema(value, mode, depth + 1),
                "properties" => {
                    if let Value::Object(props) = value {
                        for v in props.values_mut() {
                            rewrite_schema(v, mode, depth + 1);
                        }
                    }
                }
                _ => {}
            }
        }
        return;
    }
    for keyword in VALUE_CHECKS {
        map.remove(keyword);
    }
    // A free-form object or array keeps its shape: every value inside it is rewritten (`rewrite`), and
    // its schema, which allows any member, stays true. Only scalars become strings.
    if !types.is_empty() && !container {
        let ty = if types.iter().any(|t| t == "null") {
            Value::from(vec!["string", "null"])
        } else {
            Value::from("string")
        };
        map.insert("type".to_owned(), ty);
    }
    let note = match mode {
        Redaction::Hash => {
            "Pseudonymized for privacy: `pii_` and 16 characters, always the same for the same value, so records can be matched without showing it."
        }
        Redaction::Mask | Redaction::Strip => {
            "Masked for privacy: only the first character shows (an email address keeps its domain, a phone number its country code and last 4 digits)."
        }
    };
    let description = match map.get("description").and_then(Value::as_str) {
        Some(d) if !d.trim().is_empty() => {
            let d = d.trim();
            if d.ends_with(['.', '!', '?']) {
                format!("{d} {note}")
            } else {
                format!("{d}. {note}")
            }
        }
        _ => note.to_owned(),
    };
    map.insert("description".to_owned(), Value::String(description));
}

/// The `type` keyword as a list of names (empty when absent).
fn types_of(schema: &Map<String, Value>) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::table::{Annotations, HttpVerb, MethodKind, Pagination, PaginationStyle};

    const KEY: [u8; 32] = [7; 32];

    fn tool(pii: &'static [&'static str], list: bool) -> Tool {
        Tool {
            name: "t",
            title: "",
            description: "",
            integration: "example",
            resource: "people",
            method: "list",
            kind: if list {
                MethodKind::List
            } else {
                MethodKind::Get
            },
            http: HttpVerb::Get,
            path: "/people",
            params: &[],
            fixed_query: &[],
            extra_body: None,
            pagination: list.then_some(Pagination {
                style: PaginationStyle::Cursor,
                results: "/results",
                param: Some("after"),
                next: Some("/next"),
                has_more: None,
                limit_param: None,
                limit_header: None,
                max_limit: None,
            }),
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
            pii,
            mostly_pii: true,
        }
    }

    #[test]
    fn modes_parse_in_any_case_and_say_what_is_expected() {
        assert_eq!("strip".parse(), Ok(Redaction::Strip));
        assert_eq!(" MASK ".parse(), Ok(Redaction::Mask));
        assert_eq!("Hash".parse(), Ok(Redaction::Hash));
        let error = "scramble".parse::<Redaction>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown redaction `scramble`: expected strip, mask or hash"
        );
        assert!("".parse::<Redaction>().is_err());
        for mode in [Redaction::Strip, Redaction::Mask, Redaction::Hash] {
            assert_eq!(mode.to_string().parse(), Ok(mode));
        }
    }

    #[test]
    fn emails_keep_their_first_character_and_domain() {
        assert_eq!(mask("jane@acme.com"), "j***@acme.com");
        assert_eq!(
            mask("  Jane.Doe+crm@mail.acme.co.uk "),
            "J***@mail.acme.co.uk"
        );
        assert_eq!(mask("élodie@exemple.fr"), "é***@exemple.fr");
        // Not one address: the generic rule.
        assert_eq!(mask("Jane Doe <jane@acme.com>"), "J***");
        assert_eq!(mask("@acme.com"), "@***");
        assert_eq!(mask("jane@"), "j***");
    }

    #[test]
    fn phones_keep_the_country_code_separators_and_last_four_digits() {
        assert_eq!(mask("+1-555-555-0100"), "+1-***-***-0100");
        assert_eq!(mask("+44 20 7946 0958"), "+44 ** **** 0958");
        assert_eq!(mask("(555) 555-0100"), "(***) ***-0100");
        assert_eq!(mask("555.555.0100"), "***.***.0100");
        assert_eq!(mask("555-0100"), "***-0100");
        // E.164 without separators: the country code cannot be told apart, so only `+` stays.
        assert_eq!(mask("+15555550100"), "+*******0100");
        // Too few digits, letters, or a date: the generic rule.
        assert_eq!(mask("555-01"), "5***");
        assert_eq!(mask("555-0100 ext. 12"), "5***");
        assert_eq!(mask("1990-05-17"), "1***");
        assert_eq!(mask("17.05.1990"), "1***");
        assert_eq!(mask("+1-555-555-0100+2"), "+***");
    }

    #[test]
    fn other_strings_keep_their_first_character_and_empty_ones_stay() {
        assert_eq!(mask("Jane"), "J***");
        assert_eq!(mask("J"), "J***");
        assert_eq!(mask(" Émilie"), "É***");
        assert_eq!(mask("李小龙"), "李***");
        assert_eq!(mask("👩‍👩‍👧 family"), "👩***");
        assert_eq!(mask(""), "");
        assert_eq!(mask("   "), "   ");
        assert_eq!(mask("\u{0}\u{FFFF}"), "\u{0}***");
    }

    #[test]
    fn pseudonyms_are_stable_per_key_and_differ_across_keys() {
        let a = pseudonym("jane@acme.com", &KEY);
        assert_eq!(a, pseudonym("jane@acme.com", &KEY));
        assert_eq!(a.len(), 20);
        assert!(a.starts_with("pii_"));
        assert!(
            a[4..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c))
        );
        assert!(!a.contains("jane"));
        // An address matches whatever its case and surrounding spaces.
        assert_eq!(a, pseudonym(" Jane@ACME.com ", &KEY));
        assert_ne!(a, pseudonym("jane@acme.org", &KEY));
        assert_ne!(a, pseudonym("jane@acme.com", &[8; 32]));
        // Other values are compared as written.
        assert_ne!(pseudonym("Jane", &KEY), pseudonym("jane", &KEY));
        assert_eq!(pseudonym("", &KEY), "");
        assert_eq!(pseudonym("  ", &KEY), "  ");
    }

    #[test]
    fn tenant_keys_differ_per_tenant_and_master() {
        let master = [1; 32];
        let acme = tenant_key(&master, "acme");
        assert_eq!(acme, tenant_key(&master, "acme"));
        assert_ne!(acme, tenant_key(&master, "globex"));
        assert_ne!(acme, tenant_key(&[2; 32], "acme"));
        assert_ne!(
            pseudonym("jane@acme.com", &acme),
            pseudonym("jane@acme.com", &tenant_key(&master, "globex"))
        );
    }

    #[test]
    fn base32_is_rfc_4648() {
        let encode = |bytes: &[u8]| {
            let mut out = String::new();
            base32_into(bytes, &mut out);
            out
        };
        assert_eq!(encode(b""), "");
        assert_eq!(encode(b"f"), "my");
        assert_eq!(encode(b"fo"), "mzxq");
        assert_eq!(encode(b"foo"), "mzxw6");
        assert_eq!(encode(b"foobar"), "mzxw6ytboi");
        assert_eq!(encode(&[0xff; 10]), "7777777777777777");
    }

    static NESTED: &[&str] = &[
        "/emails",
        "/emails/*/address",
        "/history",
        "/name",
        "/profile/*",
    ];

    fn person() -> Value {
        json!({
            "id": "1",
            "name": "Jane",
            "emails": [
                {"address": "jane@acme.com", "primary": true},
                {"address": null, "primary": false},
            ],
            "history": {"name": [{"value": "J. Doe", "at": 1_700_000_000, "ok": true}]},
            "profile": {"age": 42, "tags": ["a", ""]},
        })
    }

    #[test]
    fn strip_removes_the_outermost_marks() {
        let t = tool(NESTED, true);
        let mut envelope =
            json!({"result": [person(), {"id": "2"}], "next_cursor": null, "result_count": 2});
        redact_result(&t, &mut envelope, Redaction::Strip, &KEY);
        assert_eq!(
            envelope,
            json!({"result": [{"id": "1", "profile": {}}, {"id": "2"}], "next_cursor": null, "result_count": 2})
        );
    }

    #[test]
    fn mask_rewrites_marked_values_and_keeps_unmarked_ones_inside_marked_containers() {
        let t = tool(NESTED, false);
        let mut envelope = json!({"result": person()});
        redact_result(&t, &mut envelope, Redaction::Mask, &KEY);
        assert_eq!(
            envelope["result"],
            json!({
                "id": "1",
                "name": "J***",
                "emails": [
                    {"address": "j***@acme.com", "primary": true},
                    {"address": null, "primary": false},
                ],
                "history": {"name": [{"value": "J***", "at": "1***", "ok": "***"}]},
                "profile": {"age": "4***", "tags": ["a***", ""]},
            })
        );
    }

    #[test]
    fn hash_gives_the_same_pseudonym_for_the_same_value() {
        let t = tool(NESTED, true);
        let mut envelope = json!({"result": [person(), person()], "result_count": 2});
        redact_result(&t, &mut envelope, Redaction::Hash, &KEY);
        let records = envelope["result"].as_array().cloned().unwrap_or_default();
        assert_eq!(records[0], records[1]);
        assert_eq!(records[0]["name"], json!(pseudonym("Jane", &KEY)));
        assert_eq!(
            records[0]["emails"][0]["address"],
            json!(pseudonym("jane@acme.com", &KEY))
        );
        assert_eq!(records[0]["emails"][0]["primary"], json!(true));
        assert_eq!(records[0]["profile"]["age"], json!(pseudonym("42", &KEY)));
        assert_eq!(records[0]["emails"][1]["address"], Value::Null);
    }

    #[test]
    fn unexpected_shapes_never_panic_and_leave_nothing_marked_in_view() {
        let t = tool(NESTED, true);
        let odd = [
            json!(null),
            json!("text"),
            json!({"result": null}),
            json!({"result": "not a list"}),
            json!({"result": [null, 1, "x", [], {"name": {"first": "Jane"}}, {"emails": "jane@acme.com"}, {"emails": [1, [2], null]}, {"profile": [1, 2]}, {"history": 3}]}),
        ];
        for mode in [Redaction::Strip, Redaction::Mask, Redaction::Hash] {
            for value in &odd {
                let mut v = value.clone();
                redact_result(&t, &mut v, mode, &KEY);
                let text = v.to_string();
                assert!(
                    !text.contains("Jane") && !text.contains("jane@"),
                    "{mode}: {text}"
                );
            }
        }
        // Nesting past MAX_DEPTH inside a marked value is replaced, not shown.
        let mut deep = json!("jane@acme.com");
        for _ in 0..200 {
            deep = json!([deep]);
        }
        let mut envelope = json!({"result": [{"name": deep}]});
        redact_result(&t, &mut envelope, Redaction::Mask, &KEY);
        assert!(!envelope.to_string().contains("jane@"));
    }

    #[test]
    fn a_tool_without_marks_is_left_alone() {
        let t = tool(&[], true);
        let mut envelope = json!({"result": [person()], "result_count": 1});
        let before = envelope.clone();
        for mode in [Redaction::Strip, Redaction::Mask, Redaction::Hash] {
            redact_result(&t, &mut envelope, mode, &KEY);
            assert_eq!(envelope, before);
        }
    }

    fn person_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "result": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": ["string", "null"], "description": "Name", "examples": ["Jane"]},
                        "emails": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "address": {"type": "string", "format": "email", "description": "The address."},
                                    "primary": {"type": "boolean"},
                                },
                                "required": ["address", "primary"],
                            },
                        },
                        "history": {"type": "object", "additionalProperties": {"type": "array", "items": {
                            "type": "object",
                            "properties": {"value": {"type": "string"}, "at": {"type": "integer", "minimum": 0}},
                        }}},
                        "profile": {"type": "object", "properties": {"age": {"type": "integer"}}, "additionalProperties": {"type": "array", "items": {"type": "string"}}},
                    },
                    "required": ["id", "name"],
                },
            },
            "required": ["result"],
        })
    }

    #[test]
    fn strip_takes_marked_properties_out_of_the_schema() {
        let t = tool(NESTED, false);
        let mut schema = person_schema();
        redact_output_schema(&t, &mut schema, Redaction::Strip);
        let record = &schema["properties"]["result"];
        let mut listed: Vec<&String> = record["properties"]
            .as_object()
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        listed.sort();
        assert_eq!(listed, ["id", "profile"]);
        assert_eq!(record["required"], json!(["id"]));
        assert_eq!(record["properties"]["profile"]["properties"], json!({}));
        assert!(
            record["properties"]["profile"]
                .get("additionalProperties")
                .is_none()
        );
    }

    #[test]
    fn mask_and_hash_make_rewritten_values_strings_and_say_so() {
        for mode in [Redaction::Mask, Redaction::Hash] {
            let t = tool(NESTED, false);
            let mut schema = person_schema();
            redact_output_schema(&t, &mut schema, mode);
            let record = &schema["properties"]["result"]["properties"];
            assert_eq!(record["name"]["type"], json!(["string", "null"]));
            assert!(record["name"].get("examples").is_none());
            let address = &record["emails"]["items"]["properties"]["address"];
            assert_eq!(address["type"], json!("string"));
            assert!(address.get("format").is_none());
            assert!(
                address["description"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("The address. ") && d.len() > 20)
            );
            assert_eq!(
                record["emails"]["items"]["properties"]["primary"],
                json!({"type": "boolean"})
            );
            let at = &record["history"]["additionalProperties"]["items"]["properties"]["at"];
            assert_eq!(at["type"], json!("string"));
            assert!(at.get("minimum").is_none());
            assert_eq!(
                record["profile"]["properties"]["age"]["type"],
                json!("string")
            );
            assert_eq!(record["id"], json!({"type": "string"}));
        }
    }
}
