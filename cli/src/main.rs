//! `switchboard`: serve SaaS vendor APIs to AI agents as MCP tools, and manage what they may reach.
//!
//! Logs go to stderr (filter with `RUST_LOG`, default `info`): stdout carries command output and, for
//! `mcp stdio`, the MCP protocol itself.

/// `println!` that hands back the error instead of panicking when stdout is gone (`… | head`).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

mod accounts;
mod api_tokens;
mod audit;
mod call;
mod keys;
mod oauth_apps;
mod sandbox_cmd;
mod scopes;
mod serve;
mod servers;
mod tools;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use switchboard_runtime::table::Integration;
use switchboard_vault::{DB_ENV, DEFAULT_DB_PATH, Database, Store};

/// Environment variable holding the public base URL of `switchboard serve`.
const PUBLIC_URL_ENV: &str = "SWITCHBOARD_PUBLIC_URL";
/// The public base URL when none is configured.
const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// The files and environment variables, for `switchboard --help`.
const ENVIRONMENT_HELP: &str = "\
Files and environment:
  SWITCHBOARD_DB          The store (default ./switchboard.db): an SQLite file, or
                          postgres://user:pass@host:port/db for several replicas sharing
                          one PostgreSQL database; --db overrides it.
  SWITCHBOARD_MASTER_KEY  Base64 of the 32-byte key sealing stored credentials
                          (XChaCha20-Poly1305), e.g. from `openssl rand -base64 32`.
                          When unset, the key file <db>.key next to the store holds it,
                          created with mode 0600 on first use. Keep it out of database
                          backups and back it up separately: without it the stored
                          credentials cannot be read. `switchboard keys rotate` moves
                          the store to a new key.
  SWITCHBOARD_PREVIOUS_MASTER_KEY
                          While rotating with SWITCHBOARD_MASTER_KEY set to the new
                          key: the old key, so values not yet re-sealed still open.
                          Unset it once `switchboard keys rotate` has finished.
  SWITCHBOARD_PUBLIC_URL  Base URL printed in MCP URLs and connect links, and where
                          identity providers send people back (<url>/oauth/callback);
                          default http://127.0.0.1:8080; --public-url overrides it.
  SWITCHBOARD_<INTEGRATION>_CLIENT_ID, SWITCHBOARD_<INTEGRATION>_CLIENT_SECRET
                          The OAuth app used to connect and refresh accounts of an
                          integration (e.g. SWITCHBOARD_HUBSPOT_CLIENT_ID), unless an
                          account names its own (`oauth-apps add`, `--app`).
  SWITCHBOARD_WEBHOOK_SECRET
                          HMAC key signing re-authorization webhooks (serve --webhook-url).
  RUST_LOG                Log filter (default info). Logs go to stderr, never stdout.";

/// Every integration compiled into this binary.
static INTEGRATIONS: &[&Integration] = switchboard_generated::INTEGRATIONS;

/// Serve SaaS vendor APIs to AI agents as MCP tools.
#[derive(Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    propagate_version = true,
    after_long_help = ENVIRONMENT_HELP
)]
struct Cli {
    /// The store: an SQLite file, created if missing (`PATH` or `sqlite:PATH`), or a PostgreSQL
    /// database shared by several replicas (`postgres://user:pass@host:port/db`)
    /// [env: SWITCHBOARD_DB] [default: switchboard.db]. Secrets in it are sealed under
    /// SWITCHBOARD_MASTER_KEY or, for an SQLite file when unset, the key file `<PATH>.key`.
    #[arg(long, global = true, value_name = "PATH|URL")]
    db: Option<String>,

