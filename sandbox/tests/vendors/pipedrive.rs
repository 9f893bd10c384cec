//! Pipedrive API v1 behaviour, checked against the recorded exchanges in `tests/fixtures/pipedrive`
//! (copied from the shared fixture set; see NOTICE.md).

use std::collections::HashSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_sandbox::{RateBudget, SandboxConfig, Vendor};

use crate::common::{Reply, fixture, keys, read, start, start_default, text};
use crate::oauth::{authorize, call_api, code};

const FAVORITE_COLOR: &str = "e8f38600631d69d141f5dc0e0502fbb53aa908e5";
const LEAD_SCORE: &str = "e5073477d70ae78c33e930227fcdd4ef780ebf43";
const TIER: &str = "b90be5fce0619b958b692cf744a607f4c2d4a6b6";
const NEXT_STEP: &str = "f09807a7c7f06d8f6bd061e0a3498e7666bb68e9";
const CLIENT_ID: &str = "sandbox-client-id";
const CLIENT_SECRET: &str = "sandbox-client-secret";
const REDIRECT: &str = "http://127.0.0.1:9/oauth/callback";

const PERSON_GET: &str = include_str!("../fixtures/pipedrive/v1.persons.get.200.json");
const PERSON_CREATE: &str = include_str!("../fixtures/pipedrive/v1.persons.create.201.json");
const PERSON_UPDATE: &str = include_str!("../fixtures/pipedrive/v1.persons.update.200.json");
const PERSON_DELETE: &str = include_str!("../fixtures/pipedrive/v1.persons.delete.200.json");
const ORG_GET: &str = include_str!("../fixtures/pipedrive/v1.organizations.get.200.json");
const ORG_CREATE: &str = include_str!("../fixtures/pipedrive/v1.organizations.create.201.json");
const PERSON_FIELDS: &str = include_str!("../fixtures/pipedrive/v1.personFields.list.200.json");

/// Whether `key` is a custom field key (40 hex digits, possibly with a subfield suffix).
fn is_custom(key: &str) -> bool {
    key.len() >= 40 && key.as_bytes()[..40].iter().all(u8::is_ascii_hexdigit)
}

/// The non-custom keys of a record, sorted.
fn standard_keys(record: &Value) -> Vec<String> {
    keys(record).into_iter().filter(|k| !is_custom(k)).collect()
}

fn custom_keys(record: &Value) -> Vec<String> {
    keys(record).into_iter().filter(|k| is_custom(k)).collect()
}

fn recorded_body(recording: &str) -> Value {
    fixture(recording)["response"]["body"].clone()
}

/// `YYYY-MM-DD HH:MM:SS`.
fn is_pipedrive_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

fn assert_error(reply: &Reply, status: StatusCode, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(
        keys(&reply.body),
        ["additional_data", "data", "error", "error_info", "success"],
        "{}",
        reply.body
    );
    assert_eq!(reply.body["success"], json!(false));
    assert_eq!(reply.body["data"], Value::Null);
    assert_eq!(reply.body["additional_data"], Value::Null);
    assert_eq!(text(&reply.body, "/error"), message, "{}", reply.body);
    assert!(text(&reply.body, "/error_info").contains("developers.pipedrive.com"));
}

