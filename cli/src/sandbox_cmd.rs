//! `switchboard sandbox`: the fake HubSpot, Salesforce, Pipedrive and Zendesk APIs, for demos and
//! trying things out.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use switchboard_sandbox::{
    DEFAULT_API_TOKEN, DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET, DEFAULT_RECORDS,
    DEFAULT_TOKEN_TTL, OAuthConfig, RateBudget, SALESFORCE_API_VERSION, SandboxConfig,
};
use tokio::net::TcpListener;

use crate::{Outcome, shutdown_signal};

/// `switchboard sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9100")]
    listen: SocketAddr,
    /// Records seeded per object type.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RECORDS)]
    records: usize,
    /// Bearer token every vendor request must present.
    #[arg(long, value_name = "TOKEN", default_value = DEFAULT_API_TOKEN)]
    api_token: String,
    /// Request budget across all vendors, e.g. `100/10` (100 requests per 10 s); past it each answers
    /// as it does when rate-limited (Salesforce with 403 REQUEST_LIMIT_EXCEEDED, the others 429).
    #[arg(long, value_name = "N/SECONDS")]
    rate_limit: Option<RateBudget>,
    /// Lifetime of the access tokens its identity providers issue, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_TOKEN_TTL.as_secs())]
    token_ttl: u64,
    /// Rotate the refresh token on every refresh, and treat a reused one as theft: the whole chain
    /// is revoked (what the strictest identity providers do).
    #[arg(long)]
    strict_rotation: bool,
    /// The OAuth client id its identity providers accept.
    #[arg(long, value_name = "ID", default_value = DEFAULT_OAUTH_CLIENT_ID)]
    client_id: String,
    /// Environment variable holding the OAuth client secret they accept (default: the sandbox's
    /// well-known `sandbox-client-secret`).
    #[arg(long, value_name = "VAR")]
    client_secret_env: Option<String>,
}

/// Runs the sandbox until Ctrl-C (or SIGTERM), printing its URLs first.
pub async fn run(args: SandboxArgs) -> Outcome {
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    out!("hubspot_base_url={base}")?;
    out!("salesforce_instance_url={base}")?;
    out!("salesforce_rest_url={base}/services/data/{SALESFORCE_API_VERSION}")?;
    // What an account's base URL is set to: Pipedrive's `api_domain`, a Zendesk subdomain's origin.
    out!("pipedrive_api_domain={base}")?;
    out!("zendesk_url={base}")?;
    out!("api_token={}", args.api_token)?;
    out!("oauth_client_id={}", args.client_id)?;
    tracing::info!(
        url = %base,
        records = args.records,
        rate_limit = %args.rate_limit.map_or_else(|| "none".to_owned(), |r| r.to_string()),
        "sandbox listening; Ctrl-C stops it"
    );
    let client_secret = match &args.client_secret_env {
        Some(var) => crate::accounts::read_secret(var)?,
        None => DEFAULT_OAUTH_CLIENT_SECRET.to_owned(),
    };
    let config = SandboxConfig {
        records: args.records,
        api_token: args.api_token,
        rate_limit: args.rate_limit,
        oauth: OAuthConfig {
            client_id: args.client_id,
            client_secret,
            token_ttl: std::time::Duration::from_secs(args.token_ttl),
            strict_rotation: args.strict_rotation,
        },
    };
    switchboard_sandbox::serve_until(listener, config, shutdown_signal())
        .await
        .context("the sandbox stopped")?;
    tracing::info!("sandbox stopped");
    Ok(ExitCode::SUCCESS)
}
