//! Zendesk's two list paginations, per "Paginating through lists using cursor pagination" and
//! "Comparing cursor pagination and offset pagination": with `page[size]` (at most 100) a list is
//! cursor-paged (`page[after]` / `page[before]`, answered with `meta {has_more, after_cursor,
//! before_cursor}` and `links {next, prev}`); without it, offset-paged (`page`, `per_page` at most
//! 100, answered with `next_page`, `previous_page` and `count`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::{ZdError, invalid_pagination};
use crate::web::{Params, encode_component};

/// Largest page either pagination serves (and the default size of offset pages).
const MAX_SIZE: usize = 100;

/// How a list request asked to be paged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paging {
    /// `page[size]`, optionally `page[after]` or `page[before]` (ids the cursors stand for).
    Cursor {
        size: usize,
        after: Option<u64>,
        before: Option<u64>,
    },
    /// `page` (from 1) and `per_page`.
    Offset { page: usize, per_page: usize },
}

/// An opaque cursor for the record with `id`.
fn encode_cursor(id: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{{\"o\":\"id\",\"v\":{id}}}"))
}

fn decode_cursor(text: &str) -> Result<u64, ZdError> {
    let invalid = || invalid_pagination("page[after] and page[before] must be cursors from meta");
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .map_err(|_| invalid())?;
    let decoded = String::from_utf8(bytes).map_err(|_| invalid())?;
    decoded
        .strip_prefix("{\"o\":\"id\",\"v\":")
        .and_then(|rest| rest.strip_suffix('}'))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(invalid)
}

fn size(text: &str, name: &str) -> Result<usize, ZdError> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_SIZE).contains(&n) => Ok(n),
        _ => Err(invalid_pagination(&format!(
            "{name} must be an integer from 1 to {MAX_SIZE}"
        ))),
    }
}

impl Paging {
    /// From the query: cursor paging when any `page[...]` parameter is present.
    pub(crate) fn from_params(params: &Params) -> Result<Self, ZdError> {
        let cursor = params.pairs().iter().any(|(k, _)| k.starts_with("page["));
        if cursor {
            let size = match params.get("page[size]") {
                Some(text) => size(text, "page[size]")?,
                None => MAX_SIZE,
            };
            let after = params.get("page[after]").map(decode_cursor).transpose()?;
            let before = params.get("page[before]").map(decode_cursor).transpose()?;
            if after.is_some() && before.is_some() {
                return Err(invalid_pagination(
                    "page[after] and page[before] cannot be used together",
                ));
            }
            return Ok(Self::Cursor {
                size,
                after,
                before,
            });
        }
        let page = match params.get("page") {
            None => 1,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => return Err(invalid_pagination("page must be a positive integer")),
            },
        };
        let per_page = match params.get("per_page") {
            None => MAX_SIZE,
            // Offset paging caps `per_page` at 100 rather than refusing larger values.
            Some(text) => match text.trim().parse::<usize>() {
                Ok(n) if n >= 1 => n.min(MAX_SIZE),
                _ => return Err(invalid_pagination("per_page must be a positive integer")),
            },
        };
        Ok(Self::Offset { page, per_page })
    }
}

/// One page of a list of `ids` (ascending), and the envelope fields that describe it.
pub(crate) struct Page {
    /// Indices into the list, in order.
    pub(crate) range: std::ops::Range<usize>,
    /// `meta` and `links` (cursor) or `next_page`, `previous_page`, `count` (offset).
    pub(crate) extra: Map<String, Value>,
}

/// `url` of this list (`base` + `path`) with `params` minus the paging ones plus `paging`.
fn link(base: &str, path: &str, params: &Params, paging: &[(&str, String)]) -> String {
    let mut query: Vec<String> = params
        .pairs()
        .iter()
        .filter(|(k, _)| !k.starts_with("page") && k != "per_page")
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect();
    query.extend(
        paging
            .iter()
            .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v))),
    );
    format!("{base}{path}?{}", query.join("&"))
}

