//! Minting opaque tokens in each vendor's style, and the hashes the sandbox keeps instead of them.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};

use crate::Vendor;
use crate::ids::salesforce_id;

/// SHA-256 of a token: the sandbox stores this, never the token, so its state can be printed.
pub(crate) type Digest = [u8; 32];

/// The random source failed; no token can be minted.
#[derive(Debug, thiserror::Error)]
#[error("the system random source failed: {0}")]
pub(crate) struct RandomError(getrandom::Error);

/// What a minted secret is for (each vendor formats them differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Secret {
    Code,
    Access,
    Refresh,
}

/// The hash the sandbox indexes a token by.
pub(crate) fn digest(token: &str) -> Digest {
    Sha256::digest(token.as_bytes()).into()
}

/// A non-secret short id of a token: the first 8 hex digits of its SHA-256.
pub fn token_id(token: &str) -> String {
    short_id(&digest(token))
}

/// [`token_id`] from a stored digest.
pub(crate) fn short_id(digest: &Digest) -> String {
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

/// PKCE S256 (RFC 7636 §4.2): BASE64URL-NOPAD(SHA256(ASCII(verifier))).
pub(crate) fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Salesforce's `signature`: Base64(HMAC-SHA256(client_secret, id || issued_at)), so a client
/// can check the `id` and `issued_at` it was given were not altered.
pub(crate) fn salesforce_signature(client_secret: &str, id: &str, issued_at: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes()) else {
        // HMAC takes keys of any length; this branch only satisfies the signature.
        return String::new();
    };
    mac.update(id.as_bytes());
    mac.update(issued_at.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The sandbox org's id (`00D…`), the prefix of Salesforce session ids.
pub(crate) fn salesforce_org_id() -> String {
    salesforce_id("00D", 1)
}

fn random<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(RandomError)?;
    Ok(bytes)
}

fn uuid_like(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Salesforce's token alphabet: base64 with `.` and `_` (its session ids carry no `+` or `/`).
fn salesforce_base64(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .replace('+', ".")
        .replace('/', "_")
        .trim_end_matches('=')
        .to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Letters and digits (both cases), as Zendesk's opaque tokens use.
fn alphanumeric(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// A fresh random secret shaped like `vendor`'s.
///
/// HubSpot: access tokens are long opaque strings starting `C`, refresh tokens carry the hublet
/// prefix (`na1-…`), codes are uuids. Salesforce: session ids are `<15-char org id>!AQ…`, refresh
/// tokens start `5Aep861`, codes start `aPrx` and end in `==` (so they must be URL-encoded).
/// Pipedrive: tokens are `<company id>:<user id>:<40 hex>` (its changelog's example
/// `53:179:6317ef33…`), codes `<company id>.<user id>.<40 hex>`. Zendesk: 32-character
/// alphanumeric access tokens, 32-hex refresh tokens (its OAuth guide's examples), 20-character codes.
pub(crate) fn mint(vendor: Vendor, secret: Secret) -> Result<String, RandomError> {
    Ok(match (vendor, secret) {
        (Vendor::HubSpot, Secret::Access) => {
            format!("C{}", URL_SAFE_NO_PAD.encode(random::<48>()?))
        }
        (Vendor::HubSpot, Secret::Refresh) => format!("na1-{}", uuid_like(&random()?)),
        (Vendor::HubSpot, Secret::Code) => uuid_like(&random()?),
        (Vendor::Salesforce, Secret::Access) => {
            let org = salesforce_org_id();
            format!(
                "{}!AQ{}",
                org.get(..15).unwrap_or(&org),
                salesforce_base64(&random::<72>()?)
            )
        }
        (Vendor::Salesforce, Secret::Refresh) => {
            format!("5Aep861{}", salesforce_base64(&random::<57>()?))
        }
        (Vendor::Salesforce, Secret::Code) => {
            format!("aPrx{}==", salesforce_base64(&random::<48>()?))
        }
        (Vendor::Pipedrive, Secret::Access | Secret::Refresh) => format!(
            "{}:{}:{}",
            crate::pipedrive::COMPANY_ID,
            crate::pipedrive::api_user_id(),
            hex(&random::<20>()?)
        ),
        (Vendor::Pipedrive, Secret::Code) => format!(
            "{}.{}.{}",
            crate::pipedrive::COMPANY_ID,
            crate::pipedrive::api_user_id(),
            hex(&random::<20>()?)
        ),
        (Vendor::Zendesk, Secret::Access) => alphanumeric(&random::<32>()?),
        (Vendor::Zendesk, Secret::Refresh) => hex(&random::<16>()?),
        (Vendor::Zendesk, Secret::Code) => alphanumeric(&random::<20>()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_the_rfc_7636_example() {
        // RFC 7636 Appendix B.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn short_ids_are_eight_hex_digits_of_the_sha256() {
        // SHA-256("abc") = ba7816bf...
        assert_eq!(token_id("abc"), "ba7816bf");
    }

    #[test]
    fn minted_secrets_look_like_the_vendors() -> Result<(), RandomError> {
        let sf = mint(Vendor::Salesforce, Secret::Access)?;
        assert!(
            sf.starts_with("00D") && sf.get(15..18) == Some("!AQ"),
            "{sf}"
        );
        assert!(!sf.contains(['+', '/', '=']), "{sf}");
        let hs = mint(Vendor::HubSpot, Secret::Refresh)?;
        assert!(hs.starts_with("na1-") && hs.len() == 40, "{hs}");
        assert_ne!(
            mint(Vendor::HubSpot, Secret::Access)?,
            mint(Vendor::HubSpot, Secret::Access)?
        );
        assert!(mint(Vendor::Salesforce, Secret::Code)?.ends_with("=="));
        let pd = mint(Vendor::Pipedrive, Secret::Access)?;
        let parts: Vec<&str> = pd.split(':').collect();
        assert_eq!(parts.len(), 3, "{pd}");
        assert!(parts[2].len() == 40 && parts[2].bytes().all(|b| b.is_ascii_hexdigit()));
        let zd = mint(Vendor::Zendesk, Secret::Access)?;
        assert!(
            zd.len() == 32 && zd.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{zd}"
        );
        Ok(())
    }

    #[test]
    fn salesforce_signature_is_an_hmac_of_id_and_issued_at() {
        // Reference value from Python's hmac module: HMAC-SHA256(b"key", b"id1"), base64.
        let a = salesforce_signature("key", "id", "1");
        assert_eq!(a, "+FxLXLF8oXTbsQ8b3LftkBwQP3Ym4OziN4m0gLwqAxI=");
        assert_ne!(a, salesforce_signature("other", "id", "1"));
    }
}
