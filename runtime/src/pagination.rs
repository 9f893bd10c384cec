//! Pages through list endpoints in the vendor's style (cursor, next URL, offset, page number) and
//! decides where the next page starts.
//!
//! `limit` is honoured exactly even when the vendor returns more records than asked (a minimum page
//! size, or no page-size control at all): the extra records are not dropped, the cursor instead
//! records how many records of the same vendor page were already returned, and the next call fetches
//! that page again and skips them. Each call still makes exactly one upstream request; small limits
//! on vendors with large minimum pages just cost more requests per record.

use reqwest::Url;
use serde_json::Value;

use crate::cursor::{CursorState, Position};
use crate::outcome::ToolError;
use crate::request::within_base;
use crate::table::{Pagination, PaginationStyle};

/// One page as returned to the agent.
#[derive(Debug, PartialEq)]
pub struct Page {
    /// The records to return.
    pub records: Vec<Value>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<CursorState>,
}

/// The page size to ask the vendor for through its query parameter (capped at the maximum).
pub fn limit_query(pagination: &Pagination, limit: Option<u64>) -> Option<(&'static str, String)> {
    let name = pagination.limit_param?;
    Some((name, capped(pagination, limit?).to_string()))
}

/// The page-size header, raised to the vendor's minimum (extra records are kept for the next call).
pub fn limit_header(pagination: &Pagination, limit: Option<u64>) -> Option<(&'static str, String)> {
    let (name, template, min) = pagination.limit_header?;
    let size = capped(pagination, limit?).max(u64::from(min));
    Some((name, template.replace("{limit}", &size.to_string())))
}

fn capped(pagination: &Pagination, limit: u64) -> u64 {
    match pagination.max_limit {
        Some(max) => limit.min(u64::from(max)),
        None => limit,
    }
}

/// The page size the vendor was asked for, when it was (to tell a full page from the last one).
fn requested_size(pagination: &Pagination, limit: Option<u64>) -> Option<u64> {
    let size = capped(pagination, limit?);
    match pagination.limit_header {
        Some((_, _, min)) if pagination.limit_param.is_none() => Some(size.max(u64::from(min))),
        _ if pagination.limit_param.is_some() => Some(size),
        _ => None,
    }
}

/// The query parameter positioning a request at `at` (none for the first page and next URLs).
pub fn position_query(
    pagination: &Pagination,
    at: &Position,
) -> Result<Option<(&'static str, String)>, ToolError> {
    let value = match at {
        Position::First | Position::Url(_) => return Ok(None),
        Position::Token(token) => token.clone(),
        Position::Offset(n) | Position::Page(n) => n.to_string(),
    };
    match pagination.param {
        Some(name) => Ok(Some((name, value))),
        // The compiler requires a parameter for these styles; a cursor of another style is refused.
        None => Err(ToolError::InvalidCursor(
            "next_cursor does not fit this tool's paging; omit it to start from the first page"
                .to_owned(),
        )),
    }
}

/// Resolves a vendor's next-page link (absolute URL or path) and keeps it on the account's base URL.
pub fn resolve_next_url(base: &Url, link: &str) -> Result<Url, ToolError> {
    let url = base.join(link.trim()).map_err(|_| {
        ToolError::Transport("the vendor's next-page link is not a valid URL".to_owned())
    })?;
    if !within_base(base, &url) {
        // Following it would send the account's credentials to another server.
        return Err(ToolError::Transport(
            "the vendor's next-page link leaves the account's base URL; refusing to follow it"
                .to_owned(),
        ));
    }
    Ok(url)
}

/// Cuts the page the vendor returned for `state` down to `limit` and finds where the next one starts.
pub fn page(
    pagination: &Pagination,
    mut body: Value,
    state: &CursorState,
    limit: Option<u64>,
    base: &Url,
) -> Result<Page, ToolError> {
    let all = match body.pointer_mut(pagination.results).map(Value::take) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(records)) => records,
        Some(_) => {
            return Err(ToolError::Transport(format!(
                "the vendor's answer has no list of records at {}",
                pagination.results
            )));
        }
    };
    let page_len = u64::try_from(all.len()).unwrap_or(u64::MAX);
    let skip = usize::try_from(state.skip).unwrap_or(usize::MAX);
    let mut records: Vec<Value> = all.into_iter().skip(skip).collect();
    let take = match limit {
        Some(limit) => records
            .len()
            .min(usize::try_from(limit).unwrap_or(usize::MAX)),
        None => records.len(),
    };
    let leftover = records.len() > take;
    records.truncate(take);
    let taken = u64::try_from(take).unwrap_or(u64::MAX);

    let next = if leftover {
        Some(match (&state.at, pagination.style) {
            // Offsets address records directly, so no page needs fetching twice.
            (at, PaginationStyle::Offset) => CursorState {
                // Saturating: the offset may be the vendor's own figure, however large.
                at: Position::Offset(
                    current_offset(at)
                        .saturating_add(state.skip)
                        .saturating_add(taken),
                ),
                skip: 0,
            },
            (at, _) => CursorState {
                at: at.clone(),
                skip: state.skip.saturating_add(taken),
            },
        })
    } else {
        vendor_next(pagination, &body, &state.at, page_len, limit, base)?
            .map(|at| CursorState { at, skip: 0 })
    };
    Ok(Page { records, next })
}

