//! Per-tenant OAuth as its users see it: a person connects an account in a browser, agents call tools
//! while tokens expire, rotate and die, and the operator hears about it once. The sandbox's identity
//! providers run in strict mode throughout (every refresh rotates the refresh token; a reused one
//! revokes the whole chain), and every test checks that Switchboard never triggered that.

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::{Value, json};
use sha2::Sha256;
use switchboard_oauth::{ConnectLinks, Coordinator, RefreshPolicy, WebhookTarget};
use switchboard_runtime::account::Credential;
use switchboard_sandbox::OAuthEventKind;
use switchboard_vault::{AccountStatus, Claim, NewOAuthApp, Store};
use tokio::net::TcpListener;

mod support;

use support::world::{HS_LIST, INTEGRATIONS, SF_LIST, Setup, World, browser, rest_call};

#[tokio::test]
async fn connecting_in_a_browser_then_calling_tools() {
    let world = World::start(Setup::default()).await;
    // Pipedrive's token endpoint reads the app's credentials only from HTTP Basic (its definition
    // says `client_secret_basic`); the others from the form body.
    for (account, integration, tool) in [
        ("acme-hubspot", "hubspot", HS_LIST),
        ("acme-salesforce", "salesforce", SF_LIST),
        ("acme-pipedrive", "pipedrive", "list_all_pipedrive_persons"),
    ] {
        let (status, page) = world.connect(account, integration).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Account connected"), "{page}");
        assert!(page.contains(account), "{page}");

        let summary = world.store.require_account_summary(account).unwrap();
        assert_eq!(summary.credential_kind, "oauth2");
        assert_eq!(summary.status, AccountStatus::Active);
        let granted = summary.granted_scopes.unwrap();
        assert!(!granted.is_empty());
        let server = world.server(&format!("{account}-agent"), account);
        let (status, body) =
            rest_call(&reqwest::Client::new(), &server, tool, json!({"limit": 3})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["result_count"], 3, "{body}");
    }
    // HubSpot says when its tokens expire; Salesforce does not, and its instance URL came from the
    // token answer.
    let hubspot = world.store.require_account_summary("acme-hubspot").unwrap();
    assert!(hubspot.expires_at.is_some());
    let salesforce = world
        .store
        .require_account_summary("acme-salesforce")
        .unwrap();
    assert_eq!(salesforce.expires_at, None);
    assert_eq!(
        salesforce.base_url.as_deref(),
        Some(world.sandbox.base_url().as_str())
    );
    world.assert_no_reuse();
}

#[tokio::test]
async fn bad_replayed_and_refused_authorizations_store_nothing() {
    let world = World::start(Setup::default()).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let location = |response: &reqwest::Response| {
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap()
            .to_owned()
    };

    // A forged state, and a tampered or unsigned connect link.
    let forged = no_redirects
        .get(format!(
            "{}/oauth/callback?state=forged&code=abc",
            world.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    assert!(forged.text().await.unwrap().contains("not valid"));
    let link = world.connect_link("acme-hubspot", "hubspot");
    for bad in [
        link.replace("account=acme-hubspot", "account=evil-hubspot"),
        link.split("&sig=").next().unwrap().to_owned(),
        format!("{}/connect/hubspot?account=acme-hubspot", world.base),
    ] {
        let refused = no_redirects.get(&bad).send().await.unwrap();
        assert!(
            [400, 403].contains(&refused.status().as_u16()),
            "{bad}: {}",
            refused.status()
        );
    }

    // The person refuses consent at the provider.
    let to_provider = no_redirects.get(&link).send().await.unwrap();
    assert_eq!(to_provider.status(), 302);
    let authorize = location(&to_provider);
    let denied = no_redirects
        .get(format!("{authorize}&deny=1"))
        .send()
        .await
        .unwrap();
    let callback = location(&denied);
    assert!(callback.contains("error=access_denied"), "{callback}");
    let page = no_redirects.get(&callback).send().await.unwrap();
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("refused"));
    assert!(
        world
            .store
            .account_summary("acme-hubspot")
            .unwrap()
            .is_none()
    );

    // A good authorization works once; its callback replayed is refused and changes nothing.
    let to_provider = no_redirects.get(&link).send().await.unwrap();
    let consented = no_redirects
        .get(location(&to_provider))
        .send()
        .await
        .unwrap();
    let callback = location(&consented);
    let first = no_redirects.get(&callback).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let token = world.access_token("acme-hubspot");
    let replay = no_redirects.get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), 400);
    assert_eq!(world.access_token("acme-hubspot"), token);
    world.assert_no_reuse();
}