    /// Base URL agents reach `switchboard serve` at, for printed MCP URLs
    /// [env: SWITCHBOARD_PUBLIC_URL] [default: http://127.0.0.1:8080].
    #[arg(long, global = true, value_name = "URL", value_parser = parse_public_url)]
    public_url: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Connected accounts: one tenant's credentials for one integration.
    #[command(subcommand)]
    Accounts(accounts::AccountsCommand),
    /// MCP servers: an account seen through a tool filter, reached at a capability URL.
    #[command(subcommand)]
    Servers(servers::ServersCommand),
    /// API tokens: the second factor servers created with `--require-api-token` want.
    #[command(subcommand, name = "api-tokens")]
    ApiTokens(api_tokens::ApiTokensCommand),
    /// The audit log: one event per tool call (never arguments, bodies or tokens), newest last.
    Audit(audit::AuditArgs),
    /// Customers' own OAuth apps (client id and sealed secret), for `accounts connect --app`.
    #[command(subcommand, name = "oauth-apps")]
    OAuthApps(oauth_apps::OAuthAppsCommand),
    /// List the tools compiled into this binary.
    Tools(tools::ToolsArgs),
    /// Print the least-privilege OAuth scopes a set of tools needs.
    Scopes(scopes::ScopesArgs),
    /// Run the fake HubSpot and Salesforce APIs until Ctrl-C.
    Sandbox(sandbox_cmd::SandboxArgs),
    /// Call one tool as an account and print the result envelope.
    Call(call::CallArgs),
    /// Serve every server in the store over MCP (Streamable HTTP) and REST.
    Serve(serve::ServeArgs),
    /// Serve MCP over other transports.
    #[command(subcommand)]
    Mcp(serve::McpCommand),
    /// The master key sealing stored credentials: rotate it.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
}

/// What a command asks of `main`: which exit code to end with.
pub(crate) type Outcome = anyhow::Result<ExitCode>;

fn main() -> ExitCode {
    // Parse first: clap prints usage errors and exits 2 on its own.
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&anyhow::Error::new(e).context("cannot start the async runtime")),
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

