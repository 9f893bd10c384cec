//! The request budget shared by every vendor the sandbox serves (`--rate-limit N/SECONDS`).

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// At most `requests` requests per window of `per`, counted across the whole sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBudget {
    /// Requests allowed in one window.
    pub requests: u32,
    /// Length of the window.
    pub per: Duration,
}

impl RateBudget {
    /// A budget of `requests` per `per`.
    pub fn new(requests: u32, per: Duration) -> Self {
        Self { requests, per }
    }

    /// The figures advertised when no budget is configured: HubSpot's 10-second window with a
    /// limit no test or demo reaches.
    pub(crate) fn generous() -> Self {
        Self::new(1_000_000, Duration::from_secs(10))
    }
}

impl fmt::Display for RateBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.requests, self.per.as_secs_f64())
    }
}

/// Why a `N/SECONDS` rate budget did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseRateBudgetError {
    /// No `/` between the request count and the window.
    #[error("expected N/SECONDS (e.g. 100/10), got {0:?}")]
    Shape(String),
    /// The request count is not a non-negative integer that fits in 32 bits.
    #[error("invalid request count {0:?}: expected a whole number")]
    Requests(String),
    /// The window is not a positive number of seconds.
    #[error("invalid window {0:?}: expected a positive number of seconds")]
    Window(String),
}

impl FromStr for RateBudget {
    type Err = ParseRateBudgetError;

    /// Parses `N/SECONDS`, e.g. `100/10` (100 requests per 10 s) or `5/0.5`; a trailing `s` is allowed.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (requests, seconds) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| ParseRateBudgetError::Shape(text.to_owned()))?;
        let requests = requests
            .trim()
            .parse::<u32>()
            .map_err(|_| ParseRateBudgetError::Requests(requests.trim().to_owned()))?;
        let seconds_text = seconds.trim();
        let seconds_text = seconds_text.strip_suffix('s').unwrap_or(seconds_text);
        let per = seconds_text
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| ParseRateBudgetError::Window(seconds.trim().to_owned()))?;
        Ok(Self { requests, per })
    }
}

/// What the meter says about the current window, rendered into each vendor's headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reading {
    /// Requests allowed per window.
    pub(crate) limit: u32,
    /// Requests accepted in the current window.
    pub(crate) used: u32,
    /// Requests still allowed in the current window.
    pub(crate) remaining: u32,
    /// Window length in milliseconds.
    pub(crate) window_ms: u64,
    /// Requests accepted since the sandbox started.
    pub(crate) total: u64,
    /// Milliseconds until the current window ends and the budget is whole again.
    pub(crate) reset_ms: u64,
}

impl Reading {
    /// Whole seconds until the window resets, at least 1 (for `Retry-After` and reset headers).
    pub(crate) fn reset_secs(&self) -> u64 {
        self.reset_ms.div_ceil(1000).max(1)
    }
}

/// A fixed-window counter over one [`RateBudget`].
#[derive(Debug)]
pub(crate) struct Meter {
    budget: RateBudget,
    window_start: Instant,
    used: u32,
    total: u64,
}

impl Meter {
    /// A meter for `budget`, or for [`RateBudget::generous`] when there is none.
    pub(crate) fn new(budget: Option<RateBudget>) -> Self {
        Self {
            budget: budget.unwrap_or_else(RateBudget::generous),
            window_start: Instant::now(),
            used: 0,
            total: 0,
        }
    }

    fn roll(&mut self, now: Instant) {
        if now.saturating_duration_since(self.window_start) >= self.budget.per {
            self.window_start = now;
            self.used = 0;
        }
    }

    fn reading(&self, now: Instant) -> Reading {
        let elapsed = now.saturating_duration_since(self.window_start);
        let left = self.budget.per.saturating_sub(elapsed);
        Reading {
            limit: self.budget.requests,
            used: self.used,
            remaining: self.budget.requests.saturating_sub(self.used),
            window_ms: u64::try_from(self.budget.per.as_millis()).unwrap_or(u64::MAX),
            total: self.total,
            reset_ms: u64::try_from(left.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Counts one request if the window has room (`Ok`), or refuses it (`Err`); both carry the reading.
    pub(crate) fn acquire(&mut self) -> Result<Reading, Reading> {
        let now = Instant::now();
        self.roll(now);
        if self.used < self.budget.requests {
            self.used += 1;
            self.total += 1;
            Ok(self.reading(now))
        } else {
            Err(self.reading(now))
        }
    }

    /// The current reading without counting a request (for refused credentials).
    pub(crate) fn peek(&mut self) -> Reading {
        let now = Instant::now();
        self.roll(now);
        self.reading(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_n_per_seconds() {
        assert_eq!(
            "100/10".parse(),
            Ok(RateBudget::new(100, Duration::from_secs(10)))
        );
        assert_eq!(
            " 5 / 0.5s ".parse(),
            Ok(RateBudget::new(5, Duration::from_millis(500)))
        );
        assert!(matches!(
            "100".parse::<RateBudget>(),
            Err(ParseRateBudgetError::Shape(_))
        ));
        assert!(matches!(
            "-1/10".parse::<RateBudget>(),
            Err(ParseRateBudgetError::Requests(_))
        ));
        for bad in ["1/0", "1/-3", "1/abc", "1/NaN", "1/inf"] {
            assert!(
                matches!(
                    bad.parse::<RateBudget>(),
                    Err(ParseRateBudgetError::Window(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(
            RateBudget::new(3, Duration::from_secs(60)).to_string(),
            "3/60"
        );
    }

    #[test]
    fn meter_refuses_past_the_budget() {
        let mut meter = Meter::new(Some(RateBudget::new(2, Duration::from_secs(3600))));
        assert_eq!(meter.acquire().map(|r| r.remaining), Ok(1));
        assert_eq!(meter.acquire().map(|r| r.remaining), Ok(0));
        let refused = meter.acquire();
        assert!(matches!(
            refused,
            Err(Reading {
                remaining: 0,
                used: 2,
                ..
            })
        ));
        assert_eq!(meter.peek().total, 2);
    }
}
