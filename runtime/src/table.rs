//! The static tables `cargo xtask gen` compiles integration definitions into. The runtime executes them;
//! it never parses YAML.

/// One integration: a vendor API.
#[derive(Debug)]
pub struct Integration {
    /// snake_case id (`hubspot`).
    pub name: &'static str,
    /// Vendor name for people (`HubSpot`).
    pub display_name: &'static str,
    /// What the vendor's API is.
    pub description: &'static str,
    /// Product categories (`crm`, …).
    pub categories: &'static [&'static str],
    /// The vendor's API reference.
    pub docs_url: &'static str,
    /// Default origin; a connected account may override it. May hold `{variable}` placeholders
    /// (`https://{subdomain}.example.com`), filled per account (see [`crate::base_url`]).
    pub base_url: &'static str,
    /// The variables of `base_url` (and of the OAuth endpoints), by name.
    pub base_url_variables: &'static [BaseUrlVariable],
    /// Accepted authentication schemes.
    pub auth: Auth,
    /// How to read rate-limit figures.
    pub rate_limit: RateLimit,
    /// How to read error answers.
    pub errors: ErrorRules,
    /// The tools, sorted by name.
    pub tools: &'static [Tool],
    /// Compiled field maps onto unified models, sorted by model.
    pub maps: &'static [UnifiedMap],
}

/// A variable of a base URL template.
#[derive(Debug)]
pub struct BaseUrlVariable {
    /// Its name, as written between braces.
    pub name: &'static str,
    /// What it is, for people (`Your subdomain: acme in acme.example.com`).
    pub description: &'static str,
    /// The pattern a value must match as a whole.
    pub pattern: &'static str,
}

/// One resource's compiled maps onto one unified model.
#[derive(Debug)]
pub struct UnifiedMap {
    /// `<category>.<model>` (`crm.contact`).
    pub model: &'static str,
    /// The resource whose tools serve it.
    pub resource: &'static str,
    /// Vendor record → unified record (nulls and empty strings dropped).
    pub from_vendor: fn(&serde_json::Value) -> serde_json::Value,
    /// Unified input → vendor request body (unset fields left out).
    pub to_vendor: fn(&serde_json::Value) -> serde_json::Value,
}

/// Accepted authentication schemes.
#[derive(Debug)]
pub struct Auth {
    /// OAuth 2.0, when accepted.
    pub oauth2: Option<OAuth2>,
    /// Whether a static bearer token is accepted.
    pub bearer: bool,
    /// API key placement, when accepted.
    pub api_key: Option<ApiKey>,
    /// Whether HTTP Basic is accepted.
    pub basic: bool,
}

impl Auth {
    /// Whether bearer tokens are accepted: static ones, or OAuth access tokens.
    pub fn accepts_bearer(&self) -> bool {
        self.bearer || self.oauth2.is_some()
    }
}

/// OAuth 2.0 settings.
#[derive(Debug)]
pub struct OAuth2 {
    /// Where users grant access.
    pub authorization_url: &'static str,
    /// Where tokens are exchanged.
    pub token_url: &'static str,
    /// How scopes are joined.
    pub scope_separator: &'static str,
    /// Whether PKCE is required.
    pub pkce: bool,
    /// Whether refresh tokens rotate.
    pub refresh_token_rotates: bool,
    /// How the app authenticates at the token endpoint.
    pub client_authentication: ClientAuthentication,
    /// Scopes always requested.
    pub default_scopes: &'static [&'static str],
    /// Extra authorization URL parameters.
    pub authorize_params: &'static [(&'static str, &'static str)],
    /// Token-response field holding the account's base URL.
    pub base_url_from_token: Option<&'static str>,
    /// The pattern a base URL from the token answer must match as a whole.
    pub base_url_pattern: Option<&'static str>,
    /// Vendor-specific answers meaning the refresh token is dead, besides the standard `invalid_grant`.
    pub dead_refresh_token: &'static [DeadRefreshToken],
}

