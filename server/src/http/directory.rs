//! Where capability tokens are resolved to the servers they open, and API tokens (the second factor)
//! to the callers they name.

use crate::mcp::Binding;
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
        let Some(account) = self.account(&server.account_id).map_err(failed)? else {
            tracing::warn!(server = %server.name, account = %server.account_id, "server's account is gone");
            return Ok(None);
        };
        Ok(Some(Binding {
            name: server.name,
            account,
            filter: server.filter,
            require_api_token: server.require_api_token,
            user: None,
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
}
