//! Group commit: many units in one transaction, each unit all-or-nothing.
//!
//! The fast pass runs the units back to back with no savepoints. That is exact as long as
//! every failing unit failed at its first operation with a conflict: an operation reports a
//! conflict before it writes anything (see `write`), so such a unit left nothing behind.
//! Any other failure (a conflict after earlier operations wrote, or a database error, which
//! on PostgreSQL aborts the whole transaction) rolls the fast pass back and runs the batch
//! again in the careful pass, where each unit has its own savepoint:
//!
//! ```text
//! BEGIN; SAVEPOINT unit
//!   unit 1 ops ...            ok       -> RELEASE SAVEPOINT unit; SAVEPOINT unit
//!   unit 2 ops ... conflict   failed   -> ROLLBACK TO SAVEPOINT unit; RELEASE ...; SAVEPOINT unit
//!   unit 3 ops ...            ok       -> RELEASE SAVEPOINT unit
//! balance rows (summed, key order); COMMIT
//! ```
//! Savepoints are not free (SQLite copies every page a unit touches into a sub-journal,
//! PostgreSQL opens a subtransaction per unit and a round trip per boundary), hence the fast
//! pass first. On PostgreSQL the fast pass is pipelined (see `pipeline`): all statements in
//! one round trip, any answer off the success path sends the batch to the careful pass.
//! Either way the batch ends in one COMMIT: one fsync for all its units.

use super::ledger::BalanceDeltas;
use super::prepare::PreparedUnit;
use super::write::apply_op;
use super::{OpError, pipeline};
use crate::error::{CommitError, StoreError};
use crate::limits::RETRY_MAX_ATTEMPTS;
use crate::sql::{Exec, Param, TxMode};
use crate::types::OpResult;

/// What one unit of a batch got.
pub(crate) type UnitResult = Result<Vec<OpResult>, CommitError>;

/// A committed batch.
pub(crate) struct Committed {
    /// One result per unit, in order.
    pub(crate) results: Vec<UnitResult>,
    /// Whether the careful (savepoint) pass was needed.
    pub(crate) careful: bool,
}

