//! HubSpot CRM v3 behaviour.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{is_uuid_like, start_default, text};

#[tokio::test]
async fn pages_through_every_contact_without_duplicates_or_gaps() {
    let sandbox = start_default().await;
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &after {
            Some(a) => format!("/crm/v3/objects/contacts?limit=100&after={a}"),
            None => "/crm/v3/objects/contacts?limit=100".to_owned(),
        };
        let page = sandbox.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        pages += 1;
        let results = page.body["results"].as_array().cloned().unwrap_or_default();
        for record in &results {
            let id = text(record, "/id");
            assert!(!id.is_empty(), "ids are strings: {record}");
            assert_eq!(text(record, "/properties/hs_object_id"), id);
            assert!(record["properties"]["createdate"].is_string());
            assert!(record["properties"]["lastmodifieddate"].is_string());
            assert_eq!(record["archived"], json!(false));
            ids.push(id.to_owned());
        }
        match page.body.get("paging") {
            None => break,
            Some(paging) => {
                let next = text(paging, "/next/after").to_owned();
                let link = text(paging, "/next/link");
                assert!(
                    link.starts_with(&sandbox.handle.base_url())
                        && link.contains(&format!("after={next}")),
                    "{link}"
                );
                assert_eq!(results.len(), 100);
                after = Some(next);
            }
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), 250);
    assert_eq!(unique.len(), 250);
}

#[tokio::test]
async fn next_link_and_default_limit() {
    let sandbox = start_default().await;
    let first = sandbox.get("/crm/v3/objects/companies").await;
    assert_eq!(first.body["results"].as_array().map(Vec::len), Some(10));
    let link = text(&first.body, "/paging/next/link").to_owned();
    let second = sandbox.get(&link).await;
    assert_eq!(second.status, StatusCode::OK);
    let first_ids: HashSet<String> = first.body["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| text(r, "/id").to_owned())
        .collect();
    for record in second.body["results"].as_array().into_iter().flatten() {
        assert!(!first_ids.contains(text(record, "/id")));
        // Companies use hs_lastmodifieddate, as in the recorded exchanges.
        assert!(record["properties"]["hs_lastmodifieddate"].is_string());
        assert!(record["properties"]["name"].is_string());
        assert!(record["properties"]["domain"].is_string());
    }
}

#[tokio::test]
async fn limit_over_100_is_a_validation_error() {
    let sandbox = start_default().await;
    let reply = sandbox.get("/crm/v3/objects/deals?limit=101").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["status"], "error");
    assert_eq!(reply.body["category"], "VALIDATION_ERROR");
    assert!(text(&reply.body, "/message").contains("100"));
    assert_eq!(
        text(&reply.body, "/correlationId"),
        reply.header("x-hubspot-correlation-id")
    );
    let zero = sandbox.get("/crm/v3/objects/deals?limit=0").await;
    assert_eq!(zero.status, StatusCode::BAD_REQUEST);
    let words = sandbox.get("/crm/v3/objects/deals?limit=lots").await;
    assert_eq!(words.status, StatusCode::BAD_REQUEST);
    let hundred = sandbox.get("/crm/v3/objects/deals?limit=100").await;
    assert_eq!(hundred.body["results"].as_array().map(Vec::len), Some(100));
}

#[tokio::test]
async fn properties_param_selects_properties() {
    let sandbox = start_default().await;
    let reply = sandbox
        .get("/crm/v3/objects/contacts?limit=1&properties=phone,jobtitle&properties=no_such_property")
        .await;
    let props = reply.body["results"][0]["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut names: Vec<&str> = props.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "createdate",
            "hs_object_id",
            "jobtitle",
            "lastmodifieddate",
            "phone"
        ]
    );
    assert!(props.values().all(|v| v.is_string() || v.is_null()));
}

#[tokio::test]
async fn wrong_or_missing_token_is_401() {
    let sandbox = start_default().await;
    let url = format!("{}/crm/v3/objects/contacts", sandbox.handle.base_url());
    let missing = crate::common::read(sandbox.http.get(&url).send().await).await;
    let wrong = crate::common::read(sandbox.http.get(&url).bearer_auth("nope").send().await).await;
    for reply in [missing, wrong] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.body["status"], "error");
        assert_eq!(reply.body["category"], "INVALID_AUTHENTICATION");
        assert!(is_uuid_like(text(&reply.body, "/correlationId")));
        assert!(!reply.header("x-hubspot-ratelimit-max").is_empty());
    }
}

