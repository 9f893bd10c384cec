//! PostgreSQL for the tests that need it, and the contract they all follow (`tests/postgres.sh`
//! says the same):
//! - a test reads `SWITCHBOARD_TEST_POSTGRES`, a `postgres://` URL of a database it may use freely;
//!   `tests/postgres.sh` starts a throwaway cluster and exports it, and `.ci/run` sources that script;
//! - when the variable is unset and `SWITCHBOARD_CI` is unset, it prints
//!   `skipped: SWITCHBOARD_TEST_POSTGRES is unset (see tests/postgres.sh)` and returns;
//! - when the variable is unset and `SWITCHBOARD_CI=1` (exported by `.ci/run`), it panics: CI runs them.

#![allow(dead_code)] // Each test file uses a different part.

use std::future::Future;
use std::io::Write;

use tokio_postgres::NoTls;

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

/// Runs `fut` to completion on a fresh runtime in a thread of its own: callable from any context,
/// async or not, which the fixtures need (they also run in `Drop`).
pub fn on_own_runtime<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(fut)
    })
    .join()
    .unwrap()
}

/// A connected client; its connection is driven by a task on the current runtime.
pub async fn client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test server: {e}"));
    tokio::spawn(connection);
    client
}

/// `url` with its database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return format!("{url} dbname={database}"); // the key=value form
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority = before_query.split('/').next().unwrap_or(before_query);
    let mut out = format!("{scheme}://{authority}/{database}");
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A database of the test's own, dropped (with whatever still connects to it) at the end, so tests
/// run in parallel.
pub struct TestDb {
    admin_url: String,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl TestDb {
    /// A fresh, empty database, or `None` when the test should skip.
    pub fn create() -> Option<Self> {
        let admin_url = test_postgres()?;
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).unwrap();
        let name = format!(
            "test_{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let (admin, create) = (admin_url.clone(), format!("CREATE DATABASE {name}"));
        on_own_runtime(async move { client(&admin).await.batch_execute(&create).await })
            .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
        let url = with_database(&admin_url, &name);
        Some(Self {
            admin_url,
            name,
            url,
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, drop) = (
            self.admin_url.clone(),
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
        let dropped =
            on_own_runtime(async move { client(&admin).await.batch_execute(&drop).await });
        if let Err(e) = dropped {
            // Never a panic in a drop (it would hide the test's own failure); say so instead.
            let _ = writeln!(
                std::io::stderr(),
                "cannot drop test database {}: {e}",
                self.name
            );
        }
    }
}
