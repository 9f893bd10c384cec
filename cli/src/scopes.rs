//! `switchboard scopes`: the least-privilege OAuth scopes a set of tools needs.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{ArgGroup, Args};
use switchboard_vault::find_integration;

use crate::tools::{FilterArgs, matching_tools, parse_integration};
use crate::{Context, INTEGRATIONS, Outcome};

/// `switchboard scopes`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["account", "integration"])))]
pub struct ScopesArgs {
    /// The account whose integration's tools to consider.
    #[arg(long, value_name = "ID")]
    account: Option<String>,
    /// The integration whose tools to consider.
    #[arg(long, value_name = "NAME", value_parser = parse_integration)]
    integration: Option<String>,
    #[command(flatten)]
    filter: FilterArgs,
}

/// Runs `switchboard scopes`: one scope per line, sorted, including the integration's always-requested
/// scopes.
pub fn run(args: &ScopesArgs, ctx: &Context) -> Outcome {
    let (integration_name, granted) = match (&args.account, &args.integration) {
        (Some(id), _) => {
            let store = ctx.open_existing_store()?;
            let account = store
                .require_account_summary(id)
                .context("cannot compute scopes")?;
            (account.integration, account.granted_scopes)
        }
        (None, Some(name)) => (name.clone(), None),
        (None, None) => bail!("give --account ID or --integration NAME"),
    };
    let integration = find_integration(&integration_name, INTEGRATIONS)?;
    let filter = args.filter.to_filter(Some(integration.name));
    if matching_tools(&filter, Some(integration.name)).is_empty() {
        bail!("no `{}` tool matches {filter}", integration.name);
    }
    let scopes = filter.needed_scopes(integration);
    for scope in &scopes {
        out!("{scope}")?;
    }
    if let Some(granted) = granted {
        let missing: Vec<&str> = scopes
            .iter()
            .copied()
            .filter(|s| !granted.iter().any(|g| g == s))
            .collect();
        if !missing.is_empty() {
            eprintln!(
                "note: the account was not granted {}; tools needing them are hidden from its servers",
                missing.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
