//! How fast the generated HubSpot `crm.contact` map runs, next to the cost of just reading and writing
//! the JSON. `bench/mapping/run.sh` drives it and sets the figures beside the same map in JSONata.
//!
//! Commands (arguments after `cargo bench -p switchboard-tests --bench map_contacts --`):
//!
//! - `gen --out FILE [--count N] [--seed S]`: writes N (default 100,000) synthetic, deterministic HubSpot
//!   contact records as one JSON array, shaped like `GET /crm/v3/objects/contacts` results.
//! - `run [--input FILE] [--rounds R] [--check-out FILE] [--check-count N]`: times the map over every record
//!   of FILE (default: `$MAP_BENCH_INPUT`) and prints one `BENCH key=value …` line per case; with
//!   `--check-out`, also writes the outputs of the first N records (default 1,000) as JSON lines so the
//!   JSONata side can be checked against them.
//! - `map --input FILE --out FILE`: no timing; writes the output of every record of FILE as JSON lines (the
//!   equivalence check on `bench/mapping/edge_cases.json`).
//!
//! Without a command, `cargo bench` (which passes `--bench`) generates the records in the temp dir and runs;
//! any other invocation (`cargo test --benches`) only smoke-tests the map on a few records.

#![allow(clippy::expect_used, clippy::unwrap_used)] // A benchmark's setup failing is a panic.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use switchboard_generated::hubspot::crm_contact_from_vendor;

const DEFAULT_COUNT: usize = 100_000;
const DEFAULT_SEED: u64 = 0x5eed_2024;
const DEFAULT_ROUNDS: usize = 10;
const DEFAULT_CHECK_COUNT: usize = 1_000;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let bench_mode = args.iter().any(|a| a == "--bench");
    args.retain(|a| a != "--bench");
    let flags = Flags(args.get(1..).unwrap_or_default().to_vec());
    match args.first().map(String::as_str) {
        Some("gen") => {
            let out = PathBuf::from(flags.get("--out").expect("gen needs --out FILE"));
            let count = flags.number("--count").unwrap_or(DEFAULT_COUNT);
            let seed = flags.number("--seed").map_or(DEFAULT_SEED, |s| s as u64);
            let bytes = generate(&out, count, seed);
            println!(
                "GEN records={count} seed={seed} bytes={bytes} file={}",
                out.display()
            );
        }
        Some("run") => {
            let input = flags
                .get("--input")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("MAP_BENCH_INPUT").map(PathBuf::from))
                .expect("run needs --input FILE or MAP_BENCH_INPUT");
            run(
                &input,
                flags.number("--rounds").unwrap_or(DEFAULT_ROUNDS).max(1),
                flags.get("--check-out").map(Path::new),
                flags.number("--check-count").unwrap_or(DEFAULT_CHECK_COUNT),
            );
        }
        Some("map") => {
            let input = PathBuf::from(flags.get("--input").expect("map needs --input FILE"));
            let out = PathBuf::from(flags.get("--out").expect("map needs --out FILE"));
            let records = read_records(&input);
            write_outputs(&out, &records);
        }
        Some(other) if !other.starts_with('-') => {
            panic!("unknown command {other:?}: expected gen, run or map")
        }
        _ if bench_mode => {
            let input = std::env::var_os("MAP_BENCH_INPUT").map_or_else(
                || {
                    let path = std::env::temp_dir().join("switchboard-map-contacts.json");
                    generate(&path, DEFAULT_COUNT, DEFAULT_SEED);
                    path
                },
                PathBuf::from,
            );
            run(&input, DEFAULT_ROUNDS, None, 0);
        }
        _ => smoke(),
    }
}

/// `--name value` pairs.
struct Flags(Vec<String>);

impl Flags {
    fn get(&self, name: &str) -> Option<&str> {
        let i = self.0.iter().position(|a| a == name)?;
        Some(
            self.0
                .get(i + 1)
                .unwrap_or_else(|| panic!("{name} needs a value")),
        )
    }

