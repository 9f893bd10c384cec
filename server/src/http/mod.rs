//! HTTP serving: MCP over Streamable HTTP at `/mcp/{token}`, and a REST mirror of every tool at
//! `POST /mcp/{token}/tools/{tool}`.
//!
//! The capability token in the path is resolved on every request through a [`Directory`] (the store
//! hashes tokens); an unknown, revoked or expired token answers the same 404 as a path that never
//! existed. A server that requires a second factor also wants a live API token in
//! `Authorization: Bearer …` on every request, else 401 (see [`second_factor`]). Every request passes
//! the [`origin`] checks first. Logs name the server, never its token.

mod admin;
mod authorize;
mod connect;
mod directory;
mod directory_cache;
mod legacy_sse;
mod mcp_route;
pub mod origin;
mod per_user;
pub mod rate_limit_headers;
pub mod request_id;
mod rest;
mod second_factor;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::serve::ListenerExt as _;
use serde_json::json;
use tokio::net::TcpListener;

pub use admin::{ADMIN_ROUTES, ADMIN_TOKEN_ENV, AdminToken, AdminTokenError, MIN_ADMIN_TOKEN_LEN};
pub use directory::{ApiCaller, Directory, DirectoryError};
pub use directory_cache::CachedDirectory;
pub use origin::{OriginConfigError, OriginPolicy};

use crate::audit::AuditLog;
use crate::mcp::{Binding, DEFAULT_PAGE_SIZE};
use crate::metrics::Metrics;
use mcp_route::McpServices;
use switchboard_oauth::Connector;
use switchboard_runtime::executor::Executor;

/// Largest request body accepted unless configured otherwise (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// How the HTTP server is reached and what it accepts.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Where it listens (also allowed as `Host`).
    pub listen: SocketAddr,
    /// The URL clients use, when behind a proxy or a DNS name (`https://mcp.example.com`).
    pub public_url: Option<String>,
    /// Extra allowed `Host` values (`host` or `host:port`; `*` allows any).
    pub allowed_hosts: Vec<String>,
    /// Extra allowed `Origin` values (`https://app.example.com`, `null`; `*` allows any).
    pub allowed_origins: Vec<String>,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Tools per `tools/list` page.
    pub page_size: usize,
    /// Connect accounts (`/connect`, `/oauth/callback`), one per store, tried in order; empty serves
    /// neither route.
    pub connectors: Vec<Arc<Connector>>,
    /// Served at `/metrics` and fed by every call; `None` serves no `/metrics`.
    pub metrics: Option<Arc<Metrics>>,
    /// Where every call's audit event goes.
    pub audit: AuditLog,
    /// The admin API's token (`/admin/…`, described at `/admin/openapi.json`); `None` turns the
    /// admin API off: every `/admin` path answers 404.
    pub admin_token: Option<AdminToken>,
    /// The operator's store, which the admin API manages; the admin API is off without it.
    pub admin_store: Option<Arc<switchboard_vault::Store>>,
    /// How often the directory's generation is checked before cached resolutions are reused (see
    /// [`CachedDirectory`]); zero checks on every request, so revocations apply at once.
    pub directory_check_every: std::time::Duration,
}

impl HttpConfig {
    /// Defaults for a server listening on `listen`.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            public_url: None,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            page_size: DEFAULT_PAGE_SIZE,
            connectors: Vec::new(),
            metrics: None,
            audit: AuditLog::disabled(),
            admin_token: None,
            admin_store: None,
            directory_check_every: std::time::Duration::ZERO,
        }
    }

    /// The base URL clients use: the public URL, else `http://<listen>`.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }
}

/// The state every route shares.
pub(crate) struct AppState {
    pub(crate) executor: Arc<Executor>,
    pub(crate) directory: Arc<dyn Directory>,
    pub(crate) mcp: McpServices,
    pub(crate) connectors: Vec<Arc<Connector>>,
    /// Where every call's audit event goes.
    pub(crate) audit: AuditLog,
    /// Tools per `tools/list` page.
    pub(crate) page_size: usize,
    /// Open legacy HTTP+SSE sessions.
    pub(crate) legacy_sessions: legacy_sse::Sessions,
}

impl AppState {
    /// Resolves a capability token to its server and checks the request's second factor (see
    /// [`second_factor`]), off the async threads (the store is blocking). `Ok(None)` for a dead URL
    /// (answer 404); `Err` carries the answer for a refused second factor (401) or a failed lookup.
    pub(crate) async fn resolve(
        &self,
        token: String,
        headers: &HeaderMap,
    ) -> Result<Option<Binding>, Response> {
        self.resolve_with(token, headers, SecondFactor::AsConfigured)
            .await
    }