/// Runs `units` as one transaction. `Err` means the transaction as a whole failed (nothing was
/// committed) and every unit gets that error; per-unit failures are inside the `Ok` vector.
pub(crate) async fn run<E: Exec>(
    e: &mut E,
    units: &[&PreparedUnit],
) -> Result<Committed, StoreError> {
    let mut attempt = 1;
    loop {
        match run_once(e, units).await {
            Err(err) if err.is_retryable() && attempt < RETRY_MAX_ATTEMPTS => {
                tracing::debug!(error = %err, attempt, "group commit retried");
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn run_once<E: Exec>(e: &mut E, units: &[&PreparedUnit]) -> Result<Committed, StoreError> {
    e.begin(TxMode::Write).await?;
    let fast = if e.pipelines() {
        pipelined_pass(e, units).await
    } else {
        fast_pass(e, units).await
    };
    match fast {
        Ok(Some(results)) => {
            return finish(
                e,
                Ok(Committed {
                    results,
                    careful: false,
                }),
            )
            .await;
        }
        Ok(None) => e.rollback().await?,
        Err(err) => return finish(e, Err(err)).await,
    }
    e.begin(TxMode::Write).await?;
    let results = careful_pass(e, units).await;
    finish(
        e,
        results.map(|results| Committed {
            results,
            careful: true,
        }),
    )
    .await
}

/// COMMIT after success, ROLLBACK after failure (a failed COMMIT has usually ended the
/// transaction already; the ROLLBACK makes sure).
async fn finish<E: Exec, T>(e: &mut E, outcome: Result<T, StoreError>) -> Result<T, StoreError> {
    let outcome = match outcome {
        Ok(value) => e.commit().await.map(|()| value),
        Err(err) => Err(err),
    };
    if outcome.is_err() {
        let _ = e.rollback().await;
    }
    outcome
}

async fn fast_pass<E: Exec>(
    e: &mut E,
    units: &[&PreparedUnit],
) -> Result<Option<Vec<UnitResult>>, StoreError> {
    let mut deltas = BalanceDeltas::default();
    let mut results = Vec::with_capacity(units.len());
    for unit in units {
        let mut mine = BalanceDeltas::default();
        match apply_unit(e, unit, &mut mine).await {
            Ok(done) if deltas.merge(mine).is_ok() => results.push(Ok(done)),
            // Nothing of this unit was written: it stops at its first op, before any write.
            Err(conflict @ CommitError::Conflict { op_index: 0, .. }) => {
                results.push(Err(conflict))
            }
            // Something of this unit is written (or the transaction is aborted): start over.
            Ok(_) | Err(_) => return Ok(None),
        }
    }
    deltas.apply(e).await?;
    Ok(Some(results))
}

/// The fast pass of an engine with round trips (PostgreSQL): see `pipeline`.
async fn pipelined_pass<E: Exec>(
    e: &mut E,
    units: &[&PreparedUnit],
) -> Result<Option<Vec<UnitResult>>, StoreError> {
    let Some(plan) = pipeline::plan(units) else {
        return Ok(None);
    };
    let statements: Vec<(&str, &[Param<'_>])> = plan
        .statements
        .iter()
        .map(|s| (s.sql, &s.params[..]))
        .collect();
    let answers = e.pipeline(&statements).await?;
    let Some((results, deltas)) = plan.results(units, &answers) else {
        return Ok(None);
    };
    deltas.apply(e).await?;
    Ok(Some(results.into_iter().map(Ok).collect()))
}

async fn careful_pass<E: Exec>(
    e: &mut E,
    units: &[&PreparedUnit],
) -> Result<Vec<UnitResult>, StoreError> {
    let mut deltas = BalanceDeltas::default();
    let mut results = Vec::with_capacity(units.len());
    e.batch("SAVEPOINT unit").await?;
    for (index, unit) in units.iter().enumerate() {
        let result = unit_with_retry(e, unit, &mut deltas).await?;
        let next = if index + 1 < units.len() {
            "; SAVEPOINT unit"
        } else {
            ""
        };
        let close = if result.is_ok() {
            "RELEASE SAVEPOINT unit"
        } else {
            "ROLLBACK TO SAVEPOINT unit; RELEASE SAVEPOINT unit"
        };
        e.batch(&format!("{close}{next}")).await?;
        results.push(result);
    }
    deltas.apply(e).await?;
    Ok(results)
}

/// Applies one unit inside the open savepoint; a deadlock victim is rolled back to the
/// savepoint and run again. Its balance changes join `batch` only if it succeeds.
async fn unit_with_retry<E: Exec>(
    e: &mut E,
    unit: &PreparedUnit,
    batch: &mut BalanceDeltas,
) -> Result<UnitResult, StoreError> {
    let mut attempt = 1;
    loop {
        let mut mine = BalanceDeltas::default();
        let result = apply_unit(e, unit, &mut mine).await;
        match result {
            Ok(done) => {
                return Ok(match batch.merge(mine) {
                    Ok(()) => Ok(done),
                    Err(err) => Err(CommitError::Store(err)),
                });
            }
            Err(CommitError::Store(err)) if err.is_retryable() && attempt < RETRY_MAX_ATTEMPTS => {
                e.batch("ROLLBACK TO SAVEPOINT unit").await?;
                attempt += 1;
            }
            Err(err) => return Ok(Err(err)),
        }
    }
}

async fn apply_unit<E: Exec>(
    e: &mut E,
    unit: &PreparedUnit,
    deltas: &mut BalanceDeltas,
) -> UnitResult {
    let mut results = Vec::with_capacity(unit.len());
    for (op_index, (op, prep)) in unit.ops().enumerate() {
        match apply_op(e, op, prep, deltas).await {
            Ok(r) => results.push(r),
            Err(OpError::Conflict(what)) => return Err(CommitError::Conflict { op_index, what }),
            Err(OpError::Store(err)) => return Err(CommitError::Store(err)),
        }
    }
    Ok(results)
}