    fn number(&self, name: &str) -> Option<usize> {
        self.get(name).map(|v| {
            v.replace('_', "")
                .parse()
                .unwrap_or_else(|_| panic!("{name} takes a number, not {v:?}"))
        })
    }
}

// ─── timing ────────────────────────────────────────────────────────────────────────────────────────

/// Runs `pass` `rounds` times (each pass covers every record) and returns the sorted durations.
fn time_rounds(rounds: usize, mut pass: impl FnMut()) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            pass();
            start.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn report(case: &str, records: usize, times: &[Duration], what: &str) {
    let best = times.first().copied().unwrap_or_default().as_secs_f64();
    let median = median(times).as_secs_f64();
    println!(
        "BENCH side=rust case={case} records={records} rounds={} best_s={best:.6} median_s={median:.6} \
         best_rps={:.0} median_rps={:.0}",
        times.len(),
        records as f64 / best,
        records as f64 / median,
    );
    eprintln!(
        "# rust {case:<16} {:>12.0} records/s (median of {}, best {:.0}): {what}",
        records as f64 / median,
        times.len(),
        records as f64 / best,
    );
}

fn median(sorted: &[Duration]) -> Duration {
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

fn run(input: &Path, rounds: usize, check_out: Option<&Path>, check_count: usize) {
    let start = Instant::now();
    let records = read_records(input);
    let load = start.elapsed();
    let n = records.len();
    eprintln!(
        "# rust: read and parsed {n} records from {} in {:.3} s",
        input.display(),
        load.as_secs_f64()
    );
    // Each record as the JSON text it would arrive as (one element of a page's `results`).
    let texts: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).expect("a Value serializes"))
        .collect();

    if let Some(path) = check_out {
        write_outputs(path, records.get(..check_count.min(n)).unwrap_or_default());
        eprintln!(
            "# rust: wrote the outputs of the first {} records to {}",
            check_count.min(n),
            path.display()
        );
    }

    // Warm caches and the allocator once before timing.
    for record in &records {
        black_box(crm_contact_from_vendor(black_box(record)));
    }

    let times = time_rounds(rounds, || {
        for record in &records {
            black_box(crm_contact_from_vendor(black_box(record)));
        }
    });
    report(
        "map",
        n,
        &times,
        "generated map on parsed records (output built and dropped)",
    );

    let times = time_rounds(rounds, || {
        for t in &texts {
            let record: Value = serde_json::from_str(black_box(t)).expect("valid JSON");
            let unified = crm_contact_from_vendor(&record);
            black_box(serde_json::to_string(&unified).expect("serializes"));
        }
    });
    report(
        "end_to_end",
        n,
        &times,
        "parse JSON text, map, serialize the unified record",
    );

    let times = time_rounds(rounds, || {
        for t in &texts {
            let record: Value = serde_json::from_str(black_box(t)).expect("valid JSON");
            black_box(record);
        }
    });
    report("parse", n, &times, "parse each record's JSON text only");

    let times = time_rounds(rounds, || {
        for t in &texts {
            let record: Value = serde_json::from_str(black_box(t)).expect("valid JSON");
            black_box(serde_json::to_string(&record).expect("serializes"));
        }
    });
    report(
        "parse_serialize",
        n,
        &times,
        "parse JSON text and serialize it back, no mapping (the floor for end_to_end)",
    );
}

fn read_records(input: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(input)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", input.display()));
    serde_json::from_str(&text).expect("the input is a JSON array of records")
}

/// The unified record of each of `records`, one JSON text per line.
fn write_outputs(path: &Path, records: &[Value]) {
    let mut out = BufWriter::new(File::create(path).expect("create the outputs file"));
    for record in records {
        serde_json::to_writer(&mut out, &crm_contact_from_vendor(record)).expect("write");
        out.write_all(b"\n").expect("write");
    }
    out.flush().expect("write the outputs file");
}

