//! Process metrics in the Prometheus text format (`GET /metrics`), served on a listener of its
//! own (`metrics_listen`, loopback by default), never on the API's: the API port faces
//! merchants and the internet, the metrics port faces the operator's scraper.
//!
//! A handful of atomic counters and a fixed-bucket latency histogram: enough for dashboards and
//! alerts without a metrics framework in the hot path.

use crate::state::SharedState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// The metrics listener's routes: `GET /metrics`, everything else 404.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .with_state(state)
}

async fn scrape(State(st): State<SharedState>) -> Response {
    let mut text = st.metrics.render();
    text.push_str(&render_store(&st.store.stats()));
    text.push_str(&render_writes(&st));
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// Gauges of the write side: whether the store writes (0 while commits fail: disk full,
/// database down) and how many outcomes the in-process reverser is still undoing.
fn render_writes(st: &SharedState) -> String {
    let writable = u8::from(st.store.write_health() == paygate_store::WriteHealth::Writable);
    format!(
        "# TYPE paygate_store_writable gauge\npaygate_store_writable {writable}\n\
         # TYPE paygate_undo_in_hand gauge\npaygate_undo_in_hand {}\n",
        st.undoing.len()
    )
}

/// Latency histogram bucket upper bounds, microseconds.
const BUCKETS_US: [u64; 12] = [
    500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    5_000_000,
];

#[derive(Default)]
pub struct Metrics {
    pub http_requests: AtomicU64,
    pub http_5xx: AtomicU64,
    pub payments_succeeded: AtomicU64,
    pub payments_declined: AtomicU64,
    pub payments_failed_network: AtomicU64,
    pub reversals: AtomicU64,
    pub refunds: AtomicU64,
    pub webhook_deliveries_ok: AtomicU64,
    pub webhook_deliveries_failed: AtomicU64,
    pub recovered_attempts: AtomicU64,
    /// Gauge: recovery records the last recovery pass could not read (unknown kind or broken
    /// record); they stay in the table for an operator.
    pub unrecoverable_attempts: AtomicU64,
    latency_buckets: [AtomicU64; BUCKETS_US.len()],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
}

impl Metrics {
    pub fn observe_request_us(&self, us: u64) {
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
        if let Some(i) = BUCKETS_US.iter().position(|b| us <= *b) {
            self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The quantile `per_mille`/1000 (500 = median, 990 = p99) of the request latencies seen
    /// so far, in microseconds, as
    /// the upper bound of the histogram bucket it falls in (what Prometheus'
    /// `histogram_quantile` reads from the same buckets, without interpolation); `None` before
    /// the first request, or when it falls beyond the last bucket.
    pub fn latency_quantile_us(&self, per_mille: u64) -> Option<u64> {
        let count = self.latency_count.load(Ordering::Relaxed);
        if count == 0 {
            return None;
        }
        // The rank of the quantile, rounded up: at least the first observation.
        let rank = (count.saturating_mul(per_mille.min(1000)))
            .div_ceil(1000)
            .max(1);
        let mut cumulative = 0;
        for (i, b) in BUCKETS_US.iter().enumerate() {
            cumulative += self.latency_buckets[i].load(Ordering::Relaxed);
            if cumulative >= rank {
                return Some(*b);
            }
        }
        None
    }

    /// How many requests the latency histogram has seen.
    pub fn latency_count(&self) -> u64 {
        self.latency_count.load(Ordering::Relaxed)
    }

    pub fn incr(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Renders every metric as Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counters: [(&str, &AtomicU64); 10] = [
            ("paygate_http_requests_total", &self.http_requests),
            ("paygate_http_5xx_total", &self.http_5xx),
            ("paygate_payments_succeeded_total", &self.payments_succeeded),
            ("paygate_payments_declined_total", &self.payments_declined),
            (
                "paygate_payments_network_failed_total",
                &self.payments_failed_network,
            ),
            ("paygate_reversals_total", &self.reversals),
            ("paygate_refunds_total", &self.refunds),
            (
                "paygate_webhook_deliveries_ok_total",
                &self.webhook_deliveries_ok,
            ),
            (
                "paygate_webhook_deliveries_failed_total",
                &self.webhook_deliveries_failed,
            ),
            ("paygate_recovered_attempts_total", &self.recovered_attempts),
        ];
        for (name, c) in counters {
            write_counter(&mut out, name, c.load(Ordering::Relaxed));
        }
        let name = "paygate_unrecoverable_attempts";
        let _ = writeln!(
            out,
            "# TYPE {name} gauge\n{name} {}",
            self.unrecoverable_attempts.load(Ordering::Relaxed)
        );
        let name = "paygate_http_request_duration_seconds";
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, b) in BUCKETS_US.iter().enumerate() {
            cumulative += self.latency_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{}\"}} {cumulative}",
                micros_as_seconds(*b)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.latency_sum_us.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_sum {}", micros_as_seconds(sum));
        let _ = writeln!(out, "{name}_count {count}");
        out
    }
}

/// The store's group-commit counters: batches (one durable transaction each), units in them,
/// the largest batch, and batches that needed the careful pass or failed as a whole.
/// `units / batches` is the mean group-commit size, the first number to look at when write
/// throughput changes.
pub fn render_store(s: &paygate_store::StoreStats) -> String {
    let mut out = String::new();
    let counters = [
        ("paygate_store_batches_total", s.batches),
        ("paygate_store_units_total", s.units),
        ("paygate_store_careful_batches_total", s.careful_batches),
        ("paygate_store_failed_batches_total", s.failed_batches),
    ];
    for (name, v) in counters {
        write_counter(&mut out, name, v);
    }
    let name = "paygate_store_largest_batch_units";
    let _ = writeln!(out, "# TYPE {name} gauge\n{name} {}", s.largest_batch_units);
    out
}

/// One counter in the text exposition format.
fn write_counter(out: &mut String, name: &str, value: u64) {
    let _ = writeln!(out, "# TYPE {name} counter\n{name} {value}");
}

/// `1500` µs -> `"0.001500"` without floating point.
fn micros_as_seconds(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_quantiles_are_the_upper_bounds_of_their_buckets() {
        let m = Metrics::default();
        assert_eq!(m.latency_quantile_us(500), None, "nothing seen yet");
        for _ in 0..98 {
            m.observe_request_us(700); // the ≤ 1 ms bucket
        }
        m.observe_request_us(30_000); // ≤ 50 ms
        m.observe_request_us(9_000_000); // beyond the last bucket
        assert_eq!(m.latency_quantile_us(500), Some(1_000));
        assert_eq!(m.latency_quantile_us(990), Some(50_000));
        assert_eq!(m.latency_quantile_us(1000), None, "the slowest is past 5 s");
        assert_eq!(m.latency_count(), 100);
    }
}
