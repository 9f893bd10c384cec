//! The MCP server handler: `initialize`, `tools/list` and `tools/call` over the generated tables.

use std::borrow::Cow;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool as McpTool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;

use super::binding::Binding;
use super::discovery::{self, DiscoveryError, IndexCache};
use super::results::Subject;
use super::{cursor, results};
use crate::audit::{AuditLog, Via};
use crate::gateway::{self, Called, Caller, Refused};
use crate::http::request_id::RequestId;
use switchboard_runtime::account::Account;
use switchboard_runtime::executor::{Executor, loggable_tool_name};
use switchboard_runtime::filter::ToolFilter;
use switchboard_runtime::outcome::ToolError;
use switchboard_runtime::table::Tool;
use switchboard_vault::Exposure;

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
    audit: AuditLog,
    via: Via,
    /// Search indexes of discovery-mode servers, shared by every session of the process.
    indexes: Arc<IndexCache>,
}

impl McpServer {
    /// A server named `name` exposing the tools `filter` allows for `account`.
    pub fn new(
        executor: Arc<Executor>,
        name: impl Into<String>,
        account: Account,
        filter: ToolFilter,
    ) -> Self {
        Self::from_binding(executor, Arc::new(Binding::single(name, account, filter)))
    }

    /// A server for an already-resolved binding.
    pub fn from_binding(executor: Arc<Executor>, binding: Arc<Binding>) -> Self {
        Self {
            executor,
            binding,
            page_size: DEFAULT_PAGE_SIZE,
            audit: AuditLog::disabled(),
            via: Via::Mcp,
            indexes: Arc::new(IndexCache::new()),
        }
    }

    /// Shares `indexes` (discovery mode's search indexes) with other sessions.
    pub fn with_indexes(mut self, indexes: Arc<IndexCache>) -> Self {
        self.indexes = indexes;
        self
    }

    /// Records every call in `audit`, as having come through `via`.
    pub fn with_audit(mut self, audit: AuditLog) -> Self {
        self.audit = audit;
        self
    }

    /// Names the front door calls come through (`stdio` for `mcp stdio`); MCP over HTTP by default.
    pub fn with_via(mut self, via: Via) -> Self {
        self.via = via;
        self
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
        let vendors: Vec<String> = self
            .binding
            .integrations
            .iter()
            .map(|bound| {
                let vendor = self
                    .executor
                    .integration(&bound.integration)
                    .map_or(bound.integration.as_str(), |i| i.display_name);
                match bound.account() {
                    Some(account) if !bound.is_per_user() => {
                        format!("the {vendor} account `{}`", account.id)
                    }
                    _ => format!("your own {vendor} account"),
                }
            })
            .collect();
        format!(
            "Tools for {}. List tools return `result`, `result_count` and \
             `next_cursor`: to get the next page, call the same tool again with `next_cursor` exactly \
             as received. Errors come back as tool results with `isError: true` and a structured \
             `error.code`; on `rate_limited`, wait `retry_after` seconds before calling again (Switchboard \
             never retries for you); on `auth_required`, a person must open `error.authorization_url`. \
             An `invalid_arguments` error names the offending argument as a JSON Pointer in `error.pointer`.",
            vendors.join(" and ")
        )
    }
}

/// What a discovery meta-tool call comes to.
enum MetaCall {
    /// Answered here (search, schema, or refused arguments).
    Answer(Result<CallToolResponse, ErrorData>),
    /// `call_tool`: call this tool with these arguments, as if called directly.
    Call(String, serde_json::Map<String, Value>),
}

