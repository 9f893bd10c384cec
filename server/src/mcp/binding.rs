//! What one MCP server (agent role) exposes: for each integration it binds, a shared account or the
//! calling user's own account, seen through one tool filter and the accounts' granted scopes.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use switchboard_runtime::account::Account;
use switchboard_runtime::executor::Executor;
use switchboard_runtime::filter::ToolFilter;
use switchboard_runtime::redact::{Redaction, redact_output_schema, tenant_key};
use switchboard_runtime::table::Tool;
use switchboard_vault::ServerOptions;

/// One MCP server as a request sees it: resolved from its capability token, with the caller's user
/// (from the API token) and that user's accounts filled in.
#[derive(Clone)]
pub struct Binding {
    /// The server's name, for logs and audit (never its token).
    pub name: String,
    /// Which tools the server exposes.
    pub filter: ToolFilter,
    /// Whether requests must carry a live API token as well as the capability URL.
    pub require_api_token: bool,
    /// The user the request's API token names (per-user mode, audit); `None` without one.
    pub user: Option<String>,
    /// Each bound integration, sorted by integration name.
    pub integrations: Vec<Bound>,
    /// Exposure and redaction.
    pub options: ServerOptions,
    /// When the server's URL stops working, Unix seconds.
    pub expires_at: Option<i64>,
    /// How fields marked `pii` reach agents (from `options`); `None` as the vendor sent them.
    pub redaction: Option<Redaction>,
    /// The server's key for pseudonyms (`--redact hash`); each account gets its own key from it.
    pub pii_key: [u8; 32],
}

/// One integration of a server and the account its calls run as.
#[derive(Clone)]
pub struct Bound {
    /// The integration's name.
    pub integration: String,
    /// Whose account serves the calls.
    pub access: Access,
}

/// Whose account serves an integration's calls.
#[derive(Clone)]
pub enum Access {
    /// One account for every caller.
    Shared(Account),
    /// The calling user's own account.
    PerUser(UserAccount),
}

/// The calling user's account for a per-user integration, as far as it is known.
#[derive(Clone)]
pub enum UserAccount {
    /// The user has connected the integration.
    Connected(Account),
    /// The user has not connected it: calls answer `auth_required` with this URL, which connects
    /// an account for exactly this user (`None` when no connect route is configured).
    NotConnected {
        /// The signed connect link for this user.
        connect_url: Option<String>,
    },
    /// Not looked up yet (no user known, or before the second factor was checked).
    Unresolved,
}

impl Bound {
    /// The account calls run as, when there is one.
    pub fn account(&self) -> Option<&Account> {
        match &self.access {
            Access::Shared(account) | Access::PerUser(UserAccount::Connected(account)) => {
                Some(account)
            }
            Access::PerUser(_) => None,
        }
    }

    /// Whether this integration is per-user.
    pub fn is_per_user(&self) -> bool {
        matches!(self.access, Access::PerUser(_))
    }
}

impl fmt::Debug for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binding")
            .field("name", &self.name)
            .field("integrations", &self.integrations)
            .field("filter", &self.filter.to_string())
            .field("require_api_token", &self.require_api_token)
            .field("user", &self.user)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Account ids only: never credentials, never connect links (they are bearer capabilities).
        let access = match &self.access {
            Access::Shared(account) => format!("shared:{}", account.id),
            Access::PerUser(UserAccount::Connected(account)) => format!("per-user:{}", account.id),
            Access::PerUser(UserAccount::NotConnected { .. }) => "per-user:not-connected".into(),
            Access::PerUser(UserAccount::Unresolved) => "per-user".into(),
        };
        write!(f, "{}={access}", self.integration)
    }
}

/// What a tool name means on a server.
pub enum Lookup<'a> {
    /// Exposed: call it as `account`.
    Exposed {
        /// The tool.
        tool: &'static Tool,
        /// The account the call runs as.
        account: &'a Account,
    },
    /// Allowed, but the caller has not connected the tool's (per-user) integration.
    NotConnected {
        /// The tool.
        tool: &'static Tool,
        /// The signed link that connects it for this user.
        connect_url: Option<&'a str>,
    },
    /// Allowed by the filter, but the account lacks OAuth scopes the tool needs.
    MissingScopes {
        /// The tool.
        tool: &'static Tool,
        /// The account that lacks them.
        account: &'a Account,
        /// The scopes it lacks.
        missing: Vec<&'static str>,
    },
    /// Unknown, or hidden by the filter (the same answer, so a filter cannot be probed).
    Unknown,
}

impl Binding {
    /// A server on one shared account (stdio, tests).
    pub fn single(name: impl Into<String>, account: Account, filter: ToolFilter) -> Self {
        Self {
            name: name.into(),
            filter,
            require_api_token: false,
            user: None,
            integrations: vec![Bound {
                integration: account.integration.clone(),
                access: Access::Shared(account),
            }],
            options: ServerOptions::default(),
            expires_at: None,
            redaction: None,
            pii_key: [0; 32],
        }
    }

    /// The pseudonym key of `account` under this server's key: stable per tenant, so an agent can
    /// correlate one tenant's records, and different across tenants.
    pub fn tenant_pii_key(&self, account: &Account) -> [u8; 32] {
        tenant_key(&self.pii_key, &account.id)
    }

