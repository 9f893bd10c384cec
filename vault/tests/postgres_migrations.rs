//! The PostgreSQL vault's foundation: connecting, migrating (once, even when replicas start at
//! once), the bridge from the synchronous API to the driver, errors without the password, and the
//! generation trigger with its notification.
//!
//! Each test works in a database of its own (`CREATE DATABASE test_<random>`, dropped at the end),
//! so they run in parallel. They follow the contract in `support/postgres.rs`: skipped with a printed
//! reason when `SWITCHBOARD_TEST_POSTGRES` is unset outside CI.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on a broken environment.

mod support {
    pub mod postgres;
}

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use switchboard_vault::pg::{GENERATION_CHANNEL, MIGRATIONS, PgError, PgPool, latest_version};
use switchboard_vault::{MasterKey, Store};
use tokio_postgres::{AsyncMessage, NoTls};

use support::postgres::{TestDb, client, on_own_runtime};

/// Runs one statement and returns the first column of its rows (as `i64`).
fn query_i64(url: &str, sql: &'static str) -> Vec<i64> {
    let url = url.to_owned();
    on_own_runtime(async move {
        let rows = client(&url).await.query(sql, &[]).await.unwrap();
        rows.iter().map(|row| row.get::<_, i64>(0)).collect()
    })
}

/// Runs one query whose rows are two text columns.
fn query_pairs(url: &str, sql: &'static str) -> BTreeSet<(String, String)> {
    let url = url.to_owned();
    on_own_runtime(async move {
        let rows = client(&url).await.query(sql, &[]).await.unwrap();
        rows.iter().map(|row| (row.get(0), row.get(1))).collect()
    })
}

/// `url` (a `postgres://` URL) with `password` added to its user.
fn with_password(url: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let (userinfo, host) = rest.split_once('@').expect("a URL naming its user");
    let user = userinfo.split(':').next().unwrap_or(userinfo);
    format!("{scheme}://{user}:{password}@{host}")
}

fn migrations_applied(url: &str) -> Vec<i64> {
    query_i64(
        url,
        "SELECT version FROM schema_migrations ORDER BY version",
    )
}

fn all_versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|m| m.version).collect()
}

#[test]
fn connect_applies_the_baseline_once_and_reconnecting_applies_nothing() {
    let Some(db) = TestDb::create() else { return };
    let pool = PgPool::connect(&db.url).unwrap();
    assert_eq!(pool.schema_version().unwrap(), latest_version());
    assert_eq!(migrations_applied(&db.url), all_versions());
    let first_applied = query_i64(
        &db.url,
        "SELECT (extract(epoch FROM applied_at) * 1000000)::bigint FROM schema_migrations",
    );
    drop(pool);

    let again = PgPool::connect(&db.url).unwrap();
    assert_eq!(again.schema_version().unwrap(), latest_version());
    assert_eq!(migrations_applied(&db.url), all_versions());
    let second_applied = query_i64(
        &db.url,
        "SELECT (extract(epoch FROM applied_at) * 1000000)::bigint FROM schema_migrations",
    );
    assert_eq!(first_applied, second_applied, "a migration was re-applied");
}

#[test]
fn replicas_connecting_at_once_apply_each_migration_exactly_once() {
    let Some(db) = TestDb::create() else { return };
    const REPLICAS: usize = 4;
    let barrier = Arc::new(Barrier::new(REPLICAS));
    let replicas: Vec<_> = (0..REPLICAS)
        .map(|_| {
            let (barrier, url) = (Arc::clone(&barrier), db.url.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let pool = PgPool::connect(&url)?;
                pool.schema_version()
            })
        })
        .collect();
    for replica in replicas {
        assert_eq!(replica.join().unwrap().unwrap(), latest_version());
    }
    assert_eq!(migrations_applied(&db.url), all_versions());
    assert_eq!(query_i64(&db.url, "SELECT count(*) FROM generation"), [1]);
}

