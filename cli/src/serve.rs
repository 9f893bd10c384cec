//! `switchboard serve` and `switchboard mcp stdio`: the MCP front doors.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::json;
use switchboard_runtime::account::Credential;
use switchboard_runtime::executor::{Executor, ExecutorConfig};
use switchboard_runtime::filter::{ToolFilter, ToolKind};
use switchboard_sandbox::SandboxConfig;
use switchboard_server::http::{Directory, DirectoryError, HttpApp, HttpConfig};
use switchboard_server::mcp::{self, Binding, McpServer};
use switchboard_vault::{AccountStatus, MasterKey, NewAccount, NewServer, Store};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::tools::FilterArgs;
use crate::{INTEGRATIONS, shutdown_signal};

/// Where `serve --demo` starts the sandbox when the port is free (an ephemeral port otherwise).
const DEMO_SANDBOX_PORT: u16 = 9100;

/// `switchboard serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the printed URLs show the real one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Also start the sandbox in-process and serve demo servers on it (kept in memory, never
    /// written to the store); their URLs and a client configuration are printed.
    #[arg(long)]
    pub demo: bool,
    /// Extra `Host` values to accept (`host` or `host:port`; `*` accepts any). The listen address
    /// and the public URL's host are always accepted.
    #[arg(long, value_name = "HOST,...", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
    /// Browser origins to accept (`https://app.example.com`, `null`; `*` accepts any). Requests
    /// without `Origin` (agents, CLIs) are always accepted.
    #[arg(long, value_name = "ORIGIN,...", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// The public base URL (the global `--public-url` or `SWITCHBOARD_PUBLIC_URL`), filled in by
    /// `main`.
    #[arg(skip)]
    pub public_url: Option<String>,
}

/// `switchboard mcp …`.
#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Serve one account's tools over MCP on stdin/stdout (for clients that launch a process).
    Stdio(McpStdioArgs),
}

/// `switchboard mcp stdio`.
#[derive(Debug, Args)]
pub struct McpStdioArgs {
    /// The account the tools run as.
    #[arg(long, value_name = "ID")]
    pub account: String,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// An executor over the compiled tables whose cursors stay valid as long as the store's key.
pub(crate) fn executor(store: &Store) -> Arc<Executor> {
    let config = ExecutorConfig {
        cursor_key: store.cursor_key(),
        ..ExecutorConfig::default()
    };
    Arc::new(Executor::new(INTEGRATIONS, config))
}

/// Serves every server in the store over Streamable HTTP (`/mcp/<token>`) and REST until Ctrl-C
/// (or SIGTERM).
pub async fn run_serve(args: ServeArgs, store: Store) -> anyhow::Result<()> {
    let executor = executor(&store);
    // Bind first: with `--listen …:0` the URLs must show the port actually bound.
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr()?;
    let mut config = HttpConfig::new(local);
    config.public_url = args.public_url;
    config.allowed_hosts = args.allowed_hosts;
    config.allowed_origins = args.allowed_origins;
    let base_url = config.base_url();
    let servers = store.list_servers()?.len();

    let mut sandbox = None;
    let directory: Arc<dyn Directory> = if args.demo {
        let running = DemoSandbox::start().await?;
        let demo = demo_store(&running.base_url, &running.api_token, &base_url)?;
        tracing::info!(sandbox = %running.base_url, "demo sandbox running");
        sandbox = Some(running);
        Arc::new(Layered {
            first: demo,
            then: store,
        })
    } else {
        Arc::new(store)
    };

    let app = HttpApp::new(executor, directory, &config)
        .context("invalid --public-url, --allowed-hosts or --allowed-origins")?;
    tracing::info!(listen = %local, public_url = %base_url, servers, "serving MCP at {base_url}/mcp/<token>; Ctrl-C stops");
    if servers == 0 && !args.demo {
        tracing::warn!(
            "the store has no servers yet: create one with `switchboard servers create`"
        );
    }
    if local.ip().is_unspecified() && config.public_url.is_none() && config.allowed_hosts.is_empty()
    {
        tracing::warn!(
            "listening on all interfaces, but only loopback Host names are accepted: pass --public-url or --allowed-hosts for remote clients"
        );
    }
    let served = app.serve(listener, shutdown_signal()).await;
    if let Some(sandbox) = sandbox {
        sandbox.stop().await;
    }
    served.context("the server stopped")?;
    tracing::info!("stopped");
    Ok(())
}

/// The in-process sandbox of `serve --demo`.
struct DemoSandbox {
    base_url: String,
    api_token: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl DemoSandbox {
    /// Starts the sandbox on 127.0.0.1:9100, or on a free port when 9100 is taken.
    async fn start() -> anyhow::Result<Self> {
        let listener = match TcpListener::bind((Ipv4Addr::LOCALHOST, DEMO_SANDBOX_PORT)).await {
            Ok(listener) => listener,
            Err(_) => TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .context("cannot start the demo sandbox")?,
        };
        let addr = listener.local_addr()?;
        let config = SandboxConfig::default();
        let api_token = config.api_token.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(switchboard_sandbox::serve_until(
            listener,
            config,
            async move {
                let _ = stopped.await;
            },
        ));
        Ok(Self {
            base_url: format!("http://{addr}"),
            api_token,
            stop,
            task,
        })
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "demo sandbox stopped with an error"),
            Err(error) => tracing::warn!(%error, "demo sandbox task failed"),
        }
    }
}

