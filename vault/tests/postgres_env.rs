//! PostgreSQL answers where the tests are told it is.
//!
//! The contract for every test that needs PostgreSQL (`tests/postgres.sh` says the same):
//! - it reads `SWITCHBOARD_TEST_POSTGRES`, a `postgres://` URL of a database it may use freely;
//!   `tests/postgres.sh` starts a throwaway cluster and exports it, and `.ci/run` sources that script;
//! - when the variable is unset and `SWITCHBOARD_CI` is unset, it prints
//!   `skipped: SWITCHBOARD_TEST_POSTGRES is unset (see tests/postgres.sh)` and returns;
//! - when the variable is unset and `SWITCHBOARD_CI=1` (exported by `.ci/run`), it panics: CI runs them.
//!
//! Until the vault has its PostgreSQL driver this checks the server with `psql`.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on a broken environment.

use std::io::Write;
use std::process::Command;

const URL_ENV: &str = "SWITCHBOARD_TEST_POSTGRES";

/// The database URL, or `None` (after saying so) when the test should skip.
fn test_postgres() -> Option<String> {
    if let Some(url) = std::env::var(URL_ENV)
        .ok()
        .filter(|url| !url.trim().is_empty())
    {
        return Some(url);
    }
    let in_ci = std::env::var("SWITCHBOARD_CI").is_ok_and(|v| !v.is_empty() && v != "0");
    assert!(
        !in_ci,
        "{URL_ENV} is unset but SWITCHBOARD_CI is set: tests that need PostgreSQL must run in CI \
         (`source tests/postgres.sh` starts a cluster and sets it)"
    );
    // Straight to stderr, not through the test harness's captured `eprintln!`, so the skip shows.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {URL_ENV} is unset (see tests/postgres.sh)"
    );
    None
}

/// Runs one statement through `psql` and returns its unaligned, tuples-only output.
fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-tA",
            "-c",
            sql,
            "--dbname",
            url,
        ])
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .unwrap_or_else(|e| panic!("cannot run psql ({e}); install postgresql-client"));
    assert!(
        out.status.success(),
        "psql -c {sql:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    String::from_utf8(out.stdout)
        .expect("psql printed UTF-8")
        .trim()
        .to_owned()
}

#[test]
fn postgres_answers_at_switchboard_test_postgres() {
    let Some(url) = test_postgres() else { return };
    assert_eq!(psql(&url, "select 1"), "1");
    let version: u32 = psql(&url, "SHOW server_version_num")
        .parse()
        .expect("server_version_num is a number");
    assert!(
        version >= 130_000,
        "PostgreSQL {version} is older than 13, which these tests require"
    );
}
