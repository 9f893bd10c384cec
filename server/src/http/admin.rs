//! The admin API: what the operator's backend calls to connect customers' accounts, mint one MCP URL
//! per agent role, and manage API tokens, under `/admin`.
//!
//! - Off unless configured: without an admin token (and the operator's store) every `/admin` path
//!   answers the ordinary 404, as if it did not exist.
//! - Every route but the OpenAPI document wants `Authorization: Bearer <admin token>`; the server
//!   keeps only the token's SHA-256 and compares hashes in constant time. Anything else answers 401
//!   with `WWW-Authenticate: Bearer realm="switchboard-admin"`.
//! - `GET /admin/openapi.json` (the document describing this API, [`ADMIN_ROUTES`] and their
//!   shapes) is served without the token while the API is on: it holds no secret, and a client
//!   generator should not need one.
//! - Bodies are JSON; errors are `{"error": {"code", "message"}}` with a stable `code` (the list is in
//!   the OpenAPI document). Times are Unix seconds. Secrets (capability URLs, API tokens) appear in
//!   exactly one answer each, the one that creates them, and never in a log.
//! - A thing named in the path that does not exist answers 404 (`unknown_account`, …); one named in
//!   the body answers 422 with the same code.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;
use switchboard_oauth::{Connector, DEFAULT_LINK_TTL_SECS, LinkTarget};
use switchboard_runtime::filter::ToolFilter;
use switchboard_runtime::redact::Redaction;
use switchboard_runtime::table::Integration;
use switchboard_vault::{
    AccountSummary, ApiTokenRecord, Exposure, NewServer, ServerBinding, ServerOptions,
    ServerRecord, Store, StoreError, check_name, find_integration, now_unix, token_hash,
};

use super::HttpConfig;
use crate::mcp::binding::{RoleError, check_role};

/// The environment variable `switchboard serve` reads the admin token from, unless told otherwise.
pub const ADMIN_TOKEN_ENV: &str = "SWITCHBOARD_ADMIN_TOKEN";

/// Every admin route, as `(method, path)` in the router's (and the OpenAPI document's) syntax.
pub const ADMIN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/admin/accounts"),
    ("GET", "/admin/accounts/{id}"),
    ("DELETE", "/admin/accounts/{id}"),
    ("POST", "/admin/accounts/{id}/connect-link"),
    ("POST", "/admin/accounts/{id}/mcp-servers"),
    ("GET", "/admin/mcp-servers"),
    ("DELETE", "/admin/mcp-servers/{name}"),
    ("POST", "/admin/mcp-servers/{name}/revoke"),
    ("POST", "/admin/api-tokens"),
    ("GET", "/admin/api-tokens"),
    ("POST", "/admin/api-tokens/{name}/revoke"),
    ("GET", "/admin/openapi.json"),
];

/// The OpenAPI 3.1 document of the admin API (served with `servers` set to this server).
const OPENAPI: &str = include_str!("admin_openapi.json");

/// The `WWW-Authenticate` challenge of a refused admin request.
const CHALLENGE: &str = r#"Bearer realm="switchboard-admin""#;

/// Shortest admin token accepted: it is the key to every tenant, so it must not be guessable.
pub const MIN_ADMIN_TOKEN_LEN: usize = 32;

/// Longest connect link lifetime, seconds (30 days).
const MAX_LINK_TTL_SECS: i64 = 30 * 24 * 3600;

/// Shortest connect link lifetime, seconds.
const MIN_LINK_TTL_SECS: i64 = 60;

/// The admin token, kept as its SHA-256 only. Its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken {
    hash: [u8; 32],
}

/// Why an admin token was refused at startup.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdminTokenError {
    /// Too short to be safe.
    #[error(
        "the admin token is too short: use at least {MIN_ADMIN_TOKEN_LEN} random characters (e.g. `openssl rand -base64 32`)"
    )]
    TooShort,
    /// Whitespace or control characters, which no `Authorization` header carries intact.
    #[error("the admin token contains whitespace or control characters")]
    BadCharacters,
}

