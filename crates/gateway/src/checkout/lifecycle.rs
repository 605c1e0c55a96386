//! How a session ends: `complete` when its intent succeeded, `expired` by the merchant or by
//! the clock. Each change is one commit with its event (`checkout.session.completed`,
//! `checkout.session.expired`); an open session carries the tag [`OPEN_TAG`] due at its
//! `expires_at`, which the background sweeper ([`sweep`]) reads.
//!
//! A session completes when its page sees the intent succeed (inline card payment, or the
//! payer back from a redirect method), and at the latest when the sweeper looks at it at
//! `expires_at` — so a payer who closes the browser after paying still completes it.
//! Expiring cancels the session's intent in the same commit when nothing is under way at a
//! counterparty (`requires_payment_method` / `requires_confirmation`); an intent in
//! `requires_action` or further cannot be canceled from here: the merchant's `expire`
//! is refused, and the sweeper looks again after [`RETRY_S`] (the abandoned-action sweeper
//! cancels an intent the payer left at its page). A session whose intent waits for the payer's
//! bank transfer (가상계좌) completes `unpaid` instead ([`super::delayed`]).

use super::session::{
    CheckoutSession, Delayed, Mode, PaymentStatus, SessionOp, SessionStatus, allowed,
};
use crate::error::{ApiError, ApiResult};
use crate::models::{PaymentIntent, from_value, to_value};
use crate::records::event;
use crate::setup_intents::SetupIntent;
use crate::state::AppState;
use paygate_payments::{PaymentIntentStatus as Pi, SetupIntentStatus as Si};
use paygate_store::{ObjectRow, Op, Scope, WriteUnit};
use serde_json::Value;

/// The object kind.
pub const KIND: &str = "checkout_session";
/// Tag of open sessions, due at `expires_at`.
pub const OPEN_TAG: &str = "checkout_open";
/// When an expiry the intent blocks is looked at again.
pub const RETRY_S: i64 = 300;
/// Sessions handled per sweep.
const BATCH: usize = 100;

/// The scope of a stored row.
pub fn scope_of(row: &ObjectRow) -> Scope {
    Scope {
        merchant_id: row.merchant_id.clone(),
        livemode: row.livemode,
    }
}

/// The write of a session document: open sessions keep their tag, due at `due`.
pub fn write(cs: &CheckoutSession, version: Option<i64>, scope: &Scope, due: i64, now: i64) -> Op {
    let doc = cs.to_doc();
    let (tag, due) = match cs.status {
        SessionStatus::Open => (Some(OPEN_TAG.to_string()), Some(due)),
        _ => (None, None),
    };
    match version {
        None => Op::InsertObject(ObjectRow {
            id: cs.id.clone(),
            merchant_id: scope.merchant_id.clone(),
            livemode: scope.livemode,
            kind: KIND.into(),
            parent: cs.customer.clone(),
            tag,
            due,
            created: now,
            version: 0,
            data: doc,
        }),
        Some(v) => Op::UpdateObject {
            id: cs.id.clone(),
            expected_version: v,
            data: doc,
            tag,
            due,
        },
    }
}

/// The session's intent as it is stored: (row, status succeeded?, cancelable here?).
enum IntentState {
    Succeeded,
    /// The payer chose a delayed method and got its account: the session completes unpaid.
    AwaitsTransfer,
    /// Nothing under way: the intent's document canceled, to write with the session.
    Cancelable(Option<Box<(ObjectRow, Value)>>),
    Busy,
}

async fn intent_state(
    st: &AppState,
    scope: &Scope,
    cs: &CheckoutSession,
    now: i64,
) -> ApiResult<IntentState> {
    let id = match cs.mode {
        Mode::Payment => cs.payment_intent.as_deref(),
        Mode::Setup => cs.setup_intent.as_deref(),
    };
    let Some(id) = id else {
        return Ok(IntentState::Cancelable(None));
    };
    let row = st
        .store
        .get_object(scope, id)
        .await?
        .ok_or_else(|| ApiError::internal("the checkout session's intent is missing"))?;
    if cs.mode == Mode::Setup {
        let mut si = SetupIntent::from_doc(row.data.clone())?;
        return Ok(match si.status {
            Si::Succeeded => IntentState::Succeeded,
            Si::Canceled => IntentState::Cancelable(None),
            Si::RequiresPaymentMethod | Si::RequiresConfirmation => {
                si.status = Si::Canceled;
                si.cancellation_reason = Some("abandoned".into());
                IntentState::Cancelable(Some(Box::new((row, si.to_doc()))))
            }
            Si::RequiresAction | Si::Processing => IntentState::Busy,
        });
    }
    let mut pi: PaymentIntent = from_value(row.data.clone())?;
    if super::delayed::awaits_transfer(&pi) {
        return Ok(IntentState::AwaitsTransfer);
    }
    Ok(match pi.status {
        Pi::Succeeded | Pi::RequiresCapture => IntentState::Succeeded,
        Pi::Canceled => IntentState::Cancelable(None),
        Pi::RequiresPaymentMethod | Pi::RequiresConfirmation => {
            pi.status = Pi::Canceled;
            pi.cancellation_reason = Some("abandoned".into());
            pi.canceled_at = Some(now);
            IntentState::Cancelable(Some(Box::new((row, to_value(&pi)))))
        }
        Pi::RequiresAction | Pi::Processing => IntentState::Busy,
    })
}

