//! The second factor: a server created with `require_api_token` wants a live API token
//! (`Authorization: Bearer <api token>`) on every request, over REST and MCP alike, so its capability
//! URL alone is not enough to act. Dead URLs (revoked, expired) still answer 404, before any 401.

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig, ProtocolVersion};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use support::{Harness, Options};
use switchboard_runtime::filter::ToolFilter;
use switchboard_vault::{NewServer, Store, now_unix};

const TOOL: &str = "list_all_hub_spot_contacts";

fn guarded(name: &str, expires_at: Option<i64>) -> NewServer {
    NewServer {
        name: name.into(),
        bindings: vec![switchboard_vault::ServerBinding::shared(
            "hubspot",
            "acme-hubspot",
        )],
        filter: ToolFilter::default(),
        expires_at,
        require_api_token: true,
        options: Default::default(),
    }
}

/// `POST /mcp/<token>/tools/<tool>` with an optional `Authorization` value.
async fn rest_call(
    harness: &Harness,
    token: &str,
    authorization: Option<&str>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(harness.rest_url(token, TOOL))
        .json(&json!({"limit": 2}));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.unwrap()
}

/// Asserts a 401 with the challenge and the error code, and no token in the answer.
async fn assert_refused(response: reqwest::Response, code: &str, secrets: &[&str]) {
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers().get("www-authenticate").unwrap(),
        r#"Bearer realm="switchboard""#
    );
    let text = response.text().await.unwrap();
    for secret in secrets {
        assert!(!text.contains(secret), "a token leaked into {text}");
    }
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Authorization")
    );
}

async fn assert_works(response: reqwest::Response) {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result_count"], 2, "{body}");
}

async fn assert_dead(response: reqwest::Response) {
    assert_eq!(response.status(), 404);
    assert!(response.headers().get("www-authenticate").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found", "{body}");
}

/// An MCP session (Streamable HTTP) sending `api_token` as `Authorization: Bearer …`, calling one
/// tool; `Err` when the session cannot start.
async fn mcp_call(url: &str, api_token: Option<&str>) -> Result<Value, String> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url);
    if let Some(token) = api_token {
        config = config.auth_header(token);
    }
    let client = ClientConfig::default()
        .with_protocol_version(ProtocolVersion::V_2025_06_18)
        .serve(StreamableHttpClientTransport::from_config(config))
        .await
        .map_err(|e| e.to_string())?;
    let Value::Object(arguments) = json!({"limit": 2}) else {
        unreachable!()
    };
    let result = client
        .call_tool(CallToolRequestParams::new(TOOL).with_arguments(arguments))
        .await
        .map_err(|e| e.to_string())?;
    assert_eq!(result.is_error, Some(false), "{result:?}");
    let _ = client.cancel().await;
    Ok(result.structured_content.unwrap_or_default())
}

/// The raw MCP `initialize` POST, to see the status and headers an MCP client gets.
async fn mcp_initialize(url: &str, authorization: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "probe", "version": "1"}
            }
        }));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.unwrap()
}

fn setup(harness: &Harness) -> (Store, String, String) {
    let store = harness.store();
    let (_, url_token) = store.create_server(guarded("guarded", None)).unwrap();
    let (record, api_token) = store.create_api_token("ci-agent", Some("alice")).unwrap();
    assert!(api_token.starts_with("sbk_"));
    assert_eq!(record.user.as_deref(), Some("alice"));
    (store, url_token, api_token)
}

