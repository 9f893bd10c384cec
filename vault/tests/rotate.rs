//! Master key rotation as an operator relies on it: every sealed value survives a rotation and
//! opens under the new key alone, the old key stops opening the store, an interrupted rotation
//! leaves everything readable and a second run finishes it, and stores written before key ids
//! (format-1 blobs) keep opening and are upgraded.
//!
//! The rotation's behaviour runs on both backends (`sqlite::<test>`, `postgres::<test>`; see
//! `support/stores.rs`), reading the sealed values straight from the database. SQLite alone: key
//! files (`<db>.key`, `<db>.key.next`), which only an SQLite store uses, and format-1 blobs, which
//! only SQLite stores written before key ids can hold.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

mod support {
    pub mod postgres;
    pub mod stores;
}

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::Path;

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use switchboard_runtime::account::Credential;
use switchboard_runtime::table::{ApiKey, Auth, ErrorRules, Integration, OAuth2, RateLimit};
use switchboard_vault::sql::{SqlExec, SqliteSql};
use switchboard_vault::{
    Claim, KeyId, Keyring, MASTER_KEY_ENV, MasterKey, NewAccount, NewOAuthApp, OAuthGrant,
    OAuthSettings, PREVIOUS_MASTER_KEY_ENV, RotationProgress, Store, StoreError,
    commit_next_key_file, key_file_path, load_or_create_next_key_file, next_key_file_path,
    now_unix, old_key_file_path, remove_stale_old_key_file,
};

use support::stores::{Stores, store_suite};

store_suite!(
    a_rotation_keeps_every_value_and_retires_the_old_key,
    an_interrupted_rotation_leaves_every_row_readable_and_a_second_run_finishes_it,
    a_value_that_opens_under_neither_key_stops_the_rotation_with_its_row_named,
    every_blob_column_is_either_rotated_or_known_not_to_be_sealed,
);

const fn integration(name: &'static str, auth: Auth) -> Integration {
    Integration {
        name,
        display_name: "Test integration",
        description: "A table with no tools, enough for the store.",
        categories: &["crm"],
        docs_url: "https://example.com/docs",
        base_url: "https://api.example.com",
        base_url_variables: &[],
        auth,
        rate_limit: RateLimit {
            headers: &[],
            limited_when: &[],
        },
        errors: ErrorRules {
            message: &["/message"],
            code: &[],
            fields: None,
            by_status: &[],
        },
        tools: &[],
        maps: &[],
    }
}

static CRM: Integration = integration(
    "hubspot",
    Auth {
        oauth2: Some(OAuth2 {
            authorization_url: "https://example.com/authorize",
            token_url: "https://example.com/token",
            scope_separator: " ",
            pkce: false,
            refresh_token_rotates: false,
            client_authentication: switchboard_runtime::table::ClientAuthentication::Post,
            default_scopes: &[],
            authorize_params: &[],
            base_url_from_token: None,
            base_url_pattern: None,
            dead_refresh_token: &[],
        }),
        bearer: true,
        api_key: None,
        basic: false,
    },
);

static KEYED: Integration = integration(
    "keyed",
    Auth {
        oauth2: None,
        bearer: false,
        api_key: Some(ApiKey {
            in_header: true,
            name: "X-Api-Key",
            prefix: "",
        }),
        basic: false,
    },
);

static TICKETS: Integration = integration(
    "tickets",
    Auth {
        oauth2: None,
        bearer: false,
        api_key: None,
        basic: true,
    },
);

static INTEGRATIONS: &[&Integration] = &[&CRM, &KEYED, &TICKETS];

const API_KEY: &str = "api-key-4f0c-SECRET";
const PASSWORD: &str = "basic-password-77-SECRET";
const BEARER: &str = "bearer-token-9d2e-SECRET";
const ACCESS: &str = "oauth-access-token-SECRET";
const REFRESH: &str = "oauth-refresh-token-SECRET";
const APP_SECRETS: [(&str, &str); 2] = [
    ("acme-app", "client-secret-acme-SECRET"),
    ("globex-app", "client-secret-globex-SECRET"),
];
const STATE: &str = "state-value-from-the-redirect";
const STATE_REQUEST: &[u8] = b"pkce verifier and return url";