    /// [`Self::resolve`], asking for the second factor as `second_factor` says.
    pub(crate) async fn resolve_with(
        &self,
        token: String,
        headers: &HeaderMap,
        second_factor: SecondFactor,
    ) -> Result<Option<Binding>, Response> {
        if !plausible_token(&token) {
            return Ok(None);
        }
        let presented = second_factor::Presented::from_headers(headers);
        let directory = self.directory.clone();
        let links = self.connectors.last().map(|c| c.links().clone());
        let executor = self.executor.clone();
        let lookup = move || -> Result<_, DirectoryError> {
            // The URL first: a dead one answers 404 whatever the headers say.
            let Some(mut binding) = directory.resolve(&token)? else {
                return Ok(Ok(None));
            };
            if second_factor == SecondFactor::Always {
                binding.require_api_token = true;
            }
            if let Err(refusal) =
                second_factor::check(directory.as_ref(), &mut binding, &presented)?
            {
                return Ok(Err(refusal));
            }
            per_user::resolve(directory.as_ref(), &executor, links.as_ref(), &mut binding)?;
            Ok(Ok(Some(binding)))
        };
        match tokio::task::spawn_blocking(lookup).await {
            Ok(Ok(Ok(found))) => Ok(found),
            Ok(Ok(Err(refusal))) => Err(refusal.response()),
            Ok(Err(error)) => {
                tracing::error!(%error, "capability token lookup failed");
                Err(internal_error())
            }
            Err(error) => {
                tracing::error!(%error, "capability token lookup panicked");
                Err(internal_error())
            }
        }
    }
}

/// When a request must carry an API token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SecondFactor {
    /// When the server requires one.
    AsConfigured,
    /// Always (routes that tell who the caller is, such as `/authorize`).
    Always,
}

/// Tokens are URL-safe and of bounded length; anything else cannot have been issued.
fn plausible_token(token: &str) -> bool {
    (8..=256).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

/// The HTTP application: routes, Origin/Host checks and body limit, plus the handle that ends MCP
/// sessions at shutdown.
pub struct HttpApp {
    router: Router,
    mcp_shutdown: mcp_route::SessionCloser,
    state: Arc<AppState>,
}

impl HttpApp {
    /// Builds the application.
    pub fn new(
        executor: Arc<Executor>,
        directory: Arc<dyn Directory>,
        config: &HttpConfig,
    ) -> Result<Self, OriginConfigError> {
        let policy = OriginPolicy::new(
            config.listen,
            config.public_url.as_deref(),
            &config.allowed_hosts,
            &config.allowed_origins,
        )?;
        Ok(Self::with_policy(executor, directory, config, policy))
    }

    /// Builds the application with an explicit Origin/Host policy.
    pub fn with_policy(
        executor: Arc<Executor>,
        directory: Arc<dyn Directory>,
        config: &HttpConfig,
        policy: OriginPolicy,
    ) -> Self {
        if let Some(metrics) = &config.metrics
            && !executor.observe_with(metrics.clone())
        {
            tracing::warn!(
                "the executor already reports to other metrics; /metrics will miss calls"
            );
        }
        let directory: Arc<dyn Directory> = Arc::new(CachedDirectory::new(
            directory,
            config.directory_check_every,
        ));
        let mcp = McpServices::new(
            executor.clone(),
            config.audit.clone(),
            Arc::new(crate::mcp::IndexCache::new()),
            config.page_size,
            config.max_body_bytes,
        );
        let mcp_shutdown = mcp.closer();
        let state = Arc::new(AppState {
            executor,
            directory,
            mcp,
            connectors: config.connectors.clone(),
            audit: config.audit.clone(),
            page_size: config.page_size,
            legacy_sessions: legacy_sse::Sessions::default(),
        });
        let router = Router::new()
            .route("/mcp/{token}", any(mcp_route::handle))
            .route("/mcp/{token}/tools", get(rest::list))
            .route("/mcp/{token}/authorize", get(authorize::authorize))
            .route("/mcp/{token}/tools/{tool}", post(rest::call))
            .route("/mcp/{token}/messages", post(legacy_sse::post))
            .route("/healthz", get(healthz))
            .route("/connect/{integration}", get(connect::start))
            .route("/oauth/callback", get(connect::callback))
            .fallback(not_found)
            .with_state(state.clone())
            .merge(metrics_route(config.metrics.clone()))
            .merge(admin::routes(config, state.executor.integrations()))
            .layer(DefaultBodyLimit::max(config.max_body_bytes))
            .layer(axum::middleware::from_fn_with_state(
                Arc::new(policy),
                origin::enforce,
            ))
            .layer(axum::middleware::from_fn(request_id::assign));
        Self {
            router,
            mcp_shutdown,
            state,
        }
    }

    /// The router, to embed or to serve yourself.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Serves on `listener` until `shutdown` completes, then ends MCP sessions and lets in-flight
    /// requests finish.
    pub async fn serve<F>(self, listener: TcpListener, shutdown: F) -> io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let closer = self.mcp_shutdown;
        let state = self.state;
        // Responses (SSE above all) go out in several small writes; with Nagle's algorithm on, the
        // last one waits for the client's delayed ACK, adding ~40 ms to every MCP call.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(listener, self.router)
            .with_graceful_shutdown(async move {
                shutdown.await;
                tracing::info!("shutting down: closing MCP sessions, finishing in-flight requests");
                closer.close();
                state.legacy_sessions.close_all();
            })
            .await
    }
}

/// `{"error": {"code", "message"}}` with a status.
pub(crate) fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// The answer for unknown paths and unknown, revoked or expired tokens alike.
pub(crate) fn not_found_response() -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "nothing here: check the server URL",
    )
}

/// `GET /healthz`: the process serves requests.
async fn healthz() -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})),
    )
        .into_response()
}

/// `GET /metrics` when metrics are on.
fn metrics_route(metrics: Option<Arc<Metrics>>) -> Router {
    let Some(metrics) = metrics else {
        return Router::new();
    };
    Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    metrics.encode(),
                )
            }
        }),
    )
}

async fn not_found() -> Response {
    not_found_response()
}

fn internal_error() -> Response {
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "the server could not complete the request",
    )
}
