//! The helper functions generated field maps call. Each is total: any input gives a value, never a
//! panic; a wrongly typed input gives `null` (unified models treat null as "not known").
//!
//! Reading is borrowed ([`at`] returns a reference into the vendor record), [`omit`] and
//! [`with_suffix`] copy only the entries they keep, and the helpers that reshape a computed value
//! ([`compact`], [`to_strings`]) take it by value and work in place, so a map copies each vendor value
//! it keeps about once.

pub use serde_json::{Map, Value};

/// `null`, for borrowed reads of what is not there.
pub static NULL: Value = Value::Null;

/// One step of a path.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    /// An object key.
    Key(&'static str),
    /// An array index.
    Index(usize),
}

/// A number literal as a JSON value (whole numbers stay integers).
pub fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        // Whole and in range, so exact.
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// The value when it is a string; null otherwise (a vendor field documented as a string that holds
/// something else is treated as missing).
pub fn only_string(v: &Value) -> &Value {
    if v.is_string() { v } else { &NULL }
}

/// The value when it is a number; null otherwise.
pub fn only_number(v: &Value) -> &Value {
    if v.is_number() { v } else { &NULL }
}

/// The value when it is a boolean; null otherwise.
pub fn only_bool(v: &Value) -> &Value {
    if v.is_boolean() { v } else { &NULL }
}

/// The value at `steps` below `root`, or null; borrowed, nothing copied.
pub fn at<'a>(root: &'a Value, steps: &[Step]) -> &'a Value {
    let mut v = root;
    for step in steps {
        v = match (step, v) {
            (Step::Key(k), Value::Object(m)) => match m.get(*k) {
                Some(x) => x,
                None => return &NULL,
            },
            (Step::Index(i), Value::Array(a)) => match a.get(*i) {
                Some(x) => x,
                None => return &NULL,
            },
            _ => return &NULL,
        };
    }
    v
}

/// The value at `steps` below `root`, or null, as an owned copy.
pub fn path(root: &Value, steps: &[Step]) -> Value {
    at(root, steps).clone()
}

/// Whether the value is a string with something besides white space: `exists(trim(x))` without
/// building the trimmed string.
pub fn has_text(v: &Value) -> Value {
    Value::Bool(v.as_str().is_some_and(|s| !s.trim().is_empty()))
}

