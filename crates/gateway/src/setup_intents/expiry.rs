//! SetupIntents left in `requires_action` (the payer never came back from the 3-D Secure
//! challenge) are canceled with `cancellation_reason=abandoned` once `requires_action_ttl_s`
//! has passed, by the same sweep as abandoned PaymentIntents. They are found by the
//! `requires_action` tag and due time the confirm gave them.

use super::SetupIntent;
use super::three_ds::finish_transaction;
use crate::records::{event, update};
use crate::state::AppState;
use crate::three_ds::confirm::REQUIRES_ACTION_TAG;
use paygate_payments::SetupIntentStatus as Status;
use paygate_store::{Op, Scope, WriteUnit};

/// Most SetupIntents canceled per sweep.
const BATCH: usize = 100;

/// Cancels the abandoned SetupIntents due by now; returns how many.
pub async fn sweep(st: &AppState) -> Result<usize, String> {
    let now = st.now();
    let rows = st
        .store
        .list_due("setup_intent", REQUIRES_ACTION_TAG, now, BATCH)
        .await
        .map_err(|e| e.to_string())?;
    let mut canceled = 0;
    for row in rows {
        let mut si = SetupIntent::from_doc(row.data.clone()).map_err(|e| e.message)?;
        let scope = Scope {
            merchant_id: row.merchant_id.clone(),
            livemode: row.livemode,
        };
        let mut ops: Vec<Op> = Vec::new();
        let abandoned = si.status == Status::RequiresAction;
        if abandoned {
            ops.extend(finish_transaction(&si));
            si.status = Status::Canceled;
            si.cancellation_reason = Some("abandoned".into());
            si.next_action = None;
            si.three_ds = None;
            let doc = si.to_doc();
            ops.push(update(&si.id, row.version, &doc));
            ops.push(event(&scope, "setup_intent.canceled", &doc, None, now));
        } else {
            // Moved on meanwhile: only the stale tag is removed.
            ops.push(update(&si.id, row.version, &row.data));
        }
        match st.store.commit(WriteUnit { ops }).await {
            Ok(_) if abandoned => canceled += 1,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(setup_intent = %si.id, error = %e, "abandoned SetupIntent not canceled; next sweep retries");
            }
        }
    }
    Ok(canceled)
}
