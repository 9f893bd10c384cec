//! Unified tools: five canonical-shape tools per unified model (list, get, create, update, delete),
//! and, for each integration that maps the model, the route from each tool to the proxy tool that
//! serves it.

use serde_json::{Map, Value, json};

use super::schema;
use crate::ir::{
    Catalog, IntegrationIr, ModelIr, ModelToolIr, ParamLocation, ToolIr, UnifiedMapIr,
    UnifiedRouteIr,
};
use crate::model::{MethodKind, UnifiedModel};
use crate::naming::{RECORD_ID_ARG, tool_name};

/// The kinds of unified tools, in the order they are described.
const KINDS: [MethodKind; 5] = [
    MethodKind::List,
    MethodKind::Get,
    MethodKind::Create,
    MethodKind::Update,
    MethodKind::Delete,
];

/// The unified tools of one model, sorted by name.
pub fn model_tools(model: &UnifiedModel) -> Vec<ModelToolIr> {
    let category = model.category.value.as_str();
    let (name, plural) = (model.name.value.as_str(), model.plural.value.as_str());
    let key = format!("{category}.{name}");
    let shown = category_display(category);
    let (properties, required) = schema::properties_schema(&model.fields);
    let record = json!({
        "type": "object",
        "description": model.description.value.trim(),
        "properties": properties,
        "required": required,
    });
    // What agents may write: every field the vendor does not set itself.
    let writable: Map<String, Value> = model
        .fields
        .iter()
        .filter(|(_, f)| !f.read_only)
        .map(|(k, f)| (k.value.clone(), schema::input_field_schema(f)))
        .collect();
    let writable_required: Vec<String> = model
        .fields
        .iter()
        .filter(|(_, f)| !f.read_only && f.required)
        .map(|(k, _)| k.value.clone())
        .collect();
    let id_arg = json!({
        "type": "string",
        "description": format!(
            "The {name}'s id in the connected {shown}: the `id` of a result of list_all_{category}_{plural}."
        ),
    });
    let same_shape = format!(
        "in the canonical `{key}` shape, the same fields whichever {shown} the account uses"
    );
    // Records that live inside another are listed one parent at a time.
    let parent = model.parent.as_ref().map(|p| p.value.as_str());
    let parent_arg = parent.map(|p| format!("{p}_id"));
    let mut tools: Vec<ModelToolIr> = KINDS
        .iter()
        .map(|&kind| {
            let (title, description, input, output) = match kind {
                MethodKind::List => (
                    format!("List {shown} {}", plural.replace('_', " ")),
                    match parent {
                        Some(parent) => format!(
                            "Lists the {plural} of one {parent} in the connected {shown}, {same_shape}. \
                             One page at a time: to get the next page, call again with the same \
                             `{parent}_id` and `next_cursor` exactly as received."
                        ),
                        None => format!(
                            "Lists the {plural} in the connected {shown}, {same_shape}. One page at a \
                             time: to get the next page, call again with `next_cursor` exactly as \
                             received. Read one {name} whose id you know with \
                             get_single_{category}_{name}_by_id."
                        ),
                    },
                    object(
                        parent_arg
                            .iter()
                            .map(|arg| {
                                let parent = parent.unwrap_or_default();
                                (
                                    arg.clone(),
                                    json!({
                                        "type": "string",
                                        "description": format!(
                                            "The id of the {parent} whose {plural} to list: the `id` of a {category} {parent}."
                                        ),
                                    }),
                                )
                            })
                            .chain(
                        [
                            (
                                "limit",
                                json!({
                                    "type": "integer",
                                    "minimum": 1,
                                    "description": format!(
                                        "Maximum number of {plural} in this page; the {shown} may cap it. Omit for its default page size."
                                    ),
                                }),
                            ),
                            ("next_cursor", schema::next_cursor_schema()),
                        ]
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v)))
                        .collect(),
                        &parent_arg.iter().map(String::as_str).collect::<Vec<_>>(),
                    ),
                    schema::list_output(record.clone()),
                ),
                MethodKind::Get => (
                    format!("Get a {shown} {}", name.replace('_', " ")),
                    format!(
                        "Reads one {name} by its id, {same_shape}. Fails with not_found (status 404) \
                         when the {shown} has no {name} with this id."
                    ),
                    object(
                        [("id".to_owned(), id_arg.clone())].into_iter().collect(),
                        &["id"],
                    ),
                    schema::single_output(record.clone()),
                ),
                MethodKind::Create => (
                    format!("Create a {shown} {}", name.replace('_', " ")),
                    format!(
                        "Creates a {name} from canonical fields and returns it {same_shape}. Fields the \
                         connected {shown} has no place for are not sent; the {shown} may refuse values it \
                         does not accept (its error comes back as is)."
                    ),
                    object(
                        writable.clone(),
                        &writable_required.iter().map(String::as_str).collect::<Vec<_>>(),
                    ),
                    schema::single_output(record.clone()),
                ),
                MethodKind::Update => {
                    let mut fields = writable.clone();
                    fields.insert("id".to_owned(), id_arg.clone());
                    (
                        format!("Update a {shown} {}", name.replace('_', " ")),
                        format!(
                            "Changes the given canonical fields of one {name}; fields not given keep \
                             their values. Returns the updated {name} {same_shape}."
                        ),
                        object(fields, &["id"]),
                        schema::single_output(record.clone()),
                    )
                }
                _ => (
                    format!("Delete a {shown} {}", name.replace('_', " ")),
                    format!(
                        "Deletes one {name} by its id in the connected {shown} (where the {shown} keeps a \
                         recycle bin, it goes there). Returns the id and `deleted: true`."
                    ),
                    object(
                        [("id".to_owned(), id_arg.clone())].into_iter().collect(),
                        &["id"],
                    ),
                    schema::single_output(json!({
                        "type": "object",
                        "description": format!("The deleted {name}."),
                        "properties": {
                            "id": {"type": "string", "description": format!("The deleted {name}'s id.")},
                            "deleted": {"type": "boolean", "description": "Always true."},
                        },
                        "required": ["deleted", "id"],
                    })),
                ),
            };
            ModelToolIr {
                name: tool_name(kind, "", category, name, plural),
                kind,
                title,
                description,
                input_schema: input,
                output_schema: output,
            }
        })
        .collect();
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    tools
}

