//! OAuth accounts in the store: the refresh side of a grant, sealed like every secret, and the
//! claim that makes one refresh per account happen at a time across every process.
//!
//! The claim differs by engine, because what is cheap differs:
//! - **SQLite**: a lease on the row (`refresh_owner`, `refresh_until`) taken and released in short
//!   `BEGIN IMMEDIATE` transactions. SQLite has one write lock for the whole file, so it must
//!   never be held across the network call to the identity provider: 4,000 accounts refreshing
//!   through one file do not queue behind each other. A process that dies mid-refresh blocks its
//!   account only until the lease runs out (longer than any refresh can take).
//! - **PostgreSQL**: the row lock itself. The claim opens a transaction on a connection of its own
//!   and takes `SELECT … FOR UPDATE` on the account row, then reads it (so a claimer that waited
//!   sees the tokens the previous holder committed); the refreshed tokens are written and committed
//!   in that same transaction. A replica that dies mid-refresh releases the lock at once (its
//!   connection closes), with nothing written; a replica that hangs is cut off by the server's
//!   `idle_in_transaction_session_timeout`, set to the lease length. Waiting for the lock is
//!   bounded by `lock_timeout`, after which the claim answers [`Claim::Busy`].

use serde::{Deserialize, Serialize};
use serde_json::json;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use switchboard_runtime::account::Credential;
use switchboard_runtime::table::Integration;

use crate::outbox::{WebhookEvent, insert_event};
use crate::slots::Slot;
use crate::sql::{PgSql, PgTx, Row, SqlError, SqlExec, in_transaction};
use crate::{
    AccountStatus, NewAccount, OAUTH2_KIND, Store, StoreError, account_aad, credential_plaintext,
    now_unix, parse_credential,
};

/// Associated-data column name of the sealed refresh token.
pub(crate) const REFRESH_COLUMN: &str = "refresh_token";

/// The refresh side of an OAuth grant, given when an account is added or reconnected.
#[derive(Clone, Default)]
pub struct OAuthGrant {
    /// The refresh token; `None` when the provider issued none (the account then lives as long as
    /// its access token).
    pub refresh_token: Option<String>,
    /// When the access token expires, Unix seconds; `None` when the provider does not say.
    pub expires_at: Option<i64>,
    /// Non-secret settings the refreshes use.
    pub settings: OAuthSettings,
}

impl fmt::Debug for OAuthGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthGrant")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at", &self.expires_at)
            .field("settings", &self.settings)
            .finish()
    }
}

/// Non-secret OAuth settings of one account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthSettings {
    /// The OAuth app (`oauth-apps add`) whose client credentials refresh this account; `None` uses
    /// the integration's app from the environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// Authorization endpoint override (Salesforce My Domain, sandboxes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    /// Token endpoint override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// The scopes asked for when connecting (reconnect links ask for them again).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// What an attempt to take an account's refresh lease found.
#[derive(Debug)]
pub enum Claim {
    /// The lease is ours until released or completed.
    Granted(Box<RefreshGrant>),
    /// Another refresher holds it until this time (Unix seconds): wait and claim again.
    Busy {
        /// When the other lease runs out.
        until: i64,
    },
    /// The account must be connected again.
    NeedsReauth,
    /// The account has no refresh token (a static credential, or a provider that issued none).
    NotRefreshable,
}

/// A held refresh lease with what the refresh needs. Its `Debug` never shows a token.
pub struct RefreshGrant {
    /// The account.
    pub account_id: String,
    /// Its integration.
    pub integration: String,
    /// Its user, for per-user accounts.
    pub user: Option<String>,
    /// The access credential stored now (another refresher may have just replaced the one the
    /// caller was using).
    pub current: Credential,
    /// When `current` expires, Unix seconds.
    pub expires_at: Option<i64>,
    /// The refresh token to spend.
    pub refresh_token: String,
    /// The account's OAuth settings.
    pub settings: OAuthSettings,
    /// The SQLite lease's owner id.
    owner: String,
    /// PostgreSQL: the transaction holding the account's row lock, until the refresh completes,
    /// is released or gives up (dropping it closes the connection, which releases the lock).
    lock: Mutex<Option<Held>>,
}

