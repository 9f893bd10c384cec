//! Each fake vendor as an OAuth 2.0 identity provider, behaving as the vendors document theirs:
//! the authorization-code flow (consent is automatic; `deny=1` refuses), PKCE S256, refresh, and
//! optionally strict refresh-token rotation with reuse detection (RFC 9700 §4.14.2).
//!
//! - HubSpot: `GET /oauth/authorize` (app.hubspot.com) and `POST /oauth/v1/token` (api.hubapi.com).
//! - Salesforce: `GET /services/oauth2/authorize` and `POST /services/oauth2/token`.
//! - Pipedrive: `GET /pipedrive/oauth/authorize` and `POST /pipedrive/oauth/token` (oauth.pipedrive.com
//!   serves them at `/oauth/...`, where HubSpot's authorize endpoint already is).
//! - Zendesk: `GET /zendesk/oauth/authorizations/new` and `POST /zendesk/oauth/tokens`, also at
//!   Zendesk's own paths `/oauth/authorizations/new` and `/oauth/tokens` (no other vendor uses them).
//! - Test controls (not vendor paths): `GET /_sandbox/oauth/stats`, `GET /_sandbox/oauth/events`,
//!   `POST /_sandbox/oauth/expire-access-tokens`, `POST /_sandbox/oauth/revoke`.
//!
//! Access tokens the sandbox issued are accepted by that vendor's API next to the static api token.

mod control;
mod grants;
mod hubspot;
mod log;
mod pipedrive;
mod salesforce;
mod secrets;
mod zendesk;

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::Form;
use axum::extract::rejection::FormRejection;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, LOCATION, PRAGMA};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub use log::{
    GrantCounts, OAuthEvent, OAuthEventKind, OAuthFailure, OAuthStats, VendorOAuthStats,
};
pub use secrets::token_id;

pub(crate) use grants::{Accepts, Access};

use crate::clock::now_ms;
use crate::web::Params;
use crate::{Shared, Vendor};
use grants::{Consent, Grants, Issued, TokenRequest};
use secrets::RandomError;

/// The OAuth client id the sandbox accepts when none is configured.
pub const DEFAULT_OAUTH_CLIENT_ID: &str = "sandbox-client-id";
/// The OAuth client secret the sandbox accepts when none is configured.
pub const DEFAULT_OAUTH_CLIENT_SECRET: &str = "sandbox-client-secret";
/// Access-token lifetime when none is configured (HubSpot's documented 30 minutes).
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(1800);

/// Longest query or form value the OAuth endpoints take (longer is a bad request).
const MAX_PARAM: usize = 8 * 1024;
/// Longest `redirect_uri` accepted.
const MAX_REDIRECT_URI: usize = 2048;

/// The one OAuth client registered with each fake vendor, and how tokens behave.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthConfig {
    /// The registered client's id, checked on authorize and token requests.
    pub client_id: String,
    /// The registered client's secret, checked on token requests (never printed).
    pub client_secret: String,
    /// How long an access token lives (HubSpot reports it as `expires_in`).
    pub token_ttl: Duration,
    /// Rotate the refresh token on every refresh and revoke the chain when a used one returns.
    pub strict_rotation: bool,
}

impl Default for OAuthConfig {
    /// `sandbox-client-id` / `sandbox-client-secret`, 30-minute tokens, lenient rotation.
    fn default() -> Self {
        Self {
            client_id: DEFAULT_OAUTH_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_OAUTH_CLIENT_SECRET.to_owned(),
            token_ttl: DEFAULT_TOKEN_TTL,
            strict_rotation: false,
        }
    }
}

impl fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("token_ttl", &self.token_ttl)
            .field("strict_rotation", &self.strict_rotation)
            .finish()
    }
}

/// Every vendor's OAuth state behind one lock (shared by the handlers, the API gate and the
/// [`crate::SandboxHandle`]).
pub(crate) struct Server {
    grants: Mutex<Grants>,
    /// How long the token endpoint holds each request before looking at it, in milliseconds.
    token_delay_ms: std::sync::atomic::AtomicU64,
    /// Token requests that arrived, answered or not (a client may hang up during the delay).
    token_arrivals: std::sync::atomic::AtomicU64,
}

impl fmt::Debug for Server {
    /// The configuration only: the state is large and tests read it through the stats and events.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Server");
        // `try_lock`: printing must never wait for (or deadlock on) a request holding the lock.
        match self.grants.try_lock() {
            Ok(grants) => out.field("config", grants.config()),
            Err(_) => out.field("config", &"<locked>"),
        };
        out.finish_non_exhaustive()
    }
}

