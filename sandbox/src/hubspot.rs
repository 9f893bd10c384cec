//! Fake HubSpot CRM v3: contacts, companies and deals (list, read, create, update, archive, search)
//! and owners, with HubSpot's paging, error bodies and rate-limit headers.

mod schema;
mod search;

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::header::HOST;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::Value;

use crate::clock::{hubspot_time, now_ms, parse_datetime};
use crate::rate_budget::Reading;
use crate::store::{HsOwner, HsRecord, HsTable, HubSpotStore};
use crate::web::{
    Params, PathArg, QueryArg, RequestCtx, encode_component, json_kind, json_response,
    looks_like_email,
};
use crate::{Shared, SharedState};

pub(crate) use schema::{ObjectType, seed};

const CONTENT_TYPE: &str = "application/json;charset=utf-8";
/// The daily allowance advertised in `X-HubSpot-RateLimit-Daily` (a real account's figure).
const DAILY_LIMIT: u64 = 250_000;
/// Largest page for list endpoints.
const MAX_LIST_LIMIT: usize = 100;

type HsResult = Result<Response, HsError>;

/// The HubSpot routes, relative to `https://api.hubapi.com`.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/crm/v3/objects/{object_type}", get(list).post(create))
        .route("/crm/v3/objects/{object_type}/search", post(search::search))
        .route(
            "/crm/v3/objects/{object_type}/{object_id}",
            get(read).patch(update).delete(archive),
        )
        .route("/crm/v3/owners", get(list_owners))
        .route("/crm/v3/owners/{owner_id}", get(read_owner))
}

// ---------------------------------------------------------------------------------------------
// Errors and headers

/// HubSpot's `Error` body.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    status: &'static str,
    message: &'a str,
    correlation_id: &'a str,
    category: &'a str,
}

/// A HubSpot error as a value; rendered with [`ErrorBody`].
#[derive(Debug)]
pub(crate) struct HsError {
    status: StatusCode,
    category: &'static str,
    message: String,
    correlation_id: String,
    /// Adds HubSpot's `X-HubSpot-NotFound: true`.
    not_found: bool,
}

impl HsError {
    /// An error with `category` and `message` for the request behind `ctx`.
    pub(crate) fn new(
        status: StatusCode,
        ctx: &RequestCtx,
        category: &'static str,
        message: &str,
    ) -> Self {
        Self {
            status,
            category,
            message: message.to_owned(),
            correlation_id: ctx.correlation_id.clone(),
            not_found: false,
        }
    }
}

impl IntoResponse for HsError {
    fn into_response(self) -> Response {
        let mut response = json_response(
            self.status,
            &ErrorBody {
                status: "error",
                message: &self.message,
                correlation_id: &self.correlation_id,
                category: self.category,
            },
            CONTENT_TYPE,
        );
        if self.not_found {
            response.headers_mut().insert(
                HeaderName::from_static("x-hubspot-notfound"),
                HeaderValue::from_static("true"),
            );
        }
        response
    }
}

/// An error response in HubSpot's shape.
pub(crate) fn error(
    status: StatusCode,
    ctx: &RequestCtx,
    category: &'static str,
    message: &str,
) -> Response {
    HsError::new(status, ctx, category, message).into_response()
}

fn validation(ctx: &RequestCtx, message: &str) -> HsError {
    HsError::new(StatusCode::BAD_REQUEST, ctx, "VALIDATION_ERROR", message)
}

fn not_found(ctx: &RequestCtx) -> HsError {
    HsError {
        not_found: true,
        ..HsError::new(
            StatusCode::NOT_FOUND,
            ctx,
            "OBJECT_NOT_FOUND",
            "resource not found",
        )
    }
}

/// 401 for a missing or wrong token.
pub(crate) fn unauthorized(ctx: &RequestCtx) -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        ctx,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
    )
}

/// 401 for an OAuth access token past its lifetime (HubSpot's `EXPIRED_AUTHENTICATION`).
pub(crate) fn expired(ctx: &RequestCtx, ago_ms: i64) -> Response {
    let minutes = ago_ms.max(0) / 60_000;
    error(
        StatusCode::UNAUTHORIZED,
        ctx,
        "EXPIRED_AUTHENTICATION",
        &format!("The OAuth token used to make this call expired {minutes} minute(s) ago."),
    )
}

