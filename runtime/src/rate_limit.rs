//! Reads rate-limit figures out of response headers, as an integration's table describes them, into
//! normalized `{limit, remaining, reset}` plus a retry delay.

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::outcome::RateLimitInfo;
use crate::table::{Figure, HeaderRead, RateLimit, TimeUnit};

/// Figures read from one response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimitReading {
    /// Normalized limit, remaining and reset (seconds from now).
    pub info: RateLimitInfo,
    /// Seconds to wait before retrying, when the vendor says.
    pub retry_after: Option<u64>,
}

/// Raw figures before unit conversion.
#[derive(Default)]
struct Raw {
    limit: Option<f64>,
    remaining: Option<f64>,
    used: Option<f64>,
    reset: Option<(f64, TimeUnit)>,
    retry_after: Option<(f64, TimeUnit)>,
}

impl Raw {
    fn set(&mut self, figure: Figure, value: f64, unit: TimeUnit) {
        // The first header that gives a figure wins, so declaration order in the table decides.
        match figure {
            Figure::Limit => {
                self.limit.get_or_insert(value);
            }
            Figure::Remaining => {
                self.remaining.get_or_insert(value);
            }
            Figure::Used => {
                self.used.get_or_insert(value);
            }
            Figure::Reset => {
                self.reset.get_or_insert((value, unit));
            }
            Figure::RetryAfter => {
                self.retry_after.get_or_insert((value, unit));
            }
        }
    }
}

/// Reads the figures `rules` describe from `headers`, with time figures relative to now.
pub fn read(rules: &RateLimit, headers: &HeaderMap) -> RateLimitReading {
    read_at(rules, headers, now_millis())
}

/// [`read`] with an explicit clock (Unix milliseconds), for tests.
pub fn read_at(rules: &RateLimit, headers: &HeaderMap, now_ms: u128) -> RateLimitReading {
    let mut raw = Raw::default();
    for header in rules.headers {
        for value in headers.get_all(header.name) {
            let Ok(text) = value.to_str() else { continue };
            match header.read {
                HeaderRead::Figure(figure) => {
                    if let Some(number) = leading_number(text.trim()) {
                        raw.set(figure, number, header.unit);
                    }
                }
                HeaderRead::Pattern(pattern) => {
                    for (figure, number) in match_pattern(pattern, text) {
                        raw.set(figure, number, header.unit);
                    }
                }
                HeaderRead::Structured(keys) => {
                    for (figure, number) in structured(keys, text) {
                        raw.set(figure, number, header.unit);
                    }
                }
            }
        }
    }
    let limit = raw.limit.and_then(whole);
    let remaining = raw.remaining.and_then(whole).or_else(|| {
        // `used` alone says nothing; with the limit it gives what is left.
        let used = raw.used.and_then(whole)?;
        Some(limit?.saturating_sub(used))
    });
    let reset = raw
        .reset
        .and_then(|(value, unit)| seconds_from_now(value, unit, now_ms));
    let retry_after = raw
        .retry_after
        .and_then(|(value, unit)| seconds_from_now(value, unit, now_ms))
        .or_else(|| standard_retry_after(headers, now_ms));
    RateLimitReading {
        info: RateLimitInfo {
            limit,
            remaining,
            reset,
        },
        retry_after,
    }
}

/// The figures of a structured value: every `key=value` parameter (items split at `,`, parameters at
/// `;`, spaces and quotes around values ignored), in order, for the keys `keys` names.
fn structured(keys: &[(Figure, &str)], text: &str) -> Vec<(Figure, f64)> {
    let mut out = Vec::new();
    for part in text.split([',', ';']) {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let value = value.trim().trim_matches('"');
        let Some(number) = leading_number(value) else {
            continue;
        };
        for (figure, name) in keys {
            if key.eq_ignore_ascii_case(name) {
                out.push((*figure, number));
            }
        }
    }
    out
}

/// The HTTP `Retry-After` header: delta seconds or an HTTP date (RFC 9110 §10.2.3).
fn standard_retry_after(headers: &HeaderMap, now_ms: u128) -> Option<u64> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(seconds);
    }
    let at = httpdate::parse_http_date(text).ok()?;
    let at_ms = at.duration_since(UNIX_EPOCH).ok()?.as_millis();
    Some(ceil_seconds(at_ms.saturating_sub(now_ms)))
}

