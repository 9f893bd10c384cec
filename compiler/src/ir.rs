//! The intermediate representation: checked definitions lowered to exactly what the emitters need.
//! No spans, no options left to resolve; every list sorted.

use serde_json::Value;

pub use crate::model::{MethodKind, PaginationStyle};

/// Every integration and unified model, sorted by name.
#[derive(Debug)]
pub struct Catalog {
    /// The integrations.
    pub integrations: Vec<IntegrationIr>,
    /// The unified models, sorted by category then name.
    pub models: Vec<ModelIr>,
}

/// A unified model.
#[derive(Debug)]
pub struct ModelIr {
    /// snake_case singular name.
    pub name: String,
    /// snake_case plural.
    pub plural: String,
    /// Category name.
    pub category: String,
    /// What the record is.
    pub description: String,
    /// Top-level fields marked personal data, sorted.
    pub pii_fields: Vec<String>,
    /// Record-relative paths of every field marked personal data, nested ones included, sorted (see
    /// [`ToolIr::pii`]).
    pub pii_paths: Vec<String>,
    /// Whether its records are mostly personal data (see [`ToolIr::mostly_pii`]).
    pub mostly_pii: bool,
    /// JSON Schema (2020-12) of one record.
    pub schema: Value,
    /// The unified tools over this model (list, get, create, update, delete), sorted by name.
    /// The object field naming the record these live inside (`ticket`), for child records.
    pub parent: Option<String>,
    pub tools: Vec<ModelToolIr>,
}

/// One unified tool over a model: the same name, schemas and description for every integration that
/// maps the model.
#[derive(Clone, Debug)]
pub struct ModelToolIr {
    /// Tool name (`list_all_crm_contacts`).
    pub name: String,
    /// Method kind.
    pub kind: MethodKind,
    /// Title for people.
    pub title: String,
    /// Description for agents.
    pub description: String,
    /// JSON Schema of the arguments.
    pub input_schema: Value,
    /// JSON Schema of the result envelope.
    pub output_schema: Value,
}

/// One integration.
#[derive(Debug)]
pub struct IntegrationIr {
    /// snake_case id.
    pub name: String,
    /// Vendor name.
    pub display_name: String,
    /// What the API is.
    pub description: String,
    /// Categories, sorted.
    pub categories: Vec<String>,
    /// API reference URL.
    pub docs_url: String,
    /// Default origin, maybe with `{variable}` placeholders.
    pub base_url: String,
    /// `(name, description, pattern)` of each base URL variable, in declaration order.
    pub base_url_variables: Vec<(String, String, String)>,
    /// Authentication.
    pub auth: AuthIr,
    /// Rate-limit headers.
    pub rate_limit_headers: Vec<RateLimitHeaderIr>,
    /// `(status, code)` pairs meaning "rate limited".
    pub limited_when: Vec<(u16, Option<String>)>,
    /// Where error answers keep their message, code and field errors.
    pub errors: ErrorRulesIr,
    /// Tools, sorted by name.
    pub tools: Vec<ToolIr>,
    /// Methods skipped for lack of documentation (`resource.method`), sorted.
    pub skipped: Vec<String>,
    /// Field maps onto unified models, sorted by model key.
    pub maps: Vec<UnifiedMapIr>,
}

impl IntegrationIr {
    /// For each scope `tool` needs, the broad scopes that grant it too (`broader_scopes`); scopes no
    /// broad scope covers are left out.
    pub fn broader_scopes_of<'a>(&'a self, tool: &'a ToolIr) -> Vec<(&'a str, Vec<&'a str>)> {
        let declared = self.auth.oauth2.iter().flat_map(|o| &o.broader_scopes);
        tool.scopes
            .iter()
            .filter_map(|scope| {
                let broad: Vec<&str> = declared
                    .clone()
                    .filter(|(_, covered)| covered.contains(scope))
                    .map(|(broad, _)| broad.as_str())
                    .collect();
                (!broad.is_empty()).then_some((scope.as_str(), broad))
            })
            .collect()
    }
}