/// HubSpot's documented 429 body.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RateLimitBody<'a> {
    status: &'static str,
    message: &'static str,
    error_type: &'static str,
    correlation_id: &'a str,
    policy_name: &'static str,
}

/// 429 once the budget is spent.
pub(crate) fn rate_limited(ctx: &RequestCtx) -> Response {
    json_response(
        StatusCode::TOO_MANY_REQUESTS,
        &RateLimitBody {
            status: "error",
            message: "You have reached your secondly limit.",
            error_type: "RATE_LIMIT",
            correlation_id: &ctx.correlation_id,
            policy_name: "SECONDLY",
        },
        CONTENT_TYPE,
    )
}

/// 404 for a path HubSpot does not have.
pub(crate) fn unknown_route(ctx: &RequestCtx, method: &Method, path: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        ctx,
        "OBJECT_NOT_FOUND",
        &format!("No route for {method} {path}"),
    )
}

/// 405 for a known path with the wrong method.
pub(crate) fn method_not_allowed(ctx: &RequestCtx, method: &Method) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        ctx,
        "VALIDATION_ERROR",
        &format!("HTTP method {method} is not supported by this endpoint"),
    )
}

/// Adds the correlation id and `X-HubSpot-RateLimit-*` headers to any HubSpot response.
pub(crate) fn decorate(response: &mut Response, reading: &Reading, ctx: &RequestCtx) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&ctx.correlation_id) {
        headers.insert(HeaderName::from_static("x-hubspot-correlation-id"), value);
    }
    let figures: [(&'static str, u64); 5] = [
        ("x-hubspot-ratelimit-daily", DAILY_LIMIT),
        (
            "x-hubspot-ratelimit-daily-remaining",
            DAILY_LIMIT.saturating_sub(reading.total),
        ),
        (
            "x-hubspot-ratelimit-interval-milliseconds",
            reading.window_ms,
        ),
        ("x-hubspot-ratelimit-max", u64::from(reading.limit)),
        (
            "x-hubspot-ratelimit-remaining",
            u64::from(reading.remaining),
        ),
    ];
    for (name, value) in figures {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}

// ---------------------------------------------------------------------------------------------
// Request helpers

fn object_type(path_type: &str, ctx: &RequestCtx) -> Result<ObjectType, HsError> {
    ObjectType::parse(path_type).ok_or_else(|| {
        HsError::new(
            StatusCode::BAD_REQUEST,
            ctx,
            "OBJECT_NOT_FOUND",
            &format!("Unable to infer object type from: {path_type}"),
        )
    })
}

/// The object type named by a one-segment path (`/crm/v3/objects/{object_type}[/search]`).
fn object_from_path(arg: PathArg<String>, ctx: &RequestCtx) -> Result<ObjectType, HsError> {
    object_type(&path_arg(arg, ctx)?, ctx)
}

fn path_arg<T>(arg: PathArg<T>, ctx: &RequestCtx) -> Result<T, HsError> {
    arg.map(|Path(value)| value)
        .map_err(|rejection| validation(ctx, &rejection.body_text()))
}

fn query_arg(arg: QueryArg, ctx: &RequestCtx) -> Result<Params, HsError> {
    arg.map(|Query(pairs)| Params::new(pairs))
        .map_err(|rejection| validation(ctx, &rejection.body_text()))
}

/// Parses a JSON body, answering malformed input like HubSpot does.
fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], ctx: &RequestCtx) -> Result<T, HsError> {
    serde_json::from_slice(body).map_err(|e| {
        validation(
            ctx,
            &format!(
                "Invalid input JSON on line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })
}

/// `limit` in `1..=max`, `default` when absent.
fn page_limit(
    params: &Params,
    default: usize,
    max: usize,
    ctx: &RequestCtx,
) -> Result<usize, HsError> {
    match params.get("limit") {
        None => Ok(default),
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if n >= 1 && n as u64 <= max as u64 => Ok(n as usize),
            Ok(n) if n > max as i64 => Err(validation(
                ctx,
                &format!("limit must be less than or equal to {max}, but was {n}"),
            )),
            _ => Err(validation(
                ctx,
                &format!("limit must be a whole number between 1 and {max}, but was '{text}'"),
            )),
        },
    }
}

/// The list cursor `after` (an id; listing starts there), 0 when absent.
fn after_param(params: &Params, ctx: &RequestCtx) -> Result<u64, HsError> {
    match params.get("after") {
        None => Ok(0),
        Some(text) => text.trim().parse::<u64>().map_err(|_| {
            validation(
                ctx,
                &format!("after must be a paging cursor from paging.next.after, but was '{text}'"),
            )
        }),
    }
}

fn bool_param(params: &Params, name: &str, ctx: &RequestCtx) -> Result<bool, HsError> {
    match params.get(name).map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(validation(
            ctx,
            &format!("{name} must be true or false, but was '{other}'"),
        )),
    }
}

/// Which properties a response carries.
pub(crate) enum Selection {
    /// The object type's default properties.
    Default,
    /// Exactly the named ones (unknown names are ignored, as HubSpot documents).
    Named(Vec<String>),
    /// The defaults plus the ones a write just set.
    DefaultAnd(Vec<String>),
}

impl Selection {
    /// From `properties=a,b` (comma-separated and/or repeated).
    fn from_params(params: &Params) -> Self {
        let names: Vec<String> = params
            .all("properties")
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if names.is_empty() {
            Self::Default
        } else {
            Self::Named(names)
        }
    }
}

/// A record as HubSpot renders it (`SimplePublicObject`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RecordOut {
    id: String,
    properties: BTreeMap<String, Option<String>>,
    created_at: String,
    updated_at: String,
    archived: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    archived_at: Option<String>,
}

/// Renders `record` with the selected properties plus the system ones.
pub(crate) fn render(object: ObjectType, record: &HsRecord, selection: &Selection) -> RecordOut {
    let value = |name: &str| record.properties.get(name).cloned().flatten();
    let mut properties = BTreeMap::new();
    for name in object.system() {
        properties.insert(name.to_owned(), value(name));
    }
    let mut add = |name: &str| {
        if object.is_known(name) {
            properties.insert(name.to_owned(), value(name));
        }
    };
    match selection {
        Selection::Default => object.defaults().iter().for_each(|n| add(n)),
        Selection::Named(names) => names.iter().for_each(|n| add(n)),
        Selection::DefaultAnd(names) => {
            object.defaults().iter().for_each(|n| add(n));
            names.iter().for_each(|n| add(n));
        }
    }
    RecordOut {
        id: record.id.to_string(),
        properties,
        created_at: hubspot_time(record.created_ms),
        updated_at: hubspot_time(record.updated_ms),
        archived: record.archived_ms.is_some(),
        archived_at: record.archived_ms.map(hubspot_time),
    }
}

impl HubSpotStore {
    /// The table behind `object`.
    pub(crate) fn table(&self, object: ObjectType) -> &HsTable {
        match object {
            ObjectType::Contacts => &self.contacts,
            ObjectType::Companies => &self.companies,
            ObjectType::Deals => &self.deals,
        }
    }

    fn table_mut(&mut self, object: ObjectType) -> &mut HsTable {
        match object {
            ObjectType::Contacts => &mut self.contacts,
            ObjectType::Companies => &mut self.companies,
            ObjectType::Deals => &mut self.deals,
        }
    }
}

/// Finds a record by id, or by a unique property when `idProperty` is given.
fn find(table: &HsTable, object: ObjectType, id: &str, id_property: Option<&str>) -> Option<u64> {
    match id_property {
        None | Some("hs_object_id") => id
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| table.records.contains_key(n)),
        Some(property) if object.is_known(property) => table
            .records
            .values()
            .find(|r| {
                r.properties
                    .get(property)
                    .and_then(Option::as_deref)
                    .is_some_and(|v| v.eq_ignore_ascii_case(id))
            })
            .map(|r| r.id),
        Some(_) => None,
    }
}

