//! Zendesk Ticketing API behaviour, checked against the recorded exchanges and documented
//! examples in `tests/fixtures/zendesk` (copied from the shared fixture set; see NOTICE.md).

use std::collections::HashSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_sandbox::{RateBudget, SandboxConfig, Vendor};

use crate::common::{Reply, Sandbox, fixture, keys, read, start, start_default, text};
use crate::oauth::{authorize, call_api, code};

const USER_GET: &str = include_str!("../fixtures/zendesk/users.get.200.json");
const USER_CREATE: &str = include_str!("../fixtures/zendesk/users.create_or_update.201.json");
const USER_INVALID: &str = include_str!("../fixtures/zendesk/users.create_or_update.422.json");
const USER_429: &str = include_str!("../fixtures/zendesk/users.update.429.json");
const DOCS: &str = include_str!("../fixtures/zendesk/docs-examples.json");

const FIELD_ORDER_NUMBER: u64 = 360_100_000_001;
const FIELD_PLAN: u64 = 360_100_000_002;
const FIELD_SEATS: u64 = 360_100_000_003;
const FIELD_ESCALATED: u64 = 360_100_000_004;
const CLIENT_ID: &str = "sandbox-client-id";
const CLIENT_SECRET: &str = "sandbox-client-secret";
const REDIRECT: &str = "http://127.0.0.1:9/oauth/callback";

/// `YYYY-MM-DDTHH:MM:SSZ`.
fn is_zendesk_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

fn custom_value(ticket: &Value, id: u64) -> Value {
    ticket["custom_fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|f| f["id"] == json!(id)))
        .map_or(Value::Null, |f| f["value"].clone())
}

fn assert_invalid(reply: &Reply, field: &str, description: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(reply.body["error"], "RecordInvalid", "{}", reply.body);
    assert_eq!(reply.body["description"], "Record validation errors");
    assert_eq!(
        reply.body["details"][field][0]["description"], description,
        "{}",
        reply.body
    );
}

fn assert_not_found(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"error": "RecordNotFound", "description": "Not found"})
    );
}

