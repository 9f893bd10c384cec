//! Opaque, tamper-evident `next_cursor` values: where the next page starts, sealed with HMAC-SHA256 and
//! bound to one tool and one account.
//!
//! Wire form: base64url (no padding) of `version ‖ payload JSON ‖ tag`, where the tag is
//! HMAC-SHA256 over a domain label, the version, the tool name, the account id and the payload. The
//! tool and account are in the tag but not in the text, so a cursor discloses neither, and a cursor
//! replayed against another tool or account fails verification like an edited one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::outcome::ToolError;

/// Format version; bump when the payload shape changes so old cursors are refused, not misread.
const VERSION: u8 = 1;
/// Domain label so a tag made here can never be confused with another use of the same key.
const LABEL: &[u8] = b"switchboard/next_cursor";
/// HMAC-SHA256 tag length.
const TAG_LEN: usize = 32;
/// Longest cursor text accepted; real ones are far shorter, and this bounds the work garbage costs.
const MAX_CURSOR_CHARS: usize = 16 * 1024;

/// Where a page starts in the vendor's paging scheme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Position {
    /// The first page: the request built from the arguments alone.
    #[serde(rename = "f")]
    First,
    /// A vendor cursor, sent back as the pagination parameter.
    #[serde(rename = "c")]
    Token(String),
    /// An absolute next-page URL on the account's base URL.
    #[serde(rename = "u")]
    Url(String),
    /// A record offset.
    #[serde(rename = "o")]
    Offset(u64),
    /// A page number.
    #[serde(rename = "p")]
    Page(u64),
}

/// What a `next_cursor` carries: a vendor page and how many of its records were already returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorState {
    /// The vendor page to fetch.
    #[serde(rename = "a")]
    pub at: Position,
    /// Records at the start of that page already returned (when a page was trimmed to `limit`).
    #[serde(rename = "s", default)]
    pub skip: u64,
}

/// Seals and opens cursors with one secret key.
#[derive(Clone)]
pub struct CursorSealer {
    key: [u8; 32],
}

impl std::fmt::Debug for CursorSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.write_str("CursorSealer(<redacted>)")
    }
}

impl CursorSealer {
    /// A sealer using `key`.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// The opaque cursor for `state`, valid only for `tool` and `account`.
    pub fn seal(&self, tool: &str, account: &str, state: &CursorState) -> String {
        // Serializing a plain enum/struct of strings and integers cannot fail; an empty payload would
        // only make the cursor unusable, never unsafe.
        let payload = serde_json::to_vec(state).unwrap_or_default();
        let tag = self.tag(tool, account, &payload);
        let mut bytes = Vec::with_capacity(1 + payload.len() + TAG_LEN);
        bytes.push(VERSION);
        bytes.extend_from_slice(&payload);
        bytes.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The state inside `cursor`, if this sealer issued it for `tool` and `account` unchanged.
    pub fn open(&self, tool: &str, account: &str, cursor: &str) -> Result<CursorState, ToolError> {
        let invalid = || {
            ToolError::InvalidCursor(
                "next_cursor was not issued for this tool and account, or was changed; pass it back \
                 exactly as received, or omit it to start from the first page"
                    .to_owned(),
            )
        };
        let cursor = cursor.trim();
        if cursor.is_empty() || cursor.len() > MAX_CURSOR_CHARS {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
        if bytes.len() < 1 + TAG_LEN || bytes.first() != Some(&VERSION) {
            return Err(invalid());
        }
        let (body, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        let payload = body.get(1..).ok_or_else(invalid)?;
        self.mac(tool, account, payload)
            .verify_slice(tag)
            .map_err(|_| invalid())?;
        // Only reached for cursors this key sealed, so a parse failure means a format change.
        serde_json::from_slice(payload).map_err(|_| invalid())
    }

    fn tag(&self, tool: &str, account: &str, payload: &[u8]) -> [u8; TAG_LEN] {
        self.mac(tool, account, payload)
            .finalize()
            .into_bytes()
            .into()
    }

    fn mac(&self, tool: &str, account: &str, payload: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this never takes the error branch; the fallback key
        // is never used in practice and would only make every cursor fail verification.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| Hmac::<Sha256>::new(&Default::default()));
        mac.update(LABEL);
        mac.update(&[0, VERSION]);
        // Length prefixes keep (tool "a", account "bc") distinct from (tool "ab", account "c").
        for part in [tool.as_bytes(), account.as_bytes()] {
            mac.update(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
            mac.update(part);
        }
        mac.update(payload);
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> CursorSealer {
        CursorSealer::new([7; 32])
    }

    fn state() -> CursorState {
        CursorState {
            at: Position::Url("https://example.test/next?page=2".to_owned()),
            skip: 50,
        }
    }

    #[test]
    fn round_trips_for_the_same_tool_and_account() {
        let cursor = sealer().seal("list_things", "acme", &state());
        assert_eq!(sealer().open("list_things", "acme", &cursor), Ok(state()));
        assert!(
            cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn refuses_another_tool_account_or_key() {
        let cursor = sealer().seal("list_things", "acme", &state());
        let refused =
            |r: Result<CursorState, ToolError>| matches!(r, Err(ToolError::InvalidCursor(_)));
        assert!(refused(sealer().open("list_other", "acme", &cursor)));
        assert!(refused(sealer().open("list_things", "globex", &cursor)));
        assert!(refused(sealer().open("list_thing", "sacme", &cursor)));
        assert!(refused(CursorSealer::new([8; 32]).open(
            "list_things",
            "acme",
            &cursor
        )));
    }

    #[test]
    fn refuses_every_single_byte_edit() {
        let cursor = sealer().seal("t", "a", &state());
        let bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap_or_default();
        for i in 0..bytes.len() {
            let mut edited = bytes.clone();
            if let Some(b) = edited.get_mut(i) {
                *b ^= 0x01;
            }
            let edited = URL_SAFE_NO_PAD.encode(edited);
            assert!(
                matches!(
                    sealer().open("t", "a", &edited),
                    Err(ToolError::InvalidCursor(_))
                ),
                "byte {i}"
            );
        }
    }

    #[test]
    fn refuses_garbage_without_panicking() {
        let long = "A".repeat(MAX_CURSOR_CHARS + 1);
        for garbage in ["", " ", "not base64 !!", "AQ", "AAAA", "%%%", long.as_str()] {
            assert!(matches!(
                sealer().open("t", "a", garbage),
                Err(ToolError::InvalidCursor(_))
            ));
        }
    }
}