/// Sealed values in the fixture: 4 account secrets, 1 refresh token, 2 app secrets, 1 pending
/// authorization, the cursor key, the connect key and the key check.
const FIXTURE_VALUES: usize = 11;

fn key(byte: u8) -> MasterKey {
    MasterKey::from_bytes([byte; 32])
}

fn keep_going(_: &RotationProgress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// Fills a store with one value of every sealed kind (the accounts sort a, b, c, d).
fn fill(store: &Store) {
    let accounts = [
        NewAccount::new("a-api", "keyed", Credential::ApiKey(API_KEY.to_owned())),
        NewAccount::new(
            "b-basic",
            "tickets",
            Credential::Basic {
                username: "agent".to_owned(),
                password: PASSWORD.to_owned(),
            },
        ),
        NewAccount::new("c-bearer", "hubspot", Credential::Bearer(BEARER.to_owned())),
        NewAccount {
            granted_scopes: Some(vec!["crm.objects.contacts.read".to_owned()]),
            user: Some("alice".to_owned()),
            oauth: Some(OAuthGrant {
                refresh_token: Some(REFRESH.to_owned()),
                expires_at: Some(now_unix() + 3_600),
                settings: OAuthSettings {
                    app: Some("acme-app".to_owned()),
                    ..OAuthSettings::default()
                },
            }),
            ..NewAccount::new("d-oauth", "hubspot", Credential::Bearer(ACCESS.to_owned()))
        },
    ];
    for account in accounts {
        store.add_account(account, INTEGRATIONS).unwrap();
    }
    for (name, secret) in APP_SECRETS {
        store
            .add_oauth_app(
                NewOAuthApp {
                    name: name.to_owned(),
                    integration: "hubspot".to_owned(),
                    client_id: format!("{name}-client-id"),
                    client_secret: secret.to_owned(),
                    authorization_url: None,
                    token_url: None,
                    base_url: None,
                    is_default: name == "acme-app",
                },
                INTEGRATIONS,
            )
            .unwrap();
    }
    store
        .put_oauth_state(STATE, STATE_REQUEST, now_unix() + 600)
        .unwrap();
}

/// A credential's kind and secret, to compare (credentials do not compare, on purpose).
fn parts(credential: &Credential) -> (&'static str, String) {
    match credential {
        Credential::Bearer(token) => ("bearer", token.clone()),
        Credential::ApiKey(key) => ("api_key", key.clone()),
        Credential::Basic { username, password } => ("basic", format!("{username}:{password}")),
    }
}

/// Asserts that every value `fill` stored reads back unchanged (the pending authorization is
/// taken, so this runs once per store), and that the store's keys are `keys`.
fn assert_everything_reads(store: &Store, keys: ([u8; 32], [u8; 32])) {
    let credential = |id: &str| parts(&store.require_account(id).unwrap().credential);
    assert_eq!(credential("a-api"), ("api_key", API_KEY.to_owned()));
    assert_eq!(
        credential("b-basic"),
        ("basic", format!("agent:{PASSWORD}"))
    );
    assert_eq!(credential("c-bearer"), ("bearer", BEARER.to_owned()));
    let oauth = store.require_account("d-oauth").unwrap();
    assert_eq!(parts(&oauth.credential), ("bearer", ACCESS.to_owned()));
    assert_eq!(
        oauth.granted_scopes,
        Some(vec!["crm.objects.contacts.read".to_owned()])
    );
    match store.claim_refresh("d-oauth", 60).unwrap() {
        Claim::Granted(grant) => {
            assert_eq!(grant.refresh_token, REFRESH);
            assert_eq!(parts(&grant.current), ("bearer", ACCESS.to_owned()));
            assert_eq!(grant.settings.app.as_deref(), Some("acme-app"));
            store.release_refresh(&grant).unwrap();
        }
        other => panic!("the OAuth account is not refreshable: {other:?}"),
    }
    for (name, secret) in APP_SECRETS {
        assert_eq!(store.oauth_app(name).unwrap().client_secret, secret);
    }
    assert_eq!(
        store.default_oauth_app("hubspot").unwrap().unwrap().name,
        "acme-app"
    );
    assert_eq!(
        store.take_oauth_state(STATE).unwrap().as_deref(),
        Some(STATE_REQUEST)
    );
    assert_eq!((store.cursor_key(), store.connect_key()), keys);
}

/// Every sealed value in the database, named by table, column and row.
fn sealed_blobs(db: &dyn SqlExec) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (what, sql) in [
        ("accounts.secret", "SELECT id, secret FROM accounts"),
        (
            "accounts.refresh_secret",
            "SELECT id, refresh_secret FROM accounts WHERE refresh_secret IS NOT NULL",
        ),
        (
            "oauth_apps.client_secret",
            "SELECT name, client_secret FROM oauth_apps",
        ),
        (
            "oauth_states.request",
            "SELECT state_hash, request FROM oauth_states",
        ),
        ("meta.value", "SELECT key, value FROM meta"),
    ] {
        for row in db.query(sql, &[]).unwrap() {
            // The states' key is a hash: named by its hex.
            let name = row.get_text(0).unwrap_or_else(|_| {
                let hash = row.get_blob(0).unwrap();
                hash.iter().map(|b| format!("{b:02X}")).collect()
            });
            out.push((format!("{what} of {name}"), row.get_blob(1).unwrap()));
        }
    }
    out
}

