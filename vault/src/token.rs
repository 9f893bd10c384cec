//! Capability tokens: the secret part of an MCP server's URL (`/mcp/<token>`).
//!
//! A token is 256 random bits rendered as unpadded base64url (43 characters). The store keeps only
//! its SHA-256, so a copy of the database does not hand out working URLs; lookups hash the presented
//! token and match the hash exactly (the hash of a guess reveals nothing about stored hashes, so the
//! comparison needs no constant-time care).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;

/// Characters in a rendered token.
pub const TOKEN_LEN: usize = 43;

/// A freshly minted token and the hash to store.
pub(crate) struct Minted {
    /// The token, shown once to the operator.
    pub token: String,
    /// What the store keeps.
    pub hash: [u8; 32],
}

/// Mints a new token.
pub(crate) fn mint() -> Result<Minted, getrandom::Error> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&token);
    Ok(Minted { token, hash })
}

/// The stored form of a token.
pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `text` has the shape of a token (43 base64url characters), so junk is rejected before
/// touching the database.
pub fn is_well_formed(text: &str) -> bool {
    text.len() == TOKEN_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_are_well_formed_distinct_and_hash_to_their_hash() {
        let (Ok(a), Ok(b)) = (mint(), mint()) else {
            panic!("no randomness");
        };
        assert!(is_well_formed(&a.token), "{}", a.token);
        assert_ne!(a.token, b.token);
        assert_eq!(hash(&a.token), a.hash);
        assert_ne!(a.hash, b.hash);
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        assert!(!is_well_formed(""));
        assert!(!is_well_formed(&"a".repeat(42)));
        assert!(!is_well_formed(&"a".repeat(44)));
        assert!(!is_well_formed(&format!("{}=", "a".repeat(42))));
        assert!(is_well_formed(
            &"-_aZ9".repeat(9).chars().take(43).collect::<String>()
        ));
    }
}
