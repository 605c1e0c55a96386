//! The timeout sweep: a challenge whose first CReq did not come within the CReq timeout, or
//! that did not end within the challenge timeout, ends as N with challengeCancel 05 / 04, and
//! its RReq is sent like any other.

use std::sync::Arc;
use std::time::Duration;

use super::finish::{Outcome, finish};
use crate::Sim;
use crate::messages::ChallengeCancel;

/// Time between two sweeps.
const SWEEP_INTERVAL: Duration = Duration::from_millis(250);
/// Most transactions ended by one sweep (the rest wait for the next).
const SWEEP_BATCH: u32 = 64;

/// Sweeps until `shutdown` turns true.
pub(crate) async fn run(sim: Arc<Sim>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(SWEEP_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => return,
            _ = tick.tick() => {}
        }
        let expired = match sim.store.expired(sim.now_ms(), SWEEP_BATCH) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "timeout sweep could not read the transactions");
                continue;
            }
        };
        for (acs_trans_id, awaiting_creq) in expired {
            let cancel = if awaiting_creq {
                ChallengeCancel::CreqNotReceived
            } else {
                ChallengeCancel::TimedOut
            };
            if let Err(e) = finish(&sim, &acs_trans_id, Outcome::TimedOut(cancel)).await {
                tracing::error!(error = %e, acs_trans_id, "timeout sweep could not end a challenge");
            }
        }
    }
}
