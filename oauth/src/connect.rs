//! Connecting an account: the authorization URL (a single-use, expiring `state`; PKCE where the
//! integration asks for it), then the callback's code exchange, which seals the tokens in the vault.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use switchboard_runtime::account::Credential;
use switchboard_runtime::table::Integration;
use switchboard_vault::{
    AccountSummary, NewAccount, OAuthGrant, OAuthSettings, Store, StoreError, find_integration,
    now_unix,
};

use crate::apps::provider_for;
use crate::client::{TokenError, Tokens, http_client};
use crate::link::ConnectLinks;

/// Seconds a pending authorization waits for its callback.
pub const STATE_TTL_SECS: i64 = 10 * 60;

/// An account to connect: what the authorization is for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectRequest {
    /// The account id (created, or reconnected when it exists).
    pub account: String,
    /// The integration.
    pub integration: String,
    /// The user the account belongs to, for per-user accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// What the account keeps for its refreshes and reconnects: the scopes to ask for besides the
    /// integration's defaults, the OAuth app, endpoint overrides.
    #[serde(flatten)]
    pub settings: OAuthSettings,
    /// The account's base URL, unless the token answer gives one (Salesforce's `instance_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

/// A pending authorization, taken from the vault (where it is sealed under its state).
#[derive(Serialize, Deserialize)]
pub struct Pending {
    request: ConnectRequest,
    redirect_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pkce_verifier: Option<String>,
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl Pending {
    /// What the authorization is for.
    pub fn request(&self) -> &ConnectRequest {
        &self.request
    }
}

/// Why connecting failed. Messages are safe to show on a web page: no token, code or secret.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The state is unknown, already used or expired.
    #[error(
        "this authorization link is not valid any more (unknown, already used or expired); start connecting again"
    )]
    BadState,
    /// The person (or the provider) refused.
    #[error("the authorization was refused at {integration}: {reason}")]
    Denied {
        /// The integration's display name.
        integration: String,
        /// The provider's `error` code.
        reason: String,
    },
    /// The token exchange failed.
    #[error("{integration} did not accept the authorization: {source}")]
    Exchange {
        /// The integration's display name.
        integration: String,
        /// Why.
        source: TokenError,
    },
    /// No OAuth app is configured.
    #[error("{0}")]
    NoApp(String),
    /// Bad input or configuration.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Begins and completes authorizations.