fn fail(error: &anyhow::Error) -> ExitCode {
    // A reader that stopped reading (`| head`) is not a failure worth a message.
    if error
        .chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
    {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {error:#}");
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> Outcome {
    let ctx = Context {
        db: cli.db,
        public_url: cli.public_url,
    };
    match cli.command {
        Command::Accounts(cmd) => accounts::run(cmd, &ctx),
        Command::Servers(cmd) => servers::run(cmd, &ctx),
        Command::ApiTokens(cmd) => api_tokens::run(cmd, &ctx),
        Command::OAuthApps(cmd) => oauth_apps::run(cmd, &ctx),
        Command::Audit(args) => audit::run(args, &ctx),
        Command::Tools(args) => tools::run(&args),
        Command::Scopes(args) => scopes::run(&args, &ctx),
        Command::Sandbox(args) => sandbox_cmd::run(args).await,
        Command::Call(args) => call::run(args, &ctx).await,
        Command::Keys(cmd) => keys::run(cmd, &ctx),
        Command::Serve(mut args) => {
            args.public_url = ctx.public_url.clone().or_else(public_url_from_env);
            let store = ctx.open_store()?;
            serve::run_serve(args, store).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Mcp(serve::McpCommand::Stdio(args)) => {
            let store = ctx.open_existing_store()?;
            serve::run_mcp_stdio(args, store, &ctx.public_url()?).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Settings every command may need, resolved from global flags and the environment.
pub(crate) struct Context {
    db: Option<String>,
    public_url: Option<String>,
}

impl Context {
    /// `--db`, else `SWITCHBOARD_DB`, else `./switchboard.db`.
    pub(crate) fn database(&self) -> Database {
        let text = self
            .db
            .clone()
            .or_else(|| std::env::var(DB_ENV).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| DEFAULT_DB_PATH.to_owned());
        Database::parse(&text)
    }

    /// Opens the store, creating it when missing.
    pub(crate) fn open_store(&self) -> anyhow::Result<Store> {
        let database = self.database();
        // Every open error names the store already (or is about the key, not the store).
        Ok(Store::open_database(&database)?)
    }

    /// Opens a store that must already exist: reading a mistyped `--db` must not create an empty
    /// one. (A PostgreSQL database must exist to be connected to; its schema is created then.)
    pub(crate) fn open_existing_store(&self) -> anyhow::Result<Store> {
        if let Some(path) = self.database().file()
            && !path.exists()
        {
            anyhow::bail!(
                "no store at `{}`: add an account first (`switchboard accounts add`), or pass --db / set {DB_ENV}",
                path.display()
            );
        }
        self.open_store()
    }

    /// `--public-url`, else `SWITCHBOARD_PUBLIC_URL`, else `http://127.0.0.1:8080`; no trailing slash.
    pub(crate) fn public_url(&self) -> anyhow::Result<String> {
        match self.public_url.clone() {
            Some(url) => Ok(url),
            None => match public_url_from_env() {
                Some(url) => {
                    parse_public_url(&url).map_err(|e| anyhow::anyhow!("{PUBLIC_URL_ENV}: {e}"))
                }
                None => Ok(DEFAULT_PUBLIC_URL.to_owned()),
            },
        }
    }
}

fn public_url_from_env() -> Option<String> {
    std::env::var(PUBLIC_URL_ENV).ok().filter(|v| !v.is_empty())
}

/// Checks a public base URL (`http(s)://host[:port][/prefix]`) and drops a trailing slash.
fn parse_public_url(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("`{text}` must start with http:// or https://"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("`{text}` has no host"));
    }
    if text.contains(['?', '#']) || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{text}` must be a plain base URL (no query, fragment or spaces)"
        ));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested");
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(|| CappedLines(io::stderr()))
        .with_target(false)
        .with_filter(filter)
        .with_filter(tracing_subscriber::filter::filter_fn(|metadata| {
            quiet_dependencies(metadata.target(), *metadata.level())
        }));
    tracing_subscriber::registry().with(layer).init();
}

/// Longest log line written: a dependency that echoes what a caller sent (a 900 KB tool name) cannot
/// flood the log.
const MAX_LOG_LINE: usize = 4096;

/// Stderr, with every log line cut at [`MAX_LOG_LINE`] bytes (the formatter writes one line per call).
struct CappedLines(io::Stderr);

impl io::Write for CappedLines {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() <= MAX_LOG_LINE {
            return self.0.write_all(buf).map(|()| buf.len());
        }
        let mut cut = MAX_LOG_LINE;
        // Keep the cut on a character boundary.
        while cut > 0 && (buf[cut] & 0b1100_0000) == 0b1000_0000 {
            cut -= 1;
        }
        self.0.write_all(&buf[..cut])?;
        self.0.write_all(b" [truncated]\n")?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Whether an event or span may be logged at all: dependencies log at info and above only, whatever
/// `RUST_LOG` says. Below info, rmcp logs whole requests and responses (tool arguments, vendor
/// records) and HTTP clients log URLs (which can carry API keys); a more specific `RUST_LOG` directive
/// (`rmcp::service=debug`, `[serve_inner]=debug`) must not lift that, so this is a second filter on
/// the layer rather than a directive.
///
/// rmcp is held to errors: at warn and info it logs the client's name and version, whole
/// notifications and the method and id of refused requests, all of them the caller's text.
fn quiet_dependencies(target: &str, level: tracing::Level) -> bool {
    if target.starts_with("switchboard") {
        return true;
    }
    if target.starts_with("rmcp") {
        return level <= tracing::Level::ERROR;
    }
    level <= tracing::Level::INFO
}

/// Prints rows as aligned columns under a header (the last column is not padded).
pub(crate) fn print_table(header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = io::stdout().lock();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', width - cell.chars().count() + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn format_time(secs: i64) -> String {
    switchboard_vault::time::format_rfc3339(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_never_log_below_info() {
        use tracing::Level;
        for target in ["reqwest::connect", "hyper_util::client", "h2"] {
            assert!(quiet_dependencies(target, Level::INFO), "{target}");
            assert!(quiet_dependencies(target, Level::WARN), "{target}");
            assert!(!quiet_dependencies(target, Level::DEBUG), "{target}");
            assert!(!quiet_dependencies(target, Level::TRACE), "{target}");
        }
        // rmcp's warnings and notices carry the caller's text: errors only.
        for target in ["rmcp::service", "rmcp"] {
            assert!(quiet_dependencies(target, Level::ERROR), "{target}");
            assert!(!quiet_dependencies(target, Level::WARN), "{target}");
            assert!(!quiet_dependencies(target, Level::INFO), "{target}");
        }
        assert!(quiet_dependencies("switchboard::call", Level::DEBUG));
        assert!(quiet_dependencies("switchboard_server::http", Level::TRACE));
    }

    #[test]
    fn times_render_as_utc() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_time(1_763_763_448), "2025-11-21T22:17:28Z");
    }

    #[test]
    fn public_urls_are_checked_and_trimmed() {
        assert_eq!(
            parse_public_url("https://mcp.example.com/"),
            Ok("https://mcp.example.com".to_owned())
        );
        assert!(parse_public_url("mcp.example.com").is_err());
        assert!(parse_public_url("http://").is_err());
        assert!(parse_public_url("http://x/?a").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
