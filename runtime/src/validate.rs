//! Validates tool arguments against the tool's input schema, reporting the JSON Pointer of each
//! offending argument.
//!
//! Forgiving input, strict output: agent frameworks send arguments sloppily, so before validating,
//! [`normalize`] reads a few unambiguous slips the way the schema means them (a `null` for an
//! optional property is absent; `"100"` where an integer goes is 100; `"true"` where a boolean goes is
//! true). The schemas agents see stay strictly typed; everything else fails in [`check`] as before.

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Number, Value};

use crate::outcome::ToolError;
use crate::request::escape_pointer;

/// Most errors listed in one message; past that the agent should fix these and try again.
const MAX_REPORTED: usize = 5;

/// Compiles an input schema once, for every later call.
pub fn compile(schema: &Value) -> Result<Validator, String> {
    jsonschema::validator_for(schema).map_err(|e| e.to_string())
}

/// Checks `args`; on failure points at the first offending argument and lists what is wrong.
pub fn check(validator: &Validator, args: &Value) -> Result<(), ToolError> {
    let mut errors = validator.iter_errors(args);
    let Some(first) = errors.next() else {
        return Ok(());
    };
    let pointer = pointer_of(&first);
    // The first error's place travels as `pointer` (messages show it once, before this text).
    let mut lines = vec![first.to_string()];
    let mut more = 0usize;
    for error in errors {
        // Past the reported few, only count: formatting them would be wasted work.
        if lines.len() < MAX_REPORTED {
            lines.push(describe(&pointer_of(&error), &error.to_string()));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        lines.push(format!("and {more} more"));
    }
    Err(ToolError::InvalidArguments {
        pointer,
        message: lines.join("; "),
    })
}

/// Deepest nesting (schema and arguments together) [`normalize`] walks; deeper values are left as
/// they are for the validator to judge.
const MAX_DEPTH: usize = 64;

/// Reads `args` the way `schema` means them, before [`check`]; the only leniencies:
///
/// - an object property whose value is `null` is dropped when the object's schema does not list it
///   in `required` and the property's schema does not allow `null` (by `type`, `enum` or `const`);
/// - where the schema's `type` allows `integer` or `number` but not `string`, a numeric string
///   (surrounding whitespace trimmed; sign, fraction and exponent allowed) becomes that number:
///   an integer only when its value is exactly whole and fits an `i64` or `u64` (`"1e3"` is 1000,
///   `"1.5"` stays a string), a number when finite; a JSON float with no fraction (`100.0`) becomes
///   an integer where only `integer` is allowed;
/// - where the schema's `type` allows `boolean` but not `string`, `"true"` and `"false"` (any case)
///   become booleans.
///
/// The walk follows `properties` and `items` (an object schema), not `additionalProperties` nor
/// composition keywords; it is linear in the size of the arguments and never panics. Anything it
/// cannot read is left untouched, so the validator reports it with its pointer as before.
pub fn normalize(schema: &Map<String, Value>, mut args: Value) -> Value {
    normalize_at(schema, &mut args, 0);
    args
}

fn normalize_at(schema: &Map<String, Value>, value: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let types = declared_types(schema);
    match value {
        Value::Object(object) if types.allows(OBJECT) => {
            let Some(Value::Object(properties)) = schema.get("properties") else {
                return;
            };
            let required = schema.get("required").and_then(Value::as_array);
            // `retain` keeps the order of the remaining arguments.
            object.retain(|name, value| {
                !(value.is_null() && null_means_absent(name, properties, required))
            });
            for (name, value) in object.iter_mut() {
                if let Some(Value::Object(property)) = properties.get(name) {
                    normalize_at(property, value, depth + 1);
                }
            }
        }
        Value::Array(items) if types.allows(ARRAY) => {
            if let Some(Value::Object(item)) = schema.get("items") {
                for value in items {
                    normalize_at(item, value, depth + 1);
                }
            }
        }
        Value::String(text) if !types.allows(STRING) => {
            if types.declares(INTEGER | NUMBER)
                && let Some(number) = parse_number(text, types.declares(NUMBER))
            {
                *value = Value::Number(number);
                return;
            }
            if types.declares(BOOLEAN) {
                if text.eq_ignore_ascii_case("true") {
                    *value = Value::Bool(true);
                } else if text.eq_ignore_ascii_case("false") {
                    *value = Value::Bool(false);
                }
            }
        }
        Value::Number(number) if types.declares(INTEGER) && !types.declares(NUMBER) => {
            if let Some(whole) = whole_float(number) {
                *number = whole;
            }
        }
        _ => {}
    }
}

/// Whether a `null` for `name` means the property is absent: it is not required and its schema
/// does not allow `null`.
fn null_means_absent(
    name: &str,
    properties: &Map<String, Value>,
    required: Option<&Vec<Value>>,
) -> bool {
    let Some(Value::Object(property)) = properties.get(name) else {
        // Unknown (or a boolean schema): the validator decides.
        return false;
    };
    if required.is_some_and(|list| list.iter().any(|r| r.as_str() == Some(name))) {
        return false;
    }
    !allows_null(property)
}

fn allows_null(schema: &Map<String, Value>) -> bool {
    if !declared_types(schema).allows(NULL) {
        return false;
    }
    if let Some(Value::Array(values)) = schema.get("enum")
        && !values.iter().any(Value::is_null)
    {
        return false;
    }
    match schema.get("const") {
        Some(constant) => constant.is_null(),
        None => true,
    }
}

const NULL: u8 = 1;
const BOOLEAN: u8 = 1 << 1;
const INTEGER: u8 = 1 << 2;
const NUMBER: u8 = 1 << 3;
const STRING: u8 = 1 << 4;
const OBJECT: u8 = 1 << 5;
const ARRAY: u8 = 1 << 6;

/// The JSON types a schema's `type` keyword names; `None` when it names none (anything goes).
#[derive(Clone, Copy)]
struct Types(Option<u8>);

impl Types {
    /// Whether a value of this type may stand here (with no `type`, any may).
    fn allows(self, bits: u8) -> bool {
        self.0.is_none_or(|types| types & bits != 0)
    }

    /// Whether `type` names one of these types.
    fn declares(self, bits: u8) -> bool {
        self.0.is_some_and(|types| types & bits != 0)
    }
}

fn declared_types(schema: &Map<String, Value>) -> Types {
    fn bit(name: &str) -> u8 {
        match name {
            "null" => NULL,
            "boolean" => BOOLEAN,
            "integer" => INTEGER,
            "number" => NUMBER,
            "string" => STRING,
            "object" => OBJECT,
            "array" => ARRAY,
            _ => 0,
        }
    }
    match schema.get("type") {
        Some(Value::String(name)) => Types(Some(bit(name))),
        Some(Value::Array(names)) => Types(Some(
            names
                .iter()
                .filter_map(Value::as_str)
                .fold(0, |bits, name| bits | bit(name)),
        )),
        // A malformed `type` does not compile; nothing to read by it.
        _ => Types(None),
    }
}

/// A numeric string as a JSON number: an exact integer when it is one, else (when `number` is
/// allowed) a finite float. `None` when it is not a plain decimal number or does not fit.
fn parse_number(text: &str, number_allowed: bool) -> Option<Number> {
    let text = text.trim();
    let decimal = Decimal::parse(text)?;
    if let Some(integer) = decimal.integer() {
        return Some(integer);
    }
    if !number_allowed {
        return None;
    }
    // The grammar is checked above, so only plain decimals reach the float parser (no "inf").
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// A JSON float with no fraction, as an integer, when it fits an `i64` or `u64`.
fn whole_float(number: &Number) -> Option<Number> {
    if number.is_i64() || number.is_u64() {
        return None;
    }
    let float = number.as_f64()?;
    if !float.is_finite() || float.fract() != 0.0 {
        return None;
    }
    // 2^63 and 2^64 are exact as floats; below them the casts are exact for whole values.
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&float) {
        Some(Number::from(float as i64))
    } else if (0.0..18_446_744_073_709_551_616.0).contains(&float) {
        Some(Number::from(float as u64))
    } else {
        None
    }
}

/// A plain decimal number: `[+-]digits[.digits][(e|E)[+-]digits]`.
struct Decimal<'a> {
    negative: bool,
    whole: &'a str,
    fraction: &'a str,
    exponent: i64,
}

