//! Fake Salesforce REST API (`/services/data/vXX.X`): SOQL query with `nextRecordsUrl` paging and
//! sObject create/read/update/delete, with Salesforce's error arrays and `Sforce-Limit-Info`.

mod schema;

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{LAST_MODIFIED, LOCATION};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::clock::{date, http_date, now_ms, parse_datetime, salesforce_time};
use crate::ids::{normalize_salesforce_id, salesforce_id};
use crate::rate_budget::Reading;
use crate::soql::{self, Projection};
use crate::store::{MAX_CURSORS, QueryCursor, SalesforceStore, SfRecord};
use crate::web::{Ordered, Params, PathArg, QueryArg, json_kind, json_response, looks_like_email};
use crate::{Shared, SharedState};

pub(crate) use schema::{Field, Kind, SObject, api_user_id, seed};
use schema::{ID_BASE, derive, forecast_category, known_stage, new_fields, stage_flags};

const CONTENT_TYPE: &str = "application/json;charset=UTF-8";
/// Default and bounds of `Sforce-Query-Options: batchSize=N`.
const DEFAULT_BATCH: usize = 2000;
const MIN_BATCH: usize = 200;

type SfResult = Result<Response, SfError>;

/// The Salesforce routes, relative to the instance URL.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/services/data/{version}/query", get(query))
        .route("/services/data/{version}/query/{locator}", get(query_more))
        .route("/services/data/{version}/sobjects/{object}", post(create))
        .route(
            "/services/data/{version}/sobjects/{object}/{id}",
            get(read).patch(update).delete(delete),
        )
}

// ---------------------------------------------------------------------------------------------
// Errors and headers

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorItem<'a> {
    message: &'a str,
    error_code: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    fields: &'a [&'a str],
}

/// A Salesforce error as a value: rendered as a one-element array of [`ErrorItem`].
#[derive(Debug)]
pub(crate) struct SfError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Vec<&'static str>,
}

impl IntoResponse for SfError {
    fn into_response(self) -> Response {
        json_response(
            self.status,
            &[ErrorItem {
                message: &self.message,
                error_code: self.code,
                fields: &self.fields,
            }],
            CONTENT_TYPE,
        )
    }
}

/// An error in Salesforce's shape: a JSON array with one `{message, errorCode}`.
fn error(status: StatusCode, code: &'static str, message: &str) -> SfError {
    error_on(status, code, message, &[])
}

fn error_on(
    status: StatusCode,
    code: &'static str,
    message: &str,
    fields: &[&'static str],
) -> SfError {
    SfError {
        status,
        code,
        message: message.to_owned(),
        fields: fields.to_vec(),
    }
}

fn not_found() -> SfError {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

fn bad_request(code: &'static str, message: &str) -> SfError {
    error(StatusCode::BAD_REQUEST, code, message)
}

/// 401 for a missing or wrong token.
pub(crate) fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "INVALID_SESSION_ID",
        "Session expired or invalid",
    )
    .into_response()
}

/// 403 once the budget is spent (Salesforce does not use 429 for its request allocation).
pub(crate) fn rate_limited() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "REQUEST_LIMIT_EXCEEDED",
        "TotalRequests Limit exceeded.",
    )
    .into_response()
}

/// 404 for a path Salesforce does not have.
pub(crate) fn unknown_route() -> Response {
    not_found().into_response()
}

/// 405 for a known path with the wrong method.
pub(crate) fn method_not_allowed(method: &Method, allowed: Option<&str>) -> Response {
    wrong_method(method, allowed).into_response()
}

fn wrong_method(method: &Method, allowed: Option<&str>) -> SfError {
    let message = match allowed {
        Some(allowed) => format!("HTTP Method '{method}' not allowed. Allowed are {allowed}"),
        None => format!("HTTP Method '{method}' not allowed."),
    };
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        &message,
    )
}

/// Adds `Sforce-Limit-Info: api-usage=<used>/<limit>` to any Salesforce response.
pub(crate) fn decorate(response: &mut Response, reading: &Reading) {
    let value = format!("api-usage={}/{}", reading.used, reading.limit);
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("sforce-limit-info"), value);
    }
}

// ---------------------------------------------------------------------------------------------
// Request helpers

fn path_arg<T>(arg: PathArg<T>) -> Result<T, SfError> {
    arg.map(|Path(value)| value).map_err(|_| not_found())
}

