//! What a call costs the store, and that caching it changes nothing an operator relies on: after
//! the first call, each call reads only the store's generation (one tiny read) instead of looking
//! up its server, accounts and API token; a revocation from another process still takes effect on
//! the next request (or within the configured check interval).

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use support::{Harness, Options};
use switchboard_vault::Store;

const TOOL: &str = "list_all_hub_spot_contacts";

/// A harness whose HTTP server checks the generation every `check_every`; the store it serves from.
async fn start(check_every: Duration) -> (Harness, Arc<Store>) {
    let served: Arc<Mutex<Option<Arc<Store>>>> = Arc::default();
    let keep = served.clone();
    let harness = Harness::start(Options {
        configure: Some(Box::new(move |config, store| {
            config.directory_check_every = check_every;
            *keep.lock().unwrap() = Some(store.clone());
        })),
        ..Options::default()
    })
    .await;
    let store = served.lock().unwrap().take().unwrap();
    (harness, store)
}

async fn call(harness: &Harness, token: &str) -> u16 {
    reqwest::Client::new()
        .post(harness.rest_url(token, TOOL))
        .json(&json!({"limit": 1}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_cached_call_reads_only_the_generation_and_revocation_stays_immediate() {
    let (harness, store) = start(Duration::ZERO).await;
    assert_eq!(call(&harness, &harness.write_token).await, 200);
    let before = store.round_trips();
    for _ in 0..50 {
        assert_eq!(call(&harness, &harness.write_token).await, 200);
    }
    // One generation read per call; no server, binding or account lookup.
    assert_eq!(store.round_trips() - before, 50);

    // Another process (another connection to the same file) revokes: the next request sees it.
    Store::open(store.file().expect("an SQLite store"))
        .unwrap()
        .revoke_server("hubspot-writer")
        .unwrap();
    assert_eq!(call(&harness, &harness.write_token).await, 404);
    // The other server is still served.
    assert_eq!(call(&harness, &harness.read_token).await, 200);
}

#[tokio::test]
async fn with_a_check_interval_calls_read_nothing_and_revocation_lands_within_it() {
    let (harness, store) = start(Duration::from_millis(200)).await;
    assert_eq!(call(&harness, &harness.write_token).await, 200);
    let before = store.round_trips();
    let started = Instant::now();
    let mut calls = 0_u64;
    while started.elapsed() < Duration::from_millis(150) {
        assert_eq!(call(&harness, &harness.write_token).await, 200);
        calls += 1;
    }
    // At most one generation read in the window, however many calls.
    assert!(
        store.round_trips() - before <= 1,
        "{} round trips for {calls} calls",
        store.round_trips() - before
    );

    Store::open(store.file().expect("an SQLite store"))
        .unwrap()
        .revoke_server("hubspot-writer")
        .unwrap();
    let revoked = Instant::now();
    while call(&harness, &harness.write_token).await == 200 {
        assert!(
            revoked.elapsed() < Duration::from_secs(1),
            "still served after a second"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(call(&harness, &harness.write_token).await, 404);
}
