//! `switchboard serve` and `switchboard mcp stdio`: the MCP front doors.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::json;
use switchboard_oauth::{
    ConnectLinks, ConnectRequest, Connector, Coordinator, RefreshPolicy, WebhookTarget,
};
use switchboard_runtime::account::{Account, Credential};
use switchboard_runtime::credential_source::{CredentialFuture, CredentialSource};
use switchboard_runtime::executor::{Executor, ExecutorConfig};
use switchboard_runtime::filter::{ToolFilter, ToolKind};
use switchboard_sandbox::SandboxConfig;
use switchboard_server::audit::{AuditLog, Via};
use switchboard_server::http::{
    ADMIN_TOKEN_ENV, AdminToken, ApiCaller, Directory, DirectoryError, HttpApp, HttpConfig,
};
use switchboard_server::mcp::{self, Binding, McpServer};
use switchboard_server::metrics::Metrics;
use switchboard_vault::{
    AccountStatus, Exposure, MasterKey, NewOAuthApp, NewServer, OAuthSettings, ServerBinding,
    ServerOptions, Store,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::tools::{FilterArgs, OptionsArgs};
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
    /// Deliver a signed webhook here when an account needs re-authorization (its refresh token
    /// died). The HMAC key is read from `SWITCHBOARD_WEBHOOK_SECRET`.
    #[arg(long, value_name = "URL")]
    pub webhook_url: Option<String>,
    /// When OAuth tokens are refreshed ahead of expiry, in seconds before it: `MIN-MAX` (each
    /// account gets its own point in the window, so refreshes spread out).
    #[arg(long, value_name = "MIN-MAX", default_value = "60-180", value_parser = parse_window)]
    pub refresh_before: (u64, u64),
    /// How long audit events (one per tool call, in the store; `switchboard audit` reads them) are
    /// kept: `90d`, `12h`, … Older ones are deleted at start and hourly. Kept forever when unset.
    #[arg(long, value_name = "DURATION", value_parser = crate::audit::parse_retention)]
    pub audit_retention: Option<Duration>,
    /// Turn on the admin API (`/admin/…`, described at `/admin/openapi.json`) with the token in this
    /// environment variable (at least 32 characters). Default: SWITCHBOARD_ADMIN_TOKEN; off when unset.
    #[arg(long, value_name = "NAME")]
    pub admin_token_env: Option<String>,
    /// Access-token lifetime of the demo sandbox's identity providers, in seconds (with --demo).
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub demo_token_ttl: u64,
    /// The public base URL (the global `--public-url` or `SWITCHBOARD_PUBLIC_URL`), filled in by
    /// `main`.
    #[arg(skip)]
    pub public_url: Option<String>,
}

/// Environment variable holding the webhook signing key.
pub const WEBHOOK_SECRET_ENV: &str = "SWITCHBOARD_WEBHOOK_SECRET";

