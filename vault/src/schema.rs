//! Schema migrations, tracked in SQLite's `user_version`.
//!
//! Migrations are append-only: never edit a released one, add the next. A database written by a newer
//! build (a `user_version` beyond [`MIGRATIONS`]) is refused rather than guessed at.

use rusqlite::Connection;

/// Every migration, in order; migration `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: key check, accounts, servers.
    "
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY NOT NULL,
        value BLOB NOT NULL
    ) STRICT;

    CREATE TABLE accounts (
        id              TEXT PRIMARY KEY NOT NULL,
        integration     TEXT NOT NULL,
        base_url        TEXT,
        credential_kind TEXT NOT NULL,
        secret          BLOB NOT NULL,
        granted_scopes  TEXT CHECK (granted_scopes IS NULL OR json_valid(granted_scopes)),
        status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'needs_reauth')),
        created_at      INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE servers (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE RESTRICT,
        filter      TEXT NOT NULL CHECK (json_valid(filter)),
        token_hash  BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER
    ) STRICT;

    CREATE INDEX servers_by_account ON servers (account_id);
    ",
];

/// What [`migrate`] found wrong.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The database is from a newer build.
    #[error("schema version {found} is newer than this build knows ({known}); upgrade switchboard")]
    TooNew {
        /// The database's version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// Brings the schema up to date, each migration in its own transaction.
pub fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let start = match usize::try_from(found) {
        Ok(start) if found <= known => start,
        _ => return Err(MigrateError::TooNew { found, known }),
    };
    for (version, sql) in (found..).zip(&MIGRATIONS[start..]) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        tracing::debug!(version = version + 1, "applied store migration");
    }
    Ok(())
}
