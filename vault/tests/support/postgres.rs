//! PostgreSQL for the tests that need it, and the contract they all follow (`tests/postgres.sh`
//! says the same):
//! - a test reads `SWITCHBOARD_TEST_POSTGRES`, a `postgres://` URL of a database it may use freely;
//!   `tests/postgres.sh` starts a throwaway cluster and exports it, and `.ci/run` sources that script;
//! - when the variable is unset and `SWITCHBOARD_CI` is unset, it prints
//!   `skipped: SWITCHBOARD_TEST_POSTGRES is unset (see tests/postgres.sh)` and returns;
//! - when the variable is unset and `SWITCHBOARD_CI=1` (exported by `.ci/run`), it panics: CI runs them.

use std::io::Write;

/// The variable naming the test server.
pub const URL_ENV: &str = "SWITCHBOARD_TEST_POSTGRES";

/// The database URL, or `None` (after saying so) when the test should skip.
pub fn test_postgres() -> Option<String> {
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
