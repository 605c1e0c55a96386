//! Crash recovery: finishes the counterparty work of operations whose process died between
//! phase 1 and phase 3, dispatching on the typed recovery record ([`AttemptRecord`]) to the
//! operation that wrote it — the same code that settles it in a request.
//!
//! | record        | what happened                                  | recovery                                                          |
//! |---------------|------------------------------------------------|-------------------------------------------------------------------|
//! | authorization | auth may or may not have reached the network   | reverse (idempotent; acknowledged for unknown originals), intent back to `requires_payment_method` with a `processing_error`, idempotency key freed |
//! | cancel        | a reversal was started                         | reverse again, then cancel the intent                              |
//! | capture       | the completion may have been sent              | re-send it as a repeat: the network replays its recorded answer or processes it now; record the capture, or make the intent capturable again |
//! | refund        | the refund may have been sent                  | re-send it as a repeat; record the refund as succeeded or failed accordingly; the idempotency key keeps that refund as its answer (a retry must not refund twice) |
//!
//! Each record is finished at the connector of the counterparty it names (its `processor`;
//! the card network for records stored before they named one). A record this build cannot
//! read (an unknown kind, a broken document, a counterparty it does not know) or whose
//! counterparty has no connector registered is logged, counted in the
//! `paygate_unrecoverable_attempts` gauge and left in the table: deleting it would forget
//! money that may have moved at the counterparty.

use crate::models::{PaymentIntent, from_value, money_of};
use crate::state::AppState;
use paygate_ledger::Currency;
use paygate_payments::{AttemptRecord, Connector, ConnectorRef, Money};
use paygate_store::{AttemptRow, Op, Scope, WriteUnit};
use std::sync::atomic::Ordering;

/// Longest a recovery waits for the network per attempt; an unanswered one is retried by the
/// next sweep, so start-up and the sweeper never hang on a dead network.
pub const NETWORK_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Recovers the attempts of this node (at start-up) or, with `stale_before`, those of any node
/// created before that time. Returns how many were finished.
pub async fn recover(st: &AppState, stale_before: Option<i64>) -> Result<usize, String> {
    if super::recovery_off::is_off() {
        return Ok(0);
    }
    let rows = match stale_before {
        None => st.store.attempts(Some(&st.cfg.node_id)).await,
        Some(_) => st.store.attempts(None).await,
    }
    .map_err(|e| e.to_string())?;
    let rows = rows
        .into_iter()
        .filter(|a| stale_before.is_none_or(|t| a.created <= t))
        .collect();
    recover_rows(st, rows).await
}

/// The background sweep: the attempts of any node (a peer that died) that this process has
/// watched stay unfinished for `attempt_stale_s` on its own monotonic clock — never by
/// comparing one host's wall clock with another's ([`super::sightings`]).
pub async fn sweep(st: &AppState) -> Result<usize, String> {
    if super::recovery_off::is_off() {
        return Ok(0);
    }
    let rows = st.store.attempts(None).await.map_err(|e| e.to_string())?;
    let age = std::time::Duration::from_secs(u64::try_from(st.cfg.attempt_stale_s).unwrap_or(0));
    let stale = st.sightings.seen_for(
        rows.iter().map(|a| a.id.as_str()),
        age,
        std::time::Instant::now(),
    );
    let rows = rows.into_iter().filter(|a| stale.contains(&a.id)).collect();
    recover_rows(st, rows).await
}

async fn recover_rows(st: &AppState, rows: Vec<AttemptRow>) -> Result<usize, String> {
    let mut done = 0;
    let mut unreadable = 0;
    for a in rows {
        // In the hands of this process's reverser.
        if st.undoing.holds(&a.id) {
            continue;
        }
        let record = match AttemptRecord::from_stored(&a.id, &a.data) {
            Ok(r) => r,
            Err(e) => {
                unreadable += 1;
                tracing::error!(error = %e, "recovery record left in place");
                continue;
            }
        };
        let connector = match st.connectors.get(record.processor()) {
            Ok(c) => c.clone(),
            Err(e) => {
                unreadable += 1;
                tracing::error!(attempt = %a.id, error = %e, "recovery record left in place");
                continue;
            }
        };
        match recover_one(st, &*connector, &a, &record).await {
            Ok(()) => {
                done += 1;
                st.metrics
                    .payments
                    .recovered(crate::metrics::RecoveryAction::of(&record));
                tracing::info!(attempt = %a.id, state = %a.state, "recovered unfinished payment attempt");
            }
            Err(e) => tracing::warn!(attempt = %a.id, error = %e, "could not recover attempt yet"),
        }
    }
    st.metrics
        .unrecoverable_attempts
        .store(unreadable, Ordering::Relaxed);
    Ok(done)
}

