//! The executor end to end: generated tool tables against the fake HubSpot, Salesforce, Pipedrive and
//! Zendesk servers (and, for misbehaving vendors, tiny local servers), the way an agent's calls would go.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use switchboard_runtime::account::{Account, Credential};
use switchboard_runtime::executor::{Executor, ExecutorConfig};
use switchboard_runtime::outcome::{RateLimitInfo, Success, ToolError};
use switchboard_runtime::table::{MethodKind, Tool};
use switchboard_sandbox::{RateBudget, SandboxConfig, SandboxHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

// ------------------------------------------------------------------------------------------------
// Helpers

async fn sandbox(config: SandboxConfig) -> SandboxHandle {
    match switchboard_sandbox::spawn(config).await {
        Ok(handle) => handle,
        Err(e) => panic!("sandbox did not start: {e}"),
    }
}

fn executor() -> Executor {
    Executor::new(
        switchboard_generated::INTEGRATIONS,
        ExecutorConfig::default(),
    )
}

fn account(id: &str, integration: &str, base_url: &str, token: &str) -> Account {
    Account {
        id: id.to_owned(),
        integration: integration.to_owned(),
        base_url: Some(base_url.to_owned()),
        credential: Credential::Bearer(token.to_owned()),
        granted_scopes: None,
        expires_at: None,
        needs_reauth: false,
    }
}

/// HubSpot's base URL and Salesforce's instance URL are both the sandbox origin (Salesforce tool
/// paths start with `/services/data/v60.0`).
fn hubspot(sb: &SandboxHandle) -> Account {
    account("acme-hubspot", "hubspot", &sb.base_url(), sb.api_token())
}

fn salesforce(sb: &SandboxHandle) -> Account {
    account(
        "acme-salesforce",
        "salesforce",
        &sb.base_url(),
        sb.api_token(),
    )
}

/// Pipedrive's `api_domain` is the sandbox origin too (tool paths start with `/api/v1`); the api token
/// goes in the `api_token` query parameter, as the definition's `api_key` says.
fn pipedrive(sb: &SandboxHandle) -> Account {
    Account {
        credential: Credential::ApiKey(sb.api_token().to_owned()),
        ..account(
            "acme-pipedrive",
            "pipedrive",
            &sb.base_url(),
            sb.api_token(),
        )
    }
}

/// Zendesk's account host is the sandbox origin too (tool paths start with `/api/v2`); the credential
/// is an API token, Basic with `{email}/token` as the user name.
fn zendesk(sb: &SandboxHandle) -> Account {
    Account {
        credential: Credential::Basic {
            username: "agent@example.com/token".to_owned(),
            password: sb.api_token().to_owned(),
        },
        ..account("acme-zendesk", "zendesk", &sb.base_url(), sb.api_token())
    }
}

/// A Zendesk read or write answer's record, out of the envelope named after it (`{"ticket": {...}}`);
/// any other answer as it is.
fn zendesk_record<'a>(tool: &Tool, result: &'a Value) -> &'a Value {
    match tool.resource.strip_suffix('s') {
        Some(singular) if tool.integration == "zendesk" => result.get(singular).unwrap_or(result),
        _ => result,
    }
}

async fn ok(ex: &Executor, account: &Account, tool: &str, args: Value) -> Success {
    match ex.call(account, tool, args).await {
        Ok(success) => success,
        Err(e) => panic!("{tool} failed: {e:?}"),
    }
}

async fn err(ex: &Executor, account: &Account, tool: &str, args: Value) -> ToolError {
    match ex.call(account, tool, args).await {
        Ok(success) => panic!("{tool} unexpectedly succeeded: {}", success.envelope),
        Err(e) => e,
    }
}

fn next_cursor(success: &Success) -> Option<String> {
    success.envelope["next_cursor"].as_str().map(str::to_owned)
}

/// A record's id, whichever vendor spelling (`id`, `Id`) and type (Pipedrive's are integers), also
/// inside Pipedrive's `{success, data}` envelope.
fn id_of(record: &Value) -> Option<String> {
    let record = record
        .get("data")
        .filter(|d| d.is_object())
        .unwrap_or(record);
    match record.get("id").or_else(|| record.get("Id"))? {
        Value::String(id) => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// Record ids, whichever vendor spelling.
fn ids(success: &Success) -> Vec<String> {
    success.envelope["result"]
        .as_array()
        .map(|records| records.iter().filter_map(id_of).collect())
        .unwrap_or_default()
}

/// Every page of a list tool, following `next_cursor`; also checks each envelope's shape.
async fn walk(ex: &Executor, account: &Account, tool: &str, limit: Option<u64>) -> Vec<String> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let mut args = json!({});
        if let Some(limit) = limit {
            args["limit"] = json!(limit);
        }
        if let Some(cursor) = &cursor {
            args["next_cursor"] = json!(cursor);
        }
        let page = ok(ex, account, tool, args).await;
        let page_ids = ids(&page);
        assert_eq!(
            page.envelope["result_count"].as_u64(),
            u64::try_from(page_ids.len()).ok()
        );
        if let Some(limit) = limit {
            assert!(
                page_ids.len() as u64 <= limit,
                "{tool}: page over the limit"
            );
        }
        all.extend(page_ids);
        cursor = next_cursor(&page);
        if cursor.is_none() {
            return all;
        }
    }
    panic!("{tool}: paging did not end");
}

fn assert_complete(ids: &[String], expected: usize) {
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate records across pages");
    assert_eq!(ids.len(), expected, "records missing across pages");
}

/// A proxy in front of `target` that counts the requests reaching the vendor.
async fn counting_proxy(target: String) -> (String, Arc<AtomicUsize>) {
    use axum::body::{Body, to_bytes};
    use axum::extract::{Request, State};
    use axum::response::Response;

    let count = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let state = (target, client, count.clone());
    let app = axum::Router::new().fallback(
        |State((target, client, count)): State<(String, reqwest::Client, Arc<AtomicUsize>)>,
         request: Request| async move {
            count.fetch_add(1, Ordering::SeqCst);
            let (parts, body) = request.into_parts();
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let body = to_bytes(body, 1 << 24).await.unwrap_or_default();
            let mut forward = client.request(parts.method, format!("{target}{path}"));
            for (name, value) in &parts.headers {
                if name != "host" {
                    forward = forward.header(name, value);
                }
            }
            let upstream = match forward.body(body).send().await {
                Ok(upstream) => upstream,
                Err(e) => panic!("proxy could not reach the sandbox: {e}"),
            };
            let mut response = Response::builder().status(upstream.status());
            for (name, value) in upstream.headers() {
                response = response.header(name, value);
            }
            let bytes = upstream.bytes().await.unwrap_or_default();
            response
                .body(Body::from(bytes))
                .unwrap_or_else(|e| panic!("proxy response: {e}"))
        },
    );
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app.with_state(state)).await;
    });
    (format!("http://{addr}"), count)
}

