//! The gateway's background job: every `sweep_interval_ms` it finishes stale attempts, runs
//! the expiry sweeps (virtual accounts, abandoned payer actions, checkout sessions, SetupIntents),
//! prunes old idempotency keys and, once a day, settles.

use crate::state::SharedState;
use crate::{checkout, engine, settlement, setup_intents, three_ds, virtual_accounts};
use std::time::Duration;
use tokio::sync::watch;

/// Stored results of idempotent requests are kept this long (Stripe keeps them ≥ 24 h).
const IDEMPOTENCY_RETENTION_S: i64 = 7 * 24 * 3600;

/// Stale-attempt sweeper and daily settlement.
pub(crate) async fn run(st: SharedState, mut rx: watch::Receiver<bool>) {
    let mut last_settled_day = -1;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(st.cfg.sweep_interval_ms)) => {}
            _ = rx.changed() => return,
        }
        if let Err(e) = engine::recovery::sweep(&st).await {
            crate::error::warn_limited("stale attempt sweep failed", &e);
        }
        if let Err(e) = virtual_accounts::expiry::sweep(&st).await {
            crate::error::warn_limited("virtual account expiry sweep failed", &e);
        }
        if let Err(e) = three_ds::expiry::sweep(&st).await {
            crate::error::warn_limited("abandoned payer-action sweep failed", &e);
        }
        if let Err(e) = checkout::lifecycle::sweep(&st).await {
            crate::error::warn_limited("checkout session expiry sweep failed", &e);
        }
        if let Err(e) = setup_intents::expiry::sweep(&st).await {
            crate::error::warn_limited("abandoned SetupIntent sweep failed", &e);
        }
        if let Err(e) = st
            .store
            .prune_idempotency(st.now() - IDEMPOTENCY_RETENTION_S)
            .await
        {
            crate::error::warn_limited("idempotency key pruning failed", &e);
        }
        let today = paygate_payments::clock::day_plus(st.now(), 0);
        if st.cfg.settle_daily && today != last_settled_day {
            match settlement::settle(&st.store, today, st.now()).await {
                Ok(r) => {
                    last_settled_day = today;
                    if r.transactions > 0 {
                        tracing::info!(transactions = r.transactions, "daily settlement ran");
                    }
                }
                Err(e) => crate::error::warn_limited("daily settlement failed", &e),
            }
        }
    }
}
