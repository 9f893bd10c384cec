//! Talking to an identity provider: one integration's OAuth endpoints with one app's client
//! credentials, through the `oauth2` crate, over an HTTP client that follows no redirects and reads
//! bounded answers.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet,
    EndpointSet, ExtraTokenFields, HttpRequest, HttpResponse, PkceCodeVerifier, RedirectUrl,
    RefreshToken, RequestTokenError, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_runtime::table::{ClientAuthentication, Integration, OAuth2};

/// Largest token-endpoint answer read: token responses are a few hundred bytes.
const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;

/// Client credentials of an OAuth app. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct ClientCredentials {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Token-response fields beyond RFC 6749's (Salesforce's `instance_url`, `id`, `signature`…). Its
/// `Debug` shows the names only: some of these fields are credentials (`id_token`).
#[derive(Clone, Default, Deserialize, Serialize)]
pub struct ExtraFields {
    /// Every field RFC 6749 does not name.
    #[serde(flatten)]
    pub fields: BTreeMap<String, Value>,
}

impl fmt::Debug for ExtraFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.fields.keys()).finish()
    }
}

impl ExtraTokenFields for ExtraFields {}

type TokenAnswer = StandardTokenResponse<ExtraFields, BasicTokenType>;

type OAuthClient<HasAuthUrl> = oauth2::Client<
    BasicErrorResponse,
    TokenAnswer,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuthUrl,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Tokens an identity provider issued. Its `Debug` never shows a token.
#[derive(Clone)]
pub struct Tokens {
    /// The access token.
    pub access_token: String,
    /// A refresh token, when one was issued (a refresh that returns none keeps the old one).
    pub refresh_token: Option<String>,
    /// Seconds the access token lives, when the provider says.
    pub expires_in: Option<Duration>,
    /// Scopes granted, when the provider says.
    pub scopes: Option<Vec<String>>,
    /// The other fields of the answer.
    pub extra: BTreeMap<String, Value>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_in", &self.expires_in)
            .field("scopes", &self.scopes)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Why a token request failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The provider says the grant is dead (`invalid_grant`, or the integration's declared
    /// equivalent): only a person reconnecting can fix it.
    #[error("the identity provider refused the grant ({0})")]
    DeadGrant(String),
    /// The provider refused the request for another reason (a client misconfiguration, usually).
    #[error("the identity provider refused the request: {0}")]
    Refused(String),
    /// No usable answer (network, timeout, garbage); trying again later may work.
    #[error("the identity provider could not be reached or answered garbage: {0}")]
    Unavailable(String),
    /// The integration or its endpoints are not usable for OAuth.
    #[error("{0}")]
    Config(String),
}

/// An HTTP client for identity providers: no redirects (a token endpoint that redirects is
/// misconfigured, and following it could send the client secret elsewhere) and a timeout.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, TokenError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .map_err(|e| TokenError::Config(format!("cannot initialise the HTTP client: {e}")))
}

/// One integration's OAuth endpoints, used with one app.
pub struct Provider<'a> {
    integration: &'a Integration,
    oauth: &'a OAuth2,
    authorization_url: String,
    token_url: String,
    app: ClientCredentials,
}

impl fmt::Debug for Provider<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("integration", &self.integration.name)
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

impl<'a> Provider<'a> {
    /// The provider of `integration`, with endpoint overrides (Salesforce My Domain, sandboxes).
    pub fn new(
        integration: &'a Integration,
        app: ClientCredentials,
        authorization_url: Option<&str>,
        token_url: Option<&str>,
    ) -> Result<Self, TokenError> {
        let oauth = integration.auth.oauth2.as_ref().ok_or_else(|| {
            TokenError::Config(format!(
                "integration `{}` does not use OAuth 2.0",
                integration.name
            ))
        })?;
        Ok(Self {
            integration,
            oauth,
            authorization_url: authorization_url
                .unwrap_or(oauth.authorization_url)
                .to_owned(),
            token_url: token_url.unwrap_or(oauth.token_url).to_owned(),
            app,
        })
    }

