//! The second factor: a server created with `require_api_token` also wants
//! `Authorization: Bearer <api token>` naming a live API token on every request, so a capability URL
//! that leaks into a log or a dotfile is not enough to act.
//!
//! One function, [`check`], called by [`super::AppState::resolve`], which every `/mcp/<token>` route
//! goes through. A dead URL (unknown, revoked, expired) answers 404 first, exactly like a path that
//! never existed; only a live URL of a server requiring a second factor answers 401
//! (`api_token_required` without the header, `invalid_api_token` with a wrong or revoked token), with
//! `WWW-Authenticate: Bearer realm="switchboard"`. Neither answer nor any log holds a token.

use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::directory::{Directory, DirectoryError};
use super::json_error;
use crate::mcp::Binding;

/// What the request presented as its second factor, taken from its headers before the blocking
/// lookup. Its `Debug` never shows the token.
#[derive(Clone, Default)]
pub(crate) enum Presented {
    /// No `Authorization` header.
    #[default]
    Nothing,
    /// An `Authorization` header that is not `Bearer <token>`.
    Malformed,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Nothing => "Nothing",
            Self::Malformed => "Malformed",
            Self::Bearer(_) => "Bearer(<redacted>)",
        })
    }
}

impl Presented {
    /// What `headers` carry.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let mut values = headers.get_all(AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return if headers.contains_key(AUTHORIZATION) {
                Self::Malformed
            } else {
                Self::Nothing
            };
        };
        let Ok(text) = value.to_str() else {
            return Self::Malformed;
        };
        match text.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                let token = token.trim();
                if token.is_empty() {
                    Self::Malformed
                } else {
                    Self::Bearer(token.to_owned())
                }
            }
            _ => Self::Malformed,
        }
    }
}

/// Why a request to a live URL was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The server requires an API token and the request carries none.
    Missing,
    /// The request's API token is malformed, unknown or revoked.
    Invalid,
}

impl Refusal {
    /// The 401 answer.
    pub(crate) fn response(self) -> Response {
        let (code, message) = match self {
            Self::Missing => (
                "api_token_required",
                "this server requires an API token: send `Authorization: Bearer <api token>` with every request",
            ),
            Self::Invalid => (
                "invalid_api_token",
                "the API token is unknown or revoked: send `Authorization: Bearer <api token>` with a live token",
            ),
        };
        let mut response = json_error(StatusCode::UNAUTHORIZED, code, message);
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer realm="switchboard""#),
        );
        response
    }
}

/// Checks the second factor of a request to `binding`'s live URL: nothing to do unless the server
/// requires an API token; otherwise the presented token must be live, and the user it names joins
/// the binding. Blocking (the directory may be).
pub(crate) fn check(
    directory: &dyn Directory,
    binding: &mut Binding,
    presented: &Presented,
) -> Result<Result<(), Refusal>, DirectoryError> {
    if !binding.require_api_token {
        return Ok(Ok(()));
    }
    let token = match presented {
        Presented::Nothing => return Ok(Err(Refusal::Missing)),
        Presented::Malformed => return Ok(Err(Refusal::Invalid)),
        Presented::Bearer(token) => token,
    };
    match directory.api_caller(token)? {
        Some(caller) => {
            tracing::debug!(server = %binding.name, api_token = %caller.name, "second factor accepted");
            binding.user = caller.user;
            Ok(Ok(()))
        }
        None => {
            tracing::info!(server = %binding.name, "refused a request with an unknown or revoked API token");
            Ok(Err(Refusal::Invalid))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            if let Ok(value) = HeaderValue::from_str(value) {
                map.append(AUTHORIZATION, value);
            }
        }
        map
    }

    #[test]
    fn bearer_tokens_are_read_and_anything_else_is_malformed() {
        assert!(matches!(
            Presented::from_headers(&headers(&[])),
            Presented::Nothing
        ));
        assert!(
            matches!(Presented::from_headers(&headers(&["Bearer sbk_x"])), Presented::Bearer(t) if t == "sbk_x")
        );
        assert!(
            matches!(Presented::from_headers(&headers(&["bearer  sbk_x "])), Presented::Bearer(t) if t == "sbk_x")
        );
        for bad in [
            &["Basic dXNlcjpwYXNz"][..],
            &["Bearer "],
            &["sbk_x"],
            &["Bearer a", "Bearer b"],
        ] {
            assert!(
                matches!(Presented::from_headers(&headers(bad)), Presented::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn debug_never_shows_the_token() {
        let shown = format!("{:?}", Presented::Bearer("sbk_secret".into()));
        assert!(!shown.contains("secret"), "{shown}");
    }
}
