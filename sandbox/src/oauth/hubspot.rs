//! HubSpot's OAuth server: `GET /oauth/authorize` (app.hubspot.com) and `POST /oauth/v1/token`
//! (api.hubapi.com), per HubSpot's "OAuth quickstart", "Working with OAuth" and OAuth tokens v1
//! guide. Refresh tokens are kept across refreshes, as HubSpot does, unless strict rotation is on.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Serialize;

use super::{
    Consented, FormArg, OAuthFailure, PageError, consent, form_params, no_store, read_authorize,
    redirect, token_request, with_state,
};
use crate::web::{Params, QueryArg, json_response};
use crate::{Shared, SharedState, Vendor};

const CONTENT_TYPE: &str = "application/json;charset=utf-8";
/// The portal (hub) every sandbox grant is installed in.
const HUB_ID: u64 = 20_000_001;

/// The HubSpot OAuth routes.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/v1/token", post(token))
}

/// HubSpot's OAuth error: its own `status`/`message` plus, since HubSpot's 2026 change, the
/// RFC 6749 `error`/`error_description` pair.
#[derive(Serialize)]
struct ErrorBody<'a> {
    status: &'static str,
    message: &'static str,
    #[serde(rename = "correlationId")]
    correlation_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'static str>,
}

/// A successful token response (the v1 fields, in HubSpot's documented order).
#[derive(Serialize)]
struct TokenBody<'a> {
    token_type: &'static str,
    refresh_token: &'a str,
    access_token: &'a str,
    expires_in: u64,
    hub_id: u64,
    scopes: Vec<&'a str>,
    token_use: &'static str,
}

fn respond<T: Serialize>(status: StatusCode, body: &T, correlation_id: &str) -> Response {
    let mut response = json_response(status, body, CONTENT_TYPE);
    if let Ok(value) = HeaderValue::from_str(correlation_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-hubspot-correlation-id"), value);
    }
    no_store(&mut response);
    response
}

fn error(
    status: StatusCode,
    code: &'static str,
    message: &'static str,
    oauth: Option<(&'static str, &'static str)>,
    correlation_id: &str,
) -> Response {
    let body = ErrorBody {
        status: code,
        message,
        correlation_id,
        error: oauth.map(|(e, _)| e),
        error_description: oauth.map(|(_, d)| d),
    };
    respond(status, &body, correlation_id)
}

/// The page shown instead of redirecting when the client or its redirect cannot be trusted.
fn page(problem: PageError, correlation_id: &str) -> Response {
    let (code, message) = match problem {
        PageError::TooLong => ("BAD_REQUEST", "request parameter too long"),
        PageError::UnknownClient => ("BAD_CLIENT_ID", "missing or invalid client id"),
        PageError::BadRedirectUri => ("BAD_REDIRECT_URI", "missing or invalid redirect_uri"),
    };
    error(StatusCode::BAD_REQUEST, code, message, None, correlation_id)
}

/// `GET /oauth/authorize?client_id&redirect_uri&scope&state[&optional_scope][&deny=1]`.
async fn authorize(State(app): SharedState, query: QueryArg) -> Response {
    let correlation_id = app.correlation.next();
    let params = query.map(|Query(p)| Params::new(p)).unwrap_or_default();
    let request = match read_authorize(&params, &app) {
        Ok(request) => request,
        Err(problem) => return page(problem, &correlation_id),
    };
    // HubSpot requires `scope`; `optional_scope` ones are granted too (consent is automatic).
    if request.scope.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_SCOPES",
            "missing or invalid scope",
            None,
            &correlation_id,
        );
    }
    let mut granted = request.scope.clone();
    if let Some(optional) = params
        .get("optional_scope")
        .filter(|s| !s.trim().is_empty())
    {
        granted = format!("{granted} {}", optional.trim());
    }
    let request = super::Authorize {
        scope: granted,
        ..request
    };
    let state = request.state.as_deref();
    match consent(
        &app,
        Vendor::HubSpot,
        &request,
        "The user declined to install the app",
    ) {
        Ok(Consented::Code(code)) => redirect(
            &request.redirect_uri,
            &with_state(&[("code", &code)], state),
        ),
        Ok(Consented::Refused(err, description)) => redirect(
            &request.redirect_uri,
            &with_state(&[("error", err), ("error_description", description)], state),
        ),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "error",
            "internal error",
            None,
            &correlation_id,
        ),
    }
}

/// `POST /oauth/v1/token` (form): `authorization_code` or `refresh_token`.
async fn token(State(app): SharedState, form: FormArg) -> Response {
    app.oauth.token_delay().await;
    let correlation_id = app.correlation.next();
    let request = token_request(&form_params(form));
    match super::token(&app, Vendor::HubSpot, &request) {
        Ok(issued) => {
            // Lenient mode keeps the presented refresh token valid and hands it back unchanged.
            let refresh_token = issued
                .refresh_token
                .as_deref()
                .or(request.refresh_token.as_deref())
                .unwrap_or_default();
            let body = TokenBody {
                token_type: "bearer",
                refresh_token,
                access_token: &issued.access_token,
                expires_in: issued.expires_in,
                hub_id: HUB_ID,
                scopes: issued.scope.split_whitespace().collect(),
                token_use: "access_token",
            };
            respond(StatusCode::OK, &body, &correlation_id)
        }
        Err(failure) => token_error(failure, &correlation_id),
    }
}

fn token_error(failure: OAuthFailure, correlation_id: &str) -> Response {
    let bad = StatusCode::BAD_REQUEST;
    let grant = "invalid_grant";
    let (status, code, message, oauth) = match failure {
        OAuthFailure::UnsupportedGrantType => (
            bad,
            "BAD_GRANT_TYPE",
            "missing or invalid grant type",
            ("unsupported_grant_type", "missing or invalid grant type"),
        ),
        OAuthFailure::InvalidClientId => (
            bad,
            "BAD_CLIENT_ID",
            "missing or invalid client id",
            ("invalid_client", "missing or invalid client id"),
        ),
        OAuthFailure::InvalidClientSecret => (
            bad,
            "BAD_CLIENT_SECRET",
            "missing or invalid client secret",
            ("invalid_client", "missing or invalid client secret"),
        ),
        OAuthFailure::InvalidCode => (
            bad,
            "BAD_AUTH_CODE",
            "missing or unknown auth code",
            (grant, "missing or unknown auth code"),
        ),
        OAuthFailure::RedirectUriMismatch => (
            bad,
            "BAD_REDIRECT_URI",
            "redirect_uri does not match the authorization request",
            (
                grant,
                "redirect_uri does not match the authorization request",
            ),
        ),
        OAuthFailure::InvalidCodeVerifier => (
            bad,
            "BAD_CODE_VERIFIER",
            "missing or invalid code verifier",
            (grant, "missing or invalid code verifier"),
        ),
        OAuthFailure::InvalidRefreshToken | OAuthFailure::RefreshTokenReuse => (
            bad,
            "BAD_REFRESH_TOKEN",
            "refresh token is invalid, expired or revoked",
            (grant, "refresh token is invalid, expired or revoked"),
        ),
        OAuthFailure::MissingToken
        | OAuthFailure::UnknownToken
        | OAuthFailure::ExpiredToken
        | OAuthFailure::RevokedToken
        | OAuthFailure::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "error",
            "internal error",
            ("server_error", "internal error"),
        ),
    };
    error(status, code, message, Some(oauth), correlation_id)
}
