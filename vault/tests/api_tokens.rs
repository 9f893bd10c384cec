//! API tokens (the second factor) and server revocation, as the store's users see them: tokens are
//! shown once and kept only as hashes, revoked tokens and servers open nothing at once, and rows stay
//! for listings.
//!
//! Every test body runs on both backends (`sqlite::<test>`, `postgres::<test>`; see
//! `support/stores.rs`).
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

mod support {
    pub mod postgres;
    pub mod stores;
}

use switchboard_runtime::account::Credential;
use switchboard_runtime::filter::ToolFilter;
use switchboard_vault::{NewAccount, NewServer, Store, StoreError, is_well_formed_api_token};

use support::stores::{Stores, store_suite};

store_suite!(
    api_tokens_are_shown_once_kept_hashed_and_open_until_revoked,
    api_token_names_are_checked_and_unique,
    revoked_servers_open_nothing_but_stay_listed_and_deletable,
);

fn with_account(store: &Store) {
    store
        .add_account(
            NewAccount::new(
                "acme",
                "hubspot",
                Credential::Bearer("vendor-secret".into()),
            ),
            switchboard_generated::INTEGRATIONS,
        )
        .unwrap();
}

fn server(name: &str, require_api_token: bool) -> NewServer {
    NewServer {
        require_api_token,
        ..NewServer::shared(name, "hubspot", "acme", ToolFilter::default())
    }
}

fn api_tokens_are_shown_once_kept_hashed_and_open_until_revoked(stores: &Stores) {
    let store = stores.open();
    let (record, token) = store.create_api_token("ci-agent", Some("alice")).unwrap();
    assert!(token.starts_with("sbk_"), "recognisable by secret scanners");
    assert_eq!(token.len(), 4 + 43, "256 random bits");
    assert!(is_well_formed_api_token(&token));
    assert_eq!(record.name, "ci-agent");
    assert_eq!(record.user.as_deref(), Some("alice"));
    assert!(!format!("{record:?}").contains(&token[4..]));

    // Two tokens never collide.
    let (_, other) = store.create_api_token("other", None).unwrap();
    assert_ne!(token, other);

    // The token opens its record, and the use is recorded.
    let found = store.api_token_for(&token).unwrap().unwrap();
    assert_eq!(found.id, record.id);
    assert_eq!(found.user.as_deref(), Some("alice"));
    assert!(
        store
            .api_token("ci-agent")
            .unwrap()
            .unwrap()
            .last_used_at
            .is_some(),
        "last use recorded"
    );

    // Near misses open nothing.
    let mut flipped = token.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for wrong in [
        &flipped,
        &token[4..].to_owned(),
        &format!("sbk_{token}"),
        &String::new(),
    ] {
        assert!(store.api_token_for(wrong).unwrap().is_none(), "{wrong}");
    }

    // The store never holds the token itself.
    drop(store);
    assert!(
        !stores.holds(&token.as_bytes()[4..]),
        "the API token reached the disk"
    );

    // Revoked: opens nothing, still listed with the time.
    let store = stores.open();
    let revoked = store.revoke_api_token("ci-agent").unwrap();
    let at = revoked.revoked_at.unwrap();
    assert!(store.api_token_for(&token).unwrap().is_none());
    assert!(store.api_token_for(&other).unwrap().is_some());
    // Revoking again keeps the first time.
    assert_eq!(
        store.revoke_api_token("ci-agent").unwrap().revoked_at,
        Some(at)
    );
    let listed = store.list_api_tokens().unwrap();
    let names: Vec<&str> = listed.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["ci-agent", "other"]);
    assert!(listed[0].is_revoked() && !listed[1].is_revoked());
}

fn api_token_names_are_checked_and_unique(stores: &Stores) {
    let store = stores.open();
    store.create_api_token("ci-agent", None).unwrap();
    assert!(matches!(
        store.create_api_token("ci-agent", None),
        Err(StoreError::DuplicateApiToken(name)) if name == "ci-agent"
    ));
    assert!(matches!(
        store.create_api_token("has space", None),
        Err(StoreError::InvalidName { .. })
    ));
    assert!(matches!(
        store.create_api_token("fine", Some("bad user")),
        Err(StoreError::InvalidName { what: "user", .. })
    ));
    let error = store.revoke_api_token("ci-agnet").unwrap_err();
    assert_eq!(
        error.to_string(),
        "no API token `ci-agnet`; did you mean `ci-agent`?"
    );
}

fn revoked_servers_open_nothing_but_stay_listed_and_deletable(stores: &Stores) {
    let store = stores.open();
    with_account(&store);
    let (record, token) = store.create_server(server("guarded", true)).unwrap();
    assert!(record.require_api_token);
    assert_eq!(record.last_used_at, None);
    let (_, plain) = store.create_server(server("plain", false)).unwrap();

    let found = store.server_by_token(&token).unwrap().unwrap();
    assert!(
        found.require_api_token,
        "the requirement survives the round trip"
    );
    assert!(
        store
            .server("guarded")
            .unwrap()
            .unwrap()
            .last_used_at
            .is_some()
    );
    assert!(
        !store
            .server_by_token(&plain)
            .unwrap()
            .unwrap()
            .require_api_token
    );

    let revoked = store.revoke_server("guarded").unwrap();
    assert!(revoked.is_revoked());
    assert!(store.server_by_token(&token).unwrap().is_none());
    assert!(store.server_by_token(&plain).unwrap().is_some());
    // Listed, with its revocation time.
    let listed = store.list_servers().unwrap();
    assert!(
        listed
            .iter()
            .any(|s| s.name == "guarded" && s.revoked_at.is_some())
    );
    // The name stays taken until deleted; delete works as before.
    assert!(matches!(
        store.create_server(server("guarded", true)),
        Err(StoreError::DuplicateServer(_))
    ));
    store.delete_server("guarded").unwrap();
    assert!(store.server("guarded").unwrap().is_none());
    assert!(matches!(
        store.revoke_server("guarded"),
        Err(StoreError::UnknownServer { .. })
    ));
}
