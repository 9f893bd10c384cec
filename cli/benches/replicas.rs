//! Calls per second through the REST mirror with the store on one SQLite file (one replica) and on
//! PostgreSQL (one and two replicas), with the same load generator on the same machine, and the
//! store's database trips per call (from each replica's `/metrics`).
//!
//! `bash tests/postgres.sh cargo bench -p switchboard --bench replicas` (without
//! `SWITCHBOARD_TEST_POSTGRES` only the SQLite row runs). `SWITCHBOARD_BENCH_CALLS` sets the calls per
//! row (default 20,000). Every process shares the machine's cores: the load generator and the sandbox
//! run in this process, each replica in its own.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark fails loudly.

#[path = "../../vault/tests/support/postgres.rs"]
mod postgres;
#[path = "../tests/support/replicas.rs"]
mod replicas;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use replicas::{Db, Server, ok, serve, switchboard};

const CONCURRENCY: usize = 32;
const TOOL: &str = "get_single_hub_spot_contact_by_id";

/// The value of the counter `name` in a Prometheus text exposition.
fn counter(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#') && line.starts_with(name))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn trips(http: &reqwest::Client, servers: &[Server]) -> f64 {
    let mut total = 0.0;
    for server in servers {
        let text = http
            .get(format!("{}/metrics", server.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        total += counter(&text, "switchboard_store_round_trips")
            - counter(&text, "switchboard_audit_batches");
    }
    total
}

/// Sets up an account and a server in `db`, starts `replicas` replicas, and drives `calls` calls.
async fn run(label: &str, db: &Db, replicas: usize, sandbox: &str, calls: usize, ids: &[String]) {
    ok(switchboard(
        db,
        &[
            "accounts",
            "add",
            "--id",
            "bench",
            "--integration",
            "hubspot",
            "--base-url",
            sandbox,
            "--credential",
            "bearer",
            "--secret-env",
            "BENCH_TOKEN",
        ],
    )
    .env("BENCH_TOKEN", switchboard_sandbox::DEFAULT_API_TOKEN));
    let created = ok(&mut switchboard(
        db,
        &["servers", "create", "--name", "bench", "--account", "bench"],
    ));
    let token = created
        .split("/mcp/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let servers: Vec<Server> = (0..replicas).map(|_| serve(db)).collect();
    let urls: Arc<Vec<String>> = Arc::new(
        servers
            .iter()
            .map(|s| format!("{}/mcp/{token}/tools/{TOOL}", s.base))
            .collect(),
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    // Warm every replica's caches.
    for url in urls.iter() {
        let r = http
            .post(url)
            .json(&json!({"id": ids[0]}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    let before = trips(&http, &servers).await;
    let ids = Arc::new(ids.to_vec());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..CONCURRENCY {
        let (http, urls, ids) = (http.clone(), urls.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut i = worker;
            while i < calls {
                let t = Instant::now();
                let reply = http
                    .post(&urls[i % urls.len()])
                    .json(&json!({"id": ids[i % ids.len()]}))
                    .send()
                    .await;
                let good = match reply {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                errors += usize::from(!good);
                latencies.push(t.elapsed());
                i += CONCURRENCY;
            }
            (latencies, errors)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(calls);
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    let wall = start.elapsed();
    // The audit writer catches up; its batches are subtracted anyway.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = trips(&http, &servers).await;
    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies
            .get(i)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{label:<28} {calls:>7} {errors:>6} {:>9.0} {:>9.3} {:>9.3} {:>12.4}",
        calls as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        (after - before) / calls as f64,
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let calls: usize = std::env::var("SWITCHBOARD_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let sandbox = switchboard_sandbox::spawn(switchboard_sandbox::SandboxConfig::default())
        .await
        .unwrap();
    let base = sandbox.base_url();
    let page: Value = reqwest::Client::new()
        .get(format!("{base}/crm/v3/objects/contacts?limit=100"))
        .bearer_auth(switchboard_sandbox::DEFAULT_API_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<String> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();

    println!("{calls} calls per row, concurrency {CONCURRENCY}, REST mirror, tool {TOOL}");
    println!(
        "{:<28} {:>7} {:>6} {:>9} {:>9} {:>9} {:>12}",
        "store", "calls", "errors", "calls/s", "p50 ms", "p99 ms", "trips/call"
    );
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::sqlite(&dir.path().join("bench.db"));
    run("SQLite, 1 replica", &sqlite, 1, &base, calls, &ids).await;
    if std::env::var_os(postgres::URL_ENV).is_none() {
        println!(
            "(PostgreSQL rows skipped: {} is unset; see tests/postgres.sh)",
            postgres::URL_ENV
        );
        return;
    }
    for replicas in [1, 2] {
        let test_db = postgres::TestDb::create().unwrap();
        let db = Db::postgres(&test_db.url);
        let label = format!(
            "PostgreSQL, {replicas} replica{}",
            if replicas == 1 { "" } else { "s" }
        );
        run(&label, &db, replicas, &base, calls, &ids).await;
    }
}