/// How many sealed values name each key id (`None`: format 1).
fn key_ids(db: &dyn SqlExec) -> Vec<Option<KeyId>> {
    sealed_blobs(db)
        .iter()
        .map(|(_, blob)| KeyId::of_sealed(blob))
        .collect()
}

/// [`key_ids`] of the database in `stores`.
fn stored_key_ids(stores: &Stores) -> Vec<Option<KeyId>> {
    key_ids(&*stores.raw())
}

/// [`key_ids`] of the SQLite file `db`.
fn file_key_ids(db: &Path) -> Vec<Option<KeyId>> {
    key_ids(&SqliteSql::open(db).unwrap())
}

fn count(ids: &[Option<KeyId>], id: KeyId) -> usize {
    ids.iter().filter(|i| **i == Some(id)).count()
}

fn plaintexts() -> Vec<&'static [u8]> {
    let mut all: Vec<&[u8]> = [API_KEY, PASSWORD, BEARER, ACCESS, REFRESH]
        .iter()
        .map(|s| s.as_bytes())
        .collect();
    all.extend(APP_SECRETS.iter().map(|(_, s)| s.as_bytes()));
    all.push(STATE_REQUEST);
    all
}

fn a_rotation_keeps_every_value_and_retires_the_old_key(stores: &Stores) {
    let (old, new) = (key(1), key(2));
    let mut store = stores.open_with_key(old.clone()).unwrap();
    fill(&store);
    let keys = (store.cursor_key(), store.connect_key());
    assert_eq!(count(&stored_key_ids(stores), old.id()), FIXTURE_VALUES);

    let mut calls = 0;
    let report = store
        .rotate_keys(&new, |progress| {
            calls += 1;
            assert!(progress.resealed >= calls, "{progress:?}");
            ControlFlow::Continue(())
        })
        .unwrap();
    assert!(report.finished, "{report:?}");
    assert_eq!(report.key_id, new.id());
    assert_eq!(report.resealed.total(), FIXTURE_VALUES, "{report:?}");
    assert_eq!(report.already_current, 0);
    assert_eq!(
        (
            report.resealed.account_secrets,
            report.resealed.refresh_tokens,
            report.resealed.app_secrets,
            report.resealed.oauth_states,
            report.resealed.store_keys
        ),
        (4, 1, 2, 1, 3)
    );
    assert_eq!(
        report.resealed.to_string(),
        "4 account secrets, 1 refresh token, 2 OAuth app secrets, 1 pending authorization, 3 store keys and key check"
    );
    // One progress call per row re-sealed (the OAuth account's two values in one).
    assert_eq!(calls, FIXTURE_VALUES - 2);
    // The rotating store seals under the new key from now on.
    store
        .add_account(
            NewAccount::new(
                "e-late",
                "hubspot",
                Credential::Bearer("late-SECRET".to_owned()),
            ),
            INTEGRATIONS,
        )
        .unwrap();
    drop(store);

    // Every value is a format-2 blob naming the new key.
    let ids = stored_key_ids(stores);
    assert_eq!(ids.len(), FIXTURE_VALUES + 1);
    assert_eq!(count(&ids, new.id()), FIXTURE_VALUES + 1, "{ids:?}");
    assert!(stores.holds(b"c-bearer"), "the test reads the wrong files");
    for secret in plaintexts() {
        assert!(!stores.holds(secret), "{}", String::from_utf8_lossy(secret));
    }

    // The old key alone no longer opens the store, and says so.
    let err = stores.open_with_key(old.clone()).unwrap_err();
    assert!(matches!(err, StoreError::WrongMasterKey { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("does not open the store"), "{message}");
    assert!(message.contains(PREVIOUS_MASTER_KEY_ENV), "{message}");

    // The new key alone opens everything, unchanged.
    let mut store = stores.open_with_key(new.clone()).unwrap();
    assert!(store.keyring().previous().is_none());
    assert_everything_reads(&store, keys);
    assert_eq!(
        parts(&store.require_account("e-late").unwrap().credential),
        ("bearer", "late-SECRET".to_owned())
    );

    // Nothing left to do: a second rotation to the same key re-seals nothing.
    let again = store.rotate_keys(&new, keep_going).unwrap();
    assert!(again.finished);
    assert_eq!(again.resealed.total(), 0, "{again:?}");
    assert_eq!(again.resealed.to_string(), "nothing");
    // Every value left (the state was taken) plus the key check, already current.
    assert_eq!(again.already_current, FIXTURE_VALUES);
}

fn an_interrupted_rotation_leaves_every_row_readable_and_a_second_run_finishes_it(stores: &Stores) {
    let (old, new) = (key(3), key(4));
    let mut store = stores.open_with_key(old.clone()).unwrap();
    fill(&store);
    let keys = (store.cursor_key(), store.connect_key());

    // Interrupted after three rows (the three single-value accounts).
    let report = store
        .rotate_keys(&new, |progress| {
            if progress.resealed >= 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert!(!report.finished, "{report:?}");
    assert_eq!(report.resealed.total(), 3);
    assert_eq!(report.resealed.account_secrets, 3);
    drop(store);

    // Half the rows are under each key, the key check still under the old one.
    let ids = stored_key_ids(stores);
    assert_eq!(count(&ids, new.id()), 3, "{ids:?}");
    assert_eq!(count(&ids, old.id()), FIXTURE_VALUES - 3, "{ids:?}");

    // The new key alone does not open the store yet; the old one alone opens it but not the
    // rows already moved.
    let err = stores.open_with_key(new.clone()).unwrap_err();
    assert!(matches!(err, StoreError::WrongMasterKey { .. }), "{err:?}");
    let old_only = stores.open_with_key(old.clone()).unwrap();
    let err = old_only.require_account("a-api").unwrap_err();
    assert!(
        matches!(&err, StoreError::Unseal(id) if id == "a-api"),
        "{err:?}"
    );
    assert!(old_only.require_account("c-bearer").is_err());
    drop(old_only);

    // With both keys, every row reads, whichever key it is under; a second run finishes the job.
    let both = Keyring::new(new.clone()).with_previous(old.clone());
    let mut store = stores.open_with_keys(both).unwrap();
    for id in ["a-api", "b-basic", "c-bearer", "d-oauth"] {
        store.require_account(id).unwrap();
    }
    assert_eq!(
        store.oauth_app("globex-app").unwrap().client_secret,
        APP_SECRETS[1].1
    );
    assert_eq!((store.cursor_key(), store.connect_key()), keys);
    let report = store.rotate_keys(&new, keep_going).unwrap();
    assert!(report.finished, "{report:?}");
    assert_eq!(report.resealed.total(), FIXTURE_VALUES - 3, "{report:?}");
    assert_eq!(report.already_current, 3);
    drop(store);

    assert_eq!(count(&stored_key_ids(stores), new.id()), FIXTURE_VALUES);
    let store = stores.open_with_key(new).unwrap();
    assert_everything_reads(&store, keys);
    drop(store);
    assert!(matches!(
        stores.open_with_key(old),
        Err(StoreError::WrongMasterKey { .. })
    ));
}

/// A format-1 blob (`1 ‖ nonce ‖ ciphertext ‖ tag`, the caller's associated data alone), as
/// stores written before key ids hold them.
fn seal_format_1(key: [u8; 32], plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let nonce = [9u8; 24];
    let ciphertext = XChaCha20Poly1305::new(&key.into())
        .encrypt(
            &nonce.into(),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .unwrap();
    let mut blob = vec![1u8];
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&ciphertext);
    blob
}

/// Written by the format-1 code under the key `[0x11; 32]`: the key check, and the bearer token
/// `legacy-format-1-token` of account `legacy`.
const LEGACY_KEY_CHECK: &str = "01ba52aa7d1aa41841c7cdca9ced53bc5c85bd0aa6b2b604661169e0583e03e336befd732b89e5fca0e2dd9aae2348df610d86bfe02d1c86525f266e4fd2b7f51d8e16fc29b23dcd";
const LEGACY_SECRET: &str = "011c754b3c4ce2f87e4cb15797b76f969f797a31fc2a257b885601c0c650d276dfcf709ab390ea60fdb1ec8182f35cec1ce6d57a1d2f5c05efc08060694de2a7d1ac545251c0bde603e2";

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// SQLite only: format-1 blobs are in SQLite stores written before key ids; no PostgreSQL store
/// ever held one.
#[test]
fn format_1_stores_keep_opening_and_a_rotation_upgrades_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let legacy = [0x11; 32];
    let cursor = [0xc5; 32];
    {
        let store = Store::open_with_key(&db, MasterKey::from_bytes(legacy)).unwrap();
        store
            .add_account(
                NewAccount::new(
                    "legacy",
                    "hubspot",
                    Credential::Bearer("replaced".to_owned()),
                ),
                INTEGRATIONS,
            )
            .unwrap();
    }
    // Rewrite the key check, the account's secret and the cursor key as the old code wrote them.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'key_check'",
        [hex(LEGACY_KEY_CHECK)],
    )
    .unwrap();
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'cursor_key'",
        [seal_format_1(
            legacy,
            &cursor,
            b"switchboard/meta/cursor_key",
        )],
    )
    .unwrap();
    conn.execute(
        "UPDATE accounts SET secret = ?1 WHERE id = 'legacy'",
        [hex(LEGACY_SECRET)],
    )
    .unwrap();
    drop(conn);
    assert_eq!(
        file_key_ids(&db).iter().filter(|id| id.is_none()).count(),
        3
    );

    let legacy_token = ("bearer", "legacy-format-1-token".to_owned());
    let store = Store::open_with_key(&db, MasterKey::from_bytes(legacy)).unwrap();
    assert_eq!(
        parts(&store.require_account("legacy").unwrap().credential),
        legacy_token
    );
    assert_eq!(store.cursor_key(), cursor);
    drop(store);
    assert!(matches!(
        Store::open_with_key(&db, key(0x22)),
        Err(StoreError::WrongMasterKey { .. })
    ));

    // Format-1 blobs name no key: a keyring tries its current key, then the previous one.
    let both = Keyring::new(key(0x22)).with_previous(MasterKey::from_bytes(legacy));
    let mut store = Store::open_with_keys(&db, both).unwrap();
    assert_eq!(
        parts(&store.require_account("legacy").unwrap().credential),
        legacy_token
    );
    let connect = store.connect_key();
    let report = store.rotate_keys(&key(0x22), keep_going).unwrap();
    assert!(report.finished);
    assert_eq!(report.resealed.total(), 4, "{report:?}");
    drop(store);

    let ids = file_key_ids(&db);
    assert_eq!(count(&ids, key(0x22).id()), 4, "{ids:?}");
    let store = Store::open_with_key(&db, key(0x22)).unwrap();
    assert_eq!(
        parts(&store.require_account("legacy").unwrap().credential),
        legacy_token
    );
    assert_eq!((store.cursor_key(), store.connect_key()), (cursor, connect));

    // A rotation to the same key also upgrades format-1 blobs in place.
    let dir2 = tempfile::tempdir().unwrap();
    let db2 = dir2.path().join("s.db");
    drop(Store::open_with_key(&db2, MasterKey::from_bytes(legacy)).unwrap());
    let conn = rusqlite::Connection::open(&db2).unwrap();
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'key_check'",
        [hex(LEGACY_KEY_CHECK)],
    )
    .unwrap();
    drop(conn);
    let mut store = Store::open_with_key(&db2, MasterKey::from_bytes(legacy)).unwrap();
    let report = store
        .rotate_keys(&MasterKey::from_bytes(legacy), keep_going)
        .unwrap();
    assert_eq!(report.resealed.store_keys, 1, "{report:?}");
    assert_eq!(report.already_current, 2, "{report:?}");
}