fn current_offset(at: &Position) -> u64 {
    match at {
        Position::Offset(n) => *n,
        _ => 0,
    }
}

/// Where the vendor's next page starts, from this page's body.
fn vendor_next(
    pagination: &Pagination,
    body: &Value,
    at: &Position,
    page_len: u64,
    limit: Option<u64>,
    base: &Url,
) -> Result<Option<Position>, ToolError> {
    let has_more = pagination
        .has_more
        .map(|pointer| match body.pointer(pointer) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        });
    if has_more == Some(false) {
        return Ok(None);
    }
    let next_value = pagination.next.and_then(|pointer| body.pointer(pointer));
    match pagination.style {
        PaginationStyle::Cursor => Ok(next_value.and_then(token_text).map(Position::Token)),
        PaginationStyle::NextUrl => match next_value.and_then(token_text) {
            Some(link) => Ok(Some(Position::Url(
                resolve_next_url(base, &link)?.to_string(),
            ))),
            None => Ok(None),
        },
        PaginationStyle::Offset | PaginationStyle::Page => {
            // Without a "more" flag, a short or empty page is the last one.
            let more = has_more.unwrap_or_else(|| {
                page_len > 0
                    && requested_size(pagination, limit).is_none_or(|size| page_len >= size)
            });
            if !more {
                return Ok(None);
            }
            Ok(Some(match pagination.style {
                PaginationStyle::Offset => Position::Offset(
                    next_value
                        .and_then(Value::as_u64)
                        .unwrap_or(current_offset(at).saturating_add(page_len)),
                ),
                _ => Position::Page(match at {
                    Position::Page(n) => n.saturating_add(1),
                    // Page numbers are 1-based, so the first page's successor is 2.
                    _ => 2,
                }),
            }))
        }
    }
}

