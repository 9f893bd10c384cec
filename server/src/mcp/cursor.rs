//! The opaque `tools/list` cursor: the name of the last tool of the previous page.
//!
//! Keyed by name rather than position, so a page boundary stays put when the filter or the tables change
//! between two pages: the next page starts after the last tool the client saw.

const PREFIX: &str = "tools:";

/// Encodes the cursor that resumes after the tool `last`.
pub fn encode(last: &str) -> String {
    let mut out = String::with_capacity(2 * (PREFIX.len() + last.len()));
    for byte in PREFIX.bytes().chain(last.bytes()) {
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(byte & 0x0f));
    }
    out
}

/// Decodes a cursor into the name of the last tool already listed; `None` if it was not issued by
/// [`encode`].
pub fn decode(cursor: &str) -> Option<String> {
    let bytes = cursor.as_bytes();
    if !bytes.len().is_multiple_of(2) || bytes.len() > 1024 {
        return None;
    }
    let decoded = bytes
        .chunks_exact(2)
        .map(|pair| Some((hex_value(pair[0])? << 4) | hex_value(pair[1])?))
        .collect::<Option<Vec<u8>>>()?;
    let text = String::from_utf8(decoded).ok()?;
    text.strip_prefix(PREFIX).map(str::to_owned)
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let cursor = encode("list_all_contacts");
        assert_eq!(decode(&cursor).as_deref(), Some("list_all_contacts"));
    }

    #[test]
    fn rejects_foreign_cursors() {
        for bad in ["", "zz", "abc", "6c697374", &"a".repeat(2000), "é"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