/// A server answering every request with `response` (raw HTTP), counting requests.
async fn canned_server(response: String) -> (String, Arc<AtomicUsize>) {
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let response = response.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                let mut read = 0;
                // Read the request head; these tests send no bodies.
                while let Ok(n) = socket.read(&mut buffer[read..]).await {
                    if n == 0 {
                        return;
                    }
                    read += n;
                    if buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") || read == buffer.len() {
                        break;
                    }
                }
                if response.is_empty() {
                    // Never answer: the client must time out on its own.
                    std::future::pending::<()>().await;
                }
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

fn http_response(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The generated Salesforce contacts list, used by the paging, cursor and rate-limit tests.
const SF_CONTACTS: &str = "list_all_salesforce_contacts";

// ------------------------------------------------------------------------------------------------
// Every tool

/// The argument of a by-id tool taking the record's id: `id`, whatever the vendor's path calls it.
fn path_param(tool: &Tool) -> &'static str {
    let path = tool
        .params
        .iter()
        .find(|p| p.location == switchboard_runtime::table::ParamLocation::Path)
        .unwrap_or_else(|| panic!("{} has no path parameter", tool.name));
    assert_eq!(
        path.name, "id",
        "{} takes the record's id as `id`",
        tool.name
    );
    assert!(
        tool.path.contains(&format!("{{{}}}", path.wire)),
        "{}: `id` goes into the vendor's path as `{{{}}}`",
        tool.name,
        path.wire
    );
    path.name
}

/// Valid arguments for every generated tool. A new tool without an entry here fails the test, so the
/// table and this list cannot drift apart silently.
fn valid_args(tool: &Tool, record_id: Option<&str>) -> Value {
    let id =
        || -> Value { json!(record_id.unwrap_or_else(|| panic!("{} needs an id", tool.name))) };
    let by_id = |extra: Value| {
        let mut args = extra;
        args[path_param(tool)] = id();
        args
    };
    match (tool.integration, tool.resource, tool.kind) {
        // Sandbox ticket 2 has three comments.
        ("zendesk", "ticket_comments", MethodKind::List) => json!({"ticket_id": 2, "limit": 2}),
        (_, _, MethodKind::List) => json!({"limit": 3}),
        (_, _, MethodKind::Get | MethodKind::Delete) => by_id(json!({})),
        ("hubspot", _, MethodKind::Search) => json!({"query": "a", "limit": 2}),
        ("hubspot", "contacts", MethodKind::Create) => json!({
            "properties": {"email": "executor.test@example.com", "firstname": "Exe", "lastname": "Cutor"}
        }),
        ("hubspot", "companies", MethodKind::Create) => {
            json!({"properties": {"name": "Executor Test Co", "domain": "executor.example"}})
        }
        ("hubspot", "deals", MethodKind::Create) => json!({
            "properties": {"dealname": "Executor renewal", "dealstage": "appointmentscheduled", "pipeline": "default", "amount": "1500"}
        }),
        ("hubspot", "contacts", MethodKind::Update) => {
            by_id(json!({"properties": {"firstname": "Renamed"}}))
        }
        ("hubspot", "companies", MethodKind::Update) => {
            by_id(json!({"properties": {"name": "Renamed Co"}}))
        }
        ("hubspot", "deals", MethodKind::Update) => {
            by_id(json!({"properties": {"dealname": "Renamed deal"}}))
        }
        ("salesforce", "accounts", MethodKind::Create) => json!({"Name": "Executor Test Co"}),
        ("salesforce", "contacts", MethodKind::Create) => {
            json!({"LastName": "Cutor", "FirstName": "Exe", "Email": "executor.test@example.com"})
        }
        ("salesforce", "opportunities", MethodKind::Create) => json!({
            "Name": "Executor renewal", "StageName": "Prospecting", "CloseDate": "2030-01-31"
        }),
        ("salesforce", _, MethodKind::Update) => {
            by_id(json!({"Description": "Updated by the executor test"}))
        }
        ("pipedrive", "persons", MethodKind::Create) => json!({
            "name": "Exe Cutor",
            "email": [{"value": "executor.test@example.com", "primary": true, "label": "work"}],
            "phone": [{"value": "+1 415 555 0199", "label": "mobile"}]
        }),
        ("pipedrive", "organizations", MethodKind::Create) => {
            json!({"name": "Executor Test Co", "address": "1 Main St, Springfield, IL 62701, United States"})
        }
        ("pipedrive", "deals", MethodKind::Create) => {
            json!({"title": "Executor renewal", "value": "1500", "currency": "USD", "org_id": 1})
        }
        ("pipedrive", "persons", MethodKind::Update) => by_id(json!({"name": "Renamed Person"})),
        ("pipedrive", "organizations", MethodKind::Update) => by_id(json!({"name": "Renamed Co"})),
        ("pipedrive", "deals", MethodKind::Update) => {
            by_id(json!({"title": "Renamed deal", "expected_close_date": "2030-01-31"}))
        }
        ("zendesk", "tickets", MethodKind::Create) => json!({"ticket": {
            "subject": "Executor test", "comment": {"body": "Opened by the executor test."}, "priority": "high"
        }}),
        ("zendesk", "tickets", MethodKind::Update) => by_id(json!({"ticket": {
            "status": "pending", "comment": {"body": "Noted by the executor test.", "public": false}
        }})),
        ("zendesk", "users", MethodKind::Create) => json!({"user": {
            "name": "Exe Cutor", "email": "executor.test@example.com", "role": "end-user"
        }}),
        ("zendesk", "users", MethodKind::Update) => {
            by_id(json!({"user": {"phone": "+1 415 555 0199"}}))
        }
        ("zendesk", "organizations", MethodKind::Create) => json!({"organization": {
            "name": "Executor Test Co", "domain_names": ["executor.example"]
        }}),
        ("zendesk", "organizations", MethodKind::Update) => {
            by_id(json!({"organization": {"notes": "Updated by the executor test"}}))
        }
        _ => panic!(
            "no test arguments for {}: add them to valid_args",
            tool.name
        ),
    }
}

