//! What the executor tells observers about each finished call: names and figures only, never
//! arguments, bodies or credentials. Metrics and audit hang off this one hook.

use std::time::Duration;

/// One finished tool call.
#[derive(Clone, Copy, Debug)]
pub struct CallRecord {
    /// The integration's name from the table (`unknown` when the call named no tool it has).
    pub integration: &'static str,
    /// The tool's name from the table, or `unknown` for a name the integration does not have (so
    /// callers cannot create label values).
    pub tool: &'static str,
    /// `proxy` or `unified` (`unknown` for unknown tools).
    pub kind: &'static str,
    /// `ok` or the error's stable code (`rate_limited`, `auth_required`, …).
    pub outcome: &'static str,
    /// The vendor's HTTP status, when a request was made.
    pub upstream_status: Option<u16>,
    /// Time from the call to its answer.
    pub latency: Duration,
}

/// Receives every finished call. Must be quick: it runs on the call's task.
pub trait CallObserver: Send + Sync {
    /// One call finished.
    fn observe(&self, record: &CallRecord);
}
