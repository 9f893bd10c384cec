//! Two JSON Schemas compared as an agent depends on them.
//!
//! What an agent sends (input) may only widen; what it reads (output, unified fields) may only grow.
//! Objects are compared by key and `required`, `enum` and `type` as sets, so a reordering is no change.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::report::Class;

/// Which side of a tool a schema describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// Arguments an agent sends.
    Input,
    /// A result an agent reads.
    Output,
    /// A unified model's fields (read by agents, and the input of its create and update tools).
    Model,
}

impl Side {
    /// How a place in the schema is named in a message.
    pub(crate) fn subject(self, at: &str) -> String {
        match (self, at.is_empty()) {
            (Side::Input, true) => "the input".to_owned(),
            (Side::Output, true) => "the output".to_owned(),
            (Side::Model, true) => "the model".to_owned(),
            (Side::Input, false) => format!("input `{at}`"),
            (Side::Output, false) => format!("output `{at}`"),
            (Side::Model, false) => format!("field `{at}`"),
        }
    }
}

/// One difference found in a schema.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Finding {
    pub class: Class,
    pub code: &'static str,
    /// Where in the schema, as a path of property names (`address/city`, `result/*/id`).
    pub at: String,
    pub message: String,
    /// For description changes, the texts compared.
    pub texts: Option<(String, String)>,
}

/// Keywords compared on their own below; every other keyword is compared as a value.
const HANDLED: &[&str] = &[
    "$comment",
    "$schema",
    "description",
    "type",
    "enum",
    "properties",
    "required",
    "items",
    "additionalProperties",
    "patternProperties",
    "x-pii",
    "minimum",
    "exclusiveMinimum",
    "minLength",
    "minItems",
    "minProperties",
    "maximum",
    "exclusiveMaximum",
    "maxLength",
    "maxItems",
    "maxProperties",
    "pattern",
    "const",
    "format",
];

const LOWER_BOUNDS: &[&str] = &[
    "minimum",
    "exclusiveMinimum",
    "minLength",
    "minItems",
    "minProperties",
];
const UPPER_BOUNDS: &[&str] = &[
    "maximum",
    "exclusiveMaximum",
    "maxLength",
    "maxItems",
    "maxProperties",
];

/// Compares the schema at `at` on `side`, appending what differs to `out`.
pub(crate) fn compare(before: &Value, after: &Value, side: Side, at: &str, out: &mut Vec<Finding>) {
    let mut found = |class, code, message: String| {
        out.push(Finding {
            class,
            code,
            at: at.to_owned(),
            message,
            texts: None,
        });
    };
    let subject = side.subject(at);
    types(before, after, side, &subject, &mut found);
    enums(before, after, side, &subject, &mut found);
    pii(before, after, side, &subject, &mut found);
    constraints(before, after, side, &subject, &mut found);
    others(before, after, &subject, &mut found);
    let (was, now) = (description(before), description(after));
    if was != now {
        out.push(Finding {
            class: Class::Safe,
            code: "description_changed",
            at: at.to_owned(),
            message: format!("description of {subject} changed"),
            texts: Some((was.to_owned(), now.to_owned())),
        });
    }
    properties(before, after, side, at, out);
    // An array without `items` holds anything: compare as `{}` when only one side says.
    let any = Value::Object(serde_json::Map::new());
    match (before.get("items"), after.get("items")) {
        (None, None) => {}
        (b, a) => compare(
            b.unwrap_or(&any),
            a.unwrap_or(&any),
            side,
            &join(at, "*"),
            out,
        ),
    }
    if let (Some(b), Some(a)) = (
        before.get("patternProperties").and_then(Value::as_object),
        after.get("patternProperties").and_then(Value::as_object),
    ) {
        for (pattern, b) in b {
            if let Some(a) = a.get(pattern) {
                compare(b, a, side, &join(at, pattern), out);
            }
        }
    }
}

