//! Compiles a synthetic catalogue — N integrations × 10 resources × 6 methods — through every pass
//! (load, check, lower, emit) and reports wall time and peak memory for N = 50, 100, 150, 200.
//!
//! Each size runs in a fresh child process so its peak RSS (VmHWM) is its own.
//! Run: `cargo bench -p switchboard-compiler` (add `-- 200` for one size).

use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

use switchboard_compiler::emit::Templates;
use switchboard_compiler::{check, emit, load, lower, parallel};

const RESOURCES: usize = 10;
const RUNS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if let Some(n) = std::env::var("SWITCHBOARD_BENCH_CHILD")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        child(n);
        return;
    }
    let sizes: Vec<usize> = match args.first().and_then(|a| a.parse().ok()) {
        Some(n) => vec![n],
        None => vec![50, 100, 150, 200],
    };
    println!("best of {RUNS} runs; seconds");
    println!(
        "integrations  tools  input MiB      total    load   check   lower    emit  per tool (µs)  peak RSS (MiB)"
    );
    let exe = std::env::current_exe().unwrap_or_default();
    for n in sizes {
        let out = Command::new(&exe)
            .env("SWITCHBOARD_BENCH_CHILD", n.to_string())
            .output();
        match out {
            Ok(o) if o.status.success() => print!("{}", String::from_utf8_lossy(&o.stdout)),
            Ok(o) => eprintln!("size {n} failed: {}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => eprintln!("size {n}: cannot run child: {e}"),
        }
    }
}

fn child(n: usize) {
    let inputs: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| {
            (
                format!("integrations/vendor_{i:03}.yaml"),
                definition(i).into_bytes(),
            )
        })
        .collect();
    let input_bytes: usize = inputs.iter().map(|(_, b)| b.len()).sum();
    let templates = Templates {
        integration_doc: std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../templates/integration.md.j2"
        ))
        .unwrap_or_default(),
    };
    let mut best = [f64::MAX; 5];
    let mut tools = 0;
    for _ in 0..RUNS {
        let inputs = inputs.clone();
        let t0 = Instant::now();
        let mut units = Vec::new();
        for loaded in parallel::map(inputs, |(name, bytes)| load::load_bytes(&name, bytes)) {
            match loaded {
                (source, Ok(def)) => units.push(check::Unit { source, def }),
                (_, Err(d)) => fail(&d.message),
            }
        }
        let t1 = Instant::now();
        let diags = check::check(&units);
        if let Some(d) = diags.iter().find(|d| d.is_error()) {
            fail(&d.message);
        }
        let t2 = Instant::now();
        let catalog = lower::lower(&units);
        let t3 = Instant::now();
        let files = emit::emit(&catalog, &templates).unwrap_or_else(|e| fail(&e.to_string()));
        let t4 = Instant::now();
        tools = files
            .iter()
            .filter(|f| f.path.starts_with("generated/schemas/vendor_"))
            .count();
        let phases = [
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            (t3 - t2).as_secs_f64(),
            (t4 - t3).as_secs_f64(),
            (t4 - t0).as_secs_f64(),
        ];
        if phases[4] < best[4] {
            best = phases;
        }
    }
    println!(
        "{n:>12}  {tools:>5}  {:>9.1}  {:>9.3}  {:>6.3}  {:>6.3}  {:>6.3}  {:>6.3}  {:>13.1}  {:>14.1}",
        input_bytes as f64 / 1048576.0,
        best[4],
        best[0],
        best[1],
        best[2],
        best[3],
        best[4] * 1e6 / tools.max(1) as f64,
        peak_rss_mib()
    );
}