#[derive(Clone)]
pub struct Connector {
    store: Arc<Store>,
    integrations: &'static [&'static Integration],
    links: ConnectLinks,
    http: reqwest::Client,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("links", &self.links)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// A connector over `store`, for the server whose links `links` makes.
    pub fn new(
        store: Arc<Store>,
        integrations: &'static [&'static Integration],
        links: ConnectLinks,
        timeout: Duration,
    ) -> Result<Self, ConnectError> {
        let http = http_client(timeout).map_err(|e| ConnectError::Invalid(e.to_string()))?;
        Ok(Self {
            store,
            integrations,
            links,
            http,
        })
    }

    /// The links this connector's server answers.
    pub fn links(&self) -> &ConnectLinks {
        &self.links
    }

    /// Records a pending authorization for `request` and returns the URL a person opens.
    pub fn begin(&self, request: ConnectRequest) -> Result<String, ConnectError> {
        switchboard_vault::check_name("account id", &request.account)?;
        if let Some(user) = &request.user {
            switchboard_vault::check_name("user", user)?;
        }
        let integration = find_integration(&request.integration, self.integrations)?;
        if let Some(existing) = self.store.account_summary(&request.account)? {
            if existing.integration != integration.name {
                return Err(ConnectError::Invalid(format!(
                    "account `{}` exists for integration `{}`, not `{}`",
                    request.account, existing.integration, integration.name
                )));
            }
            if let (Some(owner), Some(user)) = (&existing.user, &request.user)
                && owner != user
            {
                return Err(ConnectError::Invalid(format!(
                    "account `{}` belongs to another user",
                    request.account
                )));
            }
        }
        let (provider, _) = provider_for(&self.store, integration, &request.settings)?;
        let (challenge, verifier) = if provider.settings().pkce {
            let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
            (Some(challenge), Some(verifier.secret().clone()))
        } else {
            (None, None)
        };
        let state = random_state()?;
        let redirect_uri = self.links.redirect_uri();
        let scopes = requested_scopes(integration, &request.settings.scopes);
        let url = provider
            .authorization_url(&state, &scopes, &redirect_uri, challenge)
            .map_err(|e| ConnectError::Invalid(e.to_string()))?;
        let pending = Pending {
            request,
            redirect_uri,
            pkce_verifier: verifier,
        };
        let bytes = serde_json::to_vec(&pending)
            .map_err(|e| ConnectError::Invalid(format!("cannot record the authorization: {e}")))?;
        self.store
            .put_oauth_state(&state, &bytes, now_unix().saturating_add(STATE_TTL_SECS))?;
        tracing::info!(account = %pending.request.account, integration = %integration.name, "authorization started");
        Ok(url)
    }

    /// The connect request a reconnect of `account` makes: its stored settings again.
    pub fn reconnect_request(&self, account: &str) -> Result<ConnectRequest, ConnectError> {
        let summary = self.store.require_account_summary(account)?;
        let (settings, user) = self
            .store
            .oauth_settings(account)?
            .unwrap_or((OAuthSettings::default(), summary.user.clone()));
        let mut settings = settings;
        // Ask again for what was asked before, else for what was granted.
        if settings.scopes.is_empty() {
            settings.scopes = summary.granted_scopes.unwrap_or_default();
        }
        Ok(ConnectRequest {
            account: summary.id,
            integration: summary.integration,
            user,
            settings,
            base_url: None,
        })
    }

    /// What the provider refused, as the error to show (the state was spent taking it).
    pub fn deny(&self, pending: Pending, reason: &str) -> ConnectError {
        let integration = find_integration(&pending.request.integration, self.integrations)
            .map_or(pending.request.integration.as_str(), |i| i.display_name);
        tracing::info!(account = %pending.request.account, integration = %pending.request.integration, reason = %loggable(reason), "authorization refused");
        ConnectError::Denied {
            integration: integration.to_owned(),
            reason: loggable(reason).to_owned(),
        }
    }

    /// Completes an authorization: exchanges `code`, seals the tokens, and adds or reconnects the
    /// account. Nothing is stored unless everything succeeds.
    pub async fn complete(
        &self,
        pending: Pending,
        code: &str,
    ) -> Result<AccountSummary, ConnectError> {
        let request = &pending.request;
        let integration = find_integration(&request.integration, self.integrations)?;
        let (provider, app_base_url) = provider_for(&self.store, integration, &request.settings)?;
        let tokens = provider
            .exchange_code(
                &self.http,
                code,
                &pending.redirect_uri,
                pending.pkce_verifier.clone(),
            )
            .await
            .map_err(|source| ConnectError::Exchange {
                integration: integration.display_name.to_owned(),
                source,
            })?;
        let requested = requested_scopes(integration, &request.settings.scopes);
        let mut account = new_account(
            integration,
            request,
            tokens,
            requested,
            app_base_url.as_deref(),
        )?;
        if account.base_url.is_none() {
            account.base_url = app_base_url;
        }
        let store = self.store.clone();
        let integrations = self.integrations;
        let summary =
            tokio::task::spawn_blocking(move || store.connect_account(account, integrations))
                .await
                .map_err(|e| ConnectError::Invalid(format!("the store task failed: {e}")))??;
        tracing::info!(account = %summary.id, integration = %summary.integration, "account connected");
        Ok(summary)
    }

    /// Takes the pending authorization `state` stands for: it cannot be used again, whatever
    /// happens next.
    pub fn take_pending(&self, state: &str) -> Result<Pending, ConnectError> {
        if state.is_empty() || state.len() > 256 {
            return Err(ConnectError::BadState);
        }
        let bytes = self
            .store
            .take_oauth_state(state)?
            .ok_or(ConnectError::BadState)?;
        serde_json::from_slice(&bytes).map_err(|_| ConnectError::BadState)
    }
}

/// The integration's default scopes plus `extra`, without repeats, in order.
pub fn requested_scopes(integration: &Integration, extra: &[String]) -> Vec<String> {
    let mut scopes: Vec<String> = integration
        .auth
        .oauth2
        .as_ref()
        .map(|o| o.default_scopes.iter().map(|s| (*s).to_owned()).collect())
        .unwrap_or_default();
    for scope in extra {
        if !scope.is_empty() && !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    scopes
}

/// The account a token answer makes.
/// `new_account` is also given `trusted`, the base URL the operator configured for the OAuth app.
fn new_account(
    integration: &Integration,
    request: &ConnectRequest,
    tokens: Tokens,
    requested: Vec<String>,
    trusted: Option<&str>,
) -> Result<NewAccount, ConnectError> {
    let oauth2 = integration.auth.oauth2.as_ref();
    let base_url = match oauth2.and_then(|o| o.base_url_from_token) {
        Some(field) => {
            let given = tokens
                .extra
                .get(field)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| ConnectError::Exchange {
                    integration: integration.display_name.to_owned(),
                    source: TokenError::Unavailable(format!(
                        "the token answer has no `{field}`, which this integration's base URL comes from"
                    )),
                })?;
            // The answer names the host every later request goes to: only one the integration
            // expects, or the one the operator configured, is taken.
            let expected = oauth2
                .and_then(|o| o.base_url_pattern)
                .is_none_or(|pattern| {
                    switchboard_runtime::base_url::matches_whole(pattern, &given)
                });
            let configured = [request.base_url.as_deref(), trusted]
                .into_iter()
                .flatten()
                .any(|url| url.trim_end_matches('/') == given.trim_end_matches('/'));
            if !(expected || configured) {
                return Err(ConnectError::Exchange {
                    integration: integration.display_name.to_owned(),
                    source: TokenError::Unavailable(format!(
                        "the token answer's `{field}` is not a {} address; nothing was connected",
                        integration.display_name
                    )),
                });
            }
            Some(given)
        }
        None => request.base_url.clone(),
    };
    let granted = tokens.scopes.clone().unwrap_or_else(|| requested.clone());
    Ok(NewAccount {
        id: request.account.clone(),
        integration: integration.name.to_owned(),
        base_url,
        credential: Credential::Bearer(tokens.access_token),
        granted_scopes: Some(granted),
        user: request.user.clone(),
        oauth: Some(OAuthGrant {
            refresh_token: tokens.refresh_token,
            expires_at: expires_at(tokens.expires_in),
            settings: request.settings.clone(),
        }),
    })
}

