//! The identity provider's memory, shared by all vendors: authorization codes, chains (one
//! grant: a code's tokens and every token refreshed from them), access and refresh tokens,
//! rotation and reuse detection, and the counters and event log tests read.
//!
//! Vendor-neutral: each vendor's module turns requests into a [`TokenRequest`] and renders the
//! [`OAuthFailure`] it gets back in its own error shape.

use std::collections::{HashMap, VecDeque};

use super::OAuthConfig;
use super::log::{EventLog, OAuthEventKind, OAuthFailure, OAuthStats};
use super::secrets::{Digest, RandomError, Secret, digest, mint, s256, short_id};
use crate::Vendor;

/// Authorization codes live this long (RFC 6749 §4.1.2 recommends at most 10 minutes).
pub(crate) const CODE_TTL_MS: i64 = 10 * 60 * 1000;
/// Outstanding authorization codes kept at most (oldest dropped first).
const MAX_CODES: usize = 10_000;
/// Access and refresh tokens kept at most per kind (oldest dropped first: they become unknown).
const MAX_TOKENS: usize = 200_000;

/// A map that forgets its oldest entries past a capacity, so hostile or long-running tests
/// cannot grow the sandbox without bound.
#[derive(Debug)]
struct Bounded<T> {
    map: HashMap<Digest, T>,
    order: VecDeque<Digest>,
    capacity: usize,
}

impl<T> Bounded<T> {
    fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    fn insert(&mut self, key: Digest, value: T) {
        while self.map.len() >= self.capacity {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
        // Removed keys stay in `order` until evicted; compact so it stays proportional.
        if self.order.len() >= self.capacity.saturating_mul(2) {
            let map = &self.map;
            self.order.retain(|k| map.contains_key(k));
        }
        self.map.insert(key, value);
        self.order.push_back(key);
    }

    fn get(&self, key: &Digest) -> Option<&T> {
        self.map.get(key)
    }

    fn get_mut(&mut self, key: &Digest) -> Option<&mut T> {
        self.map.get_mut(key)
    }

    fn remove(&mut self, key: &Digest) -> Option<T> {
        self.map.remove(key)
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.map.values_mut()
    }
}

/// An authorization request the user consented to, remembered until its code is exchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Consent {
    /// The `redirect_uri` of the authorization request; the token request must repeat it.
    pub(crate) redirect_uri: String,
    /// The granted scopes, space-separated as requested.
    pub(crate) scope: String,
    /// The PKCE S256 challenge, when the client sent one.
    pub(crate) code_challenge: Option<String>,
}

#[derive(Debug)]
struct CodeRecord {
    vendor: Vendor,
    consent: Consent,
    issued_ms: i64,
}

#[derive(Debug)]
struct AccessRecord {
    chain: u64,
    expires_ms: i64,
    /// Issue order across all access tokens; tokens of a chain older than its
    /// [`Chain::access_floor`] were superseded by a refresh.
    serial: u64,
}

#[derive(Debug)]
struct RefreshRecord {
    chain: u64,
    /// Rotated out: presenting it again is reuse (strict mode) or just invalid.
    used: bool,
}

#[derive(Debug)]
struct Chain {
    vendor: Vendor,
    scope: String,
    revoked: bool,
    /// Access tokens of this chain with a smaller serial no longer work (vendors that invalidate
    /// the previous access token on refresh).
    access_floor: u64,
}

/// What a vendor request may authenticate with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Accepts<'a> {
    /// The static api token, when this credential style may carry it.
    pub(crate) static_token: Option<&'a str>,
    /// Whether an access token this vendor's OAuth server issued is accepted.
    pub(crate) oauth: bool,
}

/// Whether `vendor` hands out a new refresh token on every refresh even in lenient mode, and
/// invalidates the previous access and refresh tokens (Zendesk's "Refresh token grant type").
fn always_rotates(vendor: Vendor) -> bool {
    vendor == Vendor::Zendesk
}

/// A token-endpoint request's parameters, as the vendor module read them.
#[derive(Debug, Default)]
pub(crate) struct TokenRequest {
    pub(crate) grant_type: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) code_verifier: Option<String>,
    pub(crate) refresh_token: Option<String>,
}

/// Tokens a successful token request issued.
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    /// A newly minted refresh token (code exchange, or a rotation in strict mode); `None` when
    /// the presented one stays valid.
    pub(crate) refresh_token: Option<String>,
    /// The chain the tokens belong to.
    pub(crate) chain: u64,
    /// The granted scopes, space-separated.
    pub(crate) scope: String,
    /// Access-token lifetime in whole seconds.
    pub(crate) expires_in: u64,
    /// When they were issued (milliseconds since the epoch).
    pub(crate) issued_ms: i64,
}

