//! Personal data per server, as agents see it: `--redact strip|mask|hash` on unified and proxy
//! contacts, with every redacted answer valid against the output schema the server lists, and
//! `--no-pii-tools` hiding the tools whose output is mostly personal data.

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use support::{Harness, Options};
use switchboard_runtime::filter::ToolFilter;
use switchboard_vault::{NewServer, ServerOptions};

const PROXY: &str = "list_all_hub_spot_contacts";
const UNIFIED: &str = "list_all_crm_contacts";

/// A server on the harness's HubSpot account with `options`; its token.
fn server(harness: &Harness, name: &str, options: ServerOptions) -> String {
    let (_, token) = harness
        .store()
        .create_server(NewServer {
            options,
            ..NewServer::shared(name, "hubspot", "acme-hubspot", ToolFilter::default())
        })
        .unwrap();
    token
}

/// The tools a server lists over REST, by name.
async fn listed(harness: &Harness, token: &str) -> Vec<Value> {
    let body: Value = reqwest::get(format!("{}/mcp/{token}/tools", harness.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["tools"].as_array().unwrap().clone()
}

async fn call(harness: &Harness, token: &str, tool: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(harness.rest_url(token, tool))
        .json(&json!({"limit": 5}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Every string in `value` that looks like an email address (has an `@`).
fn emails(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.contains('@') => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| emails(v, out)),
        Value::Object(map) => map.values().for_each(|v| emails(v, out)),
        _ => {}
    }
}

fn assert_valid(schema: &Value, instance: &Value) {
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{instance}");
}

#[tokio::test]
async fn strip_mask_and_hash_answer_within_the_schema_the_server_lists() {
    let harness = Harness::start(Options::default()).await;
    let plain = server(&harness, "plain", ServerOptions::default());
    for tool in [PROXY, UNIFIED] {
        let (status, body) = call(&harness, &plain, tool).await;
        assert_eq!(status, 200, "{body}");
        let mut found = Vec::new();
        emails(&body, &mut found);
        assert!(
            !found.is_empty(),
            "the sandbox's contacts have emails: {body}"
        );
        assert!(found.iter().all(|e| !e.contains("***")), "{found:?}");
    }

    for mode in ["strip", "mask", "hash"] {
        let token = server(
            &harness,
            &format!("redact-{mode}"),
            ServerOptions {
                redact: Some(mode.to_owned()),
                ..ServerOptions::default()
            },
        );
        let tools = listed(&harness, &token).await;
        for tool in [PROXY, UNIFIED] {
            let described = tools.iter().find(|t| t["name"] == tool).unwrap();
            let (status, body) = call(&harness, &token, tool).await;
            assert_eq!(status, 200, "{mode} {tool}: {body}");
            assert_eq!(body["result_count"], 5, "{body}");
            assert_valid(&described["outputSchema"], &body);
            let mut found = Vec::new();
            emails(&body, &mut found);
            match mode {
                // No address left, nor a field for one in the schema.
                "strip" => {
                    assert!(found.is_empty(), "{mode} {tool}: {found:?}");
                    let schema = described["outputSchema"].to_string();
                    assert!(!schema.contains("\"email\""), "{schema}");
                }
                // The shape stays: first letter and domain.
                "mask" => {
                    assert!(!found.is_empty(), "{body}");
                    assert!(found.iter().all(|e| e.contains("***@")), "{found:?}");
                }
                // Pseudonyms, no address.
                _ => {
                    assert!(found.is_empty(), "{mode} {tool}: {found:?}");
                    assert!(body.to_string().contains("\"pii_"), "{body}");
                }
            }
        }
    }
}

#[tokio::test]
async fn pseudonyms_are_stable_for_a_tenant() {
    let harness = Harness::start(Options::default()).await;
    let options = || ServerOptions {
        redact: Some("hash".to_owned()),
        ..ServerOptions::default()
    };
    let first = server(&harness, "hash-a", options());
    let second = server(&harness, "hash-b", options());
    let (_, a) = call(&harness, &first, UNIFIED).await;
    let (_, b) = call(&harness, &second, UNIFIED).await;
    // Same account, same store: the same pseudonyms, so an agent can correlate records.
    assert_eq!(a["result"], b["result"]);
}

#[tokio::test]
async fn no_pii_tools_hides_contact_tools_and_refuses_their_calls() {
    let harness = Harness::start(Options::default()).await;
    let token = server(
        &harness,
        "no-pii",
        ServerOptions {
            hide_pii_tools: true,
            ..ServerOptions::default()
        },
    );
    let names: Vec<String> = listed(&harness, &token)
        .await
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n == PROXY || n == UNIFIED),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n == "list_all_hub_spot_companies"),
        "{names:?}"
    );
    let (status, body) = call(&harness, &token, PROXY).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "unknown_tool");
}
