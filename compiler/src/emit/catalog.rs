//! `generated/catalog.json`: every tool with what servers filter and reviewers scan for.

use serde_json::{Value, json};

use super::GeneratedFile;
use super::json::document;
use crate::ir::{Catalog, IntegrationIr, ToolIr};

/// The catalog of every tool, sorted by integration then tool name.
pub fn catalog(catalog: &Catalog) -> GeneratedFile {
    let tools: Vec<Value> = catalog
        .integrations
        .iter()
        .flat_map(|i| i.tools.iter().map(move |t| tool_entry(i, t)))
        .collect();
    let integrations: Vec<Value> = catalog
        .integrations
        .iter()
        .map(|i| {
            json!({
                "name": i.name,
                "display_name": i.display_name,
                "categories": i.categories,
                "tool_count": i.tools.len(),
                "skipped_methods": i.skipped,
            })
        })
        .collect();
    let models: Vec<Value> = catalog
        .models
        .iter()
        .map(|m| {
            json!({
                "name": m.name,
                "plural": m.plural,
                "category": m.category,
                "pii_fields": m.pii_fields,
            })
        })
        .collect();
    GeneratedFile {
        path: "generated/catalog.json".into(),
        contents: document(
            json!({"integrations": integrations, "tools": tools, "unified_models": models}),
            "integrations/*.yaml",
        ),
    }
}

fn tool_entry(i: &IntegrationIr, t: &ToolIr) -> Value {
    let mut entry = json!({
        "name": t.name,
        "title": t.title,
        "integration": t.integration,
        "resource": t.resource,
        "method": t.method,
        "kind": t.kind.as_str(),
        "tool_kind": if t.unified.is_some() { "unified" } else { "proxy" },
        "group": if t.annotations.read_only { "read" } else { "write" },
        "tags": t.tags,
        "scopes": t.scopes,
        "pii": t.pii,
        "mostly_pii": t.mostly_pii,
        "annotations": {
            "readOnlyHint": t.annotations.read_only,
            "destructiveHint": t.annotations.destructive,
            "idempotentHint": t.annotations.idempotent,
            "openWorldHint": t.annotations.open_world,
        },
    });
    let broader = i.broader_scopes_of(t);
    if let (false, Some(obj)) = (broader.is_empty(), entry.as_object_mut()) {
        // Which broad scopes grant each needed one: losing one takes tools from accounts.
        let broader: serde_json::Map<String, Value> = broader
            .into_iter()
            .map(|(scope, broad)| (scope.to_owned(), json!(broad)))
            .collect();
        obj.insert("broader_scopes".into(), Value::Object(broader));
    }
    if let (Some(route), Some(obj)) = (&t.unified, entry.as_object_mut()) {
        obj.insert("model".into(), json!(route.model));
        obj.insert("via".into(), json!(route.proxy));
    }
    entry
}
