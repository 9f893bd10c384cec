//! Zendesk's OAuth server, per Zendesk's "Using OAuth authentication with your application",
//! "OAuth Tokens for Grant Types" (`POST /oauth/tokens`, authorization code with optional PKCE,
//! refresh) and "Working with OAuth refresh tokens".
//!
//! Zendesk serves these on each account's subdomain at `/oauth/authorizations/new` and
//! `/oauth/tokens`; the sandbox serves them there and under `/zendesk` (`GET
//! /zendesk/oauth/authorizations/new`, `POST /zendesk/oauth/tokens`). The token endpoint takes
//! a JSON body (as Zendesk's examples send) or a form body, the client in the body or in HTTP
//! Basic. As Zendesk documents, every refresh returns a new refresh token and invalidates the
//! previous access and refresh tokens. Error objects are RFC 6749's, with its descriptions.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, FromRequest, Query, Request, State};
use axum::http::header::CONTENT_TYPE as CONTENT_TYPE_HEADER;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::Value;

use super::{
    Consented, OAuthFailure, PageError, client_from_basic, consent, form_params, no_store,
    read_authorize, redirect, token_request, with_state,
};
use crate::web::{Params, QueryArg, json_response};
use crate::{Shared, SharedState, Vendor};

const CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// Refresh-token lifetime reported in `refresh_token_expires_in` (30 days; Zendesk lets a client
/// ask for 7 to 90).
const REFRESH_TOKEN_TTL_SECS: u64 = 30 * 24 * 3600;

/// The Zendesk OAuth routes, at Zendesk's own paths and under `/zendesk`.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/zendesk/oauth/authorizations/new", get(authorize))
        .route("/oauth/authorizations/new", get(authorize))
        .route("/zendesk/oauth/tokens", post(token))
        .route("/oauth/tokens", post(token))
}

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    error_description: &'static str,
}

/// A successful token response (the fields Zendesk's grant-type token endpoint returns).
#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'static str,
    scope: &'a str,
    refresh_token: &'a str,
    expires_in: u64,
    refresh_token_expires_in: u64,
}

const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";
const INVALID_CLIENT: &str = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.";
const INVALID_REQUEST: &str = "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.";

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
        PageError::TooLong => ("invalid_request", INVALID_REQUEST),
        PageError::UnknownClient => ("invalid_client", INVALID_CLIENT),
        PageError::BadRedirectUri => (
            "invalid_redirect_uri",
            "The requested redirect uri is malformed or doesn't match client redirect URI.",
        ),
    };
    error(StatusCode::BAD_REQUEST, code, description)
}

/// `GET /oauth/authorizations/new?response_type=code&client_id&redirect_uri&scope[&state]
/// [&code_challenge[&code_challenge_method=S256]][&deny=1]`.
async fn authorize(State(app): SharedState, query: QueryArg) -> Response {
    let params = query.map(|Query(p)| Params::new(p)).unwrap_or_default();
    let request = match read_authorize(&params, &app) {
        Ok(request) => request,
        Err(problem) => return page(problem),
    };
    let state = request.state.as_deref();
    let refuse = |err: &'static str, description: &'static str| {
        redirect(
            &request.redirect_uri,
            &with_state(&[("error", err), ("error_description", description)], state),
        )
    };
    if params.get("response_type") != Some("code") {
        return refuse(
            "unsupported_response_type",
            "The authorization server does not support this response type.",
        );
    }
    // Zendesk requires scopes (`read`, `write`, `tickets:read`, …).
    if request.scope.is_empty() {
        return refuse(
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        );
    }
    match consent(
        &app,
        Vendor::Zendesk,
        &request,
        "The resource owner or authorization server denied the request.",
    ) {
        Ok(Consented::Code(code)) => redirect(
            &request.redirect_uri,
            &with_state(&[("code", &code)], state),
        ),
        Ok(Consented::Refused(err, description)) => refuse(err, description),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The authorization server encountered an unexpected condition.",
        ),
    }
}

/// A JSON object body's members as parameters (strings as they are, numbers and booleans as
/// text; anything else, or a body that is not a JSON object, gives none).
fn json_params(body: &[u8]) -> Params {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return Params::default();
    };
    let pairs = map
        .into_iter()
        .filter_map(|(key, value)| match value {
            Value::String(text) => Some((key, text)),
            Value::Number(n) => Some((key, n.to_string())),
            Value::Bool(b) => Some((key, b.to_string())),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        })
        .collect();
    Params::new(pairs)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        })
}

/// `POST /oauth/tokens` (JSON or form): `authorization_code` or `refresh_token`.
async fn token(State(app): SharedState, request: Request) -> Response {
    app.oauth.token_delay().await;
    let headers = request.headers().clone();
    let params = if is_json(&headers) {
        match Bytes::from_request(request, &()).await {
            Ok(body) => json_params(&body),
            Err(_) => Params::default(),
        }
    } else {
        form_params(Form::<Vec<(String, String)>>::from_request(request, &()).await)
    };
    let mut request = token_request(&params);
    client_from_basic(&mut request, &headers);
    match super::token(&app, Vendor::Zendesk, &request) {
        Ok(issued) => {
            let refresh_token = issued
                .refresh_token
                .as_deref()
                .or(request.refresh_token.as_deref())
                .unwrap_or_default();
            let body = TokenBody {
                access_token: &issued.access_token,
                token_type: "bearer",
                scope: &issued.scope,
                refresh_token,
                expires_in: issued.expires_in,
                refresh_token_expires_in: REFRESH_TOKEN_TTL_SECS,
            };
            let mut response = json_response(StatusCode::OK, &body, CONTENT_TYPE);
            no_store(&mut response);
            response
        }
        Err(failure) => token_error(failure),
    }
}

fn token_error(failure: OAuthFailure) -> Response {
    let bad = StatusCode::BAD_REQUEST;
    match failure {
        OAuthFailure::UnsupportedGrantType => error(
            bad,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        ),
        OAuthFailure::InvalidClientId | OAuthFailure::InvalidClientSecret => {
            error(StatusCode::UNAUTHORIZED, "invalid_client", INVALID_CLIENT)
        }
        OAuthFailure::InvalidCode
        | OAuthFailure::RedirectUriMismatch
        | OAuthFailure::InvalidCodeVerifier
        | OAuthFailure::InvalidRefreshToken
        | OAuthFailure::RefreshTokenReuse => error(bad, "invalid_grant", INVALID_GRANT),
        OAuthFailure::MissingToken
        | OAuthFailure::UnknownToken
        | OAuthFailure::ExpiredToken
        | OAuthFailure::RevokedToken
        | OAuthFailure::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The authorization server encountered an unexpected condition.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_become_parameters() {
        let params = json_params(br#"{"grant_type":"refresh_token","expires_in":600,"x":[1]}"#);
        assert_eq!(params.get("grant_type"), Some("refresh_token"));
        assert_eq!(params.get("expires_in"), Some("600"));
        assert_eq!(params.get("x"), None);
        assert!(json_params(b"[1,2]").pairs().is_empty());
        assert!(json_params(b"{").pairs().is_empty());
    }
}
