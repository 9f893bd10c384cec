//! Pagination rules: complete for their style, referenced by name, used by something.

use super::{Cx, Decorate};
use crate::codes;
use crate::diagnostic::did_you_mean;
use crate::model::{Integration, NO_PAGINATION, PaginationRule, PaginationStyle};
use crate::span::Sp;

pub(super) fn check(cx: &mut Cx, def: &Integration) {
    for (name, rule) in def.pagination.iter() {
        check_rule(cx, name, rule);
    }
    if let Some(default) = &def.default_pagination {
        reference(cx, def, default);
    }
    // A reference to a rule that does not exist most likely means one that does, misspelled: calling
    // that one unused as well would report one mistake twice.
    let dangling = def
        .default_pagination
        .iter()
        .chain(
            def.resources
                .iter()
                .flat_map(|(_, r)| r.methods.iter().filter_map(|(_, m)| m.pagination.as_ref())),
        )
        .any(|p| p.value != NO_PAGINATION && def.pagination.get(&p.value).is_none());
    for (name, _) in def.pagination.iter() {
        if dangling {
            break;
        }
        let used = def
            .default_pagination
            .as_ref()
            .is_some_and(|d| d.value == name.value)
            || def.resources.iter().any(|(_, r)| {
                r.methods
                    .iter()
                    .any(|(_, m)| m.pagination.as_ref().is_some_and(|p| p.value == name.value))
            });
        if !used {
            cx.warning(
                codes::UNUSED_PAGINATION,
                name.span,
                format!("pagination rule `{}` is never used", name.value),
            )
            .help(
                "reference it with `default_pagination:` or a method's `pagination:`, or remove it",
            );
        }
    }
}

/// Reports a reference to a rule that does not exist; returns the rule when it does.
pub(super) fn reference<'a>(
    cx: &mut Cx,
    def: &'a Integration,
    name: &Sp<String>,
) -> Option<&'a PaginationRule> {
    if name.value == NO_PAGINATION {
        return None;
    }
    if let Some(rule) = def.pagination.get(&name.value) {
        return Some(rule);
    }
    let declared: Vec<&str> = def.pagination.keys().collect();
    let help = match did_you_mean(&name.value, declared.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if declared.is_empty() => {
            "declare it under the top-level `pagination:` mapping".to_owned()
        }
        None => format!(
            "declared rules: {}",
            crate::diagnostic::list_names(declared.iter().copied())
        ),
    };
    cx.error(
        codes::UNKNOWN_PAGINATION,
        name.span,
        format!("no pagination rule named `{}`", name.value),
    )
    .label("not declared under `pagination:`")
    .help(help);
    None
}

fn check_rule(cx: &mut Cx, name: &Sp<String>, rule: &PaginationRule) {
    let style = rule.style.value;
    let needs: &[(&str, bool)] = match style {
        PaginationStyle::Cursor => &[
            ("cursor_param", rule.cursor_param.is_some()),
            ("next_cursor", rule.next_cursor.is_some()),
        ],
        PaginationStyle::NextUrl => &[("next_url", rule.next_url.is_some())],
        PaginationStyle::Offset => &[("offset_param", rule.offset_param.is_some())],
        PaginationStyle::Page => &[("page_param", rule.page_param.is_some())],
    };
    for (key, present) in needs {
        if !present {
            cx.error(
                codes::PAGINATION_INCOMPLETE,
                rule.style.span,
                format!(
                    "pagination rule `{}` of style `{}` needs `{key}`",
                    name.value,
                    style.as_str()
                ),
            )
            .help(format!("add `{key}:` to the rule"));
        }
    }
    if rule.limit_param.is_some() && rule.limit_header.is_some() {
        cx.error(
            codes::PAGINATION_INCOMPLETE,
            rule.style.span,
            format!("pagination rule `{}` sets the page size twice", name.value),
        )
        .help("keep either `limit_param` or `limit_header`");
    }
    if let Some(h) = &rule.limit_header
        && !h.value.contains("{limit}")
    {
        cx.error(
            codes::PAGINATION_INCOMPLETE,
            h.value.span,
            "`limit_header.value` has no `{limit}` placeholder",
        )
        .help("write where the page size goes, e.g. `batchSize={limit}`");
    }
    for p in [
        &Some(rule.results.clone()),
        &rule.next_cursor,
        &rule.next_url,
        &rule.has_more,
    ]
    .into_iter()
    .flatten()
    {
        super::rules::pointer(cx, p);
    }
}