impl AdminToken {
    /// The admin token `token` (as read from the environment; trailing newlines are not trimmed).
    pub fn new(token: &str) -> Result<Self, AdminTokenError> {
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AdminTokenError::BadCharacters);
        }
        if token.len() < MIN_ADMIN_TOKEN_LEN {
            return Err(AdminTokenError::TooShort);
        }
        Ok(Self {
            hash: token_hash(token),
        })
    }

    /// The admin token whose SHA-256 is `hash` (for a token kept hashed in configuration).
    pub fn from_sha256(hash: [u8; 32]) -> Self {
        Self { hash }
    }

    /// Whether `presented` is the admin token, in time independent of where they differ.
    fn matches(&self, presented: &str) -> bool {
        bool::from(self.hash.ct_eq(&token_hash(presented)))
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// What admin handlers share.
struct Admin {
    token: AdminToken,
    store: Arc<Store>,
    /// Makes connect links (the operator's store's connector); `None` serves none.
    connector: Option<Arc<Connector>>,
    integrations: &'static [&'static Integration],
    /// `<public url>`, the base of the MCP URLs handed out.
    base_url: String,
    /// The OpenAPI document, rendered once.
    openapi: Bytes,
}

/// The `/admin` routes, or none when the admin API is off (no token or no store configured).
pub(crate) fn routes(config: &HttpConfig, integrations: &'static [&'static Integration]) -> Router {
    let (token, store) = match (&config.admin_token, &config.admin_store) {
        (Some(token), Some(store)) => (token.clone(), store.clone()),
        (Some(_), None) => {
            tracing::warn!("an admin token is configured but no store: the admin API is off");
            return Router::new();
        }
        _ => return Router::new(),
    };
    let base_url = config.base_url();
    let admin = Arc::new(Admin {
        token,
        store,
        connector: config.connectors.last().cloned(),
        integrations,
        openapi: openapi_document(&base_url),
        base_url,
    });
    Router::new()
        .route("/admin/accounts", get(list_accounts))
        .route(
            "/admin/accounts/{id}",
            get(get_account).delete(delete_account),
        )
        .route("/admin/accounts/{id}/connect-link", post(connect_link))
        .route("/admin/accounts/{id}/mcp-servers", post(create_server))
        .route("/admin/mcp-servers", get(list_servers))
        .route("/admin/mcp-servers/{name}", delete(delete_server))
        .route("/admin/mcp-servers/{name}/revoke", post(revoke_server))
        .route(
            "/admin/api-tokens",
            get(list_api_tokens).post(create_api_token),
        )
        .route("/admin/api-tokens/{name}/revoke", post(revoke_api_token))
        .route_layer(axum::middleware::from_fn_with_state(
            admin.clone(),
            authenticate,
        ))
        // Added after the authentication layer: the document holds no secret.
        .route("/admin/openapi.json", get(openapi))
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(axum::middleware::map_response(no_store))
        .with_state(admin)
}

/// The document with `servers` naming this server.
fn openapi_document(base_url: &str) -> Bytes {
    match serde_json::from_str::<Value>(OPENAPI) {
        Ok(mut document) => {
            document["servers"] = json!([{"url": base_url}]);
            Bytes::from(serde_json::to_vec(&document).unwrap_or_else(|_| OPENAPI.into()))
        }
        // Unreachable: a unit test parses the document.
        Err(_) => Bytes::from_static(OPENAPI.as_bytes()),
    }
}

/// Refuses requests without the admin token.
async fn authenticate(State(admin): State<Arc<Admin>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim_start())
        });
    let message = match presented {
        Some(token) if admin.token.matches(token) => return next.run(request).await,
        Some(_) => "the admin token is not valid",
        None => "send the admin token as `Authorization: Bearer <admin token>`",
    };
    tracing::info!(path = %request.uri().path(), "refused an admin request: {message}");
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(CHALLENGE),
    );
    response
}

/// Admin answers carry tokens and tenant data: never cached.
async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn method_not_allowed() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this admin route does not take that method (see /admin/openapi.json)",
    )
    .into_response()
}

