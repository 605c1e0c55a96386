//! The payment engine: every operation that talks to a counterparty — authorize (confirm),
//! capture, refund, cancel (reverse), and the methods still to come — runs in the same three
//! phases, written once in [`run`]:
//!
//! 1. **record** — one commit that moves the objects to their in-flight state, writes the
//!    typed recovery record ([`AttemptRecord`]) naming the message about to go out, and marks
//!    the idempotency key in flight;
//! 2. **call** — the counterparty, through its [`Connector`] from the registry
//!    ([`connectors::Connectors`]): the payment method's for an authorization, the charge's
//!    `processor`'s for a capture, refund or cancel, the recovery record's in recovery;
//! 3. **settle** — one commit with the outcome (objects, charge, ledger postings, balance
//!    transactions, events and the stored response), which also deletes the recovery record.
//!
//! A process that dies between 1 and 3 leaves the record behind; [`recovery`] finishes it with
//! the same settle code of the operation that wrote it, so no one is charged without the
//! merchant knowing and no one is charged twice. An operation implements [`Phases`]; the
//! engine owns the order, the idempotency protocol, what happens when the outcome cannot be
//! stored (the counterparty is told to undo, [`Undo`], by the retrying reverser [`undo`],
//! which also finishes the recovery record once the store writes again) and which results are stored (never a
//! server error: its key is freed for the client's retry).
//!
//! Operations take typed commands ([`Authorize`], [`Capture`], [`Refund`], [`Cancel`]) and a
//! [`RequestContext`], never the HTTP request; the HTTP shell renders results through
//! [`Respond`].
//!
//! [`Connector`]: paygate_payments::Connector

pub mod authorize;
pub mod cancel;
pub mod capture;
pub mod charge;
pub mod connectors;
pub mod context;
pub mod credential_on_file;
pub mod deposit;
pub mod follow_up;
pub mod payment;
pub mod recovery;
pub mod recovery_off;
pub mod refund;
pub mod refund_account;
mod reversal;
pub mod sightings;
pub mod undo;
pub mod verify;

pub use authorize::Authorize;
pub use cancel::Cancel;
pub use capture::Capture;
pub use context::RequestContext;
pub use refund::Refund;
pub use verify::{CardVerification, CvcCheck, Verification, verify_card};

use crate::error::{ApiError, ApiResult};
use axum::http::StatusCode;
use paygate_payments::{AttemptRecord, BoxFuture, ConnectorRef, Money};
use paygate_store::{AttemptRow, Op, WriteUnit};
use serde_json::Value;
use tracing::Instrument;

/// The objects an operation answers with, before the HTTP shell renders them.
pub struct Answer {
    /// The object the request is about (the PaymentIntent, the Refund), as stored.
    pub primary: Value,
    /// The charge the operation created or changed, when it has one (for `expand`).
    pub charge: Option<Value>,
}

/// Renders an operation's answer as the response body (expansions, the publishable-key
/// view). The engine calls it before the outcome commit, which stores the body under the
/// idempotency key together with the outcome.
pub trait Respond: Send + Sync {
    fn body<'a>(&'a self, answer: &'a Answer) -> BoxFuture<'a, ApiResult<Value>>;
}

/// What phase 1 records.
pub struct Recorded {
    /// Writes that move the objects to their in-flight state.
    pub ops: Vec<Op>,
    /// Names the recovery record (`<object>:<operation>`).
    pub attempt_id: String,
    pub attempt: AttemptRecord,
}

/// What to tell the counterparty when an outcome it approved cannot be stored (the engine
/// hands it to the in-process reverser, [`undo`]).
pub enum Undo {
    /// Reverse the authorization `reference` of `amount` at `connector`.
    Reverse {
        connector: std::sync::Arc<dyn paygate_payments::Connector>,
        reference: ConnectorRef,
        amount: Money,
    },
}

/// What phase 3 commits.
pub struct Settled {
    pub ops: Vec<Op>,
    /// The answer: the objects for a success, the error for a refusal (stored under the
    /// idempotency key like a success, unless it is a server error).
    pub answer: Result<Answer, ApiError>,
    /// Keep the recovery record: work at the counterparty is still running (a background
    /// reversal) and removes it when done; recovery redoes it if this process dies.
    pub keep_attempt: bool,
    /// Sent to the counterparty when the commit of `ops` fails.
    pub undo: Option<Undo>,
    /// Counted once the outcome is committed.
    pub counter: Option<Counter>,
}

/// What the metrics count once the outcome is committed (payment by method and outcome,
/// decline code, reversal, refund).
pub type Counter = crate::metrics::Counted;

/// One operation in the engine's three phases.
pub trait Phases: Send {
    /// What the counterparty answered (phase 2).
    type Reply: Send;

