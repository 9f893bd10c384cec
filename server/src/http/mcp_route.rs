//! `/mcp/{token}`: the rmcp Streamable HTTP service of the server the token opens.
//!
//! One rmcp service (and its session manager) is kept per server, so `initialize`-based sessions
//! (2025-06-18, 2025-11-25) survive between requests; 2026-07-28 requests carry their protocol version
//! in every message and are served statelessly by the same service. The binding resolved for each
//! request travels in the request's extensions, where [`McpServer`] picks it up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::{AppState, legacy_sse, not_found_response};
use crate::mcp::{Binding, McpServer};
use switchboard_runtime::executor::Executor;

type Service = StreamableHttpService<McpServer, LocalSessionManager>;

/// The rmcp services, one per capability token.
pub(crate) struct McpServices {
    executor: Arc<Executor>,
    page_size: usize,
    config: StreamableHttpServerConfig,
    /// Keyed by the SHA-256 of the capability token (the token itself is never kept).
    services: Mutex<HashMap<[u8; 32], Service>>,
}

/// Ends every MCP session (and its open SSE streams) at shutdown.
pub(crate) struct SessionCloser(StreamableHttpServerConfig);

impl SessionCloser {
    pub(crate) fn close(&self) {
        self.0.cancellation_token.cancel();
    }
}

impl McpServices {
    pub(crate) fn new(executor: Arc<Executor>, page_size: usize, max_body_bytes: usize) -> Self {
        // Host and Origin are checked by our own layer for every route (rmcp's own Host check only
        // knows loopback names and would refuse a public URL).
        let config = StreamableHttpServerConfig::default()
            .disable_allowed_hosts()
            .disable_allowed_origins()
            .with_max_request_body_bytes(max_body_bytes);
        Self {
            executor,
            page_size,
            config,
            services: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn closer(&self) -> SessionCloser {
        SessionCloser(self.config.clone())
    }

    /// The service for the server `token` opens, created on first use. Keyed by the token's hash, not
    /// the server's name: a server deleted and re-created under the same name gets a new token, and so a
    /// new service that describes its own account.
    fn service(&self, token: &str, binding: &Arc<Binding>) -> Service {
        let key = switchboard_vault::token_hash(token);
        let mut services = self.services.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(service) = services.get(&key) {
            return service.clone();
        }
        let executor = self.executor.clone();
        let page_size = self.page_size;
        let initial = binding.clone();
        let service = StreamableHttpService::new(
            move || {
                Ok(McpServer::from_binding(executor.clone(), initial.clone())
                    .with_page_size(page_size))
            },
            Arc::new(LocalSessionManager::default()),
            self.config.clone(),
        );
        services.insert(key, service.clone());
        service
    }
}

/// Any method on `/mcp/{token}`.
pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    mut request: Request,
) -> Response {
    let key_token = token.clone();
    let binding = match state.resolve(token).await {
        Ok(Some(binding)) => Arc::new(binding),
        Ok(None) => {
            tracing::info!(method = %request.method(), "MCP request with an unknown capability token");
            return not_found_response();
        }
        Err(response) => return response,
    };
    tracing::debug!(server = %binding.name, method = %request.method(), "MCP request");
    if legacy_sse::is_legacy_open(request.method(), request.headers()) {
        return legacy_sse::open(&state, &key_token, binding);
    }
    let service = state.mcp.service(&key_token, &binding);
    let is_delete = request.method() == Method::DELETE;
    request.extensions_mut().insert(binding);
    let mut response = service.handle(request).await.into_response();
    if is_delete && response.status() == StatusCode::ACCEPTED {
        // A terminated session: rmcp answers 202, which the official Python SDK reports as a
        // failed termination; 204 says the same and every client accepts it.
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}
