//! Fake HubSpot, Salesforce, Pipedrive and Zendesk APIs on one listener, for demos and
//! end-to-end tests.
//!
//! The sandbox is written from the vendors' public documentation and from real recorded exchanges
//! (see `NOTICE.md`), never from Switchboard's own integration definitions, so a definition that
//! disagrees with the vendor fails against it.
//!
//! Served on one listener (the vendors' paths do not collide):
//!
//! - HubSpot (base URL = the sandbox URL): `GET/POST /crm/v3/objects/{contacts|companies|deals}`,
//!   `GET/PATCH/DELETE /crm/v3/objects/<type>/{id}`, `POST /crm/v3/objects/<type>/search`,
//!   `GET /crm/v3/owners`, `GET /crm/v3/owners/{ownerId}`.
//! - Salesforce (instance URL = the sandbox URL, any `vNN.N`, e.g. [`SALESFORCE_API_VERSION`]):
//!   `GET /services/data/v60.0/query?q=<SOQL>` and its `nextRecordsUrl`,
//!   `POST /services/data/v60.0/sobjects/<Object>`, `GET/PATCH/DELETE .../sobjects/<Object>/{id}`
//!   for `Contact`, `Account`, `Opportunity` and (read-only) `User`.
//! - Pipedrive v1 (API domain = the sandbox URL; paths under `/v1` as on `api.pipedrive.com`, or
//!   `/api/v1` as on a company domain): `GET/POST /v1/{persons|organizations|deals}` (`start`/`limit`
//!   paging), `GET/PUT/DELETE /v1/<items>/{id}`, `GET /v1/users`, `GET /v1/users/{id}`,
//!   `GET /v1/{personFields|organizationFields|dealFields}`.
//! - Zendesk (account URL = the sandbox URL): `GET/POST /api/v2/{tickets|users|organizations}.json`
//!   (cursor paging with `page[size]`, offset paging without), `GET/PUT/DELETE
//!   /api/v2/<resource>/{id}.json`, `GET /api/v2/tickets/{id}/comments.json`,
//!   `GET /api/v2/ticket_fields.json`.
//!
//! Each vendor is also its own OAuth 2.0 identity provider (see [`OAuthConfig`]), as the vendors
//! document theirs: consent is automatic (`deny=1` refuses), codes are single-use and live 10
//! minutes, PKCE S256 is verified, and strict rotation revokes a whole grant when a used refresh
//! token comes back. These paths sit outside the bearer-token gate:
//!
//! - HubSpot: `GET /oauth/authorize?client_id&redirect_uri&scope&state[&optional_scope]`,
//!   `POST /oauth/v1/token` (form: `authorization_code` or `refresh_token`).
//! - Salesforce: `GET /services/oauth2/authorize?response_type=code&client_id&redirect_uri&scope
//!   &state[&code_challenge]`, `POST /services/oauth2/token` (form; client in the body or Basic).
//! - Pipedrive: `GET /pipedrive/oauth/authorize?client_id&redirect_uri&state`,
//!   `POST /pipedrive/oauth/token` (form; client in HTTP Basic, as required; answers carry `api_domain`).
//! - Zendesk: `GET /zendesk/oauth/authorizations/new?response_type=code&client_id&redirect_uri
//!   &scope&state` and `POST /zendesk/oauth/tokens` (JSON or form), also at Zendesk's own
//!   `/oauth/authorizations/new` and `/oauth/tokens`.
//! - Test controls: `GET /_sandbox/oauth/stats`, `GET /_sandbox/oauth/events[?after=<seq>]`,
//!   `POST /_sandbox/oauth/expire-access-tokens`, `POST /_sandbox/oauth/revoke` (also on
//!   [`SandboxHandle`]).
//!
//! Every vendor request needs a credential: for HubSpot and Salesforce `Authorization: Bearer`
//! with the static api token or a live access token that vendor's OAuth server issued; for
//! Pipedrive the api token as `api_token` query parameter or `x-api-token` header, or a Pipedrive
//! OAuth access token as `Bearer`; for Zendesk `Authorization: Basic base64("{email}/token:{api
//! token}")` or a Zendesk OAuth access token as `Bearer`. An expired access token gets the
//! vendor's expired-token 401. Every vendor response carries the vendor's rate-limit headers;
//! past the optional [`RateBudget`] HubSpot, Pipedrive and Zendesk answer 429 and Salesforce 403
//! `REQUEST_LIMIT_EXCEEDED`. Data is seeded deterministically: person `i` is the same human in
//! every vendor (a Zendesk end user too), and writes are visible to later reads.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = switchboard_sandbox::spawn(switchboard_sandbox::SandboxConfig::default()).await?;
//! println!("HubSpot, Salesforce, Pipedrive and Zendesk at {}", sandbox.base_url());
//! sandbox.shutdown().await
//! # }
//! ```

