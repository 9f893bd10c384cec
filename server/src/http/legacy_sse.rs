//! The legacy HTTP+SSE transport (MCP 2024-11-05), on the same capability URL as Streamable HTTP.
//!
//! The spec replaced it in 2025-03-26, but agent frameworks still default to it: AutoGen's
//! `SseServerParams`, CrewAI's `MCPServerAdapter({"url": …})`, older LangChain and Claude Desktop
//! bridges. `GET /mcp/<token>` with `Accept: text/event-stream` and no `Mcp-Session-Id` opens a
//! stream whose first event, `endpoint`, names `POST /mcp/<token>/messages?sessionId=<id>`; the
//! client posts JSON-RPC there (answered `202 Accepted`) and reads every response on the stream,
//! which carries keep-alive comments between them.
//!
//! This is framing only: each session runs the same [`McpServer`] handler as every other transport,
//! through an rmcp [`Transport`] over two channels. Sessions are capped per server and in total,
//! end when the stream closes, and end after an idle period without messages.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rmcp::ServiceExt as _;
use rmcp::service::RoleServer;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::request_id::RequestId;
use super::{AppState, json_error, not_found_response};
use crate::mcp::{Binding, McpServer};

/// Sessions one server (capability URL) may hold open at once.
pub const MAX_SESSIONS_PER_SERVER: usize = 32;
/// Sessions the whole process may hold open at once.
pub const MAX_SESSIONS: usize = 1024;
/// A session without a message for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Messages buffered per direction before a slow side applies back-pressure.
const CHANNEL_DEPTH: usize = 64;

/// Whether a request on `/mcp/<token>` opens a legacy SSE stream: a GET that accepts
/// `text/event-stream` and names no Streamable HTTP session.
pub(crate) fn is_legacy_open(method: &axum::http::Method, headers: &HeaderMap) -> bool {
    method == axum::http::Method::GET
        && !headers.contains_key("mcp-session-id")
        && headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.to_ascii_lowercase().contains("text/event-stream"))
}

/// The open legacy sessions.
#[derive(Default)]
pub(crate) struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
}

struct Session {
    /// The server it belongs to (its name; never the token).
    server: String,
    /// The user whose API token opened it: only they may post to it.
    user: Option<String>,
    /// Where posted messages go.
    incoming: mpsc::Sender<RxJsonRpcMessage<RoleServer>>,
    /// Ends the session's service and stream.
    cancel: CancellationToken,
    last_message: Instant,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes every session (at shutdown).
    pub(crate) fn close_all(&self) {
        for (_, session) in self.lock().drain() {
            session.cancel.cancel();
        }
    }

    fn remove(&self, id: &str) {
        if let Some(session) = self.lock().remove(id) {
            session.cancel.cancel();
        }
    }

    /// Closes sessions idle for longer than [`IDLE_TIMEOUT`].
    fn sweep(&self) {
        let now = Instant::now();
        self.lock().retain(|_, session| {
            let alive = now.duration_since(session.last_message) < IDLE_TIMEOUT
                && !session.cancel.is_cancelled();
            if !alive {
                session.cancel.cancel();
            }
            alive
        });
    }
}

/// The rmcp side of one session: messages posted by the client in, messages for the stream out.
struct ChannelTransport {
    outgoing: mpsc::Sender<TxJsonRpcMessage<RoleServer>>,
    incoming: mpsc::Receiver<RxJsonRpcMessage<RoleServer>>,
}

/// The stream closed: the client went away.
#[derive(Debug, thiserror::Error)]
#[error("the SSE stream is closed")]
struct StreamClosed;

impl Transport<RoleServer> for ChannelTransport {
    type Error = StreamClosed;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let outgoing = self.outgoing.clone();
        async move { outgoing.send(item).await.map_err(|_| StreamClosed) }
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleServer>>> + Send {
        self.incoming.recv()
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.incoming.close();
        std::future::ready(Ok(()))
    }
}

