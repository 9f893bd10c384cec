//! `switchboard accounts`: connected accounts (one tenant's credentials for one integration).

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};
use switchboard_oauth::{ConnectLinks, ConnectRequest, Connector};
use switchboard_runtime::account::Credential;
use switchboard_runtime::base_url;
use switchboard_vault::{
    NewAccount, OAuthGrant, OAuthSettings, check_name, find_integration, now_unix,
};

use crate::tools::{FilterArgs, parse_integration};
use crate::{Context, INTEGRATIONS, Outcome, format_time, print_table};

/// `switchboard accounts …`.
#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Add an account with a credential you already have (a token, key or password, or OAuth tokens
    /// from an existing system); it is sealed into the store.
    Add(AddArgs),
    /// Connect an account through the vendor's OAuth consent: prints the authorization URL a person
    /// opens. `switchboard serve` must be running at the public URL to receive the callback.
    Connect(ConnectArgs),
    /// List accounts: state, access-token expiry, granted scopes (never their secrets).
    List,
    /// Remove an account (no server may use it).
    Remove(RemoveArgs),
}

/// `switchboard accounts connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Account id: created on the callback, or reconnected when it exists.
    #[arg(long, value_name = "ID", value_parser = parse_account_id)]
    id: String,
    /// The integration to connect.
    #[arg(long, value_name = "NAME", value_parser = parse_integration)]
    integration: String,
    /// Scopes to ask for; by default, every scope the tools selected by --methods/--tags/--kinds
    /// need (all tools when none is given), plus the integration's always-requested ones.
    #[arg(long, value_name = "S,...", value_delimiter = ',')]
    scopes: Vec<String>,
    #[command(flatten)]
    filter: FilterArgs,
    /// The user the account belongs to (for per-user servers).
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// The customer's own OAuth app (`switchboard oauth-apps add`); default: the integration's app
    /// from SWITCHBOARD_<INTEGRATION>_CLIENT_ID / _CLIENT_SECRET.
    #[arg(long, value_name = "NAME")]
    app: Option<String>,
    /// Authorization endpoint override (Salesforce My Domain or sandbox orgs, a test IdP).
    #[arg(long, value_name = "URL")]
    authorization_url: Option<String>,
    /// Token endpoint override.
    #[arg(long, value_name = "URL")]
    token_url: Option<String>,
    /// Origin override, when the token answer does not give one.
    #[arg(long, value_name = "URL", conflicts_with = "vars")]
    base_url: Option<String>,
    /// A value of the integration's base URL variables (`subdomain=acme` for
    /// `https://{subdomain}.zendesk.com`), checked against its pattern; repeat for several.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
}

/// `switchboard accounts remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The account.
    #[arg(long, value_name = "ID")]
    id: String,
}

/// `switchboard accounts add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Account id: 1 to 64 of A-Z a-z 0-9 _ . - (e.g. `acme-hubspot`).
    #[arg(long, value_name = "ID", value_parser = parse_account_id)]
    id: String,
    /// The integration it connects to (`switchboard tools` lists them).
    #[arg(long, value_name = "NAME", value_parser = parse_integration)]
    integration: String,
    /// Origin override: a sandbox, an EU data centre, a Salesforce instance URL.
    #[arg(long, value_name = "URL", conflicts_with = "vars")]
    base_url: Option<String>,
    /// A value of the integration's base URL variables (`subdomain=acme` for
    /// `https://{subdomain}.zendesk.com`), checked against its pattern; repeat for several.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// How requests authenticate.
    #[arg(long, value_enum, value_name = "KIND")]
    credential: CredentialKind,
    /// Environment variable holding the secret (`user:password` for basic), so it stays out of
    /// shell history and process lists. Not for oauth2.
    #[arg(long, value_name = "VAR", required_unless_present = "access_token_env")]
    secret_env: Option<String>,
    /// oauth2: environment variable holding the access token.
    #[arg(long, value_name = "VAR", requires = "refresh_token_env")]
    access_token_env: Option<String>,
    /// oauth2: environment variable holding the refresh token.
    #[arg(long, value_name = "VAR")]
    refresh_token_env: Option<String>,
    /// oauth2: seconds the access token has left (refreshed ahead of that).
    #[arg(long, value_name = "SECONDS")]
    expires_in: Option<u64>,
    /// oauth2: the scopes the tokens were granted (tools needing others are hidden).
    #[arg(long, value_name = "S,...", value_delimiter = ',')]
    scopes: Vec<String>,
    /// oauth2: the OAuth app that issued the tokens (`switchboard oauth-apps add`); default: the
    /// integration's app from the environment.
    #[arg(long, value_name = "NAME")]
    app: Option<String>,
    /// oauth2: token endpoint override.
    #[arg(long, value_name = "URL")]
    token_url: Option<String>,
    /// The user the account belongs to (for per-user servers).
    #[arg(long, value_name = "USER")]
    user: Option<String>,
}