async fn openapi(State(admin): State<Arc<Admin>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        admin.openapi.clone(),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// Errors

/// An admin error: `{"error": {"code", "message"}}` with a status (and, for accounts in use, the
/// servers using them).
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    servers: Option<Vec<String>>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            servers: None,
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server could not complete the request",
        )
    }

    /// The same error, answered 422: what it names came in the body, not the path.
    fn named_in_body(mut self) -> Self {
        if self.status == StatusCode::NOT_FOUND {
            self.status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(servers) = self.servers {
            error["servers"] = json!(servers);
        }
        (self.status, axum::Json(json!({ "error": error }))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        let message = error.to_string();
        match error {
            StoreError::InvalidName { .. } => Self::invalid(message),
            StoreError::DuplicateAccount(_)
            | StoreError::DuplicateServer(_)
            | StoreError::DuplicateApiToken(_)
            | StoreError::DuplicateApp(_)
            | StoreError::DuplicateDefaultApp(_)
            | StoreError::AccountOfAnotherUser(_) => {
                Self::new(StatusCode::CONFLICT, "conflict", message)
            }
            StoreError::AccountInUse { servers, .. } => Self {
                servers: Some(servers.split(", ").map(str::to_owned).collect()),
                ..Self::new(StatusCode::CONFLICT, "conflict", message)
            },
            StoreError::UnknownAccount { .. } => {
                Self::new(StatusCode::NOT_FOUND, "unknown_account", message)
            }
            StoreError::UnknownServer { .. } => {
                Self::new(StatusCode::NOT_FOUND, "unknown_server", message)
            }
            StoreError::UnknownApiToken { .. } => {
                Self::new(StatusCode::NOT_FOUND, "unknown_api_token", message)
            }
            StoreError::UnknownIntegration { .. } => {
                Self::unprocessable("unknown_integration", message)
            }
            StoreError::InvalidServer(_)
            | StoreError::UnknownApp { .. }
            | StoreError::UnsupportedCredential { .. }
            | StoreError::EmptySecret(_)
            | StoreError::InvalidBaseUrl(_)
            | StoreError::MissingBaseUrl { .. } => Self::unprocessable("invalid_request", message),
            StoreError::Open { .. }
            | StoreError::Key(_)
            | StoreError::WrongMasterKey { .. }
            | StoreError::Seal(_)
            | StoreError::Unseal(_)
            | StoreError::Corrupt { .. }
            | StoreError::Random(_)
            | StoreError::Database(_) => {
                tracing::error!(error = %message, "an admin request failed in the store");
                Self::internal()
            }
        }
    }
}

type Answer = Result<Response, ApiError>;

/// Runs store work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(error) => {
            tracing::error!(%error, "an admin store task failed");
            Err(ApiError::internal())
        }
    }
}

/// A JSON body, or `invalid_request` saying what is wrong with it.
fn parse_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            )
        } else {
            ApiError::invalid(format!("cannot read the request body: {rejection}"))
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid(
            "the request body is empty: send a JSON object (see /admin/openapi.json)",
        ));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::invalid(format!("the request body is not valid: {e}")))
}

