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
            // Catalogs before titles were recorded: the server sent them all the same.
            let (tools_before, bytes_before) = listing(before, name, Some(after));
            let (tools_after, bytes_after) = listing(after, name, None);
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
///
/// A tool without a title takes the one `titles` gives the same tool.
fn listing(tree: &Tree, integration: &str, titles: Option<&Tree>) -> (usize, usize) {
    let tools: Vec<&Tool> = tree.tools_of(integration).collect();
    if tools.is_empty() {
        return (0, 0);
    }
    let title = |tool: &Tool| {
        tool.title.clone().or_else(|| {
            let key = (tool.integration.clone(), tool.name.clone());
            titles?.tools.get(&key)?.title.clone()
        })
    };
    let entries: usize = tools
        .iter()
        .map(|tool| entry(tree, tool, title(tool)).to_string().len())
        .sum();
    let commas = tools.len() - 1;
    (tools.len(), r#"{"tools":[]}"#.len() + entries + commas)
}

/// One tool as `tools/list` shows it: name, title, description, schemas and annotations.
fn entry(tree: &Tree, tool: &Tool, title: Option<String>) -> Value {
    let mut entry = Map::new();
    entry.insert("name".to_owned(), Value::String(tool.name.clone()));
    if let Some(title) = title {
        entry.insert("title".to_owned(), Value::String(title));
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
