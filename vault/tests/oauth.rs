//! OAuth in the store: grants sealed and read back, the refresh claim that admits one refresher per
//! account, the single flip to `needs_reauth` with its one webhook event, single-use states, apps;
//! and two stores on one database (two replicas) sharing all of it.
//!
//! Every test body in `store_suite!` runs on both backends (`sqlite::<test>`, `postgres::<test>`;
//! see `support/stores.rs`). The refresh claim is where the engines differ (see the vault's
//! `oauth.rs`): on SQLite a lease, which a second claimer finds busy at once; on PostgreSQL the row
//! lock, which a second claimer waits for (up to its `lease_secs`). The tests that show the waiting
//! run on PostgreSQL alone (`postgres_claims::…`).
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

mod support {
    pub mod postgres;
    pub mod stores;
}

use std::collections::BTreeSet;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use switchboard_runtime::account::Credential;
use switchboard_runtime::filter::ToolFilter;
use switchboard_vault::{
    AccountStatus, Claim, NewAccount, NewOAuthApp, NewServer, OAuthGrant, OAuthSettings,
    RefreshGrant, Store, StoreError, WebhookEvent, now_unix,
};

use support::stores::{Stores, store_suite};

static INTEGRATIONS: &[&switchboard_runtime::table::Integration] =
    switchboard_generated::INTEGRATIONS;

store_suite!(
    oauth_accounts_read_back_as_bearer_tokens_with_their_expiry,
    the_lease_admits_one_refresher_and_the_winner_commits_rotated_tokens,
    a_lease_that_ran_out_cannot_commit,
    a_lease_that_ran_out_can_still_give_up,
    a_lease_that_ran_out_can_still_be_released,
    try_claim_never_waits_for_another_holder,
    static_accounts_are_not_refreshable,
    needs_reauth_flips_once_queues_one_event_and_a_reconnect_restores_the_account,
    webhook_leases_failures_and_deliveries,
    states_are_single_use_and_expire,
    apps_seal_their_secret_and_one_default_per_integration,
    refresh_due_lists_active_expiring_oauth_accounts,
    two_stores_on_one_database_share_writes_one_reauth_event_and_the_outbox,
);

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