/// Converts a time figure to whole seconds from now, rounding up so a client never retries early.
fn seconds_from_now(value: f64, unit: TimeUnit, now_ms: u128) -> Option<u64> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let millis_from_now = match unit {
        TimeUnit::Seconds => value * 1000.0,
        TimeUnit::Milliseconds => value,
        TimeUnit::EpochSeconds => value * 1000.0 - now_ms as f64,
        TimeUnit::EpochMilliseconds => value - now_ms as f64,
    };
    // A reset already in the past means "now".
    let millis = millis_from_now.max(0.0).ceil();
    (millis < u64::MAX as f64).then(|| ceil_seconds(millis as u128))
}

fn ceil_seconds(millis: u128) -> u64 {
    u64::try_from(millis.div_ceil(1000)).unwrap_or(u64::MAX)
}

/// A non-negative figure as a whole number (fractions of a request are truncated).
fn whole(value: f64) -> Option<u64> {
    (value.is_finite() && value >= 0.0 && value < u64::MAX as f64).then_some(value as u64)
}

/// The number at the start of `text` (`"100"`, `"1.5"`, `"10, 10;w=1"` → 10).
fn leading_number(text: &str) -> Option<f64> {
    let end = number_len(text);
    text.get(..end)?.parse().ok()
}

/// Length of the leading `digits[.digits]` run.
fn number_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return 0;
    }
    match bytes.get(digits) {
        Some(b'.') => {
            let fraction = bytes
                .iter()
                .skip(digits + 1)
                .take_while(|b| b.is_ascii_digit())
                .count();
            if fraction == 0 {
                digits
            } else {
                digits + 1 + fraction
            }
        }
        _ => digits,
    }
}

/// One piece of a header pattern.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Literal(&'a str),
    Placeholder(&'a str),
}

fn pieces(pattern: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        match rest.find('{') {
            Some(open) => {
                if open > 0 {
                    out.push(Piece::Literal(&rest[..open]));
                }
                let after = &rest[open + 1..];
                match after.find('}') {
                    Some(close) => {
                        out.push(Piece::Placeholder(after[..close].trim()));
                        rest = &after[close + 1..];
                    }
                    None => {
                        // An unclosed brace is literal text.
                        out.push(Piece::Literal(&rest[open..]));
                        rest = "";
                    }
                }
            }
            None => {
                out.push(Piece::Literal(rest));
                rest = "";
            }
        }
    }
    out
}

fn figure_named(name: &str) -> Option<Figure> {
    Some(match name.to_ascii_lowercase().replace('-', "_").as_str() {
        "limit" => Figure::Limit,
        "remaining" => Figure::Remaining,
        "used" => Figure::Used,
        "reset" => Figure::Reset,
        "retry_after" => Figure::RetryAfter,
        _ => return None,
    })
}

/// Reads a header value against a pattern like `api-usage={used}/{limit}`.
///
/// The pattern may match anywhere in the value (vendors add more text before or after, e.g.
/// `api-usage=25/15000; per-app-api-usage=…`), but a leading word starts at a word boundary;
/// literals compare ASCII case-insensitively. Every occurrence of the leading literal is tried until
/// one matches the whole pattern.
pub fn match_pattern(pattern: &str, value: &str) -> Vec<(Figure, f64)> {
    let pieces = pieces(pattern);
    let lower_value = value.to_ascii_lowercase();
    let starts: Vec<usize> = match pieces.first() {
        Some(Piece::Literal(lit)) => {
            let lit = lit.to_ascii_lowercase();
            let wordy = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
            let starts_wordy = lit.bytes().next().is_some_and(wordy);
            lower_value
                .match_indices(&lit)
                .map(|(i, _)| i)
                // `api-usage=` must not match inside `per-app-api-usage=`.
                .filter(|&i| {
                    !starts_wordy
                        || i == 0
                        || lower_value.as_bytes().get(i - 1).is_none_or(|&b| !wordy(b))
                })
                .collect()
        }
        Some(Piece::Placeholder(_)) => {
            // A leading placeholder anchors at the start (after whitespace).
            vec![value.len() - value.trim_start().len()]
        }
        None => Vec::new(),
    };
    starts
        .into_iter()
        .find_map(|start| match_from(&pieces, &lower_value, start))
        .unwrap_or_default()
}

