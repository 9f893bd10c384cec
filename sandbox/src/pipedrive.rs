//! Fake Pipedrive API v1: persons, organizations and deals (list with `start`/`limit` paging,
//! get, add, update, delete), users and field definitions, with Pipedrive's envelope
//! (`{success, data, additional_data, related_objects}`), error bodies and rate-limit headers.
//!
//! Served under `/v1` (as on `api.pipedrive.com/v1`) and `/api/v1` (as on a company domain, the
//! `api_domain` an OAuth token answer names).

mod fields;
mod schema;
mod write;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::clock::{now_ms, pipedrive_time};
use crate::rate_budget::Reading;
use crate::store::{PdRecord, PdTable, PipedriveStore};
use crate::web::{
    Doc, Ordered, Params, PathArg, QueryArg, RequestCtx, form_pairs, is_form, json_kind,
    json_response,
};
use crate::{Shared, SharedState};

use fields::Item;
use schema::{Related, Shape, View, render_user};

pub(crate) use schema::seed;

/// The sandbox company's id (`company_id` on every record, and in OAuth tokens).
pub(crate) const COMPANY_ID: u64 = 7_100_042;
/// POST/PUT requests allowed per day with an api token (`x-daily-requests-left`), per Pipedrive's
/// "Daily API limit for POST/PUT endpoints".
pub(crate) const DAILY_WRITES: u64 = 10_000;
/// The pipeline's stages (id = position + 1): name and deal probability %, the open stages of the
/// shared seed.
pub(crate) const STAGES: [(&str, u32); 5] = [
    ("Prospecting", 10),
    ("Qualification", 20),
    ("Value Proposition", 50),
    ("Id. Decision Makers", 60),
    ("Negotiation/Review", 90),
];

const CONTENT_TYPE: &str = "application/json";
/// `error_info` of API errors, as in Pipedrive's documented and observed bodies.
const ERROR_INFO: &str =
    "Please check developers.pipedrive.com for more information about Pipedrive API.";
/// `error_info` of the gateway's 401 (observed).
const GATEWAY_ERROR_INFO: &str = "Please check developers.pipedrive.com";
/// Page size when `limit` is absent, and its documented maximum.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 500;

/// The id of the user API calls run as (user 0, the company's admin).
pub(crate) fn api_user_id() -> u64 {
    schema::USER_BASE
}

type PdResult = Result<Response, PdError>;

/// The Pipedrive routes, under `/v1` and `/api/v1`.
pub(crate) fn routes() -> Router<Shared> {
    let mut router = Router::new();
    for prefix in ["/v1", "/api/v1"] {
        router = router
            .route(&format!("{prefix}/users"), get(list_users))
            .route(&format!("{prefix}/users/{{id}}"), get(read_user))
            .route(&format!("{prefix}/{{items}}"), get(list).post(create))
            .route(
                &format!("{prefix}/{{items}}/{{id}}"),
                get(read).put(update).delete(delete),
            );
    }
    router
}

// ---------------------------------------------------------------------------------------------
// Errors and headers

/// A Pipedrive API error: `{success: false, error, error_info, data: null, additional_data: null}`.
#[derive(Debug)]
pub(crate) struct PdError {
    status: StatusCode,
    pub(crate) message: String,
}

impl IntoResponse for PdError {
    fn into_response(self) -> Response {
        let body = Doc::object([
            ("success", json!(false).into()),
            ("error", json!(self.message).into()),
            ("error_info", json!(ERROR_INFO).into()),
            ("data", Value::Null.into()),
            ("additional_data", Value::Null.into()),
        ]);
        json_response(self.status, &body, CONTENT_TYPE)
    }
}

/// 400 with `message` (validation).
pub(crate) fn bad_request(message: &str) -> PdError {
    PdError {
        status: StatusCode::BAD_REQUEST,
        message: message.to_owned(),
    }
}

fn not_found(what: &str) -> PdError {
    PdError {
        status: StatusCode::NOT_FOUND,
        message: format!("{what} not found"),
    }
}

