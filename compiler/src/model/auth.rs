//! Authentication schemes an integration accepts.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::span::{Sp, SpMap};

/// The ways a connected account may authenticate; declare every scheme the vendor accepts.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// OAuth 2.0 authorization-code flow.
    #[serde(default)]
    pub oauth2: Option<OAuth2>,
    /// A static bearer token sent as `Authorization: Bearer <token>` (e.g. a HubSpot private-app token).
    #[serde(default)]
    pub bearer: Option<Bearer>,
    /// An API key sent in a header or query parameter.
    #[serde(default)]
    pub api_key: Option<ApiKey>,
    /// HTTP Basic authentication.
    #[serde(default)]
    pub basic: Option<Basic>,
}

/// OAuth 2.0 authorization-code flow settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    /// Where the user is sent to grant access.
    pub authorization_url: Sp<String>,
    /// Where codes and refresh tokens are exchanged for access tokens.
    pub token_url: Sp<String>,
    /// How scopes are joined in the authorization URL.
    #[serde(default = "default_scope_separator")]
    pub scope_separator: String,
    /// Whether the vendor requires PKCE (RFC 7636).
    #[serde(default)]
    pub pkce: bool,
    /// Whether each refresh returns a new refresh token that replaces the old one.
    #[serde(default)]
    pub refresh_token_rotates: bool,
    /// How the app authenticates at the token endpoint (RFC 6749 §2.3.1): `client_secret_post` (the
    /// client id and secret in the form body, the default) or `client_secret_basic` (HTTP Basic).
    #[serde(default)]
    pub client_authentication: ClientAuthentication,
    /// Scopes always requested, whatever tools a server exposes (e.g. Salesforce `refresh_token`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub default_scopes: Vec<Sp<serde_json::Value>>,
    /// Extra query parameters for the authorization URL.
    #[serde(default)]
    pub authorize_params: SpMap<String>,
    /// Broad scopes that grant narrower ones, each with the method scopes it covers (Zendesk's `read`
    /// covers `tickets:read`, `users:read`, …). An account granted the broad scope may call the tools
    /// needing any scope it covers; connecting still asks for the narrow scopes (least privilege).
    #[serde(default)]
    pub broader_scopes: SpMap<Vec<Sp<String>>>,
    /// Field of the token response that holds the account's base URL (Salesforce `instance_url`).
    #[serde(default)]
    pub base_url_from_token: Option<Sp<String>>,
    /// The regular expression a base URL from the token answer must match as a whole
    /// (`https://[a-z0-9-]+\.pipedrive\.com`): an answer naming another host connects nothing. A
    /// base URL the operator gave (the OAuth app's, or `--base-url`) is accepted as well.
    #[serde(default)]
    pub base_url_pattern: Option<Sp<String>>,
    /// How the token endpoint says a refresh token is dead (revoked, expired, reused), besides the
    /// standard `{"error": "invalid_grant"}` (RFC 6749 §5.2), which is always recognised. A dead refresh
    /// token means the account needs re-authorization.
    #[serde(default)]
    pub dead_refresh_token: Vec<DeadRefreshToken>,
}

/// How an app authenticates at the token endpoint, named as in RFC 7591 (`token_endpoint_auth_method`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthentication {
    /// `client_id` and `client_secret` in the form body.
    #[default]
    ClientSecretPost,
    /// `Authorization: Basic base64(client_id:client_secret)`, each part form-encoded first.
    ClientSecretBasic,
}

/// One vendor-specific way a token endpoint answers a refresh with a dead refresh token.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadRefreshToken {
    /// HTTP status of the answer (400–599).
    #[schemars(range(min = 400, max = 599))]
    pub status: Sp<u16>,
    /// JSON Pointer (RFC 6901) into the error body to a string field (`/status`).
    #[schemars(regex(pattern = r"^/"))]
    pub pointer: Sp<String>,
    /// The values of that field meaning "dead" (`BAD_REFRESH_TOKEN`); matched exactly.
    #[schemars(length(min = 1), inner(length(min = 1)))]
    pub values: Sp<Vec<Sp<String>>>,
}

fn default_scope_separator() -> String {
    " ".to_owned()
}

/// A static bearer token.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bearer {
    /// What the token is called in the vendor's UI and where to create one.
    #[serde(default)]
    pub description: Option<String>,
}

/// An API key.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    /// Where the key is sent.
    #[serde(rename = "in")]
    pub location: ApiKeyLocation,
    /// Header or query parameter name.
    pub name: Sp<String>,
    /// Text placed before the key in a header value (e.g. `Token `).
    #[serde(default)]
    pub prefix: Option<String>,
}

/// Where an API key is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyLocation {
    /// In a request header.
    Header,
    /// In a query parameter.
    Query,
}

/// HTTP Basic authentication.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Basic {
    /// What the username and password are in the vendor's terms.
    #[serde(default)]
    pub description: Option<String>,
}