fn created(body: Value) -> Response {
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

fn ok(body: Value) -> Response {
    (StatusCode::OK, axum::Json(body)).into_response()
}

// ---------------------------------------------------------------------------------------------
// Accounts

fn account_json(account: &AccountSummary) -> Value {
    json!({
        "id": account.id,
        "integration": account.integration,
        "user": account.user,
        "credential_kind": account.credential_kind,
        "status": account.status.as_str(),
        "granted_scopes": account.granted_scopes,
        "expires_at": account.expires_at,
        "created_at": account.created_at,
        "reauth_reason": account.reauth_reason,
        "base_url": account.base_url,
    })
}

/// `GET /admin/accounts`.
async fn list_accounts(State(admin): State<Arc<Admin>>) -> Answer {
    let store = admin.store.clone();
    let accounts = blocking(move || Ok(store.list_accounts()?)).await?;
    let accounts: Vec<Value> = accounts.iter().map(account_json).collect();
    Ok(ok(json!({ "accounts": accounts })))
}

/// `GET /admin/accounts/{id}`.
async fn get_account(State(admin): State<Arc<Admin>>, Path(id): Path<String>) -> Answer {
    let store = admin.store.clone();
    let account = blocking(move || Ok(store.require_account_summary(&id)?)).await?;
    Ok(ok(account_json(&account)))
}

/// `DELETE /admin/accounts/{id}`: 204, or 409 naming the servers that still use it.
async fn delete_account(State(admin): State<Arc<Admin>>, Path(id): Path<String>) -> Answer {
    let store = admin.store.clone();
    blocking(move || Ok(store.delete_account(&id)?)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The body of `POST /admin/accounts/{id}/connect-link`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectLinkRequest {
    integration: String,
    #[serde(default)]
    user: Option<String>,
    /// Exactly these scopes; else those of the tools `methods`, `tags` and `kinds` select.
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    methods: Option<Value>,
    #[serde(default)]
    tags: Option<Value>,
    #[serde(default)]
    kinds: Option<Value>,
    #[serde(default)]
    ttl_seconds: Option<i64>,
}

/// `POST /admin/accounts/{id}/connect-link`: a signed link a person opens to connect (or
/// reconnect) the account through the vendor's consent.
async fn connect_link(
    State(admin): State<Arc<Admin>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let request: ConnectLinkRequest = parse_body(body)?;
    let Some(connector) = admin.connector.clone() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "this server makes no connect links (no connect route is configured)",
        ));
    };
    check_name("account id", &id)?;
    if let Some(user) = &request.user {
        check_name("user", user)?;
    }
    let integration = find_integration(&request.integration, admin.integrations)?;
    if integration.auth.oauth2.is_none() {
        return Err(ApiError::unprocessable(
            "oauth_not_supported",
            format!(
                "integration `{}` does not connect through OAuth: add its accounts with `switchboard accounts add`",
                integration.name
            ),
        ));
    }
    let ttl = request.ttl_seconds.unwrap_or(DEFAULT_LINK_TTL_SECS);
    if !(MIN_LINK_TTL_SECS..=MAX_LINK_TTL_SECS).contains(&ttl) {
        return Err(ApiError::invalid(format!(
            "`ttl_seconds` must be between {MIN_LINK_TTL_SECS} and {MAX_LINK_TTL_SECS} (30 days)"
        )));
    }
    if let Some(scopes) = &request.scopes {
        for scope in scopes {
            if scope.is_empty()
                || scope
                    .chars()
                    .any(|c| c == ',' || c.is_whitespace() || c.is_control())
            {
                return Err(ApiError::invalid(format!(
                    "`scopes` holds `{scope}`, which is not a scope: give each scope as its own string"
                )));
            }
        }
    }
    let filter_given =
        request.methods.is_some() || request.tags.is_some() || request.kinds.is_some();
    let filter = tool_filter(
        request.methods.as_ref(),
        request.tags.as_ref(),
        request.kinds.as_ref(),
        "",
    )?;
    let store = admin.store.clone();
    let existing = {
        let id = id.clone();
        blocking(move || Ok(store.account_summary(&id)?)).await?
    };
    if let Some(account) = &existing {
        if account.integration != integration.name {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "account `{id}` is a {} account, not {}",
                    account.integration, integration.name
                ),
            ));
        }
        if request.user.is_some() && request.user != account.user {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("account `{id}` belongs to another user"),
            ));
        }
    }
    let scopes = match request.scopes {
        Some(scopes) => scopes,
        // A reconnect asks again for what was asked before; a new account for what its tools need.
        None if existing.is_some() && !filter_given => Vec::new(),
        None => {
            let mut filter = filter;
            filter.integrations = Some(BTreeSet::from([integration.name.to_owned()]));
            filter
                .needed_scopes(integration)
                .into_iter()
                .map(str::to_owned)
                .collect()
        }
    };
    let expires_at = now_unix().saturating_add(ttl);
    let target = LinkTarget {
        integration: integration.name.to_owned(),
        account: id.clone(),
        user: existing
            .as_ref()
            .map_or(request.user, |account| account.user.clone()),
        scopes,
        expires_at,
    };
    let url = connector.links().link(&target);
    tracing::info!(account = %id, integration = %integration.name, "made a connect link");
    Ok(ok(json!({
        "url": url,
        "expires_at": expires_at,
        "account": id,
        "integration": integration.name,
    })))
}

