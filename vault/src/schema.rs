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
    // 2: OAuth accounts (refresh token, expiry, refresh lease), OAuth apps, pending authorizations,
    // the webhook outbox.
    "
    ALTER TABLE accounts ADD COLUMN user_id TEXT;
    -- The sealed refresh token (credential_kind 'oauth2'); associated data binds it to its column.
    ALTER TABLE accounts ADD COLUMN refresh_secret BLOB;
    -- When the access token in `secret` stops working, Unix seconds; NULL when unknown or never.
    ALTER TABLE accounts ADD COLUMN expires_at INTEGER;
    -- Non-secret OAuth settings: the app, authorization/token URL overrides, requested scopes.
    ALTER TABLE accounts ADD COLUMN oauth TEXT CHECK (oauth IS NULL OR json_valid(oauth));
    -- Bumped on every credential change, so a waiter can tell that another refresh won.
    ALTER TABLE accounts ADD COLUMN credential_version INTEGER NOT NULL DEFAULT 0;
    -- The refresh lease: who is refreshing (a random id per attempt) and until when.
    ALTER TABLE accounts ADD COLUMN refresh_owner TEXT;
    ALTER TABLE accounts ADD COLUMN refresh_until INTEGER;
    ALTER TABLE accounts ADD COLUMN refreshed_at INTEGER;
    ALTER TABLE accounts ADD COLUMN reauth_reason TEXT;

    CREATE INDEX accounts_by_expiry ON accounts (expires_at) WHERE refresh_secret IS NOT NULL;

    CREATE TABLE oauth_apps (
        name              TEXT PRIMARY KEY NOT NULL,
        integration       TEXT NOT NULL,
        client_id         TEXT NOT NULL,
        client_secret     BLOB NOT NULL,
        authorization_url TEXT,
        token_url         TEXT,
        base_url          TEXT,
        is_default        INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
        created_at        INTEGER NOT NULL
    ) STRICT;

    -- At most one default app per integration.
    CREATE UNIQUE INDEX oauth_apps_default ON oauth_apps (integration) WHERE is_default = 1;

    CREATE TABLE oauth_states (
        state_hash  BLOB PRIMARY KEY NOT NULL CHECK (length(state_hash) = 32),
        request     BLOB NOT NULL,
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE webhook_outbox (
        id              INTEGER PRIMARY KEY,
        event_id        TEXT NOT NULL UNIQUE,
        body            TEXT NOT NULL CHECK (json_valid(body)),
        created_at      INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        lease_until     INTEGER,
        delivered_at    INTEGER,
        last_error      TEXT
    ) STRICT;

    CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL;
    ",
    // 3: API tokens (the second factor some capability URLs require); servers that require one, and
    // servers' revocation and last use.
    "
    CREATE TABLE api_tokens (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        user_id       TEXT,
        token_hash    BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
        created_at    INTEGER NOT NULL,
        revoked_at    INTEGER,
        last_used_at  INTEGER
    ) STRICT;

    -- A boolean (STRICT tables have no BOOLEAN type).
    ALTER TABLE servers ADD COLUMN require_api_token INTEGER NOT NULL DEFAULT 0
        CHECK (require_api_token IN (0, 1));
    ALTER TABLE servers ADD COLUMN last_used_at INTEGER;
    -- A revoked server keeps its row (for listings) but its URL opens nothing.
    ALTER TABLE servers ADD COLUMN revoked_at INTEGER;
    ",
    // 4: a server binds one or several integrations, each to a shared account or `per-user` (the
    // caller's API token names the user, whose own account serves the call). `servers.account_id`
    // moves to `server_bindings`; SQLite cannot drop a NOT NULL column, so `servers` is rebuilt.
    "
    CREATE TEMP TABLE server_bindings_v3 AS
        SELECT s.id AS server_id, a.integration AS integration, s.account_id AS account_id
        FROM servers s JOIN accounts a ON a.id = s.account_id;

    CREATE TABLE servers_v4 (
        id                 INTEGER PRIMARY KEY,
        name               TEXT NOT NULL UNIQUE,
        filter             TEXT NOT NULL CHECK (json_valid(filter)),
        token_hash         BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
        created_at         INTEGER NOT NULL,
        expires_at         INTEGER,
        require_api_token  INTEGER NOT NULL DEFAULT 0 CHECK (require_api_token IN (0, 1)),
        last_used_at       INTEGER,
        revoked_at         INTEGER,
        -- Per-server options that are not access rules (exposure, redaction), as JSON.
        options            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(options))
    ) STRICT;
    INSERT INTO servers_v4 (id, name, filter, token_hash, created_at, expires_at, require_api_token,
                            last_used_at, revoked_at)
        SELECT id, name, filter, token_hash, created_at, expires_at, require_api_token, last_used_at,
               revoked_at
        FROM servers;
    DROP TABLE servers;
    ALTER TABLE servers_v4 RENAME TO servers;

    CREATE TABLE server_bindings (
        server_id    INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
        integration  TEXT NOT NULL,
        -- NULL: per-user (the calling user's own account for the integration).
        account_id   TEXT REFERENCES accounts (id) ON DELETE RESTRICT,
        PRIMARY KEY (server_id, integration)
    ) STRICT;
    INSERT INTO server_bindings (server_id, integration, account_id)
        SELECT server_id, integration, account_id FROM server_bindings_v3;
    DROP TABLE server_bindings_v3;
    CREATE INDEX server_bindings_by_account ON server_bindings (account_id)
        WHERE account_id IS NOT NULL;

    -- Per-user resolution: a user's account for an integration.
    CREATE INDEX accounts_by_user ON accounts (integration, user_id) WHERE user_id IS NOT NULL;
    ",
    // 5: the audit log: one row per tool call, names and figures only (never arguments, bodies,
    // tokens or personal data).
    "
    CREATE TABLE audit_events (
        id               INTEGER PRIMARY KEY,
        at_ms            INTEGER NOT NULL,
        server           TEXT,
        account          TEXT,
        user_id          TEXT,
        integration      TEXT NOT NULL,
        tool             TEXT NOT NULL,
        kind             TEXT NOT NULL,
        via              TEXT NOT NULL,
        request_id       TEXT,
        latency_ms       INTEGER NOT NULL,
        outcome          TEXT NOT NULL,
        upstream_status  INTEGER
    ) STRICT;

    CREATE INDEX audit_events_by_time ON audit_events (at_ms);
    CREATE INDEX audit_events_by_server ON audit_events (server, at_ms);
    CREATE INDEX audit_events_by_account ON audit_events (account, at_ms);
    ",
    // 6: a generation counter that every change to what a call resolves (accounts and their
    // credentials, servers, their bindings, API tokens) bumps, from any process, so a cache of
    // resolved servers knows when to forget. Uses and leases (last_used_at, refresh_owner,
    // refresh_until) do not count.
    "
    CREATE TABLE generation (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        value  INTEGER NOT NULL
    ) STRICT;
    INSERT INTO generation (id, value) VALUES (1, 0);
    CREATE TRIGGER accounts_generation_insert AFTER INSERT ON accounts BEGIN
        UPDATE generation SET value = value + 1 WHERE id = 1;
    END;
    CREATE TRIGGER accounts_generation_delete AFTER DELETE ON accounts BEGIN
        UPDATE generation SET value = value + 1 WHERE id = 1;
    END;
    CREATE TRIGGER accounts_generation_update AFTER UPDATE OF integration, base_url, credential_kind, secret, granted_scopes,
        status, user_id, refresh_secret, expires_at, oauth, credential_version ON accounts BEGIN
        UPDATE generation SET value = value + 1 WHERE id = 1;
    END;
    CREATE TRIGGER servers_generation_insert AFTER INSERT ON servers BEGIN
        UPDATE generation SET value = value + 1 WHERE id = 1;
    END;
    CREATE TRIGGER servers_generation_delete AFTER DELETE ON servers BEGIN
        UPDATE generation SET value = value + 1 WHERE id = 1;
    END;
    CREATE TRIGGER servers_generation_update AFTER UPDATE OF name, filter, token_hash, expires_at, require_api_token,
        revoked_at, options ON servers BEGIN
        UPDATE generation SET value = value + 1 WHERE id = 1;
    END;
    CREATE TRIGGER server_bindings_generation_insert AFTER INSERT ON server_bindings BEGIN
        UPDATE generation SET value = value + 1 WHERE id = 1;
    END;
    CREATE TRIGGER server_bindings_generation_delete AFTER DELETE ON server_bindings BEGIN
        UPDATE generation SET value = value + 1 WHERE id = 1;
    END;
    CREATE TRIGGER server_bindings_generation_update AFTER UPDATE ON server_bindings BEGIN
        UPDATE generation SET value = value + 1 WHERE id = 1;
    END;
    CREATE TRIGGER api_tokens_generation_insert AFTER INSERT ON api_tokens BEGIN
        UPDATE generation SET value = value + 1 WHERE id = 1;
    END;
    CREATE TRIGGER api_tokens_generation_delete AFTER DELETE ON api_tokens BEGIN
        UPDATE generation SET value = value + 1 WHERE id = 1;
    END;
    CREATE TRIGGER api_tokens_generation_update AFTER UPDATE OF name, user_id, token_hash, revoked_at ON api_tokens BEGIN
        UPDATE generation SET value = value + 1 WHERE id = 1;
    END;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies the first `n` migrations, as an older build left the database.
    fn at_version(n: usize) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        for (version, sql) in MIGRATIONS[..n].iter().enumerate() {
            let tx = conn.transaction().unwrap();
            tx.execute_batch(sql).unwrap();
            tx.pragma_update(None, "user_version", version as i64 + 1)
                .unwrap();
            tx.commit().unwrap();
        }
        conn
    }

    #[test]
    fn servers_of_version_3_keep_their_account_as_a_shared_binding() {
        let mut conn = at_version(3);
        conn.execute_batch(
            "INSERT INTO accounts (id, integration, credential_kind, secret, created_at)
                 VALUES ('acme', 'crm', 'bearer', x'00', 1);
             INSERT INTO servers (name, account_id, filter, token_hash, created_at, require_api_token,
                                  revoked_at)
                 VALUES ('sales', 'acme', '{}', zeroblob(32), 2, 1, 9);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (name, require, revoked, options): (String, bool, Option<i64>, String) = conn
            .query_row(
                "SELECT name, require_api_token, revoked_at, options FROM servers",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            (name.as_str(), require, revoked, options.as_str()),
            ("sales", true, Some(9), "{}")
        );
        let binding: (String, Option<String>) = conn
            .query_row(
                "SELECT b.integration, b.account_id FROM server_bindings b
                 JOIN servers s ON s.id = b.server_id WHERE s.name = 'sales'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(binding, ("crm".to_owned(), Some("acme".to_owned())));
        // The account still cannot be deleted under the server, and deleting the server frees it.
        assert!(
            conn.execute("DELETE FROM accounts WHERE id = 'acme'", [])
                .is_err()
        );
        conn.execute("DELETE FROM servers", []).unwrap();
        conn.execute("DELETE FROM accounts WHERE id = 'acme'", [])
            .unwrap();
        let left: i64 = conn
            .query_row("SELECT count(*) FROM server_bindings", [], |row| row.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }
}
