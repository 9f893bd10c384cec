//! `switchboard tools`: the tools compiled into this binary, and the filter flags shared by every
//! command that selects tools.

use std::collections::BTreeSet;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;
use switchboard_runtime::filter::{CustomFilter, ToolFilter, ToolKind, method_name};
use switchboard_runtime::redact::{Redaction, UnknownRedaction};
use switchboard_runtime::table::{MethodKind, Tool};
use switchboard_vault::{Exposure, ServerOptions, find_integration};

use crate::{INTEGRATIONS, Outcome, print_table};

/// Method kinds and which custom methods go with them, as `--methods` parses them.
pub type Methods = (BTreeSet<MethodKind>, CustomFilter);

/// Flags that narrow a set of tools.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Methods: `read` (list, get, search), `write` (create, update, delete), or a list such as
    /// `list,get`.
    #[arg(long, value_name = "M,...", value_parser = parse_methods)]
    pub methods: Option<Methods>,
    /// Tags; a tool passes with any one of them (`contacts,deals`).
    #[arg(long, value_name = "T,...", value_parser = parse_tags)]
    pub tags: Option<BTreeSet<String>>,
    /// Tool kinds: `proxy` (vendor-shaped), `unified` (canonical models), or both.
    #[arg(long, value_name = "K,...", value_parser = parse_kinds)]
    pub kinds: Option<BTreeSet<ToolKind>>,
}

impl FilterArgs {
    /// The filter these flags describe, limited to `integration` when given.
    pub fn to_filter(&self, integration: Option<&str>) -> ToolFilter {
        let mut filter = ToolFilter::default();
        if let Some((methods, custom)) = &self.methods {
            filter.methods = Some(methods.clone());
            filter.write_custom = *custom;
        }
        filter.tags = self.tags.clone();
        filter.kinds = self.kinds.clone();
        filter.integrations = integration.map(|name| BTreeSet::from([name.to_owned()]));
        filter
    }
}

/// How a role shows its tools and personal data: `--redact`, `--no-pii-tools`, `--exposure` (for
/// `servers create` and `mcp stdio`).
#[derive(Debug, Args)]
pub struct OptionsArgs {
    /// How fields marked personal data (`pii` in the integration and model definitions) reach
    /// agents: `strip` removes them (the output schema no longer lists them), `mask` keeps their
    /// shape (`j***@acme.com`), `hash` replaces them with a stable per-tenant pseudonym.
    #[arg(long, value_name = "MODE", value_parser = parse_redaction)]
    pub redact: Option<Redaction>,
    /// Hide tools whose output is mostly personal data (contacts, users, owners).
    #[arg(long)]
    pub no_pii_tools: bool,
    /// What `tools/list` shows: `direct` (every tool, in full) or `discovery` (only `search_tools`,
    /// `get_tool_schema` and `call_tool`, for large catalogues: a few hundred tokens instead of tens
    /// of thousands; the same filter, scopes, redaction and audit apply through them).
    #[arg(long, value_name = "MODE", default_value = "direct")]
    pub exposure: Exposure,
}

impl OptionsArgs {
    /// The server options these flags describe.
    pub fn to_options(&self) -> ServerOptions {
        ServerOptions {
            redact: self.redact.map(|mode| mode.as_str().to_owned()),
            hide_pii_tools: self.no_pii_tools,
            exposure: self.exposure,
        }
    }
}

fn parse_redaction(mode: &str) -> Result<Redaction, String> {
    mode.parse().map_err(|e: UnknownRedaction| e.to_string())
}

fn parse_methods(spec: &str) -> Result<Methods, String> {
    ToolFilter::parse_methods(spec).map_err(|e| e.to_string())
}

fn parse_tags(spec: &str) -> Result<BTreeSet<String>, String> {
    ToolFilter::parse_tags(spec).map_err(|e| e.to_string())
}

fn parse_kinds(spec: &str) -> Result<BTreeSet<ToolKind>, String> {
    ToolFilter::parse_kinds(spec).map_err(|e| e.to_string())
}

/// Checks an integration name against the compiled tables (with a "did you mean").
pub fn parse_integration(name: &str) -> Result<String, String> {
    find_integration(name, INTEGRATIONS)
        .map(|i| i.name.to_owned())
        .map_err(|e| e.to_string())
}

/// `switchboard tools`.
#[derive(Debug, Args)]
pub struct ToolsArgs {
    /// Only this integration's tools.
    #[arg(long, value_name = "NAME", value_parser = parse_integration)]
    integration: Option<String>,
    #[command(flatten)]
    filter: FilterArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// How `tools` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// An aligned table for people.
    Text,
    /// A JSON array for programs.
    Json,
}

/// One tool as `tools --format json` prints it.
#[derive(Serialize)]
struct ToolJson<'a> {
    name: &'a str,
    integration: &'a str,
    kind: &'a str,
    tool_kind: &'a str,
    group: &'a str,
    scopes: &'a [&'a str],
    tags: &'a [&'a str],
    description: &'a str,
}

/// `read` for tools that change nothing, else `write` (as in the catalog).
pub fn group(tool: &Tool) -> &'static str {
    if tool.annotations.read_only {
        "read"
    } else {
        "write"
    }
}

/// The tools of `integration` (or of all integrations) that `filter` allows, sorted by name.
pub fn matching_tools(filter: &ToolFilter, integration: Option<&str>) -> Vec<&'static Tool> {
    let mut tools: Vec<&'static Tool> = INTEGRATIONS
        .iter()
        .filter(|i| integration.is_none_or(|name| i.name == name))
        .flat_map(|i| i.tools.iter())
        .filter(|t| filter.allows(t))
        .collect();
    tools.sort_by_key(|t| (t.name, t.integration));
    tools
}

/// Runs `switchboard tools`.
pub fn run(args: &ToolsArgs) -> Outcome {
    let filter = args.filter.to_filter(args.integration.as_deref());
    let tools = matching_tools(&filter, args.integration.as_deref());
    match args.format {
        Format::Json => {
            let rows: Vec<ToolJson<'_>> = tools
                .iter()
                .map(|t| ToolJson {
                    name: t.name,
                    integration: t.integration,
                    kind: method_name(t.kind),
                    tool_kind: t.kind_name(),
                    group: group(t),
                    scopes: t.scopes,
                    tags: t.tags,
                    description: t.description,
                })
                .collect();
            out!("{}", serde_json::to_string_pretty(&rows)?)?;
        }
        Format::Text => {
            let rows: Vec<Vec<String>> = tools
                .iter()
                .map(|t| {
                    vec![
                        t.name.to_owned(),
                        t.integration.to_owned(),
                        method_name(t.kind).to_owned(),
                        t.kind_name().to_owned(),
                        t.scopes.join(" "),
                    ]
                })
                .collect();
            print_table(&["NAME", "INTEGRATION", "METHOD", "KIND", "SCOPES"], &rows)?;
            if tools.is_empty() {
                eprintln!("no tool matches {filter}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
