//! `switchboard servers`: MCP servers (agent roles), each an account seen through a tool filter and
//! reached at a capability URL.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use switchboard_generated::INTEGRATIONS;
use switchboard_runtime::redact::{Redaction, UnknownRedaction};
use switchboard_server::mcp::binding::check_role;
use switchboard_vault::{
    Exposure, NewServer, ServerBinding, ServerOptions, check_name, describe_bindings, find_integration,
    now_unix,
};

use crate::tools::FilterArgs;
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
    /// How fields marked personal data (`pii` in the integration and model definitions) reach
    /// agents: `strip` removes them (the output schema no longer lists them), `mask` keeps their
    /// shape (`j***@acme.com`), `hash` replaces them with a stable per-tenant pseudonym.
    #[arg(long, value_name = "MODE", value_parser = parse_redaction)]
    redact: Option<Redaction>,
    /// Hide tools whose output is mostly personal data (contacts, users, owners).
    #[arg(long)]
    no_pii_tools: bool,
    /// When the URL stops working: RFC 3339 (`2026-12-31T23:59:59Z`) or Unix seconds.
    #[arg(long, value_name = "TIME", value_parser = parse_expiry)]
    expires_at: Option<i64>,
}

/// An expiry time: Unix seconds or RFC 3339, in the future.
fn parse_expiry(text: &str) -> Result<i64, String> {
    let at = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<i64>()
            .map_err(|_| format!("`{text}` is too large for Unix seconds"))?
    } else {
        parse_rfc3339(text).ok_or_else(|| {
            format!("`{text}` is neither RFC 3339 (e.g. 2026-12-31T23:59:59Z) nor Unix seconds")
        })?
    };
    if at <= now_unix() {
        return Err(format!("`{text}` is in the past"));
    }
    Ok(at)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` as Unix seconds (the fraction is dropped).
fn parse_rfc3339(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest[1..].split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3_600 + m * 60)
        }
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let max_day = *month_days.get(usize::try_from(month - 1).ok()?)?;
    if !(1..=max_day).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days since 1970-01-01 from a civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second - offset)
}

fn parse_redaction(mode: &str) -> Result<Redaction, String> {
    mode.parse().map_err(|e: UnknownRedaction| e.to_string())
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
        options: ServerOptions {
            redact: args.redact.map(|mode| mode.as_str().to_owned()),
            hide_pii_tools: args.no_pii_tools,
            ..ServerOptions::default()
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_parse_to_unix_seconds() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-12-31T23:59:59Z"), Some(1_798_761_599));
        assert_eq!(
            parse_rfc3339("2026-12-31T23:59:59.250Z"),
            Some(1_798_761_599)
        );
        assert_eq!(
            parse_rfc3339("2027-01-01T01:00:00+01:00"),
            Some(1_798_761_600)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00-00:30"),
            Some(1_709_166_600)
        );
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-12-31T24:00:00Z",
            "2026-12-31T23:59:59",
            "2026-12-31",
            "next tuesday",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn expiry_takes_future_times_only() {
        assert_eq!(parse_expiry("4102444800"), Ok(4_102_444_800));
        assert_eq!(parse_expiry("2100-01-01T00:00:00Z"), Ok(4_102_444_800));
        assert!(parse_expiry("1").is_err());
        assert!(parse_expiry("2000-01-01T00:00:00Z").is_err());
        assert!(parse_expiry("soon").is_err());
    }
}