fn query_arg(arg: QueryArg) -> Result<Params, SfError> {
    arg.map(|Query(pairs)| Params::new(pairs))
        .map_err(|rejection| bad_request("MALFORMED_QUERY", &rejection.body_text()))
}

/// `v60.0`-style versions are served; anything else does not exist.
fn version(text: &str) -> Result<&str, SfError> {
    let ok = text
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && major.bytes().all(|b| b.is_ascii_digit())
                && minor.bytes().all(|b| b.is_ascii_digit())
        });
    if ok { Ok(text) } else { Err(not_found()) }
}

fn sobject(name: &str) -> Result<SObject, SfError> {
    SObject::parse(name).ok_or_else(not_found)
}

fn record_url(version: &str, object: SObject, id: &str) -> String {
    format!("/services/data/{version}/sobjects/{}/{id}", object.name())
}

/// A record as Salesforce renders it: `attributes` first, then the fields in order.
fn render(version: &str, object: SObject, record: &SfRecord, fields: &[&'static Field]) -> Ordered {
    let id = record
        .fields
        .get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut out = Vec::with_capacity(fields.len() + 1);
    out.push((
        "attributes".to_owned(),
        json!({"type": object.name(), "url": record_url(version, object, id)}),
    ));
    for field in fields {
        let value = record
            .fields
            .get(field.name)
            .cloned()
            .unwrap_or(Value::Null);
        out.push((field.name.to_owned(), value));
    }
    Ordered(out)
}

/// `Sforce-Query-Options: batchSize=N`, clamped to 200..=2000 as Salesforce documents.
fn batch_size(headers: &HeaderMap) -> usize {
    headers
        .get("sforce-query-options")
        .and_then(|v| v.to_str().ok())
        .and_then(|options| {
            options.split([',', ';']).find_map(|option| {
                let (key, value) = option.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("batchSize")
                    .then(|| value.trim().parse::<usize>().ok())
                    .flatten()
            })
        })
        .map_or(DEFAULT_BATCH, |n| n.clamp(MIN_BATCH, DEFAULT_BATCH))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueryPage<'a> {
    total_size: usize,
    done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_records_url: Option<String>,
    records: &'a [Ordered],
}

fn page(total: usize, rows: &[Ordered], next: Option<String>) -> Response {
    json_response(
        StatusCode::OK,
        &QueryPage {
            total_size: total,
            done: next.is_none(),
            next_records_url: next,
            records: rows,
        },
        CONTENT_TYPE,
    )
}

fn next_url(version: &str, locator: &str, offset: usize) -> String {
    format!("/services/data/{version}/query/{locator}-{offset}")
}

// ---------------------------------------------------------------------------------------------
// Query

async fn query(
    State(app): SharedState,
    version_arg: PathArg<String>,
    query: QueryArg,
    headers: HeaderMap,
) -> SfResult {
    let version_text = path_arg(version_arg)?;
    let version = version(&version_text)?;
    let params = query_arg(query)?;
    let soql_text = params
        .get("q")
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| bad_request("MALFORMED_QUERY", "A query string has to be specified"))?;
    let plan = soql::plan(soql_text).map_err(|e| bad_request(e.code, &e.message))?;
    let batch = batch_size(&headers);
    let mut store = app.store();
    let sf = &mut store.salesforce;
    let matched = soql::run(&plan, sf.table(plan.object));
    let fields = match &plan.projection {
        Projection::Count => return Ok(page(matched.len(), &[], None)),
        Projection::Fields(fields) => fields,
    };
    let rows: Vec<Ordered> = matched
        .into_iter()
        .map(|r| render(version, plan.object, r, fields))
        .collect();
    let total = rows.len();
    if total <= batch {
        return Ok(page(total, &rows, None));
    }
    let locator = salesforce_id("01g", ID_BASE + sf.next_cursor);
    sf.next_cursor += 1;
    let response = page(
        total,
        rows.get(..batch).unwrap_or_default(),
        Some(next_url(version, &locator, batch)),
    );
    sf.cursors.push_back((
        locator,
        QueryCursor {
            rows,
            batch_size: batch,
        },
    ));
    while sf.cursors.len() > MAX_CURSORS {
        sf.cursors.pop_front();
    }
    Ok(response)
}