/// One resource's maps onto one unified model.
#[derive(Debug)]
pub struct UnifiedMapIr {
    /// `<category>.<model>`.
    pub model: String,
    /// The resource serving it.
    pub resource: String,
    /// The documented type of one vendor record (`$` in response maps).
    pub record: crate::mapping::types::Ty,
    /// Unified field → parsed expression over the vendor record, in source order.
    pub response: Vec<(String, crate::mapping::ast::Expr)>,
    /// Vendor body target → parsed expression over the unified input, in source order.
    pub request: Vec<(crate::mapping::target::Target, crate::mapping::ast::Expr)>,
    /// The update-only request map, when there is one.
    pub update_request: Vec<(crate::mapping::target::Target, crate::mapping::ast::Expr)>,
    /// Whether the update map reads `current` (the stored record): the runtime reads it first.
    pub update_reads_current: bool,
    /// Arguments always passed to reads, as compact JSON object text.
    pub read_args: String,
    /// When the create answer holds only the id: the pointer to it.
    pub created_id: Option<String>,
    /// Whether updates read the record back.
    pub read_after_update: bool,
    /// The list method's parameter taking the parent record's id, for a model with a parent.
    pub parent_arg: Option<String>,
}

/// Authentication.
#[derive(Debug, Default)]
pub struct AuthIr {
    /// OAuth 2.0.
    pub oauth2: Option<OAuth2Ir>,
    /// Bearer token accepted.
    pub bearer: bool,
    /// API key: `(in_header, name, prefix)`.
    pub api_key: Option<(bool, String, String)>,
    /// Basic accepted.
    pub basic: bool,
}

/// OAuth 2.0.
#[derive(Debug)]
pub struct OAuth2Ir {
    /// Authorization URL.
    pub authorization_url: String,
    /// Token URL.
    pub token_url: String,
    /// Scope separator.
    pub scope_separator: String,
    /// PKCE required.
    pub pkce: bool,
    /// Refresh tokens rotate.
    pub refresh_token_rotates: bool,
    /// The app's credentials go in HTTP Basic (else in the form body).
    pub client_secret_basic: bool,
    /// Scopes always requested.
    pub default_scopes: Vec<String>,
    /// Extra authorization parameters, in source order.
    pub authorize_params: Vec<(String, String)>,
    /// Broad scopes and the method scopes each covers, in source order.
    pub broader_scopes: Vec<(String, Vec<String>)>,
    /// Token-response field with the base URL.
    pub base_url_from_token: Option<String>,
    /// The pattern a base URL from the token answer must match.
    pub base_url_pattern: Option<String>,
    /// Vendor-specific "dead refresh token" answers, in source order.
    pub dead_refresh_token: Vec<DeadRefreshTokenIr>,
}

/// One vendor-specific "dead refresh token" answer of a token endpoint.
#[derive(Debug)]
pub struct DeadRefreshTokenIr {
    /// HTTP status.
    pub status: u16,
    /// JSON Pointer into the error body.
    pub pointer: String,
    /// Values at the pointer meaning "dead", in source order.
    pub values: Vec<String>,
}

