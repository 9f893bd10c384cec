//! What a tool call returns: a normalized envelope, or an error an agent can act on.

use serde::Serialize;
use serde_json::Value;

/// Normalized rate-limit figures, from whatever headers the vendor sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RateLimitInfo {
    /// Requests allowed in the window.
    pub limit: Option<u64>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// Seconds until the window resets.
    pub reset: Option<u64>,
}

impl RateLimitInfo {
    /// Whether any figure is known.
    pub fn is_empty(&self) -> bool {
        self.limit.is_none() && self.remaining.is_none() && self.reset.is_none()
    }
}

/// A successful call.
#[derive(Clone, Debug)]
pub struct Success {
    /// The envelope: `{result, next_cursor, result_count}` for list tools, `{result}` otherwise, plus
    /// `rate_limit` when known.
    pub envelope: Value,
    /// Upstream HTTP status.
    pub upstream_status: u16,
    /// Normalized figures (also inside the envelope).
    pub rate_limit: RateLimitInfo,
}

/// A call that did not succeed, in terms an agent can act on.
#[derive(Clone, Debug, PartialEq)]
pub enum ToolError {
    /// No such tool (or not allowed on this server): a protocol error, not a tool result.
    UnknownTool(String),
    /// Arguments failed validation; `pointer` is the JSON Pointer of the offending argument.
    InvalidArguments {
        /// JSON Pointer into the arguments (`/limit`, `` for the whole object).
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// A `next_cursor` that was not issued by this server for this tool and account, or was edited.
    InvalidCursor(String),
    /// The vendor rate-limited the call. Returned at once: never retried.
    RateLimited {
        /// Upstream status (429, or the vendor's equivalent such as Salesforce's 403).
        status: u16,
        /// Seconds to wait, when known.
        retry_after: Option<u64>,
        /// Figures.
        rate_limit: RateLimitInfo,
        /// Vendor code, when read.
        code: Option<String>,
        /// Vendor message.
        message: String,
    },
    /// The vendor answered 4xx/5xx.
    Upstream {
        /// Upstream status.
        status: u16,
        /// Vendor error code, when the integration's rules find one.
        code: Option<String>,
        /// Vendor message, or a generic one.
        message: String,
        /// Figures.
        rate_limit: RateLimitInfo,
    },
    /// The vendor did not answer in time.
    Timeout,
    /// The account must be (re)connected.
    AuthRequired {
        /// Where to re-connect, when known.
        reconnect_url: Option<String>,
        /// Why.
        message: String,
    },
    /// Could not reach the vendor (connection refused or reset before an answer, TLS, DNS), or the
    /// call could not be built at all.
    Transport(String),
    /// The vendor answered, but the answer cannot be used: larger than the per-call cap, cut off
    /// mid-body, not JSON, or not the shape the tool table expects. Not a connection failure: the
    /// same call may well fail the same way again.
    UpstreamInvalid(String),
    /// Too many vendor answers are held in memory at once by this executor (its in-flight byte
    /// budget stayed exhausted for the call's timeout). Transient: the call may be tried again shortly.
    Busy(String),
    /// The vendor answered, but a record lacks what the unified model requires (an id): the unified
    /// result would be wrong, so none is given.
    Mapping(String),
}

impl ToolError {
    /// Stable machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownTool(_) => "unknown_tool",
            Self::InvalidArguments { .. } => "invalid_arguments",
            Self::InvalidCursor(_) => "invalid_cursor",
            Self::RateLimited { .. } => "rate_limited",
            Self::Upstream { .. } => "upstream_error",
            Self::Timeout => "upstream_timeout",
            Self::AuthRequired { .. } => "auth_required",
            Self::Transport(_) => "upstream_unreachable",
            Self::UpstreamInvalid(_) => "upstream_invalid_response",
            Self::Busy(_) => "upstream_busy",
            Self::Mapping(_) => "mapping_failed",
        }
    }
}
