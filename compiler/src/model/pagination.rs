//! Pagination rules: how a list method walks pages.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::span::Sp;

/// How a list method asks for the next page and finds the results.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaginationRule {
    /// The paging style.
    pub style: Sp<PaginationStyle>,
    /// JSON Pointer to the array of records in a page (`/results`, `/records`).
    pub results: Sp<String>,
    /// `cursor`: the query parameter that carries the cursor (`after`). Must be a documented query
    /// parameter of every method using this rule.
    #[serde(default)]
    pub cursor_param: Option<Sp<String>>,
    /// `cursor`: JSON Pointer to the next cursor in a page (`/paging/next/after`); absent on the last page.
    #[serde(default)]
    pub next_cursor: Option<Sp<String>>,
    /// `next_url`: JSON Pointer to the URL of the next page (`/nextRecordsUrl`). The URL must stay on the
    /// account's base URL.
    #[serde(default)]
    pub next_url: Option<Sp<String>>,
    /// `offset`: the query parameter that carries the offset of the first record.
    #[serde(default)]
    pub offset_param: Option<Sp<String>>,
    /// `page`: the query parameter that carries the page number.
    #[serde(default)]
    pub page_param: Option<Sp<String>>,
    /// `offset` and `page` (and optionally `cursor`): JSON Pointer to a boolean that says whether more pages
    /// exist; a cursor rule with it stops when it is false even if the page still carries a cursor.
    #[serde(default)]
    pub has_more: Option<Sp<String>>,
    /// The query parameter that sets the page size (`limit`). Must be a documented query parameter of
    /// every method using this rule.
    #[serde(default)]
    pub limit_param: Option<Sp<String>>,
    /// A header that sets the page size instead of a query parameter.
    #[serde(default)]
    pub limit_header: Option<LimitHeader>,
    /// The largest page size the vendor accepts.
    #[serde(default)]
    pub max_limit: Option<u32>,
}

/// A header that sets the page size.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitHeader {
    /// Header name (`Sforce-Query-Options`).
    pub name: Sp<String>,
    /// Header value with `{limit}` where the page size goes (`batchSize={limit}`).
    pub value: Sp<String>,
    /// The smallest page size the vendor accepts in this header.
    #[serde(default)]
    pub min: Option<u32>,
}

/// Paging styles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaginationStyle {
    /// An opaque cursor from the response is sent back as a query parameter.
    Cursor,
    /// The response holds the URL (or path) of the next page.
    NextUrl,
    /// A record offset is sent as a query parameter.
    Offset,
    /// A page number is sent as a query parameter.
    Page,
}

impl PaginationStyle {
    /// The snake_case name used in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cursor => "cursor",
            Self::NextUrl => "next_url",
            Self::Offset => "offset",
            Self::Page => "page",
        }
    }
}