#[derive(Serialize)]
struct Page<T> {
    results: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paging: Option<Paging>,
}

#[derive(Serialize)]
struct Paging {
    next: NextPage,
}

#[derive(Serialize)]
struct NextPage {
    after: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<String>,
}

/// The absolute link to the next page: this request's URL with `after` replaced.
fn next_link(headers: &HeaderMap, uri: &Uri, params: &Params, after: &str) -> String {
    let mut query: Vec<String> = params
        .pairs()
        .iter()
        .filter(|(k, _)| k != "after")
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect();
    query.push(format!("after={}", encode_component(after)));
    let query = query.join("&");
    match headers.get(HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}{}?{query}", uri.path()),
        None => format!("?{query}"),
    }
}

/// A list page; `next` is the cursor of the first record not on it.
fn page<T: Serialize>(
    results: Vec<T>,
    next: Option<String>,
    headers: &HeaderMap,
    uri: &Uri,
    params: &Params,
) -> Response {
    let paging = next.map(|after| Paging {
        next: NextPage {
            link: Some(next_link(headers, uri, params, &after)),
            after,
        },
    });
    json_response(StatusCode::OK, &Page { results, paging }, CONTENT_TYPE)
}

// ---------------------------------------------------------------------------------------------
// Object handlers

async fn list(
    State(app): SharedState,
    Extension(ctx): Extension<RequestCtx>,
    object_type_arg: PathArg<String>,
    query: QueryArg,
    headers: HeaderMap,
    uri: Uri,
) -> HsResult {
    let object = object_from_path(object_type_arg, &ctx)?;
    let params = query_arg(query, &ctx)?;
    let limit = page_limit(&params, 10, MAX_LIST_LIMIT, &ctx)?;
    let after = after_param(&params, &ctx)?;
    let archived = bool_param(&params, "archived", &ctx)?;
    let selection = Selection::from_params(&params);
    let (results, next) = {
        let store = app.store();
        let table = store.hubspot.table(object);
        let mut matching = table
            .records
            .range(after..)
            .map(|(_, r)| r)
            .filter(|r| r.archived_ms.is_some() == archived);
        let results: Vec<RecordOut> = matching
            .by_ref()
            .take(limit)
            .map(|r| render(object, r, &selection))
            .collect();
        (results, matching.next().map(|r| r.id.to_string()))
    };
    Ok(page(results, next, &headers, &uri, &params))
}