/// Credential kinds on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CredentialKind {
    /// `Authorization: Bearer <secret>` (private-app tokens, OAuth access tokens).
    Bearer,
    /// An API key, placed as the integration says.
    #[value(name = "api_key")]
    ApiKey,
    /// HTTP Basic; the secret is `user:password`.
    Basic,
    /// OAuth 2.0 tokens (`--access-token-env`, `--refresh-token-env`, `--expires-in`), refreshed
    /// by Switchboard from then on.
    Oauth2,
}

/// Checks an account id at parse time.
pub fn parse_account_id(id: &str) -> Result<String, String> {
    check_name("account id", id)
        .map(|()| id.to_owned())
        .map_err(|e| e.to_string())
}

/// Runs `switchboard accounts …`.
pub fn run(cmd: AccountsCommand, ctx: &Context) -> Outcome {
    match cmd {
        AccountsCommand::Add(args) => add(args, ctx),
        AccountsCommand::Connect(args) => connect(args, ctx),
        AccountsCommand::List => list(ctx),
        AccountsCommand::Remove(args) => {
            let store = ctx.open_existing_store()?;
            store.delete_account(&args.id)?;
            out!("removed account `{}`", args.id)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn add(args: AddArgs, ctx: &Context) -> Outcome {
    let (credential, oauth, granted_scopes) = match args.credential {
        CredentialKind::Oauth2 => {
            let (Some(access), Some(refresh)) = (&args.access_token_env, &args.refresh_token_env)
            else {
                bail!("--credential oauth2 takes --access-token-env and --refresh-token-env");
            };
            let grant = OAuthGrant {
                refresh_token: Some(read_secret(refresh)?),
                expires_at: args
                    .expires_in
                    .map(|s| now_unix().saturating_add(i64::try_from(s).unwrap_or(i64::MAX))),
                settings: OAuthSettings {
                    app: args.app.clone(),
                    token_url: args.token_url.clone(),
                    scopes: args.scopes.clone(),
                    ..OAuthSettings::default()
                },
            };
            let scopes = (!args.scopes.is_empty()).then(|| args.scopes.clone());
            (
                Credential::Bearer(read_secret(access)?),
                Some(grant),
                scopes,
            )
        }
        kind => {
            let Some(var) = &args.secret_env else {
                bail!("--credential {kind:?} takes --secret-env VAR");
            };
            let secret = read_secret(var)?;
            let credential = match kind {
                CredentialKind::ApiKey => Credential::ApiKey(secret),
                CredentialKind::Basic => {
                    let Some((username, password)) = secret.split_once(':') else {
                        bail!(
                            "the basic credential in `{var}` must be `user:password` (no `:` found)"
                        );
                    };
                    Credential::Basic {
                        username: username.to_owned(),
                        password: password.to_owned(),
                    }
                }
                _ => Credential::Bearer(secret),
            };
            (credential, None, None)
        }
    };
    let filled = fill_variables(
        &args.integration,
        &args.vars,
        &Given {
            base_url: args.base_url.is_some(),
            // Only imported OAuth grants refresh at a token endpoint.
            authorization_url: true,
            token_url: args.token_url.is_some() || oauth.is_none(),
        },
    )?;
    // An imported grant refreshes at the account's own token endpoint.
    let mut oauth = oauth;
    if let Some(grant) = oauth.as_mut()
        && grant.settings.token_url.is_none()
    {
        grant.settings.token_url = filled.token_url.clone();
    }
    let store = ctx.open_store()?;
    let account = store.add_account(
        NewAccount {
            id: args.id,
            integration: args.integration,
            base_url: args.base_url.or(filled.base_url),
            credential,
            granted_scopes,
            user: args.user,
            oauth,
        },
        INTEGRATIONS,
    )?;
    out!(
        "added account `{}` ({}, {} credential) to {}",
        account.id,
        account.integration,
        account.credential_kind,
        store.location()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The integration's URLs with an account's `--var` values filled in: each URL that has variables,
/// or `None` for those that have none (the table's apply) and for those the operator gave outright.
/// Refuses a missing or invalid value of a URL that is needed.
struct Filled {
    base_url: Option<String>,
    authorization_url: Option<String>,
    token_url: Option<String>,
}

/// Which URLs the command line gave outright (they need no variables).
struct Given {
    base_url: bool,
    authorization_url: bool,
    token_url: bool,
}

fn fill_variables(
    integration: &str,
    vars: &[(String, String)],
    given: &Given,
) -> anyhow::Result<Filled> {
    let integration = find_integration(integration, INTEGRATIONS)?;
    let values: std::collections::BTreeMap<String, String> = vars.iter().cloned().collect();
    let variables = integration.base_url_variables;
    base_url::check_values(variables, &values)
        .with_context(|| format!("--var for `{}`", integration.name))?;
    let fill = |template: &str, given: bool| -> anyhow::Result<Option<String>> {
        if given || !base_url::has_variables(template) {
            return Ok(None);
        }
        base_url::fill(template, variables, &values)
            .map(Some)
            .with_context(|| format!("`{}` connects to `{template}`", integration.name))
    };
    let oauth = integration.auth.oauth2.as_ref();
    Ok(Filled {
        base_url: fill(integration.base_url, given.base_url)?,
        authorization_url: oauth
            .map(|o| fill(o.authorization_url, given.authorization_url))
            .transpose()?
            .flatten(),
        token_url: oauth
            .map(|o| fill(o.token_url, given.token_url))
            .transpose()?
            .flatten(),
    })
}

/// `NAME=VALUE`.
fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(format!("`{text}` is not NAME=VALUE (e.g. subdomain=acme)")),
    }
}

pub(crate) fn read_secret(var: &str) -> anyhow::Result<String> {
    match std::env::var(var) {
        Ok(secret) if secret.is_empty() => bail!("environment variable `{var}` is empty"),
        Ok(secret) => Ok(secret),
        Err(std::env::VarError::NotPresent) => bail!(
            "environment variable `{var}` is not set; put the secret in it (e.g. `read -rs {var} && export {var}`)"
        ),
        Err(std::env::VarError::NotUnicode(_)) => {
            bail!("environment variable `{var}` is not valid UTF-8")
        }
    }
}

fn connect(args: ConnectArgs, ctx: &Context) -> Outcome {
    let integration = find_integration(&args.integration, INTEGRATIONS)?;
    let scopes = if args.scopes.is_empty() {
        args.filter
            .to_filter(Some(integration.name))
            .needed_scopes(integration)
            .into_iter()
            .map(str::to_owned)
            .collect()
    } else {
        args.scopes
    };
    let filled = fill_variables(
        integration.name,
        &args.vars,
        &Given {
            base_url: args.base_url.is_some(),
            authorization_url: args.authorization_url.is_some(),
            token_url: args.token_url.is_some(),
        },
    )?;
    let public_url = ctx.public_url()?;
    let store = std::sync::Arc::new(ctx.open_store()?);
    let links = ConnectLinks::new(&public_url, store.connect_key());
    let connector = Connector::new(
        store,
        INTEGRATIONS,
        links.clone(),
        std::time::Duration::from_secs(10),
    )
    .context("cannot prepare the authorization")?;
    let url = connector.begin(ConnectRequest {
        account: args.id.clone(),
        integration: integration.name.to_owned(),
        user: args.user,
        settings: OAuthSettings {
            scopes,
            app: args.app,
            authorization_url: args.authorization_url.or(filled.authorization_url),
            token_url: args.token_url.or(filled.token_url),
        },
        base_url: args.base_url.or(filled.base_url),
    })?;
    out!("authorization_url={url}")?;
    eprintln!(
        "open the URL above to connect `{}` (valid for {} minutes); {} must reach a running `switchboard serve` for the callback",
        args.id,
        switchboard_oauth::STATE_TTL_SECS / 60,
        links.redirect_uri()
    );
    Ok(ExitCode::SUCCESS)
}

fn list(ctx: &Context) -> Outcome {
    let store = ctx.open_existing_store()?;
    let accounts = store.list_accounts()?;
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|a| {
            vec![
                a.id.clone(),
                a.integration.clone(),
                a.credential_kind.clone(),
                a.status.to_string(),
                a.expires_at.map_or_else(|| "-".to_owned(), format_time),
                a.user.clone().unwrap_or_else(|| "-".to_owned()),
                format_time(a.created_at),
                a.base_url.clone().unwrap_or_else(|| "-".to_owned()),
                a.granted_scopes
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |s| s.join(" ")),
            ]
        })
        .collect();
    print_table(
        &[
            "ID",
            "INTEGRATION",
            "CREDENTIAL",
            "STATUS",
            "EXPIRES",
            "USER",
            "CREATED",
            "BASE URL",
            "SCOPES",
        ],
        &rows,
    )?;
    for account in accounts.iter().filter(|a| a.reauth_reason.is_some()) {
        eprintln!(
            "note: `{}` needs re-authorization ({}): reconnect it with `switchboard accounts connect --id {} --integration {}`",
            account.id,
            account.reauth_reason.as_deref().unwrap_or_default(),
            account.id,
            account.integration
        );
    }
    if accounts.is_empty() {
        eprintln!("no accounts yet; add one with `switchboard accounts add`");
    }
    Ok(ExitCode::SUCCESS)
}
