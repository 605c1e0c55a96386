//! The metrics listener's route and what is read at scrape time: the store's group commits
//! and write health, the webhook outbox's backlog, the in-process reverser's work in hand.

use super::exposition::{Exposition, Kind};
use super::histogram::{Snapshot, Unit};
use super::process::ProcessStats;
use crate::state::SharedState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The metrics listener's routes: `GET /metrics`, everything else 404.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .with_state(state)
}

async fn scrape(State(st): State<SharedState>) -> Response {
    let mut e = Exposition::default();
    st.metrics.render_into(&mut e);
    render_store(&mut e, &st.store.stats());
    render_writes(&mut e, &st);
    render_backlog(&mut e, &st).await;
    ProcessStats::read().render(&mut e);
    let mut r = e.finish().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// Gauges of the write side: whether the store writes (0 while commits fail: disk full,
/// database down) and how many outcomes the in-process reverser is still undoing.
fn render_writes(e: &mut Exposition, st: &SharedState) {
    let writable = u8::from(st.store.write_health() == paygate_store::WriteHealth::Writable);
    let help = "1 while the store commits, 0 while its commits fail (disk full, database down).";
    e.single("paygate_store_writable", Kind::Gauge, help, writable);
    let help = "Payments whose outcome could not be stored, still being reversed in process.";
    e.single("paygate_undo_in_hand", Kind::Gauge, help, st.undoing.len());
}

/// The webhook outbox's backlog: events not fanned out yet, deliveries not finished (due or
/// waiting for a retry). Absent when the store cannot be read (the scrape still answers).
async fn render_backlog(e: &mut Exposition, st: &SharedState) {
    let name = "paygate_webhook_backlog";
    let help = "Webhook outbox backlog: events waiting for fan-out (stage=fan_out), deliveries not finished (stage=delivery).";
    e.family(name, Kind::Gauge, help);
    match st.store.outbox_backlog().await {
        Ok((events, deliveries)) => {
            e.sample(name, &[("stage", "fan_out")], events);
            e.sample(name, &[("stage", "delivery")], deliveries);
        }
        Err(err) => tracing::warn!(error = %err, "metrics: webhook backlog not read"),
    }
}

/// The store's group commits: batches (one durable transaction each), units in them, their
/// size distribution, the largest batch, and batches that needed the careful pass or failed
/// as a whole. `units / batches` is the mean group-commit size, the first number to look at
/// when write throughput changes.
fn render_store(e: &mut Exposition, s: &paygate_store::StoreStats) {
    let counters = [
        (
            "paygate_store_batches_total",
            "Group commits (one durable transaction each).",
            s.batches,
        ),
        (
            "paygate_store_units_total",
            "Write units in those group commits.",
            s.units,
        ),
        (
            "paygate_store_careful_batches_total",
            "Group commits that needed the careful pass (a savepoint per unit).",
            s.careful_batches,
        ),
        (
            "paygate_store_failed_batches_total",
            "Group commits that failed as a whole.",
            s.failed_batches,
        ),
    ];
    for (name, help, v) in counters {
        e.single(name, Kind::Counter, help, v);
    }
    let help = "Units in the largest group commit so far.";
    e.single(
        "paygate_store_largest_batch_units",
        Kind::Gauge,
        help,
        s.largest_batch_units,
    );
    let name = "paygate_store_batch_units";
    e.family(
        name,
        Kind::Histogram,
        "Write units per committed group commit.",
    );
    let h = Snapshot {
        bounds: &paygate_store::BATCH_UNITS_BOUNDS,
        unit: Unit::Units,
        buckets: s.batch_units_buckets.to_vec(),
        count: s.batches,
        sum: s.units,
    };
    e.histogram(name, &[], &h);
}
