//! `switchboard oauth-apps`: customers' own OAuth apps (enterprise customers bring theirs).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use switchboard_vault::{NewOAuthApp, check_name};

use crate::accounts::read_secret;
use crate::tools::parse_integration;
use crate::{Context, INTEGRATIONS, Outcome, print_table};

/// `switchboard oauth-apps …`.
#[derive(Debug, Subcommand)]
pub enum OAuthAppsCommand {
    /// Add an app: its client secret is sealed into the store. Use it with
    /// `accounts connect --app NAME`.
    Add(AddAppArgs),
    /// List apps (never their secrets).
    List,
    /// Remove an app.
    Remove(RemoveAppArgs),
}

/// `switchboard oauth-apps add`.
#[derive(Debug, Args)]
pub struct AddAppArgs {
    /// The app's name: 1 to 64 of A-Z a-z 0-9 _ . - (e.g. `acme-salesforce-app`).
    #[arg(long, value_name = "NAME", value_parser = parse_app_name)]
    name: String,
    /// The integration it is registered with.
    #[arg(long, value_name = "NAME", value_parser = parse_integration)]
    integration: String,
    /// The client id.
    #[arg(long, value_name = "ID")]
    client_id: String,
    /// Environment variable holding the client secret.
    #[arg(long, value_name = "VAR")]
    client_secret_env: String,
    /// Authorization endpoint override (the customer's Salesforce My Domain, a sandbox org, a test
    /// identity provider).
    #[arg(long, value_name = "URL")]
    authorization_url: Option<String>,
    /// Token endpoint override.
    #[arg(long, value_name = "URL")]
    token_url: Option<String>,
    /// API origin for accounts connected through this app, when the token answer gives none (a
    /// vendor's test environment, the sandbox).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Use this app for every account of the integration that names none (instead of
    /// SWITCHBOARD_<INTEGRATION>_CLIENT_ID / _CLIENT_SECRET).
    #[arg(long)]
    default: bool,
}

/// `switchboard oauth-apps remove`.
#[derive(Debug, Args)]
pub struct RemoveAppArgs {
    /// The app.
    #[arg(long, value_name = "NAME")]
    name: String,
}

fn parse_app_name(name: &str) -> Result<String, String> {
    check_name("app name", name)
        .map(|()| name.to_owned())
        .map_err(|e| e.to_string())
}

/// Runs `switchboard oauth-apps …`.
pub fn run(cmd: OAuthAppsCommand, ctx: &Context) -> Outcome {
    match cmd {
        OAuthAppsCommand::Add(args) => {
            let client_secret = read_secret(&args.client_secret_env)?;
            let store = ctx.open_store()?;
            store.add_oauth_app(
                NewOAuthApp {
                    name: args.name.clone(),
                    integration: args.integration,
                    client_id: args.client_id,
                    client_secret,
                    authorization_url: args.authorization_url,
                    token_url: args.token_url,
                    base_url: args.base_url,
                    is_default: args.default,
                },
                INTEGRATIONS,
            )?;
            out!("added OAuth app `{}`", args.name)?;
        }
        OAuthAppsCommand::List => {
            let store = ctx.open_existing_store()?;
            let rows: Vec<Vec<String>> = store
                .list_oauth_apps()?
                .into_iter()
                .map(|app| {
                    vec![
                        app.name,
                        app.integration,
                        app.client_id,
                        if app.is_default { "yes" } else { "-" }.to_owned(),
                    ]
                })
                .collect();
            print_table(&["NAME", "INTEGRATION", "CLIENT ID", "DEFAULT"], &rows)?;
        }
        OAuthAppsCommand::Remove(args) => {
            let store = ctx.open_existing_store()?;
            store.delete_oauth_app(&args.name)?;
            out!("removed OAuth app `{}`", args.name)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