#[tokio::test]
async fn unknown_ids_are_404_with_hubspot_error_body() {
    let sandbox = start_default().await;
    for path in [
        "/crm/v3/objects/contacts/999999",
        "/crm/v3/objects/companies/not-a-number",
        "/crm/v3/owners/1",
    ] {
        let reply = sandbox.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.body["status"], "error");
        assert_eq!(reply.body["category"], "OBJECT_NOT_FOUND");
        assert!(reply.body["message"].is_string());
        let correlation = text(&reply.body, "/correlationId");
        assert!(is_uuid_like(correlation), "{correlation}");
        assert_eq!(correlation, reply.header("x-hubspot-correlation-id"));
    }
    let patch = sandbox
        .send_json(
            Method::PATCH,
            "/crm/v3/objects/deals/42",
            &json!({"properties": {"dealname": "x"}}),
        )
        .await;
    assert_eq!(patch.status, StatusCode::NOT_FOUND);
    let delete = sandbox.delete("/crm/v3/objects/deals/42").await;
    assert_eq!(delete.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn create_get_update_delete() {
    let sandbox = start_default().await;
    let created = sandbox
        .send_json(
            Method::POST,
            "/crm/v3/objects/contacts",
            &json!({"properties": {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace", "phone": 5550100}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = text(&created.body, "/id").to_owned();
    assert_eq!(text(&created.body, "/properties/hs_object_id"), id);
    assert_eq!(text(&created.body, "/properties/phone"), "5550100");
    assert!(created.body["createdAt"].is_string());
    let path = format!("/crm/v3/objects/contacts/{id}");

    let fetched = sandbox.get(&path).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(text(&fetched.body, "/properties/firstname"), "Ada");

    let by_email = sandbox
        .get("/crm/v3/objects/contacts/ada@example.com?idProperty=email")
        .await;
    assert_eq!(text(&by_email.body, "/id"), id);

    let updated = sandbox
        .send_json(
            Method::PATCH,
            &path,
            &json!({"properties": {"lastname": "King", "jobtitle": "Analyst"}}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(text(&updated.body, "/properties/lastname"), "King");
    assert_eq!(text(&updated.body, "/properties/jobtitle"), "Analyst");
    let fetched = sandbox
        .get(&format!("{path}?properties=lastname,jobtitle"))
        .await;
    assert_eq!(text(&fetched.body, "/properties/lastname"), "King");
    assert_eq!(text(&fetched.body, "/properties/jobtitle"), "Analyst");

    let duplicate = sandbox
        .send_json(
            Method::POST,
            "/crm/v3/objects/contacts",
            &json!({"properties": {"email": "ADA@example.com"}}),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(duplicate.body["category"], "CONFLICT");
    assert!(text(&duplicate.body, "/message").contains(&id));

    let deleted = sandbox.delete(&path).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.body, Value::Null);
    assert_eq!(sandbox.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(sandbox.delete(&path).await.status, StatusCode::NOT_FOUND);
    let archived = sandbox.get(&format!("{path}?archived=true")).await;
    assert_eq!(archived.status, StatusCode::OK);
    assert_eq!(archived.body["archived"], json!(true));

    let all = sandbox
        .get("/crm/v3/objects/contacts?limit=100&after=1200")
        .await;
    assert!(
        all.body["results"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| text(r, "/id") != id)
    );
}

#[tokio::test]
async fn invalid_bodies_are_validation_errors() {
    let sandbox = start_default().await;
    let malformed = sandbox
        .send_raw(
            Method::POST,
            "/crm/v3/objects/contacts",
            "{\"properties\": {",
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["category"], "VALIDATION_ERROR");
    assert!(text(&malformed.body, "/message").starts_with("Invalid input JSON"));

    let unknown = sandbox
        .send_json(
            Method::POST,
            "/crm/v3/objects/companies",
            &json!({"properties": {"name": "X", "shoe_size": "42"}}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(text(&unknown.body, "/message").contains("PROPERTY_DOESNT_EXIST"));

    let bad_email = sandbox
        .send_json(
            Method::POST,
            "/crm/v3/objects/contacts",
            &json!({"properties": {"email": "not an email"}}),
        )
        .await;
    assert_eq!(bad_email.status, StatusCode::BAD_REQUEST);
    assert!(text(&bad_email.body, "/message").contains("INVALID_EMAIL"));

    let not_object = sandbox
        .send_json(Method::POST, "/crm/v3/objects/deals", &json!([1, 2]))
        .await;
    assert_eq!(not_object.status, StatusCode::BAD_REQUEST);

    let unknown_type = sandbox.get("/crm/v3/objects/widgets").await;
    assert_eq!(unknown_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown_type.body["status"], "error");

    let wrong_method = sandbox
        .send_json(Method::PUT, "/crm/v3/objects/contacts", &json!({}))
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.body["status"], "error");
}

#[tokio::test]
async fn search_filters_queries_and_pages() {
    let sandbox = start_default().await;
    let first = sandbox
        .get("/crm/v3/objects/contacts?limit=1&properties=email")
        .await;
    let email = text(&first.body, "/results/0/properties/email").to_owned();

    let exact = sandbox
        .send_json(
            Method::POST,
            "/crm/v3/objects/contacts/search",
            &json!({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email.to_uppercase()}]}], "properties": ["email", "firstname"]}),
        )
        .await;
    assert_eq!(exact.status, StatusCode::OK, "{}", exact.body);
    assert_eq!(exact.body["total"], json!(1));
    assert_eq!(text(&exact.body, "/results/0/properties/email"), email);
    assert!(exact.body.get("paging").is_none());

    // OR across groups, AND within a group; the recorded request used the singular upper-case type.
    let either = sandbox
        .send_json(
            Method::POST,
            "/crm/v3/objects/CONTACT/search",
            &json!({"filterGroups": [
                {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "Olivia"}]},
                {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "Liam"},
                             {"propertyName": "lifecyclestage", "operator": "EQ", "value": "subscriber"}]}
            ], "limit": 100}),
        )
        .await;
    let results = either.body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!results.is_empty());
    assert_eq!(either.body["total"].as_u64(), Some(results.len() as u64));
    for r in &results {
        let first_name = text(r, "/properties/firstname");
        assert!(first_name == "Olivia" || first_name == "Liam", "{r}");
    }

    let token = sandbox
        .send_json(
            Method::POST,
            "/crm/v3/objects/companies/search",
            &json!({"filterGroups": [{"filters": [{"propertyName": "name", "operator": "CONTAINS_TOKEN", "value": "acme"}]}], "limit": 200}),
        )
        .await;
    let total = token.body["total"].as_u64().unwrap_or(0);
    assert!(total > 0);
    for r in token.body["results"].as_array().into_iter().flatten() {
        assert!(text(r, "/properties/name").starts_with("Acme"));
    }

    let mut seen = HashSet::new();
    let mut after: Option<String> = None;
    loop {
        let mut body = json!({"query": "garcia", "limit": 7, "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}]});
        if let Some(a) = &after {
            body["after"] = json!(a);
        }
        let page = sandbox
            .send_json(Method::POST, "/crm/v3/objects/contacts/search", &body)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        for r in page.body["results"].as_array().into_iter().flatten() {
            assert!(seen.insert(text(r, "/id").to_owned()));
            assert_eq!(text(r, "/properties/lastname"), "Garcia");
        }
        match page
            .body
            .pointer("/paging/next/after")
            .and_then(Value::as_str)
        {
            Some(a) => after = Some(a.to_owned()),
            None => {
                assert_eq!(page.body["total"].as_u64(), Some(seen.len() as u64));
                break;
            }
        }
    }
    assert!(seen.len() > 7);

    let bad = sandbox
        .send_json(
            Method::POST,
            "/crm/v3/objects/contacts/search",
            &json!({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "SOUNDS_LIKE", "value": "x"}]}]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["category"], "VALIDATION_ERROR");
    let too_big = sandbox
        .send_json(
            Method::POST,
            "/crm/v3/objects/contacts/search",
            &json!({"limit": 201}),
        )
        .await;
    assert_eq!(too_big.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn owners_list_and_get() {
    let sandbox = start_default().await;
    let owners = sandbox.get("/crm/v3/owners").await;
    let list = owners.body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.len(), switchboard_sandbox::OWNER_COUNT);
    assert!(owners.body.get("paging").is_none());
    let contact = sandbox
        .get("/crm/v3/objects/contacts?limit=1&properties=hubspot_owner_id")
        .await;
    let owner_id = text(&contact.body, "/results/0/properties/hubspot_owner_id").to_owned();
    let owner = sandbox.get(&format!("/crm/v3/owners/{owner_id}")).await;
    assert_eq!(owner.status, StatusCode::OK);
    assert_eq!(text(&owner.body, "/id"), owner_id);
    assert!(text(&owner.body, "/email").contains('@'));
    assert!(owner.body["userId"].is_u64());

    let email = text(&owner.body, "/email").to_owned();
    let filtered = sandbox.get(&format!("/crm/v3/owners?email={email}")).await;
    assert_eq!(filtered.body["results"].as_array().map(Vec::len), Some(1));

    let paged = sandbox.get("/crm/v3/owners?limit=4").await;
    assert_eq!(paged.body["results"].as_array().map(Vec::len), Some(4));
    assert!(paged.body.pointer("/paging/next/after").is_some());
}
