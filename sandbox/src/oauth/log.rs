//! What the OAuth servers did, for tests to read: counters ([`OAuthStats`]) and an ordered,
//! bounded event log ([`OAuthEvent`]). Nothing here holds a secret: tokens appear only as short ids.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::Vendor;

/// Events kept at most; the oldest are dropped first (their `seq` numbers are not reused).
pub(crate) const MAX_EVENTS: usize = 100_000;

/// Counters of every vendor's OAuth server since the sandbox started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthStats {
    /// Token-endpoint requests of all vendors, whatever their grant type or outcome.
    pub token_requests: u64,
    /// Successful refreshes of all vendors.
    pub refreshes: u64,
    /// Already-used refresh tokens presented again (strict rotation only), all vendors.
    pub reuse_detections: u64,
    /// Chains revoked by reuse detection or by a revoke-all, all vendors.
    pub revoked_chains: u64,
    /// HubSpot's figures.
    pub hubspot: VendorOAuthStats,
    /// Salesforce's figures.
    pub salesforce: VendorOAuthStats,
    /// Pipedrive's figures.
    #[serde(default)]
    pub pipedrive: VendorOAuthStats,
    /// Zendesk's figures.
    #[serde(default)]
    pub zendesk: VendorOAuthStats,
}

/// One vendor's OAuth counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorOAuthStats {
    /// Authorization codes issued (consents given).
    pub authorizations: u64,
    /// Authorization requests answered with `error=access_denied` (`deny=1`).
    pub denials: u64,
    /// Token-endpoint requests by grant type, whatever their outcome.
    pub token_requests: GrantCounts,
    /// Token-endpoint requests answered with an error.
    pub failed_token_requests: u64,
    /// Successful refreshes.
    pub refreshes: u64,
    /// Already-used refresh tokens presented again.
    pub reuse_detections: u64,
    /// Chains revoked (reuse or revoke-all).
    pub revoked_chains: u64,
    /// API calls accepted on an OAuth access token the sandbox issued.
    pub oauth_api_calls: u64,
    /// API calls refused because their access token had expired.
    pub expired_token_calls: u64,
    /// API calls refused for a missing, unknown or revoked token.
    pub rejected_api_calls: u64,
}

/// Token-endpoint requests counted by `grant_type`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantCounts {
    /// `grant_type=authorization_code`.
    pub authorization_code: u64,
    /// `grant_type=refresh_token`.
    pub refresh_token: u64,
    /// Any other or a missing `grant_type`.
    pub other: u64,
}

/// What an [`OAuthEvent`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthEventKind {
    /// A token request with `grant_type=authorization_code`.
    AuthorizationCode,
    /// A token request with `grant_type=refresh_token`.
    Refresh,
    /// A token request with any other or no `grant_type`.
    OtherGrant,
    /// A vendor API request (its credential was checked when it arrived).
    ApiCall,
}

/// Why the sandbox refused a token request or an API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthFailure {
    /// An API call without a bearer token.
    MissingToken,
    /// An API call with a token the sandbox never issued (or no longer remembers).
    UnknownToken,
    /// An API call with an access token past its lifetime.
    ExpiredToken,
    /// An API call with an access token whose chain was revoked.
    RevokedToken,
    /// A token request with a missing or unsupported `grant_type`.
    UnsupportedGrantType,
    /// A missing or unknown `client_id`.
    InvalidClientId,
    /// A missing or wrong `client_secret`.
    InvalidClientSecret,
    /// A missing, unknown, expired or already-exchanged authorization code.
    InvalidCode,
    /// A `redirect_uri` that differs from the authorization request's.
    RedirectUriMismatch,
    /// A missing or wrong PKCE `code_verifier`.
    InvalidCodeVerifier,
    /// A missing, unknown or revoked refresh token.
    InvalidRefreshToken,
    /// An already-used refresh token presented again: the whole chain was revoked.
    RefreshTokenReuse,
    /// The sandbox could not mint a token (the system random source failed).
    ServerError,
}

