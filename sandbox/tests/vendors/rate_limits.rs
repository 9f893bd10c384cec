//! The shared request budget and the vendors' rate-limit headers.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use switchboard_sandbox::{RateBudget, SandboxConfig};

use crate::common::{start, start_default, text};

#[tokio::test]
async fn hubspot_answers_429_and_salesforce_403_past_the_budget() {
    let sandbox = start(SandboxConfig {
        rate_limit: Some(RateBudget::new(3, Duration::from_secs(600))),
        ..SandboxConfig::default()
    })
    .await;
    for expected_remaining in ["2", "1", "0"] {
        let reply = sandbox.get("/crm/v3/objects/contacts?limit=1").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("x-hubspot-ratelimit-max"), "3");
        assert_eq!(
            reply.header("x-hubspot-ratelimit-remaining"),
            expected_remaining
        );
        assert_eq!(
            reply.header("x-hubspot-ratelimit-interval-milliseconds"),
            "600000"
        );
    }
    let limited = sandbox.get("/crm/v3/objects/contacts?limit=1").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.body["status"], "error");
    assert_eq!(
        limited.body["message"],
        "You have reached your secondly limit."
    );
    assert_eq!(limited.body["errorType"], "RATE_LIMIT");
    assert_eq!(limited.body["policyName"], "SECONDLY");
    assert_eq!(
        text(&limited.body, "/correlationId"),
        limited.header("x-hubspot-correlation-id")
    );
    assert_eq!(limited.header("x-hubspot-ratelimit-remaining"), "0");
    assert_eq!(limited.header("x-hubspot-ratelimit-daily"), "250000");
    assert_eq!(
        limited.header("x-hubspot-ratelimit-daily-remaining"),
        "249997"
    );

    // The budget is shared: Salesforce is out too, and says so its own way.
    let salesforce = sandbox.soql("SELECT Id FROM Contact").await;
    assert_eq!(salesforce.status, StatusCode::FORBIDDEN);
    assert_eq!(
        salesforce.body,
        json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    );
    assert_eq!(salesforce.header("sforce-limit-info"), "api-usage=3/3");
}

#[tokio::test]
async fn the_window_resets() {
    let sandbox = start(SandboxConfig {
        rate_limit: Some(RateBudget::new(1, Duration::from_millis(300))),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(sandbox.get("/crm/v3/owners").await.status, StatusCode::OK);
    assert_eq!(
        sandbox.get("/crm/v3/owners").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(sandbox.get("/crm/v3/owners").await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_vendor_response_carries_rate_limit_headers() {
    let sandbox = start_default().await;
    for path in [
        "/crm/v3/objects/contacts",
        "/crm/v3/objects/contacts/0",
        "/crm/v3/objects/contacts?limit=500",
        "/crm/nowhere",
    ] {
        let reply = sandbox.get(path).await;
        for header in [
            "x-hubspot-ratelimit-max",
            "x-hubspot-ratelimit-remaining",
            "x-hubspot-ratelimit-interval-milliseconds",
            "x-hubspot-ratelimit-daily",
            "x-hubspot-ratelimit-daily-remaining",
        ] {
            assert!(!reply.header(header).is_empty(), "{path} lacks {header}");
        }
        assert_eq!(
            reply.header("x-hubspot-ratelimit-interval-milliseconds"),
            "10000"
        );
    }
    for path in ["/v1/persons/1", "/v1/nowhere", "/api/v1/users"] {
        let reply = sandbox.pd(reqwest::Method::GET, path, None).await;
        for header in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
        ] {
            assert!(!reply.header(header).is_empty(), "{path} lacks {header}");
        }
    }
    for path in ["/api/v2/tickets/1.json", "/api/v2/nowhere.json"] {
        let reply = sandbox.zd(reqwest::Method::GET, path, None).await;
        for header in ["x-rate-limit", "x-rate-limit-remaining"] {
            assert!(!reply.header(header).is_empty(), "{path} lacks {header}");
        }
    }
    let first = sandbox.soql("SELECT Id FROM User").await;
    let second = sandbox.soql("SELECT Id FROM Nope").await;
    let used = |h: &str| {
        h.strip_prefix("api-usage=")
            .and_then(|r| r.split_once('/'))
            .and_then(|(used, _)| used.parse::<u64>().ok())
    };
    let (a, b) = (
        used(first.header("sforce-limit-info")),
        used(second.header("sforce-limit-info")),
    );
    assert!(a.is_some() && b.is_some(), "{:?}", first.headers);
    assert_eq!(b, a.map(|n| n + 1), "each request counts");
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let sandbox = start_default().await;
    let url = format!("{}/crm/v3/owners", sandbox.handle.base_url());
    let http = reqwest::Client::new();
    assert!(http.get(&url).send().await.is_ok());
    let result = sandbox.handle.shutdown().await;
    assert!(result.is_ok(), "{result:?}");
    let fresh = reqwest::Client::new();
    assert!(
        fresh.get(&url).send().await.is_err(),
        "still serving after shutdown"
    );
}
