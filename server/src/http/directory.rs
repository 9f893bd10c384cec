//! Where capability tokens are resolved to the servers they open, and API tokens (the second factor)
//! to the callers they name.

use crate::mcp::{Access, Binding, Bound, UserAccount};
use switchboard_runtime::account::Account;
use switchboard_vault::Store;

/// Resolves capability tokens and API tokens. Implementations may block (the HTTP layer calls them
/// off the async threads).
pub trait Directory: Send + Sync + 'static {
    /// The server `token` opens, with its account; `Ok(None)` for unknown, revoked or expired tokens
    /// and for servers whose account is gone.
    fn resolve(&self, token: &str) -> Result<Option<Binding>, DirectoryError>;

    /// The caller a live API token names; `Ok(None)` for unknown, malformed or revoked tokens. A
    /// directory without API tokens knows none, so servers requiring one refuse every request.
    fn api_caller(&self, token: &str) -> Result<Option<ApiCaller>, DirectoryError> {
        let _ = token;
        Ok(None)
    }

    /// The account `user` connected for `integration` (per-user servers); `Ok(None)` when they have
    /// not connected it.
    fn user_account(
        &self,
        integration: &str,
        user: &str,
    ) -> Result<Option<Account>, DirectoryError> {
        let _ = (integration, user);
        Ok(None)
    }

    /// A number that changes whenever anything the other methods answer may have changed; `Ok(None)`
    /// when the directory cannot tell (then nothing it answers is cached).
    fn generation(&self) -> Result<Option<u64>, DirectoryError> {
        Ok(None)
    }
}

/// Who a live API token acts for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiCaller {
    /// The API token's name (never the token).
    pub name: String,
    /// The user it names, when any.
    pub user: Option<String>,
}

/// A lookup that failed (as opposed to a token that opens nothing).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DirectoryError(pub String);

impl Directory for Store {
    fn resolve(&self, token: &str) -> Result<Option<Binding>, DirectoryError> {
        let failed = |e: switchboard_vault::StoreError| DirectoryError(e.to_string());
        let Some(server) = self.server_by_token(token).map_err(failed)? else {
            return Ok(None);
        };
        let mut integrations = Vec::with_capacity(server.bindings.len());
        for binding in server.bindings {
            let access = match &binding.account_id {
                None => Access::PerUser(UserAccount::Unresolved),
                Some(id) => match self.account(id).map_err(failed)? {
                    Some(account) => Access::Shared(account),
                    None => {
                        // Bindings hold their accounts (ON DELETE RESTRICT); a missing one is a
                        // store edited by hand. Open nothing rather than part of the server.
                        tracing::warn!(server = %server.name, account = %id, "server's account is gone");
                        return Ok(None);
                    }
                },
            };
            integrations.push(Bound {
                integration: binding.integration,
                access,
            });
        }
        let redaction = match server.options.redact.as_deref().map(str::parse) {
            None => None,
            Some(Ok(mode)) => Some(mode),
            Some(Err(error)) => {
                // Never serve personal data a server was set up to hide.
                return Err(DirectoryError(format!("server `{}`: {error}", server.name)));
            }
        };
        Ok(Some(Binding {
            name: server.name,
            filter: server.filter,
            require_api_token: server.require_api_token,
            user: None,
            integrations,
            options: server.options,
            expires_at: server.expires_at,
            redaction,
            pii_key: self.pii_key(),
        }))
    }

    fn api_caller(&self, token: &str) -> Result<Option<ApiCaller>, DirectoryError> {
        let found = self
            .api_token_for(token)
            .map_err(|e| DirectoryError(e.to_string()))?;
        Ok(found.map(|record| ApiCaller {
            name: record.name,
            user: record.user,
        }))
    }

    fn user_account(
        &self,
        integration: &str,
        user: &str,
    ) -> Result<Option<Account>, DirectoryError> {
        Store::user_account(self, integration, user).map_err(|e| DirectoryError(e.to_string()))
    }

    fn generation(&self) -> Result<Option<u64>, DirectoryError> {
        Store::generation(self)
            .map(Some)
            .map_err(|e| DirectoryError(e.to_string()))
    }
}
