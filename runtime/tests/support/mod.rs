//! What the runtime's sandbox-backed tests share: the sandbox, an executor over the compiled
//! tables, and an account of one of its vendors.

#![allow(dead_code)] // Each test file uses a different part.

use switchboard_runtime::account::{Account, Credential};
use switchboard_runtime::executor::{Executor, ExecutorConfig};
use switchboard_sandbox::{SandboxConfig, SandboxHandle};

/// The sandbox with its defaults.
pub async fn sandbox() -> SandboxHandle {
    match switchboard_sandbox::spawn(SandboxConfig::default()).await {
        Ok(handle) => handle,
        Err(e) => panic!("sandbox did not start: {e}"),
    }
}

/// An executor over every compiled integration, with default settings.
pub fn executor() -> Executor {
    Executor::new(
        switchboard_generated::INTEGRATIONS,
        ExecutorConfig::default(),
    )
}

/// The account `acme-<integration>` on the sandbox, with its static token.
pub fn account(sb: &SandboxHandle, integration: &str) -> Account {
    Account {
        id: format!("acme-{integration}"),
        integration: integration.to_owned(),
        base_url: Some(sb.base_url()),
        credential: Credential::Bearer(sb.api_token().to_owned()),
        granted_scopes: None,
        expires_at: None,
        needs_reauth: false,
    }
}
