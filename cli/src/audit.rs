//! `switchboard audit`: the audit log, one event per tool call (time, server, account, user, tool,
//! request id, latency, outcome, upstream status; never arguments, bodies, tokens or personal data),
//! newest last; and `switchboard audit prune` to delete old events by hand.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use switchboard_vault::{AuditEvent, AuditQuery, DEFAULT_AUDIT_LIMIT};

use switchboard_vault::time::{format_rfc3339_ms as format_time_ms, now_ms, parse_rfc3339_ms};

use crate::{Context, Outcome, print_table};

/// `switchboard audit [--server N] [--account A] [--user U] [--since T] [--limit N] [--format F]`,
/// or `switchboard audit prune --older-than D`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: Option<AuditCommand>,
    #[command(flatten)]
    list: ListArgs,
}

/// `switchboard audit …`.
#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Delete events older than a duration.
    Prune(PruneArgs),
}

/// Which events `switchboard audit` prints.
#[derive(Debug, Args)]
struct ListArgs {
    /// Only calls through this server.
    #[arg(long, value_name = "NAME")]
    server: Option<String>,
    /// Only calls as this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,
    /// Only calls by this user (named by the caller's API token).
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// Only calls at or after TIME: RFC 3339 (`2026-11-28T10:00:00Z`) or that long ago (`90s`,
    /// `15m`, `2h`, `7d`).
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    since: Option<i64>,
    /// The newest N matching events (printed oldest first).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_AUDIT_LIMIT, value_parser = parse_limit)]
    limit: usize,
    /// Output format: `table` for people, `json` for one JSON object per line (JSONL).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// `switchboard audit prune`.
#[derive(Debug, Args)]
struct PruneArgs {
    /// Delete events older than this (`90s`, `15m`, `2h`, `7d`).
    #[arg(long, value_name = "DURATION", value_parser = parse_retention)]
    older_than: Duration,
}

/// How `audit` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// An aligned table for people.
    Table,
    /// One JSON object per line (JSONL), the same objects as the `switchboard::audit` log lines.
    Json,
}

/// Runs `switchboard audit …`.
pub fn run(args: AuditArgs, ctx: &Context) -> Outcome {
    match args.command {
        Some(AuditCommand::Prune(prune_args)) => prune(&prune_args, ctx),
        None => list(args.list, ctx),
    }
}

