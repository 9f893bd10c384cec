//! `switchboard call`: one tool call as an account, from the command line.

use std::process::ExitCode;

use clap::Args;
use serde_json::Value;
use switchboard_runtime::outcome::ToolError;
use switchboard_server::mcp::results::error_value;
use switchboard_vault::Suggestion;

use crate::{Context, INTEGRATIONS, Outcome};

/// `switchboard call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The account the call runs as.
    #[arg(long, value_name = "ID")]
    account: String,
    /// The tool (`switchboard tools` lists them).
    #[arg(value_name = "TOOL")]
    tool: String,
    /// The arguments, a JSON object.
    #[arg(long, value_name = "JSON", default_value = "{}", value_parser = parse_args)]
    args: Value,
}

fn parse_args(text: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("the arguments must be a JSON object, e.g. '{\"limit\": 10}'".to_owned()),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

/// Runs `switchboard call`: prints the envelope, or `{"error": …}` and exits 1 when the tool fails.
pub async fn run(args: CallArgs, ctx: &Context) -> Outcome {
    let store = ctx.open_existing_store()?;
    let account = store.require_account(&args.account)?;

    let tool = INTEGRATIONS
        .iter()
        .flat_map(|i| i.tools.iter())
        .find(|t| t.name == args.tool);
    let result = match tool {
        None => {
            let same_integration = INTEGRATIONS
                .iter()
                .filter(|i| i.name == account.integration)
                .flat_map(|i| i.tools.iter().map(|t| t.name));
            let hint = Suggestion::closest(&args.tool, same_integration);
            if let Some(name) = hint.0 {
                eprintln!("hint: did you mean `{name}`?");
            }
            Err(ToolError::UnknownTool(args.tool.clone()))
        }
        Some(tool) if tool.integration != account.integration => {
            eprintln!(
                "hint: `{}` is a `{}` tool, but account `{}` is connected to `{}`",
                tool.name, tool.integration, account.id, account.integration
            );
            Err(ToolError::UnknownTool(args.tool.clone()))
        }
        Some(_) => {
            // A `needs_reauth` account answers `auth_required` (with its reconnect link) from the
            // credential source, as over MCP.
            let store = std::sync::Arc::new(store);
            let stack = crate::serve::oauth_stack(
                &store,
                &ctx.public_url()?,
                switchboard_oauth::RefreshPolicy::default(),
                None,
            )?;
            crate::serve::executor(&store, std::sync::Arc::new(stack.coordinator))
                .call(&account, &args.tool, args.args)
                .await
        }
    };
    match result {
        Ok(success) => {
            out!("{}", serde_json::to_string_pretty(&success.envelope)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            tracing::debug!(tool = %args.tool, account = %args.account, code = error.code(), "tool call failed");
            out!(
                "{}",
                serde_json::to_string_pretty(&error_value(&error, Some((&account).into())))?
            )?;
            Ok(ExitCode::FAILURE)
        }
    }
}
