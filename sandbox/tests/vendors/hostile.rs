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
