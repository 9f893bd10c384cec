//! The admin API as the operator's backend uses it: an admin token on every request, accounts
//! (listed without secrets, connected through a signed link, removed), MCP servers created over an
//! account and called through the URL the API hands out, API tokens, stable error codes, and the
//! OpenAPI document listing every route.

// A failed expectation in a test is a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use support::world::{browser, on_origin};
use support::{Harness, Options};
use switchboard_oauth::{ConnectLinks, Connector};
use switchboard_server::http::{ADMIN_ROUTES, AdminToken};
use switchboard_vault::NewOAuthApp;

static INTEGRATIONS: &[&switchboard_runtime::table::Integration] =
    switchboard_generated::INTEGRATIONS;

const ADMIN_TOKEN: &str = "sb-admin-0123456789abcdefghijklmnopqrstuvwxyz";
const LIST: &str = "list_all_hub_spot_contacts";

/// The harness with the admin API on, and connect links served by the store's connector.
async fn start() -> Harness {
    Harness::start(Options {
        configure: Some(Box::new(|config, store| {
            config.admin_token = Some(AdminToken::new(ADMIN_TOKEN).unwrap());
            config.admin_store = Some(store.clone());
            let links = ConnectLinks::new(&config.base_url(), store.connect_key());
            let connector =
                Connector::new(store.clone(), INTEGRATIONS, links, Duration::from_secs(10))
                    .unwrap();
            config.connectors = vec![Arc::new(connector)];
        })),
        ..Options::default()
    })
    .await
}

/// An admin request with `authorization` (none when `None`) and an optional JSON body.
async fn request(
    harness: &Harness,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", harness.base));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// An admin request with the admin token: its status and JSON body (`null` when empty).
async fn admin(harness: &Harness, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let response = request(harness, method, path, Some(&bearer), body).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, body)
}

