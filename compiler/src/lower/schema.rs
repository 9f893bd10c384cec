//! JSON Schemas for tool inputs and outputs, built from documented fields.

use serde_json::{Map, Value, json};

use crate::ir::PaginationIr;
use crate::model::{Field, FieldType};
use crate::span::SpMap;

/// The JSON Schema (2020-12) of one documented field.
pub fn field_schema(field: &Field) -> Value {
    let mut s = Map::new();
    let ty = field.ty.value.as_str();
    s.insert(
        "type".into(),
        if field.nullable {
            json!([ty, "null"])
        } else {
            json!(ty)
        },
    );
    if let Some(d) = &field.description {
        s.insert("description".into(), json!(d.value.trim()));
    }
    if field.pii {
        // An annotation keyword (JSON Schema allows unknown `x-` keywords): personal data.
        s.insert("x-pii".into(), json!(true));
    }
    if field.read_only {
        s.insert("readOnly".into(), json!(true));
    }
    if let Some(f) = &field.format {
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
        s.insert("items".into(), field_schema(items));
    }
    if field.ty.value == FieldType::Object {
        if let Some(props) = &field.properties {
            let (properties, required) = properties_schema(props);
            s.insert("properties".into(), Value::Object(properties));
            if !required.is_empty() {
                s.insert("required".into(), json!(required));
            }
        }
        if let Some(extra) = &field.additional_properties {
            s.insert("additionalProperties".into(), field_schema(extra));
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

/// `properties` and the sorted `required` list of a set of fields.
pub fn properties_schema(fields: &SpMap<Field>) -> (Map<String, Value>, Vec<String>) {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, field) in fields.iter() {
        properties.insert(name.value.clone(), field_schema(field));
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