async fn query_more(State(app): SharedState, path: PathArg<(String, String)>) -> SfResult {
    let (version_text, locator_text) = path_arg(path)?;
    let version = version(&version_text)?;
    let invalid = || bad_request("INVALID_QUERY_LOCATOR", "invalid query locator");
    let (locator, offset) = locator_text.rsplit_once('-').ok_or_else(invalid)?;
    let offset: usize = offset.parse().map_err(|_| invalid())?;
    let store = app.store();
    let cursor = store
        .salesforce
        .cursors
        .iter()
        .find(|(id, _)| id == locator)
        .map(|(_, cursor)| cursor)
        .ok_or_else(invalid)?;
    let total = cursor.rows.len();
    let start = offset.min(total);
    let end = start.saturating_add(cursor.batch_size).min(total);
    let next = (end < total).then(|| next_url(version, locator, end));
    Ok(page(
        total,
        cursor.rows.get(start..end).unwrap_or_default(),
        next,
    ))
}

// ---------------------------------------------------------------------------------------------
// sObject rows

/// Looks a record up by 15- or 18-character id; deleted records answer `ENTITY_IS_DELETED`.
fn live_key(sf: &SalesforceStore, object: SObject, id: &str) -> Result<String, SfError> {
    let key = normalize_salesforce_id(id)
        .filter(|k| k.starts_with(object.prefix()))
        .ok_or_else(not_found)?;
    match sf.table(object).records.get(&key) {
        None => Err(not_found()),
        Some(r) if r.deleted() => Err(error(
            StatusCode::NOT_FOUND,
            "ENTITY_IS_DELETED",
            "entity is deleted",
        )),
        Some(_) => Ok(key),
    }
}

async fn read(
    State(app): SharedState,
    path: PathArg<(String, String, String)>,
    query: QueryArg,
) -> SfResult {
    let (version_text, object_name, id) = path_arg(path)?;
    let version = version(&version_text)?;
    let object = sobject(&object_name)?;
    let params = query_arg(query)?;
    let fields: Vec<&'static Field> = match params.get("fields").filter(|f| !f.trim().is_empty()) {
        None => object.fields().iter().collect(),
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| {
                object.field(name).ok_or_else(|| {
                    bad_request(
                        "INVALID_FIELD",
                        &format!(
                            "No such column '{name}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                            object.name()
                        ),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let store = app.store();
    let key = live_key(&store.salesforce, object, &id)?;
    let record = store
        .salesforce
        .table(object)
        .records
        .get(&key)
        .ok_or_else(not_found)?;
    let mut response = json_response(
        StatusCode::OK,
        &render(version, object, record, &fields),
        CONTENT_TYPE,
    );
    let modified = record
        .fields
        .get("LastModifiedDate")
        .and_then(Value::as_str)
        .and_then(parse_datetime);
    if let Some(Ok(value)) = modified.map(|ms| HeaderValue::from_str(&http_date(ms))) {
        response.headers_mut().insert(LAST_MODIFIED, value);
    }
    Ok(response)
}

/// Create or update.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    Create,
    Update,
}

/// Parses a JSON object body, answering like Salesforce's JSON parser when it is not one.
fn body_object(body: &[u8]) -> Result<Map<String, Value>, SfError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        bad_request(
            "JSON_PARSER_ERROR",
            &format!("{e} at [line:{}, column:{}]", e.line(), e.column()),
        )
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(bad_request(
            "JSON_PARSER_ERROR",
            &format!(
                "Cannot deserialize instance of sObject from a JSON {} value",
                json_kind(&other)
            ),
        )),
    }
}

/// Now, to the second: Salesforce stores timestamps without milliseconds.
fn now_whole_seconds() -> i64 {
    now_ms() / 1000 * 1000
}

/// Checks an id written into a lookup field: well formed for the target type (`prefix`, named
/// `label` in the message) and, by `exists`, pointing at a live record.
fn lookup(
    field: &Field,
    text: &str,
    prefix: &str,
    label: &str,
    exists: impl FnOnce(&str) -> bool,
) -> Result<Value, SfError> {
    let Some(id) = normalize_salesforce_id(text).filter(|id| id.starts_with(prefix)) else {
        return Err(error_on(
            StatusCode::BAD_REQUEST,
            "MALFORMED_ID",
            &format!("{label} ID: id value of incorrect type: {text}"),
            &[field.name],
        ));
    };
    if exists(&id) {
        Ok(Value::from(id))
    } else {
        Err(error_on(
            StatusCode::BAD_REQUEST,
            "INVALID_CROSS_REFERENCE_KEY",
            &format!("invalid cross reference id: {text}"),
            &[field.name],
        ))
    }
}

/// Checks one field value and converts it to the stored form.
fn convert(sf: &SalesforceStore, field: &Field, value: &Value) -> Result<Value, SfError> {
    let parse_error = |wanted: &str| {
        bad_request(
            "JSON_PARSER_ERROR",
            &format!(
                "Cannot deserialize instance of {wanted} from {} value {value} for field {}",
                json_kind(value),
                field.name
            ),
        )
    };
    let required_missing = || {
        error_on(
            StatusCode::BAD_REQUEST,
            "REQUIRED_FIELD_MISSING",
            &format!("Required fields are missing: [{}]", field.name),
            &[field.name],
        )
    };
    let is_blank = value.is_null() || value.as_str().is_some_and(str::is_empty);
    if is_blank {
        return match field.kind {
            _ if field.required => Err(required_missing()),
            Kind::Boolean => Ok(Value::Bool(false)),
            _ => Ok(Value::Null),
        };
    }
    match field.kind {
        kind if kind.is_text() => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(parse_error("string")),
            };
            match kind {
                Kind::Email if !looks_like_email(&text) => Err(error_on(
                    StatusCode::BAD_REQUEST,
                    "INVALID_EMAIL_ADDRESS",
                    &format!("{}: invalid email address: {text}", field.name),
                    &[field.name],
                )),
                Kind::Reference(target) => {
                    lookup(field, &text, target.prefix(), target.label(), |id| {
                        sf.table(target)
                            .records
                            .get(id)
                            .is_some_and(|r| !r.deleted())
                    })
                }
                Kind::SetupReference(target) => {
                    lookup(field, &text, target.prefix(), target.label(), |id| {
                        target.exists(id)
                    })
                }
                _ => Ok(Value::from(text)),
            }
        }
        Kind::Boolean => match value {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(parse_error("boolean")),
        },
        kind if kind.is_number() => {
            let number = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|n| n.is_finite())
            .ok_or_else(|| parse_error(kind.soap_name()))?;
            if kind == Kind::Int {
                if number.fract() != 0.0 || number.abs() > 2_147_483_647.0 {
                    return Err(parse_error("int"));
                }
                Ok(Value::from(number as i64))
            } else {
                Ok(json!(number))
            }
        }
        Kind::Date => value
            .as_str()
            .and_then(|s| parse_datetime(s.get(..10).unwrap_or(s)))
            .map(|ms| Value::from(date(ms)))
            .ok_or_else(|| parse_error("date (expected yyyy-MM-dd)")),
        Kind::DateTime => value
            .as_str()
            .and_then(parse_datetime)
            .map(|ms| Value::from(salesforce_time(ms)))
            .ok_or_else(|| parse_error("dateTime (expected ISO 8601)")),
        _ => Err(parse_error("value")),
    }
}

