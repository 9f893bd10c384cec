//! Two `switchboard serve` processes on one SQLite file, as an operator runs them behind a load
//! balancer: an expired token is refreshed once, not once per process.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_file_refresh_an_expired_token_once() {
    let sandbox = switchboard_sandbox::spawn(SandboxConfig {
        oauth: OAuthConfig {
            strict_rotation: true,
            ..OAuthConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let sb = sandbox.base_url();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("switchboard.db");

    // The operator registers the sandbox's app as HubSpot's default, starts the first replica and
    // connects an account through it in a browser.
    ok(switchboard(
        &db,
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
    let a = serve(&db);
    let out = ok(&mut switchboard(
        &db,
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
        &db,
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

    // The second replica, on the same file.
    let b = serve(&db);
    let http = reqwest::Client::new();
    for server in [&a, &b] {
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
        assert_eq!(reply.status(), 200);
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