/// A cursor or link as text; empty values mean "no next page".
fn token_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const CURSOR: Pagination = Pagination {
        style: PaginationStyle::Cursor,
        results: "/results",
        param: Some("after"),
        next: Some("/paging/next/after"),
        has_more: None,
        limit_param: Some("limit"),
        limit_header: None,
        max_limit: Some(100),
    };

    const NEXT_URL: Pagination = Pagination {
        style: PaginationStyle::NextUrl,
        results: "/records",
        param: None,
        next: Some("/nextRecordsUrl"),
        has_more: None,
        limit_param: None,
        limit_header: Some(("Batch-Options", "batchSize={limit}", 200)),
        max_limit: Some(2000),
    };

    const OFFSET: Pagination = Pagination {
        style: PaginationStyle::Offset,
        results: "/items",
        param: Some("offset"),
        next: None,
        has_more: Some("/has_more"),
        limit_param: Some("count"),
        limit_header: None,
        max_limit: None,
    };

    const PAGE: Pagination = Pagination {
        style: PaginationStyle::Page,
        results: "/items",
        param: Some("page"),
        next: None,
        has_more: None,
        limit_param: Some("per_page"),
        limit_header: None,
        max_limit: None,
    };

    fn base() -> Url {
        Url::parse("https://api.example.test").unwrap_or_else(|_| unreachable!())
    }

    fn first() -> CursorState {
        CursorState {
            at: Position::First,
            skip: 0,
        }
    }

    fn ids(page: &Page) -> Vec<i64> {
        page.records
            .iter()
            .filter_map(|r| r["id"].as_i64())
            .collect()
    }

    #[test]
    fn limits_are_capped_and_raised_to_the_minimum() {
        assert_eq!(
            limit_query(&CURSOR, Some(500)),
            Some(("limit", "100".to_owned()))
        );
        assert_eq!(limit_query(&CURSOR, None), None);
        assert_eq!(
            limit_header(&NEXT_URL, Some(5)),
            Some(("Batch-Options", "batchSize=200".to_owned()))
        );
        assert_eq!(
            limit_header(&NEXT_URL, Some(300)),
            Some(("Batch-Options", "batchSize=300".to_owned()))
        );
    }

    #[test]
    fn cursor_style_follows_the_vendor_cursor() {
        let body = json!({"results": [{"id": 1}, {"id": 2}], "paging": {"next": {"after": "2"}}});
        let page = page(&CURSOR, body, &first(), Some(2), &base());
        assert_eq!(
            page.map(|p| p.next),
            Ok(Some(CursorState {
                at: Position::Token("2".to_owned()),
                skip: 0
            }))
        );
        let last = super::page(&CURSOR, json!({"results": []}), &first(), None, &base());
        assert_eq!(
            last,
            Ok(Page {
                records: vec![],
                next: None
            })
        );
        let missing = super::page(&CURSOR, json!({}), &first(), None, &base());
        assert_eq!(missing.map(|p| p.records.len()), Ok(0));
        let wrong = super::page(&CURSOR, json!({"results": {}}), &first(), None, &base());
        assert!(matches!(wrong, Err(ToolError::Transport(_))));
    }

    #[test]
    fn oversize_pages_resume_inside_the_same_page() {
        let records: Vec<Value> = (0..5).map(|id| json!({"id": id})).collect();
        let body = json!({"records": records, "nextRecordsUrl": "/next/2"});
        let one = page(&NEXT_URL, body.clone(), &first(), Some(2), &base());
        let Ok(one) = one else { panic!("page") };
        assert_eq!(ids(&one), vec![0, 1]);
        let Some(state) = one.next else {
            panic!("more")
        };
        assert_eq!(
            state,
            CursorState {
                at: Position::First,
                skip: 2
            }
        );
        let Ok(two) = page(&NEXT_URL, body.clone(), &state, Some(2), &base()) else {
            panic!("page")
        };
        assert_eq!(ids(&two), vec![2, 3]);
        let Some(state) = two.next else {
            panic!("more")
        };
        let Ok(three) = page(&NEXT_URL, body, &state, Some(2), &base()) else {
            panic!("page")
        };
        assert_eq!(ids(&three), vec![4]);
        assert_eq!(
            three.next,
            Some(CursorState {
                at: Position::Url("https://api.example.test/next/2".to_owned()),
                skip: 0
            })
        );
    }

    #[test]
    fn next_urls_must_stay_on_the_base_url() {
        for link in [
            "https://evil.test/next",
            "//evil.test/next",
            "http://api.example.test/next",
            "https://api.example.test:8443/next",
        ] {
            let body = json!({"records": [], "nextRecordsUrl": link});
            assert!(
                matches!(
                    page(&NEXT_URL, body, &first(), None, &base()),
                    Err(ToolError::Transport(_))
                ),
                "{link}"
            );
        }
        let scoped = Url::parse("https://api.example.test/v1/").unwrap_or_else(|_| unreachable!());
        assert!(resolve_next_url(&scoped, "/v1/next").is_ok());
        assert!(resolve_next_url(&scoped, "/v1/../admin").is_err());
        assert!(resolve_next_url(&scoped, "/v1/%2e%2e/admin").is_err());
    }

    #[test]
    fn offset_and_page_styles_count_forward() {
        let body = json!({"items": [{"id": 1}, {"id": 2}, {"id": 3}], "has_more": true});
        let state = CursorState {
            at: Position::Offset(10),
            skip: 0,
        };
        assert_eq!(
            page(&OFFSET, body.clone(), &state, None, &base()).map(|p| p.next),
            Ok(Some(CursorState {
                at: Position::Offset(13),
                skip: 0
            }))
        );
        assert_eq!(
            page(&OFFSET, body, &state, Some(1), &base()).map(|p| p.next),
            Ok(Some(CursorState {
                at: Position::Offset(11),
                skip: 0
            }))
        );
        let done = json!({"items": [{"id": 1}], "has_more": false});
        assert_eq!(
            page(&OFFSET, done, &state, None, &base()).map(|p| p.next),
            Ok(None)
        );
        let full = json!({"items": [{"id": 1}, {"id": 2}]});
        assert_eq!(
            page(&PAGE, full.clone(), &first(), Some(2), &base()).map(|p| p.next),
            Ok(Some(CursorState {
                at: Position::Page(2),
                skip: 0
            }))
        );
        let state = CursorState {
            at: Position::Page(2),
            skip: 0,
        };
        assert_eq!(
            page(&PAGE, full, &state, Some(3), &base()).map(|p| p.next),
            Ok(None)
        );
    }

    #[test]
    fn huge_vendor_offsets_do_not_overflow() {
        let state = CursorState {
            at: Position::Offset(u64::MAX),
            skip: 0,
        };
        let body = json!({"items": [{"id": 1}, {"id": 2}], "has_more": true});
        assert_eq!(
            page(&OFFSET, body.clone(), &state, Some(1), &base()).map(|p| p.next),
            Ok(Some(CursorState {
                at: Position::Offset(u64::MAX),
                skip: 0
            }))
        );
        assert!(page(&OFFSET, body, &state, None, &base()).is_ok());
    }

    #[test]
    fn positions_become_query_parameters() {
        assert_eq!(
            position_query(&CURSOR, &Position::Token("abc".to_owned())),
            Ok(Some(("after", "abc".to_owned())))
        );
        assert_eq!(position_query(&CURSOR, &Position::First), Ok(None));
        assert!(position_query(&NEXT_URL, &Position::Offset(3)).is_err());
    }
}
