//! Methods: kinds, verbs, paths and their parameters, scopes, documentation and pagination use.

use std::collections::BTreeMap;

use super::{Cx, Decorate, fields, pii};
use crate::codes;
use crate::diagnostic::{did_you_mean, excerpt, list_names};
use crate::model::{Integration, Method, MethodKind, NO_PAGINATION, PaginationRule};
use crate::naming::{RECORD_ID_ARG, is_snake_case, record_id_placeholder};
use crate::span::{Sp, SpMap};

/// HTTP verbs a method may use.
pub const HTTP_VERBS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Most `{placeholders}` a method path may have. Real paths have a handful; the cap keeps matching
/// placeholders against documented parameters cheap whatever the input.
pub const MAX_PATH_PARAMS: usize = 64;

/// Argument names the runtime injects into list tools.
pub const INJECTED_LIST_PARAMS: [&str; 2] = ["limit", "next_cursor"];

pub(super) fn check(cx: &mut Cx, def: &Integration) {
    for (rkey, resource) in def.resources.iter() {
        for (key, method) in resource.methods.iter() {
            check_method(cx, def, rkey, key, method);
        }
    }
}

fn check_method(
    cx: &mut Cx,
    def: &Integration,
    rkey: &Sp<String>,
    key: &Sp<String>,
    method: &Method,
) {
    let kind = check_kind(cx, key, method);
    check_verb(cx, &method.http);
    let placeholders = check_path(cx, &method.path);
    check_scopes(cx, &method.scopes);
    if let Some(p) = &method.pagination
        && kind.is_some_and(|k| k != MethodKind::List)
        && p.value != NO_PAGINATION
    {
        cx.error(
            codes::PAGINATION_NOT_LIST,
            p.span,
            format!(
                "`{}` is not a list method, so it cannot paginate",
                key.value
            ),
        )
        .help("remove `pagination:`; only `list` methods page");
    }
    let Some(doc) = &method.documentation else {
        cx.warning(
            codes::UNDOCUMENTED_METHOD,
            key.span,
            format!(
                "method `{}` has no documentation, so no tool is generated for it",
                key.value
            ),
        )
        .help("add `documentation:` with a `description` and its parameters");
        return;
    };
    if let Some(placeholders) = &placeholders {
        check_path_params(cx, &method.path, placeholders, &doc.path);
    }
    check_param_sets(
        cx,
        &[
            ("path", &doc.path),
            ("query", &doc.query),
            ("body", &doc.body),
        ],
    );
    if let (Some(kind), Some(_)) = (kind, &placeholders) {
        check_record_id(cx, kind, key, &method.path, doc);
    }
    for (name, _) in method.fixed_query.iter() {
        if let Some((documented, _)) = doc.query.get_entry(name) {
            cx.error(
                codes::PARAM_DECLARED_TWICE,
                documented.span,
                format!(
                    "query parameter `{}` is both fixed in `fixed_query` (line {}) and documented for agents",
                    name.value, name.span.line
                ),
            )
            .help("remove it from `documentation.query` if the value is always the same, or from `fixed_query` if agents choose it");
        }
    }
    // The record's id path parameter reaches agents as `id`, whatever the vendor calls it; the query
    // parameters a list's pagination rule sets are replaced by `limit` and `next_cursor`.
    let record = kind.and_then(|k| record_id_placeholder(k, &method.path.value));
    let rule = kind
        .and_then(|k| def.pagination_for(k, method))
        .and_then(|name| def.pagination.get(&name.value));
    let claimed: Vec<&str> = rule
        .map(|r| {
            [
                &r.cursor_param,
                &r.limit_param,
                &r.offset_param,
                &r.page_param,
            ]
            .into_iter()
            .flatten()
            .map(|p| p.value.as_str())
            .collect()
        })
        .unwrap_or_default();
    for (place, set) in [
        ("path", &doc.path),
        ("query", &doc.query),
        ("body", &doc.body),
    ] {
        for (name, field) in set.iter() {
            let is_record_id = place == "path" && record == Some(name.value.as_str());
            let is_claimed = place == "query" && claimed.contains(&name.value.as_str());
            let argument = !(is_record_id || is_claimed);
            fields::check_input(cx, name, field, argument);
        }
    }
    pii::check_method(cx, def, kind, method, doc);
    match &doc.response {
        Some(r) => fields::check_shape(cx, r),
        // Updates and deletes often answer 204 with no body (Salesforce does), so silence is fine there.
        None if matches!(kind, Some(MethodKind::Update | MethodKind::Delete)) => {}
        None => {
            cx.warning(
                codes::NO_RESPONSE_SCHEMA,
                key.span,
                format!("method `{}` documents no response", key.value),
            )
            .help("add `documentation.response` so agents get an output schema");
        }
    }
    if kind == Some(MethodKind::List) {
        check_list_pagination(cx, def, rkey, key, method, &doc.query);
    }
}

