//! Identifiers: Salesforce 15/18-character record ids and uuid-like correlation ids.

use std::sync::atomic::{AtomicU64, Ordering};

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SUFFIX: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// An 18-character Salesforce id: key prefix, pod `5g`, reserved `0`, a 9-digit base-62 counter and
/// the case-safe checksum suffix. Ids with the same prefix sort in counter order.
pub(crate) fn salesforce_id(prefix: &str, counter: u64) -> String {
    let mut digits = [b'0'; 9];
    let mut n = counter;
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    let mut id = String::with_capacity(18);
    id.push_str(prefix);
    id.push_str("5g0");
    id.extend(digits.iter().map(|&b| char::from(b)));
    let suffix = checksum(&id);
    id.push_str(&suffix);
    id
}

/// The three-character case-safe suffix of a 15-character id.
fn checksum(id15: &str) -> String {
    id15.as_bytes()
        .chunks(5)
        .take(3)
        .map(|chunk| {
            let flags = chunk
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_uppercase())
                .fold(0usize, |acc, (i, _)| acc | (1 << i));
            char::from(SUFFIX[flags % 32])
        })
        .collect()
}

/// Accepts a 15- or 18-character id (suffix in any case) and returns the canonical 18-character form.
pub(crate) fn normalize_salesforce_id(text: &str) -> Option<String> {
    if !(text.len() == 15 || text.len() == 18) || !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let id15 = &text[..15];
    let suffix = checksum(id15);
    if text.len() == 18 && !text[15..].eq_ignore_ascii_case(&suffix) {
        return None;
    }
    Some(format!("{id15}{suffix}"))
}

/// Generates uuid-shaped correlation ids (version-4 layout), unique per sandbox instance.
#[derive(Debug)]
pub(crate) struct CorrelationIds {
    seed: u64,
    counter: AtomicU64,
}

impl CorrelationIds {
    /// A generator seeded from the wall clock, so two sandboxes rarely share ids.
    pub(crate) fn new() -> Self {
        let seed = u64::try_from(crate::clock::now_ms()).unwrap_or(0) ^ 0x5eed_5eed_5eed_5eed;
        Self {
            seed,
            counter: AtomicU64::new(1),
        }
    }

    /// The next id, e.g. `de61843f-b3ab-4bc1-8c54-358e37eb0621`.
    pub(crate) fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let hi = splitmix64(self.seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let lo = splitmix64(hi ^ n);
        let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
        let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xffff,
            lo >> 48,
            lo & 0xffff_ffff_ffff
        )
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_ids_checksum_like_salesforce() {
        // Ids taken from the recorded exchanges (see NOTICE.md).
        for id in [
            "0034S000005YJVlQAO",
            "0014S000007NxmlQAC",
            "0054S000000JFmhQAG",
        ] {
            assert_eq!(normalize_salesforce_id(&id[..15]).as_deref(), Some(id));
            assert_eq!(normalize_salesforce_id(&id.to_lowercase()[..]), None);
        }
        assert_eq!(
            normalize_salesforce_id("0034S000005YJVlqao").as_deref(),
            Some("0034S000005YJVlQAO")
        );
    }

    #[test]
    fn generated_ids_sort_by_counter_and_have_18_chars() {
        let a = salesforce_id("003", 61);
        let b = salesforce_id("003", 62);
        assert_eq!(a.len(), 18);
        assert!(a < b, "{a} < {b}");
        assert_eq!(normalize_salesforce_id(&a).as_deref(), Some(a.as_str()));
    }

    #[test]
    fn correlation_ids_look_like_uuids() {
        let ids = CorrelationIds::new();
        let (a, b) = (ids.next(), ids.next());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }
}
