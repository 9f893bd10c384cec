//! Fake Zendesk Ticketing API (`/api/v2`): tickets (with comments), users and organizations
//! (list, show, create, update, delete) and ticket fields, with Zendesk's resource-keyed
//! envelopes, cursor and offset pagination, error bodies and rate-limit headers.
//!
//! Paths take the `.json` suffix or not (`/api/v2/tickets/1.json`, `/api/v2/tickets/1`).

mod paging;
mod schema;
mod write;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::clock::{now_ms, zendesk_time};
use crate::rate_budget::Reading;
use crate::store::{ZdComment, ZdOrganization, ZdTicket, ZendeskStore};
use crate::web::{
    CredentialKind, Doc, Params, PathArg, QueryArg, RequestCtx, json_response, origin,
};
use crate::{Shared, SharedState};

use paging::{Page, Paging, page};
use schema::{
    TICKET_FIELDS, api_user_id, new_user, render_comment, render_organization, render_ticket,
    render_ticket_field, render_user,
};

pub(crate) use schema::seed;

const CONTENT_TYPE: &str = "application/json; charset=UTF-8";
/// The recorded 429 is plain text.
const TEXT_CONTENT_TYPE: &str = "text/plain; charset=UTF-8";

type ZdResult = Result<Response, ZdError>;

/// The Zendesk routes, relative to `https://{subdomain}.zendesk.com`.
pub(crate) fn routes() -> Router<Shared> {
    let mut router = Router::new();
    for suffix in ["", ".json"] {
        router = router
            .route(
                &format!("/api/v2/tickets{suffix}"),
                get(list_tickets).post(create_ticket),
            )
            .route(
                &format!("/api/v2/tickets/{{id}}/comments{suffix}"),
                get(list_comments),
            )
            .route(
                &format!("/api/v2/users{suffix}"),
                get(list_users).post(create_user),
            )
            .route(
                &format!("/api/v2/organizations{suffix}"),
                get(list_organizations).post(create_organization),
            )
            .route(
                &format!("/api/v2/ticket_fields{suffix}"),
                get(list_ticket_fields),
            );
    }
    router
        .route(
            "/api/v2/tickets/{id}",
            get(read_ticket).put(update_ticket).delete(delete_ticket),
        )
        .route(
            "/api/v2/users/{id}",
            get(read_user).put(update_user).delete(delete_user),
        )
        .route(
            "/api/v2/organizations/{id}",
            get(read_organization)
                .put(update_organization)
                .delete(delete_organization),
        )
}

// ---------------------------------------------------------------------------------------------
// Errors and headers

/// A Zendesk error: `{error, description[, details]}` with its status.
#[derive(Debug)]
pub(crate) struct ZdError {
    status: StatusCode,
    body: Doc,
}

/// `{error, description}`, in Zendesk's order.
fn error_body(error: &str, description: &str) -> Doc {
    Doc::object([
        ("error", json!(error).into()),
        ("description", json!(description).into()),
    ])
}

impl IntoResponse for ZdError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.body, CONTENT_TYPE)
    }
}

/// One attribute's validation problem in a 422 `details`.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) field: String,
    pub(crate) description: String,
    pub(crate) error: Option<&'static str>,
}

/// 422 `RecordInvalid` with `details: {attribute: [{description, error?}]}`, as recorded.
pub(crate) fn record_invalid(problems: Vec<Problem>) -> ZdError {
    let mut details: Vec<(String, Vec<Doc>)> = Vec::new();
    for problem in problems {
        let mut entry = Doc::object([("description", json!(problem.description).into())]);
        if let Some(error) = problem.error {
            entry.push("error", json!(error).into());
        }
        match details
            .iter_mut()
            .find(|(field, _)| *field == problem.field)
        {
            Some((_, list)) => list.push(entry),
            None => details.push((problem.field, vec![entry])),
        }
    }
    let mut body = error_body("RecordInvalid", "Record validation errors");
    body.push(
        "details",
        Doc::Object(
            details
                .into_iter()
                .map(|(field, list)| (field, Doc::Array(list)))
                .collect(),
        ),
    );
    ZdError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        body,
    }
}

fn not_found() -> ZdError {
    ZdError {
        status: StatusCode::NOT_FOUND,
        body: error_body("RecordNotFound", "Not found"),
    }
}

