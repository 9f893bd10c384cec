//! The MCP server handler: `initialize`, `tools/list` and `tools/call` over the generated tables.

use std::borrow::Cow;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool as McpTool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;
use tracing::Instrument;

use super::binding::Binding;
use super::{cursor, results};
use crate::http::request_id::RequestId;
use switchboard_runtime::account::Account;
use switchboard_runtime::executor::{Executor, loggable_tool_name};
use switchboard_runtime::filter::ToolFilter;
use switchboard_runtime::outcome::ToolError;
use switchboard_runtime::table::Tool;

/// Tools per `tools/list` page unless configured otherwise.
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// One MCP server: an account's tools through a filter, served over any rmcp transport.
///
/// Over Streamable HTTP, each request may carry a fresher [`Binding`] (resolved from the capability
/// token on every request) in the HTTP request's extensions; it takes precedence over the one the
/// server was built with, so revoked tokens, changed filters and refreshed credentials apply at once,
/// even inside a long-lived session.
#[derive(Clone)]
pub struct McpServer {
    executor: Arc<Executor>,
    binding: Arc<Binding>,
    page_size: usize,
}

impl McpServer {
    /// A server named `name` exposing the tools `filter` allows for `account`.
    pub fn new(
        executor: Arc<Executor>,
        name: impl Into<String>,
        account: Account,
        filter: ToolFilter,
    ) -> Self {
        Self::from_binding(
            executor,
            Arc::new(Binding {
                name: name.into(),
                account,
                filter,
                require_api_token: false,
                user: None,
            }),
        )
    }

    /// A server for an already-resolved binding.
    pub fn from_binding(executor: Arc<Executor>, binding: Arc<Binding>) -> Self {
        Self {
            executor,
            binding,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }

    /// Sets how many tools one `tools/list` page holds (at least one).
    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// The binding a request runs under: the one resolved for this HTTP request, else the server's own.
    fn binding_for(&self, context: &RequestContext<RoleServer>) -> Arc<Binding> {
        context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Arc<Binding>>())
            .cloned()
            .unwrap_or_else(|| self.binding.clone())
    }

    fn instructions(&self) -> String {
        let account = &self.binding.account;
        let vendor = self
            .executor
            .integration(&account.integration)
            .map_or(account.integration.as_str(), |i| i.display_name);
        format!(
            "Tools for the {vendor} account `{}`. List tools return `result`, `result_count` and \
             `next_cursor`: to get the next page, call the same tool again with `next_cursor` exactly \
             as received. Errors come back as tool results with `isError: true` and a structured \
             `error.code`; on `rate_limited`, wait `retry_after` seconds before calling again (Switchboard \
             never retries for you). An `invalid_arguments` error names the offending argument as a JSON \
             Pointer in `error.pointer`.",
            account.id
        )
    }
}

/// Whether the client declared URL-mode elicitation (MCP 2025-11-25): it can open a URL for the
/// user itself, so `auth_required` is better said with the protocol's own error.
fn accepts_url_elicitation(context: &RequestContext<RoleServer>) -> bool {
    context.peer.peer_info().is_some_and(|info| {
        info.capabilities
            .elicitation
            .as_ref()
            .is_some_and(|elicitation| elicitation.url.is_some())
    })
}

/// `URLElicitationRequiredError` (-32042): the client shows the user `url` (our connect link); the
/// agent calls the tool again once the account is connected.
fn url_elicitation_required(account: &Account, url: &str, message: &str) -> ErrorData {
    ErrorData::new(
        rmcp::model::ErrorCode(URL_ELICITATION_REQUIRED),
        message.to_owned(),
        Some(serde_json::json!({
            "elicitations": [{
                "mode": "url",
                "elicitationId": format!("connect-{}", account.id),
                "url": url,
                "message": format!(
                    "Connect your {} account `{}` to continue.",
                    account.integration, account.id
                ),
            }],
        })),
    )
}

/// MCP's error code for "the user must open a URL first".
const URL_ELICITATION_REQUIRED: i32 = -32042;

