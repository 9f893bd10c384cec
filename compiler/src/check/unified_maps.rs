//! Unified maps: each names a real model and resource, and every expression parses, types against the
//! documented vendor schema (or the model, for request maps) and fits the field it fills.

use std::collections::BTreeMap;

use super::{ModelUnit, Unit};
use crate::codes::{self, Code};
use crate::diagnostic::{Diagnostic, did_you_mean, list_names};
use crate::mapping::{parse, typecheck, types::Ty, types::TyKind};
use crate::model::{Field, Integration, MethodKind, UnifiedMap, UnifiedModel};
use crate::span::{Sp, Span};

/// Checks every integration's `unified:` section against the loaded models.
pub fn check(units: &[Unit], models: &[ModelUnit]) -> Vec<Diagnostic> {
    let by_key: BTreeMap<String, &UnifiedModel> = models
        .iter()
        .map(|m| {
            (
                format!("{}.{}", m.model.category.value.as_str(), m.model.name.value),
                &m.model,
            )
        })
        .collect();
    let mut diags = Vec::new();
    for unit in units {
        let file = unit.source.name.as_str();
        let text = unit.source.text.as_deref().unwrap_or_default();
        let mut report =
            |code: &'static Code, span: Span, message: String, help: Option<String>| {
                let diagnostic = if code.id.starts_with('W') {
                    Diagnostic::warning(code, file, span, message)
                } else {
                    Diagnostic::error(code, file, span, message)
                };
                diags.push(diagnostic.with_help_opt(help));
            };
        for (key, map) in unit.def.unified.iter() {
            let Some(model) = by_key.get(&key.value) else {
                let help = did_you_mean(&key.value, by_key.keys().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| {
                        Some(format!(
                            "unified models: {}",
                            list_names(by_key.keys().map(String::as_str))
                        ))
                    });
                report(
                    codes::UNKNOWN_UNIFIED_MODEL,
                    key.span,
                    format!("no unified model `{}`", key.value),
                    help,
                );
                continue;
            };
            if unit.def.resources.get(&map.resource.value).is_none() {
                let help = did_you_mean(&map.resource.value, unit.def.resources.keys())
                    .map(|s| format!("did you mean `{s}`?"));
                report(
                    codes::UNKNOWN_MAP_RESOURCE,
                    map.resource.span,
                    format!("no resource `{}` in this integration", map.resource.value),
                    help,
                );
                continue;
            }
            check_reads(&unit.def, &map.resource.value, map, &mut report);
            check_parent_arg(&unit.def, key, model, map, &mut report);
            check_targets(&unit.def, &map.resource.value, map, &mut report);
            let vendor = record_type(&unit.def, &map.resource.value);
            let model_fields: BTreeMap<&str, &Field> = model
                .fields
                .iter()
                .map(|(k, f)| (k.value.as_str(), f))
                .collect();
            for (field, expr) in map.response.iter() {
                let Some(target) = model_fields.get(field.value.as_str()) else {
                    let help = did_you_mean(&field.value, model_fields.keys().copied())
                        .map(|s| format!("did you mean `{s}`?"));
                    report(
                        codes::UNKNOWN_UNIFIED_FIELD,
                        field.span,
                        format!(
                            "the unified model `{}` has no field `{}`",
                            key.value, field.value
                        ),
                        help,
                    );
                    continue;
                };
                if target.holds_pii() {
                    unmarked_sources(
                        text,
                        &unit.def,
                        &map.resource.value,
                        field,
                        expr,
                        &mut report,
                    );
                }
                if let Some(ty) = check_expr(
                    text,
                    expr,
                    &vendor,
                    "the documented vendor record",
                    &mut report,
                ) {
                    let want = Ty::from_field(target);
                    if !ty.fits(&want) {
                        report(
                            codes::MAP_RESULT_MISMATCH,
                            expr.span,
                            format!(
                                "`{}` is {want}, but this expression gives {ty}",
                                field.value
                            ),
                            conversion_hint(&ty, &want),
                        );
                    }
                }
            }
            for (name, field) in model.fields.iter() {
                if field.required && map.response.get(&name.value).is_none() {
                    report(
                        codes::REQUIRED_FIELD_UNMAPPED,
                        key.span,
                        format!(
                            "the response map for `{}` leaves the required field `{}` unset",
                            key.value, name.value
                        ),
                        Some(format!(
                            "add `{}: <expression>` under `response:`",
                            name.value
                        )),
                    );
                }
            }
            let unified = Ty::of(TyKind::Object(Some(
                model
                    .fields
                    .iter()
                    .map(|(k, f)| (k.value.clone(), Ty::from_field(f)))
                    .collect(),
            )));
            let input_name = format!("the unified {}", model.name.value);
            let plain = map.request.iter().map(|entry| (entry, false));
            let updates = map.update_request.iter().map(|entry| (entry, true));
            for ((target, expr), update) in plain.chain(updates) {
                let parsed = match crate::mapping::target::parse(&target.value) {
                    Ok(parsed) => parsed,
                    Err(message) => {
                        report(codes::MAP_SYNTAX, target.span, message, None);
                        continue;
                    }
                };
                // An update map also reads the record as stored now, in unified form.
                let names = if update {
                    vec![(crate::mapping::CURRENT.to_owned(), unified.clone())]
                } else {
                    Vec::new()
                };
                let ty = check_expr_with(text, expr, &unified, &input_name, names, &mut report);
                if parsed.spread
                    && let Some(ty) = ty
                    && !matches!(
                        ty.kind,
                        TyKind::Object(_) | TyKind::Open(..) | TyKind::Any | TyKind::Null
                    )
                {
                    report(
                        codes::MAP_RESULT_MISMATCH,
                        expr.span,
                        format!(
                            "`{}` spreads an object's entries, but this expression gives {ty}",
                            target.value
                        ),
                        Some(
                            "spread an object (`$.custom_fields`), or name the target without `*`"
                                .to_owned(),
                        ),
                    );
                }
            }
        }
    }
    diags
}