#[tokio::test(flavor = "multi_thread")]
async fn rest_needs_the_url_and_a_live_api_token() {
    let harness = Harness::start(Options::default()).await;
    let (store, url_token, api_token) = setup(&harness);
    let bearer = format!("Bearer {api_token}");

    // The URL alone is not enough.
    assert_refused(
        rest_call(&harness, &url_token, None).await,
        "api_token_required",
        &[],
    )
    .await;
    // Nor with a wrong or malformed token.
    let wrong = format!("Bearer sbk_{}", "A".repeat(43));
    assert_refused(
        rest_call(&harness, &url_token, Some(&wrong)).await,
        "invalid_api_token",
        &[&wrong[7..]],
    )
    .await;
    assert_refused(
        rest_call(&harness, &url_token, Some(&format!("Basic {api_token}"))).await,
        "invalid_api_token",
        &[&api_token],
    )
    .await;
    // The capability token is not an API token.
    assert_refused(
        rest_call(&harness, &url_token, Some(&format!("Bearer {url_token}"))).await,
        "invalid_api_token",
        &[&url_token],
    )
    .await;
    // `GET /mcp/<token>/tools` too.
    let listed = reqwest::get(format!("{}/mcp/{url_token}/tools", harness.base))
        .await
        .unwrap();
    assert_eq!(listed.status(), 401);

    // URL + token works, and records the token's and the server's use.
    assert_works(rest_call(&harness, &url_token, Some(&bearer)).await).await;
    let used = store.api_token("ci-agent").unwrap().unwrap();
    assert!(used.last_used_at.is_some());
    assert!(
        store
            .server("guarded")
            .unwrap()
            .unwrap()
            .last_used_at
            .is_some()
    );

    // A revoked API token is refused at once.
    store.revoke_api_token("ci-agent").unwrap();
    assert_refused(
        rest_call(&harness, &url_token, Some(&bearer)).await,
        "invalid_api_token",
        &[&api_token],
    )
    .await;

    // A revoked server is a dead URL: 404, token or not.
    let (_, fresh) = store.create_api_token("ci-agent-2", None).unwrap();
    let fresh_bearer = format!("Bearer {fresh}");
    assert_works(rest_call(&harness, &url_token, Some(&fresh_bearer)).await).await;
    store.revoke_server("guarded").unwrap();
    assert_dead(rest_call(&harness, &url_token, Some(&fresh_bearer)).await).await;
    assert_dead(rest_call(&harness, &url_token, None).await).await;
    // ... and still listed, with its revocation time.
    let listed = store.list_servers().unwrap();
    let guarded_row = listed.iter().find(|s| s.name == "guarded").unwrap();
    assert!(guarded_row.revoked_at.is_some() && guarded_row.require_api_token);

    // An expired server is a dead URL too.
    let (_, expired) = store
        .create_server(guarded("guarded-expired", Some(now_unix() - 1)))
        .unwrap();
    assert_dead(rest_call(&harness, &expired, Some(&fresh_bearer)).await).await;
    assert_dead(rest_call(&harness, &expired, None).await).await;

    // A server without the requirement keeps working without the header.
    assert_works(rest_call(&harness, &harness.write_token, None).await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mcp_streamable_http_needs_the_api_token_on_every_request() {
    let harness = Harness::start(Options::default()).await;
    let (store, url_token, api_token) = setup(&harness);
    let url = harness.mcp_url(&url_token);

    // The URL alone: 401 with the challenge, before any session starts.
    let refused = mcp_initialize(&url, None).await;
    assert_refused(refused, "api_token_required", &[]).await;
    assert!(mcp_call(&url, None).await.is_err());
    let wrong = format!("sbk_{}", "B".repeat(43));
    assert!(mcp_call(&url, Some(&wrong)).await.is_err());

    // URL + token: a working session.
    let content = mcp_call(&url, Some(&api_token)).await.unwrap();
    assert_eq!(content["result_count"], 2, "{content}");
    let ok = mcp_initialize(&url, Some(&format!("Bearer {api_token}"))).await;
    assert_eq!(ok.status(), 200);

    // A revoked API token: refused, over the raw protocol and through the client.
    store.revoke_api_token("ci-agent").unwrap();
    assert_refused(
        mcp_initialize(&url, Some(&format!("Bearer {api_token}"))).await,
        "invalid_api_token",
        &[&api_token],
    )
    .await;
    assert!(mcp_call(&url, Some(&api_token)).await.is_err());

    // A revoked server: 404, even with a live token.
    let (_, fresh) = store.create_api_token("ci-agent-2", None).unwrap();
    assert!(mcp_call(&url, Some(&fresh)).await.is_ok());
    store.revoke_server("guarded").unwrap();
    let dead = mcp_initialize(&url, Some(&format!("Bearer {fresh}"))).await;
    assert_eq!(dead.status(), 404);
    assert!(dead.headers().get("www-authenticate").is_none());

    // An expired server: 404.
    let (_, expired) = store
        .create_server(guarded("guarded-expired", Some(now_unix() - 1)))
        .unwrap();
    let dead = mcp_initialize(&harness.mcp_url(&expired), Some(&format!("Bearer {fresh}"))).await;
    assert_eq!(dead.status(), 404);

    // A server without the requirement: no header needed.
    let content = mcp_call(&harness.mcp_url(&harness.write_token), None)
        .await
        .unwrap();
    assert_eq!(content["result_count"], 2, "{content}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_stops_working_when_its_api_token_is_revoked() {
    let harness = Harness::start(Options::default()).await;
    let (store, url_token, api_token) = setup(&harness);
    let config = StreamableHttpClientTransportConfig::with_uri(harness.mcp_url(&url_token))
        .auth_header(api_token);
    let client = ClientConfig::default()
        .with_protocol_version(ProtocolVersion::V_2025_06_18)
        .serve(StreamableHttpClientTransport::from_config(config))
        .await
        .unwrap();
    let Value::Object(arguments) = json!({"limit": 1}) else {
        unreachable!()
    };
    let params = CallToolRequestParams::new(TOOL).with_arguments(arguments);
    let first = client.call_tool(params.clone()).await.unwrap();
    assert_eq!(first.is_error, Some(false), "{first:?}");
    store.revoke_api_token("ci-agent").unwrap();
    assert!(client.call_tool(params).await.is_err());
}