// ---------------------------------------------------------------------------------------------
// MCP servers

/// The body of `POST /admin/accounts/{id}/mcp-servers`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateServerRequest {
    name: String,
    #[serde(default)]
    config: ServerConfig,
}

/// What a server exposes and how it is reached.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ServerConfig {
    /// `"read"`, `"write"`, `"list,get"` or `["list", "get"]`.
    methods: Option<Value>,
    /// `["contacts"]` or `"contacts,deals"`.
    tags: Option<Value>,
    /// `["proxy"]`, `["unified"]` or both.
    kinds: Option<Value>,
    #[serde(alias = "require_api_token")]
    require_api_token_auth: Option<bool>,
    /// RFC 3339 or Unix seconds.
    expires_at: Option<Value>,
    /// Integrations whose calls run as the calling user's own account.
    per_user: Vec<String>,
    /// More shared accounts (of other integrations).
    accounts: Vec<String>,
    /// `direct` (default) or `discovery`.
    exposure: Option<String>,
    /// `strip`, `mask` or `hash`.
    redact: Option<String>,
    /// Hide tools whose output is mostly personal data.
    no_pii_tools: bool,
}

fn binding_json(binding: &ServerBinding) -> Value {
    json!({
        "integration": binding.integration,
        "account": binding.account_id,
        "per_user": binding.is_per_user(),
    })
}

fn server_json(server: &ServerRecord, now: i64) -> Value {
    let status = if server.is_revoked() {
        "revoked"
    } else if server.is_expired_at(now) {
        "expired"
    } else {
        "active"
    };
    json!({
        "name": server.name,
        "bindings": server.bindings.iter().map(binding_json).collect::<Vec<_>>(),
        "filter": server.filter.to_string(),
        "require_api_token": server.require_api_token,
        "exposure": server.options.exposure.as_str(),
        "redact": server.options.redact,
        "no_pii_tools": server.options.hide_pii_tools,
        "status": status,
        "created_at": server.created_at,
        "expires_at": server.expires_at,
        "last_used_at": server.last_used_at,
        "revoked_at": server.revoked_at,
    })
}

/// `POST /admin/accounts/{id}/mcp-servers`: 201 with the server's MCP URL (shown only now).
async fn create_server(
    State(admin): State<Arc<Admin>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let request: CreateServerRequest = parse_body(body)?;
    let config = request.config;
    check_name("server name", &request.name)?;
    let filter = tool_filter(
        config.methods.as_ref(),
        config.tags.as_ref(),
        config.kinds.as_ref(),
        "config.",
    )?;
    let expires_at = config
        .expires_at
        .as_ref()
        .map(|value| parse_expiry(value, now_unix()))
        .transpose()?;
    let mut per_user = Vec::with_capacity(config.per_user.len());
    for name in &config.per_user {
        let integration = find_integration(name, admin.integrations).map_err(ApiError::from)?;
        per_user.push(ServerBinding::per_user(integration.name));
    }
    let require_api_token = match config.require_api_token_auth {
        Some(false) if !per_user.is_empty() => {
            return Err(ApiError::unprocessable(
                "invalid_request",
                "a server with `per_user` integrations always requires an API token: it names the user whose account serves each call",
            ));
        }
        Some(required) => required || !per_user.is_empty(),
        None => !per_user.is_empty(),
    };
    let exposure = match config.exposure.as_deref() {
        None => Exposure::Direct,
        Some(text) => text
            .parse()
            .map_err(|e: String| ApiError::invalid(format!("`config.exposure`: {e}")))?,
    };
    let redact = match config.redact.as_deref() {
        None => None,
        Some(text) => Some(
            text.parse::<Redaction>()
                .map_err(|e| ApiError::invalid(format!("`config.redact`: {e}")))?,
        ),
    };
    let options = ServerOptions {
        exposure,
        redact: redact.map(|mode| mode.as_str().to_owned()),
        hide_pii_tools: config.no_pii_tools,
    };
    let integrations = admin.integrations;
    let store = admin.store.clone();
    let (server, token) = blocking(move || {
        let account = store.require_account_summary(&id)?;
        let mut bindings = vec![ServerBinding::shared(account.integration, id)];
        for other in &config.accounts {
            let account = store
                .require_account_summary(other)
                .map_err(|e| ApiError::from(e).named_in_body())?;
            bindings.push(ServerBinding::shared(account.integration, other.clone()));
        }
        bindings.extend(per_user);
        // A role that can do nothing, or whose tools collide by name, is a mistake, not a server:
        // refuse it before minting a URL.
        let names: Vec<&str> = bindings.iter().map(|b| b.integration.as_str()).collect();
        check_role(integrations, &names, &filter).map_err(role_error)?;
        Ok(store.create_server(NewServer {
            name: request.name,
            bindings,
            filter,
            expires_at,
            require_api_token,
            options,
        })?)
    })
    .await?;
    let mut body = server_json(&server, now_unix());
    body["url"] = json!(format!("{}/mcp/{token}", admin.base_url));
    Ok(created(body))
}

