//! `switchboard sandbox`: the fake HubSpot and Salesforce APIs, for demos and trying things out.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use switchboard_sandbox::{
    DEFAULT_API_TOKEN, DEFAULT_RECORDS, RateBudget, SALESFORCE_API_VERSION, SandboxConfig,
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
    /// Request budget across both vendors, e.g. `100/10` (100 requests per 10 s); past it HubSpot
    /// answers 429 and Salesforce 403 REQUEST_LIMIT_EXCEEDED.
    #[arg(long, value_name = "N/SECONDS")]
    rate_limit: Option<RateBudget>,
}

/// Runs the sandbox until Ctrl-C (or SIGTERM), printing its URLs first.
pub async fn run(args: SandboxArgs) -> Outcome {
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    println!("hubspot_base_url={base}");
    println!("salesforce_instance_url={base}");
    println!("salesforce_rest_url={base}/services/data/{SALESFORCE_API_VERSION}");
    println!("api_token={}", args.api_token);
    tracing::info!(
        url = %base,
        records = args.records,
        rate_limit = %args.rate_limit.map_or_else(|| "none".to_owned(), |r| r.to_string()),
        "sandbox listening; Ctrl-C stops it"
    );
    let config = SandboxConfig {
        records: args.records,
        api_token: args.api_token,
        rate_limit: args.rate_limit,
        ..SandboxConfig::default()
    };
    switchboard_sandbox::serve_until(listener, config, shutdown_signal())
        .await
        .context("the sandbox stopped")?;
    tracing::info!("sandbox stopped");
    Ok(ExitCode::SUCCESS)
}