#[test]
fn the_baseline_has_the_tables_columns_and_indexes_of_the_sqlite_schema() {
    let Some(db) = TestDb::create() else { return };
    let _pool = PgPool::connect(&db.url).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("switchboard.db");
    drop(Store::open_with_key(&path, MasterKey::generate().unwrap()).unwrap());
    let sqlite = rusqlite::Connection::open(&path).unwrap();
    let collect = |sql: &str| -> BTreeSet<(String, String)> {
        let mut stmt = sqlite.prepare(sql).unwrap();
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let sqlite_columns = collect(
        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    );
    let pg_columns = query_pairs(
        &db.url,
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> 'schema_migrations'",
    );
    assert_eq!(pg_columns, sqlite_columns);

    let sqlite_indexes = collect(
        "SELECT tbl_name, name FROM sqlite_master
         WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'",
    );
    let pg_indexes = query_pairs(
        &db.url,
        "SELECT tablename::text, indexname::text FROM pg_indexes
         WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'",
    );
    assert_eq!(pg_indexes, sqlite_indexes);

    let sqlite_triggers =
        collect("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'");
    let pg_triggers = query_pairs(
        &db.url,
        "SELECT c.relname::text, t.tgname::text FROM pg_trigger t
         JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal",
    );
    assert_eq!(pg_triggers, sqlite_triggers);
}

/// The CLI runs commands inside `Runtime::block_on`, and servers call the vault from async tasks:
/// the synchronous API works on an async worker thread, and from `spawn_blocking`.
#[tokio::test(flavor = "multi_thread")]
async fn the_sync_api_works_on_an_async_thread_and_in_spawn_blocking() {
    let Some(db) = TestDb::create() else { return };
    let pool = PgPool::connect(&db.url).unwrap();
    assert_eq!(pool.schema_version().unwrap(), latest_version());

    let url = db.url.clone();
    let from_blocking = tokio::task::spawn_blocking(move || {
        let pool = PgPool::connect(&url).unwrap();
        pool.schema_version().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(from_blocking, latest_version());

    // Dropping a pool (and its runtime) on an async thread must not panic either.
    drop(pool);
}

#[tokio::test(flavor = "current_thread")]
async fn the_sync_api_works_on_a_current_thread_runtime() {
    let Some(db) = TestDb::create() else { return };
    let pool = PgPool::connect(&db.url).unwrap();
    assert_eq!(pool.schema_version().unwrap(), latest_version());
    drop(pool);
}

/// A password in the URL never shows, neither in `Debug` nor in errors. (The test cluster trusts
/// every local connection, so a password given to it is ignored, not refused.)
#[test]
fn debug_shows_host_port_and_database_only() {
    let Some(db) = TestDb::create() else { return };
    let url = with_password(&db.url, "hunter2-not-shown");
    let pool = PgPool::connect(&url).unwrap();
    let debug = format!("{pool:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains(&format!("/{}", db.name)), "{debug}");
}

/// A server that asks for a password and refuses it, as PostgreSQL does (`28P01`). It speaks just
/// enough of the protocol: the startup message, a cleartext-password request, the password, the
/// error. Returns its port.
fn refusing_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = (|| -> std::io::Result<()> {
                let mut len = [0u8; 4];
                stream.read_exact(&mut len)?; // startup: length, then the rest
                let mut startup = vec![0u8; (u32::from_be_bytes(len) as usize).saturating_sub(4)];
                stream.read_exact(&mut startup)?;
                stream.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3])?; // AuthenticationCleartextPassword
                let mut head = [0u8; 5];
                stream.read_exact(&mut head)?; // 'p', length, password
                let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
                let mut password = vec![0u8; len.saturating_sub(4)];
                stream.read_exact(&mut password)?;
                let mut fields = Vec::new();
                for (code, value) in [
                    (b'S', "FATAL"),
                    (b'V', "FATAL"),
                    (b'C', "28P01"),
                    (b'M', "password authentication failed for user \"alice\""),
                ] {
                    fields.push(code);
                    fields.extend_from_slice(value.as_bytes());
                    fields.push(0);
                }
                fields.push(0);
                let mut message = vec![b'E'];
                message.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
                message.extend_from_slice(&fields);
                stream.write_all(&message)
            })();
        }
    });
    port
}