/// A rate-limit header.
#[derive(Debug)]
pub struct RateLimitHeaderIr {
    /// Lower-case name.
    pub name: String,
    /// `figure` name, or `None` for a pattern.
    pub figure: Option<&'static str>,
    /// Pattern, when not a single figure.
    pub pattern: Option<String>,
    /// `(figure, parameter name)` pairs of a structured header.
    pub structured: Option<Vec<(&'static str, String)>>,
    /// Time unit name.
    pub unit: &'static str,
}

/// One tool.
#[derive(Debug)]
pub struct ToolIr {
    /// Tool name.
    pub name: String,
    /// Title for people.
    pub title: String,
    /// Description for agents.
    pub description: String,
    /// Integration name.
    pub integration: String,
    /// Resource key.
    pub resource: String,
    /// Method key.
    pub method: String,
    /// Kind.
    pub kind: MethodKind,
    /// HTTP verb, upper-case.
    pub http: String,
    /// Path template.
    pub path: String,
    /// Arguments in the order path, query, body (each in source order).
    pub params: Vec<ParamIr>,
    /// Fixed query parameters.
    pub fixed_query: Vec<(String, String)>,
    /// The pattern of extra body properties, when the method takes them.
    pub extra_body: Option<String>,
    /// Paging.
    pub pagination: Option<PaginationIr>,
    /// Scopes, sorted and deduplicated.
    pub scopes: Vec<String>,
    /// Tags, sorted and deduplicated.
    pub tags: Vec<String>,
    /// MCP annotations.
    pub annotations: AnnotationsIr,
    /// JSON Schema of the arguments.
    pub input_schema: Value,
    /// JSON Schema of the result envelope.
    pub output_schema: Value,
    /// For unified tools: how the call runs through a proxy tool; `None` for proxy tools.
    pub unified: Option<UnifiedRouteIr>,
    /// Where personal data sits in the output records, sorted: JSON Pointers from one record (each
    /// element of `result` for list tools, `result` itself otherwise), `*` standing for every array
    /// element or every key of a free-form map.
    pub pii: Vec<String>,
    /// Whether the output is mostly personal data: the records carry marks, and they are records of a
    /// unified model more than half of whose fields that are not `read_only` are or hold personal data
    /// (proxy tools over a resource mapped onto such a model too), or, for a resource mapped onto no
    /// model, the record's own top-level fields pass the same test.
    pub mostly_pii: bool,
}

/// How a unified tool runs for one integration.
#[derive(Clone, Debug)]
pub struct UnifiedRouteIr {
    /// `<category>.<model>`.
    pub model: String,
    /// Where the shared schema file lives (`generated/schemas/unified/crm/contact/<tool>.json`).
    pub schema_path: String,
    /// The proxy tool making the request.
    pub proxy: String,
    /// Arguments always passed on reads, as compact JSON object text.
    pub read_args: String,
    /// Top-level fields every unified record must have.
    pub required: Vec<String>,
    /// For writes whose answer is not the whole record: the get tool (which takes the id as `id`, like
    /// every get tool), and for creates the pointer to the new id.
    pub read_back: Option<(String, Option<String>)>,
    /// For updates whose map reads the stored record: the get tool that reads it.
    pub current_get: Option<String>,
    /// For a list of child records: (the unified argument, the proxy argument it fills, the model field
    /// naming the parent).
    pub parent: Option<(String, String, String)>,
}

/// One argument.
#[derive(Clone, Debug)]
pub struct ParamIr {
    /// The argument name agents send (`id` for the record's id of a get, update or delete).
    pub name: String,
    /// The vendor's name in the request (`contactId` in `/contacts/{contactId}`); usually `name`.
    pub wire: String,
    /// `path`, `query` or `body`.
    pub location: ParamLocation,
    /// Array query parameters joined with commas.
    pub comma_joined: bool,
}

/// Where an argument goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamLocation {
    /// Path.
    Path,
    /// Query.
    Query,
    /// Body.
    Body,
}

/// Paging of a list tool.
#[derive(Clone, Debug)]
pub struct PaginationIr {
    /// Style.
    pub style: PaginationStyle,
    /// Pointer to records.
    pub results: String,
    /// Cursor/offset/page parameter.
    pub param: Option<String>,
    /// Pointer to next cursor or URL.
    pub next: Option<String>,
    /// Pointer to "more pages".
    pub has_more: Option<String>,
    /// Page-size parameter.
    pub limit_param: Option<String>,
    /// Page-size header `(name, value, min)`.
    pub limit_header: Option<(String, String, u32)>,
    /// Largest page size.
    pub max_limit: Option<u32>,
}

/// MCP annotations.
#[derive(Clone, Copy, Debug)]
pub struct AnnotationsIr {
    /// readOnlyHint.
    pub read_only: bool,
    /// destructiveHint.
    pub destructive: bool,
    /// idempotentHint.
    pub idempotent: bool,
    /// openWorldHint.
    pub open_world: bool,
}

/// Where error answers keep their message, code and field errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRulesIr {
    /// Message pointers, tried in order.
    pub message: Vec<String>,
    /// Code pointers, tried in order.
    pub code: Vec<String>,
    /// Field errors.
    pub fields: Option<FieldErrorsIr>,
    /// Per-status rules, by status.
    pub by_status: Vec<StatusErrorsIr>,
}

/// Where field errors are listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldErrorsIr {
    /// Pointer to the list or object.
    pub at: String,
    /// Pointer to one error's message.
    pub message: Option<String>,
    /// Pointer to one error's field name(s).
    pub field: Option<String>,
}

/// Error rules for one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusErrorsIr {
    /// The status.
    pub status: u16,
    /// Message pointers (empty: the integration's).
    pub message: Vec<String>,
    /// Code pointers (empty: the integration's).
    pub code: Vec<String>,
    /// Field errors (`None`: the integration's).
    pub fields: Option<FieldErrorsIr>,
}
