//! OAuth in the store: grants sealed and read back, the refresh lease that admits one refresher per
//! account, the single flip to `needs_reauth` with its one webhook event, single-use states, apps.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use switchboard_runtime::account::Credential;
use switchboard_runtime::filter::ToolFilter;
use switchboard_vault::{
    AccountStatus, Claim, NewAccount, NewOAuthApp, NewServer, OAuthGrant, OAuthSettings,
    RefreshGrant, Store, StoreError, WebhookEvent, now_unix,
};

static INTEGRATIONS: &[&switchboard_runtime::table::Integration] =
    switchboard_generated::INTEGRATIONS;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("switchboard.db")).unwrap();
    (dir, store)
}

fn oauth_account(id: &str, access: &str, refresh: Option<&str>, expires_at: i64) -> NewAccount {
    NewAccount {
        granted_scopes: Some(vec!["crm.objects.contacts.read".into()]),
        oauth: Some(OAuthGrant {
            refresh_token: refresh.map(str::to_owned),
            expires_at: Some(expires_at),
            settings: OAuthSettings {
                scopes: vec!["crm.objects.contacts.read".into()],
                ..OAuthSettings::default()
            },
        }),
        ..NewAccount::new(id, "hubspot", Credential::Bearer(access.into()))
    }
}

fn granted(claim: Claim) -> Box<RefreshGrant> {
    match claim {
        Claim::Granted(grant) => grant,
        other => panic!("expected the lease, got {other:?}"),
    }
}

fn bearer(credential: &Credential) -> &str {
    match credential {
        Credential::Bearer(token) => token,
        other => panic!("{other:?}"),
    }
}

#[test]
fn oauth_accounts_read_back_as_bearer_tokens_with_their_expiry() {
    let (_dir, store) = store();
    let expires = now_unix() + 1800;
    let summary = store
        .add_account(
            oauth_account("acme", "at-1", Some("rt-1"), expires),
            INTEGRATIONS,
        )
        .unwrap();
    assert_eq!(summary.credential_kind, "oauth2");
    assert_eq!(summary.expires_at, Some(expires));
    let account = store.require_account("acme").unwrap();
    assert_eq!(bearer(&account.credential), "at-1");
    assert_eq!(account.expires_at, Some(expires));
    assert!(!account.needs_reauth);
    // The refresh token never travels with the account, nor in any Debug.
    assert!(!format!("{account:?}").contains("rt-1"));
    let grant = granted(store.claim_refresh("acme", 30).unwrap());
    assert_eq!(grant.refresh_token, "rt-1");
    assert!(!format!("{grant:?}").contains("rt-1"));
    assert!(!format!("{grant:?}").contains("at-1"));
}

#[test]
fn the_lease_admits_one_refresher_and_the_winner_commits_rotated_tokens() {
    let (_dir, store) = store();
    store
        .add_account(
            oauth_account("acme", "at-1", Some("rt-1"), now_unix() + 10),
            INTEGRATIONS,
        )
        .unwrap();
    let first = granted(store.claim_refresh("acme", 30).unwrap());
    assert!(matches!(
        store.claim_refresh("acme", 30).unwrap(),
        Claim::Busy { .. }
    ));
    let expires = now_unix() + 1800;
    assert!(
        store
            .complete_refresh(&first, "at-2", Some("rt-2"), Some(expires))
            .unwrap()
    );
    // The next refresher sees what the winner stored, and the new refresh token.
    let second = granted(store.claim_refresh("acme", 30).unwrap());
    assert_eq!(bearer(&second.current), "at-2");
    assert_eq!(second.expires_at, Some(expires));
    assert_eq!(second.refresh_token, "rt-2");
    // A provider that returns no refresh token: the old one stays.
    assert!(store.complete_refresh(&second, "at-3", None, None).unwrap());
    let third = granted(store.claim_refresh("acme", 30).unwrap());
    assert_eq!(third.refresh_token, "rt-2");
    assert_eq!(bearer(&third.current), "at-3");
    store.release_refresh(&third).unwrap();
    assert_eq!(
        bearer(&store.require_account("acme").unwrap().credential),
        "at-3"
    );
}

