//! Pass 3: lower checked definitions to the IR. Runs only on definitions that passed `check`.

mod pii;
mod schema;
mod unified_tools;

pub use unified_tools::{link as link_unified_tools, tool_schema_path as unified_tool_schema_path};

use serde_json::{Map, Value, json};

use crate::check::Unit;
use crate::ir::{
    AnnotationsIr, AuthIr, Catalog, DeadRefreshTokenIr, IntegrationIr, ModelIr, OAuth2Ir,
    PaginationIr, ParamIr, ParamLocation, RateLimitHeaderIr, ToolIr, UnifiedMapIr,
};
use crate::model::{
    Documentation, Field, FieldType, Integration, Method, MethodKind, PaginationRule,
    PaginationStyle, QueryStyle, ResetUnit,
};
use crate::naming::{RECORD_ID_ARG, record_id_placeholder, tool_name};

/// Lowers every unit into one catalog, integrations and tools sorted by name.
pub fn lower(units: &[Unit]) -> Catalog {
    let mut integrations: Vec<IntegrationIr> =
        units.iter().map(|u| lower_integration(&u.def)).collect();
    integrations.sort_by(|a, b| a.name.cmp(&b.name));
    Catalog {
        integrations,
        models: Vec::new(),
    }
}

/// Lowers unified models, sorted by category then name.
pub fn lower_models(units: &[crate::check::ModelUnit]) -> Vec<ModelIr> {
    let mut models: Vec<ModelIr> = units
        .iter()
        .map(|u| {
            let m = &u.model;
            let (properties, required) = schema::properties_schema(&m.fields);
            let mut pii_fields: Vec<String> = m
                .fields
                .iter()
                .filter(|(_, f)| f.is_pii())
                .map(|(k, _)| k.value.clone())
                .collect();
            pii_fields.sort();
            ModelIr {
                name: m.name.value.clone(),
                plural: m.plural.value.clone(),
                category: m.category.value.as_str().to_owned(),
                description: m.description.value.trim().to_owned(),
                pii_fields,
                pii_paths: pii::fields_paths(&m.fields),
                mostly_pii: pii::mostly_personal(&m.fields),
                tools: unified_tools::model_tools(m),
                parent: m.parent.as_ref().map(|p| p.value.clone()),
                schema: json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "title": m.name.value,
                    "description": m.description.value.trim(),
                    "type": "object",
                    "properties": properties,
                    "required": required,
                }),
            }
        })
        .collect();
    models.sort_by(|a, b| (&a.category, &a.name).cmp(&(&b.category, &b.name)));
    models
}

