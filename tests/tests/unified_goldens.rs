#![allow(clippy::expect_used, clippy::unwrap_used)] // A failed expectation in a test is a panic.
//! Golden tests of the compiled unified maps on real vendor data: every record in the recorded HubSpot,
//! Salesforce and Pipedrive exchanges under `tests/fixtures/vendors/*/recorded/` is mapped with the integration's
//! `from_vendor` map for its model (whatever maps exist: new ones are picked up without touching this
//! file), validated against the model's generated JSON Schema, and snapshotted per fixture file.
//!
//! What counts as a record, and what is skipped, is decided by fixed rules so that the snapshots say
//! exactly what each fixture contributed:
//! - only 2xx responses hold records; any other status is an error body and is skipped, visibly;
//! - HubSpot: the items of `results[]`, or the body itself when it is one object with `properties`; the
//!   model comes from the request path (`/crm/v3/objects/<type>/…`, `/crm/v3/owners`);
//! - Salesforce: the items of a query's `records[]`, or the body itself, when they carry
//!   `attributes.type`; the model comes from that type.
//! - Pipedrive: the items of `data[]`, or `data` itself when it is one object with an `id`; the model
//!   comes from the request path (`/v1/persons`, `/v1/organizations`, `/v1/deals`, `/v1/users`). The
//!   answer to a DELETE (`data: {id}`, the deleted id), a search (`data: {items}`, search hits) and the
//!   field lists (`/v1/personFields`: field definitions) hold no records.
//! - Zendesk: the items of the list named after the resource (`users[]`), or the record in the
//!   envelope named after it (`user`); the model comes from the request path (`/api/v2/users/…`,
//!   `/api/v2/tickets/…`). Zendesk's error bodies are `{error, description?, details?}`, or text for
//!   some 429s.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use switchboard_runtime::table::{Integration, UnifiedMap};

/// What one fixture file holds, mapped.
struct Fixture {
    /// `<vendor>/<file stem>`, e.g. `hubspot/v3.contacts.search.200`.
    name: String,
    path: PathBuf,
    integration: &'static Integration,
    request: String,
    status: u64,
    /// The response body.
    body: Value,
    /// `None` when the response is not a success and so holds no records.
    records: Option<Vec<Record>>,
}

/// One vendor record found in a response body.
struct Record {
    /// The vendor's own id, for people reading the snapshot.
    vendor_id: Value,
    /// The vendor's name for the kind of record (`CONTACT` from a HubSpot path, `Account`).
    vendor_kind: String,
    /// The unified model the record belongs to, if any.
    model: Option<&'static str>,
    /// The record mapped by every map the integration has for `model` (normally one), by resource.
    mapped: Vec<(&'static str, Value)>,
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn integration(name: &str) -> &'static Integration {
    switchboard_generated::INTEGRATIONS
        .iter()
        .copied()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("fixtures for `{name}`, but no integration of that name"))
}

fn maps_for(integration: &'static Integration, model: &str) -> Vec<&'static UnifiedMap> {
    integration
        .maps
        .iter()
        .filter(|m| m.model == model)
        .collect()
}

/// The generated JSON Schema of `crm.contact` & co.
fn model_schema(model: &str) -> Value {
    let (category, name) = model
        .split_once('.')
        .unwrap_or_else(|| panic!("model `{model}` is not <category>.<name>"));
    read_json(
        &manifest_dir()
            .join("../generated/schemas/unified")
            .join(category)
            .join(format!("{name}.json")),
    )
}

/// Draft 2020-12 with `format` asserted: real data must carry RFC 3339 timestamps and real addresses.
fn validator(model: &str) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&model_schema(model))
        .unwrap_or_else(|e| panic!("the schema of {model} does not compile: {e}"))
}

