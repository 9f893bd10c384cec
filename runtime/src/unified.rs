//! Unified tools: a canonical-shape call runs as the integration's proxy tool for the mapped resource,
//! with the compiled maps turning the unified input into the vendor body and every vendor record into
//! the unified record. No interpreter: the maps are generated Rust functions in the tool table.

use serde_json::{Map, Value};

use crate::account::Account;
use crate::outcome::{Success, ToolError};
use crate::proxy::Proxy;
use crate::request::{self, CURSOR_ARG, LIMIT_ARG, SplitArgs};
use crate::table::{MethodKind, ParamLocation, RECORD_ID_ARG, Tool, UnifiedRoute};

/// The argument holding the record id on unified get, update and delete tools, and on the proxy tools
/// they run as: every `…_by_id` tool takes it under the same name.
const ID_ARG: &str = RECORD_ID_ARG;

/// Runs the unified tool `tool` with arguments already validated against its input schema.
pub(crate) async fn run(
    proxy: &Proxy,
    account: &Account,
    tool: &'static Tool,
    route: &'static UnifiedRoute,
    mut args: Map<String, Value>,
    upstream_status: &mut Option<u16>,
) -> Result<Success, ToolError> {
    match tool.kind {
        MethodKind::List => {
            let mut proxy_args = read_args(tool, route)?;
            for name in [LIMIT_ARG, CURSOR_ARG] {
                if let Some(value) = args.remove(name) {
                    proxy_args.insert(name.to_owned(), value);
                }
            }
            // Children of one parent: its id fills the proxy's argument, and names it on each record.
            let parent = match &route.parent {
                Some(parent) => {
                    let value = args.remove(parent.arg).ok_or_else(|| table_defect(tool))?;
                    let id = id_text(Some(&value)).ok_or_else(|| table_defect(tool))?;
                    proxy_args.insert(parent.proxy_arg.to_owned(), value);
                    Some((parent.field, id))
                }
                None => None,
            };
            let with_parent = |mut record: Value| {
                if let (Some((field, id)), Value::Object(fields)) = (&parent, &mut record) {
                    fields
                        .entry((*field).to_owned())
                        .or_insert_with(|| serde_json::json!({ "id": id }));
                }
                record
            };
            let success = proxy
                .execute_named(
                    account,
                    route.proxy,
                    |proxy| request::split(proxy, proxy_args),
                    upstream_status,
                )
                .await?;
            try_map_result(success, |result| match result {
                Value::Array(records) => records
                    .iter()
                    .enumerate()
                    .map(|(i, record)| to_unified(tool, route, record, Some(i)).map(with_parent))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array),
                // The pager always yields an array; anything else is mapped as one record.
                other => to_unified(tool, route, &other, None).map(with_parent),
            })
        }
        MethodKind::Get => {
            let id = take_id(&mut args)?;
            let success = read(
                proxy,
                account,
                tool,
                route,
                route.proxy,
                &id,
                upstream_status,
            )
            .await?;
            try_map_result(success, |record| to_unified(tool, route, &record, None))
        }
        MethodKind::Create => {
            let body = vendor_body(route, args)?;
            let success = proxy
                .execute_named(
                    account,
                    route.proxy,
                    |_| {
                        Ok(SplitArgs {
                            body: Some(body),
                            ..SplitArgs::default()
                        })
                    },
                    upstream_status,
                )
                .await?;
            let created_id = route
                .read_back
                .as_ref()
                .and_then(|rb| rb.created_id)
                .map(|pointer| {
                    id_text(
                        success
                            .envelope
                            .get("result")
                            .and_then(|r| r.pointer(pointer)),
                    )
                });
            match created_id {
                Some(id) => {
                    read_back(proxy, account, tool, route, id, success, upstream_status).await
                }
                None => try_map_result(success, |record| to_unified(tool, route, &record, None)),
            }
        }
        MethodKind::Update => {
            let id = take_id(&mut args)?;
            if args.is_empty() {
                return Err(ToolError::InvalidArguments {
                    pointer: String::new(),
                    message: "give at least one field to change besides `id`".to_owned(),
                });
            }
            let body = match route.to_vendor_update {
                Some(update) => {
                    // The stored record first, when the update map reads it: a vendor keeping one
                    // value for several fields then keeps what this update does not give.
                    let current = match route.current_get {
                        Some(get) => {
                            let read = read(proxy, account, tool, route, get, &id, upstream_status)
                                .await?;
                            let record = match &read.envelope {
                                Value::Object(envelope) => {
                                    envelope.get("result").cloned().unwrap_or(Value::Null)
                                }
                                _ => Value::Null,
                            };
                            to_unified(tool, route, &record, None)?
                        }
                        None => Value::Null,
                    };
                    as_body(update(&Value::Object(args), &current))?
                }
                None => vendor_body(route, args)?,
            };
            let success = proxy
                .execute_named(
                    account,
                    route.proxy,
                    |proxy| {
                        let mut split = request::split(proxy, id_args(proxy, tool, &id)?)?;
                        split.body = Some(body);
                        Ok(split)
                    },
                    upstream_status,
                )
                .await?;
            if route.read_back.is_some() {
                read_back(
                    proxy,
                    account,
                    tool,
                    route,
                    Some(id),
                    success,
                    upstream_status,
                )
                .await
            } else {
                try_map_result(success, |record| to_unified(tool, route, &record, None))
            }
        }
        MethodKind::Delete => {
            let id = take_id(&mut args)?;
            let success = proxy
                .execute_named(
                    account,
                    route.proxy,
                    |proxy| request::split(proxy, id_args(proxy, tool, &id)?),
                    upstream_status,
                )
                .await?;
            try_map_result(success, |_| {
                let mut deleted = Map::new();
                deleted.insert(ID_ARG.to_owned(), Value::String(id));
                deleted.insert("deleted".to_owned(), Value::Bool(true));
                Ok(Value::Object(deleted))
            })
        }
        MethodKind::Search | MethodKind::Custom => Err(ToolError::Transport(format!(
            "unified tool {} has a kind the runtime does not run; regenerate the tool tables",
            tool.name
        ))),
    }
}