fn a_value_that_opens_under_neither_key_stops_the_rotation_with_its_row_named(stores: &Stores) {
    let mut store = stores.open_with_key(key(5)).unwrap();
    fill(&store);
    let raw = stores.raw();
    raw.execute(
        "UPDATE accounts SET secret = (SELECT secret FROM accounts WHERE id = 'a-api') WHERE id = 'b-basic'",
        &[],
    )
    .unwrap();
    drop(raw);
    let err = store.rotate_keys(&key(6), keep_going).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("account `b-basic` (secret)"), "{message}");
    assert!(message.contains("neither"), "{message}");
    // What was re-sealed before the bad row stays readable with both keys; the rest is untouched.
    drop(store);
    let ids = stored_key_ids(stores);
    assert_eq!(count(&ids, key(6).id()), 1, "{ids:?}");
    let store = stores
        .open_with_keys(Keyring::new(key(6)).with_previous(key(5)))
        .unwrap();
    store.require_account("a-api").unwrap();
    store.require_account("c-bearer").unwrap();
}

/// A new BLOB column may hold sealed values: then the rotation must know it.
fn every_blob_column_is_either_rotated_or_known_not_to_be_sealed(stores: &Stores) {
    drop(stores.open_with_key(key(7)).unwrap());
    let db = stores.raw();
    let mut blobs = BTreeSet::new();
    // The engines describe their tables differently (and each has its own schema to check).
    if stores.is_postgres() {
        let columns = db
            .query(
                "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT)
                 FROM information_schema.columns
                 WHERE table_schema = current_schema() AND data_type = 'bytea'",
                &[],
            )
            .unwrap();
        for row in columns {
            let (table, column) = (row.get_text(0).unwrap(), row.get_text(1).unwrap());
            blobs.insert(format!("{table}.{column}"));
        }
    } else {
        let tables: Vec<String> = db
            .query(
                "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
                &[],
            )
            .unwrap()
            .iter()
            .map(|row| row.get_text(0).unwrap())
            .collect();
        for table in tables {
            let columns = db
                .query(
                    "SELECT name, type FROM pragma_table_info(?1)",
                    &[table.as_str().into()],
                )
                .unwrap();
            for row in columns {
                let (column, kind) = (row.get_text(0).unwrap(), row.get_text(1).unwrap());
                if kind.eq_ignore_ascii_case("BLOB") {
                    blobs.insert(format!("{table}.{column}"));
                }
            }
        }
    }
    let rotated = [
        "accounts.secret",
        "accounts.refresh_secret",
        "oauth_apps.client_secret",
        "oauth_states.request",
        "meta.value",
    ];
    let not_sealed = [
        "servers.token_hash",
        "oauth_states.state_hash",
        "api_tokens.token_hash",
    ];
    let known: BTreeSet<String> = rotated
        .iter()
        .chain(&not_sealed)
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(
        blobs, known,
        "a BLOB column changed: if it holds sealed values, vault/src/rotate.rs must re-seal it"
    );
}