/// How the vendor API gate should treat a presented bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// The static api token or a live access token: serve the call.
    Granted,
    /// An access token that expired `ago_ms` milliseconds ago.
    Expired { ago_ms: i64 },
    /// Missing, unknown or revoked.
    Refused,
}

/// Everything the OAuth servers remember.
#[derive(Debug)]
pub(crate) struct Grants {
    config: OAuthConfig,
    codes: Bounded<CodeRecord>,
    access: Bounded<AccessRecord>,
    refresh: Bounded<RefreshRecord>,
    /// Chain `n` is `chains[n - 1]`.
    chains: Vec<Chain>,
    /// Serial of the next access token.
    next_serial: u64,
    stats: OAuthStats,
    log: EventLog,
}

impl Grants {
    /// Empty state for one OAuth client.
    pub(crate) fn new(config: OAuthConfig) -> Self {
        Self {
            config,
            codes: Bounded::new(MAX_CODES),
            access: Bounded::new(MAX_TOKENS),
            refresh: Bounded::new(MAX_TOKENS),
            chains: Vec::new(),
            next_serial: 1,
            stats: OAuthStats::default(),
            log: EventLog::default(),
        }
    }

    /// The client configuration.
    pub(crate) fn config(&self) -> &OAuthConfig {
        &self.config
    }

    /// Whether `client_id` is the sandbox's OAuth client.
    pub(crate) fn known_client(&self, client_id: Option<&str>) -> bool {
        client_id == Some(self.config.client_id.as_str())
    }

    /// Counters, with cross-vendor totals.
    pub(crate) fn stats(&self) -> OAuthStats {
        self.stats.with_totals()
    }

    /// Events with `seq > after`, oldest first.
    pub(crate) fn events(&self, after: u64) -> Vec<super::OAuthEvent> {
        self.log.since(after)
    }

    /// Records an authorization request answered with `access_denied`.
    pub(crate) fn deny(&mut self, vendor: Vendor) {
        self.stats.vendor_mut(vendor).denials += 1;
    }

    /// Issues a one-time authorization code for `consent`.
    pub(crate) fn authorize(
        &mut self,
        vendor: Vendor,
        consent: Consent,
        now: i64,
    ) -> Result<String, RandomError> {
        let code = mint(vendor, Secret::Code)?;
        self.codes.insert(
            digest(&code),
            CodeRecord {
                vendor,
                consent,
                issued_ms: now,
            },
        );
        self.stats.vendor_mut(vendor).authorizations += 1;
        Ok(code)
    }

    /// Answers a token request: checks the client, then exchanges a code or refreshes.
    pub(crate) fn token(
        &mut self,
        vendor: Vendor,
        request: &TokenRequest,
        now: i64,
    ) -> Result<Issued, OAuthFailure> {
        let kind = match request.grant_type.as_deref() {
            Some("authorization_code") => OAuthEventKind::AuthorizationCode,
            Some("refresh_token") => OAuthEventKind::Refresh,
            _ => OAuthEventKind::OtherGrant,
        };
        let counts = &mut self.stats.vendor_mut(vendor).token_requests;
        match kind {
            OAuthEventKind::AuthorizationCode => counts.authorization_code += 1,
            OAuthEventKind::Refresh => counts.refresh_token += 1,
            _ => counts.other += 1,
        }
        let (chain, outcome) = self.grant(vendor, kind, request, now);
        let stats = self.stats.vendor_mut(vendor);
        match &outcome {
            Ok(_) if kind == OAuthEventKind::Refresh => stats.refreshes += 1,
            Ok(_) => {}
            Err(_) => stats.failed_token_requests += 1,
        }
        let token_id = outcome
            .as_ref()
            .ok()
            .map(|issued| short_id(&digest(&issued.access_token)));
        self.log.push(
            now,
            vendor,
            kind,
            token_id,
            chain,
            outcome.as_ref().err().copied(),
        );
        outcome
    }