#![warn(missing_docs)]

mod clock;
mod credential;
mod data;
mod hubspot;
mod ids;
mod oauth;
mod pipedrive;
mod rate_budget;
mod salesforce;
mod soql;
mod store;
mod web;
mod zendesk;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::uri::PathAndQuery;
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use oauth::{
    DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET, DEFAULT_TOKEN_TTL, GrantCounts,
    OAuthConfig, OAuthEvent, OAuthEventKind, OAuthFailure, OAuthStats, VendorOAuthStats, token_id,
};
pub use rate_budget::{ParseRateBudgetError, RateBudget};

use credential::credential;
use ids::CorrelationIds;
use oauth::Access;
use rate_budget::{Meter, Reading};
use store::Store;
use web::{CredentialKind, RequestCtx};

/// Token the sandbox accepts when none is configured.
pub const DEFAULT_API_TOKEN: &str = "sandbox-token";
/// Records seeded per object type when none is configured.
pub const DEFAULT_RECORDS: usize = 250;
/// The Salesforce API version the sandbox advertises (any `vNN.N` path prefix is served).
pub const SALESFORCE_API_VERSION: &str = "v60.0";
/// Number of seeded HubSpot owners, Salesforce users, Pipedrive users and Zendesk agents.
pub const OWNER_COUNT: usize = data::OWNERS;

/// How a sandbox is seeded, authenticated and rate-limited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Records seeded per object type (contacts/persons/users, companies/accounts/organizations,
    /// deals/opportunities, tickets).
    pub records: usize,
    /// The api token every vendor accepts (as a bearer token, Pipedrive's `api_token`, or the
    /// token of Zendesk's `{email}/token` Basic credentials).
    pub api_token: String,
    /// Optional request budget shared by all vendors; `None` never limits.
    pub rate_limit: Option<RateBudget>,
    /// The OAuth client every fake identity provider knows, and token lifetime and rotation.
    pub oauth: OAuthConfig,
}

impl Default for SandboxConfig {
    /// 250 records per type, token `sandbox-token`, no rate budget, the default OAuth client.
    fn default() -> Self {
        Self {
            records: DEFAULT_RECORDS,
            api_token: DEFAULT_API_TOKEN.to_owned(),
            rate_limit: None,
            oauth: OAuthConfig::default(),
        }
    }
}

/// Shared server state.
#[derive(Debug)]
pub(crate) struct App {
    token: String,
    store: Mutex<Store>,
    meter: Mutex<Meter>,
    correlation: CorrelationIds,
    oauth: Arc<oauth::Server>,
    /// Pipedrive POST/PUT requests made with the api token today: (UTC day, count), for its
    /// `x-daily-requests-left` ("reset at midnight in UTC").
    pipedrive_writes: Mutex<(i64, u64)>,
}

impl App {
    /// The data store (a poisoned lock is recovered: every write leaves the store consistent).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn meter(&self) -> MutexGuard<'_, Meter> {
        self.meter.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one Pipedrive api-token write; returns the writes left today.
    fn pipedrive_write(&self) -> u64 {
        let today = clock::now_ms().div_euclid(86_400_000);
        let mut writes = self
            .pipedrive_writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if writes.0 != today {
            *writes = (today, 0);
        }
        writes.1 += 1;
        pipedrive::DAILY_WRITES.saturating_sub(writes.1)
    }
}

/// Handle to the shared state.
pub(crate) type Shared = Arc<App>;
/// The state extractor handlers use.
pub(crate) type SharedState = State<Shared>;

