//! Intents left in `requires_action` (the payer never came back from the challenge) are
//! canceled with `cancellation_reason=abandoned` once `requires_action_ttl_s` has passed.
//! They are found by the `requires_action` tag and due time the confirm gave them.

use super::confirm::REQUIRES_ACTION_TAG;
use crate::models::{PaymentIntent, from_value, to_value};
use crate::records::{event, update};
use crate::state::AppState;
use paygate_payments::PaymentIntentStatus as Status;
use paygate_store::{Op, Scope, WriteUnit};

/// Most intents canceled per sweep.
const BATCH: usize = 100;

/// Cancels the abandoned intents due by now; returns how many.
pub async fn sweep(st: &AppState) -> Result<usize, String> {
    let now = st.now();
    let rows = st
        .store
        .list_due("payment_intent", REQUIRES_ACTION_TAG, now, BATCH)
        .await
        .map_err(|e| e.to_string())?;
    let mut canceled = 0;
    for row in rows {
        let mut pi: PaymentIntent = from_value(row.data.clone()).map_err(|e| e.message)?;
        let scope = Scope {
            merchant_id: row.merchant_id.clone(),
            livemode: row.livemode,
        };
        let mut ops: Vec<Op> = Vec::new();
        let abandoned = pi.status == Status::RequiresAction;
        if abandoned && let Err(e) = crate::bank_transfer_pages::cancel_abandoned(st, &row).await {
            tracing::warn!(payment_intent = %pi.id, error = %e, "transfer order not canceled at the bank; next sweep retries");
            continue;
        }
        if abandoned {
            ops.extend(super::finish_transaction(&pi));
            pi.status = Status::Canceled;
            pi.cancellation_reason = Some("abandoned".into());
            pi.canceled_at = Some(now);
            pi.next_action = None;
            pi.three_ds = None;
            let doc = to_value(&pi);
            ops.push(update(&pi.id, row.version, &doc));
            ops.push(event(&scope, "payment_intent.canceled", &doc, None, now));
        } else {
            // Moved on meanwhile: only the stale tag is removed.
            ops.push(update(&pi.id, row.version, &row.data));
        }
        match st.store.commit(WriteUnit { ops }).await {
            Ok(_) if abandoned => canceled += 1,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(payment_intent = %pi.id, error = %e, "abandoned intent not canceled; next sweep retries");
            }
        }
    }
    Ok(canceled)
}