/// Completes `cs` (at `version`) if its intent succeeded; returns the session as it now is.
pub async fn sync(st: &AppState, row: &ObjectRow) -> ApiResult<CheckoutSession> {
    let mut cs = CheckoutSession::from_doc(row.data.clone())?;
    if !allowed(cs.status, SessionOp::Complete) {
        return Ok(cs);
    }
    let scope = scope_of(row);
    let now = st.now();
    match intent_state(st, &scope, &cs, now).await? {
        IntentState::Succeeded => {}
        IntentState::AwaitsTransfer => {
            let (ops, cs) = super::delayed::writes(row, Delayed::Chosen, now)?;
            return commit_completed(st, &scope, ops, cs).await;
        }
        IntentState::Cancelable(_) | IntentState::Busy => return Ok(cs),
    }
    cs.status = SessionStatus::Complete;
    cs.payment_status = match cs.mode {
        Mode::Payment => PaymentStatus::Paid,
        Mode::Setup => PaymentStatus::NoPaymentRequired,
    };
    let ops = vec![
        write(&cs, Some(row.version), &scope, cs.expires_at, now),
        event(
            &scope,
            "checkout.session.completed",
            &cs.to_doc(),
            None,
            now,
        ),
    ];
    commit_completed(st, &scope, ops, cs).await
}

/// Commits the completion of `cs`; a session changed meanwhile is answered as stored.
async fn commit_completed(
    st: &AppState,
    scope: &Scope,
    ops: Vec<Op>,
    cs: CheckoutSession,
) -> ApiResult<CheckoutSession> {
    match st.store.commit(WriteUnit { ops }).await {
        Ok(_) => Ok(cs),
        // Completed (or expired) by someone else meanwhile: the stored session is the answer.
        Err(paygate_store::CommitError::Conflict { .. }) => reload(st, scope, &cs.id).await,
        Err(e) => Err(crate::http::commit_error(e)),
    }
}

async fn reload(st: &AppState, scope: &Scope, id: &str) -> ApiResult<CheckoutSession> {
    let row = st
        .store
        .get_object(scope, id)
        .await?
        .ok_or_else(|| ApiError::not_found("checkout.session", id, "session"))?;
    CheckoutSession::from_doc(row.data)
}

/// Why a session was not expired.
pub enum NotExpired {
    /// Its intent succeeded: it is complete now.
    Completed(Box<CheckoutSession>),
    /// A payment is under way at a counterparty.
    Busy,
}

/// Expires an open session (and cancels its idle intent) in one commit; `idem` is the
/// merchant's idempotency key, when the merchant asked.
pub async fn expire(
    st: &AppState,
    row: &ObjectRow,
    idem: Option<&str>,
) -> ApiResult<Result<CheckoutSession, NotExpired>> {
    let mut cs = CheckoutSession::from_doc(row.data.clone())?;
    if !allowed(cs.status, SessionOp::Expire) {
        return Err(cs.state_error("expire"));
    }
    let scope = scope_of(row);
    let now = st.now();
    let intent = match intent_state(st, &scope, &cs, now).await? {
        IntentState::Succeeded | IntentState::AwaitsTransfer => {
            return Ok(Err(NotExpired::Completed(Box::new(sync(st, row).await?))));
        }
        IntentState::Busy => return Ok(Err(NotExpired::Busy)),
        IntentState::Cancelable(i) => i,
    };
    cs.status = SessionStatus::Expired;
    let mut ops = vec![
        write(&cs, Some(row.version), &scope, cs.expires_at, now),
        event(&scope, "checkout.session.expired", &cs.to_doc(), idem, now),
    ];
    if let Some(pair) = intent {
        let (irow, doc) = *pair;
        let kind = if cs.mode == Mode::Payment {
            "payment_intent"
        } else {
            "setup_intent"
        };
        ops.push(crate::records::update(&irow.id, irow.version, &doc));
        ops.push(event(&scope, &format!("{kind}.canceled"), &doc, idem, now));
    }
    st.store
        .commit(WriteUnit { ops })
        .await
        .map_err(crate::http::commit_error)?;
    Ok(Ok(cs))
}

/// Completes or expires the open sessions due by now; returns how many expired.
pub async fn sweep(st: &AppState) -> Result<usize, String> {
    let now = st.now();
    let rows = st
        .store
        .list_due(KIND, OPEN_TAG, now, BATCH)
        .await
        .map_err(|e| e.to_string())?;
    let mut expired = 0;
    for row in rows {
        match expire(st, &row, None).await {
            Ok(Ok(_)) => expired += 1,
            Ok(Err(NotExpired::Completed(_))) => {}
            Ok(Err(NotExpired::Busy)) => {
                let cs = CheckoutSession::from_doc(row.data.clone()).map_err(|e| e.message)?;
                let op = write(&cs, Some(row.version), &scope_of(&row), now + RETRY_S, now);
                if let Err(e) = st.store.commit(WriteUnit { ops: vec![op] }).await {
                    tracing::warn!(session = %cs.id, error = %e, "checkout expiry not postponed");
                }
            }
            Err(e) => {
                tracing::warn!(session = %row.id, error = %e.message, "checkout session not expired; next sweep retries")
            }
        }
    }
    Ok(expired)
}
