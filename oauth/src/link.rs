//! Connect links: `GET <public>/connect/<integration>?account=…&expires=…&sig=…`, the URL a person
//! opens to connect or reconnect an account.
//!
//! Links are signed (HMAC-SHA256 under the store's connect key) and expire: an unsigned
//! `/connect/hubspot?account=acme` would let anyone who guesses an account id attach *their own*
//! vendor account to it, and the agent would then write a tenant's data into a stranger's CRM.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Seconds a link stays valid unless said otherwise: long enough for a person to act on an
/// agent's message the next day.
pub const DEFAULT_LINK_TTL_SECS: i64 = 7 * 24 * 3600;

/// What a connect link asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkTarget {
    /// The integration.
    pub integration: String,
    /// The account to connect (created, or reconnected).
    pub account: String,
    /// The user the account belongs to, for per-user accounts.
    pub user: Option<String>,
    /// Scopes to ask for; empty asks for what the account was granted before (a reconnect) or the
    /// integration's defaults (a new account).
    pub scopes: Vec<String>,
    /// When the link stops working, Unix seconds.
    pub expires_at: i64,
}

/// Signs and checks connect links. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct ConnectLinks {
    base_url: String,
    key: [u8; 32],
}

impl fmt::Debug for ConnectLinks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectLinks")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Why a link was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Missing or wrong signature, or parameters that were not signed.
    #[error("this connect link is not valid: ask for a new one")]
    BadSignature,
    /// Past its expiry.
    #[error("this connect link has expired: ask for a new one")]
    Expired,
}

impl ConnectLinks {
    /// Links under `base_url` (the server's public URL) signed with `key`.
    pub fn new(base_url: &str, key: [u8; 32]) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            key,
        }
    }

    /// The server's public URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Where identity providers send people back: `<public>/oauth/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("{}/oauth/callback", self.base_url)
    }

    /// The signed link for `target`.
    pub fn link(&self, target: &LinkTarget) -> String {
        let mut query = form_urlencoded(&[
            ("account", target.account.as_str()),
            ("expires", &target.expires_at.to_string()),
        ]);
        if let Some(user) = &target.user {
            query.push('&');
            query.push_str(&form_urlencoded(&[("user", user)]));
        }
        if !target.scopes.is_empty() {
            query.push('&');
            query.push_str(&form_urlencoded(&[("scopes", &target.scopes.join(","))]));
        }
        let sig = URL_SAFE_NO_PAD.encode(self.mac(target));
        format!(
            "{}/connect/{}?{query}&sig={sig}",
            self.base_url,
            encode_segment(&target.integration)
        )
    }

    /// Checks a link's parameters at `now` (Unix seconds).
    pub fn verify(&self, target: &LinkTarget, sig: &str, now: i64) -> Result<(), LinkError> {
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| LinkError::BadSignature)?;
        let mut mac = self.hmac();
        feed(&mut mac, target);
        // Constant-time comparison.
        mac.verify_slice(&sig)
            .map_err(|_| LinkError::BadSignature)?;
        if target.expires_at <= now {
            return Err(LinkError::Expired);
        }
        Ok(())
    }

    fn hmac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length; 32 bytes cannot fail.
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()))
    }

    fn mac(&self, target: &LinkTarget) -> Vec<u8> {
        let mut mac = self.hmac();
        feed(&mut mac, target);
        mac.finalize().into_bytes().to_vec()
    }
}

/// The signed message: every parameter, length-prefixed so no two targets share an encoding.
fn feed(mac: &mut Hmac<Sha256>, target: &LinkTarget) {
    let expires = target.expires_at.to_string();
    let scopes = target.scopes.join(",");
    let parts = [
        "switchboard/connect/v1",
        target.integration.as_str(),
        target.account.as_str(),
        target.user.as_deref().unwrap_or(""),
        if target.user.is_some() { "u" } else { "-" },
        scopes.as_str(),
        expires.as_str(),
    ];
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
}

/// `a=b&c=d`, form-encoded.
fn form_urlencoded(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_segment(k), encode_segment(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but unreserved characters.
fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> LinkTarget {
        LinkTarget {
            integration: "example".into(),
            account: "acme-example".into(),
            user: None,
            scopes: Vec::new(),
            expires_at: 2_000,
        }
    }

    fn sig_of(link: &str) -> &str {
        link.rsplit_once("sig=").map_or("", |(_, sig)| sig)
    }

    #[test]
    fn links_verify_only_unchanged_and_unexpired() {
        let links = ConnectLinks::new("https://sb.example.com/", [7; 32]);
        let link = links.link(&target());
        assert!(link.starts_with(
            "https://sb.example.com/connect/example?account=acme-example&expires=2000&sig="
        ));
        let sig = sig_of(&link);
        assert_eq!(links.verify(&target(), sig, 1_000), Ok(()));
        assert_eq!(links.verify(&target(), sig, 2_000), Err(LinkError::Expired));
        for changed in [
            LinkTarget {
                account: "other".into(),
                ..target()
            },
            LinkTarget {
                integration: "other".into(),
                ..target()
            },
            LinkTarget {
                user: Some(String::new()),
                ..target()
            },
            LinkTarget {
                expires_at: 9_999,
                ..target()
            },
            LinkTarget {
                scopes: vec!["crm.objects.contacts.write".into()],
                ..target()
            },
        ] {
            assert_eq!(
                links.verify(&changed, sig, 1_000),
                Err(LinkError::BadSignature)
            );
        }
        let other_key = ConnectLinks::new("https://sb.example.com", [8; 32]);
        assert_eq!(
            other_key.verify(&target(), sig, 1_000),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            links.verify(&target(), "not base64!", 1_000),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn users_are_signed_and_encoded() {
        let links = ConnectLinks::new("http://127.0.0.1:8080", [1; 32]);
        let with_user = LinkTarget {
            user: Some("ann&bob".into()),
            ..target()
        };
        let link = links.link(&with_user);
        assert!(link.contains("&user=ann%26bob&"), "{link}");
        assert_eq!(links.verify(&with_user, sig_of(&link), 0), Ok(()));
        assert_eq!(
            links.verify(&target(), sig_of(&link), 0),
            Err(LinkError::BadSignature)
        );
    }
}
