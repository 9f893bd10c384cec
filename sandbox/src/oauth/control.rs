//! Test controls under `/_sandbox/oauth/` (not a vendor path, so no bearer token): read the
//! counters and the event log, expire every access token, revoke every grant, slow the token
//! endpoint down. They serve tests
//! that run the sandbox in another process (`switchboard sandbox`); in-process tests use the same
//! operations on [`crate::SandboxHandle`].

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::web::QueryArg;
use crate::{Shared, SharedState};

/// The control routes.
pub(super) fn routes() -> Router<Shared> {
    Router::new()
        .route("/_sandbox/oauth/stats", get(stats))
        .route("/_sandbox/oauth/events", get(events))
        .route("/_sandbox/oauth/expire-access-tokens", post(expire))
        .route("/_sandbox/oauth/revoke", post(revoke))
        .route("/_sandbox/oauth/token-delay", post(token_delay))
}

/// `GET /_sandbox/oauth/stats`: [`crate::OAuthStats`] as JSON.
async fn stats(State(app): SharedState) -> Response {
    Json(app.oauth.stats()).into_response()
}

/// `GET /_sandbox/oauth/events[?after=<seq>]`: a JSON array of [`crate::OAuthEvent`], oldest
/// first; `after` lets a poller read only what is new.
async fn events(State(app): SharedState, query: QueryArg) -> Response {
    let Ok(Query(pairs)) = query else {
        return bad_request("malformed query string");
    };
    let after = match pairs.iter().find(|(k, _)| k == "after") {
        None => 0,
        Some((_, v)) => match v.parse::<u64>() {
            Ok(after) => after,
            Err(_) => return bad_request("`after` must be a non-negative integer"),
        },
    };
    Json(app.oauth.events(after)).into_response()
}

/// `POST /_sandbox/oauth/expire-access-tokens`: `{"expired": <tokens>}`.
async fn expire(State(app): SharedState) -> Response {
    Json(json!({"expired": app.oauth.expire_access_tokens()})).into_response()
}

/// `POST /_sandbox/oauth/revoke`: `{"revoked_chains": <chains>}`.
async fn revoke(State(app): SharedState) -> Response {
    Json(json!({"revoked_chains": app.oauth.revoke_all_chains()})).into_response()
}

/// `POST /_sandbox/oauth/token-delay?ms=<n>`: the token endpoint holds each request `n` ms
/// before looking at it (0 turns it off); `{"token_delay_ms": n}`.
async fn token_delay(State(app): SharedState, query: QueryArg) -> Response {
    let Ok(Query(pairs)) = query else {
        return bad_request("malformed query string");
    };
    let Some(ms) = pairs
        .iter()
        .find(|(k, _)| k == "ms")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .filter(|ms| *ms <= 600_000)
    else {
        return bad_request("`ms` must be an integer from 0 to 600000");
    };
    app.oauth
        .set_token_delay(std::time::Duration::from_millis(ms));
    Json(json!({"token_delay_ms": ms})).into_response()
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"message": message}))).into_response()
}