impl OAuth2 {
    /// Whether a refresh answered with `status` and error `body` says the refresh token is dead (revoked,
    /// expired, reused), so the account needs re-authorization rather than a later retry: the standard
    /// `{"error": "invalid_grant"}` (RFC 6749 §5.2) with status 400 or 401, or a declared vendor rule.
    pub fn is_dead_refresh_token(&self, status: u16, body: &serde_json::Value) -> bool {
        let standard = matches!(status, 400 | 401)
            && body.get("error").and_then(serde_json::Value::as_str) == Some("invalid_grant");
        standard
            || self.dead_refresh_token.iter().any(|rule| {
                rule.status == status
                    && body
                        .pointer(rule.pointer)
                        .and_then(serde_json::Value::as_str)
                        .is_some_and(|v| rule.values.contains(&v))
            })
    }
}

/// How an app authenticates at a token endpoint (RFC 6749 §2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuthentication {
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    Post,
    /// HTTP Basic (`client_secret_basic`).
    Basic,
}

/// A vendor-specific token-endpoint answer meaning the refresh token is dead.
#[derive(Debug)]
pub struct DeadRefreshToken {
    /// HTTP status of the answer.
    pub status: u16,
    /// JSON Pointer into the error body.
    pub pointer: &'static str,
    /// Values at the pointer that mean "dead".
    pub values: &'static [&'static str],
}

/// Where an API key goes.
#[derive(Debug)]
pub struct ApiKey {
    /// In a header (`true`) or a query parameter (`false`).
    pub in_header: bool,
    /// Header or parameter name.
    pub name: &'static str,
    /// Text before the key in a header.
    pub prefix: &'static str,
}

/// How to read rate-limit figures and recognise a rate-limited answer.
#[derive(Debug)]
pub struct RateLimit {
    /// Headers carrying figures.
    pub headers: &'static [RateLimitHeader],
    /// `(status, vendor error code)` pairs meaning "rate limited"; empty means 429 alone.
    pub limited_when: &'static [(u16, Option<&'static str>)],
}

/// One header carrying rate-limit figures.
#[derive(Debug)]
pub struct RateLimitHeader {
    /// Header name, lower-case.
    pub name: &'static str,
    /// How to read the value.
    pub read: HeaderRead,
    /// Unit of reset and retry figures.
    pub unit: TimeUnit,
}

/// How a rate-limit header's value is read.
#[derive(Debug)]
pub enum HeaderRead {
    /// The whole value is one figure.
    Figure(Figure),
    /// A pattern with `{figure}` placeholders.
    Pattern(&'static str),
    /// `key=value` parameters in any order, separated by `,` or `;` (the IETF `RateLimit` fields):
    /// which (lower-case) key gives which figure.
    Structured(&'static [(Figure, &'static str)]),
}

/// A rate-limit figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// Requests allowed in the window.
    Limit,
    /// Requests left.
    Remaining,
    /// Requests used.
    Used,
    /// When the window resets.
    Reset,
    /// How long to wait.
    RetryAfter,
}

/// Unit of a time figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds from now.
    Seconds,
    /// Milliseconds from now.
    Milliseconds,
    /// Unix time in seconds.
    EpochSeconds,
    /// Unix time in milliseconds.
    EpochMilliseconds,
}

/// Where an error answer keeps its message, code and field errors.
#[derive(Debug)]
pub struct ErrorRules {
    /// JSON Pointers to the message: the first that holds text wins.
    pub message: &'static [&'static str],
    /// JSON Pointers to the vendor code: the first that holds text wins.
    pub code: &'static [&'static str],
    /// Where field-level errors are listed, when the vendor lists them.
    pub fields: Option<FieldErrorRules>,
    /// Rules for answers with a given status, where the vendor shapes those differently; what a rule
    /// leaves empty comes from the rules above.
    pub by_status: &'static [StatusErrorRules],
}

/// Where an error answer lists its field errors.
#[derive(Debug)]
pub struct FieldErrorRules {
    /// JSON Pointer to them: an object keyed by field name (each value a message, a list of
    /// messages, or a list of objects holding one at `message`), or an array of objects naming
    /// their field(s) at `field`.
    pub at: &'static str,
    /// Within one error object, the JSON Pointer to its message.
    pub message: Option<&'static str>,
    /// Within one error object of an array, the JSON Pointer to its field name or names.
    pub field: Option<&'static str>,
}

