//! Documented fields: every input described; the parts of a field fit its type.

use super::{Cx, Decorate};
use crate::codes;
use crate::model::{Field, FieldType};
use crate::span::Sp;

/// Nesting beyond this in a field is almost certainly a mistake, and keeps recursion bounded.
const MAX_FIELD_DEPTH: usize = 16;

/// An input parameter and everything inside it must be described, and be well formed; property names
/// that clients cannot build a model from are warned about. `argument` is false when agents do not see
/// `name` itself (a record id path parameter, which the tool takes as `id`).
pub(super) fn check_input(cx: &mut Cx, name: &Sp<String>, field: &Field, argument: bool) {
    walk(cx, name, field, true, 0);
    client_safe_names(cx, argument.then_some(name), field, 0);
}

/// Python keywords (3.12), which cannot name a Python parameter or attribute.
const PYTHON_KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Longest property name model APIs accept in a tool's input schema.
const MAX_PROPERTY_NAME: usize = 64;

/// W0005 for every documented property name (the parameter itself and the keys of its objects) that
/// agent clients are known to refuse.
fn client_safe_names(cx: &mut Cx, name: Option<&Sp<String>>, field: &Field, depth: usize) {
    if depth > MAX_FIELD_DEPTH {
        return;
    }
    if let Some(name) = name
        && let Some((problem, reason)) = client_unsafe(&name.value)
    {
        cx.warning(
            codes::CLIENT_UNSAFE_NAME,
            name.span,
            format!("input property `{}` {problem}", name.value),
        )
        .label("agents' clients build a model from this name")
        .help(format!(
            "{reason}. Use another name if the vendor accepts one; otherwise expect those clients to fail on this tool"
        ));
    }
    if let Some(items) = &field.items {
        client_safe_names(cx, None, items, depth + 1);
    }
    if let Some(props) = &field.properties {
        for (k, v) in props.iter() {
            client_safe_names(cx, Some(k), v, depth + 1);
        }
    }
    if let Some(extra) = &field.additional_properties {
        client_safe_names(cx, None, extra, depth + 1);
    }
}

/// What is wrong with `name` as an input property, and who refuses it; `None` when every client takes it.
pub(crate) fn client_unsafe(name: &str) -> Option<(String, String)> {
    let api_safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if name.is_empty() || name.len() > MAX_PROPERTY_NAME || !name.chars().all(api_safe) {
        return Some((
            format!("does not match `^[a-zA-Z0-9_.-]{{1,{MAX_PROPERTY_NAME}}}$`"),
            "Claude's API refuses a tool list whose input property names do not match this pattern, \
             so an agent using Claude cannot load any tool of the server"
                .to_owned(),
        ));
    }
    if name.starts_with('_') {
        return Some((
            "starts with `_`".to_owned(),
            "pydantic refuses field names with a leading underscore, so frameworks that build a pydantic \
             model from each tool's input schema (CrewAI, mcpo) cannot load this tool"
                .to_owned(),
        ));
    }
    if PYTHON_KEYWORDS.contains(&name) {
        return Some((
            "is a Python keyword".to_owned(),
            "frameworks that turn each input property into a Python parameter or attribute \
             (NVIDIA NeMo Agent Toolkit, code-generating MCP adapters) fail with \"not a valid parameter name\""
                .to_owned(),
        ));
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) || name.contains(['.', '-']) {
        return Some((
            "is not a Python identifier".to_owned(),
            "frameworks that turn each input property into a Python parameter or attribute \
             (NVIDIA NeMo Agent Toolkit, code-generating MCP adapters) fail with \"not a valid parameter name\""
                .to_owned(),
        ));
    }
    None
}

/// A response schema must be well formed; descriptions are welcome but not required.
pub(super) fn check_shape(cx: &mut Cx, field: &Field) {
    let root = Sp::new("response".to_owned(), field.ty.span);
    walk(cx, &root, field, false, 0);
}

fn walk(cx: &mut Cx, name: &Sp<String>, field: &Field, input: bool, depth: usize) {
    if depth > MAX_FIELD_DEPTH {
        cx.error(
            codes::BAD_FIELD,
            name.span,
            format!(
                "`{}` nests deeper than {MAX_FIELD_DEPTH} levels",
                name.value
            ),
        );
        return;
    }
    if input {
        match &field.description {
            None => {
                cx.error(
                    codes::MISSING_DESCRIPTION,
                    name.span,
                    format!("parameter `{}` has no description", name.value),
                )
                .label("agents only see what is described")
                .help("add `description:` saying what the value means and what the vendor does with it");
            }
            Some(d) if d.value.trim().is_empty() => {
                cx.error(
                    codes::MISSING_DESCRIPTION,
                    d.span,
                    format!("parameter `{}` has an empty description", name.value),
                )
                .label("agents only see what is described")
                .help("say what the value means and what the vendor does with it");
            }
            Some(_) => {}
        }
    }
    let ty = field.ty.value;
    let misplaced = |present: bool, part: &str, belongs: FieldType| {
        (present && ty != belongs).then(|| {
            (
                format!("`{part}` only applies to `type: {}`", belongs.as_str()),
                format!(
                    "remove `{part}:`, or make the field `type: {}`",
                    belongs.as_str()
                ),
            )
        })
    };
    let problems = [
        misplaced(field.items.is_some(), "items", FieldType::Array),
        misplaced(field.properties.is_some(), "properties", FieldType::Object),
        misplaced(
            field.additional_properties.is_some(),
            "additional_properties",
            FieldType::Object,
        ),
        misplaced(field.style.is_some(), "style", FieldType::Array),
        (ty == FieldType::Array && field.items.is_none()).then(|| {
            (
                "`type: array` needs `items`".to_owned(),
                "add `items:` describing one element, e.g. `items: {type: string, description: …}`"
                    .to_owned(),
            )
        }),
        ((field.minimum.is_some() || field.maximum.is_some())
            && !matches!(ty, FieldType::Integer | FieldType::Number))
        .then(|| {
            (
                "`minimum`/`maximum` only apply to numbers".to_owned(),
                "remove `minimum`/`maximum`, or make the field `type: integer` or `type: number`"
                    .to_owned(),
            )
        }),
    ];
    for (problem, help) in problems.into_iter().flatten() {
        cx.error(
            codes::BAD_FIELD,
            field.ty.span,
            format!("field `{}`: {problem}", name.value),
        )
        .label(format!(
            "`{}` is declared `type: {}` here",
            name.value,
            ty.as_str()
        ))
        .help(help);
    }
    if let Some(items) = &field.items {
        let item_name = Sp::new(format!("{}[]", name.value), items.ty.span);
        walk(cx, &item_name, items, input, depth + 1);
    }
    if let Some(props) = &field.properties {
        for (k, v) in props.iter() {
            walk(cx, k, v, input, depth + 1);
        }
    }
    if let Some(extra) = &field.additional_properties {
        let extra_name = Sp::new(format!("{}.*", name.value), extra.ty.span);
        walk(cx, &extra_name, extra, input, depth + 1);
    }
}
