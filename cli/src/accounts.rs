//! `switchboard accounts`: connected accounts (one tenant's credentials for one integration).

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use switchboard_runtime::account::Credential;
use switchboard_vault::{NewAccount, check_name};

use crate::tools::parse_integration;
use crate::{Context, INTEGRATIONS, Outcome, format_time, print_table};

/// `switchboard accounts …`.
#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Connect an account: its credential is sealed into the store.
    Add(AddArgs),
    /// List accounts (never their secrets).
    List,
}

/// `switchboard accounts add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Account id: 1 to 64 of A-Z a-z 0-9 _ . - (e.g. `acme-hubspot`).
    #[arg(long, value_name = "ID", value_parser = parse_account_id)]
    id: String,
    /// The integration it connects to (`switchboard tools` lists them).
    #[arg(long, value_name = "NAME", value_parser = parse_integration)]
    integration: String,
    /// Origin override: a sandbox, an EU data centre, a Salesforce instance URL.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// How requests authenticate.
    #[arg(long, value_enum, value_name = "KIND")]
    credential: CredentialKind,
    /// Environment variable holding the secret (`user:password` for basic), so it stays out of
    /// shell history and process lists.
    #[arg(long, value_name = "VAR")]
    secret_env: String,
}

/// Credential kinds on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CredentialKind {
    /// `Authorization: Bearer <secret>` (private-app tokens, OAuth access tokens).
    Bearer,
    /// An API key, placed as the integration says.
    #[value(name = "api_key")]
    ApiKey,
    /// HTTP Basic; the secret is `user:password`.
    Basic,
}

/// Checks an account id at parse time.
pub fn parse_account_id(id: &str) -> Result<String, String> {
    check_name("account id", id)
        .map(|()| id.to_owned())
        .map_err(|e| e.to_string())
}

/// Runs `switchboard accounts …`.
pub fn run(cmd: AccountsCommand, ctx: &Context) -> Outcome {
    match cmd {
        AccountsCommand::Add(args) => add(args, ctx),
        AccountsCommand::List => list(ctx),
    }
}

fn add(args: AddArgs, ctx: &Context) -> Outcome {
    let secret = read_secret(&args.secret_env)?;
    let credential = match args.credential {
        CredentialKind::Bearer => Credential::Bearer(secret),
        CredentialKind::ApiKey => Credential::ApiKey(secret),
        CredentialKind::Basic => {
            let Some((username, password)) = secret.split_once(':') else {
                bail!(
                    "the basic credential in `{}` must be `user:password` (no `:` found)",
                    args.secret_env
                );
            };
            Credential::Basic {
                username: username.to_owned(),
                password: password.to_owned(),
            }
        }
    };
    let store = ctx.open_store()?;
    let account = store.add_account(
        NewAccount {
            id: args.id,
            integration: args.integration,
            base_url: args.base_url,
            credential,
            granted_scopes: None,
        },
        INTEGRATIONS,
    )?;
    println!(
        "added account `{}` ({}, {} credential) to {}",
        account.id,
        account.integration,
        account.credential_kind,
        store.path().display()
    );
    Ok(ExitCode::SUCCESS)
}

fn read_secret(var: &str) -> anyhow::Result<String> {
    match std::env::var(var) {
        Ok(secret) if secret.is_empty() => bail!("environment variable `{var}` is empty"),
        Ok(secret) => Ok(secret),
        Err(std::env::VarError::NotPresent) => bail!(
            "environment variable `{var}` is not set; put the secret in it (e.g. `read -rs {var} && export {var}`)"
        ),
        Err(std::env::VarError::NotUnicode(_)) => {
            bail!("environment variable `{var}` is not valid UTF-8")
        }
    }
}

fn list(ctx: &Context) -> Outcome {
    let store = ctx.open_existing_store()?;
    let accounts = store.list_accounts()?;
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|a| {
            vec![
                a.id.clone(),
                a.integration.clone(),
                a.credential_kind.clone(),
                a.status.to_string(),
                format_time(a.created_at),
                a.base_url.clone().unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    print_table(
        &[
            "ID",
            "INTEGRATION",
            "CREDENTIAL",
            "STATUS",
            "CREATED",
            "BASE URL",
        ],
        &rows,
    )?;
    if accounts.is_empty() {
        eprintln!("no accounts yet; add one with `switchboard accounts add`");
    }
    Ok(ExitCode::SUCCESS)
}
