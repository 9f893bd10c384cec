//! The refresh coordinator: the only code that spends refresh tokens.
//!
//! - **Single-flight per account.** In a process, concurrent calls queue on one async mutex per
//!   account and share the result of the one refresh in flight. Across processes, the vault's
//!   refresh lease admits one refresher per account; after taking it the coordinator looks at the
//!   stored credential again and skips the refresh when another process already made one.
//! - **Rotation-safe.** The new tokens (refresh token first of all) are committed before the new
//!   access token is handed to anyone; a provider that returns no refresh token keeps the old one.
//! - **Proactive.** [`Coordinator::run_proactive`] refreshes tokens 60–180 s (jittered per account)
//!   before they expire, a bounded number at a time per integration, so calls do not wait.
//! - **Dead grants.** `invalid_grant` (or the integration's declared equivalent) marks the account
//!   `needs_reauth` and queues one signed webhook; every call then answers `auth_required` with a
//!   reconnect link.

use std::collections::HashMap;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::json;
use switchboard_runtime::account::{Account, Credential};
use switchboard_runtime::credential_source::{CredentialFuture, CredentialSource};
use switchboard_runtime::outcome::ToolError;
use switchboard_runtime::table::Integration;
use switchboard_vault::{Claim, RefreshGrant, Store, StoreError, WebhookEvent, now_unix};
use tokio::sync::Semaphore;

use crate::apps::provider_for;
use crate::client::{TokenError, http_client};
use crate::connect::expires_at;
use crate::link::{ConnectLinks, DEFAULT_LINK_TTL_SECS, LinkTarget};

/// When and how refreshes happen.
#[derive(Clone, Debug)]
pub struct RefreshPolicy {
    /// A call refreshes first when its token expires within this margin (the proactive refresher
    /// normally got there earlier).
    pub on_call_margin: Duration,
    /// The proactive refresher refreshes each token between `proactive_min` and `proactive_max`
    /// before it expires (a per-account point in that window, so refreshes spread out).
    pub proactive_min: Duration,
    /// See `proactive_min`.
    pub proactive_max: Duration,
    /// How often the proactive refresher looks for tokens coming due.
    pub scan_every: Duration,
    /// Proactive refreshes in flight per integration.
    pub per_integration: usize,
    /// Timeout of a token request.
    pub timeout: Duration,
}

impl Default for RefreshPolicy {
    /// 30 s on-call margin, proactive 60–180 s before expiry, scans every 10 s, 4 refreshes in
    /// flight per integration, 10 s token-request timeout.
    fn default() -> Self {
        Self {
            on_call_margin: Duration::from_secs(30),
            proactive_min: Duration::from_secs(60),
            proactive_max: Duration::from_secs(180),
            scan_every: Duration::from_secs(10),
            per_integration: 4,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Where re-authorization webhooks go.
#[derive(Clone)]
pub struct WebhookTarget {
    /// The receiver's URL.
    pub url: String,
    /// The HMAC key signing each delivery.
    pub secret: Vec<u8>,
}

impl fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Counters, for tests and the operator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefreshStats {
    /// Token requests made (successful or not).
    pub refreshes: u64,
    /// Of those, made by the proactive refresher.
    pub proactive: u64,
    /// Refreshes skipped because another refresher had already made one.
    pub skipped: u64,
    /// Accounts marked `needs_reauth`.
    pub dead_grants: u64,
}

/// The refresh coordinator; cheap to clone.
#[derive(Clone)]
pub struct Coordinator {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<Store>,
    integrations: &'static [&'static Integration],
    http: reqwest::Client,
    links: ConnectLinks,
    policy: RefreshPolicy,
    /// Lease length: longer than any refresh can take, so a live refresher never loses it.
    lease_secs: i64,
    webhook: Option<WebhookTarget>,
    /// One queue per account; holds the last credential it produced.
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Fresh>>>>>,
    refreshes: AtomicU64,
    proactive: AtomicU64,
    skipped: AtomicU64,
    dead_grants: AtomicU64,
}

impl fmt::Debug for Coordinator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coordinator")
            .field("policy", &self.inner.policy)
            .field("webhook", &self.inner.webhook)
            .finish_non_exhaustive()
    }
}

