//! One tool call through a server, the same for every front door (MCP over any transport, REST):
//! what the name means on this server, which account serves it, the executor's call, and the
//! call's record.
//!
//! Front doors only translate: arguments in, [`Called`] or [`Refused`] out.

use std::time::Instant;

use serde_json::Value;
use tracing::Instrument;

use crate::audit::{AuditLog, CallContext, Via, event_for};
use crate::mcp::Binding;
use crate::mcp::binding::Lookup;
use crate::mcp::results::Subject;
use switchboard_runtime::executor::{Executor, loggable_tool_name};
use switchboard_runtime::observe::CallRecord;
use switchboard_runtime::outcome::{Success, ToolError};
use switchboard_runtime::redact::redact_result;
use switchboard_runtime::table::Tool;

/// Where a call came from, for logs and audit.
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    /// The front door.
    pub via: Via,
    /// The request id, when the transport has one.
    pub request_id: Option<&'a str>,
}

/// A call the server refuses before any vendor request, as a protocol error (not a tool result).
#[derive(Debug)]
pub enum Refused {
    /// Unknown here, or hidden by the filter (one answer, so filters cannot be probed).
    UnknownTool(String),
    /// The role allows the tool but the account's grant lacks scopes it needs.
    InsufficientScope {
        /// What to tell the agent.
        message: String,
        /// The scopes the account lacks.
        missing: Vec<&'static str>,
    },
}

/// A call that ran (or was answered as a tool result without reaching the vendor, such as
/// `auth_required` for a per-user integration the caller has not connected).
#[derive(Debug)]
pub struct Called {
    /// What the agent gets.
    pub outcome: Result<Success, ToolError>,
    /// The integration the tool belongs to.
    pub integration: &'static str,
    /// The account that served it, when there was one.
    pub account: Option<String>,
}

impl Called {
    /// Which integration and account a failed call was about.
    pub fn subject(&self) -> Subject<'_> {
        Subject {
            integration: self.integration,
            account: self.account.as_deref(),
        }
    }
}

/// Runs `name` with `arguments` on `binding`, and records one audit event for it (refusals too).
pub async fn call(
    executor: &Executor,
    audit: &AuditLog,
    binding: &Binding,
    name: &str,
    arguments: Value,
    caller: Caller<'_>,
) -> Result<Called, Refused> {
    let started = Instant::now();
    let audited = |record: &CallRecord, account: Option<&str>| {
        audit.record(event_for(
            record,
            &CallContext {
                server: Some(&binding.name),
                account,
                user: binding.user.as_deref(),
                via: caller.via,
                request_id: caller.request_id,
            },
        ));
    };
    let refused = |tool: Option<&'static Tool>, outcome: &'static str| CallRecord {
        integration: tool.map_or("unknown", |t| t.integration),
        tool: tool.map_or("unknown", |t| t.name),
        kind: tool.map_or("unknown", Tool::kind_name),
        outcome,
        upstream_status: None,
        latency: started.elapsed(),
    };
    let (tool, account) = match binding.lookup(executor, name) {
        Lookup::Exposed { tool, account } => (tool, account),
        Lookup::Unknown => {
            // Not the name: it is the caller's text (a name made of an email address is a valid
            // identifier), and logs never hold what callers send.
            tracing::info!(server = %binding.name, via = caller.via.as_str(), tool = "unknown", outcome = "unknown_tool", "tool call refused");
            audited(&refused(None, "unknown_tool"), None);
            return Err(Refused::UnknownTool(name.to_owned()));
        }
        Lookup::MissingScopes {
            tool,
            account,
            missing,
        } => {
            tracing::info!(server = %binding.name, via = caller.via.as_str(), tool = tool.name, account = %account.id, outcome = "insufficient_scope", "tool call refused");
            audited(
                &refused(Some(tool), "insufficient_scope"),
                Some(&account.id),
            );
            return Err(Refused::InsufficientScope {
                message: insufficient_scope_message(tool.name, &account.id, &missing),
                missing,
            });
        }
        Lookup::NotConnected { tool, connect_url } => {
            tracing::info!(server = %binding.name, via = caller.via.as_str(), tool = tool.name, user = binding.user.as_deref().unwrap_or("-"), outcome = "auth_required", "per-user integration not connected");
            audited(&refused(Some(tool), "auth_required"), None);
            let vendor = executor
                .integration(tool.integration)
                .map_or(tool.integration, |i| i.display_name);
            let message = match connect_url {
                Some(url) => format!(
                    "you have not connected your {vendor} account yet; ask the user to open {url} to connect it, then retry"
                ),
                None if binding.user.is_none() => format!(
                    "this server runs {vendor} calls as each user's own account, and the request names no user: send an API token created with `--user`"
                ),
                None => format!(
                    "you have not connected your {vendor} account yet; ask the operator for a connect link"
                ),
            };
            return Ok(Called {
                outcome: Err(ToolError::AuthRequired {
                    reconnect_url: connect_url.map(str::to_owned),
                    message,
                }),
                integration: tool.integration,
                account: None,
            });
        }
    };
    // The executor logs each call's outcome; the span adds which server (never its token), which
    // user and which front door.
    let span = tracing::info_span!(
        "tools/call",
        server = %binding.name,
        via = caller.via.as_str(),
        user = binding.user.as_deref().unwrap_or("-"),
        request = caller.request_id.unwrap_or("-")
    );
    let (outcome, record) = executor
        .call_recorded(account, tool.name, arguments)
        .instrument(span)
        .await;
    audited(&record, Some(&account.id));
    let outcome = outcome.map(|mut success| {
        if let Some(mode) = binding.redaction {
            redact_result(
                tool,
                &mut success.envelope,
                mode,
                &binding.tenant_pii_key(account),
            );
        }
        success
    });
    Ok(Called {
        outcome,
        integration: tool.integration,
        account: Some(account.id.clone()),
    })
}

/// Why a tool the role allows cannot be called with this account's grant.
pub fn insufficient_scope_message(tool: &str, account: &str, missing: &[&str]) -> String {
    format!(
        "`{}` needs OAuth scope(s) {} that account `{account}` was not granted; reconnect the account asking for them",
        loggable_tool_name(tool),
        missing.join(", ")
    )
}
