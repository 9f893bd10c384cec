//! Rate-limit rules: reading the vendor's figures and recognising a rate-limited answer.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::span::Sp;

/// How to read rate-limit figures and recognise a rate-limited answer.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Response headers carrying figures.
    #[serde(default)]
    pub headers: Vec<RateLimitHeader>,
    /// Answers that mean "rate limited". Defaults to HTTP 429 alone.
    #[serde(default)]
    pub limited_when: Vec<RateLimitedWhen>,
}

/// One response header that carries rate-limit figures.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitHeader {
    /// Header name, case-insensitive.
    pub name: Sp<String>,
    /// The figure the whole header value is. Use either `figure` or `pattern`.
    #[serde(default)]
    pub figure: Option<Sp<RateLimitFigure>>,
    /// A pattern with placeholders `{limit}`, `{remaining}`, `{used}`, `{reset}` for headers that carry
    /// several figures (`api-usage={used}/{limit}`).
    #[serde(default)]
    pub pattern: Option<Sp<String>>,
    /// A structured value of `key=value` parameters in any order and spacing, separated by `,` or
    /// `;`: the IETF `RateLimit` and `RateLimit-Policy` fields (`limit=100, remaining=50, reset=30`,
    /// or `"default";r=50;t=30` and `"default";q=100;w=60`). `{}` reads the IETF keys (`limit`/`q`,
    /// `remaining`/`r`, `reset`/`t`); name other keys per figure (`{limit: total, reset: resets}`).
    #[serde(default)]
    pub structured: Option<Sp<StructuredKeys>>,
    /// Unit of the reset figure.
    #[serde(default)]
    pub unit: Option<ResetUnit>,
}

/// The parameter names a structured rate-limit header gives each figure; a figure left out keeps
/// the IETF names.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StructuredKeys {
    /// Requests allowed in the window (IETF: `limit`, `q`).
    #[serde(default)]
    pub limit: Vec<Sp<String>>,
    /// Requests left (IETF: `remaining`, `r`).
    #[serde(default)]
    pub remaining: Vec<Sp<String>>,
    /// Requests used.
    #[serde(default)]
    pub used: Vec<Sp<String>>,
    /// When the window resets (IETF: `reset`, `t`).
    #[serde(default)]
    pub reset: Vec<Sp<String>>,
    /// How long to wait before retrying.
    #[serde(default)]
    pub retry_after: Vec<Sp<String>>,
}

impl StructuredKeys {
    /// `(figure, key)` pairs, the IETF names filling in for figures given none.
    pub fn pairs(&self) -> Vec<(RateLimitFigure, String)> {
        let named = [
            (RateLimitFigure::Limit, &self.limit, &["limit", "q"][..]),
            (
                RateLimitFigure::Remaining,
                &self.remaining,
                &["remaining", "r"][..],
            ),
            (RateLimitFigure::Used, &self.used, &[][..]),
            (RateLimitFigure::Reset, &self.reset, &["reset", "t"][..]),
            (RateLimitFigure::RetryAfter, &self.retry_after, &[][..]),
        ];
        let mut out = Vec::new();
        for (figure, given, ietf) in named {
            if given.is_empty() {
                out.extend(ietf.iter().map(|k| (figure, (*k).to_owned())));
            } else {
                out.extend(given.iter().map(|k| (figure, k.value.to_ascii_lowercase())));
            }
        }
        out
    }
}

/// A rate-limit figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitFigure {
    /// Requests allowed in the window.
    Limit,
    /// Requests left in the window.
    Remaining,
    /// Requests used in the window (remaining = limit − used).
    Used,
    /// When the window resets.
    Reset,
    /// How long to wait before retrying.
    RetryAfter,
}

impl RateLimitFigure {
    /// All figures, in the order placeholders are documented.
    pub const ALL: [Self; 5] = [
        Self::Limit,
        Self::Remaining,
        Self::Used,
        Self::Reset,
        Self::RetryAfter,
    ];

    /// The snake_case name used in YAML and in patterns.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Limit => "limit",
            Self::Remaining => "remaining",
            Self::Used => "used",
            Self::Reset => "reset",
            Self::RetryAfter => "retry_after",
        }
    }
}

/// Unit of a reset or retry figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResetUnit {
    /// Seconds from now (the default).
    Seconds,
    /// Milliseconds from now.
    Milliseconds,
    /// A Unix timestamp in seconds.
    EpochSeconds,
    /// A Unix timestamp in milliseconds.
    EpochMilliseconds,
}

/// A kind of answer that means "rate limited".
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimitedWhen {
    /// HTTP status.
    pub status: Sp<u16>,
    /// The vendor error code (read with `errors.code`) that must also match.
    #[serde(default)]
    pub code: Option<Sp<String>>,
}