    /// The grant itself; returns the chain involved (if known) for the event log.
    fn grant(
        &mut self,
        vendor: Vendor,
        kind: OAuthEventKind,
        request: &TokenRequest,
        now: i64,
    ) -> (Option<u64>, Result<Issued, OAuthFailure>) {
        if kind == OAuthEventKind::OtherGrant {
            return (None, Err(OAuthFailure::UnsupportedGrantType));
        }
        if !self.known_client(request.client_id.as_deref()) {
            return (None, Err(OAuthFailure::InvalidClientId));
        }
        if request.client_secret.as_deref() != Some(self.config.client_secret.as_str()) {
            return (None, Err(OAuthFailure::InvalidClientSecret));
        }
        if kind == OAuthEventKind::AuthorizationCode {
            match self.exchange(vendor, request, now) {
                Ok(issued) => (Some(issued.chain), Ok(issued)),
                Err(failure) => (None, Err(failure)),
            }
        } else {
            self.refresh(vendor, request.refresh_token.as_deref(), now)
        }
    }

    fn exchange(
        &mut self,
        vendor: Vendor,
        request: &TokenRequest,
        now: i64,
    ) -> Result<Issued, OAuthFailure> {
        let key = digest(request.code.as_deref().ok_or(OAuthFailure::InvalidCode)?);
        // Codes are single-use: the first attempt consumes it whatever its outcome, so a wrong
        // verifier cannot be retried against the same code.
        let record = match self.codes.get(&key) {
            Some(record) if record.vendor == vendor => self.codes.remove(&key),
            _ => None,
        }
        .ok_or(OAuthFailure::InvalidCode)?;
        if now.saturating_sub(record.issued_ms) >= CODE_TTL_MS {
            return Err(OAuthFailure::InvalidCode);
        }
        if request.redirect_uri.as_deref() != Some(record.consent.redirect_uri.as_str()) {
            return Err(OAuthFailure::RedirectUriMismatch);
        }
        if let Some(challenge) = &record.consent.code_challenge {
            let verifier = request
                .code_verifier
                .as_deref()
                .ok_or(OAuthFailure::InvalidCodeVerifier)?;
            if !valid_verifier(verifier) || s256(verifier) != *challenge {
                return Err(OAuthFailure::InvalidCodeVerifier);
            }
        }
        self.chains.push(Chain {
            vendor,
            scope: record.consent.scope.clone(),
            revoked: false,
            access_floor: 0,
        });
        let chain = self.chains.len() as u64;
        let refresh_token = self.mint_refresh(vendor, chain)?;
        let mut issued = self.mint_access(vendor, chain, now)?;
        issued.refresh_token = Some(refresh_token);
        Ok(issued)
    }

    fn refresh(
        &mut self,
        vendor: Vendor,
        token: Option<&str>,
        now: i64,
    ) -> (Option<u64>, Result<Issued, OAuthFailure>) {
        let Some(token) = token else {
            return (None, Err(OAuthFailure::InvalidRefreshToken));
        };
        let key = digest(token);
        let Some((chain_no, used)) = self.refresh.get(&key).map(|r| (r.chain, r.used)) else {
            return (None, Err(OAuthFailure::InvalidRefreshToken));
        };
        let Some(chain) = self.chain(chain_no).filter(|c| c.vendor == vendor) else {
            return (None, Err(OAuthFailure::InvalidRefreshToken));
        };
        let revoked = chain.revoked;
        if used && self.config.strict_rotation {
            // RFC 9700 §4.14.2: a rotated-out refresh token coming back means two parties hold
            // the grant; revoke all of it so neither keeps access.
            self.stats.vendor_mut(vendor).reuse_detections += 1;
            self.revoke_chain(chain_no);
            return (Some(chain_no), Err(OAuthFailure::RefreshTokenReuse));
        }
        if used || revoked {
            return (Some(chain_no), Err(OAuthFailure::InvalidRefreshToken));
        }
        let rotated = if self.config.strict_rotation || always_rotates(vendor) {
            if let Some(record) = self.refresh.get_mut(&key) {
                record.used = true;
            }
            match self.mint_refresh(vendor, chain_no) {
                Ok(new) => Some(new),
                Err(failure) => return (Some(chain_no), Err(failure)),
            }
        } else {
            None
        };
        let outcome = self.mint_access(vendor, chain_no, now).map(|mut issued| {
            issued.refresh_token = rotated;
            issued
        });
        if always_rotates(vendor)
            && let Ok(issued) = &outcome
        {
            let serial = self
                .access
                .get(&digest(&issued.access_token))
                .map(|r| r.serial);
            if let (Some(serial), Some(chain)) = (serial, self.chain_mut(chain_no)) {
                chain.access_floor = serial;
            }
        }
        (Some(chain_no), outcome)
    }

