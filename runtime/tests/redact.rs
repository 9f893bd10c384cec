//! Redaction (`--redact strip|mask|hash`) on the generated tool tables: unified contacts from the fake
//! HubSpot and Salesforce, HubSpot's own (proxy) contacts, and a recorded HubSpot search answer. Each
//! redacted result must validate against the redacted output schema, the one agents are shown.

use std::collections::BTreeSet;

use serde_json::{Value, json};
mod support;

use support::{account, executor, sandbox};
use switchboard_runtime::account::Account;
use switchboard_runtime::executor::Executor;
use switchboard_runtime::redact::{
    Redaction, pseudonym, redact_output_schema, redact_result, tenant_key,
};
use switchboard_runtime::table::Tool;

const MODES: [Redaction; 3] = [Redaction::Strip, Redaction::Mask, Redaction::Hash];

/// The tenant's pseudonym key, as a server would derive it from its secret.
fn acme_key() -> [u8; 32] {
    tenant_key(&[0x5a; 32], "acme")
}

/// The unified contact fields marked `pii`.
const CONTACT_PII: [&str; 5] = [
    "first_name",
    "last_name",
    "email_addresses",
    "phone_numbers",
    "addresses",
];

// ------------------------------------------------------------------------------------------------
// Helpers

fn tool(ex: &Executor, integration: &str, name: &str) -> &'static Tool {
    ex.tool(integration, name)
        .unwrap_or_else(|| panic!("{integration} has no tool {name}"))
}

async fn call(ex: &Executor, account: &Account, name: &str, args: Value) -> Value {
    match ex.call(account, name, args).await {
        Ok(success) => success.envelope,
        Err(e) => panic!("{name} failed: {e:?}"),
    }
}

/// The output schema agents see for `tool` under `mode`.
fn shown_schema(ex: &Executor, tool: &Tool, mode: Option<Redaction>) -> Value {
    let mut schema = Value::Object(ex.schemas(tool).output.as_ref().clone());
    if let Some(mode) = mode {
        redact_output_schema(tool, &mut schema, mode);
    }
    schema
}

/// Fails with every validation error, formats checked too (clients may check them).
fn assert_valid(schema: &Value, instance: &Value, what: &str) {
    if let Err(e) = jsonschema::draft202012::meta::validate(schema) {
        panic!("{what}: the schema is not a valid 2020-12 schema: {e}");
    }
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("{what}: the schema does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: the result does not validate against the schema agents see:\n{}\n{instance:#}",
        errors.join("\n")
    );
}

/// `envelope` redacted under `mode`, after checking it validates against the redacted schema.
fn redacted(
    ex: &Executor,
    tool: &Tool,
    envelope: &Value,
    mode: Redaction,
    key: &[u8; 32],
) -> Value {
    let mut out = envelope.clone();
    redact_result(tool, &mut out, mode, key);
    let schema = shown_schema(ex, tool, Some(mode));
    assert_valid(&schema, &out, &format!("{} under {mode}", tool.name));
    out
}

fn records(envelope: &Value) -> Vec<Value> {
    envelope["result"].as_array().cloned().unwrap_or_default()
}

fn first_char(s: &str) -> String {
    s.chars().next().map(String::from).unwrap_or_default()
}

