//! Salesforce's OAuth server: `GET /services/oauth2/authorize` and `POST /services/oauth2/token`,
//! per Salesforce's "OAuth 2.0 Web Server Flow" and "OAuth 2.0 Refresh Token Flow". Answers carry
//! no `expires_in` (Salesforce sessions end by inactivity policy, not a stated lifetime) and a
//! refresh answer has no `refresh_token` unless rotation is on.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Serialize;

use super::secrets::{salesforce_org_id, salesforce_signature};
use super::{
    Consented, FormArg, OAuthFailure, PageError, base_url, client_from_basic, consent, form_params,
    no_store, read_authorize, redirect, token_request, with_state,
};
use crate::web::{Params, QueryArg, json_response};
use crate::{Shared, SharedState, Vendor};

const CONTENT_TYPE: &str = "application/json;charset=UTF-8";
/// Scopes granted when the authorization request names none (a connected app's usual set).
const DEFAULT_SCOPE: &str = "api refresh_token";

/// The Salesforce OAuth routes.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/services/oauth2/authorize", get(authorize))
        .route("/services/oauth2/token", post(token))
}

/// Salesforce's OAuth error object (not the REST API's error array).
#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    error_description: &'static str,
}

/// A successful token response, in the order Salesforce's documentation shows.
#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    signature: String,
    scope: &'a str,
    instance_url: &'a str,
    id: String,
    token_type: &'static str,
    issued_at: String,
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
        PageError::TooLong => ("invalid_request", "request parameter too long"),
        PageError::UnknownClient => ("invalid_client_id", "client identifier invalid"),
        PageError::BadRedirectUri => (
            "redirect_uri_mismatch",
            "redirect_uri must match configuration",
        ),
    };
    error(StatusCode::BAD_REQUEST, code, description)
}

/// `GET /services/oauth2/authorize?response_type=code&client_id&redirect_uri[&scope][&state]
/// [&code_challenge[&code_challenge_method=S256]][&deny=1]`.
async fn authorize(State(app): SharedState, query: QueryArg) -> Response {
    let params = query.map(|Query(p)| Params::new(p)).unwrap_or_default();
    let request = match read_authorize(&params, &app) {
        Ok(request) => request,
        Err(problem) => return page(problem),
    };
    if params.get("response_type") != Some("code") {
        let refusal = [
            ("error", "unsupported_response_type"),
            ("error_description", "response type not supported"),
        ];
        return redirect(
            &request.redirect_uri,
            &with_state(&refusal, request.state.as_deref()),
        );
    }
    let request = if request.scope.is_empty() {
        super::Authorize {
            scope: DEFAULT_SCOPE.to_owned(),
            ..request
        }
    } else {
        request
    };
    match consent(
        &app,
        Vendor::Salesforce,
        &request,
        "end-user denied authorization",
    ) {
        Ok(Consented::Code(code)) => redirect(
            &request.redirect_uri,
            &with_state(&[("code", &code)], request.state.as_deref()),
        ),
        Ok(Consented::Refused(err, description)) => redirect(
            &request.redirect_uri,
            &with_state(
                &[("error", err), ("error_description", description)],
                request.state.as_deref(),
            ),
        ),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        ),
    }
}

/// `POST /services/oauth2/token` (form): `authorization_code` or `refresh_token`; the client
/// authenticates in the body or with HTTP Basic.
async fn token(State(app): SharedState, headers: HeaderMap, form: FormArg) -> Response {
    app.oauth.token_delay().await;
    let mut request = token_request(&form_params(form));
    client_from_basic(&mut request, &headers);
    let issued = match super::token(&app, Vendor::Salesforce, &request) {
        Ok(issued) => issued,
        Err(failure) => return token_error(failure),
    };
    let instance_url = base_url(&headers);
    let id = format!(
        "{instance_url}/id/{}/{}",
        salesforce_org_id(),
        crate::salesforce::api_user_id()
    );
    let issued_at = issued.issued_ms.to_string();
    let signature = salesforce_signature(&app.oauth.client_secret(), &id, &issued_at);
    let body = TokenBody {
        access_token: &issued.access_token,
        refresh_token: issued.refresh_token.as_deref(),
        signature,
        scope: &issued.scope,
        instance_url: &instance_url,
        id,
        token_type: "Bearer",
        issued_at,
    };
    let mut response = json_response(StatusCode::OK, &body, CONTENT_TYPE);
    no_store(&mut response);
    response
}

fn token_error(failure: OAuthFailure) -> Response {
    let bad = StatusCode::BAD_REQUEST;
    match failure {
        OAuthFailure::UnsupportedGrantType => {
            error(bad, "unsupported_grant_type", "grant type not supported")
        }
        OAuthFailure::InvalidClientId => {
            error(bad, "invalid_client_id", "client identifier invalid")
        }
        OAuthFailure::InvalidClientSecret => {
            error(bad, "invalid_client", "invalid client credentials")
        }
        OAuthFailure::InvalidCode => error(bad, "invalid_grant", "invalid authorization code"),
        OAuthFailure::RedirectUriMismatch => error(
            bad,
            "redirect_uri_mismatch",
            "redirect_uri must match configuration",
        ),
        OAuthFailure::InvalidCodeVerifier => error(bad, "invalid_grant", "invalid code verifier"),
        OAuthFailure::InvalidRefreshToken | OAuthFailure::RefreshTokenReuse => {
            error(bad, "invalid_grant", "expired access/refresh token")
        }
        OAuthFailure::MissingToken
        | OAuthFailure::UnknownToken
        | OAuthFailure::ExpiredToken
        | OAuthFailure::RevokedToken
        | OAuthFailure::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        ),
    }
}
