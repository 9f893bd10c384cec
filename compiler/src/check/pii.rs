//! `pii` marks: they go on fields of what a tool returns (E0112), and every vendor field that feeds a
//! personal-data unified field carries one (W0006), so proxy tools redact what unified tools redact.

use super::{Cx, Decorate};
use crate::codes;
use crate::mapping::ast::{Expr, ExprKind, PathRoot, Step};
use crate::model::{Documentation, Field, FieldType, Integration, Method, MethodKind};
use crate::span::Span;

/// Fields nest at most 16 levels (E0109); the walk stops a little deeper whatever the input.
const MAX_DEPTH: usize = 32;

/// E0112 for every mark on a method's parameters, on its response outside the records the tool
/// returns, and on a record as a whole.
pub(super) fn check_method(
    cx: &mut Cx,
    def: &Integration,
    kind: Option<MethodKind>,
    method: &Method,
    doc: &Documentation,
) {
    for (place, set) in [
        ("path", &doc.path),
        ("query", &doc.query),
        ("body", &doc.body),
    ] {
        for (name, field) in set.iter() {
            each_mark(field, &name.value, 0, &mut |span, marked| {
                let what = if marked == name.value {
                    format!("`{marked}` is a {place} parameter")
                } else {
                    format!(
                        "`{marked}` is inside the {place} parameter `{}`",
                        name.value
                    )
                };
                cx.error(
                    codes::PII_NOT_OUTPUT_FIELD,
                    span,
                    format!("{what}, and `pii` marks only fields of what the tool returns"),
                )
                .label("marked here")
                .help(
                    "remove `pii: true` here and mark the field where `documentation.response` returns it; \
                     arguments are neither redacted nor logged (if the schema is shared with the response \
                     through a YAML anchor, give the parameter its own copy)",
                );
            });
        }
    }
    let Some(response) = &doc.response else {
        return;
    };
    // What the tool returns: each item at the rule's `results` for a paged list, the whole body otherwise.
    let results = (kind == Some(MethodKind::List))
        .then(|| {
            def.pagination_for(MethodKind::List, method)
                .and_then(|n| def.pagination.get(&n.value))
                .map(|rule| rule.results.value.as_str())
        })
        .flatten();
    let records = match results {
        Some(pointer) => response
            .at(pointer)
            .filter(|page| page.ty.value == FieldType::Array)
            .and_then(|page| page.items.as_deref()),
        None => Some(response),
    };
    let shown = results.unwrap_or_default();
    walk_response(cx, response, "response", records, shown, 0);
}

/// Reports marks on `field` and below that are not strictly inside `records`.
fn walk_response(
    cx: &mut Cx,
    field: &Field,
    name: &str,
    records: Option<&Field>,
    results: &str,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let is_records = records.is_some_and(|r| std::ptr::eq(r, field));
    if let Some(mark) = marked(field) {
        if is_records || records.is_some_and(|r| contains(field, r, 0)) {
            cx.error(
                codes::PII_NOT_OUTPUT_FIELD,
                mark,
                if is_records {
                    "the record itself is marked `pii`: marks go on its fields".to_owned()
                } else {
                    format!("`{name}` holds the records, and marks go on the records' fields")
                },
            )
            .label("marked here")
            .help("mark the personal fields inside the record: strip, mask and hash work field by field");
        } else {
            cx.error(
                codes::PII_NOT_OUTPUT_FIELD,
                mark,
                format!(
                    "`{name}` is not inside the records, and the list tool returns only the records at `{results}`"
                ),
            )
            .label("marked here")
            .help(format!(
                "remove `pii: true` here; mark fields of the records (the items at `{results}`)"
            ));
        }
    }
    if is_records {
        // Everything inside a record is an output field.
        return;
    }
    for (child, child_name) in children(field, name) {
        walk_response(cx, child, &child_name, records, results, depth + 1);
    }
}

/// The span of `pii: true` on `field`, if it is marked.
fn marked(field: &Field) -> Option<Span> {
    field.pii.as_ref().filter(|p| p.value).map(|p| p.span)
}

/// Calls `found` with the span and the field name of every mark on `field` and inside it.
fn each_mark(field: &Field, name: &str, depth: usize, found: &mut impl FnMut(Span, &str)) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(mark) = marked(field) {
        found(mark, name);
    }
    for (child, child_name) in children(field, name) {
        each_mark(child, &child_name, depth + 1, found);
    }
}

