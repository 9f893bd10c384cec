//! What one MCP server exposes: a connected account seen through a tool filter.

use std::fmt;

use switchboard_runtime::account::Account;
use switchboard_runtime::executor::Executor;
use switchboard_runtime::filter::ToolFilter;
use switchboard_runtime::table::Tool;

/// One MCP server (agent role): its name, the account its calls run as, and the filter on its tools.
#[derive(Clone)]
pub struct Binding {
    /// The server's name, for logs (never its token).
    pub name: String,
    /// The connected account every call runs as.
    pub account: Account,
    /// Which of the account's tools the server exposes.
    pub filter: ToolFilter,
    /// Whether requests must carry a live API token as well as the capability URL.
    pub require_api_token: bool,
    /// The user the request's API token names (per-user mode, audit); `None` without one.
    pub user: Option<String>,
}

impl fmt::Debug for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binding")
            .field("name", &self.name)
            .field("account", &self.account.id)
            .field("filter", &self.filter.to_string())
            .field("require_api_token", &self.require_api_token)
            .field("user", &self.user)
            .finish()
    }
}

impl Binding {
    /// Whether the server exposes `tool`: it belongs to the account's integration, passes the filter, and
    /// needs no scope the account was not granted.
    pub fn exposes(&self, tool: &Tool) -> bool {
        tool.integration == self.account.integration
            && self.filter.allows(tool)
            && match &self.account.granted_scopes {
                None => true,
                Some(granted) => tool
                    .scopes
                    .iter()
                    .all(|scope| granted.iter().any(|g| g == scope)),
            }
    }

    /// Every exposed tool, sorted by name.
    pub fn tools(&self, executor: &Executor) -> Vec<&'static Tool> {
        let mut tools: Vec<&'static Tool> = executor
            .integration(&self.account.integration)
            .map(|integration| integration.tools)
            .unwrap_or_default()
            .iter()
            .filter(|tool| self.exposes(tool))
            .collect();
        tools.sort_unstable_by_key(|tool| tool.name);
        tools
    }

    /// For a tool the server's filter allows but whose OAuth scopes the account was not granted: the
    /// missing scopes (the tool is not listed, and a call is refused naming them, before any vendor
    /// request). `None` for tools that are exposed, filtered out, or unknown.
    pub fn missing_scopes(&self, executor: &Executor, name: &str) -> Option<Vec<&'static str>> {
        let tool = executor.tool(&self.account.integration, name)?;
        let granted = self.account.granted_scopes.as_ref()?;
        if !self.filter.allows(tool) {
            return None;
        }
        let missing: Vec<&'static str> = tool
            .scopes
            .iter()
            .copied()
            .filter(|scope| !granted.iter().any(|g| g == scope))
            .collect();
        (!missing.is_empty()).then_some(missing)
    }

    /// The exposed tool called `name`, if any.
    pub fn tool(&self, executor: &Executor, name: &str) -> Option<&'static Tool> {
        executor
            .tool(&self.account.integration, name)
            .filter(|tool| self.exposes(tool))
    }
}
