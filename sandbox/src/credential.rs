//! Which credential a vendor request presents, in each vendor's documented styles, and what
//! that style may carry: the static api token, an access token the vendor's OAuth server issued,
//! or either.

use axum::extract::{Query, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Uri};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::Vendor;
use crate::oauth::Accepts;
use crate::web::CredentialKind;

/// `Authorization: <scheme> <value>`, the scheme as sent.
fn authorization(headers: &HeaderMap) -> Option<(&str, &str)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    Some((scheme, rest.trim()))
}

/// `Authorization: Bearer <token>` (Salesforce also accepts the `OAuth` scheme).
fn presented_token(headers: &HeaderMap, vendor: Vendor) -> Option<&str> {
    let (scheme, token) = authorization(headers)?;
    let scheme_ok = scheme.eq_ignore_ascii_case("Bearer")
        || (vendor == Vendor::Salesforce && scheme.eq_ignore_ascii_case("OAuth"));
    scheme_ok.then_some(token)
}

/// The first non-empty value of query parameter `key`.
fn query_param(uri: &Uri, key: &str) -> Option<String> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri).ok()?;
    pairs
        .into_iter()
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v)
}

/// The credential a vendor request presents, its style, and what that style may carry.
pub(crate) fn credential<'a>(
    request: &Request,
    vendor: Vendor,
    static_token: &'a str,
) -> (Option<String>, CredentialKind, Accepts<'a>) {
    let headers = request.headers();
    let any = Accepts {
        static_token: Some(static_token),
        oauth: true,
    };
    let static_only = Accepts {
        static_token: Some(static_token),
        oauth: false,
    };
    let oauth_only = Accepts {
        static_token: None,
        oauth: true,
    };
    let bearer = authorization(headers)
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, token)| token.to_owned());
    match vendor {
        Vendor::HubSpot | Vendor::Salesforce => match presented_token(headers, vendor) {
            Some(token) => (Some(token.to_owned()), CredentialKind::Bearer, any),
            None => (None, CredentialKind::Missing, any),
        },
        // Pipedrive: an OAuth access token as Bearer, or the api token in the `x-api-token`
        // header (v2 spec) or the `api_token` query parameter (v1 spec).
        Vendor::Pipedrive => {
            if let Some(token) = bearer {
                return (Some(token), CredentialKind::Bearer, oauth_only);
            }
            let header = headers
                .get("x-api-token")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned);
            match header.or_else(|| query_param(request.uri(), "api_token")) {
                Some(token) => (Some(token), CredentialKind::ApiToken, static_only),
                None => (None, CredentialKind::Missing, static_only),
            }
        }
        // Zendesk: `Basic base64("{email}/token:{api_token}")` or an OAuth access token as Bearer.
        // Password Basic auth (no `/token`) is refused, as Zendesk no longer accepts it.
        Vendor::Zendesk => {
            if let Some(token) = bearer {
                return (Some(token), CredentialKind::Bearer, oauth_only);
            }
            let basic = authorization(headers)
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Basic"))
                .and_then(|(_, encoded)| STANDARD.decode(encoded).ok())
                .and_then(|bytes| String::from_utf8(bytes).ok());
            let Some(decoded) = basic else {
                return (None, CredentialKind::Missing, static_only);
            };
            match decoded.split_once(':') {
                Some((user, token)) if user.ends_with("/token") => (
                    Some(token.to_owned()),
                    CredentialKind::ApiToken,
                    static_only,
                ),
                Some((_, password)) => (
                    Some(password.to_owned()),
                    CredentialKind::ApiToken,
                    Accepts {
                        static_token: None,
                        oauth: false,
                    },
                ),
                None => (None, CredentialKind::Missing, static_only),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    fn request(uri: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap_or_default()
    }

    fn basic(text: &str) -> String {
        format!("Basic {}", STANDARD.encode(text))
    }

    #[test]
    fn each_vendor_reads_its_own_styles() {
        let zendesk = request(
            "/api/v2/users/me.json",
            &[("authorization", &basic("a@b.example/token:tok"))],
        );
        let (token, kind, accepts) = credential(&zendesk, Vendor::Zendesk, "tok");
        assert_eq!(
            (token.as_deref(), kind),
            (Some("tok"), CredentialKind::ApiToken)
        );
        assert!(!accepts.oauth);
        let password = request(
            "/api/v2/users/me.json",
            &[("authorization", &basic("a@b.example:tok"))],
        );
        let (_, _, accepts) = credential(&password, Vendor::Zendesk, "tok");
        assert_eq!(accepts.static_token, None, "password auth is refused");
        let query = request("/v1/users?x=1&api_token=abc", &[]);
        let (token, kind, _) = credential(&query, Vendor::Pipedrive, "abc");
        assert_eq!(
            (token.as_deref(), kind),
            (Some("abc"), CredentialKind::ApiToken)
        );
        let bearer = request(
            "/v1/users?api_token=abc",
            &[("authorization", "bearer xyz")],
        );
        let (token, kind, accepts) = credential(&bearer, Vendor::Pipedrive, "abc");
        assert_eq!(
            (token.as_deref(), kind),
            (Some("xyz"), CredentialKind::Bearer)
        );
        assert_eq!(
            accepts.static_token, None,
            "Bearer carries OAuth tokens only"
        );
        let hubspot = request("/crm/v3/owners", &[("authorization", "Bearer abc")]);
        let (_, _, accepts) = credential(&hubspot, Vendor::HubSpot, "abc");
        assert!(accepts.oauth && accepts.static_token == Some("abc"));
    }
}