/// Asserts `body` is the error `code`.
#[track_caller]
fn assert_error(status: u16, body: &Value, expected_status: u16, code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

/// `POST <url>/tools/<tool>`, with an optional API token.
async fn call(url: &str, tool: &str, api_token: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{url}/tools/{tool}"))
        .json(&json!({"limit": 2}));
    if let Some(token) = api_token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn server_names(list: &Value) -> Vec<&str> {
    list["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn every_admin_route_wants_the_admin_token() {
    let harness = start().await;
    let wrong = format!("Bearer {ADMIN_TOKEN}x");
    let basic = format!("Basic {ADMIN_TOKEN}");
    for (method, route) in ADMIN_ROUTES {
        if *route == "/admin/openapi.json" {
            continue;
        }
        let path = route
            .replace("{id}", "acme-hubspot")
            .replace("{name}", "hubspot-reader");
        for authorization in [
            None,
            Some(wrong.as_str()),
            Some(basic.as_str()),
            Some("Bearer"),
        ] {
            let response = request(&harness, method, &path, authorization, Some(json!({}))).await;
            // 401, not 404 or 405: the route exists with this method.
            assert_eq!(
                response.status(),
                401,
                "{method} {path} with {authorization:?}"
            );
            assert_eq!(
                response.headers()["www-authenticate"],
                r#"Bearer realm="switchboard-admin""#
            );
            assert_eq!(response.headers()["cache-control"], "no-store");
            let text = response.text().await.unwrap();
            assert!(!text.contains(ADMIN_TOKEN), "{text}");
            let body: Value = serde_json::from_str(&text).unwrap();
            assert_error(401, &body, 401, "unauthorized");
        }
    }
    // Nothing happened: the server refused before acting.
    let (status, servers) = admin(&harness, "GET", "/admin/mcp-servers", None).await;
    assert_eq!(status, 200);
    assert!(
        servers["servers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["revoked_at"].is_null())
    );
    // Unknown admin paths and methods answer in JSON too.
    let (status, body) = admin(&harness, "GET", "/admin/nothing", None).await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = admin(&harness, "PUT", "/admin/accounts", None).await;
    assert_error(status, &body, 405, "method_not_allowed");
}

#[tokio::test]
async fn the_admin_api_is_off_without_an_admin_token() {
    let harness = Harness::start(Options::default()).await;
    for (method, route) in ADMIN_ROUTES {
        let path = route.replace("{id}", "acme-hubspot").replace("{name}", "x");
        let (status, body) = admin(&harness, method, &path, Some(json!({}))).await;
        assert_error(status, &body, 404, "not_found");
    }
}

#[tokio::test]
async fn accounts_are_listed_without_secrets() {
    let harness = start().await;
    let response = request(
        &harness,
        "GET",
        "/admin/accounts",
        Some(&format!("bearer {ADMIN_TOKEN}")),
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(switchboard_sandbox::DEFAULT_API_TOKEN),
        "a credential leaked: {text}"
    );
    let list: Value = serde_json::from_str(&text).unwrap();
    let accounts = list["accounts"].as_array().unwrap();
    let ids: Vec<&str> = accounts.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["acme-hubspot", "acme-salesforce"]);
    let hubspot = &accounts[0];
    assert_eq!(hubspot["integration"], "hubspot");
    assert_eq!(hubspot["credential_kind"], "bearer");
    assert_eq!(hubspot["status"], "active");
    assert!(hubspot["created_at"].is_i64());
    for field in ["user", "granted_scopes", "expires_at", "reauth_reason"] {
        assert!(hubspot.get(field).is_some(), "{field} missing: {hubspot}");
    }

    let (status, one) = admin(&harness, "GET", "/admin/accounts/acme-hubspot", None).await;
    assert_eq!(status, 200);
    assert_eq!(&one, hubspot);
    let (status, body) = admin(&harness, "GET", "/admin/accounts/acme-hubspto", None).await;
    assert_error(status, &body, 404, "unknown_account");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `acme-hubspot`"),
        "{body}"
    );
}

#[tokio::test]
async fn a_server_created_through_the_api_serves_its_url_until_revoked() {
    let harness = start().await;
    let (status, created) = admin(
        &harness,
        "POST",
        "/admin/accounts/acme-hubspot/mcp-servers",
        Some(json!({
            "name": "crm-reader",
            "config": {
                "methods": "read",
                "tags": ["contacts"],
                "require_api_token_auth": false,
                "expires_at": "2100-01-01T00:00:00Z",
            },
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let url = created["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/mcp/", harness.base)), "{url}");
    assert_eq!(created["name"], "crm-reader");
    assert_eq!(created["require_api_token"], false);
    assert_eq!(created["expires_at"], 4_102_444_800_i64);
    assert_eq!(created["status"], "active");
    assert_eq!(
        created["filter"],
        "methods=list,get,search,custom(read-only) tags=contacts"
    );
    assert_eq!(
        created["bindings"],
        json!([{"integration": "hubspot", "account": "acme-hubspot", "per_user": false}])
    );

    // The URL works, through the filter.
    let (status, body) = call(&url, LIST, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result_count"], 2, "{body}");
    let (status, body) = call(&url, "create_a_hub_spot_contact", None).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("unknown_tool"))
    );

    // Listed, without its URL.
    let token = url.rsplit('/').next().unwrap();
    let response = request(
        &harness,
        "GET",
        "/admin/mcp-servers",
        Some(&format!("Bearer {ADMIN_TOKEN}")),
        None,
    )
    .await;
    let text = response.text().await.unwrap();
    assert!(!text.contains(token), "the capability token leaked: {text}");
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        server_names(&list),
        [
            "crm-reader",
            "hubspot-reader",
            "hubspot-writer",
            "salesforce-writer"
        ]
    );
    let listed = &list["servers"][0];
    assert!(listed.get("url").is_none());
    assert!(
        listed["last_used_at"].is_i64(),
        "the call was recorded: {listed}"
    );

    // The name is taken.
    let (status, body) = admin(
        &harness,
        "POST",
        "/admin/accounts/acme-hubspot/mcp-servers",
        Some(json!({"name": "crm-reader"})),
    )
    .await;
    assert_error(status, &body, 409, "conflict");

    // Revoked: the URL answers 404 at once; the server stays listed.
    let (status, revoked) = admin(
        &harness,
        "POST",
        "/admin/mcp-servers/crm-reader/revoke",
        None,
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert!(revoked["revoked_at"].is_i64());
    let (status, body) = call(&url, LIST, None).await;
    assert_eq!((status, &body["error"]["code"]), (404, &json!("not_found")));
    let (_, list) = admin(&harness, "GET", "/admin/mcp-servers", None).await;
    assert_eq!(list["servers"][0]["status"], "revoked");

    let (status, body) = admin(
        &harness,
        "POST",
        "/admin/mcp-servers/crm-raeder/revoke",
        None,
    )
    .await;
    assert_error(status, &body, 404, "unknown_server");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("crm-reader")
    );
}

#[tokio::test]
async fn api_tokens_are_shown_once_and_revoked_at_once() {
    let harness = start().await;
    let (status, created) = admin(
        &harness,
        "POST",
        "/admin/api-tokens",
        Some(json!({"name": "ci-agent", "user": "alice"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let api_token = created["token"].as_str().unwrap().to_owned();
    assert!(api_token.starts_with("sbk_"));
    assert_eq!(created["user"], "alice");
    let (status, body) = admin(
        &harness,
        "POST",
        "/admin/api-tokens",
        Some(json!({"name": "ci-agent"})),
    )
    .await;
    assert_error(status, &body, 409, "conflict");

    let (status, server) = admin(
        &harness,
        "POST",
        "/admin/accounts/acme-hubspot/mcp-servers",
        Some(json!({"name": "guarded", "config": {"require_api_token_auth": true}})),
    )
    .await;
    assert_eq!(status, 201, "{server}");
    assert_eq!(server["require_api_token"], true);
    let url = server["url"].as_str().unwrap();
    let (status, body) = call(url, LIST, None).await;
    assert_error(status, &body, 401, "api_token_required");
    let (status, body) = call(url, LIST, Some(&api_token)).await;
    assert_eq!(status, 200, "{body}");

    let response = request(
        &harness,
        "GET",
        "/admin/api-tokens",
        Some(&format!("Bearer {ADMIN_TOKEN}")),
        None,
    )
    .await;
    let text = response.text().await.unwrap();
    assert!(!text.contains(&api_token), "the API token leaked: {text}");
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["api_tokens"][0]["name"], "ci-agent");
    assert_eq!(list["api_tokens"][0]["user"], "alice");
    assert!(list["api_tokens"][0]["last_used_at"].is_i64());
    assert!(list["api_tokens"][0].get("token").is_none());

    let (status, revoked) =
        admin(&harness, "POST", "/admin/api-tokens/ci-agent/revoke", None).await;
    assert_eq!(status, 200, "{revoked}");
    assert!(revoked["revoked_at"].is_i64());
    let (status, body) = call(url, LIST, Some(&api_token)).await;
    assert_error(status, &body, 401, "invalid_api_token");
    let (status, body) = admin(&harness, "POST", "/admin/api-tokens/nobody/revoke", None).await;
    assert_error(status, &body, 404, "unknown_api_token");
}

#[tokio::test]
async fn per_user_servers_require_an_api_token() {
    let harness = start().await;
    // A hybrid server: Salesforce on the shared account of the path, HubSpot per user.
    let (status, server) = admin(
        &harness,
        "POST",
        "/admin/accounts/acme-salesforce/mcp-servers",
        Some(json!({"name": "assistant", "config": {"per_user": ["hubspot"], "kinds": ["proxy"]}})),
    )
    .await;
    assert_eq!(status, 201, "{server}");
    assert_eq!(server["require_api_token"], true);
    assert_eq!(
        server["bindings"],
        json!([
            {"integration": "hubspot", "account": null, "per_user": true},
            {"integration": "salesforce", "account": "acme-salesforce", "per_user": false},
        ])
    );
    let url = server["url"].as_str().unwrap();
    let (status, body) = call(url, "list_all_salesforce_contacts", None).await;
    assert_error(status, &body, 401, "api_token_required");
    let (_, token) = admin(
        &harness,
        "POST",
        "/admin/api-tokens",
        Some(json!({"name": "bob-token", "user": "bob"})),
    )
    .await;
    let (status, body) = call(url, "list_all_salesforce_contacts", token["token"].as_str()).await;
    assert_eq!(status, 200, "{body}");

    // Per-user cannot go without the API token that names the user.
    let (status, body) = admin(
        &harness,
        "POST",
        "/admin/accounts/acme-salesforce/mcp-servers",
        Some(json!({"name": "open", "config": {"per_user": ["hubspot"], "kinds": "proxy", "require_api_token_auth": false}})),
    )
    .await;
    assert_error(status, &body, 422, "invalid_request");
    // Both CRMs' unified tools share names: one server cannot tell them apart.
    let (status, body) = admin(
        &harness,
        "POST",
        "/admin/accounts/acme-salesforce/mcp-servers",
        Some(json!({"name": "clash", "config": {"per_user": ["hubspot"]}})),
    )
    .await;
    assert_error(status, &body, 422, "tool_name_clash");
    let (status, body) = admin(
        &harness,
        "POST",
        "/admin/accounts/acme-salesforce/mcp-servers",
        Some(json!({"name": "typo", "config": {"per_user": ["hubspto"]}})),
    )
    .await;
    assert_error(status, &body, 422, "unknown_integration");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`hubspot`")
    );
    // The same integration twice.
    let (status, body) = admin(
        &harness,
        "POST",
        "/admin/accounts/acme-hubspot/mcp-servers",
        Some(json!({"name": "twice", "config": {"per_user": ["hubspot"]}})),
    )
    .await;
    assert_error(status, &body, 422, "invalid_request");
    let (_, list) = admin(&harness, "GET", "/admin/mcp-servers", None).await;
    assert!(
        !server_names(&list)
            .iter()
            .any(|n| ["open", "clash", "typo", "twice"].contains(n)),
        "{list}"
    );
}

#[tokio::test]
async fn refusals_have_stable_codes_and_create_nothing() {
    let harness = start().await;
    let create = "/admin/accounts/acme-hubspot/mcp-servers";
    let cases: [(Value, u16, &str); 10] = [
        (
            json!({"name": "none", "config": {"tags": ["no-such-tag"]}}),
            422,
            "nothing_exposed",
        ),
        (
            json!({"name": "none", "config": {"methods": "write", "kinds": "unified", "tags": "owners"}}),
            422,
            "nothing_exposed",
        ),
        (
            json!({"name": "x", "config": {"accounts": ["acme-nope"]}}),
            422,
            "unknown_account",
        ),
        (
            json!({"name": "x", "config": {"methods": "fetch"}}),
            400,
            "invalid_request",
        ),
        (
            json!({"name": "x", "config": {"kinds": ["vendor"]}}),
            400,
            "invalid_request",
        ),
        (
            json!({"name": "x", "config": {"expires_at": 1}}),
            400,
            "invalid_request",
        ),
        (
            json!({"name": "x", "config": {"expires_at": "tomorrow"}}),
            400,
            "invalid_request",
        ),
        (
            json!({"name": "x", "config": {"colour": "red"}}),
            400,
            "invalid_request",
        ),
        (json!({"name": "not a name"}), 400, "invalid_request"),
        (json!({"config": {}}), 400, "invalid_request"),
    ];
    for (body, expected_status, code) in cases {
        let (status, answer) = admin(&harness, "POST", create, Some(body.clone())).await;
        assert_error(status, &answer, expected_status, code);
        assert!(!answer.to_string().contains("/mcp/"), "{body} → {answer}");
    }
    let (status, body) = admin(
        &harness,
        "POST",
        "/admin/accounts/acme-nope/mcp-servers",
        Some(json!({"name": "x"})),
    )
    .await;
    assert_error(status, &body, 404, "unknown_account");

    // Malformed and oversized bodies.
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    for raw in ["{\"name\": ", "", "[1, 2]", "null"] {
        let response = reqwest::Client::new()
            .post(format!("{}{create}", harness.base))
            .header("authorization", &bearer)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_error(status, &body, 400, "invalid_request");
    }
    let huge = json!({"name": "x", "config": {"tags": ["t".repeat(2 * 1024 * 1024)]}});
    let (status, body) = admin(&harness, "POST", create, Some(huge)).await;
    assert_error(status, &body, 413, "payload_too_large");

    let (_, list) = admin(&harness, "GET", "/admin/mcp-servers", None).await;
    assert_eq!(
        server_names(&list),
        ["hubspot-reader", "hubspot-writer", "salesforce-writer"]
    );
}

#[tokio::test]
async fn removing_an_account_in_use_names_its_servers() {
    let harness = start().await;
    let (status, body) = admin(&harness, "DELETE", "/admin/accounts/acme-hubspot", None).await;
    assert_error(status, &body, 409, "conflict");
    assert_eq!(
        body["error"]["servers"],
        json!(["hubspot-reader", "hubspot-writer"])
    );
    for name in ["hubspot-reader", "hubspot-writer"] {
        let (status, body) = admin(
            &harness,
            "DELETE",
            &format!("/admin/mcp-servers/{name}"),
            None,
        )
        .await;
        assert_eq!((status, body), (204, Value::Null));
    }
    let (status, body) = admin(&harness, "DELETE", "/admin/accounts/acme-hubspot", None).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, body) = admin(&harness, "GET", "/admin/accounts/acme-hubspot", None).await;
    assert_error(status, &body, 404, "unknown_account");
    let (status, body) = admin(&harness, "DELETE", "/admin/accounts/acme-hubspot", None).await;
    assert_error(status, &body, 404, "unknown_account");
    let (status, body) = admin(
        &harness,
        "DELETE",
        "/admin/mcp-servers/hubspot-reader",
        None,
    )
    .await;
    assert_error(status, &body, 404, "unknown_server");
}

#[tokio::test]
async fn connect_links_connect_accounts_through_the_vendor_consent() {
    let harness = start().await;
    // The sandbox's identity provider as HubSpot's default OAuth app.
    let (_, account) = admin(&harness, "GET", "/admin/accounts/acme-hubspot", None).await;
    let sandbox = account["base_url"].as_str().unwrap().to_owned();
    let hubspot = INTEGRATIONS.iter().find(|i| i.name == "hubspot").unwrap();
    let oauth = hubspot.auth.oauth2.as_ref().unwrap();
    harness
        .store()
        .add_oauth_app(
            NewOAuthApp {
                name: "sandbox-hubspot".into(),
                integration: "hubspot".into(),
                client_id: switchboard_sandbox::DEFAULT_OAUTH_CLIENT_ID.into(),
                client_secret: switchboard_sandbox::DEFAULT_OAUTH_CLIENT_SECRET.into(),
                authorization_url: Some(on_origin(oauth.authorization_url, &sandbox)),
                token_url: Some(on_origin(oauth.token_url, &sandbox)),
                base_url: Some(sandbox.clone()),
                is_default: true,
            },
            INTEGRATIONS,
        )
        .unwrap();

    let (status, link) = admin(
        &harness,
        "POST",
        "/admin/accounts/globex-hubspot/connect-link",
        Some(json!({"integration": "hubspot", "methods": "read", "ttl_seconds": 600})),
    )
    .await;
    assert_eq!(status, 200, "{link}");
    let url = link["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "{}/connect/hubspot?account=globex-hubspot&expires=",
            harness.base
        )),
        "{url}"
    );
    assert!(url.contains("&sig="), "{url}");
    let expires_at = link["expires_at"].as_i64().unwrap();
    assert!((590..=610).contains(&(expires_at - switchboard_vault::now_unix())));

    // A person opens it: consent, callback, connected.
    let page = browser().get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("globex-hubspot"));
    let (status, account) = admin(&harness, "GET", "/admin/accounts/globex-hubspot", None).await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["credential_kind"], "oauth2");
    assert_eq!(account["status"], "active");
    let granted = account["granted_scopes"].as_array().unwrap();
    assert!(
        granted.contains(&json!("crm.objects.contacts.read")),
        "{account}"
    );
    assert!(
        !granted.contains(&json!("crm.objects.contacts.write")),
        "{account}"
    );

    // Its tools work through a server made for it.
    let (status, server) = admin(
        &harness,
        "POST",
        "/admin/accounts/globex-hubspot/mcp-servers",
        Some(json!({"name": "globex-reader", "config": {"methods": ["list", "get"]}})),
    )
    .await;
    assert_eq!(status, 201, "{server}");
    let (status, body) = call(server["url"].as_str().unwrap(), LIST, None).await;
    assert_eq!(status, 200, "{body}");

    // A tampered link is refused.
    let tampered = url.replace("globex-hubspot", "acme-hubspot");
    let page = browser().get(&tampered).send().await.unwrap();
    assert_eq!(page.status(), 403);

    // Refusals.
    let (status, body) = admin(
        &harness,
        "POST",
        "/admin/accounts/acme-hubspot/connect-link",
        Some(json!({"integration": "salesforce"})),
    )
    .await;
    assert_error(status, &body, 409, "conflict");
    let (status, body) = admin(
        &harness,
        "POST",
        "/admin/accounts/x/connect-link",
        Some(json!({"integration": "hubspto"})),
    )
    .await;
    assert_error(status, &body, 422, "unknown_integration");
    for bad in [
        json!({"integration": "hubspot", "ttl_seconds": 5}),
        json!({"integration": "hubspot", "scopes": ["a,b"]}),
        json!({"integration": "hubspot", "user": "not a user"}),
        json!({"user": "alice"}),
    ] {
        let (status, body) = admin(
            &harness,
            "POST",
            "/admin/accounts/x/connect-link",
            Some(bad.clone()),
        )
        .await;
        assert_error(status, &body, 400, "invalid_request");
    }
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let harness = start().await;
    // Served without the admin token: it holds no secret.
    let response = request(&harness, "GET", "/admin/openapi.json", None, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(document["servers"][0]["url"], harness.base);
    assert_eq!(
        document["components"]["securitySchemes"]["adminToken"],
        json!({
            "type": "http",
            "scheme": "bearer",
            "description": document["components"]["securitySchemes"]["adminToken"]["description"],
        })
    );
    let mut documented = 0;
    for (method, path) in ADMIN_ROUTES {
        let operation = &document["paths"][path][method.to_ascii_lowercase()];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert!(operation["responses"].is_object(), "{method} {path}");
        documented += 1;
    }
    // …and nothing the server does not serve.
    let operations: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| *k != "parameters")
                .count()
        })
        .sum();
    assert_eq!(operations, documented);
}