/// A row lock and the slot it takes of the store's refresh budget (given back after the
/// transaction ends: fields drop in order).
struct Held {
    tx: PgTx,
    _slot: Slot,
}

impl RefreshGrant {
    /// The row-lock transaction, if this grant holds one and it was not used up yet.
    fn take_lock(&self) -> Option<Held> {
        self.lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl fmt::Debug for RefreshGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshGrant")
            .field("account_id", &self.account_id)
            .field("integration", &self.integration)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An OAuth account whose access token expires before some time, for the proactive refresher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshDue {
    /// The account.
    pub account_id: String,
    /// Its integration.
    pub integration: String,
    /// When its access token expires, Unix seconds.
    pub expires_at: i64,
}

/// The sealed and encoded columns of an account row.
pub(crate) struct SealedRow {
    pub(crate) kind: &'static str,
    pub(crate) secret: Vec<u8>,
    pub(crate) refresh_secret: Option<Vec<u8>>,
    pub(crate) expires_at: Option<i64>,
    pub(crate) oauth: Option<String>,
    pub(crate) scopes: Option<String>,
}

impl Store {
    /// Seals a new account's secrets and encodes its other columns.
    pub(crate) fn sealed_row(
        &self,
        account: &NewAccount,
        _integration: &Integration,
    ) -> Result<SealedRow, StoreError> {
        let kind = account.stored_kind();
        let plaintext = credential_plaintext(&account.credential);
        let secret = self
            .key
            .seal(plaintext.as_bytes(), &account_aad(&account.id, kind))?;
        drop(plaintext);
        let grant = account.oauth.as_ref();
        let refresh_secret = match grant.and_then(|g| g.refresh_token.as_deref()) {
            Some("") => return Err(StoreError::EmptySecret("refresh token")),
            Some(token) => Some(
                self.key
                    .seal(token.as_bytes(), &account_aad(&account.id, REFRESH_COLUMN))?,
            ),
            None => None,
        };
        let oauth = grant
            .map(|g| serde_json::to_string(&g.settings))
            .transpose()
            .map_err(|e| StoreError::Corrupt {
                what: "OAuth settings",
                detail: e.to_string(),
            })?;
        Ok(SealedRow {
            kind,
            secret,
            refresh_secret,
            expires_at: grant.and_then(|g| g.expires_at),
            oauth,
            scopes: account
                .granted_scopes
                .as_ref()
                .map(|s| json!(s).to_string()),
        })
    }

    /// Adds an OAuth account, or replaces the credentials of the existing account with this id
    /// (a reconnect): the account becomes active again and keeps its servers.
    pub fn connect_account(
        &self,
        account: NewAccount,
        integrations: &[&Integration],
    ) -> Result<crate::AccountSummary, StoreError> {
        if let Some(existing) = self.account_summary(&account.id)? {
            if existing.integration != account.integration {
                return Err(StoreError::DuplicateAccount(account.id));
            }
            // A connect link for one user must never take over another user's account.
            if let (Some(owner), Some(user)) = (&existing.user, &account.user)
                && owner != user
            {
                return Err(StoreError::AccountOfAnotherUser(account.id));
            }
            let integration = crate::find_integration(&account.integration, integrations)?;
            let row = self.sealed_row(&account, integration)?;
            self.db().execute(
                "UPDATE accounts SET base_url = COALESCE(?2, base_url), credential_kind = ?3,
                        secret = ?4, granted_scopes = ?5, status = 'active', user_id = COALESCE(?6, user_id),
                        refresh_secret = ?7, expires_at = ?8, oauth = ?9,
                        credential_version = credential_version + 1, refresh_owner = NULL,
                        refresh_until = NULL, refreshed_at = ?10, reauth_reason = NULL
                 WHERE id = ?1",
                &[
                    account.id.as_str().into(),
                    account.base_url.clone().into(),
                    row.kind.into(),
                    row.secret.into(),
                    row.scopes.into(),
                    account.user.clone().into(),
                    row.refresh_secret.into(),
                    row.expires_at.into(),
                    row.oauth.into(),
                    now_unix().into(),
                ],
            )?;
            tracing::info!(account = %account.id, integration = %account.integration, "reconnected account");
            return self.require_account_summary(&account.id);
        }
        self.add_account(account, integrations)
    }

    /// The OAuth settings and user of an account; `None` when it is not an OAuth account.
    pub fn oauth_settings(
        &self,
        id: &str,
    ) -> Result<Option<(OAuthSettings, Option<String>)>, StoreError> {
        let row = self
            .db()
            .query_opt(
                "SELECT oauth, user_id FROM accounts WHERE id = ?1",
                &[id.into()],
            )?
            .map(|row| Ok::<_, SqlError>((row.get_opt_text(0)?, row.get_opt_text(1)?)))
            .transpose()?;
        match row {
            Some((Some(settings), user)) => Ok(Some((parse_settings(&settings)?, user))),
            _ => Ok(None),
        }
    }

    /// Tries to take `id`'s refresh claim for `lease_secs` seconds: on SQLite a lease, on
    /// PostgreSQL the row lock (waiting up to `lease_secs` for another holder); see the module
    /// documentation.
    pub fn claim_refresh(&self, id: &str, lease_secs: i64) -> Result<Claim, StoreError> {
        if let Some(pg) = &self.pg {
            return self.claim_refresh_locked(pg, id, lease_secs, Wait::Yes);
        }
        self.claim_refresh_leased(id, lease_secs)
    }

    /// [`claim_refresh`](Self::claim_refresh) that never waits: [`Claim::Busy`] at once when
    /// another process holds the claim. For the proactive refresher, whose replicas all scan the
    /// same accounts: the first to get an account refreshes it, the others pass.
    pub fn try_claim_refresh(&self, id: &str, lease_secs: i64) -> Result<Claim, StoreError> {
        if let Some(pg) = &self.pg {
            return self.claim_refresh_locked(pg, id, lease_secs, Wait::No);
        }
        self.claim_refresh_leased(id, lease_secs)
    }

    /// The SQLite claim: a lease on the row.
    fn claim_refresh_leased(&self, id: &str, lease_secs: i64) -> Result<Claim, StoreError> {
        let owner = random_owner()?;
        let now = now_unix();
        let claimed = in_transaction(self.db(), |tx| {
            let Some(row) = tx.query_opt(&claim_select(""), &[id.into()])? else {
                return Ok(None);
            };
            let row = ClaimRow::read(&row)?;
            if let Some(until) = row.lease_until.filter(|until| *until > now)
                && row.lease_owner.is_some()
                && row.status == AccountStatus::Active
                && row.refresh_secret.is_some()
            {
                return Ok(Some(Err(until)));
            }
            if row.status == AccountStatus::Active && row.refresh_secret.is_some() {
                tx.execute(
                    "UPDATE accounts SET refresh_owner = ?2, refresh_until = ?3 WHERE id = ?1",
                    &[
                        id.into(),
                        owner.as_str().into(),
                        now.saturating_add(lease_secs).into(),
                    ],
                )?;
            }
            Ok::<_, StoreError>(Some(Ok(row)))
        })?;
        match claimed {
            None => Err(self.unknown_account(id)?),
            Some(Err(until)) => Ok(Claim::Busy { until }),
            Some(Ok(row)) => self.grant(id, row, owner, None),
        }
    }

    /// [`claim_refresh`](Self::claim_refresh) on PostgreSQL: the row lock, held by the grant.
    fn claim_refresh_locked(
        &self,
        pg: &PgSql,
        id: &str,
        lease_secs: i64,
        wait: Wait,
    ) -> Result<Claim, StoreError> {
        // A slot of the refresh budget first: a lock held across a refresh keeps its connection.
        let patience =
            std::time::Duration::from_secs(u64::try_from(lease_secs.max(1)).unwrap_or(1));
        let slot = match wait {
            Wait::Yes => self.refresh_slots.take_within(patience),
            Wait::No => self.refresh_slots.try_take(),
        };
        let Some(slot) = slot else {
            return Ok(Claim::Busy { until: now_unix() });
        };
        self.count_trip();
        let tx = pg.begin()?;
        let limit = format!("{}s", lease_secs.max(1));
        tx.query(
            "SELECT set_config('lock_timeout', ?1, true),
                    set_config('idle_in_transaction_session_timeout', ?1, true)",
            &[limit.into()],
        )?;
        let suffix = match wait {
            Wait::Yes => "FOR UPDATE",
            Wait::No => "FOR UPDATE SKIP LOCKED",
        };
        let row = match tx.query_opt(&claim_select(suffix), &[id.into()]) {
            Ok(row) => row,
            Err(SqlError::LockTimeout(_)) => {
                let _ = tx.rollback();
                return Ok(Claim::Busy { until: now_unix() });
            }
            Err(e) => return Err(e.into()),
        };
        let Some(row) = row else {
            let _ = tx.rollback();
            // Skipped because another process holds it, or not there at all.
            if wait == Wait::No && self.account_summary(id)?.is_some() {
                return Ok(Claim::Busy { until: now_unix() });
            }
            return Err(self.unknown_account(id)?);
        };
        let row = ClaimRow::read(&row)?;
        if row.status != AccountStatus::Active || row.refresh_secret.is_none() {
            let _ = tx.rollback();
            return self.grant(id, row, String::new(), None);
        }
        self.grant(id, row, String::new(), Some(Held { tx, _slot: slot }))
    }

    /// What a claim found: the grant, or why there is none.
    fn grant(
        &self,
        id: &str,
        row: ClaimRow,
        owner: String,
        lock: Option<Held>,
    ) -> Result<Claim, StoreError> {
        if row.status == AccountStatus::NeedsReauth {
            return Ok(Claim::NeedsReauth);
        }
        let Some(sealed_refresh) = row.refresh_secret else {
            return Ok(Claim::NotRefreshable);
        };
        let unseal_failed = || StoreError::Unseal(id.to_owned());
        let plaintext = self
            .key
            .unseal(&row.secret, &account_aad(id, &row.kind))
            .map_err(|_| unseal_failed())?;
        let current = parse_credential(&row.kind, &plaintext).ok_or_else(unseal_failed)?;
        let refresh_token = self
            .key
            .unseal(&sealed_refresh, &account_aad(id, REFRESH_COLUMN))
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(unseal_failed)?;
        let settings = match &row.oauth {
            Some(text) => parse_settings(text)?,
            None => OAuthSettings::default(),
        };
        Ok(Claim::Granted(Box::new(RefreshGrant {
            account_id: id.to_owned(),
            integration: row.integration,
            user: row.user,
            current,
            expires_at: row.expires_at,
            refresh_token,
            settings,
            owner,
            lock: Mutex::new(lock),
        })))
    }

    /// Stores the tokens a refresh under `grant` obtained and releases the lease, in one statement:
    /// the new refresh token is committed before anyone uses the new access token. `refresh_token`
    /// `None` keeps the old one (providers that do not rotate). `false` when the lease was lost
    /// (it ran out), in which case nothing is written.
    pub fn complete_refresh(
        &self,
        grant: &RefreshGrant,
        access_token: &str,
        refresh_token: Option<&str>,
        expires_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        if access_token.is_empty() {
            return Err(StoreError::EmptySecret("access token"));
        }
        let id = &grant.account_id;
        let secret = self.key.seal(
            credential_plaintext(&Credential::Bearer(access_token.to_owned())).as_bytes(),
            &account_aad(id, OAUTH2_KIND),
        )?;
        let refresh_secret = refresh_token
            .filter(|token| !token.is_empty())
            .map(|token| {
                self.key
                    .seal(token.as_bytes(), &account_aad(id, REFRESH_COLUMN))
            })
            .transpose()?;
        // ?2 is the lease owner, which only the SQLite statement checks.
        let mut params = vec![
            id.as_str().into(),
            grant.owner.as_str().into(),
            OAUTH2_KIND.into(),
            secret.into(),
            refresh_secret.into(),
            expires_at.into(),
            now_unix().into(),
        ];
        if let Some(Held { tx, _slot }) = grant.take_lock() {
            // The row lock is ours: write and commit in the transaction that took it.
            self.count_trip();
            let written = tx
                .execute(
                    "UPDATE accounts SET credential_kind = ?2, secret = ?3,
                        refresh_secret = COALESCE(?4, refresh_secret), expires_at = ?5,
                        credential_version = credential_version + 1, refresh_owner = NULL,
                        refresh_until = NULL, refreshed_at = ?6
                 WHERE id = ?1",
                    &{
                        params.remove(1);
                        params
                    },
                )
                .and_then(|_| tx.commit());
            return match written {
                Ok(()) => Ok(true),
                // The server ended the transaction (the refresh outlived the idle timeout, or the
                // connection died): nothing was written, as when a lease runs out.
                Err(error) => {
                    tracing::warn!(account = %id, %error, "cannot record a refresh: its lock was lost");
                    Ok(false)
                }
            };
        }
        if self.pg.is_some() {
            // A PostgreSQL grant whose lock was used up already: nothing to write under.
            return Ok(false);
        }
        let changed = self.db().execute(
            "UPDATE accounts SET credential_kind = ?3, secret = ?4,
                    refresh_secret = COALESCE(?5, refresh_secret), expires_at = ?6,
                    credential_version = credential_version + 1, refresh_owner = NULL,
                    refresh_until = NULL, refreshed_at = ?7
             WHERE id = ?1 AND refresh_owner = ?2",
            &params,
        )?;
        Ok(changed == 1)
    }

    /// Gives the lease back without changing the credential (the refresh was not needed, or failed
    /// in a way that may pass).
    pub fn release_refresh(&self, grant: &RefreshGrant) -> Result<(), StoreError> {
        if let Some(held) = grant.take_lock() {
            self.count_trip();
            // A transaction the server already ended has nothing left to give back.
            if let Err(error) = held.tx.rollback() {
                tracing::debug!(account = %grant.account_id, %error, "a refresh lock was already gone");
            }
            return Ok(());
        }
        if self.pg.is_some() {
            return Ok(());
        }
        self.db().execute(
            "UPDATE accounts SET refresh_owner = NULL, refresh_until = NULL
             WHERE id = ?1 AND refresh_owner = ?2",
            &[
                grant.account_id.as_str().into(),
                grant.owner.as_str().into(),
            ],
        )?;
        Ok(())
    }

    /// The refresh under `grant` found the grant dead: [`mark_needs_reauth`](Self::mark_needs_reauth)
    /// with the claim still held (on PostgreSQL, in the transaction holding the row lock, so
    /// replicas waiting for it then find the account `needs_reauth` and queue nothing).
    pub fn give_up_refresh(
        &self,
        grant: &RefreshGrant,
        reason: &str,
        event: Option<&WebhookEvent>,
    ) -> Result<bool, StoreError> {
        let Some(Held { tx, _slot }) = grant.take_lock() else {
            return self.mark_needs_reauth(&grant.account_id, reason, event);
        };
        self.count_trip();
        let marked = mark_needs_reauth_in(&tx, &grant.account_id, reason, event)
            .and_then(|changed| Ok(tx.commit().map(|()| changed)?));
        match marked {
            Ok(changed) => {
                if changed {
                    tracing::warn!(account = %grant.account_id, reason, "account needs re-authorization");
                }
                Ok(changed)
            }
            // The lock was lost (the server ended the transaction): the transaction is gone with
            // it, so mark the account on its own, as a lease that ran out would.
            Err(error) => {
                tracing::debug!(account = %grant.account_id, %error, "a refresh lock was lost before giving up");
                self.mark_needs_reauth(&grant.account_id, reason, event)
            }
        }
    }

    /// Marks the account `needs_reauth` for `reason` and, only if this call is what changed its
    /// status, queues `event` in the webhook outbox in the same transaction: however many refreshes
    /// fail at once, one event is sent. Returns whether the status changed.
    pub fn mark_needs_reauth(
        &self,
        id: &str,
        reason: &str,
        event: Option<&WebhookEvent>,
    ) -> Result<bool, StoreError> {
        let changed = in_transaction(self.db(), |tx| mark_needs_reauth_in(tx, id, reason, event))?;
        if changed {
            tracing::warn!(account = %id, reason, "account needs re-authorization");
        }
        Ok(changed)
    }

    /// Active OAuth accounts with a refresh token whose access token expires before `before`
    /// (Unix seconds), soonest first.
    pub fn refresh_due(&self, before: i64, limit: usize) -> Result<Vec<RefreshDue>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(self
            .db()
            .query(
                "SELECT id, integration, expires_at FROM accounts
                 WHERE refresh_secret IS NOT NULL AND expires_at IS NOT NULL AND expires_at < ?1
                   AND status = 'active'
                 ORDER BY expires_at LIMIT ?2",
                &[before.into(), limit.into()],
            )?
            .iter()
            .map(|row| {
                Ok(RefreshDue {
                    account_id: row.get_text(0)?,
                    integration: row.get_text(1)?,
                    expires_at: row.get_i64(2)?,
                })
            })
            .collect::<Result<_, SqlError>>()?)
    }
}

/// Marks `id` `needs_reauth` inside `tx` if it is active, queuing `event` only then.
fn mark_needs_reauth_in(
    tx: &dyn SqlExec,
    id: &str,
    reason: &str,
    event: Option<&WebhookEvent>,
) -> Result<bool, StoreError> {
    let changed = tx.execute(
        "UPDATE accounts SET status = 'needs_reauth', reauth_reason = ?2,
                refresh_owner = NULL, refresh_until = NULL
         WHERE id = ?1 AND status = 'active'",
        &[id.into(), reason.into()],
    )?;
    if changed == 1
        && let Some(event) = event
    {
        insert_event(tx, event, now_unix())?;
    }
    Ok(changed == 1)
}

/// Whether a PostgreSQL claim waits for another holder's row lock.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wait {
    Yes,
    No,
}

