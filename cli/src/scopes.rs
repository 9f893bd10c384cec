//! `switchboard scopes`: the least-privilege OAuth scopes a set of tools needs.

use std::collections::{BTreeMap, BTreeSet};
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
    /// Say which scopes are required (read tools need them) and which optional (only writes need
    /// them), and which tools each one unlocks; `--format json` gives the same as JSON.
    #[arg(long)]
    explain: bool,
    /// With --explain: `text` (default) or `json`.
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

/// Runs `switchboard scopes`: one scope per line, sorted, including the integration's always-requested
/// scopes; with `--explain`, grouped by what needs them.
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
    let tools = matching_tools(&filter, Some(integration.name));
    if tools.is_empty() {
        bail!("no `{}` tool matches {filter}", integration.name);
    }
    let scopes = filter.needed_scopes(integration);
    if args.explain {
        return explain(integration, &tools, &args.format);
    }
    for scope in &scopes {
        out!("{scope}")?;
    }
    if let Some(granted) = granted {
        // What the account lacks for these tools, counting broader scopes that grant narrow ones.
        let missing: BTreeSet<&str> = tools
            .iter()
            .flat_map(|tool| tool.missing_scopes(&granted))
            .collect();
        if !missing.is_empty() {
            eprintln!(
                "note: the account was not granted {}; tools needing them are hidden from its servers",
                missing.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
        let always: Vec<&str> = integration
            .auth
            .oauth2
            .iter()
            .flat_map(|o| o.default_scopes.iter().copied())
            .filter(|s| !granted.iter().any(|g| g == s))
            .collect();
        if !always.is_empty() {
            eprintln!(
                "note: the account was not granted {}, which {} always asks for",
                always.join(", "),
                integration.display_name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Scopes by role: required (a read tool needs it), optional (only writes need it), always requested
/// (the integration asks for it whatever the tools), each with the tools it unlocks.
fn explain(
    integration: &switchboard_runtime::table::Integration,
    tools: &[&'static switchboard_runtime::table::Tool],
    format: &str,
) -> Outcome {
    let mut unlocks: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut read: BTreeSet<&str> = BTreeSet::new();
    // Broad scopes the vendor documents as granting a needed one too (Zendesk's `read`).
    let mut granted_by: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for tool in tools {
        for scope in tool.scopes {
            unlocks.entry(scope).or_default().push(tool.name);
            if tool.annotations.read_only {
                read.insert(scope);
            }
        }
        for (scope, broad) in tool.broader_scopes {
            granted_by.entry(scope).or_default().extend(broad.iter());
        }
    }
    let always: Vec<&str> = integration
        .auth
        .oauth2
        .as_ref()
        .map(|o| o.default_scopes.to_vec())
        .unwrap_or_default();
    let required: Vec<&str> = unlocks
        .keys()
        .copied()
        .filter(|s| read.contains(s))
        .collect();
    let optional: Vec<&str> = unlocks
        .keys()
        .copied()
        .filter(|s| !read.contains(s))
        .collect();
    if format == "json" {
        let value = serde_json::json!({
            "integration": integration.name,
            "required": required,
            "optional": optional,
            "always_requested": always,
            "unlocks": unlocks,
            "also_granted_by": granted_by,
        });
        out!("{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    for (heading, scopes) in [
        ("required (read tools need them)", &required),
        ("optional (only write tools need them)", &optional),
    ] {
        out!("{heading}:")?;
        if scopes.is_empty() {
            out!("  (none)")?;
        }
        for scope in scopes.iter() {
            let tools = unlocks.get(scope).map(Vec::as_slice).unwrap_or_default();
            match granted_by.get(scope) {
                Some(broad) => out!(
                    "  {scope} (also granted by {})",
                    broad.iter().copied().collect::<Vec<_>>().join(", ")
                )?,
                None => out!("  {scope}")?,
            }
            for tool in tools {
                out!("      {tool}")?;
            }
        }
    }
    if !always.is_empty() {
        out!(
            "always requested by {}: {}",
            integration.display_name,
            always.join(" ")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