#[tokio::test]
async fn lists_page_with_start_and_limit_to_the_end() {
    let sandbox = start_default().await;
    let mut ids = Vec::new();
    let mut start = Some(0);
    let mut pages = 0;
    while let Some(from) = start {
        let page = sandbox
            .pd(
                Method::GET,
                &format!("/v1/persons?start={from}&limit=100"),
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(
            keys(&page.body),
            ["additional_data", "data", "related_objects", "success"]
        );
        let pagination = &page.body["additional_data"]["pagination"];
        assert_eq!(pagination["start"], json!(from));
        assert_eq!(pagination["limit"], json!(100));
        for person in page.body["data"].as_array().into_iter().flatten() {
            ids.push(person["id"].as_u64().unwrap_or_default());
            let owner = person["owner_id"]["id"].to_string();
            assert!(
                page.body["related_objects"]["user"].get(&owner).is_some(),
                "owner {owner} in related_objects"
            );
            let org = person["org_id"]["value"].to_string();
            assert!(
                page.body["related_objects"]["organization"]
                    .get(&org)
                    .is_some()
            );
        }
        start = if pagination["more_items_in_collection"] == json!(true) {
            assert_eq!(pagination["next_start"], json!(from + 100));
            pagination["next_start"].as_u64()
        } else {
            assert!(pagination.get("next_start").is_none(), "{pagination}");
            None
        };
        pages += 1;
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(ids.len(), 250);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 250);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ordered by id");

    // Defaults, the documented maximum of 500, and past the end.
    let default = sandbox.pd(Method::GET, "/v1/deals", None).await;
    assert_eq!(default.body["data"].as_array().map(Vec::len), Some(100));
    let capped = sandbox
        .pd(Method::GET, "/v1/organizations?limit=1000", None)
        .await;
    assert_eq!(capped.body["additional_data"]["pagination"]["limit"], 500);
    assert_eq!(capped.body["data"].as_array().map(Vec::len), Some(250));
    let beyond = sandbox.pd(Method::GET, "/v1/persons?start=900", None).await;
    assert_eq!(beyond.status, StatusCode::OK);
    assert_eq!(
        beyond.body["data"],
        Value::Null,
        "v1 lists answer null data"
    );
    assert_eq!(
        beyond.body["additional_data"]["pagination"]["more_items_in_collection"],
        false
    );
    // The same API under a company domain's `/api/v1`.
    let company = sandbox
        .pd(Method::GET, "/api/v1/persons?limit=2", None)
        .await;
    assert_eq!(company.body["data"][0]["id"], 1);
}

#[tokio::test]
async fn records_and_envelopes_have_the_recorded_keys() {
    let sandbox = start_default().await;
    let recorded_get = recorded_body(PERSON_GET);
    let get = sandbox.pd(Method::GET, "/v1/persons/3", None).await;
    assert_eq!(get.status, StatusCode::OK);
    assert_eq!(keys(&get.body), keys(&recorded_get));
    assert_eq!(
        standard_keys(&get.body["data"]),
        standard_keys(&recorded_get["data"])
    );
    assert_eq!(custom_keys(&get.body["data"]), {
        let mut k = vec![FAVORITE_COLOR.to_owned(), LEAD_SCORE.to_owned()];
        k.sort();
        k
    });
    assert_eq!(
        keys(&get.body["data"]["owner_id"]),
        keys(&recorded_get["data"]["owner_id"])
    );
    assert_eq!(
        keys(&get.body["additional_data"]),
        keys(&recorded_get["additional_data"])
    );
    let user = get.body["related_objects"]["user"]
        .as_object()
        .and_then(|users| users.values().next().cloned())
        .unwrap_or_default();
    let recorded_user = recorded_get["related_objects"]["user"]["12121177"].clone();
    assert_eq!(keys(&user), keys(&recorded_user));
    for key in ["add_time", "update_time"] {
        assert!(is_pipedrive_time(text(
            &get.body["data"],
            &format!("/{key}")
        )));
    }
    assert_eq!(get.header("content-type"), "application/json");
    for header in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-correlation-id",
    ] {
        assert!(!get.header(header).is_empty(), "{header}");
    }
    assert!(
        get.header("x-daily-requests-left").is_empty(),
        "GETs do not count"
    );

    let recorded_create = recorded_body(PERSON_CREATE);
    let created = sandbox
        .pd(
            Method::POST,
            "/v1/persons",
            Some(&json!({"name": "John Doe", "email": "john.doe@example.net"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(keys(&created.body), keys(&recorded_create));
    assert_eq!(
        standard_keys(&created.body["data"]),
        standard_keys(&recorded_create["data"])
    );
    // As recorded: a string email becomes one unlabelled primary entry, no phone one empty entry.
    let mut expected_email = recorded_create["data"]["email"].clone();
    expected_email[0]["value"] = json!("john.doe@example.net");
    assert_eq!(created.body["data"]["email"], expected_email);
    assert_eq!(
        created.body["data"]["phone"],
        recorded_create["data"]["phone"]
    );
    assert_eq!(created.body["data"]["first_name"], "John");
    assert_eq!(created.body["data"]["last_name"], "Doe");
    assert_eq!(created.body["data"]["org_id"], Value::Null);
    let id = created.body["data"]["id"].as_u64().unwrap_or_default();

    let recorded_update = recorded_body(PERSON_UPDATE);
    let updated = sandbox
        .pd(
            Method::PUT,
            &format!("/v1/persons/{id}"),
            Some(&json!({"phone": "1234567890", FAVORITE_COLOR: "Some text"})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(keys(&updated.body), keys(&recorded_update));
    assert_eq!(
        standard_keys(&updated.body["data"]),
        standard_keys(&recorded_update["data"])
    );
    assert_eq!(
        updated.body["data"]["phone"],
        recorded_update["data"]["phone"]
    );

    let recorded_delete = recorded_body(PERSON_DELETE);
    let deleted = sandbox
        .pd(Method::DELETE, &format!("/v1/persons/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(keys(&deleted.body), keys(&recorded_delete));
    assert_eq!(deleted.body["data"], json!({"id": id}));

    let recorded_org = recorded_body(ORG_GET);
    let org = sandbox.pd(Method::GET, "/v1/organizations/1", None).await;
    assert_eq!(keys(&org.body), keys(&recorded_org));
    assert_eq!(
        standard_keys(&org.body["data"]),
        standard_keys(&recorded_org["data"])
    );
    assert_eq!(
        keys(&org.body["additional_data"]),
        keys(&recorded_org["additional_data"])
    );
    let recorded_org_create = recorded_body(ORG_CREATE);
    let new_org = sandbox
        .pd(
            Method::POST,
            "/v1/organizations",
            Some(&json!({"name": "Organization 1"})),
        )
        .await;
    assert_eq!(new_org.status, StatusCode::CREATED, "{}", new_org.body);
    assert_eq!(keys(&new_org.body), keys(&recorded_org_create));
    assert_eq!(
        standard_keys(&new_org.body["data"]),
        standard_keys(&recorded_org_create["data"])
    );
    assert_eq!(new_org.body["data"]["first_char"], "o");
}

#[tokio::test]
async fn field_definitions_list_the_builtin_and_custom_fields() {
    let sandbox = start_default().await;
    let recorded = recorded_body(PERSON_FIELDS);
    let fields = sandbox.pd(Method::GET, "/v1/personFields", None).await;
    assert_eq!(fields.status, StatusCode::OK);
    assert_eq!(keys(&fields.body), keys(&recorded));
    let ours: Vec<Value> = fields.body["data"].as_array().cloned().unwrap_or_default();
    let builtin = |list: &[Value]| -> Vec<String> {
        list.iter()
            .map(|f| text(f, "/key").to_owned())
            .filter(|k| !is_custom(k))
            .collect()
    };
    let recorded_list = recorded["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(builtin(&ours), builtin(&recorded_list));
    let recorded_custom = recorded_list
        .iter()
        .find(|f| f["key"] == "ec03793a2c75324644fd45d9b21606ecb97d1f4c")
        .cloned()
        .unwrap_or_default();
    for (key, field_type) in [(FAVORITE_COLOR, "varchar"), (LEAD_SCORE, "double")] {
        let field = ours
            .iter()
            .find(|f| f["key"] == key)
            .unwrap_or_else(|| panic!("no field {key}"));
        assert_eq!(field["field_type"], field_type);
        assert_eq!(field["edit_flag"], true);
        assert_eq!(keys(field), keys(&recorded_custom));
    }
    let page = sandbox
        .pd(Method::GET, "/v1/personFields?limit=5", None)
        .await;
    assert_eq!(page.body["data"].as_array().map(Vec::len), Some(5));
    assert_eq!(page.body["additional_data"]["pagination"]["next_start"], 5);
    for (path, key) in [
        ("/v1/organizationFields", TIER),
        ("/v1/dealFields", NEXT_STEP),
    ] {
        let list = sandbox.pd(Method::GET, path, None).await;
        assert!(
            list.body["data"]
                .as_array()
                .is_some_and(|l| l.iter().any(|f| f["key"] == key)),
            "{path}"
        );
    }
    let write = sandbox
        .pd(
            Method::POST,
            "/v1/personFields",
            Some(&json!({"name": "x"})),
        )
        .await;
    assert_error(&write, StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
}

#[tokio::test]
async fn person_writes_are_partial_and_keep_names_consistent() {
    let sandbox = start_default().await;
    let created = sandbox
        .pd(
            Method::POST,
            "/v1/persons",
            Some(&json!({
                "name": "Ada Lovelace",
                "email": [{"value": "ada@example.org", "label": "work", "primary": true}, "ada.home@example.net"],
                "phone": "+44 20 7946 0000",
                "org_id": 3,
                "owner_id": 13_370_003,
                FAVORITE_COLOR: "Teal",
                LEAD_SCORE: "42"
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    // POST with the api token counts against the daily POST/PUT allowance.
    let left: u64 = created.header("x-daily-requests-left").parse().unwrap_or(0);
    assert!(left > 0 && left < 10_000, "{left}");
    let data = &created.body["data"];
    assert_eq!(data["first_name"], "Ada");
    assert_eq!(data["last_name"], "Lovelace");
    assert_eq!(
        data["email"][0],
        json!({"label": "work", "value": "ada@example.org", "primary": true})
    );
    assert_eq!(data["email"][1]["primary"], false);
    assert_eq!(
        data["phone"],
        json!([{"label": "", "value": "+44 20 7946 0000", "primary": true}])
    );
    assert_eq!(data["org_id"]["value"], 3);
    assert_eq!(data["owner_id"]["id"], 13_370_003);
    assert_eq!(data[FAVORITE_COLOR], "Teal");
    assert_eq!(data[LEAD_SCORE], 42, "number fields store numbers");
    let id = data["id"].as_u64().unwrap_or_default();
    let path = format!("/v1/persons/{id}");

    // Only the phone is sent: everything else keeps its value.
    let phone_only = sandbox
        .pd(
            Method::PUT,
            &path,
            Some(&json!({"phone": [{"value": "555-0100", "label": "mobile"}]})),
        )
        .await;
    assert_eq!(phone_only.status, StatusCode::OK, "{}", phone_only.body);
    let after = sandbox.pd(Method::GET, &path, None).await.body["data"].clone();
    assert_eq!(after["name"], "Ada Lovelace");
    assert_eq!(after["email"], data["email"]);
    assert_eq!(
        after["phone"],
        json!([{"label": "mobile", "value": "555-0100", "primary": true}])
    );
    assert_eq!(after[FAVORITE_COLOR], "Teal");
    assert_eq!(after[LEAD_SCORE], 42);
    assert_eq!(after["org_id"]["value"], 3);
    assert_eq!(after["add_time"], data["add_time"]);

    // A part of the name alone: the other part stays and name = first + " " + last.
    let first = sandbox
        .pd(Method::PUT, &path, Some(&json!({"first_name": "Augusta"})))
        .await;
    assert_eq!(first.body["data"]["name"], "Augusta Lovelace");
    assert_eq!(first.body["data"]["last_name"], "Lovelace");
    // The name alone: split into its parts.
    let renamed = sandbox
        .pd(Method::PUT, &path, Some(&json!({"name": "Ada King Byron"})))
        .await;
    assert_eq!(renamed.body["data"]["first_name"], "Ada");
    assert_eq!(renamed.body["data"]["last_name"], "King Byron");
    assert_eq!(renamed.body["data"]["first_char"], "a");

    // Custom fields: written, read back, cleared.
    let custom = sandbox
        .pd(
            Method::PUT,
            &path,
            Some(&json!({LEAD_SCORE: 77.5, FAVORITE_COLOR: null})),
        )
        .await;
    assert_eq!(custom.status, StatusCode::OK, "{}", custom.body);
    let read_back = sandbox.pd(Method::GET, &path, None).await.body["data"].clone();
    assert_eq!(read_back[LEAD_SCORE], 77.5);
    assert_eq!(read_back[FAVORITE_COLOR], Value::Null);
    assert_eq!(read_back["name"], "Ada King Byron");

    // Unlink the organization; a form body works too (v1 accepts both).
    let form = read(
        sandbox
            .pipedrive(Method::PUT, &path)
            .form(&[("org_id", ""), ("visible_to", "1")])
            .send()
            .await,
    )
    .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert_eq!(form.body["data"]["org_id"], Value::Null);
    assert_eq!(form.body["data"]["visible_to"], "1");

    // Deleted: readable with active_flag false, gone from lists, no more writes.
    let deleted = sandbox.pd(Method::DELETE, &path, None).await;
    assert_eq!(deleted.body, json!({"success": true, "data": {"id": id}}));
    let gone = sandbox.pd(Method::GET, &path, None).await;
    assert_eq!(gone.status, StatusCode::OK);
    assert_eq!(gone.body["data"]["active_flag"], false);
    let listed = sandbox
        .pd(Method::GET, "/v1/persons?start=250&limit=500", None)
        .await;
    assert!(
        listed.body["data"]
            .as_array()
            .is_none_or(|l| l.iter().all(|p| p["id"] != json!(id)))
    );
    assert_error(
        &sandbox
            .pd(Method::PUT, &path, Some(&json!({"name": "x"})))
            .await,
        StatusCode::NOT_FOUND,
        "Person not found",
    );
    assert_error(
        &sandbox.pd(Method::DELETE, &path, None).await,
        StatusCode::NOT_FOUND,
        "Person not found",
    );
}

#[tokio::test]
async fn organizations_and_deals_round_trip() {
    let sandbox = start_default().await;
    let org = sandbox
        .pd(
            Method::POST,
            "/v1/organizations",
            Some(
                &json!({"name": "Babbage Engines", "address": "1 Dorset St, London", TIER: "Gold"}),
            ),
        )
        .await;
    assert_eq!(org.status, StatusCode::CREATED, "{}", org.body);
    let org_id = org.body["data"]["id"].as_u64().unwrap_or_default();
    assert_eq!(org.body["data"][TIER], "Gold");
    assert_eq!(org.body["data"]["address"], "1 Dorset St, London");
    assert_eq!(
        org.body["data"]["address_formatted_address"],
        "1 Dorset St, London"
    );
    let renamed = sandbox
        .pd(
            Method::PUT,
            &format!("/v1/organizations/{org_id}"),
            Some(&json!({"name": "Babbage & Co"})),
        )
        .await;
    assert_eq!(renamed.body["data"][TIER], "Gold", "partial update");

    let seeded = sandbox.pd(Method::GET, "/v1/organizations/1", None).await;
    assert_eq!(
        seeded.body["data"]["people_count"], 2,
        "persons 0 and 1 work there"
    );
    assert!(seeded.body["data"]["address_locality"].is_string());

    let deal = sandbox
        .pd(
            Method::POST,
            "/v1/deals",
            Some(&json!({"title": "Analytical engine", "value": "1234.5", "currency": "gbp", "person_id": 1, "org_id": org_id, NEXT_STEP: "Demo"})),
        )
        .await;
    assert_eq!(deal.status, StatusCode::CREATED, "{}", deal.body);
    let data = &deal.body["data"];
    assert_eq!(data["value"], 1234.5);
    assert_eq!(data["currency"], "GBP");
    assert_eq!(data["status"], "open");
    assert_eq!(data["stage_id"], 1);
    assert_eq!(data["person_id"]["value"], 1);
    assert_eq!(data["org_id"]["value"], org_id);
    assert_eq!(data["formatted_value"], "1,234.50 GBP");
    assert_eq!(data[NEXT_STEP], "Demo");
    assert!(deal.body["related_objects"]["person"].get("1").is_some());
    let id = data["id"].as_u64().unwrap_or_default();
    let path = format!("/v1/deals/{id}");

    let won = sandbox
        .pd(
            Method::PUT,
            &path,
            Some(&json!({"status": "won", "stage_id": 4})),
        )
        .await;
    assert_eq!(won.status, StatusCode::OK, "{}", won.body);
    assert_eq!(won.body["data"]["status"], "won");
    assert!(is_pipedrive_time(text(&won.body["data"], "/won_time")));
    assert!(is_pipedrive_time(text(&won.body["data"], "/close_time")));
    assert_eq!(won.body["data"]["lost_time"], Value::Null);
    assert_eq!(won.body["data"]["title"], "Analytical engine");
    assert_eq!(won.body["data"][NEXT_STEP], "Demo");
    let won_list = sandbox
        .pd(Method::GET, "/v1/deals?status=won&limit=500", None)
        .await;
    let won_deals = won_list.body["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(won_deals.iter().any(|d| d["id"] == json!(id)));
    assert!(won_deals.iter().all(|d| d["status"] == "won"));

    let deleted = sandbox.pd(Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    let gone = sandbox.pd(Method::GET, &path, None).await;
    assert_eq!(gone.body["data"]["deleted"], true);
    assert_eq!(gone.body["data"]["status"], "deleted");
    let deleted_list = sandbox
        .pd(Method::GET, "/v1/deals?status=deleted", None)
        .await;
    assert_eq!(deleted_list.body["data"][0]["id"], json!(id));

    for (body, message) in [
        (json!({"value": 5}), "Title must be given."),
        (
            json!({"title": "Orphan"}),
            "A deal must be linked to a person or an organization (person_id or org_id).",
        ),
        (
            json!({"title": "x", "org_id": 1, "stage_id": 9}),
            "Stage not found",
        ),
        (
            json!({"title": "x", "org_id": 1, "currency": "dollars"}),
            "currency must be a 3-letter currency code",
        ),
        (
            json!({"title": "x", "org_id": 999_999}),
            "Organization not found",
        ),
    ] {
        assert_error(
            &sandbox.pd(Method::POST, "/v1/deals", Some(&body)).await,
            StatusCode::BAD_REQUEST,
            message,
        );
    }
}

#[tokio::test]
async fn users_are_the_seeded_owners() {
    let sandbox = start_default().await;
    let users = sandbox.pd(Method::GET, "/v1/users", None).await;
    assert_eq!(users.status, StatusCode::OK);
    let list = users.body["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), switchboard_sandbox::OWNER_COUNT);
    assert_eq!(list.iter().filter(|u| u["is_you"] == true).count(), 1);
    for key in [
        "id",
        "name",
        "email",
        "active_flag",
        "is_admin",
        "timezone_name",
        "created",
        "modified",
    ] {
        assert!(list[0].get(key).is_some(), "{key}");
    }
    let person = sandbox.pd(Method::GET, "/v1/persons/1", None).await;
    let owner = person.body["data"]["owner_id"]["id"]
        .as_u64()
        .unwrap_or_default();
    let user = sandbox
        .pd(Method::GET, &format!("/v1/users/{owner}"), None)
        .await;
    assert_eq!(user.status, StatusCode::OK);
    assert_eq!(user.body["data"]["name"], person.body["data"]["owner_name"]);
    assert_error(
        &sandbox.pd(Method::GET, "/v1/users/1", None).await,
        StatusCode::NOT_FOUND,
        "User not found",
    );
}

#[tokio::test]
async fn errors_have_pipedrive_shape_and_status() {
    let sandbox = start_default().await;
    assert_error(
        &sandbox.pd(Method::GET, "/v1/persons/999999", None).await,
        StatusCode::NOT_FOUND,
        "Person not found",
    );
    assert_error(
        &sandbox.pd(Method::GET, "/v1/organizations/abc", None).await,
        StatusCode::NOT_FOUND,
        "Organization not found",
    );
    assert_error(
        &sandbox.pd(Method::GET, "/v1/widgets", None).await,
        StatusCode::NOT_FOUND,
        "Resource not found",
    );
    assert_error(
        &sandbox
            .pd(Method::PATCH, "/v1/persons/1", Some(&json!({})))
            .await,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
    );
    let cases = [
        (
            json!({"name": "X", "shoe_size": 42, "hat": 1}),
            "Invalid field(s) in the payload: hat, shoe_size",
        ),
        (
            json!({"name": "X", "0123456789abcdef0123456789abcdef01234567": "x"}),
            "Invalid field(s) in the payload: 0123456789abcdef0123456789abcdef01234567",
        ),
        (json!({"email": "a@example.com"}), "Name must be given."),
        (json!({"name": "  "}), "Name must be given."),
        (json!({"name": "X", "owner_id": 5}), "User 5 not found"),
        (
            json!({"name": "X", "org_id": 424_242}),
            "Organization not found",
        ),
        (
            json!({"name": "X", "visible_to": "2"}),
            "visible_to must be one of 1, 3, 5, 7",
        ),
        (
            json!({"name": "X", LEAD_SCORE: "lots"}),
            "Lead score must be a number",
        ),
        (
            json!({"name": "X", "email": [{"label": "work"}]}),
            "email must be a string or an array of objects with a value",
        ),
    ];
    for (body, message) in cases {
        let reply = sandbox.pd(Method::POST, "/v1/persons", Some(&body)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, message);
    }
    let malformed = read(
        sandbox
            .pipedrive(Method::POST, "/v1/persons")
            .header("content-type", "application/json")
            .body("{\"name\":")
            .send()
            .await,
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(text(&malformed.body, "/error").starts_with("Invalid JSON"));
    for query in ["limit=0", "limit=lots", "start=-1"] {
        let reply = sandbox
            .pd(Method::GET, &format!("/v1/persons?{query}"), None)
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(reply.body["success"], false);
    }
    // A record read and sent back is accepted: computed fields are ignored.
    let record = sandbox.pd(Method::GET, "/v1/persons/5", None).await.body["data"].clone();
    let mut echo = record.clone();
    for key in ["owner_id", "org_id"] {
        echo[key] = echo[key]["value"].clone();
    }
    let back = sandbox.pd(Method::PUT, "/v1/persons/5", Some(&echo)).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert_eq!(back.body["data"]["email"], record["email"]);
}

#[tokio::test]
async fn each_auth_style_and_the_gateway_401() {
    let sandbox = start_default().await;
    let url = sandbox.url("/v1/users");
    let token = sandbox.handle.api_token();
    let query = read(
        sandbox
            .http
            .get(&url)
            .query(&[("api_token", token)])
            .send()
            .await,
    )
    .await;
    assert_eq!(query.status, StatusCode::OK);
    let header = read(
        sandbox
            .http
            .get(&url)
            .header("x-api-token", token)
            .send()
            .await,
    )
    .await;
    assert_eq!(header.status, StatusCode::OK);
    let refused = [
        read(sandbox.http.get(&url).send().await).await,
        read(
            sandbox
                .http
                .get(&url)
                .query(&[("api_token", "nope")])
                .send()
                .await,
        )
        .await,
        read(
            sandbox
                .http
                .get(&url)
                .header("x-api-token", "nope")
                .send()
                .await,
        )
        .await,
        // The api token is not an OAuth access token.
        read(sandbox.http.get(&url).bearer_auth(token).send().await).await,
    ];
    for reply in refused {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            reply.body,
            json!({"success": false, "error": "unauthorized access", "errorCode": 401, "error_info": "Please check developers.pipedrive.com"})
        );
        assert_eq!(reply.header("x-401-by-gw"), "true");
        assert!(!reply.header("x-ratelimit-limit").is_empty());
    }

    // OAuth: an access token this sandbox's Pipedrive issued, as Bearer only.
    let grant = crate::oauth::connect(&sandbox, Vendor::Pipedrive).await;
    let access = text(&grant, "/access_token");
    let api = call_api(&sandbox, Vendor::Pipedrive, access).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let as_api_token = read(
        sandbox
            .http
            .get(&url)
            .query(&[("api_token", access)])
            .send()
            .await,
    )
    .await;
    assert_eq!(as_api_token.status, StatusCode::UNAUTHORIZED);
    // A write with an OAuth token does not count against the api-token daily allowance.
    let oauth_write = read(
        sandbox
            .http
            .post(sandbox.url("/v1/organizations"))
            .bearer_auth(access)
            .json(&json!({"name": "Via OAuth"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(oauth_write.status, StatusCode::CREATED);
    assert!(oauth_write.header("x-daily-requests-left").is_empty());
    // Another vendor's token is not Pipedrive's.
    let hubspot = crate::oauth::connect(&sandbox, Vendor::HubSpot).await;
    let foreign = call_api(&sandbox, Vendor::Pipedrive, text(&hubspot, "/access_token")).await;
    assert_eq!(foreign.status, StatusCode::UNAUTHORIZED);

    sandbox.handle.expire_access_tokens();
    let expired = call_api(&sandbox, Vendor::Pipedrive, access).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        expired.body["error"],
        "Invalid token: access token has expired"
    );
    let stats = sandbox.handle.oauth_stats().pipedrive;
    assert_eq!((stats.oauth_api_calls, stats.expired_token_calls), (2, 1));
}

/// Posts a Pipedrive token request with the client in HTTP Basic, as documented.
async fn pd_token(sandbox: &crate::common::Sandbox, form: &[(&str, &str)]) -> Reply {
    read(
        sandbox
            .http
            .post(sandbox.url("/pipedrive/oauth/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(form)
            .send()
            .await,
    )
    .await
}

#[tokio::test]
async fn oauth_code_and_refresh_flow_names_the_api_domain() {
    let sandbox = start_default().await;
    let first_code = code(&sandbox, Vendor::Pipedrive, &[("scope", "")]).await;
    let parts: Vec<&str> = first_code.split('.').collect();
    assert_eq!(parts.len(), 3, "{first_code}");
    let exchanged = pd_token(
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("code", &first_code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(exchanged.status, StatusCode::OK, "{}", exchanged.body);
    assert_eq!(
        keys(&exchanged.body),
        [
            "access_token",
            "api_domain",
            "expires_in",
            "refresh_token",
            "scope",
            "token_type"
        ]
    );
    let base = sandbox.handle.base_url();
    assert_eq!(exchanged.body["api_domain"], json!(base));
    assert_eq!(exchanged.body["token_type"], "Bearer");
    assert_eq!(exchanged.body["expires_in"], 1800);
    assert_eq!(
        exchanged.body["scope"],
        "base,deals:full,contacts:full,users:read"
    );
    assert_eq!(exchanged.header("cache-control"), "no-store");
    let access = text(&exchanged.body, "/access_token").to_owned();
    assert_eq!(access.split(':').count(), 3, "{access}");
    let refresh_token = text(&exchanged.body, "/refresh_token").to_owned();

    // The API at `{api_domain}/api/v1`, as Pipedrive advises.
    let api = read(
        sandbox
            .http
            .get(format!(
                "{}/api/v1/persons/1",
                text(&exchanged.body, "/api_domain")
            ))
            .bearer_auth(&access)
            .send()
            .await,
    )
    .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);

    for _ in 0..2 {
        let refreshed = pd_token(
            &sandbox,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh_token),
            ],
        )
        .await;
        assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
        assert_eq!(refreshed.body["api_domain"], json!(base));
        assert_eq!(refreshed.body["refresh_token"], json!(refresh_token));
        let new_access = text(&refreshed.body, "/access_token");
        assert_ne!(new_access, access);
        assert_eq!(
            call_api(&sandbox, Vendor::Pipedrive, new_access)
                .await
                .status,
            StatusCode::OK
        );
    }
    // The first access token stays valid until it expires.
    assert_eq!(
        call_api(&sandbox, Vendor::Pipedrive, &access).await.status,
        StatusCode::OK
    );
    // Client credentials only in the body are not read: the reference requires the header.
    let in_body = read(
        sandbox
            .http
            .post(sandbox.url("/pipedrive/oauth/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.as_str()),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
            ])
            .send()
            .await,
    )
    .await;
    assert_eq!(in_body.status, StatusCode::BAD_REQUEST, "{}", in_body.body);
    assert_eq!(
        in_body.body["error_description"],
        "Invalid client: cannot retrieve client credentials"
    );

    // The documented error messages.
    let bare = read(
        sandbox
            .http
            .post(sandbox.url("/pipedrive/oauth/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.as_str()),
            ])
            .send()
            .await,
    )
    .await;
    let wrong_secret = read(
        sandbox
            .http
            .post(sandbox.url("/pipedrive/oauth/token"))
            .basic_auth(CLIENT_ID, Some("nope"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.as_str()),
            ])
            .send()
            .await,
    )
    .await;
    let json_body = read(
        sandbox
            .http
            .post(sandbox.url("/pipedrive/oauth/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .json(&json!({"grant_type": "refresh_token", "refresh_token": refresh_token}))
            .send()
            .await,
    )
    .await;
    let cases = [
        (
            pd_token(&sandbox, &[("refresh_token", "x")]).await,
            "invalid_request",
            "Missing parameter: `grant_type`",
        ),
        (
            pd_token(&sandbox, &[("grant_type", "password")]).await,
            "unsupported_grant_type",
            "Unsupported grant type: `grant_type` is invalid",
        ),
        (
            pd_token(
                &sandbox,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", "53:1:nope"),
                ],
            )
            .await,
            "invalid_grant",
            "Invalid grant: refresh token is invalid",
        ),
        (
            pd_token(
                &sandbox,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &first_code),
                    ("redirect_uri", REDIRECT),
                ],
            )
            .await,
            "invalid_grant",
            "Invalid grant: authorization code is invalid",
        ),
        (
            bare,
            "invalid_client",
            "Invalid client: cannot retrieve client credentials",
        ),
        (
            wrong_secret,
            "invalid_client",
            "Invalid client: client is invalid",
        ),
        (
            json_body,
            "invalid_request",
            "Invalid request: content must be application/x-www-form-urlencoded",
        ),
    ];
    for (reply, error, description) in cases {
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert_eq!(
            reply.body,
            json!({"error": error, "error_description": description})
        );
    }
    let fresh = code(&sandbox, Vendor::Pipedrive, &[]).await;
    let wrong_redirect = pd_token(
        &sandbox,
        &[
            ("grant_type", "authorization_code"),
            ("code", &fresh),
            ("redirect_uri", "http://127.0.0.1:9/other"),
        ],
    )
    .await;
    assert_eq!(
        wrong_redirect.body["error_description"],
        "Invalid request: redirect_uri is invalid"
    );

    let stats = sandbox.handle.oauth_stats();
    assert_eq!(stats.pipedrive.authorizations, 2);
    assert_eq!(stats.pipedrive.refreshes, 2);
    assert_eq!(stats.pipedrive.failed_token_requests, 9);
    assert_eq!(stats.hubspot.token_requests.authorization_code, 0);

    // The index tells clients where the endpoints are.
    let index = sandbox.get("/").await;
    assert_eq!(
        index.body["oauth_endpoints"]["pipedrive"],
        json!({"authorization_path": "/pipedrive/oauth/authorize", "token_path": "/pipedrive/oauth/token"})
    );

    // Declining the installation.
    let denied = authorize(&sandbox, Vendor::Pipedrive, &[("deny", "1")]).await;
    assert_eq!(denied.param("error").as_deref(), Some("access_denied"));
    assert_eq!(denied.param("state").as_deref(), Some("st8 &=/+"));
}

#[tokio::test]
async fn a_spent_budget_is_a_429_with_rate_limit_headers() {
    let sandbox = start(SandboxConfig {
        rate_limit: Some(RateBudget::new(3, Duration::from_secs(600))),
        ..SandboxConfig::default()
    })
    .await;
    // The budget is shared with the other vendors.
    assert_eq!(sandbox.get("/crm/v3/owners").await.status, StatusCode::OK);
    for remaining in ["1", "0"] {
        let reply = sandbox.pd(Method::GET, "/v1/persons?limit=1", None).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("x-ratelimit-limit"), "3");
        assert_eq!(reply.header("x-ratelimit-remaining"), remaining);
        let reset: u64 = reply.header("x-ratelimit-reset").parse().unwrap_or(0);
        assert!((1..=600).contains(&reset), "{reset}");
    }
    let limited = sandbox.pd(Method::GET, "/v1/persons?limit=1", None).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(keys(&limited.body), ["error", "errorCode", "success"]);
    assert_eq!(limited.body["success"], false);
    assert_eq!(limited.body["errorCode"], 429);
    assert_eq!(limited.header("x-ratelimit-remaining"), "0");
    assert_eq!(limited.header("x-ratelimit-limit"), "3");
    let retry: u64 = limited.header("retry-after").parse().unwrap_or(0);
    assert!((1..=600).contains(&retry), "{retry}");
}