/// Every `{placeholder}` documented under `documentation.path`, and nothing else there. A documented name
/// that differs from an undocumented placeholder only in spelling (`contact_id` for `{contactId}`) is one
/// mistake, reported once, where the documentation misspells it.
fn check_path_params(
    cx: &mut Cx,
    path: &Sp<String>,
    placeholders: &[(String, usize)],
    documented: &SpMap<crate::model::Field>,
) {
    let undocumented: Vec<&str> = placeholders
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| documented.get(p).is_none())
        .collect();
    let squash = |s: &str| s.replace(['_', '-'], "").to_ascii_lowercase();
    let respelled = |name: &str| {
        did_you_mean(name, undocumented.iter().copied()).or_else(|| {
            undocumented
                .iter()
                .copied()
                .find(|p| squash(p) == squash(name))
        })
    };
    // Each documented name's respelling, worked out once rather than once per placeholder.
    let respellings: Vec<Option<&str>> = documented.keys().map(respelled).collect();
    for (name, offset) in placeholders {
        let misspelled = respellings.contains(&Some(name.as_str()));
        if documented.get(name).is_some() || misspelled {
            continue;
        }
        cx.error(
            codes::UNDECLARED_PATH_PARAM,
            super::sub_span(path, *offset, name.len() + 2),
            format!("path parameter `{{{name}}}` is not documented"),
        )
        .label(format!("`{{{name}}}` is used here"))
        .help(format!(
            "add `{name}:` with a type, `required: true` and a description under `documentation.path`"
        ));
    }
    let used: Vec<&str> = placeholders.iter().map(|(p, _)| p.as_str()).collect();
    for ((name, _), respelling) in documented.iter().zip(respellings) {
        if used.contains(&name.value.as_str()) {
            continue;
        }
        let d = cx.error(
            codes::UNUSED_PATH_PARAM,
            name.span,
            format!(
                "path parameter `{}` does not appear in the path `{}`",
                name.value,
                excerpt(&path.value)
            ),
        );
        match respelling {
            Some(p) => d
                .label(format!("the path spells it `{{{p}}}`"))
                .help(format!("rename it to `{p}`, as the path spells it")),
            None if used.is_empty() => d.help(format!(
                "move it to `query`, or add `{{{}}}` to the path",
                name.value
            )),
            None => d.help(format!(
                "the path's parameters are {}; remove this one, or move it to `query`",
                list_names(used.iter().copied())
            )),
        };
    }
}