#[tokio::test]
async fn two_hundred_calls_on_an_expired_token_make_one_refresh() {
    let world = World::start(Setup::default()).await;
    world.connect("acme-hubspot", "hubspot").await;
    let server = world.server("agent", "acme-hubspot");
    let http = reqwest::Client::new();
    let (status, _) = rest_call(&http, &server, HS_LIST, json!({"limit": 1})).await;
    assert_eq!(status, 200);

    // The provider expires every access token behind our back: the store still believes it valid.
    assert_eq!(world.sandbox.expire_access_tokens(), 1);
    let before = world.refreshes();
    let calls = (0..200).map(|_| {
        let (http, server) = (http.clone(), server.clone());
        tokio::spawn(async move { rest_call(&http, &server, HS_LIST, json!({"limit": 1})).await })
    });
    let results = futures_join(calls).await;
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
    }
    assert_eq!(world.refreshes() - before, 1);
    world.assert_no_reuse();
    assert_eq!(world.coordinator.stats().refreshes, 1);

    // The worst case: 200 calls that all hold the dead token (an agent session started before it
    // died), so every one of them is refused by the vendor and asks for a refresh at once.
    let account = world.store.require_account("acme-hubspot").unwrap();
    world.sandbox.expire_access_tokens();
    let (before, refused_before) = (world.refreshes(), expired_calls(&world));
    let calls = (0..200).map(|_| {
        let (executor, account) = (world.executor.clone(), account.clone());
        tokio::spawn(async move {
            executor
                .call(&account, HS_LIST, json!({"limit": 1}))
                .await
                .map(|_| ())
                .map_err(|e| e.code())
        })
    });
    for result in futures_join(calls).await {
        assert_eq!(result, Ok(()));
    }
    assert_eq!(expired_calls(&world) - refused_before, 200);
    assert_eq!(world.refreshes() - before, 1);
    world.assert_no_reuse();
}

/// Calls the sandbox refused because their access token had expired.
fn expired_calls(world: &World) -> u64 {
    world.sandbox.oauth_stats().hubspot.expired_token_calls
}

