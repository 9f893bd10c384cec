//! The store as its users see it: accounts and servers survive a reopen, secrets and capability
//! tokens never reach the database in the clear, and misuse fails with clear errors.
//!
//! Every test body below is a function of a [`Stores`] and runs on both backends (`sqlite::<test>`,
//! `postgres::<test>`; see `support/stores.rs`), except the key file's, which is SQLite's alone.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

mod support {
    pub mod postgres;
    pub mod stores;
}

use std::collections::BTreeSet;

use switchboard_runtime::account::Credential;
use switchboard_runtime::filter::ToolFilter;
use switchboard_runtime::table::{
    Auth, BaseUrlVariable, ErrorRules, Integration, MethodKind, OAuth2, RateLimit,
};
use switchboard_vault::{
    AccountStatus, KeyError, MASTER_KEY_ENV, MasterKey, NewAccount, NewServer, ServerBinding,
    Store, StoreError, key_file_path, now_unix,
};

use support::stores::{Stores, store_suite};

store_suite!(
    accounts_round_trip_across_a_reopen,
    secrets_never_reach_the_disk_in_the_clear,
    a_wrong_master_key_fails_cleanly_at_open,
    a_sealed_secret_moved_to_another_row_does_not_open,
    capability_tokens_are_stored_only_as_hashes,
    expired_servers_are_refused,
    duplicates_and_bad_names_are_refused_with_clear_errors,
    accounts_in_use_cannot_be_deleted,
    the_cursor_key_is_stable_and_per_store,
    the_store_is_shared_across_threads,
    a_base_url_with_variables_needs_the_accounts_own,
);

static CRM: Integration = Integration {
    name: "hubspot",
    display_name: "Test CRM",
    description: "A table with no tools, enough for the store.",
    categories: &["crm"],
    docs_url: "https://example.com/docs",
    base_url: "https://api.example.com",
    base_url_variables: &[],
    auth: Auth {
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
};

static TICKETS: Integration = Integration {
    name: "tickets",
    display_name: "Test ticketing",
    description: "Basic auth only.",
    categories: &["ticketing"],
    docs_url: "https://example.com/docs",
    base_url: "https://tickets.example.com",
    base_url_variables: &[],
    auth: Auth {
        oauth2: None,
        bearer: false,
        api_key: None,
        basic: true,
    },
    rate_limit: RateLimit {
        headers: &[],
        limited_when: &[],
    },
    errors: ErrorRules {
        message: &["/error"],
        code: &[],
        fields: None,
        by_status: &[],
    },
    tools: &[],
    maps: &[],
};

/// A vendor with a host per customer.
static PER_HOST: Integration = Integration {
    name: "per_host",
    base_url: "https://{subdomain}.tickets.example.com",
    base_url_variables: &[BaseUrlVariable {
        name: "subdomain",
        description: "the customer's subdomain",
        pattern: "[a-z0-9-]+",
    }],
    display_name: "Test per-host ticketing",
    description: "Basic auth, a host per customer.",
    categories: &["ticketing"],
    docs_url: "https://example.com/docs",
    auth: Auth {
        oauth2: None,
        bearer: false,
        api_key: None,
        basic: true,
    },
    rate_limit: RateLimit {
        headers: &[],
        limited_when: &[],
    },
    errors: ErrorRules {
        message: &["/error"],
        code: &[],
        fields: None,
        by_status: &[],
    },
    tools: &[],
    maps: &[],
};

static INTEGRATIONS: &[&Integration] = &[&CRM, &TICKETS, &PER_HOST];

const SECRET: &str = "pat-na1-7d3f0c5e-SUPER-SECRET-value";

fn key(byte: u8) -> MasterKey {
    MasterKey::from_bytes([byte; 32])
}

fn bearer_account(id: &str) -> NewAccount {
    NewAccount {
        id: id.to_owned(),
        integration: "hubspot".to_owned(),
        base_url: Some("http://127.0.0.1:9100".to_owned()),
        credential: Credential::Bearer(SECRET.to_owned()),
        granted_scopes: None,
        user: None,
        oauth: None,
    }
}

fn read_only_filter() -> ToolFilter {
    ToolFilter {
        methods: Some(BTreeSet::from([
            MethodKind::List,
            MethodKind::Get,
            MethodKind::Search,
        ])),
        tags: Some(BTreeSet::from(["contacts".to_owned()])),
        ..ToolFilter::default()
    }
}

fn server(name: &str, account: &str) -> NewServer {
    NewServer::shared(name, "hubspot", account, read_only_filter())
}

fn accounts_round_trip_across_a_reopen(stores: &Stores) {
    {
        let store = stores.open();
        let added = store
            .add_account(bearer_account("acme-hubspot"), INTEGRATIONS)
            .unwrap();
        assert_eq!(added.credential_kind, "bearer");
        store
            .add_account(
                NewAccount {
                    id: "acme.tickets_2".to_owned(),
                    integration: "tickets".to_owned(),
                    base_url: None,
                    credential: Credential::Basic {
                        username: "ops@acme.test".to_owned(),
                        password: "p:a:s:s".to_owned(),
                    },
                    granted_scopes: Some(vec!["tickets.read".to_owned()]),
                    user: None,
                    oauth: None,
                },
                INTEGRATIONS,
            )
            .unwrap();
    }

    let store = stores.open();
    let list = store.list_accounts().unwrap();
    let ids: Vec<&str> = list.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["acme-hubspot", "acme.tickets_2"]);
    assert_eq!(list[0].integration, "hubspot");
    assert_eq!(list[0].base_url.as_deref(), Some("http://127.0.0.1:9100"));
    assert_eq!(list[0].status, AccountStatus::Active);
    assert!(list[0].created_at > 0);
    assert_eq!(list[1].credential_kind, "basic");
    assert_eq!(
        list[1].granted_scopes,
        Some(vec!["tickets.read".to_owned()])
    );

    let account = store.account("acme-hubspot").unwrap().unwrap();
    assert_eq!(account.integration, "hubspot");
    assert_eq!(account.base_url.as_deref(), Some("http://127.0.0.1:9100"));
    assert!(matches!(&account.credential, Credential::Bearer(t) if t == SECRET));
    assert_eq!(account.granted_scopes, None);
    assert!(
        !format!("{account:?}").contains(SECRET),
        "Debug leaks the secret"
    );

    let basic = store.account("acme.tickets_2").unwrap().unwrap();
    assert!(matches!(
        &basic.credential,
        Credential::Basic { username, password } if username == "ops@acme.test" && password == "p:a:s:s"
    ));

    assert!(store.account("nobody").unwrap().is_none());

    store
        .set_account_status("acme-hubspot", AccountStatus::NeedsReauth)
        .unwrap();
    let summary = store.account_summary("acme-hubspot").unwrap().unwrap();
    assert_eq!(summary.status, AccountStatus::NeedsReauth);
}

