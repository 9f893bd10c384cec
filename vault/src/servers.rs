//! MCP servers (agent roles): a capability token (kept only as a hash), a tool filter, and per
//! integration either one shared account or `per-user` (the calling user's own account).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::sql::{Row, SqlError, in_transaction};
use crate::{LAST_USE_GRANULARITY, Store, StoreError, Suggestion, check_name, now_unix, token};
use switchboard_runtime::account::Account;
use switchboard_runtime::filter::ToolFilter;

/// How a server reaches one integration.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerBinding {
    /// The integration's name.
    pub integration: String,
    /// The shared account every call to this integration runs as; `None` for per-user: each call
    /// runs as the calling user's own account (the API token names the user).
    pub account_id: Option<String>,
}

impl ServerBinding {
    /// One shared account for `integration`.
    pub fn shared(integration: impl Into<String>, account_id: impl Into<String>) -> Self {
        Self {
            integration: integration.into(),
            account_id: Some(account_id.into()),
        }
    }

    /// Each user's own account for `integration`.
    pub fn per_user(integration: impl Into<String>) -> Self {
        Self {
            integration: integration.into(),
            account_id: None,
        }
    }

    /// Whether calls run as the calling user's own account.
    pub fn is_per_user(&self) -> bool {
        self.account_id.is_none()
    }
}

/// What `tools/list` shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    /// Every tool the server allows, described in full.
    #[default]
    Direct,
    /// Only `search_tools`, `get_tool_schema` and `call_tool`, for large catalogues.
    Discovery,
}

impl Exposure {
    /// `direct` or `discovery`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Discovery => "discovery",
        }
    }
}

impl std::str::FromStr for Exposure {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "direct" => Ok(Self::Direct),
            "discovery" => Ok(Self::Discovery),
            other => Err(format!(
                "unknown exposure `{other}`: use `direct` or `discovery`"
            )),
        }
    }
}

/// Per-server options that are not access rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerOptions {
    /// What `tools/list` shows.
    pub exposure: Exposure,
    /// How fields marked `pii` reach agents: `strip`, `mask` or `hash`; `None` as the vendor sent them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redact: Option<String>,
    /// Hides tools whose output is mostly personal data.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hide_pii_tools: bool,
}

/// A server to create.
#[derive(Clone, Debug)]
pub struct NewServer {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// Per integration, the shared account or per-user; at least one, one per integration.
    pub bindings: Vec<ServerBinding>,
    /// Which tools it exposes.
    pub filter: ToolFilter,
    /// When its URL stops working, Unix seconds; `None` never.
    pub expires_at: Option<i64>,
    /// Whether requests must also carry a live API token (`Authorization: Bearer <api token>`), so
    /// the URL alone is not enough to act. Required for per-user bindings (the token names the user).
    pub require_api_token: bool,
    /// Exposure and redaction.
    pub options: ServerOptions,
}

impl NewServer {
    /// A server on one shared account, with default options.
    pub fn shared(
        name: impl Into<String>,
        integration: impl Into<String>,
        account_id: impl Into<String>,
        filter: ToolFilter,
    ) -> Self {
        Self {
            name: name.into(),
            bindings: vec![ServerBinding::shared(integration, account_id)],
            filter,
            expires_at: None,
            require_api_token: false,
            options: ServerOptions::default(),
        }
    }
}

/// A stored MCP server (never with its token, which only exists at creation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerRecord {
    /// Row id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Per integration, the shared account or per-user, sorted by integration.
    pub bindings: Vec<ServerBinding>,
    /// Which tools it exposes.
    pub filter: ToolFilter,
    /// When it was created, Unix seconds.
    pub created_at: i64,
    /// When its URL stops working, Unix seconds.
    pub expires_at: Option<i64>,
    /// Whether requests must also carry a live API token.
    pub require_api_token: bool,
    /// When its URL was last used, Unix seconds (recorded at most once a minute).
    pub last_used_at: Option<i64>,
    /// When it was revoked (its URL opens nothing since), Unix seconds.
    pub revoked_at: Option<i64>,
    /// Exposure and redaction.
    pub options: ServerOptions,
}

/// The listing form of a server: the same as a [`ServerRecord`].
pub type ServerSummary = ServerRecord;

impl ServerRecord {
    /// Whether the server has expired at `now` (Unix seconds).
    pub fn is_expired_at(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Whether the server has been revoked.
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }

    /// Whether any integration is bound per-user.
    pub fn has_per_user(&self) -> bool {
        self.bindings.iter().any(ServerBinding::is_per_user)
    }
}

/// The columns [`server_row`] reads, in order.
const SERVER_COLUMNS: &str = "id, name, filter, created_at, expires_at, require_api_token, last_used_at, revoked_at, options";

