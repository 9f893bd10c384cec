//! Scopes as least privilege: an account granted only read scopes never sees write tools, and a call
//! to one is refused naming the missing scopes, without any vendor request.

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::Ipv4Addr;
use std::sync::Arc;

use serde_json::{Value, json};
use switchboard_runtime::account::Credential;
use switchboard_runtime::executor::{Executor, ExecutorConfig};
use switchboard_runtime::filter::ToolFilter;
use switchboard_sandbox::SandboxConfig;
use switchboard_server::http::{Directory, HttpApp, HttpConfig};
use switchboard_vault::{NewAccount, NewServer, Store};
use tokio::net::TcpListener;

/// A server over one account of the sandbox, with what it runs on.
struct Served {
    /// The server's REST base URL.
    base: String,
    sandbox: switchboard_sandbox::SandboxHandle,
    _store_dir: tempfile::TempDir,
}

/// A server over one account of the sandbox with the given credential and granted scopes.
async fn serve(integration: &str, credential: Credential, granted: &[&str]) -> Served {
    let sandbox = switchboard_sandbox::spawn(SandboxConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("switchboard.db")).unwrap());
    store
        .add_account(
            NewAccount {
                base_url: Some(sandbox.base_url()),
                granted_scopes: Some(granted.iter().map(|s| (*s).to_owned()).collect()),
                ..NewAccount::new("analytics", integration, credential)
            },
            switchboard_generated::INTEGRATIONS,
        )
        .unwrap();
    let (_, token) = store
        .create_server(NewServer {
            name: "analyst".into(),
            bindings: vec![switchboard_vault::ServerBinding::shared(
                integration,
                "analytics",
            )],
            filter: ToolFilter::default(),
            expires_at: None,
            require_api_token: false,
            options: Default::default(),
        })
        .unwrap();
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let executor = Arc::new(Executor::new(
        switchboard_generated::INTEGRATIONS,
        ExecutorConfig::default(),
    ));
    let directory: Arc<dyn Directory> = store.clone();
    let app = HttpApp::new(executor, directory, &HttpConfig::new(addr)).unwrap();
    tokio::spawn(app.serve(listener, std::future::pending()));
    Served {
        base: format!("http://{addr}/mcp/{token}"),
        sandbox,
        _store_dir: dir,
    }
}

/// The names of the tools a server lists.
async fn listed(http: &reqwest::Client, base: &str) -> Vec<String> {
    let listed: Value = http
        .get(format!("{base}/tools"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_read_only_grant_hides_write_tools_and_refuses_them_before_the_vendor() {
    let Served {
        base,
        sandbox,
        _store_dir,
    } = serve(
        "hubspot",
        Credential::Bearer(switchboard_sandbox::DEFAULT_API_TOKEN.into()),
        &["crm.objects.contacts.read", "oauth"],
    )
    .await;
    let http = reqwest::Client::new();

    let names = listed(&http, &base).await;
    assert!(
        names.iter().any(|n| n == "list_all_hub_spot_contacts"),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("create_")
            || n.starts_with("update_")
            || n.starts_with("delete_")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n == "list_all_hub_spot_deals"),
        "deals were not granted: {names:?}"
    );

    let calls_before = sandbox.oauth_events().len();
    let refused = http
        .post(format!("{base}/tools/create_a_hub_spot_contact"))
        .json(&json!({"properties": {"email": "new@example.com"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "insufficient_scope", "{body}");
    assert_eq!(
        body["error"]["missing_scopes"],
        json!(["crm.objects.contacts.write"]),
        "{body}"
    );
    assert_eq!(
        sandbox.oauth_events().len(),
        calls_before,
        "no vendor request was made"
    );

    // A granted tool works.
    let ok = http
        .post(format!("{base}/tools/list_all_hub_spot_contacts"))
        .json(&json!({"limit": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

/// Zendesk's `read` grants every resource's `…:read` scope (its definition's `broader_scopes`): an
/// account whose app was granted `read` is served the read tools, and still not the write ones.
#[tokio::test]
async fn a_broad_scope_grants_the_narrow_ones_it_covers() {
    let Served {
        base,
        sandbox: _sandbox,
        _store_dir,
    } = serve(
        "zendesk",
        Credential::Basic {
            username: "agent@example.com/token".into(),
            password: switchboard_sandbox::DEFAULT_API_TOKEN.into(),
        },
        &["read"],
    )
    .await;
    let http = reqwest::Client::new();
    let names = listed(&http, &base).await;
    for read in [
        "list_all_zendesk_tickets",
        "get_single_zendesk_user_by_id",
        "list_all_zendesk_organizations",
        "list_all_ticketing_tickets",
    ] {
        assert!(names.iter().any(|n| n == read), "{read} not in {names:?}");
    }
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("create_") || n.starts_with("update_")),
        "`read` grants no write: {names:?}"
    );
    let ok = http
        .post(format!("{base}/tools/list_all_zendesk_tickets"))
        .json(&json!({"limit": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "{}", ok.text().await.unwrap());
    let refused = http
        .post(format!("{base}/tools/create_a_zendesk_ticket"))
        .json(&json!({"ticket": {"comment": {"body": "Hello"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"]["missing_scopes"],
        json!(["tickets:write"]),
        "{body}"
    );
}
