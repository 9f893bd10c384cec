//! An agent's session over MCP Streamable HTTP, with the official Rust SDK's client, against
//! Switchboard in front of the HubSpot sandbox.

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientConfig, ErrorCode, PaginatedRequestParams,
    ProtocolVersion, Tool,
};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientLifecycleMode, ClientServiceExt, RoleClient, ServiceError, ServiceExt};
use serde_json::{Value, json};
use support::{Harness, Options, budget};

type Client = RunningService<RoleClient, ClientConfig>;

/// Connects with the `initialize` handshake at `version`.
async fn connect(url: &str, version: ProtocolVersion) -> Client {
    ClientConfig::default()
        .with_protocol_version(version)
        .serve(StreamableHttpClientTransport::from_uri(url))
        .await
        .unwrap()
}

/// Connects statelessly (2026-07-28: `server/discover`, no session).
async fn connect_stateless(url: &str) -> Client {
    ClientConfig::default()
        .serve_with_lifecycle(
            StreamableHttpClientTransport::from_uri(url),
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .unwrap()
}

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

fn names(tools: &[Tool]) -> Vec<String> {
    tools.iter().map(|t| t.name.to_string()).collect()
}

/// Lists tools and reads five contacts: what every revision must do.
async fn list_and_read_contacts(client: &Client) {
    let tools = client.list_all_tools().await.unwrap();
    let listed = names(&tools);
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "tools/list is sorted by name");
    assert!(listed.contains(&"list_all_hub_spot_contacts".to_owned()));
    assert!(listed.contains(&"create_a_hub_spot_contact".to_owned()));
    // The account's integration's proxy tools, and the unified tools it maps.
    assert!(
        listed
            .iter()
            .all(|name| name.contains("hub_spot") || name.contains("_crm_")),
        "only the account's integration: {listed:?}"
    );
    assert!(listed.contains(&"list_all_crm_contacts".to_owned()));
    let unified = tools
        .iter()
        .find(|t| t.name == "list_all_crm_contacts")
        .unwrap();
    // Its output schema is the unified envelope of canonical contacts.
    let output = serde_json::to_value(unified.output_schema.as_ref().unwrap()).unwrap();
    assert!(
        output["properties"]["result"]["items"]["properties"]["email_addresses"].is_object(),
        "{output}"
    );

    let list = tools
        .iter()
        .find(|t| t.name == "list_all_hub_spot_contacts")
        .unwrap();
    assert!(list.title.is_some());
    assert!(list.description.as_deref().is_some_and(|d| !d.is_empty()));
    assert!(list.input_schema.contains_key("properties"));
    assert!(list.output_schema.is_some());
    let annotations = list.annotations.clone().unwrap();
    assert_eq!(annotations.read_only_hint, Some(true));
    assert_eq!(annotations.destructive_hint, Some(false));
    let delete = tools
        .iter()
        .find(|t| t.name == "delete_a_hub_spot_contact_by_id")
        .unwrap();
    assert_eq!(
        delete.annotations.clone().unwrap().destructive_hint,
        Some(true)
    );

    let result = call(client, "list_all_hub_spot_contacts", json!({"limit": 5}))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false), "{result:?}");
    let envelope = result.structured_content.clone().unwrap();
    assert_eq!(envelope["result_count"], 5, "{envelope}");
    assert_eq!(envelope["result"].as_array().map(Vec::len), Some(5));
    assert!(envelope["next_cursor"].is_string(), "{envelope}");
    let text = result.content.first().and_then(|c| c.as_text()).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text.text).unwrap(), envelope);
}

