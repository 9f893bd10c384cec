//! How much of an agent's context `tools/list` takes, directly and in discovery mode.
//!
//! ```sh
//! cargo run --release -p switchboard-tests --example tools_list_size [-- --dump DIR]
//! ```
//!
//! Prints, for a server exposing every tool of every compiled integration (unified tools, shared by
//! name across integrations, listed once), for one integration's server, and for the three discovery
//! meta-tools: the `tools/list` result as compact JSON in bytes and in tokens estimated as bytes / 4.
//! Also what a discovery round trip costs (one `search_tools` answer plus one `get_tool_schema`
//! answer), and how long building a server's search index takes. With `--dump DIR` it writes each JSON
//! document to DIR, for counting with a real tokenizer.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A measuring tool: a broken fixture should stop it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use rmcp::model::ListToolsResult;
use serde_json::{Map, Value, json};
use switchboard_runtime::executor::{Executor, ExecutorConfig};
use switchboard_runtime::table::Tool;
use switchboard_server::mcp::describe_tool;
use switchboard_server::mcp::discovery::{ToolIndex, meta_tools, schema_result, search_result};

fn main() {
    let mut args = std::env::args().skip(1);
    let dump: Option<PathBuf> = match (args.next().as_deref(), args.next()) {
        (Some("--dump"), Some(dir)) => Some(PathBuf::from(dir)),
        (None, _) => None,
        _ => {
            eprintln!("usage: tools_list_size [--dump DIR]");
            std::process::exit(2);
        }
    };
    if let Some(dir) = &dump {
        std::fs::create_dir_all(dir).unwrap();
    }
    let executor = Executor::new(
        switchboard_generated::INTEGRATIONS,
        ExecutorConfig::default(),
    );

    // Every tool once by name: the table lists a unified tool once per integration that serves it.
    let entries = executor.tools().count();
    let mut seen = BTreeSet::new();
    let every: Vec<&'static Tool> = executor.tools().filter(|t| seen.insert(t.name)).collect();

    let report = |label: &str, file: &str, json: &str| {
        let bytes = json.len();
        println!(
            "{label:<58} {bytes:>8} bytes  ~{:>6} tokens (bytes/4)",
            bytes / 4
        );
        if let Some(dir) = &dump {
            std::fs::write(dir.join(file), json).unwrap();
        }
    };
    let list = |tools: &[&'static Tool]| {
        let described = tools.iter().map(|t| describe_tool(&executor, t)).collect();
        serde_json::to_string(&ListToolsResult::with_all_items(described)).unwrap()
    };

    println!(
        "{entries} table entries, {} distinct tool names\n",
        every.len()
    );
    report(
        &format!("direct: every tool of every integration ({})", every.len()),
        "direct-all.json",
        &list(&every),
    );
    for integration in executor.integrations() {
        let tools: Vec<&'static Tool> = executor
            .tools()
            .filter(|t| t.integration == integration.name)
            .collect();
        report(
            &format!(
                "direct: one {} account ({} tools)",
                integration.name,
                tools.len()
            ),
            &format!("direct-{}.json", integration.name),
            &list(&tools),
        );
    }
    let discovery = serde_json::to_string(&ListToolsResult::with_all_items(meta_tools())).unwrap();
    report(
        "discovery: search_tools, get_tool_schema, call_tool",
        "discovery.json",
        &discovery,
    );

    // What finding one tool costs in discovery mode.
    let index = ToolIndex::new(&every, &executor);
    let arguments = |value: Value| -> Map<String, Value> {
        let Value::Object(map) = value else {
            unreachable!()
        };
        map
    };
    let found = search_result(
        &index,
        &arguments(json!({"query": "find contacts by email"})),
    )
    .unwrap();
    let first = found["result"][0]["name"].as_str().unwrap().to_owned();
    report(
        "discovery: search_tools \"find contacts by email\" (5 hits)",
        "search-result.json",
        &found.to_string(),
    );
    let schema = schema_result(&executor, &every, &arguments(json!({"name": first}))).unwrap();
    report(
        &format!("discovery: get_tool_schema {first}"),
        "schema-result.json",
        &schema.to_string(),
    );

    // Building a server's index (schemas already parsed: the executor caches them).
    let rounds = 200;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(ToolIndex::new(&every, &executor));
    }
    let per_build = started.elapsed() / rounds;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(index.search("find contacts by email", 5));
    }
    let per_search = started.elapsed() / rounds;
    println!(
        "\nindex over {} tools: built in {per_build:?}, one search in {per_search:?}",
        index.len()
    );
}
