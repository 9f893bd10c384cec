//! `switchboard serve` processes as an operator runs them: two replicas on one SQLite file behind a
//! load balancer refresh an expired token once, not once per process; a master-key rotation followed
//! by a restart keeps every account (and its refresh token) working.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_sandbox::{OAuthConfig, SandboxConfig};

/// `switchboard --db <db> <args>` with no Switchboard settings inherited.
fn switchboard(db: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.arg("--db").arg(db).args(args);
    for var in [
        "SWITCHBOARD_DB",
        "SWITCHBOARD_MASTER_KEY",
        "SWITCHBOARD_PUBLIC_URL",
        "SWITCHBOARD_HUBSPOT_CLIENT_ID",
        "SWITCHBOARD_HUBSPOT_CLIENT_SECRET",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_LOG", "info");
    cmd
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A running `switchboard serve`, killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `switchboard serve --listen 127.0.0.1:0` and waits for the URL it logs.
fn serve(db: &Path) -> Server {
    let mut child = switchboard(db, &["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split("serving MCP at ").nth(1) {
                let base = rest.split("/mcp/").next().unwrap_or_default().to_owned();
                let _ = tx.send(base);
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("`switchboard serve` did not start");
    Server { child, base }
}

/// The sandbox's app as HubSpot's default, a first replica, and an account `acme` connected through it
/// in a browser; returns that replica and the capability token of a server on the account.
async fn connected(db: &Path, sandbox: &switchboard_sandbox::SandboxHandle) -> (Server, String) {
    let sb = sandbox.base_url();
    ok(switchboard(
        db,
        &[
            "oauth-apps",
            "add",
            "--name",
            "sandbox",
            "--integration",
            "hubspot",
            "--client-id",
            &sandbox.oauth_config().client_id,
            "--client-secret-env",
            "TEST_CLIENT_SECRET",
            "--authorization-url",
            &format!("{sb}/oauth/authorize"),
            "--token-url",
            &format!("{sb}/oauth/v1/token"),
            "--base-url",
            &sb,
            "--default",
        ],
    )
    .env("TEST_CLIENT_SECRET", &sandbox.oauth_config().client_secret));
    let a = serve(db);
    let out = ok(&mut switchboard(
        db,
        &[
            "--public-url",
            &a.base,
            "accounts",
            "connect",
            "--id",
            "acme",
            "--integration",
            "hubspot",
        ],
    ));
    let authorize = out
        .lines()
        .find_map(|l| l.strip_prefix("authorization_url="))
        .unwrap()
        .to_owned();
    let page = reqwest::get(&authorize).await.unwrap();
    assert_eq!(page.status(), 200, "{}", page.text().await.unwrap());
    let created = ok(&mut switchboard(
        db,
        &["servers", "create", "--name", "agent", "--account", "acme"],
    ));
    let token = created
        .split("/mcp/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    (a, token)
}

async fn strict_sandbox() -> switchboard_sandbox::SandboxHandle {
    switchboard_sandbox::spawn(SandboxConfig {
        oauth: OAuthConfig {
            strict_rotation: true,
            ..OAuthConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

/// One call of the contacts list through `server`'s REST mirror: its status.
async fn list_contacts(http: &reqwest::Client, server: &Server, token: &str) -> u16 {
    let url = format!(
        "{}/mcp/{token}/tools/list_all_hub_spot_contacts",
        server.base
    );
    let reply = http
        .post(&url)
        .json(&json!({"limit": 1}))
        .send()
        .await
        .unwrap();
    reply.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_file_refresh_an_expired_token_once() {
    let sandbox = strict_sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("switchboard.db");
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
    let db = dir.path().join("switchboard.db");
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
