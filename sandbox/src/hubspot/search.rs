//! `POST /crm/v3/objects/{objectType}/search`: filter groups, free-text query, sorts and paging.

use std::cmp::Ordering;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{
    CONTENT_TYPE, HsError, HsResult, ObjectType, RecordOut, Selection, object_from_path,
    parse_json, render, validation,
};
use crate::SharedState;
use crate::clock::parse_datetime;
use crate::store::HsRecord;
use crate::web::{PathArg, RequestCtx, json_response};

/// Largest page the search endpoint returns.
const MAX_SEARCH_LIMIT: i64 = 200;
/// HubSpot's documented caps on filter groups.
const MAX_GROUPS: usize = 5;
const MAX_FILTERS_PER_GROUP: usize = 6;
const MAX_FILTERS: usize = 18;

/// `PublicObjectSearchRequest`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchRequest {
    #[serde(default)]
    filter_groups: Vec<FilterGroup>,
    #[serde(default)]
    sorts: Vec<Sort>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    properties: Vec<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    after: Option<Scalar>,
}

#[derive(Deserialize)]
struct FilterGroup {
    #[serde(default)]
    filters: Vec<Filter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter {
    property_name: String,
    operator: String,
    #[serde(default)]
    value: Option<Scalar>,
    #[serde(default)]
    high_value: Option<Scalar>,
    #[serde(default)]
    values: Option<Vec<Scalar>>,
}

/// A filter operand: HubSpot accepts strings, numbers and booleans.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::Number(n) => n.to_string(),
            Self::Bool(b) => b.to_string(),
        }
    }
}

/// A sort: `{"propertyName": "createdate", "direction": "DESCENDING"}` or the short `"-createdate"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Sort {
    Full {
        #[serde(rename = "propertyName")]
        property_name: String,
        #[serde(default)]
        direction: Option<String>,
    },
    Short(String),
}

#[derive(Serialize)]
struct SearchPage {
    total: usize,
    results: Vec<RecordOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paging: Option<SearchPaging>,
}

#[derive(Serialize)]
struct SearchPaging {
    next: SearchNext,
}

#[derive(Serialize)]
struct SearchNext {
    after: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Between,
    In,
    NotIn,
    HasProperty,
    NotHasProperty,
    ContainsToken,
    NotContainsToken,
}

impl Op {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "EQ" => Self::Eq,
            "NEQ" => Self::Neq,
            "LT" => Self::Lt,
            "LTE" => Self::Lte,
            "GT" => Self::Gt,
            "GTE" => Self::Gte,
            "BETWEEN" => Self::Between,
            "IN" => Self::In,
            "NOT_IN" => Self::NotIn,
            "HAS_PROPERTY" => Self::HasProperty,
            "NOT_HAS_PROPERTY" => Self::NotHasProperty,
            "CONTAINS_TOKEN" => Self::ContainsToken,
            "NOT_CONTAINS_TOKEN" => Self::NotContainsToken,
            _ => return None,
        })
    }
}

/// A checked filter, ready to run.
struct Check {
    property: String,
    op: Op,
    value: String,
    high: String,
    values: Vec<String>,
}

fn compile(filter: &Filter, ctx: &RequestCtx) -> Result<Check, HsError> {
    let op = Op::parse(&filter.operator).ok_or_else(|| {
        validation(
            ctx,
            &format!(
                "Invalid operator '{}' for property {}; expected one of EQ, NEQ, LT, LTE, GT, GTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN, NOT_CONTAINS_TOKEN",
                filter.operator, filter.property_name
            ),
        )
    })?;
    let value = filter.value.as_ref().map(Scalar::text);
    let needs_value = !matches!(
        op,
        Op::HasProperty | Op::NotHasProperty | Op::In | Op::NotIn
    );
    if needs_value && value.is_none() {
        return Err(validation(
            ctx,
            &format!(
                "Operator {} requires a value for property {}",
                filter.operator, filter.property_name
            ),
        ));
    }
    let high = filter.high_value.as_ref().map(Scalar::text);
    if op == Op::Between && high.is_none() {
        return Err(validation(
            ctx,
            &format!(
                "Operator BETWEEN requires highValue for property {}",
                filter.property_name
            ),
        ));
    }
    let values: Vec<String> = filter.values.iter().flatten().map(Scalar::text).collect();
    if matches!(op, Op::In | Op::NotIn) && values.is_empty() {
        return Err(validation(
            ctx,
            &format!(
                "Operator {} requires values for property {}",
                filter.operator, filter.property_name
            ),
        ));
    }
    Ok(Check {
        property: filter.property_name.clone(),
        op,
        value: value.unwrap_or_default(),
        high: high.unwrap_or_default(),
        values,
    })
}

