//! Per-user and hybrid servers: one capability URL, the API token names the user, and each call runs
//! as that user's own account for per-user integrations (a shared account for the others). A user
//! who has not connected an integration gets `auth_required` with a link that connects exactly their
//! account. The sandbox's identity provider records which access token every API request carried:
//! that record, not our own logs, proves no request went out with another user's credential.

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use support::world::{HS_LIST, SF_LIST, Setup, World, browser};
use switchboard_runtime::filter::{ToolFilter, ToolKind};
use switchboard_sandbox::{OAuthEventKind, Vendor};
use switchboard_vault::{NewServer, ServerBinding, ServerOptions};
use tokio::sync::Semaphore;

/// A hybrid server: HubSpot per-user, Salesforce on the shared `acme-salesforce` account;
/// vendor-shaped tools (the unified ones share names across CRMs). Its URL.
fn hybrid_server(world: &World) -> String {
    let (_, token) = world
        .store
        .create_server(NewServer {
            name: "assistant".into(),
            bindings: vec![
                ServerBinding::per_user("hubspot"),
                ServerBinding::shared("salesforce", "acme-salesforce"),
            ],
            filter: ToolFilter {
                kinds: Some([ToolKind::Proxy].into()),
                ..ToolFilter::default()
            },
            expires_at: None,
            require_api_token: true,
            options: ServerOptions::default(),
        })
        .unwrap();
    format!("{}/mcp/{token}", world.base)
}