fn role_error(error: RoleError) -> ApiError {
    match error {
        RoleError::NothingExposed {
            integrations,
            filter,
        } => ApiError::unprocessable(
            "nothing_exposed",
            format!(
                "no {integrations} tool matches {filter}: the server would expose nothing; check config.methods, config.tags and config.kinds"
            ),
        ),
        RoleError::SameToolName {
            tool,
            first,
            second,
        } => ApiError::unprocessable(
            "tool_name_clash",
            format!(
                "`{tool}` exists in both `{first}` and `{second}`: one server cannot tell them apart; set config.kinds to [\"proxy\"] or make one server per integration"
            ),
        ),
    }
}

/// `GET /admin/mcp-servers` (never their URLs: the store keeps only hashes).
async fn list_servers(State(admin): State<Arc<Admin>>) -> Answer {
    let store = admin.store.clone();
    let servers = blocking(move || Ok(store.list_servers()?)).await?;
    let now = now_unix();
    let servers: Vec<Value> = servers.iter().map(|s| server_json(s, now)).collect();
    Ok(ok(json!({ "servers": servers })))
}

/// `POST /admin/mcp-servers/{name}/revoke`: its URL answers 404 from now on; it stays listed.
async fn revoke_server(State(admin): State<Arc<Admin>>, Path(name): Path<String>) -> Answer {
    let store = admin.store.clone();
    let server = blocking(move || Ok(store.revoke_server(&name)?)).await?;
    Ok(ok(server_json(&server, now_unix())))
}