/// Numbers compare as numbers, timestamps (ISO or epoch ms) as instants, anything else as
/// case-insensitive text.
fn compare(stored: &str, operand: &str) -> Ordering {
    let number = |s: &str| s.trim().parse::<f64>().ok().filter(|f| f.is_finite());
    let instant = |s: &str| number(s).or_else(|| parse_datetime(s.trim()).map(|ms| ms as f64));
    if let (Some(a), Some(b)) = (number(stored), number(operand)) {
        return a.total_cmp(&b);
    }
    if let (Some(a), Some(b)) = (instant(stored), instant(operand)) {
        return a.total_cmp(&b);
    }
    stored.to_lowercase().cmp(&operand.to_lowercase())
}

/// Words of a value: split on anything that is not a letter or digit.
fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
}

/// `CONTAINS_TOKEN`: a whole-word match, or a `*` wildcard match against the whole value.
fn contains_token(stored: &str, operand: &str) -> bool {
    let operand = operand.to_lowercase();
    let stored_lower = stored.to_lowercase();
    if operand.contains('*') {
        return wildcard(&stored_lower, &operand) || tokens(stored).any(|t| wildcard(&t, &operand));
    }
    stored_lower == operand || tokens(stored).any(|t| t == operand)
}

/// `*` matches any run of characters.
fn wildcard(text: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}

/// A record's value of `name` (`None` when unset or null).
fn property_value<'r>(record: &'r HsRecord, name: &str) -> Option<&'r str> {
    record.properties.get(name).and_then(Option::as_deref)
}

fn matches(record: &HsRecord, check: &Check) -> bool {
    let stored = property_value(record, &check.property).filter(|v| !v.is_empty());
    match (check.op, stored) {
        (Op::HasProperty, v) => v.is_some(),
        (Op::NotHasProperty, v) => v.is_none(),
        (Op::Neq, None) | (Op::NotIn, None) | (Op::NotContainsToken, None) => true,
        (_, None) => false,
        (Op::Eq, Some(v)) => compare(v, &check.value) == Ordering::Equal,
        (Op::Neq, Some(v)) => compare(v, &check.value) != Ordering::Equal,
        (Op::Lt, Some(v)) => compare(v, &check.value) == Ordering::Less,
        (Op::Lte, Some(v)) => compare(v, &check.value) != Ordering::Greater,
        (Op::Gt, Some(v)) => compare(v, &check.value) == Ordering::Greater,
        (Op::Gte, Some(v)) => compare(v, &check.value) != Ordering::Less,
        (Op::Between, Some(v)) => {
            compare(v, &check.value) != Ordering::Less
                && compare(v, &check.high) != Ordering::Greater
        }
        (Op::In, Some(v)) => check
            .values
            .iter()
            .any(|x| compare(v, x) == Ordering::Equal),
        (Op::NotIn, Some(v)) => !check
            .values
            .iter()
            .any(|x| compare(v, x) == Ordering::Equal),
        (Op::ContainsToken, Some(v)) => contains_token(v, &check.value),
        (Op::NotContainsToken, Some(v)) => !contains_token(v, &check.value),
    }
}

/// Free-text `query` (already split into `words`): every word must prefix some word of a
/// searchable property.
fn matches_query(object: ObjectType, record: &HsRecord, words: &[String]) -> bool {
    if words.is_empty() {
        return true;
    }
    let haystack: Vec<String> = object
        .searchable()
        .iter()
        .filter_map(|p| property_value(record, p))
        .flat_map(tokens)
        .collect();
    words
        .iter()
        .all(|w| haystack.iter().any(|h| h.starts_with(w.as_str())))
}