impl Server {
    /// A server with no grants yet.
    pub(crate) fn new(config: OAuthConfig) -> Self {
        Self {
            grants: Mutex::new(Grants::new(config)),
            token_delay_ms: std::sync::atomic::AtomicU64::new(0),
            token_arrivals: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The state (a poisoned lock is recovered: every update leaves it consistent).
    fn grants(&self) -> MutexGuard<'_, Grants> {
        self.grants.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks a vendor API call's credential against what its style `accepts` (the static api
    /// token and/or an access token this vendor issued).
    pub(crate) fn api_call(
        &self,
        vendor: Vendor,
        presented: Option<&str>,
        accepts: Accepts<'_>,
    ) -> Access {
        let mut grants = self.grants();
        // Read the clock under the lock so the event log's times never go backwards.
        grants.api_call_with(vendor, presented, accepts, now_ms())
    }

    /// The registered client's secret (Salesforce signs its answers with it).
    pub(crate) fn client_secret(&self) -> String {
        self.grants().config().client_secret.clone()
    }

    /// Counters with totals.
    pub(crate) fn stats(&self) -> OAuthStats {
        self.grants().stats()
    }

    /// Events with `seq > after`.
    pub(crate) fn events(&self, after: u64) -> Vec<OAuthEvent> {
        self.grants().events(after)
    }

    /// Expires every live access token now.
    /// Makes the token endpoint hold every request for `delay` before looking at it (zero: answer
    /// at once), as a slow identity provider does. A client that hangs up meanwhile is never
    /// answered and its request never processed: the handler is dropped with the connection.
    pub(crate) fn set_token_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.token_delay_ms
            .store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Counts a token request's arrival, then waits out the configured token delay.
    pub(crate) async fn token_delay(&self) {
        self.token_arrivals
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ms = self
            .token_delay_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }

    /// Token requests that arrived so far, including those whose client hung up unanswered.
    pub(crate) fn token_arrivals(&self) -> u64 {
        self.token_arrivals
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn expire_access_tokens(&self) -> usize {
        let mut grants = self.grants();
        grants.expire_access_tokens(now_ms())
    }

    /// Revokes every chain.
    pub(crate) fn revoke_all_chains(&self) -> usize {
        self.grants().revoke_all_chains()
    }
}

/// The OAuth and test-control routes; they sit outside the vendor API's bearer-token gate.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .merge(hubspot::routes())
        .merge(salesforce::routes())
        .merge(pipedrive::routes())
        .merge(zendesk::routes())
        .merge(control::routes())
}

// ---------------------------------------------------------------------------------------------
// Shared by every vendor's endpoints

/// A form body's result: a malformed or non-form body reads as no parameters, which each vendor
/// then refuses for its missing `grant_type` (HubSpot answers JSON bodies with `BAD_GRANT_TYPE`).
pub(crate) type FormArg = Result<Form<Vec<(String, String)>>, FormRejection>;

/// The parameters of a form body.
pub(crate) fn form_params(arg: FormArg) -> Params {
    Params::new(arg.map(|Form(pairs)| pairs).unwrap_or_default())
}

/// The first value of `key`, unless empty or longer than [`MAX_PARAM`].
fn param(params: &Params, key: &str) -> Option<String> {
    params
        .get(key)
        .filter(|v| !v.is_empty() && v.len() <= MAX_PARAM)
        .map(str::to_owned)
}

/// A token request's parameters (client credentials from the body only).
pub(crate) fn token_request(params: &Params) -> TokenRequest {
    TokenRequest {
        grant_type: param(params, "grant_type"),
        client_id: param(params, "client_id"),
        client_secret: param(params, "client_secret"),
        redirect_uri: param(params, "redirect_uri"),
        code: param(params, "code"),
        code_verifier: param(params, "code_verifier"),
        refresh_token: param(params, "refresh_token"),
    }
}

/// Why an authorization request is answered with an error page instead of a redirect: the
/// client or its `redirect_uri` cannot be trusted, so nothing is sent there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageError {
    /// A parameter longer than [`MAX_PARAM`].
    TooLong,
    /// Missing or unknown `client_id`.
    UnknownClient,
    /// Missing, relative, over-long or fragment-carrying `redirect_uri`.
    BadRedirectUri,
}

/// An authorization request every vendor accepts, before vendor-specific checks.
#[derive(Debug)]
pub(crate) struct Authorize {
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    pub(crate) state: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) code_challenge_method: Option<String>,
    pub(crate) deny: bool,
}

/// Reads and checks an authorization request's client and `redirect_uri`.
fn read_authorize(params: &Params, app: &Shared) -> Result<Authorize, PageError> {
    if params.pairs().iter().any(|(_, v)| v.len() > MAX_PARAM) {
        return Err(PageError::TooLong);
    }
    if !app.oauth.grants().known_client(params.get("client_id")) {
        return Err(PageError::UnknownClient);
    }
    let redirect_uri = params
        .get("redirect_uri")
        .filter(|uri| valid_redirect_uri(uri))
        .ok_or(PageError::BadRedirectUri)?;
    let text = |key: &str| params.get(key).filter(|v| !v.is_empty()).map(str::to_owned);
    Ok(Authorize {
        redirect_uri: redirect_uri.to_owned(),
        scope: params.get("scope").unwrap_or_default().trim().to_owned(),
        state: text("state"),
        code_challenge: text("code_challenge"),
        code_challenge_method: text("code_challenge_method"),
        deny: params.get("deny") == Some("1"),
    })
}