impl<'a> Decimal<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let (negative, rest) = split_sign(text);
        let (whole, rest) = split_digits(rest)?;
        let (fraction, rest) = match rest.strip_prefix('.') {
            Some(rest) => split_digits(rest)?,
            None => ("", rest),
        };
        let exponent = match rest.strip_prefix(['e', 'E']) {
            Some(rest) => {
                let (negative, digits) = split_sign(rest);
                let (digits, rest) = split_digits(digits)?;
                if !rest.is_empty() {
                    return None;
                }
                let magnitude: i64 = digits.parse().ok()?;
                if negative { -magnitude } else { magnitude }
            }
            None if rest.is_empty() => 0,
            None => return None,
        };
        Some(Self {
            negative,
            whole,
            fraction,
            exponent,
        })
    }

    /// The exact integer this number is, when it is whole and fits an `i64` or `u64`.
    fn integer(&self) -> Option<Number> {
        let digits = format!("{}{}", self.whole, self.fraction);
        let significant = digits.trim_start_matches('0');
        if significant.is_empty() {
            return Some(Number::from(0u64));
        }
        // value = significant × 10^scale
        let scale = self
            .exponent
            .checked_sub(i64::try_from(self.fraction.len()).ok()?)?;
        let (mantissa, zeros) = if scale < 0 {
            let cut = usize::try_from(scale.unsigned_abs()).ok()?;
            let keep = significant.len().checked_sub(cut)?;
            let (mantissa, dropped) = significant.split_at(keep);
            if mantissa.is_empty() || dropped.bytes().any(|b| b != b'0') {
                return None;
            }
            (mantissa, 0)
        } else {
            (significant, usize::try_from(scale).ok()?)
        };
        // u64::MAX has 20 digits: anything longer overflows (and is not built).
        if mantissa.len().saturating_add(zeros) > 20 {
            return None;
        }
        let mut text = String::with_capacity(21);
        if self.negative {
            text.push('-');
        }
        text.push_str(mantissa);
        text.extend(std::iter::repeat_n('0', zeros));
        if self.negative {
            text.parse::<i64>().ok().map(Number::from)
        } else {
            text.parse::<u64>().ok().map(Number::from)
        }
    }
}