#[tokio::test]
async fn session_revisions_initialize_list_and_call() {
    let harness = Harness::start(Options::default()).await;
    for version in [ProtocolVersion::V_2025_06_18, ProtocolVersion::V_2025_11_25] {
        let client = connect(&harness.mcp_url(&harness.write_token), version.clone()).await;
        let info = client.peer_info().unwrap();
        assert_eq!(info.protocol_version, version);
        assert_eq!(
            info.server_info.as_ref().map(|i| i.name.as_str()),
            Some("switchboard")
        );
        assert!(info.capabilities.tools.is_some());
        assert!(
            info.instructions
                .as_deref()
                .is_some_and(|i| i.contains("next_cursor"))
        );
        list_and_read_contacts(&client).await;
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn stateless_revision_lists_and_calls() {
    let harness = Harness::start(Options::default()).await;
    let client = connect_stateless(&harness.mcp_url(&harness.write_token)).await;
    let info = client.peer_info().unwrap();
    assert_eq!(info.protocol_version, ProtocolVersion::V_2026_07_28);
    list_and_read_contacts(&client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn read_only_server_hides_and_refuses_write_tools() {
    let harness = Harness::start(Options::default()).await;
    let client = connect(
        &harness.mcp_url(&harness.read_token),
        ProtocolVersion::V_2025_11_25,
    )
    .await;
    let tools = client.list_all_tools().await.unwrap();
    assert!(!tools.is_empty());
    for tool in &tools {
        assert_eq!(
            tool.annotations.as_ref().and_then(|a| a.read_only_hint),
            Some(true),
            "{} is not read-only",
            tool.name
        );
    }
    assert!(!names(&tools).contains(&"create_a_hub_spot_contact".to_owned()));
    // Exactly the read-only ones: nothing the filter allows is missing.
    let writer = connect(
        &harness.mcp_url(&harness.write_token),
        ProtocolVersion::V_2025_11_25,
    )
    .await;
    let everything = writer.list_all_tools().await.unwrap();
    let read_only: Vec<Tool> = everything
        .into_iter()
        .filter(|t| t.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true))
        .collect();
    assert_eq!(names(&tools), names(&read_only));
    writer.cancel().await.unwrap();

    let before = harness.upstream_requests();
    for tool in ["create_a_hub_spot_contact", "no_such_tool"] {
        let error = call(
            &client,
            tool,
            json!({"properties": {"email": "x@example.com"}}),
        )
        .await
        .unwrap_err();
        let ServiceError::McpError(error) = error else {
            panic!("{tool}: expected a JSON-RPC error, got {error:?}");
        };
        assert_eq!(error.code, ErrorCode::INVALID_PARAMS, "{tool}");
        assert!(error.message.contains(tool), "{}", error.message);
    }
    assert_eq!(
        harness.upstream_requests(),
        before,
        "a refused call never reaches the vendor"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn tools_list_pages_with_an_opaque_cursor() {
    let harness = Harness::start(Options {
        page_size: 3,
        ..Options::default()
    })
    .await;
    let client = connect(
        &harness.mcp_url(&harness.write_token),
        ProtocolVersion::V_2025_11_25,
    )
    .await;
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let page = client
            .list_tools(Some(PaginatedRequestParams::default().with_cursor(cursor)))
            .await
            .unwrap();
        assert!(page.tools.len() <= 3);
        pages.push(names(&page.tools));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert!(pages.len() > 2, "{pages:?}");
    assert!(pages.iter().take(pages.len() - 1).all(|p| p.len() == 3));
    let all: Vec<String> = pages.concat();
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(all, sorted, "pages are disjoint and in order");

    let error = client
        .list_tools(Some(
            PaginatedRequestParams::default().with_cursor(Some("not-a-cursor".into())),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ServiceError::McpError(e) if e.code == ErrorCode::INVALID_PARAMS),
        "{error:?}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn rate_limit_comes_back_as_an_error_result_after_one_upstream_request() {
    let harness = Harness::start(Options {
        rate_budget: budget(1),
        ..Options::default()
    })
    .await;
    let client = connect(
        &harness.mcp_url(&harness.write_token),
        ProtocolVersion::V_2025_11_25,
    )
    .await;
    let first = call(&client, "list_all_hub_spot_contacts", json!({"limit": 1}))
        .await
        .unwrap();
    assert_eq!(first.is_error, Some(false), "{first:?}");

    let before = harness.upstream_requests();
    let limited = call(&client, "list_all_hub_spot_contacts", json!({"limit": 1}))
        .await
        .unwrap();
    assert_eq!(
        harness.upstream_requests() - before,
        1,
        "exactly one upstream request: no retry"
    );
    assert_eq!(limited.is_error, Some(true), "{limited:?}");
    let body = limited.structured_content.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert_eq!(body["status"], 429, "{body}");
    assert!(body["retry_after"].as_u64().is_some(), "{body}");
    assert_eq!(body["rate_limit"]["limit"], 1, "{body}");
    assert_eq!(body["rate_limit"]["remaining"], 0, "{body}");
    assert!(body["rate_limit"].get("reset").is_some(), "{body}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn invalid_arguments_name_the_json_pointer() {
    let harness = Harness::start(Options::default()).await;
    let client = connect_stateless(&harness.mcp_url(&harness.write_token)).await;
    let before = harness.upstream_requests();
    let result = call(
        &client,
        "list_all_hub_spot_contacts",
        json!({"limit": "five"}),
    )
    .await
    .unwrap();
    assert_eq!(result.is_error, Some(true), "{result:?}");
    let body = result.structured_content.unwrap();
    assert_eq!(body["error"]["code"], "invalid_arguments", "{body}");
    assert_eq!(body["error"]["pointer"], "/limit", "{body}");
    assert_eq!(harness.upstream_requests(), before);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn unknown_capability_token_is_404() {
    let harness = Harness::start(Options::default()).await;
    let forged = "A".repeat(43);
    let result = ClientConfig::default()
        .serve(StreamableHttpClientTransport::from_uri(
            harness.mcp_url(&forged),
        ))
        .await;
    assert!(result.is_err(), "a forged token must not open a session");

    let http = reqwest::Client::new();
    for url in [
        harness.mcp_url(&forged),
        harness.mcp_url("short"),
        format!("{}/nothing", harness.base),
    ] {
        let response = http
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{url}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{url}");
    }
}

#[tokio::test]
async fn foreign_origin_and_host_are_403() {
    let harness = Harness::start(Options::default()).await;
    let http = reqwest::Client::new();
    let url = harness.mcp_url(&harness.write_token);
    let initialize = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "browser", "version": "0"}
        }
    });
    let post = |origin: Option<&'static str>, host: Option<&'static str>| {
        let mut request = http
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .json(&initialize);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(host) = host {
            request = request.header("host", host);
        }
        request.send()
    };
    let refused = post(Some("https://evil.example"), None).await.unwrap();
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden_origin");

    let rebinding = post(None, Some("evil.example")).await.unwrap();
    assert_eq!(rebinding.status(), 403);

    // The server's own origin, and no Origin at all (agents, CLIs), are fine.
    let local = format!("http://localhost:{}", harness.addr.port());
    let same_origin = http
        .post(&url)
        .header("accept", "application/json, text/event-stream")
        .header("origin", local)
        .json(&initialize)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 200);
    assert_eq!(post(None, None).await.unwrap().status(), 200);
}

/// A server deleted and re-created under the same name for another account describes the new account:
/// services are cached per capability token, not per server name.
#[tokio::test]
async fn a_recreated_server_describes_its_new_account() {
    let harness = Harness::start(Options::default()).await;
    let instructions = |client: &Client| {
        client
            .peer_info()
            .and_then(|i| i.instructions.clone())
            .unwrap_or_default()
    };
    let client = connect(
        &harness.mcp_url(&harness.write_token),
        ProtocolVersion::V_2025_11_25,
    )
    .await;
    assert!(
        instructions(&client).contains("`acme-hubspot`"),
        "{}",
        instructions(&client)
    );
    client.cancel().await.unwrap();

    let store = harness.store();
    store.delete_server("hubspot-writer").unwrap();
    let old = store.account("acme-hubspot").unwrap().unwrap();
    store
        .add_account(
            switchboard_vault::NewAccount {
                id: "other-hubspot".into(),
                integration: "hubspot".into(),
                base_url: old.base_url.clone(),
                credential: old.credential.clone(),
                granted_scopes: None,
                user: None,
                oauth: None,
            },
            switchboard_generated::INTEGRATIONS,
        )
        .unwrap();
    let (_, token) = store
        .create_server(switchboard_vault::NewServer {
            name: "hubspot-writer".into(),
            bindings: vec![switchboard_vault::ServerBinding::shared(
                "hubspot",
                "other-hubspot",
            )],
            filter: switchboard_runtime::filter::ToolFilter::default(),
            expires_at: None,
            require_api_token: false,
            options: Default::default(),
        })
        .unwrap();
    let client = connect(&harness.mcp_url(&token), ProtocolVersion::V_2025_11_25).await;
    assert!(
        instructions(&client).contains("`other-hubspot`"),
        "{}",
        instructions(&client)
    );
    client.cancel().await.unwrap();
    let stale = reqwest::Client::new()
        .post(harness.rest_url(&harness.write_token, "list_all_hub_spot_contacts"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 404, "the old token opens nothing");
}

/// Posts `body` to the write server's MCP URL as a client would.
async fn raw_post(harness: &Harness, body: &str) -> (u16, Value) {
    let reply = reqwest::Client::new()
        .post(format!("{}/mcp/{}", harness.base, harness.write_token))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn malformed_json_rpc_gets_json_rpc_error_codes() {
    let harness = Harness::start(Options::default()).await;
    let (status, body) = raw_post(&harness, "not json").await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32700)),
        "{body}"
    );
    let (status, body) = raw_post(&harness, "[1, 2]").await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!(-32600)),
        "{body}"
    );
    let (_, body) = raw_post(&harness, r#"{"jsonrpc": "1.0", "id": 1, "method": "ping"}"#).await;
    assert_eq!(body["error"]["code"], -32600, "{body}");
    let (_, body) = raw_post(
        &harness,
        r#"{"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": "list_all_hub_spot_contacts", "arguments": [1, 2]}}"#,
    )
    .await;
    assert_eq!(body["error"]["code"], -32602, "{body}");
    assert_eq!(body["id"], 7, "{body}");
}

#[tokio::test]
async fn sessions_per_server_are_capped() {
    let harness = Harness::start(Options::default()).await;
    let initialize = r#"{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params":
        {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}"#;
    for i in 0..64 {
        let (status, _) = raw_post(&harness, initialize).await;
        assert_eq!(status, 200, "session {i}");
    }
    let (status, body) = raw_post(&harness, initialize).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], -32000, "{body}");
    // Another server is not starved, and calls in existing sessions are not affected.
    let client = connect(
        &format!("{}/mcp/{}", harness.base, harness.read_token),
        ProtocolVersion::V_2025_06_18,
    )
    .await;
    assert!(!client.list_all_tools().await.unwrap().is_empty());
}