fn match_from(pieces: &[Piece<'_>], value: &str, mut at: usize) -> Option<Vec<(Figure, f64)>> {
    let mut figures = Vec::new();
    for piece in pieces {
        let rest = value.get(at..)?;
        match piece {
            Piece::Literal(lit) => {
                let lit = lit.to_ascii_lowercase();
                if !rest.starts_with(&lit) {
                    return None;
                }
                at += lit.len();
            }
            Piece::Placeholder(name) => {
                let len = number_len(rest);
                if len == 0 {
                    return None;
                }
                let number: f64 = rest.get(..len)?.parse().ok()?;
                // Unknown placeholder names match a number and are ignored.
                if let Some(figure) = figure_named(name) {
                    figures.push((figure, number));
                }
                at += len;
            }
        }
    }
    Some(figures)
}

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderName, HeaderValue};

    use super::*;
    use crate::table::RateLimitHeader;

    const NOW_MS: u128 = 1_700_000_000_000;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_str(value) {
                map.append(HeaderName::from_static(name), value);
            }
        }
        map
    }

    static FIGURES: RateLimit = RateLimit {
        headers: &[
            RateLimitHeader {
                name: "x-max",
                read: HeaderRead::Figure(Figure::Limit),
                unit: TimeUnit::Seconds,
            },
            RateLimitHeader {
                name: "x-left",
                read: HeaderRead::Figure(Figure::Remaining),
                unit: TimeUnit::Seconds,
            },
            RateLimitHeader {
                name: "x-window-ms",
                read: HeaderRead::Figure(Figure::Reset),
                unit: TimeUnit::Milliseconds,
            },
        ],
        limited_when: &[],
    };

    /// The IETF keys, and a vendor's own (`total`, `resets`) for the same figures.
    static STRUCTURED: RateLimit = RateLimit {
        headers: &[
            RateLimitHeader {
                name: "ratelimit",
                read: HeaderRead::Structured(&[
                    (Figure::Limit, "limit"),
                    (Figure::Limit, "q"),
                    (Figure::Remaining, "remaining"),
                    (Figure::Remaining, "r"),
                    (Figure::Reset, "reset"),
                    (Figure::Reset, "t"),
                ]),
                unit: TimeUnit::Seconds,
            },
            RateLimitHeader {
                name: "x-index-limit",
                read: HeaderRead::Structured(&[
                    (Figure::Limit, "total"),
                    (Figure::Remaining, "remaining"),
                    (Figure::Reset, "resets"),
                ]),
                unit: TimeUnit::Seconds,
            },
        ],
        limited_when: &[],
    };

    #[test]
    fn structured_values_are_read_in_any_order_and_spacing() {
        let expect = RateLimitInfo {
            limit: Some(100),
            remaining: Some(50),
            reset: Some(30),
        };
        for value in [
            "limit=100, remaining=50, reset=30",
            "reset=30,remaining=50,limit=100",
            "  remaining = 50 ;limit=100;  reset=\"30\"",
            "\"default\";r=50;t=30, \"daily\";r=1;t=9999;q=100",
        ] {
            let reading = read_at(&STRUCTURED, &headers(&[("ratelimit", value)]), NOW_MS);
            assert_eq!(reading.info, expect, "{value}");
        }
        let reading = read_at(
            &STRUCTURED,
            &headers(&[("x-index-limit", "total=100; remaining=99; resets=41")]),
            NOW_MS,
        );
        assert_eq!(
            reading.info,
            RateLimitInfo {
                limit: Some(100),
                remaining: Some(99),
                reset: Some(41),
            }
        );
        // Nothing readable: nothing read, no panic.
        for junk in ["", "=", "limit=", "limit=abc", ";;,,", "limit=-5"] {
            let reading = read_at(&STRUCTURED, &headers(&[("ratelimit", junk)]), NOW_MS);
            assert_eq!(reading.info.limit, None, "{junk}");
        }
    }

    static PATTERN: RateLimit = RateLimit {
        headers: &[RateLimitHeader {
            name: "x-usage",
            read: HeaderRead::Pattern("api-usage={used}/{limit}"),
            unit: TimeUnit::Seconds,
        }],
        limited_when: &[],
    };

    static EPOCH: RateLimit = RateLimit {
        headers: &[
            RateLimitHeader {
                name: "x-reset",
                read: HeaderRead::Figure(Figure::Reset),
                unit: TimeUnit::EpochSeconds,
            },
            RateLimitHeader {
                name: "x-reset-ms",
                read: HeaderRead::Figure(Figure::Reset),
                unit: TimeUnit::EpochMilliseconds,
            },
            RateLimitHeader {
                name: "x-retry",
                read: HeaderRead::Figure(Figure::RetryAfter),
                unit: TimeUnit::Milliseconds,
            },
        ],
        limited_when: &[],
    };

    #[test]
    fn reads_plain_figures_and_converts_milliseconds() {
        let reading = read_at(
            &FIGURES,
            &headers(&[("x-max", "100"), ("x-left", "97"), ("x-window-ms", "10001")]),
            NOW_MS,
        );
        assert_eq!(
            reading.info,
            RateLimitInfo {
                limit: Some(100),
                remaining: Some(97),
                reset: Some(11)
            }
        );
        assert_eq!(reading.retry_after, None);
    }

    #[test]
    fn reads_a_pattern_with_trailing_text_and_derives_remaining() {
        for value in [
            "api-usage=25/15000",
            "api-usage=25/15000; per-app-api-usage=17/250(appName=sample)",
            "per-app-api-usage=1/2; API-Usage=25/15000",
        ] {
            let reading = read_at(&PATTERN, &headers(&[("x-usage", value)]), NOW_MS);
            assert_eq!(reading.info.limit, Some(15000), "{value}");
            assert_eq!(reading.info.remaining, Some(14975), "{value}");
        }
    }

    #[test]
    fn used_above_limit_means_none_left() {
        let reading = read_at(
            &PATTERN,
            &headers(&[("x-usage", "api-usage=20/10")]),
            NOW_MS,
        );
        assert_eq!(reading.info.remaining, Some(0));
    }

    #[test]
    fn ignores_values_that_do_not_match() {
        for value in [
            "",
            "api-usage=",
            "api-usage=x/1",
            "usage 5 of 10",
            "api-usage=5-10",
        ] {
            let reading = read_at(&PATTERN, &headers(&[("x-usage", value)]), NOW_MS);
            assert!(reading.info.is_empty(), "{value}");
        }
        let reading = read_at(
            &FIGURES,
            &headers(&[("x-max", "lots"), ("x-left", "-1")]),
            NOW_MS,
        );
        assert!(reading.info.is_empty());
    }

    #[test]
    fn converts_epoch_resets_relative_to_now() {
        let in_30s = (NOW_MS / 1000 + 30).to_string();
        let reading = read_at(&EPOCH, &headers(&[("x-reset", &in_30s)]), NOW_MS);
        assert_eq!(reading.info.reset, Some(30));
        let in_1500ms = (NOW_MS + 1500).to_string();
        let reading = read_at(&EPOCH, &headers(&[("x-reset-ms", &in_1500ms)]), NOW_MS);
        assert_eq!(reading.info.reset, Some(2));
        let past = (NOW_MS / 1000 - 30).to_string();
        let reading = read_at(&EPOCH, &headers(&[("x-reset", &past)]), NOW_MS);
        assert_eq!(reading.info.reset, Some(0));
    }

    #[test]
    fn retry_after_from_a_figure_or_the_standard_header() {
        let reading = read_at(&EPOCH, &headers(&[("x-retry", "2500")]), NOW_MS);
        assert_eq!(reading.retry_after, Some(3));
        let reading = read_at(&EPOCH, &headers(&[("retry-after", "7")]), NOW_MS);
        assert_eq!(reading.retry_after, Some(7));
        let date = httpdate::fmt_http_date(
            UNIX_EPOCH
                + std::time::Duration::from_millis(u64::try_from(NOW_MS).unwrap_or(0) + 60_000),
        );
        let reading = read_at(&EPOCH, &headers(&[("retry-after", &date)]), NOW_MS);
        assert_eq!(reading.retry_after, Some(60));
        let reading = read_at(&EPOCH, &headers(&[("retry-after", "soon")]), NOW_MS);
        assert_eq!(reading.retry_after, None);
    }

    #[test]
    fn pattern_pieces() {
        assert_eq!(
            pieces("a={used}/{limit}"),
            vec![
                Piece::Literal("a="),
                Piece::Placeholder("used"),
                Piece::Literal("/"),
                Piece::Placeholder("limit")
            ]
        );
        assert_eq!(pieces("{oops"), vec![Piece::Literal("{oops")]);
        assert_eq!(
            match_pattern("{remaining};w={reset}", " 5;w=60"),
            vec![(Figure::Remaining, 5.0), (Figure::Reset, 60.0)]
        );
    }
}