/// The path parameter naming the record of a get, update or delete becomes the tool's argument `id`
/// (`{contactId}` is sent as `id`), so no other parameter of the method may already be called `id`.
fn check_record_id(
    cx: &mut Cx,
    kind: MethodKind,
    key: &Sp<String>,
    path: &Sp<String>,
    doc: &crate::model::Documentation,
) {
    let Some(record) = record_id_placeholder(kind, &path.value) else {
        return;
    };
    if record == RECORD_ID_ARG || doc.path.get(record).is_none() {
        return;
    }
    for (place, set) in [
        ("path", &doc.path),
        ("query", &doc.query),
        ("body", &doc.body),
    ] {
        let Some((name, _)) = set.get_entry(RECORD_ID_ARG) else {
            continue;
        };
        let help = if place == "path" {
            format!(
                "here `{{{RECORD_ID_ARG}}}` names a parent record, not the one this {} addresses; give the method another key \
                 with `kind: custom`, whose tool keeps the vendor's names (`{RECORD_ID_ARG}`, `{record}`)",
                kind.as_str()
            )
        } else {
            format!(
                "if this `{RECORD_ID_ARG}` is the record's id, put it in the path as `{{{RECORD_ID_ARG}}}`; otherwise give the method \
                 another key with `kind: custom` (custom tools keep the vendor's names)"
            )
        };
        cx.error(
            codes::RECORD_ID_TAKEN,
            name.span,
            format!(
                "`{}` passes its record's id `{{{record}}}` as the argument `{RECORD_ID_ARG}`, but it already has a {place} parameter named `{RECORD_ID_ARG}`",
                key.value
            ),
        )
        .label(format!("a second `{RECORD_ID_ARG}`"))
        .note(format!(
            "every get, update and delete tool takes the record's id as `{RECORD_ID_ARG}`: the last path parameter, here `{{{record}}}` (line {})",
            path.span.line
        ))
        .help(help);
    }
}

fn check_kind(cx: &mut Cx, key: &Sp<String>, method: &Method) -> Option<MethodKind> {
    if !is_snake_case(key) {
        cx.error(
            codes::BAD_NAME,
            key.span,
            format!("method name `{}` is not snake_case", key.value),
        )
        .help(format!("try `{}`", crate::naming::snake_case(key)));
    }
    let from_key = MethodKind::from_key(key);
    match (&method.kind, from_key) {
        (Some(k), Some(fk)) if k.value != fk => {
            cx.error(
                codes::BAD_METHOD_KIND,
                k.span,
                format!(
                    "method `{}` says `kind: {}`, but its key names the kind `{}`",
                    key.value,
                    k.value.as_str(),
                    fk.as_str()
                ),
            )
            .help(format!(
                "remove `kind:`, or rename the method to something other than `{}`",
                key.value
            ));
            None
        }
        (None, None) => {
            let kinds = ["list", "get", "create", "update", "delete", "search"];
            let d = cx.error(
                codes::BAD_METHOD_KIND,
                key.span,
                format!("`{}` is not a method kind", key.value),
            );
            match did_you_mean(key, kinds) {
                Some(s) => d.help(format!(
                    "did you mean `{s}`? for another operation, add `kind: custom`"
                )),
                None => d.help(format!(
                    "use one of {} as the key, or add `kind: custom`",
                    list_names(kinds)
                )),
            };
            None
        }
        _ => method.resolved_kind(key),
    }
}

fn check_verb(cx: &mut Cx, verb: &Sp<String>) {
    if HTTP_VERBS.contains(&verb.value.as_str()) {
        return;
    }
    let upper = verb.value.to_ascii_uppercase();
    let help = if HTTP_VERBS.contains(&upper.as_str()) {
        format!("write it in capitals: `{upper}`")
    } else {
        match did_you_mean(&upper, HTTP_VERBS) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("use one of {}", list_names(HTTP_VERBS)),
        }
    };
    cx.error(
        codes::UNKNOWN_HTTP_VERB,
        verb.span,
        format!("unknown HTTP verb `{}`", verb.value),
    )
    .label("not an HTTP verb Switchboard sends")
    .help(help);
}

