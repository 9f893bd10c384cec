//! Rate-limit figures as HTTP response headers.
//!
//! Two generations of fields are sent side by side, because clients in the wild read either:
//!
//! - `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds): the fields of
//!   draft-ietf-httpapi-ratelimit-headers up to -06, still the most widely implemented;
//! - `RateLimit-Policy` and `RateLimit`, Structured Fields (RFC 9651) as defined by
//!   **draft-ietf-httpapi-ratelimit-headers-10** (27 September 2025), the revision followed here:
//!   `RateLimit-Policy: "default";q=<quota>[;w=<window seconds>]` and
//!   `RateLimit: "default";r=<remaining>[;t=<seconds until reset>]`, both naming the same single policy.
//!   The window (`w`) is omitted: the normalized figures do not carry the window length, and the draft
//!   makes it optional.
//!
//! `Retry-After` (RFC 9110, delay in seconds) accompanies rate-limited answers.

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, HeaderName, HeaderValue};

use switchboard_runtime::outcome::RateLimitInfo;

/// `RateLimit-Limit`.
pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
/// `RateLimit-Remaining`.
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
/// `RateLimit-Reset`.
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
/// `RateLimit-Policy`.
pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
/// `RateLimit`.
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// The name of the one policy Switchboard reports (the vendor's, as normalized).
const POLICY: &str = "\"default\"";

/// Adds the headers for the known figures (none for unknown ones) and `Retry-After` when given.
pub fn apply(headers: &mut HeaderMap, info: &RateLimitInfo, retry_after: Option<u64>) {
    if let Some(limit) = info.limit {
        headers.insert(RATELIMIT_LIMIT, HeaderValue::from(limit));
        headers.insert(RATELIMIT_POLICY, structured(format!("{POLICY};q={limit}")));
    }
    if let Some(remaining) = info.remaining {
        headers.insert(RATELIMIT_REMAINING, HeaderValue::from(remaining));
        let mut item = format!("{POLICY};r={remaining}");
        if let Some(reset) = info.reset {
            item.push_str(&format!(";t={reset}"));
        }
        headers.insert(RATELIMIT, structured(item));
    }
    if let Some(reset) = info.reset {
        headers.insert(RATELIMIT_RESET, HeaderValue::from(reset));
    }
    if let Some(seconds) = retry_after {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
}

fn structured(text: String) -> HeaderValue {
    // Only digits, quotes, semicolons and ASCII letters: always a valid header value.
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(POLICY))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
        headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[test]
    fn all_figures() {
        let mut headers = HeaderMap::new();
        let info = RateLimitInfo {
            limit: Some(100),
            remaining: Some(0),
            reset: Some(7),
        };
        apply(&mut headers, &info, Some(7));
        assert_eq!(header(&headers, "retry-after"), Some("7"));
        assert_eq!(header(&headers, "ratelimit-limit"), Some("100"));
        assert_eq!(header(&headers, "ratelimit-remaining"), Some("0"));
        assert_eq!(header(&headers, "ratelimit-reset"), Some("7"));
        assert_eq!(
            header(&headers, "ratelimit-policy"),
            Some("\"default\";q=100")
        );
        assert_eq!(header(&headers, "ratelimit"), Some("\"default\";r=0;t=7"));
    }

    #[test]
    fn unknown_figures_send_nothing() {
        let mut headers = HeaderMap::new();
        apply(&mut headers, &RateLimitInfo::default(), None);
        assert!(headers.is_empty());
    }

    #[test]
    fn remaining_without_reset() {
        let mut headers = HeaderMap::new();
        let info = RateLimitInfo {
            limit: None,
            remaining: Some(3),
            reset: None,
        };
        apply(&mut headers, &info, None);
        assert_eq!(header(&headers, "ratelimit"), Some("\"default\";r=3"));
        assert_eq!(header(&headers, "ratelimit-policy"), None);
    }
}