fn properties(before: &Value, after: &Value, side: Side, at: &str, out: &mut Vec<Finding>) {
    let (was, now) = (props(before), props(after));
    let (was_required, now_required) = (set(before.get("required")), set(after.get("required")));
    // Properties kept, compared after this level's own findings.
    let mut nested = Vec::new();
    let mut found = |class, code, name: &str, message: String| {
        out.push(Finding {
            class,
            code,
            at: if name.is_empty() {
                at.to_owned()
            } else {
                join(at, name)
            },
            message,
            texts: None,
        });
    };
    for (name, schema) in &was {
        let subject = side.subject(&join(at, name));
        if now.contains_key(name) {
            continue;
        }
        match side {
            Side::Input if accepts_other(after, schema) => found(
                Class::Safe,
                "input_undocumented",
                name,
                format!(
                    "{subject} is no longer documented; the object still accepts it as another property"
                ),
            ),
            Side::Input => found(
                Class::Breaking,
                "input_removed",
                name,
                format!("{subject} removed: agents that still send it get `invalid_arguments`"),
            ),
            Side::Output => found(
                Class::Breaking,
                "output_removed",
                name,
                format!("{subject} removed ({})", type_text(schema)),
            ),
            Side::Model => found(
                Class::Breaking,
                "unified_field_removed",
                name,
                format!("unified {subject} removed ({})", type_text(schema)),
            ),
        }
    }
    for (name, schema) in &now {
        let subject = side.subject(&join(at, name));
        let required = now_required.contains(name.as_str());
        let Some(old) = was.get(name) else {
            match (side, required) {
                (Side::Input, true) => found(
                    Class::Breaking,
                    "input_added_required",
                    name,
                    format!(
                        "new required {subject} ({}): calls without it are refused",
                        type_text(schema)
                    ),
                ),
                (Side::Input, false) => found(
                    Class::Safe,
                    "input_added",
                    name,
                    format!("new optional {subject} ({})", type_text(schema)),
                ),
                (Side::Output, _) => found(
                    Class::Safe,
                    "output_added",
                    name,
                    format!("new {subject} ({})", type_text(schema)),
                ),
                (Side::Model, _) => found(
                    Class::Safe,
                    "unified_field_added",
                    name,
                    format!("new unified {subject} ({})", type_text(schema)),
                ),
            }
            continue;
        };
        match (side, was_required.contains(name.as_str()), required) {
            (Side::Input, false, true) => found(
                Class::Breaking,
                "input_became_required",
                name,
                format!("{subject} is now required: calls without it are refused"),
            ),
            (Side::Input, true, false) => found(
                Class::Safe,
                "input_became_optional",
                name,
                format!("{subject} is now optional"),
            ),
            (Side::Output | Side::Model, true, false) => found(
                Class::Breaking,
                "output_may_be_absent",
                name,
                format!("{subject} is no longer always present"),
            ),
            (Side::Output | Side::Model, false, true) => found(
                Class::Safe,
                "output_always_present",
                name,
                format!("{subject} is now always present"),
            ),
            _ => {}
        }
        nested.push((*old, *schema, join(at, name)));
    }
    // Properties the object does not name: closed, any value, or values of one schema.
    let subject = side.subject(at);
    match (side, others_allowed(before), others_allowed(after)) {
        (_, Others::Schema(was), Others::Schema(now)) => nested.push((was, now, join(at, "*"))),
        (Side::Input, Others::Closed, Others::Any | Others::Schema(_)) => found(
            Class::Safe,
            "input_opened",
            "",
            format!("{subject} now accepts properties it does not name"),
        ),
        (Side::Input, Others::Any | Others::Schema(_), Others::Closed) => found(
            Class::Breaking,
            "input_closed",
            "",
            format!("{subject} no longer accepts properties it does not name"),
        ),
        (Side::Input, Others::Any, Others::Schema(now)) => found(
            Class::Breaking,
            "input_type_narrowed",
            "",
            format!(
                "{subject}: properties it does not name must now be {}",
                type_text(now)
            ),
        ),
        (Side::Output | Side::Model, Others::Closed | Others::Schema(_), Others::Any) => found(
            Class::Breaking,
            "output_type_changed",
            "",
            format!("{subject}: properties it does not name may now hold any value"),
        ),
        _ => {}
    }
    let (was_patterns, now_patterns) = (
        keys(before.get("patternProperties")),
        keys(after.get("patternProperties")),
    );
    for pattern in was_patterns.difference(&now_patterns) {
        let (class, code, what) = match side {
            Side::Input => (Class::Breaking, "input_removed", "no longer accepts"),
            _ => (Class::Breaking, "output_removed", "no longer documents"),
        };
        found(
            class,
            code,
            "",
            format!("{subject} {what} properties matching `{pattern}`"),
        );
    }
    for pattern in now_patterns.difference(&was_patterns) {
        let (code, what) = match side {
            Side::Input => ("input_added", "now accepts"),
            _ => ("output_added", "now documents"),
        };
        found(
            Class::Safe,
            code,
            "",
            format!("{subject} {what} properties matching `{pattern}`"),
        );
    }
    for (was, now, at) in nested {
        compare(was, now, side, &at, out);
    }
}