/// Every named request-map target is in the body the resource's create method (for `request`) or
/// update method (for `update_request`, and for `request` too when there is none) documents, key by
/// key; a top-level key the method's `extra_body` pattern admits counts as documented. Spreads are
/// not checked: their keys are only known at run time.
fn check_targets(
    def: &Integration,
    resource: &str,
    map: &UnifiedMap,
    report: &mut impl FnMut(&'static Code, Span, String, Option<String>),
) {
    let documented = |kind: MethodKind| documented_method(def, resource, kind);
    let request_kinds: &[MethodKind] = if map.update_request.is_empty() {
        &[MethodKind::Create, MethodKind::Update]
    } else {
        &[MethodKind::Create]
    };
    let groups = [
        (&map.request, request_kinds),
        (&map.update_request, &[MethodKind::Update][..]),
    ];
    for (targets, kinds) in groups {
        for (target, _) in targets.iter() {
            let Ok(parsed) = crate::mapping::target::parse(&target.value) else {
                continue; // reported as E0504
            };
            if parsed.spread {
                continue;
            }
            for &kind in kinds {
                let Some(doc) = documented(kind) else {
                    continue;
                };
                if let Err((key, known)) = in_body(doc, &parsed.keys) {
                    let help = did_you_mean(&key, known.iter().map(String::as_str))
                        .map(|s| format!("did you mean `{s}`?"))
                        .or_else(|| {
                            Some(format!(
                                "the `{resource}` {} method documents {}; document the key in its `body`, or quote a key with a dot in it",
                                kind.as_str(),
                                if known.is_empty() {
                                    "no body here".to_owned()
                                } else {
                                    list_names(known.iter().map(String::as_str))
                                }
                            ))
                        });
                    report(
                        codes::UNDOCUMENTED_TARGET,
                        target.span,
                        format!(
                            "`{key}` is not in the body of the `{resource}` {} method",
                            kind.as_str()
                        ),
                        help,
                    );
                    break;
                }
            }
        }
    }
}

/// Whether the body `doc` documents the nested `keys`; `Err((key, the keys known there))` names the
/// first that it does not.
fn in_body(
    doc: &crate::model::Documentation,
    keys: &[String],
) -> Result<(), (String, Vec<String>)> {
    let Some((first, rest)) = keys.split_first() else {
        return Ok(());
    };
    let Some(mut field) = doc.body.get(first) else {
        let admitted = doc.extra_body.as_ref().is_some_and(|extra| {
            regex::Regex::new(&extra.pattern.value).is_ok_and(|re| re.is_match(first))
        });
        if admitted {
            return Ok(());
        }
        return Err((first.clone(), doc.body.keys().map(str::to_owned).collect()));
    };
    for key in rest {
        match (&field.properties, &field.additional_properties) {
            (Some(props), _) if props.get(key).is_some() => {
                field = props.get(key).unwrap_or(field);
            }
            // A free-form map (or one that admits other keys): any key is documented.
            (_, Some(_)) | (None, None) => return Ok(()),
            (Some(props), None) => {
                return Err((key.clone(), props.keys().map(str::to_owned).collect()));
            }
        }
    }
    Ok(())
}

/// The documentation of `resource`'s method of `kind`, if it has a documented one.
fn documented_method<'a>(
    def: &'a Integration,
    resource: &str,
    kind: MethodKind,
) -> Option<&'a crate::model::Documentation> {
    def.resources.get(resource).and_then(|r| {
        r.methods
            .iter()
            .find(|(k, m)| m.resolved_kind(k) == Some(kind))
            .and_then(|(_, m)| m.documentation.as_ref())
    })
}