/// The MCP description of one table tool: name, title, description, input and output schemas, and
/// annotations.
pub fn describe_tool(executor: &Executor, tool: &'static Tool) -> McpTool {
    let schemas = executor.schemas(tool);
    let mut described = McpTool::new(
        tool.name,
        Cow::Owned(schemas.description.clone()),
        schemas.input.clone(),
    );
    described.title = Some(tool.title.to_owned());
    described.output_schema = Some(schemas.output.clone());
    described.annotations = Some(
        ToolAnnotations::new()
            .read_only(tool.annotations.read_only)
            .destructive(tool.annotations.destructive)
            .idempotent(tool.annotations.idempotent)
            .open_world(tool.annotations.open_world),
    );
    described
}

/// Why a tool the role allows cannot be called with this account's grant.
pub fn insufficient_scope_message(tool: &str, account: &str, missing: &[&str]) -> String {
    format!(
        "`{}` needs OAuth scope(s) {} that account `{account}` was not granted; reconnect the account asking for them",
        loggable_tool_name(tool),
        missing.join(", ")
    )
}

fn unknown_tool(name: &str) -> ErrorData {
    // -32602, as the MCP specification's own example for an unknown tool; the same answer whether the
    // tool does not exist or the server's filter hides it, so a filter cannot be probed.
    // rmcp logs error answers: never echo an arbitrary caller-supplied name (size, PII, log forgery).
    ErrorData::invalid_params(format!("unknown tool `{}`", loggable_tool_name(name)), None)
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let mut implementation = Implementation::new("switchboard", env!("CARGO_PKG_VERSION"));
        implementation.title = Some("Switchboard".to_owned());
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(implementation)
            .with_instructions(self.instructions())
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let binding = self.binding_for(&context);
        let tools = binding.tools(&self.executor);
        let start = match request.and_then(|r| r.cursor) {
            None => 0,
            Some(given) => {
                let after = cursor::decode(&given).ok_or_else(|| {
                    ErrorData::invalid_params(
                        "invalid cursor: pass `nextCursor` exactly as received",
                        None,
                    )
                })?;
                tools.partition_point(|tool| tool.name <= after.as_str())
            }
        };
        let page: Vec<&'static Tool> = tools
            .iter()
            .skip(start)
            .take(self.page_size)
            .copied()
            .collect();
        let next_cursor = match page.last() {
            Some(last) if start + page.len() < tools.len() => Some(cursor::encode(last.name)),
            _ => None,
        };
        tracing::debug!(server = %binding.name, listed = page.len(), total = tools.len(), "tools/list");
        let mut result = ListToolsResult::with_all_items(
            page.into_iter()
                .map(|t| describe_tool(&self.executor, t))
                .collect(),
        );
        result.next_cursor = next_cursor;
        Ok(result)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let binding = self.binding_for(&context);
        let Some(tool) = binding.tool(&self.executor, &request.name) else {
            if let Some(missing) = binding.missing_scopes(&self.executor, &request.name) {
                tracing::info!(server = %binding.name, tool = loggable_tool_name(&request.name), outcome = "insufficient_scope", "tools/call");
                return Err(ErrorData::invalid_params(
                    insufficient_scope_message(&request.name, &binding.account.id, &missing),
                    Some(
                        serde_json::json!({"code": "insufficient_scope", "missing_scopes": missing}),
                    ),
                ));
            }
            tracing::info!(server = %binding.name, tool = loggable_tool_name(&request.name), outcome = "unknown_tool", "tools/call");
            return Err(unknown_tool(&request.name));
        };
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        // The executor logs each call's outcome; the span adds which server (never its token) and
        // which front door it came through.
        let request_id = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<RequestId>())
            .map(|RequestId(id)| id.clone());
        let span = tracing::info_span!(
            "tools/call",
            server = %binding.name,
            via = "mcp",
            request = request_id.as_deref().unwrap_or("-")
        );
        match self
            .executor
            .call(&binding.account, tool.name, arguments)
            .instrument(span)
            .await
        {
            Ok(success) => Ok(results::success_result(success).into()),
            Err(ToolError::UnknownTool(name)) => Err(unknown_tool(&name)),
            Err(ToolError::AuthRequired {
                reconnect_url: Some(url),
                message,
            }) if accepts_url_elicitation(&context) => {
                Err(url_elicitation_required(&binding.account, &url, &message))
            }
            Err(error) => Ok(results::error_result(&error, Some(&binding.account)).into()),
        }
    }
}