/// `POST <server>/tools/<tool>` as the holder of `api_token`.
async fn call_as(
    http: &reqwest::Client,
    server: &str,
    api_token: &str,
    tool: &str,
    args: Value,
) -> (u16, Value) {
    let response = http
        .post(format!("{server}/tools/{tool}"))
        .bearer_auth(api_token)
        .json(&args)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `GET <server>/authorize` as the holder of `api_token`.
async fn authorize(http: &reqwest::Client, server: &str, api_token: Option<&str>) -> (u16, Value) {
    let mut request = http.get(format!("{server}/authorize"));
    if let Some(token) = api_token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The sandbox chain (grant) a connect started after event `after` created at `vendor`.
fn new_chain(world: &World, after: u64, vendor: Vendor) -> u64 {
    let chains: Vec<u64> = world
        .sandbox
        .oauth_events_after(after)
        .into_iter()
        .filter(|e| e.vendor == vendor && e.kind == OAuthEventKind::AuthorizationCode)
        .filter(|e| e.failure.is_none())
        .filter_map(|e| e.chain)
        .collect();
    assert_eq!(chains.len(), 1, "one new grant expected: {chains:?}");
    chains[0]
}

fn last_seq(world: &World) -> u64 {
    world
        .sandbox
        .oauth_events()
        .last()
        .map_or(0, |event| event.seq)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_reaches_only_their_own_account_over_a_thousand_mixed_calls() {
    let world = World::start(Setup::default()).await;
    let http = reqwest::Client::new();

    let before = last_seq(&world);
    let (status, page) = world.connect("acme-salesforce", "salesforce").await;
    assert_eq!(status, 200, "{page}");
    let shared_chain = new_chain(&world, before, Vendor::Salesforce);

    let server = hybrid_server(&world);
    let tokens: HashMap<&str, String> = ["alice", "bob", "carol"]
        .into_iter()
        .map(|user| {
            let (_, token) = world
                .store
                .create_api_token(&format!("{user}-laptop"), Some(user))
                .unwrap();
            (user, token)
        })
        .collect();

    // The second factor is required: the URL alone opens nothing, here as on every route.
    let (status, _) = authorize(&http, &server, None).await;
    assert_eq!(status, 401);

    // Before connecting: the app learns what alice must connect, and a call says the same.
    let (status, answer) = authorize(&http, &server, Some(&tokens["alice"])).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["user"], "alice");
    assert_eq!(answer["ready"], false);
    let hubspot = &answer["integrations"][0];
    assert_eq!(hubspot["integration"], "hubspot");
    assert_eq!(hubspot["mode"], "per_user");
    assert_eq!(hubspot["connected"], false);
    let link = hubspot["authorization_url"].as_str().unwrap().to_owned();
    assert!(link.contains("user=alice"), "{link}");
    let salesforce = &answer["integrations"][1];
    assert_eq!(salesforce["mode"], "shared");
    assert_eq!(salesforce["connected"], true);
    assert_eq!(salesforce["account"], "acme-salesforce");

    let (status, refused) = call_as(
        &http,
        &server,
        &tokens["alice"],
        HS_LIST,
        json!({"limit": 2}),
    )
    .await;
    assert_eq!(status, 401, "{refused}");
    assert_eq!(refused["error"]["code"], "auth_required");
    assert_eq!(refused["authorization_urls"]["hubspot"], link.as_str());
    // The shared integration works for her already.
    let (status, body) = call_as(
        &http,
        &server,
        &tokens["alice"],
        SF_LIST,
        json!({"limit": 2}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Alice and Bob connect through their own links (opened in a browser, as a person does).
    let mut chains = HashMap::new();
    for user in ["alice", "bob"] {
        let (_, answer) = authorize(&http, &server, Some(&tokens[user])).await;
        let link = answer["integrations"][0]["authorization_url"]
            .as_str()
            .unwrap()
            .to_owned();
        let before = last_seq(&world);
        let page = browser().get(&link).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("Account connected"), "{page}");
        chains.insert(user, new_chain(&world, before, Vendor::HubSpot));
        let account = world
            .store
            .user_account("hubspot", user)
            .unwrap()
            .expect("connected");
        assert_eq!(account.id, format!("{user}.hubspot"));
        let (_, answer) = authorize(&http, &server, Some(&tokens[user])).await;
        assert_eq!(answer["ready"], true, "{answer}");
    }
    assert_ne!(chains["alice"], chains["bob"]);

    // The server lists the tools of both integrations.
    let listed: Value = http
        .get(format!("{server}/tools"))
        .bearer_auth(&tokens["bob"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&HS_LIST) && names.contains(&SF_LIST),
        "{names:?}"
    );

    // 1,000 calls at once, users and integrations interleaved; Carol never connected.
    let start = last_seq(&world);
    let plan: Vec<(&str, &str)> = (0..1000)
        .map(|i| match i % 10 {
            0..=3 => ("alice", HS_LIST),
            4..=6 => ("bob", HS_LIST),
            7 => ("carol", HS_LIST),
            8 => ("alice", SF_LIST),
            _ => ("bob", SF_LIST),
        })
        .collect();
    let limit = Arc::new(Semaphore::new(32));
    let mut tasks = Vec::new();
    for (user, tool) in plan.iter().copied() {
        let (http, server, token, limit) = (
            http.clone(),
            server.clone(),
            tokens[user].clone(),
            limit.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            let (status, body) = call_as(&http, &server, &token, tool, json!({"limit": 1})).await;
            (user, tool, status, body)
        }));
    }
    let mut expected: HashMap<(Vendor, u64), u64> = HashMap::new();
    for task in tasks {
        let (user, tool, status, body) = task.await.unwrap();
        if user == "carol" {
            assert_eq!(status, 401, "{body}");
            let url = body["authorization_urls"]["hubspot"].as_str().unwrap();
            assert!(url.contains("user=carol"), "{url}");
            continue;
        }
        assert_eq!(status, 200, "{user} {tool}: {body}");
        let key = if tool == HS_LIST {
            (Vendor::HubSpot, chains[user])
        } else {
            (Vendor::Salesforce, shared_chain)
        };
        *expected.entry(key).or_default() += 1;
    }

    // What the vendor saw: every API request, by the grant its token belongs to.
    let mut seen: HashMap<(Vendor, u64), u64> = HashMap::new();
    for event in world.sandbox.oauth_events_after(start) {
        if event.kind != OAuthEventKind::ApiCall {
            continue;
        }
        assert_eq!(event.failure, None, "{event:?}");
        let chain = event.chain.expect("an OAuth token");
        *seen.entry((event.vendor, chain)).or_default() += 1;
    }
    assert_eq!(seen, expected);
    assert_eq!(expected[&(Vendor::HubSpot, chains["alice"])], 400);
    assert_eq!(expected[&(Vendor::HubSpot, chains["bob"])], 300);
    assert_eq!(expected[&(Vendor::Salesforce, shared_chain)], 200);

    // Over MCP sessions the same holds: one session per user on the same URL, calls interleaved.
    let start = last_seq(&world);
    let alice = mcp_session(&server, &tokens["alice"]).await;
    let bob = mcp_session(&server, &tokens["bob"]).await;
    for round in 0..5 {
        for (client, user) in [(&alice, "alice"), (&bob, "bob")] {
            let result = client
                .call_tool(
                    CallToolRequestParams::new(HS_LIST)
                        .with_arguments(json!({"limit": 1}).as_object().unwrap().clone()),
                )
                .await
                .unwrap();
            assert_ne!(
                result.is_error,
                Some(true),
                "{user} round {round}: {result:?}"
            );
        }
    }
    let chains_seen: Vec<u64> = world
        .sandbox
        .oauth_events_after(start)
        .into_iter()
        .filter(|e| e.kind == OAuthEventKind::ApiCall)
        .map(|e| e.chain.unwrap())
        .collect();
    let expected_order: Vec<u64> = (0..5)
        .flat_map(|_| [chains["alice"], chains["bob"]])
        .collect();
    assert_eq!(chains_seen, expected_order);
    alice.cancel().await.unwrap();
    bob.cancel().await.unwrap();
    world.assert_no_reuse();
}

/// An MCP session (Streamable HTTP, the official Rust SDK's client) on `url` as `api_token`'s user.
async fn mcp_session(
    url: &str,
    api_token: &str,
) -> rmcp::service::RunningService<rmcp::RoleClient, ClientConfig> {
    let config = StreamableHttpClientTransportConfig::with_uri(url).auth_header(api_token);
    ClientConfig::default()
        .serve(StreamableHttpClientTransport::from_config(config))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_user_cannot_take_over_another_users_account_with_a_link() {
    let world = World::start(Setup::default()).await;
    let (status, page) = world.connect("acme-salesforce", "salesforce").await;
    assert_eq!(status, 200, "{page}");
    let server = hybrid_server(&world);
    let (_, alice) = world
        .store
        .create_api_token("alice-laptop", Some("alice"))
        .unwrap();
    let (_, answer) = authorize(&reqwest::Client::new(), &server, Some(&alice)).await;
    let link = answer["integrations"][0]["authorization_url"]
        .as_str()
        .unwrap()
        .to_owned();
    // Bob edits alice's link to make it his: the signature no longer matches.
    let forged = link.replace("user=alice", "user=bob");
    let page = browser().get(&forged).send().await.unwrap();
    assert_eq!(page.status(), 403);
    assert!(
        world
            .store
            .user_account("hubspot", "bob")
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_per_user_server_needs_an_api_token_and_one_binding_per_integration() {
    let world = World::start(Setup::default()).await;
    let err = world
        .store
        .create_server(NewServer {
            name: "open".into(),
            bindings: vec![ServerBinding::per_user("hubspot")],
            filter: ToolFilter::default(),
            expires_at: None,
            require_api_token: false,
            options: ServerOptions::default(),
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("must require an API token"),
        "{err}"
    );
    let err = world
        .store
        .create_server(NewServer {
            name: "twice".into(),
            bindings: vec![
                ServerBinding::per_user("hubspot"),
                ServerBinding::per_user("hubspot"),
            ],
            filter: ToolFilter::default(),
            expires_at: None,
            require_api_token: true,
            options: ServerOptions::default(),
        })
        .unwrap_err();
    assert!(err.to_string().contains("bound twice"), "{err}");
}