/// What `cargo test --benches` runs: the map on a few generated records gives objects with an id.
fn smoke() {
    let path =
        std::env::temp_dir().join(format!("switchboard-map-smoke-{}.json", std::process::id()));
    generate(&path, 200, DEFAULT_SEED);
    let text = std::fs::read_to_string(&path).expect("read back");
    let _ = std::fs::remove_file(&path);
    let records: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    assert_eq!(records.len(), 200);
    for record in &records {
        let unified = crm_contact_from_vendor(record);
        assert_eq!(unified.get("id"), record.get("id"), "{unified}");
    }
    eprintln!("# map_contacts: smoke test passed (run with cargo bench for figures)");
}

// ─── synthetic HubSpot contacts ────────────────────────────────────────────────────────────────────

/// SplitMix64: small, fast, and the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// A property value as HubSpot sends it: mostly `value`, sometimes null (requested but unset) and
    /// sometimes `""` (cleared by an import or integration).
    fn prop(
        &mut self,
        null_percent: u64,
        empty_percent: u64,
        value: impl FnOnce(&mut Self) -> String,
    ) -> Value {
        let roll = self.below(100);
        if roll < null_percent {
            Value::Null
        } else if roll < null_percent + empty_percent {
            Value::String(String::new())
        } else {
            Value::String(value(self))
        }
    }
}

const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Ana",
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Amélie",
    "Björn",
    "Chloé",
    "Mateo",
    "Aisha",
    "Wei",
    "Yuki",
    "Priya",
    "Olu",
    "Fatima",
    "Siobhán",
    "Nikolai",
    "Mary Ann",
    "Jean-Luc",
    "O'Neil",
    "Ngozi",
];
const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Müller",
    "Nguyen",
    "Kowalski",
    "O'Brien",
    "van der Berg",
    "García Márquez",
    "Okafor",
    "Tanaka",
    "Chen",
    "Singh",
    "Dubois",
    "Rossi",
    "Johansson",
    "Ivanova",
    "de la Cruz",
    "MacDonald",
];
const DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "acme-corp.com",
    "globex.io",
    "initech.com",
    "umbrella.co.uk",
    "hooli.xyz",
    "stark-industries.com",
    "example.org",
    "wayne-enterprises.com",
];
const STREETS: &[&str] = &[
    "Main St",
    "Oak Avenue",
    "Pine Road",
    "Maple Drive",
    "Cedar Lane",
    "Elm Street",
    "Washington Blvd",
    "Lake View Rd",
    "Sunset Boulevard",
    "Market Street",
    "High Street",
    "Rue de Rivoli",
    "Hauptstraße",
];
// (city, state, country, zip prefix)
const PLACES: &[(&str, &str, &str, &str)] = &[
    ("Boston", "MA", "United States", "021"),
    ("Cambridge", "MA", "United States", "021"),
    ("New York", "NY", "United States", "100"),
    ("San Francisco", "CA", "United States", "941"),
    ("Austin", "TX", "United States", "787"),
    ("Seattle", "WA", "United States", "981"),
    ("Chicago", "IL", "United States", "606"),
    ("Denver", "CO", "United States", "802"),
    ("Toronto", "ON", "Canada", "M5V"),
    ("London", "England", "United Kingdom", "EC1"),
    ("Dublin", "Leinster", "Ireland", "D02"),
    ("Berlin", "Berlin", "Germany", "101"),
    ("Paris", "Île-de-France", "France", "750"),
    ("São Paulo", "SP", "Brazil", "010"),
    ("Sydney", "NSW", "Australia", "200"),
];
const JOB_TITLES: &[&str] = &[
    "CEO",
    "CTO",
    "VP of Sales",
    "Marketing Manager",
    "Account Executive",
    "Software Engineer",
    "Head of Operations",
    "Customer Success Manager",
    "Procurement Lead",
    "Office Manager",
];
const COMPANIES: &[&str] = &[
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Ltd",
    "Hooli",
    "Stark Industries",
    "Wayne Enterprises",
    "Soylent",
    "Vandelay Industries",
    "Wonka Industries",
];
const LIFECYCLE: &[&str] = &[
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
];
const LEAD_STATUS: &[&str] = &[
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "CONNECTED",
];
const TIERS: &[&str] = &["bronze", "silver", "gold", "platinum"];
const LANGUAGES: &[&str] = &["en", "en-gb", "fr", "de", "es", "pt-br", "ja"];

