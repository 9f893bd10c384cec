//! Load benchmark: 20,000 `tools/call` over MCP Streamable HTTP at concurrency 32 through Switchboard
//! to the HubSpot sandbox, the same calls through the REST mirror, and the same requests sent straight
//! to the sandbox. Reports calls/s, p50/p99 latency, the overhead (ours − direct) and the server's
//! peak RSS.
//!
//! The sandbox and the server run as separate `switchboard` processes, so the server's peak RSS is its
//! own. Everything shares the machine's cores with the load generator, as it would on one box.
//! Run: `cargo bench -p switchboard --bench mcp_calls` (`SWITCHBOARD_BENCH_CALLS=N` to change the count;
//! `SWITCHBOARD_BENCH_SANDBOX_BIN=<path to a switchboard binary>` to run the sandbox from that build).

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark that cannot set up should stop loudly.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequestParams, ClientConfig, ProtocolVersion};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientLifecycleMode, ClientServiceExt};
use serde_json::{Value, json};

const CONCURRENCY: usize = 32;
const TOKEN: &str = "sandbox-token";
const TOOL: &str = "get_single_hub_spot_contact_by_id";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn switchboard(db: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    c.arg("--db")
        .arg(db)
        .env("RUST_LOG", "warn")
        .env("BENCH_TOKEN", TOKEN);
    c
}

fn wait_for_port(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("nothing listens on {port}");
}

fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

struct Stats {
    label: &'static str,
    calls: usize,
    errors: usize,
    wall: Duration,
    latencies: Vec<Duration>,
}

impl Stats {
    fn percentile(&self, p: f64) -> f64 {
        let mut l = self.latencies.clone();
        l.sort_unstable();
        let i = ((l.len() as f64 - 1.0) * p).round() as usize;
        l.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    }

    fn print(&self) {
        println!(
            "{:<28} {:>7} {:>6} {:>9.0} {:>9.3} {:>9.3}",
            self.label,
            self.calls,
            self.errors,
            self.calls as f64 / self.wall.as_secs_f64(),
            self.percentile(0.50),
            self.percentile(0.99),
        );
    }
}