/// `POST /crm/v3/objects/{objectType}/search`.
pub(super) async fn search(
    State(app): SharedState,
    Extension(ctx): Extension<RequestCtx>,
    object_type_arg: PathArg<String>,
    body: Bytes,
) -> HsResult {
    let object = object_from_path(object_type_arg, &ctx)?;
    let request: SearchRequest = parse_json(&body, &ctx)?;
    let limit = match request.limit {
        None => 10,
        Some(n) if (1..=MAX_SEARCH_LIMIT).contains(&n) => n as usize,
        Some(n) => {
            return Err(validation(
                &ctx,
                &format!("limit must be between 1 and {MAX_SEARCH_LIMIT}, but was {n}"),
            ));
        }
    };
    let offset = match &request.after {
        None => 0,
        Some(after) => {
            let text = after.text();
            text.trim().parse::<usize>().map_err(|_| {
                validation(
                    &ctx,
                    &format!(
                        "after must be a paging cursor from paging.next.after, but was '{text}'"
                    ),
                )
            })?
        }
    };
    let total_filters: usize = request.filter_groups.iter().map(|g| g.filters.len()).sum();
    if request.filter_groups.len() > MAX_GROUPS
        || request
            .filter_groups
            .iter()
            .any(|g| g.filters.len() > MAX_FILTERS_PER_GROUP)
        || total_filters > MAX_FILTERS
    {
        return Err(validation(
            &ctx,
            &format!(
                "Too many filters: at most {MAX_GROUPS} filterGroups, {MAX_FILTERS_PER_GROUP} filters per group and {MAX_FILTERS} filters in total"
            ),
        ));
    }
    let groups = request
        .filter_groups
        .iter()
        .map(|g| {
            g.filters
                .iter()
                .map(|f| compile(f, &ctx))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sorts: Vec<(String, bool)> = request
        .sorts
        .iter()
        .map(|s| match s {
            Sort::Full {
                property_name,
                direction,
            } => (
                property_name.clone(),
                direction
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case("DESCENDING")),
            ),
            Sort::Short(text) => match text.strip_prefix('-') {
                Some(name) => (name.to_owned(), true),
                None => (text.clone(), false),
            },
        })
        .collect();
    let selection = if request.properties.is_empty() {
        Selection::Default
    } else {
        Selection::Named(request.properties.clone())
    };

    let query_words: Option<Vec<String>> = request.query.as_deref().map(|q| tokens(q).collect());

    let store = app.store();
    let table = store.hubspot.table(object);
    let mut hits: Vec<&HsRecord> = table
        .records
        .values()
        .filter(|r| r.archived_ms.is_none())
        .filter(|r| groups.is_empty() || groups.iter().any(|g| g.iter().all(|c| matches(r, c))))
        .filter(|r| {
            query_words
                .as_deref()
                .is_none_or(|words| matches_query(object, r, words))
        })
        .collect();
    if !sorts.is_empty() {
        hits.sort_by(|a, b| {
            for (property, descending) in &sorts {
                let order = match (property_value(a, property), property_value(b, property)) {
                    (Some(x), Some(y)) => compare(x, y),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                };
                let order = if *descending { order.reverse() } else { order };
                if order != Ordering::Equal {
                    return order;
                }
            }
            Ordering::Equal
        });
    }
    let total = hits.len();
    let results: Vec<RecordOut> = hits
        .iter()
        .skip(offset)
        .take(limit)
        .map(|r| render(object, r, &selection))
        .collect();
    drop(store);
    let next = offset.saturating_add(limit);
    let paging = (next < total).then(|| SearchPaging {
        next: SearchNext {
            after: next.to_string(),
        },
    });
    Ok(json_response(
        StatusCode::OK,
        &SearchPage {
            total,
            results,
            paging,
        },
        CONTENT_TYPE,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_wildcards() {
        assert!(contains_token("Olivia Garcia", "garcia"));
        assert!(!contains_token("Olivia Garcia", "garc"));
        assert!(contains_token(
            "olivia.garcia@acme-labs.example.com",
            "*@acme-labs.example.com"
        ));
        assert!(contains_token("Olivia", "oli*"));
        assert!(!wildcard("abc", "a*d"));
        assert_eq!(compare("15000", "9000"), Ordering::Greater);
        assert_eq!(
            compare("2021-01-04T09:00:00.000Z", "1609750800000"),
            Ordering::Equal
        );
    }
}
