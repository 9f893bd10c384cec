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
use serde_json::{Value, json};

use super::{AppState, legacy_sse, not_found_response};
use crate::audit::AuditLog;
use crate::mcp::{Binding, IndexCache, McpServer};
use switchboard_runtime::executor::Executor;

type Service = StreamableHttpService<McpServer, LocalSessionManager>;

/// A server's rmcp service and the session manager holding its sessions.
type ServiceEntry = (Service, Arc<LocalSessionManager>);

/// The rmcp services, one per capability token.
pub(crate) struct McpServices {
    executor: Arc<Executor>,
    audit: AuditLog,
    indexes: Arc<IndexCache>,
    page_size: usize,
    config: StreamableHttpServerConfig,
    /// Keyed by the SHA-256 of the capability token (the token itself is never kept), with the
    /// session manager each service keeps its sessions in.
    services: Mutex<HashMap<[u8; 32], ServiceEntry>>,
    max_body_bytes: usize,
}

/// Streamable HTTP sessions one server (capability URL) may hold at once.
pub const MAX_SESSIONS_PER_SERVER: usize = 64;
/// Streamable HTTP sessions the process may hold at once.
pub const MAX_SESSIONS: usize = 1024;
/// A session idle for this long is closed (clients start a new one when told the old is gone).
pub const SESSION_IDLE: std::time::Duration = std::time::Duration::from_secs(120);

/// Ends every MCP session (and its open SSE streams) at shutdown.
pub(crate) struct SessionCloser(StreamableHttpServerConfig);

impl SessionCloser {
    pub(crate) fn close(&self) {
        self.0.cancellation_token.cancel();
    }
}

impl McpServices {
    pub(crate) fn new(
        executor: Arc<Executor>,
        audit: AuditLog,
        indexes: Arc<IndexCache>,
        page_size: usize,
        max_body_bytes: usize,
    ) -> Self {
        // Host and Origin are checked by our own layer for every route (rmcp's own Host check only
        // knows loopback names and would refuse a public URL).
        let config = StreamableHttpServerConfig::default()
            .disable_allowed_hosts()
            .disable_allowed_origins()
            .with_max_request_body_bytes(max_body_bytes);
        Self {
            executor,
            audit,
            indexes,
            page_size,
            config,
            services: Mutex::new(HashMap::new()),
            max_body_bytes,
        }
    }

    /// Discovery mode's search indexes, shared by every session.
    pub(crate) fn indexes(&self) -> Arc<IndexCache> {
        self.indexes.clone()
    }

    pub(crate) fn closer(&self) -> SessionCloser {
        SessionCloser(self.config.clone())
    }

    /// The service for the server `token` opens, created on first use. Keyed by the token's hash, not
    /// the server's name: a server deleted and re-created under the same name gets a new token, and so a
    /// new service that describes its own account.
    fn service(&self, token: &str, binding: &Arc<Binding>) -> ServiceEntry {
        let key = switchboard_vault::token_hash(token);
        let mut services = self.services.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = services.get(&key) {
            return found.clone();
        }
        let executor = self.executor.clone();
        let audit = self.audit.clone();
        let indexes = self.indexes.clone();
        let page_size = self.page_size;
        let initial = binding.clone();
        let mut manager = LocalSessionManager::default();
        manager.session_config.keep_alive = Some(SESSION_IDLE);
        let manager = Arc::new(manager);
        let service = StreamableHttpService::new(
            move || {
                Ok(McpServer::from_binding(executor.clone(), initial.clone())
                    .with_page_size(page_size)
                    .with_audit(audit.clone())
                    .with_indexes(indexes.clone()))
            },
            manager.clone(),
            self.config.clone(),
        );
        services.insert(key, (service.clone(), manager.clone()));
        (service, manager)
    }

    /// Whether a new session for `manager`'s server would pass the caps.
    async fn has_room(&self, manager: &LocalSessionManager) -> bool {
        if manager.sessions.read().await.len() >= MAX_SESSIONS_PER_SERVER {
            return false;
        }
        let managers: Vec<Arc<LocalSessionManager>> = self
            .services
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|(_, manager)| manager.clone())
            .collect();
        let mut total = 0;
        for manager in managers {
            total += manager.sessions.read().await.len();
        }
        total < MAX_SESSIONS
    }
}

/// A JSON-RPC error answer with an HTTP status.
fn jsonrpc_error(status: StatusCode, id: Value, code: i64, message: &str) -> Response {
    (
        status,
        axum::Json(
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}),
        ),
    )
        .into_response()
}

/// Checks a posted message before rmcp sees it, so malformed input gets JSON-RPC's own codes in a
/// JSON body: -32700 for what is not JSON, -32600 for what is not a JSON-RPC message, -32602 for
/// `tools/call` arguments that are not an object. `Ok` carries the message's method, if any.
fn check_message(body: &[u8]) -> Result<Option<String>, Box<Response>> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Err(Box::new(jsonrpc_error(
            StatusCode::BAD_REQUEST,
            Value::Null,
            -32700,
            "parse error: the body is not JSON",
        )));
    };
    let Value::Object(message) = &value else {
        return Err(Box::new(jsonrpc_error(
            StatusCode::BAD_REQUEST,
            Value::Null,
            -32600,
            "invalid request: send one JSON-RPC message object",
        )));
    };
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let valid_id = matches!(id, Value::Null | Value::String(_) | Value::Number(_));
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") || !valid_id {
        return Err(Box::new(jsonrpc_error(
            StatusCode::BAD_REQUEST,
            if valid_id { id } else { Value::Null },
            -32600,
            "invalid request: not a JSON-RPC 2.0 message",
        )));
    }
    let method = message.get("method").and_then(Value::as_str);
    if method == Some("tools/call") {
        let arguments = message.get("params").and_then(|p| p.get("arguments"));
        if arguments.is_some_and(|a| !a.is_object() && !a.is_null()) {
            return Err(Box::new(jsonrpc_error(
                StatusCode::OK,
                id,
                -32602,
                "invalid params: `arguments` must be an object",
            )));
        }
    }
    Ok(method.map(str::to_owned))
}

/// Any method on `/mcp/{token}`.
pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    mut request: Request,
) -> Response {
    let key_token = token.clone();
    let binding = match state.resolve(token, request.headers()).await {
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
    let (service, manager) = state.mcp.service(&key_token, &binding);
    let is_delete = request.method() == Method::DELETE;
    if request.method() == Method::POST {
        let has_session = request.headers().contains_key("mcp-session-id");
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, state.mcp.max_body_bytes).await else {
            return jsonrpc_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                Value::Null,
                -32600,
                "invalid request: the body is too large",
            );
        };
        let method = match check_message(&bytes) {
            Ok(method) => method,
            Err(response) => return *response,
        };
        if !has_session
            && method.as_deref() == Some("initialize")
            && !state.mcp.has_room(&manager).await
        {
            tracing::warn!(server = %binding.name, "refused an MCP session: too many open");
            return jsonrpc_error(
                StatusCode::SERVICE_UNAVAILABLE,
                Value::Null,
                -32000,
                "too many open MCP sessions for this server; close one (DELETE) or retry later",
            );
        }
        request = Request::from_parts(parts, axum::body::Body::from(bytes));
    }
    request.extensions_mut().insert(binding);
    let mut response = service.handle(request).await.into_response();
    if is_delete && response.status() == StatusCode::ACCEPTED {
        // A terminated session: rmcp answers 202, which the official Python SDK reports as a
        // failed termination; 204 says the same and every client accepts it.
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}
