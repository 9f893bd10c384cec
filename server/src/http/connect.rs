//! The browser side of connecting accounts: `GET /connect/{integration}` (a signed connect link)
//! redirects to the identity provider; `GET /oauth/callback` completes the authorization and shows a
//! small page saying what happened. Nothing is stored unless the whole flow succeeded.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use switchboard_oauth::{ConnectError, ConnectRequest, Connector, LinkError, LinkTarget};
use switchboard_vault::{OAuthSettings, now_unix};

use super::AppState;

/// `GET /connect/{integration}?account=…&expires=…&sig=…[&user=…]`.
pub(crate) async fn start(
    State(state): State<Arc<AppState>>,
    Path(integration): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if state.connectors.is_empty() {
        return super::not_found_response();
    }
    let param = |name: &str| query.get(name).cloned();
    let (Some(account), Some(expires), Some(sig)) =
        (param("account"), param("expires"), param("sig"))
    else {
        return page(
            StatusCode::BAD_REQUEST,
            "Not a connect link",
            "This address is missing its account, expiry or signature. Ask for a new connect link.",
        );
    };
    let Ok(expires_at) = expires.parse::<i64>() else {
        return page(
            StatusCode::BAD_REQUEST,
            "Not a connect link",
            "This link's expiry is not a number. Ask for a new connect link.",
        );
    };
    let target = LinkTarget {
        integration: integration.clone(),
        account: account.clone(),
        user: param("user"),
        scopes: param("scopes")
            .map(|s| s.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        expires_at,
    };
    // The connector whose key signed the link serves it.
    let now = now_unix();
    let verdicts: Vec<_> = state
        .connectors
        .iter()
        .map(|c| (c, c.links().verify(&target, &sig, now)))
        .collect();
    let connector = match verdicts.iter().find(|(_, verdict)| verdict.is_ok()) {
        Some((connector, _)) => Arc::clone(connector),
        None => {
            let error = verdicts
                .iter()
                .find_map(|(_, verdict)| verdict.err().filter(|e| *e != LinkError::BadSignature))
                .unwrap_or(LinkError::BadSignature);
            tracing::info!(integration = %loggable(&integration), "refused a connect link: {error}");
            return page(StatusCode::FORBIDDEN, "Link not valid", &error.to_string());
        }
    };
    let begun = tokio::task::spawn_blocking(move || begin(&connector, target)).await;
    match begun {
        Ok(Ok(url)) => redirect(&url),
        Ok(Err(error)) => failure(&error),
        Err(error) => {
            tracing::error!(%error, "connect task failed");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The server could not start connecting the account. Try again.",
            )
        }
    }
}

/// The authorization URL for a verified link: a reconnect keeps the account's stored settings.
fn begin(connector: &Connector, target: LinkTarget) -> Result<String, ConnectError> {
    let request = match connector.reconnect_request(&target.account) {
        Ok(mut request) => {
            if request.integration != target.integration {
                return Err(ConnectError::Invalid(format!(
                    "account `{}` belongs to another integration",
                    target.account
                )));
            }
            if !target.scopes.is_empty() {
                request.settings.scopes = target.scopes;
            }
            request
        }
        Err(ConnectError::Store(switchboard_vault::StoreError::UnknownAccount { .. })) => {
            ConnectRequest {
                account: target.account,
                integration: target.integration,
                user: target.user,
                settings: OAuthSettings {
                    scopes: target.scopes,
                    ..OAuthSettings::default()
                },
                ..ConnectRequest::default()
            }
        }
        Err(error) => return Err(error),
    };
    connector.begin(request)
}

/// `GET /oauth/callback?state=…&code=…` (or `&error=…`).
pub(crate) async fn callback(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if state.connectors.is_empty() {
        return super::not_found_response();
    }
    let oauth_state = query.get("state").cloned().unwrap_or_default();
    // The connector whose store recorded the state serves the callback (states are single-use,
    // so this takes it).
    let connector = {
        let (connectors, oauth_state) = (state.connectors.clone(), oauth_state.clone());
        tokio::task::spawn_blocking(move || {
            connectors.into_iter().find_map(|c| {
                c.take_pending(&oauth_state)
                    .ok()
                    .map(|pending| (c, pending))
            })
        })
        .await
        .ok()
        .flatten()
    };
    let Some((connector, pending)) = connector else {
        return failure(&ConnectError::BadState);
    };
    if let Some(error) = query.get("error") {
        // The state is spent either way, so a refused authorization cannot be replayed.
        return failure(&connector.deny(pending, error));
    }
    let Some(code) = query.get("code") else {
        return page(
            StatusCode::BAD_REQUEST,
            "Not connected",
            "The identity provider sent neither a code nor an error. Start connecting again.",
        );
    };
    match connector.complete(pending, code).await {
        Ok(summary) => {
            let vendor = state
                .executor
                .integration(&summary.integration)
                .map_or(summary.integration.as_str(), |i| i.display_name);
            page(
                StatusCode::OK,
                "Account connected",
                &format!(
                    "Your {vendor} account is connected as `{}`. You can close this page and go back to your agent.",
                    summary.id
                ),
            )
        }
        Err(error) => failure(&error),
    }
}

fn failure(error: &ConnectError) -> Response {
    let status = match error {
        ConnectError::BadState | ConnectError::Denied { .. } | ConnectError::Invalid(_) => {
            StatusCode::BAD_REQUEST
        }
        ConnectError::Exchange { .. } => StatusCode::BAD_GATEWAY,
        ConnectError::NoApp(_) | ConnectError::Store(_) => {
            tracing::error!(%error, "connecting an account failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    if status == StatusCode::BAD_REQUEST || status == StatusCode::BAD_GATEWAY {
        tracing::info!(%error, "connecting an account failed");
    }
    page(status, "Not connected", &error.to_string())
}

fn redirect(url: &str) -> Response {
    match HeaderValue::from_str(url) {
        Ok(location) => {
            let mut response = StatusCode::FOUND.into_response();
            response.headers_mut().insert(header::LOCATION, location);
            no_store(&mut response);
            response
        }
        Err(_) => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Not connected",
            "The identity provider's address cannot be used. Check the integration's authorization URL.",
        ),
    }
}

/// A small self-contained HTML page.
fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · Switchboard</title>\
         <meta name=\"viewport\" content=\"width=device-width\"></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem\">\
         <h1>{title}</h1><p>{message}</p></body></html>",
        title = escape(title),
        message = escape(message)
    );
    let mut response = (status, Html(html)).into_response();
    no_store(&mut response);
    response
}

/// These pages carry codes and states in their URLs: never cache them, never leak them onward.
fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An integration name as it may appear in logs.
fn loggable(name: &str) -> &str {
    if name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    {
        name
    } else {
        "<not an integration name>"
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn pages_escape_what_they_show() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
