//! `switchboard serve` replicas as an operator runs them, on one database (an SQLite file, or
//! PostgreSQL), against the sandbox's identity provider: the commands, the processes, and an
//! account connected through the browser flow.
#![allow(dead_code)] // Each test file uses a different part.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;
use switchboard_sandbox::{OAuthConfig, SandboxConfig, SandboxHandle};

/// The database every command and replica of a test uses, and the environment that goes with it.
#[derive(Clone)]
pub struct Db {
    /// What `--db` is given.
    pub arg: String,
    /// Extra environment (the master key of a PostgreSQL store, which has no key file).
    pub env: Vec<(&'static str, String)>,
}

impl Db {
    /// An SQLite file; its key file is created next to it.
    pub fn sqlite(path: &Path) -> Self {
        Self {
            arg: path.display().to_string(),
            env: Vec::new(),
        }
    }

    /// A PostgreSQL database, with a master key every replica shares.
    pub fn postgres(url: &str) -> Self {
        Self {
            arg: url.to_owned(),
            // Base64 of 32 bytes of 0x2a: any fixed key will do for a test.
            env: vec![(
                "SWITCHBOARD_MASTER_KEY",
                "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=".to_owned(),
            )],
        }
    }
}

/// `switchboard --db <db> <args>` with no Switchboard settings inherited but the database's.
pub fn switchboard(db: &Db, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.arg("--db").arg(&db.arg).args(args);
    for var in [
        "SWITCHBOARD_DB",
        "SWITCHBOARD_MASTER_KEY",
        "SWITCHBOARD_PREVIOUS_MASTER_KEY",
        "SWITCHBOARD_PUBLIC_URL",
        "SWITCHBOARD_ADMIN_TOKEN",
        "SWITCHBOARD_WEBHOOK_SECRET",
        "SWITCHBOARD_HUBSPOT_CLIENT_ID",
        "SWITCHBOARD_HUBSPOT_CLIENT_SECRET",
    ] {
        cmd.env_remove(var);
    }
    for (name, value) in &db.env {
        cmd.env(name, value);
    }
    cmd.env("RUST_LOG", "info");
    cmd
}

/// Runs a command that must succeed; its stdout.
pub fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A running `switchboard serve`, killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Kills the process at once (SIGKILL: no shutdown, connections dropped mid-flight).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `switchboard serve --listen 127.0.0.1:0 <extra>` with `env` and waits for the URL it logs.
pub fn serve_with(db: &Db, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut cmd = switchboard(db, &args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let mut child = cmd
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

/// Starts `switchboard serve --listen 127.0.0.1:0`.
pub fn serve(db: &Db) -> Server {
    serve_with(db, &[], &[])
}

/// Adds the sandbox's app as HubSpot's default and connects an account `acme` through it in a
/// browser (the callback served by `replica`); returns the capability token of a server `agent`
/// on the account.
pub async fn connect_acme(db: &Db, sandbox: &SandboxHandle, replica: &Server) -> String {
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
    let out = ok(&mut switchboard(
        db,
        &[
            "--public-url",
            &replica.base,
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
    created
        .split("/mcp/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// A first replica, and an account `acme` connected through it; the replica and the token.
pub async fn connected(db: &Db, sandbox: &SandboxHandle) -> (Server, String) {
    let a = serve(db);
    let token = connect_acme(db, sandbox, &a).await;
    (a, token)
}

/// The sandbox with strict refresh-token rotation: a reused refresh token revokes the chain.
pub async fn strict_sandbox() -> SandboxHandle {
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

/// The REST mirror URL of the contacts list on `base`.
pub fn contacts_url(base: &str, token: &str) -> String {
    format!("{base}/mcp/{token}/tools/list_all_hub_spot_contacts")
}

/// One call of the contacts list through `server`'s REST mirror: its status.
pub async fn list_contacts(http: &reqwest::Client, server: &Server, token: &str) -> u16 {
    let reply = http
        .post(contacts_url(&server.base, token))
        .json(&json!({"limit": 1}))
        .send()
        .await
        .unwrap();
    reply.status().as_u16()
}
