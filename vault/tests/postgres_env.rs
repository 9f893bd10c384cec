//! PostgreSQL answers where the tests are told it is (checked with `psql`, independently of the
//! vault's driver). The contract every test needing PostgreSQL follows is in `support/postgres.rs`.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on a broken environment.

mod support {
    pub mod postgres;
}

use std::process::Command;

use support::postgres::test_postgres;

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
