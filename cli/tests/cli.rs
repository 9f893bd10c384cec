//! The `switchboard` binary as an operator uses it: each test is a short session against a fresh
//! store in a temporary directory.
#![allow(clippy::expect_used, clippy::unwrap_used)] // Tests fail loudly on broken fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const SECRET: &str = "pat-na1-0f9e8d7c-TOP-SECRET";

/// A temporary store and a way to run the binary against it.
struct Session {
    dir: tempfile::TempDir,
}

impl Session {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("switchboard.db")
    }

    /// `switchboard --db <tmp>/switchboard.db <args>`, with no Switchboard settings inherited.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        cmd.arg("--db").arg(self.db()).args(args);
        for var in [
            "SWITCHBOARD_DB",
            "SWITCHBOARD_MASTER_KEY",
            "SWITCHBOARD_PUBLIC_URL",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        cmd.current_dir(self.dir.path());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs and expects success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "`switchboard {}` failed ({:?}):\n{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Adds a HubSpot account with a bearer token from the environment.
    fn add_hubspot(&self, id: &str, base_url: Option<&str>, token: &str) -> Output {
        let mut args = vec![
            "accounts",
            "add",
            "--id",
            id,
            "--integration",
            "hubspot",
            "--credential",
            "bearer",
            "--secret-env",
            "TEST_HUBSPOT_TOKEN",
        ];
        if let Some(url) = base_url {
            args.extend(["--base-url", url]);
        }
        self.command(&args)
            .env("TEST_HUBSPOT_TOKEN", token)
            .output()
            .unwrap()
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn file_bytes(db: &Path) -> Vec<u8> {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            std::fs::read(PathBuf::from(name)).ok()
        })
        .flatten()
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The token of an `mcp_url=<base>/mcp/<token>` line.
fn token_of(line: &str, base: &str) -> String {
    let prefix = format!("mcp_url={base}/mcp/");
    let token = line
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("`{line}` does not start with `{prefix}`"));
    assert_eq!(token.len(), 43, "{token}");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{token}"
    );
    token.to_owned()
}