/// A fake vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    /// HubSpot (`/crm/...`, OAuth at `/oauth/...`).
    HubSpot,
    /// Salesforce (`/services/...`, OAuth at `/services/oauth2/...`).
    Salesforce,
    /// Pipedrive (`/v1/...` or `/api/v1/...`, OAuth at `/pipedrive/oauth/...`).
    Pipedrive,
    /// Zendesk (`/api/v2/...`, OAuth at `/zendesk/oauth/...` and `/oauth/tokens`).
    Zendesk,
}

/// Whether `path` is `prefix` or below it.
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

impl Vendor {
    /// The vendor whose API (behind the credential gate) serves `path`. Salesforce's OAuth
    /// endpoints share its `/services` prefix but authenticate clients, not bearer tokens.
    fn of(path: &str) -> Option<Self> {
        if under(path, "/services/oauth2") {
            None
        } else if under(path, "/crm") {
            Some(Self::HubSpot)
        } else if under(path, "/services") {
            Some(Self::Salesforce)
        } else if under(path, "/v1") || under(path, "/api/v1") {
            Some(Self::Pipedrive)
        } else if under(path, "/api/v2") {
            Some(Self::Zendesk)
        } else {
            None
        }
    }

    fn expired(self, ctx: &RequestCtx, ago_ms: i64) -> Response {
        match self {
            Self::HubSpot => hubspot::expired(ctx, ago_ms),
            // Salesforce answers an expired session like any invalid one.
            Self::Salesforce => salesforce::unauthorized(),
            Self::Pipedrive => pipedrive::expired(),
            Self::Zendesk => zendesk::unauthorized(ctx),
        }
    }

    fn unauthorized(self, ctx: &RequestCtx) -> Response {
        match self {
            Self::HubSpot => hubspot::unauthorized(ctx),
            Self::Salesforce => salesforce::unauthorized(),
            Self::Pipedrive => pipedrive::unauthorized(),
            Self::Zendesk => zendesk::unauthorized(ctx),
        }
    }

    fn rate_limited(self, ctx: &RequestCtx, reading: &Reading) -> Response {
        match self {
            Self::HubSpot => hubspot::rate_limited(ctx),
            Self::Salesforce => salesforce::rate_limited(),
            Self::Pipedrive => pipedrive::rate_limited(reading),
            Self::Zendesk => zendesk::rate_limited(reading),
        }
    }

    fn decorate(
        self,
        response: &mut Response,
        reading: &Reading,
        ctx: &RequestCtx,
        daily_left: Option<u64>,
    ) {
        match self {
            Self::HubSpot => hubspot::decorate(response, reading, ctx),
            Self::Salesforce => salesforce::decorate(response, reading),
            Self::Pipedrive => pipedrive::decorate(response, reading, ctx, daily_left),
            Self::Zendesk => zendesk::decorate(response, reading),
        }
    }
}

/// Drops a trailing slash (`/query/?q=…` as in Salesforce's docs) so routes match either way.
fn trim_trailing_slash(request: &mut Request) {
    let uri = request.uri();
    let path = uri.path();
    if path.len() <= 1 || !path.ends_with('/') {
        return;
    }
    let trimmed = path.trim_end_matches('/');
    let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
    let path_and_query = match uri.query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    let Ok(path_and_query) = PathAndQuery::try_from(path_and_query) else {
        return;
    };
    parts.path_and_query = Some(path_and_query);
    if let Ok(new_uri) = Uri::from_parts(parts) {
        *request.uri_mut() = new_uri;
    }
}