/// An in-memory store holding one demo account (`demo-<integration>`) and three demo servers
/// (`demo-<integration>` with every tool, `demo-<integration>-read` with `--methods read`,
/// `demo-<integration>-unified` with `--kinds unified`) per
/// integration that takes bearer tokens, pointed at the sandbox. Prints the sandbox's URL
/// (`demo_sandbox_url=<url>`), the servers' URLs (one `demo_server=<name> mcp_url=<url>` line each),
/// then a client configuration (`mcpServers`).
///
/// Nothing is written to the operator's store, so restarts never pile up demo rows; the URLs change
/// on every start.
fn demo_store(sandbox_url: &str, sandbox_token: &str, base_url: &str) -> anyhow::Result<Store> {
    let demo = Store::open_with_key(":memory:", MasterKey::generate()?)?;
    let read_only = ToolFilter::default().with_methods("read")?;
    let unified_only = ToolFilter {
        kinds: Some([ToolKind::Unified].into()),
        ..ToolFilter::default()
    };
    println!("demo_sandbox_url={sandbox_url}");
    let mut urls = BTreeMap::new();
    for integration in INTEGRATIONS.iter().filter(|i| i.auth.accepts_bearer()) {
        let account = format!("demo-{}", integration.name);
        // The sandbox serves every vendor at its origin (HubSpot's base URL, Salesforce's
        // instance URL).
        demo.add_account(
            NewAccount {
                id: account.clone(),
                integration: integration.name.to_owned(),
                base_url: Some(sandbox_url.to_owned()),
                credential: Credential::Bearer(sandbox_token.to_owned()),
                granted_scopes: None,
            },
            INTEGRATIONS,
        )?;
        for (name, filter) in [
            (account.clone(), ToolFilter::default()),
            (format!("{account}-read"), read_only.clone()),
            // The canonical tools only: the same agent prompt works whichever CRM is behind it.
            (format!("{account}-unified"), unified_only.clone()),
        ] {
            let (server, token) = demo.create_server(NewServer {
                name,
                account_id: account.clone(),
                filter,
                expires_at: None,
            })?;
            urls.insert(server.name, format!("{base_url}/mcp/{token}"));
        }
    }
    for (name, url) in &urls {
        println!("demo_server={name} mcp_url={url}");
    }
    let servers: serde_json::Map<String, serde_json::Value> = urls
        .iter()
        .map(|(name, url)| (name.clone(), json!({ "url": url })))
        .collect();
    let client_config = json!({ "mcpServers": servers });
    println!();
    println!(
        "# MCP client configuration (Claude Desktop, Cursor, …: paste into its mcpServers file):"
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&client_config)
            .context("cannot render the client configuration")?
    );
    println!();
    Ok(demo)
}

/// Resolves tokens in `first`, then in `then` (demo servers before the store's).
struct Layered {
    first: Store,
    then: Store,
}

impl Directory for Layered {
    fn resolve(&self, token: &str) -> Result<Option<Binding>, DirectoryError> {
        match self.first.resolve(token)? {
            Some(binding) => Ok(Some(binding)),
            None => self.then.resolve(token),
        }
    }
}

/// Serves one account's tools over MCP on stdin/stdout until the client closes the stream.
/// Logs go to stderr: stdout carries only protocol messages.
pub async fn run_mcp_stdio(args: McpStdioArgs, store: Store) -> anyhow::Result<()> {
    let summary = store.require_account_summary(&args.account)?;
    if summary.status == AccountStatus::NeedsReauth {
        tracing::warn!(account = %summary.id, "account needs to be connected again; calls will fail with auth_required");
    }
    let account = store.require_account(&args.account)?;
    let filter = args.filter.to_filter(None);
    tracing::info!(account = %account.id, filter = %filter, "serving MCP on stdio");
    let server = McpServer::new(
        executor(&store),
        format!("stdio:{}", account.id),
        account,
        filter,
    );
    drop(store);
    mcp::serve_stdio(server).await.context("MCP over stdio")?;
    Ok(())
}