#[test]
fn a_lease_that_ran_out_cannot_commit() {
    let (_dir, store) = store();
    store
        .add_account(
            oauth_account("acme", "at-1", Some("rt-1"), now_unix()),
            INTEGRATIONS,
        )
        .unwrap();
    // A refresher stalled past its lease (here: a lease already over)…
    let stalled = granted(store.claim_refresh("acme", -1).unwrap());
    // …so another one took over and won.
    let winner = granted(store.claim_refresh("acme", 30).unwrap());
    assert!(
        store
            .complete_refresh(&winner, "at-2", Some("rt-2"), None)
            .unwrap()
    );
    // The stalled one's tokens are not recorded.
    assert!(
        !store
            .complete_refresh(&stalled, "at-x", Some("rt-x"), None)
            .unwrap()
    );
    assert_eq!(
        bearer(&store.require_account("acme").unwrap().credential),
        "at-2"
    );
}

#[test]
fn static_accounts_are_not_refreshable() {
    let (_dir, store) = store();
    store
        .add_account(
            NewAccount::new("static", "hubspot", Credential::Bearer("pat".into())),
            INTEGRATIONS,
        )
        .unwrap();
    assert!(matches!(
        store.claim_refresh("static", 30).unwrap(),
        Claim::NotRefreshable
    ));
    assert!(matches!(
        store.claim_refresh("nobody", 30),
        Err(StoreError::UnknownAccount { .. })
    ));
}

#[test]
fn needs_reauth_flips_once_queues_one_event_and_a_reconnect_restores_the_account() {
    let (_dir, store) = store();
    store
        .add_account(
            oauth_account("acme", "at-1", Some("rt-1"), now_unix()),
            INTEGRATIONS,
        )
        .unwrap();
    store
        .create_server(NewServer::shared(
            "agent",
            "hubspot",
            "acme",
            ToolFilter::default(),
        ))
        .unwrap();
    let event = |id: &str| WebhookEvent {
        event_id: id.into(),
        body: format!(r#"{{"id":"{id}"}}"#),
    };
    assert!(
        store
            .mark_needs_reauth("acme", "invalid_grant", Some(&event("e1")))
            .unwrap()
    );
    assert!(
        !store
            .mark_needs_reauth("acme", "invalid_grant", Some(&event("e2")))
            .unwrap()
    );
    let pending = store.lease_webhooks(10, 60).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].event_id, "e1");
    assert!(matches!(
        store.claim_refresh("acme", 30).unwrap(),
        Claim::NeedsReauth
    ));
    let account = store.require_account("acme").unwrap();
    assert!(account.needs_reauth);
    let summary = store.require_account_summary("acme").unwrap();
    assert_eq!(summary.status, AccountStatus::NeedsReauth);
    assert_eq!(summary.reauth_reason.as_deref(), Some("invalid_grant"));

    store
        .connect_account(
            oauth_account("acme", "at-9", Some("rt-9"), now_unix() + 1800),
            INTEGRATIONS,
        )
        .unwrap();
    let summary = store.require_account_summary("acme").unwrap();
    assert_eq!(summary.status, AccountStatus::Active);
    assert_eq!(summary.reauth_reason, None);
    assert_eq!(store.list_servers().unwrap().len(), 1);
    assert_eq!(
        bearer(&store.require_account("acme").unwrap().credential),
        "at-9"
    );
    // A reconnect to another integration under the same id is refused.
    let mut other = oauth_account("acme", "x", Some("y"), 0);
    other.integration = "salesforce".into();
    assert!(store.connect_account(other, INTEGRATIONS).is_err());
}

