//! Documented fields: every input described; the parts of a field fit its type.

use super::{Cx, Decorate};
use crate::codes;
use crate::model::{Field, FieldType};
use crate::span::Sp;

/// Nesting beyond this in a field is almost certainly a mistake, and keeps recursion bounded.
const MAX_FIELD_DEPTH: usize = 16;

/// An input parameter and everything inside it must be described, and be well formed.
pub(super) fn check_input(cx: &mut Cx, name: &Sp<String>, field: &Field) {
    walk(cx, name, field, true, 0);
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