/// Order within a resource: read what exists, change it, then create one record and delete it.
fn step(kind: MethodKind) -> u8 {
    match kind {
        MethodKind::List => 0,
        MethodKind::Get => 1,
        MethodKind::Search => 2,
        MethodKind::Update => 3,
        MethodKind::Custom => 4,
        MethodKind::Create => 5,
        MethodKind::Delete => 6,
    }
}

/// Generated tools whose request the sandbox cannot serve yet (none at the moment), e.g. a SOQL
/// query selecting a standard field the sandbox does not model. The executor's request is still
/// checked: it must reach the vendor and come back as the vendor's own `INVALID_FIELD` error. Remove
/// an entry once the sandbox (or the definition) is fixed; the test fails while an entry is stale.
const SANDBOX_GAPS: &[&str] = &[];

/// An id of the resource, read with a query the sandbox serves, for tools listed in `SANDBOX_GAPS`.
async fn salesforce_id(sb: &SandboxHandle, object: &str) -> String {
    let url = format!(
        "{}/query?q=SELECT+Id+FROM+{object}+ORDER+BY+Id+LIMIT+1",
        sb.salesforce_base_url()
    );
    let body: Value = match reqwest::Client::new()
        .get(url)
        .bearer_auth(sb.api_token())
        .send()
        .await
    {
        Ok(response) => response.json().await.unwrap_or_default(),
        Err(e) => panic!("sandbox query: {e}"),
    };
    body["records"][0]["Id"]
        .as_str()
        .unwrap_or_else(|| panic!("no {object} in {body}"))
        .to_owned()
}

#[tokio::test]
async fn every_generated_tool_runs_against_the_sandbox() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    // Proxy tools; the unified tools that run through them have their own end-to-end tests
    // (tests/tests/unified_tools.rs).
    let mut tools: Vec<&'static Tool> = ex.tools().filter(|t| !t.is_unified()).collect();
    assert!(
        tools.len() >= 54,
        "expected the HubSpot, Salesforce and Pipedrive tables, found {} tools",
        tools.len()
    );
    tools.sort_by_key(|t| (t.integration, t.resource, step(t.kind), t.name));

    let mut existing: BTreeMap<(&str, &str), String> = BTreeMap::new();
    let mut created: BTreeMap<(&str, &str), String> = BTreeMap::new();
    let mut called = BTreeSet::new();
    for tool in tools {
        let account = match tool.integration {
            "hubspot" => hubspot(&sb),
            "salesforce" => salesforce(&sb),
            "pipedrive" => pipedrive(&sb),
            "zendesk" => zendesk(&sb),
            other => panic!("no sandbox for integration {other}"),
        };
        let key = (tool.integration, tool.resource);
        let record_id = match tool.kind {
            MethodKind::Delete => created.get(&key),
            _ => existing.get(&key),
        };
        let args = valid_args(tool, record_id.map(String::as_str));
        if SANDBOX_GAPS.contains(&tool.name) {
            let error = err(&ex, &account, tool.name, args).await;
            assert!(
                matches!(&error, ToolError::Upstream { status: 400, code: Some(code), .. } if code == "INVALID_FIELD"),
                "{}: {error:?}",
                tool.name
            );
            let object = match tool.resource {
                "accounts" => "Account",
                "contacts" => "Contact",
                "opportunities" => "Opportunity",
                "users" => "User",
                other => panic!("no Salesforce object for {other}"),
            };
            existing.insert(key, salesforce_id(&sb, object).await);
            called.insert(tool.name);
            continue;
        }
        let success = ok(&ex, &account, tool.name, args).await;
        assert!(
            (200..300).contains(&success.upstream_status),
            "{}: {}",
            tool.name,
            success.upstream_status
        );
        // What the agent gets validates against the schema it was shown, however many keys the
        // vendor sends that nobody documented (the fakes send what the real answers hold).
        let schemas: Value = serde_json::from_str(tool.schema).expect("tool schemas");
        let validator =
            jsonschema::validator_for(&schemas["outputSchema"]).expect("an output schema");
        if let Err(error) = validator.validate(&success.envelope) {
            panic!(
                "{}: the answer breaks its output schema at {}: {error}",
                tool.name,
                error.instance_path()
            );
        }
        // Every fake vendor sends its rate-limit headers on every answer.
        assert!(
            !success.rate_limit.is_empty(),
            "{}: no rate-limit figures",
            tool.name
        );
        assert_eq!(
            success.envelope["rate_limit"]["limit"].as_u64(),
            success.rate_limit.limit,
            "{}",
            tool.name
        );
        let result = &success.envelope["result"];
        let result = zendesk_record(tool, result);
        match tool.kind {
            // Two of the ticket's three comments, and the third on the next page.
            MethodKind::List if tool.name == "list_all_zendesk_ticket_comments" => {
                assert_eq!(ids(&success).len(), 2, "{}: limit 2", tool.name);
                assert!(next_cursor(&success).is_some(), "{}: more pages", tool.name);
            }
            MethodKind::List => {
                let page = ids(&success);
                assert_eq!(page.len(), 3, "{}: limit 3", tool.name);
                assert!(next_cursor(&success).is_some(), "{}: more pages", tool.name);
                existing.insert(key, page[0].clone());
            }
            MethodKind::Search => assert!(result["results"].is_array(), "{}", tool.name),
            MethodKind::Create => {
                let id =
                    id_of(result).unwrap_or_else(|| panic!("{}: no id in {result}", tool.name));
                created.insert(key, id);
            }
            MethodKind::Get => {
                assert_eq!(id_of(result), existing.get(&key).cloned(), "{}", tool.name);
            }
            // Pipedrive answers with the whole record, in its envelope.
            MethodKind::Update if tool.integration == "pipedrive" => {
                assert_eq!(id_of(result), existing.get(&key).cloned(), "{}", tool.name);
                assert_eq!(result["success"], true, "{}", tool.name);
            }
            // Zendesk answers with the whole record, in its envelope.
            MethodKind::Update if tool.integration == "zendesk" => {
                assert_eq!(id_of(result), existing.get(&key).cloned(), "{}", tool.name);
            }
            // Pipedrive names the deleted record.
            MethodKind::Delete if tool.integration == "pipedrive" => {
                assert_eq!(id_of(result), created.get(&key).cloned(), "{}", tool.name);
            }
            // Salesforce answers 204 (null); HubSpot returns the record or nothing.
            MethodKind::Update | MethodKind::Delete | MethodKind::Custom => {}
        }
        called.insert(tool.name);
    }
    let all: BTreeSet<&str> = ex
        .tools()
        .filter(|t| !t.is_unified())
        .map(|t| t.name)
        .collect();
    assert_eq!(called, all);
}

