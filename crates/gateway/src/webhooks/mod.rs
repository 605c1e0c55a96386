//! Webhook delivery: the outbox dispatcher fans events out to matching endpoints; the
//! scheduler leases due deliveries per endpoint (a lease, so two processes never send the same
//! attempt) onto that endpoint's lane (`lanes.rs`), which POSTs them signed with Stripe's
//! scheme over its own keep-alive connections, at most a few at a time, and records each
//! attempt. Failures back off exponentially for up to `webhook_retry_window_s` (3 days by
//! default); an endpoint that keeps failing is held back by its own circuit breaker. No
//! endpoint ever waits for another: each delivery runs in its own task.
//!
//! Connections go only to addresses the SSRF guard (`guard.rs`) checked a moment before.

pub(crate) mod connect;
mod deliver;
mod guard;
mod lanes;
pub mod secret;

pub use deliver::{backoff_s, signature_header};
pub use guard::{Dns, Refused, Resolve, Resolving, SystemResolver, check_url, check_url_text};
pub use lanes::{BREAKER_FAILURES, IN_FLIGHT_PER_ENDPOINT_MAX};

use crate::state::AppState;
use lanes::{Lanes, Start};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Events fanned out per round.
const DISPATCH_BATCH: usize = 256;
/// How long a claimed delivery is leased to this worker.
const LEASE_S: i64 = 60;
/// Pause between rounds when idle; also how often endpoints with due work (retries coming
/// due, other gateways' events, resends) are looked for.
const POLL_MS: u64 = 200;
/// Time between two rounds while events keep coming or lanes want more: claims and fan-outs are write transactions
/// (each its own fsync on SQLite, outside the payments' group commit), so they are batched.
const ROUND_GAP_MS: u64 = 20;
/// Most endpoints looked at per discovery.
const DISCOVER_MAX: usize = 1_000;

struct Scheduler {
    st: Arc<AppState>,
    lanes: Lanes,
    wake: Notify,
    worker: String,
}

/// Runs dispatch and delivery until `shutdown` fires.
pub async fn run(st: Arc<AppState>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let lease = Duration::from_secs(LEASE_S.unsigned_abs());
    let lanes = Lanes::new(
        st.webhook_dns.clone(),
        st.cfg.webhooks_allow_private,
        st.cfg.webhook_timeout_ms,
        lease,
    );
    let sched = Arc::new(Scheduler {
        worker: format!("{}-{}", st.cfg.node_id, std::process::id()),
        st,
        lanes,
        wake: Notify::new(),
    });
    let mut last_discovery: Option<Instant> = None;
    loop {
        let discover = last_discovery.is_none_or(|t| t.elapsed() >= Duration::from_millis(POLL_MS));
        if discover {
            last_discovery = Some(Instant::now());
        }
        let busy = sched.round(discover).await;
        if *shutdown.borrow() {
            return;
        }
        let pause = if busy { ROUND_GAP_MS } else { POLL_MS };
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(pause)) => {}
            _ = sched.wake.notified() => {
                tokio::time::sleep(Duration::from_millis(ROUND_GAP_MS)).await;
            }
            _ = shutdown.changed() => return,
        }
    }
}

impl Scheduler {
    /// One round: fan out new events, lease work for lanes with room, start what may start.
    /// True when more work is waiting right away.
    async fn round(self: &Arc<Self>, discover: bool) -> bool {
        let t = self.st.now();
        let (dispatched, mut seen) = match self.st.store.dispatch_events_to(DISPATCH_BATCH, t).await
        {
            Ok(r) => r,
            Err(e) => {
                crate::error::warn_limited("webhook dispatch failed", &e);
                (0, Vec::new())
            }
        };
        if discover {
            match self
                .st
                .store
                .due_delivery_endpoints(t, LEASE_S, DISCOVER_MAX)
                .await
            {
                Ok(found) => {
                    for id in found {
                        if !seen.contains(&id) {
                            seen.push(id);
                        }
                    }
                }
                Err(e) => crate::error::warn_limited("webhook discovery failed", &e),
            }
        }
        let asks = self.lanes.asks(&seen);
        let mut claimed_all = false;
        if !asks.is_empty() {
            match self
                .st
                .store
                .claim_endpoint_deliveries(&self.worker, t, LEASE_S, asks.clone())
                .await
            {
                Ok(jobs) => {
                    let wanted: usize = asks.iter().map(|(_, n)| n).sum();
                    claimed_all = jobs.len() >= wanted;
                    self.lanes.enqueue(jobs, &asks);
                }
                Err(e) => crate::error::warn_limited("webhook claim failed", &e),
            }
        }
        for start in self.lanes.starts(None) {
            self.spawn(start);
        }
        // New deliveries were just queued: the next round claims them without waiting a poll.
        dispatched > 0 || claimed_all
    }

    /// Runs one delivery in its own task; when it ends, the lane's next delivery starts there.
    fn spawn(self: &Arc<Self>, start: Start) {
        let sched = self.clone();
        tokio::spawn(async move {
            let endpoint_id = start.queued.job.endpoint_id.clone();
            let began = Instant::now();
            let ok = deliver::deliver(&sched.st, &start.client, start.queued.job).await;
            let claim_more = sched.lanes.finish(&endpoint_id, ok, began.elapsed());
            for next in sched.lanes.starts(Some(&endpoint_id)) {
                sched.spawn(next);
            }
            if claim_more {
                sched.wake.notify_one();
            }
        });
    }
}