fn bad_request(error: &str, description: &str) -> ZdError {
    ZdError {
        status: StatusCode::BAD_REQUEST,
        body: error_body(error, description),
    }
}

/// 400 for bad `page[...]` / `page` / `per_page` values.
pub(crate) fn invalid_pagination(description: &str) -> ZdError {
    bad_request("InvalidPaginationParameter", description)
}

/// 404 for a path (or method) Zendesk does not have.
pub(crate) fn unknown_route() -> Response {
    ZdError {
        status: StatusCode::NOT_FOUND,
        body: error_body("InvalidEndpoint", "Not found"),
    }
    .into_response()
}

/// 401: `Couldn't authenticate you` for api-token (Basic) credentials; an OAuth bearer token
/// that is unknown, revoked or expired gets RFC 6750's `invalid_token`.
pub(crate) fn unauthorized(ctx: &RequestCtx) -> Response {
    let body = if ctx.credential == CredentialKind::Bearer {
        json!({
            "error": "invalid_token",
            "error_description": "The access token provided is expired, revoked, malformed or invalid for other reasons."
        })
    } else {
        json!({"error": "Couldn't authenticate you"})
    };
    json_response(StatusCode::UNAUTHORIZED, &body, CONTENT_TYPE)
}

/// 429 once the budget is spent: plain text with `Retry-After`, as recorded.
pub(crate) fn rate_limited(reading: &Reading) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        "You have exceeded the rate limit for this account. Please wait before retrying.",
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(TEXT_CONTENT_TYPE),
    );
    headers.insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from(reading.reset_secs()),
    );
    response
}

/// Marks a list response: Zendesk adds the IETF-style `ratelimit-*` headers to list endpoints.
#[derive(Debug, Clone, Copy)]
struct ListResponse;

/// Adds `X-Rate-Limit`, `X-Rate-Limit-Remaining` (every answer), `ratelimit-limit`,
/// `ratelimit-remaining`, `ratelimit-reset` (list endpoints) and `X-Zendesk-API-Version`.
pub(crate) fn decorate(response: &mut Response, reading: &Reading) {
    let list = response.extensions().get::<ListResponse>().is_some();
    let headers = response.headers_mut();
    let limit = u64::from(reading.limit);
    let remaining = u64::from(reading.remaining);
    headers.insert(
        HeaderName::from_static("x-rate-limit"),
        HeaderValue::from(limit),
    );
    headers.insert(
        HeaderName::from_static("x-rate-limit-remaining"),
        HeaderValue::from(remaining),
    );
    if list {
        headers.insert(
            HeaderName::from_static("ratelimit-limit"),
            HeaderValue::from(limit),
        );
        headers.insert(
            HeaderName::from_static("ratelimit-remaining"),
            HeaderValue::from(remaining),
        );
        headers.insert(
            HeaderName::from_static("ratelimit-reset"),
            HeaderValue::from(reading.reset_secs()),
        );
    }
    headers.insert(
        HeaderName::from_static("x-zendesk-api-version"),
        HeaderValue::from_static("v2"),
    );
}

// ---------------------------------------------------------------------------------------------
// Request helpers

fn query_arg(arg: QueryArg) -> Result<Params, ZdError> {
    arg.map(|Query(pairs)| Params::new(pairs))
        .map_err(|rejection| bad_request("InvalidParameter", &rejection.body_text()))
}

/// The numeric id of `{id}` or `{id}.json` (anything else finds nothing).
fn id_arg(arg: PathArg<String>) -> Result<u64, ZdError> {
    let Path(text) = arg.map_err(|_| not_found())?;
    let text = text.strip_suffix(".json").unwrap_or(&text);
    text.parse::<u64>().map_err(|_| not_found())
}

/// The object inside the `{"<wrapper>": {...}}` body of a write.
fn wrapped(body: &[u8], wrapper: &str) -> Result<Map<String, Value>, ZdError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        bad_request(
            "BadRequest",
            &format!("The request body is not valid JSON: {e}"),
        )
    })?;
    match value.get(wrapper) {
        Some(Value::Object(inner)) => Ok(inner.clone()),
        _ => Err(bad_request(
            "ParameterMissing",
            &format!("param is missing or the value is empty: {wrapper}"),
        )),
    }
}

fn respond(status: StatusCode, body: &Doc) -> Response {
    json_response(status, body, CONTENT_TYPE)
}

