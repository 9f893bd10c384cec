//! JSON Schemas for tool inputs and outputs, built from documented fields.

use serde_json::{Map, Value, json};

use crate::ir::PaginationIr;
use crate::model::{Field, FieldType};
use crate::span::SpMap;

/// The JSON Schema (2020-12) of one documented field, as output schemas and record schemas show it.
pub fn field_schema(field: &Field) -> Value {
    schema_of(field, Use::Output)
}

/// The JSON Schema of one documented field in a tool's input schema: what every client can build a model
/// from. `format` is left out — clients turn it into validators that need extra packages (pydantic's
/// `EmailStr` needs `email-validator`) — and its rule is said in the description instead. The runtime's
/// validator never asserted `format` (JSON Schema 2020-12 makes it an annotation), so arguments are
/// validated exactly as before.
pub fn input_field_schema(field: &Field) -> Value {
    schema_of(field, Use::Input)
}

/// Where a schema is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// In a tool's input schema, which clients build models from.
    Input,
    /// In an output or record schema.
    Output,
}

fn schema_of(field: &Field, usage: Use) -> Value {
    let mut s = Map::new();
    let ty = field.ty.value.as_str();
    // Any JSON value: no `type` at all (JSON Schema's "anything", null included).
    if field.ty.value != FieldType::Any {
        s.insert(
            "type".into(),
            if field.nullable {
                json!([ty, "null"])
            } else {
                json!(ty)
            },
        );
    }
    let format = field
        .format
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    let description = field.description.as_ref().map(|d| d.value.trim());
    match (usage, format) {
        (Use::Input, Some(f)) => {
            s.insert(
                "description".into(),
                json!(with_format_rule(description.unwrap_or_default(), f)),
            );
        }
        _ => {
            if let Some(d) = description {
                s.insert("description".into(), json!(d));
            }
        }
    }
    if field.is_pii() {
        // An annotation keyword (JSON Schema allows unknown `x-` keywords): personal data.
        s.insert("x-pii".into(), json!(true));
    }
    if field.read_only {
        s.insert("readOnly".into(), json!(true));
    }
    if let (Use::Output, Some(f)) = (usage, &field.format) {
        s.insert("format".into(), json!(f));
    }
    if let Some(e) = &field.enum_values {
        s.insert("enum".into(), Value::Array(e.clone()));
    }
    if let Some(d) = &field.default {
        s.insert("default".into(), d.clone());
    }
    if let Some(m) = field.minimum {
        s.insert("minimum".into(), number(m));
    }
    if let Some(m) = field.maximum {
        s.insert("maximum".into(), number(m));
    }
    if let Some(e) = &field.example {
        s.insert("examples".into(), json!([e]));
    }
    if field.ty.value == FieldType::Array
        && let Some(items) = &field.items
    {
        s.insert("items".into(), schema_of(items, usage));
    }
    if field.ty.value == FieldType::Object {
        if let Some(props) = &field.properties {
            let (properties, required) = properties_of(props, usage);
            s.insert("properties".into(), Value::Object(properties));
            if !required.is_empty() {
                s.insert("required".into(), json!(required));
            }
        }
        if let Some(extra) = &field.additional_properties {
            s.insert("additionalProperties".into(), schema_of(extra, usage));
        }
    }
    Value::Object(s)
}

/// Whole numbers stay integers in the schema (`100`, not `100.0`).
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        // In range and whole, so the conversion is exact.
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// What a `format` means, said in words, and a marker that shows a description already says it.
fn format_rule(format: &str) -> (String, &'static [&'static str]) {
    let (rule, markers): (&str, &'static [&'static str]) = match format {
        "email" | "idn-email" => ("An email address.", &["email"]),
        "date" => ("A calendar date, YYYY-MM-DD.", &["YYYY-MM-DD"]),
        "date-time" => (
            "A date and time in RFC 3339 form, e.g. 2024-01-31T09:30:00Z.",
            &["RFC 3339", "ISO 8601"],
        ),
        "time" => ("A time of day, HH:MM:SS.", &["HH:MM"]),
        "uri" | "url" | "iri" => ("A full URL.", &["URL", "URI"]),
        "uri-reference" | "iri-reference" => ("A URL, full or relative.", &["URL", "URI"]),
        "uuid" => ("A UUID.", &["UUID"]),
        "hostname" | "idn-hostname" => ("A host name.", &["host"]),
        "ipv4" => ("An IPv4 address.", &["IPv4"]),
        "ipv6" => ("An IPv6 address.", &["IPv6"]),
        _ => return (format!("Format: {format}."), &[]),
    };
    (rule.to_owned(), markers)
}

