//! Every vendor as an OAuth 2.0 identity provider: the authorization-code flow (redirects read, not
//! followed), PKCE, refresh, strict rotation with reuse detection, expiry, revocation, the test
//! controls, and hostile form input.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit as _, Mac as _};
use reqwest::header::LOCATION;
use reqwest::{StatusCode, Url};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use switchboard_sandbox::{
    OAuthConfig, OAuthEvent, OAuthEventKind, OAuthFailure, OAuthStats, SandboxConfig, Vendor,
    token_id,
};

use crate::common::{Reply, Sandbox, is_uuid_like, read, start, start_default, text};

const REDIRECT: &str = "http://127.0.0.1:9/oauth/callback";
const CLIENT_ID: &str = "sandbox-client-id";
const CLIENT_SECRET: &str = "sandbox-client-secret";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// Every vendor the sandbox fakes.
pub const ALL: [Vendor; 4] = [
    Vendor::HubSpot,
    Vendor::Salesforce,
    Vendor::Pipedrive,
    Vendor::Zendesk,
];

pub fn authorize_path(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::HubSpot => "/oauth/authorize",
        Vendor::Salesforce => "/services/oauth2/authorize",
        Vendor::Pipedrive => "/pipedrive/oauth/authorize",
        Vendor::Zendesk => "/zendesk/oauth/authorizations/new",
    }
}

pub fn token_path(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::HubSpot => "/oauth/v1/token",
        Vendor::Salesforce => "/services/oauth2/token",
        Vendor::Pipedrive => "/pipedrive/oauth/token",
        Vendor::Zendesk => "/zendesk/oauth/tokens",
    }
}

/// A read-only API call each vendor serves.
pub fn api_path(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::HubSpot => "/crm/v3/owners",
        Vendor::Salesforce => "/services/data/v60.0/query?q=SELECT+Id+FROM+User",
        Vendor::Pipedrive => "/v1/users",
        Vendor::Zendesk => "/api/v2/users/me.json",
    }
}

fn strict() -> SandboxConfig {
    SandboxConfig {
        oauth: OAuthConfig {
            strict_rotation: true,
            ..OAuthConfig::default()
        },
        ..SandboxConfig::default()
    }
}

/// The answer to an authorization request: status, and the parsed `Location` if any.
pub struct Consent {
    pub status: StatusCode,
    pub location: Option<Url>,
    pub body: String,
}

impl Consent {
    pub fn param(&self, key: &str) -> Option<String> {
        self.location.as_ref().and_then(|url| {
            url.query_pairs()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
        })
    }
}

/// Sends an authorization request with the usual parameters plus `extra` (which replace them
/// by name; an empty value drops the parameter). Redirects are not followed.
pub async fn authorize(sandbox: &Sandbox, vendor: Vendor, extra: &[(&str, &str)]) -> Consent {
    let mut params: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("scope", "crm.objects.contacts.read oauth"),
        ("state", "st8 &=/+"),
    ];
    if matches!(vendor, Vendor::Salesforce | Vendor::Zendesk) {
        params.insert(0, ("response_type", "code"));
    }
    for (key, value) in extra {
        params.retain(|(k, _)| k != key);
        if !value.is_empty() {
            params.push((key, value));
        }
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"));
    let url = format!("{}{}", sandbox.handle.base_url(), authorize_path(vendor));
    let response = client
        .get(url)
        .query(&params)
        .send()
        .await
        .unwrap_or_else(|e| panic!("authorize failed: {}", e.without_url()));
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| Url::parse(v).unwrap_or_else(|e| panic!("Location {v} is not a URL: {e}")));
    let body = response.text().await.unwrap_or_default();
    Consent {
        status,
        location,
        body,
    }
}

/// A consented authorization request's code.
pub async fn code(sandbox: &Sandbox, vendor: Vendor, extra: &[(&str, &str)]) -> String {
    let consent = authorize(sandbox, vendor, extra).await;
    assert_eq!(consent.status, StatusCode::FOUND, "{}", consent.body);
    assert_eq!(consent.param("state").as_deref(), Some("st8 &=/+"));
    consent
        .param("code")
        .unwrap_or_else(|| panic!("no code in {:?}", consent.location))
}

pub async fn token(sandbox: &Sandbox, vendor: Vendor, form: &[(&str, &str)]) -> Reply {
    let url = format!("{}{}", sandbox.handle.base_url(), token_path(vendor));
    let request = sandbox.http.post(url);
    let (request, form) = client_where_documented(request, vendor, form);
    read(request.form(&form).send().await).await
}

/// One part of HTTP Basic client credentials, form-encoded before joining (RFC 6749 §2.3.1), as OAuth
/// clients send it.
fn form_encoded(part: &str) -> String {
    form_urlencoded::byte_serialize(part.as_bytes()).collect()
}

