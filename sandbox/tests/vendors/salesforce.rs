//! Salesforce REST behaviour.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{read, start_default, text};

const BASE: &str = "/services/data/v60.0";

fn assert_error(reply: &crate::common::Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let errors = reply.body.as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "error bodies are arrays: {}", reply.body);
    assert_eq!(errors[0]["errorCode"], code, "{}", reply.body);
    assert!(errors[0]["message"].is_string());
}

#[tokio::test]
async fn query_pages_through_next_records_url_until_done() {
    let sandbox = start_default().await;
    let first = read(
        sandbox
            .request(Method::GET, &format!("{BASE}/query"))
            .query(&[("q", "SELECT Id, Name, Email FROM Contact")])
            .header("Sforce-Query-Options", "batchSize=200")
            .send()
            .await,
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["totalSize"], json!(250));
    assert_eq!(first.body["done"], json!(false));
    let next = text(&first.body, "/nextRecordsUrl").to_owned();
    let locator = next
        .strip_prefix("/services/data/v60.0/query/")
        .unwrap_or_default();
    let (id, offset) = locator.rsplit_once('-').unwrap_or_default();
    assert!(id.starts_with("01g") && id.len() == 18, "{next}");
    assert_eq!(offset, "200");

    let mut ids = Vec::new();
    let mut page = first;
    let mut pages = 1;
    loop {
        for record in page.body["records"].as_array().into_iter().flatten() {
            assert_eq!(text(record, "/attributes/type"), "Contact");
            let id = text(record, "/Id").to_owned();
            assert_eq!(
                text(record, "/attributes/url"),
                format!("/services/data/v60.0/sobjects/Contact/{id}")
            );
            assert_eq!(id.len(), 18);
            assert!(id.starts_with("003"));
            ids.push(id);
        }
        if page.body["done"] == json!(true) {
            assert!(page.body.get("nextRecordsUrl").is_none());
            break;
        }
        assert_eq!(page.body["records"].as_array().map(Vec::len), Some(200));
        let next = text(&page.body, "/nextRecordsUrl").to_owned();
        page = sandbox.get(&next).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.body["totalSize"], json!(250));
        pages += 1;
    }
    assert_eq!(pages, 2);
    assert_eq!(ids.len(), 250);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 250);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "without ORDER BY records come in id order");

    // Default batch size is 2000: one page.
    let all = sandbox.soql("SELECT Id FROM Account").await;
    assert_eq!(all.body["done"], json!(true));
    assert_eq!(all.body["records"].as_array().map(Vec::len), Some(250));

    let bogus = sandbox
        .get(&format!("{BASE}/query/01gXXXXXXXXXXXXXXX-200"))
        .await;
    assert_error(&bogus, StatusCode::BAD_REQUEST, "INVALID_QUERY_LOCATOR");
}

