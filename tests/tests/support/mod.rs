//! A running Switchboard in front of a running sandbox, on ephemeral 127.0.0.1 ports, for one test.
//! Everything stops when the [`Harness`] is dropped.

#![allow(dead_code)] // Each test file uses a different part.

pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use switchboard_runtime::account::Credential;
use switchboard_runtime::executor::{Executor, ExecutorConfig};
use switchboard_runtime::filter::{CustomFilter, ToolFilter};
use switchboard_runtime::table::MethodKind;
use switchboard_sandbox::{RateBudget, SandboxConfig};
use switchboard_server::http::{HttpApp, HttpConfig};
use switchboard_vault::{NewAccount, NewServer, Store};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// What to start.
pub struct Options {
    /// Tools per `tools/list` page.
    pub page_size: usize,
    /// The sandbox's request budget.
    pub rate_budget: Option<RateBudget>,
    /// Last changes to the HTTP configuration (admin API, connectors), given the store.
    pub configure: Option<Configure>,
}

/// Changes the HTTP configuration of a [`Harness`] before it starts.
pub type Configure = Box<dyn FnOnce(&mut HttpConfig, &Arc<Store>) + Send>;

impl Default for Options {
    fn default() -> Self {
        Self {
            page_size: 100,
            rate_budget: None,
            configure: None,
        }
    }
}

/// A sandbox, a store with one HubSpot account and two servers (read-only and read-write), and the
/// HTTP server.
pub struct Harness {
    /// `http://127.0.0.1:<port>` of Switchboard.
    pub base: String,
    /// Switchboard's address.
    pub addr: SocketAddr,
    /// The read-only server's capability token.
    pub read_token: String,
    /// The read-write server's capability token.
    pub write_token: String,
    /// A read-write server on a Salesforce account of the same sandbox.
    pub salesforce_token: String,
    /// Requests the sandbox has received.
    upstream: Arc<AtomicU64>,
    stops: Vec<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Harness {
    pub async fn start(options: Options) -> Self {
        let upstream = Arc::new(AtomicU64::new(0));
        let (sandbox_url, sandbox_stop) =
            spawn_sandbox(options.rate_budget, upstream.clone()).await;

        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("switchboard.db")).unwrap();
        store
            .add_account(
                NewAccount {
                    id: "acme-hubspot".into(),
                    integration: "hubspot".into(),
                    base_url: Some(sandbox_url.clone()),
                    credential: Credential::Bearer(switchboard_sandbox::DEFAULT_API_TOKEN.into()),
                    granted_scopes: None,
                    user: None,
                    oauth: None,
                },
                switchboard_generated::INTEGRATIONS,
            )
            .unwrap();
        // The sandbox serves Salesforce on the same origin, with the same people.
        store
            .add_account(
                NewAccount {
                    id: "acme-salesforce".into(),
                    integration: "salesforce".into(),
                    base_url: Some(sandbox_url),
                    credential: Credential::Bearer(switchboard_sandbox::DEFAULT_API_TOKEN.into()),
                    granted_scopes: None,
                    user: None,
                    oauth: None,
                },
                switchboard_generated::INTEGRATIONS,
            )
            .unwrap();
        // `--methods read`: list, get, search and read-only custom methods.
        let read_only = ToolFilter {
            methods: Some([MethodKind::List, MethodKind::Get, MethodKind::Search].into()),
            write_custom: CustomFilter::ReadOnly,
            ..ToolFilter::default()
        };
        let (_, read_token) = store
            .create_server(NewServer {
                name: "hubspot-reader".into(),
                bindings: vec![switchboard_vault::ServerBinding::shared(
                    "hubspot",
                    "acme-hubspot",
                )],
                filter: read_only,
                expires_at: None,
                require_api_token: false,
                options: Default::default(),
            })
            .unwrap();
        let (_, write_token) = store
            .create_server(NewServer {
                name: "hubspot-writer".into(),
                bindings: vec![switchboard_vault::ServerBinding::shared(
                    "hubspot",
                    "acme-hubspot",
                )],
                filter: ToolFilter::default(),
                expires_at: None,
                require_api_token: false,
                options: Default::default(),
            })
            .unwrap();

        let (_, salesforce_token) = store
            .create_server(NewServer {
                name: "salesforce-writer".into(),
                bindings: vec![switchboard_vault::ServerBinding::shared(
                    "salesforce",
                    "acme-salesforce",
                )],
                filter: ToolFilter::default(),
                expires_at: None,
                require_api_token: false,
                options: Default::default(),
            })
            .unwrap();

        let executor = Executor::new(
            switchboard_generated::INTEGRATIONS,
            ExecutorConfig {
                cursor_key: store.cursor_key(),
                ..ExecutorConfig::default()
            },
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = HttpConfig::new(addr);
        config.page_size = options.page_size;
        let store = Arc::new(store);
        if let Some(configure) = options.configure {
            configure(&mut config, &store);
        }
        let app = HttpApp::new(Arc::new(executor), store, &config).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.serve(listener, async move {
            let _ = stopped.await;
        }));

        Self {
            base: format!("http://{addr}"),
            addr,
            read_token,
            write_token,
            salesforce_token,
            upstream,
            stops: vec![stop, sandbox_stop],
            _dir: dir,
        }
    }

    /// A second handle on the harness's store (SQLite allows several), for tests that change servers
    /// while Switchboard runs.
    pub fn store(&self) -> Store {
        Store::open(self._dir.path().join("switchboard.db")).unwrap()
    }

    /// The MCP URL of the server a token opens.
    pub fn mcp_url(&self, token: &str) -> String {
        format!("{}/mcp/{token}", self.base)
    }

    /// The REST URL of one tool.
    pub fn rest_url(&self, token: &str, tool: &str) -> String {
        format!("{}/mcp/{token}/tools/{tool}", self.base)
    }

    /// Requests the sandbox has received so far.
    pub fn upstream_requests(&self) -> u64 {
        self.upstream.load(Ordering::SeqCst)
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

/// The sandbox behind a layer counting the requests it receives.
async fn spawn_sandbox(
    rate_budget: Option<RateBudget>,
    counter: Arc<AtomicU64>,
) -> (String, oneshot::Sender<()>) {
    let config = SandboxConfig {
        rate_limit: rate_budget,
        ..SandboxConfig::default()
    };
    let router = switchboard_sandbox::router(config).layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                next.run(request).await
            }
        },
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    (format!("http://{addr}"), stop)
}

/// A budget of `n` requests per minute: the `n + 1`-th request in a test is rate-limited.
pub fn budget(n: u32) -> Option<RateBudget> {
    Some(RateBudget::new(n, Duration::from_secs(60)))
}