/// `{<key>: <record>}`, the envelope of a single record.
fn one(key: &str, record: impl Into<Doc>) -> Doc {
    Doc::object([(key, record.into())])
}

/// A `201 Created` with the new record's URL in `Location`, as recorded.
fn created(body: &Doc, location: &str) -> Response {
    let mut response = respond(StatusCode::CREATED, body);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// A list page: `{<key>: [...], <paging fields>}`, marked for the list rate-limit headers.
fn list_page(key: &str, items: Vec<Doc>, page: Page) -> Response {
    let mut body = Doc::object([(key, Doc::Array(items))]);
    for (name, value) in page.extra {
        body.push(&name, value.into());
    }
    let mut response = respond(StatusCode::OK, &body);
    response.extensions_mut().insert(ListResponse);
    response
}

// ---------------------------------------------------------------------------------------------
// Tickets

async fn list_tickets(State(app): SharedState, query: QueryArg, headers: HeaderMap) -> ZdResult {
    let params = query_arg(query)?;
    let paging = Paging::from_params(&params)?;
    let base = origin(&headers);
    let store = app.store();
    let zd = &store.zendesk;
    let ids: Vec<u64> = zd.tickets.keys().copied().collect();
    let page = page(&ids, paging, &base, "/api/v2/tickets.json", &params);
    let items = ids
        .get(page.range.clone())
        .unwrap_or_default()
        .iter()
        .filter_map(|id| zd.tickets.get(id))
        .map(|t| render_ticket(zd, t, &base).into())
        .collect();
    Ok(list_page("tickets", items, page))
}

async fn read_ticket(State(app): SharedState, id: PathArg<String>, headers: HeaderMap) -> ZdResult {
    let id = id_arg(id)?;
    let base = origin(&headers);
    let store = app.store();
    let ticket = store.zendesk.tickets.get(&id).ok_or_else(not_found)?;
    Ok(respond(
        StatusCode::OK,
        &one("ticket", render_ticket(&store.zendesk, ticket, &base)),
    ))
}

/// The ticket fields an audit reports, with their values.
fn audited(ticket: &ZdTicket) -> Vec<(String, Value)> {
    let mut out = vec![
        ("subject".to_owned(), json!(ticket.subject)),
        ("requester_id".to_owned(), json!(ticket.requester_id)),
        ("status".to_owned(), json!(ticket.status)),
        ("priority".to_owned(), json!(ticket.priority)),
        ("type".to_owned(), json!(ticket.kind)),
        ("assignee_id".to_owned(), json!(ticket.assignee_id)),
        ("organization_id".to_owned(), json!(ticket.organization_id)),
        ("group_id".to_owned(), json!(ticket.group_id)),
        ("tags".to_owned(), json!(ticket.tags)),
    ];
    out.extend(
        ticket
            .custom_fields
            .iter()
            .map(|(id, value)| (id.to_string(), value.clone())),
    );
    out
}

/// Commits a checked ticket write: the new requester, the comment, and the audit describing it.
fn commit_ticket(
    zd: &mut ZendeskStore,
    write: write::TicketWrite,
    before: Option<&ZdTicket>,
    now: i64,
) -> (u64, Doc) {
    let write::TicketWrite {
        mut ticket,
        new_requester,
        comment,
    } = write;
    if let Some(user) = new_requester {
        zd.next_user = zd.next_user.max(user.id + 1);
        zd.users.insert(user.id, user);
    }
    let audit_id = zd.event_id();
    let mut events = Vec::new();
    if let Some(comment) = comment {
        let stored = ZdComment {
            id: zd.event_id(),
            author_id: comment.author_id,
            body: comment.body,
            public: comment.public,
            audit_id,
            via: "api",
            created_ms: now,
        };
        let mut event = render_comment(&stored);
        event
            .0
            .retain(|(key, _)| !matches!(key.as_str(), "via" | "created_at" | "metadata"));
        events.push(Doc::from(event));
        ticket.comments.push(stored);
    }
    let old: Vec<(String, Value)> = before.map(audited).unwrap_or_default();
    for (field, value) in audited(&ticket) {
        let previous = old.iter().find(|(f, _)| *f == field).map(|(_, v)| v);
        let kind = match previous {
            None if value.is_null() || value == json!([]) => continue,
            None => "Create",
            Some(previous) if *previous == value => continue,
            Some(_) => "Change",
        };
        let mut event = Doc::object([
            ("id", json!(zd.event_id()).into()),
            ("type", json!(kind).into()),
            ("value", value.clone().into()),
            ("field_name", json!(field).into()),
        ]);
        if let Some(previous) = previous {
            event.push("previous_value", previous.clone().into());
        }
        events.push(event);
    }
    ticket.updated_ms = now.max(ticket.created_ms);
    let id = ticket.id;
    let author = ticket
        .comments
        .last()
        .filter(|c| c.audit_id == audit_id)
        .map_or_else(api_user_id, |c| c.author_id);
    zd.tickets.insert(id, ticket);
    let audit = Doc::object([
        ("id", json!(audit_id).into()),
        ("ticket_id", json!(id).into()),
        ("created_at", json!(zendesk_time(now)).into()),
        ("author_id", json!(author).into()),
        (
            "metadata",
            json!({"system": {"client": "switchboard-sandbox", "ip_address": "127.0.0.1"}, "custom": {}})
                .into(),
        ),
        (
            "via",
            json!({"channel": "api", "source": {"from": {}, "to": {}, "rel": null}}).into(),
        ),
        ("events", Doc::Array(events)),
    ]);
    (id, audit)
}

/// `POST /api/v2/tickets.json` with `{"ticket": {..., "comment": {"body": ...}}}`: 201 with the
/// ticket and its audit.
async fn create_ticket(State(app): SharedState, headers: HeaderMap, body: Bytes) -> ZdResult {
    let input = wrapped(&body, "ticket")?;
    let base = origin(&headers);
    let now = now_ms();
    let mut store = app.store();
    let zd = &mut store.zendesk;
    let api_user = api_user_id();
    let draft = ZdTicket {
        id: zd.next_ticket,
        external_id: None,
        kind: None,
        subject: None,
        status: "new".to_owned(),
        priority: None,
        requester_id: api_user,
        submitter_id: api_user,
        assignee_id: None,
        organization_id: None,
        group_id: None,
        collaborator_ids: Vec::new(),
        follower_ids: Vec::new(),
        email_cc_ids: Vec::new(),
        problem_id: None,
        due_ms: None,
        tags: Vec::new(),
        custom_fields: Default::default(),
        via: "api",
        created_ms: now,
        updated_ms: now,
        comments: Vec::new(),
    };
    let mut write = write::ticket(zd, &input, draft, true, api_user, now)?;
    // A requester's organization becomes the ticket's unless one was given.
    if !input.contains_key("organization_id") {
        let requester = write.ticket.requester_id;
        write.ticket.organization_id = zd.users.get(&requester).and_then(|u| u.organization_id);
    }
    zd.next_ticket += 1;
    let (id, audit) = commit_ticket(zd, write, None, now);
    let ticket = zd.tickets.get(&id).ok_or_else(not_found)?;
    let mut body = one("ticket", render_ticket(zd, ticket, &base));
    body.push("audit", audit);
    Ok(created(&body, &format!("{base}/api/v2/tickets/{id}.json")))
}

/// `PUT /api/v2/tickets/{id}.json`: a partial update (200 with the ticket and its audit); a
/// `comment` adds one.
async fn update_ticket(
    State(app): SharedState,
    id: PathArg<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ZdResult {
    let id = id_arg(id)?;
    let input = wrapped(&body, "ticket")?;
    let base = origin(&headers);
    let now = now_ms();
    let mut store = app.store();
    let zd = &mut store.zendesk;
    let before = zd.tickets.get(&id).cloned().ok_or_else(not_found)?;
    let write = write::ticket(zd, &input, before.clone(), false, api_user_id(), now)?;
    let (_, audit) = commit_ticket(zd, write, Some(&before), now);
    let ticket = zd.tickets.get(&id).ok_or_else(not_found)?;
    let mut body = one("ticket", render_ticket(zd, ticket, &base));
    body.push("audit", audit);
    Ok(respond(StatusCode::OK, &body))
}

/// `DELETE /api/v2/tickets/{id}.json`: 204.
async fn delete_ticket(State(app): SharedState, id: PathArg<String>) -> ZdResult {
    let id = id_arg(id)?;
    let mut store = app.store();
    store.zendesk.tickets.remove(&id).ok_or_else(not_found)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/tickets/{id}/comments.json`: oldest first.
async fn list_comments(
    State(app): SharedState,
    id: PathArg<String>,
    query: QueryArg,
    headers: HeaderMap,
) -> ZdResult {
    let id = id_arg(id)?;
    let params = query_arg(query)?;
    let paging = Paging::from_params(&params)?;
    let base = origin(&headers);
    let store = app.store();
    let ticket = store.zendesk.tickets.get(&id).ok_or_else(not_found)?;
    let ids: Vec<u64> = ticket.comments.iter().map(|c| c.id).collect();
    let path = format!("/api/v2/tickets/{id}/comments.json");
    let page = page(&ids, paging, &base, &path, &params);
    let items = ticket
        .comments
        .get(page.range.clone())
        .unwrap_or_default()
        .iter()
        .map(|c| render_comment(c).into())
        .collect();
    Ok(list_page("comments", items, page))
}

/// `GET /api/v2/ticket_fields.json`: the account's custom ticket fields.
async fn list_ticket_fields(headers: HeaderMap) -> ZdResult {
    let base = origin(&headers);
    let fields: Vec<Value> = TICKET_FIELDS
        .iter()
        .zip(1usize..)
        .map(|(field, position)| render_ticket_field(field, position, &base))
        .collect();
    let count = fields.len();
    let body = Doc::object([
        ("ticket_fields", json!(fields).into()),
        ("next_page", Value::Null.into()),
        ("previous_page", Value::Null.into()),
        ("count", json!(count).into()),
    ]);
    let mut response = respond(StatusCode::OK, &body);
    response.extensions_mut().insert(ListResponse);
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Users

/// `GET /api/v2/users.json[?role=end-user|agent|admin]`: active users.
async fn list_users(State(app): SharedState, query: QueryArg, headers: HeaderMap) -> ZdResult {
    let params = query_arg(query)?;
    let paging = Paging::from_params(&params)?;
    let role = params.get("role").map(str::to_owned);
    let base = origin(&headers);
    let store = app.store();
    let ids: Vec<u64> = store
        .zendesk
        .users
        .values()
        .filter(|u| u.active && role.as_deref().is_none_or(|r| u.role == r))
        .map(|u| u.id)
        .collect();
    let page = page(&ids, paging, &base, "/api/v2/users.json", &params);
    let items = ids
        .get(page.range.clone())
        .unwrap_or_default()
        .iter()
        .filter_map(|id| store.zendesk.users.get(id))
        .map(|u| render_user(u, &base).into())
        .collect();
    Ok(list_page("users", items, page))
}

/// The user `{id}` names (`me` is the API user). Deleted users stay readable (`active: false`).
fn user_id(arg: PathArg<String>) -> Result<u64, ZdError> {
    match &arg {
        Ok(Path(text)) if text == "me" || text == "me.json" => Ok(api_user_id()),
        _ => id_arg(arg),
    }
}

async fn read_user(State(app): SharedState, id: PathArg<String>, headers: HeaderMap) -> ZdResult {
    let id = user_id(id)?;
    let base = origin(&headers);
    let store = app.store();
    let user = store.zendesk.users.get(&id).ok_or_else(not_found)?;
    Ok(respond(
        StatusCode::OK,
        &one("user", render_user(user, &base)),
    ))
}

/// `POST /api/v2/users.json` with `{"user": {name, email, ...}}`: 201.
async fn create_user(State(app): SharedState, headers: HeaderMap, body: Bytes) -> ZdResult {
    let input = wrapped(&body, "user")?;
    let base = origin(&headers);
    let now = now_ms();
    let mut store = app.store();
    let zd = &mut store.zendesk;
    let mut user = new_user(zd.next_user, String::new(), now);
    write::user(zd, &input, &mut user, true)?;
    zd.next_user += 1;
    let id = user.id;
    let body = one("user", render_user(&user, &base));
    zd.users.insert(id, user);
    Ok(created(&body, &format!("{base}/api/v2/users/{id}.json")))
}

async fn update_user(
    State(app): SharedState,
    id: PathArg<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ZdResult {
    let id = user_id(id)?;
    let input = wrapped(&body, "user")?;
    let base = origin(&headers);
    let now = now_ms();
    let mut store = app.store();
    let zd = &mut store.zendesk;
    let mut user = zd
        .users
        .get(&id)
        .filter(|u| u.active)
        .cloned()
        .ok_or_else(not_found)?;
    write::user(zd, &input, &mut user, false)?;
    user.updated_ms = now.max(user.created_ms);
    let body = one("user", render_user(&user, &base));
    zd.users.insert(id, user);
    Ok(respond(StatusCode::OK, &body))
}

/// `DELETE /api/v2/users/{id}.json`: 200 with the user, now `active: false`.
async fn delete_user(State(app): SharedState, id: PathArg<String>, headers: HeaderMap) -> ZdResult {
    let id = user_id(id)?;
    let base = origin(&headers);
    let mut store = app.store();
    let user = store
        .zendesk
        .users
        .get_mut(&id)
        .filter(|u| u.active)
        .ok_or_else(not_found)?;
    user.active = false;
    user.updated_ms = now_ms().max(user.created_ms);
    Ok(respond(
        StatusCode::OK,
        &one("user", render_user(user, &base)),
    ))
}

// ---------------------------------------------------------------------------------------------
// Organizations

async fn list_organizations(
    State(app): SharedState,
    query: QueryArg,
    headers: HeaderMap,
) -> ZdResult {
    let params = query_arg(query)?;
    let paging = Paging::from_params(&params)?;
    let base = origin(&headers);
    let store = app.store();
    let ids: Vec<u64> = store.zendesk.organizations.keys().copied().collect();
    let page = page(&ids, paging, &base, "/api/v2/organizations.json", &params);
    let items = ids
        .get(page.range.clone())
        .unwrap_or_default()
        .iter()
        .filter_map(|id| store.zendesk.organizations.get(id))
        .map(|o| render_organization(o, &base).into())
        .collect();
    Ok(list_page("organizations", items, page))
}

async fn read_organization(
    State(app): SharedState,
    id: PathArg<String>,
    headers: HeaderMap,
) -> ZdResult {
    let id = id_arg(id)?;
    let base = origin(&headers);
    let store = app.store();
    let org = store.zendesk.organizations.get(&id).ok_or_else(not_found)?;
    Ok(respond(
        StatusCode::OK,
        &one("organization", render_organization(org, &base)),
    ))
}

async fn create_organization(State(app): SharedState, headers: HeaderMap, body: Bytes) -> ZdResult {
    let input = wrapped(&body, "organization")?;
    let base = origin(&headers);
    let now = now_ms();
    let mut store = app.store();
    let zd = &mut store.zendesk;
    let mut org = ZdOrganization {
        id: zd.next_organization,
        name: String::new(),
        external_id: None,
        domain_names: Vec::new(),
        details: None,
        notes: None,
        group_id: None,
        shared_tickets: false,
        shared_comments: false,
        tags: Vec::new(),
        organization_fields: Default::default(),
        created_ms: now,
        updated_ms: now,
    };
    write::organization(zd, &input, &mut org, true)?;
    zd.next_organization += 1;
    let id = org.id;
    let body = one("organization", render_organization(&org, &base));
    zd.organizations.insert(id, org);
    Ok(created(
        &body,
        &format!("{base}/api/v2/organizations/{id}.json"),
    ))
}

async fn update_organization(
    State(app): SharedState,
    id: PathArg<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ZdResult {
    let id = id_arg(id)?;
    let input = wrapped(&body, "organization")?;
    let base = origin(&headers);
    let now = now_ms();
    let mut store = app.store();
    let zd = &mut store.zendesk;
    let mut org = zd.organizations.get(&id).cloned().ok_or_else(not_found)?;
    write::organization(zd, &input, &mut org, false)?;
    org.updated_ms = now.max(org.created_ms);
    let body = one("organization", render_organization(&org, &base));
    zd.organizations.insert(id, org);
    Ok(respond(StatusCode::OK, &body))
}

/// `DELETE /api/v2/organizations/{id}.json`: 204; its users and tickets lose the link.
async fn delete_organization(State(app): SharedState, id: PathArg<String>) -> ZdResult {
    let id = id_arg(id)?;
    let mut store = app.store();
    let zd = &mut store.zendesk;
    zd.organizations.remove(&id).ok_or_else(not_found)?;
    for user in zd.users.values_mut() {
        if user.organization_id == Some(id) {
            user.organization_id = None;
        }
    }
    for ticket in zd.tickets.values_mut() {
        if ticket.organization_id == Some(id) {
            ticket.organization_id = None;
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