    fn chain(&self, number: u64) -> Option<&Chain> {
        let index = usize::try_from(number.checked_sub(1)?).ok()?;
        self.chains.get(index)
    }

    fn chain_mut(&mut self, number: u64) -> Option<&mut Chain> {
        let index = usize::try_from(number.checked_sub(1)?).ok()?;
        self.chains.get_mut(index)
    }

    /// Revokes chain `number`; true if it was live.
    fn revoke_chain(&mut self, number: u64) -> bool {
        let Some(index) = number.checked_sub(1).and_then(|i| usize::try_from(i).ok()) else {
            return false;
        };
        let Some(chain) = self.chains.get_mut(index) else {
            return false;
        };
        if chain.revoked {
            return false;
        }
        chain.revoked = true;
        let vendor = chain.vendor;
        self.stats.vendor_mut(vendor).revoked_chains += 1;
        true
    }

    fn mint_refresh(&mut self, vendor: Vendor, chain: u64) -> Result<String, OAuthFailure> {
        let token = mint(vendor, Secret::Refresh).map_err(|_| OAuthFailure::ServerError)?;
        self.refresh
            .insert(digest(&token), RefreshRecord { chain, used: false });
        Ok(token)
    }

    fn mint_access(
        &mut self,
        vendor: Vendor,
        chain: u64,
        now: i64,
    ) -> Result<Issued, OAuthFailure> {
        let token = mint(vendor, Secret::Access).map_err(|_| OAuthFailure::ServerError)?;
        let ttl = self.config.token_ttl;
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let serial = self.next_serial;
        self.next_serial += 1;
        self.access.insert(
            digest(&token),
            AccessRecord {
                chain,
                expires_ms: now.saturating_add(ttl_ms),
                serial,
            },
        );
        Ok(Issued {
            access_token: token,
            refresh_token: None,
            chain,
            scope: self
                .chain(chain)
                .map(|c| c.scope.clone())
                .unwrap_or_default(),
            expires_in: ttl.as_secs(),
            issued_ms: now,
        })
    }

    /// Checks a vendor API call's bearer token (the static token or an issued access token) and
    /// logs the call.
    #[cfg(test)]
    pub(crate) fn api_call(
        &mut self,
        vendor: Vendor,
        presented: Option<&str>,
        static_token: &str,
        now: i64,
    ) -> Access {
        let accepts = Accepts {
            static_token: Some(static_token),
            oauth: true,
        };
        self.api_call_with(vendor, presented, accepts, now)
    }

    /// Checks a vendor API call's credential against what its style `accepts`, and logs the call.
    pub(crate) fn api_call_with(
        &mut self,
        vendor: Vendor,
        presented: Option<&str>,
        accepts: Accepts<'_>,
        now: i64,
    ) -> Access {
        let key = presented.map(digest);
        let (access, chain, failure) = match (presented, key.as_ref()) {
            (Some(token), _) if accepts.static_token == Some(token) => {
                (Access::Granted, None, None)
            }
            (Some(_), Some(key)) if accepts.oauth => self.check_access(vendor, key, now),
            (Some(_), Some(_)) => (Access::Refused, None, Some(OAuthFailure::UnknownToken)),
            _ => (Access::Refused, None, Some(OAuthFailure::MissingToken)),
        };
        let stats = self.stats.vendor_mut(vendor);
        match (access, chain) {
            (Access::Granted, Some(_)) => stats.oauth_api_calls += 1,
            (Access::Granted, None) => {}
            (Access::Expired { .. }, _) => stats.expired_token_calls += 1,
            (Access::Refused, _) => stats.rejected_api_calls += 1,
        }
        self.log.push(
            now,
            vendor,
            OAuthEventKind::ApiCall,
            key.as_ref().map(short_id),
            chain,
            failure,
        );
        access
    }

    fn check_access(
        &self,
        vendor: Vendor,
        key: &Digest,
        now: i64,
    ) -> (Access, Option<u64>, Option<OAuthFailure>) {
        let Some(record) = self.access.get(key) else {
            return (Access::Refused, None, Some(OAuthFailure::UnknownToken));
        };
        let chain = record.chain;
        match self.chain(chain) {
            Some(c) if c.vendor != vendor => {
                (Access::Refused, None, Some(OAuthFailure::UnknownToken))
            }
            Some(c) if record.serial < c.access_floor => (
                Access::Refused,
                Some(chain),
                Some(OAuthFailure::RevokedToken),
            ),
            Some(c) if !c.revoked && now < record.expires_ms => {
                (Access::Granted, Some(chain), None)
            }
            Some(c) if !c.revoked => (
                Access::Expired {
                    ago_ms: now.saturating_sub(record.expires_ms),
                },
                Some(chain),
                Some(OAuthFailure::ExpiredToken),
            ),
            _ => (
                Access::Refused,
                Some(chain),
                Some(OAuthFailure::RevokedToken),
            ),
        }
    }