/// Authentication, the rate budget and the vendor headers, in front of every vendor route.
async fn gate(State(app): SharedState, mut request: Request, next: Next) -> Response {
    trim_trailing_slash(&mut request);
    let Some(vendor) = Vendor::of(request.uri().path()) else {
        return next.run(request).await;
    };
    let (presented, kind, accepts) = credential(&request, vendor, &app.token);
    let ctx = RequestCtx {
        correlation_id: app.correlation.next(),
        credential: kind,
    };
    request.extensions_mut().insert(ctx.clone());
    let access = app.oauth.api_call(vendor, presented.as_deref(), accepts);
    // Pipedrive's `x-daily-requests-left`: POST/PUT requests left today, api-token auth only.
    let counts_daily = vendor == Vendor::Pipedrive
        && kind == CredentialKind::ApiToken
        && matches!(*request.method(), Method::POST | Method::PUT);
    let mut daily_left = None;
    let (mut response, reading) = match access {
        Access::Granted => {
            // Bound first so the meter lock is released before the handler runs (a guard in the
            // `match` scrutinee would live across the `.await`).
            let acquired = app.meter().acquire();
            match acquired {
                Ok(reading) => {
                    if counts_daily {
                        daily_left = Some(app.pipedrive_write());
                    }
                    (next.run(request).await, reading)
                }
                Err(reading) => (vendor.rate_limited(&ctx, &reading), reading),
            }
        }
        Access::Expired { ago_ms } => {
            let reading = app.meter().peek();
            (vendor.expired(&ctx, ago_ms), reading)
        }
        Access::Refused => {
            let reading = app.meter().peek();
            (vendor.unauthorized(&ctx), reading)
        }
    };
    vendor.decorate(&mut response, &reading, &ctx, daily_left);
    response
}

/// Vendor-shaped 404 for unknown paths.
async fn unknown_route(request: Request) -> Response {
    let path = request.uri().path();
    match (Vendor::of(path), request.extensions().get::<RequestCtx>()) {
        (Some(Vendor::HubSpot), Some(ctx)) => hubspot::unknown_route(ctx, request.method(), path),
        (Some(Vendor::Salesforce), _) => salesforce::unknown_route(),
        (Some(Vendor::Pipedrive), _) => pipedrive::unknown_route(),
        (Some(Vendor::Zendesk), _) => zendesk::unknown_route(),
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "not found", "path": path})),
        )
            .into_response(),
    }
}