/// Pages `ids` as `paging` asks; links are built on `base` + `path` with the other `params`.
pub(crate) fn page(ids: &[u64], paging: Paging, base: &str, path: &str, params: &Params) -> Page {
    let total = ids.len();
    match paging {
        Paging::Cursor {
            size,
            after,
            before,
        } => {
            let (range, has_more) = match (after, before) {
                (_, Some(before)) => {
                    let end = ids.partition_point(|&id| id < before);
                    let start = end.saturating_sub(size);
                    (start..end, start > 0)
                }
                (after, None) => {
                    let start = after.map_or(0, |a| ids.partition_point(|&id| id <= a));
                    let end = start.saturating_add(size).min(total);
                    (start..end, end < total)
                }
            };
            let first = ids.get(range.start).filter(|_| !range.is_empty()).copied();
            let last = range
                .end
                .checked_sub(1)
                .and_then(|i| ids.get(i))
                .filter(|_| !range.is_empty())
                .copied();
            let after_cursor = last.map(encode_cursor);
            let before_cursor = first.map(encode_cursor);
            let size_text = size.to_string();
            let next = after_cursor.as_ref().map(|c| {
                link(
                    base,
                    path,
                    params,
                    &[
                        ("page[size]", size_text.clone()),
                        ("page[after]", c.clone()),
                    ],
                )
            });
            let prev = before_cursor.as_ref().map(|c| {
                link(
                    base,
                    path,
                    params,
                    &[
                        ("page[size]", size_text.clone()),
                        ("page[before]", c.clone()),
                    ],
                )
            });
            let mut extra = Map::new();
            extra.insert(
                "meta".into(),
                json!({"has_more": has_more, "after_cursor": after_cursor, "before_cursor": before_cursor}),
            );
            extra.insert("links".into(), json!({"prev": prev, "next": next}));
            Page { range, extra }
        }
        Paging::Offset { page, per_page } => {
            let start = (page - 1).saturating_mul(per_page).min(total);
            let end = start.saturating_add(per_page).min(total);
            let next = (end < total).then(|| {
                link(
                    base,
                    path,
                    params,
                    &[
                        ("page", page.saturating_add(1).to_string()),
                        ("per_page", per_page.to_string()),
                    ],
                )
            });
            let previous = (page > 1).then(|| {
                link(
                    base,
                    path,
                    params,
                    &[
                        ("page", (page - 1).to_string()),
                        ("per_page", per_page.to_string()),
                    ],
                )
            });
            let mut extra = Map::new();
            extra.insert("next_page".into(), json!(next));
            extra.insert("previous_page".into(), json!(previous));
            extra.insert("count".into(), json!(total));
            Page {
                range: start..end,
                extra,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        assert!(matches!(decode_cursor(&encode_cursor(42)), Ok(42)));
        assert!(decode_cursor("not a cursor").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("{\"o\":\"id\",\"v\":-1}")).is_err());
    }

    #[test]
    fn cursor_pages_walk_both_ways() {
        let ids: Vec<u64> = (1..=5).collect();
        let params = Params::default();
        let first = page(
            &ids,
            Paging::Cursor {
                size: 2,
                after: None,
                before: None,
            },
            "http://h",
            "/l",
            &params,
        );
        assert_eq!(first.range, 0..2);
        assert_eq!(first.extra["meta"]["has_more"], json!(true));
        let last = page(
            &ids,
            Paging::Cursor {
                size: 2,
                after: Some(4),
                before: None,
            },
            "http://h",
            "/l",
            &params,
        );
        assert_eq!(last.range, 4..5);
        assert_eq!(last.extra["meta"]["has_more"], json!(false));
        let back = page(
            &ids,
            Paging::Cursor {
                size: 2,
                after: None,
                before: Some(5),
            },
            "http://h",
            "/l",
            &params,
        );
        assert_eq!(back.range, 2..4);
    }
}