#[test]
fn webhook_leases_failures_and_deliveries() {
    let (_dir, store) = store();
    store
        .add_account(
            oauth_account("acme", "at", Some("rt"), now_unix()),
            INTEGRATIONS,
        )
        .unwrap();
    let event = WebhookEvent {
        event_id: "e1".into(),
        body: "{}".into(),
    };
    store
        .mark_needs_reauth("acme", "gone", Some(&event))
        .unwrap();
    let leased = store.lease_webhooks(10, 60).unwrap();
    assert_eq!(leased.len(), 1);
    // Leased by this process: nobody else delivers it meanwhile.
    assert!(store.lease_webhooks(10, 60).unwrap().is_empty());
    store
        .webhook_failed(leased[0].id, now_unix() + 3600, "receiver answered 500")
        .unwrap();
    assert!(store.lease_webhooks(10, 60).unwrap().is_empty());
    let undelivered = store.undelivered_webhooks().unwrap();
    assert_eq!(
        undelivered,
        vec![("e1".to_owned(), 1, Some("receiver answered 500".to_owned()))]
    );
    store
        .webhook_failed(leased[0].id, now_unix() - 1, "again")
        .unwrap();
    let again = store.lease_webhooks(10, 60).unwrap();
    assert_eq!(again[0].attempts, 2);
    store.webhook_delivered(again[0].id).unwrap();
    assert!(store.undelivered_webhooks().unwrap().is_empty());
    assert!(store.lease_webhooks(10, 60).unwrap().is_empty());
}

#[test]
fn states_are_single_use_and_expire() {
    let (_dir, store) = store();
    store
        .put_oauth_state("state-1", b"pending", now_unix() + 600)
        .unwrap();
    assert_eq!(store.take_oauth_state("state-2").unwrap(), None);
    assert_eq!(
        store.take_oauth_state("state-1").unwrap().as_deref(),
        Some(&b"pending"[..])
    );
    assert_eq!(store.take_oauth_state("state-1").unwrap(), None);
    store.put_oauth_state("old", b"x", now_unix() - 1).unwrap();
    assert_eq!(store.take_oauth_state("old").unwrap(), None);
}

#[test]
fn apps_seal_their_secret_and_one_default_per_integration() {
    let (_dir, store) = store();
    let app = |name: &str, default: bool| NewOAuthApp {
        name: name.into(),
        integration: "hubspot".into(),
        client_id: "client".into(),
        client_secret: "s3cret-value".into(),
        authorization_url: None,
        token_url: Some("https://login.example.com/token".into()),
        base_url: None,
        is_default: default,
    };
    store
        .add_oauth_app(app("acme-app", true), INTEGRATIONS)
        .unwrap();
    assert!(matches!(
        store.add_oauth_app(app("other", true), INTEGRATIONS),
        Err(StoreError::DuplicateDefaultApp(_))
    ));
    assert!(matches!(
        store.add_oauth_app(app("acme-app", false), INTEGRATIONS),
        Err(StoreError::DuplicateApp(_))
    ));
    let stored = store.default_oauth_app("hubspot").unwrap().unwrap();
    assert_eq!(stored.client_secret, "s3cret-value");
    assert!(!format!("{stored:?}").contains("s3cret"));
    assert!(store.default_oauth_app("salesforce").unwrap().is_none());
    let error = store.oauth_app("acme-ap").unwrap_err();
    assert!(
        error.to_string().contains("did you mean `acme-app`"),
        "{error}"
    );
    let mut bad = app("bad-url", false);
    bad.token_url = Some("not a url".into());
    assert!(store.add_oauth_app(bad, INTEGRATIONS).is_err());
    store.delete_oauth_app("acme-app").unwrap();
    assert!(store.default_oauth_app("hubspot").unwrap().is_none());
}

#[test]
fn refresh_due_lists_active_expiring_oauth_accounts() {
    let (_dir, store) = store();
    let now = now_unix();
    store
        .add_account(
            oauth_account("soon", "a", Some("r"), now + 60),
            INTEGRATIONS,
        )
        .unwrap();
    store
        .add_account(
            oauth_account("later", "a", Some("r"), now + 7200),
            INTEGRATIONS,
        )
        .unwrap();
    store
        .add_account(
            oauth_account("no-refresh", "a", None, now + 60),
            INTEGRATIONS,
        )
        .unwrap();
    store
        .add_account(
            oauth_account("dead", "a", Some("r"), now + 30),
            INTEGRATIONS,
        )
        .unwrap();
    store.mark_needs_reauth("dead", "gone", None).unwrap();
    let due: Vec<String> = store
        .refresh_due(now + 180, 100)
        .unwrap()
        .into_iter()
        .map(|d| d.account_id)
        .collect();
    assert_eq!(due, vec!["soon".to_owned()]);
}