/// An absolute URI with a scheme and host and no fragment (RFC 6749 §3.1.2).
fn valid_redirect_uri(uri: &str) -> bool {
    uri.len() <= MAX_REDIRECT_URI
        && !uri.contains('#')
        && Uri::try_from(uri).is_ok_and(|u| u.scheme().is_some() && u.authority().is_some())
}

/// How an authorization request that passed the page checks ends.
#[derive(Debug)]
pub(crate) enum Consented {
    /// Redirect with `code` (and `state`).
    Code(String),
    /// Redirect with `error` and `error_description` (and `state`).
    Refused(&'static str, &'static str),
}

/// Automatic consent: `deny=1` refuses, a PKCE method other than S256 is an invalid request,
/// anything else gets a one-time code. Neither vendor supports `plain`, so a challenge without
/// a method is taken as S256.
fn consent(
    app: &Shared,
    vendor: Vendor,
    request: &Authorize,
    deny_description: &'static str,
) -> Result<Consented, RandomError> {
    let mut grants = app.oauth.grants();
    if request.deny {
        grants.deny(vendor);
        return Ok(Consented::Refused("access_denied", deny_description));
    }
    if request.code_challenge.is_some()
        && request
            .code_challenge_method
            .as_deref()
            .is_some_and(|m| m != "S256")
    {
        return Ok(Consented::Refused(
            "invalid_request",
            "code challenge method not supported",
        ));
    }
    let consent = Consent {
        redirect_uri: request.redirect_uri.clone(),
        scope: request.scope.clone(),
        code_challenge: request.code_challenge.clone(),
    };
    grants
        .authorize(vendor, consent, now_ms())
        .map(Consented::Code)
}

/// Answers an accepted token request or records a refused one.
fn token(app: &Shared, vendor: Vendor, request: &TokenRequest) -> Result<Issued, OAuthFailure> {
    let mut grants = app.oauth.grants();
    grants.token(vendor, request, now_ms())
}

/// `params` followed by `state` when the authorization request carried one (echoed unchanged).
fn with_state<'a>(
    params: &[(&'a str, &'a str)],
    state: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut all = params.to_vec();
    if let Some(state) = state {
        all.push(("state", state));
    }
    all
}

/// A 302 to `redirect_uri` with `params` appended to its query.
fn redirect(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}{}", query.join("&"));
    match HeaderValue::from_str(&location) {
        Ok(value) => {
            let mut response = StatusCode::FOUND.into_response();
            response.headers_mut().insert(LOCATION, value);
            no_store(&mut response);
            response
        }
        // `redirect_uri` passed `Uri` parsing and the rest is percent-encoded, so this is
        // unreachable in practice; still an answer, not a panic.
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// `application/x-www-form-urlencoded` encoding (spaces as `+`), as the vendors' redirects use.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b' ' => out.push('+'),
            b if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'*') => {
                out.push(char::from(b));
            }
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Client credentials from `Authorization: Basic base64(id:secret)`, each part form-encoded before
/// it was joined (RFC 6749 §2.3.1), so a `:` or `+` in a secret survives.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("Basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let form_decoded = |part: &str| {
        form_urlencoded::parse(part.as_bytes())
            .next()
            .map_or_else(String::new, |(decoded, _)| decoded.into_owned())
    };
    Some((form_decoded(id), form_decoded(secret)))
}

/// Fills a token request's client from HTTP Basic when the body carried none.
fn client_from_basic(request: &mut TokenRequest, headers: &HeaderMap) {
    if request.client_id.is_none()
        && let Some((id, secret)) = basic_credentials(headers)
    {
        request.client_id = Some(id);
        request.client_secret = Some(secret);
    }
}

/// Token responses must not be cached (RFC 6749 §5.1).
fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
}

/// `http://<Host>`: the URL the client reached the sandbox by (its instance and login URL).
fn base_url(headers: &HeaderMap) -> String {
    crate::web::origin(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_client_secret() {
        let config = OAuthConfig {
            client_secret: "hunter2-secret".into(),
            ..OAuthConfig::default()
        };
        let printed = format!("{config:?} {:?}", Server::new(config.clone()));
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("sandbox-client-id"), "{printed}");
    }

    #[test]
    fn redirect_uris_must_be_absolute_without_fragment() {
        assert!(valid_redirect_uri(
            "http://localhost:8080/oauth/callback?x=1"
        ));
        assert!(valid_redirect_uri("https://app.example.com/cb"));
        for bad in [
            "",
            "/cb",
            "app.example.com/cb",
            "https://a.example/cb#frag",
            "http://a b/",
        ] {
            assert!(!valid_redirect_uri(bad), "{bad}");
        }
        assert!(!valid_redirect_uri(&format!(
            "https://a.example/{}",
            "x".repeat(3000)
        )));
    }

    #[test]
    fn redirects_form_encode_and_keep_the_existing_query() {
        let response = redirect(
            "http://a.example/cb?tenant=1",
            &[
                ("error_description", "end-user denied authorization"),
                ("state", "a&b=c"),
            ],
        );
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(
            response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some(
                "http://a.example/cb?tenant=1&error_description=end-user+denied+authorization&state=a%26b%3Dc"
            )
        );
    }
}