#[tokio::test]
async fn soql_where_order_limit_and_count() {
    let sandbox = start_default().await;
    let one = sandbox.soql("SELECT Id, Email FROM Contact LIMIT 1").await;
    let email = text(&one.body, "/records/0/Email").to_owned();
    let found = sandbox
        .soql(&format!(
            "SELECT Id, FirstName FROM Contact WHERE Email = '{}'",
            email.to_uppercase()
        ))
        .await;
    assert_eq!(found.body["totalSize"], json!(1), "{}", found.body);
    assert_eq!(found.body["done"], json!(true));
    assert_eq!(
        text(&found.body, "/records/0/Id"),
        text(&one.body, "/records/0/Id")
    );
    let record = found.body["records"][0]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let keys: Vec<&str> = record.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 3, "attributes + selected fields only: {keys:?}");

    let obrien = sandbox
        .soql("SELECT LastName FROM Contact WHERE LastName = 'O\\'Brien'")
        .await;
    assert!(
        obrien.body["totalSize"].as_u64().unwrap_or(0) > 0,
        "{}",
        obrien.body
    );

    let ordered = sandbox
        .soql("SELECT Name, Amount FROM Opportunity WHERE Amount > 50000 AND IsClosed = false ORDER BY Amount DESC, Id LIMIT 5")
        .await;
    let amounts: Vec<f64> = ordered.body["records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["Amount"].as_f64())
        .collect();
    assert_eq!(amounts.len(), 5);
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]), "{amounts:?}");
    assert!(amounts.iter().all(|a| *a > 50_000.0));

    let count = sandbox.soql("SELECT COUNT() FROM User").await;
    assert_eq!(
        count.body["totalSize"],
        json!(switchboard_sandbox::OWNER_COUNT)
    );
    assert_eq!(count.body["records"], json!([]));

    let custom = sandbox
        .soql("SELECT Id, Favorite_Color__c FROM Contact WHERE Favorite_Color__c != null LIMIT 3")
        .await;
    for r in custom.body["records"].as_array().into_iter().flatten() {
        assert!(r["Favorite_Color__c"].is_string());
    }

    let like = sandbox
        .soql("SELECT Name FROM Account WHERE Name LIKE 'acme%' ORDER BY Name")
        .await;
    let names: Vec<&str> = like.body["records"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| text(r, "/Name"))
        .collect();
    assert!(!names.is_empty());
    assert!(names.iter().all(|n| n.starts_with("Acme")));

    let dated = sandbox
        .soql("SELECT Id, CreatedDate, CloseDate FROM Opportunity WHERE CreatedDate >= 2021-06-02T00:00:00Z AND CloseDate < 2022-01-01 LIMIT 1")
        .await;
    assert_eq!(dated.status, StatusCode::OK, "{}", dated.body);
    let created = text(&dated.body, "/records/0/CreatedDate");
    assert_eq!(
        created.len(),
        "2021-12-02T18:22:42.000+0000".len(),
        "{created}"
    );
    assert!(created.ends_with(".000+0000"));
}

#[tokio::test]
async fn bad_soql_is_400_with_salesforce_error_codes() {
    let sandbox = start_default().await;
    assert_error(
        &sandbox.soql("SELECT Id FROM Widget").await,
        StatusCode::BAD_REQUEST,
        "INVALID_TYPE",
    );
    let field = sandbox.soql("SELECT Id, Shoe_Size__c FROM Contact").await;
    assert_error(&field, StatusCode::BAD_REQUEST, "INVALID_FIELD");
    assert!(
        text(&field.body, "/0/message")
            .contains("No such column 'Shoe_Size__c' on entity 'Contact'")
    );
    assert_error(
        &sandbox.soql("SELECT Id FRM Contact").await,
        StatusCode::BAD_REQUEST,
        "MALFORMED_QUERY",
    );
    assert_error(
        &sandbox.soql("DROP TABLE Contact").await,
        StatusCode::BAD_REQUEST,
        "MALFORMED_QUERY",
    );
    assert_error(
        &sandbox.get(&format!("{BASE}/query")).await,
        StatusCode::BAD_REQUEST,
        "MALFORMED_QUERY",
    );
}

#[tokio::test]
async fn wrong_token_is_401_invalid_session() {
    let sandbox = start_default().await;
    let url = format!(
        "{}{BASE}/sobjects/Contact/0035g000004SNFmAAO",
        sandbox.handle.base_url()
    );
    let wrong = read(sandbox.http.get(&url).bearer_auth("expired").send().await).await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED, "INVALID_SESSION_ID");
    assert_eq!(
        text(&wrong.body, "/0/message"),
        "Session expired or invalid"
    );
    assert!(wrong.header("sforce-limit-info").starts_with("api-usage="));
    let missing = read(sandbox.http.get(&url).send().await).await;
    assert_error(&missing, StatusCode::UNAUTHORIZED, "INVALID_SESSION_ID");
}

#[tokio::test]
async fn unknown_ids_and_objects_are_404_not_found() {
    let sandbox = start_default().await;
    let contact = sandbox.soql("SELECT Id FROM Contact LIMIT 1").await;
    let real = text(&contact.body, "/records/0/Id").to_owned();
    let mut missing = real.clone();
    missing.replace_range(10..15, "zzzzz");
    for path in [
        format!("{BASE}/sobjects/Contact/{missing}"),
        format!("{BASE}/sobjects/Contact/nope"),
        format!("{BASE}/sobjects/Account/{real}"),
        format!("{BASE}/sobjects/Widget/{real}"),
        format!("{BASE}/nothing-here"),
        "/services/data/latest/query?q=SELECT+Id+FROM+Contact".to_owned(),
    ] {
        let reply = sandbox.get(&path).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "NOT_FOUND");
        assert_eq!(
            text(&reply.body, "/0/message"),
            "The requested resource does not exist"
        );
    }
    // A 15-character id works as well as the 18-character one.
    let short = sandbox
        .get(&format!("{BASE}/sobjects/Contact/{}", &real[..15]))
        .await;
    assert_eq!(short.status, StatusCode::OK);
    assert_eq!(text(&short.body, "/Id"), real);
}