impl McpServer {
    /// `search_tools`, `get_tool_schema` and `call_tool` over the tools `binding` exposes (so the
    /// filter, scopes and redaction apply through them; calls are audited as the tool they call).
    fn meta_tool(
        &self,
        binding: &Binding,
        name: &str,
        arguments: &serde_json::Map<String, Value>,
    ) -> MetaCall {
        let answered = match name {
            discovery::SEARCH_TOOLS => {
                let tools = binding.tools(&self.executor);
                let index = self.indexes.index(&tools, &self.executor);
                discovery::search_result(&index, arguments)
            }
            discovery::GET_TOOL_SCHEMA => {
                let tools = binding.tools(&self.executor);
                discovery::schema_result_with(&tools, arguments, |tool| {
                    describe_for(&self.executor, binding, tool)
                })
            }
            _ => match discovery::call_target(arguments) {
                Ok((name, arguments)) => return MetaCall::Call(name, arguments),
                Err(error) => Err(error),
            },
        };
        MetaCall::Answer(match answered {
            Ok(value) => Ok(CallToolResult::structured(value).into()),
            Err(DiscoveryError::UnknownTool(name)) => Err(unknown_tool(&name)),
            Err(error) => Ok(results::error_result(&ToolError::from(error), None).into()),
        })
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
fn url_elicitation_required(subject: Subject<'_>, url: &str, message: &str) -> ErrorData {
    ErrorData::new(
        rmcp::model::ErrorCode(URL_ELICITATION_REQUIRED),
        message.to_owned(),
        Some(serde_json::json!({
            "elicitations": [{
                "mode": "url",
                "elicitationId": format!("connect-{}", subject.account.unwrap_or(subject.integration)),
                "url": url,
                "message": match subject.account {
                    Some(account) => format!(
                        "Connect your {} account `{account}` to continue.",
                        subject.integration
                    ),
                    None => format!("Connect your {} account to continue.", subject.integration),
                },
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

/// [`describe_tool`] as `binding` shows it: the output schema the server's redaction leaves.
pub fn describe_for(executor: &Executor, binding: &Binding, tool: &'static Tool) -> McpTool {
    let mut described = describe_tool(executor, tool);
    if binding.redaction.is_some() {
        described.output_schema = Some(binding.output_schema(executor, tool));
    }
    described
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
        if binding.options.exposure == Exposure::Discovery {
            // Three tools whatever the catalogue's size; the rest is found through them.
            return Ok(ListToolsResult::with_all_items(discovery::meta_tools()));
        }
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
                .map(|t| describe_for(&self.executor, &binding, t))
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
        let arguments = request.arguments.unwrap_or_default();
        let (name, arguments) = if binding.options.exposure == Exposure::Discovery
            && discovery::is_meta_tool(&request.name)
        {
            match self.meta_tool(&binding, &request.name, &arguments) {
                MetaCall::Answer(answer) => return answer,
                MetaCall::Call(name, arguments) => (name, arguments),
            }
        } else {
            (request.name.to_string(), arguments)
        };
        let arguments = Value::Object(arguments);
        let request_id = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<RequestId>())
            .map(|RequestId(id)| id.clone());
        let caller = Caller {
            via: self.via,
            request_id: request_id.as_deref(),
        };
        let called = gateway::call(
            &self.executor,
            &self.audit,
            &binding,
            &name,
            arguments,
            caller,
        )
        .await
        .map_err(|refused| match refused {
            Refused::UnknownTool(name) => unknown_tool(&name),
            Refused::InsufficientScope { message, missing } => ErrorData::invalid_params(
                message,
                Some(serde_json::json!({"code": "insufficient_scope", "missing_scopes": missing})),
            ),
        })?;
        let Called {
            outcome,
            integration,
            account,
        } = called;
        let subject = Subject {
            integration,
            account: account.as_deref(),
        };
        match outcome {
            Ok(success) => Ok(results::success_result(success).into()),
            Err(ToolError::UnknownTool(name)) => Err(unknown_tool(&name)),
            Err(ToolError::AuthRequired {
                reconnect_url: Some(url),
                message,
            }) if accepts_url_elicitation(&context) => {
                Err(url_elicitation_required(subject, &url, &message))
            }
            Err(error) => Ok(results::error_result(&error, Some(subject)).into()),
        }
    }
}
