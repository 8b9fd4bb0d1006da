//! Prometheus metrics. Each component registers its own (`register`), the
//! admin listener encodes them all at `/metrics`; gauges that mirror state
//! (journal depth, circuit breakers, certificate expiry) are refreshed at
//! scrape time.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a request counter.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route template (never an id).
    pub route: String,
    /// The HTTP status.
    pub status: u16,
    /// The sending organisation, or `-` before it is known.
    pub sender: String,
}

/// A route label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The route template.
    pub route: String,
}

/// A reason label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// Why.
    pub reason: String,
}

/// An upstream label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UpstreamLabels {
    /// The route name.
    pub upstream: String,
}

/// An upstream and what happened.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// The route name.
    pub upstream: String,
    /// The outcome.
    pub outcome: String,
}

/// A status label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    /// The lifecycle status.
    pub status: String,
}

/// A certificate label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CertificateLabels {
    /// Which certificate (`server`, `upstream:<name>`, `anchor:<file>`).
    pub certificate: String,
}

/// A rate-limit scope label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabels {
    /// `sender`, `peer` or `upstream`.
    pub scope: String,
    /// Whose quota.
    pub key: String,
}

/// Ingress metrics.
#[derive(Debug, Clone)]
pub struct Ingress {
    /// Requests answered, by route, status and sender.
    pub requests: Family<RequestLabels, Counter>,
    /// Time to answer, by route.
    pub latency: Family<RouteLabels, Histogram>,
    /// Failed TLS handshakes, by reason.
    pub handshake_failures: Family<ReasonLabels, Counter>,
    /// Open connections.
    pub connections: Gauge,
    /// Connections closed at once because the cap was reached.
    pub connections_refused: Counter,
    /// Requests refused with `503` because the in-flight cap was reached.
    pub shed: Counter,
    /// Requests refused with `429`, by scope and key.
    pub rate_limited: Family<LimitLabels, Counter>,
}

impl Ingress {
    /// Registers the ingress metrics.
    pub fn register(registry: &mut Registry) -> Ingress {
        let metrics = Ingress {
            requests: Family::default(),
            latency: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0005, 2.0, 16))
            }),
            handshake_failures: Family::default(),
            connections: Gauge::default(),
            connections_refused: Counter::default(),
            shed: Counter::default(),
            rate_limited: Family::default(),
        };
        registry.register(
            "http_requests",
            "Requests answered, by route, status and sender",
            metrics.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route",
            metrics.latency.clone(),
        );
        registry.register(
            "tls_handshake_failures",
            "Failed TLS handshakes, by reason",
            metrics.handshake_failures.clone(),
        );
        registry.register(
            "connections_open",
            "Open ingress connections",
            metrics.connections.clone(),
        );
        registry.register(
            "connections_refused",
            "Connections closed because the connection cap was reached",
            metrics.connections_refused.clone(),
        );
        registry.register(
            "load_shed",
            "Requests refused with 503 because the in-flight cap was reached",
            metrics.shed.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests (or deliveries) held back by a quota, by scope and key",
            metrics.rate_limited.clone(),
        );
        metrics
    }
}

/// Delivery metrics.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Delivery attempts, by upstream and outcome.
    pub attempts: Family<OutcomeLabels, Counter>,
    /// Attempts that will be retried, by upstream.
    pub retries: Family<UpstreamLabels, Counter>,
    /// Circuit state per upstream: 0 closed, 1 open, 2 half-open.
    pub breaker: Family<UpstreamLabels, Gauge>,
    /// Receipts taken from upstreams, by upstream and kind.
    pub receipts: Family<OutcomeLabels, Counter>,
}

impl Delivery {
    /// Registers the delivery metrics.
    pub fn register(registry: &mut Registry) -> Delivery {
        let metrics = Delivery {
            attempts: Family::default(),
            retries: Family::default(),
            breaker: Family::default(),
            receipts: Family::default(),
        };
        registry.register(
            "delivery_attempts",
            "Delivery attempts, by upstream and outcome",
            metrics.attempts.clone(),
        );
        registry.register(
            "delivery_retries",
            "Delivery attempts that will be retried, by upstream",
            metrics.retries.clone(),
        );
        registry.register(
            "circuit_breaker_state",
            "Circuit state per upstream: 0 closed, 1 open, 2 half-open",
            metrics.breaker.clone(),
        );
        registry.register(
            "receipts",
            "Receipts taken from upstreams, by upstream and kind",
            metrics.receipts.clone(),
        );
        metrics
    }
}

/// State gauges refreshed at scrape time.
#[derive(Debug, Clone)]
pub struct State {
    /// Copies per lifecycle status.
    pub journal_depth: Family<StatusLabels, Gauge>,
    /// Whether the journal accepts appends (1) or not (0).
    pub journal_writable: Gauge,
    /// Seconds until each certificate expires.
    pub certificate_expiry: Family<CertificateLabels, Gauge>,
    /// Log syncs (`fdatasync`) so far.
    pub journal_syncs: Counter,
    /// Records appended to the log so far.
    pub journal_appends: Counter,
}

impl State {
    /// Registers the state gauges.
    pub fn register(registry: &mut Registry) -> State {
        let metrics = State {
            journal_depth: Family::default(),
            journal_writable: Gauge::default(),
            certificate_expiry: Family::default(),
            journal_syncs: Counter::default(),
            journal_appends: Counter::default(),
        };
        registry.register(
            "journal_copies",
            "Recipient copies in the journal, by status",
            metrics.journal_depth.clone(),
        );
        registry.register(
            "journal_writable",
            "Whether the journal accepts appends",
            metrics.journal_writable.clone(),
        );
        registry.register(
            "journal_syncs",
            "Log syncs (fdatasync); one per group commit",
            metrics.journal_syncs.clone(),
        );
        registry.register(
            "journal_appends",
            "Records appended to the log",
            metrics.journal_appends.clone(),
        );
        registry.register(
            "certificate_expiry_seconds",
            "Seconds until each configured certificate expires (negative: expired)",
            metrics.certificate_expiry.clone(),
        );
        metrics
    }
}

/// Every metric of one gateway.
#[derive(Debug)]
pub struct Metrics {
    /// The registry `/metrics` encodes.
    pub registry: Registry,
    /// Ingress.
    pub ingress: Ingress,
    /// Delivery.
    pub delivery: Delivery,
    /// State gauges.
    pub state: State,
}

impl Metrics {
    /// A registry with every component's metrics, prefixed `borderpost_`.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("borderpost");
        let ingress = Ingress::register(&mut registry);
        let delivery = Delivery::register(&mut registry);
        let state = State::register(&mut registry);
        Metrics {
            registry,
            ingress,
            delivery,
            state,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
