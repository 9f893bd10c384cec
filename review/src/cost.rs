//! What `tools/list` costs an agent's context window, per integration.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::report::ContextCost;
use crate::tree::{Tool, Tree};

/// The size of each integration's `tools/list` in both trees.
pub(crate) fn context_cost(before: &Tree, after: &Tree) -> Vec<ContextCost> {
    let names: BTreeSet<&String> = before
        .integrations
        .keys()
        .chain(after.integrations.keys())
        .collect();
    names
        .into_iter()
        .map(|name| {
            let (tools_before, bytes_before) = listing(before, name);
            let (tools_after, bytes_after) = listing(after, name);
            ContextCost {
                integration: name.clone(),
                tools_before,
                tools_after,
                bytes_before,
                bytes_after,
                tokens_before: tokens(bytes_before),
                tokens_after: tokens(bytes_after),
            }
        })
        .collect()
}

/// Tokens estimated as bytes / 4, the usual figure for English and JSON.
fn tokens(bytes: usize) -> usize {
    bytes.div_ceil(4)
}

/// The tools of one integration and the bytes of its `tools/list` result (`{"tools":[…]}`) as compact JSON.
fn listing(tree: &Tree, integration: &str) -> (usize, usize) {
    let tools: Vec<&Tool> = tree.tools_of(integration).collect();
    if tools.is_empty() {
        return (0, 0);
    }
    let entries: usize = tools
        .iter()
        .map(|tool| entry(tree, tool).to_string().len())
        .sum();
    let commas = tools.len() - 1;
    (tools.len(), r#"{"tools":[]}"#.len() + entries + commas)
}

/// One tool as `tools/list` shows it: name, title, description, schemas and annotations.
fn entry(tree: &Tree, tool: &Tool) -> Value {
    let mut entry = Map::new();
    entry.insert("name".to_owned(), Value::String(tool.name.clone()));
    if let Some(title) = &tool.title {
        entry.insert("title".to_owned(), Value::String(title.clone()));
    }
    if let Some(schema) = tree.schema(tool) {
        for key in ["description", "inputSchema", "outputSchema"] {
            if let Some(value) = schema.get(key) {
                entry.insert(key.to_owned(), value.clone());
            }
        }
    }
    let annotations: Map<String, Value> = tool
        .annotations
        .iter()
        .map(|(k, v)| (k.clone(), Value::Bool(*v)))
        .collect();
    entry.insert("annotations".to_owned(), Value::Object(annotations));
    Value::Object(entry)
}