/// One read through the get tool `get` (which takes the id as `id`), with the map's read arguments.
async fn read(
    proxy: &Proxy,
    account: &Account,
    tool: &Tool,
    route: &UnifiedRoute,
    get: &'static str,
    id: &str,
    upstream_status: &mut Option<u16>,
) -> Result<Success, ToolError> {
    let mut proxy_args = read_args(tool, route)?;
    proxy_args.insert(ID_ARG.to_owned(), Value::String(id.to_owned()));
    proxy
        .execute_named(
            account,
            get,
            |proxy| {
                takes_id(proxy, tool)?;
                request::split(proxy, proxy_args)
            },
            upstream_status,
        )
        .await
}

/// After a write whose answer is not the record: reads the record back with the get tool. The write
/// has happened whatever the read does, so a failed read still reports success, with the id alone (a
/// valid unified record) rather than an error that would invite the agent to write again.
async fn read_back(
    proxy: &Proxy,
    account: &Account,
    tool: &Tool,
    route: &UnifiedRoute,
    id: Option<String>,
    written: Success,
    upstream_status: &mut Option<u16>,
) -> Result<Success, ToolError> {
    let (Some(id), Some(rb)) = (id, &route.read_back) else {
        return try_map_result(written, |record| to_unified(tool, route, &record, None));
    };
    let write_status = *upstream_status;
    match read(proxy, account, tool, route, rb.get, &id, upstream_status).await {
        Ok(read) => Ok(Success {
            upstream_status: written.upstream_status,
            ..try_map_result(read, |record| to_unified(tool, route, &record, None))?
        }),
        Err(_) => {
            *upstream_status = write_status;
            try_map_result(written, |_| {
                let mut only_id = Map::new();
                only_id.insert(ID_ARG.to_owned(), Value::String(id));
                Ok(Value::Object(only_id))
            })
        }
    }
}