/// The gateway's 401 body (observed live: the same for a missing, wrong or unknown credential).
fn gateway_error(message: &str) -> Response {
    let body = Doc::object([
        ("success", json!(false).into()),
        ("error", json!(message).into()),
        ("errorCode", json!(401).into()),
        ("error_info", json!(GATEWAY_ERROR_INFO).into()),
    ]);
    let mut response = json_response(StatusCode::UNAUTHORIZED, &body, CONTENT_TYPE);
    response.headers_mut().insert(
        HeaderName::from_static("x-401-by-gw"),
        HeaderValue::from_static("true"),
    );
    response
}

/// 401 for a missing or wrong api token or an unknown access token.
pub(crate) fn unauthorized() -> Response {
    gateway_error("unauthorized access")
}

/// 401 for an OAuth access token past its lifetime ("Invalid token: …", as Pipedrive's OAuth
/// status codes page words access-token failures).
pub(crate) fn expired() -> Response {
    gateway_error("Invalid token: access token has expired")
}

/// 429 once the budget is spent: the observed body shape (`errorCode: 429`) and `retry-after`.
pub(crate) fn rate_limited(reading: &Reading) -> Response {
    let body = Doc::object([
        ("success", json!(false).into()),
        ("error", json!("Rate limit exceeded").into()),
        ("errorCode", json!(429).into()),
    ]);
    let mut response = json_response(StatusCode::TOO_MANY_REQUESTS, &body, CONTENT_TYPE);
    response.headers_mut().insert(
        HeaderName::from_static("retry-after"),
        HeaderValue::from(reading.reset_secs()),
    );
    response
}

/// 404 for a path Pipedrive does not have.
pub(crate) fn unknown_route() -> Response {
    not_found("Resource").into_response()
}

fn wrong_method() -> PdError {
    PdError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: "Method not allowed".to_owned(),
    }
}

/// 405 for a known path with the wrong method.
pub(crate) fn method_not_allowed() -> Response {
    wrong_method().into_response()
}

/// Adds `x-ratelimit-*`, `x-correlation-id` and (api-token POST/PUT) `x-daily-requests-left`.
pub(crate) fn decorate(
    response: &mut Response,
    reading: &Reading,
    ctx: &RequestCtx,
    daily_left: Option<u64>,
) {
    let headers = response.headers_mut();
    let figures = [
        ("x-ratelimit-limit", u64::from(reading.limit)),
        ("x-ratelimit-remaining", u64::from(reading.remaining)),
        ("x-ratelimit-reset", reading.reset_secs()),
    ];
    for (name, value) in figures {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
    if let Some(left) = daily_left {
        headers.insert(
            HeaderName::from_static("x-daily-requests-left"),
            HeaderValue::from(left),
        );
    }
    if let Ok(value) = HeaderValue::from_str(&ctx.correlation_id) {
        headers.insert(HeaderName::from_static("x-correlation-id"), value);
    }
}

// ---------------------------------------------------------------------------------------------
// Request helpers

fn query_arg(arg: QueryArg) -> Result<Params, PdError> {
    arg.map(|Query(pairs)| Params::new(pairs))
        .map_err(|rejection| bad_request(&rejection.body_text()))
}

/// `start` (default 0) and `limit` (default 100, at most 500: larger asks get 500).
fn paging(params: &Params) -> Result<(usize, usize), PdError> {
    let start = match params.get("start") {
        None => 0,
        Some(text) => text
            .trim()
            .parse::<usize>()
            .map_err(|_| bad_request("start must be a non-negative integer"))?,
    };
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => match text.trim().parse::<u64>() {
            Ok(0) | Err(_) => return Err(bad_request("limit must be a positive integer")),
            Ok(n) => usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
        },
    };
    Ok((start, limit))
}

/// `additional_data.pagination`: `next_start` only while there are more items.
fn pagination(start: usize, limit: usize, total: usize) -> Doc {
    let more = start.saturating_add(limit) < total;
    let mut out = Doc::object([
        ("start", json!(start).into()),
        ("limit", json!(limit).into()),
        ("more_items_in_collection", json!(more).into()),
    ]);
    if more {
        out.push("next_start", json!(start + limit).into());
    }
    Doc::object([("pagination", out)])
}