// ------------------------------------------------------------------------------------------------
// Paging

#[tokio::test]
async fn all_hubspot_contacts_page_through_without_gaps_or_duplicates() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    let account = hubspot(&sb);
    for limit in [Some(100), Some(7), None] {
        let ids = walk(&ex, &account, "list_all_hub_spot_contacts", limit).await;
        assert_complete(&ids, 250);
    }
}

#[tokio::test]
async fn all_salesforce_contacts_page_through_without_gaps_or_duplicates() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    let account = salesforce(&sb);
    // No limit: the vendor's default page holds all 250. 200: vendor pages of 200 and 50 through
    // `nextRecordsUrl`. 70, under the vendor's minimum page size (200): pages are trimmed and resume
    // inside the same vendor page.
    for limit in [None, Some(70), Some(200), Some(2000)] {
        let ids = walk(&ex, &account, SF_CONTACTS, limit).await;
        assert_complete(&ids, 250);
    }
}

#[tokio::test]
async fn all_pipedrive_persons_page_through_without_gaps_or_duplicates() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    let account = pipedrive(&sb);
    // `start`/`limit` offsets: the vendor's default page (no limit), small pages, and the vendor's
    // maximum (500).
    for limit in [None, Some(7), Some(100), Some(500)] {
        let ids = walk(&ex, &account, "list_all_pipedrive_persons", limit).await;
        assert_complete(&ids, 250);
    }
}

#[tokio::test]
async fn all_pipedrive_users_page_through_their_one_answer() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    let account = pipedrive(&sb);
    // Pipedrive answers every user at once: `limit` cuts that answer into pages, and each call
    // resumes where the previous one stopped.
    let all = walk(&ex, &account, "list_all_pipedrive_users", None).await;
    assert_eq!(all.len(), switchboard_sandbox::OWNER_COUNT);
    for limit in [1, 3] {
        assert_eq!(
            walk(&ex, &account, "list_all_pipedrive_users", Some(limit)).await,
            all,
            "limit {limit}"
        );
    }
}

/// A Pipedrive custom field is an argument named by its 40-character key: written by the update
/// tool as it is, and read back at the top level of the record.
#[tokio::test]
async fn pipedrive_custom_fields_go_through_the_proxy_tools_by_their_keys() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    let account = pipedrive(&sb);
    let is_key = |k: &str| k.len() == 40 && k.bytes().all(|b| b.is_ascii_hexdigit());
    let before = ok(
        &ex,
        &account,
        "get_single_pipedrive_person_by_id",
        json!({"id": 1}),
    )
    .await;
    // A text field (Pipedrive checks a value against its field's type: a number field refuses text).
    let key = before.envelope["result"]["data"]
        .as_object()
        .and_then(|person| {
            person
                .iter()
                .find(|(k, v)| is_key(k) && v.is_string())
                .map(|(k, _)| k.clone())
        })
        .unwrap_or_else(|| panic!("no text custom field on person 1: {}", before.envelope));

    let updated = ok(
        &ex,
        &account,
        "update_a_pipedrive_person_by_id",
        json!({"id": 1, &key: "Teal", "name": "Olivia Garcia"}),
    )
    .await;
    assert_eq!(updated.envelope["result"]["data"][&key], "Teal");
    let after = ok(
        &ex,
        &account,
        "get_single_pipedrive_person_by_id",
        json!({"id": "1"}),
    )
    .await;
    assert_eq!(after.envelope["result"]["data"][&key], "Teal");

    // Only names shaped like custom field keys are admitted besides the documented arguments.
    let error = err(
        &ex,
        &account,
        "update_a_pipedrive_person_by_id",
        json!({"id": 1, "not_a_field": "x"}),
    )
    .await;
    assert!(
        matches!(&error, ToolError::InvalidArguments { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn all_zendesk_tickets_page_through_without_gaps_or_duplicates() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (proxy, count) = counting_proxy(sb.base_url()).await;
    let ex = executor();
    let account = Account {
        base_url: Some(proxy),
        ..zendesk(&sb)
    };
    // No limit: Zendesk pages of 100 (the definition always asks for cursor pages of 100, since
    // Zendesk answers a list without `page[size]` with offset pages). Three pages for 250 tickets:
    // `meta.has_more: false` ends the paging, though the last page still has an `after_cursor`.
    let ids = walk(&ex, &account, "list_all_zendesk_tickets", None).await;
    assert_complete(&ids, 250);
    assert_eq!(count.load(Ordering::SeqCst), 3, "one request per page");
    // Small limits resume inside Zendesk's page of 100; 100 and more take whole pages.
    for limit in [7, 100, 250] {
        let ids = walk(&ex, &account, "list_all_zendesk_tickets", Some(limit)).await;
        assert_complete(&ids, 250);
    }
}

/// Zendesk's error envelope `{error, description, details}` comes back as the vendor code, its
/// description and the field errors, each named by its field.
#[tokio::test]
async fn zendesk_errors_name_the_vendor_code_and_the_fields() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    let account = zendesk(&sb);
    // A ticket without its first comment.
    let error = err(
        &ex,
        &account,
        "create_a_zendesk_ticket",
        json!({"ticket": {"subject": "No description"}}),
    )
    .await;
    let ToolError::Upstream {
        status,
        code,
        message,
        ..
    } = &error
    else {
        panic!("expected an upstream error, got {error:?}");
    };
    assert_eq!((*status, code.as_deref()), (422, Some("RecordInvalid")));
    assert!(
        message.starts_with("Record validation errors") && message.contains("description"),
        "{message}"
    );
    let error = err(
        &ex,
        &account,
        "get_single_zendesk_ticket_by_id",
        json!({"id": "999999"}),
    )
    .await;
    assert!(
        matches!(&error, ToolError::Upstream { status: 404, code: Some(code), message, .. }
            if code == "RecordNotFound" && message == "Not found"),
        "{error:?}"
    );
}

/// Calls `tool` twice as `account_of`'s account on a sandbox that allows one request: the first
/// succeeds with the figures, the second is the vendor's 429, after exactly one upstream request.
async fn rate_limited_after_one_request(
    account_of: fn(&SandboxHandle) -> Account,
    tool: &str,
    args: Value,
) -> ToolError {
    let sb = sandbox(SandboxConfig {
        rate_limit: Some(RateBudget::new(1, Duration::from_secs(3600))),
        ..SandboxConfig::default()
    })
    .await;
    let (proxy, count) = counting_proxy(sb.base_url()).await;
    let ex = executor();
    let account = Account {
        base_url: Some(proxy),
        ..account_of(&sb)
    };
    let first = ok(&ex, &account, tool, args.clone()).await;
    assert_eq!(first.rate_limit.limit, Some(1));
    assert_eq!(first.rate_limit.remaining, Some(0));
    let error = err(&ex, &account, tool, args).await;
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "exactly one upstream request"
    );
    error
}

