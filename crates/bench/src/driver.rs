//! Running one phase: closed loop (fixed concurrency) or open loop (fixed arrival rate).
//!
//! Open loop follows wrk2: operation `i` is *intended* to start at `start + i / rate`, and its
//! latency is measured from that intended time, not from when it was actually sent. If the
//! server (or the client) falls behind, the queueing shows up in the latency instead of being
//! hidden by the client slowing down (coordinated omission). If `max_in_flight` operations are
//! already outstanding, the next one is not sent and counts as `client_overload`.
//!
//! Both loops count an operation iff its intended start lies in the measurement window
//! (after the warm-up, before the end), and wait for those still running at the end — up to the
//! drain limit — so a slow tail is measured, not cut off.

use crate::http::{Answer, HttpClient};
use crate::progress;
use crate::stats::{ErrorKind, Outcome, PhaseStats, Timed};
use crate::workload::{self, Bodies, Mix, PaymentReply};
use bytes::Bytes;
use hyper::Uri;
use hyper::header::HeaderValue;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Open loop: the scheduler yields to other tasks after this many sends without sleeping, so a
/// scheduler that is behind cannot starve the requests it spawned on a single-threaded runtime.
const MAX_SENDS_WITHOUT_YIELD: u32 = 64;

/// What a phase sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Workload {
    /// `GET /healthz`: the server's bare request cost.
    Bare,
    /// Card payments with optional capture and refund.
    Payments,
}

/// How requests are paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `concurrency` workers, each starting its next operation when the last one finished.
    Closed { concurrency: usize },
    /// Operations start at a fixed rate whatever the server does.
    Open {
        rate_per_s: u64,
        max_in_flight: usize,
    },
}

/// One phase of the run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PhaseSpec {
    pub workload: Workload,
    pub shape: Shape,
    pub warmup: Duration,
    pub measure: Duration,
    /// After the end, how long to wait for counted operations still running; the rest count
    /// as `timeout`.
    pub drain_limit: Duration,
    pub progress: bool,
}

/// Request paths (origin-form, including the URL's path prefix).
pub(crate) struct Paths {
    pub prefix: String,
    pub payment_intents: Uri,
    pub refunds: Uri,
    pub healthz: Uri,
}

/// Everything the operations share for the whole run.
pub(crate) struct Ctx {
    pub client: HttpClient,
    pub paths: Paths,
    pub bodies: Bodies,
    pub mix: Mix,
    /// Random per run, so idempotency keys never collide with an earlier run's.
    pub run_id: u64,
    /// Sequence number of the next payment operation, shared by all phases: it picks the
    /// operation's plan and makes its idempotency key unique.
    pub next_seq: AtomicU64,
    /// `--webhook-receiver`: each payment carries its send time (`metadata[bench_sent_ms]`).
    pub stamp: bool,
}

impl Ctx {
    pub(crate) fn idempotency_key(&self, seq: u64, step: &str) -> HeaderValue {
        let key = format!("bench-{:016x}-{seq}{step}", self.run_id);
        HeaderValue::try_from(key).expect("an ASCII idempotency key is a valid header value")
    }
}

/// The measurement window of a phase.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub start: Instant,
    pub measure_from: Instant,
    pub end: Instant,
}

impl Window {
    fn counts(&self, intended: Instant) -> bool {
        intended >= self.measure_from
    }
}

/// Counters shared by the tasks of one phase (std mutex: never held across an await).
#[derive(Default)]
pub(crate) struct Live {
    pub stats: Mutex<PhaseStats>,
}

impl Live {
    fn record(&self, timed: Timed, latency: Option<Duration>, outcome: Outcome) {
        self.stats
            .lock()
            .expect("stats lock")
            .record(timed, latency, outcome);
    }
}

