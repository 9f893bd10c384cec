//! Pipedrive's OAuth server, per Pipedrive's "OAuth authorization" guide, its OAuth API reference
//! (`/oauth/authorize`, `/oauth/token`), the "OAuth status codes" page and the changelog entry
//! "New parameter in OAuth /oauth/token responses" (`api_domain`).
//!
//! Pipedrive serves these on `oauth.pipedrive.com` at `/oauth/authorize` and `/oauth/token`; the
//! sandbox has one origin and HubSpot's authorize endpoint is already `/oauth/authorize`, so
//! Pipedrive's live under `/pipedrive`: `GET /pipedrive/oauth/authorize` and
//! `POST /pipedrive/oauth/token`. The token endpoint takes a form body with the client in HTTP
//! Basic, which the reference marks required (a client only in the body is not one it can
//! retrieve); its answers carry `api_domain`, the company's API base
//! URL, which here is the sandbox's own URL. Refresh tokens are kept across refreshes (handed back
//! unchanged) unless strict rotation is on.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Serialize;

use super::{
    Consented, FormArg, OAuthFailure, PageError, base_url, client_from_basic, consent, form_params,
    no_store, read_authorize, redirect, token_request, with_state,
};
use crate::web::{Params, QueryArg, json_response};
use crate::{Shared, SharedState, Vendor};

const CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// Scopes granted when the authorization request names none: Pipedrive takes an app's scopes
/// from its registration, and this is a CRM app's usual set (comma-separated, as Pipedrive
/// reports them).
const DEFAULT_SCOPE: &str = "base,deals:full,contacts:full,users:read";

/// The Pipedrive OAuth routes.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/pipedrive/oauth/authorize", get(authorize))
        .route("/pipedrive/oauth/token", post(token))
}

/// RFC 6749 §5.2 error object; the descriptions are the messages Pipedrive's "OAuth status
/// codes" page lists.
#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    error_description: &'static str,
}

/// A successful token response, in the order of Pipedrive's documented example.
#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: &'a str,
    scope: &'a str,
    api_domain: &'a str,
}

fn error(status: StatusCode, error: &'static str, error_description: &'static str) -> Response {
    let mut response = json_response(
        status,
        &ErrorBody {
            error,
            error_description,
        },
        CONTENT_TYPE,
    );
    no_store(&mut response);
    response
}

/// The page shown instead of redirecting when the client or its redirect cannot be trusted.
fn page(problem: PageError) -> Response {
    let (code, description) = match problem {
        PageError::TooLong => ("invalid_request", "Invalid request: parameter too long"),
        PageError::UnknownClient => ("invalid_client", "Invalid client: client is invalid"),
        PageError::BadRedirectUri => (
            "invalid_request",
            "Invalid request: redirect_uri is not a valid URI",
        ),
    };
    error(StatusCode::BAD_REQUEST, code, description)
}

/// `GET /pipedrive/oauth/authorize?client_id&redirect_uri[&state][&scope][&code_challenge]
/// [&deny=1]`: consent is automatic; `deny=1` is the customer clicking "Cancel".
async fn authorize(State(app): SharedState, query: QueryArg) -> Response {
    let params = query.map(|Query(p)| Params::new(p)).unwrap_or_default();
    let request = match read_authorize(&params, &app) {
        Ok(request) => request,
        Err(problem) => return page(problem),
    };
    let request = if request.scope.is_empty() {
        super::Authorize {
            scope: DEFAULT_SCOPE.to_owned(),
            ..request
        }
    } else {
        request
    };
    let state = request.state.as_deref();
    match consent(
        &app,
        Vendor::Pipedrive,
        &request,
        "The user denied the app installation",
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
            "server_error",
            "Internal Server Error",
        ),
    }
}

/// What the request carried, to pick among Pipedrive's documented messages for one failure.
struct Sent {
    form: bool,
    grant_type: bool,
    client: bool,
}

/// `POST /pipedrive/oauth/token` (form): `authorization_code` or `refresh_token`, the client in
/// `Authorization: Basic` (required; client fields in the body are not read).
async fn token(State(app): SharedState, headers: HeaderMap, form: FormArg) -> Response {
    app.oauth.token_delay().await;
    let sent_form = form.is_ok();
    let params = form_params(form);
    let mut request = token_request(&params);
    request.client_id = None;
    request.client_secret = None;
    let sent = Sent {
        form: sent_form,
        grant_type: request.grant_type.is_some(),
        client: headers.contains_key(AUTHORIZATION),
    };
    client_from_basic(&mut request, &headers);
    match super::token(&app, Vendor::Pipedrive, &request) {
        Ok(issued) => {
            // Lenient mode keeps the presented refresh token valid and hands it back unchanged.
            let refresh_token = issued
                .refresh_token
                .as_deref()
                .or(request.refresh_token.as_deref())
                .unwrap_or_default();
            let api_domain = base_url(&headers);
            let body = TokenBody {
                access_token: &issued.access_token,
                token_type: "Bearer",
                expires_in: issued.expires_in,
                refresh_token,
                scope: &issued.scope,
                api_domain: &api_domain,
            };
            let mut response = json_response(StatusCode::OK, &body, CONTENT_TYPE);
            no_store(&mut response);
            response
        }
        Err(failure) => token_error(failure, &sent),
    }
}

fn token_error(failure: OAuthFailure, sent: &Sent) -> Response {
    let bad = StatusCode::BAD_REQUEST;
    let grant = "invalid_grant";
    let (status, code, description) = match failure {
        OAuthFailure::UnsupportedGrantType if !sent.form => (
            bad,
            "invalid_request",
            "Invalid request: content must be application/x-www-form-urlencoded",
        ),
        OAuthFailure::UnsupportedGrantType if !sent.grant_type => {
            (bad, "invalid_request", "Missing parameter: `grant_type`")
        }
        OAuthFailure::UnsupportedGrantType => (
            bad,
            "unsupported_grant_type",
            "Unsupported grant type: `grant_type` is invalid",
        ),
        OAuthFailure::InvalidClientId | OAuthFailure::InvalidClientSecret if !sent.client => (
            bad,
            "invalid_client",
            "Invalid client: cannot retrieve client credentials",
        ),
        OAuthFailure::InvalidClientId | OAuthFailure::InvalidClientSecret => {
            (bad, "invalid_client", "Invalid client: client is invalid")
        }
        OAuthFailure::InvalidCode => (bad, grant, "Invalid grant: authorization code is invalid"),
        OAuthFailure::RedirectUriMismatch => (
            bad,
            "invalid_request",
            "Invalid request: redirect_uri is invalid",
        ),
        OAuthFailure::InvalidCodeVerifier => {
            (bad, grant, "Invalid grant: code verifier is invalid")
        }
        OAuthFailure::InvalidRefreshToken | OAuthFailure::RefreshTokenReuse => {
            (bad, grant, "Invalid grant: refresh token is invalid")
        }
        OAuthFailure::MissingToken
        | OAuthFailure::UnknownToken
        | OAuthFailure::ExpiredToken
        | OAuthFailure::RevokedToken
        | OAuthFailure::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Internal Server Error",
        ),
    };
    error(status, code, description)
}