/// Vendor-shaped 405 for a known path with the wrong method (axum adds the `Allow` header).
async fn wrong_method(request: Request) -> Response {
    let path = request.uri().path();
    match (Vendor::of(path), request.extensions().get::<RequestCtx>()) {
        (Some(Vendor::HubSpot), Some(ctx)) => hubspot::method_not_allowed(ctx, request.method()),
        (Some(Vendor::Salesforce), _) => salesforce::method_not_allowed(request.method(), None),
        (Some(Vendor::Pipedrive), _) => pipedrive::method_not_allowed(),
        (Some(Vendor::Zendesk), _) => zendesk::unknown_route(),
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

/// `GET /`: what this server is (no secrets).
async fn index() -> axum::Json<serde_json::Value> {
    axum::Json(json!({
        "name": "switchboard-sandbox",
        "auth": {
            "hubspot": "Authorization: Bearer <api token or a HubSpot OAuth access token>",
            "salesforce": "Authorization: Bearer <api token or a Salesforce OAuth access token>",
            "pipedrive": "?api_token=<api token> | x-api-token: <api token> | Authorization: Bearer <Pipedrive OAuth access token>",
            "zendesk": "Authorization: Basic base64(<email>/token:<api token>) | Authorization: Bearer <Zendesk OAuth access token>"
        },
        "hubspot": {
            "base_path": "/",
            "endpoints": [
                "GET|POST /crm/v3/objects/{contacts|companies|deals}",
                "GET|PATCH|DELETE /crm/v3/objects/{type}/{id}",
                "POST /crm/v3/objects/{type}/search",
                "GET /crm/v3/owners",
                "GET /crm/v3/owners/{ownerId}"
            ]
        },
        "salesforce": {
            "base_path": format!("/services/data/{SALESFORCE_API_VERSION}"),
            "endpoints": [
                "GET /query?q=<SOQL>",
                "GET /query/{locator}-{offset}",
                "POST /sobjects/{Contact|Account|Opportunity}",
                "GET|PATCH|DELETE /sobjects/{Object}/{id}"
            ]
        },
        "pipedrive": {
            "base_path": "/v1 (also /api/v1)",
            "endpoints": [
                "GET|POST /{persons|organizations|deals}?start&limit",
                "GET|PUT|DELETE /{persons|organizations|deals}/{id}",
                "GET /users",
                "GET /users/{id}",
                "GET /{personFields|organizationFields|dealFields}"
            ]
        },
        "zendesk": {
            "base_path": "/api/v2",
            "endpoints": [
                "GET|POST /{tickets|users|organizations}.json?page[size]&page[after]|page[before]",
                "GET|PUT|DELETE /{tickets|users|organizations}/{id}.json",
                "GET /tickets/{id}/comments.json",
                "GET /ticket_fields.json"
            ]
        },
        // Machine-readable: where each vendor's authorization and token endpoints are here (a
        // client moving a vendor's real OAuth URLs onto the sandbox needs the paths, which differ
        // from the real ones for Pipedrive).
        "oauth_endpoints": {
            "hubspot": {"authorization_path": "/oauth/authorize", "token_path": "/oauth/v1/token"},
            "salesforce": {"authorization_path": "/services/oauth2/authorize", "token_path": "/services/oauth2/token"},
            "pipedrive": {"authorization_path": "/pipedrive/oauth/authorize", "token_path": "/pipedrive/oauth/token"},
            "zendesk": {"authorization_path": "/oauth/authorizations/new", "token_path": "/oauth/tokens"}
        },
        "oauth": {
            "hubspot": [
                "GET /oauth/authorize?client_id&redirect_uri&scope&state[&optional_scope][&code_challenge][&deny=1]",
                "POST /oauth/v1/token (form: grant_type=authorization_code|refresh_token)"
            ],
            "salesforce": [
                "GET /services/oauth2/authorize?response_type=code&client_id&redirect_uri&scope&state[&code_challenge][&deny=1]",
                "POST /services/oauth2/token (form: grant_type=authorization_code|refresh_token)"
            ],
            "pipedrive": [
                "GET /pipedrive/oauth/authorize?client_id&redirect_uri&state[&scope][&code_challenge][&deny=1]",
                "POST /pipedrive/oauth/token (form, client in HTTP Basic: grant_type=authorization_code|refresh_token)"
            ],
            "zendesk": [
                "GET /zendesk/oauth/authorizations/new?response_type=code&client_id&redirect_uri&scope&state[&code_challenge][&deny=1] (also /oauth/authorizations/new)",
                "POST /zendesk/oauth/tokens (JSON or form: grant_type=authorization_code|refresh_token; also /oauth/tokens)"
            ],
            "controls": [
                "GET /_sandbox/oauth/stats",
                "GET /_sandbox/oauth/events[?after=<seq>]",
                "POST /_sandbox/oauth/expire-access-tokens",
                "POST /_sandbox/oauth/revoke"
            ]
        }
    }))
}

/// The sandbox as an axum router (state included), for embedding in another server or test.
pub fn router(config: SandboxConfig) -> Router {
    build(config).0
}

/// The router and the OAuth state a [`SandboxHandle`] reads and controls.
fn build(config: SandboxConfig) -> (Router, Arc<oauth::Server>) {
    let oauth = Arc::new(oauth::Server::new(config.oauth));
    let app: Shared = Arc::new(App {
        store: Mutex::new(Store {
            hubspot: hubspot::seed(config.records),
            salesforce: salesforce::seed(config.records),
            pipedrive: pipedrive::seed(config.records),
            zendesk: zendesk::seed(config.records),
        }),
        meter: Mutex::new(Meter::new(config.rate_limit)),
        correlation: CorrelationIds::new(),
        token: config.api_token,
        oauth: oauth.clone(),
        pipedrive_writes: Mutex::new((0, 0)),
    });
    let vendors = Router::new()
        .merge(hubspot::routes())
        .merge(salesforce::routes())
        .merge(pipedrive::routes())
        .merge(zendesk::routes())
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .with_state(app.clone());
    let router = Router::new()
        .route("/", get(index))
        .merge(oauth::routes())
        .with_state(app.clone())
        .fallback_service(vendors)
        .layer(middleware::from_fn_with_state(app, gate));
    (router, oauth)
}

/// Serves the sandbox on `listener` until the process ends or accepting fails.
pub async fn serve(listener: TcpListener, config: SandboxConfig) -> io::Result<()> {
    serve_until(listener, config, std::future::pending()).await
}

/// Real vendor front ends answer without Nagle delays; so does the sandbox.
fn no_delay(listener: TcpListener) -> impl axum::serve::Listener<Addr = std::net::SocketAddr> {
    use axum::serve::ListenerExt as _;
    listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    })
}