impl Store {
    /// Creates a server and returns it with its capability token, which is shown only now: the
    /// store keeps its hash.
    pub fn create_server(&self, server: NewServer) -> Result<(ServerRecord, String), StoreError> {
        check_name("server name", &server.name)?;
        let mut bindings = server.bindings;
        bindings.sort();
        self.check_bindings(&bindings, server.require_api_token)?;
        let filter = json_text("server filter", &server.filter)?;
        let options = json_text("server options", &server.options)?;
        let minted = token::mint().map_err(StoreError::Random)?;
        let created_at = now_unix();
        // The rows inserted, or the shared account that vanished since the check above.
        let created = in_transaction(self.db(), |tx| {
            let inserted = tx.query(
                "INSERT INTO servers (name, filter, token_hash, created_at, expires_at,
                                      require_api_token, options)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
                &[
                    server.name.as_str().into(),
                    filter.into(),
                    minted.hash.as_slice().into(),
                    created_at.into(),
                    server.expires_at.into(),
                    server.require_api_token.into(),
                    options.into(),
                ],
            );
            let id = match inserted {
                Ok(rows) => rows
                    .first()
                    .ok_or_else(|| SqlError::Other("INSERT … RETURNING gave no row".to_owned()))?
                    .get_i64(0)?,
                Err(SqlError::Constraint(_)) => {
                    return Err(StoreError::DuplicateServer(server.name.clone()));
                }
                Err(e) => return Err(e.into()),
            };
            for binding in &bindings {
                let inserted = tx.execute(
                    "INSERT INTO server_bindings (server_id, integration, account_id)
                     VALUES (?1, ?2, ?3)",
                    &[
                        id.into(),
                        binding.integration.as_str().into(),
                        binding.account_id.clone().into(),
                    ],
                );
                match inserted {
                    Ok(_) => {}
                    Err(SqlError::Constraint(_)) => {
                        // Named outside the (now spoiled) transaction, with a suggestion.
                        return Ok(Err(binding.account_id.clone().unwrap_or_default()));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(Ok(id))
        })?;
        let id = match created {
            Ok(id) => id,
            Err(account) => return Err(self.unknown_account(&account)?),
        };
        tracing::info!(server = %server.name, bindings = %describe(&bindings), filter = %server.filter, require_api_token = server.require_api_token, exposure = server.options.exposure.as_str(), "created server");
        let record = ServerRecord {
            id,
            name: server.name,
            bindings,
            filter: server.filter,
            created_at,
            expires_at: server.expires_at,
            require_api_token: server.require_api_token,
            last_used_at: None,
            revoked_at: None,
            options: server.options,
        };
        Ok((record, minted.token))
    }

    /// Checks sorted bindings: at least one, one per integration, shared accounts that exist and
    /// belong to the integration, and an API token required when any is per-user.
    fn check_bindings(
        &self,
        bindings: &[ServerBinding],
        require_api_token: bool,
    ) -> Result<(), StoreError> {
        if bindings.is_empty() {
            return Err(StoreError::InvalidServer(
                "a server needs at least one account or per-user integration".to_owned(),
            ));
        }
        for pair in bindings.windows(2) {
            if pair[0].integration == pair[1].integration {
                return Err(StoreError::InvalidServer(format!(
                    "integration `{}` is bound twice; a server binds each integration once, to one shared account or per-user",
                    pair[0].integration
                )));
            }
        }
        for binding in bindings {
            match &binding.account_id {
                Some(id) => {
                    let account = self.require_account_summary(id)?;
                    if account.integration != binding.integration {
                        return Err(StoreError::InvalidServer(format!(
                            "account `{id}` is a {} account, not {}",
                            account.integration, binding.integration
                        )));
                    }
                }
                None if !require_api_token => {
                    return Err(StoreError::InvalidServer(format!(
                        "`{}` is per-user, so the server must require an API token: the token names the user whose account serves each call",
                        binding.integration
                    )));
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Every server, by name (without tokens: the store does not have them).
    pub fn list_servers(&self) -> Result<Vec<ServerRecord>, StoreError> {
        self.db()
            .query(
                &format!("SELECT {SERVER_COLUMNS} FROM servers ORDER BY name"),
                &[],
            )?
            .iter()
            .map(|row| self.finish(server_row(row)?))
            .collect()
    }

    /// One server by name.
    pub fn server(&self, name: &str) -> Result<Option<ServerRecord>, StoreError> {
        self.db()
            .query_opt(
                &format!("SELECT {SERVER_COLUMNS} FROM servers WHERE name = ?1"),
                &[name.into()],
            )?
            .map(|row| self.finish(server_row(&row)?))
            .transpose()
    }

    /// The server a capability token opens; `None` for unknown, malformed, revoked or expired
    /// tokens. Records the use (at most once a minute per server).
    pub fn server_by_token(&self, token: &str) -> Result<Option<ServerRecord>, StoreError> {
        if !token::is_well_formed(token) {
            return Ok(None);
        }
        let hash = token::hash(token);
        let Some(record) = self
            .db()
            .query_opt(
                &format!("SELECT {SERVER_COLUMNS} FROM servers WHERE token_hash = ?1"),
                &[hash.as_slice().into()],
            )?
            .map(|row| self.finish(server_row(&row)?))
            .transpose()?
        else {
            return Ok(None);
        };
        if record.is_revoked() {
            tracing::info!(server = %record.name, "refused a revoked capability URL");
            return Ok(None);
        }
        let now = now_unix();
        if record.is_expired_at(now) {
            tracing::info!(server = %record.name, "refused an expired capability URL");
            return Ok(None);
        }
        if record
            .last_used_at
            .is_none_or(|at| now - at >= LAST_USE_GRANULARITY)
        {
            // Best effort: a busy database must not fail the call that merely used the URL.
            if let Err(error) = self.db().execute(
                "UPDATE servers SET last_used_at = ?2 WHERE id = ?1",
                &[record.id.into(), now.into()],
            ) {
                tracing::warn!(server = %record.name, %error, "cannot record the server's last use");
            }
        }
        Ok(Some(record))
    }

    /// The account `user` connected for `integration` (per-user servers), with its secret; the
    /// newest usable one when there are several. `None` when the user has not connected it.
    pub fn user_account(
        &self,
        integration: &str,
        user: &str,
    ) -> Result<Option<Account>, StoreError> {
        let id = self
            .db()
            .query_opt(
                "SELECT id FROM accounts WHERE integration = ?1 AND user_id = ?2
                 ORDER BY status = 'active' DESC, created_at DESC, id LIMIT 1",
                &[integration.into(), user.into()],
            )?
            .map(|row| row.get_text(0))
            .transpose()?;
        match id {
            Some(id) => self.account(&id),
            None => Ok(None),
        }
    }

    /// Revokes a server: its URL opens nothing from now on (like an unknown one), while its row stays
    /// for listings with the time of revocation. Revoking a revoked server changes nothing.
    pub fn revoke_server(&self, name: &str) -> Result<ServerRecord, StoreError> {
        self.db().execute(
            "UPDATE servers SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
            &[name.into(), now_unix().into()],
        )?;
        match self.server(name)? {
            Some(record) => {
                tracing::info!(server = %name, "revoked server");
                Ok(record)
            }
            None => Err(self.unknown_server(name)?),
        }
    }

    /// Deletes a server; its URL stops working at once.
    pub fn delete_server(&self, name: &str) -> Result<(), StoreError> {
        let changed = self
            .db()
            .execute("DELETE FROM servers WHERE name = ?1", &[name.into()])?;
        if changed == 0 {
            return Err(self.unknown_server(name)?);
        }
        tracing::info!(server = %name, "deleted server");
        Ok(())
    }

    fn unknown_server(&self, name: &str) -> Result<StoreError, StoreError> {
        let names: Vec<String> = self.list_servers()?.into_iter().map(|s| s.name).collect();
        Ok(StoreError::UnknownServer {
            name: name.to_owned(),
            suggestion: Suggestion::closest(name, names.iter().map(String::as_str)),
        })
    }

    /// A server row with its bindings.
    fn finish(&self, raw: RawServer) -> Result<ServerRecord, StoreError> {
        let filter = serde_json::from_str(&raw.filter).map_err(|e| StoreError::Corrupt {
            what: "server filter",
            detail: format!("server `{}`: {e}", raw.name),
        })?;
        let options = serde_json::from_str(&raw.options).map_err(|e| StoreError::Corrupt {
            what: "server options",
            detail: format!("server `{}`: {e}", raw.name),
        })?;
        let bindings = self
            .db()
            .query(
                "SELECT integration, account_id FROM server_bindings WHERE server_id = ?1
                 ORDER BY integration",
                &[raw.id.into()],
            )?
            .iter()
            .map(|row| {
                Ok(ServerBinding {
                    integration: row.get_text(0)?,
                    account_id: row.get_opt_text(1)?,
                })
            })
            .collect::<Result<Vec<_>, SqlError>>()?;
        Ok(ServerRecord {
            id: raw.id,
            name: raw.name,
            bindings,
            filter,
            created_at: raw.created_at,
            expires_at: raw.expires_at,
            require_api_token: raw.require_api_token,
            last_used_at: raw.last_used_at,
            revoked_at: raw.revoked_at,
            options,
        })
    }
}

/// `crm=acme, tickets=per-user`, for logs and listings.
pub fn describe(bindings: &[ServerBinding]) -> String {
    let parts: BTreeSet<String> = bindings
        .iter()
        .map(|b| {
            format!(
                "{}={}",
                b.integration,
                b.account_id.as_deref().unwrap_or("per-user")
            )
        })
        .collect();
    parts.into_iter().collect::<Vec<_>>().join(", ")
}

fn json_text(what: &'static str, value: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        what,
        detail: e.to_string(),
    })
}

struct RawServer {
    id: i64,
    name: String,
    filter: String,
    created_at: i64,
    expires_at: Option<i64>,
    require_api_token: bool,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    options: String,
}

/// A row of [`SERVER_COLUMNS`].
fn server_row(row: &Row) -> Result<RawServer, SqlError> {
    Ok(RawServer {
        id: row.get_i64(0)?,
        name: row.get_text(1)?,
        filter: row.get_text(2)?,
        created_at: row.get_i64(3)?,
        expires_at: row.get_opt_i64(4)?,
        require_api_token: row.get_bool(5)?,
        last_used_at: row.get_opt_i64(6)?,
        revoked_at: row.get_opt_i64(7)?,
        options: row.get_text(8)?,
    })
}