    /// The output schema agents see for `tool`: with personal fields stripped or retyped when the
    /// server redacts them, so redacted results still validate.
    pub fn output_schema(&self, executor: &Executor, tool: &Tool) -> Arc<Map<String, Value>> {
        let output = executor.schemas(tool).output.clone();
        match self.redaction {
            Some(mode) if !tool.pii.is_empty() => {
                let mut schema = Value::Object((*output).clone());
                redact_output_schema(tool, &mut schema, mode);
                match schema {
                    Value::Object(map) => Arc::new(map),
                    _ => output,
                }
            }
            _ => output,
        }
    }

    /// The binding of `integration`, when the server binds it.
    pub fn bound(&self, integration: &str) -> Option<&Bound> {
        self.integrations
            .iter()
            .find(|bound| bound.integration == integration)
    }

    /// What `name` means on this server.
    pub fn lookup<'a>(&'a self, executor: &Executor, name: &str) -> Lookup<'a> {
        for bound in &self.integrations {
            let Some(tool) = executor.tool(&bound.integration, name) else {
                continue;
            };
            if !self.filter.allows(tool) || (self.options.hide_pii_tools && tool.mostly_pii) {
                return Lookup::Unknown;
            }
            return match &bound.access {
                Access::Shared(account) | Access::PerUser(UserAccount::Connected(account)) => {
                    match missing_scopes(tool, account) {
                        None => Lookup::Exposed { tool, account },
                        Some(missing) => Lookup::MissingScopes {
                            tool,
                            account,
                            missing,
                        },
                    }
                }
                Access::PerUser(UserAccount::NotConnected { connect_url }) => {
                    Lookup::NotConnected {
                        tool,
                        connect_url: connect_url.as_deref(),
                    }
                }
                Access::PerUser(UserAccount::Unresolved) => Lookup::NotConnected {
                    tool,
                    connect_url: None,
                },
            };
        }
        Lookup::Unknown
    }

    /// Whether the server lists `tool`: its integration is bound, the filter allows it, and the
    /// account serving it was granted every scope it needs. Tools of a per-user integration the
    /// caller has not connected are listed (a call answers `auth_required` with the connect link).
    pub fn exposes(&self, tool: &Tool) -> bool {
        let Some(bound) = self.bound(tool.integration) else {
            return false;
        };
        self.filter.allows(tool)
            && !(self.options.hide_pii_tools && tool.mostly_pii)
            && bound
                .account()
                .is_none_or(|account| missing_scopes(tool, account).is_none())
    }

    /// Every exposed tool, sorted by name.
    pub fn tools(&self, executor: &Executor) -> Vec<&'static Tool> {
        let mut tools: Vec<&'static Tool> = self
            .integrations
            .iter()
            .filter_map(|bound| executor.integration(&bound.integration))
            .flat_map(|integration| integration.tools.iter())
            .filter(|tool| self.exposes(tool))
            .collect();
        tools.sort_unstable_by_key(|tool| (tool.name, tool.integration));
        tools
    }

    /// The first account the server reaches (for messages about the server as a whole).
    pub fn first_account(&self) -> Option<&Account> {
        self.integrations.iter().find_map(Bound::account)
    }
}

/// The scopes `tool` needs that `account` was not granted; `None` when none is missing (or the grant
/// is unknown, which grants all).
fn missing_scopes(tool: &Tool, account: &Account) -> Option<Vec<&'static str>> {
    let missing = tool.missing_scopes(account.granted_scopes.as_ref()?);
    (!missing.is_empty()).then_some(missing)
}

/// Why a role (a server's integrations and filter) cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    /// The filter leaves nothing to call.
    #[error(
        "no {integrations} tool matches {filter}: the server would expose nothing; check --methods, --tags and --kinds (`switchboard tools` lists them)"
    )]
    NothingExposed {
        /// The bound integrations, comma-separated.
        integrations: String,
        /// The filter.
        filter: String,
    },
    /// Two bound integrations expose a tool of the same name (unified tools are shared by name).
    #[error(
        "`{tool}` exists in both `{first}` and `{second}`: one server cannot tell them apart; use --kinds proxy or one server per integration"
    )]
    SameToolName {
        /// The tool name.
        tool: &'static str,
        /// One integration.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
}

/// Checks a role before a URL is minted for it: the filter must leave at least one tool of the bound
/// `integrations` (names of `tables`), and no two of them may expose a tool of the same name.
pub fn check_role(
    tables: &[&'static switchboard_runtime::table::Integration],
    integrations: &[&str],
    filter: &ToolFilter,
) -> Result<(), RoleError> {
    let mut tools: Vec<&'static Tool> = tables
        .iter()
        .filter(|table| integrations.contains(&table.name))
        .flat_map(|table| table.tools.iter())
        .filter(|tool| filter.allows(tool))
        .collect();
    if tools.is_empty() {
        return Err(RoleError::NothingExposed {
            integrations: integrations
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(" or "),
            filter: filter.to_string(),
        });
    }
    tools.sort_unstable_by_key(|tool| (tool.name, tool.integration));
    for pair in tools.windows(2) {
        if pair[0].name == pair[1].name {
            return Err(RoleError::SameToolName {
                tool: pair[0].name,
                first: pair[0].integration,
                second: pair[1].integration,
            });
        }
    }
    Ok(())
}
