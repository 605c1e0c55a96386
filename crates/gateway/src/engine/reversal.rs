//! The background reversal of an authorization whose answer was lost (the link timed out):
//! reverse at the counterparty, then clear the recovery record only once the failure commit
//! has moved the intent out of `processing`.

use crate::state::AppState;
use paygate_payments::{
    BoxFuture, Connector, ConnectorError, ConnectorRef, Money, PaymentIntentStatus as Status,
};
use paygate_store::{Op, Scope, WriteUnit};
use std::sync::Arc;

/// What the background reversal of a failed authorization acts on.
pub(super) struct ReversalJob {
    pub reference: ConnectorRef,
    pub amount: Money,
    pub attempt_id: String,
    pub scope: Scope,
    pub payment_intent: String,
}

/// How often, and how long at most, the background reversal looks for the failure commit
/// before it leaves the recovery record to recovery.
const FAILURE_COMMIT_CHECKS: [u64; 6] = [0, 100, 200, 400, 800, 1600];

/// Reverses a failed authorization in the background; deletes the recovery record once the
/// counterparty acknowledged it **and** the failure commit has moved the intent out of
/// `processing`. If that commit failed (a store that cannot write), the record stays and
/// recovery puts the intent right — deleting it had left the intent `processing` for good
/// (found by `paygate chaos`: a store write fault while the network was silent).
pub(super) fn spawn_reversal(
    st: Arc<AppState>,
    connector: Arc<dyn Connector>,
    running: Option<BoxFuture<'static, Result<(), ConnectorError>>>,
    job: ReversalJob,
) {
    tokio::spawn(async move {
        st.metrics.count(crate::metrics::Counted::Reversal);
        let amount = job.amount;
        let done = match running {
            Some(reversal) => reversal.await.is_ok(),
            None => connector
                .reverse(&job.reference, amount.minor(), amount.currency().numeric())
                .await
                .is_ok(),
        };
        if !done {
            return;
        }
        for wait_ms in FAILURE_COMMIT_CHECKS {
            tokio::time::sleep(std::time::Duration::from_millis(wait_ms)).await;
            let loaded = super::recovery::load_pi(&st, &job.scope, &job.payment_intent).await;
            if matches!(&loaded, Ok(Some((_, pi))) if pi.status != Status::Processing) {
                let unit = WriteUnit {
                    ops: vec![Op::DeleteAttempt { id: job.attempt_id }],
                };
                if let Err(err) = st.store.commit(unit).await {
                    tracing::warn!(error = %err, "could not clear a finished reversal; recovery will");
                }
                return;
            }
        }
        tracing::warn!(payment_intent = %job.payment_intent, "reversed, but the failure was not stored; recovery finishes the intent");
    });
}