/// Sets `value` at `path` inside `target`, creating objects on the way; a null value is left out, so
/// an unset unified field never clears a vendor field.
pub fn set_path(target: &mut Value, path: &[&str], value: Value) {
    if value.is_null() {
        return;
    }
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = target;
    for key in parents {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(m) = node else { return };
        node = m
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    if let Value::Object(m) = node {
        m.insert((*last).to_owned(), value);
    }
}

/// Sets each non-null entry of the object `value` at `path` inside `target` (creating objects on the
/// way), as if each were a target of its own; anything but an object sets nothing.
pub fn spread_at(target: &mut Value, path: &[&str], value: Value) {
    let Value::Object(entries) = value else {
        return;
    };
    for (key, v) in entries {
        let mut keys: Vec<&str> = path.to_vec();
        keys.push(&key);
        set_path(target, &keys, v);
    }
}

/// Whether a value counts as true: not null, false, 0 or "".
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// `a ?? b`: `a` unless it is null (or an empty string, which vendors use for "none").
pub fn coalesce(a: Value, b: impl FnOnce() -> Value) -> Value {
    match &a {
        Value::Null => b(),
        Value::String(s) if s.is_empty() => b(),
        _ => a,
    }
}

/// `if(c, a, b)`.
pub fn if_(c: &Value, a: impl FnOnce() -> Value, b: impl FnOnce() -> Value) -> Value {
    if truthy(c) { a() } else { b() }
}

/// Arrays joined into one, or strings into one string.
pub fn concat(parts: Vec<Value>) -> Value {
    if parts
        .iter()
        .all(|p| matches!(p, Value::String(_) | Value::Null))
        && parts.iter().any(Value::is_string)
    {
        let mut s = String::new();
        for p in &parts {
            if let Value::String(x) = p {
                s.push_str(x);
            }
        }
        return Value::String(s);
    }
    let mut out = Vec::new();
    for p in parts {
        match p {
            Value::Array(a) => out.extend(a),
            Value::Null => {}
            other => out.push(other),
        }
    }
    Value::Array(out)
}

/// Every element mapped by `f`.
pub fn map(list: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match list {
        Value::Array(a) => Value::Array(a.iter().map(f).collect()),
        _ => Value::Array(Vec::new()),
    }
}

/// The elements for which `f` is truthy.
pub fn filter(list: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match list {
        Value::Array(a) => Value::Array(a.iter().filter(|x| truthy(&f(x))).cloned().collect()),
        _ => Value::Array(Vec::new()),
    }
}

/// Whether a value is present and meaningful (not null, not an empty string).
fn present(v: &Value) -> bool {
    !(v.is_null() || v.as_str().is_some_and(str::is_empty))
}

/// Drops empty values — nulls, empty strings, empty arrays and empty objects — from an array, or the
/// keys holding them from an object: "absent" and "none" read the same in every CRM.
pub fn compact(mut v: Value) -> Value {
    let keep = |x: &Value| match x {
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
        other => present(other),
    };
    match &mut v {
        Value::Array(a) => a.retain(keep),
        Value::Object(m) => m.retain(|_, x| keep(x)),
        _ => {}
    }
    v
}

/// True when present and not null.
pub fn exists(v: &Value) -> Value {
    Value::Bool(present(v))
}

/// Negation of [`truthy`].
pub fn not(v: &Value) -> Value {
    Value::Bool(!truthy(v))
}

/// The first element, or null.
pub fn first(v: &Value) -> Value {
    v.as_array()
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or(Value::Null)
}

/// The last element, or null.
pub fn last(v: &Value) -> Value {
    v.as_array()
        .and_then(|a| a.last())
        .cloned()
        .unwrap_or(Value::Null)
}

/// Where index `i` of a list of `len` points, counting from the end when negative; `None` past
/// either end.
fn position(i: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let at = if i < 0 { len.checked_add(i)? } else { i };
    (0..len).contains(&at).then(|| usize::try_from(at).ok())?
}

/// Element `i` of an array (from the end when negative), or null.
pub fn index(v: &Value, i: i64) -> Value {
    v.as_array()
        .and_then(|a| a.get(position(i, a.len())?))
        .cloned()
        .unwrap_or(Value::Null)
}

/// The elements from `start` up to (not including) `end`, each counted from the end when negative
/// and clamped to the array, as in Python; an empty array when the range is empty or `v` is not an
/// array.
pub fn slice(v: &Value, start: Option<i64>, end: Option<i64>) -> Value {
    let Some(a) = v.as_array() else {
        return Value::Array(Vec::new());
    };
    let len = i64::try_from(a.len()).unwrap_or(i64::MAX);
    let clamp = |i: i64| {
        let at = if i < 0 { len.saturating_add(i) } else { i };
        usize::try_from(at.clamp(0, len)).unwrap_or(0)
    };
    let from = start.map_or(0, clamp);
    let to = end.map_or(a.len(), clamp);
    Value::Array(a.get(from..to.max(from)).unwrap_or_default().to_vec())
}

/// `table[key]`, the key being the value as a string (numbers and booleans written out); `default`
/// when the key is not in the table (or the value is null, an array or an object).
pub fn lookup(v: &Value, table: &Value, default: &Value) -> Value {
    let key = match v {
        Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
        Value::Number(n) => std::borrow::Cow::Owned(n.to_string()),
        Value::Bool(b) => std::borrow::Cow::Owned(b.to_string()),
        _ => return default.clone(),
    };
    table
        .get(key.as_ref())
        .cloned()
        .unwrap_or_else(|| default.clone())
}

/// Every occurrence of `from` in the string replaced by `to` (plain text, not a pattern); null when
/// `v` is not a string. An empty `from` changes nothing.
pub fn replace(v: &Value, from: &Value, to: &Value) -> Value {
    let (Some(s), Some(from)) = (v.as_str(), from.as_str()) else {
        return if v.is_string() {
            v.clone()
        } else {
            Value::Null
        };
    };
    if from.is_empty() {
        return v.clone();
    }
    Value::String(s.replace(from, to.as_str().unwrap_or("")))
}

/// A number rounded to `digits` decimals (0 when null; at most 12), halves away from zero; null
/// when `v` is not a number. Whole results are written as integers.
pub fn round(v: &Value, digits: &Value) -> Value {
    let Some(n) = v.as_f64().filter(|n| n.is_finite()) else {
        return Value::Null;
    };
    if v.is_i64() || v.is_u64() {
        return v.clone();
    }
    let digits = digits.as_i64().unwrap_or(0).clamp(0, 12);
    let scale = 10f64.powi(i32::try_from(digits).unwrap_or(0));
    let scaled = n * scale;
    if !scaled.is_finite() || scaled.abs() >= EXACT_WHOLE {
        // Past 2^53 an f64 has no fraction left to round.
        return v.clone();
    }
    number(scaled.round() / scale)
}

/// Strings joined with a separator, skipping nulls and empty strings; null when nothing is left.
pub fn join(list: &Value, sep: &Value) -> Value {
    let sep = sep.as_str().unwrap_or("");
    let parts: Vec<String> = list
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| present(x))
                .filter_map(scalar_string)
                .collect()
        })
        .unwrap_or_default();
    if parts.is_empty() {
        Value::Null
    } else {
        Value::String(parts.join(sep))
    }
}