    /// Makes every live access token expire at `now`; returns how many did.
    pub(crate) fn expire_access_tokens(&mut self, now: i64) -> usize {
        let chains = &self.chains;
        let dead = |record: &AccessRecord| {
            record
                .chain
                .checked_sub(1)
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| chains.get(i))
                .is_none_or(|c| c.revoked || record.serial < c.access_floor)
        };
        let mut expired = 0;
        for record in self.access.values_mut() {
            if record.expires_ms > now && !dead(record) {
                record.expires_ms = now;
                expired += 1;
            }
        }
        expired
    }

    /// Revokes every chain and forgets outstanding codes (a user uninstalling the app); returns
    /// how many live chains were revoked.
    pub(crate) fn revoke_all_chains(&mut self) -> usize {
        self.codes = Bounded::new(MAX_CODES);
        (1..=self.chains.len() as u64)
            .filter(|&n| self.revoke_chain(n))
            .count()
    }
}

/// RFC 7636 §4.1: 43 to 128 characters from `[A-Za-z0-9-._~]`.
fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn grants(strict: bool) -> Grants {
        Grants::new(OAuthConfig {
            strict_rotation: strict,
            token_ttl: Duration::from_secs(60),
            ..OAuthConfig::default()
        })
    }

    fn consent(challenge: Option<&str>) -> Consent {
        Consent {
            redirect_uri: "http://app.example/cb".into(),
            scope: "crm.objects.contacts.read".into(),
            code_challenge: challenge.map(str::to_owned),
        }
    }

    fn exchange(code: &str) -> TokenRequest {
        TokenRequest {
            grant_type: Some("authorization_code".into()),
            client_id: Some(super::super::DEFAULT_OAUTH_CLIENT_ID.into()),
            client_secret: Some(super::super::DEFAULT_OAUTH_CLIENT_SECRET.into()),
            redirect_uri: Some("http://app.example/cb".into()),
            code: Some(code.into()),
            ..TokenRequest::default()
        }
    }

    fn refresh(token: &str) -> TokenRequest {
        TokenRequest {
            grant_type: Some("refresh_token".into()),
            refresh_token: Some(token.into()),
            code: None,
            redirect_uri: None,
            ..exchange("")
        }
    }

    fn connect(g: &mut Grants, vendor: Vendor) -> Result<Issued, String> {
        let code = g
            .authorize(vendor, consent(None), 0)
            .map_err(|e| e.to_string())?;
        g.token(vendor, &exchange(&code), 0)
            .map_err(|f| format!("{f:?}"))
    }

    #[test]
    fn codes_are_single_use_vendor_bound_and_expire() -> Result<(), String> {
        let mut g = grants(false);
        let code = g
            .authorize(Vendor::HubSpot, consent(None), 0)
            .map_err(|e| e.to_string())?;
        let other = g
            .authorize(Vendor::HubSpot, consent(None), 0)
            .map_err(|e| e.to_string())?;
        assert_eq!(
            g.token(Vendor::Salesforce, &exchange(&code), 1).err(),
            Some(OAuthFailure::InvalidCode)
        );
        assert!(g.token(Vendor::HubSpot, &exchange(&code), 1).is_ok());
        assert_eq!(
            g.token(Vendor::HubSpot, &exchange(&code), 2).err(),
            Some(OAuthFailure::InvalidCode)
        );
        assert_eq!(
            g.token(Vendor::HubSpot, &exchange(&other), CODE_TTL_MS)
                .err(),
            Some(OAuthFailure::InvalidCode)
        );
        Ok(())
    }

    #[test]
    fn pkce_is_checked_when_a_challenge_was_given() -> Result<(), String> {
        let mut g = grants(false);
        let challenge = s256(VERIFIER);
        for (verifier, ok) in [
            (None, false),
            (Some("x".repeat(43)), false),
            (Some(VERIFIER.to_owned()), true),
        ] {
            let code = g
                .authorize(Vendor::Salesforce, consent(Some(&challenge)), 0)
                .map_err(|e| e.to_string())?;
            let request = TokenRequest {
                code_verifier: verifier,
                ..exchange(&code)
            };
            let outcome = g.token(Vendor::Salesforce, &request, 0);
            assert_eq!(outcome.is_ok(), ok, "{outcome:?}");
        }
        Ok(())
    }

    #[test]
    fn strict_rotation_detects_reuse_and_revokes_the_chain() -> Result<(), String> {
        let mut g = grants(true);
        let first = connect(&mut g, Vendor::HubSpot)?;
        let rt1 = first.refresh_token.clone().ok_or("no refresh token")?;
        let second = g
            .token(Vendor::HubSpot, &refresh(&rt1), 5)
            .map_err(|f| format!("{f:?}"))?;
        let rt2 = second.refresh_token.clone().ok_or("not rotated")?;
        assert_ne!(rt1, rt2);
        assert_eq!(
            g.api_call(Vendor::HubSpot, Some(&second.access_token), "static", 6),
            Access::Granted
        );
        assert_eq!(
            g.token(Vendor::HubSpot, &refresh(&rt1), 7).err(),
            Some(OAuthFailure::RefreshTokenReuse)
        );
        assert_eq!(
            g.token(Vendor::HubSpot, &refresh(&rt2), 8).err(),
            Some(OAuthFailure::InvalidRefreshToken)
        );
        for token in [&first.access_token, &second.access_token] {
            assert_eq!(
                g.api_call(Vendor::HubSpot, Some(token), "static", 9),
                Access::Refused
            );
        }
        let stats = g.stats();
        assert_eq!(
            (
                stats.reuse_detections,
                stats.revoked_chains,
                stats.refreshes
            ),
            (1, 1, 1)
        );
        Ok(())
    }

    #[test]
    fn lenient_refresh_keeps_the_refresh_token() -> Result<(), String> {
        let mut g = grants(false);
        let first = connect(&mut g, Vendor::Salesforce)?;
        let rt = first.refresh_token.ok_or("no refresh token")?;
        for at in 1..4 {
            let issued = g
                .token(Vendor::Salesforce, &refresh(&rt), at)
                .map_err(|f| format!("{f:?}"))?;
            assert!(issued.refresh_token.is_none());
        }
        assert_eq!(g.stats().salesforce.refreshes, 3);
        assert_eq!(g.stats().reuse_detections, 0);
        Ok(())
    }

    #[test]
    fn tokens_expire_and_expiry_can_be_forced() -> Result<(), String> {
        let mut g = grants(false);
        let issued = connect(&mut g, Vendor::HubSpot)?;
        let token = issued.access_token.as_str();
        assert_eq!(
            g.api_call(Vendor::HubSpot, Some(token), "s", 59_999),
            Access::Granted
        );
        assert_eq!(
            g.api_call(Vendor::HubSpot, Some(token), "s", 60_000 + 120_000),
            Access::Expired { ago_ms: 120_000 }
        );
        assert_eq!(
            g.api_call(Vendor::Salesforce, Some(token), "s", 1),
            Access::Refused
        );
        let fresh = g
            .token(
                Vendor::HubSpot,
                &refresh(issued.refresh_token.as_deref().unwrap_or("")),
                10,
            )
            .map_err(|f| format!("{f:?}"))?;
        // Both the first and the refreshed access token were still live.
        assert_eq!(g.expire_access_tokens(20), 2);
        assert_eq!(g.expire_access_tokens(20), 0);
        assert_eq!(
            g.api_call(Vendor::HubSpot, Some(&fresh.access_token), "s", 20),
            Access::Expired { ago_ms: 0 }
        );
        assert_eq!(g.revoke_all_chains(), 1);
        assert_eq!(g.revoke_all_chains(), 0);
        assert_eq!(
            g.api_call(Vendor::HubSpot, Some("s"), "s", 21),
            Access::Granted
        );
        assert_eq!(g.api_call(Vendor::HubSpot, None, "s", 21), Access::Refused);
        Ok(())
    }

    #[test]
    fn the_bounded_map_forgets_the_oldest() {
        let mut map = Bounded::new(2);
        for i in 0..50u8 {
            map.insert([i; 32], i);
            // Every other entry is consumed (like an exchanged code) before eviction.
            if i % 2 == 0 {
                map.remove(&[i; 32]);
            }
        }
        assert_eq!(map.map.len(), 2);
        assert!(map.order.len() <= 4, "{}", map.order.len());
        assert_eq!(map.get(&[49; 32]), Some(&49));
        assert_eq!(map.get(&[47; 32]), Some(&47));
        assert_eq!(map.get(&[45; 32]), None);
    }
}