fn lower_integration(def: &Integration) -> IntegrationIr {
    let prefix = def.tool_prefix();
    let mut tools = Vec::new();
    let mut skipped = Vec::new();
    for (rkey, resource) in def.resources.iter() {
        for (mkey, method) in resource.methods.iter() {
            let Some(kind) = method.resolved_kind(mkey) else {
                continue;
            };
            let Some(doc) = &method.documentation else {
                skipped.push(format!("{}.{}", rkey.value, mkey.value));
                continue;
            };
            let name = tool_name(kind, mkey, &prefix, &resource.singular, rkey);
            // The path parameter naming the record (get, update, delete), which agents pass as `id`.
            let record = record_id_placeholder(kind, &method.path.value)
                .filter(|p| doc.path.get(p).is_some());
            let pagination = def
                .pagination_for(kind, method)
                .and_then(|n| def.pagination.get(&n.value))
                .filter(|_| kind == MethodKind::List)
                .map(lower_pagination);
            let mut tags: Vec<String> = resource.tags.iter().map(|t| t.value.clone()).collect();
            tags.sort();
            tags.dedup();
            let mut scopes: Vec<String> = method
                .scopes
                .iter()
                .filter_map(|s| s.value.as_str().map(str::to_owned))
                .collect();
            scopes.sort();
            scopes.dedup();
            let output = output_record(doc, pagination.as_ref());
            let pii = output.map(pii::record_paths).unwrap_or_default();
            // Proxy tools over a resource mapped onto a mostly-personal unified model are marked so
            // when the unified tools are linked.
            let mostly_pii = !pii.is_empty() && output.is_some_and(pii::record_mostly_personal);
            tools.push(ToolIr {
                title: title(kind, mkey, &def.display_name, &resource.singular, rkey),
                description: doc.description.value.trim().to_owned(),
                integration: def.name.value.clone(),
                resource: rkey.value.clone(),
                method: mkey.value.clone(),
                kind,
                http: method.http.value.clone(),
                path: method.path.value.clone(),
                params: params(doc, pagination.as_ref(), record),
                fixed_query: method
                    .fixed_query
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.clone()))
                    .collect(),
                extra_body: doc.extra_body.as_ref().map(|e| e.pattern.value.clone()),
                scopes,
                tags,
                annotations: annotations(kind, method),
                input_schema: input_schema(
                    doc,
                    pagination.as_ref(),
                    record.map(|wire| RecordId {
                        wire,
                        singular: &resource.singular,
                        display_name: &def.display_name,
                    }),
                ),
                output_schema: output_schema(kind, doc, pagination.as_ref()),
                pagination,
                name,
                unified: None,
                pii,
                mostly_pii,
            });
        }
    }
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    skipped.sort();
    let mut categories: Vec<String> = def
        .categories
        .iter()
        .map(|c| c.value.as_str().to_owned())
        .collect();
    categories.sort();
    categories.dedup();
    IntegrationIr {
        name: def.name.value.clone(),
        display_name: def.display_name.value.clone(),
        description: def.description.value.trim().to_owned(),
        categories,
        docs_url: def.docs_url.value.clone(),
        base_url: def.base_url.value.trim_end_matches('/').to_owned(),
        base_url_variables: def
            .base_url_variables
            .iter()
            .map(|(name, v)| {
                (
                    name.value.clone(),
                    v.description.value.clone(),
                    v.pattern.value.clone(),
                )
            })
            .collect(),
        auth: lower_auth(def),
        rate_limit_headers: def
            .rate_limit
            .iter()
            .flat_map(|r| &r.headers)
            .map(|h| RateLimitHeaderIr {
                name: h.name.value.to_ascii_lowercase(),
                figure: h.figure.as_ref().map(|f| f.value.as_str()),
                pattern: h.pattern.as_ref().map(|p| p.value.clone()),
                structured: h.structured.as_ref().map(|s| {
                    s.value
                        .pairs()
                        .into_iter()
                        .map(|(figure, key)| (figure.as_str(), key))
                        .collect()
                }),
                unit: unit_name(h.unit.unwrap_or(ResetUnit::Seconds)),
            })
            .collect(),
        limited_when: def
            .rate_limit
            .iter()
            .flat_map(|r| &r.limited_when)
            .map(|w| (w.status.value, w.code.as_ref().map(|c| c.value.clone())))
            .collect(),
        errors: error_rules(&def.errors),
        tools,
        skipped,
        maps: lower_maps(def),
    }
}

/// Parsed maps. `check` has already reported any expression that does not parse, so those are skipped.
fn lower_maps(def: &Integration) -> Vec<UnifiedMapIr> {
    let parse = |e: &crate::span::Sp<String>| crate::mapping::parse::parse(&e.value).ok();
    let mut maps: Vec<UnifiedMapIr> = def
        .unified
        .iter()
        .map(|(key, map)| UnifiedMapIr {
            model: key.value.clone(),
            resource: map.resource.value.clone(),
            record: crate::check::vendor_record_type(def, &map.resource.value),
            response: map
                .response
                .iter()
                .filter_map(|(f, e)| Some((f.value.clone(), parse(e)?)))
                .collect(),
            request: map
                .request
                .iter()
                .filter_map(|(p, e)| {
                    Some((crate::mapping::target::parse(&p.value).ok()?, parse(e)?))
                })
                .collect(),
            update_request: map
                .update_request
                .iter()
                .filter_map(|(p, e)| {
                    Some((crate::mapping::target::parse(&p.value).ok()?, parse(e)?))
                })
                .collect(),
            update_reads_current: map
                .update_request
                .iter()
                .any(|(_, e)| parse(e).is_some_and(|e| e.reads_name(crate::mapping::CURRENT))),
            read_args: Value::Object(
                map.read_args
                    .iter()
                    .map(|(k, v)| (k.value.clone(), v.clone()))
                    .collect(),
            )
            .to_string(),
            created_id: map
                .read_back
                .as_ref()
                .and_then(|r| r.value.created_id.as_ref())
                .map(|p| p.value.clone()),
            read_after_update: map.read_back.as_ref().is_some_and(|r| r.value.after_update),
            parent_arg: map.parent_arg.as_ref().map(|a| a.value.clone()),
        })
        .collect();
    maps.sort_by(|a, b| a.model.cmp(&b.model));
    maps
}