#[tokio::test]
async fn zendesk_429_comes_back_after_one_request() {
    let error = rate_limited_after_one_request(
        zendesk,
        "get_single_zendesk_user_by_id",
        json!({"id": "361000000001"}),
    )
    .await;
    let ToolError::RateLimited {
        status,
        retry_after,
        message,
        ..
    } = error
    else {
        panic!("expected RateLimited, got {error:?}");
    };
    assert_eq!(status, 429);
    assert!(retry_after.is_some(), "Retry-After is read");
    assert!(!message.is_empty(), "the vendor's text comes back");
}

#[tokio::test]
async fn pipedrive_errors_carry_the_vendors_message() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    let account = pipedrive(&sb);
    let error = err(
        &ex,
        &account,
        "get_single_pipedrive_person_by_id",
        json!({"id": 999_999}),
    )
    .await;
    assert!(
        matches!(&error, ToolError::Upstream { status: 404, message, .. } if message.contains("not found")),
        "{error:?}"
    );
    // A deal must be linked to a person or an organization (documented): a 400 with the reason.
    let error = err(
        &ex,
        &account,
        "create_a_pipedrive_deal",
        json!({"title": "Unlinked deal"}),
    )
    .await;
    let ToolError::Upstream {
        status, message, ..
    } = &error
    else {
        panic!("expected an upstream error, got {error:?}");
    };
    assert_eq!(*status, 400, "{error:?}");
    assert!(
        !message.starts_with("HTTP "),
        "the vendor's own words: {message}"
    );
}

