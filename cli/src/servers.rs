//! `switchboard servers`: MCP servers (agent roles), each an account seen through a tool filter and
//! reached at a capability URL.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use switchboard_vault::{NewServer, check_name, now_unix};

use crate::tools::{FilterArgs, matching_tools};
use crate::{Context, Outcome, format_time, print_table};

/// `switchboard servers …`.
#[derive(Debug, Subcommand)]
pub enum ServersCommand {
    /// Create a server and print its MCP URL: `mcp_url=<public url>/mcp/<token>`. The token is shown
    /// only now (the store keeps its hash).
    Create(CreateArgs),
    /// List servers (never their tokens).
    List,
}

/// `switchboard servers create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Server name: 1 to 64 of A-Z a-z 0-9 _ . - (e.g. `support-agent`).
    #[arg(long, value_name = "NAME", value_parser = parse_server_name)]
    name: String,
    /// The account its tool calls run as.
    #[arg(long, value_name = "ID")]
    account: String,
    #[command(flatten)]
    filter: FilterArgs,
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
    }
}

fn create(args: CreateArgs, ctx: &Context) -> Outcome {
    let public_url = ctx.public_url()?;
    let store = ctx.open_existing_store()?;
    let filter = args.filter.to_filter(None);
    let (server, token) = store.create_server(NewServer {
        name: args.name,
        account_id: args.account,
        filter,
        expires_at: None,
    })?;
    // The token exists only now: print it before anything else can fail.
    out!("mcp_url={public_url}/mcp/{token}")?;
    if let Ok(Some(account)) = store.account_summary(&server.account_id)
        && matching_tools(&server.filter, Some(&account.integration)).is_empty()
    {
        eprintln!(
            "warning: server `{}` exposes no tools: no `{}` tool matches {}",
            server.name, account.integration, server.filter
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
                s.account_id.clone(),
                format_time(s.created_at),
                expires,
                s.filter.to_string(),
            ]
        })
        .collect();
    print_table(&["NAME", "ACCOUNT", "CREATED", "EXPIRES", "FILTER"], &rows)?;
    if servers.is_empty() {
        eprintln!("no servers yet; create one with `switchboard servers create`");
    }
    Ok(ExitCode::SUCCESS)
}