/// Pipedrive takes the client only in HTTP Basic, as its reference requires; the others in the body.
pub fn client_where_documented<'a>(
    request: reqwest::RequestBuilder,
    vendor: Vendor,
    form: &[(&'a str, &'a str)],
) -> (reqwest::RequestBuilder, Vec<(&'a str, &'a str)>) {
    if vendor != Vendor::Pipedrive {
        return (request, form.to_vec());
    }
    let field = |name: &str| form.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let request = match field("client_id") {
        Some(id) => request.basic_auth(form_encoded(id), field("client_secret").map(form_encoded)),
        None => request,
    };
    let rest = form
        .iter()
        .filter(|(k, _)| !matches!(*k, "client_id" | "client_secret"))
        .copied()
        .collect();
    (request, rest)
}

pub async fn exchange(sandbox: &Sandbox, vendor: Vendor, code: &str) -> Reply {
    token(
        sandbox,
        vendor,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("redirect_uri", REDIRECT),
            ("code", code),
        ],
    )
    .await
}

pub async fn refresh(sandbox: &Sandbox, vendor: Vendor, refresh_token: &str) -> Reply {
    token(
        sandbox,
        vendor,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// Authorization code → tokens; returns the token answer.
pub async fn connect(sandbox: &Sandbox, vendor: Vendor) -> Value {
    let code = code(sandbox, vendor, &[]).await;
    let reply = exchange(sandbox, vendor, &code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), "no-store");
    reply.body
}

pub async fn call_api(sandbox: &Sandbox, vendor: Vendor, access_token: &str) -> Reply {
    let url = format!("{}{}", sandbox.handle.base_url(), api_path(vendor));
    read(sandbox.http.get(url).bearer_auth(access_token).send().await).await
}

#[tokio::test]
async fn hubspot_authorization_code_flow_issues_tokens_the_api_accepts() {
    let sandbox = start_default().await;
    let code = code(
        &sandbox,
        Vendor::HubSpot,
        &[("optional_scope", "crm.objects.deals.read")],
    )
    .await;
    assert!(is_uuid_like(&code), "{code}");
    let reply = exchange(&sandbox, Vendor::HubSpot, &code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        "application/json;charset=utf-8"
    );
    let body = &reply.body;
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 1800);
    assert!(text(body, "/refresh_token").starts_with("na1-"), "{body}");
    assert_eq!(
        body["scopes"],
        serde_json::json!([
            "crm.objects.contacts.read",
            "oauth",
            "crm.objects.deals.read"
        ])
    );
    let access = text(body, "/access_token");
    assert!(access.len() > 40, "{access}");

    let api = call_api(&sandbox, Vendor::HubSpot, access).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    // The static api token keeps working next to OAuth tokens; a foreign vendor's does not.
    assert_eq!(sandbox.get("/crm/v3/owners").await.status, StatusCode::OK);
    let cross = call_api(&sandbox, Vendor::Salesforce, access).await;
    assert_eq!(cross.status, StatusCode::UNAUTHORIZED);

    let events = sandbox.handle.oauth_events();
    let exchange_event = events
        .iter()
        .find(|e| e.kind == OAuthEventKind::AuthorizationCode)
        .unwrap_or_else(|| panic!("no exchange event: {events:?}"));
    assert_eq!(
        exchange_event.token_id.as_deref(),
        Some(token_id(access).as_str())
    );
    assert_eq!(exchange_event.chain, Some(1));
    let call = events
        .iter()
        .find(|e| e.kind == OAuthEventKind::ApiCall && e.chain == Some(1))
        .unwrap_or_else(|| panic!("no api call on chain 1: {events:?}"));
    assert!(call.seq > exchange_event.seq && call.failure.is_none());
    assert_eq!(call.vendor, Vendor::HubSpot);
    let stats = sandbox.handle.oauth_stats();
    assert_eq!(stats.hubspot.authorizations, 1);
    assert_eq!(stats.hubspot.token_requests.authorization_code, 1);
    assert_eq!(stats.hubspot.oauth_api_calls, 1);
}