fn secrets_never_reach_the_disk_in_the_clear(stores: &Stores) {
    let store = stores.open();
    store
        .add_account(bearer_account("acme"), INTEGRATIONS)
        .unwrap();
    // Checked both while open (SQLite: data in the WAL) and after close (checkpointed into the
    // file); on PostgreSQL, in every row of every table.
    assert!(!stores.holds(SECRET.as_bytes()));
    assert!(!stores.holds(b"SUPER-SECRET"));
    drop(store);
    assert!(stores.holds(b"acme"), "the test reads the wrong files");
    assert!(!stores.holds(SECRET.as_bytes()));
    assert!(!stores.holds(b"SUPER-SECRET"));
}

fn a_wrong_master_key_fails_cleanly_at_open(stores: &Stores) {
    stores
        .open()
        .add_account(bearer_account("acme"), INTEGRATIONS)
        .unwrap();

    let err = stores.open_with_key(key(4)).unwrap_err();
    assert!(matches!(err, StoreError::WrongMasterKey { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("does not open the store"), "{message}");
    assert!(message.contains(MASTER_KEY_ENV), "{message}");

    // The right key still works afterwards.
    let store = stores.open();
    assert!(store.account("acme").unwrap().is_some());
}

fn a_sealed_secret_moved_to_another_row_does_not_open(stores: &Stores) {
    let store = stores.open();
    store
        .add_account(bearer_account("a"), INTEGRATIONS)
        .unwrap();
    let mut other = bearer_account("b");
    other.credential = Credential::Bearer("b-token".to_owned());
    store.add_account(other, INTEGRATIONS).unwrap();

    let raw = stores.raw();
    raw.execute(
        "UPDATE accounts SET secret = (SELECT secret FROM accounts WHERE id = 'a') WHERE id = 'b'",
        &[],
    )
    .unwrap();
    drop(raw);

    let err = store.account("b").unwrap_err();
    assert!(
        matches!(&err, StoreError::Unseal(id) if id == "b"),
        "{err:?}"
    );
    assert!(store.account("a").unwrap().is_some());
}

/// SQLite only: a key file sits next to an SQLite file; a PostgreSQL store takes its keys from the
/// environment alone.
#[test]
fn the_key_file_is_created_private_and_required_afterwards() {
    if std::env::var_os(MASTER_KEY_ENV).is_some() {
        eprintln!("skipped: {MASTER_KEY_ENV} is set, so no key file is used");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let key_file = key_file_path(&db);
    assert_eq!(key_file, dir.path().join("s.db.key"));

    Store::open(&db)
        .unwrap()
        .add_account(bearer_account("acme"), INTEGRATIONS)
        .unwrap();
    assert!(key_file.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The file's key is the store's: reopening through it decrypts.
    let store = Store::open(&db).unwrap();
    assert!(store.account("acme").unwrap().is_some());
    drop(store);

    // Without the key file, the store refuses instead of minting a new key.
    std::fs::remove_file(&key_file).unwrap();
    let err = Store::open(&db).unwrap_err();
    assert!(
        matches!(err, StoreError::Key(KeyError::Missing { .. })),
        "{err:?}"
    );
    assert!(!key_file.exists());
    assert!(err.to_string().contains(MASTER_KEY_ENV), "{err}");

    // A key file holding another key is reported as the wrong key.
    std::fs::write(&key_file, "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=\n").unwrap();
    let err = Store::open(&db).unwrap_err();
    assert!(matches!(err, StoreError::WrongMasterKey { .. }), "{err:?}");
    assert!(err.to_string().contains("s.db.key"), "{err}");

    // Garbage in the key file is named as such.
    std::fs::write(&key_file, "not a key").unwrap();
    let err = Store::open(&db).unwrap_err();
    assert!(
        matches!(err, StoreError::Key(KeyError::BadFile { .. })),
        "{err:?}"
    );
}

fn capability_tokens_are_stored_only_as_hashes(stores: &Stores) {
    let store = stores.open();
    store
        .add_account(bearer_account("acme"), INTEGRATIONS)
        .unwrap();
    let (record, token) = store
        .create_server(server("support-agent", "acme"))
        .unwrap();
    assert_eq!(record.name, "support-agent");
    assert_eq!(token.len(), 43);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{token}"
    );

    let found = store.server_by_token(&token).unwrap().unwrap();
    assert_eq!(found, record);
    assert_eq!(found.filter, read_only_filter());
    assert_eq!(found.bindings, [ServerBinding::shared("hubspot", "acme")]);

    // Near misses and junk open nothing.
    let mut flipped = token.clone().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    assert!(store.server_by_token(&flipped).unwrap().is_none());
    assert!(store.server_by_token("").unwrap().is_none());
    assert!(store.server_by_token(&token[..42]).unwrap().is_none());
    assert!(store.server_by_token("../../etc/passwd").unwrap().is_none());

    // A second server gets a different token.
    let (_, token2) = store.create_server(server("sales-agent", "acme")).unwrap();
    assert_ne!(token, token2);

    let listed = store.list_servers().unwrap();
    let names: Vec<&str> = listed.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["sales-agent", "support-agent"]);

    drop(store);
    assert!(
        stores.holds(b"support-agent"),
        "the test reads the wrong files"
    );
    assert!(!stores.holds(token.as_bytes()));
    assert!(!stores.holds(token2.as_bytes()));

    // Deleting a server kills its URL.
    let store = stores.open();
    store.delete_server("support-agent").unwrap();
    assert!(store.server_by_token(&token).unwrap().is_none());
    assert!(store.server_by_token(&token2).unwrap().is_some());
}

fn expired_servers_are_refused(stores: &Stores) {
    let store = stores.open();
    store
        .add_account(bearer_account("acme"), INTEGRATIONS)
        .unwrap();

    let mut past = server("yesterday", "acme");
    past.expires_at = Some(now_unix() - 1);
    let (record, expired) = store.create_server(past).unwrap();
    assert!(record.is_expired_at(now_unix()));
    assert!(store.server_by_token(&expired).unwrap().is_none());
    // Still listed, so the operator can see and delete it.
    assert!(store.server("yesterday").unwrap().is_some());

    let tomorrow = now_unix() + 86_400;
    let mut future = server("tomorrow", "acme");
    future.expires_at = Some(tomorrow);
    let (_, live) = store.create_server(future).unwrap();
    let found = store.server_by_token(&live).unwrap().unwrap();
    assert_eq!(found.expires_at, Some(tomorrow));
    assert!(!found.is_expired_at(now_unix()));
}

fn duplicates_and_bad_names_are_refused_with_clear_errors(stores: &Stores) {
    let store = stores.open();
    store
        .add_account(bearer_account("acme"), INTEGRATIONS)
        .unwrap();

    let err = store
        .add_account(bearer_account("acme"), INTEGRATIONS)
        .unwrap_err();
    assert_eq!(err.to_string(), "account `acme` already exists");

    store.create_server(server("agent", "acme")).unwrap();
    let err = store.create_server(server("agent", "acme")).unwrap_err();
    assert_eq!(err.to_string(), "server `agent` already exists");

    for bad in ["", "has space", "slash/y", "ünï", &"x".repeat(65)] {
        let err = store
            .add_account(bearer_account(bad), INTEGRATIONS)
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::InvalidName {
                    what: "account id",
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
        let err = store.create_server(server(bad, "acme")).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::InvalidName {
                    what: "server name",
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
    }
    store
        .add_account(bearer_account(&"x".repeat(64)), INTEGRATIONS)
        .unwrap();

    let mut typo = bearer_account("typo");
    typo.integration = "hubspott".to_owned();
    let err = store.add_account(typo, INTEGRATIONS).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no integration named `hubspott`; did you mean `hubspot`?"
    );
    let mut far = bearer_account("far");
    far.integration = "zendesk".to_owned();
    let err = store.add_account(far, INTEGRATIONS).unwrap_err();
    assert_eq!(err.to_string(), "no integration named `zendesk`");

    let err = store.create_server(server("other", "acmee")).unwrap_err();
    assert_eq!(err.to_string(), "no account `acmee`; did you mean `acme`?");

    let mut wrong_kind = bearer_account("wrong-kind");
    wrong_kind.integration = "tickets".to_owned();
    let err = store.add_account(wrong_kind, INTEGRATIONS).unwrap_err();
    assert_eq!(
        err.to_string(),
        "integration `tickets` does not accept bearer credentials; it accepts basic"
    );

    let mut bad_url = bearer_account("bad-url");
    bad_url.base_url = Some("ftp://example.com".to_owned());
    let err = store.add_account(bad_url, INTEGRATIONS).unwrap_err();
    assert!(matches!(err, StoreError::InvalidBaseUrl(_)), "{err:?}");

    let mut empty = bearer_account("empty");
    empty.credential = Credential::Bearer(String::new());
    let err = store.add_account(empty, INTEGRATIONS).unwrap_err();
    assert_eq!(err.to_string(), "the bearer token is empty");

    // Nothing half-written by the failures.
    let ids: Vec<String> = store
        .list_accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, ["acme".to_owned(), "x".repeat(64)]);
}

fn accounts_in_use_cannot_be_deleted(stores: &Stores) {
    let store = stores.open();
    store
        .add_account(bearer_account("acme"), INTEGRATIONS)
        .unwrap();
    store.create_server(server("b-agent", "acme")).unwrap();
    store.create_server(server("a-agent", "acme")).unwrap();

    let err = store.delete_account("acme").unwrap_err();
    assert_eq!(
        err.to_string(),
        "account `acme` is used by server(s) a-agent, b-agent; delete them first"
    );
    store.delete_server("a-agent").unwrap();
    store.delete_server("b-agent").unwrap();
    store.delete_account("acme").unwrap();
    assert!(store.account("acme").unwrap().is_none());

    let err = store.delete_account("acme").unwrap_err();
    assert!(matches!(err, StoreError::UnknownAccount { .. }), "{err:?}");
    let err = store.delete_server("a-agent").unwrap_err();
    assert_eq!(err.to_string(), "no server `a-agent`");
}

fn the_cursor_key_is_stable_and_per_store(stores: &Stores) {
    let first = stores.open().cursor_key();
    let again = stores.open().cursor_key();
    let other = stores.another().open().cursor_key();
    assert_eq!(first, again);
    assert_ne!(first, other);
    assert_ne!(first, [0; 32]);
}

fn the_store_is_shared_across_threads(stores: &Stores) {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();

    let store = std::sync::Arc::new(stores.open());
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            std::thread::spawn(move || {
                store
                    .add_account(bearer_account(&format!("acct-{i}")), INTEGRATIONS)
                    .unwrap();
                store
                    .create_server(server(&format!("srv-{i}"), &format!("acct-{i}")))
                    .unwrap()
                    .1
            })
        })
        .collect();
    let tokens: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for (i, token) in tokens.iter().enumerate() {
        let found = store.server_by_token(token).unwrap().unwrap();
        assert_eq!(
            found.bindings[0].account_id.as_deref(),
            Some(format!("acct-{i}").as_str())
        );
    }
}

fn a_base_url_with_variables_needs_the_accounts_own(stores: &Stores) {
    let store = stores.open();
    let basic = || Credential::Basic {
        username: "agent@example.com/token".into(),
        password: SECRET.into(),
    };
    let error = store
        .add_account(
            NewAccount::new("no-host", "per_host", basic()),
            INTEGRATIONS,
        )
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::MissingBaseUrl { integration, variables }
            if integration == "per_host" && variables.contains("subdomain")),
        "{error}"
    );
    assert!(
        store.account("no-host").unwrap().is_none(),
        "nothing stored"
    );
    let mut account = NewAccount::new("acme", "per_host", basic());
    account.base_url = Some("https://acme.tickets.example.com".into());
    store.add_account(account, INTEGRATIONS).unwrap();
    assert_eq!(
        store.account("acme").unwrap().unwrap().base_url.as_deref(),
        Some("https://acme.tickets.example.com")
    );
}