#[tokio::test]
async fn pipedrive_429_comes_back_after_one_request() {
    let error = rate_limited_after_one_request(
        pipedrive,
        "get_single_pipedrive_person_by_id",
        json!({"id": 1}),
    )
    .await;
    assert!(
        matches!(
            &error,
            ToolError::RateLimited {
                status: 429,
                retry_after: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn forged_or_misused_cursors_are_refused() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    let account = hubspot(&sb);
    let first = ok(
        &ex,
        &account,
        "list_all_hub_spot_contacts",
        json!({"limit": 5}),
    )
    .await;
    let cursor = next_cursor(&first).unwrap_or_else(|| panic!("a second page"));
    assert!(!cursor.contains("after"), "cursor must be opaque");

    let mut edited = cursor.clone().into_bytes();
    let middle = edited.len() / 2;
    edited[middle] = if edited[middle] == b'A' { b'B' } else { b'A' };
    let edited = String::from_utf8(edited).unwrap_or_default();
    let other_account = account_with_id(&account, "globex-hubspot");
    let other_key = Executor::new(
        switchboard_generated::INTEGRATIONS,
        ExecutorConfig::default(),
    );
    let cases = [
        (&ex, &account, "list_all_hub_spot_contacts", edited.as_str()),
        (&ex, &account, "list_all_hub_spot_contacts", "garbage"),
        (&ex, &account, "list_all_hub_spot_contacts", ""),
        (
            &ex,
            &account,
            "list_all_hub_spot_companies",
            cursor.as_str(),
        ),
        (
            &ex,
            &other_account,
            "list_all_hub_spot_contacts",
            cursor.as_str(),
        ),
        (
            &other_key,
            &account,
            "list_all_hub_spot_contacts",
            cursor.as_str(),
        ),
    ];
    for (executor, account, tool, cursor) in cases {
        let error = err(executor, account, tool, json!({"next_cursor": cursor})).await;
        assert!(
            matches!(error, ToolError::InvalidCursor(_)),
            "{tool}: {error:?}"
        );
    }
    // The genuine cursor still works.
    let second = ok(
        &ex,
        &account,
        "list_all_hub_spot_contacts",
        json!({"next_cursor": cursor, "limit": 5}),
    )
    .await;
    let second_ids = ids(&second);
    assert_eq!(second_ids.len(), 5);
    assert!(second_ids.iter().all(|id| !ids(&first).contains(id)));
}

fn account_with_id(account: &Account, id: &str) -> Account {
    Account {
        id: id.to_owned(),
        ..account.clone()
    }
}

#[tokio::test]
async fn next_urls_off_the_base_url_are_refused() {
    // A vendor whose next link points at another server: the page fails instead of handing the
    // agent a cursor that would send the account's token elsewhere.
    let body = json!({"totalSize": 2, "done": false, "records": [{"Id": "1"}],
        "nextRecordsUrl": "http://evil.example/services/data/v60.0/query/01g-1"})
    .to_string();
    let (base, _) = canned_server(http_response("200 OK", "application/json", &body)).await;
    let ex = executor();
    let evil = account("acme-salesforce", "salesforce", &base, "token");
    let error = err(&ex, &evil, "list_all_salesforce_contacts", json!({})).await;
    assert!(
        matches!(&error, ToolError::UpstreamInvalid(message) if message.contains("base URL")),
        "{error:?}"
    );

    // A genuine cursor redeemed after the account moved to another origin is refused too.
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    let account = salesforce(&sb);
    let first = ok(&ex, &account, SF_CONTACTS, json!({"limit": 200})).await;
    let cursor = next_cursor(&first).unwrap_or_else(|| panic!("a second page"));
    let moved = Account {
        base_url: Some(sb.base_url().replace("127.0.0.1", "localhost")),
        ..account.clone()
    };
    let error = err(&ex, &moved, SF_CONTACTS, json!({"next_cursor": cursor})).await;
    assert!(matches!(error, ToolError::InvalidCursor(_)), "{error:?}");
}

// ------------------------------------------------------------------------------------------------
// Rate limits: returned at once, never retried

#[tokio::test]
async fn hubspot_429_comes_back_after_one_request() {
    let sb = sandbox(SandboxConfig {
        rate_limit: Some(RateBudget::new(1, Duration::from_secs(3600))),
        ..SandboxConfig::default()
    })
    .await;
    let (proxy, count) = counting_proxy(sb.base_url()).await;
    let ex = executor();
    let account = account("acme-hubspot", "hubspot", &proxy, sb.api_token());
    let first = ok(&ex, &account, "list_all_hub_spot_owners", json!({})).await;
    assert_eq!(first.rate_limit.remaining, Some(0));
    assert_eq!(count.load(Ordering::SeqCst), 1);

    let error = err(&ex, &account, "list_all_hub_spot_owners", json!({})).await;
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "exactly one upstream request"
    );
    let ToolError::RateLimited {
        status,
        rate_limit,
        message,
        ..
    } = error
    else {
        panic!("expected RateLimited, got {error:?}");
    };
    assert_eq!(status, 429);
    assert_eq!(
        rate_limit,
        RateLimitInfo {
            limit: Some(1),
            remaining: Some(0),
            reset: Some(3600)
        }
    );
    assert!(message.contains("limit"), "{message}");
}

#[tokio::test]
async fn salesforce_request_limit_exceeded_comes_back_after_one_request() {
    let sb = sandbox(SandboxConfig {
        rate_limit: Some(RateBudget::new(1, Duration::from_secs(3600))),
        ..SandboxConfig::default()
    })
    .await;
    let (proxy, count) = counting_proxy(sb.base_url()).await;
    let ex = executor();
    let account = account("acme-salesforce", "salesforce", &proxy, sb.api_token());
    let first = ok(&ex, &account, SF_CONTACTS, json!({})).await;
    assert_eq!(first.rate_limit.limit, Some(1));
    assert_eq!(first.rate_limit.remaining, Some(0));

    let error = err(&ex, &account, SF_CONTACTS, json!({})).await;
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "exactly one upstream request"
    );
    let ToolError::RateLimited {
        status,
        code,
        rate_limit,
        ..
    } = error
    else {
        panic!("expected RateLimited, got {error:?}");
    };
    assert_eq!(status, 403);
    assert_eq!(code.as_deref(), Some("REQUEST_LIMIT_EXCEEDED"));
    assert_eq!(rate_limit.limit, Some(1));
    assert_eq!(rate_limit.remaining, Some(0));
}

// ------------------------------------------------------------------------------------------------
// Errors an agent can act on

#[tokio::test]
async fn bad_arguments_name_the_json_pointer_and_send_nothing() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (proxy, count) = counting_proxy(sb.base_url()).await;
    let ex = executor();
    let account = account("acme-hubspot", "hubspot", &proxy, sb.api_token());
    let cases = [
        (
            "list_all_hub_spot_contacts",
            json!({"limit": 500}),
            "/limit",
        ),
        (
            "list_all_hub_spot_contacts",
            json!({"limit": "ten"}),
            "/limit",
        ),
        ("list_all_hub_spot_contacts", json!({"bogus": 1}), "/bogus"),
        ("get_single_hub_spot_contact_by_id", json!({}), "/id"),
        (
            "create_a_hub_spot_contact",
            json!({"properties": {"email": 5}}),
            "/properties/email",
        ),
        ("list_all_hub_spot_contacts", json!([1, 2]), ""),
    ];
    for (tool, args, pointer) in cases {
        match err(&ex, &account, tool, args.clone()).await {
            ToolError::InvalidArguments {
                pointer: got,
                message,
            } => {
                assert_eq!(got, pointer, "{tool} {args}: {message}");
                assert!(!message.is_empty());
            }
            other => panic!("{tool} {args}: expected InvalidArguments, got {other:?}"),
        }
    }
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "invalid calls never reach the vendor"
    );
    // Null arguments are an empty object.
    ok(&ex, &account, "list_all_hub_spot_owners", Value::Null).await;
}

#[tokio::test]
async fn a_wrong_token_asks_to_reconnect() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    for account in [
        account("acme-hubspot", "hubspot", &sb.base_url(), "wrong"),
        account("acme-salesforce", "salesforce", &sb.base_url(), "wrong"),
    ] {
        let tool = if account.integration == "hubspot" {
            "list_all_hub_spot_contacts"
        } else {
            "get_single_salesforce_contact_by_id"
        };
        let args = if account.integration == "hubspot" {
            json!({})
        } else {
            json!({"id": "003000000000000AAA"})
        };
        let error = err(&ex, &account, tool, args).await;
        assert!(matches!(error, ToolError::AuthRequired { .. }), "{error:?}");
        assert_eq!(error.code(), "auth_required");
    }
}

#[tokio::test]
async fn not_found_carries_the_vendor_code() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    let error = err(
        &ex,
        &hubspot(&sb),
        "get_single_hub_spot_contact_by_id",
        json!({"id": "999999999"}),
    )
    .await;
    assert!(
        matches!(&error, ToolError::Upstream { status: 404, code: Some(code), message, rate_limit }
            if code == "OBJECT_NOT_FOUND" && !message.is_empty() && !rate_limit.is_empty()),
        "{error:?}"
    );
    let error = err(
        &ex,
        &salesforce(&sb),
        "get_single_salesforce_contact_by_id",
        json!({"id": "003000000000000AAA"}),
    )
    .await;
    assert!(
        matches!(&error, ToolError::Upstream { status: 404, code: Some(code), .. } if code == "NOT_FOUND"),
        "{error:?}"
    );
}