/// SQLite only: key files sit next to an SQLite file; a PostgreSQL store takes its keys from the
/// environment alone.
#[test]
fn a_key_file_rotation_resumes_with_its_next_key_and_replaces_the_key_file() {
    if std::env::var_os(MASTER_KEY_ENV).is_some()
        || std::env::var_os(PREVIOUS_MASTER_KEY_ENV).is_some()
    {
        eprintln!("skipped: {MASTER_KEY_ENV} is set, so no key file is used");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let key_file = key_file_path(&db);
    let store = Store::open(&db).unwrap();
    fill(&store);
    let keys = (store.cursor_key(), store.connect_key());
    let old_id = store.keyring().current().id();
    drop(store);
    let old_text = std::fs::read_to_string(&key_file).unwrap();

    // Start: a new key in <db>.key.next, private; asking again resumes with the same key.
    let next = load_or_create_next_key_file(&db).unwrap();
    let next_file = next_key_file_path(&db);
    assert_eq!(next_file, dir.path().join("s.db.key.next"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&next_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_ne!(next.id(), old_id);
    assert_eq!(load_or_create_next_key_file(&db).unwrap().id(), next.id());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // While <db>.key.next exists, opening the store finds both keys and seals under the next one.
    let mut store = Store::open(&db).unwrap();
    assert_eq!(store.keyring().current().id(), next.id());
    assert_eq!(store.keyring().previous().map(MasterKey::id), Some(old_id));
    let report = store
        .rotate_keys(&next, |p| {
            if p.resealed >= 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert!(!report.finished);
    drop(store);

    // Interrupted: a plain open still reads every row.
    let mut store = Store::open(&db).unwrap();
    for id in ["a-api", "b-basic", "c-bearer", "d-oauth"] {
        store.require_account(id).unwrap();
    }
    let report = store.rotate_keys(&next, keep_going).unwrap();
    assert!(report.finished);
    assert_eq!(report.resealed.total(), FIXTURE_VALUES - 2);
    drop(store);

    // <db>.key.old stands in for the old key until the rename succeeded; afterwards only <db>.key is left.
    commit_next_key_file(&db, &next).unwrap();
    assert!(!next_file.exists());
    assert!(!old_key_file_path(&db).exists());
    let new_text = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(new_text, old_text);
    assert_eq!(MasterKey::from_base64(&new_text).unwrap().id(), next.id());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Committing again (another run got there first) is a no-op.
    commit_next_key_file(&db, &next).unwrap();

    let store = Store::open(&db).unwrap();
    assert!(store.keyring().previous().is_none());
    assert_everything_reads(&store, keys);
    drop(store);
    let err = Store::open_with_key(&db, MasterKey::from_base64(&old_text).unwrap()).unwrap_err();
    assert!(matches!(err, StoreError::WrongMasterKey { .. }), "{err:?}");

    // A `.key.old` left by a crash after the rename is cleaned up on request.
    std::fs::write(old_key_file_path(&db), &old_text).unwrap();
    assert!(remove_stale_old_key_file(&db).unwrap());
    assert!(!old_key_file_path(&db).exists());
    assert!(!remove_stale_old_key_file(&db).unwrap());
}
