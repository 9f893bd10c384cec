//! Discovery mode as an agent meets it over MCP: `tools/list` shows three tools, and through them the
//! agent finds, reads and calls the server's tools with the same filter, redaction and audit as a
//! direct call; what the filter hides stays hidden.

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{RoleClient, ServiceError, ServiceExt};
use serde_json::{Value, json};
use support::{Harness, Options};
use switchboard_runtime::filter::ToolFilter;
use switchboard_vault::{Exposure, NewServer, ServerOptions};

type Client = RunningService<RoleClient, ClientConfig>;

async fn call(
    client: &Client,
    tool: &str,
    arguments: Value,
) -> Result<CallToolResult, ServiceError> {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object");
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
}

#[tokio::test]
async fn an_agent_finds_reads_and_calls_tools_through_three_meta_tools() {
    let harness = Harness::start(Options::default()).await;
    let (_, token) = harness
        .store()
        .create_server(NewServer {
            options: ServerOptions {
                exposure: Exposure::Discovery,
                redact: Some("mask".to_owned()),
                hide_pii_tools: false,
            },
            ..NewServer::shared(
                "discovering-reader",
                "hubspot",
                "acme-hubspot",
                ToolFilter::default().with_methods("read").unwrap(),
            )
        })
        .unwrap();
    let client = ClientConfig::default()
        .serve(StreamableHttpClientTransport::from_uri(
            harness.mcp_url(&token),
        ))
        .await
        .unwrap();

    let mut listed: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, ["call_tool", "get_tool_schema", "search_tools"]);

    let found = call(
        &client,
        "search_tools",
        json!({"query": "list contacts", "limit": 5}),
    )
    .await
    .unwrap();
    let found = found.structured_content.unwrap();
    let names: Vec<&str> = found["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"list_all_hub_spot_contacts"), "{found}");
    // A read-only role: search never offers a write tool.
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("create_") || n.starts_with("delete_")),
        "{names:?}"
    );

    let schema = call(
        &client,
        "get_tool_schema",
        json!({"name": "list_all_hub_spot_contacts"}),
    )
    .await
    .unwrap()
    .structured_content
    .unwrap();
    assert_eq!(schema["name"], "list_all_hub_spot_contacts", "{schema}");
    assert!(
        schema["inputSchema"]["properties"]["limit"].is_object(),
        "{schema}"
    );
    // The schema the redaction leaves: no `format: email` for a masked address.
    assert!(
        !schema["outputSchema"]
            .to_string()
            .contains("\"format\":\"email\"")
    );

    // Hidden by the filter: the same answer as a tool that does not exist.
    for hidden in ["create_a_hub_spot_contact", "no_such_tool"] {
        let refused = call(&client, "get_tool_schema", json!({"name": hidden})).await;
        assert!(refused.is_err(), "{hidden}: {refused:?}");
        let refused = call(
            &client,
            "call_tool",
            json!({"name": hidden, "arguments": {}}),
        )
        .await;
        assert!(refused.is_err(), "{hidden}: {refused:?}");
    }

    let result = call(
        &client,
        "call_tool",
        json!({"name": "list_all_hub_spot_contacts", "arguments": {"limit": 2}}),
    )
    .await
    .unwrap();
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let body = result.structured_content.unwrap();
    assert_eq!(body["result_count"], 2, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("***@"),
        "masked through call_tool too: {text}"
    );

    // Arguments of the inner tool are checked as in a direct call, pointing into `arguments`.
    let bad = call(
        &client,
        "call_tool",
        json!({"name": "list_all_hub_spot_contacts", "arguments": {"limit": "many"}}),
    )
    .await
    .unwrap();
    assert_eq!(bad.is_error, Some(true));
    let error = bad.structured_content.unwrap();
    assert_eq!(error["error"]["code"], "invalid_arguments", "{error}");
    assert_eq!(error["error"]["pointer"], "/limit", "{error}");
    client.cancel().await.unwrap();
}