/// The fields directly inside `field`, named for messages (`tags[]`, `properties.*`, `paging.next`).
fn children<'a>(field: &'a Field, name: &str) -> Vec<(&'a Field, String)> {
    let mut out = Vec::new();
    if let Some(items) = &field.items {
        out.push((items.as_ref(), format!("{name}[]")));
    }
    if let Some(props) = &field.properties {
        for (key, child) in props.iter() {
            let shown = if name == "response" {
                key.value.clone()
            } else {
                format!("{name}.{}", key.value)
            };
            out.push((child, shown));
        }
    }
    if let Some(extra) = &field.additional_properties {
        out.push((extra.as_ref(), format!("{name}.*")));
    }
    out
}

/// Whether `target` is `field` or inside it.
fn contains(field: &Field, target: &Field, depth: usize) -> bool {
    std::ptr::eq(field, target)
        || (depth <= MAX_DEPTH
            && children(field, "")
                .into_iter()
                .any(|(child, _)| contains(child, target, depth + 1)))
}

/// The `$` paths an expression reads, each once, in order of first appearance.
pub(crate) fn record_paths(expr: &Expr) -> Vec<(&[Step], crate::mapping::ast::Range)> {
    let mut out: Vec<(&[Step], crate::mapping::ast::Range)> = Vec::new();
    collect_paths(expr, &mut out, 0);
    out
}

fn collect_paths<'a>(
    expr: &'a Expr,
    out: &mut Vec<(&'a [Step], crate::mapping::ast::Range)>,
    depth: usize,
) {
    if depth > 256 {
        return;
    }
    match &expr.kind {
        ExprKind::Path {
            root: PathRoot::Record,
            steps,
        } => {
            if !out.iter().any(|(seen, _)| same_steps(seen, steps)) {
                out.push((steps, expr.range));
            }
        }
        ExprKind::Call { args, .. } | ExprKind::Array(args) => {
            for a in args {
                collect_paths(a, out, depth + 1);
            }
        }
        ExprKind::Coalesce(a, b)
        | ExprKind::Compare {
            left: a, right: b, ..
        } => {
            collect_paths(a, out, depth + 1);
            collect_paths(b, out, depth + 1);
        }
        ExprKind::Object(entries) => {
            for (_, e) in entries {
                collect_paths(e, out, depth + 1);
            }
        }
        ExprKind::Index(base, _) | ExprKind::Slice { base, .. } => {
            collect_paths(base, out, depth + 1);
        }
        // What a name reads is read by its value; the name itself reads nothing more.
        ExprKind::Let { value, body, .. } => {
            collect_paths(value, out, depth + 1);
            collect_paths(body, out, depth + 1);
        }
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Number(_)
        | ExprKind::String(_)
        | ExprKind::Path { .. } => {}
    }
}

/// Whether two paths read the same field, wherever they are written.
fn same_steps(a: &[Step], b: &[Step]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|pair| match pair {
            (Step::Key(x, _), Step::Key(y, _)) => x == y,
            (Step::Index(x, _), Step::Index(y, _)) => x == y,
            _ => false,
        })
}

/// Whether the documented field a `$` path reads is marked `pii` (or sits inside a marked field):
/// `None` when the path reads nothing documented (a whole record, an undocumented key such as a
/// custom property, which can only be marked once it is documented).
pub(crate) fn path_marked(record: &Field, steps: &[Step]) -> Option<bool> {
    if steps.is_empty() {
        return None;
    }
    let mut field = record;
    let mut marked = field.is_pii();
    for step in steps {
        field = match (step, field.ty.value) {
            (Step::Key(key, _), FieldType::Object) => {
                match field.properties.as_ref().and_then(|p| p.get(key)) {
                    Some(documented) => documented,
                    None => {
                        let extra = field.additional_properties.as_deref()?;
                        // Every undocumented key is marked, or this one is not known.
                        return (marked || extra.is_pii()).then_some(true);
                    }
                }
            }
            (Step::Index(..), FieldType::Array) => field.items.as_deref()?,
            _ => return None,
        };
        marked |= field.is_pii();
    }
    Some(marked)
}

/// A `$` path as people write it: `properties.email`, `addresses[0].city`.
pub(crate) fn shown_path(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(key, _) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(i, _) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}