/// Serves the sandbox on `listener` until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve_until<F>(
    listener: TcpListener,
    config: SandboxConfig,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    serve_router(listener, router(config), shutdown).await
}

async fn serve_router<F>(listener: TcpListener, router: Router, shutdown: F) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    axum::serve(no_delay(listener), router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Starts the sandbox on `127.0.0.1` with an ephemeral port, in the background.
pub async fn spawn(config: SandboxConfig) -> io::Result<SandboxHandle> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let api_token = config.api_token.clone();
    let oauth_config = config.oauth.clone();
    let (router, oauth) = build(config);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_router(listener, router, async move {
        // A dropped sender stops the server too.
        let _ = stopped.await;
    }));
    Ok(SandboxHandle {
        addr,
        api_token,
        oauth_config,
        oauth,
        stop: Some(stop),
        task: Some(task),
    })
}

/// A running sandbox; dropping it (or calling [`SandboxHandle::shutdown`]) stops the server.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    api_token: String,
    oauth_config: OAuthConfig,
    oauth: Arc<oauth::Server>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl SandboxHandle {
    /// The bound address (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: HubSpot's base URL, Salesforce's instance URL, Pipedrive's
    /// `api_domain` and Zendesk's account URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Salesforce's REST base: `http://127.0.0.1:<port>/services/data/v60.0`.
    pub fn salesforce_base_url(&self) -> String {
        format!("{}/services/data/{SALESFORCE_API_VERSION}", self.base_url())
    }

    /// Pipedrive's v1 base: `http://127.0.0.1:<port>/v1` (as `https://api.pipedrive.com/v1`).
    pub fn pipedrive_base_url(&self) -> String {
        format!("{}/v1", self.base_url())
    }

    /// Zendesk's API base: `http://127.0.0.1:<port>/api/v2` (as
    /// `https://{subdomain}.zendesk.com/api/v2`).
    pub fn zendesk_base_url(&self) -> String {
        format!("{}/api/v2", self.base_url())
    }

    /// The api token the sandbox accepts.
    pub fn api_token(&self) -> &str {
        &self.api_token
    }

    /// The OAuth client every identity provider knows, and the token settings.
    pub fn oauth_config(&self) -> &OAuthConfig {
        &self.oauth_config
    }

    /// Token requests, refreshes, reuse detections and revoked chains so far, per vendor.
    pub fn oauth_stats(&self) -> OAuthStats {
        self.oauth.stats()
    }

    /// Every token-endpoint request and vendor API request still in the log (the last 100,000),
    /// oldest first.
    pub fn oauth_events(&self) -> Vec<OAuthEvent> {
        self.oauth.events(0)
    }

    /// The logged events with `seq` greater than `seq`, for polling only what is new.
    pub fn oauth_events_after(&self, seq: u64) -> Vec<OAuthEvent> {
        self.oauth.events(seq)
    }

    /// Makes every live OAuth access token expired as of now; returns how many were live.
    pub fn expire_access_tokens(&self) -> usize {
        self.oauth.expire_access_tokens()
    }

    /// Revokes every grant, as a user uninstalling the app would: their access tokens get 401 and
    /// their refresh tokens `invalid_grant` / `BAD_REFRESH_TOKEN`. Returns how many were live.
    pub fn revoke_all_chains(&self) -> usize {
        self.oauth.revoke_all_chains()
    }

    /// Makes every vendor's token endpoint hold every request for `delay` before looking at it
    /// (zero: answer at once). A client that hangs up meanwhile leaves no trace: its request is
    /// never processed.
    pub fn delay_token_answers(&self, delay: std::time::Duration) {
        self.oauth.set_token_delay(delay);
    }

    /// Token-endpoint requests that arrived so far, all vendors, answered or not: unlike
    /// [`oauth_stats`](Self::oauth_stats), this counts a request whose client hung up during the
    /// delay.
    pub fn token_requests_arrived(&self) -> u64 {
        self.oauth.token_arrivals()
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for SandboxHandle {
    /// Signals the server to stop (it finishes in the background).
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
