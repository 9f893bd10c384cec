//! The compiled field maps on the sandbox's data: a HubSpot contact and a Salesforce contact that
//! describe the same person map onto the same canonical `crm.contact`, apart from ids and timestamps.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A failed expectation in a test is a panic.

use serde_json::{Value, json};
use switchboard_runtime::table::UnifiedMap;

fn map(integration: &str, model: &str) -> &'static UnifiedMap {
    switchboard_generated::INTEGRATIONS
        .iter()
        .find(|i| i.name == integration)
        .and_then(|i| i.maps.iter().find(|m| m.model == model))
        .unwrap_or_else(|| panic!("{integration} maps no {model}"))
}

/// The canonical record without what legitimately differs between two CRMs.
fn comparable(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        for key in [
            "id",
            "created_at",
            "updated_at",
            "account",
            "owner",
            "custom_fields",
        ] {
            o.remove(key);
        }
    }
    v
}

#[tokio::test]
async fn the_same_person_maps_to_the_same_canonical_contact_in_both_crms() {
    let sandbox = switchboard_sandbox::spawn(switchboard_sandbox::SandboxConfig::default())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let token = sandbox.api_token().to_owned();
    let hubspot: Value = http
        .get(format!(
            "{}/crm/v3/objects/contacts?limit=20&properties=firstname,lastname,email,phone,mobilephone,hubspot_owner_id,hs_additional_emails,address,city,state,zip,country",
            sandbox.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let soql = "SELECT Id, FirstName, LastName, Email, Phone, MobilePhone, MailingStreet, MailingCity, MailingState, \
                MailingPostalCode, MailingCountry, AccountId, OwnerId, CreatedDate, LastModifiedDate FROM Contact ORDER BY Id LIMIT 20";
    let salesforce: Value = http
        .get(format!("{}/services/data/v60.0/query", sandbox.base_url()))
        .query(&[("q", soql)])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (hs, sf) = (
        map("hubspot", "crm.contact"),
        map("salesforce", "crm.contact"),
    );
    let hs_records = hubspot["results"].as_array().unwrap();
    let sf_records = salesforce["records"].as_array().unwrap();
    assert_eq!(hs_records.len(), 20);
    assert_eq!(sf_records.len(), 20);
    let mut identical = 0;
    for (h, s) in hs_records.iter().zip(sf_records) {
        let (uh, us) = ((hs.from_vendor)(h), (sf.from_vendor)(s));
        // Timestamps are normalized to RFC 3339 UTC whatever the vendor's format.
        for u in [&uh, &us] {
            let created = u["created_at"].as_str().unwrap();
            assert!(created.ends_with('Z') && created.len() >= 20, "{created}");
        }
        assert_eq!(uh["first_name"], us["first_name"], "{h}\n{s}");
        assert_eq!(uh["last_name"], us["last_name"]);
        let primary = |u: &Value| {
            u["email_addresses"]
                .as_array()
                .and_then(|a| a.iter().find(|e| e["is_primary"] == true).cloned())
        };
        assert_eq!(primary(&uh), primary(&us));
        if comparable(uh.clone()) == comparable(us.clone()) {
            identical += 1;
        }
    }
    // Records where HubSpot holds more (its additional emails) differ in that field only; most people
    // have one email, and their canonical contacts must be identical.
    assert!(
        identical >= 10,
        "only {identical} of 20 records mapped identically"
    );
    sandbox.shutdown().await.unwrap();
}

#[test]
fn maps_never_panic_and_request_maps_round_trip() {
    let (hs, sf) = (
        map("hubspot", "crm.contact"),
        map("salesforce", "crm.contact"),
    );
    for odd in [
        json!(null),
        json!(1),
        json!("x"),
        json!([]),
        json!({"properties": 3}),
        json!({"properties": {"email": 5}}),
        json!({"Email": {"a": []}}),
    ] {
        for m in [hs, sf] {
            let _ = (m.from_vendor)(&odd);
            let _ = (m.to_vendor)(&odd);
        }
    }
    let unified = json!({
        "first_name": "Ann",
        "last_name": "Lee",
        "email_addresses": [{"email": "ann@example.com", "is_primary": true}, {"email": "a@x.com", "is_primary": false}],
        "phone_numbers": [{"number": "+1 555", "type": "work"}],
    });
    assert_eq!(
        (hs.to_vendor)(&unified),
        json!({"properties": {"firstname": "Ann", "lastname": "Lee", "email": "ann@example.com", "phone": "+1 555"}})
    );
    assert_eq!(
        (sf.to_vendor)(&unified),
        json!({"FirstName": "Ann", "LastName": "Lee", "Email": "ann@example.com", "Phone": "+1 555"})
    );
}