/// The claim's `SELECT` of one account, with `suffix` (`FOR UPDATE` on PostgreSQL).
fn claim_select(suffix: &str) -> String {
    format!(
        "SELECT integration, user_id, credential_kind, secret, refresh_secret, expires_at,
                oauth, status, refresh_owner, refresh_until
         FROM accounts WHERE id = ?1 {suffix}"
    )
}

/// The row a claim reads.
struct ClaimRow {
    integration: String,
    user: Option<String>,
    kind: String,
    secret: Vec<u8>,
    refresh_secret: Option<Vec<u8>>,
    expires_at: Option<i64>,
    oauth: Option<String>,
    status: AccountStatus,
    lease_owner: Option<String>,
    lease_until: Option<i64>,
}

impl ClaimRow {
    fn read(row: &Row) -> Result<Self, StoreError> {
        Ok(Self {
            integration: row.get_text(0)?,
            user: row.get_opt_text(1)?,
            kind: row.get_text(2)?,
            secret: row.get_blob(3)?,
            refresh_secret: row.get_opt_blob(4)?,
            expires_at: row.get_opt_i64(5)?,
            oauth: row.get_opt_text(6)?,
            status: AccountStatus::parse(&row.get_text(7)?)?,
            lease_owner: row.get_opt_text(8)?,
            lease_until: row.get_opt_i64(9)?,
        })
    }
}

fn parse_settings(text: &str) -> Result<OAuthSettings, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what: "OAuth settings",
        detail: e.to_string(),
    })
}

/// A random lease owner id: each claim is its own owner, so a process never mistakes an old lease
/// of its own for a live one.
fn random_owner() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(StoreError::Random)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