    /// The integration's OAuth settings.
    pub fn settings(&self) -> &'a OAuth2 {
        self.oauth
    }

    fn token_client(&self) -> Result<OAuthClient<EndpointNotSet>, TokenError> {
        let token_url = TokenUrl::new(self.token_url.clone())
            .map_err(|e| TokenError::Config(format!("invalid token URL: {e}")))?;
        Ok(
            oauth2::Client::new(ClientId::new(self.app.client_id.clone()))
                .set_client_secret(ClientSecret::new(self.app.client_secret.clone()))
                // Where the provider documents it: the form body, or HTTP Basic.
                .set_auth_type(match self.oauth.client_authentication {
                    ClientAuthentication::Post => AuthType::RequestBody,
                    ClientAuthentication::Basic => AuthType::BasicAuth,
                })
                .set_token_uri(token_url),
        )
    }

    /// The authorization URL a person opens, with `state`, `scopes`, the redirect URI and, when
    /// given, the PKCE challenge.
    pub fn authorization_url(
        &self,
        state: &str,
        scopes: &[String],
        redirect_uri: &str,
        pkce_challenge: Option<oauth2::PkceCodeChallenge>,
    ) -> Result<String, TokenError> {
        let auth_url = AuthUrl::new(self.authorization_url.clone())
            .map_err(|e| TokenError::Config(format!("invalid authorization URL: {e}")))?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| TokenError::Config(format!("invalid redirect URI: {e}")))?;
        let client = self
            .token_client()?
            .set_auth_uri(auth_url)
            .set_redirect_uri(redirect);
        let owned_state = state.to_owned();
        let mut request = client.authorize_url(move || oauth2::CsrfToken::new(owned_state));
        if !scopes.is_empty() {
            // One pre-joined scope: the crate joins with spaces, the integration says how.
            request =
                request.add_scope(oauth2::Scope::new(scopes.join(self.oauth.scope_separator)));
        }
        for (name, value) in self.oauth.authorize_params {
            request = request.add_extra_param(*name, *value);
        }
        if let Some(challenge) = pkce_challenge {
            request = request.set_pkce_challenge(challenge);
        }
        let (url, _) = request.url();
        Ok(url.to_string())
    }

    /// Exchanges an authorization code.
    pub async fn exchange_code(
        &self,
        http: &reqwest::Client,
        code: &str,
        redirect_uri: &str,
        pkce_verifier: Option<String>,
    ) -> Result<Tokens, TokenError> {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| TokenError::Config(format!("invalid redirect URI: {e}")))?;
        let client = self.token_client()?.set_redirect_uri(redirect);
        let mut request = client.exchange_code(AuthorizationCode::new(code.to_owned()));
        if let Some(verifier) = pkce_verifier {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(verifier));
        }
        let client = Bounded {
            http: http.clone(),
            status: Arc::default(),
        };
        let answer = request.request_async(&client).await;
        self.tokens(answer, client.status.load(Ordering::Relaxed))
    }

    /// Spends a refresh token.
    pub async fn refresh(
        &self,
        http: &reqwest::Client,
        refresh_token: &str,
    ) -> Result<Tokens, TokenError> {
        let client = self.token_client()?;
        let token = RefreshToken::new(refresh_token.to_owned());
        let bounded = Bounded {
            http: http.clone(),
            status: Arc::default(),
        };
        let answer = client
            .exchange_refresh_token(&token)
            .request_async(&bounded)
            .await;
        self.tokens(answer, bounded.status.load(Ordering::Relaxed))
    }

    fn tokens(
        &self,
        answer: Result<TokenAnswer, RequestTokenError<HttpError, BasicErrorResponse>>,
        status: u16,
    ) -> Result<Tokens, TokenError> {
        match answer {
            Ok(answer) => Ok(Tokens {
                access_token: answer.access_token().secret().clone(),
                refresh_token: answer.refresh_token().map(|t| t.secret().clone()),
                expires_in: answer.expires_in(),
                scopes: answer.scopes().map(|scopes| {
                    scopes
                        .iter()
                        .flat_map(|s| {
                            s.as_str()
                                .split(self.oauth.scope_separator)
                                .map(str::to_owned)
                                .collect::<Vec<_>>()
                        })
                        .filter(|s| !s.is_empty())
                        .collect()
                }),
                extra: answer.extra_fields().fields.clone(),
            }),
            Err(RequestTokenError::ServerResponse(error)) => {
                let body = serde_json::to_value(&error).unwrap_or(Value::Null);
                Err(self.classify(status, &body, error.error().as_ref()))
            }
            Err(RequestTokenError::Parse(_, body)) => {
                // Not a standard error (or not a token answer): the integration may declare its
                // own "dead refresh token" shape.
                let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                if value.get("access_token").is_some() {
                    return Err(TokenError::Unavailable(
                        "the token answer does not have the standard shape".to_owned(),
                    ));
                }
                Err(self.classify(status, &value, "non-standard error"))
            }
            Err(RequestTokenError::Request(error)) => Err(TokenError::Unavailable(error.0)),
            Err(RequestTokenError::Other(message)) => Err(TokenError::Unavailable(message)),
        }
    }

    fn classify(&self, status: u16, body: &Value, summary: &str) -> TokenError {
        // The provider's code travels to logs, pages and webhooks: short plain words only.
        let code = body
            .get("error")
            .and_then(Value::as_str)
            .and_then(plain_word)
            .unwrap_or(summary)
            .to_owned();
        if self.oauth.is_dead_refresh_token(status, body) {
            TokenError::DeadGrant(code)
        } else {
            // Never echo the body: it may repeat what was sent.
            TokenError::Refused(code)
        }
    }
}

/// `text` when it is a short plain word (`[A-Za-z0-9_.-]{1,64}`), the only provider text that may
/// reach logs, pages and webhooks.
pub(crate) fn plain_word(text: &str) -> Option<&str> {
    let plain = (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    plain.then_some(text)
}

/// A transport failure, as text (never with the URL's query).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// A token request's answer, on its way.
type Answering<'c> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<HttpResponse, HttpError>> + Send + Sync + 'c>,
>;

/// The HTTP client token requests go through: reads at most [`MAX_TOKEN_RESPONSE_BYTES`] of each
/// answer and notes its status (the `oauth2` crate keeps only the body of an error).
struct Bounded {
    http: reqwest::Client,
    status: Arc<AtomicU16>,
}

impl<'c> AsyncHttpClient<'c> for Bounded {
    type Error = HttpError;
    type Future = Answering<'c>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| HttpError(format!("invalid token request: {e}")))?;
            let mut response = self.http.execute(request).await.map_err(|e| {
                if e.is_timeout() {
                    HttpError("the token endpoint did not answer in time".to_owned())
                } else {
                    HttpError(format!("token request failed: {}", e.without_url()))
                }
            })?;
            self.status
                .store(response.status().as_u16(), Ordering::Relaxed);
            let mut builder = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| HttpError(format!("token answer failed: {}", e.without_url())))?
            {
                if body.len().saturating_add(chunk.len()) > MAX_TOKEN_RESPONSE_BYTES {
                    return Err(HttpError(format!(
                        "the token answer exceeds {MAX_TOKEN_RESPONSE_BYTES} bytes"
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            builder
                .body(body)
                .map_err(|e| HttpError(format!("unusable token answer: {e}")))
        })
    }
}
