//! Which OAuth app an account uses: the app it names (a customer's own, `oauth-apps add`), else the
//! integration's default app in the store (`oauth-apps add --default`), else the integration's app
//! from `SWITCHBOARD_<INTEGRATION>_CLIENT_ID` / `_CLIENT_SECRET`.

use switchboard_runtime::table::Integration;
use switchboard_vault::{OAuthSettings, Store};

use crate::client::{ClientCredentials, Provider};
use crate::connect::ConnectError;

/// `SWITCHBOARD_<INTEGRATION>_CLIENT_ID` and `_CLIENT_SECRET` for `integration`.
pub fn env_names(integration: &str) -> (String, String) {
    let upper: String = integration
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    (
        format!("SWITCHBOARD_{upper}_CLIENT_ID"),
        format!("SWITCHBOARD_{upper}_CLIENT_SECRET"),
    )
}

/// An app's client credentials and endpoint overrides.
#[derive(Debug)]
pub struct ResolvedApp {
    /// Client credentials.
    pub credentials: ClientCredentials,
    /// Authorization endpoint override.
    pub authorization_url: Option<String>,
    /// Token endpoint override.
    pub token_url: Option<String>,
    /// API origin override for accounts connected through the app.
    pub base_url: Option<String>,
}

/// The app for `integration`: the named one, else the store's default, else the environment's.
pub fn app_credentials(
    store: &Store,
    integration: &Integration,
    app: Option<&str>,
) -> Result<ResolvedApp, ConnectError> {
    let stored = match app {
        Some(name) => Some(store.oauth_app(name)?),
        None => store.default_oauth_app(integration.name)?,
    };
    if let Some(app) = stored {
        if app.integration != integration.name {
            return Err(ConnectError::Invalid(format!(
                "OAuth app `{}` is registered with `{}`, not `{}`",
                app.name, app.integration, integration.name
            )));
        }
        return Ok(ResolvedApp {
            credentials: ClientCredentials {
                client_id: app.client_id,
                client_secret: app.client_secret,
            },
            authorization_url: app.authorization_url,
            token_url: app.token_url,
            base_url: app.base_url,
        });
    }
    let (id_var, secret_var) = env_names(integration.name);
    let read = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (read(&id_var), read(&secret_var)) {
        (Some(client_id), Some(client_secret)) => Ok(ResolvedApp {
            credentials: ClientCredentials {
                client_id,
                client_secret,
            },
            authorization_url: None,
            token_url: None,
            base_url: None,
        }),
        _ => Err(ConnectError::NoApp(format!(
            "no OAuth app for {}: set {id_var} and {secret_var}, or add one with `switchboard oauth-apps add --integration {} --default`",
            integration.display_name, integration.name
        ))),
    }
}

/// The provider an account talks to: its app's client credentials, and the endpoints the account
/// overrides, else the app's, else the integration's. Also the app's base URL.
pub(crate) fn provider_for<'a>(
    store: &Store,
    integration: &'a Integration,
    settings: &OAuthSettings,
) -> Result<(Provider<'a>, Option<String>), ConnectError> {
    let app = app_credentials(store, integration, settings.app.as_deref())?;
    let provider = Provider::new(
        integration,
        app.credentials,
        settings
            .authorization_url
            .as_deref()
            .or(app.authorization_url.as_deref()),
        settings.token_url.as_deref().or(app.token_url.as_deref()),
    )
    .map_err(|e| ConnectError::Invalid(e.to_string()))?;
    Ok((provider, app.base_url))
}

#[cfg(test)]
mod tests {
    use super::env_names;

    #[test]
    fn env_names_are_upper_snake() {
        assert_eq!(
            env_names("acme"),
            (
                "SWITCHBOARD_ACME_CLIENT_ID".to_owned(),
                "SWITCHBOARD_ACME_CLIENT_SECRET".to_owned()
            )
        );
        assert_eq!(env_names("zoho-crm").0, "SWITCHBOARD_ZOHO_CRM_CLIENT_ID");
    }
}