/// Error rules for one status.
#[derive(Debug)]
pub struct StatusErrorRules {
    /// The HTTP status.
    pub status: u16,
    /// Message pointers (empty: the integration's).
    pub message: &'static [&'static str],
    /// Code pointers (empty: the integration's).
    pub code: &'static [&'static str],
    /// Field errors (`None`: the integration's).
    pub fields: Option<FieldErrorRules>,
}

/// One tool: a documented vendor method.
#[derive(Debug)]
pub struct Tool {
    /// Tool name (`list_all_hub_spot_contacts`).
    pub name: &'static str,
    /// Short title for people.
    pub title: &'static str,
    /// What the tool does, for agents.
    pub description: &'static str,
    /// The integration's name.
    pub integration: &'static str,
    /// Resource key (`contacts`).
    pub resource: &'static str,
    /// Method key (`list`, or a custom name).
    pub method: &'static str,
    /// Method kind.
    pub kind: MethodKind,
    /// HTTP verb.
    pub http: HttpVerb,
    /// Path below the base URL, with `{param}` placeholders.
    pub path: &'static str,
    /// Arguments and where each goes.
    pub params: &'static [Param],
    /// Query parameters always sent.
    pub fixed_query: &'static [(&'static str, &'static str)],
    /// The pattern naming extra body properties (custom fields by key), when the method takes them:
    /// arguments beyond `params` (the input schema admits only those that match) go into the body.
    pub extra_body: Option<&'static str>,
    /// Paging, for list tools.
    pub pagination: Option<Pagination>,
    /// OAuth scopes needed.
    pub scopes: &'static [&'static str],
    /// For a needed scope, the broader scopes that grant it as well (a vendor's `read` for
    /// `tickets:read`); scopes without any are not listed.
    pub broader_scopes: &'static [(&'static str, &'static [&'static str])],
    /// Tags servers filter by.
    pub tags: &'static [&'static str],
    /// MCP annotations.
    pub annotations: Annotations,
    /// `{"inputSchema": …, "outputSchema": …}` as JSON text.
    pub schema: &'static str,
    /// For unified tools, how the call runs; `None` for proxy tools.
    pub unified: Option<UnifiedRoute>,
    /// Where personal data sits in the output, sorted: JSON Pointers (RFC 6901) relative to one record
    /// (each element of the envelope's `result` for list tools, `result` itself otherwise), where a
    /// `*` token stands for every element of an array and every key of an object. A path inside
    /// another marked path is listed too. Empty when the output holds no field marked `pii`. See
    /// [`crate::redact`].
    pub pii: &'static [&'static str],
    /// Whether the output is mostly personal data (records of people, such as contacts and CRM users),
    /// decided when the tables are compiled; servers hiding personal-data tools hide these.
    pub mostly_pii: bool,
}

impl Tool {
    /// The scopes this tool needs that `granted` covers neither directly nor through a broader scope.
    pub fn missing_scopes(&self, granted: &[String]) -> Vec<&'static str> {
        let has = |scope: &str| granted.iter().any(|g| g == scope);
        self.scopes
            .iter()
            .copied()
            .filter(|&scope| {
                let broader = self
                    .broader_scopes
                    .iter()
                    .find(|(narrow, _)| *narrow == scope)
                    .map_or(&[][..], |(_, broad)| *broad);
                !has(scope) && !broader.iter().any(|b| has(b))
            })
            .collect()
    }

    /// Whether this is a unified (canonical-shape) tool rather than a vendor-shaped proxy tool.
    pub fn is_unified(&self) -> bool {
        self.unified.is_some()
    }

    /// `unified` or `proxy`, as metrics and audit name a tool's kind.
    pub fn kind_name(&self) -> &'static str {
        if self.is_unified() {
            "unified"
        } else {
            "proxy"
        }
    }
}