fn oauth_accounts_read_back_as_bearer_tokens_with_their_expiry(stores: &Stores) {
    let store = stores.open();
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

fn the_lease_admits_one_refresher_and_the_winner_commits_rotated_tokens(stores: &Stores) {
    let store = stores.open();
    store
        .add_account(
            oauth_account("acme", "at-1", Some("rt-1"), now_unix() + 10),
            INTEGRATIONS,
        )
        .unwrap();
    let first = granted(store.claim_refresh("acme", 30).unwrap());
    if stores.is_postgres() {
        // PostgreSQL: the claim is the row lock, which a second claimer waits for, up to its
        // lease (here 1 s), before it answers busy.
        let started = Instant::now();
        assert!(matches!(
            store.claim_refresh("acme", 1).unwrap(),
            Claim::Busy { .. }
        ));
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(900) && waited < Duration::from_secs(10),
            "{waited:?}"
        );
    } else {
        // SQLite: the lease is a mark on the row; a second claimer finds it at once.
        assert!(matches!(
            store.claim_refresh("acme", 30).unwrap(),
            Claim::Busy { .. }
        ));
    }
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

fn a_lease_that_ran_out_cannot_commit(stores: &Stores) {
    let store = stores.open();
    store
        .add_account(
            oauth_account("acme", "at-1", Some("rt-1"), now_unix()),
            INTEGRATIONS,
        )
        .unwrap();
    // A refresher stalled past its lease…
    let stalled = if stores.is_postgres() {
        // PostgreSQL: the shortest lease, 1 s. The server ends the claim's transaction once it
        // has been idle that long, releasing the row lock, which the next claimer waits for.
        granted(store.claim_refresh("acme", 1).unwrap())
    } else {
        // SQLite: here, a lease already over.
        granted(store.claim_refresh("acme", -1).unwrap())
    };
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

/// A claim on `id` that has run out: on SQLite a lease already over; on PostgreSQL the shortest
/// lease (1 s), outlived, so that the server has ended the claim's transaction.
fn lapsed_claim(stores: &Stores, store: &Store, id: &str) -> Box<RefreshGrant> {
    if stores.is_postgres() {
        let grant = granted(store.claim_refresh(id, 1).unwrap());
        thread::sleep(Duration::from_secs(3));
        grant
    } else {
        granted(store.claim_refresh(id, -1).unwrap())
    }
}

/// A refresher whose claim ran out and whose provider then said the grant is dead still flips the
/// account, once, with its one event: the refresh token is dead whoever holds the claim.
fn a_lease_that_ran_out_can_still_give_up(stores: &Stores) {
    let store = stores.open();
    store
        .add_account(
            oauth_account("acme", "at-1", Some("rt-1"), now_unix()),
            INTEGRATIONS,
        )
        .unwrap();
    let lapsed = lapsed_claim(stores, &store, "acme");
    assert!(
        store
            .give_up_refresh(&lapsed, "invalid_grant", Some(&webhook_event("e1")))
            .unwrap()
    );
    let summary = store.require_account_summary("acme").unwrap();
    assert_eq!(summary.status, AccountStatus::NeedsReauth);
    assert_eq!(summary.reauth_reason.as_deref(), Some("invalid_grant"));
    let events: Vec<String> = store
        .lease_webhooks(10, 60)
        .unwrap()
        .into_iter()
        .map(|w| w.event_id)
        .collect();
    assert_eq!(events, ["e1"]);
}

/// Releasing a claim that ran out changes nothing and fails nothing; the account is claimable at
/// once.
fn a_lease_that_ran_out_can_still_be_released(stores: &Stores) {
    let store = stores.open();
    store
        .add_account(
            oauth_account("acme", "at-1", Some("rt-1"), now_unix()),
            INTEGRATIONS,
        )
        .unwrap();
    let lapsed = lapsed_claim(stores, &store, "acme");
    store.release_refresh(&lapsed).unwrap();
    let next = granted(store.claim_refresh("acme", 30).unwrap());
    assert_eq!(bearer(&next.current), "at-1");
    assert_eq!(next.refresh_token, "rt-1");
    store.release_refresh(&next).unwrap();
}

/// `try_claim_refresh` (the proactive refresher's) answers busy at once while another holds the
/// claim, on both engines (on PostgreSQL it skips the locked row instead of waiting for it), and
/// otherwise answers as `claim_refresh` does.
fn try_claim_never_waits_for_another_holder(stores: &Stores) {
    let store = stores.open();
    store
        .add_account(
            oauth_account("acme", "at-1", Some("rt-1"), now_unix() + 10),
            INTEGRATIONS,
        )
        .unwrap();
    store
        .add_account(
            NewAccount::new("static", "hubspot", Credential::Bearer("pat".into())),
            INTEGRATIONS,
        )
        .unwrap();
    let first = granted(store.claim_refresh("acme", 30).unwrap());
    let other = stores.open();
    let started = Instant::now();
    assert!(matches!(
        other.try_claim_refresh("acme", 30).unwrap(),
        Claim::Busy { .. }
    ));
    let waited = started.elapsed();
    assert!(waited < Duration::from_millis(900), "{waited:?}");
    assert!(matches!(
        other.try_claim_refresh("static", 30).unwrap(),
        Claim::NotRefreshable
    ));
    assert!(matches!(
        other.try_claim_refresh("nobody", 30),
        Err(StoreError::UnknownAccount { .. })
    ));
    store.release_refresh(&first).unwrap();
    let second = granted(other.try_claim_refresh("acme", 30).unwrap());
    assert_eq!(second.refresh_token, "rt-1");
    other.release_refresh(&second).unwrap();
}

fn static_accounts_are_not_refreshable(stores: &Stores) {
    let store = stores.open();
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

fn needs_reauth_flips_once_queues_one_event_and_a_reconnect_restores_the_account(stores: &Stores) {
    let store = stores.open();
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

fn webhook_leases_failures_and_deliveries(stores: &Stores) {
    let store = stores.open();
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

fn states_are_single_use_and_expire(stores: &Stores) {
    let store = stores.open();
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

fn apps_seal_their_secret_and_one_default_per_integration(stores: &Stores) {
    let store = stores.open();
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

fn refresh_due_lists_active_expiring_oauth_accounts(stores: &Stores) {
    let store = stores.open();
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

fn webhook_event(id: &str) -> WebhookEvent {
    WebhookEvent {
        event_id: id.into(),
        body: format!(r#"{{"id":"{id}"}}"#),
    }
}

/// Two stores on one database, as two replicas have (or the CLI beside the server): each reads the
/// other's writes; a dead grant found by both at once flips the account once and queues one webhook
/// event; and leasing the outbox from both at once never hands an event out twice.
fn two_stores_on_one_database_share_writes_one_reauth_event_and_the_outbox(stores: &Stores) {
    let a = Arc::new(stores.open());
    let b = Arc::new(stores.open());

    // What one writes, the other reads.
    a.add_account(
        oauth_account("acme", "at-1", Some("rt-1"), now_unix() + 60),
        INTEGRATIONS,
    )
    .unwrap();
    assert_eq!(
        bearer(&b.require_account("acme").unwrap().credential),
        "at-1"
    );
    let (_, token) = b
        .create_server(NewServer::shared(
            "agent",
            "hubspot",
            "acme",
            ToolFilter::default(),
        ))
        .unwrap();
    assert_eq!(a.server_by_token(&token).unwrap().unwrap().name, "agent");
    assert_eq!(a.generation().unwrap(), b.generation().unwrap());
    // A refresh one of them completes is what the other reads, and refreshes from next.
    let grant = granted(b.claim_refresh("acme", 30).unwrap());
    assert!(
        b.complete_refresh(&grant, "at-2", Some("rt-2"), None)
            .unwrap()
    );
    assert_eq!(
        bearer(&a.require_account("acme").unwrap().credential),
        "at-2"
    );
    let grant = granted(a.claim_refresh("acme", 30).unwrap());
    assert_eq!(grant.refresh_token, "rt-2");

    // Both find the grant dead at once: one gives up under its claim while the other marks the
    // account (on PostgreSQL that waits for the claim's row lock). One of them flips it.
    let marker = thread::spawn({
        let b = Arc::clone(&b);
        move || {
            b.mark_needs_reauth("acme", "invalid_grant", Some(&webhook_event("acme-b")))
                .unwrap()
        }
    });
    let by_a = a
        .give_up_refresh(&grant, "invalid_grant", Some(&webhook_event("acme-a")))
        .unwrap();
    let by_b = marker.join().unwrap();
    assert!(by_a ^ by_b, "exactly one flips the account: {by_a} {by_b}");
    drop(grant);
    assert_eq!(
        b.require_account_summary("acme").unwrap().status,
        AccountStatus::NeedsReauth
    );

    // Eight marks at once on another account, four through each store: one flip.
    a.add_account(
        oauth_account("globex", "at", Some("rt"), now_unix()),
        INTEGRATIONS,
    )
    .unwrap();
    let markers: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(if i % 2 == 0 { &a } else { &b });
            thread::spawn(move || {
                let event = webhook_event(&format!("globex-{i}"));
                store
                    .mark_needs_reauth("globex", "invalid_grant", Some(&event))
                    .unwrap()
            })
        })
        .collect();
    let flips: Vec<bool> = markers.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(flips.iter().filter(|f| **f).count(), 1, "{flips:?}");

    // One event queued per account, whichever store looks.
    let queued = |store: &switchboard_vault::Store| -> Vec<String> {
        store
            .undelivered_webhooks()
            .unwrap()
            .into_iter()
            .map(|(id, _, _)| id)
            .collect()
    };
    let events = queued(&a);
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        events[0].starts_with("acme-") && events[1].starts_with("globex-"),
        "{events:?}"
    );
    assert_eq!(queued(&b), events);

    // Forty more events, leased by both stores at once, three at a time: each one handed out
    // exactly once.
    for i in 0..40 {
        let id = format!("r{i:02}");
        b.add_account(
            oauth_account(&id, "at", Some("rt"), now_unix()),
            INTEGRATIONS,
        )
        .unwrap();
        let event = webhook_event(&format!("{id}-event"));
        assert!(a.mark_needs_reauth(&id, "gone", Some(&event)).unwrap());
    }
    let all: BTreeSet<String> = queued(&b).into_iter().collect();
    assert_eq!(all.len(), 42);
    let leasers: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(if i % 2 == 0 { &a } else { &b });
            thread::spawn(move || {
                let mut got = Vec::new();
                loop {
                    let batch = store.lease_webhooks(3, 60).unwrap();
                    if batch.is_empty() {
                        return got;
                    }
                    got.extend(batch.into_iter().map(|w| w.event_id));
                }
            })
        })
        .collect();
    let leased: Vec<String> = leasers
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let distinct: BTreeSet<String> = leased.iter().cloned().collect();
    assert_eq!(
        leased.len(),
        distinct.len(),
        "an event was leased twice: {leased:?}"
    );
    assert_eq!(distinct, all);
    assert!(a.lease_webhooks(100, 60).unwrap().is_empty());
    assert!(b.lease_webhooks(100, 60).unwrap().is_empty());
}

/// PostgreSQL alone: its refresh claim is the account's row lock, held by the grant, and a second
/// claim (from any replica) waits for it. SQLite's lease never waits (a second claim is busy at
/// once; see `the_lease_admits_one_refresher…` above), so these have no SQLite counterpart.
mod postgres_claims {
    use super::*;

    /// While `store` holds a claim on `id`: a claim through another store (another replica) in a
    /// thread, which must still be waiting after a while; then `end` ends the first grant, and this
    /// returns what the waiting claim got and how long it took.
    fn while_a_claim_waits(
        stores: &Stores,
        first: Box<RefreshGrant>,
        lease_secs: i64,
        end: impl FnOnce(Box<RefreshGrant>),
    ) -> (Claim, Duration) {
        let other = stores.open();
        let id = first.account_id.clone();
        let started = Instant::now();
        let waiter = thread::spawn(move || {
            let claim = other.claim_refresh(&id, lease_secs).unwrap();
            (claim, started.elapsed())
        });
        thread::sleep(Duration::from_millis(400));
        assert!(
            !waiter.is_finished(),
            "a second claim must wait while the first grant is held"
        );
        end(first);
        waiter.join().unwrap()
    }

    #[test]
    fn a_waiting_claim_gives_up_after_its_lease_or_gets_the_tokens_the_holder_committed() {
        let Some(stores) = Stores::postgres() else {
            return;
        };
        let store = stores.open();
        store
            .add_account(
                oauth_account("acme", "at-1", Some("rt-1"), now_unix() + 10),
                INTEGRATIONS,
            )
            .unwrap();
        let first = granted(store.claim_refresh("acme", 30).unwrap());

        // A claim with a 1 s lease waits that long for the row lock, then answers busy.
        let other = stores.open();
        let started = Instant::now();
        let busy = thread::spawn(move || other.claim_refresh("acme", 1).unwrap())
            .join()
            .unwrap();
        let waited = started.elapsed();
        assert!(matches!(busy, Claim::Busy { .. }), "{busy:?}");
        assert!(
            waited >= Duration::from_millis(900) && waited < Duration::from_secs(10),
            "{waited:?}"
        );

        // A claim with a longer lease waits until the holder commits its refresh, then reads the
        // rotated tokens: it must never spend the refresh token the first one just used up.
        let expires = now_unix() + 1800;
        let (claim, waited) = while_a_claim_waits(&stores, first, 30, |first| {
            assert!(
                store
                    .complete_refresh(&first, "at-2", Some("rt-2"), Some(expires))
                    .unwrap()
            );
        });
        assert!(waited >= Duration::from_millis(400), "{waited:?}");
        let second = granted(claim);
        assert_eq!(bearer(&second.current), "at-2");
        assert_eq!(second.refresh_token, "rt-2");
        assert_eq!(second.expires_at, Some(expires));
        store.release_refresh(&second).unwrap();
        assert_eq!(
            bearer(&store.require_account("acme").unwrap().credential),
            "at-2"
        );
    }

    #[test]
    fn releasing_dropping_or_giving_up_a_grant_lets_the_waiting_claim_in() {
        let Some(stores) = Stores::postgres() else {
            return;
        };
        let store = stores.open();
        store
            .add_account(
                oauth_account("acme", "at-1", Some("rt-1"), now_unix() + 10),
                INTEGRATIONS,
            )
            .unwrap();

        // Released: the waiter gets the unchanged tokens.
        let first = granted(store.claim_refresh("acme", 30).unwrap());
        let (claim, _) = while_a_claim_waits(&stores, first, 30, |first| {
            store.release_refresh(&first).unwrap();
        });
        let second = granted(claim);
        assert_eq!(bearer(&second.current), "at-1");
        assert_eq!(second.refresh_token, "rt-1");

        // Dropped (a refresher that panicked, or forgot): its connection closes, the lock goes.
        let (claim, _) = while_a_claim_waits(&stores, second, 30, drop);
        let third = granted(claim);
        assert_eq!(third.refresh_token, "rt-1");

        // Given up: the waiter finds the account needing re-authorization, and queues nothing.
        let (claim, _) = while_a_claim_waits(&stores, third, 30, |third| {
            assert!(
                store
                    .give_up_refresh(&third, "invalid_grant", Some(&webhook_event("e1")))
                    .unwrap()
            );
        });
        assert!(matches!(claim, Claim::NeedsReauth), "{claim:?}");
        assert_eq!(
            store.require_account_summary("acme").unwrap().status,
            AccountStatus::NeedsReauth
        );
        let events: Vec<String> = store
            .lease_webhooks(10, 60)
            .unwrap()
            .into_iter()
            .map(|w| w.event_id)
            .collect();
        assert_eq!(events, ["e1"]);
        // Nothing holds the row any more: a plain status change goes through at once.
        store
            .set_account_status("acme", AccountStatus::Active)
            .unwrap();
    }
}
