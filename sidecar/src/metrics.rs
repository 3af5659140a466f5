//! Every counter the sidecar keeps, in one place (prometheus-client). The audit log is
//! the access log; these are only aggregates for operations.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

/// Labels of the request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: u16,
}

/// The sidecar's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<StatusLabels, Counter>,
    audit_failures: Counter,
    upstream_failures: Counter,
    duration: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("zegel");
        let requests = Family::<StatusLabels, Counter>::default();
        let audit_failures = Counter::default();
        let upstream_failures = Counter::default();
        let duration = Histogram::new(exponential_buckets(0.000_1, 2.0, 18));
        registry.register("requests", "Requests answered, by status", requests.clone());
        registry.register(
            "audit_failures",
            "Requests refused because the access record could not be made durable",
            audit_failures.clone(),
        );
        registry.register(
            "upstream_failures",
            "Upstream connect/timeout/errors",
            upstream_failures.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to response headers",
            duration.clone(),
        );
        Metrics {
            registry,
            requests,
            audit_failures,
            upstream_failures,
            duration,
        }
    }

    /// Counts an answered request.
    pub fn observe(&self, status: u16, elapsed: Duration) {
        self.requests.get_or_create(&StatusLabels { status }).inc();
        self.duration.observe(elapsed.as_secs_f64());
    }

    /// Counts a request refused because the log was unavailable.
    pub fn audit_failure(&self) {
        self.audit_failures.inc();
    }

    /// Counts an upstream failure.
    pub fn upstream_failure(&self) {
        self.upstream_failures.inc();
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