fn unit_name(unit: ResetUnit) -> &'static str {
    match unit {
        ResetUnit::Seconds => "seconds",
        ResetUnit::Milliseconds => "milliseconds",
        ResetUnit::EpochSeconds => "epoch_seconds",
        ResetUnit::EpochMilliseconds => "epoch_milliseconds",
    }
}

fn lower_auth(def: &Integration) -> AuthIr {
    let auth = &def.auth.value;
    AuthIr {
        oauth2: auth.oauth2.as_ref().map(|o| OAuth2Ir {
            authorization_url: o.authorization_url.value.clone(),
            token_url: o.token_url.value.clone(),
            scope_separator: o.scope_separator.clone(),
            pkce: o.pkce,
            refresh_token_rotates: o.refresh_token_rotates,
            client_secret_basic: o.client_authentication
                == crate::model::ClientAuthentication::ClientSecretBasic,
            default_scopes: o
                .default_scopes
                .iter()
                .filter_map(|s| s.value.as_str().map(str::to_owned))
                .collect(),
            authorize_params: o
                .authorize_params
                .iter()
                .map(|(k, v)| (k.value.clone(), v.clone()))
                .collect(),
            broader_scopes: o
                .broader_scopes
                .iter()
                .map(|(broad, covered)| {
                    let covered = covered.iter().map(|s| s.value.clone()).collect();
                    (broad.value.clone(), covered)
                })
                .collect(),
            base_url_from_token: o.base_url_from_token.as_ref().map(|b| b.value.clone()),
            base_url_pattern: o.base_url_pattern.as_ref().map(|b| b.value.clone()),
            dead_refresh_token: o
                .dead_refresh_token
                .iter()
                .map(|d| DeadRefreshTokenIr {
                    status: d.status.value,
                    pointer: d.pointer.value.clone(),
                    values: d.values.iter().map(|v| v.value.clone()).collect(),
                })
                .collect(),
        }),
        bearer: auth.bearer.is_some(),
        api_key: auth.api_key.as_ref().map(|k| {
            (
                k.location == crate::model::ApiKeyLocation::Header,
                k.name.value.clone(),
                k.prefix.clone().unwrap_or_default(),
            )
        }),
        basic: auth.basic.is_some(),
    }
}

fn lower_pagination(rule: &PaginationRule) -> PaginationIr {
    let value = |s: &Option<crate::span::Sp<String>>| s.as_ref().map(|v| v.value.clone());
    let (param, next) = match rule.style.value {
        PaginationStyle::Cursor => (value(&rule.cursor_param), value(&rule.next_cursor)),
        PaginationStyle::NextUrl => (None, value(&rule.next_url)),
        PaginationStyle::Offset => (value(&rule.offset_param), None),
        PaginationStyle::Page => (value(&rule.page_param), None),
    };
    PaginationIr {
        style: rule.style.value,
        results: rule.results.value.clone(),
        param,
        next,
        has_more: value(&rule.has_more),
        limit_param: value(&rule.limit_param),
        limit_header: rule.limit_header.as_ref().map(|h| {
            (
                h.name.value.clone(),
                h.value.value.clone(),
                h.min.unwrap_or(1),
            )
        }),
        max_limit: rule.max_limit,
    }
}

