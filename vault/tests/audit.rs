//! The audit log as its readers see it: events come back as written, filtered and as a tail (the
//! newest N, oldest first), survive a reopen, and age out with pruning.
//!
//! Every test body that needs a store runs on both backends (`sqlite::<test>`, `postgres::<test>`;
//! see `support/stores.rs`).
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

mod support {
    pub mod postgres;
    pub mod stores;
}

use switchboard_vault::{AuditEvent, AuditQuery, DEFAULT_AUDIT_LIMIT};

use support::stores::{Stores, store_suite};

store_suite!(
    events_round_trip_with_every_field_and_survive_a_reopen,
    filters_select_by_server_account_user_and_time,
    the_limit_keeps_the_newest_events_oldest_first,
    a_large_batch_is_written_in_one_call,
    pruning_deletes_only_older_events_and_counts_them,
);

fn event(at_ms: i64, server: &str, account: &str, user: Option<&str>) -> AuditEvent {
    AuditEvent {
        at_ms,
        server: Some(server.into()),
        account: Some(account.into()),
        user: user.map(str::to_owned),
        integration: "hubspot".into(),
        tool: "list_all_hub_spot_contacts".into(),
        kind: "proxy".into(),
        via: "mcp".into(),
        request_id: Some(format!("req-{at_ms}")),
        latency_ms: 42,
        outcome: "ok".into(),
        upstream_status: Some(200),
    }
}

fn query() -> AuditQuery {
    AuditQuery::default()
}

fn times(events: &[AuditEvent]) -> Vec<i64> {
    events.iter().map(|e| e.at_ms).collect()
}

fn events_round_trip_with_every_field_and_survive_a_reopen(stores: &Stores) {
    let full = event(1_000, "crm-reader", "acme-hubspot", Some("alice"));
    let sparse = AuditEvent {
        at_ms: 2_000,
        server: None,
        account: None,
        user: None,
        integration: "salesforce".into(),
        tool: "list_all_crm_contacts".into(),
        kind: "unified".into(),
        via: "stdio".into(),
        request_id: None,
        latency_ms: u64::MAX,
        outcome: "upstream_timeout".into(),
        upstream_status: None,
    };
    {
        let store = stores.open();
        store.record_audit(&[full.clone(), sparse.clone()]).unwrap();
        store.record_audit(&[]).unwrap();
    }
    let store = stores.open();
    let read = store.audit_events(&query()).unwrap();
    let sparse_read = AuditEvent {
        // Stored as the largest 64-bit integer (SQLite's INTEGER, PostgreSQL's BIGINT).
        latency_ms: i64::MAX as u64,
        ..sparse
    };
    assert_eq!(read, vec![full, sparse_read]);
}

/// No store: the event's JSON form alone.
#[test]
fn the_json_form_names_every_field_and_nothing_else() {
    let json = serde_json::to_value(event(7, "s", "a", None)).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "at_ms",
        "server",
        "account",
        "user",
        "integration",
        "tool",
        "kind",
        "via",
        "request_id",
        "latency_ms",
        "outcome",
        "upstream_status",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(json["user"], serde_json::Value::Null);
    assert_eq!(json["upstream_status"], 200);
}

fn filters_select_by_server_account_user_and_time(stores: &Stores) {
    let store = stores.open();
    store
        .record_audit(&[
            event(100, "reader", "acme", Some("alice")),
            event(200, "writer", "acme", Some("bob")),
            event(300, "reader", "globex", Some("alice")),
            event(400, "reader", "acme", None),
        ])
        .unwrap();
    let by = |q: AuditQuery| times(&store.audit_events(&q).unwrap());

    assert_eq!(by(query()), [100, 200, 300, 400]);
    assert_eq!(
        by(AuditQuery {
            server: Some("reader".into()),
            ..query()
        }),
        [100, 300, 400]
    );
    assert_eq!(
        by(AuditQuery {
            account: Some("acme".into()),
            ..query()
        }),
        [100, 200, 400]
    );
    assert_eq!(
        by(AuditQuery {
            user: Some("alice".into()),
            ..query()
        }),
        [100, 300]
    );
    assert_eq!(
        by(AuditQuery {
            since_ms: Some(200),
            ..query()
        }),
        [200, 300, 400],
        "since is inclusive"
    );
    assert_eq!(
        by(AuditQuery {
            server: Some("reader".into()),
            account: Some("acme".into()),
            since_ms: Some(150),
            ..query()
        }),
        [400]
    );
    assert_eq!(
        by(AuditQuery {
            server: Some("nobody".into()),
            ..query()
        }),
        [0_i64; 0]
    );
}

fn the_limit_keeps_the_newest_events_oldest_first(stores: &Stores) {
    let store = stores.open();
    // Written out of time order (replicas' batches interleave); read back in time order.
    let batch: Vec<AuditEvent> = [5, 1, 4, 2, 3, 6]
        .into_iter()
        .map(|t| event(t, "s", "a", None))
        .collect();
    store.record_audit(&batch).unwrap();
    let tail = |limit| {
        times(
            &store
                .audit_events(&AuditQuery { limit, ..query() })
                .unwrap(),
        )
    };
    assert_eq!(tail(3), [4, 5, 6]);
    assert_eq!(tail(1), [6]);
    assert_eq!(tail(100), [1, 2, 3, 4, 5, 6]);
    assert_eq!(tail(0), [0_i64; 0]);
    assert_eq!(query().limit, DEFAULT_AUDIT_LIMIT);

    // Same millisecond: the order written.
    let same: Vec<AuditEvent> = ["first", "second", "third"]
        .into_iter()
        .map(|id| AuditEvent {
            request_id: Some(id.into()),
            ..event(10, "t", "a", None)
        })
        .collect();
    store.record_audit(&same).unwrap();
    let read = store
        .audit_events(&AuditQuery {
            server: Some("t".into()),
            limit: 2,
            ..query()
        })
        .unwrap();
    let ids: Vec<_> = read.iter().map(|e| e.request_id.as_deref()).collect();
    assert_eq!(ids, [Some("second"), Some("third")]);
}

fn a_large_batch_is_written_in_one_call(stores: &Stores) {
    let store = stores.open();
    let batch: Vec<AuditEvent> = (0..2_000).map(|t| event(t, "s", "a", Some("u"))).collect();
    store.record_audit(&batch).unwrap();
    let read = store
        .audit_events(&AuditQuery {
            limit: 5_000,
            ..query()
        })
        .unwrap();
    assert_eq!(read, batch);
}

fn pruning_deletes_only_older_events_and_counts_them(stores: &Stores) {
    let store = stores.open();
    // More than one prune chunk.
    let batch: Vec<AuditEvent> = (0..12_000).map(|t| event(t, "s", "a", None)).collect();
    store.record_audit(&batch).unwrap();

    assert_eq!(store.prune_audit(0).unwrap(), 0);
    assert_eq!(store.prune_audit(11_000).unwrap(), 11_000);
    assert_eq!(
        store.prune_audit(11_000).unwrap(),
        0,
        "nothing left to prune"
    );
    let left = store
        .audit_events(&AuditQuery {
            limit: usize::MAX,
            ..query()
        })
        .unwrap();
    assert_eq!(left.len(), 1_000);
    assert_eq!(
        left.first().map(|e| e.at_ms),
        Some(11_000),
        "the cut is exclusive"
    );
    assert_eq!(store.prune_audit(i64::MAX).unwrap(), 1_000);
    assert!(store.audit_events(&query()).unwrap().is_empty());
}
