//! OAuth apps brought by customers (`oauth-apps add`): client credentials per app, the secret sealed.

use std::fmt;

use switchboard_runtime::table::Integration;

use crate::sql::SqlError;
use crate::{Store, StoreError, Suggestion, check_name, find_integration, now_unix};

/// An OAuth app to add.
#[derive(Clone)]
pub struct NewOAuthApp {
    /// Unique name, `[A-Za-z0-9_.-]{1,64}`.
    pub name: String,
    /// The integration it is registered with.
    pub integration: String,
    /// The client id.
    pub client_id: String,
    /// The client secret, sealed before it is written.
    pub client_secret: String,
    /// Authorization endpoint override (a customer's Salesforce My Domain, a test identity
    /// provider); `None` uses the integration's.
    pub authorization_url: Option<String>,
    /// Token endpoint override.
    pub token_url: Option<String>,
    /// API origin for accounts connected through this app when the token answer gives none (a
    /// vendor's test environment, the sandbox); `None` uses the integration's.
    pub base_url: Option<String>,
    /// Whether accounts that name no app use this one (one default per integration).
    pub is_default: bool,
}

impl fmt::Debug for NewOAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewOAuthApp")
            .field("name", &self.name)
            .field("integration", &self.integration)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// A stored OAuth app with its secret opened. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthApp {
    /// Unique name.
    pub name: String,
    /// The integration it is registered with.
    pub integration: String,
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// Authorization endpoint override.
    pub authorization_url: Option<String>,
    /// Token endpoint override.
    pub token_url: Option<String>,
    /// API origin for accounts connected through this app.
    pub base_url: Option<String>,
    /// Whether accounts that name no app use this one.
    pub is_default: bool,
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("name", &self.name)
            .field("integration", &self.integration)
            .field("client_id", &self.client_id)
            .field("authorization_url", &self.authorization_url)
            .field("token_url", &self.token_url)
            .field("base_url", &self.base_url)
            .field("is_default", &self.is_default)
            .finish_non_exhaustive()
    }
}

/// An app as listed (no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppSummary {
    /// Unique name.
    pub name: String,
    /// The integration it is registered with.
    pub integration: String,
    /// The client id.
    pub client_id: String,
    /// Whether it is the integration's default.
    pub is_default: bool,
}

/// Binds an app's sealed secret to its row.
pub(crate) fn app_aad(name: &str) -> Vec<u8> {
    format!("switchboard/oauth_app/v1\0{name}\0client_secret").into_bytes()
}

impl Store {
    /// Adds an OAuth app.
    pub fn add_oauth_app(
        &self,
        app: NewOAuthApp,
        integrations: &[&Integration],
    ) -> Result<(), StoreError> {
        check_name("app name", &app.name)?;
        let integration = find_integration(&app.integration, integrations)?;
        if integration.auth.oauth2.is_none() {
            return Err(StoreError::UnsupportedCredential {
                integration: integration.name.to_owned(),
                kind: crate::OAUTH2_KIND,
                accepted: crate::accepted_kinds(integration),
            });
        }
        if app.client_id.is_empty() {
            return Err(StoreError::EmptySecret("client id"));
        }
        if app.client_secret.is_empty() {
            return Err(StoreError::EmptySecret("client secret"));
        }
        for url in [&app.authorization_url, &app.token_url, &app.base_url]
            .into_iter()
            .flatten()
        {
            crate::check_base_url(url)?;
        }
        let sealed = self
            .key
            .seal(app.client_secret.as_bytes(), &app_aad(&app.name))?;
        let name = app.name.clone();
        let inserted = self.db().execute(
            "INSERT INTO oauth_apps (name, integration, client_id, client_secret, authorization_url,
                                     token_url, base_url, is_default, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            &[
                app.name.as_str().into(),
                integration.name.into(),
                app.client_id.as_str().into(),
                sealed.into(),
                app.authorization_url.clone().into(),
                app.token_url.clone().into(),
                app.base_url.clone().into(),
                app.is_default.into(),
                now_unix().into(),
            ],
        );
        match inserted {
            Ok(_) => {}
            Err(SqlError::Constraint(_)) => {
                let taken = self
                    .list_oauth_apps()?
                    .into_iter()
                    .any(|a| a.name == app.name);
                return Err(if taken {
                    StoreError::DuplicateApp(app.name)
                } else {
                    StoreError::DuplicateDefaultApp(integration.name.to_owned())
                });
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(app = %name, integration = %integration.name, "added OAuth app");
        Ok(())
    }

    /// The app called `name`, with its secret, or an error naming a close match.
    pub fn oauth_app(&self, name: &str) -> Result<OAuthApp, StoreError> {
        match self.app_where("name = ?1", name)? {
            Some(app) => Ok(app),
            None => Err(self.unknown_app(name)?),
        }
    }

    /// The default app of `integration`, if it has one.
    pub fn default_oauth_app(&self, integration: &str) -> Result<Option<OAuthApp>, StoreError> {
        self.app_where("integration = ?1 AND is_default", integration)
    }

    fn app_where(&self, condition: &str, value: &str) -> Result<Option<OAuthApp>, StoreError> {
        let Some(row) = self.db().query_opt(
            &format!(
                "SELECT name, integration, client_id, client_secret, authorization_url,
                        token_url, base_url, is_default
                 FROM oauth_apps WHERE {condition}"
            ),
            &[value.into()],
        )?
        else {
            return Ok(None);
        };
        let name = row.get_text(0)?;
        let sealed = row.get_blob(3)?;
        let client_secret = self
            .key
            .unseal(&sealed, &app_aad(&name))
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| StoreError::Corrupt {
                what: "OAuth app secret",
                detail: format!("the secret of app `{name}` does not open under the master key"),
            })?;
        Ok(Some(OAuthApp {
            integration: row.get_text(1)?,
            client_id: row.get_text(2)?,
            client_secret,
            authorization_url: row.get_opt_text(4)?,
            token_url: row.get_opt_text(5)?,
            base_url: row.get_opt_text(6)?,
            is_default: row.get_bool(7)?,
            name,
        }))
    }

    /// Every app, by name, without its secret.
    pub fn list_oauth_apps(&self) -> Result<Vec<AppSummary>, StoreError> {
        Ok(self
            .db()
            .query(
                "SELECT name, integration, client_id, is_default FROM oauth_apps ORDER BY name",
                &[],
            )?
            .iter()
            .map(|row| {
                Ok(AppSummary {
                    name: row.get_text(0)?,
                    integration: row.get_text(1)?,
                    client_id: row.get_text(2)?,
                    is_default: row.get_bool(3)?,
                })
            })
            .collect::<Result<_, SqlError>>()?)
    }

    /// Deletes an app.
    pub fn delete_oauth_app(&self, name: &str) -> Result<(), StoreError> {
        let changed = self
            .db()
            .execute("DELETE FROM oauth_apps WHERE name = ?1", &[name.into()])?;
        if changed == 0 {
            return Err(self.unknown_app(name)?);
        }
        tracing::info!(app = %name, "deleted OAuth app");
        Ok(())
    }

    fn unknown_app(&self, name: &str) -> Result<StoreError, StoreError> {
        let names: Vec<String> = self
            .list_oauth_apps()?
            .into_iter()
            .map(|app| app.name)
            .collect();
        Ok(StoreError::UnknownApp {
            name: name.to_owned(),
            suggestion: Suggestion::closest(name, names.iter().map(String::as_str)),
        })
    }
}
