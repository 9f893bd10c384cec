//! The REST mirror of the tools: `POST /mcp/{token}/tools/{tool}` with real HTTP statuses and
//! rate-limit headers.

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::Response;
use serde_json::{Value, json};
use support::{Harness, Options, budget};

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn success_then_429_with_rate_limit_headers() {
    let harness = Harness::start(Options {
        rate_budget: budget(1),
        ..Options::default()
    })
    .await;
    let http = reqwest::Client::new();
    let url = harness.rest_url(&harness.write_token, "list_all_hub_spot_contacts");

    let ok = http
        .post(&url)
        .json(&json!({"limit": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(header(&ok, "ratelimit-limit").as_deref(), Some("1"));
    assert_eq!(header(&ok, "ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(
        header(&ok, "ratelimit-policy").as_deref(),
        Some("\"default\";q=1")
    );
    assert!(header(&ok, "ratelimit").is_some_and(|v| v.starts_with("\"default\";r=0")));
    let envelope: Value = ok.json().await.unwrap();
    assert_eq!(envelope["result_count"], 2, "{envelope}");

    let before = harness.upstream_requests();
    let limited = http
        .post(&url)
        .json(&json!({"limit": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(harness.upstream_requests() - before, 1, "no retry");
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = header(&limited, "retry-after").unwrap().parse().unwrap();
    assert!(retry_after <= 60);
    assert_eq!(header(&limited, "ratelimit-limit").as_deref(), Some("1"));
    assert_eq!(
        header(&limited, "ratelimit-remaining").as_deref(),
        Some("0")
    );
    let reset: u64 = header(&limited, "ratelimit-reset")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        header(&limited, "ratelimit-policy").as_deref(),
        Some("\"default\";q=1")
    );
    assert_eq!(
        header(&limited, "ratelimit").as_deref(),
        Some(format!("\"default\";r=0;t={reset}").as_str())
    );
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert_eq!(body["status"], 429, "{body}");
    assert_eq!(body["retry_after"], retry_after, "{body}");
}

#[tokio::test]
async fn bad_arguments_are_400_naming_the_pointer() {
    let harness = Harness::start(Options::default()).await;
    let http = reqwest::Client::new();
    let url = harness.rest_url(&harness.write_token, "list_all_hub_spot_contacts");
    let response = http
        .post(&url)
        .json(&json!({"limit": "five"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_arguments", "{body}");
    assert_eq!(body["error"]["pointer"], "/limit", "{body}");

    let not_json = http
        .post(&url)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let body: Value = not_json.json().await.unwrap();
    assert_eq!(body["error"]["pointer"], "", "{body}");
}

#[tokio::test]
async fn filtered_unknown_and_forged_are_404() {
    let harness = Harness::start(Options::default()).await;
    let http = reqwest::Client::new();
    let before = harness.upstream_requests();
    for (url, code) in [
        (
            harness.rest_url(&harness.read_token, "create_a_hub_spot_contact"),
            "unknown_tool",
        ),
        (
            harness.rest_url(&harness.write_token, "no_such_tool"),
            "unknown_tool",
        ),
        (
            harness.rest_url(&"A".repeat(43), "list_all_hub_spot_contacts"),
            "not_found",
        ),
    ] {
        let response = http.post(&url).json(&json!({})).send().await.unwrap();
        assert_eq!(response.status(), 404, "{url}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{url}");
    }
    assert_eq!(harness.upstream_requests(), before);
}

#[tokio::test]
async fn lists_the_servers_tools() {
    let harness = Harness::start(Options::default()).await;
    let url = format!("{}/mcp/{}/tools", harness.base, harness.read_token);
    let body: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    let tools = body["tools"].as_array().unwrap();
    assert!(!tools.is_empty());
    assert!(
        tools
            .iter()
            .all(|t| t["annotations"]["readOnlyHint"] == true)
    );
    assert!(tools.iter().all(|t| t["inputSchema"].is_object()));
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let harness = Harness::start(Options::default()).await;
    let http = reqwest::Client::new();
    let url = harness.rest_url(&harness.write_token, "list_all_hub_spot_contacts");
    let huge = format!(
        "{{\"limit\": 1, \"pad\": \"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let response = http
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn sloppy_arguments_are_read_as_meant() {
    let harness = Harness::start(Options::default()).await;
    let http = reqwest::Client::new();
    let url = harness.rest_url(&harness.read_token, "list_all_hub_spot_contacts");

    // CrewAI's shape: a string limit and a null for every optional argument not given.
    let first = http
        .post(&url)
        .json(&json!({"limit": "3", "next_cursor": null, "archived": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["result_count"], 3, "{first}");
    let cursor = first["next_cursor"].clone();
    assert!(cursor.is_string(), "{first}");

    let second = http
        .post(&url)
        .json(&json!({"limit": "3", "next_cursor": cursor, "archived": "false"}))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_eq!(second["result_count"], 3, "{second}");
    assert_ne!(first["result"][0]["id"], second["result"][0]["id"]);

    // The unified tool reads the same way.
    let unified = harness.rest_url(&harness.read_token, "list_all_crm_contacts");
    let response = http
        .post(&unified)
        .json(&json!({"limit": "2", "next_cursor": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result_count"], 2, "{body}");

    // A real mistake is still a 400 naming the argument.
    let response = http
        .post(&url)
        .json(&json!({"limit": "three", "next_cursor": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_arguments", "{body}");
    assert_eq!(body["error"]["pointer"], "/limit", "{body}");
}