/// How a unified tool runs for one integration: through one of its proxy tools, with the compiled
/// maps turning the unified input into the vendor body and the vendor records into unified ones.
#[derive(Debug)]
pub struct UnifiedRoute {
    /// `<category>.<model>` (`crm.contact`).
    pub model: &'static str,
    /// The proxy tool that makes the request. For get, update and delete it takes the record's id as
    /// [`RECORD_ID_ARG`], like the unified tool.
    pub proxy: &'static str,
    /// Arguments always passed to the proxy when reading, as a JSON object (which fields to return).
    pub read_args: &'static str,
    /// For vendors whose write answers are not the record: how to read it back.
    pub read_back: Option<ReadBack>,
    /// Top-level fields every unified record must have (`id`).
    pub required: &'static [&'static str],
    /// Vendor record → unified record.
    pub from_vendor: fn(&serde_json::Value) -> serde_json::Value,
    /// Unified input → vendor request body.
    pub to_vendor: fn(&serde_json::Value) -> serde_json::Value,
    /// Updates with a map of their own: (fields given, the record as stored now in unified form) →
    /// vendor request body.
    pub to_vendor_update: Option<fn(&serde_json::Value, &serde_json::Value) -> serde_json::Value>,
    /// When the update map reads the stored record: the get tool to read it with first (it takes
    /// the record's id as [`RECORD_ID_ARG`]).
    pub current_get: Option<&'static str>,
    /// For a list of child records (a ticket's comments): where the parent's id goes.
    pub parent: Option<ParentArg>,
}

/// How a list of child records names its parent.
#[derive(Debug)]
pub struct ParentArg {
    /// The unified tool's argument (`ticket_id`).
    pub arg: &'static str,
    /// The proxy tool's argument it fills (the list method's parameter).
    pub proxy_arg: &'static str,
    /// The unified field set to `{"id": …}` on each record that does not name its parent itself.
    pub field: &'static str,
}

/// Reading a record back after a write whose answer is not the whole record.
#[derive(Debug)]
pub struct ReadBack {
    /// The get tool, which takes the record's id as [`RECORD_ID_ARG`].
    pub get: &'static str,
    /// For creates: JSON Pointer to the new record's id in the answer.
    pub created_id: Option<&'static str>,
}

/// Kinds of methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MethodKind {
    /// Lists records.
    List,
    /// Reads one record.
    Get,
    /// Creates a record.
    Create,
    /// Updates a record.
    Update,
    /// Deletes a record.
    Delete,
    /// Searches records.
    Search,
    /// Anything else.
    Custom,
}

/// HTTP verbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpVerb {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

/// The argument every get, update and delete tool (`get_single_…_by_id`, `update_a_…_by_id`,
/// `delete_a_…_by_id`) takes the record's id as, whatever the vendor calls it in its path.
pub const RECORD_ID_ARG: &str = "id";

/// One tool argument and where it goes in the request.
#[derive(Debug)]
pub struct Param {
    /// Argument name agents send (`id`).
    pub name: &'static str,
    /// The vendor's name for it in the request (`contactId` in `/contacts/{contactId}`); usually the
    /// same as `name`.
    pub wire: &'static str,
    /// Where it goes.
    pub location: ParamLocation,
    /// For arrays in the query: comma-joined (`true`) or repeated (`false`).
    pub comma_joined: bool,
}

/// Where an argument goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamLocation {
    /// Substituted into the path.
    Path,
    /// A query parameter.
    Query,
    /// A top-level property of the JSON body.
    Body,
}

/// How a list tool pages.
#[derive(Debug)]
pub struct Pagination {
    /// Paging style.
    pub style: PaginationStyle,
    /// JSON Pointer to the records in a page.
    pub results: &'static str,
    /// Query parameter carrying the cursor, offset or page number.
    pub param: Option<&'static str>,
    /// JSON Pointer to the next cursor or next URL.
    pub next: Option<&'static str>,
    /// JSON Pointer to a "more pages" boolean.
    pub has_more: Option<&'static str>,
    /// Query parameter setting the page size.
    pub limit_param: Option<&'static str>,
    /// Header setting the page size: `(name, value with {limit}, minimum)`.
    pub limit_header: Option<(&'static str, &'static str, u32)>,
    /// Largest page size.
    pub max_limit: Option<u32>,
}

/// Paging styles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaginationStyle {
    /// Opaque cursor sent back as a query parameter.
    Cursor,
    /// URL of the next page in the response.
    NextUrl,
    /// Record offset.
    Offset,
    /// Page number.
    Page,
}

