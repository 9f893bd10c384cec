//! OAuth 2.0 for connected accounts: authorization URLs (single-use `state`, PKCE), the callback's
//! code exchange, signed connect links, and the refresh coordinator — the only code that spends
//! refresh tokens — with its proactive refresher and the re-authorization webhooks.
//!
//! The runtime sees none of this: [`Coordinator`] implements the runtime's `CredentialSource`.

mod apps;
mod client;
mod connect;
mod link;
mod refresh;
mod webhook;

pub use apps::env_names;
pub use client::{ClientCredentials, TokenError};
pub use connect::{
    ConnectError, ConnectRequest, Connector, Pending, STATE_TTL_SECS, requested_scopes,
};
pub use link::{ConnectLinks, DEFAULT_LINK_TTL_SECS, LinkError, LinkTarget};
pub use refresh::{Coordinator, RefreshPolicy, RefreshStats, WebhookTarget};
pub use webhook::{EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, run_deliveries, signature};