/// `DELETE /admin/mcp-servers/{name}`: 204; its URL stops working and its accounts can be removed.
async fn delete_server(State(admin): State<Arc<Admin>>, Path(name): Path<String>) -> Answer {
    let store = admin.store.clone();
    blocking(move || Ok(store.delete_server(&name)?)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// API tokens

/// The body of `POST /admin/api-tokens`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateApiTokenRequest {
    name: String,
    #[serde(default)]
    user: Option<String>,
}

fn api_token_json(record: &ApiTokenRecord) -> Value {
    json!({
        "name": record.name,
        "user": record.user,
        "created_at": record.created_at,
        "last_used_at": record.last_used_at,
        "revoked_at": record.revoked_at,
    })
}

/// `POST /admin/api-tokens`: 201 with the token (shown only now).
async fn create_api_token(
    State(admin): State<Arc<Admin>>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let request: CreateApiTokenRequest = parse_body(body)?;
    let store = admin.store.clone();
    let (record, token) =
        blocking(move || Ok(store.create_api_token(&request.name, request.user.as_deref())?))
            .await?;
    let mut body = api_token_json(&record);
    body["token"] = json!(token);
    Ok(created(body))
}

/// `GET /admin/api-tokens` (never the tokens).
async fn list_api_tokens(State(admin): State<Arc<Admin>>) -> Answer {
    let store = admin.store.clone();
    let tokens = blocking(move || Ok(store.list_api_tokens()?)).await?;
    let tokens: Vec<Value> = tokens.iter().map(api_token_json).collect();
    Ok(ok(json!({ "api_tokens": tokens })))
}

/// `POST /admin/api-tokens/{name}/revoke`: requests carrying it answer 401 from now on.
async fn revoke_api_token(State(admin): State<Arc<Admin>>, Path(name): Path<String>) -> Answer {
    let store = admin.store.clone();
    let record = blocking(move || Ok(store.revoke_api_token(&name)?)).await?;
    Ok(ok(api_token_json(&record)))
}

// ---------------------------------------------------------------------------------------------
// Request parsing

/// A list given as one comma-separated string or as an array of strings, joined by commas.
fn comma_list(field: &str, value: &Value) -> Result<String, ApiError> {
    let wrong = || {
        ApiError::invalid(format!(
            "`{field}` must be a string such as \"a,b\" or an array of strings"
        ))
    };
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().ok_or_else(wrong))
            .collect::<Result<Vec<_>, _>>()
            .map(|items| items.join(",")),
        _ => Err(wrong()),
    }
}

/// The tool filter `methods`, `tags` and `kinds` describe, as `switchboard servers create` builds it
/// from `--methods`, `--tags` and `--kinds`. `prefix` names the fields' parent in messages.
fn tool_filter(
    methods: Option<&Value>,
    tags: Option<&Value>,
    kinds: Option<&Value>,
    prefix: &str,
) -> Result<ToolFilter, ApiError> {
    let mut filter = ToolFilter::default();
    if let Some(methods) = methods {
        let field = format!("{prefix}methods");
        filter = filter
            .with_methods(&comma_list(&field, methods)?)
            .map_err(|e| ApiError::invalid(format!("`{field}`: {e}")))?;
    }
    if let Some(tags) = tags {
        let field = format!("{prefix}tags");
        filter.tags = Some(
            ToolFilter::parse_tags(&comma_list(&field, tags)?)
                .map_err(|e| ApiError::invalid(format!("`{field}`: {e}")))?,
        );
    }
    if let Some(kinds) = kinds {
        let field = format!("{prefix}kinds");
        filter.kinds = Some(
            ToolFilter::parse_kinds(&comma_list(&field, kinds)?)
                .map_err(|e| ApiError::invalid(format!("`{field}`: {e}")))?,
        );
    }
    Ok(filter)
}

