//! `switchboard api-tokens`: the second factor a server created with `--require-api-token` wants on
//! every request (`Authorization: Bearer <api token>`), so a leaked URL alone cannot act.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use switchboard_vault::check_name;

use crate::{Context, Outcome, format_time, print_table};

/// `switchboard api-tokens …`.
#[derive(Debug, Subcommand)]
pub enum ApiTokensCommand {
    /// Create an API token and print it once: `api_token=<token>` (the store keeps its hash).
    Create(CreateArgs),
    /// List API tokens: name, user, created, last used, revoked (never the tokens).
    List,
    /// Revoke an API token: requests carrying it answer 401 at once.
    Revoke(RevokeArgs),
}

/// `switchboard api-tokens create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Token name: 1 to 64 of A-Z a-z 0-9 _ . - (e.g. `ci-agent`).
    #[arg(long, value_name = "NAME", value_parser = parse_name("API token name"))]
    name: String,
    /// The user the token acts for (per-user servers, audit).
    #[arg(long, value_name = "USER", value_parser = parse_name("user"))]
    user: Option<String>,
}

/// `switchboard api-tokens revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The token's name.
    #[arg(long, value_name = "NAME")]
    name: String,
}

fn parse_name(what: &'static str) -> impl Fn(&str) -> Result<String, String> + Clone {
    move |name| {
        check_name(what, name)
            .map(|()| name.to_owned())
            .map_err(|e| e.to_string())
    }
}

/// Runs `switchboard api-tokens …`.
pub fn run(cmd: ApiTokensCommand, ctx: &Context) -> Outcome {
    match cmd {
        ApiTokensCommand::Create(args) => create(&args, ctx),
        ApiTokensCommand::List => list(ctx),
        ApiTokensCommand::Revoke(args) => revoke(&args, ctx),
    }
}

fn create(args: &CreateArgs, ctx: &Context) -> Outcome {
    let store = ctx.open_existing_store()?;
    let (record, token) = store.create_api_token(&args.name, args.user.as_deref())?;
    // The token exists only now: print it before anything else.
    out!("api_token={token}")?;
    eprintln!(
        "created API token `{}`: it is shown only once; clients send `Authorization: Bearer <api token>` to servers created with --require-api-token",
        record.name
    );
    Ok(ExitCode::SUCCESS)
}

fn list(ctx: &Context) -> Outcome {
    let store = ctx.open_existing_store()?;
    let tokens = store.list_api_tokens()?;
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|t| {
            vec![
                t.name.clone(),
                t.user.clone().unwrap_or_else(|| "-".to_owned()),
                format_time(t.created_at),
                t.last_used_at
                    .map_or_else(|| "never".to_owned(), format_time),
                t.revoked_at.map_or_else(|| "-".to_owned(), format_time),
            ]
        })
        .collect();
    print_table(&["NAME", "USER", "CREATED", "LAST_USED", "REVOKED"], &rows)?;
    if tokens.is_empty() {
        eprintln!("no API tokens yet; create one with `switchboard api-tokens create`");
    }
    Ok(ExitCode::SUCCESS)
}

fn revoke(args: &RevokeArgs, ctx: &Context) -> Outcome {
    let store = ctx.open_existing_store()?;
    let record = store.revoke_api_token(&args.name)?;
    let at = record
        .revoked_at
        .map_or_else(|| "-".to_owned(), format_time);
    out!("revoked API token `{}` at {at}", record.name)?;
    Ok(ExitCode::SUCCESS)
}