async fn read(
    State(app): SharedState,
    Extension(ctx): Extension<RequestCtx>,
    path: PathArg<(String, String)>,
    query: QueryArg,
) -> HsResult {
    let (object_type_text, id) = path_arg(path, &ctx)?;
    let object = object_type(&object_type_text, &ctx)?;
    let params = query_arg(query, &ctx)?;
    let archived = bool_param(&params, "archived", &ctx)?;
    let selection = Selection::from_params(&params);
    let store = app.store();
    let table = store.hubspot.table(object);
    let record = find(table, object, &id, params.get("idProperty"))
        .and_then(|n| table.records.get(&n))
        .filter(|r| r.archived_ms.is_some() == archived)
        .ok_or_else(|| not_found(&ctx))?;
    Ok(json_response(
        StatusCode::OK,
        &render(object, record, &selection),
        CONTENT_TYPE,
    ))
}

/// One entry of the `validationResults`-style list HubSpot embeds in its message.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PropertyProblem {
    is_valid: bool,
    message: String,
    error: &'static str,
    name: String,
    localized_error_message: String,
}

fn problem(name: &str, error: &'static str, message: String) -> PropertyProblem {
    PropertyProblem {
        is_valid: false,
        localized_error_message: message.clone(),
        message,
        error,
        name: name.to_owned(),
    }
}

/// Checks a `properties` object against the object type and converts every value to HubSpot's
/// string form (`null` clears a property).
fn properties_input(
    object: ObjectType,
    body: &Value,
    ctx: &RequestCtx,
) -> Result<BTreeMap<String, Option<String>>, HsError> {
    let Some(input) = body.get("properties") else {
        return Err(validation(
            ctx,
            "Invalid input JSON: the request body must contain \"properties\"",
        ));
    };
    let Some(input) = input.as_object() else {
        return Err(validation(
            ctx,
            &format!(
                "Invalid input JSON: \"properties\" must be an object, not {}",
                json_kind(input)
            ),
        ));
    };
    let mut problems = Vec::new();
    let mut out = BTreeMap::new();
    for (name, value) in input {
        if object.system().contains(&name.as_str()) {
            problems.push(problem(
                name,
                "READ_ONLY_VALUE",
                format!("\"{name}\" is a read only property; its value cannot be set."),
            ));
            continue;
        }
        if !object.is_known(name) {
            problems.push(problem(
                name,
                "PROPERTY_DOESNT_EXIST",
                format!("Property \"{name}\" does not exist"),
            ));
            continue;
        }
        let text = match value {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Array(_) | Value::Object(_) => {
                problems.push(problem(
                    name,
                    "INVALID_VALUE",
                    format!(
                        "Property \"{name}\" needs a string, number or boolean value, not {}",
                        json_kind(value)
                    ),
                ));
                continue;
            }
        };
        let text = match text {
            Some(t) if t.is_empty() => Some(t),
            Some(t) if object.is_number(name) => {
                if t.trim().parse::<f64>().is_ok_and(f64::is_finite) {
                    Some(t)
                } else {
                    problems.push(problem(
                        name,
                        "INVALID_FLOAT",
                        format!("{t} was not a valid number."),
                    ));
                    continue;
                }
            }
            Some(t) if object.is_datetime(name) => match normalize_datetime(&t) {
                Some(normal) => Some(normal),
                None => {
                    problems.push(problem(
                        name,
                        "INVALID_LONG",
                        format!("{t} was not a valid long."),
                    ));
                    continue;
                }
            },
            Some(t) if name == "email" && !looks_like_email(&t) => {
                problems.push(problem(
                    name,
                    "INVALID_EMAIL",
                    format!("Email address {t} is invalid"),
                ));
                continue;
            }
            other => other,
        };
        out.insert(name.clone(), text);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        let detail = serde_json::to_string(&problems).unwrap_or_default();
        Err(validation(
            ctx,
            &format!("Property values were not valid: {detail}"),
        ))
    }
}

