//! Per-tenant OAuth worlds: the sandbox with strict identity providers, a store on disk with the
//! sandbox's OAuth apps, and Switchboard serving it with the refresh coordinator and connect routes.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use switchboard_oauth::{
    ConnectLinks, Connector, Coordinator, LinkTarget, RefreshPolicy, WebhookTarget,
};
use switchboard_runtime::account::Credential;
use switchboard_runtime::executor::{Executor, ExecutorConfig};
use switchboard_runtime::filter::ToolFilter;
use switchboard_sandbox::{OAuthConfig, SandboxConfig, SandboxHandle};
use switchboard_server::http::{Directory, HttpApp, HttpConfig};
use switchboard_vault::{NewOAuthApp, NewServer, Store};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Every compiled integration.
pub static INTEGRATIONS: &[&switchboard_runtime::table::Integration] =
    switchboard_generated::INTEGRATIONS;

/// The HubSpot contacts list tool.
pub const HS_LIST: &str = "list_all_hub_spot_contacts";
/// The Salesforce contacts list tool.
pub const SF_LIST: &str = "list_all_salesforce_contacts";

/// What a world is started with.
pub struct Setup {
    pub token_ttl: Duration,
    pub policy: RefreshPolicy,
    pub webhook: Option<WebhookTarget>,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(1800),
            policy: RefreshPolicy::default(),
            webhook: None,
        }
    }
}

/// The sandbox (strict identity providers), a store on disk, and Switchboard serving it.
pub struct World {
    pub sandbox: SandboxHandle,
    pub store: Arc<Store>,
    pub coordinator: Coordinator,
    pub executor: Arc<Executor>,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub _stop: oneshot::Sender<()>,
}

/// `https://vendor.example/path` moved onto `origin`.
pub fn on_origin(url: &str, origin: &str) -> String {
    let parsed = reqwest::Url::parse(url).unwrap();
    format!("{origin}{}", parsed.path())
}

/// A browser: follows redirects, keeps cookies.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Adds each OAuth integration's default app: the sandbox's client, at the sandbox's endpoints.
pub async fn add_sandbox_apps(store: &Store, sandbox: &SandboxHandle) {
    // Where the sandbox serves each vendor's endpoints (Pipedrive's differ from the real paths).
    let index: serde_json::Value = reqwest::get(sandbox.base_url())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for integration in INTEGRATIONS {
        if integration.auth.oauth2.is_none() {
            continue;
        }
        let endpoints = &index["oauth_endpoints"][integration.name];
        let path = |key: &str| {
            let path = endpoints[key].as_str().unwrap();
            format!("{}{path}", sandbox.base_url().trim_end_matches('/'))
        };
        let config = sandbox.oauth_config();
        store
            .add_oauth_app(
                NewOAuthApp {
                    name: format!("sandbox-{}", integration.name),
                    integration: integration.name.to_owned(),
                    client_id: config.client_id.clone(),
                    client_secret: config.client_secret.clone(),
                    authorization_url: Some(path("authorization_path")),
                    token_url: Some(path("token_path")),
                    base_url: Some(sandbox.base_url()),
                    is_default: true,
                },
                INTEGRATIONS,
            )
            .unwrap();
    }
}

impl World {
    pub async fn start(setup: Setup) -> Self {
        let sandbox = switchboard_sandbox::spawn(SandboxConfig {
            oauth: OAuthConfig {
                token_ttl: setup.token_ttl,
                strict_rotation: true,
                ..OAuthConfig::default()
            },
            ..SandboxConfig::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path().join("switchboard.db")).unwrap());
        add_sandbox_apps(&store, &sandbox).await;

        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let links = ConnectLinks::new(&base, store.connect_key());
        let coordinator = Coordinator::new(
            store.clone(),
            INTEGRATIONS,
            links.clone(),
            setup.policy,
            setup.webhook.clone(),
        )
        .unwrap();
        let connector =
            Connector::new(store.clone(), INTEGRATIONS, links, Duration::from_secs(10)).unwrap();
        let executor = Arc::new(Executor::with_credentials(
            INTEGRATIONS,
            ExecutorConfig {
                cursor_key: store.cursor_key(),
                ..ExecutorConfig::default()
            },
            Arc::new(coordinator.clone()),
        ));
        let mut config = HttpConfig::new(addr);
        config.public_url = Some(base.clone());
        config.connectors = vec![Arc::new(connector)];
        let directory: Arc<dyn Directory> = store.clone();
        let app = HttpApp::new(executor.clone(), directory, &config).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.serve(listener, async move {
            let _ = stopped.await;
        }));
        tokio::spawn(coordinator.clone().run_proactive());
        if let Some(target) = setup.webhook {
            tokio::spawn(switchboard_oauth::run_deliveries(
                store.clone(),
                target,
                Duration::from_millis(200),
            ));
        }
        Self {
            sandbox,
            store,
            coordinator,
            executor,
            base,
            dir,
            _stop: stop,
        }
    }

    /// A signed connect link for a new `account` asking for every scope its tools need.
    pub fn connect_link(&self, account: &str, integration: &str) -> String {
        let table = INTEGRATIONS.iter().find(|i| i.name == integration).unwrap();
        ConnectLinks::new(&self.base, self.store.connect_key()).link(&LinkTarget {
            integration: integration.to_owned(),
            account: account.to_owned(),
            user: None,
            scopes: ToolFilter::default()
                .needed_scopes(table)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            expires_at: switchboard_vault::now_unix() + 600,
        })
    }

    /// Connects `account` the way a person does: opens the connect link in a browser, which goes
    /// through the provider's consent and back to the callback. Returns the final page.
    pub async fn connect(&self, account: &str, integration: &str) -> (u16, String) {
        let link = self.connect_link(account, integration);
        let page = browser().get(&link).send().await.unwrap();
        let status = page.status().as_u16();
        (status, page.text().await.unwrap())
    }

    /// A read-write server on `account`; its REST base URL.
    pub fn server(&self, name: &str, account: &str) -> String {
        let (_, token) = self
            .store
            .create_server(NewServer {
                name: name.to_owned(),
                bindings: vec![switchboard_vault::ServerBinding::shared(
                    self.store
                        .require_account_summary(account)
                        .unwrap()
                        .integration,
                    account,
                )],
                filter: ToolFilter::default(),
                expires_at: None,
                require_api_token: false,
                options: Default::default(),
            })
            .unwrap();
        format!("{}/mcp/{token}", self.base)
    }

    /// The current access token (read from the store) of `account`.
    pub fn access_token(&self, account: &str) -> String {
        match self.store.require_account(account).unwrap().credential {
            Credential::Bearer(token) => token,
            other => panic!("not a bearer token: {other:?}"),
        }
    }

    /// Every token-endpoint refresh the sandbox has seen.
    pub fn refreshes(&self) -> u64 {
        self.sandbox.oauth_stats().refreshes
    }

    /// Never: Switchboard must not spend a refresh token twice.
    pub fn assert_no_reuse(&self) {
        let stats = self.sandbox.oauth_stats();
        assert_eq!(stats.reuse_detections, 0, "{stats:?}");
    }
}

pub async fn rest_call(
    http: &reqwest::Client,
    server: &str,
    tool: &str,
    args: Value,
) -> (u16, Value) {
    let response = http
        .post(format!("{server}/tools/{tool}"))
        .json(&args)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
