//! Open virtual accounts past their expiry: the bank closes the account (returning what was
//! deposited to the payer), then one commit cancels the intent with
//! `cancellation_reason=expired` (event `payment_intent.canceled`) and takes any partial
//! deposits back out of the merchant's pending balance. Found by the [`OPEN_TAG`] and due
//! time the confirm gave the account. A bank that does not answer leaves it for the next
//! sweep; an account the bank reports fully paid is left to its notice.

use super::funding::return_deposits;
use super::{KIND, OPEN_TAG, VaStatus, VirtualAccount};
use crate::checkout::session::Delayed;
use crate::models::{PaymentIntent, from_value, to_value};
use crate::records::{event, update};
use crate::state::AppState;
use paygate_connector_bank::BankError;
use paygate_payments::intent::allowed;
use paygate_payments::{IntentOp, PaymentIntentStatus as Status};
use paygate_store::{ObjectRow, Op, Scope, WriteUnit};

/// Most accounts closed per sweep.
const BATCH: usize = 100;

/// Closes the accounts due by now; returns how many.
pub async fn sweep(st: &AppState) -> Result<usize, String> {
    let Some(bank) = st.bank.clone() else {
        return Ok(0);
    };
    let now = st.now();
    let rows = st
        .store
        .list_due(KIND, OPEN_TAG, now, BATCH)
        .await
        .map_err(|e| e.to_string())?;
    let mut closed = 0;
    for row in rows {
        let va: VirtualAccount = from_value(row.data.clone()).map_err(|e| e.message)?;
        if va.status != VaStatus::Open || va.expires_at > now {
            continue;
        }
        match bank.close(&va.bank_code, &va.account_number).await {
            Ok(_) => {}
            // Fully paid at the bank: the notice completing it is on its way.
            Err(BankError::Refused(code)) if code == "V004" => continue,
            Err(e) => {
                tracing::warn!(account = %va.id, error = %e, "virtual account not closed; next sweep retries");
                continue;
            }
        }
        match expire(st, row, va, now).await {
            Ok(()) => closed += 1,
            Err(e) => {
                tracing::warn!(error = %e, "expired virtual account not recorded; next sweep retries")
            }
        }
    }
    Ok(closed)
}

/// Commits an account closed at the bank: returned deposits, the intent canceled.
async fn expire(
    st: &AppState,
    row: ObjectRow,
    mut va: VirtualAccount,
    now: i64,
) -> Result<(), String> {
    let scope = Scope {
        merchant_id: row.merchant_id.clone(),
        livemode: row.livemode,
    };
    let pi_row = st
        .store
        .get_object(&scope, &va.payment_intent)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("virtual account without its intent")?;
    let mut pi: PaymentIntent = from_value(pi_row.data).map_err(|e| e.message)?;
    let mut ops: Vec<Op> = return_deposits(&scope, &mut va, now).map_err(|e| e.message)?;
    va.status = VaStatus::Expired;
    ops.push(Op::UpdateObject {
        id: va.id.clone(),
        expected_version: row.version,
        data: to_value(&va),
        tag: None,
        due: None,
    });
    if allowed(pi.status, IntentOp::Deposit) {
        pi.status = Status::Canceled;
        pi.cancellation_reason = Some("expired".into());
        pi.canceled_at = Some(now);
        pi.next_action = None;
        pi.amount_received = 0;
        let doc = to_value(&pi);
        ops.push(update(&pi.id, pi_row.version, &doc));
        ops.push(event(&scope, "payment_intent.canceled", &doc, None, now));
        ops.extend(
            crate::checkout::delayed::writes_for(st, &scope, &pi, Delayed::Failed, now)
                .await
                .map_err(|e| e.message)?,
        );
    }
    st.store
        .commit(WriteUnit { ops })
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