/// Query parameters the pagination rule owns are hidden behind `limit` and `next_cursor`.
fn claimed(p: Option<&PaginationIr>) -> Vec<&str> {
    p.map(|p| {
        [p.param.as_deref(), p.limit_param.as_deref()]
            .into_iter()
            .flatten()
            .collect()
    })
    .unwrap_or_default()
}

/// The record's id path parameter of a get, update or delete, which the tool takes as `id`.
struct RecordId<'a> {
    /// The vendor's name for it (`contactId`).
    wire: &'a str,
    /// The resource's singular (`contact`).
    singular: &'a str,
    /// The vendor's name for people (`HubSpot`).
    display_name: &'a str,
}

/// `record` is the path parameter the tool takes as `id` (see [`record_id_placeholder`]).
fn params(doc: &Documentation, p: Option<&PaginationIr>, record: Option<&str>) -> Vec<ParamIr> {
    let claimed = claimed(p);
    let mut out = Vec::new();
    for (loc, set) in [
        (ParamLocation::Path, &doc.path),
        (ParamLocation::Query, &doc.query),
        (ParamLocation::Body, &doc.body),
    ] {
        for (name, field) in set.iter() {
            if loc == ParamLocation::Query && claimed.contains(&name.value.as_str()) {
                continue;
            }
            let is_record = loc == ParamLocation::Path && record == Some(name.value.as_str());
            out.push(ParamIr {
                name: if is_record {
                    RECORD_ID_ARG.to_owned()
                } else {
                    name.value.clone()
                },
                wire: name.value.clone(),
                location: loc,
                comma_joined: field.style != Some(QueryStyle::Repeat),
            });
        }
    }
    out
}

fn input_schema(doc: &Documentation, p: Option<&PaginationIr>, record: Option<RecordId>) -> Value {
    let claimed = claimed(p);
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (set, loc) in [
        (&doc.path, ParamLocation::Path),
        (&doc.query, ParamLocation::Query),
        (&doc.body, ParamLocation::Body),
    ] {
        let (mut props, mut req) = schema::input_properties_schema(set);
        if let (ParamLocation::Path, Some(record)) = (loc, &record) {
            rename_record_id(&mut props, &mut req, record);
        }
        let is_query = loc == ParamLocation::Query;
        let hidden = |name: &str| is_query && claimed.contains(&name);
        properties.extend(props.into_iter().filter(|(k, _)| !hidden(k)));
        required.extend(req.into_iter().filter(|r| !hidden(r)));
    }
    if let Some(p) = p {
        properties.insert("limit".into(), schema::limit_schema(p));
        properties.insert("next_cursor".into(), schema::next_cursor_schema());
    }
    required.sort();
    let mut s = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if let (Some(extra), Some(obj)) = (&doc.extra_body, s.as_object_mut()) {
        let value = match &extra.value {
            Some(field) => schema::input_field_schema(field),
            None => json!({}),
        };
        let mut value = value.as_object().cloned().unwrap_or_default();
        value.insert("description".into(), json!(extra.description.value.trim()));
        obj.insert(
            "patternProperties".into(),
            json!({ extra.pattern.value.clone(): value }),
        );
    }
    if let (false, Some(obj)) = (required.is_empty(), s.as_object_mut()) {
        obj.insert("required".into(), json!(required));
    }
    s
}

/// The record's id path parameter as the argument `id`: always required (the path cannot be built
/// without it), described as what it is and what the vendor calls it.
fn rename_record_id(props: &mut Map<String, Value>, required: &mut Vec<String>, record: &RecordId) {
    let Some(mut schema) = props.remove(record.wire) else {
        return;
    };
    required.retain(|r| r != record.wire);
    required.push(RECORD_ID_ARG.to_owned());
    required.sort();
    if record.wire == RECORD_ID_ARG {
        props.insert(RECORD_ID_ARG.to_owned(), schema);
        return;
    }
    let singular = record.singular.replace('_', " ");
    let what = format!(
        "The {singular}'s id ({} `{}`).",
        record.display_name, record.wire
    );
    if let Some(obj) = schema.as_object_mut() {
        let vendor = obj
            .get("description")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default();
        // The author's words follow, unless they say no more than ours ("The contact's id.").
        let plain = format!("the {singular}'s id");
        let says_no_more = vendor.trim_end_matches('.').eq_ignore_ascii_case(&plain);
        let description = if vendor.is_empty() || says_no_more {
            what
        } else {
            format!("{what} {vendor}")
        };
        obj.insert("description".into(), json!(description));
    }
    props.insert(RECORD_ID_ARG.to_owned(), schema);
}