fn types(
    before: &Value,
    after: &Value,
    side: Side,
    subject: &str,
    found: &mut impl FnMut(Class, &'static str, String),
) {
    let (was, now) = (type_set(before), type_set(after));
    if was == now {
        return;
    }
    let change = format!("`{}` → `{}`", show_types(&was), show_types(&now));
    match side {
        Side::Input if covers(&now, &was) => found(
            Class::Safe,
            "input_type_widened",
            format!("{subject} accepts more: {change}"),
        ),
        Side::Input => found(
            Class::Breaking,
            "input_type_narrowed",
            format!("{subject} type narrowed: {change}"),
        ),
        // A reader that handled every old type handles a subset (`string | null` → `string`).
        Side::Output if covers(&was, &now) => found(
            Class::Safe,
            "output_type_narrowed",
            format!("{subject} takes fewer types: {change}"),
        ),
        // A unified field is also the input of create and update: any change can break one side.
        Side::Output | Side::Model => found(
            Class::Breaking,
            "output_type_changed",
            format!("{subject} type changed: {change}"),
        ),
    }
}

fn enums(
    before: &Value,
    after: &Value,
    side: Side,
    subject: &str,
    found: &mut impl FnMut(Class, &'static str, String),
) {
    let (was, now) = (enum_set(before), enum_set(after));
    match (was, now) {
        (Some(was), Some(now)) => {
            let removed: Vec<&String> = was.difference(&now).collect();
            let added: Vec<&String> = now.difference(&was).collect();
            if !removed.is_empty() {
                if side == Side::Output {
                    found(
                        Class::Safe,
                        "output_enum_value_removed",
                        format!("{subject} no longer takes the value(s) {}", list(&removed)),
                    );
                } else {
                    found(
                        Class::Breaking,
                        "input_enum_value_removed",
                        format!("{subject} no longer accepts {}", list(&removed)),
                    );
                }
            }
            if !added.is_empty() {
                let code = if side == Side::Output {
                    "output_enum_value_added"
                } else {
                    "input_enum_value_added"
                };
                found(
                    Class::Safe,
                    code,
                    format!("{subject} takes new value(s) {}", list(&added)),
                );
            }
        }
        (None, Some(now)) if side != Side::Output => found(
            Class::Breaking,
            "input_enum_value_removed",
            format!(
                "{subject} now accepts only {}",
                list(&now.iter().collect::<Vec<_>>())
            ),
        ),
        (Some(_), None) => found(
            Class::Safe,
            "enum_removed",
            format!("{subject} is no longer limited to a list of values"),
        ),
        _ => {}
    }
}

fn pii(
    before: &Value,
    after: &Value,
    side: Side,
    subject: &str,
    found: &mut impl FnMut(Class, &'static str, String),
) {
    let marked = |v: &Value| v.get("x-pii") == Some(&Value::Bool(true));
    if side == Side::Input || marked(before) == marked(after) {
        return;
    }
    if marked(after) {
        found(
            Class::Safe,
            "pii_marked",
            format!(
                "{subject} is now marked personal data: servers with --redact strip, mask or hash it, so their agents no longer read the value"
            ),
        );
    } else {
        found(
            Class::Safe,
            "pii_unmarked",
            format!(
                "{subject} is no longer marked personal data: servers with --redact now pass it through as it is"
            ),
        );
    }
}

fn constraints(
    before: &Value,
    after: &Value,
    side: Side,
    subject: &str,
    found: &mut impl FnMut(Class, &'static str, String),
) {
    let keywords = LOWER_BOUNDS
        .iter()
        .chain(UPPER_BOUNDS)
        .chain(&["pattern", "const", "format"]);
    for &keyword in keywords {
        let (was, now) = (before.get(keyword), after.get(keyword));
        if was == now {
            continue;
        }
        let change = format!("`{keyword}` {} → {}", short(was), short(now));
        // A lower bound may fall and an upper bound rise; any other new or changed rule may refuse
        // an argument that passed before.
        let loosened = match (was.and_then(Value::as_f64), now.and_then(Value::as_f64)) {
            _ if now.is_none() => true,
            (Some(was), Some(now)) if LOWER_BOUNDS.contains(&keyword) => now < was,
            (Some(was), Some(now)) if UPPER_BOUNDS.contains(&keyword) => now > was,
            _ => false,
        };
        if side == Side::Input && !loosened {
            found(
                Class::Breaking,
                "input_constraint_tightened",
                format!("{subject} is checked more strictly: {change}"),
            );
        } else {
            found(
                Class::Safe,
                "schema_changed",
                format!("{subject}: {change}"),
            );
        }
    }
}

fn others(
    before: &Value,
    after: &Value,
    subject: &str,
    found: &mut impl FnMut(Class, &'static str, String),
) {
    let keywords: BTreeSet<&String> = object_keys(before).chain(object_keys(after)).collect();
    for keyword in keywords {
        if HANDLED.contains(&keyword.as_str()) {
            continue;
        }
        let (was, now) = (before.get(keyword), after.get(keyword));
        if was != now {
            found(
                Class::Safe,
                "schema_changed",
                format!("{subject}: `{keyword}` {} → {}", short(was), short(now)),
            );
        }
    }
}

/// What an object says of the properties it does not name.
enum Others<'a> {
    /// `additionalProperties: false`.
    Closed,
    /// Absent or `true`: anything.
    Any,
    /// Values of this schema.
    Schema(&'a Value),
}

fn others_allowed(schema: &Value) -> Others<'_> {
    match schema.get("additionalProperties") {
        Some(Value::Bool(false)) => Others::Closed,
        None | Some(Value::Bool(true)) => Others::Any,
        Some(other) => Others::Schema(other),
    }
}

/// Whether `object` still takes a property of schema `removed` among those it does not name.
///
/// Pattern properties are not matched (no regular expressions here): a property they would take is
/// still reported removed, which errs on the side of a reviewer's look.
fn accepts_other(object: &Value, removed: &Value) -> bool {
    match others_allowed(object) {
        Others::Any => true,
        Others::Closed => false,
        Others::Schema(schema) => covers(&type_set(schema), &type_set(removed)),
    }
}

/// Whether every type in `before` is still accepted by `after` (an integer is a number).
fn covers(after: &Option<BTreeSet<String>>, before: &Option<BTreeSet<String>>) -> bool {
    match (after, before) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(after), Some(before)) => before
            .iter()
            .all(|t| after.contains(t) || (t == "integer" && after.contains("number"))),
    }
}

/// The schema's types; `None` when any value is allowed.
fn type_set(schema: &Value) -> Option<BTreeSet<String>> {
    match schema.get("type")? {
        Value::String(t) => Some(BTreeSet::from([t.clone()])),
        Value::Array(ts) => Some(
            ts.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        _ => None,
    }
}

fn show_types(types: &Option<BTreeSet<String>>) -> String {
    match types {
        None => "any".to_owned(),
        Some(ts) => ts
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
    }
}

/// A schema's type for a message: `string`, `array of string`, `integer | null`.
pub(crate) fn type_text(schema: &Value) -> String {
    let types = type_set(schema);
    let shown = show_types(&types);
    match schema.get("items") {
        Some(items) if types.as_ref().is_some_and(|t| t.contains("array")) => {
            format!("{shown} of {}", type_text(items))
        }
        _ => shown,
    }
}

fn enum_set(schema: &Value) -> Option<BTreeSet<String>> {
    Some(
        schema
            .get("enum")?
            .as_array()?
            .iter()
            .map(Value::to_string)
            .collect(),
    )
}

fn list(values: &[&String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn description(schema: &Value) -> &str {
    schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn props(schema: &Value) -> BTreeMap<&String, &Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.iter().collect())
        .unwrap_or_default()
}

fn set(value: Option<&Value>) -> BTreeSet<&str> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn keys(value: Option<&Value>) -> BTreeSet<&String> {
    value
        .and_then(Value::as_object)
        .map(|o| o.keys().collect())
        .unwrap_or_default()
}

fn object_keys(value: &Value) -> impl Iterator<Item = &String> {
    value.as_object().into_iter().flat_map(|o| o.keys())
}

/// A keyword's value for a message, cut short.
fn short(value: Option<&Value>) -> String {
    let Some(value) = value else {
        return "(none)".to_owned();
    };
    let text = value.to_string();
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        code(&format!("{cut}…"))
    } else {
        code(&text)
    }
}

/// `text` as a Markdown code span, whatever backticks it holds.
pub(crate) fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {} ``", text.replace("``", "` `"))
    } else {
        format!("`{text}`")
    }
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{Side, compare};
    use crate::report::Class;

    fn codes(before: Value, after: Value, side: Side) -> Vec<(Class, &'static str, String)> {
        let mut out = Vec::new();
        compare(&before, &after, side, "", &mut out);
        out.into_iter().map(|f| (f.class, f.code, f.at)).collect()
    }

    fn found(class: Class, code: &'static str, at: &str) -> (Class, &'static str, String) {
        (class, code, at.to_owned())
    }

    #[test]
    fn values_of_open_objects_are_compared_like_properties() {
        let map = |value: Value| json!({"type": "object", "properties": {"custom": {"type": "object", "additionalProperties": value}}});
        let text = map(json!({"type": "string"}));
        let number = map(json!({"type": "integer"}));
        assert_eq!(
            codes(text.clone(), number.clone(), Side::Model),
            [found(Class::Breaking, "output_type_changed", "custom/*")]
        );
        assert_eq!(
            codes(text.clone(), number, Side::Input),
            [found(Class::Breaking, "input_type_narrowed", "custom/*")]
        );
        // Any value → values of one type: narrower input, a firmer promise on output.
        let any = json!({"type": "object", "properties": {"custom": {"type": "object"}}});
        assert_eq!(
            codes(any.clone(), text.clone(), Side::Input),
            [found(Class::Breaking, "input_type_narrowed", "custom")]
        );
        assert!(codes(any.clone(), text.clone(), Side::Output).is_empty());
        assert_eq!(
            codes(text, any, Side::Output),
            [found(Class::Breaking, "output_type_changed", "custom")]
        );
    }

    #[test]
    fn a_property_still_accepted_by_an_open_object_is_undocumented_not_removed() {
        let object = |extra: Value, open: Value| {
            let mut properties = json!({"email": {"type": "string"}});
            if let (Some(p), Some(e)) = (properties.as_object_mut(), extra.as_object()) {
                p.extend(e.clone());
            }
            json!({"type": "object", "properties": properties, "additionalProperties": open})
        };
        let title = json!({"jobtitle": {"type": "string"}});
        let strings = json!({"type": "string"});
        assert_eq!(
            codes(
                object(title.clone(), strings.clone()),
                object(json!({}), strings),
                Side::Input
            ),
            [found(Class::Safe, "input_undocumented", "jobtitle")]
        );
        assert_eq!(
            codes(
                object(title.clone(), json!(false)),
                object(json!({}), json!(false)),
                Side::Input
            ),
            [found(Class::Breaking, "input_removed", "jobtitle")]
        );
        // Open to integers only: a string property is refused now.
        assert_eq!(
            codes(
                object(title, json!({"type": "integer"})),
                object(json!({}), json!({"type": "integer"})),
                Side::Input
            ),
            [found(Class::Breaking, "input_removed", "jobtitle")]
        );
    }

    #[test]
    fn items_that_appear_or_vanish_are_compared_against_anything() {
        let list = |items: Option<Value>| {
            let mut list = json!({"type": "array"});
            if let (Some(items), Some(l)) = (items, list.as_object_mut()) {
                l.insert("items".into(), items);
            }
            json!({"type": "object", "properties": {"ids": list}})
        };
        assert_eq!(
            codes(
                list(None),
                list(Some(json!({"type": "integer"}))),
                Side::Input
            ),
            [found(Class::Breaking, "input_type_narrowed", "ids/*")]
        );
        assert_eq!(
            codes(
                list(Some(json!({"type": "integer"}))),
                list(None),
                Side::Output
            ),
            [found(Class::Breaking, "output_type_changed", "ids/*")]
        );
    }

    #[test]
    fn output_pattern_properties_removed_are_breaking() {
        let with = json!({"type": "object", "patternProperties": {"^cf_": {"type": "string"}}});
        let without = json!({"type": "object"});
        assert_eq!(
            codes(with.clone(), without.clone(), Side::Output),
            [found(Class::Breaking, "output_removed", "")]
        );
        assert_eq!(
            codes(without, with, Side::Output),
            [found(Class::Safe, "output_added", "")]
        );
    }

    #[test]
    fn values_with_backticks_stay_code() {
        assert_eq!(super::code("a`b"), "`` a`b ``");
        assert_eq!(super::code("plain"), "`plain`");
    }
}