#[tokio::test]
async fn create_get_update_delete() {
    let sandbox = start_default().await;
    let account = sandbox.soql("SELECT Id FROM Account LIMIT 1").await;
    let account_id = text(&account.body, "/records/0/Id").to_owned();
    let created = sandbox
        .send_json(
            Method::POST,
            &format!("{BASE}/sobjects/Contact"),
            &json!({"FirstName": "Grace", "LastName": "Hopper", "Email": "grace@example.com",
                    "AccountId": account_id, "Favorite_Color__c": "Blue", "Birthdate": "1906-12-09"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["success"], json!(true));
    assert_eq!(created.body["errors"], json!([]));
    let id = text(&created.body, "/id").to_owned();
    assert!(id.starts_with("003") && id.len() == 18);
    let location = created.header("location").to_owned();
    assert_eq!(
        location,
        format!("/services/data/v60.0/sobjects/Contact/{id}")
    );

    let fetched = sandbox.get(&location).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(text(&fetched.body, "/attributes/type"), "Contact");
    assert_eq!(text(&fetched.body, "/Name"), "Grace Hopper");
    assert_eq!(text(&fetched.body, "/Favorite_Color__c"), "Blue");
    assert_eq!(text(&fetched.body, "/AccountId"), account_id);
    assert_eq!(text(&fetched.body, "/Birthdate"), "1906-12-09");
    assert!(text(&fetched.body, "/OwnerId").starts_with("005"));
    assert!(!fetched.header("last-modified").is_empty());
    let raw = match sandbox.request(Method::GET, &location).send().await {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(e) => panic!("{e}"),
    };
    assert!(
        raw.starts_with("{\"attributes\":{"),
        "attributes come first: {raw}"
    );
    assert!(
        raw.find("\"Id\"") < raw.find("\"Favorite_Color__c\""),
        "fields keep describe order"
    );

    let updated = sandbox
        .send_json(
            Method::PATCH,
            &location,
            &json!({"LastName": "Murray", "MobilePhone": "+1 212-555-0199"}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::NO_CONTENT, "{}", updated.body);
    assert_eq!(updated.body, Value::Null);
    let fetched = sandbox
        .get(&format!("{location}?fields=Name,MobilePhone"))
        .await;
    assert_eq!(text(&fetched.body, "/Name"), "Grace Murray");
    assert_eq!(text(&fetched.body, "/MobilePhone"), "+1 212-555-0199");

    let queried = sandbox
        .soql("SELECT Id FROM Contact WHERE Email = 'grace@example.com'")
        .await;
    assert_eq!(queried.body["totalSize"], json!(1));

    assert_eq!(
        sandbox.delete(&location).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = sandbox.get(&location).await;
    assert_error(&gone, StatusCode::NOT_FOUND, "ENTITY_IS_DELETED");
    let queried = sandbox
        .soql("SELECT Id FROM Contact WHERE Email = 'grace@example.com'")
        .await;
    assert_eq!(queried.body["totalSize"], json!(0));
    assert_eq!(queried.body["records"], json!([]));
}

#[tokio::test]
async fn invalid_writes_are_refused_like_salesforce() {
    let sandbox = start_default().await;
    let path = format!("{BASE}/sobjects/Contact");
    let missing = sandbox
        .send_json(Method::POST, &path, &json!({"FirstName": "No"}))
        .await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "REQUIRED_FIELD_MISSING");
    assert_eq!(missing.body[0]["fields"], json!(["LastName"]));
    let unknown = sandbox
        .send_json(
            Method::POST,
            &path,
            &json!({"LastName": "X", "Shoe_Size__c": 42}),
        )
        .await;
    assert_error(&unknown, StatusCode::BAD_REQUEST, "INVALID_FIELD");
    let with_id = sandbox
        .send_json(
            Method::POST,
            &path,
            &json!({"LastName": "X", "Id": "0035g000004SNFmAAO"}),
        )
        .await;
    assert_error(&with_id, StatusCode::BAD_REQUEST, "INVALID_FIELD");
    let read_only = sandbox
        .send_json(Method::POST, &path, &json!({"LastName": "X", "Name": "Y"}))
        .await;
    assert_error(
        &read_only,
        StatusCode::BAD_REQUEST,
        "INVALID_FIELD_FOR_INSERT_UPDATE",
    );
    let email = sandbox
        .send_json(
            Method::POST,
            &path,
            &json!({"LastName": "X", "Email": "badone"}),
        )
        .await;
    assert_error(&email, StatusCode::BAD_REQUEST, "INVALID_EMAIL_ADDRESS");
    let reference = sandbox
        .send_json(
            Method::POST,
            &path,
            &json!({"LastName": "X", "AccountId": "0035g000004SNFmAAO"}),
        )
        .await;
    assert_error(&reference, StatusCode::BAD_REQUEST, "MALFORMED_ID");
    let malformed = sandbox
        .send_raw(Method::POST, &path, "{\"LastName\": ")
        .await;
    assert_error(&malformed, StatusCode::BAD_REQUEST, "JSON_PARSER_ERROR");
    let array = sandbox.send_raw(Method::POST, &path, "[]").await;
    assert_error(&array, StatusCode::BAD_REQUEST, "JSON_PARSER_ERROR");
    let typed = sandbox
        .send_json(
            Method::POST,
            &format!("{BASE}/sobjects/Account"),
            &json!({"Name": "X", "NumberOfEmployees": "many"}),
        )
        .await;
    assert_error(&typed, StatusCode::BAD_REQUEST, "JSON_PARSER_ERROR");
    let user = sandbox
        .send_json(
            Method::POST,
            &format!("{BASE}/sobjects/User"),
            &json!({"LastName": "X"}),
        )
        .await;
    assert_error(&user, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn opportunities_and_accounts_round_trip() {
    let sandbox = start_default().await;
    let account = sandbox
        .send_json(
            Method::POST,
            &format!("{BASE}/sobjects/Account/"),
            &json!({"Name": "Express Logistics and Transport", "NumberOfEmployees": 120}),
        )
        .await;
    assert_eq!(account.status, StatusCode::CREATED, "{}", account.body);
    let account_id = text(&account.body, "/id").to_owned();
    assert!(account_id.starts_with("001"));
    let opportunity = sandbox
        .send_json(
            Method::POST,
            &format!("{BASE}/sobjects/Opportunity"),
            &json!({"Name": "Big deal", "StageName": "Prospecting", "CloseDate": "2026-01-31", "Amount": 1000, "AccountId": account_id}),
        )
        .await;
    assert_eq!(
        opportunity.status,
        StatusCode::CREATED,
        "{}",
        opportunity.body
    );
    let location = opportunity.header("location").to_owned();
    let patched = sandbox
        .send_json(
            Method::PATCH,
            &location,
            &json!({"StageName": "Closed Won"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT);
    let fetched = sandbox.get(&location).await;
    assert_eq!(fetched.body["IsClosed"], json!(true));
    assert_eq!(fetched.body["IsWon"], json!(true));
    assert_eq!(fetched.body["Amount"].as_f64(), Some(1000.0));
    assert_eq!(text(&fetched.body, "/CloseDate"), "2026-01-31");
    let by_account = sandbox
        .soql(&format!(
            "SELECT Id FROM Opportunity WHERE AccountId = '{}'",
            &account_id[..15]
        ))
        .await;
    assert_eq!(
        by_account.body["totalSize"],
        json!(1),
        "{}",
        by_account.body
    );
}

/// Records of a one-page query, as objects.
fn records(reply: &crate::common::Reply) -> Vec<serde_json::Map<String, Value>> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["done"], json!(true), "one page: {}", reply.body);
    reply.body["records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_object().cloned())
        .collect()
}

fn field<'a>(record: &'a serde_json::Map<String, Value>, name: &str) -> &'a Value {
    record
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {record:?}"))
}

#[tokio::test]
async fn contact_standard_fields_include_reports_to() {
    let sandbox = start_default().await;
    let contacts = records(
        &sandbox
            .soql(
                "SELECT Id, Salutation, Name, Title, Department, AccountId, OwnerId, ReportsToId, \
                 MailingStreet, MailingCity, MailingState, MailingPostalCode, MailingCountry, \
                 LeadSource, Birthdate, Description FROM Contact ORDER BY Id",
            )
            .await,
    );
    assert_eq!(contacts.len(), 250);
    let by_id: std::collections::HashMap<&str, &serde_json::Map<String, Value>> = contacts
        .iter()
        .map(|c| (field(c, "Id").as_str().unwrap_or_default(), c))
        .collect();
    let mut reporting = 0;
    for contact in &contacts {
        assert!(field(contact, "Title").is_string());
        assert!(field(contact, "Department").is_string());
        assert!(field(contact, "MailingStreet").is_string());
        let Some(boss) = field(contact, "ReportsToId").as_str() else {
            continue;
        };
        reporting += 1;
        assert!(boss.starts_with("003") && boss.len() == 18, "{boss}");
        assert_ne!(Some(boss), field(contact, "Id").as_str());
        let boss = by_id
            .get(boss)
            .unwrap_or_else(|| panic!("ReportsToId {boss} is not a contact"));
        assert_eq!(
            field(boss, "AccountId"),
            field(contact, "AccountId"),
            "people report to a colleague at the same account"
        );
        assert_eq!(field(boss, "ReportsToId"), &Value::Null, "no cycles");
    }
    assert!(reporting > 0 && reporting < 250, "{reporting}");

    // Filters and writes treat it as a Contact reference.
    let boss = contacts
        .iter()
        .find_map(|c| field(c, "ReportsToId").as_str())
        .unwrap_or_default()
        .to_owned();
    let reports = sandbox
        .soql(&format!(
            "SELECT Id FROM Contact WHERE ReportsToId = '{}'",
            &boss[..15]
        ))
        .await;
    assert_eq!(reports.body["totalSize"], json!(1), "{}", reports.body);
    let path = format!("{BASE}/sobjects/Contact");
    let created = sandbox
        .send_json(
            Method::POST,
            &path,
            &json!({"LastName": "Intern", "ReportsToId": boss}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let location = created.header("location").to_owned();
    let fetched = sandbox.get(&format!("{location}?fields=ReportsToId")).await;
    assert_eq!(fetched.body["ReportsToId"], json!(boss));
    let account = text(
        &sandbox.soql("SELECT Id FROM Account LIMIT 1").await.body,
        "/records/0/Id",
    )
    .to_owned();
    let wrong_type = sandbox
        .send_json(Method::PATCH, &location, &json!({"ReportsToId": account}))
        .await;
    assert_error(&wrong_type, StatusCode::BAD_REQUEST, "MALFORMED_ID");
    let cleared = sandbox
        .send_json(Method::PATCH, &location, &json!({"ReportsToId": null}))
        .await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT, "{}", cleared.body);
    let fetched = sandbox.get(&format!("{location}?fields=ReportsToId")).await;
    assert_eq!(fetched.body["ReportsToId"], Value::Null);
}

#[tokio::test]
async fn accounts_have_shipping_addresses() {
    let sandbox = start_default().await;
    let accounts = records(
        &sandbox
            .soql(
                "SELECT Id, Type, ParentId, BillingStreet, BillingCity, BillingState, \
                 BillingPostalCode, BillingCountry, ShippingStreet, ShippingCity, ShippingState, \
                 ShippingPostalCode, ShippingCountry FROM Account ORDER BY Id",
            )
            .await,
    );
    assert_eq!(accounts.len(), 250);
    let mut shipped = 0;
    for account in &accounts {
        if field(account, "ShippingStreet").is_null() {
            for part in ["City", "State", "PostalCode", "Country"] {
                assert!(field(account, &format!("Shipping{part}")).is_null());
            }
            continue;
        }
        shipped += 1;
        for part in ["Street", "City", "State", "PostalCode", "Country"] {
            assert_eq!(
                field(account, &format!("Shipping{part}")),
                field(account, &format!("Billing{part}")),
                "{part}"
            );
        }
    }
    assert!(shipped > 0 && shipped < 250, "{shipped}");

    let created = sandbox
        .send_json(
            Method::POST,
            &format!("{BASE}/sobjects/Account"),
            &json!({"Name": "Dock Co", "ShippingStreet": "1 Pier Rd\nUnit 4", "ShippingCity": "Oakland",
                    "ShippingState": "CA", "ShippingPostalCode": "94607", "ShippingCountry": "United States"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let fetched = sandbox.get(created.header("location")).await;
    assert_eq!(text(&fetched.body, "/ShippingStreet"), "1 Pier Rd\nUnit 4");
    assert_eq!(text(&fetched.body, "/ShippingCity"), "Oakland");
    assert_eq!(fetched.body["BillingCity"], Value::Null);
}

#[tokio::test]
async fn opportunity_next_step_and_forecast_category_follow_the_stage() {
    let sandbox = start_default().await;
    let opportunities = records(
        &sandbox
            .soql(
                "SELECT Id, StageName, NextStep, ForecastCategoryName, IsClosed, IsWon \
                 FROM Opportunity ORDER BY Id",
            )
            .await,
    );
    assert_eq!(opportunities.len(), 250);
    let mut with_next_step = 0;
    for o in &opportunities {
        let closed = field(o, "IsClosed") == &json!(true);
        let won = field(o, "IsWon") == &json!(true);
        let expected = match (closed, won) {
            (true, true) => "Closed",
            (true, false) => "Omitted",
            _ => "Pipeline",
        };
        assert_eq!(field(o, "ForecastCategoryName"), &json!(expected), "{o:?}");
        if field(o, "NextStep").is_string() {
            with_next_step += 1;
            assert!(!closed, "closed deals have no next step: {o:?}");
        }
    }
    assert!(with_next_step > 0, "some open deals have a next step");
    let pipeline = sandbox
        .soql("SELECT COUNT() FROM Opportunity WHERE ForecastCategoryName = 'Pipeline' AND IsClosed = true")
        .await;
    assert_eq!(pipeline.body["totalSize"], json!(0));

    let created = sandbox
        .send_json(
            Method::POST,
            &format!("{BASE}/sobjects/Opportunity"),
            &json!({"Name": "Pilot", "StageName": "Prospecting", "CloseDate": "2030-03-31",
                    "NextStep": "Kick-off call"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let location = created.header("location").to_owned();
    let fields = format!("{location}?fields=StageName,ForecastCategoryName,NextStep,Probability");
    let fetched = sandbox.get(&fields).await;
    assert_eq!(text(&fetched.body, "/ForecastCategoryName"), "Pipeline");
    assert_eq!(text(&fetched.body, "/NextStep"), "Kick-off call");

    // Set explicitly, it sticks until the stage changes.
    let best_case = sandbox
        .send_json(
            Method::PATCH,
            &location,
            &json!({"ForecastCategoryName": "Best Case", "NextStep": null}),
        )
        .await;
    assert_eq!(
        best_case.status,
        StatusCode::NO_CONTENT,
        "{}",
        best_case.body
    );
    let fetched = sandbox.get(&fields).await;
    assert_eq!(text(&fetched.body, "/ForecastCategoryName"), "Best Case");
    assert_eq!(fetched.body["NextStep"], Value::Null);
    let unrelated = sandbox
        .send_json(Method::PATCH, &location, &json!({"Amount": 5000}))
        .await;
    assert_eq!(unrelated.status, StatusCode::NO_CONTENT);
    assert_eq!(
        text(&sandbox.get(&fields).await.body, "/ForecastCategoryName"),
        "Best Case"
    );
    let won = sandbox
        .send_json(
            Method::PATCH,
            &location,
            &json!({"StageName": "Closed Won"}),
        )
        .await;
    assert_eq!(won.status, StatusCode::NO_CONTENT);
    let fetched = sandbox.get(&fields).await;
    assert_eq!(text(&fetched.body, "/ForecastCategoryName"), "Closed");
    assert_eq!(fetched.body["Probability"].as_f64(), Some(100.0));
    let lost = sandbox
        .send_json(
            Method::PATCH,
            &location,
            &json!({"StageName": "Closed Lost", "ForecastCategoryName": "Omitted", "Probability": 5}),
        )
        .await;
    assert_eq!(lost.status, StatusCode::NO_CONTENT);
    let fetched = sandbox.get(&fields).await;
    assert_eq!(text(&fetched.body, "/ForecastCategoryName"), "Omitted");
    assert_eq!(fetched.body["Probability"].as_f64(), Some(5.0));
}

#[tokio::test]
async fn users_have_department_phones_profile_role_manager_and_time_zone() {
    let sandbox = start_default().await;
    let users = records(
        &sandbox
            .soql(
                "SELECT Id, Username, Name, Email, Title, Department, Phone, MobilePhone, IsActive, \
                 UserType, ProfileId, UserRoleId, ManagerId, TimeZoneSidKey FROM User ORDER BY Id",
            )
            .await,
    );
    assert_eq!(users.len(), switchboard_sandbox::OWNER_COUNT);
    let ids: HashSet<&str> = users
        .iter()
        .filter_map(|u| field(u, "Id").as_str())
        .collect();
    let mut top = 0;
    for user in &users {
        assert_eq!(field(user, "UserType"), &json!("Standard"));
        assert!(field(user, "Department").is_string());
        assert!(field(user, "Phone").is_string());
        let tz = field(user, "TimeZoneSidKey").as_str().unwrap_or_default();
        assert!(tz.contains('/'), "IANA time zone: {tz}");
        let profile = field(user, "ProfileId").as_str().unwrap_or_default();
        assert!(
            profile.starts_with("00e") && profile.len() == 18,
            "{profile}"
        );
        let role = field(user, "UserRoleId").as_str().unwrap_or_default();
        assert!(role.starts_with("00E") && role.len() == 18, "{role}");
        match field(user, "ManagerId").as_str() {
            None => top += 1,
            Some(manager) => {
                assert!(ids.contains(manager), "{manager}");
                assert_ne!(Some(manager), field(user, "Id").as_str());
            }
        }
    }
    assert_eq!(top, 1, "one user heads the hierarchy");
    let profiles: HashSet<&str> = users
        .iter()
        .filter_map(|u| field(u, "ProfileId").as_str())
        .collect();
    assert_eq!(profiles.len(), 2, "administrators and standard users");

    // Ids filter like ids; a profile id is not a role id.
    let profile = text(
        &sandbox
            .soql("SELECT ProfileId FROM User LIMIT 1")
            .await
            .body,
        "/records/0/ProfileId",
    )
    .to_owned();
    let same = sandbox
        .soql(&format!(
            "SELECT COUNT() FROM User WHERE ProfileId = '{}'",
            &profile[..15]
        ))
        .await;
    assert!(
        same.body["totalSize"].as_u64().unwrap_or(0) >= 1,
        "{}",
        same.body
    );
    let roles = sandbox
        .soql(&format!(
            "SELECT COUNT() FROM User WHERE UserRoleId = '{profile}'"
        ))
        .await;
    assert_eq!(roles.body["totalSize"], json!(0));
    let user = field(&users[0], "Id")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let one = sandbox
        .get(&format!(
            "{BASE}/sobjects/User/{user}?fields=Department,ManagerId,UserType"
        ))
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(text(&one.body, "/UserType"), "Standard");
}

#[tokio::test]
async fn made_up_standard_looking_fields_are_still_invalid() {
    let sandbox = start_default().await;
    for query in [
        "SELECT Id, ReportsTo FROM Contact",
        "SELECT Id, ShippingPlanet FROM Account",
        "SELECT Id, NextSteps FROM Opportunity",
        "SELECT Id, Department__c FROM User",
        "SELECT Id FROM User WHERE Profile = 'x'",
    ] {
        let reply = sandbox.soql(query).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "INVALID_FIELD");
    }
    let account = text(
        &sandbox.soql("SELECT Id FROM Account LIMIT 1").await.body,
        "/records/0/Id",
    )
    .to_owned();
    let read = sandbox
        .get(&format!(
            "{BASE}/sobjects/Account/{account}?fields=Name,ShippingGalaxy"
        ))
        .await;
    assert_error(&read, StatusCode::BAD_REQUEST, "INVALID_FIELD");
    let write = sandbox
        .send_json(
            Method::PATCH,
            &format!("{BASE}/sobjects/Account/{account}"),
            &json!({"ShippingPlanet": "Mars"}),
        )
        .await;
    assert_error(&write, StatusCode::BAD_REQUEST, "INVALID_FIELD");
}