#[tokio::test]
async fn path_arguments_cannot_reach_another_endpoint() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    let account = hubspot(&sb);
    // Unencoded, `../companies` would turn a contact read into a company listing.
    let error = err(
        &ex,
        &account,
        "get_single_hub_spot_contact_by_id",
        json!({"id": "../companies"}),
    )
    .await;
    assert!(matches!(error, ToolError::Upstream { .. }), "{error:?}");
    let error = err(
        &ex,
        &account,
        "get_single_hub_spot_contact_by_id",
        json!({"id": ".."}),
    )
    .await;
    assert!(
        matches!(&error, ToolError::InvalidArguments { pointer, .. } if pointer == "/id"),
        "{error:?}"
    );
}

#[tokio::test]
async fn unknown_tools_and_foreign_accounts_are_unknown_tools() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = executor();
    let error = err(&ex, &hubspot(&sb), "no_such_tool", json!({})).await;
    assert_eq!(error, ToolError::UnknownTool("no_such_tool".to_owned()));
    // A HubSpot account cannot run Salesforce tools.
    let error = err(
        &ex,
        &hubspot(&sb),
        "list_all_salesforce_contacts",
        json!({}),
    )
    .await;
    assert!(matches!(error, ToolError::UnknownTool(_)), "{error:?}");
}

// ------------------------------------------------------------------------------------------------
// Misbehaving vendors

#[tokio::test]
async fn oversized_answers_are_cut_off() {
    let sb = sandbox(SandboxConfig::default()).await;
    let ex = Executor::new(
        switchboard_generated::INTEGRATIONS,
        ExecutorConfig {
            max_response_bytes: 2048,
            ..ExecutorConfig::default()
        },
    );
    let error = err(
        &ex,
        &hubspot(&sb),
        "list_all_hub_spot_contacts",
        json!({"limit": 100}),
    )
    .await;
    assert!(
        matches!(&error, ToolError::UpstreamInvalid(message) if message.contains("response too large")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_silent_vendor_times_out_after_one_request() {
    let (base, count) = canned_server(String::new()).await;
    let ex = Executor::new(
        switchboard_generated::INTEGRATIONS,
        ExecutorConfig {
            timeout: Duration::from_millis(300),
            ..ExecutorConfig::default()
        },
    );
    let account = account("acme-hubspot", "hubspot", &base, "token");
    let error = err(&ex, &account, "list_all_hub_spot_owners", json!({})).await;
    assert_eq!(error, ToolError::Timeout);
    assert_eq!(error.code(), "upstream_timeout");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn non_json_success_is_a_clear_error() {
    let (base, _) = canned_server(http_response(
        "200 OK",
        "text/html",
        "<html>maintenance</html>",
    ))
    .await;
    let ex = executor();
    let account = account("acme-hubspot", "hubspot", &base, "token");
    let error = err(
        &ex,
        &account,
        "get_single_hub_spot_owner_by_id",
        json!({"id": "1"}),
    )
    .await;
    assert!(
        matches!(&error, ToolError::UpstreamInvalid(message) if message.contains("not JSON")),
        "{error:?}"
    );
}

#[tokio::test]
async fn empty_success_is_a_null_result() {
    let (base, _) = canned_server(http_response("204 No Content", "application/json", "")).await;
    let ex = executor();
    let account = account("acme-hubspot", "hubspot", &base, "token");
    let success = ok(
        &ex,
        &account,
        "delete_a_hub_spot_contact_by_id",
        json!({"id": "1"}),
    )
    .await;
    assert_eq!(success.envelope, json!({"result": null}));
    assert_eq!(success.upstream_status, 204);
}

#[tokio::test]
async fn unified_records_without_an_id_are_a_mapping_error_not_a_broken_result() {
    // A page whose second record is not a contact at all.
    let page = r#"{"results": [{"id": "1", "properties": {"firstname": "Ada"}, "createdAt": "2024-01-02T03:04:05Z", "updatedAt": "2024-01-02T03:04:05Z"}, {"properties": {"firstname": "Nobody"}}, 7]}"#;
    let (base, requests) = canned_server(http_response("200 OK", "application/json", page)).await;
    let ex = executor();
    let account = account("acme-hubspot", "hubspot", &base, "token");
    let error = err(&ex, &account, "list_all_crm_contacts", json!({"limit": 3})).await;
    assert!(
        matches!(&error, ToolError::Mapping(message)
            if message.contains("record 2") && message.contains("`id`") && message.contains("list_all_hub_spot_contacts")),
        "{error:?}"
    );
    assert_eq!(error.code(), "mapping_failed");
    assert_eq!(requests.load(Ordering::SeqCst), 1, "one request, no retry");

    // A well-formed page maps every record, with the vendor's strings normalized: names trimmed, the
    // additional emails split, empty values dropped (no phones, no address: no keys).
    let page = r#"{"results": [{"id": "1", "properties": {"firstname": " Ada ", "email": "ada@example.com", "hs_additional_emails": "a@x.example;;b@y.example", "phone": ""}, "createdAt": "2024-01-02T03:04:05.600Z", "updatedAt": "2024-01-02T03:04:05Z"}]}"#;
    let (base, _) = canned_server(http_response("200 OK", "application/json", page)).await;
    let account = account_with_base(&account, &base);
    let success = ok(&ex, &account, "list_all_crm_contacts", json!({})).await;
    assert_eq!(
        success.envelope["result"],
        json!([{
            "id": "1",
            "first_name": "Ada",
            "email_addresses": [
                {"email": "ada@example.com", "is_primary": true},
                {"email": "a@x.example", "is_primary": false},
                {"email": "b@y.example", "is_primary": false}
            ],
            "created_at": "2024-01-02T03:04:05.600Z",
            "updated_at": "2024-01-02T03:04:05Z"
        }])
    );
}

fn account_with_base(account: &Account, base: &str) -> Account {
    Account {
        base_url: Some(base.to_owned()),
        ..account.clone()
    }
}

// ------------------------------------------------------------------------------------------------
// Catalogue

#[test]
fn executor_and_calls_can_cross_tasks() {
    fn shared<T: Send + Sync + Clone>(_: &T) {}
    fn sendable<T: Send>(_: T) {}
    let ex = executor();
    shared(&ex);
    let account = account("a", "hubspot", "http://127.0.0.1:9", "t");
    // Servers spawn calls onto a multi-threaded runtime; the future is built, never polled.
    sendable(ex.call(&account, "list_all_hub_spot_owners", json!({})));
}

#[test]
fn tools_are_sorted_and_found_by_name() {
    let ex = executor();
    let names: Vec<(&str, &str)> = ex.tools().map(|t| (t.name, t.integration)).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    for (name, integration) in names {
        let tool = ex
            .tool(integration, name)
            .unwrap_or_else(|| panic!("{name} not found"));
        assert_eq!((tool.name, tool.integration), (name, integration));
        let schemas = ex.schemas(tool);
        assert_eq!(schemas.input.get("type"), Some(&json!("object")), "{name}");
        assert!(!schemas.description.is_empty(), "{name}");
        assert!(!schemas.output.is_empty(), "{name}");
        // Parsed once: the same allocation every time.
        assert!(Arc::ptr_eq(&schemas.input, &ex.schemas(tool).input));
    }
    assert!(ex.tool("hubspot", "no_such_tool").is_none());
    // Unified tools share their name across integrations; each integration has its own route.
    let hubspot = ex.tool("hubspot", "list_all_crm_contacts").unwrap();
    let salesforce = ex.tool("salesforce", "list_all_crm_contacts").unwrap();
    assert!(hubspot.is_unified() && salesforce.is_unified());
    assert_ne!(
        hubspot.unified.as_ref().unwrap().proxy,
        salesforce.unified.as_ref().unwrap().proxy
    );
    assert!(
        ex.tool("salesforce", "list_all_hub_spot_contacts")
            .is_none()
    );
    assert!(ex.integration("hubspot").is_some());
    assert_eq!(
        ex.integrations().len(),
        switchboard_generated::INTEGRATIONS.len()
    );
}

// ------------------------------------------------------------------------------------------------
// Credentials: one refresh and one replay after a 401, nothing more

/// Hands out `stale` first; asked after a 401, answers `fresh` (counting how often it was asked).
struct Rotating {
    fresh: Option<String>,
    rejected: AtomicUsize,
}

impl switchboard_runtime::credential_source::CredentialSource for Rotating {
    fn usable<'a>(
        &'a self,
        account: &'a Account,
    ) -> switchboard_runtime::credential_source::CredentialFuture<'a, Credential> {
        Box::pin(std::future::ready(Ok(account.credential.clone())))
    }

    fn rejected<'a>(
        &'a self,
        _account: &'a Account,
        _rejected: &'a Credential,
    ) -> switchboard_runtime::credential_source::CredentialFuture<'a, Option<Credential>> {
        self.rejected.fetch_add(1, Ordering::SeqCst);
        Box::pin(std::future::ready(Ok(self
            .fresh
            .clone()
            .map(Credential::Bearer))))
    }

    fn reconnect_url(&self, account: &Account) -> Option<String> {
        Some(format!(
            "https://switchboard.test/connect/{}",
            account.integration
        ))
    }
}