    /// Phase 1: the in-flight writes and the recovery record.
    fn record(&mut self, rc: &RequestContext) -> ApiResult<Recorded>;

    /// Phase 2: the counterparty round trip.
    fn call<'a>(&'a mut self, rc: &'a RequestContext) -> BoxFuture<'a, Self::Reply>;

    /// Records of the remote card vault that phase 1's writes reference (a card sealed for
    /// this payment): discarded when those writes fail.
    fn sealed(&self) -> &[crate::card_vault::RemoteRecord] {
        &[]
    }

    /// Phase 3: the outcome. An `Err` means the outcome is unknown: the recovery record stays
    /// for recovery to finish, and the request fails with that (server) error.
    fn settle(self, rc: &RequestContext, reply: Self::Reply) -> BoxFuture<'_, ApiResult<Settled>>;
}

/// Runs an operation through the three phases; `respond` renders its answer. The operation
/// runs in its span `payment` (operation, attempt, PaymentIntent, counterparty; the request's
/// span gets the PaymentIntent for its logs), each phase in a child span `engine.<phase>`.
pub async fn run<P: Phases>(
    rc: &RequestContext,
    respond: &dyn Respond,
    mut op: P,
) -> ApiResult<Value> {
    let recorded = match op.record(rc) {
        Ok(r) => r,
        Err(e) => {
            rc.st.card_vault.discard(op.sealed()).await;
            return Err(e);
        }
    };
    let payment_intent = recorded.attempt.payment_intent();
    if let Some(pi) = payment_intent {
        tracing::Span::current().record("payment_intent", pi);
    }
    let span = tracing::info_span!(
        "payment",
        operation = recorded.attempt.state(),
        attempt = %recorded.attempt_id,
        payment_intent,
        counterparty = ?recorded.attempt.processor(),
    );
    run_phases(rc, respond, op, recorded).instrument(span).await
}

async fn run_phases<P: Phases>(
    rc: &RequestContext,
    respond: &dyn Respond,
    mut op: P,
    recorded: Recorded,
) -> ApiResult<Value> {
    let mut first = WriteUnit { ops: recorded.ops };
    rc.begin(&mut first);
    let attempt_row = AttemptRow {
        id: recorded.attempt_id.clone(),
        merchant_id: rc.merchant.id.clone(),
        livemode: rc.livemode,
        owner_node: rc.st.cfg.node_id.clone(),
        state: recorded.attempt.state().into(),
        created: rc.now,
        data: recorded.attempt.to_stored(),
    };
    first.ops.push(Op::PutAttempt(attempt_row.clone()));
    let first = rc
        .commit(first)
        .instrument(tracing::debug_span!("engine.record"));
    (rc.st.card_vault)
        .commit_or_discard(op.sealed(), first)
        .await?;

    let reply = op
        .call(rc)
        .instrument(tracing::debug_span!("engine.call"))
        .await;
    if rc.st.cfg.fault_delay_after_auth_ms > 0 {
        tracing::warn!("fault injection: delaying the outcome commit");
        tokio::time::sleep(std::time::Duration::from_millis(
            rc.st.cfg.fault_delay_after_auth_ms,
        ))
        .await;
    }

    let settled = match op
        .settle(rc, reply)
        .instrument(tracing::debug_span!("engine.settle"))
        .await
    {
        Ok(s) => s,
        Err(e) => {
            rc.hold_for_recovery();
            return Err(e);
        }
    };
    let mut unit = WriteUnit { ops: settled.ops };
    if !settled.keep_attempt {
        unit.ops.push(Op::DeleteAttempt {
            id: recorded.attempt_id,
        });
    }
    // The counterparty has answered: the outcome is committed and answered even when its
    // rendering fails (an expansion that cannot be read) — then with the object unexpanded,
    // never with an error that would free the key for a second payment.
    let answer = match settled.answer {
        Ok(answer) => Ok(match respond.body(&answer).await {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(error = %e.message, "answer rendered without its expansions");
                crate::render::public(answer.primary)
            }
        }),
        Err(e) => Err(e),
    };
    match &answer {
        Ok(body) => rc.finish(&mut unit, StatusCode::OK, body),
        // A server error is never stored as the result: its key is freed for the retry.
        Err(e) if !e.status.is_server_error() => rc.finish(&mut unit, e.status, &e.body()),
        Err(_) => {}
    }
    let committed = rc
        .commit_outcome(unit)
        .instrument(tracing::debug_span!("engine.commit_outcome"))
        .await;
    if let Err(e) = committed {
        // The recovery record stays; whoever finishes it finishes the key.
        rc.hold_for_recovery();
        if let Some(undo) = settled.undo {
            undo::hand_over(rc.st.clone(), attempt_row, undo);
        }
        return Err(e);
    }
    if let Some(counter) = settled.counter {
        rc.st.metrics.count(counter);
    }
    answer
}