fn list(args: ListArgs, ctx: &Context) -> Outcome {
    let store = ctx.open_existing_store()?;
    let events = store.audit_events(&AuditQuery {
        server: args.server,
        account: args.account,
        user: args.user,
        since_ms: args.since,
        limit: args.limit,
    })?;
    match args.format {
        Format::Json => {
            for event in &events {
                out!("{}", serde_json::to_string(event)?)?;
            }
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = events.iter().map(table_row).collect();
            print_table(
                &[
                    "TIME",
                    "SERVER",
                    "ACCOUNT",
                    "USER",
                    "TOOL",
                    "OUTCOME",
                    "STATUS",
                    "LATENCY_MS",
                    "REQUEST",
                ],
                &rows,
            )?;
            if events.is_empty() {
                eprintln!("no audit events match");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn table_row(event: &AuditEvent) -> Vec<String> {
    let text = |value: &Option<String>| value.as_deref().map_or_else(|| "-".to_owned(), printable);
    vec![
        format_time_ms(event.at_ms),
        text(&event.server),
        text(&event.account),
        text(&event.user),
        printable(&event.tool),
        printable(&event.outcome),
        event
            .upstream_status
            .map_or_else(|| "-".to_owned(), |s| s.to_string()),
        event.latency_ms.to_string(),
        text(&event.request_id),
    ]
}

/// `text` with control characters and spaces replaced, so a stored value cannot drive the
/// terminal or break the table's columns.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || c.is_whitespace() {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

fn prune(args: &PruneArgs, ctx: &Context) -> Outcome {
    let store = ctx.open_existing_store()?;
    let keep_ms = i64::try_from(args.older_than.as_millis()).unwrap_or(i64::MAX);
    let before_ms = now_ms().saturating_sub(keep_ms);
    let deleted = store.prune_audit(before_ms)?;
    out!(
        "pruned {deleted} audit event(s) from before {}",
        format_time_ms(before_ms)
    )?;
    Ok(ExitCode::SUCCESS)
}

fn parse_limit(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("the limit must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a number of events")),
    }
}

/// `--since`: RFC 3339, or a duration before now; as Unix milliseconds.
fn parse_since(text: &str) -> Result<i64, String> {
    if let Some(at) = parse_rfc3339_ms(text) {
        return Ok(at);
    }
    if text.len() >= 10 && text.as_bytes().get(4) == Some(&b'-') {
        return Err(format!(
            "`{text}` is not a valid RFC 3339 time: expected e.g. 2026-11-28T10:00:00Z or 2026-11-28T11:00:00+01:00"
        ));
    }
    let ago = parse_duration(text)
        .map_err(|e| format!("{e}; or give a time in RFC 3339, e.g. 2026-11-28T10:00:00Z"))?;
    let ago_ms = i64::try_from(ago.as_millis()).unwrap_or(i64::MAX);
    Ok(now_ms().saturating_sub(ago_ms))
}

/// A retention period: a positive duration (`90s`, `15m`, `2h`, `7d`). For `audit prune
/// --older-than` and `serve --audit-retention`.
pub(crate) fn parse_retention(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() {
        return Err(format!(
            "`{text}` would keep nothing: give a duration above zero, e.g. 30d"
        ));
    }
    Ok(duration)
}

/// A duration: a whole number and a unit, `s` (seconds), `m` (minutes), `h` (hours) or `d` (days):
/// `90s`, `15m`, `2h`, `7d`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || {
        format!(
            "`{text}` is not a duration: expected a whole number and a unit s, m, h or d (e.g. 90s, 15m, 2h, 7d)"
        )
    };
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    if number.is_empty() {
        return Err(invalid());
    }
    let seconds_per_unit: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(invalid()),
    };
    let seconds = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds_per_unit))
        // Keep every duration representable as Unix milliseconds.
        .filter(|s| *s <= i64::MAX as u64 / 1_000)
        .ok_or_else(|| format!("`{text}` is too long a duration"))?;
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_one_number_and_a_unit() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7_200)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in [
            "", "d", "7", "7 d", "7D", "1.5h", "-1h", "7days", "1h30m", "٣d",
        ] {
            let error = parse_duration(bad).unwrap_err();
            assert!(error.contains("not a duration"), "{bad}: {error}");
        }
        assert!(
            parse_duration("99999999999999999999d")
                .unwrap_err()
                .contains("too long")
        );
        assert!(
            parse_duration("999999999999999d")
                .unwrap_err()
                .contains("too long")
        );
    }

    #[test]
    fn retention_must_keep_something() {
        assert_eq!(parse_retention("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert!(parse_retention("0d").unwrap_err().contains("above zero"));
        assert!(parse_retention("soon").is_err());
    }

    #[test]
    fn since_takes_a_time_or_a_duration_ago() {
        assert_eq!(parse_since("2026-11-28T10:00:00Z"), Ok(1_795_860_000_000));
        let before = now_ms();
        let at = parse_since("15m").unwrap();
        assert!((before - 900_000..=now_ms() - 900_000).contains(&at));
        let error = parse_since("2026-11-31T10:00:00Z").unwrap_err();
        assert!(error.contains("not a valid RFC 3339 time"), "{error}");
        let error = parse_since("yesterday").unwrap_err();
        assert!(
            error.contains("not a duration") && error.contains("RFC 3339"),
            "{error}"
        );
    }

    #[test]
    fn table_cells_cannot_carry_control_characters() {
        assert_eq!(printable("req-1"), "req-1");
        assert_eq!(
            printable("a\u{1b}[2Jb c\n"),
            "a\u{fffd}[2Jb\u{fffd}c\u{fffd}"
        );
    }
}