/// An expiry: Unix seconds (a number or a string of digits) or RFC 3339, after `now`.
fn parse_expiry(value: &Value, now: i64) -> Result<i64, ApiError> {
    let text = match value {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.clone(),
        _ => String::new(),
    };
    switchboard_vault::time::parse_expiry(&text, now)
        .map_err(|e| ApiError::invalid(format!("`config.expires_at`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_describes_every_route_and_error_code() {
        let document: Value = serde_json::from_str(OPENAPI).unwrap_or_default();
        assert_eq!(document["openapi"].as_str().map(|v| &v[..2]), Some("3."));
        for (method, path) in ADMIN_ROUTES {
            let operation = &document["paths"][path][method.to_ascii_lowercase()];
            assert!(operation.is_object(), "{method} {path} is not documented");
            assert!(
                operation["operationId"].is_string(),
                "{method} {path} has no operationId"
            );
        }
        let codes = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
            ["code"]["enum"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for code in [
            "unauthorized",
            "not_found",
            "method_not_allowed",
            "invalid_request",
            "payload_too_large",
            "conflict",
            "unknown_account",
            "unknown_server",
            "unknown_api_token",
            "unknown_integration",
            "oauth_not_supported",
            "nothing_exposed",
            "tool_name_clash",
            "internal_error",
        ] {
            assert!(codes.contains(&json!(code)), "{code} is not documented");
        }
        assert!(
            document["components"]["securitySchemes"]["adminToken"]["scheme"] == "bearer",
            "no bearer scheme"
        );
    }

    #[test]
    fn served_document_names_this_server() {
        let served: Value =
            serde_json::from_slice(&openapi_document("https://sb.example.com")).unwrap_or_default();
        assert_eq!(served["servers"][0]["url"], "https://sb.example.com");
    }

    #[test]
    fn admin_tokens_are_long_and_compared_by_hash() {
        assert_eq!(AdminToken::new("short"), Err(AdminTokenError::TooShort));
        let long = "x".repeat(MIN_ADMIN_TOKEN_LEN);
        assert_eq!(
            AdminToken::new(&format!("{long}\n")),
            Err(AdminTokenError::BadCharacters)
        );
        let token = AdminToken::new(&long).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(token.matches(&long));
        assert!(!token.matches(&format!("{long}y")));
        assert!(!token.matches(""));
        assert_eq!(AdminToken::from_sha256(token_hash(&long)), token);
        assert_eq!(format!("{token:?}"), "AdminToken(<redacted>)");
    }

    #[test]
    fn filters_read_like_the_cli_flags() {
        let filter = tool_filter(
            Some(&json!("read")),
            Some(&json!(["contacts", "deals"])),
            Some(&json!("proxy")),
            "config.",
        )
        .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(
            filter.to_string(),
            "methods=list,get,search,custom(read-only) tags=contacts,deals kinds=proxy"
        );
        let listed = tool_filter(Some(&json!(["list", "get"])), None, None, "")
            .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(listed.to_string(), "methods=list,get");
        for (methods, tags, kinds) in [
            (Some(json!("fetch")), None, None),
            (Some(json!([])), None, None),
            (Some(json!(3)), None, None),
            (None, Some(json!([1])), None),
            (None, None, Some(json!(["vendor"]))),
        ] {
            let error = tool_filter(methods.as_ref(), tags.as_ref(), kinds.as_ref(), "config.")
                .err()
                .unwrap_or_else(|| unreachable!("accepted"));
            assert_eq!(error.code, "invalid_request");
            assert!(error.message.contains("`config."), "{}", error.message);
        }
    }

    #[test]
    fn expiries_are_future_unix_seconds_or_rfc3339() {
        let now = 1_700_000_000;
        assert_eq!(
            parse_expiry(&json!(4_102_444_800_i64), now).ok(),
            Some(4_102_444_800)
        );
        assert_eq!(
            parse_expiry(&json!("4102444800"), now).ok(),
            Some(4_102_444_800)
        );
        assert_eq!(
            parse_expiry(&json!("2100-01-01T00:00:00Z"), now).ok(),
            Some(4_102_444_800)
        );
        assert_eq!(
            parse_expiry(&json!("2100-01-01T01:00:00.5+01:00"), now).ok(),
            Some(4_102_444_800)
        );
        for bad in [
            json!(1),
            json!("2000-01-01T00:00:00Z"),
            json!("soon"),
            json!("2026-02-29T00:00:00Z"),
            json!("2100-01-01T00:00:00+1:00"),
            json!(1.5),
            json!(true),
        ] {
            assert!(parse_expiry(&bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn store_errors_keep_their_codes() {
        let in_use: ApiError = StoreError::AccountInUse {
            id: "a".into(),
            servers: "one, two".into(),
        }
        .into();
        assert_eq!(
            (in_use.status, in_use.code),
            (StatusCode::CONFLICT, "conflict")
        );
        assert_eq!(in_use.servers, Some(vec!["one".into(), "two".into()]));
        let unknown: ApiError = StoreError::UnknownAccount {
            id: "a".into(),
            suggestion: Default::default(),
        }
        .into();
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(
            unknown.named_in_body().status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let internal: ApiError = StoreError::Corrupt {
            what: "x",
            detail: "/secret/path".into(),
        }
        .into();
        assert_eq!(internal.code, "internal_error");
        assert!(!internal.message.contains("/secret/path"));
    }
}
