//! `/metrics` in the Prometheus text format: tool calls per integration, tool and outcome, their
//! latency, upstream status classes and rate-limited calls, plus counters other parts of the process
//! register (OAuth refreshes). Label values are table names and fixed codes only: a caller cannot
//! create new series.

use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use switchboard_runtime::observe::{CallObserver, CallRecord};

/// Labels of a call counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    integration: &'static str,
    tool: &'static str,
    kind: &'static str,
    outcome: &'static str,
}

/// Labels of the latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabels {
    integration: &'static str,
    tool: &'static str,
}

/// Labels of the upstream status counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabels {
    integration: &'static str,
    class: &'static str,
}

/// A counter read from elsewhere at each scrape.
pub type CounterFn = Box<dyn Fn() -> u64 + Send + Sync>;

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    calls: Family<CallLabels, Counter>,
    latency: Family<ToolLabels, Histogram>,
    upstream: Family<UpstreamLabels, Counter>,
    rate_limited: Family<ToolLabels, Counter>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Empty metrics, registered under the `switchboard_` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("switchboard");
        let calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "tool_calls",
            "Tool calls by integration, tool, kind and outcome (ok or the error code)",
            calls.clone(),
        );
        // 1 ms to ~33 s.
        let latency = Family::<ToolLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 16))
        });
        registry.register(
            "tool_call_duration_seconds",
            "Time from a tool call to its answer",
            latency.clone(),
        );
        let upstream = Family::<UpstreamLabels, Counter>::default();
        registry.register(
            "upstream_responses",
            "Vendor answers by integration and status class (2xx, 3xx, 4xx, 5xx)",
            upstream.clone(),
        );
        let rate_limited = Family::<ToolLabels, Counter>::default();
        registry.register(
            "rate_limited_calls",
            "Calls the vendor rate-limited (returned to the caller at once, never retried)",
            rate_limited.clone(),
        );
        Self {
            registry,
            calls,
            latency,
            upstream,
            rate_limited,
        }
    }

    /// Registers a counter whose value `read` gives at each scrape (e.g. OAuth refreshes).
    pub fn register_counter_fn(&mut self, name: &'static str, help: &'static str, read: CounterFn) {
        self.registry
            .register_collector(Box::new(FnCounter { name, help, read }));
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            // Writing to a String cannot fail; keep the endpoint answering regardless.
            out.clear();
        }
        out
    }
}

impl CallObserver for Metrics {
    fn observe(&self, record: &CallRecord) {
        let tool = ToolLabels {
            integration: record.integration,
            tool: record.tool,
        };
        self.calls
            .get_or_create(&CallLabels {
                integration: record.integration,
                tool: record.tool,
                kind: record.kind,
                outcome: record.outcome,
            })
            .inc();
        self.latency
            .get_or_create(&tool)
            .observe(record.latency.as_secs_f64());
        if let Some(status) = record.upstream_status {
            let class = match status {
                200..=299 => "2xx",
                300..=399 => "3xx",
                400..=499 => "4xx",
                500..=599 => "5xx",
                _ => "other",
            };
            self.upstream
                .get_or_create(&UpstreamLabels {
                    integration: record.integration,
                    class,
                })
                .inc();
        }
        if record.outcome == "rate_limited" {
            self.rate_limited.get_or_create(&tool).inc();
        }
    }
}

/// A counter read through a closure at each scrape.
struct FnCounter {
    name: &'static str,
    help: &'static str,
    read: CounterFn,
}

impl fmt::Debug for FnCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnCounter")
            .field("name", &self.name)
            .finish()
    }
}

impl Collector for FnCounter {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let counter = ConstCounter::new((self.read)());
        let metric = encoder.encode_descriptor(self.name, self.help, None, MetricType::Counter)?;
        counter.encode(metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn calls_show_up_by_tool_outcome_and_status_class() {
        let mut metrics = Metrics::new();
        metrics.register_counter_fn("oauth_refreshes", "Token refreshes", Box::new(|| 7));
        for (outcome, status) in [
            ("ok", Some(200)),
            ("rate_limited", Some(429)),
            ("ok", Some(200)),
        ] {
            metrics.observe(&CallRecord {
                integration: "example",
                tool: "list_all_example_contacts",
                kind: "proxy",
                outcome,
                upstream_status: status,
                latency: Duration::from_millis(12),
            });
        }
        let text = metrics.encode();
        assert!(text.contains(r#"switchboard_tool_calls_total{integration="example",tool="list_all_example_contacts",kind="proxy",outcome="ok"} 2"#), "{text}");
        assert!(text.contains(r#"outcome="rate_limited"} 1"#), "{text}");
        assert!(
            text.contains(
                r#"switchboard_upstream_responses_total{integration="example",class="4xx"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"switchboard_rate_limited_calls_total{integration="example",tool="list_all_example_contacts"} 1"#), "{text}");
        assert!(
            text.contains("switchboard_tool_call_duration_seconds_count"),
            "{text}"
        );
        assert!(
            text.contains("switchboard_oauth_refreshes_total 7"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
