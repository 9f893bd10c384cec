//! No secret and no personal data reaches the operator's logs or the audit log. A vendor token, an
//! API token and capability URLs are known; a contact with a unique email, name and phone is planted
//! in the sandbox and read back through a plain server and one wanting an API token, over REST, MCP
//! sessions and stateless MCP, with failing calls carrying the same data (invalid arguments, unknown
//! tools, absent records, wrong API tokens, malformed MCP messages). Then every line `switchboard
//! serve` wrote at `RUST_LOG=trace`, every line the setup commands logged, every row of `switchboard
//! audit` and the store file itself are searched for each of them, and the audit log must hold
//! exactly one row per call that reached a tool, matching what its caller saw.
#![cfg(unix)] // The server is stopped with SIGINT, as Ctrl-C stops it.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig, ProtocolVersion};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use switchboard_sandbox::SandboxConfig;

/// 16 random hex digits (std's per-process random hash keys, mixed with the time).
fn nonce() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    format!("{:016x}", hasher.finish())
}

/// `switchboard --db <db> <args>` at the most verbose log level an operator can ask for, with no
/// Switchboard settings inherited.
fn switchboard(db: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.arg("--db").arg(db).args(args);
    for var in [
        "SWITCHBOARD_DB",
        "SWITCHBOARD_MASTER_KEY",
        "SWITCHBOARD_PREVIOUS_MASTER_KEY",
        "SWITCHBOARD_PUBLIC_URL",
        "SWITCHBOARD_WEBHOOK_SECRET",
        "SWITCHBOARD_HUBSPOT_CLIENT_ID",
        "SWITCHBOARD_HUBSPOT_CLIENT_SECRET",
        "NO_COLOR",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_LOG", "trace");
    cmd
}

/// Everything the operator's processes wrote that must hold no secret: `(where, text)`.
#[derive(Default)]
struct Corpus(Vec<(String, String)>);

impl Corpus {
    fn add(&mut self, name: impl Into<String>, text: impl Into<String>) {
        self.0.push((name.into(), text.into()));
    }

    /// Runs a setup command, expects success, keeps its log (stderr) and returns its stdout.
    fn run(&mut self, cmd: &mut Command, label: &str) -> String {
        let out: Output = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "`{label}` failed:\n{stderr}");
        self.add(format!("stderr of `switchboard {label}`"), stderr);
        String::from_utf8(out.stdout).unwrap()
    }
}