/// Unix seconds `expires_in` from now.
pub(crate) fn expires_at(expires_in: Option<Duration>) -> Option<i64> {
    expires_in.map(|d| now_unix().saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)))
}

/// 32 random bytes, URL-safe.
fn random_state() -> Result<String, ConnectError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ConnectError::Invalid(format!("no randomness from the OS: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A provider-supplied code as it may appear in logs and pages: short plain words only.
fn loggable(text: &str) -> &str {
    crate::client::plain_word(text).unwrap_or("unspecified")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;
    use switchboard_runtime::table::{Auth, ErrorRules, Integration, OAuth2, RateLimit};

    use super::*;

    /// A vendor whose token answer names each account's host, which must be one of its own.
    static PER_HOST: Integration = Integration {
        name: "per_host",
        display_name: "Per-host CRM",
        description: "",
        categories: &["crm"],
        docs_url: "https://example.com/docs",
        base_url: "https://login.crm.example.com",
        base_url_variables: &[],
        auth: Auth {
            oauth2: Some(OAuth2 {
                authorization_url: "https://login.crm.example.com/authorize",
                token_url: "https://login.crm.example.com/token",
                scope_separator: " ",
                pkce: false,
                refresh_token_rotates: false,
                client_authentication: switchboard_runtime::table::ClientAuthentication::Post,
                default_scopes: &[],
                authorize_params: &[],
                base_url_from_token: Some("instance_url"),
                base_url_pattern: Some("https://[a-z0-9-]+\\.my\\.crm\\.example\\.com"),
                dead_refresh_token: &[],
            }),
            bearer: false,
            api_key: None,
            basic: false,
        },
        rate_limit: RateLimit {
            headers: &[],
            limited_when: &[],
        },
        errors: ErrorRules {
            message: &["/message"],
            code: &[],
            fields: None,
            by_status: &[],
        },
        tools: &[],
        maps: &[],
    };

    fn answer(instance_url: &str) -> Tokens {
        Tokens {
            access_token: "at".to_owned(),
            refresh_token: Some("rt".to_owned()),
            expires_in: None,
            scopes: None,
            extra: BTreeMap::from([("instance_url".to_owned(), json!(instance_url))]),
        }
    }

    fn request() -> ConnectRequest {
        ConnectRequest {
            account: "acme".to_owned(),
            integration: "per_host".to_owned(),
            ..ConnectRequest::default()
        }
    }

    #[test]
    fn a_token_answer_cannot_point_the_account_at_another_host() {
        let ok = new_account(
            &PER_HOST,
            &request(),
            answer("https://acme.my.crm.example.com"),
            Vec::new(),
            None,
        )
        .expect("one of the vendor's hosts");
        assert_eq!(
            ok.base_url.as_deref(),
            Some("https://acme.my.crm.example.com")
        );
        for hostile in [
            "https://evil.example.com",
            "https://acme.my.crm.example.com.evil.example",
            "https://evil.example/?.my.crm.example.com",
            "http://acme.my.crm.example.com",
        ] {
            assert!(
                new_account(&PER_HOST, &request(), answer(hostile), Vec::new(), None).is_err(),
                "{hostile}"
            );
        }
        // The host the operator configured (the OAuth app's base URL: a sandbox, a test org) is taken.
        let configured = new_account(
            &PER_HOST,
            &request(),
            answer("http://127.0.0.1:9100"),
            Vec::new(),
            Some("http://127.0.0.1:9100/"),
        )
        .expect("the configured host");
        assert_eq!(
            configured.base_url.as_deref(),
            Some("http://127.0.0.1:9100")
        );
    }
}