/// The item type of `/<items>` for a write (field definitions are read-only).
fn writable_item(arg: PathArg<String>) -> Result<Item, PdError> {
    let Path(segment) = arg.map_err(|_| not_found("Resource"))?;
    match (Item::parse(&segment), Item::parse_fields(&segment)) {
        (Some(item), _) => Ok(item),
        (None, Some(_)) => Err(wrong_method()),
        (None, None) => Err(not_found("Resource")),
    }
}

/// The item type and numeric id of `/<items>/{id}` (a non-numeric id finds nothing).
fn item_and_id(arg: PathArg<(String, String)>) -> Result<(Item, u64), PdError> {
    let Path((segment, id)) = arg.map_err(|_| not_found("Resource"))?;
    let item = Item::parse(&segment).ok_or_else(|| not_found("Resource"))?;
    let id = id
        .trim()
        .parse::<u64>()
        .map_err(|_| not_found(item.label()))?;
    Ok((item, id))
}

/// A write body: a JSON object, or form fields (v1 takes both), as a JSON object.
async fn body_object(headers: &HeaderMap, body: Bytes) -> Result<Map<String, Value>, PdError> {
    if is_form(headers) {
        let pairs = form_pairs(body)
            .await
            .ok_or_else(|| bad_request("Malformed form body"))?;
        return Ok(pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect());
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(bad_request(&format!(
            "Request body must be a JSON object, not {}",
            json_kind(&other)
        ))),
        Err(e) => Err(bad_request(&format!("Invalid JSON in request body: {e}"))),
    }
}

/// `{success: true, data, ...}` with the parts a response has, in the recorded order.
fn envelope(parts: Vec<(&str, Doc)>, status: StatusCode) -> Response {
    let mut body = Doc::object([("success", json!(true).into())]);
    for (key, part) in parts {
        body.push(key, part);
    }
    json_response(status, &body, CONTENT_TYPE)
}

impl PipedriveStore {
    fn table(&self, item: Item) -> &PdTable {
        match item {
            Item::Person => &self.persons,
            Item::Organization => &self.organizations,
            Item::Deal => &self.deals,
        }
    }