/// Text without ANSI colour sequences (`ESC [ … letter`), so a highlighted field cannot hide a match.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Every line of the corpus where a needle appears (case-insensitively): where, which, the line.
fn leaks(corpus: &Corpus, needles: &[(&str, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, text) in &corpus.0 {
        for (i, line) in text.lines().enumerate() {
            // The line as written, and without colours (a lone ESC in the store file could make the
            // stripped form swallow part of a match, hence both).
            let forms = [line.to_lowercase(), strip_ansi(line).to_lowercase()];
            let labels: Vec<&str> = needles
                .iter()
                .filter(|(_, needle)| {
                    let needle = needle.to_lowercase();
                    forms.iter().any(|form| form.contains(&needle))
                })
                .map(|(label, _)| *label)
                .collect();
            if !labels.is_empty() {
                let shown: String = strip_ansi(line).chars().take(600).collect();
                found.push(format!(
                    "{name}, line {}: {} in `{shown}`",
                    i + 1,
                    labels.join(", ")
                ));
            }
        }
    }
    found
}

/// The capability token of an `mcp_url=<base>/mcp/<token>` line.
fn capability_token(out: &str) -> String {
    let token = out
        .trim_end()
        .split("/mcp/")
        .nth(1)
        .unwrap_or_else(|| panic!("no MCP URL in `{out}`"));
    assert_eq!(token.len(), 43, "{out}");
    token.to_owned()
}

/// A running `switchboard serve` writing its stdout and stderr to files; killed on drop if still up.
struct Serve {
    child: Child,
    base: String,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Serve {
    fn start(db: &Path, dir: &Path) -> Self {
        let stdout = dir.join("serve.stdout.log");
        let stderr = dir.join("serve.stderr.log");
        let child = switchboard(db, &["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).unwrap())
            .stderr(File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut serve = Self {
            child,
            base: String::new(),
            stdout,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let log = strip_ansi(&std::fs::read_to_string(&serve.stderr).unwrap_or_default());
            if let Some(rest) = log.split("serving MCP at ").nth(1) {
                serve.base = rest.split("/mcp/").next().unwrap().to_owned();
                return serve;
            }
            if let Some(status) = serve.child.try_wait().unwrap() {
                panic!("`switchboard serve` exited ({status}):\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "`switchboard serve` did not start:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Ctrl-C, as an operator stops it: in-flight calls finish and the audit log is flushed.
    fn interrupt(&mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "`switchboard serve` did not stop on SIGINT"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A server as its agent holds it: the name (for the audit), the capability token and, for a guarded
/// server, the API token it sends and the user that token names.
struct Agent {
    name: &'static str,
    token: String,
    api_token: Option<String>,
    user: Option<&'static str>,
}

/// What one audit row says about a call, and what the caller's view of the call predicts it says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    server: Option<String>,
    user: Option<String>,
    via: String,
    tool: String,
    outcome: String,
}

/// The calls made, and every byte their callers got back.
struct Calls {
    http: reqwest::Client,
    base: String,
    expected: Vec<Row>,
    replies: String,
}

impl Calls {
    fn expect(&mut self, agent: &Agent, via: &str, tool: &str, outcome: &str) {
        self.expected.push(Row {
            server: Some(agent.name.to_owned()),
            user: agent.user.map(str::to_owned),
            via: via.to_owned(),
            tool: if outcome == "unknown_tool" {
                "unknown".to_owned()
            } else {
                tool.to_owned()
            },
            outcome: outcome.to_owned(),
        });
    }

    /// `POST /mcp/<token>/tools/<tool>` with `body` and an optional bearer token: status and body.
    async fn post(
        &mut self,
        token: &str,
        tool: &str,
        body: String,
        bearer: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}/mcp/{token}/tools/{tool}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        self.replies.push_str(&text);
        self.replies.push('\n');
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// One REST call through `agent` (with its API token, if it has one), audited.
    async fn rest(&mut self, agent: &Agent, tool: &str, args: &Value) -> (u16, Value) {
        let (status, body) = self
            .post(
                &agent.token,
                tool,
                args.to_string(),
                agent.api_token.as_deref(),
            )
            .await;
        let outcome = if (200..300).contains(&status) {
            "ok".to_owned()
        } else {
            body["error"]["code"]
                .as_str()
                .unwrap_or_else(|| panic!("{tool}: {status} without an error code: {body}"))
                .to_owned()
        };
        self.expect(agent, "rest", tool, &outcome);
        (status, body)
    }

    /// Tool calls in one MCP session (Streamable HTTP, 2025-06-18) through `agent`, each audited:
    /// every result as JSON (`isError` results included), or the JSON-RPC error's text.
    async fn mcp(&mut self, agent: &Agent, calls: &[(&str, Value)]) -> Vec<Result<Value, String>> {
        let url = format!("{}/mcp/{}", self.base, agent.token);
        let mut config = StreamableHttpClientTransportConfig::with_uri(url);
        if let Some(token) = &agent.api_token {
            config = config.auth_header(token.clone());
        }
        let client = ClientConfig::default()
            .with_protocol_version(ProtocolVersion::V_2025_06_18)
            .serve(StreamableHttpClientTransport::from_config(config))
            .await
            .unwrap();
        let mut results = Vec::new();
        for (tool, args) in calls {
            let Value::Object(arguments) = args.clone() else {
                panic!("arguments are an object")
            };
            let params = CallToolRequestParams::new((*tool).to_owned()).with_arguments(arguments);
            let result = match client.call_tool(params).await {
                Ok(result) => {
                    let value = serde_json::to_value(&result).unwrap();
                    let outcome = if result.is_error == Some(true) {
                        value["structuredContent"]["error"]["code"]
                            .as_str()
                            .unwrap_or_else(|| panic!("{tool}: an error without a code: {value}"))
                            .to_owned()
                    } else {
                        "ok".to_owned()
                    };
                    self.expect(agent, "mcp", tool, &outcome);
                    Ok(value)
                }
                Err(error) => {
                    // Only an unknown tool is a protocol error rather than a tool result.
                    assert!(tool.contains('@'), "{tool}: {error}");
                    self.expect(agent, "mcp", tool, "unknown_tool");
                    Err(error.to_string())
                }
            };
            self.replies
                .push_str(&format!("{:?}\n", result.as_ref().map(Value::to_string)));
            results.push(result);
        }
        let _ = client.cancel().await;
        results
    }

    /// A raw MCP POST (stateless 2026-07-28 headers) of `body`, which may be malformed: not audited
    /// (nothing reaches a tool), the status and the text.
    async fn mcp_raw(
        &mut self,
        agent: &Agent,
        (method, name): (&str, Option<&str>),
        body: String,
    ) -> (u16, String) {
        let mut request = self
            .http
            .post(format!("{}/mcp/{}", self.base, agent.token))
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", method);
        if let Some(name) = name {
            request = request.header("mcp-name", name);
        }
        let response = request.body(body).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        self.replies.push_str(&text);
        self.replies.push('\n');
        (status, text)
    }

    /// One stateless MCP request (2026-07-28) as any HTTP client sends it, through `agent`, audited:
    /// the JSON-RPC response.
    async fn stateless(&mut self, agent: &Agent, tool: &str, args: &Value) -> Value {
        let body = json!({
            "jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {
                "name": tool,
                "arguments": args,
                "_meta": {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                },
            },
        });
        let response = self
            .http
            .post(format!("{}/mcp/{}", self.base, agent.token))
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", tool)
            .json(&body)
            .send()
            .await
            .unwrap();
        let text = response.text().await.unwrap();
        self.replies.push_str(&text);
        self.replies.push('\n');
        // A JSON body, or one server-sent event carrying it.
        let json_text = text
            .lines()
            .find_map(|l| l.strip_prefix("data:"))
            .unwrap_or(&text);
        let value: Value = serde_json::from_str(json_text.trim())
            .unwrap_or_else(|e| panic!("{tool}: `{text}` is not JSON-RPC: {e}"));
        let outcome = if value.get("error").is_some() {
            assert!(tool.contains('@'), "{tool}: {value}");
            "unknown_tool".to_owned()
        } else if value["result"]["isError"] == true {
            value["result"]["structuredContent"]["error"]["code"]
                .as_str()
                .unwrap()
                .to_owned()
        } else {
            "ok".to_owned()
        };
        self.expect(agent, "mcp", tool, &outcome);
        value
    }
}

/// The personal data planted in the sandbox: one contact nobody else has, and an email nobody has.
struct Planted {
    email: String,
    first: String,
    last: String,
    phone: String,
    absent_email: String,
    /// `(what, text)` to look for: each value, and the parts that survive URL-encoding.
    needles: Vec<(&'static str, String)>,
}

impl Planted {
    fn new() -> Self {
        let (email_nonce, first_nonce, last_nonce, absent_nonce) =
            (nonce(), nonce(), nonce(), nonce());
        let email = format!("planted.pii.{email_nonce}@example.org");
        let email_local = email.split('@').next().unwrap().to_owned();
        let first = format!("Zebulon{first_nonce}");
        let last = format!("Quimby{last_nonce}");
        let phone_tail = format!(
            "555-01{:02}",
            u64::from_str_radix(&nonce(), 16).unwrap() % 100
        );
        let phone = format!("+1-{phone_tail}");
        let absent_email = format!("planted.absent.{absent_nonce}@example.org");
        let needles = vec![
            ("the planted email", email.clone()),
            ("the planted email's local part", email_local),
            ("the planted email's nonce", email_nonce),
            ("the planted first name", first.clone()),
            ("the planted first name's nonce", first_nonce),
            ("the planted last name", last.clone()),
            ("the planted last name's nonce", last_nonce),
            ("the planted phone", phone.clone()),
            ("the planted phone's digits", phone_tail),
            ("the absent email", absent_email.clone()),
            ("the absent email's nonce", absent_nonce),
        ];
        Self {
            email,
            first,
            last,
            phone,
            absent_email,
            needles,
        }
    }
}

/// A sandbox whose HubSpot accepts one known token, a store with an account holding it, an API
/// token, a plain server and a guarded one, and `switchboard serve` running on that store.
struct Deployment {
    _sandbox: switchboard_sandbox::SandboxHandle,
    _dir: tempfile::TempDir,
    db: PathBuf,
    corpus: Corpus,
    serve: Serve,
    calls: Calls,
    writer: Agent,
    guarded: Agent,
    wrong_api_token: String,
    unknown_capability: String,
    /// `(what, text)` of every secret.
    secrets: Vec<(&'static str, String)>,
}

impl Deployment {
    async fn start() -> Self {
        let vendor_token = format!("pat-na1-{}-planted-vendor-token", nonce());
        let sandbox = switchboard_sandbox::spawn(SandboxConfig {
            records: 5,
            api_token: vendor_token.clone(),
            ..SandboxConfig::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("switchboard.db");
        let mut corpus = Corpus::default();

        let added = corpus.run(
            switchboard(
                &db,
                &[
                    "accounts",
                    "add",
                    "--id",
                    "acme",
                    "--integration",
                    "hubspot",
                    "--credential",
                    "bearer",
                    "--secret-env",
                    "TEST_HUBSPOT_TOKEN",
                    "--base-url",
                    &sandbox.base_url(),
                ],
            )
            .env("TEST_HUBSPOT_TOKEN", &vendor_token),
            "accounts add",
        );
        corpus.add("stdout of `switchboard accounts add`", added);
        let created = corpus.run(
            &mut switchboard(
                &db,
                &[
                    "api-tokens",
                    "create",
                    "--name",
                    "leak-check",
                    "--user",
                    "auditor",
                ],
            ),
            "api-tokens create",
        );
        let api_token = created
            .trim_end()
            .strip_prefix("api_token=")
            .unwrap_or_else(|| panic!("{created}"))
            .to_owned();
        let writer = Agent {
            name: "crm-writer",
            token: capability_token(&corpus.run(
                &mut switchboard(
                    &db,
                    &[
                        "servers",
                        "create",
                        "--name",
                        "crm-writer",
                        "--account",
                        "acme",
                    ],
                ),
                "servers create --name crm-writer",
            )),
            api_token: None,
            user: None,
        };
        let guarded = Agent {
            name: "crm-guarded",
            token: capability_token(&corpus.run(
                &mut switchboard(
                    &db,
                    &[
                        "servers",
                        "create",
                        "--name",
                        "crm-guarded",
                        "--account",
                        "acme",
                        "--require-api-token",
                    ],
                ),
                "servers create --name crm-guarded",
            )),
            api_token: Some(api_token.clone()),
            user: Some("auditor"),
        };
        let wrong_api_token = format!("sbk_{}{}", nonce(), nonce());
        let unknown_capability = format!("{}{}{}", nonce(), nonce(), &nonce()[..11]);
        let secrets = vec![
            ("the vendor token", vendor_token),
            (
                "the API token's secret part",
                api_token
                    .strip_prefix("sbk_")
                    .unwrap_or(&api_token)
                    .to_owned(),
            ),
            ("the API token", api_token),
            ("the wrong API token", wrong_api_token.clone()),
            ("the writer's capability token", writer.token.clone()),
            (
                "the guarded server's capability token",
                guarded.token.clone(),
            ),
            ("an unknown capability token", unknown_capability.clone()),
        ];

        let serve = Serve::start(&db, dir.path());
        let calls = Calls {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            base: serve.base.clone(),
            expected: Vec::new(),
            replies: String::new(),
        };
        Self {
            _sandbox: sandbox,
            _dir: dir,
            db,
            corpus,
            serve,
            calls,
            writer,
            guarded,
            wrong_api_token,
            unknown_capability,
            secrets,
        }
    }

    /// Creates the planted contact through the writer's REST mirror: its id.
    async fn plant(&mut self, planted: &Planted) -> String {
        let contact = json!({"properties": {
            "email": planted.email, "firstname": planted.first,
            "lastname": planted.last, "phone": planted.phone,
        }});
        let (status, body) = self
            .calls
            .rest(&self.writer, "create_a_hub_spot_contact", &contact)
            .await;
        assert!((200..300).contains(&status), "{status}: {body}");
        body["result"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {body}"))
            .to_owned()
    }

    /// Stops the server with Ctrl-C, reads the audit log and the store, and asserts the audit log
    /// has exactly the calls made and that no secret and nothing planted appears anywhere.
    fn stop_and_check(mut self, planted: &Planted) {
        // The caller saw everything planted: the calls really carried it.
        for (label, value) in [
            ("email", &planted.email),
            ("first name", &planted.first),
            ("last name", &planted.last),
            ("phone", &planted.phone),
        ] {
            assert!(
                self.calls.replies.contains(value.as_str()),
                "the {label} never came back to a caller"
            );
        }

        // Stop as an operator does; the audit log is flushed before the process ends.
        let status = self.serve.interrupt();
        let serve_stderr = std::fs::read_to_string(&self.serve.stderr).unwrap();
        let serve_stdout = std::fs::read_to_string(&self.serve.stdout).unwrap();
        assert!(status.success(), "{status}:\n{serve_stderr}");
        let plain_log = strip_ansi(&serve_stderr);
        for expected in ["tool call", self.writer.name, "stopped"] {
            assert!(
                plain_log.contains(expected),
                "no `{expected}` in the log:\n{plain_log}"
            );
        }
        self.corpus.add(
            "stderr of `switchboard serve` (RUST_LOG=trace)",
            serve_stderr,
        );
        self.corpus
            .add("stdout of `switchboard serve`", serve_stdout);

        // The audit log: one row per call that reached a tool (refusals included), as its caller
        // saw it.
        let audit = switchboard(&self.db, &["audit", "--format", "json", "--limit", "1000"])
            .output()
            .unwrap();
        let audit_stdout = String::from_utf8(audit.stdout).unwrap();
        let audit_stderr = String::from_utf8_lossy(&audit.stderr).into_owned();
        assert!(audit.status.success(), "{audit_stderr}");
        let mut rows: Vec<Row> = audit_stdout
            .lines()
            .map(|line| {
                let row: Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("`{line}` is not an audit event: {e}"));
                Row {
                    server: row["server"].as_str().map(str::to_owned),
                    user: row["user"].as_str().map(str::to_owned),
                    via: row["via"].as_str().unwrap().to_owned(),
                    tool: row["tool"].as_str().unwrap().to_owned(),
                    outcome: row["outcome"].as_str().unwrap().to_owned(),
                }
            })
            .collect();
        let mut expected = self.calls.expected.clone();
        rows.sort();
        expected.sort();
        assert!(!rows.is_empty(), "no audit rows");
        assert_eq!(rows.len(), expected.len(), "{audit_stdout}");
        assert_eq!(rows, expected, "{audit_stdout}");
        self.corpus
            .add("`switchboard audit --format json`", audit_stdout);
        self.corpus
            .add("stderr of `switchboard audit`", audit_stderr);

        // The store file (and its journal) holds the audit rows: no personal data, no token in
        // clear.
        let mut store_bytes = Vec::new();
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = self.db.as_os_str().to_owned();
            name.push(suffix);
            if let Ok(bytes) = std::fs::read(PathBuf::from(name)) {
                store_bytes.extend(bytes);
            }
        }
        assert!(!store_bytes.is_empty());
        self.corpus.add(
            "the store file",
            String::from_utf8_lossy(&store_bytes).into_owned(),
        );

        let needles: Vec<(&str, String)> = self
            .secrets
            .iter()
            .chain(&planted.needles)
            .cloned()
            .collect();
        let found = leaks(&self.corpus, &needles);
        assert!(
            found.is_empty(),
            "leaked into logs, audit rows or the store:\n{}",
            found.join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_and_personal_data_reach_no_log_line_and_no_audit_row() {
    let mut d = Deployment::start().await;
    let p = Planted::new();
    let id = d.plant(&p).await;
    let (writer, guarded, calls) = (&d.writer, &d.guarded, &mut d.calls);
    let props = json!(["email", "firstname", "lastname", "phone"]);

    // Writes that fail with the data in the vendor's error (a duplicate, an invalid email), and
    // one that succeeds.
    let contact = json!({"properties": {
        "email": p.email, "firstname": p.first, "lastname": p.last, "phone": p.phone,
    }});
    let (status, body) = calls
        .rest(writer, "create_a_hub_spot_contact", &contact)
        .await;
    assert_eq!(status, 409, "{body}");
    let invalid_email = json!({"properties": {
        "email": format!("{} {}", p.first, p.phone), "firstname": p.first,
    }});
    let (status, body) = calls
        .rest(writer, "create_a_hub_spot_contact", &invalid_email)
        .await;
    assert_eq!(status, 400, "{body}");
    let update = json!({"id": id, "properties": {"lastname": p.last, "phone": p.phone}});
    let (status, body) = calls
        .rest(writer, "update_a_hub_spot_contact_by_id", &update)
        .await;
    assert_eq!(status, 200, "{body}");

    // Reads through the writer: by id, by email (in the vendor URL's path), search, lists, unified.
    let by_id = json!({"id": id, "properties": props});
    let by_email = json!({"id": p.email, "idProperty": "email", "properties": props});
    let search = json!({
        "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": p.email}]}],
        "properties": props,
    });
    for (tool, args) in [
        ("get_single_hub_spot_contact_by_id", &by_id),
        ("get_single_hub_spot_contact_by_id", &by_email),
        ("search_hub_spot_contacts", &search),
        (
            "list_all_hub_spot_contacts",
            &json!({"limit": 100, "properties": props}),
        ),
        ("list_all_crm_contacts", &json!({"limit": 100})),
        ("get_single_crm_contact_by_id", &json!({"id": id})),
    ] {
        let (status, body) = calls.rest(writer, tool, args).await;
        assert_eq!(status, 200, "{tool}: {body}");
        assert!(body.to_string().contains(&p.email), "{tool}: {body}");
    }

    // Failing reads carrying the data: invalid arguments, an unknown tool, absent records, a body
    // that is not JSON.
    let unknown_rest = format!("get_contact_{}", p.email);
    let failing = [
        (
            "list_all_hub_spot_contacts",
            json!({"limit": p.email}),
            400,
            "invalid_arguments",
        ),
        (
            "get_single_hub_spot_contact_by_id",
            json!({"id": id, "phone": p.phone, "firstname": p.first}),
            400,
            "invalid_arguments",
        ),
        (
            "search_hub_spot_contacts",
            json!({"filterGroups": [{"filters": [
                {"propertyName": "email", "operator": p.email, "value": p.email},
            ]}]}),
            400,
            "invalid_arguments",
        ),
        (
            unknown_rest.as_str(),
            json!({"id": p.email}),
            404,
            "unknown_tool",
        ),
        (
            "get_single_hub_spot_contact_by_id",
            json!({"id": "987654321"}),
            404,
            "upstream_error",
        ),
        (
            "get_single_hub_spot_contact_by_id",
            json!({"id": p.absent_email, "idProperty": "email"}),
            404,
            "upstream_error",
        ),
    ];
    for (tool, args, expected_status, code) in &failing {
        let (status, body) = calls.rest(writer, tool, args).await;
        assert_eq!(status, *expected_status, "{tool}: {body}");
        assert_eq!(body["error"]["code"], *code, "{tool}: {body}");
    }
    let (status, body) = calls
        .post(
            &writer.token,
            "get_single_hub_spot_contact_by_id",
            format!(r#"{{"id": "{}", "phone": {}"#, p.email, p.phone),
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");

    // The guarded server over REST, with its API token: the data comes back to the caller.
    for (tool, args) in [
        ("get_single_hub_spot_contact_by_id", &by_id),
        ("search_hub_spot_contacts", &search),
        ("list_all_crm_contacts", &json!({"limit": 100})),
    ] {
        let (status, body) = calls.rest(guarded, tool, args).await;
        assert_eq!(status, 200, "{tool}: {body}");
        assert!(body.to_string().contains(&p.email), "{tool}: {body}");
    }
    for (tool, args, expected_status, _) in &failing[..4] {
        let (status, body) = calls.rest(guarded, tool, args).await;
        assert_eq!(status, *expected_status, "{tool}: {body}");
    }
    // Refused before any tool runs (not audited): a wrong API token, none, an unknown URL.
    let (status, body) = calls
        .post(
            &guarded.token,
            "get_single_hub_spot_contact_by_id",
            by_email.to_string(),
            Some(&d.wrong_api_token),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "invalid_api_token", "{body}");
    let (status, body) = calls
        .post(
            &guarded.token,
            "get_single_hub_spot_contact_by_id",
            by_email.to_string(),
            None,
        )
        .await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = calls
        .post(
            &d.unknown_capability,
            "get_single_hub_spot_contact_by_id",
            by_email.to_string(),
            None,
        )
        .await;
    assert_eq!(status, 404);

    // MCP sessions, both servers: reads, a write, and the same failures.
    let unknown_tool = format!("search_{}", p.email);
    let mcp_calls = [
        ("get_single_hub_spot_contact_by_id", by_email.clone()),
        ("search_hub_spot_contacts", search.clone()),
        ("list_all_crm_contacts", json!({"limit": 100})),
        ("list_all_hub_spot_contacts", json!({"limit": p.email})),
        (unknown_tool.as_str(), json!({"email": p.email})),
        (
            "get_single_hub_spot_contact_by_id",
            json!({"id": p.absent_email, "idProperty": "email"}),
        ),
    ];
    for agent in [writer, guarded] {
        let results = calls.mcp(agent, &mcp_calls).await;
        for (i, result) in results.iter().enumerate().take(3) {
            let result = result.as_ref().unwrap();
            assert_ne!(result["isError"], true, "{}: {result}", mcp_calls[i].0);
            assert!(
                result.to_string().contains(&p.email),
                "{}: {result}",
                mcp_calls[i].0
            );
        }
        for result in results[3..].iter().flatten() {
            assert_eq!(result["isError"], true, "{result}");
        }
    }
    let written = calls
        .mcp(
            writer,
            &[(
                "update_a_hub_spot_contact_by_id",
                json!({"id": id, "properties": {"firstname": p.first}}),
            )],
        )
        .await;
    assert_ne!(written[0].as_ref().unwrap()["isError"], true, "{written:?}");
    // An MCP session with a wrong API token does not start.
    let config = StreamableHttpClientTransportConfig::with_uri(format!(
        "{}/mcp/{}",
        calls.base, guarded.token
    ))
    .auth_header(d.wrong_api_token.clone());
    let refused = ClientConfig::default()
        .with_protocol_version(ProtocolVersion::V_2025_06_18)
        .serve(StreamableHttpClientTransport::from_config(config))
        .await;
    assert!(refused.is_err(), "a wrong API token opened a session");

    // Stateless MCP (2026-07-28): a read, and an unknown tool named in a header too.
    let reply = calls
        .stateless(writer, "get_single_hub_spot_contact_by_id", &by_id)
        .await;
    assert!(reply.to_string().contains(&p.email), "{reply}");
    let reply = calls
        .stateless(writer, &format!("get_{}", p.email), &json!({"id": p.email}))
        .await;
    assert!(reply.get("error").is_some(), "{reply}");

    d.stop_and_check(&p);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_mcp_messages_carrying_personal_data_reach_no_log_line() {
    let mut d = Deployment::start().await;
    let p = Planted::new();
    let id = d.plant(&p).await;
    let (writer, calls) = (&d.writer, &mut d.calls);
    let reply = calls
        .stateless(
            writer,
            "get_single_hub_spot_contact_by_id",
            &json!({"id": id, "properties": ["email", "firstname", "lastname", "phone"]}),
        )
        .await;
    assert!(reply.to_string().contains(&p.email), "{reply}");

    // What an MCP client might put a record's data into besides tool arguments, each answered
    // with a JSON-RPC error: arguments that are not an object, an unknown method, a request id,
    // a body that is not JSON.
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let unknown_method = format!("contacts/{}", p.email);
    let probes = [
        (
            "tools/call",
            json!({"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {
                "name": "get_single_hub_spot_contact_by_id", "arguments": p.email, "_meta": meta,
            }})
            .to_string(),
            "-32602",
        ),
        (
            "tools/call",
            json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {
                "name": "get_single_hub_spot_contact_by_id",
                "arguments": [p.email, p.phone], "_meta": meta,
            }})
            .to_string(),
            "-32602",
        ),
        (
            unknown_method.as_str(),
            json!({"jsonrpc": "2.0", "id": 10, "method": unknown_method, "params": {
                "email": p.email, "_meta": meta,
            }})
            .to_string(),
            "-32601",
        ),
        (
            "tools/call",
            format!(
                r#"{{"jsonrpc": "2.0", "id": 11, "method": "tools/call", "params": {{"name": "{}", "arguments": {{"phone": {}"#,
                p.email, p.phone
            ),
            "-32700",
        ),
    ];
    for (method, body, code) in probes {
        let (_, text) = calls.mcp_raw(writer, (method, None), body).await;
        assert!(text.contains(code), "{method}: {text}");
    }
    // A request id carrying the data, on a call that fails (an unknown tool: audited).
    let unknown_tool = format!("get_{}", p.last);
    let (_, text) = calls
        .mcp_raw(
            writer,
            ("tools/call", Some(&unknown_tool)),
            json!({"jsonrpc": "2.0", "id": p.first, "method": "tools/call", "params": {
                "name": unknown_tool, "arguments": {}, "_meta": meta,
            }})
            .to_string(),
        )
        .await;
    assert!(text.contains("-32602"), "{text}");
    calls.expect(writer, "mcp", "unknown", "unknown_tool");
    // An unknown tool whose name is a plain identifier made of the data (an agent guessing
    // `get_contact_<name>`), through the REST mirror.
    let guessed = format!("get_contact_{}", p.first.to_lowercase());
    let (status, body) = calls.rest(writer, &guessed, &json!({})).await;
    assert_eq!(status, 404, "{body}");
    // A session whose client names itself with the data.
    let response = calls
        .http
        .post(format!("{}/mcp/{}", calls.base, writer.token))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": p.email, "version": p.phone},
            },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let session = response
        .headers()
        .get("mcp-session-id")
        .expect("a session id")
        .to_str()
        .unwrap()
        .to_owned();
    // Notifications in that session carrying the data: a cancellation's reason, a custom one.
    for notification in [
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
               "params": {"requestId": 99, "reason": format!("user {} left", p.email)}}),
        json!({"jsonrpc": "2.0", "method": "notifications/contact_viewed",
               "params": {"email": p.email, "phone": p.phone}}),
    ] {
        let response = calls
            .http
            .post(format!("{}/mcp/{}", calls.base, writer.token))
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-06-18")
            .json(&notification)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{notification}");
    }

    d.stop_and_check(&p);
}
