//! What a refresh costs the one call that waits for it: the latency of a `tools/call` whose access
//! token the provider has just expired (401 → one refresh at the sandbox's token endpoint, committed
//! to the SQLite store → one replay) next to the same call on a live token, and the latency of calls
//! on an OAuth account in steady state (no refresh due) next to a static-token account.
//!
//! In-process (executor, coordinator, store on disk, sandbox over loopback HTTP), so the figures are
//! Switchboard's work plus two loopback round trips, not a network's.
//! Run: `cargo bench -p switchboard-tests --bench refresh_latency` (`REFRESH_BENCH_ROUNDS=N`, default
//! 300). Without `--bench` (`cargo test --benches`) it runs 5 rounds as a smoke test.

#![allow(clippy::expect_used, clippy::unwrap_used)] // A benchmark's setup failing is a panic.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_oauth::{ConnectLinks, ConnectRequest, Connector, Coordinator, RefreshPolicy};
use switchboard_runtime::account::{Account, Credential};
use switchboard_runtime::executor::{Executor, ExecutorConfig};
use switchboard_sandbox::SandboxConfig;
use switchboard_vault::{NewAccount, NewOAuthApp, Store};

static INTEGRATIONS: &[&switchboard_runtime::table::Integration] =
    switchboard_generated::INTEGRATIONS;
const TOOL: &str = "get_single_hub_spot_contact_by_id";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let (p50, p99) = (percentile(&samples, 0.50), percentile(&samples, 0.99));
    println!(
        "BENCH case={name} n={} p50_us={} p99_us={}",
        samples.len(),
        p50.as_micros(),
        p99.as_micros()
    );
    (p50, p99)
}

async fn call(executor: &Executor, account: &Account) -> Duration {
    let started = Instant::now();
    let result = executor.call(account, TOOL, json!({"id": "1001"})).await;
    let elapsed = started.elapsed();
    assert!(result.is_ok(), "{:?}", result.err());
    elapsed
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let rounds: usize = if full {
        std::env::var("REFRESH_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300)
    } else {
        5
    };
    let sandbox = switchboard_sandbox::spawn(SandboxConfig::default())
        .await
        .unwrap();
    let sb = sandbox.base_url();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("switchboard.db")).unwrap());
    store
        .add_oauth_app(
            NewOAuthApp {
                name: "sandbox".into(),
                integration: "hubspot".into(),
                client_id: sandbox.oauth_config().client_id.clone(),
                client_secret: sandbox.oauth_config().client_secret.clone(),
                authorization_url: Some(format!("{sb}/oauth/authorize")),
                token_url: Some(format!("{sb}/oauth/v1/token")),
                base_url: Some(sb.clone()),
                is_default: true,
            },
            INTEGRATIONS,
        )
        .unwrap();
    store
        .add_account(
            NewAccount {
                base_url: Some(sb.clone()),
                ..NewAccount::new(
                    "static",
                    "hubspot",
                    Credential::Bearer(sandbox.api_token().into()),
                )
            },
            INTEGRATIONS,
        )
        .unwrap();
    let links = ConnectLinks::new("http://127.0.0.1:1", store.connect_key());
    let connector = Connector::new(
        store.clone(),
        INTEGRATIONS,
        links.clone(),
        Duration::from_secs(10),
    )
    .unwrap();
    let coordinator = Coordinator::new(
        store.clone(),
        INTEGRATIONS,
        links,
        RefreshPolicy::default(),
        None,
    )
    .unwrap();
    let executor = Executor::with_credentials(
        INTEGRATIONS,
        ExecutorConfig::default(),
        Arc::new(coordinator.clone()),
    );

    // Connect the OAuth account through the sandbox's consent.
    let url = connector
        .begin(ConnectRequest {
            account: "oauth".into(),
            integration: "hubspot".into(),
            settings: switchboard_vault::OAuthSettings {
                scopes: vec!["crm.objects.contacts.read".into()],
                ..Default::default()
            },
            ..ConnectRequest::default()
        })
        .unwrap();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = no_redirects.get(&url).send().await.unwrap();
    let back =
        reqwest::Url::parse(consent.headers().get("location").unwrap().to_str().unwrap()).unwrap();
    let param = |name: &str| {
        back.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    let pending = connector.take_pending(&param("state")).unwrap();
    connector.complete(pending, &param("code")).await.unwrap();

    let static_account = store.require_account("static").unwrap();
    // Warm up connections and caches.
    for _ in 0..20 {
        call(&executor, &static_account).await;
        call(&executor, &store.require_account("oauth").unwrap()).await;
    }

    let mut live = Vec::with_capacity(rounds);
    let mut waiting = Vec::with_capacity(rounds);
    let mut steady_static = Vec::with_capacity(rounds);
    let mut steady_oauth = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        // The account as a server resolves it per request, from the store.
        let account = store.require_account("oauth").unwrap();
        live.push(call(&executor, &account).await);
        steady_oauth.push(call(&executor, &account).await);
        steady_static.push(call(&executor, &static_account).await);
        sandbox.expire_access_tokens();
        waiting.push(call(&executor, &account).await);
    }
    let refreshes = coordinator.stats().refreshes;
    assert_eq!(refreshes as usize, rounds, "one refresh per expired token");
    let (live50, live99) = report("oauth_live_token", live);
    let (wait50, wait99) = report("oauth_call_that_waits_for_a_refresh", waiting);
    report("oauth_steady_state", steady_oauth);
    report("static_token", steady_static);
    println!(
        "BENCH case=refresh_added_to_the_waiting_call p50_us={} p99_us={}",
        wait50.saturating_sub(live50).as_micros(),
        wait99.saturating_sub(live99).as_micros()
    );
}