fn fail(message: &str) -> ! {
    eprintln!("synthetic catalogue failed: {message}");
    std::process::exit(1);
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// A realistic definition: every method documented, with path, query, body and response fields.
fn definition(i: usize) -> String {
    let mut y = String::new();
    let _ = write!(
        y,
        "name: vendor_{i:03}\ndisplay_name: Vendor {i:03}\ndescription: Synthetic vendor number {i} for the compiler benchmark.\n\
         categories: [crm]\ndocs_url: https://docs.vendor{i}.example/api\nbase_url: https://api.vendor{i}.example\n\
         auth:\n  oauth2:\n    authorization_url: https://vendor{i}.example/oauth/authorize\n    token_url: https://vendor{i}.example/oauth/token\n\
         errors:\n  message: /error/message\n  code: /error/code\n\
         rate_limit:\n  headers:\n    - name: X-RateLimit-Limit\n      figure: limit\n    - name: X-RateLimit-Remaining\n      figure: remaining\n  limited_when:\n    - status: 429\n\
         pagination:\n  cursor:\n    style: cursor\n    results: /data\n    cursor_param: cursor\n    next_cursor: /meta/next\n    limit_param: page_size\n    max_limit: 100\n\
         default_pagination: cursor\nresources:\n"
    );
    for r in 0..RESOURCES {
        let plural = format!("things_{r}");
        let singular = format!("thing_{r}");
        let record = "            type: object\n            properties:\n              id: {type: string, description: Record id.}\n              name: {type: string, description: Display name.}\n              email: {type: string, format: email, description: Email address.}\n              created_at: {type: string, format: date-time, description: Creation time.}\n              tags:\n                type: array\n                description: Labels.\n                items: {type: string, description: A label.}\n";
        let body = "            name: {type: string, required: true, description: Display name of the record.}\n            email: {type: string, description: Email address of the record.}\n            notes: {type: string, description: Free text notes.}\n            owner_id: {type: string, description: Id of the owning user.}\n";
        let _ = write!(
            y,
            "  {plural}:\n    singular: {singular}\n    tags: [{plural}, crm]\n    methods:\n\
             \x20     list:\n        http: GET\n        path: /v2/{plural}\n        scopes: [{plural}.read]\n        documentation:\n          description: List {plural}, page by page.\n          query:\n            cursor: {{type: string, description: Cursor from the previous page.}}\n            page_size: {{type: integer, description: Records per page.}}\n            sort: {{type: string, enum: [asc, desc], description: Sort order by creation time.}}\n          response:\n            type: object\n            properties:\n              data:\n                type: array\n                items:\n{record_indented}\
             \x20     get:\n        http: GET\n        path: /v2/{plural}/{{id}}\n        scopes: [{plural}.read]\n        documentation:\n          description: Read one {singular} by id.\n          path:\n            id: {{type: string, required: true, description: The record id.}}\n          response:\n{record}\
             \x20     create:\n        http: POST\n        path: /v2/{plural}\n        scopes: [{plural}.write]\n        documentation:\n          description: Create a {singular}.\n          body:\n{body}          response:\n{record}\
             \x20     update:\n        http: PATCH\n        path: /v2/{plural}/{{id}}\n        scopes: [{plural}.write]\n        documentation:\n          description: Update a {singular}.\n          path:\n            id: {{type: string, required: true, description: The record id.}}\n          body:\n{body}          response:\n{record}\
             \x20     delete:\n        http: DELETE\n        path: /v2/{plural}/{{id}}\n        scopes: [{plural}.write]\n        documentation:\n          description: Delete a {singular}.\n          path:\n            id: {{type: string, required: true, description: The record id.}}\n\
             \x20     search:\n        http: POST\n        path: /v2/{plural}/search\n        scopes: [{plural}.read]\n        documentation:\n          description: Search {plural} by text.\n          body:\n            query: {{type: string, required: true, description: Text to search for.}}\n            limit_to: {{type: integer, description: Most records to return.}}\n          response:\n{record}",
            record_indented = record
                .lines()
                .map(|l| format!("      {l}\n"))
                .collect::<String>(),
        );
    }
    y
}