/// Runs one phase to the end of its window (plus the drain) and returns what it counted.
pub(crate) async fn run_phase(ctx: Arc<Ctx>, spec: PhaseSpec) -> PhaseStats {
    let live = Arc::new(Live::default());
    let start = Instant::now();
    let window = Window {
        start,
        measure_from: start + spec.warmup,
        end: start + spec.warmup + spec.measure,
    };
    let ticker = spec
        .progress
        .then(|| tokio::spawn(progress::run(live.clone(), spec.workload, window)));
    let mut tasks = JoinSet::new();
    match spec.shape {
        Shape::Closed { concurrency } => {
            for _ in 0..concurrency {
                tasks.spawn(closed_worker(
                    ctx.clone(),
                    live.clone(),
                    spec.workload,
                    window,
                ));
            }
        }
        Shape::Open {
            rate_per_s,
            max_in_flight,
        } => {
            let pace = Pace {
                rate_per_s,
                max_in_flight,
            };
            open_schedule(&ctx, &live, &mut tasks, spec.workload, pace, window).await;
        }
    }
    // Closed-loop workers and open-loop operations alike get `drain_limit` after the window
    // ends to finish; what is still running then counts as a timeout.
    drain(&mut tasks, &live, window.end + spec.drain_limit).await;
    if let Some(ticker) = ticker {
        ticker.abort();
        progress::clear();
    }
    std::mem::take(&mut *live.stats.lock().expect("stats lock"))
}

async fn closed_worker(ctx: Arc<Ctx>, live: Arc<Live>, workload: Workload, window: Window) {
    loop {
        let started = Instant::now();
        if started >= window.end {
            return;
        }
        let counted = window.counts(started).then_some(&*live);
        run_op(&ctx, workload, started, counted).await;
    }
}

#[derive(Debug, Clone, Copy)]
struct Pace {
    rate_per_s: u64,
    max_in_flight: usize,
}

impl Pace {
    /// Intended start of operation `index`, from the phase start (integer nanoseconds).
    fn offset(&self, index: u64) -> Duration {
        let ns = u128::from(index) * 1_000_000_000 / u128::from(self.rate_per_s);
        Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
    }
}

async fn open_schedule(
    ctx: &Arc<Ctx>,
    live: &Arc<Live>,
    tasks: &mut JoinSet<()>,
    workload: Workload,
    pace: Pace,
    window: Window,
) {
    let mut sends_without_yield = 0;
    for index in 0.. {
        let intended = window.start + pace.offset(index);
        if intended >= window.end {
            return;
        }
        if intended > Instant::now() {
            tokio::time::sleep_until(intended).await;
            sends_without_yield = 0;
        } else if sends_without_yield >= MAX_SENDS_WITHOUT_YIELD {
            tokio::task::yield_now().await;
            sends_without_yield = 0;
        }
        sends_without_yield += 1;
        while let Some(joined) = tasks.try_join_next() {
            resume_panic(joined);
        }
        let counted = window.counts(intended);
        if tasks.len() >= pace.max_in_flight {
            if counted {
                live.record(
                    Timed::Main,
                    None,
                    Outcome::Failed(ErrorKind::ClientOverload),
                );
            }
            continue;
        }
        let (ctx, live) = (ctx.clone(), live.clone());
        tasks.spawn(async move {
            run_op(&ctx, workload, intended, counted.then_some(&*live)).await;
        });
    }
}

/// A panic in an operation is a bug in the bench: crash loudly instead of under-counting.
fn resume_panic(joined: Result<(), tokio::task::JoinError>) {
    if let Err(error) = joined
        && error.is_panic()
    {
        std::panic::resume_unwind(error.into_panic());
    }
}

async fn drain(tasks: &mut JoinSet<()>, live: &Live, deadline: Instant) {
    let all_done = async {
        while let Some(joined) = tasks.join_next().await {
            resume_panic(joined);
        }
    };
    if tokio::time::timeout_at(deadline, all_done).await.is_err() {
        let stuck = tasks.len() as u64;
        tasks.abort_all();
        live.stats
            .lock()
            .expect("stats lock")
            .errors
            .add(ErrorKind::Timeout, stuck);
    }
}

/// One operation; `live` is `None` during warm-up (sent, not counted).
async fn run_op(ctx: &Ctx, workload: Workload, intended: Instant, live: Option<&Live>) {
    match workload {
        Workload::Bare => {
            let result = ctx.client.get(ctx.paths.healthz.clone(), false).await;
            let outcome = match result.and_then(|answer| workload::classify_bare(answer.status)) {
                Ok(()) => Outcome::BareOk,
                Err(kind) => Outcome::Failed(kind),
            };
            if let Some(live) = live {
                live.record(Timed::Main, Some(intended.elapsed()), outcome);
            }
        }
        Workload::Payments => payment_op(ctx, intended, live).await,
    }
}