/// Lower case.
pub fn lower(v: &Value) -> Value {
    v.as_str()
        .map_or(Value::Null, |s| Value::String(s.to_lowercase()))
}

/// Upper case.
pub fn upper(v: &Value) -> Value {
    v.as_str()
        .map_or(Value::Null, |s| Value::String(s.to_uppercase()))
}

/// Trimmed; an empty result is null.
pub fn trim(v: &Value) -> Value {
    match v.as_str().map(str::trim) {
        Some(s) if !s.is_empty() => Value::String(s.to_owned()),
        _ => Value::Null,
    }
}

/// Split by a separator; parts trimmed, empty parts dropped.
pub fn split(v: &Value, sep: &Value) -> Value {
    let (Some(s), Some(sep)) = (v.as_str(), sep.as_str()) else {
        return Value::Array(Vec::new());
    };
    if sep.is_empty() {
        return Value::Array(vec![Value::String(s.to_owned())]);
    }
    Value::Array(
        s.split(sep)
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| Value::String(p.to_owned()))
            .collect(),
    )
}

/// `true`/`false` from booleans, "true"/"false" (any case), 1/0; otherwise null.
pub fn to_boolean(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Value::Bool(true),
            Some(0.0) => Value::Bool(false),
            _ => Value::Null,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

/// Largest magnitude below which every whole `f64` is exact (2^53).
const EXACT_WHOLE: f64 = 9_007_199_254_740_992.0;

/// A number from a number or a numeric string; otherwise null. Whole values are written as integers,
/// so one vendor's `5000.0` and another's `"5000"` map to the same canonical `5000`.
pub fn to_number(v: &Value) -> Value {
    let number = match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => return v.clone(),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let t = s.trim();
            if let Ok(i) = t.parse::<i64>() {
                return Value::from(i);
            }
            t.parse::<f64>().ok()
        }
        _ => None,
    };
    match number.filter(|f| f.is_finite()) {
        Some(f) if f.fract() == 0.0 && f.abs() < EXACT_WHOLE => Value::from(f as i64),
        Some(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        None => Value::Null,
    }
}

/// An integer from a whole number or a whole numeric string; otherwise null (never rounded).
pub fn to_integer(v: &Value) -> Value {
    match to_number(v) {
        n @ Value::Number(_) if n.is_i64() || n.is_u64() => n,
        _ => Value::Null,
    }
}