/// Checks the path's shape and returns its `{placeholders}` (None when malformed).
fn check_path(cx: &mut Cx, path: &Sp<String>) -> Option<Vec<(String, usize)>> {
    let p = path.value.as_str();
    let problem = if let Some((_, after_scheme)) = p.split_once("://") {
        let below = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        Some(format!(
            "write only the path, `{below}`: the scheme and host come from `base_url`"
        ))
    } else if !p.starts_with('/') {
        Some(format!("a path starts with `/`: `/{p}`"))
    } else if let Some(i) = p.find(['?', '#']) {
        Some(format!(
            "write the path alone, `{}`: declare query parameters under `documentation.query`, or fixed ones under `fixed_query`",
            &p[..i]
        ))
    } else if p.chars().any(char::is_whitespace) {
        Some("a path must not hold whitespace".to_owned())
    } else {
        None
    };
    if let Some(problem) = problem {
        cx.error(
            codes::BAD_PATH,
            path.span,
            format!("`{p}` is not a valid method path"),
        )
        .help(problem);
        return None;
    }
    let mut out = Vec::new();
    let mut rest = p;
    let mut offset = 0;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            cx.error(
                codes::BAD_PATH,
                path.span,
                format!("unmatched `}}` in path `{p}`"),
            );
            return None;
        }
        let Some(close) = rest[open + 1..].find(['{', '}']).map(|c| c + open + 1) else {
            cx.error(
                codes::BAD_PATH,
                super::sub_span(path, offset + open, 1),
                format!("unclosed `{{` in path `{p}`"),
            )
            .label("opened here")
            .help("close the placeholder: `{name}`");
            return None;
        };
        if rest[close..].starts_with('{') {
            cx.error(
                codes::BAD_PATH,
                path.span,
                format!("nested `{{` in path `{p}`"),
            );
            return None;
        }
        let name = &rest[open + 1..close];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            cx.error(
                codes::BAD_PATH,
                path.span,
                format!("`{{{name}}}` is not a parameter name"),
            )
            .help("parameter names are letters, digits and `_`");
            return None;
        }
        out.push((name.to_owned(), offset + open));
        offset += close + 1;
        rest = &rest[close + 1..];
    }
    if out.len() > MAX_PATH_PARAMS {
        cx.error(
            codes::INPUT_LIMIT,
            path.span,
            format!(
                "the path has {} parameters; a method path may have at most {MAX_PATH_PARAMS}",
                out.len()
            ),
        )
        .help("pass the extra values as query or body parameters");
        return None;
    }
    Some(out)
}

/// Scopes must be strings: a YAML `123` or `true` would silently become a different scope.
pub(super) fn check_scopes(cx: &mut Cx, scopes: &[Sp<serde_json::Value>]) {
    for scope in scopes {
        match &scope.value {
            serde_json::Value::String(s)
                if !s.is_empty() && !s.chars().any(char::is_whitespace) => {}
            serde_json::Value::String(s) if s.trim().is_empty() => {
                cx.error(codes::SCOPE_NOT_STRING, scope.span, "a scope is empty")
                    .help("write the scope's name, or remove the empty item");
            }
            serde_json::Value::String(s) => {
                let items: Vec<&str> = s.split_whitespace().collect();
                cx.error(
                    codes::SCOPE_NOT_STRING,
                    scope.span,
                    format!("scope `{s}` holds whitespace"),
                )
                .label("one scope per item")
                .help(format!(
                    "write each scope as its own list item: `[{}]`",
                    items.join(", ")
                ));
            }
            serde_json::Value::Null => {
                cx.error(
                    codes::SCOPE_NOT_STRING,
                    scope.span,
                    "a scope is empty (null)",
                )
                .label("scopes are strings")
                .help("write the scope's name, or remove the empty item");
            }
            other => {
                let kind = match other {
                    serde_json::Value::Null => "null",
                    serde_json::Value::Bool(_) => "a boolean",
                    serde_json::Value::Number(_) => "a number",
                    serde_json::Value::Array(_) => "a list",
                    serde_json::Value::Object(_) => "a mapping",
                    serde_json::Value::String(_) => "a string",
                };
                cx.error(
                    codes::SCOPE_NOT_STRING,
                    scope.span,
                    format!("scope is {kind}, not a string"),
                )
                .label("scopes are strings")
                .help(format!(
                    "quote it: `\"{}\"`",
                    other.to_string().trim_matches('"')
                ));
            }
        }
    }
}