    fn table_mut(&mut self, item: Item) -> &mut PdTable {
        match item {
            Item::Person => &mut self.persons,
            Item::Organization => &mut self.organizations,
            Item::Deal => &mut self.deals,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Items

/// Which deals a deal list shows (`status`, default `all_not_deleted`).
fn deal_filter(params: &Params) -> Result<impl Fn(&PdRecord) -> bool, PdError> {
    let status = params.get("status").unwrap_or("all_not_deleted").to_owned();
    if !["open", "won", "lost", "deleted", "all_not_deleted"].contains(&status.as_str()) {
        return Err(bad_request(
            "status must be one of: open, won, lost, deleted, all_not_deleted",
        ));
    }
    Ok(move |r: &PdRecord| match status.as_str() {
        "deleted" => !r.active,
        "all_not_deleted" => r.active,
        wanted => r.active && r.get("status").as_str() == Some(wanted),
    })
}

/// `GET /v1/{persons|organizations|deals}?start&limit` (and `GET /v1/{item}Fields`).
async fn list(State(app): SharedState, items: PathArg<String>, query: QueryArg) -> PdResult {
    let Path(segment) = items.map_err(|_| not_found("Resource"))?;
    let params = query_arg(query)?;
    let (start, limit) = paging(&params)?;
    if let Some(item) = Item::parse_fields(&segment) {
        let all = item.field_definitions();
        let total = all.len();
        let page: Vec<Ordered> = all.into_iter().skip(start).take(limit).collect();
        return Ok(envelope(
            vec![
                ("data", page.into()),
                ("additional_data", pagination(start, limit, total)),
            ],
            StatusCode::OK,
        ));
    }
    let item = Item::parse(&segment).ok_or_else(|| not_found("Resource"))?;
    let deals = deal_filter(&params)?;
    let store = app.store();
    let view = View {
        pd: &store.pipedrive,
    };
    let matching: Vec<&PdRecord> = store
        .pipedrive
        .table(item)
        .records
        .values()
        .filter(|r| match item {
            Item::Deal => deals(r),
            Item::Person | Item::Organization => r.active,
        })
        .collect();
    let mut related = Related::default();
    let page: Vec<Ordered> = matching
        .iter()
        .skip(start)
        .take(limit)
        .map(|r| view.render(item, r, Shape::Listed, &mut related))
        .collect();
    // v1 lists answer `data: null` when nothing is on the page.
    let data = if page.is_empty() {
        Doc::Value(Value::Null)
    } else {
        Doc::from(page)
    };
    Ok(envelope(
        vec![
            ("data", data),
            ("additional_data", pagination(start, limit, matching.len())),
            ("related_objects", related.into_value().into()),
        ],
        StatusCode::OK,
    ))
}

/// `GET /v1/{items}/{id}`. Deleted items stay readable (`active_flag: false`), as Pipedrive keeps
/// them for 30 days.
async fn read(State(app): SharedState, path: PathArg<(String, String)>) -> PdResult {
    let (item, id) = item_and_id(path)?;
    let store = app.store();
    let view = View {
        pd: &store.pipedrive,
    };
    let record = store
        .pipedrive
        .table(item)
        .records
        .get(&id)
        .ok_or_else(|| not_found(item.label()))?;
    let mut related = Related::default();
    let data = view.render(item, record, Shape::Read, &mut related);
    Ok(envelope(
        vec![
            ("data", data.into()),
            ("additional_data", view.read_extras(item, record).into()),
            ("related_objects", related.into_value().into()),
        ],
        StatusCode::OK,
    ))
}

/// Applies checked changes to a record, keeping a deal's dates in step with its status and stage.
fn apply(item: Item, record: &mut PdRecord, changes: write::Changes, now: i64) {
    if let Some(add_ms) = changes.add_ms {
        record.add_ms = add_ms;
    }
    let old_status = record.get("status").as_str().map(str::to_owned);
    let old_stage = record.id_field("stage_id");
    for (key, value) in changes.set {
        if key == "status" && value == "deleted" {
            record.active = false;
            continue;
        }
        record.fields.insert(key, value);
    }
    record.update_ms = now.max(record.add_ms);
    if item != Item::Deal {
        return;
    }
    let stamp = Value::from(pipedrive_time(now));
    if record.id_field("stage_id") != old_stage || !record.fields.contains_key("stage_change_time")
    {
        record
            .fields
            .insert("stage_change_time".into(), stamp.clone());
    }
    let status = record.get("status").as_str().map(str::to_owned);
    if status != old_status {
        let (won, lost) = match status.as_deref() {
            Some("won") => (stamp.clone(), Value::Null),
            Some("lost") => (Value::Null, stamp.clone()),
            _ => (Value::Null, Value::Null),
        };
        let closed = !won.is_null() || !lost.is_null();
        record.fields.insert(
            "close_time".into(),
            if closed { stamp } else { Value::Null },
        );
        record.fields.insert("won_time".into(), won);
        record.fields.insert("lost_time".into(), lost);
    }
}

/// `POST /v1/{items}`: 201 with the record and its related objects.
async fn create(
    State(app): SharedState,
    items: PathArg<String>,
    headers: HeaderMap,
    body: Bytes,
) -> PdResult {
    let item = writable_item(items)?;
    let input = body_object(&headers, body).await?;
    let mut store = app.store();
    let changes = {
        let view = View {
            pd: &store.pipedrive,
        };
        write::changes(&view, item, &input, None)?
    };
    let now = now_ms();
    let table = store.pipedrive.table_mut(item);
    let id = table.next_id;
    table.next_id += 1;
    let owner_key = if item == Item::Deal {
        "user_id"
    } else {
        "owner_id"
    };
    let mut defaults = vec![
        (owner_key, Value::from(api_user_id())),
        ("visible_to", Value::from("3")),
        ("label", Value::Null),
    ];
    match item {
        Item::Person => {
            defaults.extend([("email", json!([])), ("phone", json!([]))]);
        }
        Item::Deal => defaults.extend([
            ("creator_user_id", Value::from(api_user_id())),
            ("value", Value::from(0)),
            ("currency", Value::from("USD")),
            ("pipeline_id", Value::from(1)),
            ("stage_id", Value::from(1)),
            ("status", Value::from("open")),
        ]),
        Item::Organization => {}
    }
    let mut record = PdRecord {
        id,
        fields: defaults
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        add_ms: now,
        update_ms: now,
        active: true,
    };
    apply(item, &mut record, changes, now);
    table.records.insert(id, record);
    let view = View {
        pd: &store.pipedrive,
    };
    let record = store
        .pipedrive
        .table(item)
        .records
        .get(&id)
        .ok_or_else(|| not_found(item.label()))?;
    let mut related = Related::default();
    let data = view.render(item, record, Shape::Listed, &mut related);
    Ok(envelope(
        vec![
            ("data", data.into()),
            ("related_objects", related.into_value().into()),
        ],
        StatusCode::CREATED,
    ))
}

/// `PUT /v1/{items}/{id}`: a partial update; fields not sent keep their values.
async fn update(
    State(app): SharedState,
    path: PathArg<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> PdResult {
    let (item, id) = item_and_id(path)?;
    let input = body_object(&headers, body).await?;
    let mut store = app.store();
    let changes = {
        let view = View {
            pd: &store.pipedrive,
        };
        let record = store
            .pipedrive
            .table(item)
            .records
            .get(&id)
            .filter(|r| r.active)
            .ok_or_else(|| not_found(item.label()))?;
        let existing: Map<String, Value> = record
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        write::changes(&view, item, &input, Some(&existing))?
    };
    let now = now_ms();
    let record = store
        .pipedrive
        .table_mut(item)
        .records
        .get_mut(&id)
        .ok_or_else(|| not_found(item.label()))?;
    apply(item, record, changes, now);
    let view = View {
        pd: &store.pipedrive,
    };
    let record = store
        .pipedrive
        .table(item)
        .records
        .get(&id)
        .ok_or_else(|| not_found(item.label()))?;
    let mut related = Related::default();
    let data = view.render(item, record, Shape::Updated, &mut related);
    Ok(envelope(
        vec![
            ("data", data.into()),
            ("related_objects", related.into_value().into()),
        ],
        StatusCode::OK,
    ))
}

/// `DELETE /v1/{items}/{id}`: marks it deleted; `{success: true, data: {id}}` as recorded.
async fn delete(State(app): SharedState, path: PathArg<(String, String)>) -> PdResult {
    let (item, id) = item_and_id(path)?;
    let mut store = app.store();
    let record = store
        .pipedrive
        .table_mut(item)
        .records
        .get_mut(&id)
        .filter(|r| r.active)
        .ok_or_else(|| not_found(item.label()))?;
    record.active = false;
    record.update_ms = now_ms().max(record.add_ms);
    Ok(envelope(
        vec![("data", json!({"id": id}).into())],
        StatusCode::OK,
    ))
}

// ---------------------------------------------------------------------------------------------
// Users

/// `GET /v1/users`: every user of the company (the endpoint takes no paging).
async fn list_users(State(app): SharedState) -> PdResult {
    let store = app.store();
    let users: Vec<Value> = store
        .pipedrive
        .users
        .iter()
        .map(|u| render_user(u, api_user_id()))
        .collect();
    Ok(envelope(
        vec![("data", json!(users).into())],
        StatusCode::OK,
    ))
}

/// `GET /v1/users/{id}`.
async fn read_user(State(app): SharedState, id: PathArg<String>) -> PdResult {
    let Path(id) = id.map_err(|_| not_found("User"))?;
    let id = id.trim().parse::<u64>().map_err(|_| not_found("User"))?;
    let store = app.store();
    let user = store
        .pipedrive
        .users
        .iter()
        .find(|u| u.id == id)
        .ok_or_else(|| not_found("User"))?;
    Ok(envelope(
        vec![("data", render_user(user, api_user_id()).into())],
        StatusCode::OK,
    ))
}
