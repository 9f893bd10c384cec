//! A documented value: a parameter, a body property or part of a response.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::span::{Sp, SpMap};

/// A documented value. A small, explicit subset of JSON Schema: enough to describe vendor APIs to agents
/// and to validate arguments, small enough to check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// JSON type of the value.
    #[serde(rename = "type")]
    pub ty: Sp<FieldType>,
    /// What the value means, for agents and for the generated docs.
    #[serde(default)]
    pub description: Option<Sp<String>>,
    /// Whether the value must be present in its parent.
    #[serde(default)]
    pub required: bool,
    /// Whether `null` is allowed as well as the type.
    #[serde(default)]
    pub nullable: bool,
    /// Whether the value is personal data (names, emails, phones, addresses): servers can strip, mask
    /// or hash it (`--redact`), and it never reaches a log. Marks go on fields of what a tool returns:
    /// unified model fields, and fields of a method's documented `response` inside its records (a list
    /// method's records are the items at its pagination rule's `results`); anywhere else is E0112.
    /// A marked object or array is personal data as a whole.
    #[serde(default)]
    #[schemars(with = "bool", extend("default" = false))]
    pub pii: Option<Sp<bool>>,
    /// Whether the value is set by the vendor and never written (ids, timestamps): unified create and
    /// update tools leave it out of their input.
    #[serde(default)]
    pub read_only: bool,
    /// A JSON Schema format such as `date-time`, `email` or `uri`.
    #[serde(default)]
    pub format: Option<String>,
    /// The allowed values.
    #[serde(default, rename = "enum")]
    pub enum_values: Option<Vec<serde_json::Value>>,
    /// The vendor's default when the value is omitted.
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    /// Smallest allowed number.
    #[serde(default)]
    pub minimum: Option<f64>,
    /// Largest allowed number.
    #[serde(default)]
    pub maximum: Option<f64>,
    /// An example value.
    #[serde(default)]
    pub example: Option<serde_json::Value>,
    /// For arrays: the element.
    #[serde(default)]
    pub items: Option<Box<Field>>,
    /// For objects: the known properties.
    #[serde(default)]
    pub properties: Option<SpMap<Field>>,
    /// For objects: the schema of properties not listed in `properties` (a free-form map).
    #[serde(default)]
    pub additional_properties: Option<Box<Field>>,
    /// For array query parameters: how the vendor expects them serialised.
    #[serde(default)]
    pub style: Option<QueryStyle>,
}

impl Field {
    /// Whether the field is marked personal data (`pii: true`).
    pub fn is_pii(&self) -> bool {
        self.pii.as_ref().is_some_and(|p| p.value)
    }

    /// Whether the field is marked personal data or holds a field that is.
    pub fn holds_pii(&self) -> bool {
        self.holds_pii_within(32)
    }

    fn holds_pii_within(&self, depth: usize) -> bool {
        if self.is_pii() {
            return true;
        }
        let Some(depth) = depth.checked_sub(1) else {
            return false;
        };
        self.items
            .iter()
            .chain(self.additional_properties.iter())
            .any(|f| f.holds_pii_within(depth))
            || self
                .properties
                .iter()
                .flat_map(SpMap::iter)
                .any(|(_, f)| f.holds_pii_within(depth))
    }

    /// The field a JSON Pointer (`/results`, `/paging/next/after`) names inside this one, if documented.
    pub fn at(&self, pointer: &str) -> Option<&Field> {
        let mut field = self;
        for token in pointer.split('/').skip(1) {
            let token = token.replace("~1", "/").replace("~0", "~");
            field = match field.ty.value {
                FieldType::Object => field.properties.as_ref()?.get(&token)?,
                FieldType::Array => field.items.as_deref()?,
                _ => return None,
            };
        }
        Some(field)
    }
}

/// JSON types a field may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// A string.
    String,
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A list.
    Array,
    /// A mapping.
    Object,
    /// Any JSON value, `null` included: a custom field whose type only the vendor's account knows.
    /// Its schema says nothing about its type, so whatever the vendor sends validates.
    Any,
}

impl FieldType {
    /// The JSON Schema type name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Array => "array",
            Self::Object => "object",
            Self::Any => "any",
        }
    }
}

/// How an array query parameter goes on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueryStyle {
    /// `a,b,c` in one parameter (the default).
    Comma,
    /// The parameter repeated: `p=a&p=b`.
    Repeat,
}