/// Splits off an optional `-` (true) or `+`.
fn split_sign(text: &str) -> (bool, &str) {
    match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    }
}

/// Splits off a non-empty run of ASCII digits.
fn split_digits(text: &str) -> Option<(&str, &str)> {
    let end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    (end > 0).then(|| text.split_at(end))
}

fn describe(pointer: &str, message: &str) -> String {
    if pointer.is_empty() {
        format!("arguments: {message}")
    } else {
        format!("{pointer}: {message}")
    }
}

/// Where the error is: the instance path, extended to the property a `required` or
/// `additionalProperties` error is about, since that is the argument to add or remove.
fn pointer_of(error: &jsonschema::ValidationError<'_>) -> String {
    let base = error.instance_path().to_string();
    let property = match error.kind() {
        ValidationErrorKind::Required {
            property: Value::String(name),
        } => Some(name.as_str()),
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            unexpected.first().map(String::as_str)
        }
        _ => None,
    };
    match property {
        Some(name) => format!("{base}/{}", escape_pointer(name)),
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn validator() -> Validator {
        let schema = json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["email"],
            "properties": {
                "email": {"type": "string"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                "props": {"type": "object", "properties": {"a/b": {"type": "string"}}}
            }
        });
        compile(&schema).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn pointer(args: Value) -> Option<String> {
        match check(&validator(), &args) {
            Err(ToolError::InvalidArguments { pointer, .. }) => Some(pointer),
            _ => None,
        }
    }

    #[test]
    fn names_the_offending_argument() {
        assert_eq!(
            pointer(json!({"email": "a", "limit": 500})).as_deref(),
            Some("/limit")
        );
        assert_eq!(pointer(json!({})).as_deref(), Some("/email"));
        assert_eq!(
            pointer(json!({"email": "a", "bogus": 1})).as_deref(),
            Some("/bogus")
        );
        assert_eq!(
            pointer(json!({"email": "a", "props": {"a/b": 1}})).as_deref(),
            Some("/props/a~1b")
        );
        assert_eq!(pointer(json!({"email": "a", "limit": 5})), None);
    }

    #[test]
    fn message_lists_every_problem() {
        let Err(ToolError::InvalidArguments { pointer, message }) =
            check(&validator(), &json!({"limit": "x"}))
        else {
            panic!("invalid");
        };
        // The first problem's place is the pointer, shown once; each further one names its own.
        let (first, other) = if pointer == "/limit" {
            ("\"x\"", "/email")
        } else {
            ("email", "/limit")
        };
        assert!(
            message.contains(first) && message.contains(other),
            "{pointer}: {message}"
        );
        assert!(!message.starts_with(&pointer), "{message}");
    }

    // --------------------------------------------------------------------------------------------
    // Forgiving input

    /// A list tool's schema, with a nested object, an array of integers and typed unions.
    fn forgiving_schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["email"],
            "properties": {
                "email": {"type": "string"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100},
                "next_cursor": {"type": "string"},
                "ratio": {"type": "number"},
                "archived": {"type": "boolean"},
                "amount": {"type": ["number", "null"]},
                "count": {"type": ["integer", "null"]},
                "code": {"type": ["integer", "string"]},
                "flag": {"type": ["boolean", "string"]},
                "stage": {"enum": ["lead", "customer"]},
                "maybe_stage": {"enum": ["lead", null]},
                "anything": {"description": "No type: null is allowed."},
                "ids": {"type": "array", "items": {"type": "integer"}},
                "owner": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "integer"},
                        "note": {"type": "string"},
                        "active": {"type": "boolean"}
                    }
                },
                "free": {"type": "object", "additionalProperties": {"type": "integer"}}
            }
        })
    }

    /// Normalizes, then validates, the way the executor does.
    fn read(args: Value) -> Result<Value, ToolError> {
        let schema = forgiving_schema();
        let Value::Object(map) = &schema else {
            unreachable!("an object")
        };
        let validator = compile(&schema).unwrap_or_else(|e| unreachable!("{e}"));
        let args = normalize(map, args);
        check(&validator, &args).map(|()| args)
    }

    fn accepted(args: Value) -> Value {
        match read(args.clone()) {
            Ok(read) => read,
            Err(e) => panic!("{args} was refused: {e:?}"),
        }
    }

    /// The pointer and message of a refusal.
    fn refused(args: Value) -> (String, String) {
        match read(args.clone()) {
            Err(ToolError::InvalidArguments { pointer, message }) => (pointer, message),
            other => panic!("{args} was not refused: {other:?}"),
        }
    }

    #[test]
    fn null_for_an_optional_property_is_absent() {
        assert_eq!(
            accepted(json!({"email": "a", "limit": 5, "next_cursor": null, "archived": null})),
            json!({"email": "a", "limit": 5})
        );
        // Nested objects described by the schema too.
        assert_eq!(
            accepted(json!({"email": "a", "owner": {"id": 1, "note": null}, "stage": null})),
            json!({"email": "a", "owner": {"id": 1}})
        );
    }

    #[test]
    fn null_is_kept_where_the_schema_allows_it() {
        let args = json!({
            "email": "a",
            "amount": null,
            "count": null,
            "maybe_stage": null,
            "anything": null
        });
        assert_eq!(accepted(args.clone()), args);
    }

    #[test]
    fn null_for_a_required_property_still_fails() {
        let (pointer, message) = refused(json!({"email": null}));
        assert_eq!(pointer, "/email");
        assert!(
            message.contains("null is not of type \"string\""),
            "{message}"
        );
        let (pointer, message) = refused(json!({"email": "a", "owner": {"id": null}}));
        assert_eq!(pointer, "/owner/id");
        assert!(message.contains("\"integer\""), "{message}");
    }

    #[test]
    fn null_is_not_dropped_outside_the_described_properties() {
        // An argument the schema does not know stays unknown.
        let (pointer, _) = refused(json!({"email": "a", "bogus": null}));
        assert_eq!(pointer, "/bogus");
        // additionalProperties values are not walked.
        let (pointer, message) = refused(json!({"email": "a", "free": {"x": null}}));
        assert_eq!(pointer, "/free/x");
        assert!(
            message.contains("null is not of type \"integer\""),
            "{message}"
        );
        let (pointer, _) = refused(json!({"email": "a", "free": {"x": "1"}}));
        assert_eq!(pointer, "/free/x");
    }

    #[test]
    fn numeric_strings_become_numbers() {
        for (given, read) in [
            (json!("100"), json!(100)),
            (json!(" 7 "), json!(7)),
            (json!("+7"), json!(7)),
            (json!("007"), json!(7)),
            (json!("1e1"), json!(10)),
            (json!("1.0"), json!(1)),
            (json!("0.50e1"), json!(5)),
            (json!("1500e-2"), json!(15)),
            (json!(100.0), json!(100)),
        ] {
            let args = json!({"email": "a", "limit": given});
            assert_eq!(accepted(args)["limit"], read, "limit {given}");
        }
        for (given, read) in [
            (json!("2.5"), json!(2.5)),
            (json!("-0.25"), json!(-0.25)),
            (json!("3"), json!(3)),
            (json!("1e3"), json!(1000)),
            (json!("1.5e2"), json!(150)),
            (json!(" 2.5\n"), json!(2.5)),
        ] {
            let args = json!({"email": "a", "ratio": given});
            assert_eq!(accepted(args)["ratio"], read, "ratio {given}");
        }
        // Integers at the edges of what fits.
        let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}}});
        let Value::Object(schema) = schema else {
            unreachable!("an object")
        };
        for (given, read) in [
            ("-9223372036854775808", json!(i64::MIN)),
            ("18446744073709551615", json!(u64::MAX)),
            ("-0", json!(0)),
            ("0e999999", json!(0)),
        ] {
            assert_eq!(
                normalize(&schema, json!({"n": given}))["n"],
                read,
                "{given}"
            );
        }
        for given in [
            "-9223372036854775809",
            "18446744073709551616",
            "1e20",
            "1e99999999999999999999",
            "1.5",
            "1e-1",
            "100e-5",
        ] {
            assert_eq!(
                normalize(&schema, json!({"n": given}))["n"],
                given,
                "{given}"
            );
        }
    }

    #[test]
    fn booleans_from_true_and_false_only() {
        for (given, read) in [
            ("true", true),
            ("false", false),
            ("TRUE", true),
            ("False", false),
        ] {
            let args = json!({"email": "a", "archived": given});
            assert_eq!(accepted(args)["archived"], read, "{given}");
        }
        for given in ["yes", "1", "0", "t", " true", ""] {
            let (pointer, message) = refused(json!({"email": "a", "archived": given}));
            assert_eq!(pointer, "/archived", "{given}");
            assert!(message.contains("is not of type \"boolean\""), "{message}");
        }
    }

    #[test]
    fn what_is_not_a_number_still_fails_naming_the_argument() {
        for given in [
            json!("abc"),
            json!("1.5"),
            json!(""),
            json!("   "),
            json!("99999999999999999999"),
            json!("NaN"),
            json!("inf"),
            json!("infinity"),
            json!("0x10"),
            json!("1_000"),
            json!("1e"),
            json!(".5"),
            json!("5."),
            json!("--5"),
            json!("5 5"),
            json!(1.5),
            json!(true),
            json!([1]),
        ] {
            let (pointer, message) = refused(json!({"email": "a", "limit": given}));
            assert_eq!(pointer, "/limit", "{given}");
            assert!(
                message.contains(&format!("{given} is not of type \"integer\"")),
                "{given}: {message}"
            );
        }
        for given in ["abc", "", "NaN", "inf", "1e400", "-1e400"] {
            let (pointer, message) = refused(json!({"email": "a", "ratio": given}));
            assert_eq!(pointer, "/ratio", "{given}");
            assert!(message.contains("is not of type \"number\""), "{message}");
        }
        // A coerced value is then held to the rest of its schema.
        let (pointer, message) = refused(json!({"email": "a", "limit": "500"}));
        assert_eq!(pointer, "/limit");
        assert!(
            message.contains("500 is greater than the maximum of 100"),
            "{message}"
        );
    }

    #[test]
    fn unions_prefer_a_string_when_it_is_allowed() {
        let read = accepted(json!({
            "email": "a",
            "amount": "2.5",
            "count": "4",
            "code": "42",
            "flag": "true"
        }));
        assert_eq!(read["amount"], json!(2.5));
        assert_eq!(read["count"], json!(4));
        // `string` is allowed: the string is what was meant.
        assert_eq!(read["code"], json!("42"));
        assert_eq!(read["flag"], json!("true"));
        // A string is never read as null.
        let (pointer, _) = refused(json!({"email": "a", "count": "null"}));
        assert_eq!(pointer, "/count");
    }

    #[test]
    fn arrays_and_nested_objects() {
        let read = accepted(json!({
            "email": "a",
            "ids": ["1", 2, " 3", 4.0],
            "owner": {"id": "9", "active": "true"}
        }));
        assert_eq!(read["ids"], json!([1, 2, 3, 4]));
        assert_eq!(read["owner"], json!({"id": 9, "active": true}));
        let (pointer, message) = refused(json!({"email": "a", "ids": ["1", "two", "3"]}));
        assert_eq!(pointer, "/ids/1");
        assert!(
            message.contains("\"two\" is not of type \"integer\""),
            "{message}"
        );
        let (pointer, _) = refused(json!({"email": "a", "owner": {"id": "x"}}));
        assert_eq!(pointer, "/owner/id");
        // Strings stay strings where the schema says string.
        let read = accepted(json!({"email": "5", "next_cursor": "10"}));
        assert_eq!(read, json!({"email": "5", "next_cursor": "10"}));
    }

    #[test]
    fn values_deeper_than_the_cap_are_left_to_the_validator() {
        // 100 nested objects, each `{"a": …}`, with an integer at the bottom.
        let mut schema = json!({"type": "integer"});
        let mut args = json!("5");
        let mut shallow = json!("5");
        for level in 0..100 {
            schema = json!({"type": "object", "properties": {"a": schema}});
            args = json!({"a": args});
            if level < 10 {
                shallow = json!({"a": shallow});
            }
        }
        let Value::Object(map) = &schema else {
            unreachable!("an object")
        };
        let read = normalize(map, args.clone());
        assert_eq!(read, args, "beyond the cap nothing changes");
        let validator = compile(&schema).unwrap_or_else(|e| unreachable!("{e}"));
        let Err(ToolError::InvalidArguments { pointer, .. }) = check(&validator, &read) else {
            panic!("the deep string is still refused");
        };
        assert_eq!(pointer, "/a".repeat(100));

        // Shallow enough: coerced.
        let mut schema = json!({"type": "integer"});
        for _ in 0..10 {
            schema = json!({"type": "object", "properties": {"a": schema}});
        }
        let Value::Object(map) = &schema else {
            unreachable!("an object")
        };
        let read = normalize(map, shallow);
        let pointer = "/a".repeat(10);
        assert_eq!(read.pointer(&pointer), Some(&json!(5)));

        // Arguments far deeper than any schema: untouched, no overflow.
        let mut deep = json!(null);
        for _ in 0..1000 {
            deep = json!([deep]);
        }
        let schema = json!({"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "array"}}}});
        let Value::Object(map) = &schema else {
            unreachable!("an object")
        };
        let args = json!({"ids": deep});
        assert_eq!(normalize(map, args.clone()), args);
    }

    #[test]
    fn the_cap_is_64_levels() {
        // `[[…["1"]…]]` under as many `items`: read down to depth 64, not at 65.
        fn nested(levels: usize) -> (Map<String, Value>, Value) {
            let mut schema = json!({"type": "integer"});
            let mut args = json!("1");
            for _ in 0..levels {
                schema = json!({"type": "array", "items": schema});
                args = json!([args]);
            }
            match schema {
                Value::Object(map) => (map, args),
                _ => unreachable!("an object"),
            }
        }
        let (schema, args) = nested(64);
        let read = normalize(&schema, args);
        assert_eq!(read.pointer(&"/0".repeat(64)), Some(&json!(1)));
        let (schema, args) = nested(65);
        let read = normalize(&schema, args.clone());
        assert_eq!(read, args);
        let (schema, args) = nested(300);
        assert_eq!(normalize(&schema, args.clone()), args);
    }

    #[test]
    fn huge_arrays_and_objects_complete() {
        let ids: Vec<Value> = (0..100_000).map(|i| Value::String(i.to_string())).collect();
        let read = accepted(json!({"email": "a", "ids": ids}));
        let ids = read["ids"].as_array().map(Vec::len);
        assert_eq!(ids, Some(100_000));
        assert_eq!(read["ids"][99_999], json!(99_999));

        // 100k unknown null properties: kept for the validator; the optional one dropped.
        let Value::Object(schema) = forgiving_schema() else {
            unreachable!("an object")
        };
        let mut args = Map::new();
        for i in 0..100_000 {
            args.insert(format!("k{i}"), Value::Null);
        }
        args.insert("limit".to_owned(), Value::Null);
        let read = normalize(&schema, Value::Object(args));
        assert_eq!(read.as_object().map(Map::len), Some(100_000));
        assert_eq!(read.get("limit"), None);
        assert_eq!(read["k99999"], Value::Null);
    }

    #[test]
    fn huge_numeric_strings_complete() {
        let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}, "x": {"type": "number"}}});
        let Value::Object(map) = &schema else {
            unreachable!("an object")
        };
        let long = format!("1{}", "0".repeat(1_000_000));
        let fraction = format!("0.{}1", "0".repeat(1_000_000));
        let read = normalize(map, json!({"n": long, "x": fraction}));
        assert_eq!(read["n"], json!(long));
        // Too small for a float: zero, as the same JSON number would read.
        assert_eq!(read["x"], json!(0.0));
    }

    #[test]
    fn non_object_arguments_and_odd_schemas_are_left_alone() {
        let Value::Object(map) = forgiving_schema() else {
            unreachable!("an object")
        };
        for args in [json!("5"), json!([null]), json!(7), json!(null)] {
            assert_eq!(normalize(&map, args.clone()), args);
        }
        // A boolean or malformed sub-schema is not read.
        let schema = json!({
            "type": "object",
            "properties": {"a": true, "b": false, "c": {"type": 5}, "d": {"type": ["integer", 5]}}
        });
        let Value::Object(map) = schema else {
            unreachable!("an object")
        };
        let args = json!({"a": null, "b": null, "c": "5", "d": "6"});
        assert_eq!(
            normalize(&map, args),
            json!({"a": null, "b": null, "c": "5", "d": 6})
        );
    }
}