/// `GET /mcp/<token>` (legacy): opens a session and its event stream.
pub(crate) fn open(state: &Arc<AppState>, token: &str, binding: Arc<Binding>) -> Response {
    let sessions = &state.legacy_sessions;
    sessions.sweep();
    let id = match session_id() {
        Some(id) => id,
        None => {
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "could not open a session",
            );
        }
    };
    let (incoming_tx, incoming_rx) = mpsc::channel(CHANNEL_DEPTH);
    let (outgoing_tx, outgoing_rx) = mpsc::channel(CHANNEL_DEPTH);
    let cancel = CancellationToken::new();
    {
        let mut open = sessions.lock();
        let of_server = open.values().filter(|s| s.server == binding.name).count();
        if open.len() >= MAX_SESSIONS || of_server >= MAX_SESSIONS_PER_SERVER {
            tracing::warn!(server = %binding.name, sessions = open.len(), "refused a legacy SSE session: too many open");
            return json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_sessions",
                "too many open MCP sessions for this server; close one or use Streamable HTTP",
            );
        }
        open.insert(
            id.clone(),
            Session {
                server: binding.name.clone(),
                user: binding.user.clone(),
                incoming: incoming_tx,
                cancel: cancel.clone(),
                last_message: Instant::now(),
            },
        );
    }
    let service = McpServer::from_binding(state.executor.clone(), binding.clone())
        .with_page_size(state.page_size)
        .with_audit(state.audit.clone())
        .with_indexes(state.mcp.indexes());
    let transport = ChannelTransport {
        outgoing: outgoing_tx,
        incoming: incoming_rx,
    };
    let sessions_for_task = Arc::clone(state);
    let (task_id, task_cancel, server) = (id.clone(), cancel.clone(), binding.name.clone());
    tokio::spawn(async move {
        // The `initialize` handshake arrives as the first posted message.
        match service.serve_with_ct(transport, task_cancel).await {
            Ok(running) => {
                let _ = running.waiting().await;
            }
            Err(error) => {
                tracing::info!(server = %server, %error, "legacy SSE session ended before initialize");
            }
        }
        sessions_for_task.legacy_sessions.remove(&task_id);
    });
    tracing::info!(server = %binding.name, "legacy SSE session opened");
    let endpoint = format!("/mcp/{token}/messages?sessionId={id}");
    let stream = EventStream {
        endpoint: Some(endpoint),
        outgoing: outgoing_rx,
        cancel,
        state: Arc::clone(state),
        id,
    };
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    );
    response
}

/// The session's events: `endpoint` first, then one `message` per server message. Dropping it (the
/// client went away) ends the session.
struct EventStream {
    endpoint: Option<String>,
    outgoing: mpsc::Receiver<TxJsonRpcMessage<RoleServer>>,
    cancel: CancellationToken,
    state: Arc<AppState>,
    id: String,
}

impl futures_core::Stream for EventStream {
    type Item = Result<Event, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(endpoint) = self.endpoint.take() {
            return Poll::Ready(Some(Ok(Event::default().event("endpoint").data(endpoint))));
        }
        if self.cancel.is_cancelled() {
            return Poll::Ready(None);
        }
        match self.outgoing.poll_recv(cx) {
            Poll::Ready(Some(message)) => {
                let event = match serde_json::to_string(&message) {
                    Ok(json) => Event::default().event("message").data(json),
                    // rmcp's own message types always serialize; say so on the stream if not.
                    Err(_) => Event::default().comment("unserializable message dropped"),
                };
                Poll::Ready(Some(Ok(event)))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.state.legacy_sessions.remove(&self.id);
    }
}

/// `?sessionId=…` of a legacy message post.
#[derive(Deserialize)]
pub(crate) struct MessageQuery {
    #[serde(rename = "sessionId")]
    session_id: Option<String>,
}

/// `POST /mcp/<token>/messages?sessionId=…` (legacy): one JSON-RPC message for the session.
pub(crate) async fn post(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    Query(query): Query<MessageQuery>,
    request_id: Option<Extension<RequestId>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The token (and the second factor) is checked on every message: a revoked URL or API token
    // stops working mid-session.
    let binding = match state.resolve(token, &headers).await {
        Ok(Some(binding)) => binding,
        Ok(None) => return not_found_response(),
        Err(response) => return response,
    };
    let Some(id) = query.session_id else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "missing sessionId: open the event stream with GET first",
        );
    };
    let mut message: RxJsonRpcMessage<RoleServer> = match serde_json::from_slice(&body) {
        Ok(message) => message,
        Err(_) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "parse_error",
                "the body is not a JSON-RPC message",
            );
        }
    };
    let incoming = {
        let mut open = state.legacy_sessions.lock();
        match open.get_mut(&id) {
            Some(session)
                if session.server == binding.name
                    && session.user == binding.user
                    && !session.cancel.is_cancelled() =>
            {
                session.last_message = Instant::now();
                session.incoming.clone()
            }
            _ => {
                return json_error(
                    StatusCode::NOT_FOUND,
                    "unknown_session",
                    "no such session (it ended or never existed): open a new event stream",
                );
            }
        }
    };
    // This message runs with the binding just resolved (its caller's user and accounts, the
    // server's current filter), as over Streamable HTTP, not the one the stream was opened with.
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.extensions.insert(Arc::new(binding));
    if let Some(Extension(request_id)) = request_id {
        parts.extensions.insert(request_id);
    }
    message.insert_extension(parts);
    match incoming.send(message).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(_) => json_error(
            StatusCode::NOT_FOUND,
            "unknown_session",
            "the session ended: open a new event stream",
        ),
    }
}

/// 16 random bytes, URL-safe.
fn session_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}
