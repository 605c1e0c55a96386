//! The PostgreSQL fast pass: every statement of a batch sent back to back, without waiting
//! for each answer (tokio-postgres pipelines requests polled together), then checked.
//!
//! Each operation is planned as the statements of its success path, with the row count
//! each must report. If every count matches, every unit succeeded and the batch cost one
//! round trip instead of one per statement. Any other answer (a conflict, an error) sends the
//! whole batch to the careful pass, which works out each unit's exact result; conflicts are
//! rare, round trips are not.

use super::ledger::BalanceDeltas;
use super::prepare::{Prep, PreparedUnit};
use super::write as w;
use crate::error::StoreError;
use crate::sql::{Dialect, Param, Sql, params};
use crate::types::{EventRow, Op, OpResult};
use paygate_ledger::Entry;

/// How many rows a planned statement must report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Exactly this many: anything else leaves the success path.
    Exactly(u64),
    /// One (the operation is `Done`) or none (`Exists`: already in the desired state).
    DoneOrExists,
}

/// One statement of a plan.
pub(crate) struct Planned<'a> {
    pub(crate) sql: &'static str,
    pub(crate) params: Vec<Param<'a>>,
    pub(crate) expect: Expect,
}

/// The statements of every unit, and for each unit, each op's deciding statement index.
pub(crate) struct Plan<'a> {
    pub(crate) statements: Vec<Planned<'a>>,
    deciders: Vec<Vec<usize>>,
}

// PostgreSQL-only: the attempt log row takes the delivery's scope from the updated row.
static DELIVERY_RESULT: Sql = Sql::new(
    "WITH d AS (UPDATE deliveries SET state = $2, attempts = $3, next_attempt_at = COALESCE($4, next_attempt_at), \
     locked_by = NULL, locked_until = NULL WHERE id = $1 RETURNING merchant_id, livemode) \
     INSERT INTO delivery_attempts (delivery_id, event_id, endpoint_id, merchant_id, livemode, attempt_no, at, \
     status_code, error, duration_ms) SELECT $1, $5, $6, d.merchant_id, d.livemode, $3, $7, $8, $9, $10 FROM d",
);

/// Plans a batch, or `None` if some operation has no plannable success path.
pub(crate) fn plan<'a>(units: &[&'a PreparedUnit]) -> Option<Plan<'a>> {
    let mut plan = Plan {
        statements: Vec::new(),
        deciders: Vec::with_capacity(units.len()),
    };
    for unit in units {
        let mut deciders = Vec::with_capacity(unit.len());
        for (op, prep) in unit.ops() {
            deciders.push(plan.statements.len());
            plan_op(op, prep, &mut plan.statements)?;
        }
        plan.deciders.push(deciders);
    }
    Some(plan)
}