/// MCP tool annotations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Annotations {
    /// Does not change anything.
    pub read_only: bool,
    /// May destroy data.
    pub destructive: bool,
    /// Repeating the call has no further effect.
    pub idempotent: bool,
    /// Talks to an outside system.
    pub open_world: bool,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{DeadRefreshToken, OAuth2};

    fn oauth(dead_refresh_token: &'static [DeadRefreshToken]) -> OAuth2 {
        OAuth2 {
            authorization_url: "https://example.com/authorize",
            token_url: "https://example.com/token",
            scope_separator: " ",
            pkce: false,
            refresh_token_rotates: false,
            client_authentication: super::ClientAuthentication::Post,
            default_scopes: &[],
            authorize_params: &[],
            base_url_from_token: None,
            base_url_pattern: None,
            dead_refresh_token,
        }
    }

    static BAD_REFRESH_TOKEN: &[DeadRefreshToken] = &[DeadRefreshToken {
        status: 400,
        pointer: "/status",
        values: &["BAD_REFRESH_TOKEN", "EXPIRED_REFRESH_TOKEN"],
    }];

    #[test]
    fn standard_invalid_grant_is_dead_without_any_rule() {
        let o = oauth(&[]);
        let body =
            json!({"error": "invalid_grant", "error_description": "expired access/refresh token"});
        assert!(o.is_dead_refresh_token(400, &body));
        assert!(o.is_dead_refresh_token(401, &body));
    }

    #[test]
    fn invalid_grant_with_a_server_error_status_is_not_dead() {
        let o = oauth(&[]);
        let body = json!({"error": "invalid_grant"});
        assert!(!o.is_dead_refresh_token(500, &body));
        assert!(!o.is_dead_refresh_token(200, &body));
    }

    #[test]
    fn other_standard_errors_are_not_dead() {
        let o = oauth(BAD_REFRESH_TOKEN);
        for error in [
            "invalid_client",
            "invalid_request",
            "temporarily_unavailable",
            "server_error",
        ] {
            assert!(
                !o.is_dead_refresh_token(400, &json!({"error": error})),
                "{error}"
            );
        }
        assert!(!o.is_dead_refresh_token(400, &json!({"error": {"code": "invalid_grant"}})));
        assert!(!o.is_dead_refresh_token(400, &json!("invalid_grant")));
        assert!(!o.is_dead_refresh_token(400, &serde_json::Value::Null));
    }

    #[test]
    fn a_declared_rule_matches_its_status_and_values() {
        let o = oauth(BAD_REFRESH_TOKEN);
        let body = json!({
            "status": "BAD_REFRESH_TOKEN",
            "message": "missing or unknown refresh token",
            "correlationId": "a4c5e5b0-0000-4000-8000-000000000000",
        });
        assert!(o.is_dead_refresh_token(400, &body));
        assert!(o.is_dead_refresh_token(400, &json!({"status": "EXPIRED_REFRESH_TOKEN"})));
    }

    #[test]
    fn a_declared_rule_needs_the_same_status_and_an_exact_string_value() {
        let o = oauth(BAD_REFRESH_TOKEN);
        let body = json!({"status": "BAD_REFRESH_TOKEN"});
        assert!(!o.is_dead_refresh_token(401, &body));
        assert!(!o.is_dead_refresh_token(503, &body));
        assert!(!o.is_dead_refresh_token(400, &json!({"status": "bad_refresh_token"})));
        assert!(!o.is_dead_refresh_token(400, &json!({"status": "BAD_CLIENT_ID"})));
        assert!(!o.is_dead_refresh_token(400, &json!({"status": ["BAD_REFRESH_TOKEN"]})));
        assert!(!o.is_dead_refresh_token(400, &json!({"message": "BAD_REFRESH_TOKEN"})));
    }

    #[test]
    fn without_a_rule_a_vendor_answer_is_not_dead() {
        let o = oauth(&[]);
        assert!(!o.is_dead_refresh_token(400, &json!({"status": "BAD_REFRESH_TOKEN"})));
    }
}
