//! Several `switchboard serve` replicas on one PostgreSQL database, as an operator runs them behind
//! a load balancer: one refresh however many replicas see an expired token, a replica killed in the
//! middle of a refresh leaves it to the others without breaking the token chain, a revocation on
//! one replica reaches the others within a second, a cursor from one pages on another, and a dead
//! refresh token fires one webhook although every replica saw it.
//!
//! Each test has a database of its own on the server `SWITCHBOARD_TEST_POSTGRES` names
//! (`tests/postgres.sh` starts one); without it the tests say they are skipped, except in CI,
//! where they fail.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

mod support {
    #[path = "../../../vault/tests/support/postgres.rs"]
    pub mod postgres;
    pub mod replicas;
}

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use support::postgres::TestDb;
use support::replicas::{
    Db, connect_acme, connected, contacts_url, list_contacts, serve, serve_with, strict_sandbox,
};

/// An admin token for the replicas that serve the admin API.
const ADMIN_TOKEN: &str = "replica-test-admin-token-0123456789abcdef";
/// The webhook signing key.
const WEBHOOK_SECRET: &str = "replica-test-webhook-secret-0123456789";

/// `count` calls of the contacts list at once, alternating between `bases`: every status and body.
async fn burst(
    http: &reqwest::Client,
    bases: &[&str],
    token: &str,
    count: usize,
) -> Vec<(u16, Value)> {
    let mut calls = Vec::new();
    for i in 0..count {
        let url = contacts_url(bases[i % bases.len()], token);
        let http = http.clone();
        calls.push(tokio::spawn(async move {
            let reply = http
                .post(&url)
                .json(&json!({"limit": 1}))
                .send()
                .await
                .unwrap();
            let status = reply.status().as_u16();
            (status, reply.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let mut out = Vec::new();
    for call in calls {
        out.push(call.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_refresh_an_expired_token_once() {
    let Some(test_db) = TestDb::create() else {
        return;
    };
    let db = Db::postgres(&test_db.url);
    let sandbox = strict_sandbox().await;
    let (a, token) = connected(&db, &sandbox).await;
    let b = serve(&db);
    let http = reqwest::Client::new();
    for server in [&a, &b] {
        assert_eq!(list_contacts(&http, server, &token).await, 200);
    }

    // Every access token dies at the provider; the two replicas get 200 calls at once.
    sandbox.expire_access_tokens();
    let before = sandbox.oauth_stats();
    for (status, body) in burst(&http, &[&a.base, &b.base], &token, 200).await {
        assert_eq!(status, 200, "{body}");
    }
    let stats = sandbox.oauth_stats();
    assert_eq!(stats.refreshes - before.refreshes, 1, "{stats:?}");
    assert_eq!(stats.reuse_detections, 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_refresh_leaves_the_refresh_to_the_other() {
    let Some(test_db) = TestDb::create() else {
        return;
    };
    let db = Db::postgres(&test_db.url);
    let sandbox = strict_sandbox().await;
    let (mut a, token) = connected(&db, &sandbox).await;
    let b = serve(&db);
    let http = reqwest::Client::new();
    for server in [&a, &b] {
        assert_eq!(list_contacts(&http, server, &token).await, 200);
    }

    // The provider is slow; replica A starts the refresh and holds the account's row lock while
    // it waits for the answer.
    sandbox.expire_access_tokens();
    sandbox.delay_token_answers(Duration::from_millis(1500));
    let before = sandbox.oauth_stats();
    let arrived = sandbox.token_requests_arrived();
    let in_flight = {
        let (http, url) = (http.clone(), contacts_url(&a.base, &token));
        tokio::spawn(async move { http.post(&url).json(&json!({"limit": 1})).send().await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    // B gets a call meanwhile: it waits for A's lock instead of refreshing too.
    let waiting = {
        let (http, url) = (http.clone(), contacts_url(&b.base, &token));
        tokio::spawn(async move { http.post(&url).json(&json!({"limit": 1})).send().await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sandbox.token_requests_arrived() - arrived,
        1,
        "only A's refresh is at the provider"
    );
    assert!(!waiting.is_finished(), "B waits for the refresh A holds");
    a.kill();

    // The call A was serving ends with an error, not silence and not a success.
    let lost = in_flight.await.unwrap();
    assert!(
        lost.as_ref().map_or(true, |reply| reply.status() != 200),
        "a call on the killed replica cannot have succeeded: {lost:?}"
    );

    // B takes the lock the dead replica's connection released, refreshes, and serves its waiting
    // call and every other.
    let waited = waiting.await.unwrap().unwrap();
    assert_eq!(waited.status(), 200, "{}", waited.text().await.unwrap());
    for (status, body) in burst(&http, &[&b.base], &token, 20).await {
        assert_eq!(status, 200, "{body}");
    }
    let stats = sandbox.oauth_stats();
    assert_eq!(
        stats.refreshes - before.refreshes,
        1,
        "A's refresh was never answered, so B's is the only one: {stats:?}"
    );
    assert_eq!(stats.reuse_detections, 0, "{stats:?}");
    assert_eq!(stats.revoked_chains, 0, "{stats:?}");
    assert_eq!(
        sandbox.token_requests_arrived() - arrived,
        2,
        "A's (never answered) and B's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_one_replica_reaches_the_other_within_a_second_and_cursors_travel() {
    let Some(test_db) = TestDb::create() else {
        return;
    };
    let db = Db::postgres(&test_db.url);
    let sandbox = strict_sandbox().await;
    let a = serve_with(&db, &[], &[("SWITCHBOARD_ADMIN_TOKEN", ADMIN_TOKEN)]);
    let token = connect_acme(&db, &sandbox, &a).await;
    let b = serve(&db);
    let http = reqwest::Client::new();

    // A cursor issued by A pages on B: the sealing key lives in the shared store.
    let first: Value = http
        .post(contacts_url(&a.base, &token))
        .json(&json!({"limit": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second = http
        .post(contacts_url(&b.base, &token))
        .json(&json!({"limit": 1, "next_cursor": cursor}))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_eq!(second["result_count"], 1, "{second}");
    assert_ne!(
        first["result"][0], second["result"][0],
        "the second page, not the first"
    );

    // B has the server cached: its calls go to the database not once (the audit log's batched
    // writes aside, which no call waits for).
    assert_eq!(list_contacts(&http, &b, &token).await, 200);
    let before = quiet_metrics(&http, &b.base).await;
    for (status, body) in burst(&http, &[&b.base], &token, 50).await {
        assert_eq!(status, 200, "{body}");
    }
    let after = quiet_metrics(&http, &b.base).await;
    let trips = counter(&after, "switchboard_store_round_trips")
        - counter(&before, "switchboard_store_round_trips");
    let audit = counter(&after, "switchboard_audit_batches")
        - counter(&before, "switchboard_audit_batches");
    assert!(audit >= 1, "the calls were audited");
    assert_eq!(
        trips - audit,
        0,
        "store trips on the hot path of 50 cached calls"
    );

    // A revokes it through its admin API.
    let revoked = http
        .post(format!("{}/admin/mcp-servers/agent/revoke", a.base))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200, "{}", revoked.text().await.unwrap());
    let started = Instant::now();
    loop {
        let status = list_contacts(&http, &b, &token).await;
        if status == 404 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "replica B still served the revoked server after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(list_contacts(&http, &a, &token).await, 404);
}

/// The value of the counter `name` (any labels) in a Prometheus text exposition.
fn counter(text: &str, name: &str) -> u64 {
    text.lines()
        .filter(|line| !line.starts_with('#') && line.starts_with(name))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

/// `/metrics` of `base` once it stops changing (the audit writer has caught up).
async fn quiet_metrics(http: &reqwest::Client, base: &str) -> String {
    let read = || async {
        http.get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let mut last = read().await;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = read().await;
        let stable = counter(&now, "switchboard_store_round_trips")
            == counter(&last, "switchboard_store_round_trips");
        last = now;
        if stable {
            break;
        }
    }
    last
}

/// A webhook receiver that answers 200 to everything and keeps every body.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&bodies);
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let kept = Arc::clone(&kept);
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    // Headers, then as many body bytes as Content-Length says.
                    let body_start = loop {
                        let Ok(n) = socket.read(&mut buf).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        request.extend_from_slice(&buf[..n]);
                        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&request[..body_start]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while request.len() < body_start + length {
                        let Ok(n) = socket.read(&mut buf).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        request.extend_from_slice(&buf[..n]);
                    }
                    let body = String::from_utf8_lossy(&request[body_start..]).into_owned();
                    kept.lock().unwrap().push(body);
                    let _ = socket
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                });
            }
        });
        Self { url, bodies }
    }

    fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_refresh_token_fires_one_webhook_although_both_replicas_saw_it() {
    let Some(test_db) = TestDb::create() else {
        return;
    };
    let db = Db::postgres(&test_db.url);
    let sandbox = strict_sandbox().await;
    let receiver = Receiver::start().await;
    let args = ["--webhook-url", receiver.url.as_str()];
    let env = [("SWITCHBOARD_WEBHOOK_SECRET", WEBHOOK_SECRET)];
    let a = serve_with(&db, &args, &env);
    let token = connect_acme(&db, &sandbox, &a).await;
    let b = serve_with(&db, &args, &env);
    let http = reqwest::Client::new();
    for server in [&a, &b] {
        assert_eq!(list_contacts(&http, server, &token).await, 200);
    }

    // The user uninstalls the app: access tokens get 401, the refresh token `invalid_grant`.
    sandbox.revoke_all_chains();
    for (status, body) in burst(&http, &[&a.base, &b.base], &token, 40).await {
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["type"], "auth_required", "{body}");
    }

    let started = Instant::now();
    while receiver.bodies().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no webhook came"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Both replicas deliver from the outbox every second: give them several rounds to send it twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let event: Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(event["type"], "account.needs_reauth", "{event}");
    assert_eq!(event["account"], "acme", "{event}");
}
