//! `switchboard servers`: MCP servers (agent roles), each an account seen through a tool filter and
//! reached at a capability URL.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use switchboard_generated::INTEGRATIONS;
use switchboard_server::mcp::binding::check_role;
use switchboard_vault::{
    Exposure, NewServer, ServerBinding, ServerOptions, check_name, describe_bindings,
    find_integration, now_unix,
};

use crate::tools::{FilterArgs, OptionsArgs};
use crate::{Context, Outcome, format_time, print_table};

/// `switchboard servers …`.
#[derive(Debug, Subcommand)]
pub enum ServersCommand {
    /// Create a server and print its MCP URL: `mcp_url=<public url>/mcp/<token>`. The token is shown
    /// only now (the store keeps its hash).
    Create(CreateArgs),
    /// List servers (never their tokens): filter, accounts (or per-user), whether an API token is
    /// required, expiry, last use, revocation.
    List,
    /// Revoke a server: its URL answers 404 at once, like an unknown one; the server stays listed
    /// with its revocation time.
    Revoke(RevokeArgs),
}

/// `switchboard servers revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The server to revoke.
    #[arg(long, value_name = "NAME")]
    name: String,
}

/// `switchboard servers create`.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("binding").required(true).multiple(true).args(["accounts", "per_user"])
))]
pub struct CreateArgs {
    /// Server name: 1 to 64 of A-Z a-z 0-9 _ . - (e.g. `support-agent`).
    #[arg(long, value_name = "NAME", value_parser = parse_server_name)]
    name: String,
    /// A shared account its calls to that account's integration run as. Repeat for a server that
    /// reaches several integrations (one account per integration).
    #[arg(long = "account", value_name = "ID")]
    accounts: Vec<String>,
    /// An integration whose calls run as the calling user's own account (the API token names the
    /// user; they connect with a link the server gives them). Implies --require-api-token. Repeat
    /// for several integrations; mix with --account for a hybrid server.
    #[arg(long = "per-user", value_name = "INTEGRATION")]
    per_user: Vec<String>,
    #[command(flatten)]
    filter: FilterArgs,
    /// Also require an API token (`switchboard api-tokens create`) on every request, sent as
    /// `Authorization: Bearer <api token>`: the URL alone is then not enough to act.
    #[arg(long)]
    require_api_token: bool,
    #[command(flatten)]
    options: OptionsArgs,
    /// When the URL stops working: RFC 3339 (`2026-12-31T23:59:59Z`) or Unix seconds.
    #[arg(long, value_name = "TIME", value_parser = parse_expiry)]
    expires_at: Option<i64>,
}

/// An expiry time: Unix seconds or RFC 3339, in the future.
fn parse_expiry(text: &str) -> Result<i64, String> {
    switchboard_vault::time::parse_expiry(text, now_unix())
}

fn parse_server_name(name: &str) -> Result<String, String> {
    check_name("server name", name)
        .map(|()| name.to_owned())
        .map_err(|e| e.to_string())
}

/// Runs `switchboard servers …`.
pub fn run(cmd: ServersCommand, ctx: &Context) -> Outcome {
    match cmd {
        ServersCommand::Create(args) => create(args, ctx),
        ServersCommand::List => list(ctx),
        ServersCommand::Revoke(args) => revoke(&args, ctx),
    }
}

fn create(args: CreateArgs, ctx: &Context) -> Outcome {
    let public_url = ctx.public_url()?;
    let store = ctx.open_existing_store()?;
    let mut bindings = Vec::new();
    for id in &args.accounts {
        let account = store.require_account_summary(id)?;
        bindings.push(ServerBinding::shared(account.integration, id.clone()));
    }
    for integration in &args.per_user {
        let table = find_integration(integration, INTEGRATIONS)?;
        bindings.push(ServerBinding::per_user(table.name));
    }
    let filter = args.filter.to_filter(None);
    // A role that can do nothing, or whose tools collide by name, is a mistake, not a server:
    // refuse it before minting a URL.
    let integrations: Vec<&str> = bindings.iter().map(|b| b.integration.as_str()).collect();
    check_role(INTEGRATIONS, &integrations, &filter)?;
    let require_api_token = args.require_api_token || !args.per_user.is_empty();
    let (server, token) = store.create_server(NewServer {
        name: args.name,
        bindings,
        filter,
        expires_at: args.expires_at,
        require_api_token,
        options: args.options.to_options(),
    })?;
    // The token exists only now: print it before anything else can fail.
    out!("mcp_url={public_url}/mcp/{token}")?;
    if server.has_per_user() {
        eprintln!(
            "note: server `{}` runs per-user integrations as each caller's own account: clients send `Authorization: Bearer <api token>` of a token made with `switchboard api-tokens create --user USER`; `GET <mcp_url>/authorize` tells the user what to connect",
            server.name
        );
    } else if server.require_api_token {
        eprintln!(
            "note: server `{}` requires an API token: clients send `Authorization: Bearer <api token>` (create one with `switchboard api-tokens create`)",
            server.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn list(ctx: &Context) -> Outcome {
    let store = ctx.open_existing_store()?;
    let servers = store.list_servers()?;
    let now = now_unix();
    let rows: Vec<Vec<String>> = servers
        .iter()
        .map(|s| {
            let expires = match s.expires_at {
                None => "never".to_owned(),
                Some(at) if s.is_expired_at(now) => format!("expired {}", format_time(at)),
                Some(at) => format_time(at),
            };
            vec![
                s.name.clone(),
                describe_bindings(&s.bindings),
                if s.require_api_token { "yes" } else { "no" }.to_owned(),
                format_time(s.created_at),
                expires,
                s.last_used_at
                    .map_or_else(|| "never".to_owned(), format_time),
                s.revoked_at.map_or_else(|| "-".to_owned(), format_time),
                s.filter.to_string(),
                options_text(&s.options),
            ]
        })
        .collect();
    print_table(
        &[
            "NAME",
            "ACCOUNTS",
            "API_TOKEN",
            "CREATED",
            "EXPIRES",
            "LAST_USED",
            "REVOKED",
            "FILTER",
            "OPTIONS",
        ],
        &rows,
    )?;
    if servers.is_empty() {
        eprintln!("no servers yet; create one with `switchboard servers create`");
    }
    Ok(ExitCode::SUCCESS)
}

/// `redact=mask no-pii-tools exposure=discovery`, or `-` for defaults.
fn options_text(options: &ServerOptions) -> String {
    let mut parts = Vec::new();
    if let Some(mode) = &options.redact {
        parts.push(format!("redact={mode}"));
    }
    if options.hide_pii_tools {
        parts.push("no-pii-tools".to_owned());
    }
    if options.exposure != Exposure::Direct {
        parts.push(format!("exposure={}", options.exposure.as_str()));
    }
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(" ")
    }
}

fn revoke(args: &RevokeArgs, ctx: &Context) -> Outcome {
    let store = ctx.open_existing_store()?;
    let server = store.revoke_server(&args.name)?;
    let at = server
        .revoked_at
        .map_or_else(|| "-".to_owned(), format_time);
    out!(
        "revoked server `{}` at {at}: its URL answers 404 from now on",
        server.name
    )?;
    Ok(ExitCode::SUCCESS)
}
