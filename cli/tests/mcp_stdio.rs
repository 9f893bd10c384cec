//! `switchboard mcp stdio` as an MCP client launches it: JSON-RPC on stdin/stdout, logs on stderr.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_runtime::account::Credential;
use switchboard_sandbox::SandboxConfig;
use switchboard_vault::{NewAccount, Store};

/// A running `switchboard mcp stdio` and the lines it writes to stdout.
struct StdioServer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
}

impl StdioServer {
    fn spawn(db: &std::path::Path, extra: &[&str]) -> Self {
        Self::spawn_with(db, extra, None)
    }

    /// With `RUST_LOG` set and stderr written to a file.
    fn spawn_with(
        db: &std::path::Path,
        extra: &[&str],
        logged: Option<(&str, &std::path::Path)>,
    ) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command
            .arg("--db")
            .arg(db)
            .args(["mcp", "stdio", "--account", "acme-hubspot"])
            .args(extra)
            .env_remove("SWITCHBOARD_MASTER_KEY")
            .env_remove("SWITCHBOARD_DB")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some((filter, log)) = logged {
            command
                .env("RUST_LOG", filter)
                .stderr(std::fs::File::create(log).unwrap());
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            stdin: child.stdin.take(),
            child,
            lines,
            next_id: 1,
        }
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    /// Sends a request and returns its response (every stdout line must be JSON-RPC).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no answer to {method}"));
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carried a non-JSON line ({e}): {line}"));
            assert_eq!(message["jsonrpc"], "2.0", "{line}");
            if message["id"] == id {
                return message;
            }
        }
    }

    /// Closes stdin and waits for the server to exit on its own.
    fn finish(mut self) {
        drop(self.stdin.take());
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exited with {status}");
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("`mcp stdio` did not exit when its input closed");
    }
}

/// A store in `dir` with the HubSpot account `acme-hubspot` (`token` at `base_url`); its path.
fn hubspot_store(dir: &Path, base_url: Option<String>, token: &str) -> PathBuf {
    let db = dir.join("switchboard.db");
    Store::open(&db)
        .unwrap()
        .add_account(
            NewAccount {
                base_url,
                ..NewAccount::new(
                    "acme-hubspot",
                    "hubspot",
                    Credential::Bearer(token.to_owned()),
                )
            },
            switchboard_generated::INTEGRATIONS,
        )
        .unwrap();
    db
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_initializes_lists_and_calls() {
    let sandbox = switchboard_sandbox::spawn(SandboxConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = hubspot_store(dir.path(), Some(sandbox.base_url()), sandbox.api_token());

    let mut server = StdioServer::spawn(&db, &["--methods", "read"]);
    let initialized = server.request(
        "initialize",
        json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"}
        }),
    );
    let result = &initialized["result"];
    assert_eq!(result["protocolVersion"], "2025-06-18", "{initialized}");
    assert_eq!(result["serverInfo"]["name"], "switchboard", "{initialized}");
    assert!(result["capabilities"]["tools"].is_object(), "{initialized}");
    server.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    let listed = server.request("tools/list", json!({}));
    let tools = listed["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"list_all_hub_spot_contacts"), "{names:?}");
    assert!(!names.contains(&"create_a_hub_spot_contact"), "{names:?}");
    assert!(
        tools
            .iter()
            .all(|t| t["annotations"]["readOnlyHint"] == true),
        "--methods read lists only read-only tools"
    );

    let called = server.request(
        "tools/call",
        json!({"name": "list_all_hub_spot_contacts", "arguments": {"limit": 2}}),
    );
    assert_eq!(called["result"]["isError"], false, "{called}");
    assert_eq!(
        called["result"]["structuredContent"]["result_count"], 2,
        "{called}"
    );

    let refused = server.request(
        "tools/call",
        json!({"name": "create_a_hub_spot_contact", "arguments": {}}),
    );
    assert_eq!(refused["error"]["code"], -32602, "{refused}");

    server.finish();
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn no_log_filter_lets_arguments_or_vendor_records_into_the_log() {
    let sandbox = switchboard_sandbox::spawn(SandboxConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = hubspot_store(dir.path(), Some(sandbox.base_url()), sandbox.api_token());
    let marker = "ARGUMENT-MARKER-7f31";
    for filter in [
        "trace",
        "debug",
        "info,rmcp=trace",
        "info,rmcp::service=debug",
        "info,[serve_inner]=debug",
        "info,rmcp::service=trace,reqwest=trace,hyper=trace,hyper_util=trace",
    ] {
        let log = dir.path().join("stderr.log");
        let mut server = StdioServer::spawn_with(&db, &[], Some((filter, &log)));
        server.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "test", "version": "0"}}),
        );
        server.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        let listed = server.request(
            "tools/call",
            json!({"name": "list_all_hub_spot_contacts", "arguments": {"limit": 2}}),
        );
        let email = listed["result"]["structuredContent"]["result"][0]["properties"]["email"]
            .as_str()
            .unwrap()
            .to_owned();
        server.request(
            "tools/call",
            json!({"name": "get_single_hub_spot_contact_by_id", "arguments": {"id": marker}}),
        );
        server.finish();
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.contains("tool call"),
            "{filter}: the call is logged:\n{text}"
        );
        assert!(
            !text.contains(marker),
            "{filter}: an argument reached the log:\n{text}"
        );
        assert!(
            !text.contains(&email),
            "{filter}: a vendor record reached the log:\n{text}"
        );
        assert!(
            !text.contains(sandbox.api_token()),
            "{filter}: the credential reached the log"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_tool_name_does_not_flood_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = hubspot_store(dir.path(), None, "t");
    let log = dir.path().join("stderr.log");
    let mut server = StdioServer::spawn_with(&db, &[], Some(("info", &log)));
    server.request(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {},
               "clientInfo": {"name": "test", "version": "0"}}),
    );
    server.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let name = format!("PII-{}", "x".repeat(900_000));
    let refused = server.request("tools/call", json!({"name": name, "arguments": {}}));
    assert_eq!(
        refused["error"]["code"],
        -32602,
        "{}",
        &refused.to_string()[..200]
    );
    server.finish();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.len() < 64 * 1024, "{} bytes of log", text.len());
    assert!(
        !text.contains("PII-"),
        "the caller's tool name reached the log"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_takes_the_same_exposure_and_redaction_as_servers() {
    let sandbox = switchboard_sandbox::spawn(SandboxConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = hubspot_store(dir.path(), Some(sandbox.base_url()), sandbox.api_token());

    let mut server = StdioServer::spawn(&db, &["--exposure", "discovery", "--redact", "mask"]);
    server.request(
        "initialize",
        json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"}
        }),
    );
    server.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    let listed = server.request("tools/list", json!({}));
    let mut names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["call_tool", "get_tool_schema", "search_tools"]);

    let called = server.request(
        "tools/call",
        json!({"name": "call_tool", "arguments": {"name": "list_all_hub_spot_contacts", "arguments": {"limit": 2}}}),
    );
    assert_eq!(called["result"]["isError"], false, "{called}");
    let text = called["result"]["structuredContent"].to_string();
    assert!(text.contains("***@"), "masked over stdio too: {text}");

    server.finish();
    sandbox.shutdown().await.unwrap();
}