/// The map's fixed read arguments as a fresh object.
fn read_args(tool: &Tool, route: &UnifiedRoute) -> Result<Map<String, Value>, ToolError> {
    match serde_json::from_str(route.read_args) {
        Ok(Value::Object(args)) => Ok(args),
        _ => Err(table_defect(tool)),
    }
}

/// The unified input as the vendor's request body.
fn vendor_body(
    route: &UnifiedRoute,
    args: Map<String, Value>,
) -> Result<Map<String, Value>, ToolError> {
    as_body((route.to_vendor)(&Value::Object(args)))
}

/// A request map's result as a body: it is always an object.
fn as_body(mapped: Value) -> Result<Map<String, Value>, ToolError> {
    match mapped {
        Value::Object(body) => Ok(body),
        _ => Err(ToolError::Transport(
            "the request map did not produce a JSON object; regenerate the tool tables".to_owned(),
        )),
    }
}

/// Takes the validated `id` argument out.
fn take_id(args: &mut Map<String, Value>) -> Result<String, ToolError> {
    match args.remove(ID_ARG) {
        Some(Value::String(id)) => Ok(id),
        _ => Err(ToolError::InvalidArguments {
            pointer: format!("/{ID_ARG}"),
            message: "id is required and must be a string".to_owned(),
        }),
    }
}

/// The proxy get, update or delete tool's arguments: the record's id, as `id` like every `…_by_id` tool.
fn id_args(proxy: &Tool, tool: &Tool, id: &str) -> Result<Map<String, Value>, ToolError> {
    takes_id(proxy, tool)?;
    let mut args = Map::new();
    args.insert(ID_ARG.to_owned(), Value::String(id.to_owned()));
    Ok(args)
}

/// The proxy tool takes the record's id as its `id` path argument, as the compiler makes every
/// `…_by_id` tool; a table where it does not is a defect, not the caller's mistake.
fn takes_id(proxy: &Tool, tool: &Tool) -> Result<(), ToolError> {
    proxy
        .params
        .iter()
        .any(|p| p.name == ID_ARG && p.location == ParamLocation::Path)
        .then_some(())
        .ok_or_else(|| table_defect(tool))
}

/// A vendor id as text: ids are strings in the unified models, whatever the vendor sends.
fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One vendor record as a unified record; an error when it lacks a field the model requires (the
/// vendor sent something other than a record, or one without an id), rather than a record that
/// breaks the tool's output schema.
fn to_unified(
    tool: &Tool,
    route: &UnifiedRoute,
    record: &Value,
    index: Option<usize>,
) -> Result<Value, ToolError> {
    let unified = (route.from_vendor)(record);
    let missing: Vec<&str> = route
        .required
        .iter()
        .copied()
        .filter(|field| unified.get(field).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(unified);
    }
    let which = match index {
        Some(i) => format!("record {} of the vendor's page", i + 1),
        None => "the vendor's record".to_owned(),
    };
    // Field names only: the record itself may hold personal data.
    tracing::warn!(
        tool = tool.name,
        model = route.model,
        missing = ?missing,
        "vendor record without the unified model's required fields"
    );
    Err(ToolError::Mapping(format!(
        "{which} maps to a `{}` without {}; the vendor-shaped tool {} shows it as sent",
        route.model,
        missing
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", "),
        route.proxy
    )))
}

/// `success` with its envelope's `result` replaced by `f(result)`, or `f`'s error.
fn try_map_result(
    mut success: Success,
    f: impl FnOnce(Value) -> Result<Value, ToolError>,
) -> Result<Success, ToolError> {
    if let Value::Object(envelope) = &mut success.envelope {
        let result = envelope.remove("result").unwrap_or(Value::Null);
        envelope.insert("result".to_owned(), f(result)?);
    }
    Ok(success)
}

fn table_defect(tool: &Tool) -> ToolError {
    ToolError::Transport(format!(
        "unified tool {} has an inconsistent route in the tool table; regenerate the tool tables",
        tool.name
    ))
}