/// Epoch milliseconds or an ISO date/date-time → HubSpot's ISO form.
fn normalize_datetime(text: &str) -> Option<String> {
    let text = text.trim();
    let ms = match text.parse::<i64>() {
        Ok(ms) => Some(ms),
        Err(_) => parse_datetime(text),
    }?;
    // HubSpot's range: the epoch up to 9999-12-31T23:59:59.999Z.
    (0..=253_402_300_799_999)
        .contains(&ms)
        .then(|| hubspot_time(ms))
}

/// 409 when another live contact already has this email (HubSpot's unique key for contacts).
fn email_conflict(
    table: &HsTable,
    object: ObjectType,
    props: &BTreeMap<String, Option<String>>,
    except: Option<u64>,
    ctx: &RequestCtx,
) -> Result<(), HsError> {
    if object != ObjectType::Contacts {
        return Ok(());
    }
    let Some(Some(email)) = props.get("email") else {
        return Ok(());
    };
    let existing = table.records.values().find(|r| {
        Some(r.id) != except
            && r.archived_ms.is_none()
            && r.properties
                .get("email")
                .and_then(Option::as_deref)
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
    });
    match existing {
        Some(r) => Err(HsError::new(
            StatusCode::CONFLICT,
            ctx,
            "CONFLICT",
            &format!("Contact already exists. Existing ID: {}", r.id),
        )),
        None => Ok(()),
    }
}

async fn create(
    State(app): SharedState,
    Extension(ctx): Extension<RequestCtx>,
    object_type_arg: PathArg<String>,
    body: Bytes,
) -> HsResult {
    let object = object_from_path(object_type_arg, &ctx)?;
    let input: Value = parse_json(&body, &ctx)?;
    let props = properties_input(object, &input, &ctx)?;
    let written: Vec<String> = props.keys().cloned().collect();
    let mut store = app.store();
    let table = store.hubspot.table_mut(object);
    email_conflict(table, object, &props, None, &ctx)?;
    let id = table.next_id;
    table.next_id += 1;
    let now = now_ms();
    let mut properties = props;
    properties.insert("hs_object_id".into(), Some(id.to_string()));
    properties.insert("createdate".into(), Some(hubspot_time(now)));
    properties.insert(object.last_modified().into(), Some(hubspot_time(now)));
    let record = HsRecord {
        id,
        properties,
        created_ms: now,
        updated_ms: now,
        archived_ms: None,
    };
    let out = render(object, &record, &Selection::DefaultAnd(written));
    table.records.insert(id, record);
    Ok(json_response(StatusCode::CREATED, &out, CONTENT_TYPE))
}

