//! `switchboard serve` processes as an operator runs them: two replicas on one SQLite file behind a
//! load balancer refresh an expired token once, not once per process; a master-key rotation followed
//! by a restart keeps every account (and its refresh token) working.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

mod support {
    pub mod replicas;
}

use serde_json::{Value, json};

use support::replicas::{Db, connected, list_contacts, ok, serve, strict_sandbox, switchboard};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_file_refresh_an_expired_token_once() {
    let sandbox = strict_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::sqlite(&dir.path().join("switchboard.db"));
    let (a, token) = connected(&db, &sandbox).await;

    // The second replica, on the same file.
    let b = serve(&db);
    let http = reqwest::Client::new();
    for server in [&a, &b] {
        assert_eq!(list_contacts(&http, server, &token).await, 200);
    }

    // Every access token dies at the provider; both replicas get 100 calls at once.
    sandbox.expire_access_tokens();
    let before = sandbox.oauth_stats().refreshes;
    let mut calls = Vec::new();
    for i in 0..200 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let url = format!("{base}/mcp/{token}/tools/list_all_hub_spot_contacts");
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
    for call in calls {
        let (status, body) = call.await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let stats = sandbox.oauth_stats();
    assert_eq!(stats.refreshes - before, 1, "{stats:?}");
    assert_eq!(stats.reuse_detections, 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_key_rotation_and_a_restart_calls_and_refreshes_still_work() {
    let sandbox = strict_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::sqlite(&dir.path().join("switchboard.db"));
    let (a, token) = connected(&db, &sandbox).await;
    let http = reqwest::Client::new();
    assert_eq!(list_contacts(&http, &a, &token).await, 200);
    let old_key = std::fs::read(dir.path().join("switchboard.db.key")).unwrap();

    // Stop, rotate, start again.
    drop(a);
    let out = ok(&mut switchboard(&db, &["keys", "rotate"]));
    assert!(!out.is_empty());
    assert_ne!(
        std::fs::read(dir.path().join("switchboard.db.key")).unwrap(),
        old_key
    );
    let restarted = serve(&db);
    assert_eq!(list_contacts(&http, &restarted, &token).await, 200);
    // The refresh token and the app's client secret were re-sealed too: a refresh works.
    let before = sandbox.oauth_stats().refreshes;
    sandbox.expire_access_tokens();
    assert_eq!(list_contacts(&http, &restarted, &token).await, 200);
    let stats = sandbox.oauth_stats();
    assert_eq!(stats.refreshes - before, 1, "{stats:?}");
    assert_eq!(stats.reuse_detections, 0, "{stats:?}");
}