fn rotating_executor(fresh: Option<&str>) -> (Executor, Arc<Rotating>) {
    let source = Arc::new(Rotating {
        fresh: fresh.map(str::to_owned),
        rejected: AtomicUsize::new(0),
    });
    let executor = Executor::with_credentials(
        switchboard_generated::INTEGRATIONS,
        ExecutorConfig::default(),
        source.clone(),
    );
    (executor, source)
}

#[tokio::test]
async fn a_401_is_replayed_once_with_the_refreshed_credential() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (executor, source) = rotating_executor(Some(sb.api_token()));
    let stale = account("acme-hubspot", "hubspot", &sb.base_url(), "stale-token");
    let success = ok(
        &executor,
        &stale,
        "list_all_hub_spot_contacts",
        json!({"limit": 2}),
    )
    .await;
    assert_eq!(success.envelope["result_count"], 2);
    assert_eq!(source.rejected.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_second_401_comes_back_as_auth_required_with_the_reconnect_url() {
    let sb = sandbox(SandboxConfig::default()).await;
    // The "fresh" credential is refused too: one replay, then the error, never a loop.
    let (executor, source) = rotating_executor(Some("also-wrong"));
    let stale = account("acme-hubspot", "hubspot", &sb.base_url(), "stale-token");
    let error = err(&executor, &stale, "list_all_hub_spot_contacts", json!({})).await;
    let ToolError::AuthRequired { reconnect_url, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        reconnect_url.as_deref(),
        Some("https://switchboard.test/connect/hubspot")
    );
    assert_eq!(source.rejected.load(Ordering::SeqCst), 1);

    // Nothing better to offer: the first 401 comes straight back.
    let (executor, source) = rotating_executor(None);
    let error = err(&executor, &stale, "list_all_hub_spot_contacts", json!({})).await;
    assert!(matches!(error, ToolError::AuthRequired { .. }), "{error:?}");
    assert_eq!(source.rejected.load(Ordering::SeqCst), 1);
}

// ------------------------------------------------------------------------------------------------
// Tables

/// The compiled tables carry what the integration files declare about dead refresh tokens.
#[test]
fn compiled_tables_recognise_their_vendors_dead_refresh_tokens() {
    let oauth = |name: &str| {
        switchboard_generated::INTEGRATIONS
            .iter()
            .find(|i| i.name == name)
            .and_then(|i| i.auth.oauth2.as_ref())
            .expect("an OAuth integration")
    };
    let hubspot = oauth("hubspot");
    let bad = json!({"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token"});
    assert!(hubspot.is_dead_refresh_token(400, &bad));
    assert!(hubspot.is_dead_refresh_token(400, &json!({"error": "invalid_grant"})));
    assert!(!hubspot.is_dead_refresh_token(500, &bad));
    let salesforce = oauth("salesforce");
    let expired =
        json!({"error": "invalid_grant", "error_description": "expired access/refresh token"});
    assert!(salesforce.is_dead_refresh_token(400, &expired));
    assert!(!salesforce.is_dead_refresh_token(400, &bad));
}
