//! Fake HubSpot and Salesforce APIs on one listener, for demos and end-to-end tests.
//!
//! The sandbox is written from the vendors' public documentation and from real recorded exchanges
//! (see `NOTICE.md`), never from Switchboard's own integration definitions, so a definition that
//! disagrees with the vendor fails against it.
//!
//! Served on one listener (the two vendors' paths do not collide):
//!
//! - HubSpot (base URL = the sandbox URL): `GET/POST /crm/v3/objects/{contacts|companies|deals}`,
//!   `GET/PATCH/DELETE /crm/v3/objects/<type>/{id}`, `POST /crm/v3/objects/<type>/search`,
//!   `GET /crm/v3/owners`, `GET /crm/v3/owners/{ownerId}`.
//! - Salesforce (instance URL = the sandbox URL, any `vNN.N`, e.g. [`SALESFORCE_API_VERSION`]):
//!   `GET /services/data/v60.0/query?q=<SOQL>` and its `nextRecordsUrl`,
//!   `POST /services/data/v60.0/sobjects/<Object>`, `GET/PATCH/DELETE .../sobjects/<Object>/{id}`
//!   for `Contact`, `Account`, `Opportunity` and (read-only) `User`.
//!
//! Every vendor request needs `Authorization: Bearer <api_token>`; every vendor response carries the
//! vendor's rate-limit headers; past the optional [`RateBudget`] HubSpot answers 429 and Salesforce
//! 403 `REQUEST_LIMIT_EXCEEDED`. Data is seeded deterministically: person `i` is the same human in
//! both vendors, and writes are visible to later reads.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sandbox = switchboard_sandbox::spawn(switchboard_sandbox::SandboxConfig::default()).await?;
//! println!("HubSpot and Salesforce at {}", sandbox.base_url());
//! sandbox.shutdown().await
//! # }
//! ```

#![warn(missing_docs)]

mod clock;
mod data;
mod hubspot;
mod ids;
mod rate_budget;
mod salesforce;
mod soql;
mod store;
mod web;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::uri::PathAndQuery;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use rate_budget::{ParseRateBudgetError, RateBudget};

use ids::CorrelationIds;
use rate_budget::{Meter, Reading};
use store::Store;
use web::RequestCtx;

/// Token the sandbox accepts when none is configured.
pub const DEFAULT_API_TOKEN: &str = "sandbox-token";
/// Records seeded per object type when none is configured.
pub const DEFAULT_RECORDS: usize = 250;
/// The Salesforce API version the sandbox advertises (any `vNN.N` path prefix is served).
pub const SALESFORCE_API_VERSION: &str = "v60.0";
/// Number of seeded HubSpot owners and Salesforce users.
pub const OWNER_COUNT: usize = data::OWNERS;

/// How a sandbox is seeded, authenticated and rate-limited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// Records seeded per object type (contacts, companies/accounts, deals/opportunities).
    pub records: usize,
    /// The bearer token every vendor request must present.
    pub api_token: String,
    /// Optional request budget shared by both vendors; `None` never limits.
    pub rate_limit: Option<RateBudget>,
}