/// The object type named by a HubSpot request path, and its unified model if it has one.
fn hubspot_kind(path: &str) -> Option<(String, Option<&'static str>)> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments[..] {
        ["crm", _, "objects", kind, ..] => {
            let model = match kind.to_ascii_lowercase().as_str() {
                "contacts" | "contact" | "0-1" => Some("crm.contact"),
                "companies" | "company" | "0-2" => Some("crm.company"),
                "deals" | "deal" | "0-3" => Some("crm.deal"),
                _ => None,
            };
            Some((kind.to_owned(), model))
        }
        ["crm", _, "owners", ..] => Some(("owners".to_owned(), Some("crm.owner"))),
        _ => None,
    }
}

/// The item type named by a Pipedrive request path (`/v1/persons/6551`), and its unified model if it
/// has one; `None` for paths that answer with something other than records (`/v1/personFields`).
fn pipedrive_kind(path: &str) -> Option<(String, Option<&'static str>)> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let kind = match segments[..] {
        ["v1", kind, ..] | ["api", "v1", kind, ..] => kind,
        _ => return None,
    };
    let model = match kind {
        "persons" => Some("crm.contact"),
        "organizations" => Some("crm.company"),
        "deals" => Some("crm.deal"),
        "users" => Some("crm.owner"),
        _ if kind.ends_with("Fields") => return None,
        _ => None,
    };
    Some((kind.to_owned(), model))
}

/// The resource named by a Zendesk request path (`/api/v2/users/search.json`), the name of one of its
/// records in an envelope (`user`), and its unified model if it has one.
fn zendesk_kind(path: &str) -> Option<(String, String, Option<&'static str>)> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let ["api", "v2", resource, ..] = segments[..] else {
        return None;
    };
    let resource = resource.trim_end_matches(".json");
    let model = match resource {
        "tickets" => Some("ticketing.ticket"),
        "users" => Some("ticketing.user"),
        _ => None,
    };
    let singular = resource.strip_suffix('s').unwrap_or(resource);
    Some((resource.to_owned(), singular.to_owned(), model))
}

/// The unified model of a Salesforce sObject type.
fn salesforce_model(sobject: &str) -> Option<&'static str> {
    match sobject {
        "Contact" => Some("crm.contact"),
        "Account" => Some("crm.company"),
        "Opportunity" => Some("crm.deal"),
        "User" => Some("crm.owner"),
        _ => None,
    }
}