/// Finishes one recovery record now through `connector` (the reverser's, which has already
/// had the reversal acknowledged), as recovery would.
pub async fn finish_record(
    st: &AppState,
    connector: &dyn Connector,
    a: &AttemptRow,
) -> Result<(), String> {
    let record = AttemptRecord::from_stored(&a.id, &a.data).map_err(|e| e.to_string())?;
    recover_one(st, connector, a, &record).await?;
    st.metrics
        .payments
        .recovered(crate::metrics::RecoveryAction::of(&record));
    tracing::info!(attempt = %a.id, state = %a.state, "reversed and finished a payment whose outcome could not be stored");
    Ok(())
}

async fn recover_one(
    st: &AppState,
    connector: &dyn Connector,
    a: &AttemptRow,
    record: &AttemptRecord,
) -> Result<(), String> {
    let scope = Scope {
        merchant_id: a.merchant_id.clone(),
        livemode: a.livemode,
    };
    let mut ops = Vec::new();
    let interrupted = finish(st, connector, &scope, record, &mut ops).await?;
    // A request that never stored its result gets its key back, so the client's retry runs.
    if let Some(key) = record.idempotency_key().filter(|_| interrupted) {
        ops.push(Op::IdempotencyRelease {
            scope: scope.clone(),
            key: key.to_string(),
        });
    }
    ops.push(Op::DeleteAttempt { id: a.id.clone() });
    st.store
        .commit(WriteUnit { ops })
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Finishes the operation a record names, with the code of the operation that wrote it; the
/// writes go to `ops`. True when the request never stored its result.
async fn finish(
    st: &AppState,
    connector: &dyn Connector,
    scope: &Scope,
    record: &AttemptRecord,
    ops: &mut Vec<Op>,
) -> Result<bool, String> {
    Ok(match record {
        AttemptRecord::Authorization {
            payment_intent,
            net_ref,
            amount,
            currency_numeric,
            ..
        } => {
            let amount = stored_money(*amount, *currency_numeric)?;
            super::authorize::recover(st, connector, scope, payment_intent, net_ref, amount, ops)
                .await?
        }
        AttemptRecord::Cancel {
            payment_intent,
            net_ref,
            amount,
            currency_numeric,
            ..
        } => {
            let amount = stored_money(*amount, *currency_numeric)?;
            super::cancel::recover(st, connector, scope, payment_intent, net_ref, amount, ops)
                .await?
        }
        AttemptRecord::Capture {
            payment_intent,
            charge,
            follow_up,
            ..
        } => {
            super::capture::recover(st, connector, scope, payment_intent, charge, follow_up, ops)
                .await?
        }
        AttemptRecord::Refund { .. } => {
            super::refund::recover(st, connector, scope, record, ops).await?
        }
        AttemptRecord::Deposit { .. } => super::deposit::recover(st, scope, record, ops).await?,
    })
}

/// The money of a recovery record (amount and ISO 4217 numeric currency).
fn stored_money(amount: i64, currency_numeric: u16) -> Result<Money, String> {
    let currency = Currency::from_numeric(currency_numeric)
        .ok_or_else(|| format!("recovery record with unknown currency {currency_numeric}"))?;
    money_of(amount, currency.code()).map_err(detail)
}

/// Reverses an authorization at the counterparty of `connector` (idempotent there).
pub async fn reverse(
    st: &AppState,
    connector: &dyn Connector,
    reference: &ConnectorRef,
    amount: Money,
) -> Result<(), String> {
    tokio::time::timeout(
        NETWORK_WAIT,
        connector.reverse(reference, amount.minor(), amount.currency().numeric()),
    )
    .await
    .map_err(|_| "the network did not answer the reversal in time".to_string())?
    .map_err(|e| e.to_string())?;
    st.metrics.count(crate::metrics::Counted::Reversal);
    Ok(())
}

/// Reverses the authorization `reference` (idempotent at the counterparty), then loads the
/// intent if the interrupted request left it `processing`; `None` when it is gone or another
/// process already finished it.
pub async fn reverse_then_load(
    st: &AppState,
    connector: &dyn Connector,
    scope: &Scope,
    payment_intent: &str,
    reference: &ConnectorRef,
    amount: Money,
) -> Result<Option<(i64, PaymentIntent)>, String> {
    reverse(st, connector, reference, amount).await?;
    Ok(load_pi(st, scope, payment_intent)
        .await?
        .filter(|(_, pi)| pi.status == paygate_payments::PaymentIntentStatus::Processing))
}

/// What recovery logs of an error: the internal detail (never shown to a client), else the
/// message.
pub fn detail(e: crate::error::ApiError) -> String {
    e.cause().map_or_else(|| e.message.clone(), str::to_string)
}

/// Loads an intent for recovery: (version, intent), `None` when it is gone.
pub async fn load_pi(
    st: &AppState,
    scope: &Scope,
    id: &str,
) -> Result<Option<(i64, PaymentIntent)>, String> {
    let Some(row) = st
        .store
        .get_object(scope, id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let pi: PaymentIntent = from_value(row.data).map_err(detail)?;
    Ok(Some((row.version, pi)))
}