async fn update(
    State(app): SharedState,
    Extension(ctx): Extension<RequestCtx>,
    path: PathArg<(String, String)>,
    query: QueryArg,
    body: Bytes,
) -> HsResult {
    let (object_type_text, id) = path_arg(path, &ctx)?;
    let object = object_type(&object_type_text, &ctx)?;
    let params = query_arg(query, &ctx)?;
    let input: Value = parse_json(&body, &ctx)?;
    let props = properties_input(object, &input, &ctx)?;
    let written: Vec<String> = props.keys().cloned().collect();
    let mut store = app.store();
    let table = store.hubspot.table_mut(object);
    let key = find(table, object, &id, params.get("idProperty"))
        .filter(|n| {
            table
                .records
                .get(n)
                .is_some_and(|r| r.archived_ms.is_none())
        })
        .ok_or_else(|| not_found(&ctx))?;
    email_conflict(table, object, &props, Some(key), &ctx)?;
    let record = table.records.get_mut(&key).ok_or_else(|| not_found(&ctx))?;
    let now = now_ms().max(record.created_ms);
    record.properties.extend(props);
    record.updated_ms = now;
    record
        .properties
        .insert(object.last_modified().into(), Some(hubspot_time(now)));
    let out = render(object, record, &Selection::DefaultAnd(written));
    Ok(json_response(StatusCode::OK, &out, CONTENT_TYPE))
}

async fn archive(
    State(app): SharedState,
    Extension(ctx): Extension<RequestCtx>,
    path: PathArg<(String, String)>,
) -> HsResult {
    let (object_type_text, id) = path_arg(path, &ctx)?;
    let object = object_type(&object_type_text, &ctx)?;
    let mut store = app.store();
    let table = store.hubspot.table_mut(object);
    let record = find(table, object, &id, None)
        .and_then(|n| table.records.get_mut(&n))
        .filter(|r| r.archived_ms.is_none())
        .ok_or_else(|| not_found(&ctx))?;
    record.archived_ms = Some(now_ms().max(record.updated_ms));
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// Owners

/// An owner as `GET /crm/v3/owners` renders it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OwnerOut {
    id: String,
    email: String,
    first_name: String,
    last_name: String,
    user_id: u64,
    user_id_including_inactive: u64,
    created_at: String,
    updated_at: String,
    archived: bool,
    teams: Vec<TeamOut>,
}

#[derive(Serialize)]
struct TeamOut {
    id: &'static str,
    name: &'static str,
    primary: bool,
}

fn render_owner(owner: &HsOwner) -> OwnerOut {
    OwnerOut {
        id: owner.id.to_string(),
        email: owner.email.clone(),
        first_name: owner.first_name.clone(),
        last_name: owner.last_name.clone(),
        user_id: owner.user_id,
        user_id_including_inactive: owner.user_id,
        created_at: hubspot_time(owner.created_ms),
        updated_at: hubspot_time(owner.updated_ms),
        archived: false,
        teams: vec![TeamOut {
            id: owner.team.0,
            name: owner.team.1,
            primary: true,
        }],
    }
}

async fn list_owners(
    State(app): SharedState,
    Extension(ctx): Extension<RequestCtx>,
    query: QueryArg,
    headers: HeaderMap,
    uri: Uri,
) -> HsResult {
    let params = query_arg(query, &ctx)?;
    let limit = page_limit(&params, 100, 500, &ctx)?;
    let after = after_param(&params, &ctx)?;
    let archived = bool_param(&params, "archived", &ctx)?;
    let email = params.get("email").filter(|e| !e.is_empty());
    let store = app.store();
    let mut matching = store
        .hubspot
        .owners
        .iter()
        .filter(|o| !archived && o.id >= after)
        .filter(|o| email.is_none_or(|e| o.email.eq_ignore_ascii_case(e)));
    let results: Vec<OwnerOut> = matching.by_ref().take(limit).map(render_owner).collect();
    let next = matching.next().map(|o| o.id.to_string());
    drop(store);
    Ok(page(results, next, &headers, &uri, &params))
}

async fn read_owner(
    State(app): SharedState,
    Extension(ctx): Extension<RequestCtx>,
    owner_id: PathArg<String>,
    query: QueryArg,
) -> HsResult {
    let owner_id = path_arg(owner_id, &ctx)?;
    let params = query_arg(query, &ctx)?;
    let by_user_id = match params.get("idProperty") {
        None | Some("id") => false,
        Some("userId") => true,
        Some(other) => {
            return Err(validation(
                &ctx,
                &format!("idProperty must be id or userId, but was '{other}'"),
            ));
        }
    };
    let wanted = owner_id.trim().parse::<u64>().ok();
    let store = app.store();
    let owner = store
        .hubspot
        .owners
        .iter()
        .find(|o| wanted == Some(if by_user_id { o.user_id } else { o.id }))
        .ok_or_else(|| not_found(&ctx))?;
    Ok(json_response(
        StatusCode::OK,
        &render_owner(owner),
        CONTENT_TYPE,
    ))
}