fn email_local(first: &str, last: &str, rng: &mut Rng) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphabetic)
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let (f, l) = (clean(first), clean(last));
    let f = if f.is_empty() {
        "contact".to_owned()
    } else {
        f
    };
    match rng.below(4) {
        0 => format!("{f}.{l}"),
        1 => format!("{}{l}", &f[..1]),
        2 => format!("{f}{}", rng.below(100)),
        _ => format!("{f}_{l}{}", rng.below(10)),
    }
}

fn phone(rng: &mut Rng) -> String {
    let (a, b, c) = (
        200 + rng.below(800),
        200 + rng.below(800),
        rng.below(10_000),
    );
    match rng.below(5) {
        0 => format!("+1 ({a}) {b}-{c:04}"),
        1 => format!("{a}-{b}-{c:04}"),
        2 => format!("+1{a}{b}{c:04}"),
        3 => format!("+44 20 {b}{} {c:04}", rng.below(10)),
        _ => format!("({a}) {b}-{c:04} ext. {}", rng.below(1000)),
    }
}

/// A timestamp as HubSpot writes it (`2019-10-30T03:30:17.883Z`), `ms` after the epoch. Whole seconds
/// come as `…:17Z` or `…:17.000Z`, both seen in the wild.
fn hubspot_time(ms: i64, rng: &mut Rng) -> String {
    let secs = ms.div_euclid(1000);
    let frac = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s) = (tod / 3600, tod % 3600 / 60, tod % 60);
    if frac == 0 && rng.chance(50) {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn contact(i: u64, rng: &mut Rng) -> Value {
    let id = (151 + i * 16 + rng.below(16)).to_string();
    let first = rng.pick(FIRST_NAMES);
    let last = rng.pick(LAST_NAMES);
    let domain = rng.pick(DOMAINS);
    let local = email_local(first, last, rng);

    // Names typed by people and imports: stray spaces around, now and then two inside.
    let firstname = rng.prop(3, 1, |r| match r.below(100) {
        0..=4 => format!("{first} "),
        5..=6 => format!("  {first}"),
        7 => first.replacen(' ', "  ", 1) + " ",
        _ => first.to_owned(),
    });
    let lastname = rng.prop(4, 1, |r| match r.below(100) {
        0..=3 => format!(" {last}"),
        4 => format!("{last}\t"),
        _ => last.to_owned(),
    });
    let email = rng.prop(6, 1, |r| {
        if r.chance(3) {
            format!(" {local}@{domain} ")
        } else {
            format!("{local}@{domain}")
        }
    });
    let additional = rng.prop(78, 2, |r| {
        let other = r.pick(DOMAINS);
        match r.below(10) {
            0..=5 => format!("{local}@{other}"),
            6..=7 => format!(
                "{local}@{other};{}@{}",
                r.pick(&["info", "sales", "hello"]),
                r.pick(DOMAINS)
            ),
            8 => format!("{local}@{other}; {}.work@{domain}", local),
            _ => format!("{local}@{other};{}@{domain};", r.pick(&["me", "inbox"])),
        }
    });
    let (city, state, country, zip_prefix) = PLACES[rng.below(PLACES.len() as u64) as usize];
    let has_address = rng.chance(65);
    let address = if has_address {
        rng.prop(10, 3, |r| {
            let n = 1 + r.below(9_999);
            let street = r.pick(STREETS);
            if r.chance(10) {
                format!("{n} {street}\nSuite {}", 100 + r.below(900))
            } else {
                format!("{n} {street}")
            }
        })
    } else {
        Value::Null
    };
    let place = |r: &mut Rng, v: &str| {
        if has_address {
            r.prop(8, 2, |_| v.to_owned())
        } else {
            r.prop(85, 3, |_| v.to_owned())
        }
    };
    let city = place(rng, city);
    let state = place(rng, state);
    let zip = format!("{zip_prefix}{:02}", rng.below(100));
    let zip = place(rng, &zip);
    let country = place(rng, country);

    // Created between 2015-01-01 and mid-2023, changed up to two years later (so before mid-2025).
    let created_ms = 1_420_070_400_000 + (rng.next() % 268_000_000_000) as i64;
    let updated_ms = created_ms + (rng.next() % 63_072_000_000) as i64;
    let created = hubspot_time(created_ms, rng);
    let updated = hubspot_time(updated_ms, rng);

    let mut p = Map::new();
    p.insert("hs_object_id".into(), json!(id));
    p.insert("firstname".into(), firstname);
    p.insert("lastname".into(), lastname);
    p.insert("email".into(), email);
    p.insert("hs_additional_emails".into(), additional);
    p.insert("phone".into(), rng.prop(30, 3, phone));
    p.insert("mobilephone".into(), rng.prop(55, 2, phone));
    p.insert("fax".into(), rng.prop(85, 2, phone));
    p.insert("address".into(), address);
    p.insert("city".into(), city);
    p.insert("state".into(), state);
    p.insert("zip".into(), zip);
    p.insert("country".into(), country);
    p.insert(
        "hubspot_owner_id".into(),
        rng.prop(25, 1, |r| (30_000_000 + r.below(40)).to_string()),
    );
    p.insert(
        "associatedcompanyid".into(),
        rng.prop(35, 0, |r| (5_000_000_000 + r.below(20_000)).to_string()),
    );
    p.insert("createdate".into(), json!(created));
    p.insert("lastmodifieddate".into(), json!(updated));
    // Other standard properties the unified model has no field for, and the account's own custom
    // properties: both land in custom_fields.
    p.insert(
        "company".into(),
        rng.prop(30, 2, |r| r.pick(COMPANIES).to_owned()),
    );
    p.insert(
        "jobtitle".into(),
        rng.prop(40, 2, |r| r.pick(JOB_TITLES).to_owned()),
    );
    p.insert(
        "lifecyclestage".into(),
        rng.prop(2, 0, |r| r.pick(LIFECYCLE).to_owned()),
    );
    p.insert(
        "hs_lead_status".into(),
        rng.prop(45, 5, |r| r.pick(LEAD_STATUS).to_owned()),
    );
    p.insert(
        "website".into(),
        rng.prop(60, 2, |_| format!("https://www.{domain}")),
    );
    p.insert(
        "customer_tier".into(),
        rng.prop(50, 5, |r| r.pick(TIERS).to_owned()),
    );
    p.insert(
        "nps_score".into(),
        rng.prop(70, 0, |r| r.below(11).to_string()),
    );
    p.insert(
        "preferred_language".into(),
        rng.prop(40, 3, |r| r.pick(LANGUAGES).to_owned()),
    );
    p.insert(
        "newsletter_opt_in".into(),
        rng.prop(30, 0, |r| {
            if r.chance(60) { "true" } else { "false" }.to_owned()
        }),
    );
    p.insert(
        "annual_contract_value".into(),
        rng.prop(75, 0, |r| {
            format!("{}.{:02}", 1_000 + r.below(250_000), r.below(100))
        }),
    );

    json!({
        "id": id,
        "properties": p,
        "createdAt": created,
        "updatedAt": updated,
        "archived": false,
    })
}

/// Writes `count` contacts as a JSON array to `out`; returns the bytes written.
fn generate(out: &Path, count: usize, seed: u64) -> u64 {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).expect("create the output directory");
    }
    let mut rng = Rng(seed);
    let mut w = BufWriter::new(File::create(out).expect("create the input file"));
    w.write_all(b"[").expect("write");
    for i in 0..count {
        if i > 0 {
            w.write_all(b",\n").expect("write");
        }
        serde_json::to_writer(&mut w, &contact(i as u64, &mut rng)).expect("write");
    }
    w.write_all(b"]\n").expect("write");
    w.flush().expect("write the input file");
    std::fs::metadata(out).map(|m| m.len()).unwrap_or(0)
}