#[tokio::test]
async fn proactive_refresh_comes_before_expiry_and_before_any_call_needs_it() {
    let ttl = Duration::from_secs(6);
    let world = World::start(Setup {
        token_ttl: ttl,
        policy: RefreshPolicy {
            proactive_min: Duration::from_secs(2),
            proactive_max: Duration::from_secs(3),
            on_call_margin: Duration::from_secs(1),
            scan_every: Duration::from_millis(500),
            ..RefreshPolicy::default()
        },
        webhook: None,
    })
    .await;
    world.connect("acme-hubspot", "hubspot").await;
    let server = world.server("agent", "acme-hubspot");
    let http = reqwest::Client::new();
    let started = Instant::now();
    // An agent calling steadily across the first token's whole life and past it.
    let mut slowest = Duration::ZERO;
    while started.elapsed() < ttl + Duration::from_secs(2) {
        let call = Instant::now();
        let (status, body) = rest_call(&http, &server, HS_LIST, json!({"limit": 1})).await;
        slowest = slowest.max(call.elapsed());
        assert_eq!(status, 200, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = world.sandbox.oauth_events();
    let issued = events
        .iter()
        .find(|e| e.kind == OAuthEventKind::AuthorizationCode)
        .expect("the authorization code exchange");
    let first_refresh = events
        .iter()
        .find(|e| e.kind == OAuthEventKind::Refresh)
        .expect("a refresh within the token's life");
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap();
    assert!(
        first_refresh.at_ms < issued.at_ms + ttl_ms,
        "refreshed at +{} ms, the token expired at +{ttl_ms} ms",
        first_refresh.at_ms - issued.at_ms
    );
    // No call ever presented an expired token, and every refresh was the proactive refresher's.
    let failed: Vec<_> = events
        .iter()
        .filter(|e| e.kind == OAuthEventKind::ApiCall && e.failure.is_some())
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    let stats = world.coordinator.stats();
    assert!(
        stats.refreshes >= 1 && stats.proactive >= stats.refreshes,
        "{stats:?}"
    );
    world.assert_no_reuse();
    eprintln!("slowest call while refreshing proactively: {slowest:?}");
}

/// Webhook deliveries received: (headers, body).
type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

async fn webhook_receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

#[tokio::test]
async fn a_revoked_chain_means_one_webhook_auth_required_everywhere_and_a_working_reconnect() {
    let (hook_url, received) = webhook_receiver().await;
    let secret = b"whsec_test_only".to_vec();
    let world = World::start(Setup {
        webhook: Some(WebhookTarget {
            url: hook_url,
            secret: secret.clone(),
        }),
        ..Setup::default()
    })
    .await;
    world.connect("acme-hubspot", "hubspot").await;
    let server = world.server("agent", "acme-hubspot");
    let http = reqwest::Client::new();

    // The customer uninstalls the app: every token of the chain is dead.
    world.sandbox.revoke_all_chains();
    let calls = (0..20).map(|_| {
        let (http, server) = (http.clone(), server.clone());
        tokio::spawn(async move { rest_call(&http, &server, HS_LIST, json!({"limit": 1})).await })
    });
    let results = futures_join(calls).await;
    let mut reconnect = String::new();
    for (status, body) in &results {
        assert_eq!(*status, 401, "{body}");
        assert_eq!(body["error"]["type"], "auth_required", "{body}");
        let url = body["authorization_urls"]["hubspot"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{}/connect/hubspot?", world.base)),
            "{url}"
        );
        reconnect = url.to_owned();
    }
    let summary = world.store.require_account_summary("acme-hubspot").unwrap();
    assert_eq!(summary.status, AccountStatus::NeedsReauth);

    // Over MCP: a tool result with isError and the structured error an agent acts on.
    let client = ClientConfig::default()
        .serve(StreamableHttpClientTransport::from_uri(server.as_str()))
        .await
        .unwrap();
    let result = client
        .call_tool(CallToolRequestParams::new(HS_LIST.to_owned()))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    let error = &result.structured_content.clone().unwrap()["error"];
    assert_eq!(error["code"], "auth_required");
    assert_eq!(error["integration"], "hubspot");
    assert_eq!(error["account"], "acme-hubspot");
    assert!(
        error["authorization_url"]
            .as_str()
            .unwrap()
            .contains("/connect/hubspot?")
    );
    let text = format!("{:?}", result.content);
    assert!(text.contains("ask the user to open"), "{text}");
    client.cancel().await.unwrap();

    // A client that declared URL elicitation gets the protocol's own error, pointing at the link.
    let mut config = ClientConfig::default();
    config.capabilities.elicitation = Some(
        rmcp::model::ElicitationCapability::new()
            .with_url(rmcp::model::UrlElicitationCapability::new()),
    );
    let client = config
        .serve(StreamableHttpClientTransport::from_uri(server.as_str()))
        .await
        .unwrap();
    let Err(rmcp::ServiceError::McpError(error)) = client
        .call_tool(CallToolRequestParams::new(HS_LIST.to_owned()))
        .await
    else {
        panic!("URL elicitation required");
    };
    assert_eq!(error.code.0, -32042, "{error:?}");
    let elicitation = &error.data.unwrap()["elicitations"][0];
    assert_eq!(elicitation["mode"], "url");
    assert!(
        elicitation["url"]
            .as_str()
            .unwrap()
            .contains("/connect/hubspot?")
    );
    client.cancel().await.unwrap();

    // Exactly one webhook, signed over timestamp and body.
    let deadline = Instant::now() + Duration::from_secs(10);
    while received.lock().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let deliveries = received.lock().unwrap().clone();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    let (headers, body) = &deliveries[0];
    let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&secret).unwrap();
    mac.update(format!("{}.{body}", header("x-switchboard-timestamp")).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        header("x-switchboard-signature"),
        format!("sha256={expected}")
    );
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["type"], "account.needs_reauth");
    assert_eq!(event["account"], "acme-hubspot");
    assert_eq!(event["integration"], "hubspot");
    assert_eq!(event["id"], header("x-switchboard-event-id"));
    assert!(
        event["reconnect_url"]
            .as_str()
            .unwrap()
            .contains("/connect/hubspot?")
    );

    // The person reconnects through the URL the agent was given: calls work again.
    let page = browser().get(&reconnect).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let (status, body) = rest_call(&http, &server, HS_LIST, json!({"limit": 1})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        world
            .store
            .require_account_summary("acme-hubspot")
            .unwrap()
            .status,
        AccountStatus::Active
    );
    world.assert_no_reuse();
}

