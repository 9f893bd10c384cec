//! Unified tools end to end: `list_all_crm_contacts` and friends served for a HubSpot and a Salesforce
//! account of the same sandbox, every result checked against the unified JSON Schemas.

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;

use reqwest::Client;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::{Value, json};
use support::{Harness, Options};
use switchboard_runtime::filter::{ToolFilter, ToolKind};
use switchboard_runtime::table::{MethodKind, Tool};
use switchboard_vault::NewServer;

/// A compiled validator for a generated schema file (workspace-relative path).
fn validator(path: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The unified tools of one integration, sorted by name.
fn unified_tools(integration: &str) -> Vec<&'static Tool> {
    let mut tools: Vec<&'static Tool> = switchboard_generated::INTEGRATIONS
        .iter()
        .find(|i| i.name == integration)
        .unwrap()
        .tools
        .iter()
        .filter(|t| t.is_unified())
        .collect();
    tools.sort_by_key(|t| t.name);
    tools
}

/// The output schema of a unified contact tool, from its generated file.
fn output_validator(tool: &str) -> jsonschema::Validator {
    model_output_validator("crm.contact", tool)
}

/// The output schema of a unified tool of `model`, from its generated file.
fn model_output_validator(model: &str, tool: &str) -> jsonschema::Validator {
    let path = format!(
        "generated/schemas/unified/{}/{tool}.json",
        model.replace('.', "/")
    );
    let text =
        std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft202012::new(&file["outputSchema"]).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, value: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{value:#}");
}

async fn rest(
    http: &Client,
    harness: &Harness,
    token: &str,
    tool: &str,
    args: Value,
) -> (u16, Value) {
    let response = http
        .post(harness.rest_url(token, tool))
        .json(&args)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// `count` contacts through `list_all_crm_contacts`, following `next_cursor`; every page checked
/// against the tool's output schema and every record against the unified contact schema.
async fn list_contacts(harness: &Harness, token: &str, count: usize) -> Vec<Value> {
    let (page_schema, record_schema) = (
        output_validator("list_all_crm_contacts"),
        validator("generated/schemas/unified/crm/contact.json"),
    );
    // Over MCP, as an agent calls it: the official Rust SDK's client on Streamable HTTP.
    let client = ClientConfig::default()
        .serve(StreamableHttpClientTransport::from_uri(
            harness.mcp_url(token),
        ))
        .await
        .unwrap();
    let mut records = Vec::new();
    let mut cursor = Value::Null;
    while records.len() < count {
        let mut args = json!({"limit": 40});
        if !cursor.is_null() {
            args["next_cursor"] = cursor.clone();
        }
        let Value::Object(args) = args else {
            unreachable!("an object literal")
        };
        let result = client
            .call_tool(CallToolRequestParams::new("list_all_crm_contacts").with_arguments(args))
            .await
            .unwrap();
        assert_ne!(result.is_error, Some(true), "{result:?}");
        let page = result.structured_content.clone().unwrap();
        assert_valid(&page_schema, &page);
        for record in page["result"].as_array().unwrap() {
            assert_valid(&record_schema, record);
            records.push(record.clone());
        }
        cursor = page["next_cursor"].clone();
        assert!(cursor.is_string(), "ran out of pages at {}", records.len());
    }
    client.cancel().await.unwrap();
    records.truncate(count);
    records
}

/// The record without what legitimately differs between two CRMs holding the same person: their ids
/// (its own, and the ids it points to) and timestamps.
fn without_ids_and_timestamps(record: &Value) -> Value {
    let mut record = record.clone();
    let object = record.as_object_mut().unwrap();
    for key in ["id", "created_at", "updated_at"] {
        object.remove(key);
    }
    for reference in ["account", "owner"] {
        if let Some(r) = object.get_mut(reference) {
            r["id"] = json!("<id>");
        }
    }
    record
}

fn primary_email(record: &Value) -> String {
    record["email_addresses"]
        .as_array()
        .and_then(|emails| emails.iter().find(|e| e["is_primary"] == true))
        .and_then(|e| e["email"].as_str())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_same_person_comes_back_as_the_same_canonical_contact_from_hubspot_and_salesforce() {
    let harness = Harness::start(Options::default()).await;
    let hubspot = list_contacts(&harness, &harness.write_token, 100).await;
    let salesforce = list_contacts(&harness, &harness.salesforce_token, 100).await;
    // Ids differ between the CRMs (HubSpot's numeric strings, Salesforce's 18-character ids).
    assert!(
        hubspot[0]["id"]
            .as_str()
            .unwrap()
            .bytes()
            .all(|b| b.is_ascii_digit())
    );
    assert!(salesforce[0]["id"].as_str().unwrap().starts_with("003"));

    let by_email: BTreeMap<String, &Value> =
        salesforce.iter().map(|r| (primary_email(r), r)).collect();
    let mut identical = 0;
    let mut paired = 0;
    for h in &hubspot {
        let Some(s) = by_email.get(&primary_email(h)) else {
            continue;
        };
        paired += 1;
        let (h, s) = (without_ids_and_timestamps(h), without_ids_and_timestamps(s));
        if h == s {
            identical += 1;
            continue;
        }
        // Otherwise the CRMs hold different data about the person, and only where one CRM has a field
        // the other lacks: HubSpot's additional emails, Salesforce's home, other and assistant phones.
        let mut h_only_primary = h.clone();
        h_only_primary["email_addresses"] = json!(
            h["email_addresses"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["is_primary"] == true)
                .collect::<Vec<_>>()
        );
        let mut s_common_phones = s.clone();
        s_common_phones["phone_numbers"] = json!(
            s["phone_numbers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| ["work", "mobile", "fax"].contains(&p["type"].as_str().unwrap()))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            h_only_primary, s_common_phones,
            "\nHubSpot:    {h}\nSalesforce: {s}"
        );
    }
    assert_eq!(paired, 100, "every sandbox person is in both CRMs");
    eprintln!("{identical} of {paired} people map to identical canonical contacts");
    // People with one email and no home, other or assistant phone: about a third of the sandbox.
    assert!(identical >= 25, "only {identical} of 100 identical");
}

#[tokio::test]
async fn create_get_update_delete_round_trip_through_both_crms() {
    let harness = Harness::start(Options::default()).await;
    let http = Client::new();
    let record_schema = validator("generated/schemas/unified/crm/contact.json");
    let input = json!({
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email_addresses": [{"email": "ada@analytical.example", "is_primary": true}],
        "phone_numbers": [
            {"number": "+44 20 7946 0001", "type": "work"},
            {"number": "+44 7700 900001", "type": "mobile"}
        ],
        "addresses": [{"street": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "United Kingdom"}]
    });
    for token in [&harness.write_token, &harness.salesforce_token] {
        let (status, created) = rest(
            &http,
            &harness,
            token,
            "create_a_crm_contact",
            input.clone(),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        assert_valid(&output_validator("create_a_crm_contact"), &created);
        let record = &created["result"];
        assert_valid(&record_schema, record);
        let id = record["id"].as_str().unwrap().to_owned();
        for field in [
            "first_name",
            "last_name",
            "email_addresses",
            "phone_numbers",
            "addresses",
        ] {
            assert_eq!(record[field], input[field], "{field} in {record}");
        }

        let (status, got) = rest(
            &http,
            &harness,
            token,
            "get_single_crm_contact_by_id",
            json!({"id": id}),
        )
        .await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(
            without_ids_and_timestamps(&got["result"]),
            without_ids_and_timestamps(record)
        );

        let (status, updated) = rest(
            &http,
            &harness,
            token,
            "update_a_crm_contact_by_id",
            json!({"id": id, "last_name": "King", "phone_numbers": [{"number": "+44 20 7946 0002", "type": "work"}]}),
        )
        .await;
        assert_eq!(status, 200, "{updated}");
        assert_valid(&output_validator("update_a_crm_contact_by_id"), &updated);
        assert_eq!(updated["result"]["id"], json!(id));
        assert_eq!(updated["result"]["last_name"], "King");
        assert_eq!(
            updated["result"]["first_name"], "Ada",
            "untouched fields keep their values"
        );
        // The work number changed; the mobile number, not sent, is kept.
        assert_eq!(
            updated["result"]["phone_numbers"],
            json!([{"number": "+44 20 7946 0002", "type": "work"}, {"number": "+44 7700 900001", "type": "mobile"}])
        );

        let (status, deleted) = rest(
            &http,
            &harness,
            token,
            "delete_a_crm_contact_by_id",
            json!({"id": id}),
        )
        .await;
        assert_eq!(status, 200, "{deleted}");
        assert_valid(&output_validator("delete_a_crm_contact_by_id"), &deleted);
        assert_eq!(deleted["result"], json!({"id": id, "deleted": true}));
        let (status, gone) = rest(
            &http,
            &harness,
            token,
            "get_single_crm_contact_by_id",
            json!({"id": id}),
        )
        .await;
        assert_eq!(status, 404, "{gone}");
    }
}

#[tokio::test]
async fn unified_input_is_validated_and_vendor_errors_come_back() {
    let harness = Harness::start(Options::default()).await;
    let http = Client::new();
    // A wrong type is refused before any request, naming the pointer.
    let before = harness.upstream_requests();
    let (status, body) = rest(
        &http,
        &harness,
        &harness.write_token,
        "create_a_crm_contact",
        json!({"first_name": "Ada", "phone_numbers": [{"number": "1", "type": "pager"}]}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["pointer"], "/phone_numbers/0/type", "{body}");
    // Read-only fields are not input.
    let (status, body) = rest(
        &http,
        &harness,
        &harness.write_token,
        "create_a_crm_contact",
        json!({"id": "1"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = rest(
        &http,
        &harness,
        &harness.write_token,
        "update_a_crm_contact_by_id",
        json!({"id": "1"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(harness.upstream_requests(), before, "nothing was sent");
    // Salesforce requires a last name: its own error comes back normalized.
    let (status, body) = rest(
        &http,
        &harness,
        &harness.salesforce_token,
        "create_a_crm_contact",
        json!({"first_name": "Ada"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "upstream_error", "{body}");
    assert_eq!(
        body["error"]["vendor_code"], "REQUIRED_FIELD_MISSING",
        "{body}"
    );
}

#[tokio::test]
async fn servers_choose_tool_kinds() {
    let harness = Harness::start(Options::default()).await;
    let http = Client::new();
    let (_, unified_only) = harness
        .store()
        .create_server(NewServer {
            name: "hubspot-unified".into(),
            bindings: vec![switchboard_vault::ServerBinding::shared(
                "hubspot",
                "acme-hubspot",
            )],
            filter: ToolFilter {
                kinds: Some([ToolKind::Unified].into()),
                ..ToolFilter::default()
            },
            expires_at: None,
            require_api_token: false,
            options: Default::default(),
        })
        .unwrap();
    let names = |tools: &Value| -> Vec<String> {
        tools["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let listed: Value = http
        .get(format!("{}/mcp/{unified_only}/tools", harness.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Exactly the unified tools of the account's integration.
    let expected: Vec<String> = unified_tools("hubspot")
        .iter()
        .map(|t| t.name.to_owned())
        .collect();
    assert_eq!(names(&listed), expected);
    for name in [
        "create_a_crm_contact",
        "delete_a_crm_contact_by_id",
        "get_single_crm_contact_by_id",
        "list_all_crm_contacts",
        "update_a_crm_contact_by_id",
        "list_all_crm_companies",
        "list_all_crm_deals",
        "list_all_crm_owners",
    ] {
        assert!(expected.iter().any(|n| n == name), "{name}");
    }
    let (status, _) = rest(
        &http,
        &harness,
        &unified_only,
        "list_all_hub_spot_contacts",
        json!({}),
    )
    .await;
    assert_eq!(status, 404, "proxy tools are hidden and refused");
    // The default exposes both kinds.
    let both: Value = http
        .get(format!(
            "{}/mcp/{}/tools",
            harness.base, harness.write_token
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let both = names(&both);
    assert!(both.contains(&"list_all_crm_contacts".to_owned()));
    assert!(both.contains(&"list_all_hub_spot_contacts".to_owned()));
    // The read-only server gets the unified read tools and no unified write tools.
    let read: Value = http
        .get(format!("{}/mcp/{}/tools", harness.base, harness.read_token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let read = names(&read);
    assert!(read.contains(&"get_single_crm_contact_by_id".to_owned()));
    assert!(!read.contains(&"create_a_crm_contact".to_owned()));
}

/// What creating one record of `model` takes on `integration`: every field an agent would give,
/// with the vendor's own stage values (the unified `stage` is the CRM's raw stage).
fn create_input(integration: &str, model: &str) -> Value {
    match model {
        "crm.contact" => json!({
            "first_name": "Grace",
            "last_name": "Hopper",
            "email_addresses": [{"email": "grace@navy.example", "is_primary": true}],
            "phone_numbers": [{"number": "+1 202 555 0142", "type": "work"}]
        }),
        "crm.company" => json!({
            "name": "Analytical Engines Ltd",
            "domain": "analytical.example",
            "phone_numbers": [{"number": "+44 20 7946 0100", "type": "work"}],
            "addresses": [{"street": "1 Babbage Row", "city": "London", "postal_code": "NW1 6XE", "country": "United Kingdom"}]
        }),
        "crm.deal" => json!({
            "name": "Difference engine No. 2",
            "amount": 1500,
            "close_date": "2026-12-31",
            "stage": if integration == "hubspot" { "appointmentscheduled" } else { "Prospecting" }
        }),
        other => panic!("no create input for {other}"),
    }
}

/// The record without what two reads of it may legitimately differ in: lists may leave out the
/// custom fields a get returns.
fn without_custom_fields(record: &Value) -> Value {
    let mut record = record.clone();
    record.as_object_mut().unwrap().remove("custom_fields");
    record
}

#[tokio::test]
async fn every_unified_tool_of_every_integration_runs_against_the_sandbox() {
    let harness = Harness::start(Options::default()).await;
    let http = Client::new();
    let mut called = Vec::new();
    for (integration, token) in [
        ("hubspot", &harness.write_token),
        ("salesforce", &harness.salesforce_token),
    ] {
        let tools = unified_tools(integration);
        let mut models: Vec<&str> = tools
            .iter()
            .map(|t| t.unified.as_ref().unwrap().model)
            .collect();
        models.dedup();
        models.sort_unstable();
        models.dedup();
        assert_eq!(
            models,
            ["crm.company", "crm.contact", "crm.deal", "crm.owner"],
            "{integration} maps every CRM model"
        );
        for model in models {
            let record_schema = validator(&format!(
                "generated/schemas/unified/{}.json",
                model.replace('.', "/")
            ));
            let tool = |kind: MethodKind| {
                tools
                    .iter()
                    .find(|t| t.unified.as_ref().unwrap().model == model && t.kind == kind)
                    .map(|t| t.name)
            };
            let mut call = async |kind: MethodKind, args: Value| -> Option<(u16, Value)> {
                let name = tool(kind)?;
                let (status, body) = rest(&http, &harness, token, name, args).await;
                if status == 200 {
                    assert_valid(&model_output_validator(model, name), &body);
                }
                called.push(format!("{integration}/{name}"));
                Some((status, body))
            };
            let context = format!("{integration} {model}");

            let (status, page) = call(MethodKind::List, json!({"limit": 3})).await.unwrap();
            assert_eq!(status, 200, "{context}: {page}");
            let listed = page["result"].as_array().unwrap();
            assert_eq!(listed.len(), 3, "{context}");
            for record in listed {
                assert_valid(&record_schema, record);
            }
            let first = &listed[0];
            let id = first["id"].as_str().unwrap().to_owned();

            let (status, got) = call(MethodKind::Get, json!({"id": id})).await.unwrap();
            assert_eq!(status, 200, "{context}: {got}");
            assert_valid(&record_schema, &got["result"]);
            assert_eq!(
                without_custom_fields(&got["result"]),
                without_custom_fields(first),
                "{context}: get and list agree"
            );

            let Some(_) = tool(MethodKind::Create) else {
                assert_eq!(model, "crm.owner", "{context}: only owners are read-only");
                continue;
            };
            let input = create_input(integration, model);
            let (status, created) = call(MethodKind::Create, input.clone()).await.unwrap();
            assert_eq!(status, 200, "{context}: {created}");
            let record = &created["result"];
            assert_valid(&record_schema, record);
            // What the CRM stored is what was given, in the canonical shape.
            for (field, value) in input.as_object().unwrap() {
                assert_eq!(&record[field], value, "{context}: {field} in {record}");
            }
            let new_id = record["id"].as_str().unwrap().to_owned();

            // Rename it: one field changed, the rest kept.
            let field = if model == "crm.contact" {
                "last_name"
            } else {
                "name"
            };
            let changed = json!(format!("{} (renamed)", input[field].as_str().unwrap()));
            let (status, updated) = call(MethodKind::Update, json!({"id": new_id, field: changed}))
                .await
                .unwrap();
            assert_eq!(status, 200, "{context}: {updated}");
            assert_eq!(updated["result"][field], changed, "{context}");
            assert_eq!(updated["result"]["id"], json!(new_id), "{context}");
            for (kept, value) in input.as_object().unwrap() {
                if kept != field {
                    assert_eq!(&updated["result"][kept], value, "{context}: {kept} kept");
                }
            }

            let (status, deleted) = call(MethodKind::Delete, json!({"id": new_id}))
                .await
                .unwrap();
            assert_eq!(status, 200, "{context}: {deleted}");
            assert_eq!(deleted["result"], json!({"id": new_id, "deleted": true}));
            let (status, _) = call(MethodKind::Get, json!({"id": new_id})).await.unwrap();
            assert_eq!(status, 404, "{context}: deleted records are gone");
        }
    }
    // Every unified tool of both integrations was called.
    let mut all: Vec<String> = ["hubspot", "salesforce"]
        .iter()
        .flat_map(|i| {
            unified_tools(i)
                .into_iter()
                .map(move |t| format!("{i}/{}", t.name))
        })
        .collect();
    all.sort();
    called.sort();
    called.dedup();
    assert_eq!(called, all);
}