/// `(vendor kind, model, record)` for every record in a successful response body.
fn vendor_records(
    vendor: &str,
    method: &str,
    request_path: &str,
    body: &Value,
) -> Vec<(String, Option<&'static str>, Value)> {
    match vendor {
        "hubspot" => {
            let is_record = |v: &Value| v.get("properties").is_some_and(Value::is_object);
            let found: Vec<Value> = match body.get("results").and_then(Value::as_array) {
                Some(results) => results.clone(),
                None if is_record(body) => vec![body.clone()],
                None => Vec::new(),
            };
            if found.is_empty() {
                return Vec::new();
            }
            let (kind, model) = hubspot_kind(request_path).unwrap_or_else(|| {
                panic!(
                    "hubspot: records in the answer to {request_path}, an object type this test \
                     cannot tell: teach `hubspot_kind` the path"
                )
            });
            found
                .into_iter()
                .map(|r| (kind.clone(), model, r))
                .collect()
        }
        "salesforce" => {
            let sobject = |v: &Value| {
                v.pointer("/attributes/type")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let found: Vec<Value> = match body.get("records").and_then(Value::as_array) {
                Some(records) => records.clone(),
                None if sobject(body).is_some() => vec![body.clone()],
                None => Vec::new(),
            };
            found
                .into_iter()
                .map(|r| {
                    let kind = sobject(&r).unwrap_or_else(|| {
                        panic!("salesforce: a query record without attributes.type: {r}")
                    });
                    let model = salesforce_model(&kind);
                    (kind, model, r)
                })
                .collect()
        }
        "pipedrive" => {
            // A DELETE answers with the deleted id only.
            if method == "DELETE" {
                return Vec::new();
            }
            let Some((kind, model)) = pipedrive_kind(request_path) else {
                return Vec::new();
            };
            let is_record = |v: &Value| v.get("id").is_some_and(|id| !id.is_null());
            let found: Vec<Value> = match &body["data"] {
                Value::Array(items) => items.clone(),
                data if is_record(data) => vec![data.clone()],
                _ => Vec::new(),
            };
            found
                .into_iter()
                .map(|r| (kind.clone(), model, r))
                .collect()
        }
        "zendesk" => {
            let (kind, singular, model) = zendesk_kind(request_path).unwrap_or_else(|| {
                panic!(
                    "zendesk: records in the answer to {request_path}, a path this test cannot tell"
                )
            });
            let found: Vec<Value> = match (&body[&kind], &body[&singular]) {
                (Value::Array(items), _) => items.clone(),
                (_, record @ Value::Object(_)) => vec![record.clone()],
                _ => Vec::new(),
            };
            found
                .into_iter()
                .map(|r| (kind.clone(), model, r))
                .collect()
        }
        other => panic!("fixtures for `{other}`: teach `vendor_records` its record shapes"),
    }
}

/// Every recorded fixture, sorted by vendor and file name, with its records mapped.
fn fixtures() -> Vec<Fixture> {
    let root = manifest_dir().join("fixtures/vendors");
    let mut vendors: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("recorded").is_dir())
        .collect();
    vendors.sort();
    let mut out = Vec::new();
    for dir in vendors {
        let vendor = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let integration = integration(&vendor);
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("recorded"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for path in files {
            let fixture = read_json(&path);
            let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
            let status = fixture["response"]["status"]
                .as_u64()
                .unwrap_or_else(|| panic!("{}: no response.status", path.display()));
            let method = fixture["request"]["method"].as_str().unwrap_or("?");
            let request_path = fixture["request"]["path"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: no request.path", path.display()));
            // The one skipping rule: only a success holds records. 4xx/5xx bodies are error
            // envelopes (and Salesforce composite errors inside a 200 carry no attributes.type).
            let records = (200..300).contains(&status).then(|| {
                vendor_records(&vendor, method, request_path, &fixture["response"]["body"])
                    .into_iter()
                    .map(|(vendor_kind, model, record)| Record {
                        vendor_id: record
                            .get("id")
                            .or_else(|| record.get("Id"))
                            .cloned()
                            .unwrap_or(Value::Null),
                        vendor_kind,
                        model,
                        mapped: model
                            .map(|m| maps_for(integration, m))
                            .unwrap_or_default()
                            .into_iter()
                            .map(|map| (map.resource, (map.from_vendor)(&record)))
                            .collect(),
                    })
                    .collect()
            });
            out.push(Fixture {
                name: format!("{vendor}/{stem}"),
                path,
                integration,
                request: format!("{method} {request_path}"),
                status,
                body: fixture["response"]["body"].clone(),
                records,
            });
        }
    }
    assert!(!out.is_empty(), "no fixtures under {}", root.display());
    out
}

/// The snapshot of one fixture: what was mapped, and what was skipped and why.
fn summary(f: &Fixture) -> Value {
    let mut out = json!({"request": f.request, "status": f.status});
    match &f.records {
        None => {
            out["skipped"] = json!(format!(
                "HTTP {}: an error response, whose body is not records",
                f.status
            ));
        }
        Some(records) => {
            out["records"] = records
                .iter()
                .map(|r| {
                    let mut entry = json!({"vendor_kind": r.vendor_kind, "vendor_id": r.vendor_id});
                    match r.model {
                        None => entry["unmapped"] = json!("no unified model for this kind"),
                        Some(model) => {
                            entry["model"] = json!(model);
                            if r.mapped.is_empty() {
                                entry["unmapped"] =
                                    json!(format!("{} has no {model} map", f.integration.name));
                            }
                            for (resource, unified) in &r.mapped {
                                entry["unified"][resource] = unified.clone();
                            }
                        }
                    }
                    entry
                })
                .collect();
        }
    }
    out
}

#[test]
fn every_recorded_record_maps_onto_a_valid_unified_record() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in fixtures() {
        for (i, record) in f.records.iter().flatten().enumerate() {
            let Some(model) = record.model else { continue };
            let validator = validator(model);
            for (resource, unified) in &record.mapped {
                checked += 1;
                let errors: Vec<String> = validator
                    .iter_errors(unified)
                    .map(|e| format!("    at `{}`: {e}", e.instance_path()))
                    .collect();
                if !errors.is_empty() {
                    failures.push(format!(
                        "{} record #{i} (id {}) → {model} via `{resource}` fails the model schema:\n{}\n  mapped: {unified}",
                        f.name,
                        record.vendor_id,
                        errors.join("\n")
                    ));
                }
            }
        }
    }
    assert!(checked > 0, "no recorded record was mapped at all");
    assert!(
        failures.is_empty(),
        "{} of {checked} mapped records fail their schema:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn recordings_map_contacts_of_every_vendor() {
    let fixtures = fixtures();
    for vendor in ["hubspot", "salesforce", "pipedrive"] {
        let contacts = fixtures
            .iter()
            .filter(|f| f.integration.name == vendor)
            .flat_map(|f| f.records.iter().flatten())
            .filter(|r| r.model == Some("crm.contact"))
            .map(|r| r.mapped.len())
            .sum::<usize>();
        assert!(
            contacts > 0,
            "no {vendor} contact in the recordings was mapped onto crm.contact"
        );
    }
}

#[test]
fn recordings_map_zendesk_users_onto_ticketing_users() {
    let fixtures = fixtures();
    let users: Vec<&Value> = fixtures
        .iter()
        .filter(|f| f.integration.name == "zendesk")
        .flat_map(|f| f.records.iter().flatten())
        .filter(|r| r.model == Some("ticketing.user"))
        .flat_map(|r| r.mapped.iter().map(|(_, unified)| unified))
        .collect();
    // The created user (in `{"user": …}`), the read one and the searched one (in `users[]`).
    assert_eq!(users.len(), 3, "{users:?}");
    for user in users {
        assert_eq!(user["role"], "end_user", "{user}");
        assert!(
            user["id"]
                .as_str()
                .is_some_and(|id| id.parse::<u64>().is_ok()),
            "{user}"
        );
        assert!(
            user["email"].is_string() && user["name"].is_string(),
            "{user}"
        );
    }
}

/// Skipping loses nothing: every answer skipped for its status carries the vendor's error envelope
/// (HubSpot `{status: "error", message, …}`, Salesforce `[{errorCode, message}]`, Pipedrive
/// `{success: false, error, …}`), not records.
#[test]
fn skipped_responses_are_vendor_error_envelopes() {
    let fixtures = fixtures();
    let skipped: Vec<&Fixture> = fixtures.iter().filter(|f| f.records.is_none()).collect();
    assert!(!skipped.is_empty(), "the recordings hold no error answer");
    for f in skipped {
        let envelope = match f.integration.name {
            "hubspot" => f.body["status"] == "error" && f.body["message"].is_string(),
            "salesforce" => f.body.as_array().is_some_and(|errors| {
                !errors.is_empty()
                    && errors
                        .iter()
                        .all(|e| e["errorCode"].is_string() && e["message"].is_string())
            }),
            "pipedrive" => f.body["success"] == false && f.body["error"].is_string(),
            // `{error, description, details}`, or the text of a text/plain 429.
            "zendesk" => f.body["error"].is_string() || f.body.is_string(),
            other => panic!("teach this test {other}'s error envelope"),
        };
        assert!(
            envelope,
            "{} (HTTP {}) is skipped, but its body is no {} error envelope: {}",
            f.name, f.status, f.integration.name, f.body
        );
    }
}

#[test]
fn mapped_recorded_records_match_their_snapshots() {
    let mut mismatched = Vec::new();
    for f in fixtures() {
        let text = serde_json::to_string_pretty(&summary(&f)).unwrap();
        let name = f.name.replace('/', "__");
        let mut settings = insta::Settings::clone_current();
        settings.set_input_file(&f.path);
        settings.set_omit_expression(true);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_snapshot!(name, text));
        }));
        if outcome.is_err() {
            mismatched.push(f.name);
        }
    }
    assert!(
        mismatched.is_empty(),
        "snapshots differ (review with `cargo insta review`): {}",
        mismatched.join(", ")
    );
}
