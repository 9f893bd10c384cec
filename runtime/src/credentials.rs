//! Attaches a connected account's credential to a request, where the integration's table says.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::account::Credential;
use crate::outcome::ToolError;
use crate::table::Integration;

/// Where a credential goes on the wire. Its `Debug` never shows the secret: header values are marked
/// sensitive, and query values are redacted.
#[derive(Clone)]
pub enum Placement {
    /// A request header.
    Header(HeaderName, HeaderValue),
    /// A query parameter (API keys some vendors take in the URL).
    Query(&'static str, String),
}

impl fmt::Debug for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Header(name, value) => f.debug_tuple("Header").field(name).field(value).finish(),
            Self::Query(name, _) => f
                .debug_tuple("Query")
                .field(name)
                .field(&"<redacted>")
                .finish(),
        }
    }
}

/// How `credential` is sent to `integration`, or why it cannot be.
pub fn place(integration: &Integration, credential: &Credential) -> Result<Placement, ToolError> {
    let auth = &integration.auth;
    match credential {
        Credential::Bearer(token) => {
            if !auth.accepts_bearer() {
                return Err(unsupported(integration, credential));
            }
            header(AUTHORIZATION, &format!("Bearer {token}"))
        }
        Credential::ApiKey(key) => {
            let Some(api_key) = &auth.api_key else {
                return Err(unsupported(integration, credential));
            };
            if api_key.in_header {
                let name = HeaderName::from_bytes(api_key.name.as_bytes()).map_err(|_| {
                    ToolError::Transport(format!(
                        "integration {} declares an invalid API key header name",
                        integration.name
                    ))
                })?;
                header(name, &format!("{}{key}", api_key.prefix))
            } else {
                Ok(Placement::Query(api_key.name, key.clone()))
            }
        }
        Credential::Basic { username, password } => {
            if !auth.basic {
                return Err(unsupported(integration, credential));
            }
            let encoded = STANDARD.encode(format!("{username}:{password}"));
            header(AUTHORIZATION, &format!("Basic {encoded}"))
        }
    }
}

fn header(name: HeaderName, value: &str) -> Result<Placement, ToolError> {
    let mut value = HeaderValue::from_str(value).map_err(|_| ToolError::AuthRequired {
        reconnect_url: None,
        // Never echo the credential itself.
        message: "the account's credential contains characters that cannot be sent in an HTTP \
                  header; reconnect the account"
            .to_owned(),
    })?;
    value.set_sensitive(true);
    Ok(Placement::Header(name, value))
}

fn unsupported(integration: &Integration, credential: &Credential) -> ToolError {
    ToolError::AuthRequired {
        reconnect_url: None,
        message: format!(
            "{} does not accept {} credentials; reconnect the account with a supported method",
            integration.display_name,
            credential.kind()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{ApiKey, Auth, ErrorRules, RateLimit};

    fn integration(auth: Auth) -> Integration {
        Integration {
            name: "example",
            display_name: "Example",
            description: "",
            categories: &[],
            docs_url: "",
            base_url: "https://api.example.test",
            base_url_variables: &[],
            auth,
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
        }
    }

    const NONE: Auth = Auth {
        oauth2: None,
        bearer: false,
        api_key: None,
        basic: false,
    };

    #[test]
    fn bearer_basic_and_api_keys() {
        let table = integration(Auth {
            bearer: true,
            basic: true,
            api_key: Some(ApiKey {
                in_header: true,
                name: "x-api-key",
                prefix: "Key ",
            }),
            ..NONE
        });
        let Ok(Placement::Header(name, value)) = place(&table, &Credential::Bearer("t0k".into()))
        else {
            panic!("bearer goes in a header");
        };
        assert_eq!(
            (name.as_str(), value.to_str().ok()),
            ("authorization", Some("Bearer t0k"))
        );
        assert!(value.is_sensitive());
        let basic = Credential::Basic {
            username: "u".into(),
            password: "p".into(),
        };
        let Ok(Placement::Header(_, value)) = place(&table, &basic) else {
            panic!("basic goes in a header");
        };
        assert_eq!(value.to_str().ok(), Some("Basic dTpw"));
        let Ok(Placement::Header(name, value)) = place(&table, &Credential::ApiKey("k".into()))
        else {
            panic!("this key goes in a header");
        };
        assert_eq!(
            (name.as_str(), value.to_str().ok()),
            ("x-api-key", Some("Key k"))
        );
    }

    #[test]
    fn query_api_key() {
        let table = integration(Auth {
            api_key: Some(ApiKey {
                in_header: false,
                name: "api_key",
                prefix: "",
            }),
            ..NONE
        });
        assert!(matches!(
            place(&table, &Credential::ApiKey("k".into())),
            Ok(Placement::Query("api_key", key)) if key == "k"
        ));
        let placed = place(&table, &Credential::ApiKey("s3cret".into()));
        assert!(!format!("{placed:?}").contains("s3cret"));
    }

    #[test]
    fn refuses_unsupported_or_unsendable_credentials() {
        let table = integration(NONE);
        for credential in [
            Credential::Bearer("t".into()),
            Credential::ApiKey("k".into()),
            Credential::Basic {
                username: "u".into(),
                password: "p".into(),
            },
        ] {
            assert!(matches!(
                place(&table, &credential),
                Err(ToolError::AuthRequired { .. })
            ));
        }
        let table = integration(Auth {
            bearer: true,
            ..NONE
        });
        let Err(ToolError::AuthRequired { message, .. }) =
            place(&table, &Credential::Bearer("line\nbreak".into()))
        else {
            panic!("a newline cannot go in a header");
        };
        assert!(!message.contains("line"));
    }
}
