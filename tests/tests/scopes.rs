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

#[tokio::test]
async fn a_read_only_grant_hides_write_tools_and_refuses_them_before_the_vendor() {
    let sandbox = switchboard_sandbox::spawn(SandboxConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("switchboard.db")).unwrap());
    store
        .add_account(
            NewAccount {
                base_url: Some(sandbox.base_url()),
                granted_scopes: Some(vec!["crm.objects.contacts.read".into(), "oauth".into()]),
                ..NewAccount::new(
                    "analytics",
                    "hubspot",
                    Credential::Bearer(sandbox.api_token().into()),
                )
            },
            switchboard_generated::INTEGRATIONS,
        )
        .unwrap();
    let (_, token) = store
        .create_server(NewServer {
            name: "analyst".into(),
            bindings: vec![switchboard_vault::ServerBinding::shared(
                "hubspot",
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
    let base = format!("http://{addr}/mcp/{token}");
    let http = reqwest::Client::new();

    let listed: Value = http
        .get(format!("{base}/tools"))
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
    assert!(names.contains(&"list_all_hub_spot_contacts"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("create_")
            || n.starts_with("update_")
            || n.starts_with("delete_")),
        "{names:?}"
    );
    assert!(
        !names.contains(&"list_all_hub_spot_deals"),
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