fn check_param_sets(cx: &mut Cx, sets: &[(&str, &SpMap<crate::model::Field>)]) {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (place, set) in sets {
        for (name, _) in set.iter() {
            if let Some(first) = seen.get(name.value.as_str()) {
                cx.error(
                    codes::PARAM_DECLARED_TWICE,
                    name.span,
                    format!(
                        "parameter `{}` is declared in both `{first}` and `{place}`",
                        name.value
                    ),
                )
                .help("tool inputs are flat, so each name may appear once; rename one of them");
            } else {
                seen.insert(&name.value, place);
            }
        }
    }
}

fn check_list_pagination(
    cx: &mut Cx,
    def: &Integration,
    rkey: &Sp<String>,
    key: &Sp<String>,
    method: &Method,
    query: &SpMap<crate::model::Field>,
) {
    let here = format!("{}.{}", rkey.value, key.value);
    let rule_name = def.pagination_for(MethodKind::List, method);
    let rule: Option<&PaginationRule> = match rule_name {
        Some(name) => {
            // An undeclared default is reported once, where it is declared.
            let is_default = method.pagination.is_none();
            if is_default {
                def.pagination.get(&name.value)
            } else {
                super::pagination::reference(cx, def, name)
            }
        }
        None => {
            if method.pagination.is_none() {
                cx.error(codes::LIST_WITHOUT_PAGINATION, key.span, format!("list method `{here}` has no pagination rule"))
                    .help("set `default_pagination:` for the integration, `pagination: <rule>` here, or `pagination: none` for an unpaged list");
            }
            None
        }
    };
    if rule_name.is_some() && rule.is_none() {
        // The rule does not exist; that is reported where it is named, and nothing here can be judged.
        return;
    }
    let mut claimed: Vec<&str> = Vec::new();
    if let Some(rule) = rule {
        for param in [
            &rule.cursor_param,
            &rule.offset_param,
            &rule.page_param,
            &rule.limit_param,
        ]
        .into_iter()
        .flatten()
        {
            claimed.push(&param.value);
            if query.get(&param.value).is_none() {
                let name = rule_name.map_or("", |n| n.value.as_str());
                let help = match did_you_mean(&param.value, query.keys()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if query.is_empty() => format!(
                        "document `{}` under `documentation.query` of `{here}`",
                        param.value
                    ),
                    None => format!(
                        "document `{}` under `documentation.query` of `{here}`, or name one of the query parameters it documents: {}",
                        param.value,
                        list_names(query.keys())
                    ),
                };
                cx.error(
                    codes::PAGINATION_PARAM_UNDECLARED,
                    param.span,
                    format!("pagination rule `{name}` uses query parameter `{}`, which `{here}` does not document", param.value),
                )
                .label(format!("not a query parameter of `{here}`"))
                .note(format!("method `{here}` (line {}) uses this rule", key.span.line))
                .help(help);
            }
        }
    }
    for (name, _) in query.iter() {
        if INJECTED_LIST_PARAMS.contains(&name.value.as_str())
            && !claimed.contains(&name.value.as_str())
        {
            cx.error(
                codes::RESERVED_PARAM,
                name.span,
                format!(
                    "`{}` is reserved in list tools: Switchboard injects it for pagination",
                    name.value
                ),
            )
            .help(match (rule_name, name.value.as_str()) {
                (Some(rule), "limit") => format!(
                    "if this is the vendor's page size, set `limit_param: limit` in pagination rule `{}`",
                    rule.value
                ),
                (Some(rule), _) => format!(
                    "if this is the vendor's cursor, set `cursor_param: {}` in pagination rule `{}`",
                    name.value, rule.value
                ),
                (None, _) => format!(
                    "`{here}` does not paginate, so it cannot take `{}`: give it a pagination rule that claims it, or remove the parameter",
                    name.value
                ),
            });
        }
    }
}