#[test]
fn accounts_are_added_from_the_environment_and_listed_without_secrets() {
    let s = Session::new();
    let out = s.add_hubspot("acme-hubspot", Some("http://127.0.0.1:9100"), SECRET);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("added account `acme-hubspot`"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains(SECRET) && !stderr(&out).contains(SECRET));

    let list = s.ok(&["accounts", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(lines[0].starts_with("ID"), "{list}");
    assert!(lines[1].starts_with("acme-hubspot "), "{list}");
    assert!(lines[1].contains("hubspot") && lines[1].contains("bearer"));
    assert!(lines[1].contains("active") && lines[1].contains("http://127.0.0.1:9100"));
    assert!(!list.contains(SECRET));

    // Sealed at rest; the key file sits next to the store.
    assert!(!contains(&file_bytes(&s.db()), SECRET));
    assert!(s.dir.path().join("switchboard.db.key").exists());

    // Adding it again is refused by name.
    let again = s.add_hubspot("acme-hubspot", None, SECRET);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("account `acme-hubspot` already exists"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn basic_credentials_and_missing_secrets() {
    let s = Session::new();
    // HubSpot takes bearer tokens only.
    let out = s
        .command(&[
            "accounts",
            "add",
            "--id",
            "a",
            "--integration",
            "hubspot",
            "--credential",
            "basic",
            "--secret-env",
            "TEST_PAIR",
        ])
        .env("TEST_PAIR", "user:pa:ss")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "integration `hubspot` does not accept basic credentials; it accepts oauth2, bearer"
        ),
        "{}",
        stderr(&out)
    );

    let out = s
        .command(&[
            "accounts",
            "add",
            "--id",
            "a",
            "--integration",
            "hubspot",
            "--credential",
            "bearer",
            "--secret-env",
            "TEST_UNSET_VARIABLE_FOR_SWITCHBOARD",
        ])
        .env_remove("TEST_UNSET_VARIABLE_FOR_SWITCHBOARD")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("environment variable `TEST_UNSET_VARIABLE_FOR_SWITCHBOARD` is not set"),
        "{}",
        stderr(&out)
    );
}

/// Zendesk gives every customer a host of its own: an account names its subdomain, checked against
/// the definition's pattern, and is stored with the filled-in origin.
#[test]
fn a_zendesk_account_needs_its_subdomain() {
    let s = Session::new();
    let add = |vars: &[&str]| {
        let mut args = vec![
            "accounts",
            "add",
            "--id",
            "acme-zendesk",
            "--integration",
            "zendesk",
            "--credential",
            "basic",
            "--secret-env",
            "TEST_ZENDESK",
        ];
        args.extend_from_slice(vars);
        s.command(&args)
            .env("TEST_ZENDESK", format!("agent@acme.example/token:{SECRET}"))
            .output()
            .unwrap()
    };
    // Without it: refused, saying what the variable is and how to give it.
    let out = add(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("`subdomain` is needed")
            && message.contains("Your Zendesk subdomain: acme in acme.zendesk.com")
            && message.contains("--var subdomain="),
        "{message}"
    );
    // A value that would change the host is refused by the pattern.
    let out = add(&["--var", "subdomain=acme.attacker.example"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`subdomain` must match"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("added account"));

    let out = add(&["--var", "subdomain=acme"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("added account `acme-zendesk` (zendesk, basic credential)"),
        "{}",
        stdout(&out)
    );
    let list = s.ok(&["accounts", "list"]);
    let line = list
        .lines()
        .find(|l| l.starts_with("acme-zendesk "))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(line.contains("https://acme.zendesk.com"), "{list}");
    assert!(!list.contains(SECRET));
    assert!(!contains(&file_bytes(&s.db()), SECRET));
}

#[test]
fn servers_create_prints_one_mcp_url_and_list_never_shows_it() {
    let s = Session::new();
    assert!(s.add_hubspot("acme", None, SECRET).status.success());

    let out = s.ok(&[
        "servers",
        "create",
        "--name",
        "support-agent",
        "--account",
        "acme",
        "--tags",
        "contacts",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    let token = token_of(lines[0], "http://127.0.0.1:8080");

    // --public-url (global, before or after the subcommand) and the environment variable.
    let out = s.ok(&[
        "--public-url",
        "https://mcp.example.com/",
        "servers",
        "create",
        "--name",
        "sales-agent",
        "--account",
        "acme",
    ]);
    let token2 = token_of(out.trim_end(), "https://mcp.example.com");
    assert_ne!(token, token2);
    let out = s
        .command(&["servers", "create", "--name", "ops", "--account", "acme"])
        .env("SWITCHBOARD_PUBLIC_URL", "https://sb.internal:8443")
        .output()
        .unwrap();
    token_of(stdout(&out).trim_end(), "https://sb.internal:8443");
    let out = s.ok(&[
        "servers",
        "create",
        "--name",
        "ops2",
        "--account",
        "acme",
        "--public-url",
        "http://10.0.0.5:8080",
    ]);
    token_of(out.trim_end(), "http://10.0.0.5:8080");

    let list = s.ok(&["servers", "list"]);
    assert_eq!(list.lines().count(), 5, "{list}");
    assert!(list.contains("support-agent") && list.contains("sales-agent"));
    assert!(!list.contains(&token) && !list.contains(&token2), "{list}");
    assert!(!contains(&file_bytes(&s.db()), &token));

    let dup = s.run(&["servers", "create", "--name", "ops", "--account", "acme"]);
    assert_eq!(dup.status.code(), Some(1));
    assert!(stderr(&dup).contains("server `ops` already exists"));
    assert!(stdout(&dup).is_empty());

    let typo = s.run(&["servers", "create", "--name", "x", "--account", "acmee"]);
    assert_eq!(typo.status.code(), Some(1));
    assert!(
        stderr(&typo).contains("no account `acmee`; did you mean `acme`?"),
        "{}",
        stderr(&typo)
    );
}

#[test]
fn tools_json_lists_every_tool_with_its_metadata() {
    let s = Session::new();
    let tools: Value = serde_json::from_str(&s.ok(&["tools", "--format", "json"])).unwrap();
    let tools = tools.as_array().unwrap();
    let contacts = tools
        .iter()
        .find(|t| t["name"] == "list_all_hub_spot_contacts")
        .expect("list_all_hub_spot_contacts is listed");
    assert_eq!(contacts["integration"], "hubspot");
    assert_eq!(contacts["kind"], "list");
    assert_eq!(contacts["tool_kind"], "proxy");
    assert_eq!(contacts["group"], "read");
    assert_eq!(
        contacts["scopes"],
        serde_json::json!(["crm.objects.contacts.read"])
    );
    assert!(
        contacts["tags"]
            .as_array()
            .unwrap()
            .contains(&"contacts".into())
    );
    assert!(!contacts["description"].as_str().unwrap().is_empty());
    let keys: Vec<&str> = contacts
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "description",
        "group",
        "integration",
        "kind",
        "name",
        "scopes",
        "tags",
        "tool_kind",
    ];
    expected.sort_unstable();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort_unstable();
    assert_eq!(keys_sorted, expected);
    assert!(tools.iter().any(|t| t["integration"] == "salesforce"));
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "tools are sorted by name");

    let only: Value =
        serde_json::from_str(&s.ok(&["tools", "--integration", "salesforce", "--format", "json"]))
            .unwrap();
    let only = only.as_array().unwrap();
    assert!(!only.is_empty());
    assert!(only.iter().all(|t| t["integration"] == "salesforce"));

    // The human table: a header, then name, integration, method, kind and scopes.
    let table = s.ok(&["tools", "--integration", "hubspot"]);
    let header = table.lines().next().unwrap();
    assert!(header.starts_with("NAME") && header.contains("KIND") && header.contains("SCOPES"));
    let row = table
        .lines()
        .find(|l| l.starts_with("list_all_hub_spot_contacts "))
        .unwrap();
    assert!(
        row.contains(" list ")
            && row.contains(" proxy ")
            && row.ends_with("crm.objects.contacts.read"),
        "{row}"
    );

    // Unified tools: one per integration mapping the model, chosen with --kinds.
    let unified: Value =
        serde_json::from_str(&s.ok(&["tools", "--kinds", "unified", "--format", "json"])).unwrap();
    let unified = unified.as_array().unwrap();
    assert!(
        unified.iter().all(|t| t["tool_kind"] == "unified"),
        "{unified:?}"
    );
    for integration in ["hubspot", "salesforce"] {
        assert!(
            unified
                .iter()
                .any(|t| t["name"] == "list_all_crm_contacts" && t["integration"] == integration),
            "{integration}"
        );
    }
    let proxy: Value =
        serde_json::from_str(&s.ok(&["tools", "--kinds", "proxy", "--format", "json"])).unwrap();
    assert!(
        proxy
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["tool_kind"] == "proxy")
    );
    assert_eq!(
        proxy.as_array().unwrap().len() + unified.len(),
        tools.len(),
        "the default lists both kinds"
    );
}

#[test]
fn tools_methods_read_lists_no_write_tool() {
    let s = Session::new();
    let tools: Value =
        serde_json::from_str(&s.ok(&["tools", "--methods", "read", "--format", "json"])).unwrap();
    let tools = tools.as_array().unwrap();
    assert!(
        tools
            .iter()
            .any(|t| t["name"] == "list_all_hub_spot_contacts")
    );
    for tool in tools {
        assert_eq!(tool["group"], "read", "{tool}");
        assert!(
            ["list", "get", "search"].contains(&tool["kind"].as_str().unwrap()),
            "{tool}"
        );
    }
    let writes: Value =
        serde_json::from_str(&s.ok(&["tools", "--methods", "write", "--format", "json"])).unwrap();
    let writes = writes.as_array().unwrap();
    assert!(!writes.is_empty());
    assert!(writes.iter().all(|t| t["group"] == "write"));
}

#[test]
fn scopes_are_the_least_privilege_set() {
    let s = Session::new();
    let by_integration = s.ok(&[
        "scopes",
        "--integration",
        "hubspot",
        "--methods",
        "read",
        "--tags",
        "contacts",
    ]);
    // The contacts read scope plus HubSpot's always-requested `oauth`; nothing that writes.
    assert_eq!(by_integration, "crm.objects.contacts.read\noauth\n");

    assert!(s.add_hubspot("acme", None, SECRET).status.success());
    let by_account = s.ok(&[
        "scopes",
        "--account",
        "acme",
        "--methods",
        "read",
        "--tags",
        "contacts",
    ]);
    assert_eq!(by_account, by_integration);

    let everything = s.ok(&["scopes", "--integration", "hubspot"]);
    let lines: Vec<&str> = everything.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(lines, sorted, "sorted and unique");
    assert!(lines.contains(&"crm.objects.contacts.write"));

    let unknown = s.run(&["scopes", "--account", "nobody"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("no account `nobody`"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn bad_flags_exit_2_with_clear_errors() {
    let s = Session::new();
    let cases: &[(&[&str], &str)] = &[
        (
            &["tools", "--integration", "hubspott"],
            "no integration named `hubspott`; did you mean `hubspot`?",
        ),
        (&["tools", "--methods", "reed"], "--methods"),
        (&["tools", "--kinds", "proxi"], "unknown kind `proxi`"),
        (&["tools", "--format", "yaml"], "--format"),
        (
            &[
                "accounts",
                "add",
                "--id",
                "a b",
                "--integration",
                "hubspot",
                "--credential",
                "bearer",
                "--secret-env",
                "X",
            ],
            "invalid account id `a b`",
        ),
        (
            &[
                "accounts",
                "add",
                "--id",
                "a",
                "--integration",
                "hubspot",
                "--credential",
                "oauth",
                "--secret-env",
                "X",
            ],
            "--credential",
        ),
        (&["accounts", "add", "--id", "a"], "--integration"),
        (
            &["servers", "create", "--name", "has/slash", "--account", "a"],
            "invalid server name",
        ),
        (&["servers", "create", "--name", "x"], "--account"),
        (&["scopes"], "--account"),
        (
            &["scopes", "--account", "a", "--integration", "hubspot"],
            "cannot be used with",
        ),
        (
            &["call", "--account", "a", "some_tool", "--args", "{not json"],
            "not JSON",
        ),
        (
            &["call", "--account", "a", "some_tool", "--args", "[1]"],
            "JSON object",
        ),
        (&["sandbox", "--rate-limit", "ten"], "N/SECONDS"),
        (
            &["--public-url", "ftp://x", "servers", "list"],
            "http:// or https://",
        ),
        (&["servers", "frobnicate"], "unrecognized subcommand"),
        (&["tool"], "tools"),
    ];
    for (args, expected) in cases {
        let out = s.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
    // Nothing was created by the rejected commands.
    assert!(!s.db().exists());
}

#[test]
fn reading_a_missing_store_does_not_create_one() {
    let s = Session::new();
    for args in [
        &["accounts", "list"][..],
        &["servers", "list"],
        &["scopes", "--account", "acme"],
        &["call", "--account", "acme", "list_all_hub_spot_contacts"],
    ] {
        let out = s.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("no store at"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(!s.db().exists());
    assert!(!s.dir.path().join("switchboard.db.key").exists());
}

#[test]
fn a_wrong_master_key_is_reported() {
    let s = Session::new();
    assert!(s.add_hubspot("acme", None, SECRET).status.success());
    let out = s
        .command(&["accounts", "list"])
        .env(
            "SWITCHBOARD_MASTER_KEY",
            "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does not open the store"),
        "{}",
        stderr(&out)
    );
}

/// A sandbox running on a background runtime for the rest of the test.
fn sandbox(
    config: switchboard_sandbox::SandboxConfig,
) -> (tokio::runtime::Runtime, switchboard_sandbox::SandboxHandle) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let handle = runtime
        .block_on(switchboard_sandbox::spawn(config))
        .unwrap();
    (runtime, handle)
}

#[test]
fn call_runs_a_tool_against_the_sandbox() {
    let (_runtime, sandbox) = sandbox(switchboard_sandbox::SandboxConfig::default());
    let s = Session::new();
    let added = s.add_hubspot("acme", Some(&sandbox.base_url()), sandbox.api_token());
    assert!(added.status.success(), "{}", stderr(&added));

    let out = s.run(&[
        "call",
        "--account",
        "acme",
        "list_all_hub_spot_contacts",
        "--args",
        r#"{"limit": 2}"#,
    ]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let envelope: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(envelope["result_count"], 2, "{envelope}");
    assert_eq!(envelope["result"].as_array().map(Vec::len), Some(2));
    let cursor = envelope["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();

    // The cursor survives into the next process (the store keeps the cursor key).
    let args = serde_json::json!({"limit": 2, "next_cursor": cursor}).to_string();
    let out = s.run(&[
        "call",
        "--account",
        "acme",
        "list_all_hub_spot_contacts",
        "--args",
        &args,
    ]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let page2: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_ne!(page2["result"], envelope["result"]);
}

#[test]
fn call_errors_print_json_and_exit_1() {
    let (_runtime, sandbox) = sandbox(switchboard_sandbox::SandboxConfig::default());
    let s = Session::new();
    assert!(
        s.add_hubspot("acme", Some(&sandbox.base_url()), "wrong-token")
            .status
            .success()
    );

    let error_of = |out: &Output| -> Value {
        assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
        let value: Value = serde_json::from_str(&stdout(out)).unwrap();
        assert!(value["error"]["code"].is_string(), "{value}");
        value
    };

    // The vendor refuses the token: the account must be reconnected.
    let out = s.run(&["call", "--account", "acme", "list_all_hub_spot_contacts"]);
    let value = error_of(&out);
    assert_eq!(value["error"]["code"], "auth_required", "{value}");
    assert!(!stdout(&out).contains("wrong-token"));

    // Invalid arguments name the argument.
    let out = s.run(&[
        "call",
        "--account",
        "acme",
        "list_all_hub_spot_contacts",
        "--args",
        r#"{"limit": "many"}"#,
    ]);
    let value = error_of(&out);
    assert_eq!(value["error"]["code"], "invalid_arguments", "{value}");
    assert_eq!(value["error"]["pointer"], "/limit", "{value}");

    // A tool of another integration, and a typo.
    let out = s.run(&["call", "--account", "acme", "list_all_salesforce_contacts"]);
    assert_eq!(error_of(&out)["error"]["code"], "unknown_tool");
    let out = s.run(&["call", "--account", "acme", "list_all_hub_spot_contact"]);
    assert_eq!(error_of(&out)["error"]["code"], "unknown_tool");
    assert!(stderr(&out).contains("did you mean `list_all_hub_spot_contacts`?"));

    // An unknown account is an operator error, not a tool error.
    let out = s.run(&["call", "--account", "nobody", "list_all_hub_spot_contacts"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    assert!(stderr(&out).contains("no account `nobody`"));
}

#[test]
fn sandbox_command_prints_its_urls() {
    let s = Session::new();
    let mut child = s
        .command(&["sandbox", "--listen", "127.0.0.1:0", "--records", "3"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut reader, &mut first).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let url = first
        .trim_end()
        .strip_prefix("hubspot_base_url=http://127.0.0.1:")
        .unwrap_or_else(|| panic!("{first}"));
    assert!(url.parse::<u16>().is_ok_and(|port| port != 0), "{first}");
}

#[test]
fn a_rate_limited_call_comes_straight_back() {
    let budget = "1/60".parse().unwrap();
    let (_runtime, sandbox) = sandbox(switchboard_sandbox::SandboxConfig {
        rate_limit: Some(budget),
        ..switchboard_sandbox::SandboxConfig::default()
    });
    let s = Session::new();
    assert!(
        s.add_hubspot("acme", Some(&sandbox.base_url()), sandbox.api_token())
            .status
            .success()
    );
    let call = [
        "call",
        "--account",
        "acme",
        "list_all_hub_spot_contacts",
        "--args",
        r#"{"limit": 1}"#,
    ];
    s.ok(&call);
    let out = s.run(&call);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let value: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(value["error"]["code"], "rate_limited", "{value}");
    assert_eq!(value["status"], 429, "{value}");
    assert!(value["retry_after"].as_u64().is_some(), "{value}");
}

#[test]
fn a_reader_that_stops_early_is_not_a_crash() {
    // `switchboard tools | head -1`: stdout closes while the listing is being written.
    let s = Session::new();
    let mut child = s
        .command(&["tools"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn scopes_explain_splits_required_from_optional() {
    let s = Session::new();
    let read_only: Value = serde_json::from_str(&s.ok(&[
        "scopes",
        "--integration",
        "hubspot",
        "--methods",
        "read",
        "--explain",
        "--format",
        "json",
    ]))
    .unwrap();
    // A read-only analytics role needs exactly the read scopes, nothing optional.
    let required = read_only["required"].as_array().unwrap();
    assert!(!required.is_empty());
    assert!(
        required
            .iter()
            .all(|s| s.as_str().unwrap().ends_with(".read")),
        "{read_only}"
    );
    assert_eq!(read_only["optional"], serde_json::json!([]));
    assert_eq!(read_only["always_requested"], serde_json::json!(["oauth"]));
    let everything: Value = serde_json::from_str(&s.ok(&[
        "scopes",
        "--integration",
        "hubspot",
        "--explain",
        "--format",
        "json",
    ]))
    .unwrap();
    let optional = everything["optional"].as_array().unwrap();
    assert!(
        optional.contains(&"crm.objects.contacts.write".into()),
        "{everything}"
    );
    let unlocked = everything["unlocks"]["crm.objects.contacts.write"]
        .as_array()
        .unwrap();
    assert!(
        unlocked.contains(&"create_a_hub_spot_contact".into()),
        "{everything}"
    );
    let text = s.ok(&["scopes", "--integration", "hubspot", "--explain"]);
    assert!(
        text.starts_with("required (read tools need them):\n"),
        "{text}"
    );
    assert!(!text.contains("also granted by"), "{text}");
    // Zendesk's broad `read` and `write` grant its resource scopes too.
    let zendesk = s.ok(&["scopes", "--integration", "zendesk", "--explain"]);
    assert!(
        zendesk.contains("  tickets:read (also granted by read)\n"),
        "{zendesk}"
    );
    assert!(
        zendesk.contains("  tickets:write (also granted by write)\n"),
        "{zendesk}"
    );
}

#[test]
fn api_tokens_and_server_revocation_from_the_command_line() {
    let s = Session::new();
    assert!(s.add_hubspot("acme", None, SECRET).status.success());

    let out = s.ok(&[
        "api-tokens",
        "create",
        "--name",
        "ci-agent",
        "--user",
        "alice",
    ]);
    let token = out
        .trim_end()
        .strip_prefix("api_token=sbk_")
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned();
    assert_eq!(out.lines().count(), 1, "{out}");
    let list = s.ok(&["api-tokens", "list"]);
    assert!(
        list.contains("ci-agent") && list.contains("alice"),
        "{list}"
    );
    assert!(!list.contains(&token), "{list}");
    assert!(!contains(&file_bytes(&s.db()), &token));
    let dup = s.run(&["api-tokens", "create", "--name", "ci-agent"]);
    assert_eq!(dup.status.code(), Some(1));
    assert!(stderr(&dup).contains("API token `ci-agent` already exists"));

    let out = s.ok(&[
        "servers",
        "create",
        "--name",
        "guarded",
        "--account",
        "acme",
        "--require-api-token",
        "--expires-at",
        "2100-01-01T00:00:00Z",
    ]);
    token_of(out.trim_end(), "http://127.0.0.1:8080");
    let past = s.run(&[
        "servers",
        "create",
        "--name",
        "late",
        "--account",
        "acme",
        "--expires-at",
        "1000",
    ]);
    assert_eq!(past.status.code(), Some(2));
    assert!(stderr(&past).contains("in the past"), "{}", stderr(&past));

    let list = s.ok(&["servers", "list"]);
    let row = list.lines().find(|l| l.starts_with("guarded")).unwrap();
    assert!(list.starts_with("NAME") && list.contains("API_TOKEN") && list.contains("REVOKED"));
    assert!(
        row.contains(" yes ") && row.contains("2100-01-01T00:00:00Z"),
        "{row}"
    );
    assert_eq!(times_in(row), 2, "created and expires: {row}");

    let out = s.ok(&["servers", "revoke", "--name", "guarded"]);
    assert!(out.contains("revoked server `guarded`"), "{out}");
    let row = s.ok(&["servers", "list"]);
    let row = row.lines().find(|l| l.starts_with("guarded")).unwrap();
    assert_eq!(times_in(row), 3, "created, expires and revoked: {row}");
    let out = s.ok(&["api-tokens", "revoke", "--name", "ci-agent"]);
    assert!(out.contains("revoked API token `ci-agent`"), "{out}");
    let unknown = s.run(&["api-tokens", "revoke", "--name", "ci-agnet"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("did you mean `ci-agent`?"));
}

/// How many `…:SSZ` times a line holds.
fn times_in(line: &str) -> usize {
    line.match_indices('Z')
        .filter(|(i, _)| *i > 0 && line.as_bytes()[i - 1].is_ascii_digit())
        .count()
}

#[test]
fn a_server_whose_filter_matches_no_tool_is_refused() {
    let s = Session::new();
    assert!(s.add_hubspot("acme", None, SECRET).status.success());
    let out = s.run(&[
        "servers",
        "create",
        "--name",
        "nothing",
        "--account",
        "acme",
        "--tags",
        "no-such-tag",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no `hubspot` tool matches"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "no URL was minted");
    let listed = s.ok(&["servers", "list"]);
    assert!(!listed.contains("nothing"), "{listed}");
}
