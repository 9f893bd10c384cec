//! Unified tools end to end: `list_all_crm_contacts` and friends served for a HubSpot, a Salesforce and
//! a Pipedrive account of the same sandbox, and `list_all_ticketing_tickets` and friends for a Zendesk
//! account, every result checked against the unified JSON Schemas.

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
use switchboard_runtime::account::Credential;
use switchboard_runtime::filter::{ToolFilter, ToolKind};
use switchboard_runtime::table::{MethodKind, Tool};
use switchboard_vault::{NewAccount, NewServer};

/// A read-write server on a Pipedrive account of the harness's sandbox (which serves Pipedrive on the
/// same origin, with the same people), its api token sent as the `api_token` query parameter.
fn pipedrive_token(harness: &Harness) -> String {
    let store = harness.store();
    let sandbox = store
        .account("acme-hubspot")
        .unwrap()
        .and_then(|a| a.base_url)
        .unwrap();
    store
        .add_account(
            NewAccount {
                id: "acme-pipedrive".into(),
                integration: "pipedrive".into(),
                base_url: Some(sandbox),
                credential: Credential::ApiKey(switchboard_sandbox::DEFAULT_API_TOKEN.into()),
                granted_scopes: None,
                user: None,
                oauth: None,
            },
            switchboard_generated::INTEGRATIONS,
        )
        .unwrap();
    let (_, token) = store
        .create_server(NewServer {
            name: "pipedrive-writer".into(),
            bindings: vec![switchboard_vault::ServerBinding::shared(
                "pipedrive",
                "acme-pipedrive",
            )],
            filter: ToolFilter::default(),
            expires_at: None,
            require_api_token: false,
            options: Default::default(),
        })
        .unwrap();
    token
}

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
async fn create_get_update_delete_round_trip_through_every_crm() {
    let harness = Harness::start(Options::default()).await;
    let pipedrive = pipedrive_token(&harness);
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
    for (vendor, token) in [
        ("hubspot", &harness.write_token),
        ("salesforce", &harness.salesforce_token),
        ("pipedrive", &pipedrive),
    ] {
        let (status, created) = rest(
            &http,
            &harness,
            token,
            "create_a_crm_contact",
            input.clone(),
        )
        .await;
        assert_eq!(status, 200, "{vendor}: {created}");
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
            if vendor == "pipedrive" && field == "addresses" {
                // Pipedrive persons have no postal address (only custom address fields).
                assert_eq!(record.get(field), None, "{record}");
                continue;
            }
            assert_eq!(record[field], input[field], "{vendor}: {field} in {record}");
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
        // The work number changed; the mobile number, not sent, is kept (Pipedrive, which keeps one
        // list of phones, is sent the stored numbers of the other kinds with the new one).
        assert_eq!(
            updated["result"]["phone_numbers"],
            json!([{"number": "+44 20 7946 0002", "type": "work"}, {"number": "+44 7700 900001", "type": "mobile"}]),
            "{vendor}"
        );
        assert_eq!(
            updated["result"]["email_addresses"], input["email_addresses"],
            "{vendor}: emails not sent are kept"
        );
        if vendor == "pipedrive" {
            // Pipedrive's one `name` keeps the first name the update did not give: the update map
            // read the stored person (`current`) and composed the whole name.
            let (status, person) = rest(
                &http,
                &harness,
                token,
                "get_single_pipedrive_person_by_id",
                json!({"id": id}),
            )
            .await;
            assert_eq!(status, 200, "{person}");
            assert_eq!(person["result"]["data"]["name"], "Ada King", "{person}");
        }

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
        if vendor == "pipedrive" {
            // Pipedrive marks a deleted person deleted (active_flag false), keeps it readable by id for
            // 30 days, and leaves it out of lists at once.
            let (status, gone) = rest(
                &http,
                &harness,
                token,
                "get_single_pipedrive_person_by_id",
                json!({"id": id}),
            )
            .await;
            assert_eq!(status, 200, "{gone}");
            assert_eq!(gone["result"]["data"]["active_flag"], false, "{gone}");
            continue;
        }
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
        // Pipedrive organizations have a name, an owner, one address (as one line, which Pipedrive
        // parses; the sandbox keeps it whole) and custom fields: no domain, industry or phones.
        "crm.company" if integration == "pipedrive" => json!({
            "name": "Analytical Engines Ltd",
            "addresses": [{"street": "1 Babbage Row, London NW1 6XE, United Kingdom"}]
        }),
        "crm.company" => json!({
            "name": "Analytical Engines Ltd",
            "domain": "analytical.example",
            "phone_numbers": [{"number": "+44 20 7946 0100", "type": "work"}],
            "addresses": [{"street": "1 Babbage Row", "city": "London", "postal_code": "NW1 6XE", "country": "United Kingdom"}]
        }),
        // A Pipedrive deal's stage is its stage id, and it must be with a person or an organization.
        "crm.deal" if integration == "pipedrive" => json!({
            "name": "Difference engine No. 2",
            "amount": 1500,
            "currency": "GBP",
            "close_date": "2026-12-31",
            "stage": "2",
            "account": {"id": "1"}
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
    let pipedrive = pipedrive_token(&harness);
    let http = Client::new();
    let mut called = Vec::new();
    for (integration, token) in [
        ("hubspot", &harness.write_token),
        ("salesforce", &harness.salesforce_token),
        ("pipedrive", &pipedrive),
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
            let (status, gone) = call(MethodKind::Get, json!({"id": new_id})).await.unwrap();
            if integration == "pipedrive" {
                // Pipedrive marks a deleted record deleted and keeps it readable by id for 30 days.
                assert_eq!(status, 200, "{context}: {gone}");
            } else {
                assert_eq!(status, 404, "{context}: deleted records are gone");
            }
        }
    }
    // Every unified tool of every integration was called.
    let mut all: Vec<String> = ["hubspot", "salesforce", "pipedrive"]
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

/// Person 0 of the sandbox, read through `list_all_crm_contacts` from each CRM.
async fn person_0(harness: &Harness, http: &Client, token: &str) -> Value {
    let (status, page) = rest(
        http,
        harness,
        token,
        "list_all_crm_contacts",
        json!({"limit": 1}),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_valid(&output_validator("list_all_crm_contacts"), &page);
    page["result"][0].clone()
}

#[tokio::test]
async fn person_0_is_the_same_canonical_contact_in_hubspot_salesforce_and_pipedrive() {
    let harness = Harness::start(Options::default()).await;
    let pipedrive = pipedrive_token(&harness);
    let http = Client::new();
    let hubspot = person_0(&harness, &http, &harness.write_token).await;
    let salesforce = person_0(&harness, &http, &harness.salesforce_token).await;
    let pipedrive = person_0(&harness, &http, &pipedrive).await;
    // Each CRM's own ids: HubSpot's numeric strings, Salesforce's 18 characters, Pipedrive's integers.
    assert!(salesforce["id"].as_str().unwrap().starts_with("003"));
    assert_eq!(pipedrive["id"], "1");
    // Timestamps are RFC 3339 UTC whatever the vendor wrote (Pipedrive: "2021-01-04 09:00:00").
    for record in [&hubspot, &salesforce, &pipedrive] {
        let created = record["created_at"].as_str().unwrap();
        assert!(created.ends_with('Z'), "{created}");
    }
    // Apart from ids, timestamps and the CRMs' own custom fields, the three agree on what all three
    // hold: names, the primary email, the work and mobile phones, the account and the owner (by id).
    // Beyond that, each holds what it has a place for: HubSpot a fax, Salesforce home, other, fax and
    // assistant phones, Pipedrive home and other phones and no postal address on persons.
    let common = |record: &Value| {
        let mut record = without_ids_and_timestamps(record);
        let object = record.as_object_mut().unwrap();
        object.remove("custom_fields");
        object.remove("addresses");
        let phones: Vec<Value> = object["phone_numbers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| ["work", "mobile"].contains(&p["type"].as_str().unwrap()))
            .cloned()
            .collect();
        object.insert("phone_numbers".into(), Value::Array(phones));
        record
    };
    assert_eq!(
        common(&pipedrive),
        common(&hubspot),
        "\nPipedrive: {pipedrive}\nHubSpot:   {hubspot}"
    );
    assert_eq!(
        common(&pipedrive),
        common(&salesforce),
        "\nPipedrive: {pipedrive}\nSalesforce: {salesforce}"
    );
    // Every Pipedrive phone is one Salesforce holds, of the same kind.
    for phone in pipedrive["phone_numbers"].as_array().unwrap() {
        assert!(
            salesforce["phone_numbers"]
                .as_array()
                .unwrap()
                .contains(phone),
            "{phone} not in {salesforce}"
        );
    }
    // The Pipedrive person's custom fields come through by their 40-character keys.
    let custom = pipedrive["custom_fields"].as_object().unwrap();
    assert!(!custom.is_empty(), "{pipedrive}");
    assert!(
        custom
            .keys()
            .all(|k| k.len() == 40 && k.bytes().all(|b| b.is_ascii_hexdigit())),
        "{pipedrive}"
    );
}

#[tokio::test]
async fn pipedrive_custom_fields_go_through_the_unified_tools() {
    let harness = Harness::start(Options::default()).await;
    let token = pipedrive_token(&harness);
    let http = Client::new();
    let (status, got) = rest(
        &http,
        &harness,
        &token,
        "get_single_crm_contact_by_id",
        json!({"id": "1"}),
    )
    .await;
    assert_eq!(status, 200, "{got}");
    // A text field (Pipedrive checks a value against its field's type: a number field refuses text).
    let key = got["result"]["custom_fields"]
        .as_object()
        .and_then(|fields| {
            fields
                .iter()
                .find(|(_, v)| v.as_str().is_some_and(|v| v.parse::<f64>().is_err()))
                .map(|(k, _)| k.clone())
        })
        .unwrap_or_else(|| panic!("person 1 has no text custom field: {got}"));

    // Written through `custom_fields`, by its key, next to a canonical field.
    let (status, updated) = rest(
        &http,
        &harness,
        &token,
        "update_a_crm_contact_by_id",
        json!({"id": "1", "custom_fields": {&key: "Violet"}, "first_name": "Olivia"}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_valid(&output_validator("update_a_crm_contact_by_id"), &updated);
    assert_eq!(
        updated["result"]["custom_fields"][&key], "Violet",
        "{updated}"
    );

    let (status, read) = rest(
        &http,
        &harness,
        &token,
        "get_single_crm_contact_by_id",
        json!({"id": "1"}),
    )
    .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["result"]["custom_fields"][&key], "Violet", "{read}");
    // The rest of the person is as it was.
    let mut before = got["result"].clone();
    let mut after = read["result"].clone();
    for record in [&mut before, &mut after] {
        let object = record.as_object_mut().unwrap();
        object.remove("custom_fields");
        object.remove("updated_at");
    }
    assert_eq!(after, before);

    // The proxy tool shows the same value at the top level of the Pipedrive record.
    let (status, proxy) = rest(
        &http,
        &harness,
        &token,
        "get_single_pipedrive_person_by_id",
        json!({"id": 1}),
    )
    .await;
    assert_eq!(status, 200, "{proxy}");
    assert_eq!(proxy["result"]["data"][&key], "Violet", "{proxy}");
}

// ------------------------------------------------------------------------------------------------
// Ticketing: Zendesk

/// A read-write server on a Zendesk account of the harness's sandbox (which serves Zendesk's
/// `/api/v2` on the same origin), with an API token: Basic, `{email}/token` as the user name.
fn zendesk_token(harness: &Harness) -> String {
    let store = harness.store();
    let sandbox = store
        .account("acme-hubspot")
        .unwrap()
        .and_then(|a| a.base_url)
        .unwrap();
    store
        .add_account(
            NewAccount {
                id: "acme-zendesk".into(),
                integration: "zendesk".into(),
                base_url: Some(sandbox),
                credential: Credential::Basic {
                    username: "agent@example.com/token".into(),
                    password: switchboard_sandbox::DEFAULT_API_TOKEN.into(),
                },
                granted_scopes: None,
                user: None,
                oauth: None,
            },
            switchboard_generated::INTEGRATIONS,
        )
        .unwrap();
    let (_, token) = store
        .create_server(NewServer {
            name: "zendesk-writer".into(),
            bindings: vec![switchboard_vault::ServerBinding::shared(
                "zendesk",
                "acme-zendesk",
            )],
            filter: ToolFilter::default(),
            expires_at: None,
            require_api_token: false,
            options: Default::default(),
        })
        .unwrap();
    token
}

/// One unified ticketing tool called over REST, its answer checked against the tool's output schema
/// and its records against the model's schema.
async fn ticketing(
    http: &Client,
    harness: &Harness,
    token: &str,
    model: &str,
    tool: &str,
    args: Value,
) -> (u16, Value) {
    let (status, body) = rest(http, harness, token, tool, args).await;
    if status == 200 {
        assert_valid(&model_output_validator(model, tool), &body);
        let record = validator(&format!(
            "generated/schemas/unified/{}.json",
            model.replace('.', "/")
        ));
        match &body["result"] {
            Value::Array(records) => records.iter().for_each(|r| assert_valid(&record, r)),
            one if !tool.starts_with("delete_") => assert_valid(&record, one),
            _ => {}
        }
    }
    (status, body)
}

#[tokio::test]
async fn zendesk_serves_the_unified_ticketing_tools() {
    let harness = Harness::start(Options::default()).await;
    let token = zendesk_token(&harness);
    let http = Client::new();
    let mut names: Vec<&str> = unified_tools("zendesk").iter().map(|t| t.name).collect();
    names.sort_unstable();
    // Comments are listed per ticket only: a list tool taking `ticket_id`, and nothing else (Zendesk
    // adds comments through the ticket, and reads none alone).
    assert_eq!(
        names,
        [
            "create_a_ticketing_ticket",
            "create_a_ticketing_user",
            "delete_a_ticketing_ticket_by_id",
            "delete_a_ticketing_user_by_id",
            "get_single_ticketing_ticket_by_id",
            "get_single_ticketing_user_by_id",
            "list_all_ticketing_comments",
            "list_all_ticketing_tickets",
            "list_all_ticketing_users",
            "update_a_ticketing_ticket_by_id",
            "update_a_ticketing_user_by_id",
        ]
    );
    let t = "ticketing.ticket";

    // List, then get: the same canonical ticket either way (Zendesk lists records bare and answers a
    // read with `{"ticket": {...}}`).
    let (status, page) = ticketing(
        &http,
        &harness,
        &token,
        t,
        "list_all_ticketing_tickets",
        json!({"limit": 3}),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let listed = page["result"].as_array().unwrap();
    assert_eq!(listed.len(), 3);
    assert!(page["next_cursor"].is_string(), "{page}");
    let first = &listed[0];
    assert_eq!(first["id"], "1");
    // Zendesk's `new` is the canonical `open`; ids of related records are strings.
    assert_eq!(first["status"], "open", "{first}");
    assert_eq!(first["requester"]["id"], "362000000001", "{first}");
    assert!(first["created_at"].as_str().unwrap().ends_with('Z'));
    // Custom fields by field id, values as Zendesk holds them.
    assert_eq!(
        first["custom_fields"],
        json!({"360100000001": "SO-10000", "360100000002": "free", "360100000003": "5", "360100000004": false})
    );
    let (status, got) = ticketing(
        &http,
        &harness,
        &token,
        t,
        "get_single_ticketing_ticket_by_id",
        json!({"id": "1"}),
    )
    .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(&got["result"], first, "get and list agree");

    // Create: the description becomes the first comment.
    let input = json!({
        "subject": "The printer is on fire",
        "description": "Smoke is coming out of the paper tray.",
        "status": "pending",
        "priority": "urgent",
        "type": "incident",
        "requester": {"id": "362000000002"},
        "tags": ["hardware", "fire"],
        "custom_fields": {"360100000001": "SO-4242", "360100000004": true}
    });
    let (status, created) = ticketing(
        &http,
        &harness,
        &token,
        t,
        "create_a_ticketing_ticket",
        input.clone(),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let record = &created["result"];
    for (field, value) in input.as_object().unwrap() {
        if field == "custom_fields" {
            for (id, v) in value.as_object().unwrap() {
                assert_eq!(&record["custom_fields"][id], v, "{id} in {record}");
            }
        } else {
            assert_eq!(&record[field], value, "{field} in {record}");
        }
    }
    let id = record["id"].as_str().unwrap().to_owned();
    let (status, comments) = rest(
        &http,
        &harness,
        &token,
        "list_all_zendesk_ticket_comments",
        json!({"ticket_id": id.parse::<u64>().unwrap()}),
    )
    .await;
    assert_eq!(status, 200, "{comments}");
    assert_eq!(
        comments["result"][0]["body"], input["description"],
        "the first comment is the description"
    );

    // Update: what is given changes, the rest is kept; custom fields not given keep their values. A
    // ticket's description is its first comment and stays as it is: the update posts no comment (a
    // public comment would reach the requester).
    let (status, updated) = ticketing(
        &http,
        &harness,
        &token,
        t,
        "update_a_ticketing_ticket_by_id",
        json!({"id": id, "status": "on_hold", "description": "Never mind.", "custom_fields": {"360100000003": "12"}}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    let after = &updated["result"];
    assert_eq!(after["status"], "on_hold");
    assert_eq!(after["custom_fields"]["360100000003"], "12");
    assert_eq!(after["custom_fields"]["360100000001"], "SO-4242", "{after}");
    for kept in [
        "subject",
        "description",
        "priority",
        "type",
        "requester",
        "tags",
    ] {
        assert_eq!(after[kept], input[kept], "{kept} kept");
    }
    let (_, comments) = rest(
        &http,
        &harness,
        &token,
        "list_all_zendesk_ticket_comments",
        json!({"ticket_id": id.parse::<u64>().unwrap()}),
    )
    .await;
    assert_eq!(comments["result_count"], 1, "{comments}");

    // Delete, and it is gone.
    let (status, deleted) = ticketing(
        &http,
        &harness,
        &token,
        t,
        "delete_a_ticketing_ticket_by_id",
        json!({"id": id}),
    )
    .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["result"], json!({"id": id, "deleted": true}));
    let (status, _) = rest(
        &http,
        &harness,
        &token,
        "get_single_ticketing_ticket_by_id",
        json!({"id": id}),
    )
    .await;
    assert_eq!(status, 404);

    // Users: agents and end users alike, roles in the canonical spelling.
    let u = "ticketing.user";
    let (status, page) = ticketing(
        &http,
        &harness,
        &token,
        u,
        "list_all_ticketing_users",
        json!({"limit": 3}),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let first = page["result"][0].clone();
    assert_eq!(first["role"], "admin", "{first}");
    let (status, got) = ticketing(
        &http,
        &harness,
        &token,
        u,
        "get_single_ticketing_user_by_id",
        json!({"id": first["id"]}),
    )
    .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["result"], first, "get and list agree");
    let input = json!({
        "name": "Roger Wilco",
        "email": "roger.wilco@example.org",
        "phone": "+1 555 0100",
        "role": "end_user",
        "organization": {"id": "360000000001"}
    });
    let (status, created) = ticketing(
        &http,
        &harness,
        &token,
        u,
        "create_a_ticketing_user",
        input.clone(),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    for (field, value) in input.as_object().unwrap() {
        assert_eq!(&created["result"][field], value, "{field} in {created}");
    }
    let user = created["result"]["id"].as_str().unwrap().to_owned();
    let (status, updated) = ticketing(
        &http,
        &harness,
        &token,
        u,
        "update_a_ticketing_user_by_id",
        json!({"id": user, "phone": "+1 555 0199", "role": "agent"}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["result"]["phone"], "+1 555 0199");
    assert_eq!(updated["result"]["role"], "agent");
    assert_eq!(
        updated["result"]["name"], "Roger Wilco",
        "untouched fields keep their values"
    );
    let (status, deleted) = ticketing(
        &http,
        &harness,
        &token,
        u,
        "delete_a_ticketing_user_by_id",
        json!({"id": user}),
    )
    .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["result"], json!({"id": user, "deleted": true}));
}

/// A Zendesk custom field is `{id, value}` in the ticket's `custom_fields` array: written by the proxy
/// update tool as Zendesk documents it and read back as it was written, and the unified ticket holds
/// the same value under the field's id.
#[tokio::test]
async fn zendesk_custom_fields_go_through_the_proxy_and_unified_tools() {
    let harness = Harness::start(Options::default()).await;
    let token = zendesk_token(&harness);
    let http = Client::new();
    let field = |record: &Value, id: u64| -> Value {
        record["custom_fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| f["value"].clone())
            .unwrap_or_else(|| panic!("no custom field {id} in {record}"))
    };

    // Proxy: the update tool writes the array, the get tool reads it back.
    let (status, updated) = rest(
        &http,
        &harness,
        &token,
        "update_a_zendesk_ticket_by_id",
        json!({"id": "2", "ticket": {"custom_fields": [{"id": 360100000001_u64, "value": "SO-7777"}]}}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(field(&updated["result"]["ticket"], 360100000001), "SO-7777");
    let (status, read) = rest(
        &http,
        &harness,
        &token,
        "get_single_zendesk_ticket_by_id",
        json!({"id": "2"}),
    )
    .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(field(&read["result"]["ticket"], 360100000001), "SO-7777");
    // Other fields keep their values.
    assert_eq!(field(&read["result"]["ticket"], 360100000002), "pro");

    // Unified: the value written through the proxy, by field id...
    let t = "ticketing.ticket";
    let (status, got) = ticketing(
        &http,
        &harness,
        &token,
        t,
        "get_single_ticketing_ticket_by_id",
        json!({"id": "2"}),
    )
    .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["result"]["custom_fields"]["360100000001"], "SO-7777");
    // ...and written through the unified update (a text and a checkbox field), read back by both.
    let (status, updated) = ticketing(
        &http,
        &harness,
        &token,
        t,
        "update_a_ticketing_ticket_by_id",
        json!({"id": "2", "custom_fields": {"360100000001": "SO-8888", "360100000004": true}}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    let (status, got) = ticketing(
        &http,
        &harness,
        &token,
        t,
        "get_single_ticketing_ticket_by_id",
        json!({"id": "2"}),
    )
    .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        got["result"]["custom_fields"],
        json!({"360100000001": "SO-8888", "360100000002": "pro", "360100000003": "18", "360100000004": true})
    );
    let (_, read) = rest(
        &http,
        &harness,
        &token,
        "get_single_zendesk_ticket_by_id",
        json!({"id": "2"}),
    )
    .await;
    assert_eq!(field(&read["result"]["ticket"], 360100000001), "SO-8888");
    assert_eq!(field(&read["result"]["ticket"], 360100000004), true);
}

/// A ticket's comments through the unified list: its `ticket_id` fills Zendesk's path, each comment names
/// the ticket, pages follow with the same `ticket_id`, and the comments are the proxy tool's, mapped.
#[tokio::test]
async fn zendesk_lists_a_tickets_comments_in_the_unified_shape() {
    let harness = Harness::start(Options::default()).await;
    let token = zendesk_token(&harness);
    let http = Client::new();
    let c = "ticketing.comment";
    let tool = "list_all_ticketing_comments";
    let (status, proxy) = rest(
        &http,
        &harness,
        &token,
        "list_all_zendesk_ticket_comments",
        json!({"ticket_id": 4}),
    )
    .await;
    assert_eq!(status, 200, "{proxy}");
    let vendor = proxy["result"].as_array().unwrap().clone();
    // Ticket 4 holds three comments, the last an internal note: paging one at a time takes three pages.
    assert_eq!(vendor.len(), 3, "{proxy}");
    assert_eq!(vendor[2]["public"], false, "{proxy}");

    // Page through one comment at a time: every comment, in order, each naming ticket 4.
    let mut comments = Vec::new();
    let mut cursor = Value::Null;
    let mut pages = 0;
    loop {
        pages += 1;
        let (status, page) = ticketing(
            &http,
            &harness,
            &token,
            c,
            tool,
            json!({"ticket_id": "4", "limit": 1, "next_cursor": cursor}),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        comments.extend(page["result"].as_array().unwrap().iter().cloned());
        cursor = page["next_cursor"].clone();
        if cursor.is_null() || comments.len() > vendor.len() {
            break;
        }
    }
    assert_eq!(comments.len(), vendor.len());
    assert_eq!(pages, 3);
    for (comment, raw) in comments.iter().zip(&vendor) {
        assert_eq!(comment["id"], raw["id"].to_string(), "{comment}");
        assert_eq!(comment["ticket"], json!({"id": "4"}), "{comment}");
        assert_eq!(
            comment["author"]["id"],
            raw["author_id"].to_string(),
            "{comment}"
        );
        assert_eq!(comment["public"], raw["public"], "{comment}");
        assert_eq!(comment["body"], raw["plain_body"], "{comment}");
        assert!(comment["created_at"].as_str().unwrap().ends_with('Z'));
    }

    // Without the ticket: refused before any request, naming the argument.
    let (status, refused) = rest(&http, &harness, &token, tool, json!({"limit": 2})).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ticket_id"),
        "{refused}"
    );
    // A ticket Zendesk does not have: its 404, as for the proxy tool.
    let (status, missing) = rest(
        &http,
        &harness,
        &token,
        tool,
        json!({"ticket_id": "999999"}),
    )
    .await;
    assert_eq!(status, 404, "{missing}");
}