/// `60-180` → (60, 180).
fn parse_window(text: &str) -> Result<(u64, u64), String> {
    let parse = |part: &str| {
        part.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{text}` must be MIN-MAX in seconds, e.g. 60-180"))
    };
    let (min, max) = match text.split_once('-') {
        Some((min, max)) => (parse(min)?, parse(max)?),
        None => {
            let one = parse(text)?;
            (one, one)
        }
    };
    if min > max {
        return Err(format!("`{text}`: MIN is larger than MAX"));
    }
    Ok((min, max))
}

/// How refreshes run for `serve`: the window, and a scan often enough to hit it.
fn refresh_policy(window: (u64, u64)) -> RefreshPolicy {
    let (min, max) = window;
    RefreshPolicy {
        proactive_min: Duration::from_secs(min),
        proactive_max: Duration::from_secs(max),
        // A call refreshes first only when the proactive refresher should already have acted.
        on_call_margin: Duration::from_secs((min / 2).min(30)),
        scan_every: Duration::from_secs((min / 3).clamp(1, 10)),
        ..RefreshPolicy::default()
    }
}

/// One store's credential machinery: the refresh coordinator and the connector.
#[derive(Clone)]
pub(crate) struct OAuthStack {
    pub(crate) coordinator: Coordinator,
    pub(crate) connector: Arc<Connector>,
}

/// The refresh coordinator and connector of `store`, for a server reached at `base_url`.
pub(crate) fn oauth_stack(
    store: &Arc<Store>,
    base_url: &str,
    policy: RefreshPolicy,
    webhook: Option<WebhookTarget>,
) -> anyhow::Result<OAuthStack> {
    let links = ConnectLinks::new(base_url, store.connect_key());
    let timeout = policy.timeout;
    let coordinator = Coordinator::new(store.clone(), INTEGRATIONS, links.clone(), policy, webhook)
        .context("cannot start the refresh coordinator")?;
    let connector = Connector::new(store.clone(), INTEGRATIONS, links, timeout)
        .context("cannot start the connector")?;
    Ok(OAuthStack {
        coordinator,
        connector: Arc::new(connector),
    })
}

fn webhook_target(url: Option<String>) -> anyhow::Result<Option<WebhookTarget>> {
    let Some(url) = url else {
        return Ok(None);
    };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        anyhow::bail!("--webhook-url `{url}` must start with http:// or https://");
    }
    let secret = std::env::var(WEBHOOK_SECRET_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .with_context(|| {
            format!(
                "--webhook-url needs {WEBHOOK_SECRET_ENV}: the key receivers check signatures with"
            )
        })?;
    Ok(Some(WebhookTarget {
        url,
        secret: secret.into_bytes(),
    }))
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
    #[command(flatten)]
    pub options: OptionsArgs,
}

/// An executor over the compiled tables whose cursors stay valid as long as the store's key, taking
/// credentials from `credentials`.
pub(crate) fn executor(store: &Store, credentials: Arc<dyn CredentialSource>) -> Arc<Executor> {
    let config = ExecutorConfig {
        cursor_key: store.cursor_key(),
        ..ExecutorConfig::default()
    };
    Arc::new(Executor::with_credentials(
        INTEGRATIONS,
        config,
        credentials,
    ))
}

/// Serves every server in the store over Streamable HTTP (`/mcp/<token>`) and REST until Ctrl-C
/// (or SIGTERM).
pub async fn run_serve(args: ServeArgs, store: Store) -> anyhow::Result<()> {
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
    let cursor_key = store.cursor_key();
    let store = Arc::new(store);
    let webhook = webhook_target(args.webhook_url)?;
    let policy = refresh_policy(args.refresh_before);
    let main = oauth_stack(&store, &base_url, policy.clone(), webhook.clone())?;
    let mut background = vec![tokio::spawn(main.coordinator.clone().run_proactive())];
    if let Some(target) = webhook {
        background.push(tokio::spawn(switchboard_oauth::run_deliveries(
            store.clone(),
            target,
            Duration::from_secs(1),
        )));
    }

    let (var, explicit) = match &args.admin_token_env {
        Some(name) => (name.as_str(), true),
        None => (ADMIN_TOKEN_ENV, false),
    };
    match std::env::var(var) {
        Ok(token) if !token.is_empty() => {
            config.admin_token = Some(
                AdminToken::new(&token)
                    .with_context(|| format!("invalid admin token in `{var}`"))?,
            );
            config.admin_store = Some(store.clone());
            tracing::info!("admin API on at {base_url}/admin (see {base_url}/admin/openapi.json)");
        }
        Err(std::env::VarError::NotUnicode(_)) => anyhow::bail!("`{var}` is not valid UTF-8"),
        _ if explicit => anyhow::bail!("--admin-token-env names `{var}`, which is unset or empty"),
        _ => {}
    }
    // Every call's event, in the operator's store (demo servers' calls too).
    let audit = AuditLog::start(store.clone(), args.audit_retention);
    let mut sandbox = None;
    let coordinators: Vec<Coordinator>;
    let (directory, credentials): (Arc<dyn Directory>, Arc<dyn CredentialSource>) = if args.demo {
        let running = DemoSandbox::start(Duration::from_secs(args.demo_token_ttl)).await?;
        let demo = Arc::new(Store::open_with_key(":memory:", MasterKey::generate()?)?);
        let demo_stack = oauth_stack(&demo, &base_url, policy, None)?;
        demo_accounts(&demo, &demo_stack.connector, &running.base_url).await?;
        demo_servers(&demo, &running.base_url, &base_url)?;
        tracing::info!(sandbox = %running.base_url, "demo sandbox running");
        sandbox = Some(running);
        background.push(tokio::spawn(demo_stack.coordinator.clone().run_proactive()));
        config.connectors = vec![demo_stack.connector.clone(), main.connector.clone()];
        coordinators = vec![demo_stack.coordinator.clone(), main.coordinator.clone()];
        let credentials = Arc::new(DemoFirst {
            demo_store: demo.clone(),
            demo: demo_stack.coordinator,
            main: main.coordinator,
        });
        let directory = Arc::new(Layered {
            first: demo,
            then: store.clone(),
        });
        (directory, credentials)
    } else {
        config.connectors = vec![main.connector.clone()];
        coordinators = vec![main.coordinator.clone()];
        (store.clone(), Arc::new(main.coordinator))
    };
    config.audit = audit.clone();
    config.metrics = Some(Arc::new(metrics(coordinators, &audit, &store)));
    let executor = Arc::new(Executor::with_credentials(
        INTEGRATIONS,
        ExecutorConfig {
            cursor_key,
            ..ExecutorConfig::default()
        },
        credentials,
    ));

    let app = HttpApp::new(executor, directory, &config)
        .context("invalid --public-url, --allowed-hosts or --allowed-origins")?;
    tracing::info!(listen = %local, public_url = %base_url, servers, store = %store.location(), "serving MCP at {base_url}/mcp/<token>; Ctrl-C stops");
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
    for task in background {
        task.abort();
    }
    // Every call answered has its audit event in the store before the process ends.
    audit.flush().await;
    if let Some(sandbox) = sandbox {
        sandbox.stop().await;
    }
    served.context("the server stopped")?;
    tracing::info!("stopped");
    Ok(())
}

/// `/metrics`: every call, plus the coordinators' refresh counters, the audit log's losses and
/// writes, and the store's trips to its database.
fn metrics(coordinators: Vec<Coordinator>, audit: &AuditLog, store: &Arc<Store>) -> Metrics {
    let mut metrics = Metrics::new();
    let coordinators = Arc::new(coordinators);
    type Read = fn(&switchboard_oauth::RefreshStats) -> u64;
    let counters: [(&'static str, &'static str, Read); 4] = [
        (
            "oauth_refreshes",
            "OAuth token refreshes made (calls and proactive)",
            |s| s.refreshes,
        ),
        (
            "oauth_proactive_refreshes",
            "Of those, made ahead of expiry by the proactive refresher",
            |s| s.proactive,
        ),
        (
            "oauth_refreshes_skipped",
            "Refreshes skipped because another caller or process had just made one",
            |s| s.skipped,
        ),
        (
            "oauth_dead_grants",
            "Accounts marked needs_reauth (their refresh token died)",
            |s| s.dead_grants,
        ),
    ];
    for (name, help, read) in counters {
        let coordinators = coordinators.clone();
        metrics.register_counter_fn(
            name,
            help,
            Box::new(move || coordinators.iter().map(|c| read(&c.stats())).sum()),
        );
    }
    let log = audit.clone();
    metrics.register_counter_fn(
        "audit_events_dropped",
        "Audit events not stored because the store fell behind (they are still in the log)",
        Box::new(move || log.stats().dropped),
    );
    let log = audit.clone();
    metrics.register_counter_fn(
        "audit_events_failed",
        "Audit events whose write to the store failed",
        Box::new(move || log.stats().failed),
    );
    let log = audit.clone();
    metrics.register_counter_fn(
        "audit_batches",
        "Writes of audit events to the store (each a batch in one transaction)",
        Box::new(move || log.stats().batches),
    );
    let store = Arc::clone(store);
    metrics.register_counter_fn(
        "store_round_trips",
        "Statements and transactions sent to the store's database, audit batches included; a call served from the caches sends none",
        Box::new(move || store.round_trips()),
    );
    metrics
}

/// The in-process sandbox of `serve --demo`.
struct DemoSandbox {
    base_url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl DemoSandbox {
    /// Starts the sandbox on 127.0.0.1:9100, or on a free port when 9100 is taken; its identity
    /// providers issue access tokens living `token_ttl`.
    async fn start(token_ttl: Duration) -> anyhow::Result<Self> {
        let listener = match TcpListener::bind((Ipv4Addr::LOCALHOST, DEMO_SANDBOX_PORT)).await {
            Ok(listener) => listener,
            Err(_) => TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .context("cannot start the demo sandbox")?,
        };
        let addr = listener.local_addr()?;
        let mut config = SandboxConfig::default();
        config.oauth.token_ttl = token_ttl;
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

/// The OAuth app every demo account uses: the sandbox's client.
const DEMO_APP_PREFIX: &str = "sandbox-";

/// Connects one demo account (`demo-<integration>`) per OAuth integration through the sandbox's
/// identity provider, the way a person would: the authorization URL, the provider's consent (the
/// sandbox consents at once), the redirect back with a code, the code exchange. Where each
/// provider's endpoints are on the sandbox comes from the sandbox's own index
/// (`oauth_endpoints.<integration>`); an integration the sandbox has no provider for gets no demo
/// account.
async fn demo_accounts(
    demo: &Arc<Store>,
    connector: &Connector,
    sandbox_url: &str,
) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot start an HTTP client")?;
    let oauth = switchboard_sandbox::OAuthConfig::default();
    let index: serde_json::Value = http
        .get(sandbox_url)
        .send()
        .await
        .context("the sandbox's index did not answer")?
        .json()
        .await
        .context("the sandbox's index is not JSON")?;
    for integration in INTEGRATIONS {
        if integration.auth.oauth2.is_none() {
            continue;
        }
        let endpoints = &index["oauth_endpoints"][integration.name];
        let (Some(authorization), Some(token)) = (
            endpoints["authorization_path"].as_str(),
            endpoints["token_path"].as_str(),
        ) else {
            tracing::info!(
                integration = integration.name,
                "the sandbox has no identity provider for this integration: no demo account"
            );
            continue;
        };
        let origin = sandbox_url.trim_end_matches('/');
        let app = format!("{DEMO_APP_PREFIX}{}", integration.name);
        demo.add_oauth_app(
            NewOAuthApp {
                name: app,
                integration: integration.name.to_owned(),
                client_id: oauth.client_id.clone(),
                client_secret: oauth.client_secret.clone(),
                authorization_url: Some(format!("{origin}{authorization}")),
                token_url: Some(format!("{origin}{token}")),
                // Reconnect links for demo accounts then work like any account's.
                base_url: Some(sandbox_url.to_owned()),
                is_default: true,
            },
            INTEGRATIONS,
        )?;
        let request = ConnectRequest {
            account: format!("demo-{}", integration.name),
            integration: integration.name.to_owned(),
            settings: OAuthSettings {
                // Every tool's scopes: the demo servers expose them all.
                scopes: ToolFilter::default()
                    .needed_scopes(integration)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                ..OAuthSettings::default()
            },
            ..ConnectRequest::default()
        };
        let url = connector.begin(request)?;
        let consent = http
            .get(&url)
            .send()
            .await
            .context("the sandbox's authorization endpoint did not answer")?;
        let location = consent
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .context("the sandbox's authorization endpoint did not redirect back")?;
        let back = reqwest::Url::parse(location).context("unusable redirect from the sandbox")?;
        let param = |name: &str| {
            back.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let (Some(state), Some(code)) = (param("state"), param("code")) else {
            anyhow::bail!("the sandbox refused the demo authorization");
        };
        let pending = connector.take_pending(&state)?;
        connector.complete(pending, &code).await?;
    }
    Ok(())
}

/// Three demo servers per demo account (`demo-<integration>` with every tool,
/// `demo-<integration>-read` with `--methods read`, `demo-<integration>-unified` with
/// `--kinds unified`). Prints the sandbox's URL (`demo_sandbox_url=<url>`), the servers' URLs (one
/// `demo_server=<name> mcp_url=<url>` line each), then a client configuration (`mcpServers`).
///
/// Everything lives in an in-memory store: nothing is written to the operator's store, so restarts
/// never pile up demo rows; the URLs change on every start.
fn demo_servers(demo: &Store, sandbox_url: &str, base_url: &str) -> anyhow::Result<()> {
    let read_only = ToolFilter::default().with_methods("read")?;
    let unified_only = ToolFilter {
        kinds: Some([ToolKind::Unified].into()),
        ..ToolFilter::default()
    };
    out!("demo_sandbox_url={sandbox_url}")?;
    let mut urls = BTreeMap::new();
    for account in demo.list_accounts()? {
        for (name, filter) in [
            (account.id.clone(), ToolFilter::default()),
            (format!("{}-read", account.id), read_only.clone()),
            // The canonical tools only: the same agent prompt works whichever CRM is behind it.
            (format!("{}-unified", account.id), unified_only.clone()),
        ] {
            let (server, token) = demo.create_server(NewServer::shared(
                name,
                account.integration.clone(),
                account.id.clone(),
                filter,
            ))?;
            urls.insert(server.name, format!("{base_url}/mcp/{token}"));
        }
    }
    // One URL reaching both CRMs (vendor-shaped tools: the unified ones share names), listed in
    // full and in discovery mode.
    let accounts = demo.list_accounts()?;
    if accounts.len() > 1 {
        for (name, exposure) in [
            ("demo-crms", Exposure::Direct),
            ("demo-crms-discovery", Exposure::Discovery),
        ] {
            let (server, token) = demo.create_server(NewServer {
                name: name.to_owned(),
                bindings: accounts
                    .iter()
                    .map(|a| ServerBinding::shared(a.integration.clone(), a.id.clone()))
                    .collect(),
                filter: ToolFilter {
                    kinds: Some([ToolKind::Proxy].into()),
                    ..ToolFilter::default()
                },
                expires_at: None,
                require_api_token: false,
                options: ServerOptions {
                    exposure,
                    ..ServerOptions::default()
                },
            })?;
            urls.insert(server.name, format!("{base_url}/mcp/{token}"));
        }
    }
    for (name, url) in &urls {
        out!("demo_server={name} mcp_url={url}")?;
    }
    let servers: serde_json::Map<String, serde_json::Value> = urls
        .iter()
        .map(|(name, url)| (name.clone(), json!({ "url": url })))
        .collect();
    let client_config = json!({ "mcpServers": servers });
    out!()?;
    out!(
        "# MCP client configuration (Claude Desktop, Cursor, …: paste into its mcpServers file):"
    )?;
    out!(
        "{}",
        serde_json::to_string_pretty(&client_config)
            .context("cannot render the client configuration")?
    )?;
    out!()?;
    if let Some(url) = urls.values().next() {
        out!("{}", framework_snippets(url))?;
    }
    Ok(())
}

/// Ready-to-paste connection snippets for the agent frameworks, on one demo server's URL.
fn framework_snippets(url: &str) -> String {
    format!(
        r#"# AutoGen (pip install "autogen-ext[mcp]"):
#   from autogen_ext.tools.mcp import McpWorkbench, StreamableHttpServerParams
#   async with McpWorkbench(server_params=StreamableHttpServerParams(url="{url}")) as workbench: ...
# LangChain / LangGraph (pip install langchain-mcp-adapters):
#   from langchain_mcp_adapters.client import MultiServerMCPClient
#   tools = await MultiServerMCPClient({{"crm": {{"url": "{url}", "transport": "streamable_http"}}}}).get_tools()
# CrewAI (pip install "crewai-tools[mcp]"):
#   from crewai_tools import MCPServerAdapter
#   with MCPServerAdapter({{"url": "{url}", "transport": "streamable-http"}}) as tools: ...
# Clients that only speak the legacy HTTP+SSE transport (AutoGen's SseServerParams, CrewAI's default)
# use the same URL.
"#
    )
}

/// Credentials of demo accounts from the demo store's coordinator, all others from the operator's.
struct DemoFirst {
    demo_store: Arc<Store>,
    demo: Coordinator,
    main: Coordinator,
}

impl DemoFirst {
    fn pick(&self, account: &Account) -> &Coordinator {
        match self.demo_store.account_summary(&account.id) {
            Ok(Some(_)) => &self.demo,
            _ => &self.main,
        }
    }
}

impl CredentialSource for DemoFirst {
    fn usable<'a>(&'a self, account: &'a Account) -> CredentialFuture<'a, Credential> {
        self.pick(account).usable(account)
    }

    fn rejected<'a>(
        &'a self,
        account: &'a Account,
        rejected: &'a Credential,
    ) -> CredentialFuture<'a, Option<Credential>> {
        self.pick(account).rejected(account, rejected)
    }

    fn reconnect_url(&self, account: &Account) -> Option<String> {
        CredentialSource::reconnect_url(self.pick(account), account)
    }
}

/// Resolves tokens in `first`, then in `then` (demo servers before the store's).
struct Layered {
    first: Arc<Store>,
    then: Arc<Store>,
}

impl Directory for Layered {
    fn resolve(&self, token: &str) -> Result<Option<Binding>, DirectoryError> {
        match self.first.resolve(token)? {
            Some(binding) => Ok(Some(binding)),
            None => self.then.resolve(token),
        }
    }

    fn api_caller(&self, token: &str) -> Result<Option<ApiCaller>, DirectoryError> {
        // API tokens live in the operator's store only: the demo store never holds any.
        self.then.api_caller(token)
    }

    fn user_account(
        &self,
        integration: &str,
        user: &str,
    ) -> Result<Option<Account>, DirectoryError> {
        // Users connect their accounts into the operator's store (the last connector's).
        Directory::user_account(self.then.as_ref(), integration, user)
    }

    fn generation(&self) -> Result<Option<u64>, DirectoryError> {
        // Generations only grow, so their sum changes whenever either does.
        let first = Directory::generation(self.first.as_ref())?;
        let then = Directory::generation(self.then.as_ref())?;
        Ok(first.zip(then).map(|(a, b)| a.wrapping_add(b)))
    }
}

/// Serves one account's tools over MCP on stdin/stdout until the client closes the stream.
/// Logs go to stderr: stdout carries only protocol messages.
pub async fn run_mcp_stdio(args: McpStdioArgs, store: Store, base_url: &str) -> anyhow::Result<()> {
    let summary = store.require_account_summary(&args.account)?;
    if summary.status == AccountStatus::NeedsReauth {
        tracing::warn!(account = %summary.id, "account needs to be connected again; calls will fail with auth_required");
    }
    let account = store.require_account(&args.account)?;
    let filter = args.filter.to_filter(None);
    tracing::info!(account = %account.id, filter = %filter, "serving MCP on stdio");
    let store = Arc::new(store);
    let stack = oauth_stack(&store, base_url, RefreshPolicy::default(), None)?;
    let audit = AuditLog::start(store.clone(), None);
    let mut binding = Binding::single(format!("stdio:{}", account.id), account, filter);
    binding.options = args.options.to_options();
    binding.redaction = args.options.redact;
    binding.pii_key = store.pii_key();
    let server = McpServer::from_binding(
        executor(&store, Arc::new(stack.coordinator)),
        Arc::new(binding),
    )
    .with_audit(audit.clone())
    .with_via(Via::Stdio);
    let served = mcp::serve_stdio(server).await.context("MCP over stdio");
    audit.flush().await;
    served?;
    Ok(())
}