/// A credential a refresh produced, and when it expires.
#[derive(Clone)]
struct Fresh {
    credential: Credential,
    expires_at: Option<i64>,
}

/// Why a refresh is wanted.
#[derive(Clone, Copy)]
enum Need<'a> {
    /// The vendor rejected this credential (or it expires within the on-call margin).
    Replace(&'a Credential),
    /// The token expires within this many seconds (proactive).
    ExpiresWithin(i64),
}

impl Coordinator {
    /// A coordinator over `store`; reconnect links come from `links`.
    pub fn new(
        store: Arc<Store>,
        integrations: &'static [&'static Integration],
        links: ConnectLinks,
        policy: RefreshPolicy,
        webhook: Option<WebhookTarget>,
    ) -> Result<Self, TokenError> {
        let http = http_client(policy.timeout)?;
        // Twice the request timeout plus a margin: a refresher alive after that is stuck anyway.
        let lease_secs = i64::try_from(policy.timeout.as_secs())
            .unwrap_or(60)
            .saturating_mul(2)
            .saturating_add(30);
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                integrations,
                http,
                links,
                policy,
                lease_secs,
                webhook,
                slots: Mutex::new(HashMap::new()),
                refreshes: AtomicU64::new(0),
                proactive: AtomicU64::new(0),
                skipped: AtomicU64::new(0),
                dead_grants: AtomicU64::new(0),
            }),
        })
    }

    /// Counters so far.
    pub fn stats(&self) -> RefreshStats {
        let inner = &self.inner;
        RefreshStats {
            refreshes: inner.refreshes.load(Ordering::Relaxed),
            proactive: inner.proactive.load(Ordering::Relaxed),
            skipped: inner.skipped.load(Ordering::Relaxed),
            dead_grants: inner.dead_grants.load(Ordering::Relaxed),
        }
    }

    /// The signed link a person opens to connect `account` again.
    pub fn reconnect_url(&self, account: &str, integration: &str, user: Option<&str>) -> String {
        self.inner.links.link(&LinkTarget {
            integration: integration.to_owned(),
            account: account.to_owned(),
            user: user.map(str::to_owned),
            scopes: Vec::new(),
            expires_at: now_unix().saturating_add(DEFAULT_LINK_TTL_SECS),
        })
    }

    /// Runs the proactive refresher until the task is dropped or aborted.
    pub async fn run_proactive(self) {
        let policy = self.inner.policy.clone();
        let mut semaphores: HashMap<String, Arc<Semaphore>> = HashMap::new();
        let mut ticker = tokio::time::interval(policy.scan_every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let horizon = secs(policy.proactive_max);
            let store = self.inner.store.clone();
            let due = tokio::task::spawn_blocking(move || {
                store.refresh_due(now_unix().saturating_add(horizon), 1000)
            })
            .await;
            let due = match due {
                Ok(Ok(due)) => due,
                Ok(Err(error)) => {
                    tracing::error!(%error, "proactive refresh: cannot list tokens coming due");
                    continue;
                }
                Err(error) => {
                    tracing::error!(%error, "proactive refresh: the store task failed");
                    continue;
                }
            };
            let now = now_unix();
            for account in due {
                let lead = jittered_lead(&account.account_id, account.expires_at, &policy);
                if now < account.expires_at.saturating_sub(lead) {
                    continue;
                }
                let semaphore = semaphores
                    .entry(account.integration.clone())
                    .or_insert_with(|| Arc::new(Semaphore::new(policy.per_integration.max(1))))
                    .clone();
                // Full: the next scan picks the account up again.
                let Ok(permit) = semaphore.try_acquire_owned() else {
                    continue;
                };
                let this = self.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    this.inner.proactive.fetch_add(1, Ordering::Relaxed);
                    let within = secs(this.inner.policy.proactive_max);
                    if let Err(error) = this
                        .refresh(
                            &account.account_id,
                            &account.integration,
                            Need::ExpiresWithin(within),
                        )
                        .await
                    {
                        tracing::warn!(account = %account.account_id, error = %error_text(&error), "proactive refresh failed");
                    }
                });
            }
        }
    }

    /// Refreshes `account` if `need` still holds once the account's lease is held.
    async fn refresh(
        &self,
        account: &str,
        integration: &str,
        need: Need<'_>,
    ) -> Result<Option<Credential>, ToolError> {
        let slot = self.slot(account);
        let mut last = slot.lock_owned().await;
        if let Some(fresh) = last.as_ref()
            && !self.still_needed(need, &fresh.credential, fresh.expires_at)
        {
            self.inner.skipped.fetch_add(1, Ordering::Relaxed);
            return Ok(Some(fresh.credential.clone()));
        }
        let started = Instant::now();
        let patience = Duration::from_secs(u64::try_from(self.inner.lease_secs).unwrap_or(60));
        loop {
            let store = self.inner.store.clone();
            let id = account.to_owned();
            let lease = self.inner.lease_secs;
            // Ahead of expiry nothing waits: if another replica has the account, it is on it.
            let proactive = matches!(need, Need::ExpiresWithin(_));
            let claim = tokio::task::spawn_blocking(move || {
                if proactive {
                    store.try_claim_refresh(&id, lease)
                } else {
                    store.claim_refresh(&id, lease)
                }
            })
            .await
            .map_err(|e| ToolError::Transport(format!("the store task failed: {e}")))?
            .map_err(store_error)?;
            match claim {
                Claim::Granted(grant) => {
                    let produced = self.refresh_granted(*grant, need, integration).await?;
                    *last = produced.clone();
                    return Ok(produced.map(|fresh| fresh.credential));
                }
                Claim::Busy { .. } if proactive => {
                    self.inner.skipped.fetch_add(1, Ordering::Relaxed);
                    return Ok(None);
                }
                Claim::Busy { .. } => {
                    // Another process is refreshing this account: wait for its lease to end, then
                    // look again (its result will usually make ours unnecessary).
                    if started.elapsed() > patience {
                        return Err(ToolError::Transport(format!(
                            "account `{account}`: another process has been refreshing its token for over {}s",
                            patience.as_secs()
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Claim::NeedsReauth => {
                    return Err(self.auth_required_for(account, integration, None));
                }
                Claim::NotRefreshable => return Ok(None),
            }
        }
    }

    /// With the lease held: skip, refresh, or give the account up.
    async fn refresh_granted(
        &self,
        grant: RefreshGrant,
        need: Need<'_>,
        integration_name: &str,
    ) -> Result<Option<Fresh>, ToolError> {
        if !self.still_needed(need, &grant.current, grant.expires_at) {
            self.inner.skipped.fetch_add(1, Ordering::Relaxed);
            let fresh = Fresh {
                credential: grant.current.clone(),
                expires_at: grant.expires_at,
            };
            self.release(grant).await;
            return Ok(Some(fresh));
        }
        let Some(integration) = self
            .inner
            .integrations
            .iter()
            .copied()
            .find(|i| i.name == integration_name)
        else {
            self.release(grant).await;
            return Err(ToolError::Transport(format!(
                "no tool table for integration `{integration_name}`"
            )));
        };
        let provider = match provider_for(&self.inner.store, integration, &grant.settings) {
            Ok((provider, _)) => provider,
            Err(error) => {
                let message = format!("cannot refresh account `{}`: {error}", grant.account_id);
                self.release(grant).await;
                return Err(ToolError::Transport(message));
            }
        };
        self.inner.refreshes.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let answer = provider
            .refresh(&self.inner.http, &grant.refresh_token)
            .await;
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match answer {
            Ok(tokens) => {
                let expires = expires_at(tokens.expires_in);
                let store = self.inner.store.clone();
                let access = tokens.access_token.clone();
                let (committed, grant) = tokio::task::spawn_blocking(move || {
                    let committed = store.complete_refresh(
                        &grant,
                        &tokens.access_token,
                        tokens.refresh_token.as_deref(),
                        expires,
                    );
                    (committed, grant)
                })
                .await
                .map_err(|e| ToolError::Transport(format!("the store task failed: {e}")))?;
                match committed.map_err(store_error)? {
                    true => {
                        tracing::info!(account = %grant.account_id, latency_ms, "refreshed access token");
                        Ok(Some(Fresh {
                            credential: Credential::Bearer(access),
                            expires_at: expires,
                        }))
                    }
                    // The lease ran out mid-refresh (a stall longer than twice the timeout):
                    // the tokens cannot be recorded, so they are not used either.
                    false => Err(ToolError::Transport(format!(
                        "account `{}`: the refresh took longer than its lease; try again",
                        grant.account_id
                    ))),
                }
            }
            Err(TokenError::DeadGrant(code)) => {
                let error = self.give_up(grant, &code).await;
                Err(error)
            }
            Err(error) => {
                tracing::warn!(account = %grant.account_id, latency_ms, error = %error, "token refresh failed");
                self.release(grant).await;
                Err(ToolError::Transport(format!(
                    "could not refresh the account's access token: {error}"
                )))
            }
        }
    }

    /// Marks the grant's account `needs_reauth` (queuing one webhook) and says so.
    async fn give_up(&self, grant: RefreshGrant, code: &str) -> ToolError {
        let reconnect =
            self.reconnect_url(&grant.account_id, &grant.integration, grant.user.as_deref());
        let reason = format!("refresh token rejected ({code})");
        let event = self.inner.webhook.as_ref().map(|_| {
            let event_id = event_id();
            let body = json!({
                "id": event_id,
                "type": "account.needs_reauth",
                "created_at": now_unix(),
                "account": grant.account_id,
                "integration": grant.integration,
                "user": grant.user,
                "reason": reason,
                "reconnect_url": reconnect,
            })
            .to_string();
            WebhookEvent { event_id, body }
        });
        let store = self.inner.store.clone();
        let why = reason.clone();
        // With the claim still held (on PostgreSQL, the row lock): the replicas waiting for it
        // then find the account `needs_reauth`, and only this one queues the webhook.
        let marked = tokio::task::spawn_blocking(move || {
            let marked = store.give_up_refresh(&grant, &why, event.as_ref());
            (marked, grant)
        })
        .await;
        let (marked, grant) = match marked {
            Ok((marked, grant)) => (marked, grant),
            Err(error) => {
                tracing::error!(%error, "the store task failed");
                return ToolError::Transport(format!("the store task failed: {error}"));
            }
        };
        match marked {
            Ok(true) => {
                self.inner.dead_grants.fetch_add(1, Ordering::Relaxed);
            }
            Ok(false) => {}
            Err(error) => {
                tracing::error!(account = %grant.account_id, %error, "cannot mark the account needs_reauth")
            }
        }
        self.auth_required_for(&grant.account_id, &grant.integration, grant.user.as_deref())
    }

    async fn release(&self, grant: RefreshGrant) {
        let store = self.inner.store.clone();
        let released = tokio::task::spawn_blocking(move || store.release_refresh(&grant)).await;
        if let Ok(Err(error)) = released {
            // The lease runs out by itself; nothing is lost.
            tracing::warn!(%error, "cannot release a refresh lease");
        }
    }

    /// Whether `need` still holds for the stored `current` credential.
    fn still_needed(&self, need: Need<'_>, current: &Credential, expires: Option<i64>) -> bool {
        match need {
            Need::Replace(stale) => {
                same_secret(current, stale)
                    || expires_within(expires, secs(self.inner.policy.on_call_margin))
            }
            Need::ExpiresWithin(within) => expires_within(expires, within),
        }
    }

    fn slot(&self, account: &str) -> Arc<tokio::sync::Mutex<Option<Fresh>>> {
        let mut slots = self
            .inner
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        slots.entry(account.to_owned()).or_default().clone()
    }

    fn auth_required_for(&self, account: &str, integration: &str, user: Option<&str>) -> ToolError {
        let url = self.reconnect_url(account, integration, user);
        let vendor = self
            .inner
            .integrations
            .iter()
            .find(|i| i.name == integration)
            .map_or(integration, |i| i.display_name);
        ToolError::AuthRequired {
            message: format!(
                "the {vendor} account `{account}` is no longer authorized; ask the user to open {url} to connect it again, then retry"
            ),
            reconnect_url: Some(url),
        }
    }
}

impl CredentialSource for Coordinator {
    fn usable<'a>(&'a self, account: &'a Account) -> CredentialFuture<'a, Credential> {
        Box::pin(async move {
            if account.needs_reauth {
                return Err(self.auth_required_for(&account.id, &account.integration, None));
            }
            if !expires_within(account.expires_at, secs(self.inner.policy.on_call_margin)) {
                return Ok(account.credential.clone());
            }
            let refreshed = self
                .refresh(
                    &account.id,
                    &account.integration,
                    Need::Replace(&account.credential),
                )
                .await;
            match refreshed {
                Ok(fresh) => Ok(fresh.unwrap_or_else(|| account.credential.clone())),
                // The provider is unreachable, but the token has not expired yet: use it while
                // it lasts rather than fail a call that would succeed.
                Err(ToolError::Transport(_)) if !expires_within(account.expires_at, 0) => {
                    Ok(account.credential.clone())
                }
                Err(error) => Err(error),
            }
        })
    }

    fn rejected<'a>(
        &'a self,
        account: &'a Account,
        rejected: &'a Credential,
    ) -> CredentialFuture<'a, Option<Credential>> {
        Box::pin(async move {
            if !matches!(account.credential, Credential::Bearer(_)) {
                // API keys and Basic never refresh.
                return Ok(None);
            }
            let refreshed = self
                .refresh(&account.id, &account.integration, Need::Replace(rejected))
                .await?;
            // The same credential again would only be refused again.
            Ok(refreshed.filter(|fresh| !same_secret(fresh, rejected)))
        })
    }

    fn reconnect_url(&self, account: &Account) -> Option<String> {
        let oauth = self
            .inner
            .integrations
            .iter()
            .find(|i| i.name == account.integration)
            .is_some_and(|i| i.auth.oauth2.is_some());
        oauth.then(|| self.reconnect_url(&account.id, &account.integration, None))
    }
}

/// Whether a token expiring at `expires` (None: unknown) expires within `within` seconds.
fn expires_within(expires: Option<i64>, within: i64) -> bool {
    expires.is_some_and(|at| at.saturating_sub(now_unix()) <= within)
}

fn same_secret(a: &Credential, b: &Credential) -> bool {
    match (a, b) {
        (Credential::Bearer(a), Credential::Bearer(b))
        | (Credential::ApiKey(a), Credential::ApiKey(b)) => a == b,
        (
            Credential::Basic {
                username: ua,
                password: pa,
            },
            Credential::Basic {
                username: ub,
                password: pb,
            },
        ) => ua == ub && pa == pb,
        _ => false,
    }
}

/// Seconds before expiry the proactive refresher acts for this account's current token: a stable
/// point in `[proactive_min, proactive_max]`, different per account and token, so thousands of tokens
/// issued in the same minute are not refreshed in the same second.
fn jittered_lead(account: &str, expires_at: i64, policy: &RefreshPolicy) -> i64 {
    let (min, max) = (secs(policy.proactive_min), secs(policy.proactive_max));
    if max <= min {
        return min;
    }
    let mut hasher = DefaultHasher::new();
    (account, expires_at).hash(&mut hasher);
    let span = u64::try_from(max - min).unwrap_or(0).saturating_add(1);
    min + i64::try_from(hasher.finish() % span).unwrap_or(0)
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn store_error(error: StoreError) -> ToolError {
    ToolError::Transport(format!("the credential store failed: {error}"))
}

fn error_text(error: &ToolError) -> String {
    match error {
        ToolError::Transport(message) | ToolError::AuthRequired { message, .. } => message.clone(),
        other => other.code().to_owned(),
    }
}

/// A random event id receivers de-duplicate on.
fn event_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // Uniqueness matters, secrecy does not: fall back to time and a counter.
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        return format!("evt_{}_{n}", now_unix());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("evt_{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_the_window_and_spreads() {
        let policy = RefreshPolicy::default();
        let leads: Vec<i64> = (0..200)
            .map(|i| jittered_lead(&format!("acct-{i}"), 1_000_000, &policy))
            .collect();
        assert!(leads.iter().all(|l| (60..=180).contains(l)), "{leads:?}");
        let distinct: std::collections::BTreeSet<_> = leads.iter().collect();
        assert!(distinct.len() > 50, "{}", distinct.len());
    }

    #[test]
    fn expiry_margins() {
        let now = now_unix();
        assert!(!expires_within(None, 30));
        assert!(expires_within(Some(now + 10), 30));
        assert!(!expires_within(Some(now + 100), 30));
        assert!(expires_within(Some(now - 5), 0));
    }
}
