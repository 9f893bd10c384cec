//! Times as the store keeps them (Unix seconds and milliseconds) and as people write them (RFC 3339,
//! UTC on output), for every command and API that reads or shows one.

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Now, in Unix milliseconds (audit events are timed to the millisecond).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `2026-12-31T23:59:59Z`, `2026-12-31T23:59:59.250+01:00`, … as Unix milliseconds (digits past
/// milliseconds are dropped); `None` for anything else, impossible dates included.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let at = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}

/// [`parse_rfc3339_ms`] in Unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    parse_rfc3339_ms(text).map(|ms| ms.div_euclid(1_000))
}

/// An expiry given as Unix seconds or RFC 3339; it must be after `now` (Unix seconds).
pub fn parse_expiry(text: &str, now: i64) -> Result<i64, String> {
    let at = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<i64>()
            .map_err(|_| format!("`{text}` is too large for Unix seconds"))?
    } else {
        parse_rfc3339(text).ok_or_else(|| {
            format!("`{text}` is neither RFC 3339 (e.g. 2026-12-31T23:59:59Z) nor Unix seconds")
        })?
    };
    if at <= now {
        return Err(format!("`{text}` is in the past"));
    }
    Ok(at)
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_rfc3339(secs: i64) -> String {
    format_parts(secs.saturating_mul(1_000), false)
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_rfc3339_ms(ms: i64) -> String {
    format_parts(ms, true)
}

fn format_parts(ms: i64, with_millis: bool) -> String {
    let Ok(at) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        // Outside years -9999..=9999: say so rather than print a wrong date.
        return format!("@{ms}ms");
    };
    let date = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    if with_millis {
        format!("{date}.{:03}Z", at.millisecond())
    } else {
        format!("{date}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_parse_to_unix_time() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-12-31T23:59:59Z"), Some(1_798_761_599));
        assert_eq!(
            parse_rfc3339("2027-01-01T01:00:00+01:00"),
            Some(1_798_761_600)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00-00:30"),
            Some(1_709_166_600)
        );
        assert_eq!(
            parse_rfc3339_ms("2026-11-28T10:00:00.123456789Z"),
            Some(1_795_860_000_123)
        );
        assert_eq!(parse_rfc3339_ms("1969-12-31T23:59:59.999Z"), Some(-1));
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-12-31T24:00:00Z",
            "2026-12-31T23:59:59",
            "2026-12-31",
            "next tuesday",
            "",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn expiries_are_future_unix_seconds_or_rfc3339() {
        let now = 1_800_000_000;
        assert_eq!(parse_expiry("4102444800", now), Ok(4_102_444_800));
        assert_eq!(parse_expiry("2100-01-01T00:00:00Z", now), Ok(4_102_444_800));
        assert!(parse_expiry("1", now).is_err());
        assert!(parse_expiry("2000-01-01T00:00:00Z", now).is_err());
        assert!(parse_expiry("soon", now).is_err());
        assert!(parse_expiry("99999999999999999999", now).is_err());
    }

    #[test]
    fn times_format_as_utc_and_round_trip() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            format_rfc3339_ms(1_795_860_000_250),
            "2026-11-28T10:00:00.250Z"
        );
        for ms in [0, 1_795_860_000_250, -86_400_001] {
            assert_eq!(parse_rfc3339_ms(&format_rfc3339_ms(ms)), Some(ms));
        }
        assert!(format_rfc3339(i64::MAX).starts_with('@'));
    }
}