/// Checks a create/update body against the schema; returns the fields to store.
fn changes(
    sf: &SalesforceStore,
    object: SObject,
    input: &Map<String, Value>,
    write: Write,
) -> Result<Vec<(&'static str, Value)>, SfError> {
    let mut out = Vec::new();
    for (key, value) in input {
        if key == "attributes" {
            continue;
        }
        let Some(field) = object.field(key) else {
            return Err(bad_request(
                "INVALID_FIELD",
                &format!(
                    "No such column '{key}' on sobject of type {}",
                    object.name()
                ),
            ));
        };
        if field.name == "Id" {
            return Err(bad_request(
                "INVALID_FIELD",
                "The Id field should not be specified in the sobject data.",
            ));
        }
        let allowed = match write {
            Write::Create => field.createable,
            Write::Update => field.updateable,
        };
        if !allowed {
            return Err(error_on(
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                &format!(
                    "Unable to create/update fields: {}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
                    field.name
                ),
                &[field.name],
            ));
        }
        out.push((field.name, convert(sf, field, value)?));
    }
    if write == Write::Create {
        let missing: Vec<&'static str> = object
            .fields()
            .iter()
            .filter(|f| f.required && !out.iter().any(|(name, _)| *name == f.name))
            .map(|f| f.name)
            .collect();
        if !missing.is_empty() {
            return Err(error_on(
                StatusCode::BAD_REQUEST,
                "REQUIRED_FIELD_MISSING",
                &format!("Required fields are missing: [{}]", missing.join(", ")),
                &missing,
            ));
        }
    }
    Ok(out)
}

/// Users are read-only in the sandbox.
fn read_only(method: &Method) -> SfError {
    wrong_method(method, Some("GET, HEAD"))
}

