//! Discovery mode over the real compiled tables: an agent that sees only `search_tools`,
//! `get_tool_schema` and `call_tool` finds the tool it needs across both CRMs' catalogues, and a tool
//! the server's filter hides cannot be told apart from one that does not exist.

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Map, Value, json};
use switchboard_runtime::executor::{Executor, ExecutorConfig};
use switchboard_runtime::filter::ToolFilter;
use switchboard_runtime::table::Tool;
use switchboard_server::mcp::describe_tool;
use switchboard_server::mcp::discovery::{
    DiscoveryError, ToolIndex, call_target, schema_result, search_result,
};

fn executor() -> Executor {
    Executor::new(
        switchboard_generated::INTEGRATIONS,
        ExecutorConfig::default(),
    )
}

/// Every tool of every integration: what a server over both CRMs, unfiltered, exposes.
fn every_tool(executor: &Executor) -> Vec<&'static Tool> {
    executor.tools().collect()
}

/// The tools of `integration` that `filter` allows, sorted by name, as a server lists them.
fn exposed(executor: &Executor, integration: &str, filter: &ToolFilter) -> Vec<&'static Tool> {
    executor
        .tools()
        .filter(|tool| tool.integration == integration && filter.allows(tool))
        .collect()
}

fn args(value: Value) -> Map<String, Value> {
    let Value::Object(map) = value else {
        panic!("not an object")
    };
    map
}

fn top(index: &ToolIndex, query: &str, limit: usize) -> Vec<&'static str> {
    index
        .search(query, limit)
        .into_iter()
        .map(|hit| hit.name)
        .collect()
}

#[test]
fn contacts_by_email_finds_a_contacts_search_or_list_tool_of_each_crm() {
    let executor = executor();
    let index = ToolIndex::new(&every_tool(&executor), &executor);
    let hits = top(&index, "find contacts by email", 5);
    // Pipedrive calls its contacts persons.
    let contacts_reader = |vendor: &str, plural: &str| {
        hits.iter().any(|name| {
            name.contains(vendor)
                && name.ends_with(plural)
                && (name.starts_with("search_") || name.starts_with("list_all_"))
        })
    };
    // One page of results holds each CRM's reader: a vendor whose descriptions repeat the query's
    // words does not fill it alone.
    assert!(contacts_reader("hub_spot", "_contacts"), "{hits:?}");
    assert!(contacts_reader("salesforce", "_contacts"), "{hits:?}");
    assert!(contacts_reader("pipedrive", "_persons"), "{hits:?}");
}

#[test]
fn delete_a_deal_ranks_a_deal_delete_tool_first() {
    let executor = executor();
    let index = ToolIndex::new(&every_tool(&executor), &executor);
    for query in ["delete a deal", "remove the deal"] {
        let hits = top(&index, query, 5);
        let first = hits.first().copied().unwrap_or_default();
        assert!(
            first.starts_with("delete_a_") && first.contains("deal"),
            "{query}: {hits:?}"
        );
    }
    // A vendor's own word for deals finds its tools.
    let hits = top(&index, "delete an opportunity", 1);
    assert_eq!(hits, ["delete_a_salesforce_opportunity_by_id"]);
}

#[test]
fn every_tool_is_found_first_by_its_own_name() {
    let executor = executor();
    let index = ToolIndex::new(&every_tool(&executor), &executor);
    for tool in executor.tools() {
        assert_eq!(
            top(&index, tool.name, 1),
            [tool.name],
            "searching for `{}`",
            tool.name
        );
    }
}

#[test]
fn limits_and_empty_results_reach_the_agent_as_documented() {
    let executor = executor();
    let index = ToolIndex::new(&every_tool(&executor), &executor);
    for limit in [1, 3, 20] {
        let value =
            search_result(&index, &args(json!({"query": "contacts", "limit": limit}))).unwrap();
        assert_eq!(value["result_count"], limit);
        assert_eq!(value["result"].as_array().unwrap().len(), limit);
    }
    let value = search_result(&index, &args(json!({"query": "zebra xylophone"}))).unwrap();
    assert_eq!(value, json!({"result": [], "result_count": 0}));
    let Err(DiscoveryError::InvalidArguments { pointer, .. }) =
        search_result(&index, &args(json!({"query": "contacts", "limit": 21})))
    else {
        panic!("limit 21 accepted")
    };
    assert_eq!(pointer, "/limit");
}

#[test]
fn a_read_only_server_finds_no_write_tool_and_cannot_describe_one() {
    let executor = executor();
    let read = ToolFilter::default().with_methods("read").unwrap();
    for integration in ["hubspot", "salesforce"] {
        let tools = exposed(&executor, integration, &read);
        assert!(!tools.is_empty());
        let index = ToolIndex::new(&tools, &executor);
        for hit in index.search("delete create update a contact", 20) {
            assert!(
                tools.iter().any(|tool| tool.name == hit.name),
                "{} is not exposed",
                hit.name
            );
        }
        for tool in executor
            .tools()
            .filter(|tool| tool.integration == integration)
        {
            let answer = schema_result(&executor, &tools, &args(json!({"name": tool.name})));
            if read.allows(tool) {
                assert_eq!(
                    answer.unwrap(),
                    serde_json::to_value(describe_tool(&executor, tool)).unwrap()
                );
            } else {
                // The same answer as for a tool that exists nowhere.
                assert_eq!(
                    answer,
                    Err(DiscoveryError::UnknownTool(tool.name.to_owned()))
                );
            }
        }
        assert_eq!(
            schema_result(
                &executor,
                &tools,
                &args(json!({"name": "delete_a_crm_planet_by_id"}))
            ),
            Err(DiscoveryError::UnknownTool(
                "delete_a_crm_planet_by_id".to_owned()
            ))
        );
    }
}

#[test]
fn call_tool_hands_over_the_name_and_arguments_unchanged() {
    let (name, arguments) = call_target(&args(json!({
        "name": "list_all_crm_contacts",
        "arguments": {"limit": "2", "next_cursor": null},
    })))
    .unwrap();
    assert_eq!(name, "list_all_crm_contacts");
    assert_eq!(
        Value::Object(arguments),
        json!({"limit": "2", "next_cursor": null})
    );
}

#[test]
fn a_vendor_named_in_the_query_comes_first() {
    let executor = executor();
    let tools = every_tool(&executor);
    let index = ToolIndex::new(&tools, &executor);
    for (query, vendor) in [
        ("find salesforce contacts by email", "salesforce"),
        ("find hubspot contacts by email", "hubspot"),
        ("list HubSpot deals", "hubspot"),
    ] {
        let hits = index.search(query, 1);
        let first = tools.iter().find(|t| t.name == hits[0].name).unwrap();
        assert_eq!(first.integration, vendor, "{query}: {:?}", hits[0].name);
    }
}
