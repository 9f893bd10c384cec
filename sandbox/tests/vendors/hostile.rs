//! Odd and hostile input never crashes the sandbox or produces a 5xx.

use reqwest::{Method, StatusCode};

use crate::common::{read, start_default};

#[tokio::test]
async fn odd_requests_get_vendor_shaped_client_errors() {
    let sandbox = start_default().await;
    let deep_json = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let deep_soql = format!(
        "SELECT Id FROM Contact WHERE {}Id = null{}",
        "(".repeat(3000),
        ")".repeat(3000)
    );
    let cases: Vec<(Method, String, Option<String>)> = vec![
        (Method::GET, "/crm/v3/objects/contacts/%FF".into(), None),
        (Method::GET, "/crm/v3/objects/contacts?limit=%FF".into(), None),
        (Method::GET, "/crm/v3/objects/contacts?after=-1".into(), None),
        (Method::GET, "/crm/v3/objects/contacts?limit=99999999999999999999999".into(), None),
        (Method::GET, "/crm/v3/objects/contacts?archived=maybe".into(), None),
        (Method::GET, "/crm/v3/objects/contacts/1001?idProperty=shoe_size".into(), None),
        (Method::GET, "/crm/v3/owners/1?idProperty=nope".into(), None),
        (Method::POST, "/crm/v3/objects/contacts".into(), Some(String::new())),
        (Method::POST, "/crm/v3/objects/contacts".into(), Some("null".into())),
        (Method::POST, "/crm/v3/objects/contacts".into(), Some("\"text\"".into())),
        (Method::POST, "/crm/v3/objects/contacts".into(), Some(deep_json.clone())),
        (Method::POST, "/crm/v3/objects/contacts".into(), Some(r#"{"properties": {"email": ["a"]}}"#.into())),
        (Method::POST, "/crm/v3/objects/deals".into(), Some(r#"{"properties": {"closedate": "-99999999999999"}}"#.into())),
        (Method::POST, "/crm/v3/objects/deals".into(), Some(r#"{"properties": {"amount": "1e999"}}"#.into())),
        (Method::POST, "/crm/v3/objects/deals".into(), Some(r#"{"properties": {"hs_object_id": "1"}}"#.into())),
        (Method::PATCH, "/crm/v3/objects/contacts/1001".into(), Some(String::new())),
        (Method::POST, "/crm/v3/objects/contacts/search".into(), Some(r#"{"filterGroups": "x"}"#.into())),
        (Method::POST, "/crm/v3/objects/contacts/search".into(), Some(r#"{"limit": -5}"#.into())),
        (Method::POST, "/crm/v3/objects/contacts/search".into(), Some(r#"{"after": {}}"#.into())),
        (Method::POST, "/crm/v3/objects/contacts/search".into(), Some(r#"{"after": "-3"}"#.into())),
        (Method::POST, "/crm/v3/objects/contacts/search".into(), Some(r#"{"sorts": [1]}"#.into())),
        (Method::POST, "/crm/v3/objects/contacts/search".into(), Some(r#"{"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ"}]}]}"#.into())),
        (Method::POST, "/crm/v3/objects/contacts/search".into(), Some(r#"{"filterGroups": [{"filters": [{"propertyName": "email", "operator": "IN", "values": []}]}]}"#.into())),
        (Method::POST, "/crm/v3/objects/contacts/search".into(), Some(r#"{"filterGroups": [{},{},{},{},{},{}]}"#.into())),
        (Method::POST, "/crm/v3/objects/contacts/search".into(), Some(deep_json.clone())),
        (Method::DELETE, "/crm/v3/owners/41629779".into(), None),
        (Method::GET, "/services/data/v60.0/sobjects/Contact/%FF%FE".into(), None),
        (Method::GET, "/services/data/v60.0/sobjects/Contact/0035g000000KGVEAA4?fields=Nope".into(), None),
        (Method::GET, "/services/data/v60.0/query/abc".into(), None),
        (Method::GET, "/services/data/v60.0/query/x-99999999999999999999999".into(), None),
        (Method::GET, "/services/data/v60.0/query?q=%FF%FE".into(), None),
        (Method::GET, format!("/services/data/v60.0/query?q={deep_soql}"), None),
        (Method::POST, "/services/data/v60.0/sobjects/Contact".into(), Some(deep_json)),
        (Method::POST, "/services/data/v60.0/sobjects/Contact".into(), Some(r#"{"LastName": "x", "Birthdate": "2021-02-30"}"#.into())),
        (Method::POST, "/services/data/v60.0/sobjects/Contact".into(), Some(r#"{"LastName": {"nested": true}}"#.into())),
        (Method::POST, "/services/data/v60.0/sobjects/Contact".into(), Some(r#"{"LastName": "x", "CreatedDate": "2021-01-01T00:00:00Z"}"#.into())),
        (Method::POST, "/services/data/v60.0/sobjects/Account".into(), Some(r#"{"Name": "x", "NumberOfEmployees": 1e300}"#.into())),
        (Method::POST, "/services/data/v60.0/sobjects/Account".into(), Some(r#"{"Name": "x", "AnnualRevenue": "NaN"}"#.into())),
        (Method::PATCH, "/services/data/v60.0/sobjects/Account/0015g000000KGVEAA4".into(), Some(r#"{"Name": null}"#.into())),
        (Method::DELETE, "/services/data/v60.0/sobjects/User/0055g000000KGVEAA4".into(), None),
    ];
    for (method, path, body) in cases {
        let mut request = sandbox.request(method.clone(), &path);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let reply = read(request.send().await).await;
        assert!(
            reply.status.is_client_error(),
            "{method} {path} -> {} {}",
            reply.status,
            reply.body
        );
        let vendor_shaped = if path.starts_with("/crm") {
            reply.body["status"] == "error"
        } else {
            reply.body[0]["errorCode"].is_string()
        };
        assert!(vendor_shaped, "{method} {path} -> {}", reply.body);
    }
}

#[tokio::test]
async fn odd_authorization_headers_are_401() {
    let sandbox = start_default().await;
    let url = format!("{}/crm/v3/owners", sandbox.handle.base_url());
    for value in [
        "Bearer",
        "Basic c2FuZGJveC10b2tlbg==",
        "bearer  ",
        "Token sandbox-token",
        "Bearer sandbox-token2",
    ] {
        let reply = read(
            sandbox
                .http
                .get(&url)
                .header("authorization", value)
                .send()
                .await,
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{value}");
    }
    // Scheme names are case-insensitive; Salesforce also takes `OAuth`.
    let ok = read(
        sandbox
            .http
            .get(&url)
            .header("authorization", "bearer sandbox-token")
            .send()
            .await,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    let salesforce = format!(
        "{}/services/data/v60.0/query?q=SELECT+Id+FROM+User",
        sandbox.handle.base_url()
    );
    let oauth = read(
        sandbox
            .http
            .get(&salesforce)
            .header("authorization", "OAuth sandbox-token")
            .send()
            .await,
    )
    .await;
    assert_eq!(oauth.status, StatusCode::OK);
}

#[tokio::test]
async fn odd_pipedrive_and_zendesk_requests_get_vendor_shaped_client_errors() {
    let sandbox = start_default().await;
    let deep_json = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(3000), "}".repeat(3000));
    let huge_id = "99999999999999999999999";
    let pipedrive: Vec<(Method, String, Option<String>)> = vec![
        (Method::GET, "/v1/persons/%FF".into(), None),
        (Method::GET, format!("/v1/persons/{huge_id}"), None),
        (Method::GET, "/v1/persons?limit=%FF".into(), None),
        (Method::GET, "/v1/persons?start=-1".into(), None),
        (Method::GET, format!("/v1/persons?limit={huge_id}0"), None),
        (Method::GET, format!("/v1/persons?start={huge_id}"), None),
        (Method::GET, "/v1/deals?status=maybe".into(), None),
        (Method::GET, "/v1/users/-1".into(), None),
        (Method::GET, "/v1/%FF%FE".into(), None),
        (Method::POST, "/v1/persons".into(), Some(String::new())),
        (Method::POST, "/v1/persons".into(), Some("null".into())),
        (Method::POST, "/v1/persons".into(), Some("\"text\"".into())),
        (Method::POST, "/v1/persons".into(), Some(deep_json.clone())),
        (
            Method::POST,
            "/v1/persons".into(),
            Some(deep_object.clone()),
        ),
        (
            Method::POST,
            "/v1/persons".into(),
            Some(r#"{"name": ["a"]}"#.into()),
        ),
        (
            Method::POST,
            "/v1/persons".into(),
            Some(r#"{"name": "x", "email": {"value": 1}}"#.into()),
        ),
        (
            Method::POST,
            "/v1/persons".into(),
            Some(r#"{"name": "x", "phone": [[]]}"#.into()),
        ),
        (
            Method::POST,
            "/v1/persons".into(),
            Some(r#"{"name": "x", "org_id": -1}"#.into()),
        ),
        (
            Method::POST,
            "/v1/persons".into(),
            Some(r#"{"name": "x", "owner_id": 1e300}"#.into()),
        ),
        (
            Method::POST,
            "/v1/persons".into(),
            Some(r#"{"name": "x", "add_time": "2021-02-30 10:00:00"}"#.into()),
        ),
        (
            Method::POST,
            "/v1/persons".into(),
            Some(format!(r#"{{"name": "{}"}}"#, "n".repeat(300))),
        ),
        (
            Method::POST,
            "/v1/deals".into(),
            Some(r#"{"title": "x", "org_id": 1, "value": "1e999"}"#.into()),
        ),
        (
            Method::POST,
            "/v1/deals".into(),
            Some(r#"{"title": "x", "org_id": 1, "probability": 101}"#.into()),
        ),
        (
            Method::POST,
            "/v1/deals".into(),
            Some(r#"{"title": "x", "org_id": 1, "expected_close_date": "tomorrow"}"#.into()),
        ),
        (
            Method::POST,
            "/v1/deals".into(),
            Some(r#"{"title": "x", "org_id": 1, "pipeline_id": 7}"#.into()),
        ),
        (
            Method::POST,
            "/v1/organizations".into(),
            Some(r#"{"name": "x", "address": {"street": 1}}"#.into()),
        ),
        (
            Method::PUT,
            format!("/v1/persons/{huge_id}"),
            Some("{}".into()),
        ),
        (
            Method::PUT,
            "/v1/persons/1".into(),
            Some(r#"{"first_name": null, "last_name": null}"#.into()),
        ),
        (Method::DELETE, "/v1/users/13370001".into(), None),
        (Method::DELETE, "/v1/personFields".into(), None),
    ];
    for (method, path, body) in pipedrive {
        let mut request = sandbox.pipedrive(method.clone(), &path);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let reply = read(request.send().await).await;
        assert!(
            reply.status.is_client_error(),
            "{method} {path} -> {} {}",
            reply.status,
            reply.body
        );
        assert_eq!(
            reply.body["success"], false,
            "{method} {path} -> {}",
            reply.body
        );
    }
    // A malformed form body.
    let form = read(
        sandbox
            .pipedrive(Method::POST, "/v1/persons")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![0xFF, b'=', b'%', 0xFE])
            .send()
            .await,
    )
    .await;
    assert_eq!(form.status, StatusCode::BAD_REQUEST, "{}", form.body);

    let zendesk: Vec<(Method, String, Option<String>)> = vec![
        (Method::GET, "/api/v2/tickets/%FF.json".into(), None),
        (Method::GET, format!("/api/v2/tickets/{huge_id}.json"), None),
        (Method::GET, "/api/v2/tickets/1.xml".into(), None),
        (
            Method::GET,
            "/api/v2/tickets.json?page[size]=%FF".into(),
            None,
        ),
        (
            Method::GET,
            "/api/v2/tickets.json?page[size]=-5".into(),
            None,
        ),
        (
            Method::GET,
            "/api/v2/tickets.json?page[after]=%FF%FE".into(),
            None,
        ),
        (
            Method::GET,
            "/api/v2/tickets.json?page[after]=e30&page[before]=e30".into(),
            None,
        ),
        (Method::GET, "/api/v2/users.json?page=abc".into(), None),
        (
            Method::GET,
            format!("/api/v2/users.json?per_page={huge_id}0"),
            None,
        ),
        (Method::GET, "/api/v2/%FF".into(), None),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(String::new()),
        ),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(deep_json.clone()),
        ),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(deep_object),
        ),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(r#"{"ticket": "x"}"#.into()),
        ),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(r#"{"ticket": {"comment": 5}}"#.into()),
        ),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(r#"{"ticket": {"comment": {"body": ""}}}"#.into()),
        ),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(r#"{"ticket": {"comment": {"body": "x", "author_id": -1}}}"#.into()),
        ),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(r#"{"ticket": {"comment": {"body": "x"}, "custom_fields": "x"}}"#.into()),
        ),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(format!(
                r#"{{"ticket": {{"comment": {{"body": "x"}}, "custom_fields": [{{"id": 360100000003, "value": "{huge_id}"}}]}}}}"#
            )),
        ),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(
                r#"{"ticket": {"comment": {"body": "x"}, "requester": {"email": "not an email"}}}"#
                    .into(),
            ),
        ),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(
                r#"{"ticket": {"comment": {"body": "x"}, "due_at": "2021-13-01T00:00:00Z"}}"#
                    .into(),
            ),
        ),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(r#"{"ticket": {"comment": {"body": "x"}, "tags": [1, 2]}}"#.into()),
        ),
        (
            Method::POST,
            "/api/v2/tickets.json".into(),
            Some(r#"{"ticket": {"comment": {"body": "x"}, "collaborator_ids": [1e300]}}"#.into()),
        ),
        (
            Method::POST,
            "/api/v2/users.json".into(),
            Some(r#"{"user": {"name": "x", "email": ["a"]}}"#.into()),
        ),
        (
            Method::POST,
            "/api/v2/users.json".into(),
            Some(r#"{"user": {"name": "x", "user_fields": []}}"#.into()),
        ),
        (
            Method::POST,
            "/api/v2/organizations.json".into(),
            Some(r#"{"organization": {"name": "x", "domain_names": "a.com"}}"#.into()),
        ),
        (
            Method::PUT,
            format!("/api/v2/users/{huge_id}.json"),
            Some(r#"{"user": {}}"#.into()),
        ),
        (Method::DELETE, "/api/v2/ticket_fields.json".into(), None),
        (
            Method::PATCH,
            "/api/v2/tickets/1.json".into(),
            Some("{}".into()),
        ),
    ];
    for (method, path, body) in zendesk {
        let mut request = sandbox.zendesk(method.clone(), &path);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let reply = read(request.send().await).await;
        assert!(
            reply.status.is_client_error(),
            "{method} {path} -> {} {}",
            reply.status,
            reply.body
        );
        assert!(
            reply.body["error"].is_string(),
            "{method} {path} -> {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn odd_pipedrive_and_zendesk_credentials_are_401() {
    let sandbox = start_default().await;
    let pipedrive = sandbox.url("/v1/users");
    for request in [
        sandbox.http.get(format!("{pipedrive}?api_token=%FF%FE")),
        sandbox.http.get(format!("{pipedrive}?api_token=")),
        sandbox.http.get(&pipedrive).header("x-api-token", ""),
        sandbox
            .http
            .get(&pipedrive)
            .header("authorization", "Bearer"),
        sandbox
            .http
            .get(&pipedrive)
            .header("authorization", "Basic c2FuZGJveC10b2tlbg=="),
    ] {
        let reply = read(request.send().await).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
        assert_eq!(reply.body["success"], false);
    }
    let zendesk = sandbox.url("/api/v2/users/me.json");
    for value in [
        "Basic",
        "Basic !!!",
        "Basic c2FuZGJveC10b2tlbg==",
        "Basic /w==",
        "Bearer",
        "Token sandbox-token",
    ] {
        let reply = read(
            sandbox
                .http
                .get(&zendesk)
                .header("authorization", value)
                .send()
                .await,
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{value}");
        assert!(reply.body["error"].is_string(), "{value}");
    }
}
