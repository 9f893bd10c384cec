//! `switchboard audit` as an operator reads the audit log: events written by the server (here, through
//! the vault directly) come back filtered, as a table or as JSON lines; bad times fail clearly; old
//! events can be pruned.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use std::path::PathBuf;
use std::process::{Command, Output};

use switchboard_vault::time::now_ms;
use switchboard_vault::{AuditEvent, Store};

/// A temporary store and a way to run the binary against it.
struct Session {
    dir: tempfile::TempDir,
}

impl Session {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("switchboard.db")
    }

    /// Writes `events` as the server's audit writer would.
    fn record(&self, events: &[AuditEvent]) {
        Store::open(self.db())
            .unwrap()
            .record_audit(events)
            .unwrap();
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        cmd.arg("--db").arg(self.db()).args(args);
        for var in [
            "SWITCHBOARD_DB",
            "SWITCHBOARD_MASTER_KEY",
            "SWITCHBOARD_PUBLIC_URL",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        cmd.current_dir(self.dir.path());
        cmd.output().unwrap()
    }

    /// Runs and expects success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "`switchboard {}` failed ({:?}):\n{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

fn event(at_ms: i64, server: &str, account: &str, user: Option<&str>, request: &str) -> AuditEvent {
    AuditEvent {
        at_ms,
        server: Some(server.into()),
        account: Some(account.into()),
        user: user.map(str::to_owned),
        integration: "hubspot".into(),
        tool: "list_all_hub_spot_contacts".into(),
        kind: "proxy".into(),
        via: "mcp".into(),
        request_id: Some(request.into()),
        latency_ms: 87,
        outcome: "ok".into(),
        upstream_status: Some(200),
    }
}

/// The request ids of JSON lines, checking every line is one whole event.
fn requests(jsonl: &str) -> Vec<String> {
    jsonl
        .lines()
        .map(|line| {
            let event: AuditEvent = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("`{line}` is not an audit event: {e}"));
            event.request_id.unwrap()
        })
        .collect()
}

/// Three calls an hour ago (reader, writer, reader) and one a minute ago (reader, as bob).
fn sample(session: &Session) -> i64 {
    let now = now_ms();
    let hour_ago = now - 3_600_000;
    session.record(&[
        event(hour_ago, "crm-reader", "acme", Some("alice"), "r1"),
        event(hour_ago + 1, "crm-writer", "acme", Some("alice"), "w1"),
        event(hour_ago + 2, "crm-reader", "globex", None, "r2"),
        event(now - 60_000, "crm-reader", "acme", Some("bob"), "r3"),
    ]);
    hour_ago
}

#[test]
fn json_lines_show_one_servers_calls_oldest_first() {
    let s = Session::new();
    sample(&s);
    let out = s.ok(&["audit", "--format", "json", "--server", "crm-reader"]);
    assert_eq!(requests(&out), ["r1", "r2", "r3"]);
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["server"], "crm-reader");
    assert_eq!(first["tool"], "list_all_hub_spot_contacts");
    assert_eq!(first["upstream_status"], 200);
    assert_eq!(first["latency_ms"], 87);

    assert_eq!(
        requests(&s.ok(&["audit", "--format", "json", "--server", "crm-writer"])),
        ["w1"]
    );
    assert_eq!(
        s.ok(&["audit", "--format", "json", "--server", "nobody"]),
        "",
        "no match prints nothing"
    );
}

#[test]
fn filters_combine_and_limit_keeps_the_newest() {
    let s = Session::new();
    let hour_ago = sample(&s);
    let json = |args: &[&str]| {
        let mut all = vec!["audit", "--format", "json"];
        all.extend_from_slice(args);
        requests(&s.ok(&all))
    };
    assert_eq!(json(&[]), ["r1", "w1", "r2", "r3"]);
    assert_eq!(json(&["--account", "acme"]), ["r1", "w1", "r3"]);
    assert_eq!(json(&["--user", "alice"]), ["r1", "w1"]);
    assert_eq!(json(&["--since", "10m"]), ["r3"]);
    assert_eq!(json(&["--limit", "2"]), ["r2", "r3"]);
    assert_eq!(
        json(&[
            "--server",
            "crm-reader",
            "--account",
            "acme",
            "--limit",
            "1"
        ]),
        ["r3"]
    );
    // An absolute time: everything from one millisecond after the first call.
    let since = rfc3339(hour_ago + 1);
    assert_eq!(json(&["--since", &since]), ["w1", "r2", "r3"]);
}

#[test]
fn the_table_has_a_header_and_a_row_per_event() {
    let s = Session::new();
    s.record(&[AuditEvent {
        at_ms: 1_795_860_000_250,
        server: None,
        account: Some("acme".into()),
        user: None,
        integration: "hubspot".into(),
        tool: "get_single_hub_spot_contact_by_id".into(),
        kind: "proxy".into(),
        via: "rest".into(),
        request_id: None,
        latency_ms: 1_250,
        outcome: "rate_limited".into(),
        upstream_status: Some(429),
    }]);
    let out = s.ok(&["audit"]);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines,
        [
            vec![
                "TIME",
                "SERVER",
                "ACCOUNT",
                "USER",
                "TOOL",
                "OUTCOME",
                "STATUS",
                "LATENCY_MS",
                "REQUEST"
            ],
            vec![
                "2026-11-28T10:00:00.250Z",
                "-",
                "acme",
                "-",
                "get_single_hub_spot_contact_by_id",
                "rate_limited",
                "429",
                "1250",
                "-"
            ],
        ],
        "{out}"
    );
}

#[test]
fn bad_times_and_limits_fail_clearly() {
    let s = Session::new();
    sample(&s);
    for (since, expected) in [
        ("yesterday", "not a duration"),
        ("7", "not a duration"),
        ("2026-02-30T10:00:00Z", "not a valid RFC 3339 time"),
        ("2026-11-28 10:00", "not a valid RFC 3339 time"),
    ] {
        let out = s.run(&["audit", "--since", since]);
        assert_eq!(out.status.code(), Some(2), "{since}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--since"), "{since}: {err}");
        assert!(err.contains(expected), "{since}: {err}");
    }
    let out = s.run(&["audit", "--limit", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 1"));
}

#[test]
fn reading_a_missing_store_does_not_create_one() {
    let s = Session::new();
    let out = s.run(&["audit"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no store at"));
    assert!(!s.db().exists());
}

#[test]
fn prune_deletes_events_older_than_the_cut() {
    let s = Session::new();
    sample(&s);
    let out = s.ok(&["audit", "prune", "--older-than", "30m"]);
    assert!(
        out.starts_with("pruned 3 audit event(s) from before "),
        "{out}"
    );
    assert_eq!(requests(&s.ok(&["audit", "--format", "json"])), ["r3"]);

    let out = s.run(&["audit", "prune", "--older-than", "0s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("above zero"));
    let out = s.run(&["audit", "prune", "--older-than", "30d", "--server", "x"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "list filters do not apply to prune"
    );
}

/// Unix milliseconds as RFC 3339 UTC with milliseconds, computed independently of the binary.
fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60,
        ms.rem_euclid(1_000)
    )
}