/// A model with a parent is listed through it: the map names the list method's parameter that takes
/// the parent's id. A model without one takes no `parent_arg`.
fn check_parent_arg(
    def: &Integration,
    key: &Sp<String>,
    model: &UnifiedModel,
    map: &UnifiedMap,
    report: &mut impl FnMut(&'static Code, Span, String, Option<String>),
) {
    let resource = map.resource.value.as_str();
    let list = documented_method(def, resource, MethodKind::List);
    match (&model.parent, &map.parent_arg) {
        (None, Some(arg)) => report(
            codes::BAD_PARENT,
            arg.span,
            format!("`{}` has no parent: `parent_arg` is not used", key.value),
            Some("remove `parent_arg`".to_owned()),
        ),
        (Some(parent), None) if list.is_some() => report(
            codes::BAD_PARENT,
            key.span,
            format!(
                "`{}` records are listed per {}: name the `{resource}` list parameter that takes its id",
                key.value, parent.value
            ),
            Some(format!(
                "add `parent_arg: <parameter>`, e.g. `parent_arg: {}_id`",
                parent.value
            )),
        ),
        (Some(_), Some(arg)) => {
            let Some(doc) = list else {
                report(
                    codes::BAD_PARENT,
                    arg.span,
                    format!("`{resource}` has no documented list method for `parent_arg` to fill"),
                    None,
                );
                return;
            };
            let params: Vec<&str> = doc.path.keys().chain(doc.query.keys()).collect();
            if !params.contains(&arg.value.as_str()) {
                let help = did_you_mean(&arg.value, params.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| {
                        Some(format!(
                            "its parameters: {}",
                            list_names(params.iter().copied())
                        ))
                    });
                report(
                    codes::BAD_PARENT,
                    arg.span,
                    format!(
                        "`{}` is not a parameter of the `{resource}` list method",
                        arg.value
                    ),
                    help,
                );
            }
        }
        _ => {}
    }
}

/// `read_args` name query parameters of the resource's list and get methods; `read_back` has a get
/// method to read with, and a `created_id` the create answer documents.
fn check_reads(
    def: &Integration,
    resource: &str,
    map: &UnifiedMap,
    report: &mut impl FnMut(&'static Code, Span, String, Option<String>),
) {
    let documented = |kind: MethodKind| documented_method(def, resource, kind);
    for (name, _) in map.read_args.iter() {
        for kind in [MethodKind::List, MethodKind::Get] {
            let Some(doc) = documented(kind) else {
                continue;
            };
            if doc.query.get(&name.value).is_none() {
                let help = did_you_mean(&name.value, doc.query.keys())
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| {
                        Some(format!(
                            "its query parameters: {}",
                            list_names(doc.query.keys())
                        ))
                    });
                report(
                    codes::UNKNOWN_READ_ARG,
                    name.span,
                    format!(
                        "`{}` is not a query parameter of the `{resource}` {} method",
                        name.value,
                        kind.as_str()
                    ),
                    help,
                );
            }
        }
    }
    // An update map reading the stored record reads it with the get method.
    let reads_current = map
        .update_request
        .iter()
        .find(|(_, e)| parse::parse(&e.value).is_ok_and(|e| e.reads_name(crate::mapping::CURRENT)));
    if let Some((target, _)) = reads_current
        && documented(MethodKind::Get).is_none()
    {
        report(
            codes::READ_BACK_UNSERVED,
            target.span,
            format!(
                "this update map reads `current`, but `{resource}` has no documented get method to read it with"
            ),
            Some(
                "document the resource's get method, or write the update without `current`"
                    .to_owned(),
            ),
        );
    }
    let Some(read_back) = &map.read_back else {
        return;
    };
    if documented(MethodKind::Get).is_none() {
        report(
            codes::READ_BACK_UNSERVED,
            read_back.span,
            format!("records are read back, but `{resource}` has no documented get method"),
            Some("document the resource's get method, or remove `read_back`".to_owned()),
        );
        return;
    }
    if let Some(pointer) = &read_back.value.created_id {
        let response = documented(MethodKind::Create).and_then(|d| d.response.as_ref());
        let found =
            pointer.value.starts_with('/') && response.and_then(|r| r.at(&pointer.value)).is_some();
        if !found {
            report(
                codes::READ_BACK_UNSERVED,
                pointer.span,
                format!(
                    "`{}` is not a documented field of the `{resource}` create answer",
                    pointer.value
                ),
                Some(
                    "give a JSON Pointer (`/id`) into the create method's documented response"
                        .to_owned(),
                ),
            );
        }
    }
}

/// Parses and types one expression; reports what is wrong and returns its type when it is sound.
fn check_expr(
    text: &str,
    expr: &Sp<String>,
    record: &Ty,
    record_name: &str,
    report: &mut impl FnMut(&'static Code, Span, String, Option<String>),
) -> Option<Ty> {
    check_expr_with(text, expr, record, record_name, Vec::new(), report)
}

/// [`check_expr`] with names bound before the expression (an update map's `current`).
fn check_expr_with(
    text: &str,
    expr: &Sp<String>,
    record: &Ty,
    record_name: &str,
    names: Vec<(String, Ty)>,
    report: &mut impl FnMut(&'static Code, Span, String, Option<String>),
) -> Option<Ty> {
    let parsed = match parse::parse(&expr.value) {
        Ok(p) => p,
        Err(e) => {
            report(
                codes::MAP_SYNTAX,
                inner_span(text, expr, e.range),
                e.message,
                None,
            );
            return None;
        }
    };
    let (ty, errors) = typecheck::check_with_names(&parsed, record, record_name, names);
    for e in &errors {
        let code = match e.kind {
            typecheck::TypeErrorKind::UnknownField => codes::MAP_UNKNOWN_PATH,
            typecheck::TypeErrorKind::NearMiss => codes::MAP_NEAR_MISS,
            _ => codes::MAP_TYPE,
        };
        report(
            code,
            inner_span(text, expr, e.range),
            e.message.clone(),
            e.help.clone(),
        );
    }
    errors.iter().all(|e| e.kind.is_warning()).then_some(ty)
}

/// The span of `range` inside the scalar `expr`, when the scalar is written on one line as is (plain or
/// quoted without escapes); otherwise the whole scalar.
fn inner_span(text: &str, expr: &Sp<String>, range: crate::mapping::ast::Range) -> Span {
    let start = expr.span.start;
    let offset = [0, 1].into_iter().find(|skip| {
        text.get(start + skip..)
            .is_some_and(|rest| rest.starts_with(expr.value.as_str()))
            && !expr.value.contains('\n')
    });
    match offset {
        Some(skip) if range.end <= expr.value.len() => {
            let before = expr
                .value
                .get(..range.start)
                .map_or(0, |s| s.chars().count());
            Span {
                start: start + skip + range.start,
                len: range.end.saturating_sub(range.start).max(1),
                line: expr.span.line,
                column: expr.span.column + u32::try_from(skip + before).unwrap_or(0),
            }
        }
        _ => expr.span,
    }
}

fn conversion_hint(have: &Ty, want: &Ty) -> Option<String> {
    let f = match (&have.kind, &want.kind) {
        (TyKind::String, TyKind::Number) => "to_number",
        (TyKind::String, TyKind::Bool) => "to_boolean",
        (TyKind::Number | TyKind::Bool, TyKind::String) => "to_string",
        _ => return None,
    };
    Some(format!("convert explicitly: `{f}(...)`"))
}

/// The documented shape of one record of `resource`: its `get` response, or the items of its list page.
pub(crate) fn record_type(def: &Integration, resource: &str) -> Ty {
    record_fields(def, resource)
        .first()
        .map_or_else(Ty::any, |(_, record)| Ty::from_field(record))
}

/// The documented records of `resource` that unified reads map: its `get` response, then the items
/// of its list page, each with its method kind.
fn record_fields<'a>(def: &'a Integration, resource: &str) -> Vec<(MethodKind, &'a Field)> {
    let Some(r) = def.resources.get(resource) else {
        return Vec::new();
    };
    let documented = |kind: MethodKind| {
        r.methods
            .iter()
            .find(|(k, m)| m.resolved_kind(k) == Some(kind))
            .and_then(|(_, m)| {
                m.documentation
                    .as_ref()?
                    .response
                    .as_ref()
                    .map(|resp| (m, resp))
            })
    };
    let mut out = Vec::new();
    if let Some((_, response)) = documented(MethodKind::Get) {
        out.push((MethodKind::Get, response));
    }
    if let Some((method, response)) = documented(MethodKind::List) {
        let pointer = def
            .pagination_for(MethodKind::List, method)
            .and_then(|n| def.pagination.get(&n.value))
            .map(|rule| rule.results.value.as_str())
            .unwrap_or_default();
        if let Some(items) = response.at(pointer).and_then(|f| f.items.as_deref()) {
            out.push((MethodKind::List, items));
        }
    }
    out
}

/// W0006 for every documented vendor field that the expression filling the personal-data unified field
/// `field` reads, but that the resource's get or list records do not mark `pii`: proxy tools would show
/// it unredacted while the unified tools redact it.
fn unmarked_sources(
    text: &str,
    def: &Integration,
    resource: &str,
    field: &Sp<String>,
    expr: &Sp<String>,
    report: &mut impl FnMut(&'static Code, Span, String, Option<String>),
) {
    // A parse error is reported by `check_expr`.
    let Ok(parsed) = parse::parse(&expr.value) else {
        return;
    };
    let records = record_fields(def, resource);
    for (steps, range) in super::pii::record_paths(&parsed) {
        let unmarked: Vec<&str> = records
            .iter()
            .filter(|(_, record)| super::pii::path_marked(record, steps) == Some(false))
            .map(|(kind, _)| kind.as_str())
            .collect();
        if unmarked.is_empty() {
            continue;
        }
        let path = super::pii::shown_path(steps);
        report(
            codes::PII_SOURCE_UNMARKED,
            inner_span(text, expr, range),
            format!(
                "`{path}` feeds the personal-data unified field `{}`, but the documented `{resource}` {} {} not mark it `pii`",
                field.value,
                unmarked.join(" and "),
                if unmarked.len() > 1 {
                    "records do"
                } else {
                    "record does"
                },
            ),
            Some(format!(
                "add `pii: true` to `{path}` in the method's `documentation.response`, so the proxy tools redact it as the unified tools do"
            )),
        );
    }
}