async fn payment_op(ctx: &Ctx, intended: Instant, live: Option<&Live>) {
    let seq = ctx.next_seq.fetch_add(1, Ordering::Relaxed);
    let plan = ctx.mix.plan(seq);
    let mut body = ctx.bodies.for_plan(&plan);
    if ctx.stamp {
        let mut stamped = body.to_vec();
        stamped.extend_from_slice(crate::webhooks::stamp().as_bytes());
        body = bytes::Bytes::from(stamped);
    }
    let result = ctx
        .client
        .post_form(
            ctx.paths.payment_intents.clone(),
            body,
            ctx.idempotency_key(seq, ""),
        )
        .await;
    let latency = intended.elapsed();
    let (outcome, follow_up_id) = match &result {
        Ok(answer) => match workload::classify_payment(answer.status, &answer.body, &plan) {
            PaymentReply::Approved { id } => (
                Outcome::Approved,
                (plan.manual_capture || plan.refund).then(|| id.to_owned()),
            ),
            PaymentReply::Declined => (Outcome::Declined, None),
            PaymentReply::Failed(kind) => (Outcome::Failed(kind), None),
        },
        Err(kind) => (Outcome::Failed(*kind), None),
    };
    if let Some(live) = live {
        live.record(Timed::Main, Some(latency), outcome);
    }
    let Some(id) = follow_up_id else { return };
    if plan.manual_capture {
        let path = capture_path(&ctx.paths.prefix, &id);
        let captured = follow_up(
            ctx,
            path,
            Bytes::new(),
            ctx.idempotency_key(seq, "-capture"),
        )
        .await;
        if !record_follow_up(live, captured, Outcome::Captured) {
            return;
        }
    }
    if plan.refund {
        let body = Bytes::from(format!("payment_intent={id}"));
        let refunded = follow_up(
            ctx,
            ctx.paths.refunds.clone(),
            body,
            ctx.idempotency_key(seq, "-refund"),
        )
        .await;
        record_follow_up(live, refunded, Outcome::Refunded);
    }
}

fn capture_path(prefix: &str, id: &str) -> Uri {
    // `id` passed `is_url_safe_id` and `prefix` was parsed as a path, so this cannot fail.
    Uri::try_from(format!("{prefix}/v1/payment_intents/{id}/capture"))
        .expect("capture path is a valid URI")
}

/// A capture or refund: the outcome and its own latency (from its own start).
async fn follow_up(
    ctx: &Ctx,
    path: Uri,
    body: Bytes,
    key: HeaderValue,
) -> (Duration, Result<(), ErrorKind>) {
    let started = Instant::now();
    let result = ctx.client.post_form(path, body, key).await;
    let latency = started.elapsed();
    (
        latency,
        result.and_then(|Answer { status, body }| workload::classify_follow_up(status, &body)),
    )
}

/// Records a follow-up; true when it succeeded.
fn record_follow_up(
    live: Option<&Live>,
    (latency, result): (Duration, Result<(), ErrorKind>),
    ok: Outcome,
) -> bool {
    let outcome = match result {
        Ok(()) => ok,
        Err(kind) => Outcome::Failed(kind),
    };
    if let Some(live) = live {
        live.record(Timed::FollowUp, Some(latency), outcome);
    }
    result.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_loop_offsets_are_evenly_spaced_in_integer_nanoseconds() {
        let pace = Pace {
            rate_per_s: 3,
            max_in_flight: 1,
        };
        assert_eq!(pace.offset(0), Duration::ZERO);
        assert_eq!(pace.offset(1), Duration::from_nanos(333_333_333));
        assert_eq!(pace.offset(3), Duration::from_secs(1));
        let fast = Pace {
            rate_per_s: 1_000_000,
            max_in_flight: 1,
        };
        assert_eq!(fast.offset(1_000_000 * 3_600), Duration::from_secs(3_600));
    }
}