/// `description` with the rule `format` stands for, unless it says it already.
fn with_format_rule(description: &str, format: &str) -> String {
    let (rule, markers) = format_rule(format);
    let lower = description.to_ascii_lowercase();
    if markers
        .iter()
        .any(|m| lower.contains(&m.to_ascii_lowercase()))
    {
        description.to_owned()
    } else if description.is_empty() {
        rule
    } else if description.ends_with(['.', '!', '?']) {
        format!("{description} {rule}")
    } else {
        format!("{description}. {rule}")
    }
}

/// `properties` and the sorted `required` list of a set of fields, for output and record schemas.
pub fn properties_schema(fields: &SpMap<Field>) -> (Map<String, Value>, Vec<String>) {
    properties_of(fields, Use::Output)
}

/// `properties` and the sorted `required` list of a set of fields, for input schemas.
pub fn input_properties_schema(fields: &SpMap<Field>) -> (Map<String, Value>, Vec<String>) {
    properties_of(fields, Use::Input)
}

fn properties_of(fields: &SpMap<Field>, usage: Use) -> (Map<String, Value>, Vec<String>) {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, field) in fields.iter() {
        properties.insert(name.value.clone(), schema_of(field, usage));
        if field.required {
            required.push(name.value.clone());
        }
    }
    required.sort();
    (properties, required)
}

/// The injected `limit` argument of a list tool.
pub fn limit_schema(p: &PaginationIr) -> Value {
    let mut s = json!({
        "type": "integer",
        "minimum": 1,
        "description": match p.max_limit {
            Some(max) => format!("Maximum number of records to return in this page, 1 to {max}. Omit to use the vendor's default page size."),
            None => "Maximum number of records to return in this page. Omit to use the vendor's default page size.".to_owned(),
        },
    });
    if let (Some(max), Some(obj)) = (p.max_limit, s.as_object_mut()) {
        obj.insert("maximum".into(), json!(max));
    }
    s
}

/// The injected `next_cursor` argument of a list tool.
pub fn next_cursor_schema() -> Value {
    json!({
        "type": "string",
        "description": "Cursor for the next page. Pass the `next_cursor` value from the previous result exactly as received; omit it to get the first page.",
    })
}

/// Normalized rate-limit figures every result carries.
pub fn rate_limit_schema() -> Value {
    json!({
        "type": "object",
        "description": "The vendor's rate-limit figures after this call, when it sends them.",
        "properties": {
            "limit": {"type": ["integer", "null"], "description": "Requests allowed in the current window."},
            "remaining": {"type": ["integer", "null"], "description": "Requests left in the current window."},
            "reset": {"type": ["integer", "null"], "description": "Seconds until the window resets."},
        },
    })
}

/// The result envelope of a list tool whose records have schema `item`.
pub fn list_output(item: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "result": {"type": "array", "items": item, "description": "The records in this page."},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass this value as `next_cursor` to get the next page; null on the last page.",
            },
            "result_count": {"type": "integer", "description": "Number of records in `result`."},
            "rate_limit": rate_limit_schema(),
        },
        "required": ["next_cursor", "result", "result_count"],
    })
}

/// The result envelope of any other tool whose response has schema `response`.
pub fn single_output(response: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "result": response,
            "rate_limit": rate_limit_schema(),
        },
        "required": ["result"],
    })
}

/// Follows a JSON Pointer through a response schema to the array it names, returning the item schema.
pub fn items_at(response: Option<&Field>, pointer: &str) -> Option<Value> {
    let field = response?.at(pointer)?;
    (field.ty.value == FieldType::Array)
        .then(|| field.items.as_deref().map(field_schema))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::with_format_rule;

    #[test]
    fn a_dropped_format_is_said_in_the_description_once() {
        assert_eq!(
            with_format_rule("The address.", "email"),
            "The address. An email address."
        );
        assert_eq!(
            with_format_rule("The user's email address.", "email"),
            "The user's email address."
        );
        assert_eq!(
            with_format_rule("Close date (YYYY-MM-DD).", "date"),
            "Close date (YYYY-MM-DD)."
        );
        assert_eq!(
            with_format_rule("When it happens", "date-time"),
            "When it happens. A date and time in RFC 3339 form, e.g. 2024-01-31T09:30:00Z."
        );
        assert_eq!(with_format_rule("", "uuid"), "A UUID.");
        assert_eq!(
            with_format_rule("A code.", "x-sku"),
            "A code. Format: x-sku."
        );
    }
}
