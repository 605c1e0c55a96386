//! The in-process reverser: an outcome the counterparty approved but the store could not take
//! (disk full, database down, a conflicting change) is undone at once, not at the next
//! restart or stale-attempt sweep.
//!
//! [`hand_over`] takes the attempt's recovery record and its [`Undo`]. A task then
//!
//! 1. sends the reversal until the counterparty acknowledges it, backing off from
//!    [`BACKOFF_FIRST`] to [`BACKOFF_MAX`];
//! 2. waits until the store writes again ([`paygate_store::Store::write_health`], kept current
//!    by the gateway's write probe; checked every [`STORE_CHECK_EVERY`]) and finishes the
//!    record with recovery's code for it
//!    (intent back to `requires_payment_method` with a `processing_error`, idempotency key
//!    freed, record deleted) — without sending the reversal a second time.
//!
//! While the task holds a record ([`InHand`]) this process's sweep leaves it alone, so it is
//! never reversed twice from here; after [`UNDO_WINDOW`] the record is released to the
//! sweep (and, if this process dies, to recovery) as before. Reversals are idempotent at the
//! counterparty, so a peer's sweep racing the task does no harm.

use super::Undo;
use super::recovery;
use crate::state::SharedState;
use paygate_ledger::Counterparty;
use paygate_payments::{
    AuthorizationOutcome, AuthorizationRequest, BoxFuture, Connector, ConnectorError, ConnectorRef,
    FollowUpAnswer, FollowUpKind, PreparedAuthorization, PreparedFollowUp,
};
use paygate_store::log_limit::LogLimiter;
use paygate_store::{AttemptRow, WriteHealth};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// First pause after a reversal or a finish that failed.
pub const BACKOFF_FIRST: Duration = Duration::from_millis(100);
/// Longest pause after a reversal or a finish that failed.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How often a reversed record checks whether the store writes again.
pub const STORE_CHECK_EVERY: Duration = Duration::from_millis(100);
/// How long the reverser keeps a record before leaving it to the sweep.
pub const UNDO_WINDOW: Duration = Duration::from_secs(600);

static UNDO_LOG: LogLimiter = LogLimiter::new(Duration::from_secs(10));

/// The recovery records this process's reverser is working on.
#[derive(Default)]
pub struct InHand(Mutex<HashSet<String>>);

impl InHand {
    /// Whether the reverser holds the record `attempt_id` (the sweep skips it).
    pub fn holds(&self, attempt_id: &str) -> bool {
        self.lock().contains(attempt_id)
    }

    /// How many records the reverser holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn take(&self, attempt_id: &str) -> bool {
        self.lock().insert(attempt_id.to_string())
    }

    fn release(&self, attempt_id: &str) {
        self.lock().remove(attempt_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Hands an outcome that could not be stored to the reverser; `row` is the recovery record
/// phase 1 committed.
pub fn hand_over(st: SharedState, row: AttemptRow, undo: Undo) {
    if !st.undoing.take(&row.id) {
        return;
    }
    tokio::spawn(async move {
        let finished = undo_and_finish(&st, &row, undo).await;
        st.undoing.release(&row.id);
        if !finished {
            tracing::error!(attempt = %row.id, "outcome not undone yet; left to the stale-attempt sweep");
        }
    });
}

/// The rounds of one record; true when it was reversed and finished.
async fn undo_and_finish(st: &SharedState, row: &AttemptRow, undo: Undo) -> bool {
    let Undo::Reverse {
        connector,
        reference,
        amount,
    } = undo;
    let deadline = Instant::now() + UNDO_WINDOW;
    let mut backoff = BACKOFF_FIRST;
    let mut reversed = false;
    while Instant::now() < deadline {
        if !reversed {
            match outcome_stored(st, row).await {
                // The commit that "failed" had gone through (PostgreSQL's answer to COMMIT
                // lost with its connection): the payment stands, there is nothing to undo.
                Ok(true) => return true,
                Ok(false) => match recovery::reverse(st, &*connector, &reference, amount).await {
                    Ok(()) => reversed = true,
                    Err(e) => log_once("reversal after a failed commit not acknowledged", &e),
                },
                Err(e) => log_once("cannot read whether the outcome was stored", &e),
            }
        }
        let writable = st.store.write_health() == WriteHealth::Writable;
        if reversed && writable {
            let acknowledged = Reversed(&*connector);
            match recovery::finish_record(st, &acknowledged, row).await {
                Ok(()) => return true,
                Err(e) => log_once("reversed, but its recovery record is not finished", &e),
            }
        }
        // Waiting for the store only reads its health (memory): a short fixed pause, so the
        // record is finished right after the probe sees a write succeed. A reversal or a
        // finish that failed backs off.
        if reversed && !writable {
            tokio::time::sleep(STORE_CHECK_EVERY).await;
        } else {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }
    false
}

/// Whether the outcome commit went through after all: it deletes the recovery record in the
/// same transaction, so a record that is gone was committed with its outcome. Never reverse
/// before knowing (found by `paygate chaos`: a payment answered and stored as succeeded was
/// reversed at the network when its commit's answer was lost).
async fn outcome_stored(st: &SharedState, row: &AttemptRow) -> Result<bool, String> {
    let rows = st
        .store
        .attempts(Some(&row.owner_node))
        .await
        .map_err(|e| e.to_string())?;
    Ok(!rows.iter().any(|a| a.id == row.id))
}

fn log_once(what: &'static str, error: &str) {
    if let Some(repeated) = UNDO_LOG.check(error) {
        tracing::warn!(error = %error, repeated, "{what}; retrying");
    }
}

/// The counterparty's connector once it has acknowledged the reversal: recovery's code
/// finishes the record through it without sending the reversal again.
struct Reversed<'a>(&'a dyn Connector);

impl Connector for Reversed<'_> {
    fn counterparty(&self) -> Counterparty {
        self.0.counterparty()
    }

    fn prepare_authorization(
        &self,
        req: &AuthorizationRequest<'_>,
    ) -> Result<PreparedAuthorization, ConnectorError> {
        self.0.prepare_authorization(req)
    }

    fn send_authorization(
        &self,
        prepared: PreparedAuthorization,
    ) -> BoxFuture<'_, AuthorizationOutcome> {
        self.0.send_authorization(prepared)
    }

    fn prepare_follow_up(
        &self,
        kind: FollowUpKind,
        original: &ConnectorRef,
        network_transaction_id: &str,
        amount: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, ConnectorError> {
        self.0.prepare_follow_up(
            kind,
            original,
            network_transaction_id,
            amount,
            currency_numeric,
        )
    }

    fn send_follow_up(&self, prepared: PreparedFollowUp) -> BoxFuture<'_, FollowUpAnswer> {
        self.0.send_follow_up(prepared)
    }

    fn resend_follow_up<'a>(&'a self, record: &'a ConnectorRef) -> BoxFuture<'a, FollowUpAnswer> {
        self.0.resend_follow_up(record)
    }

    fn follow_up_amount(&self, record: &ConnectorRef) -> Result<i64, ConnectorError> {
        self.0.follow_up_amount(record)
    }

    /// Already acknowledged by the counterparty.
    fn reverse<'a>(
        &'a self,
        _reference: &'a ConnectorRef,
        _amount: i64,
        _currency_numeric: u16,
    ) -> BoxFuture<'a, Result<(), ConnectorError>> {
        Box::pin(async { Ok(()) })
    }
}