#[derive(Serialize)]
struct SaveResult {
    id: String,
    success: bool,
    errors: [(); 0],
}

async fn create(State(app): SharedState, path: PathArg<(String, String)>, body: Bytes) -> SfResult {
    let (version_text, object_name) = path_arg(path)?;
    let version = version(&version_text)?;
    let object = sobject(&object_name)?;
    if !object.writable() {
        return Err(read_only(&Method::POST));
    }
    let input = body_object(&body)?;
    let mut store = app.store();
    let sf = &mut store.salesforce;
    let values = changes(sf, object, &input, Write::Create)?;
    let table = sf.table_mut(object);
    let id = salesforce_id(object.prefix(), table.next_seq);
    table.next_seq += 1;
    let now = now_whole_seconds();
    let mut fields = new_fields(object, &id, now, now);
    fields.insert("OwnerId", Value::from(api_user_id()));
    let given = StageDefaults::given(&values);
    fields.extend(values);
    if object == SObject::Opportunity {
        given.apply(&mut fields);
    }
    derive(object, &mut fields);
    table.records.insert(id.clone(), SfRecord { fields });
    let mut response = json_response(
        StatusCode::CREATED,
        &SaveResult {
            id: id.clone(),
            success: true,
            errors: [],
        },
        CONTENT_TYPE,
    );
    if let Ok(location) = HeaderValue::from_str(&record_url(version, object, &id)) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// Which of the fields an opportunity's stage implies the client set itself: the others follow the
/// stage when an opportunity is created or changes stage.
struct StageDefaults {
    probability: bool,
    forecast_category: bool,
}

impl StageDefaults {
    fn given(values: &[(&'static str, Value)]) -> Self {
        let given = |field: &str| values.iter().any(|(name, _)| *name == field);
        Self {
            probability: given("Probability"),
            forecast_category: given("ForecastCategoryName"),
        }
    }

    /// Sets the stage's probability and forecast category where the client did not.
    fn apply(&self, fields: &mut BTreeMap<&'static str, Value>) {
        let stage = fields
            .get("StageName")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if !self.probability
            && let Some(known) = known_stage(stage.as_deref())
        {
            fields.insert("Probability", json!(f64::from(known.2)));
        }
        if !self.forecast_category {
            let (closed, won) = stage_flags(stage.as_deref());
            fields.insert(
                "ForecastCategoryName",
                Value::from(forecast_category(closed, won)),
            );
        }
    }
}

async fn update(
    State(app): SharedState,
    path: PathArg<(String, String, String)>,
    body: Bytes,
) -> SfResult {
    let (version_text, object_name, id) = path_arg(path)?;
    version(&version_text)?;
    let object = sobject(&object_name)?;
    if !object.writable() {
        return Err(read_only(&Method::PATCH));
    }
    let input = body_object(&body)?;
    let mut store = app.store();
    let sf = &mut store.salesforce;
    let key = live_key(sf, object, &id)?;
    let values = changes(sf, object, &input, Write::Update)?;
    let record = sf
        .table_mut(object)
        .records
        .get_mut(&key)
        .ok_or_else(not_found)?;
    let stage_changed = values.iter().any(|(name, _)| *name == "StageName");
    let given = StageDefaults::given(&values);
    record.fields.extend(values);
    if object == SObject::Opportunity && stage_changed {
        given.apply(&mut record.fields);
    }
    let now = Value::from(salesforce_time(now_whole_seconds()));
    record.fields.insert("LastModifiedDate", now.clone());
    record.fields.insert("SystemModstamp", now);
    record
        .fields
        .insert("LastModifiedById", Value::from(api_user_id()));
    derive(object, &mut record.fields);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete(State(app): SharedState, path: PathArg<(String, String, String)>) -> SfResult {
    let (version_text, object_name, id) = path_arg(path)?;
    version(&version_text)?;
    let object = sobject(&object_name)?;
    if !object.writable() {
        return Err(read_only(&Method::DELETE));
    }
    let mut store = app.store();
    let sf = &mut store.salesforce;
    let key = live_key(sf, object, &id)?;
    let record = sf
        .table_mut(object)
        .records
        .get_mut(&key)
        .ok_or_else(not_found)?;
    record.fields.insert("IsDeleted", Value::Bool(true));
    let now = Value::from(salesforce_time(now_whole_seconds()));
    record.fields.insert("SystemModstamp", now);
    Ok(StatusCode::NO_CONTENT.into_response())
}