#[tokio::test]
async fn neither_the_database_nor_its_wal_holds_a_token_in_the_clear() {
    let world = World::start(Setup::default()).await;
    world.connect("acme-hubspot", "hubspot").await;
    world.connect("acme-salesforce", "salesforce").await;
    // A refresh writes new tokens too.
    world.sandbox.expire_access_tokens();
    let server = world.server("agent", "acme-hubspot");
    let (status, _) = rest_call(&reqwest::Client::new(), &server, HS_LIST, json!({})).await;
    assert_eq!(status, 200);

    let mut secrets = vec![world.sandbox.oauth_config().client_secret.clone()];
    for account in ["acme-hubspot", "acme-salesforce"] {
        secrets.push(world.access_token(account));
        let Claim::Granted(grant) = world.store.claim_refresh(account, 5).unwrap() else {
            panic!("{account} has a refresh token");
        };
        secrets.push(grant.refresh_token.clone());
        world.store.release_refresh(&grant).unwrap();
    }
    let mut bytes = Vec::new();
    for name in ["switchboard.db", "switchboard.db-wal"] {
        if let Ok(file) = std::fs::read(world.dir.path().join(name)) {
            bytes.extend(file);
        }
    }
    assert!(bytes.len() > 4096);
    for secret in &secrets {
        assert!(secret.len() >= 16, "{}", secret.len());
        let found = bytes
            .windows(secret.len())
            .any(|window| window == secret.as_bytes());
        assert!(
            !found,
            "a secret of {} bytes is on disk in the clear",
            secret.len()
        );
    }
    world.assert_no_reuse();
}

/// Awaits every task, in order.
async fn futures_join<T: Send + 'static>(
    tasks: impl IntoIterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

#[tokio::test]
async fn an_unreachable_provider_does_not_fail_calls_while_the_token_still_lives() {
    use switchboard_runtime::credential_source::CredentialSource;
    use switchboard_vault::{NewAccount, OAuthGrant, now_unix};

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("switchboard.db")).unwrap());
    store
        .add_oauth_app(
            NewOAuthApp {
                name: "down".into(),
                integration: "hubspot".into(),
                client_id: "id".into(),
                client_secret: "secret".into(),
                authorization_url: None,
                // Nothing listens on port 1.
                token_url: Some("http://127.0.0.1:1/oauth/v1/token".into()),
                base_url: None,
                is_default: true,
            },
            INTEGRATIONS,
        )
        .unwrap();
    let links = ConnectLinks::new("http://127.0.0.1:8080", store.connect_key());
    let coordinator = Coordinator::new(
        store.clone(),
        INTEGRATIONS,
        links,
        RefreshPolicy::default(),
        None,
    )
    .unwrap();
    for (id, expires_in, usable) in [("soon", 10, true), ("gone", -5, false)] {
        store
            .add_account(
                NewAccount {
                    oauth: Some(OAuthGrant {
                        refresh_token: Some("refresh-token-value".into()),
                        expires_at: Some(now_unix() + expires_in),
                        ..OAuthGrant::default()
                    }),
                    ..NewAccount::new(id, "hubspot", Credential::Bearer(format!("{id}-token")))
                },
                INTEGRATIONS,
            )
            .unwrap();
        let account = store.require_account(id).unwrap();
        let result = coordinator.usable(&account).await;
        assert_eq!(result.is_ok(), usable, "{id}: {result:?}");
        if let Ok(Credential::Bearer(token)) = result {
            assert_eq!(token, format!("{id}-token"));
        }
    }
    assert_eq!(coordinator.stats().refreshes, 2);
    // A failed refresh gives the lease back: the next attempt is not blocked.
    assert!(matches!(
        store.claim_refresh("soon", 30).unwrap(),
        Claim::Granted(_)
    ));
}
