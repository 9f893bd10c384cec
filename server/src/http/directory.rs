//! Where capability tokens are resolved to the servers they open.

use crate::mcp::Binding;
use switchboard_vault::Store;

/// Resolves capability tokens. Implementations may block (the HTTP layer calls them off the async
/// threads).
pub trait Directory: Send + Sync + 'static {
    /// The server `token` opens, with its account; `Ok(None)` for unknown, revoked or expired tokens
    /// and for servers whose account is gone.
    fn resolve(&self, token: &str) -> Result<Option<Binding>, DirectoryError>;
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
        }))
    }
}