#[tokio::test]
async fn hubspot_refresh_returns_the_same_refresh_token_and_a_new_access_token() {
    let sandbox = start_default().await;
    let first = connect(&sandbox, Vendor::HubSpot).await;
    let refresh_token = text(&first, "/refresh_token");
    let mut access_tokens = vec![text(&first, "/access_token").to_owned()];
    for _ in 0..2 {
        let reply = refresh(&sandbox, Vendor::HubSpot, refresh_token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(text(&reply.body, "/refresh_token"), refresh_token);
        assert_eq!(reply.body["expires_in"], 1800);
        access_tokens.push(text(&reply.body, "/access_token").to_owned());
    }
    access_tokens.dedup();
    assert_eq!(
        access_tokens.len(),
        3,
        "each refresh mints a new access token"
    );
    // Earlier access tokens stay valid until they expire.
    for access in &access_tokens {
        assert_eq!(
            call_api(&sandbox, Vendor::HubSpot, access).await.status,
            StatusCode::OK
        );
    }
    let stats = sandbox.handle.oauth_stats();
    assert_eq!(stats.hubspot.refreshes, 2);
    assert_eq!(stats.refreshes, 2);
    assert_eq!(stats.token_requests, 3);
    assert_eq!(stats.reuse_detections, 0);
}

#[tokio::test]
async fn salesforce_web_server_flow_with_pkce_and_basic_client_auth() {
    let sandbox = start_default().await;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let code = code(
        &sandbox,
        Vendor::Salesforce,
        &[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert!(code.starts_with("aPrx") && code.ends_with("=="), "{code}");
    let url = format!("{}/services/oauth2/token", sandbox.handle.base_url());
    let reply = read(
        sandbox
            .http
            .post(url)
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("redirect_uri", REDIRECT),
                ("code", code.as_str()),
                ("code_verifier", VERIFIER),
            ])
            .send()
            .await,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    let base = sandbox.handle.base_url();
    assert_eq!(text(body, "/instance_url"), base);
    assert_eq!(body["token_type"], "Bearer");
    assert!(
        body.get("expires_in").is_none(),
        "Salesforce states no lifetime: {body}"
    );
    assert!(
        text(body, "/refresh_token").starts_with("5Aep861"),
        "{body}"
    );
    assert_eq!(text(body, "/scope"), "crm.objects.contacts.read oauth");
    let access = text(body, "/access_token");
    assert!(
        access.starts_with("00D") && access.get(15..18) == Some("!AQ"),
        "{access}"
    );
    let id = text(body, "/id");
    assert!(
        id.starts_with(&format!("{base}/id/00D")) && id.contains("/005"),
        "{id}"
    );
    let issued_at = text(body, "/issued_at");
    assert!(
        issued_at.len() >= 13 && issued_at.bytes().all(|b| b.is_ascii_digit()),
        "{issued_at}"
    );
    // signature = Base64(HMAC-SHA256(client_secret, id || issued_at)).
    let mut mac = Hmac::<Sha256>::new_from_slice(CLIENT_SECRET.as_bytes())
        .unwrap_or_else(|e| panic!("hmac: {e}"));
    mac.update(format!("{id}{issued_at}").as_bytes());
    assert_eq!(
        text(body, "/signature"),
        STANDARD.encode(mac.finalize().into_bytes())
    );

    let api = call_api(&sandbox, Vendor::Salesforce, access).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let oauth_scheme = read(
        sandbox
            .http
            .get(format!("{base}{}", api_path(Vendor::Salesforce)))
            .header("authorization", format!("OAuth {access}"))
            .send()
            .await,
    )
    .await;
    assert_eq!(oauth_scheme.status, StatusCode::OK);
}

#[tokio::test]
async fn pkce_failures_are_invalid_grant_and_burn_the_code() {
    let sandbox = start_default().await;
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    for vendor in ALL {
        for verifier in [None, Some("x".repeat(43)), Some(VERIFIER.replace('d', "e"))] {
            let code = code(&sandbox, vendor, &[("code_challenge", &challenge)]).await;
            let mut form = vec![
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("redirect_uri", REDIRECT),
                ("code", code.as_str()),
            ];
            if let Some(verifier) = &verifier {
                form.push(("code_verifier", verifier));
            }
            let reply = token(&sandbox, vendor, &form).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{verifier:?}: {}",
                reply.body
            );
            match vendor {
                Vendor::HubSpot => {
                    assert_eq!(reply.body["status"], "BAD_CODE_VERIFIER", "{}", reply.body);
                }
                Vendor::Salesforce | Vendor::Pipedrive | Vendor::Zendesk => {
                    assert_eq!(reply.body["error"], "invalid_grant", "{}", reply.body);
                }
            }
            // The code was consumed by the failed attempt.
            form.retain(|(k, _)| *k != "code_verifier");
            form.push(("code_verifier", VERIFIER));
            let retry = token(&sandbox, vendor, &form).await;
            assert_eq!(retry.status, StatusCode::BAD_REQUEST, "{}", retry.body);
        }
    }
    // A method other than S256 is refused on the redirect.
    let plain = authorize(
        &sandbox,
        Vendor::Salesforce,
        &[
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ],
    )
    .await;
    assert_eq!(plain.param("error").as_deref(), Some("invalid_request"));
    assert_eq!(plain.param("code"), None);
}

#[tokio::test]
async fn salesforce_refresh_answers_without_refresh_token_or_expiry() {
    let sandbox = start_default().await;
    let first = connect(&sandbox, Vendor::Salesforce).await;
    let refresh_token = text(&first, "/refresh_token");
    for _ in 0..2 {
        let reply = refresh(&sandbox, Vendor::Salesforce, refresh_token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert!(reply.body.get("refresh_token").is_none(), "{}", reply.body);
        assert!(reply.body.get("expires_in").is_none(), "{}", reply.body);
        assert_eq!(
            text(&reply.body, "/instance_url"),
            sandbox.handle.base_url()
        );
        assert_ne!(
            text(&reply.body, "/access_token"),
            text(&first, "/access_token")
        );
        let api = call_api(
            &sandbox,
            Vendor::Salesforce,
            text(&reply.body, "/access_token"),
        )
        .await;
        assert_eq!(api.status, StatusCode::OK);
    }
    assert_eq!(sandbox.handle.oauth_stats().salesforce.refreshes, 2);
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_the_state() {
    let sandbox = start_default().await;
    for vendor in ALL {
        let consent = authorize(&sandbox, vendor, &[("deny", "1")]).await;
        assert_eq!(consent.status, StatusCode::FOUND, "{}", consent.body);
        let location = consent
            .location
            .as_ref()
            .map(Url::as_str)
            .unwrap_or_default();
        assert!(
            location.starts_with(&format!("{REDIRECT}?error=access_denied&")),
            "{location}"
        );
        assert_eq!(consent.param("code"), None);
        assert_eq!(consent.param("state").as_deref(), Some("st8 &=/+"));
        assert!(
            consent
                .param("error_description")
                .is_some_and(|d| !d.is_empty())
        );
    }
    let salesforce = authorize(&sandbox, Vendor::Salesforce, &[("deny", "1")]).await;
    assert!(
        salesforce.location.as_ref().is_some_and(|l| l
            .as_str()
            .contains("error_description=end-user+denied+authorization")),
        "{:?}",
        salesforce.location
    );
    let stats = sandbox.handle.oauth_stats();
    assert_eq!((stats.hubspot.denials, stats.salesforce.denials), (1, 2));
    assert_eq!(
        (
            stats.hubspot.authorizations,
            stats.salesforce.authorizations
        ),
        (0, 0)
    );
}

#[tokio::test]
async fn untrusted_clients_and_redirects_get_a_page_not_a_redirect() {
    let sandbox = start_default().await;
    let cases: [(&str, &str); 5] = [
        ("client_id", "someone-else"),
        ("client_id", ""),
        ("redirect_uri", ""),
        ("redirect_uri", "/relative/callback"),
        ("redirect_uri", "http://a.example/cb#fragment"),
    ];
    for vendor in ALL {
        for (key, value) in cases {
            let consent = authorize(&sandbox, vendor, &[(key, value)]).await;
            assert_eq!(
                consent.status,
                StatusCode::BAD_REQUEST,
                "{vendor:?} {key}={value}"
            );
            assert!(consent.location.is_none(), "{vendor:?} {key}={value}");
            let body: Value = serde_json::from_str(&consent.body).unwrap_or_default();
            let code = match vendor {
                Vendor::HubSpot => text(&body, "/status"),
                Vendor::Salesforce | Vendor::Pipedrive | Vendor::Zendesk => text(&body, "/error"),
            };
            let expected = match (vendor, key) {
                (Vendor::HubSpot, "client_id") => "BAD_CLIENT_ID",
                (Vendor::HubSpot, _) => "BAD_REDIRECT_URI",
                (Vendor::Salesforce, "client_id") => "invalid_client_id",
                (Vendor::Salesforce, _) => "redirect_uri_mismatch",
                (Vendor::Pipedrive | Vendor::Zendesk, "client_id") => "invalid_client",
                (Vendor::Pipedrive, _) => "invalid_request",
                (Vendor::Zendesk, _) => "invalid_redirect_uri",
            };
            assert_eq!(code, expected, "{vendor:?} {key}={value}: {}", consent.body);
        }
    }
    // HubSpot requires scopes; Salesforce only does the code flow here.
    let no_scope = authorize(&sandbox, Vendor::HubSpot, &[("scope", "")]).await;
    assert_eq!(no_scope.status, StatusCode::BAD_REQUEST);
    let implicit = authorize(&sandbox, Vendor::Salesforce, &[("response_type", "token")]).await;
    assert_eq!(implicit.status, StatusCode::FOUND);
    assert_eq!(
        implicit.param("error").as_deref(),
        Some("unsupported_response_type")
    );
    assert_eq!(sandbox.handle.oauth_stats().salesforce.authorizations, 0);
}

#[tokio::test]
async fn codes_are_single_use_and_token_errors_have_the_vendor_shape() {
    let sandbox = start_default().await;
    for vendor in ALL {
        let code = code(&sandbox, vendor, &[]).await;
        assert_eq!(
            exchange(&sandbox, vendor, &code).await.status,
            StatusCode::OK
        );
        let again = exchange(&sandbox, vendor, &code).await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST);
        match vendor {
            Vendor::HubSpot => {
                assert_eq!(again.body["status"], "BAD_AUTH_CODE", "{}", again.body);
                assert_eq!(again.body["error"], "invalid_grant");
                assert!(
                    is_uuid_like(text(&again.body, "/correlationId")),
                    "{}",
                    again.body
                );
                assert_eq!(
                    again.header("x-hubspot-correlation-id"),
                    text(&again.body, "/correlationId")
                );
            }
            Vendor::Salesforce => {
                assert_eq!(again.body["error"], "invalid_grant", "{}", again.body);
                assert_eq!(
                    again.body["error_description"],
                    "invalid authorization code"
                );
            }
            Vendor::Pipedrive => {
                assert_eq!(again.body["error"], "invalid_grant", "{}", again.body);
                assert_eq!(
                    again.body["error_description"],
                    "Invalid grant: authorization code is invalid"
                );
            }
            Vendor::Zendesk => {
                assert_eq!(again.body["error"], "invalid_grant", "{}", again.body);
            }
        }
    }
    // Each check in turn, on a fresh code each time.
    let wrong: [(&str, &str, &str, &str); 5] = [
        ("client_id", "nope", "BAD_CLIENT_ID", "invalid_client_id"),
        (
            "client_secret",
            "nope",
            "BAD_CLIENT_SECRET",
            "invalid_client",
        ),
        (
            "redirect_uri",
            "http://127.0.0.1:9/other",
            "BAD_REDIRECT_URI",
            "redirect_uri_mismatch",
        ),
        (
            "grant_type",
            "password",
            "BAD_GRANT_TYPE",
            "unsupported_grant_type",
        ),
        ("code", "made-up", "BAD_AUTH_CODE", "invalid_grant"),
    ];
    for vendor in [Vendor::HubSpot, Vendor::Salesforce] {
        for (key, value, hubspot, salesforce) in wrong {
            let code = code(&sandbox, vendor, &[]).await;
            let mut form = vec![
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("redirect_uri", REDIRECT),
                ("code", code.as_str()),
            ];
            form.retain(|(k, _)| *k != key);
            form.push((key, value));
            let reply = token(&sandbox, vendor, &form).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{key}: {}",
                reply.body
            );
            let got = match vendor {
                Vendor::HubSpot => &reply.body["status"],
                Vendor::Salesforce | Vendor::Pipedrive | Vendor::Zendesk => &reply.body["error"],
            };
            let want = if vendor == Vendor::HubSpot {
                hubspot
            } else {
                salesforce
            };
            assert_eq!(got, want, "{vendor:?} {key}: {}", reply.body);
        }
    }
    let stats = sandbox.handle.oauth_stats();
    assert_eq!(stats.hubspot.failed_token_requests, 6);
    assert_eq!(stats.salesforce.failed_token_requests, 6);
    assert_eq!(stats.hubspot.token_requests.other, 1);
}

#[tokio::test]
async fn strict_rotation_detects_reuse_and_revokes_the_whole_chain() {
    let sandbox = start(strict()).await;
    for vendor in ALL {
        let first = connect(&sandbox, vendor).await;
        let rt1 = text(&first, "/refresh_token").to_owned();
        let second = refresh(&sandbox, vendor, &rt1).await;
        assert_eq!(second.status, StatusCode::OK, "{}", second.body);
        let rt2 = text(&second.body, "/refresh_token").to_owned();
        assert!(!rt2.is_empty() && rt2 != rt1, "rotated: {}", second.body);
        let access2 = text(&second.body, "/access_token").to_owned();
        assert_eq!(
            call_api(&sandbox, vendor, &access2).await.status,
            StatusCode::OK
        );

        // The rotated-out token comes back: reuse.
        let reuse = refresh(&sandbox, vendor, &rt1).await;
        assert_eq!(reuse.status, StatusCode::BAD_REQUEST, "{}", reuse.body);
        let code = match vendor {
            Vendor::HubSpot => text(&reuse.body, "/status"),
            Vendor::Salesforce | Vendor::Pipedrive | Vendor::Zendesk => text(&reuse.body, "/error"),
        };
        assert!(
            code == "BAD_REFRESH_TOKEN" || code == "invalid_grant",
            "{}",
            reuse.body
        );

        // Every token of the chain is dead, the newest refresh token included.
        for access in [text(&first, "/access_token"), access2.as_str()] {
            let api = call_api(&sandbox, vendor, access).await;
            assert_eq!(api.status, StatusCode::UNAUTHORIZED, "{}", api.body);
        }
        let latest = refresh(&sandbox, vendor, &rt2).await;
        assert_eq!(latest.status, StatusCode::BAD_REQUEST, "{}", latest.body);
    }
    let stats = sandbox.handle.oauth_stats();
    assert_eq!(stats.reuse_detections, 4);
    assert_eq!(stats.revoked_chains, 4);
    assert_eq!(
        (
            stats.hubspot.reuse_detections,
            stats.salesforce.reuse_detections,
            stats.pipedrive.reuse_detections,
            stats.zendesk.reuse_detections
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(stats.refreshes, 4);
    let events = sandbox.handle.oauth_events();
    let reuse_events: Vec<&OAuthEvent> = events
        .iter()
        .filter(|e| e.failure == Some(OAuthFailure::RefreshTokenReuse))
        .collect();
    assert_eq!(
        reuse_events.iter().map(|e| e.chain).collect::<Vec<_>>(),
        [Some(1), Some(2), Some(3), Some(4)]
    );
    assert_eq!(
        reuse_events.iter().map(|e| e.vendor).collect::<Vec<_>>(),
        ALL
    );
}

#[tokio::test]
async fn a_delayed_refresh_whose_client_hangs_up_is_never_processed() {
    let sandbox = start(strict()).await;
    for vendor in ALL {
        let first = connect(&sandbox, vendor).await;
        let rt1 = text(&first, "/refresh_token").to_owned();
        let before = sandbox.handle.oauth_stats();

        // A client that gives up while the provider is still thinking (a replica killed mid-refresh).
        sandbox
            .handle
            .delay_token_answers(Duration::from_millis(800));
        let impatient = reqwest::Client::builder()
            .timeout(Duration::from_millis(100))
            .build()
            .unwrap();
        let (request, form) = client_where_documented(
            impatient.post(format!(
                "{}{}",
                sandbox.handle.base_url(),
                token_path(vendor)
            )),
            vendor,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("refresh_token", rt1.as_str()),
            ],
        );
        let abandoned = request.form(&form).send().await;
        assert!(abandoned.is_err(), "the delay held the answer back");
        // Past the delay: had the abandoned request been processed, rt1 would be rotated out now.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        sandbox.handle.delay_token_answers(Duration::ZERO);

        let retry = refresh(&sandbox, vendor, &rt1).await;
        assert_eq!(retry.status, StatusCode::OK, "{}", retry.body);
        let stats = sandbox.handle.oauth_stats();
        assert_eq!(stats.refreshes - before.refreshes, 1, "{stats:?}");
        assert_eq!(stats.reuse_detections, 0, "{stats:?}");
    }
}

#[tokio::test]
async fn expired_access_tokens_get_the_vendors_401_until_refreshed() {
    let sandbox = start_default().await;
    let hubspot = connect(&sandbox, Vendor::HubSpot).await;
    let salesforce = connect(&sandbox, Vendor::Salesforce).await;
    assert_eq!(sandbox.handle.expire_access_tokens(), 2);

    let hs = call_api(&sandbox, Vendor::HubSpot, text(&hubspot, "/access_token")).await;
    assert_eq!(hs.status, StatusCode::UNAUTHORIZED);
    assert_eq!(hs.body["status"], "error");
    assert_eq!(hs.body["category"], "EXPIRED_AUTHENTICATION");
    assert_eq!(
        hs.body["message"],
        "The OAuth token used to make this call expired 0 minute(s) ago."
    );
    assert!(is_uuid_like(text(&hs.body, "/correlationId")));
    let sf = call_api(
        &sandbox,
        Vendor::Salesforce,
        text(&salesforce, "/access_token"),
    )
    .await;
    assert_eq!(sf.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        sf.body,
        serde_json::json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
    );

    // A refresh gives a working token again; the static token was never affected.
    for (vendor, grant) in [
        (Vendor::HubSpot, &hubspot),
        (Vendor::Salesforce, &salesforce),
    ] {
        let fresh = refresh(&sandbox, vendor, text(grant, "/refresh_token")).await;
        assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
        let api = call_api(&sandbox, vendor, text(&fresh.body, "/access_token")).await;
        assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    }
    assert_eq!(sandbox.get("/crm/v3/owners").await.status, StatusCode::OK);
    let stats = sandbox.handle.oauth_stats();
    assert_eq!(
        (
            stats.hubspot.expired_token_calls,
            stats.salesforce.expired_token_calls
        ),
        (1, 1)
    );
}

#[tokio::test]
async fn access_tokens_expire_after_the_configured_ttl() {
    let sandbox = start(SandboxConfig {
        oauth: OAuthConfig {
            token_ttl: Duration::from_secs(1),
            ..OAuthConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let grant = connect(&sandbox, Vendor::HubSpot).await;
    assert_eq!(grant["expires_in"], 1);
    let access = text(&grant, "/access_token");
    assert_eq!(
        call_api(&sandbox, Vendor::HubSpot, access).await.status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let late = call_api(&sandbox, Vendor::HubSpot, access).await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED);
    assert_eq!(late.body["category"], "EXPIRED_AUTHENTICATION");
}

#[tokio::test]
async fn revoking_every_chain_over_http_kills_access_and_refresh() {
    let sandbox = start_default().await;
    let mut grants = Vec::new();
    for vendor in ALL {
        grants.push((vendor, connect(&sandbox, vendor).await));
    }
    let url = format!("{}/_sandbox/oauth/revoke", sandbox.handle.base_url());
    let revoked = read(sandbox.http.post(&url).send().await).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(revoked.body["revoked_chains"], 4);
    for (vendor, grant) in &grants {
        let api = call_api(&sandbox, *vendor, text(grant, "/access_token")).await;
        assert_eq!(api.status, StatusCode::UNAUTHORIZED, "{}", api.body);
        let again = refresh(&sandbox, *vendor, text(grant, "/refresh_token")).await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST);
        match vendor {
            Vendor::HubSpot => assert_eq!(again.body["status"], "BAD_REFRESH_TOKEN"),
            Vendor::Salesforce => {
                assert_eq!(again.body["error"], "invalid_grant");
                assert_eq!(
                    again.body["error_description"],
                    "expired access/refresh token"
                );
            }
            Vendor::Pipedrive => {
                assert_eq!(again.body["error"], "invalid_grant");
                assert_eq!(
                    again.body["error_description"],
                    "Invalid grant: refresh token is invalid"
                );
            }
            Vendor::Zendesk => assert_eq!(again.body["error"], "invalid_grant"),
        }
    }
    // Already revoked: nothing more to revoke, and no reuse was involved.
    assert_eq!(sandbox.handle.revoke_all_chains(), 0);
    let stats = sandbox.handle.oauth_stats();
    assert_eq!((stats.revoked_chains, stats.reuse_detections), (4, 0));
}

#[tokio::test]
async fn stats_and_events_endpoints_match_the_handle_and_are_ordered() {
    let sandbox = start_default().await;
    let grant = connect(&sandbox, Vendor::HubSpot).await;
    call_api(&sandbox, Vendor::HubSpot, text(&grant, "/access_token")).await;
    let refreshed = refresh(&sandbox, Vendor::HubSpot, text(&grant, "/refresh_token")).await;
    let new_access = text(&refreshed.body, "/access_token");
    call_api(&sandbox, Vendor::HubSpot, new_access).await;
    call_api(&sandbox, Vendor::HubSpot, "not-a-token").await;

    let base = sandbox.handle.base_url();
    let stats = read(
        sandbox
            .http
            .get(format!("{base}/_sandbox/oauth/stats"))
            .send()
            .await,
    )
    .await;
    assert_eq!(stats.status, StatusCode::OK);
    let over_http: OAuthStats = serde_json::from_value(stats.body.clone())
        .unwrap_or_else(|e| panic!("stats shape ({e}): {}", stats.body));
    assert_eq!(over_http, sandbox.handle.oauth_stats());
    assert_eq!(over_http.hubspot.token_requests.refresh_token, 1);
    assert_eq!(over_http.hubspot.rejected_api_calls, 1);

    let events = read(
        sandbox
            .http
            .get(format!("{base}/_sandbox/oauth/events"))
            .send()
            .await,
    )
    .await;
    let over_http: Vec<OAuthEvent> = serde_json::from_value(events.body.clone())
        .unwrap_or_else(|e| panic!("events shape ({e}): {}", events.body));
    assert_eq!(over_http, sandbox.handle.oauth_events());
    let kinds: Vec<&str> = events
        .body
        .as_array()
        .map(|a| a.iter().map(|e| text(e, "/kind")).collect())
        .unwrap_or_default();
    assert_eq!(
        kinds,
        [
            "authorization_code",
            "api_call",
            "refresh",
            "api_call",
            "api_call"
        ]
    );
    assert!(
        over_http
            .windows(2)
            .all(|w| w[0].seq + 1 == w[1].seq && w[0].at_ms <= w[1].at_ms)
    );
    let refresh_event = &over_http[2];
    assert_eq!(
        refresh_event.token_id.as_deref(),
        Some(token_id(new_access).as_str())
    );
    assert_eq!(over_http[3].token_id, refresh_event.token_id);
    assert_eq!(over_http[3].chain, Some(1));
    assert_eq!(over_http[4].failure, Some(OAuthFailure::UnknownToken));
    assert_eq!(
        over_http[4].token_id.as_deref(),
        Some(token_id("not-a-token").as_str())
    );
    // Nothing secret in the log.
    for secret in [new_access, text(&grant, "/refresh_token"), CLIENT_SECRET] {
        assert!(!events.body.to_string().contains(secret));
    }

    assert_eq!(
        sandbox.handle.oauth_events_after(3),
        over_http[3..].to_vec()
    );
    let tail = read(
        sandbox
            .http
            .get(format!("{base}/_sandbox/oauth/events?after=3"))
            .send()
            .await,
    )
    .await;
    assert_eq!(tail.body.as_array().map(Vec::len), Some(2));
    assert_eq!(tail.body[0]["seq"], 4);
    let bad = read(
        sandbox
            .http
            .get(format!("{base}/_sandbox/oauth/events?after=x"))
            .send()
            .await,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let expired = read(
        sandbox
            .http
            .post(format!("{base}/_sandbox/oauth/expire-access-tokens"))
            .send()
            .await,
    )
    .await;
    assert_eq!(expired.body["expired"], 2);
    assert_eq!(
        call_api(&sandbox, Vendor::HubSpot, new_access).await.body["category"],
        "EXPIRED_AUTHENTICATION"
    );
    let index = sandbox.get("/").await;
    assert!(
        index.body["oauth"]["controls"]
            .as_array()
            .is_some_and(|c| c.len() == 4)
    );
}

#[tokio::test]
async fn hostile_oauth_input_is_a_client_error_never_a_crash() {
    let sandbox = start_default().await;
    let base = sandbox.handle.base_url();
    let huge = "A".repeat(100_000);
    // Under axum's 2 MB body limit, so the whole body is read and the value itself is refused.
    let very_huge = "B".repeat(1_500_000);
    let bodies: Vec<(&str, String)> = vec![
        ("application/x-www-form-urlencoded", String::new()),
        ("application/x-www-form-urlencoded", "grant_type".into()),
        (
            "application/x-www-form-urlencoded",
            "grant_type=refresh_token".into(),
        ),
        (
            "application/x-www-form-urlencoded",
            "grant_type=authorization_code&code=".into(),
        ),
        (
            "application/x-www-form-urlencoded",
            "%FF%FE=%FF&grant_type=%E2%28".into(),
        ),
        ("application/x-www-form-urlencoded", "===&&&=".into()),
        (
            "application/x-www-form-urlencoded",
            format!(
                "grant_type=refresh_token&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&refresh_token={huge}"
            ),
        ),
        (
            "application/x-www-form-urlencoded",
            format!(
                "grant_type=authorization_code&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&redirect_uri={REDIRECT}&code={huge}"
            ),
        ),
        (
            "application/x-www-form-urlencoded",
            format!("grant_type={very_huge}"),
        ),
        (
            "application/json",
            r#"{"grant_type":"refresh_token"}"#.into(),
        ),
        ("text/plain", "grant_type=refresh_token".into()),
    ];
    for vendor in [Vendor::HubSpot, Vendor::Salesforce] {
        for (content_type, body) in &bodies {
            let reply = sandbox
                .http
                .post(format!("{base}{}", token_path(vendor)))
                .header("content-type", *content_type)
                .body(body.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("request failed: {e}"));
            let status = reply.status();
            let text_body = reply.text().await.unwrap_or_default();
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{vendor:?} {content_type} {}: {text_body}",
                body.get(..60).unwrap_or(body)
            );
            let json: Value = serde_json::from_str(&text_body).unwrap_or_default();
            let shaped = match vendor {
                Vendor::HubSpot => json["status"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("BAD_")),
                Vendor::Salesforce | Vendor::Pipedrive | Vendor::Zendesk => {
                    json["error"].is_string()
                }
            };
            assert!(shaped, "{vendor:?}: {text_body}");
        }
        // Oversized or malformed authorization requests: a page, no redirect. (URIs are limited
        // to 64 KiB, so the oversized value stays below that.)
        let long_state = "S".repeat(20_000);
        for (key, value) in [
            ("state", long_state.as_str()),
            ("redirect_uri", "http://exa mple.com/cb"),
        ] {
            let consent = authorize(&sandbox, vendor, &[(key, value)]).await;
            assert_eq!(consent.status, StatusCode::BAD_REQUEST, "{vendor:?} {key}");
            assert!(consent.location.is_none());
        }
        // Basic credentials that are not base64 or lack the colon are just wrong credentials.
        for header in ["Basic !!!", "Basic c2FuZGJveA==", "Basic"] {
            let reply = read(
                sandbox
                    .http
                    .post(format!("{base}{}", token_path(vendor)))
                    .header("authorization", header)
                    .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
                    .send()
                    .await,
            )
            .await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{header}");
        }
    }
    // Still serving, and the OAuth paths never went through the API's bearer gate.
    let after = connect(&sandbox, Vendor::Salesforce).await;
    assert_eq!(
        call_api(&sandbox, Vendor::Salesforce, text(&after, "/access_token"))
            .await
            .status,
        StatusCode::OK
    );
    // Every body without a usable grant_type was counted as one (7 of the 11).
    assert_eq!(
        sandbox.handle.oauth_stats().salesforce.token_requests.other,
        7
    );
}

/// RFC 6749 §2.3.1: a client's id and secret are form-encoded before Basic joins them, so a secret
/// holding `:`, `+`, `%` or a space survives; sent unencoded, such a secret is a different one.
#[tokio::test]
async fn basic_client_credentials_are_form_decoded() {
    let secret = "a+b:c% d";
    let mut config = SandboxConfig::default();
    config.oauth.client_secret = secret.to_owned();
    let sandbox = start(config).await;
    let form = |code: &str| {
        vec![
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
            ("code", code),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect::<Vec<_>>()
    };
    let url = format!(
        "{}{}",
        sandbox.handle.base_url(),
        token_path(Vendor::Pipedrive)
    );
    let first = code(&sandbox, Vendor::Pipedrive, &[]).await;
    let encoded = read(
        sandbox
            .http
            .post(&url)
            .basic_auth(form_encoded(CLIENT_ID), Some(form_encoded(secret)))
            .form(&form(&first))
            .send()
            .await,
    )
    .await;
    assert_eq!(encoded.status, StatusCode::OK, "{}", encoded.body);
    let second = code(&sandbox, Vendor::Pipedrive, &[]).await;
    let raw = read(
        sandbox
            .http
            .post(&url)
            .basic_auth(CLIENT_ID, Some(secret))
            .form(&form(&second))
            .send()
            .await,
    )
    .await;
    assert_eq!(raw.status, StatusCode::BAD_REQUEST, "{}", raw.body);
}
