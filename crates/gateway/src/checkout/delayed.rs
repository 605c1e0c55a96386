//! Sessions paid by a method whose money arrives later (가상계좌), as Stripe's
//! delayed-notification methods: the session completes `unpaid` when the payer has chosen the
//! method and got the account (`checkout.session.completed`), then
//! `checkout.session.async_payment_succeeded` (`paid`) comes with the deposit that pays the
//! intent, or `checkout.session.async_payment_failed` with the account's expiry. Each step is
//! written in the same commit as what caused it (the confirm's answer seen by the page, the
//! deposit, the expiry), so a crash never separates them; the steps are the table
//! [`delayed_step`].

use super::lifecycle::{scope_of, write};
use super::session::{CheckoutSession, Delayed, SessionStatus, delayed_step};
use crate::error::ApiResult;
use crate::models::PaymentIntent;
use crate::records::event;
use crate::state::AppState;
use paygate_payments::{NextAction, PaymentIntentStatus};
use paygate_store::{ObjectRow, Op, Scope};

/// Whether `pi` waits for the payer's bank transfer.
pub fn awaits_transfer(pi: &PaymentIntent) -> bool {
    pi.status == PaymentIntentStatus::RequiresAction
        && matches!(
            pi.next_action,
            Some(NextAction::DisplayBankTransferInstructions { .. })
        )
}

/// The stored session that made intent `pi`, if a session did.
pub async fn session_of(
    st: &AppState,
    scope: &Scope,
    pi: &PaymentIntent,
) -> ApiResult<Option<ObjectRow>> {
    let Some(id) = pi.checkout_session.as_deref() else {
        return Ok(None);
    };
    Ok(st.store.get_object(scope, id).await?)
}

/// The writes of `step` on the stored session `row` (none when the table says it does not
/// apply) and the session after them.
pub fn writes(row: &ObjectRow, step: Delayed, now: i64) -> ApiResult<(Vec<Op>, CheckoutSession)> {
    let mut cs = CheckoutSession::from_doc(row.data.clone())?;
    let Some((paid, events)) = delayed_step(cs.status, cs.payment_status, step) else {
        return Ok((Vec::new(), cs));
    };
    let scope = scope_of(row);
    cs.status = SessionStatus::Complete;
    let mut evs = Vec::with_capacity(events.len());
    for (i, kind) in events.iter().enumerate() {
        // Events before the last show the session as it was completed: not paid yet.
        if i + 1 == events.len() {
            cs.payment_status = paid;
        }
        evs.push(event(&scope, kind, &cs.to_doc(), None, now));
    }
    let mut ops = vec![write(&cs, Some(row.version), &scope, cs.expires_at, now)];
    ops.extend(evs);
    Ok((ops, cs))
}

/// [`writes`] for the session of `pi`, if it has one.
pub async fn writes_for(
    st: &AppState,
    scope: &Scope,
    pi: &PaymentIntent,
    step: Delayed,
    now: i64,
) -> ApiResult<Vec<Op>> {
    match session_of(st, scope, pi).await? {
        Some(row) => Ok(writes(&row, step, now)?.0),
        None => Ok(Vec::new()),
    }
}