/// Every id of a cursor-paged list, following `links.next` while `meta.has_more`.
async fn walk(sandbox: &Sandbox, first: &str, key: &str) -> (Vec<u64>, usize) {
    let mut ids = Vec::new();
    let mut url = first.to_owned();
    let mut pages = 0;
    loop {
        let page = sandbox.zd(Method::GET, &url, None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let mut expected = vec![key.to_owned(), "links".to_owned(), "meta".to_owned()];
        expected.sort();
        assert_eq!(keys(&page.body), expected);
        for item in page.body[key].as_array().into_iter().flatten() {
            ids.push(item["id"].as_u64().unwrap_or_default());
        }
        pages += 1;
        assert!(pages < 20, "paging does not end");
        if page.body["meta"]["has_more"] != json!(true) {
            return (ids, pages);
        }
        url = text(&page.body, "/links/next").to_owned();
        assert!(url.starts_with(&sandbox.handle.base_url()), "{url}");
    }
}

#[tokio::test]
async fn tickets_cursor_page_to_the_end_and_back() {
    let sandbox = start_default().await;
    let (ids, pages) = walk(&sandbox, "/api/v2/tickets.json?page[size]=100", "tickets").await;
    assert_eq!(pages, 3);
    assert_eq!(ids.len(), 250);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 250);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    let first = sandbox
        .zd(Method::GET, "/api/v2/tickets.json?page[size]=2", None)
        .await;
    assert_eq!(first.body["meta"]["has_more"], true);
    for header in [
        "x-rate-limit",
        "x-rate-limit-remaining",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
    ] {
        assert!(
            !first.header(header).is_empty(),
            "list endpoints carry {header}"
        );
    }
    let second = sandbox
        .zd(Method::GET, text(&first.body, "/links/next"), None)
        .await;
    assert_eq!(second.body["tickets"][0]["id"], 3);
    let back = sandbox
        .zd(Method::GET, text(&second.body, "/links/prev"), None)
        .await;
    assert_eq!(
        back.body["tickets"]
            .as_array()
            .map(|t| t.iter().map(|x| x["id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(1), json!(2)])
    );
    assert_eq!(
        back.body["meta"]["has_more"], false,
        "nothing before the first page"
    );

    // The last page: has_more is false, yet it links on; following it gives an empty page.
    let last = sandbox
        .zd(
            Method::GET,
            "/api/v2/tickets.json?page[size]=100&page[after]=eyJvIjoiaWQiLCJ2IjoyMDB9",
            None,
        )
        .await;
    assert_eq!(last.status, StatusCode::OK, "{}", last.body);
    assert_eq!(last.body["tickets"].as_array().map(Vec::len), Some(50));
    assert_eq!(last.body["meta"]["has_more"], false);
    let beyond = sandbox
        .zd(Method::GET, text(&last.body, "/links/next"), None)
        .await;
    assert_eq!(beyond.body["tickets"], json!([]));
    assert_eq!(
        beyond.body["meta"],
        json!({"has_more": false, "after_cursor": null, "before_cursor": null})
    );
    assert_eq!(beyond.body["links"], json!({"prev": null, "next": null}));

    // Offset paging without page[size].
    let mut offset_ids = Vec::new();
    let mut url = "/api/v2/tickets.json?per_page=100".to_owned();
    loop {
        let page = sandbox.zd(Method::GET, &url, None).await;
        assert_eq!(
            keys(&page.body),
            ["count", "next_page", "previous_page", "tickets"]
        );
        assert_eq!(page.body["count"], 250);
        offset_ids.extend(
            page.body["tickets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| t["id"].as_u64().unwrap_or_default()),
        );
        match page.body["next_page"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(offset_ids, ids);

    for bad in [
        "page[size]=101",
        "page[size]=0",
        "page[after]=not-a-cursor",
        "page=0",
    ] {
        let reply = sandbox
            .zd(Method::GET, &format!("/api/v2/tickets.json?{bad}"), None)
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.body["error"], "InvalidPaginationParameter", "{bad}");
    }
}

#[tokio::test]
async fn tickets_have_the_documented_shape_and_link_to_seeded_records() {
    let sandbox = start_default().await;
    let documented = fixture(DOCS)["ticket_example"]["ticket"].clone();
    let reply = sandbox
        .zd(Method::GET, "/api/v2/tickets/2.json", None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(keys(&reply.body), ["ticket"]);
    assert_eq!(
        reply.header("content-type"),
        "application/json; charset=UTF-8"
    );
    let ticket = &reply.body["ticket"];
    let ours: HashSet<String> = keys(ticket).into_iter().collect();
    for key in keys(&documented) {
        assert!(ours.contains(&key), "documented ticket key {key} missing");
    }
    let base = sandbox.handle.base_url();
    assert_eq!(
        ticket["url"],
        json!(format!("{base}/api/v2/tickets/2.json"))
    );
    assert!(is_zendesk_time(text(ticket, "/created_at")));
    assert!(is_zendesk_time(text(ticket, "/updated_at")));
    assert!(ticket["id"].is_u64());
    assert_eq!(ticket["custom_fields"].as_array().map(Vec::len), Some(4));
    assert!(custom_value(ticket, FIELD_ORDER_NUMBER).is_string());
    // Without the `.json` suffix too.
    let plain = sandbox.zd(Method::GET, "/api/v2/tickets/2", None).await;
    assert_eq!(plain.body["ticket"]["id"], 2);

    let requester = sandbox
        .zd(
            Method::GET,
            &format!("/api/v2/users/{}.json", ticket["requester_id"]),
            None,
        )
        .await;
    assert_eq!(requester.status, StatusCode::OK);
    assert_eq!(requester.body["user"]["role"], "end-user");
    assert_eq!(
        requester.body["user"]["organization_id"],
        ticket["organization_id"]
    );
    let assignee = sandbox
        .zd(
            Method::GET,
            &format!("/api/v2/users/{}.json", ticket["assignee_id"]),
            None,
        )
        .await;
    assert_ne!(assignee.body["user"]["role"], "end-user");
    let org = sandbox
        .zd(
            Method::GET,
            &format!("/api/v2/organizations/{}.json", ticket["organization_id"]),
            None,
        )
        .await;
    assert_eq!(org.status, StatusCode::OK);
    assert_eq!(keys(&org.body), ["organization"]);

    let comments = sandbox
        .zd(Method::GET, "/api/v2/tickets/2/comments.json", None)
        .await;
    assert_eq!(comments.status, StatusCode::OK, "{}", comments.body);
    let list = comments.body["comments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(list.len() >= 2);
    assert_eq!(list[0]["body"], ticket["description"]);
    assert_eq!(list[0]["author_id"], ticket["requester_id"]);
    assert_eq!(list[1]["author_id"], ticket["assignee_id"]);
    for key in [
        "id",
        "type",
        "author_id",
        "body",
        "html_body",
        "plain_body",
        "public",
        "attachments",
        "audit_id",
        "via",
        "created_at",
        "metadata",
    ] {
        assert!(list[0].get(key).is_some(), "comment key {key}");
    }
    let paged = sandbox
        .zd(
            Method::GET,
            "/api/v2/tickets/2/comments.json?page[size]=1",
            None,
        )
        .await;
    assert_eq!(paged.body["meta"]["has_more"], true);
    assert_not_found(
        &sandbox
            .zd(Method::GET, "/api/v2/tickets/99999/comments.json", None)
            .await,
    );

    let fields = sandbox
        .zd(Method::GET, "/api/v2/ticket_fields.json", None)
        .await;
    let types: Vec<(u64, String)> = fields.body["ticket_fields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["id"].as_u64().unwrap_or_default(),
                text(f, "/type").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            (FIELD_ORDER_NUMBER, "text".to_owned()),
            (FIELD_PLAN, "tagger".to_owned()),
            (FIELD_SEATS, "integer".to_owned()),
            (FIELD_ESCALATED, "checkbox".to_owned())
        ]
    );
}

#[tokio::test]
async fn tickets_are_created_updated_in_part_and_deleted() {
    let sandbox = start_default().await;
    let created = sandbox
        .zd(
            Method::POST,
            "/api/v2/tickets.json",
            Some(&json!({"ticket": {
                "subject": "Printer on fire",
                "comment": {"body": "The smoke is very colorful."},
                "requester_id": 362_000_000_005u64,
                "priority": "high",
                "type": "incident",
                "tags": ["Printer", "urgent"],
                "custom_fields": [{"id": FIELD_PLAN, "value": "pro"}, {"id": FIELD_SEATS, "value": 12}, {"id": 1, "value": "ignored"}]
            }})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(keys(&created.body), ["audit", "ticket"]);
    let ticket = created.body["ticket"].clone();
    let id = ticket["id"].as_u64().unwrap_or_default();
    assert_eq!(id, 251);
    let base = sandbox.handle.base_url();
    assert_eq!(
        created.header("location"),
        format!("{base}/api/v2/tickets/{id}.json")
    );
    assert_eq!(ticket["status"], "new");
    assert_eq!(ticket["description"], "The smoke is very colorful.");
    assert_eq!(ticket["tags"], json!(["printer", "urgent"]));
    assert_eq!(ticket["via"]["channel"], "api");
    assert_eq!(
        ticket["organization_id"], 360_000_000_003u64,
        "the requester's organization"
    );
    assert_eq!(custom_value(&ticket, FIELD_PLAN), "pro");
    assert_eq!(custom_value(&ticket, FIELD_SEATS), "12");
    assert_eq!(
        custom_value(&ticket, FIELD_ESCALATED),
        false,
        "an unset checkbox is unchecked"
    );
    assert_eq!(custom_value(&ticket, FIELD_ORDER_NUMBER), Value::Null);
    let events = created.body["audit"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(events[0]["type"], "Comment");
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "Create" && e["field_name"] == "subject")
    );
    assert_eq!(created.body["audit"]["ticket_id"], json!(id));

    let path = format!("/api/v2/tickets/{id}.json");
    let update = sandbox
        .zd(
            Method::PUT,
            &path,
            Some(&json!({"ticket": {
                "status": "pending",
                "assignee_id": 361_000_000_002u64,
                "comment": {"body": "Internal: call the fire brigade.", "public": false},
                "custom_fields": [{"id": FIELD_ESCALATED, "value": true}]
            }})),
        )
        .await;
    assert_eq!(update.status, StatusCode::OK, "{}", update.body);
    let updated = &update.body["ticket"];
    assert_eq!(updated["status"], "pending");
    assert_eq!(
        updated["subject"], "Printer on fire",
        "fields not sent keep their values"
    );
    assert_eq!(updated["priority"], "high");
    assert_eq!(updated["group_id"], 360_200_000_001u64);
    assert_eq!(custom_value(updated, FIELD_PLAN), "pro");
    assert_eq!(custom_value(updated, FIELD_ESCALATED), true);
    let change = update.body["audit"]["events"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["field_name"] == "status")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        change,
        json!({"id": change["id"], "type": "Change", "value": "pending", "field_name": "status", "previous_value": "new"})
    );

    let comments = sandbox
        .zd(Method::GET, &format!("/api/v2/tickets/{id}/comments"), None)
        .await;
    let list = comments.body["comments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["public"], false);
    assert_eq!(list[1]["author_id"], 361_000_000_001u64, "the API user");

    // A requester given by email becomes an end user.
    let by_email = sandbox
        .zd(
            Method::POST,
            "/api/v2/tickets",
            Some(&json!({"ticket": {"requester": {"name": "Grace Hopper", "email": "grace@example.net"}, "description": "Found a moth."}})),
        )
        .await;
    assert_eq!(by_email.status, StatusCode::CREATED, "{}", by_email.body);
    let requester = by_email.body["ticket"]["requester_id"].clone();
    let user = sandbox
        .zd(
            Method::GET,
            &format!("/api/v2/users/{requester}.json"),
            None,
        )
        .await;
    assert_eq!(user.body["user"]["email"], "grace@example.net");
    assert_eq!(by_email.body["ticket"]["description"], "Found a moth.");

    let deleted = sandbox.zd(Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_not_found(&sandbox.zd(Method::GET, &path, None).await);
    assert_not_found(&sandbox.zd(Method::DELETE, &path, None).await);
    assert_not_found(
        &sandbox
            .zd(Method::PUT, &path, Some(&json!({"ticket": {}})))
            .await,
    );
}

#[tokio::test]
async fn invalid_writes_are_422_record_invalid_as_recorded() {
    let sandbox = start_default().await;
    let no_comment = sandbox
        .zd(
            Method::POST,
            "/api/v2/tickets.json",
            Some(&json!({"ticket": {"subject": "Empty"}})),
        )
        .await;
    assert_invalid(&no_comment, "description", "Description: cannot be blank");
    assert_eq!(
        no_comment.body["details"]["description"][0]["error"],
        "BlankValue"
    );
    let many = sandbox
        .zd(
            Method::POST,
            "/api/v2/tickets.json",
            Some(&json!({"ticket": {"comment": {"body": "x"}, "priority": "whenever", "status": "done", "assignee_id": 362_000_000_001u64, "custom_fields": [{"id": FIELD_PLAN, "value": "gold"}]}})),
        )
        .await;
    assert_invalid(&many, "priority", "Priority: is not valid");
    assert_invalid(&many, "status", "Status: is not valid");
    assert_invalid(&many, "assignee", "Assignee: is not an agent");
    assert_invalid(&many, "base", "Plan: is not valid");
    // Seeded ticket 6 is closed.
    let closed = sandbox
        .zd(
            Method::PUT,
            "/api/v2/tickets/6.json",
            Some(&json!({"ticket": {"subject": "reopen"}})),
        )
        .await;
    assert_invalid(&closed, "status", "Status: closed prevents ticket update");

    // The recorded 422, byte for byte in JSON terms.
    let recorded = fixture(USER_INVALID)["response"].clone();
    let bad_email = sandbox
        .zd(
            Method::POST,
            "/api/v2/users.json",
            Some(&fixture(USER_INVALID)["request"]["body"]),
        )
        .await;
    assert_eq!(
        bad_email.status.as_u16(),
        recorded["status"].as_u64().unwrap_or_default() as u16
    );
    assert_eq!(bad_email.body, recorded["body"]);
    let taken = sandbox
        .zd(
            Method::POST,
            "/api/v2/users.json",
            Some(
                &json!({"user": {"name": "Copy", "email": "OLIVIA.GARCIA@acme-labs.example.com"}}),
            ),
        )
        .await;
    assert_invalid(
        &taken,
        "email",
        "Email: OLIVIA.GARCIA@acme-labs.example.com is already being used by another user",
    );
    assert_invalid(
        &sandbox
            .zd(
                Method::POST,
                "/api/v2/users.json",
                Some(&json!({"user": {"email": "x@example.com"}})),
            )
            .await,
        "name",
        "Name:  is too short (minimum is 1 characters)",
    );
    assert_invalid(
        &sandbox
            .zd(
                Method::POST,
                "/api/v2/organizations.json",
                Some(&json!({"organization": {"name": "acme labs"}})),
            )
            .await,
        "name",
        "Name: has already been taken",
    );
    let unwrapped = sandbox
        .zd(
            Method::POST,
            "/api/v2/tickets.json",
            Some(&json!({"subject": "no wrapper"})),
        )
        .await;
    assert_eq!(unwrapped.status, StatusCode::BAD_REQUEST);
    assert_eq!(unwrapped.body["error"], "ParameterMissing");
    let malformed = read(
        sandbox
            .zendesk(Method::POST, "/api/v2/tickets.json")
            .header("content-type", "application/json")
            .body("{\"ticket\":")
            .send()
            .await,
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(malformed.body["error"].is_string());
    let unknown = sandbox.zd(Method::GET, "/api/v2/widgets.json", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.body,
        json!({"error": "InvalidEndpoint", "description": "Not found"})
    );
    assert_not_found(
        &sandbox
            .zd(Method::GET, "/api/v2/users/abc.json", None)
            .await,
    );
}

#[tokio::test]
async fn users_have_the_recorded_shape_and_crud() {
    let sandbox = start_default().await;
    let recorded = fixture(USER_GET)["response"]["body"].clone();
    let seeded = sandbox
        .zd(Method::GET, "/api/v2/users/362000000001.json", None)
        .await;
    assert_eq!(seeded.status, StatusCode::OK);
    assert_eq!(keys(&seeded.body), keys(&recorded));
    assert_eq!(keys(&seeded.body["user"]), keys(&recorded["user"]));
    assert!(seeded.body["user"]["user_fields"].is_object());
    assert!(is_zendesk_time(text(&seeded.body["user"], "/created_at")));

    let recorded_create = fixture(USER_CREATE)["response"].clone();
    let created = sandbox
        .zd(
            Method::POST,
            "/api/v2/users.json",
            Some(&json!({"user": {"verified": true, "name": "John Doe", "email": "john.doe@example.net", "external_id": "ext-123", "tags": [], "time_zone": "Arizona"}})),
        )
        .await;
    // Arizona is not a zone the sandbox knows: 422; without it the user is created.
    assert_invalid(&created, "time_zone", "Time zone: is not valid");
    let created = sandbox
        .zd(
            Method::POST,
            "/api/v2/users.json",
            Some(&json!({"user": {"verified": true, "name": "John Doe", "email": "john.doe@example.net", "external_id": "ext-123", "tags": [], "user_fields": {"favorite_color": "Blue", "unknown": 1}}})),
        )
        .await;
    assert_eq!(
        created.status.as_u16(),
        recorded_create["status"].as_u64().unwrap_or_default() as u16
    );
    assert_eq!(
        keys(&created.body["user"]),
        keys(&recorded_create["body"]["user"])
    );
    let id = created.body["user"]["id"].as_u64().unwrap_or_default();
    let base = sandbox.handle.base_url();
    assert_eq!(
        created.header("location"),
        format!("{base}/api/v2/users/{id}.json")
    );
    assert_eq!(
        created.body["user"]["user_fields"],
        json!({"favorite_color": "Blue"})
    );
    assert_eq!(created.body["user"]["role"], "end-user");

    let path = format!("/api/v2/users/{id}.json");
    let updated = sandbox
        .zd(
            Method::PUT,
            &path,
            Some(&json!({"user": {"phone": "+1 555 0100", "organization_id": 360_000_000_001u64}})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["user"]["name"], "John Doe");
    assert_eq!(updated.body["user"]["external_id"], "ext-123");
    assert_eq!(updated.body["user"]["phone"], "+1 555 0100");

    let deleted = sandbox.zd(Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body["user"]["active"], false);
    let after = sandbox.zd(Method::GET, &path, None).await;
    assert_eq!(
        after.body["user"]["active"], false,
        "deleted users stay readable"
    );
    assert_not_found(
        &sandbox
            .zd(Method::PUT, &path, Some(&json!({"user": {"name": "x"}})))
            .await,
    );

    let agents = sandbox
        .zd(Method::GET, "/api/v2/users.json?role=agent", None)
        .await;
    assert_eq!(
        agents.body["users"].as_array().map(Vec::len),
        Some(switchboard_sandbox::OWNER_COUNT - 1)
    );
    let (all, _) = walk(&sandbox, "/api/v2/users.json?page[size]=100", "users").await;
    assert_eq!(
        all.len(),
        250 + switchboard_sandbox::OWNER_COUNT,
        "the deleted user is not listed"
    );
    let me = sandbox.zd(Method::GET, "/api/v2/users/me.json", None).await;
    assert_eq!(me.body["user"]["role"], "admin");
}

#[tokio::test]
async fn organizations_crud() {
    let sandbox = start_default().await;
    let (ids, _) = walk(
        &sandbox,
        "/api/v2/organizations.json?page[size]=100",
        "organizations",
    )
    .await;
    assert_eq!(ids.len(), 250);
    let created = sandbox
        .zd(
            Method::POST,
            "/api/v2/organizations.json",
            Some(&json!({"organization": {"name": "Difference Engines", "domain_names": ["engines.example.com"], "organization_fields": {"tier": "Gold"}}})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let org = created.body["organization"].clone();
    let id = org["id"].as_u64().unwrap_or_default();
    for key in [
        "url",
        "id",
        "name",
        "shared_tickets",
        "shared_comments",
        "external_id",
        "created_at",
        "updated_at",
        "domain_names",
        "details",
        "notes",
        "group_id",
        "tags",
        "organization_fields",
    ] {
        assert!(org.get(key).is_some(), "{key}");
    }
    let path = format!("/api/v2/organizations/{id}.json");
    let user = sandbox
        .zd(
            Method::POST,
            "/api/v2/users.json",
            Some(&json!({"user": {"name": "Member", "organization_id": id}})),
        )
        .await;
    let user_id = user.body["user"]["id"].clone();
    let updated = sandbox
        .zd(
            Method::PUT,
            &path,
            Some(&json!({"organization": {"notes": "Key account"}})),
        )
        .await;
    assert_eq!(updated.body["organization"]["name"], "Difference Engines");
    assert_eq!(updated.body["organization"]["notes"], "Key account");
    assert_eq!(
        updated.body["organization"]["organization_fields"]["tier"],
        "Gold"
    );
    assert_eq!(
        sandbox.zd(Method::DELETE, &path, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_not_found(&sandbox.zd(Method::GET, &path, None).await);
    let member = sandbox
        .zd(Method::GET, &format!("/api/v2/users/{user_id}.json"), None)
        .await;
    assert_eq!(member.body["user"]["organization_id"], Value::Null);
}

#[tokio::test]
async fn each_auth_style() {
    let sandbox = start_default().await;
    let url = sandbox.url("/api/v2/users/me.json");
    let token = sandbox.handle.api_token();
    let basic = read(
        sandbox
            .http
            .get(&url)
            .basic_auth("someone@example.com/token", Some(token))
            .send()
            .await,
    )
    .await;
    assert_eq!(basic.status, StatusCode::OK);
    for (label, request) in [
        ("no credentials", sandbox.http.get(&url)),
        (
            "wrong token",
            sandbox
                .http
                .get(&url)
                .basic_auth("a@example.com/token", Some("nope")),
        ),
        (
            "password auth",
            sandbox
                .http
                .get(&url)
                .basic_auth("a@example.com", Some(token)),
        ),
    ] {
        let reply = read(request.send().await).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{label}");
        assert_eq!(
            reply.body,
            json!({"error": "Couldn't authenticate you"}),
            "{label}"
        );
        assert!(!reply.header("x-rate-limit").is_empty(), "{label}");
    }
    // The api token is not an OAuth access token.
    let bearer = read(sandbox.http.get(&url).bearer_auth(token).send().await).await;
    assert_eq!(bearer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bearer.body["error"], "invalid_token");

    let grant = crate::oauth::connect(&sandbox, Vendor::Zendesk).await;
    let access = text(&grant, "/access_token");
    let api = call_api(&sandbox, Vendor::Zendesk, access).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert_eq!(api.body["user"]["role"], "admin");
    sandbox.handle.expire_access_tokens();
    let expired = call_api(&sandbox, Vendor::Zendesk, access).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.body["error"], "invalid_token");
}

async fn zd_token(sandbox: &Sandbox, path: &str, body: &Value) -> Reply {
    read(sandbox.http.post(sandbox.url(path)).json(body).send().await).await
}

#[tokio::test]
async fn oauth_code_flow_and_refresh_rotate_every_token() {
    let sandbox = start_default().await;
    // Zendesk's own paths and the prefixed ones are the same server.
    for (authorize_path, token_path) in [
        ("/zendesk/oauth/authorizations/new", "/zendesk/oauth/tokens"),
        ("/oauth/authorizations/new", "/oauth/tokens"),
    ] {
        let no_redirect = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("client: {e}"));
        let consent = no_redirect
            .get(sandbox.url(authorize_path))
            .query(&[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", REDIRECT),
                ("scope", "read write"),
                ("state", "xyz"),
            ])
            .send()
            .await
            .unwrap_or_else(|e| panic!("authorize: {e}"));
        assert_eq!(consent.status(), StatusCode::FOUND);
        let location = consent
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| reqwest::Url::parse(l).ok())
            .unwrap_or_else(|| panic!("no Location"));
        let code = location
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let exchanged = zd_token(
            &sandbox,
            token_path,
            &json!({"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": REDIRECT, "scope": "read write"}),
        )
        .await;
        assert_eq!(exchanged.status, StatusCode::OK, "{}", exchanged.body);
        assert_eq!(
            keys(&exchanged.body),
            [
                "access_token",
                "expires_in",
                "refresh_token",
                "refresh_token_expires_in",
                "scope",
                "token_type"
            ]
        );
        assert_eq!(exchanged.body["token_type"], "bearer");
        assert_eq!(exchanged.body["scope"], "read write");
        let access1 = text(&exchanged.body, "/access_token").to_owned();
        let refresh1 = text(&exchanged.body, "/refresh_token").to_owned();
        assert_eq!(
            call_api(&sandbox, Vendor::Zendesk, &access1).await.status,
            StatusCode::OK
        );

        let refreshed = zd_token(
            &sandbox,
            token_path,
            &json!({"grant_type": "refresh_token", "refresh_token": refresh1, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )
        .await;
        assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
        let access2 = text(&refreshed.body, "/access_token").to_owned();
        let refresh2 = text(&refreshed.body, "/refresh_token").to_owned();
        assert!(
            refresh2 != refresh1 && !refresh2.is_empty(),
            "a new refresh token"
        );
        // Zendesk invalidates the previous access and refresh tokens.
        assert_eq!(
            call_api(&sandbox, Vendor::Zendesk, &access2).await.status,
            StatusCode::OK
        );
        let old_access = call_api(&sandbox, Vendor::Zendesk, &access1).await;
        assert_eq!(old_access.status, StatusCode::UNAUTHORIZED);
        let old_refresh = zd_token(
            &sandbox,
            token_path,
            &json!({"grant_type": "refresh_token", "refresh_token": refresh1, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )
        .await;
        assert_eq!(old_refresh.status, StatusCode::BAD_REQUEST);
        assert_eq!(old_refresh.body["error"], "invalid_grant");
        // Lenient mode: a rotated-out token is just invalid, the grant lives on.
        assert_eq!(
            call_api(&sandbox, Vendor::Zendesk, &access2).await.status,
            StatusCode::OK
        );
        let third = zd_token(
            &sandbox,
            token_path,
            &json!({"grant_type": "refresh_token", "refresh_token": refresh2, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )
        .await;
        assert_eq!(third.status, StatusCode::OK, "{}", third.body);
    }
    let stats = sandbox.handle.oauth_stats().zendesk;
    assert_eq!(
        (
            stats.authorizations,
            stats.refreshes,
            stats.reuse_detections
        ),
        (2, 4, 0)
    );

    // Errors: scope is required; clients are checked; unknown grants refused.
    let no_scope = authorize(&sandbox, Vendor::Zendesk, &[("scope", "")]).await;
    assert_eq!(no_scope.param("error").as_deref(), Some("invalid_scope"));
    let fresh = code(&sandbox, Vendor::Zendesk, &[]).await;
    let bad_client = zd_token(
        &sandbox,
        "/zendesk/oauth/tokens",
        &json!({"grant_type": "authorization_code", "code": fresh, "client_id": CLIENT_ID, "client_secret": "nope", "redirect_uri": REDIRECT}),
    )
    .await;
    assert_eq!(bad_client.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_client.body["error"], "invalid_client");
    let grant = zd_token(
        &sandbox,
        "/zendesk/oauth/tokens",
        &json!({"grant_type": "password"}),
    )
    .await;
    assert_eq!(grant.body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn a_spent_budget_is_a_plain_text_429_with_retry_after() {
    let sandbox = start(SandboxConfig {
        rate_limit: Some(RateBudget::new(1, Duration::from_secs(600))),
        ..SandboxConfig::default()
    })
    .await;
    let ok = sandbox
        .zd(Method::GET, "/api/v2/tickets/1.json", None)
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.header("x-rate-limit"), "1");
    assert_eq!(ok.header("x-rate-limit-remaining"), "0");
    assert!(
        ok.header("ratelimit-limit").is_empty(),
        "only list endpoints carry ratelimit-*"
    );

    let recorded = fixture(USER_429)["response"].clone();
    let limited = sandbox
        .zd(
            Method::PUT,
            "/api/v2/users/362000000001.json",
            Some(&json!({"user": {"tags": ["x"]}})),
        )
        .await;
    assert_eq!(
        limited.status.as_u16(),
        recorded["status"].as_u64().unwrap_or_default() as u16
    );
    let recorded_header = |name: &str| {
        recorded["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            .map(|h| text(h, "/1").to_owned())
            .unwrap_or_default()
    };
    assert_eq!(
        limited.header("content-type"),
        recorded_header("Content-Type")
    );
    for name in ["Retry-After", "X-Rate-Limit", "X-Rate-Limit-Remaining"] {
        assert!(!recorded_header(name).is_empty());
        assert!(!limited.header(name).is_empty(), "{name}");
    }
    let retry: u64 = limited.header("retry-after").parse().unwrap_or(0);
    assert!((1..=600).contains(&retry), "{retry}");
    assert!(limited.body.is_string(), "a text body: {}", limited.body);
    let list = sandbox.zd(Method::GET, "/api/v2/tickets.json", None).await;
    assert_eq!(list.status, StatusCode::TOO_MANY_REQUESTS);
}