#[test]
fn a_wrong_password_gives_a_clear_error_without_the_password() {
    let port = refusing_server();
    let password = "wrong-pw-7f3a9c";
    let url = format!("postgres://alice:{password}@127.0.0.1:{port}/vault?connect_timeout=5");
    let err = PgPool::connect(&url).expect_err("the server refuses every password");
    let (shown, debug) = (err.to_string(), format!("{err:?}"));
    assert!(matches!(err, PgError::Connect { .. }), "{debug}");
    assert!(
        shown.contains("password authentication failed for user \"alice\""),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("127.0.0.1:{port}/vault")),
        "{shown}"
    );
    assert!(!shown.contains(password), "{shown}");
    assert!(!debug.contains(password), "{debug}");
}

#[test]
fn an_unreachable_server_fails_in_time_without_the_password() {
    // A port nothing listens on: bind one, then free it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let password = "unreachable-pw-51e2";
    let url = format!("postgres://alice:{password}@127.0.0.1:{port}/vault?connect_timeout=2");
    let err = PgPool::connect(&url).expect_err("nothing listens there");
    assert!(matches!(err, PgError::Connect { .. }), "{err:?}");
    assert!(!err.to_string().contains(password), "{err}");
}

/// Changes to what a call resolves bump `generation` and notify every listener; uses and leases do
/// not.
#[tokio::test(flavor = "multi_thread")]
async fn account_changes_bump_the_generation_and_notify_listeners() {
    let Some(db) = TestDb::create() else { return };
    let _pool = PgPool::connect(&db.url).unwrap();

    let (listener, mut connection) = tokio_postgres::connect(&db.url, NoTls).await.unwrap();
    let (tx, mut notifications) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            if let Ok(AsyncMessage::Notification(n)) = message {
                let _ = tx.send((n.channel().to_owned(), n.payload().to_owned()));
            }
        }
    });
    listener
        .batch_execute(&format!("LISTEN {GENERATION_CHANNEL}"))
        .await
        .unwrap();

    let writer = client(&db.url).await;
    let generation = async || -> i64 {
        writer
            .query_one("SELECT value FROM generation WHERE id = 1", &[])
            .await
            .unwrap()
            .get(0)
    };
    assert_eq!(generation().await, 0);
    writer
        .execute(
            "INSERT INTO accounts (id, integration, credential_kind, secret, created_at)
             VALUES ('acme', 'hubspot', 'bearer', $1, $2)",
            &[&vec![0u8; 4], &1_i64],
        )
        .await
        .unwrap();
    assert_eq!(generation().await, 1);
    let next = tokio::time::timeout(Duration::from_secs(5), notifications.recv())
        .await
        .expect("a notification within 5 s")
        .unwrap();
    assert_eq!(next, (GENERATION_CHANNEL.to_owned(), "1".to_owned()));

    // A refresh lease is not a change to what a call resolves; a status change is.
    writer
        .execute(
            "UPDATE accounts SET refresh_owner = 'replica-a', refresh_until = 9 WHERE id = 'acme'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(generation().await, 1);
    writer
        .execute(
            "UPDATE accounts SET status = 'needs_reauth' WHERE id = 'acme'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(generation().await, 2);
    let next = tokio::time::timeout(Duration::from_secs(5), notifications.recv())
        .await
        .expect("a notification within 5 s")
        .unwrap();
    assert_eq!(next, (GENERATION_CHANNEL.to_owned(), "2".to_owned()));
    assert!(
        notifications.try_recv().is_err(),
        "the lease must not have notified"
    );
    drop(listener);
}

#[test]
fn a_schema_from_a_newer_build_is_refused() {
    let Some(db) = TestDb::create() else { return };
    drop(PgPool::connect(&db.url).unwrap());
    let newer = latest_version() + 1;
    let url = db.url.clone();
    on_own_runtime(async move {
        client(&url)
            .await
            .execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[&newer],
            )
            .await
    })
    .unwrap();
    let err = PgPool::connect(&db.url).expect_err("a newer schema");
    assert!(
        matches!(err, PgError::TooNew { found, known, .. } if found == newer && known == latest_version()),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade switchboard"), "{err}");
}