impl Default for SandboxConfig {
    /// 250 records per type, token `sandbox-token`, no rate budget.
    fn default() -> Self {
        Self {
            records: DEFAULT_RECORDS,
            api_token: DEFAULT_API_TOKEN.to_owned(),
            rate_limit: None,
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
}

impl App {
    /// The data store (a poisoned lock is recovered: every write leaves the store consistent).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn meter(&self) -> MutexGuard<'_, Meter> {
        self.meter.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Handle to the shared state.
pub(crate) type Shared = Arc<App>;
/// The state extractor handlers use.
pub(crate) type SharedState = State<Shared>;

/// Which fake vendor a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vendor {
    HubSpot,
    Salesforce,
}

impl Vendor {
    fn of(path: &str) -> Option<Self> {
        if path == "/crm" || path.starts_with("/crm/") {
            Some(Self::HubSpot)
        } else if path == "/services" || path.starts_with("/services/") {
            Some(Self::Salesforce)
        } else {
            None
        }
    }

    fn unauthorized(self, ctx: &RequestCtx) -> Response {
        match self {
            Self::HubSpot => hubspot::unauthorized(ctx),
            Self::Salesforce => salesforce::unauthorized(),
        }
    }

    fn rate_limited(self, ctx: &RequestCtx) -> Response {
        match self {
            Self::HubSpot => hubspot::rate_limited(ctx),
            Self::Salesforce => salesforce::rate_limited(),
        }
    }

    fn decorate(self, response: &mut Response, reading: &Reading, ctx: &RequestCtx) {
        match self {
            Self::HubSpot => hubspot::decorate(response, reading, ctx),
            Self::Salesforce => salesforce::decorate(response, reading),
        }
    }
}

/// `Authorization: Bearer <token>` (Salesforce also accepts the `OAuth` scheme).
fn presented_token(headers: &HeaderMap, vendor: Vendor) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let scheme_ok = scheme.eq_ignore_ascii_case("Bearer")
        || (vendor == Vendor::Salesforce && scheme.eq_ignore_ascii_case("OAuth"));
    scheme_ok.then(|| token.trim())
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
    let ctx = RequestCtx {
        correlation_id: app.correlation.next(),
    };
    request.extensions_mut().insert(ctx.clone());
    let authorized = presented_token(request.headers(), vendor) == Some(app.token.as_str());
    let (mut response, reading) = if authorized {
        // Bound first so the meter lock is released before the handler runs (a guard in the
        // `match` scrutinee would live across the `.await`).
        let acquired = app.meter().acquire();
        match acquired {
            Ok(reading) => (next.run(request).await, reading),
            Err(reading) => (vendor.rate_limited(&ctx), reading),
        }
    } else {
        let reading = app.meter().peek();
        (vendor.unauthorized(&ctx), reading)
    };
    vendor.decorate(&mut response, &reading, &ctx);
    response
}

/// Vendor-shaped 404 for unknown paths.
async fn unknown_route(request: Request) -> Response {
    let path = request.uri().path();
    match (Vendor::of(path), request.extensions().get::<RequestCtx>()) {
        (Some(Vendor::HubSpot), Some(ctx)) => hubspot::unknown_route(ctx, request.method(), path),
        (Some(Vendor::Salesforce), _) => salesforce::unknown_route(),
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
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

/// `GET /`: what this server is (no secrets).
async fn index() -> axum::Json<serde_json::Value> {
    axum::Json(json!({
        "name": "switchboard-sandbox",
        "auth": "Authorization: Bearer <api token>",
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
        }
    }))
}

/// The sandbox as an axum router (state included), for embedding in another server or test.
pub fn router(config: SandboxConfig) -> Router {
    let app: Shared = Arc::new(App {
        store: Mutex::new(Store {
            hubspot: hubspot::seed(config.records),
            salesforce: salesforce::seed(config.records),
        }),
        meter: Mutex::new(Meter::new(config.rate_limit)),
        correlation: CorrelationIds::new(),
        token: config.api_token,
    });
    let vendors = Router::new()
        .merge(hubspot::routes())
        .merge(salesforce::routes())
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .with_state(app.clone());
    Router::new()
        .route("/", get(index))
        .fallback_service(vendors)
        .layer(middleware::from_fn_with_state(app, gate))
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
    axum::serve(no_delay(listener), router(config))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Starts the sandbox on `127.0.0.1` with an ephemeral port, in the background.
pub async fn spawn(config: SandboxConfig) -> io::Result<SandboxHandle> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let api_token = config.api_token.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_until(listener, config, async move {
        // A dropped sender stops the server too.
        let _ = stopped.await;
    }));
    Ok(SandboxHandle {
        addr,
        api_token,
        stop: Some(stop),
        task: Some(task),
    })
}

/// A running sandbox; dropping it (or calling [`SandboxHandle::shutdown`]) stops the server.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    api_token: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl SandboxHandle {
    /// The bound address (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: HubSpot's base URL and Salesforce's instance URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Salesforce's REST base: `http://127.0.0.1:<port>/services/data/v60.0`.
    pub fn salesforce_base_url(&self) -> String {
        format!("{}/services/data/{SALESFORCE_API_VERSION}", self.base_url())
    }

    /// The bearer token the sandbox accepts.
    pub fn api_token(&self) -> &str {
        &self.api_token
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