/// One token-endpoint request or vendor API request, in the order the sandbox decided on them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthEvent {
    /// Position in the log, from 1, increasing by one per event.
    pub seq: u64,
    /// When the sandbox decided (milliseconds since the Unix epoch).
    pub at_ms: i64,
    /// The vendor whose endpoint was called.
    pub vendor: Vendor,
    /// Token request (by grant type) or API call.
    pub kind: OAuthEventKind,
    /// [`crate::token_id`] of the access token issued (token requests) or presented (API calls,
    /// the static api token included); `None` when there was none.
    pub token_id: Option<String>,
    /// The chain (one grant: a code's tokens and all refreshed from them, numbered from 1).
    pub chain: Option<u64>,
    /// Why it was refused; `None` when it succeeded.
    pub failure: Option<OAuthFailure>,
}

/// The bounded event log.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    events: VecDeque<OAuthEvent>,
    next_seq: u64,
}

impl EventLog {
    /// Appends an event, dropping the oldest past [`MAX_EVENTS`].
    pub(crate) fn push(
        &mut self,
        at_ms: i64,
        vendor: Vendor,
        kind: OAuthEventKind,
        token_id: Option<String>,
        chain: Option<u64>,
        failure: Option<OAuthFailure>,
    ) {
        self.next_seq += 1;
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(OAuthEvent {
            seq: self.next_seq,
            at_ms,
            vendor,
            kind,
            token_id,
            chain,
            failure,
        });
    }

    /// Events with `seq > after`, oldest first.
    pub(crate) fn since(&self, after: u64) -> Vec<OAuthEvent> {
        // Sequence numbers are consecutive, so the first wanted event's index is arithmetic.
        let first = self.events.front().map_or(0, |e| e.seq);
        let skip =
            usize::try_from(after.saturating_add(1).saturating_sub(first)).unwrap_or(usize::MAX);
        self.events.iter().skip(skip).cloned().collect()
    }
}

impl OAuthStats {
    /// The counters of `vendor`.
    pub(crate) fn vendor_mut(&mut self, vendor: Vendor) -> &mut VendorOAuthStats {
        match vendor {
            Vendor::HubSpot => &mut self.hubspot,
            Vendor::Salesforce => &mut self.salesforce,
            Vendor::Pipedrive => &mut self.pipedrive,
            Vendor::Zendesk => &mut self.zendesk,
        }
    }

    /// A copy with the cross-vendor totals filled in.
    pub(crate) fn with_totals(&self) -> Self {
        let all = [
            &self.hubspot,
            &self.salesforce,
            &self.pipedrive,
            &self.zendesk,
        ];
        let sum = |figure: fn(&VendorOAuthStats) -> u64| all.iter().map(|v| figure(v)).sum();
        Self {
            token_requests: sum(|v| {
                v.token_requests.authorization_code
                    + v.token_requests.refresh_token
                    + v.token_requests.other
            }),
            refreshes: sum(|v| v.refreshes),
            reuse_detections: sum(|v| v.reuse_detections),
            revoked_chains: sum(|v| v.revoked_chains),
            hubspot: self.hubspot.clone(),
            salesforce: self.salesforce.clone(),
            pipedrive: self.pipedrive.clone(),
            zendesk: self.zendesk.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_bounded_and_reads_from_a_sequence_number() {
        let mut log = EventLog::default();
        for i in 0..(MAX_EVENTS + 5) {
            log.push(
                i as i64,
                Vendor::HubSpot,
                OAuthEventKind::ApiCall,
                None,
                None,
                None,
            );
        }
        let all = log.since(0);
        assert_eq!(all.len(), MAX_EVENTS);
        assert_eq!(all.first().map(|e| e.seq), Some(6));
        let tail = log.since((MAX_EVENTS + 3) as u64);
        assert_eq!(
            tail.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [(MAX_EVENTS + 4) as u64, (MAX_EVENTS + 5) as u64]
        );
        assert!(log.since(u64::MAX).is_empty());
    }
}