/// The documented shape of one output record: each item at the pagination rule's `results` for list
/// tools (what the list envelope's `result` holds), the whole response otherwise.
fn output_record<'a>(doc: &'a Documentation, p: Option<&PaginationIr>) -> Option<&'a Field> {
    let response = doc.response.as_ref()?;
    match p {
        Some(p) => {
            let page = response.at(&p.results)?;
            (page.ty.value == FieldType::Array)
                .then_some(page.items.as_deref())
                .flatten()
        }
        None => Some(response),
    }
}

fn output_schema(kind: MethodKind, doc: &Documentation, p: Option<&PaginationIr>) -> Value {
    match p {
        Some(p) if kind == MethodKind::List => {
            let item = schema::items_at(doc.response.as_ref(), &p.results)
                .unwrap_or_else(|| json!({"type": "object"}));
            schema::list_output(item)
        }
        _ => {
            let response = doc.response.as_ref().map_or_else(
                || json!({"description": "The vendor's response body, or null when it sends none."}),
                schema::field_schema,
            );
            schema::single_output(response)
        }
    }
}

fn annotations(kind: MethodKind, method: &Method) -> AnnotationsIr {
    let read_only = match kind {
        MethodKind::List | MethodKind::Get | MethodKind::Search => true,
        MethodKind::Custom => method.read_only,
        MethodKind::Create | MethodKind::Update | MethodKind::Delete => false,
    };
    AnnotationsIr {
        read_only,
        destructive: kind == MethodKind::Delete,
        idempotent: read_only || matches!(kind, MethodKind::Update | MethodKind::Delete),
        open_world: true,
    }
}

fn title(kind: MethodKind, key: &str, display: &str, singular: &str, plural: &str) -> String {
    let singular = singular.replace('_', " ");
    let plural = plural.replace('_', " ");
    match kind {
        MethodKind::List => format!("List {display} {plural}"),
        MethodKind::Get => format!("Get a {display} {singular}"),
        MethodKind::Create => format!("Create a {display} {singular}"),
        MethodKind::Update => format!("Update a {display} {singular}"),
        MethodKind::Delete => format!("Delete a {display} {singular}"),
        MethodKind::Search => format!("Search {display} {plural}"),
        MethodKind::Custom => {
            let verb = key.replace('_', " ");
            let mut chars = verb.chars();
            let verb = chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default();
            format!("{verb} {display} {plural}")
        }
    }
}

/// The error rules, by status.
fn error_rules(rules: &crate::model::ErrorRules) -> crate::ir::ErrorRulesIr {
    let fields = |f: &crate::model::FieldErrors| crate::ir::FieldErrorsIr {
        at: f.at.value.clone(),
        message: f.message.as_ref().map(|m| m.value.clone()),
        field: f.field.as_ref().map(|m| m.value.clone()),
    };
    let texts = |p: Option<&crate::model::Pointers>| p.map(|p| p.texts()).unwrap_or_default();
    let mut by_status: Vec<crate::ir::StatusErrorsIr> = rules
        .by_status
        .iter()
        .map(|r| crate::ir::StatusErrorsIr {
            status: r.status.value,
            message: texts(r.message.as_ref()),
            code: texts(r.code.as_ref()),
            fields: r.fields.as_ref().map(fields),
        })
        .collect();
    by_status.sort_by_key(|r| r.status);
    crate::ir::ErrorRulesIr {
        message: rules.message.texts(),
        code: texts(rules.code.as_ref()),
        fields: rules.fields.as_ref().map(fields),
        by_status,
    }
}