/// Adds to every integration the unified tools of the models it maps, each routed to the proxy tool
/// of the mapped resource with the same kind. A kind the resource has no documented tool for gets no
/// unified tool.
pub fn link(catalog: &mut Catalog) {
    for integration in &mut catalog.integrations {
        let mut added = Vec::new();
        for map in &integration.maps {
            let Some(model) = catalog
                .models
                .iter()
                .find(|m| format!("{}.{}", m.category, m.name) == map.model)
            else {
                continue;
            };
            for tool in &model.tools {
                if let Some(linked) = route(integration, map, model, tool) {
                    added.push(linked);
                }
            }
            // The resource's records are the model's kind of record: mostly personal data if the
            // model's are, wherever its proxy tools return them.
            if model.mostly_pii {
                for proxy in &mut integration.tools {
                    if proxy.unified.is_none()
                        && proxy.resource == map.resource
                        && !proxy.pii.is_empty()
                    {
                        proxy.mostly_pii = true;
                    }
                }
            }
        }
        integration.tools.extend(added);
        integration.tools.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

/// The unified tool `tool` for `integration`, when the mapped resource has a proxy tool to run it.
fn route(
    integration: &IntegrationIr,
    map: &UnifiedMapIr,
    model: &ModelIr,
    tool: &ModelToolIr,
) -> Option<ToolIr> {
    let proxy_of = |kind: MethodKind| {
        integration
            .tools
            .iter()
            .find(|t| t.unified.is_none() && t.resource == map.resource && t.kind == kind)
    };
    if matches!(tool.kind, MethodKind::Create | MethodKind::Update) && map.request.is_empty() {
        // No request map: nothing to write with.
        return None;
    }
    // A child record is listed through its parent: the unified `<parent>_id` fills the list method's
    // parameter the map names (checked, E0512). Creating one would need the parent too: not routed.
    let parent = match (&model.parent, &map.parent_arg, tool.kind) {
        (Some(_), _, MethodKind::Create) | (Some(_), None, MethodKind::List) => return None,
        (Some(field), Some(arg), MethodKind::List) => {
            Some((format!("{field}_id"), arg.clone(), field.clone()))
        }
        _ => None,
    };
    let proxy = proxy_of(tool.kind)?;
    if matches!(
        tool.kind,
        MethodKind::Get | MethodKind::Update | MethodKind::Delete
    ) && !takes_only_the_id(proxy)
    {
        return None;
    }
    // Read-backs go through the get tool, which takes the id as `id` like the unified tool.
    let get = proxy_of(MethodKind::Get)
        .filter(|get| takes_only_the_id(get))
        .map(|get| get.name.clone());
    // An update map that reads the stored record reads it with the get tool first.
    let current_get = (tool.kind == MethodKind::Update && map.update_reads_current)
        .then(|| get.clone())
        .flatten();
    if tool.kind == MethodKind::Update && map.update_reads_current && current_get.is_none() {
        // Checked (E0510): no update tool rather than one that writes without what it must read.
        return None;
    }
    let read_back = match (tool.kind, get) {
        (MethodKind::Create, Some(get)) if map.created_id.is_some() => {
            Some((get, map.created_id.clone()))
        }
        (MethodKind::Update, Some(get)) if map.read_after_update => Some((get, None)),
        _ => None,
    };
    let mut scopes = proxy.scopes.clone();
    let reads_with = read_back
        .as_ref()
        .map(|(name, ..)| name)
        .into_iter()
        .chain(current_get.as_ref());
    for name in reads_with {
        if let Some(get) = integration.tools.iter().find(|t| &t.name == name) {
            scopes.extend(get.scopes.iter().cloned());
        }
    }
    scopes.sort();
    scopes.dedup();
    let read_args = match tool.kind {
        MethodKind::List | MethodKind::Get | MethodKind::Create | MethodKind::Update => {
            map.read_args.clone()
        }
        _ => "{}".to_owned(),
    };
    Some(ToolIr {
        name: tool.name.clone(),
        title: tool.title.clone(),
        description: tool.description.clone(),
        integration: integration.name.clone(),
        resource: proxy.resource.clone(),
        method: proxy.method.clone(),
        kind: tool.kind,
        http: proxy.http.clone(),
        path: proxy.path.clone(),
        params: proxy.params.clone(),
        fixed_query: proxy.fixed_query.clone(),
        // A unified tool writes what its request map builds, never arguments as they come.
        extra_body: None,
        pagination: proxy.pagination.clone(),
        scopes,
        tags: proxy.tags.clone(),
        annotations: proxy.annotations,
        input_schema: tool.input_schema.clone(),
        output_schema: tool.output_schema.clone(),
        unified: Some(UnifiedRouteIr {
            model: map.model.clone(),
            schema_path: tool_schema_path(model, &tool.name),
            proxy: proxy.name.clone(),
            read_args,
            required: model.schema["required"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|f| f.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            read_back,
            current_get,
            parent,
        }),
        // Every unified tool but delete (`{id, deleted}`) answers with the model's records.
        pii: if tool.kind == MethodKind::Delete {
            Vec::new()
        } else {
            model.pii_paths.clone()
        },
        mostly_pii: tool.kind != MethodKind::Delete
            && model.mostly_pii
            && !model.pii_paths.is_empty(),
    })
}

/// Whether the proxy get, update or delete tool's only path argument is the record's `id` (the rule
/// every `…_by_id` tool follows), so the unified tool's `id` fills it. A tool whose path has other
/// parameters too (a parent record's id) cannot be filled from `id` alone.
fn takes_only_the_id(tool: &ToolIr) -> bool {
    let mut path = tool
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Path);
    matches!(
        (path.next(), path.next()),
        (Some(only), None) if only.name == RECORD_ID_ARG
    )
}

/// `generated/schemas/unified/<category>/<model>/<tool>.json`.
pub fn tool_schema_path(model: &ModelIr, tool: &str) -> String {
    format!(
        "generated/schemas/unified/{}/{}/{tool}.json",
        model.category, model.name
    )
}

/// An object schema with exactly `properties`.
fn object(properties: Map<String, Value>, required: &[&str]) -> Value {
    let mut s = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if let (false, Some(obj)) = (required.is_empty(), s.as_object_mut()) {
        let mut required: Vec<&str> = required.to_vec();
        required.sort_unstable();
        obj.insert("required".into(), json!(required));
    }
    s
}

/// How a category reads in prose: acronyms upper-case (`CRM`), others as words.
fn category_display(category: &str) -> String {
    match category {
        "crm" | "hris" | "ats" => category.to_ascii_uppercase(),
        // "the connected help desk" reads as English; "the connected ticketing" does not.
        "ticketing" => "help desk".to_owned(),
        other => other.replace('_', " "),
    }
}