fn last_four_digits(s: &str) -> String {
    let digits: Vec<char> = s.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

/// Every string in a value, however nested.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// The personal values of unified contacts: names, email addresses, phone numbers, address parts.
fn unified_personal_values(records: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for r in records {
        for field in CONTACT_PII {
            if let Some(v) = r.get(field) {
                match v {
                    Value::Array(items) => {
                        for item in items {
                            for key in ["email", "number", "street", "city", "postal_code"] {
                                if let Some(s) = item.get(key).and_then(Value::as_str) {
                                    out.push(s.to_owned());
                                }
                            }
                        }
                    }
                    other => strings(other, &mut out),
                }
            }
        }
    }
    out.retain(|s| s.chars().count() > 3);
    out
}

fn property_names(schema: &Value) -> BTreeSet<String> {
    schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

// ------------------------------------------------------------------------------------------------
// Unified contacts

#[tokio::test]
async fn unified_contacts_strip_mask_and_hash_validate_against_the_schema_agents_see() {
    let sb = sandbox().await;
    let ex = executor();
    let key = acme_key();
    for integration in ["hubspot", "salesforce"] {
        let account = account(&sb, integration);
        let list = tool(&ex, integration, "list_all_crm_contacts");
        assert!(list.mostly_pii, "{integration}: contacts are personal data");
        let page = call(&ex, &account, list.name, json!({"limit": 10})).await;
        let originals = records(&page);
        assert_eq!(originals.len(), 10, "{integration}: a full page");
        assert_valid(&shown_schema(&ex, list, None), &page, "unredacted page");
        let personal = unified_personal_values(&originals);
        assert!(
            personal.len() > 30,
            "{integration}: contacts hold personal data: {personal:?}"
        );

        // strip: the personal fields are gone, from the records and from the schema.
        let stripped = redacted(&ex, list, &page, Redaction::Strip, &key);
        assert_eq!(stripped["result_count"], page["result_count"]);
        assert_eq!(stripped["next_cursor"], page["next_cursor"]);
        for (original, record) in originals.iter().zip(records(&stripped)) {
            for field in CONTACT_PII {
                assert!(
                    record.get(field).is_none(),
                    "{integration}: {field} left in {record}"
                );
            }
            for kept in ["id", "account", "owner", "created_at", "updated_at"] {
                assert_eq!(
                    record.get(kept),
                    original.get(kept),
                    "{integration}: {kept}"
                );
            }
        }
        let shown = shown_schema(&ex, list, Some(Redaction::Strip));
        let listed = property_names(&shown["properties"]["result"]["items"]);
        for field in CONTACT_PII {
            assert!(
                !listed.contains(field),
                "{integration}: the schema still lists {field}"
            );
        }
        assert!(listed.contains("id") && listed.contains("custom_fields"));

        // mask: the same shape, the content hidden.
        let masked = redacted(&ex, list, &page, Redaction::Mask, &key);
        let text = masked.to_string();
        for value in &personal {
            assert!(
                !text.contains(&format!("\"{value}\"")),
                "{integration}: {value} shown"
            );
        }
        for (original, record) in originals.iter().zip(records(&masked)) {
            assert_eq!(record["id"], original["id"]);
            if let Some(name) = original["first_name"].as_str() {
                assert_eq!(
                    record["first_name"],
                    json!(format!("{}***", first_char(name)))
                );
            }
            let emails = original["email_addresses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(
                !emails.is_empty(),
                "{integration}: every contact has an email"
            );
            for (before, after) in emails
                .iter()
                .zip(record["email_addresses"].as_array().into_iter().flatten())
            {
                let address = before["email"].as_str().unwrap_or_default();
                let (local, domain) = address.rsplit_once('@').unwrap_or_default();
                assert_eq!(
                    after["email"],
                    json!(format!("{}***@{domain}", first_char(local)))
                );
                assert_eq!(after["is_primary"], before["is_primary"]);
            }
            for (before, after) in original["phone_numbers"]
                .as_array()
                .into_iter()
                .flatten()
                .zip(record["phone_numbers"].as_array().into_iter().flatten())
            {
                let number = before["number"].as_str().unwrap_or_default();
                let shown = after["number"].as_str().unwrap_or_default();
                assert_eq!(
                    shown.chars().count(),
                    number.chars().count(),
                    "{number} → {shown}"
                );
                assert!(
                    shown.ends_with(&last_four_digits(number)) && shown.contains('*'),
                    "{number} → {shown}"
                );
                assert_eq!(after["type"], before["type"]);
            }
        }

        // hash: stable keyed pseudonyms, nothing personal left.
        let hashed = redacted(&ex, list, &page, Redaction::Hash, &key);
        let text = hashed.to_string();
        for value in &personal {
            assert!(
                !text.contains(&format!("\"{value}\"")),
                "{integration}: {value} shown"
            );
        }
        for (original, record) in originals.iter().zip(records(&hashed)) {
            if let Some(name) = original["last_name"].as_str() {
                assert_eq!(record["last_name"], json!(pseudonym(name, &key)));
            }
            let primary = &original["email_addresses"][0]["email"];
            let pseudo = record["email_addresses"][0]["email"]
                .as_str()
                .unwrap_or_default();
            assert!(pseudo.starts_with("pii_") && pseudo.len() == 20, "{pseudo}");
            assert_eq!(
                pseudo,
                pseudonym(primary.as_str().unwrap_or_default(), &key)
            );
        }
        assert_eq!(
            hashed,
            redacted(&ex, list, &page, Redaction::Hash, &key),
            "stable"
        );
    }
}

#[tokio::test]
async fn one_unified_contact_is_redacted_in_its_single_record_envelope() {
    let sb = sandbox().await;
    let ex = executor();
    let key = acme_key();
    for integration in ["hubspot", "salesforce"] {
        let account = account(&sb, integration);
        let page = call(&ex, &account, "list_all_crm_contacts", json!({"limit": 1})).await;
        let id = page["result"][0]["id"].clone();
        let get = tool(&ex, integration, "get_single_crm_contact_by_id");
        let one = call(&ex, &account, get.name, json!({"id": id})).await;
        let email = one["result"]["email_addresses"][0]["email"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(email.contains('@'));
        for mode in MODES {
            let out = redacted(&ex, get, &one, mode, &key);
            assert_eq!(out["result"]["id"], one["result"]["id"]);
            assert!(
                !out.to_string().contains(&email),
                "{integration} {mode}: {out}"
            );
        }
        // Deleting answers {id, deleted}: nothing personal, nothing to redact.
        let delete = tool(&ex, integration, "delete_a_crm_contact_by_id");
        assert!(delete.pii.is_empty() && !delete.mostly_pii);
    }
}

#[tokio::test]
async fn hashed_contacts_match_across_crms_under_one_tenant_key_and_not_across_tenants() {
    let sb = sandbox().await;
    let ex = executor();
    let acme = acme_key();
    let globex = tenant_key(&[0x5a; 32], "globex");
    let mut emails = Vec::new();
    for (integration, key) in [
        ("hubspot", acme),
        ("salesforce", acme),
        ("salesforce", globex),
    ] {
        let account = account(&sb, integration);
        let list = tool(&ex, integration, "list_all_crm_contacts");
        let page = call(&ex, &account, list.name, json!({"limit": 25})).await;
        let hashed = redacted(&ex, list, &page, Redaction::Hash, &key);
        let primary: BTreeSet<String> = records(&hashed)
            .iter()
            .filter_map(|r| r["email_addresses"][0]["email"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(primary.len(), 25, "{integration}: one pseudonym per person");
        emails.push(primary);
    }
    // The sandbox seeds the same people into both CRMs: one tenant's agent can match them.
    assert!(
        emails[0].intersection(&emails[1]).count() > 0,
        "the same people in HubSpot and Salesforce get the same pseudonyms"
    );
    // Another tenant's key gives unrelated pseudonyms.
    assert_eq!(emails[1].intersection(&emails[2]).count(), 0);
    assert_eq!(emails[0].intersection(&emails[2]).count(), 0);
}

// ------------------------------------------------------------------------------------------------
// Proxy responses

/// HubSpot properties marked `pii` in integrations/hubspot.yaml that the sandbox serves.
const HUBSPOT_PII: [&str; 10] = [
    "firstname",
    "lastname",
    "email",
    "phone",
    "mobilephone",
    "address",
    "city",
    "state",
    "zip",
    "country",
];

#[tokio::test]
async fn hub_spot_contacts_strip_mask_and_hash_validate_against_the_schema_agents_see() {
    let sb = sandbox().await;
    let ex = executor();
    let key = acme_key();
    let account = account(&sb, "hubspot");
    let list = tool(&ex, "hubspot", "list_all_hub_spot_contacts");
    assert!(list.mostly_pii);
    let mut asked: Vec<&str> = HUBSPOT_PII.to_vec();
    asked.extend([
        "hs_additional_emails",
        "fax",
        "company",
        "jobtitle",
        "lifecyclestage",
        "favorite_color",
    ]);
    let page = call(
        &ex,
        &account,
        list.name,
        json!({"limit": 10, "properties": asked}),
    )
    .await;
    let originals = records(&page);
    assert_eq!(originals.len(), 10);
    assert_valid(&shown_schema(&ex, list, None), &page, "unredacted page");
    for record in &originals {
        for p in [
            "firstname",
            "lastname",
            "email",
            "phone",
            "address",
            "city",
            "zip",
            "country",
        ] {
            assert!(
                record["properties"][p].is_string(),
                "the sandbox serves {p}: {record}"
            );
        }
    }

    let stripped = redacted(&ex, list, &page, Redaction::Strip, &key);
    for (original, record) in originals.iter().zip(records(&stripped)) {
        for p in HUBSPOT_PII.iter().chain(&["hs_additional_emails", "fax"]) {
            assert!(
                record["properties"].get(p).is_none(),
                "{p} left in {record}"
            );
        }
        // What is not personal stays as the vendor sent it.
        for p in [
            "hs_object_id",
            "company",
            "jobtitle",
            "lifecyclestage",
            "createdate",
            "favorite_color",
        ] {
            assert_eq!(
                record["properties"].get(p),
                original["properties"].get(p),
                "{p}"
            );
        }
        assert_eq!(record["id"], original["id"]);
        assert_eq!(record["createdAt"], original["createdAt"]);
    }
    let shown = shown_schema(&ex, list, Some(Redaction::Strip));
    // The record's `properties` map, as the schema describes it.
    let bag = &shown["properties"]["result"]["items"]["properties"]["properties"];
    let listed = property_names(bag);
    for p in HUBSPOT_PII {
        assert!(!listed.contains(p), "the schema still lists {p}");
    }
    assert!(listed.contains("company") && listed.contains("hs_object_id"));
    assert!(
        !property_names(&shown["properties"]["result"]["items"]).contains("propertiesWithHistory")
    );

    let masked = redacted(&ex, list, &page, Redaction::Mask, &key);
    for (original, record) in originals.iter().zip(records(&masked)) {
        let email = original["properties"]["email"].as_str().unwrap_or_default();
        let (local, domain) = email.rsplit_once('@').unwrap_or_default();
        assert_eq!(
            record["properties"]["email"],
            json!(format!("{}***@{domain}", first_char(local)))
        );
        let phone = original["properties"]["phone"].as_str().unwrap_or_default();
        let shown = record["properties"]["phone"].as_str().unwrap_or_default();
        // `+1 415-555-0123` → `+1 ***-***-0123`: the country code, separators and last 4 digits.
        let code: String = phone.chars().take_while(|c| *c != ' ').collect();
        assert!(shown.starts_with(&format!("{code} ")), "{phone} → {shown}");
        assert!(
            shown.ends_with(&last_four_digits(phone)),
            "{phone} → {shown}"
        );
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).count();
        let hidden = shown.chars().filter(|c| *c == '*').count();
        assert_eq!(
            hidden,
            digits(phone) - digits(&code) - 4,
            "{phone} → {shown}"
        );
        let first = original["properties"]["firstname"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(
            record["properties"]["firstname"],
            json!(format!("{}***", first_char(first)))
        );
        assert_eq!(
            record["properties"]["company"],
            original["properties"]["company"]
        );
    }

    let hashed = redacted(&ex, list, &page, Redaction::Hash, &key);
    for (original, record) in originals.iter().zip(records(&hashed)) {
        for p in HUBSPOT_PII {
            match original["properties"][p].as_str() {
                Some(value) => assert_eq!(
                    record["properties"][p],
                    json!(pseudonym(value, &key)),
                    "{p}"
                ),
                None => assert_eq!(record["properties"][p], original["properties"][p], "{p}"),
            }
        }
        assert_eq!(
            record["properties"]["jobtitle"],
            original["properties"]["jobtitle"]
        );
    }
}

#[tokio::test]
async fn one_hub_spot_contact_is_redacted_in_its_single_record_envelope() {
    let sb = sandbox().await;
    let ex = executor();
    let key = acme_key();
    let account = account(&sb, "hubspot");
    let page = call(
        &ex,
        &account,
        "list_all_hub_spot_contacts",
        json!({"limit": 1}),
    )
    .await;
    let id = page["result"][0]["id"].clone();
    let get = tool(&ex, "hubspot", "get_single_hub_spot_contact_by_id");
    let one = call(
        &ex,
        &account,
        get.name,
        json!({"id": id, "properties": ["email", "phone", "company"]}),
    )
    .await;
    let email = one["result"]["properties"]["email"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(email.contains('@'));
    for mode in MODES {
        let out = redacted(&ex, get, &one, mode, &key);
        assert!(!out.to_string().contains(&email), "{mode}: {out}");
        assert_eq!(
            out["result"]["properties"]["company"],
            one["result"]["properties"]["company"]
        );
    }
}

/// HubSpot's recorded answer to a contact search (tests/fixtures/vendors, from grouparoo, MIT), with
/// the history of `email` that `propertiesWithHistory` adds.
fn recorded_search() -> Value {
    let text =
        include_str!("../../tests/fixtures/vendors/hubspot/recorded/v3.contacts.search.200.json");
    let recording: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("fixture: {e}"));
    let mut body = recording["response"]["body"].clone();
    body["results"][0]["propertiesWithHistory"] = json!({
        "email": [
            {"value": "grouparoo@demo.com", "timestamp": "2022-02-14T21:36:07.649Z", "sourceType": "API", "sourceId": "sample-contact"},
            {"value": "old.address@demo.com", "timestamp": "2021-01-01T00:00:00.000Z", "sourceType": "CRM_UI"},
        ],
    });
    json!({"result": body})
}

#[test]
fn a_recorded_hub_spot_search_answer_is_redacted_where_it_holds_the_records() {
    let ex = executor();
    let key = acme_key();
    let search = tool(&ex, "hubspot", "search_hub_spot_contacts");
    // Search answers one object, {total, results, paging}: the marks are paths into it.
    assert!(search.pii.contains(&"/results/*/properties/email"));
    let envelope = recorded_search();
    assert_valid(
        &shown_schema(&ex, search, None),
        &envelope,
        "recorded search",
    );

    let stripped = redacted(&ex, search, &envelope, Redaction::Strip, &key);
    let record = &stripped["result"]["results"][0];
    assert_eq!(stripped["result"]["total"], json!(1));
    assert!(record["properties"].get("email").is_none());
    assert!(record["properties"].get("firstname").is_none());
    assert!(record.get("propertiesWithHistory").is_none());
    assert_eq!(record["properties"]["hs_object_id"], json!("286101"));
    // A custom property is not known to be personal: it stays.
    assert!(record["properties"].get("text_field").is_some());

    let masked = redacted(&ex, search, &envelope, Redaction::Mask, &key);
    let record = &masked["result"]["results"][0];
    assert_eq!(record["properties"]["email"], json!("g***@demo.com"));
    assert_eq!(record["properties"]["firstname"], json!("J***"));
    // null stays null.
    assert_eq!(record["properties"]["lastname"], Value::Null);
    assert_eq!(
        record["propertiesWithHistory"]["email"][1]["value"],
        json!("o***@demo.com")
    );
    assert!(!masked.to_string().contains("grouparoo@"));

    let hashed = redacted(&ex, search, &envelope, Redaction::Hash, &key);
    let record = &hashed["result"]["results"][0];
    let pseudo = pseudonym("grouparoo@demo.com", &key);
    assert_eq!(record["properties"]["email"], json!(pseudo));
    // The history's current value is the same address: the same pseudonym.
    assert_eq!(
        record["propertiesWithHistory"]["email"][0]["value"],
        json!(pseudo)
    );
    assert_eq!(record["id"], json!("286101"));
}

// ------------------------------------------------------------------------------------------------
// Every table

/// The record schema inside an output schema: the list envelope's items, or `result`.
fn record_schema(tool: &Tool, output: &Value) -> Value {
    if tool.pagination.is_some() {
        output["properties"]["result"]["items"].clone()
    } else {
        output["properties"]["result"].clone()
    }
}

/// The paths of every schema marked `x-pii` below `schema`, as `Tool::pii` writes them.
fn x_pii_paths(schema: &Value, path: &str, out: &mut BTreeSet<String>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if map.get("x-pii") == Some(&json!(true)) {
        out.insert(path.to_owned());
    }
    if let Some(items) = map.get("items") {
        x_pii_paths(items, &format!("{path}/*"), out);
    }
    if let Some(extra) = map.get("additionalProperties") {
        x_pii_paths(extra, &format!("{path}/*"), out);
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        for (key, child) in props {
            let token = key.replace('~', "~0").replace('/', "~1");
            x_pii_paths(child, &format!("{path}/{token}"), out);
        }
    }
}

/// Every schema below `schema` (itself included) that is marked `x-pii` and holds no marked schema.
fn innermost_marked<'a>(schema: &'a Value, out: &mut Vec<&'a Value>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    let before = out.len();
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get(key) {
            innermost_marked(child, out);
        }
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        for child in props.values() {
            innermost_marked(child, out);
        }
    }
    if out.len() == before && map.get("x-pii") == Some(&json!(true)) {
        out.push(schema);
    }
}

/// The schemas of the values inside `schema` that are not objects or arrays (itself, if it is one).
fn leaves<'a>(schema: &'a Value, out: &mut Vec<&'a Value>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    let mut container = false;
    for key in ["items", "additionalProperties"] {
        if let Some(child @ Value::Object(_)) = map.get(key) {
            container = true;
            leaves(child, out);
        }
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        container = true;
        props.values().for_each(|child| leaves(child, out));
    }
    if !container {
        out.push(schema);
    }
}

#[test]
fn every_tool_lists_exactly_the_fields_its_output_schema_marks_personal() {
    let ex = executor();
    let mut marked = 0;
    for tool in ex.tools() {
        let output = shown_schema(&ex, tool, None);
        let mut paths = BTreeSet::new();
        x_pii_paths(&record_schema(tool, &output), "", &mut paths);
        let listed: BTreeSet<String> = tool.pii.iter().map(|p| (*p).to_owned()).collect();
        assert_eq!(listed, paths, "{} {}", tool.integration, tool.name);
        assert!(
            tool.pii.windows(2).all(|w| w[0] < w[1]),
            "{}: sorted",
            tool.name
        );
        marked += usize::from(!tool.pii.is_empty());
    }
    assert!(marked >= 20, "only {marked} tools carry marks");
}

#[test]
fn every_redacted_output_schema_is_valid_and_shows_no_personal_field_as_it_was() {
    let ex = executor();
    for tool in ex.tools().filter(|t| !t.pii.is_empty()) {
        for mode in MODES {
            let schema = shown_schema(&ex, tool, Some(mode));
            let what = format!("{} {} under {mode}", tool.integration, tool.name);
            if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
                panic!("{what}: {e}");
            }
            let record = record_schema(tool, &schema);
            let mut left = Vec::new();
            innermost_marked(&record, &mut left);
            match mode {
                Redaction::Strip => assert!(left.is_empty(), "{what}: still lists {left:?}"),
                Redaction::Mask | Redaction::Hash => {
                    assert!(!left.is_empty(), "{what}");
                    for marked in left {
                        // The marked value, or every value inside a marked object or array.
                        let mut values = Vec::new();
                        leaves(marked, &mut values);
                        assert!(!values.is_empty(), "{what}: {marked}");
                        for s in values {
                            let ty = &s["type"];
                            // A free-form object or array (no members documented) keeps its type:
                            // every value inside is rewritten, and its description says so.
                            let free_form = [json!("object"), json!("array")]
                                .iter()
                                .any(|t| ty == t || ty.as_array().is_some_and(|a| a.contains(t)))
                                && s["description"]
                                    .as_str()
                                    .is_some_and(|d| d.contains("for privacy"));
                            assert!(
                                free_form
                                    || *ty == json!("string")
                                    || *ty == json!(["string", "null"]),
                                "{what}: {s}"
                            );
                            assert!(
                                s.get("format").is_none() && s.get("enum").is_none(),
                                "{what}: {s}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn personal_data_tools_are_the_contact_and_user_tools() {
    let ex = executor();
    let personal: BTreeSet<(&str, &str)> = ex
        .tools()
        .filter(|t| t.mostly_pii)
        .map(|t| (t.integration, t.resource))
        .collect();
    assert_eq!(
        personal,
        BTreeSet::from([
            ("hubspot", "contacts"),
            ("hubspot", "owners"),
            ("pipedrive", "persons"),
            ("pipedrive", "users"),
            ("salesforce", "contacts"),
            ("salesforce", "users"),
            ("zendesk", "users"),
        ])
    );
    for t in ex.tools() {
        assert!(
            !t.mostly_pii || !t.pii.is_empty(),
            "{}: mostly personal without marks",
            t.name
        );
    }
    for name in [
        "list_all_crm_contacts",
        "get_single_crm_owner_by_id",
        "list_all_hub_spot_contacts",
        "search_hub_spot_contacts",
    ] {
        for t in ex.tools().filter(|t| t.name == name) {
            assert!(t.mostly_pii, "{} {name}", t.integration);
        }
    }
    // Salesforce answers a contact create with {id, success, errors}: nothing personal.
    let create = tool(&ex, "salesforce", "create_a_salesforce_contact");
    assert!(create.pii.is_empty() && !create.mostly_pii);
}
