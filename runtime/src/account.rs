//! Connected accounts: one tenant's credentials for one integration.

use std::fmt;

/// A connected account as the executor needs it: decrypted, in memory only for the call.
#[derive(Clone)]
pub struct Account {
    /// Operator-chosen id (`acme-hubspot`).
    pub id: String,
    /// The integration's name (`hubspot`).
    pub integration: String,
    /// Origin override (sandbox, EU data centre, Salesforce `instance_url`); `None` uses the table's.
    pub base_url: Option<String>,
    /// How requests authenticate.
    pub credential: Credential,
    /// OAuth scopes the account was granted; `None` when unknown (static tokens), which grants all.
    pub granted_scopes: Option<Vec<String>>,
    /// When `credential` stops working (Unix seconds); `None` when unknown or never (static tokens).
    pub expires_at: Option<i64>,
    /// Whether the account must be connected again before it can be used (its refresh token died).
    pub needs_reauth: bool,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secrets.
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("integration", &self.integration)
            .field("base_url", &self.base_url)
            .field("credential", &self.credential.kind())
            .field("expires_at", &self.expires_at)
            .field("needs_reauth", &self.needs_reauth)
            .finish_non_exhaustive()
    }
}

/// A credential. Its `Debug` never shows the secret.
#[derive(Clone)]
pub enum Credential {
    /// `Authorization: Bearer <token>` (static tokens and OAuth access tokens alike).
    Bearer(String),
    /// An API key placed as the integration's table says.
    ApiKey(String),
    /// HTTP Basic.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
}

impl Credential {
    /// `bearer`, `api_key` or `basic`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Bearer(_) => "bearer",
            Self::ApiKey(_) => "api_key",
            Self::Basic { .. } => "basic",
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credential::{}(<redacted>)", self.kind())
    }
}
