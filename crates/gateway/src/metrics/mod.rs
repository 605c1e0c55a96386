//! Process metrics in the Prometheus text format (`GET /metrics`), served on a listener of its
//! own (`metrics_listen`, loopback by default), never on the API's: the API port faces
//! merchants and the internet, the metrics port faces the operator's scraper. Every metric is
//! listed in docs/OPERATIONS.md ("Metrics").
//!
//! Why hand-written rather than `prometheus-client` or `metrics` + an exporter: the card path
//! does ~4,000 payments/s on two cores and every request updates several metrics. Those
//! crates keep a labelled family's series in a map behind a lock taken per update (or a
//! registry lookup per call); here every update is a relaxed atomic add on a cell found
//! without a lock: fixed arrays indexed by enums where the label values are a closed set
//! (method × outcome, counterparty, recovery action) and an append-only lock-free
//! [`labels::LabelTable`] where they are bounded but open (route templates × status, decline
//! codes). It also adds no dependency to the build. The text format is small enough to write
//! ([`exposition`]).
//!
//! - [`http`]: requests per route template, method and status; latency per route.
//! - [`payments`]: payments by method and outcome, declines by code, reversals, refunds,
//!   recovery actions.
//! - [`links`]: latency and in-flight calls per counterparty.
//! - [`webhooks`]: deliveries, retries, failures, delivery lag.
//! - [`process`]: memory, CPU, file descriptors, start time.
//! - [`traces`]: the OTLP exporter's spans exported and dropped (process-wide).
//! - [`scrape`]: the listener's route; the store's group commits and the webhook backlog,
//!   read at scrape time.

pub mod exposition;
pub mod histogram;
pub mod http;
pub mod labels;
pub mod links;
pub mod payments;
pub mod process;
mod scrape;
pub mod traces;
pub mod webhooks;

pub use payments::{Counted, PaymentOutcome, RecoveryAction};
pub use scrape::router;

use exposition::{Exposition, Kind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub http: http::HttpMetrics,
    pub payments: payments::PaymentMetrics,
    /// Shared with the connectors it measures ([`links::MeteredConnector`]).
    pub links: Arc<links::LinkMetrics>,
    pub webhooks: webhooks::WebhookMetrics,
    /// Gauge: recovery records the last recovery pass could not read (unknown kind or broken
    /// record); they stay in the table for an operator.
    pub unrecoverable_attempts: AtomicU64,
}

impl Metrics {
    /// Counts a committed outcome.
    pub fn count(&self, c: Counted) {
        self.payments.count(c);
    }

    /// The quantile `per_mille`/1000 (500 = median, 990 = p99) of the API's request latencies
    /// so far, all routes together, in microseconds: the upper bound of the histogram bucket it
    /// falls in; `None` before the first request, or when it falls beyond the last bucket.
    pub fn latency_quantile_us(&self, per_mille: u64) -> Option<u64> {
        self.http.latency_total().quantile(per_mille)
    }

    /// How many requests the latency histograms have seen.
    pub fn latency_count(&self) -> u64 {
        self.http.latency_total().count
    }

    /// Renders the in-process metrics as Prometheus text exposition (the scrape adds the
    /// store's and the process').
    pub fn render(&self) -> String {
        let mut e = Exposition::default();
        self.render_into(&mut e);
        e.finish()
    }

    fn render_into(&self, e: &mut Exposition) {
        self.http.render(e);
        self.payments.render(e);
        self.links.render(e);
        self.webhooks.render(e);
        traces::SPANS.render(e);
        let help =
            "Recovery records the last recovery pass could not read; they wait for an operator.";
        let n = self.unrecoverable_attempts.load(Ordering::Relaxed);
        e.single("paygate_unrecoverable_attempts", Kind::Gauge, help, n);
        let dropped = self.http.overflow() + self.payments.overflow();
        let help =
            "Metric observations dropped because their label set found no slot (should stay 0).";
        e.single(
            "paygate_metrics_dropped_total",
            Kind::Counter,
            help,
            dropped,
        );
    }
}