fn one<'a>(sql: &'static Sql, params: &[Param<'a>]) -> Planned<'a> {
    Planned {
        sql: sql.text(Dialect::Postgres),
        params: params.to_vec(),
        expect: Expect::Exactly(1),
    }
}

/// A statement whose row count may be one (`Done`) or none (`Exists`).
fn done_or_exists(mut planned: Planned<'_>) -> Planned<'_> {
    planned.expect = Expect::DoneOrExists;
    planned
}

fn doc(prep: &Prep) -> Option<&str> {
    match prep {
        Prep::Doc(text) => Some(text),
        _ => None,
    }
}

/// Plans one operation: the top-level match only picks the op family.
fn plan_op<'a>(op: &'a Op, prep: &'a Prep, out: &mut Vec<Planned<'a>>) -> Option<()> {
    let planned = match op {
        Op::InsertMerchant(_)
        | Op::UpdateMerchantSettings { .. }
        | Op::InsertApiKey(_)
        | Op::RevokeApiKey { .. } => plan_merchant_or_key(op, prep)?,
        Op::InsertObject(_) | Op::UpdateObject { .. } | Op::SetParent { .. } => {
            plan_object(op, prep)?
        }
        Op::InsertEvent(ev) => return plan_event(ev, prep, out),
        Op::Ledger(entry, created) => return plan_ledger(entry, *created, prep, out),
        Op::IdempotencyBegin { .. }
        | Op::IdempotencyFinish { .. }
        | Op::IdempotencyInsertDone { .. }
        | Op::IdempotencyRelease { .. } => plan_idempotency(op)?,
        Op::PutAttempt(_)
        | Op::DeleteAttempt { .. }
        | Op::InsertVaultCard(_)
        | Op::DeleteVaultCard { .. }
        | Op::RewrapVaultCard { .. } => plan_attempt_or_vault(op, prep)?,
        Op::DeliveryResult { .. } => plan_delivery_result(op)?,
        // Rare (manual resend), and its checks need answers first: the careful pass runs it.
        Op::EnqueueDelivery { .. } => return None,
    };
    out.push(planned);
    Some(())
}

/// Merchants and API keys. `None` (the careful pass) for any other op.
fn plan_merchant_or_key<'a>(op: &'a Op, prep: &'a Prep) -> Option<Planned<'a>> {
    Some(match op {
        Op::InsertMerchant(m) => one(
            &w::INSERT_MERCHANT,
            params![&m.id, &m.name, m.created, doc(prep)?],
        ),
        Op::UpdateMerchantSettings { id, .. } => {
            one(&w::UPDATE_MERCHANT_SETTINGS, params![id, doc(prep)?])
        }
        Op::InsertApiKey(k) => one(
            &w::INSERT_API_KEY,
            params![
                &k.id,
                &k.merchant_id,
                k.livemode,
                &k.kind,
                &k.key_hash,
                &k.display,
                k.created,
                k.revoked_at
            ],
        ),
        Op::RevokeApiKey { id, revoked_at } => one(&w::REVOKE_API_KEY, params![id, *revoked_at]),
        _ => return None,
    })
}

/// Objects: insert, versioned update, parent. `None` (the careful pass) for any other op.
fn plan_object<'a>(op: &'a Op, prep: &'a Prep) -> Option<Planned<'a>> {
    Some(match op {
        Op::InsertObject(o) => one(
            &w::INSERT_OBJECT,
            params![
                &o.id,
                &o.merchant_id,
                o.livemode,
                &o.kind,
                &o.parent,
                &o.tag,
                o.due,
                o.created,
                o.version,
                doc(prep)?
            ],
        ),
        Op::UpdateObject {
            id,
            expected_version,
            tag,
            due,
            ..
        } => one(
            &w::UPDATE_OBJECT,
            params![id, *expected_version, doc(prep)?, tag, *due],
        ),
        Op::SetParent { id, parent } => one(&w::SET_PARENT, params![id, parent]),
        _ => return None,
    })
}

/// The event object and its outbox row.
fn plan_event<'a>(ev: &'a EventRow, prep: &'a Prep, out: &mut Vec<Planned<'a>>) -> Option<()> {
    let p = params![
        &ev.id,
        &ev.merchant_id,
        ev.livemode,
        "event",
        None::<&str>,
        &ev.event_type,
        None::<i64>,
        ev.created,
        1_i64,
        doc(prep)?
    ];
    out.push(one(&w::INSERT_OBJECT, p));
    out.push(one(
        &w::INSERT_PENDING_EVENT,
        params![
            &ev.id,
            &ev.merchant_id,
            ev.livemode,
            &ev.event_type,
            ev.created
        ],
    ));
    Some(())
}

/// The ledger entry row and all its postings in one statement.
fn plan_ledger<'a>(
    entry: &'a Entry,
    created: i64,
    prep: &'a Prep,
    out: &mut Vec<Planned<'a>>,
) -> Option<()> {
    let Prep::Postings(rows) = prep else {
        return None;
    };
    out.push(one(
        &super::ledger::INSERT_ENTRY,
        params![&entry.id, entry.kind.as_str(), &entry.reference, created],
    ));
    let (sql, params) =
        super::ledger::postings_statement(Dialect::Postgres, &entry.id, rows).ok()?;
    let count = u64::try_from(rows.len()).ok()?;
    out.push(Planned {
        sql,
        params,
        expect: Expect::Exactly(count),
    });
    Some(())
}

