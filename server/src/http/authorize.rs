//! `GET /mcp/{token}/authorize`: for the calling user (named by the API token, which this route
//! always requires), which of the server's integrations are connected and, for each that is not,
//! the URL that connects it, so an app can check before it starts an agent run.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{AppState, SecondFactor, not_found_response};
use crate::mcp::{Access, UserAccount};

/// `GET /mcp/{token}/authorize`.
pub(crate) async fn authorize(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let binding = match state
        .resolve_with(token, &headers, SecondFactor::Always)
        .await
    {
        Ok(Some(binding)) => binding,
        Ok(None) => return not_found_response(),
        Err(response) => return response,
    };
    let integrations: Vec<Value> = binding
        .integrations
        .iter()
        .map(|bound| {
            let (mode, account) = match &bound.access {
                Access::Shared(account) => ("shared", Some(account)),
                Access::PerUser(UserAccount::Connected(account)) => ("per_user", Some(account)),
                Access::PerUser(_) => ("per_user", None),
            };
            let mut entry = json!({"integration": bound.integration, "mode": mode});
            match account {
                Some(account) if !account.needs_reauth => {
                    entry["connected"] = json!(true);
                    entry["account"] = json!(account.id);
                }
                Some(account) => {
                    // Connected once, but its refresh token died: a person must connect it again.
                    entry["connected"] = json!(false);
                    entry["account"] = json!(account.id);
                    entry["reason"] = json!("needs_reauth");
                    entry["authorization_url"] = json!(state.executor.reconnect_url(account));
                }
                None => {
                    let url = match &bound.access {
                        Access::PerUser(UserAccount::NotConnected { connect_url }) => {
                            connect_url.clone()
                        }
                        _ => None,
                    };
                    entry["connected"] = json!(false);
                    entry["reason"] = json!(if binding.user.is_some() {
                        "not_connected"
                    } else {
                        "no_user"
                    });
                    entry["authorization_url"] = json!(url);
                }
            }
            entry
        })
        .collect();
    let ready = integrations.iter().all(|i| i["connected"] == json!(true));
    Json(json!({
        "server": binding.name,
        "user": binding.user,
        "ready": ready,
        "integrations": integrations,
    }))
    .into_response()
}