/// The lower-cased host of a URL or a bare domain (`https://www.Example.com:443/about` →
/// `example.com`), without scheme, user, port, path or a leading `www.`; null when there is none.
pub fn host(v: &Value) -> Value {
    let Some(s) = v.as_str() else {
        return Value::Null;
    };
    let s = s.trim();
    let rest = s.split_once("://").map_or(s, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = hostport
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    if host.is_empty() || host.contains(char::is_whitespace) {
        Value::Null
    } else {
        Value::String(host.to_owned())
    }
}

/// Every scalar value of an object as a string; nulls, arrays and objects dropped.
pub fn to_strings(obj: Value) -> Value {
    let Value::Object(mut m) = obj else {
        return Value::Object(Map::new());
    };
    m.retain(|_, v| match v {
        Value::String(_) => true,
        Value::Number(_) | Value::Bool(_) => {
            *v = scalar_string(v).map_or(Value::Null, Value::String);
            true
        }
        _ => false,
    });
    Value::Object(m)
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A string from a scalar; null otherwise.
pub fn to_string(v: &Value) -> Value {
    scalar_string(v).map_or(Value::Null, Value::String)
}

/// The object without `keys`.
pub fn omit(obj: &Value, keys: &Value) -> Value {
    let Value::Object(m) = obj else {
        return Value::Object(Map::new());
    };
    let keys = keys.as_array().map(Vec::as_slice).unwrap_or_default();
    // Only the kept entries are copied.
    Value::Object(
        m.iter()
            .filter(|(k, _)| !keys.iter().any(|key| key.as_str() == Some(k.as_str())))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// The object without the keys `drop` names; what generated maps call when the keys are written out
/// in the map, so the test compiles to a `match` rather than a scan of a list.
pub fn omit_where(obj: &Value, drop: impl Fn(&str) -> bool) -> Value {
    let Value::Object(m) = obj else {
        return Value::Object(Map::new());
    };
    Value::Object(
        m.iter()
            .filter(|(k, _)| !drop(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// An object's entries as `[{key, value}]`, in the object's order; an empty list for anything else.
pub fn entries(obj: &Value) -> Value {
    let Value::Object(m) = obj else {
        return Value::Array(Vec::new());
    };
    Value::Array(
        m.iter()
            .map(|(k, v)| {
                let mut entry = Map::new();
                entry.insert("key".to_owned(), Value::String(k.clone()));
                entry.insert("value".to_owned(), v.clone());
                Value::Object(entry)
            })
            .collect(),
    )
}

/// An object from `[{key, value}]`: keys read as strings (numbers written out), later entries
/// winning; elements without a usable key are skipped. An empty object for anything but an array.
pub fn from_entries(list: &Value) -> Value {
    let mut out = Map::new();
    for item in list.as_array().into_iter().flatten() {
        let key = match item.get("key") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        out.insert(key, item.get("value").cloned().unwrap_or(Value::Null));
    }
    Value::Object(out)
}

/// The object's entries whose key starts with `prefix`.
pub fn with_prefix(obj: &Value, prefix: &Value) -> Value {
    let (Value::Object(m), Some(prefix)) = (obj, prefix.as_str()) else {
        return Value::Object(Map::new());
    };
    Value::Object(
        m.iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// The object's entries whose key starts with `prefix`, keyed without it (an entry whose key is
/// the prefix alone is dropped: it would have no name).
pub fn without_prefix(obj: &Value, prefix: &Value) -> Value {
    let (Value::Object(m), Some(prefix)) = (obj, prefix.as_str()) else {
        return Value::Object(Map::new());
    };
    Value::Object(
        m.iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix(prefix).filter(|rest| !rest.is_empty())?;
                Some((rest.to_owned(), v.clone()))
            })
            .collect(),
    )
}

/// The object's entries whose key matches the regular expression `pattern` (compiled once per
/// pattern; a pattern that does not compile matches nothing, though the compiler refuses those).
pub fn with_pattern(obj: &Value, pattern: &Value) -> Value {
    use std::collections::HashMap;
    use std::sync::{Mutex, PoisonError};
    static COMPILED: Mutex<Option<HashMap<String, Option<regex::Regex>>>> = Mutex::new(None);
    let (Value::Object(m), Some(pattern)) = (obj, pattern.as_str()) else {
        return Value::Object(Map::new());
    };
    let re = {
        let mut cache = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
        let cache = cache.get_or_insert_with(HashMap::new);
        // Patterns come from the generated tables: a handful, so the cache never grows past them.
        cache
            .entry(pattern.to_owned())
            .or_insert_with(|| regex::Regex::new(pattern).ok())
            .clone()
    };
    let Some(re) = re else {
        return Value::Object(Map::new());
    };
    Value::Object(
        m.iter()
            .filter(|(k, _)| re.is_match(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// The object's entries whose key ends with `suffix`.
pub fn with_suffix(obj: &Value, suffix: &Value) -> Value {
    let (Value::Object(m), Some(suffix)) = (obj, suffix.as_str()) else {
        return Value::Object(Map::new());
    };
    Value::Object(
        m.iter()
            .filter(|(k, _)| k.ends_with(suffix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// A timestamp normalized to RFC 3339 UTC (`2021-12-02T18:22:42Z`, fractional seconds kept when not
/// zero). Accepts RFC 3339 with any offset, offsets written `+0000`, and epoch milliseconds (number or
/// digit string). Anything else is null.
pub fn datetime(v: &Value) -> Value {
    let millis = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        Value::String(s) => parse_rfc3339_millis(s.trim()),
        _ => None,
    };
    // RFC 3339 has four-digit years: 0000-01-01 to 9999-12-31.
    const FIRST: i64 = -62_167_219_200_000;
    const LAST: i64 = 253_402_300_799_999;
    millis
        .filter(|ms| (FIRST..=LAST).contains(ms))
        .map_or(Value::Null, |ms| Value::String(format_utc(ms)))
}

/// A calendar date (`2024-04-01`) from a `YYYY-MM-DD` date, an RFC 3339 timestamp or epoch
/// milliseconds as a number (the UTC date); null otherwise, including impossible dates such as
/// `2024-02-30`.
pub fn date(v: &Value) -> Value {
    if let Some(s) = v.as_str().map(str::trim)
        && s.len() == 10
    {
        let valid = parse_rfc3339_millis(&format!("{s}T00:00:00Z"))
            .is_some_and(|ms| format_utc(ms).get(..10) == Some(s));
        return if valid {
            Value::String(s.to_owned())
        } else {
            Value::Null
        };
    }
    // Digit strings are not dates here ("0" is no close date), though numbers are epoch milliseconds.
    if v.as_str()
        .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
    {
        return Value::Null;
    }
    match datetime(v) {
        Value::String(ts) => ts
            .get(..10)
            .map_or(Value::Null, |d| Value::String(d.to_owned())),
        _ => Value::Null,
    }
}

/// Milliseconds since the Unix epoch of an RFC 3339-like timestamp.
fn parse_rfc3339_millis(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 19
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = s.get(start..i)?;
        let padded: String = frac.chars().chain(std::iter::repeat('0')).take(3).collect();
        millis = padded.parse().ok()?;
    }
    let offset_minutes = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) => {
            let rest = s.get(i + 1..)?.replace(':', "");
            if rest.len() != 4 || !rest.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let h: i64 = rest[..2].parse().ok()?;
            let m: i64 = rest[2..].parse().ok()?;
            let total = h * 60 + m;
            if *sign == b'-' { -total } else { total }
        }
        None => 0,
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(
        ((days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60) * 1000)
            + millis,
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    // Inverse of days_from_civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s) = (tod / 3600, tod % 3600 / 60, tod % 60);
    if frac == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_round_trip_and_take_numeric_keys() {
        let fields = json!({"360001": "gold", "360002": 5});
        let list = entries(&fields);
        assert_eq!(
            list,
            json!([{"key": "360001", "value": "gold"}, {"key": "360002", "value": 5}])
        );
        assert_eq!(from_entries(&list), fields);
        assert_eq!(
            from_entries(
                &json!([{"key": 7, "value": true}, {"value": 1}, "x", {"key": 7, "value": false}])
            ),
            json!({"7": false})
        );
        assert_eq!(entries(&json!([1])), json!([]));
        assert_eq!(from_entries(&json!({"key": "a"})), json!({}));
    }

    #[test]
    fn pattern_selects_custom_field_keys() {
        let key = "dcf558aac1ae4e8c4f849ba5e668430d8df9be12";
        let record = json!({"name": "Ann", key: "teal", "first_char": "a"});
        assert_eq!(
            with_pattern(&record, &json!("^[0-9a-f]{40}$")),
            json!({key: "teal"})
        );
        assert_eq!(with_pattern(&record, &json!("(")), json!({}));
        assert_eq!(with_pattern(&json!([]), &json!(".*")), json!({}));
    }

    #[test]
    fn spreads_set_each_entry_and_skip_nulls() {
        let mut body = json!({"properties": {"firstname": "Ann"}});
        spread_at(
            &mut body,
            &["properties"],
            json!({"favourite_colour": "teal", "gone": null, "firstname": "Bob"}),
        );
        assert_eq!(
            body,
            json!({"properties": {"firstname": "Bob", "favourite_colour": "teal"}})
        );
        let mut root = json!({});
        spread_at(&mut root, &[], json!({"dcf558aa": 3}));
        spread_at(&mut root, &[], json!("not an object"));
        assert_eq!(root, json!({"dcf558aa": 3}));
    }

    #[test]
    fn indexes_and_slices_count_from_either_end_and_never_panic() {
        let v = json!(["a", "b", "c"]);
        assert_eq!(index(&v, 0), json!("a"));
        assert_eq!(index(&v, -1), json!("c"));
        assert_eq!(index(&v, 3), Value::Null);
        assert_eq!(index(&v, -4), Value::Null);
        assert_eq!(index(&v, i64::MIN), Value::Null);
        assert_eq!(index(&json!("abc"), 0), Value::Null);
        assert_eq!(slice(&v, Some(1), None), json!(["b", "c"]));
        assert_eq!(slice(&v, None, Some(-1)), json!(["a", "b"]));
        assert_eq!(slice(&v, Some(-2), Some(-1)), json!(["b"]));
        assert_eq!(slice(&v, Some(2), Some(1)), json!([]));
        assert_eq!(slice(&v, Some(i64::MIN), Some(i64::MAX)), v);
        assert_eq!(slice(&Value::Null, None, None), json!([]));
        assert_eq!(last(&v), json!("c"));
        assert_eq!(last(&json!([])), Value::Null);
    }

    #[test]
    fn lookup_replace_round_and_prefixes() {
        let table = json!({"work": "work", "cell": "mobile", "1": "one"});
        assert_eq!(
            lookup(&json!("cell"), &table, &json!("other")),
            json!("mobile")
        );
        assert_eq!(
            lookup(&json!("fax"), &table, &json!("other")),
            json!("other")
        );
        assert_eq!(lookup(&json!(1), &table, &Value::Null), json!("one"));
        assert_eq!(
            lookup(&Value::Null, &table, &json!("other")),
            json!("other")
        );
        assert_eq!(
            replace(&json!("a-b-c"), &json!("-"), &json!("")),
            json!("abc")
        );
        assert_eq!(
            replace(&json!("abc"), &json!(""), &json!("x")),
            json!("abc")
        );
        assert_eq!(replace(&json!(3), &json!("3"), &json!("x")), Value::Null);
        assert_eq!(round(&json!(2.345), &json!(2)), json!(2.35));
        assert_eq!(round(&json!(-2.5), &Value::Null), json!(-3));
        assert_eq!(round(&json!(7), &json!(2)), json!(7));
        assert_eq!(round(&json!("2.5"), &Value::Null), Value::Null);
        assert!(
            round(&json!(1e300), &json!(12)).is_number(),
            "huge values stay numbers"
        );
        let obj = json!({"cf.size": "L", "cf.": 1, "name": "x"});
        assert_eq!(
            with_prefix(&obj, &json!("cf.")),
            json!({"cf.size": "L", "cf.": 1})
        );
        assert_eq!(without_prefix(&obj, &json!("cf.")), json!({"size": "L"}));
        assert_eq!(without_prefix(&json!([]), &json!("cf.")), json!({}));
    }

    #[test]
    fn timestamps_normalize_to_utc() {
        assert_eq!(
            datetime(&json!("2021-12-02T18:22:42.000+0000")),
            json!("2021-12-02T18:22:42Z")
        );
        assert_eq!(
            datetime(&json!("2021-12-02T20:22:42.5+02:00")),
            json!("2021-12-02T18:22:42.500Z")
        );
        assert_eq!(
            datetime(&json!("2019-10-30T03:30:17.883Z")),
            json!("2019-10-30T03:30:17.883Z")
        );
        assert_eq!(
            datetime(&json!(1_638_469_362_000_i64)),
            json!("2021-12-02T18:22:42Z")
        );
        assert_eq!(
            datetime(&json!("1638469362000")),
            json!("2021-12-02T18:22:42Z")
        );
        for bad in [
            json!("yesterday"),
            json!("2021-13-02T00:00:00Z"),
            json!(""),
            json!(null),
            json!("2021-12-02T18:22:42+0"),
        ] {
            assert_eq!(datetime(&bad), Value::Null, "{bad}");
        }
    }

    #[test]
    fn set_path_builds_nested_bodies_and_skips_nulls() {
        let mut body = Value::Object(Map::new());
        set_path(&mut body, &["properties", "firstname"], json!("Ann"));
        set_path(&mut body, &["properties", "email"], Value::Null);
        set_path(&mut body, &["Name"], json!("x"));
        assert_eq!(
            body,
            json!({"properties": {"firstname": "Ann"}, "Name": "x"})
        );
    }

    #[test]
    fn helpers_are_total_and_drop_empties() {
        assert_eq!(
            split(&json!("a@x.com; b@x.com;"), &json!(";")),
            json!(["a@x.com", "b@x.com"])
        );
        assert_eq!(split(&json!(null), &json!(";")), json!([]));
        assert_eq!(to_number(&json!("42.5")), json!(42.5));
        assert_eq!(to_number(&json!("12")), json!(12));
        assert_eq!(to_number(&json!("abc")), Value::Null);
        // Whole values are integers whatever the vendor wrote.
        assert_eq!(to_number(&json!(5000.0)), json!(5000));
        assert_eq!(to_number(&json!("5000.0")), json!(5000));
        assert_eq!(to_number(&json!(5000)), json!(5000));
        assert_eq!(to_integer(&json!("120.0")), json!(120));
        assert_eq!(to_integer(&json!(12.5)), Value::Null);
        assert_eq!(to_integer(&json!("x")), Value::Null);
        assert_eq!(
            to_strings(json!({"a": 1, "b": true, "c": null, "d": "x", "e": [1], "f": 2.5})),
            json!({"a": "1", "b": "true", "d": "x", "f": "2.5"})
        );
        assert_eq!(to_strings(json!([1])), json!({}));
        assert_eq!(date(&json!("2024-02-29")), json!("2024-02-29"));
        assert_eq!(date(&json!("2023-02-29")), Value::Null);
        assert_eq!(date(&json!("0")), Value::Null);
        assert_eq!(
            date(&json!("2024-03-31T22:30:00-04:00")),
            json!("2024-04-01")
        );
        assert_eq!(date(&json!(1_711_929_600_000_i64)), json!("2024-04-01"));
        for (url, want) in [
            ("https://www.Example.com/about", json!("example.com")),
            ("example.com", json!("example.com")),
            (
                "http://user@shop.example.org:8080/x?y#z",
                json!("shop.example.org"),
            ),
            ("  WWW.example.net  ", json!("example.net")),
            ("https://", Value::Null),
            ("", Value::Null),
        ] {
            assert_eq!(host(&json!(url)), want, "{url}");
        }
        assert_eq!(host(&json!(5)), Value::Null);
        assert_eq!(compact(json!(["a", null, "", {}, [], 0])), json!(["a", 0]));
        assert_eq!(
            omit_where(&json!({"a": 1, "b": 2, "c": 3}), |k| matches!(k, "a" | "c")),
            json!({"b": 2})
        );
        assert_eq!(omit_where(&json!("x"), |_| true), json!({}));
        // Years RFC 3339 cannot write are null.
        assert_eq!(datetime(&json!(253_402_300_800_000_i64)), Value::Null);
        assert_eq!(datetime(&json!(-62_167_219_200_001_i64)), Value::Null);
        assert_eq!(
            datetime(&json!(253_402_300_799_999_i64)),
            json!("9999-12-31T23:59:59.999Z")
        );
        assert_eq!(to_boolean(&json!("TRUE")), json!(true));
        assert_eq!(trim(&json!("  ")), Value::Null);
        assert_eq!(coalesce(json!(""), || json!("b")), json!("b"));
        assert_eq!(
            compact(json!({"a": null, "b": "", "c": 1})),
            json!({"c": 1})
        );
        assert_eq!(
            with_suffix(&json!({"A__c": 1, "Name": "x"}), &json!("__c")),
            json!({"A__c": 1})
        );
        assert_eq!(
            omit(&json!({"a": 1, "b": 2}), &json!(["a"])),
            json!({"b": 2})
        );
        assert_eq!(
            concat(vec![json!([1]), Value::Null, json!([2])]),
            json!([1, 2])
        );
        assert_eq!(
            path(
                &json!({"a": [{"b": 1}]}),
                &[Step::Key("a"), Step::Index(0), Step::Key("b")]
            ),
            json!(1)
        );
        assert_eq!(path(&json!("x"), &[Step::Key("a")]), Value::Null);
    }
}