/// Idempotency keys. `None` (the careful pass) for any other op.
fn plan_idempotency(op: &Op) -> Option<Planned<'_>> {
    Some(match op {
        Op::IdempotencyBegin {
            scope,
            key,
            request_hash,
            owner,
            created,
        } => one(
            &w::IDEMPOTENCY_BEGIN,
            params![
                &scope.merchant_id,
                scope.livemode,
                key,
                request_hash,
                owner,
                *created
            ],
        ),
        Op::IdempotencyFinish {
            scope,
            key,
            status,
            body,
        } => one(
            &w::IDEMPOTENCY_FINISH,
            params![
                &scope.merchant_id,
                scope.livemode,
                key,
                i64::from(*status),
                body
            ],
        ),
        Op::IdempotencyInsertDone {
            scope,
            key,
            request_hash,
            status,
            body,
            created,
        } => one(
            &w::IDEMPOTENCY_INSERT_DONE,
            params![
                &scope.merchant_id,
                scope.livemode,
                key,
                request_hash,
                i64::from(*status),
                body,
                *created
            ],
        ),
        Op::IdempotencyRelease { scope, key } => done_or_exists(one(
            &w::IDEMPOTENCY_RELEASE,
            params![&scope.merchant_id, scope.livemode, key],
        )),
        _ => return None,
    })
}

/// Crash-recovery records and vault cards. `None` (the careful pass) for any other op.
fn plan_attempt_or_vault<'a>(op: &'a Op, prep: &'a Prep) -> Option<Planned<'a>> {
    Some(match op {
        Op::PutAttempt(a) => one(
            &w::PUT_ATTEMPT,
            params![
                &a.id,
                &a.merchant_id,
                a.livemode,
                &a.owner_node,
                &a.state,
                a.created,
                doc(prep)?
            ],
        ),
        Op::DeleteAttempt { id } => done_or_exists(one(&w::DELETE_ATTEMPT, params![id])),
        Op::DeleteVaultCard { id } => done_or_exists(one(&w::DELETE_VAULT_CARD, params![id])),
        Op::InsertVaultCard(c) => one(
            &w::INSERT_VAULT_CARD,
            params![
                &c.id,
                &c.merchant_id,
                &c.kek_id,
                &c.wrapped_dek,
                &c.ciphertext,
                &c.fingerprint,
                c.created
            ],
        ),
        Op::RewrapVaultCard {
            id,
            expected_kek_id,
            kek_id,
            wrapped_dek,
        } => one(
            &w::REWRAP_VAULT_CARD,
            params![id, expected_kek_id, kek_id, wrapped_dek],
        ),
        _ => return None,
    })
}

/// A webhook delivery's result and its attempt log row. `None` for any other op.
fn plan_delivery_result(op: &Op) -> Option<Planned<'_>> {
    let Op::DeliveryResult {
        delivery_id,
        attempt: a,
        next_attempt_at,
        state,
    } = op
    else {
        return None;
    };
    Some(one(
        &DELIVERY_RESULT,
        params![
            delivery_id,
            state,
            a.attempt_no,
            *next_attempt_at,
            &a.event_id,
            &a.endpoint_id,
            a.at,
            a.status_code.map(i64::from),
            &a.error,
            a.duration_ms
        ],
    ))
}

impl Plan<'_> {
    /// Each unit's op results if every answer is on the success path, with the batch's
    /// balance changes; `None` otherwise.
    pub(crate) fn results(
        &self,
        units: &[&PreparedUnit],
        answers: &[Result<u64, StoreError>],
    ) -> Option<(Vec<Vec<OpResult>>, BalanceDeltas)> {
        let mut rows = Vec::with_capacity(answers.len());
        for (statement, answer) in self.statements.iter().zip(answers) {
            let n = *answer.as_ref().ok()?;
            match statement.expect {
                Expect::Exactly(want) if n != want => return None,
                Expect::DoneOrExists if n > 1 => return None,
                _ => rows.push(n),
            }
        }
        let mut deltas = BalanceDeltas::default();
        let mut results = Vec::with_capacity(units.len());
        for (unit, deciders) in units.iter().zip(&self.deciders) {
            let mut unit_results = Vec::with_capacity(deciders.len());
            for ((op, prep), &decider) in unit.ops().zip(deciders) {
                if let (Op::Ledger(..), Prep::Postings(postings)) = (op, prep) {
                    for p in postings {
                        deltas
                            .add(p.account_key.clone(), p.currency.to_owned(), p.amount)
                            .ok()?;
                    }
                }
                let done =
                    self.statements[decider].expect == Expect::Exactly(1) || rows[decider] == 1;
                unit_results.push(if done {
                    OpResult::Done
                } else {
                    OpResult::Exists
                });
            }
            results.push(unit_results);
        }
        Some((results, deltas))
    }
}
