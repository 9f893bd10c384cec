//! The same seeded people exist in every vendor.

use reqwest::Method;
use serde_json::Value;

use crate::common::{read, start_default, text};

#[tokio::test]
async fn person_i_is_the_same_in_hubspot_and_salesforce() {
    let sandbox = start_default().await;
    let mut hubspot = Vec::new();
    let mut path =
        "/crm/v3/objects/contacts?limit=100&properties=firstname,lastname,email,phone".to_owned();
    loop {
        let page = sandbox.get(&path).await;
        for r in page.body["results"].as_array().into_iter().flatten() {
            hubspot.push([
                text(r, "/properties/firstname").to_owned(),
                text(r, "/properties/lastname").to_owned(),
                text(r, "/properties/email").to_owned(),
                text(r, "/properties/phone").to_owned(),
            ]);
        }
        match page
            .body
            .pointer("/paging/next/link")
            .and_then(Value::as_str)
        {
            Some(link) => path = link.to_owned(),
            None => break,
        }
    }
    let salesforce = read(
        sandbox
            .request(Method::GET, "/services/data/v60.0/query/")
            .query(&[(
                "q",
                "SELECT FirstName, LastName, Email, Phone FROM Contact ORDER BY Id",
            )])
            .send()
            .await,
    )
    .await;
    let salesforce: Vec<[String; 4]> = salesforce.body["records"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            [
                text(r, "/FirstName").to_owned(),
                text(r, "/LastName").to_owned(),
                text(r, "/Email").to_owned(),
                text(r, "/Phone").to_owned(),
            ]
        })
        .collect();
    assert_eq!(hubspot.len(), 250);
    assert_eq!(hubspot, salesforce);
    assert!(hubspot.iter().all(|p| p.iter().all(|f| !f.is_empty())));

    // Several Salesforce phone fields are used, and some HubSpot contacts have extra emails.
    for field in [
        "MobilePhone",
        "HomePhone",
        "OtherPhone",
        "Fax",
        "AssistantPhone",
    ] {
        let count = sandbox
            .soql(&format!(
                "SELECT COUNT() FROM Contact WHERE {field} != null"
            ))
            .await;
        let n = count.body["totalSize"].as_u64().unwrap_or(0);
        assert!(n > 0 && n < 250, "{field}: {n}");
    }
    let extra = sandbox
        .send_json(
            Method::POST,
            "/crm/v3/objects/contacts/search",
            &serde_json::json!({"filterGroups": [{"filters": [{"propertyName": "hs_additional_emails", "operator": "HAS_PROPERTY"}]}], "properties": ["hs_additional_emails"], "limit": 1}),
        )
        .await;
    assert!(extra.body["total"].as_u64().unwrap_or(0) > 0);
    assert!(text(&extra.body, "/results/0/properties/hs_additional_emails").contains(';'));
}

#[tokio::test]
async fn person_0_is_the_same_in_hubspot_salesforce_pipedrive_and_zendesk() {
    let sandbox = start_default().await;
    let hubspot = sandbox
        .get("/crm/v3/objects/contacts/1001?properties=firstname,lastname,email,phone")
        .await;
    let hubspot = [
        format!(
            "{} {}",
            text(&hubspot.body, "/properties/firstname"),
            text(&hubspot.body, "/properties/lastname")
        ),
        text(&hubspot.body, "/properties/email").to_owned(),
        text(&hubspot.body, "/properties/phone").to_owned(),
    ];
    let salesforce = sandbox
        .soql("SELECT Name, Email, Phone FROM Contact ORDER BY Id LIMIT 1")
        .await;
    let salesforce = [
        text(&salesforce.body, "/records/0/Name").to_owned(),
        text(&salesforce.body, "/records/0/Email").to_owned(),
        text(&salesforce.body, "/records/0/Phone").to_owned(),
    ];
    let pipedrive = sandbox.pd(Method::GET, "/v1/persons/1", None).await;
    let primary = |list: &str| {
        pipedrive.body["data"][list]
            .as_array()
            .and_then(|entries| entries.iter().find(|e| e["primary"] == true))
            .map(|e| text(e, "/value").to_owned())
            .unwrap_or_default()
    };
    let pipedrive_person = [
        text(&pipedrive.body, "/data/name").to_owned(),
        primary("email"),
        primary("phone"),
    ];
    let zendesk = sandbox
        .zd(Method::GET, "/api/v2/users/362000000001.json", None)
        .await;
    let zendesk = [
        text(&zendesk.body, "/user/name").to_owned(),
        text(&zendesk.body, "/user/email").to_owned(),
        text(&zendesk.body, "/user/phone").to_owned(),
    ];
    assert!(hubspot.iter().all(|f| !f.is_empty()), "{hubspot:?}");
    assert_eq!(hubspot, salesforce);
    assert_eq!(hubspot, pipedrive_person);
    assert_eq!(hubspot, zendesk);
    assert_eq!(text(&pipedrive.body, "/data/first_name"), "Olivia");
}

#[tokio::test]
async fn every_person_is_the_same_in_hubspot_and_pipedrive() {
    let sandbox = start_default().await;
    let hubspot = sandbox
        .get("/crm/v3/objects/contacts?limit=100&properties=firstname,lastname,email,phone")
        .await;
    let pipedrive = sandbox.pd(Method::GET, "/v1/persons?limit=100", None).await;
    let hubspot: Vec<[String; 4]> = hubspot.body["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            [
                text(r, "/properties/firstname").to_owned(),
                text(r, "/properties/lastname").to_owned(),
                text(r, "/properties/email").to_owned(),
                text(r, "/properties/phone").to_owned(),
            ]
        })
        .collect();
    let pipedrive: Vec<[String; 4]> = pipedrive.body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            [
                text(p, "/first_name").to_owned(),
                text(p, "/last_name").to_owned(),
                text(p, "/email/0/value").to_owned(),
                text(p, "/phone/0/value").to_owned(),
            ]
        })
        .collect();
    assert_eq!(hubspot.len(), 100);
    assert_eq!(hubspot, pipedrive);
}