/// One call of a path: `(worker, i)` → succeeded.
type CallFn = Arc<dyn Fn(usize, usize) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// Runs `calls` requests on `concurrency` tasks; `one(worker, i)` performs call `i`.
async fn drive(label: &'static str, calls: usize, concurrency: usize, one: CallFn) -> Stats {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let one = one.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut i = worker;
            while i < calls {
                let t = Instant::now();
                if !one(worker, i).await {
                    errors += 1;
                }
                latencies.push(t.elapsed());
                i += concurrency;
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::with_capacity(calls);
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    Stats {
        label,
        calls,
        errors,
        wall: start.elapsed(),
        latencies,
    }
}

/// Whether a response is a success whose body arrived in full.
async fn succeeded(r: Result<reqwest::Response, reqwest::Error>) -> bool {
    match r {
        Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
        _ => false,
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let calls: usize = std::env::var("SWITCHBOARD_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");

    let sandbox_port = free_port();
    // `SWITCHBOARD_BENCH_SANDBOX_BIN` runs the sandbox from another build, so two builds of the server
    // can be compared against the very same vendor.
    let mut sandbox_cmd = match std::env::var_os("SWITCHBOARD_BENCH_SANDBOX_BIN") {
        Some(bin) => Command::new(bin),
        None => switchboard(&db),
    };
    let _sandbox = Killed(
        sandbox_cmd
            .args(["sandbox", "--listen", &format!("127.0.0.1:{sandbox_port}")])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(sandbox_port);
    let sandbox = format!("http://127.0.0.1:{sandbox_port}");

    let ok = switchboard(&db)
        .args([
            "accounts",
            "add",
            "--id",
            "bench",
            "--integration",
            "hubspot",
            "--base-url",
            &sandbox,
        ])
        .args(["--credential", "bearer", "--secret-env", "BENCH_TOKEN"])
        .status()
        .unwrap();
    assert!(ok.success());
    let server_port = free_port();
    let public = format!("http://127.0.0.1:{server_port}");
    let out = switchboard(&db)
        .args([
            "servers",
            "create",
            "--name",
            "bench",
            "--account",
            "bench",
            "--methods",
            "read",
            "--public-url",
            &public,
        ])
        .output()
        .unwrap();
    let mcp_url = String::from_utf8_lossy(&out.stdout)
        .trim()
        .trim_start_matches("mcp_url=")
        .to_owned();
    assert!(
        mcp_url.starts_with("http"),
        "no mcp_url: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut server = switchboard(&db)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{server_port}"),
            "--public-url",
            &public,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let server_pid = server.id();
    let stdout = server.stdout.take().unwrap();
    std::thread::spawn(move || for _ in BufReader::new(stdout).lines() {});
    let _server = Killed(server);
    wait_for_port(server_port);

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let page: Value = http
        .get(format!("{sandbox}/crm/v3/objects/contacts?limit=100"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Arc<Vec<String>> = Arc::new(
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect(),
    );
    assert!(!ids.is_empty());

    println!("{calls} calls per row, concurrency {CONCURRENCY}, tool {TOOL}");
    println!(
        "{:<28} {:>7} {:>6} {:>9} {:>9} {:>9}",
        "path", "calls", "errors", "calls/s", "p50 ms", "p99 ms"
    );

    let direct: CallFn = {
        let (http, ids, sandbox) = (http.clone(), ids.clone(), sandbox.clone());
        let f: CallFn = Arc::new(move |_, i| {
            let url = format!("{sandbox}/crm/v3/objects/contacts/{}", ids[i % ids.len()]);
            let req = http.get(url).bearer_auth(TOKEN);
            Box::pin(async move { succeeded(req.send().await).await })
        });
        f
    };

    let rest: CallFn = {
        let (http, ids, url) = (http.clone(), ids.clone(), format!("{mcp_url}/tools/{TOOL}"));
        let f: CallFn = Arc::new(move |_, i| {
            let req = http.post(&url).json(&json!({"id": ids[i % ids.len()]}));
            Box::pin(async move { succeeded(req.send().await).await })
        });
        f
    };

    let raw: CallFn = {
        let (http, ids, url) = (http.clone(), ids.clone(), mcp_url.clone());
        let f: CallFn = Arc::new(move |_, i| {
            // A stateless 2026-07-28 request as any HTTP client sends it: what the server costs, without
            // an SDK client's own work on the same cores.
            let body = json!({
                "jsonrpc": "2.0", "id": i, "method": "tools/call",
                "params": {
                    "name": TOOL,
                    "arguments": {"id": ids[i % ids.len()]},
                    "_meta": {
                        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                        "io.modelcontextprotocol/clientCapabilities": {},
                    },
                },
            });
            let req = http
                .post(&url)
                .header("accept", "application/json, text/event-stream")
                .header("mcp-protocol-version", "2026-07-28")
                .header("mcp-method", "tools/call")
                .header("mcp-name", TOOL)
                .json(&body);
            Box::pin(async move {
                match req.send().await {
                    Ok(r) if r.status().is_success() => r.text().await.is_ok_and(|t| {
                        t.contains("\"structuredContent\"") && !t.contains("\"isError\":true")
                    }),
                    _ => false,
                }
            })
        });
        f
    };

    let mut clients = Vec::new();
    for _ in 0..CONCURRENCY {
        let client = ClientConfig::default()
            .serve_with_lifecycle(
                StreamableHttpClientTransport::from_uri(mcp_url.as_str()),
                ClientLifecycleMode::Discover {
                    preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                },
            )
            .await
            .unwrap();
        clients.push(client);
    }
    let clients = Arc::new(clients);
    let mcp: CallFn = {
        let ids = ids.clone();
        let f: CallFn = Arc::new(move |worker, i| {
            let clients = clients.clone();
            let args = json!({"id": ids[i % ids.len()]});
            Box::pin(async move {
                let Value::Object(args) = args else {
                    return false;
                };
                let params = CallToolRequestParams::new(TOOL.to_owned()).with_arguments(args);
                matches!(clients[worker].call_tool(params).await, Ok(r) if r.is_error != Some(true))
            })
        });
        f
    };

    let paths = [
        ("direct to sandbox", direct),
        ("REST mirror", rest),
        ("MCP tools/call, raw HTTP", raw),
        ("MCP tools/call, rmcp client", mcp),
    ];
    let mut loaded = Vec::new();
    for (label, f) in &paths {
        let stats = drive(label, calls, CONCURRENCY, f.clone()).await;
        stats.print();
        loaded.push(stats);
    }
    let unloaded_calls = (calls / 10).max(100);
    println!();
    println!("{unloaded_calls} calls per row, concurrency 1 (latency without queueing)");
    println!(
        "{:<28} {:>7} {:>6} {:>9} {:>9} {:>9}",
        "path", "calls", "errors", "calls/s", "p50 ms", "p99 ms"
    );
    let mut unloaded = Vec::new();
    for (label, f) in &paths {
        let stats = drive(label, unloaded_calls, 1, f.clone()).await;
        stats.print();
        unloaded.push(stats);
    }
    let [direct, rest, raw, mcp] = [&loaded[0], &loaded[1], &loaded[2], &loaded[3]];
    let [u_direct, u_rest, u_raw, u_mcp] = [&unloaded[0], &unloaded[1], &unloaded[2], &unloaded[3]];
    println!();
    println!(
        "unloaded p50 overhead (ours − direct): REST {:.3} ms, MCP raw {:.3} ms, MCP rmcp {:.3} ms",
        u_rest.percentile(0.5) - u_direct.percentile(0.5),
        u_raw.percentile(0.5) - u_direct.percentile(0.5),
        u_mcp.percentile(0.5) - u_direct.percentile(0.5),
    );

    println!();
    println!(
        "loaded overhead (ours − direct), p50: REST {:.3} ms, MCP raw {:.3} ms, MCP rmcp {:.3} ms; p99: REST {:.3} ms, MCP raw {:.3} ms, MCP rmcp {:.3} ms",
        rest.percentile(0.5) - direct.percentile(0.5),
        raw.percentile(0.5) - direct.percentile(0.5),
        mcp.percentile(0.5) - direct.percentile(0.5),
        rest.percentile(0.99) - direct.percentile(0.99),
        raw.percentile(0.99) - direct.percentile(0.99),
        mcp.percentile(0.99) - direct.percentile(0.99),
    );
    println!(
        "switchboard server peak RSS: {:.1} MiB",
        peak_rss_mib(server_pid)
    );
}
