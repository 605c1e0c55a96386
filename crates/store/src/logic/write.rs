//! One operation at a time: each maps to a statement that reports an expected conflict as a
//! row count (`ON CONFLICT DO NOTHING`, `WHERE version = $n`) instead of an error, so a
//! conflicting unit is rolled back to its savepoint without aborting the transaction.

use super::ledger::{BalanceDeltas, post_entry};
use super::prepare::Prep;
use super::{OpError, outbox};
use crate::error::{ConflictKind, StoreError};
use crate::sql::{Exec, ExecSql, Sql, params};
use crate::types::{EventRow, ObjectRow, Op, OpResult};

pub(crate) static INSERT_MERCHANT: Sql = Sql::new(
    "INSERT INTO merchants (id, name, created, settings) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (id) DO NOTHING",
);
pub(crate) static UPDATE_MERCHANT_SETTINGS: Sql =
    Sql::new("UPDATE merchants SET settings = $2 WHERE id = $1");
pub(crate) static INSERT_API_KEY: Sql = Sql::new(
    "INSERT INTO api_keys (id, merchant_id, livemode, kind, key_hash, display, created, revoked_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
);
pub(crate) static REVOKE_API_KEY: Sql =
    Sql::new("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL");
pub(crate) static API_KEY_EXISTS: Sql = Sql::new("SELECT 1 FROM api_keys WHERE id = $1");
pub(crate) static INSERT_OBJECT: Sql = Sql::new(
    "INSERT INTO objects (id, merchant_id, livemode, kind, parent, tag, due, created, version, data) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
);
pub(crate) static UPDATE_OBJECT: Sql = Sql::new(
    "UPDATE objects SET data = $3, tag = $4, due = $5, version = version + 1 \
     WHERE id = $1 AND version = $2",
);
pub(crate) static OBJECT_EXISTS: Sql = Sql::new("SELECT 1 FROM objects WHERE id = $1");
pub(crate) static INSERT_PENDING_EVENT: Sql = Sql::new(
    "INSERT INTO pending_events (event_id, merchant_id, livemode, event_type, created) \
     VALUES ($1, $2, $3, $4, $5)",
);
pub(crate) static IDEMPOTENCY_BEGIN: Sql = Sql::new(
    "INSERT INTO idempotency (merchant_id, livemode, idem_key, request_hash, state, owner, status, body, created) \
     VALUES ($1, $2, $3, $4, 'in_flight', $5, NULL, NULL, $6) ON CONFLICT DO NOTHING",
);
pub(crate) static IDEMPOTENCY_FINISH: Sql = Sql::new(
    "UPDATE idempotency SET state = 'done', status = $4, body = $5 \
     WHERE merchant_id = $1 AND livemode = $2 AND idem_key = $3",
);
pub(crate) static IDEMPOTENCY_INSERT_DONE: Sql = Sql::new(
    "INSERT INTO idempotency (merchant_id, livemode, idem_key, request_hash, state, owner, status, body, created) \
     VALUES ($1, $2, $3, $4, 'done', '', $5, $6, $7) ON CONFLICT DO NOTHING",
);
pub(crate) static IDEMPOTENCY_RELEASE: Sql = Sql::new(
    "DELETE FROM idempotency WHERE merchant_id = $1 AND livemode = $2 AND idem_key = $3 \
     AND state = 'in_flight'",
);
pub(crate) static PUT_ATTEMPT: Sql = Sql::new(
    "INSERT INTO attempts (id, merchant_id, livemode, owner_node, state, created, data) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET \
     merchant_id = excluded.merchant_id, livemode = excluded.livemode, owner_node = excluded.owner_node, \
     state = excluded.state, created = excluded.created, data = excluded.data",
);
pub(crate) static SET_PARENT: Sql = Sql::new("UPDATE objects SET parent = $2 WHERE id = $1");
pub(crate) static DELETE_ATTEMPT: Sql = Sql::new("DELETE FROM attempts WHERE id = $1");
pub(crate) static DELETE_VAULT_CARD: Sql = Sql::new("DELETE FROM vault_cards WHERE id = $1");
pub(crate) static INSERT_VAULT_CARD: Sql = Sql::new(
    "INSERT INTO vault_cards (id, merchant_id, kek_id, wrapped_dek, ciphertext, fingerprint, created) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
);
pub(crate) static REWRAP_VAULT_CARD: Sql =
    Sql::new("UPDATE vault_cards SET kek_id = $3, wrapped_dek = $4 WHERE id = $1 AND kek_id = $2");
pub(crate) static VAULT_CARD_EXISTS: Sql = Sql::new("SELECT 1 FROM vault_cards WHERE id = $1");

/// Applies one operation with what was prepared for it (see `prepare`).
/// Ledger balance changes go to `deltas` (applied once per batch).
///
/// Every operation reports a conflict before it has written anything; the batch's fast pass
/// relies on that. The match only picks the op family.
pub(crate) async fn apply_op<E: Exec>(
    e: &mut E,
    op: &Op,
    prep: &Prep,
    deltas: &mut BalanceDeltas,
) -> Result<OpResult, OpError> {
    match op {
        Op::InsertMerchant(_)
        | Op::UpdateMerchantSettings { .. }
        | Op::InsertApiKey(_)
        | Op::RevokeApiKey { .. } => merchant_or_key(e, op, prep).await,
        Op::InsertObject(o) => insert_object(e, o, &prep.doc(&o.data)).await,
        Op::UpdateObject {
            id,
            expected_version,
            data,
            tag,
            due,
        } => update_object(e, id, *expected_version, &prep.doc(data), tag, *due).await,
        Op::SetParent { id, parent } => inserted(
            e.run(&SET_PARENT, params![id, parent]).await?,
            ConflictKind::NotFound,
        ),
        Op::InsertEvent(ev) => insert_event(e, ev, &prep.doc(&ev.data)).await,
        Op::Ledger(entry, created) => {
            post_entry(e, entry, &prep.postings(entry), *created, deltas).await
        }
        Op::IdempotencyBegin { .. }
        | Op::IdempotencyFinish { .. }
        | Op::IdempotencyInsertDone { .. }
        | Op::IdempotencyRelease { .. } => idempotency(e, op).await,
        Op::PutAttempt(_)
        | Op::DeleteAttempt { .. }
        | Op::InsertVaultCard(_)
        | Op::DeleteVaultCard { .. }
        | Op::RewrapVaultCard { .. } => attempt_or_vault(e, op, prep).await,
        Op::DeliveryResult { .. } | Op::EnqueueDelivery { .. } => delivery(e, op).await,
    }
}

/// `apply_op` sent an op to a family function that does not handle it.
fn misrouted(op: &Op) -> OpError {
    OpError::Store(StoreError::Internal(format!(
        "operation {} sent to the wrong family",
        op.name()
    )))
}

/// Merchants and API keys.
async fn merchant_or_key<E: Exec>(e: &mut E, op: &Op, prep: &Prep) -> Result<OpResult, OpError> {
    match op {
        Op::InsertMerchant(m) => {
            let settings = prep.doc(&m.settings);
            let p = params![&m.id, &m.name, m.created, settings.as_ref()];
            inserted(
                e.run(&INSERT_MERCHANT, p).await?,
                ConflictKind::ObjectExists,
            )
        }
        Op::UpdateMerchantSettings { id, settings } => {
            let n = e
                .run(
                    &UPDATE_MERCHANT_SETTINGS,
                    params![id, prep.doc(settings).as_ref()],
                )
                .await?;
            inserted(n, ConflictKind::NotFound)
        }
        Op::InsertApiKey(k) => {
            let p = params![
                &k.id,
                &k.merchant_id,
                k.livemode,
                &k.kind,
                &k.key_hash,
                &k.display,
                k.created,
                k.revoked_at
            ];
            inserted(e.run(&INSERT_API_KEY, p).await?, ConflictKind::ObjectExists)
        }
        Op::RevokeApiKey { id, revoked_at } => revoke_api_key(e, id, *revoked_at).await,
        _ => Err(misrouted(op)),
    }
}

/// Idempotency keys.
async fn idempotency<E: Exec>(e: &mut E, op: &Op) -> Result<OpResult, OpError> {
    match op {
        Op::IdempotencyBegin {
            scope,
            key,
            request_hash,
            owner,
            created,
        } => {
            let p = params![
                &scope.merchant_id,
                scope.livemode,
                key,
                request_hash,
                owner,
                *created
            ];
            inserted(
                e.run(&IDEMPOTENCY_BEGIN, p).await?,
                ConflictKind::IdempotencyKeyExists,
            )
        }
        Op::IdempotencyFinish {
            scope,
            key,
            status,
            body,
        } => {
            let p = params![
                &scope.merchant_id,
                scope.livemode,
                key,
                i64::from(*status),
                body
            ];
            inserted(e.run(&IDEMPOTENCY_FINISH, p).await?, ConflictKind::NotFound)
        }
        Op::IdempotencyInsertDone {
            scope,
            key,
            request_hash,
            status,
            body,
            created,
        } => {
            let p = params![
                &scope.merchant_id,
                scope.livemode,
                key,
                request_hash,
                i64::from(*status),
                body,
                *created
            ];
            inserted(
                e.run(&IDEMPOTENCY_INSERT_DONE, p).await?,
                ConflictKind::IdempotencyKeyExists,
            )
        }
        Op::IdempotencyRelease { scope, key } => {
            let p = params![&scope.merchant_id, scope.livemode, key];
            Ok(done_or_exists(e.run(&IDEMPOTENCY_RELEASE, p).await?))
        }
        _ => Err(misrouted(op)),
    }
}

/// Crash-recovery records and vault cards.
async fn attempt_or_vault<E: Exec>(e: &mut E, op: &Op, prep: &Prep) -> Result<OpResult, OpError> {
    match op {
        Op::PutAttempt(a) => {
            let data = prep.doc(&a.data);
            let p = params![
                &a.id,
                &a.merchant_id,
                a.livemode,
                &a.owner_node,
                &a.state,
                a.created,
                data.as_ref()
            ];
            e.run(&PUT_ATTEMPT, p).await?;
            Ok(OpResult::Done)
        }
        Op::DeleteAttempt { id } => Ok(done_or_exists(e.run(&DELETE_ATTEMPT, params![id]).await?)),
        Op::DeleteVaultCard { id } => Ok(done_or_exists(
            e.run(&DELETE_VAULT_CARD, params![id]).await?,
        )),
        Op::InsertVaultCard(c) => {
            let p = params![
                &c.id,
                &c.merchant_id,
                &c.kek_id,
                &c.wrapped_dek,
                &c.ciphertext,
                &c.fingerprint,
                c.created
            ];
            inserted(
                e.run(&INSERT_VAULT_CARD, p).await?,
                ConflictKind::ObjectExists,
            )
        }
        Op::RewrapVaultCard {
            id,
            expected_kek_id,
            kek_id,
            wrapped_dek,
        } => {
            if e.run(
                &REWRAP_VAULT_CARD,
                params![id, expected_kek_id, kek_id, wrapped_dek],
            )
            .await?
                == 1
            {
                return Ok(OpResult::Done);
            }
            missing_or(e, &VAULT_CARD_EXISTS, id, ConflictKind::VersionMismatch).await
        }
        _ => Err(misrouted(op)),
    }
}

/// Webhook deliveries: an attempt's result, a manual (re)delivery.
async fn delivery<E: Exec>(e: &mut E, op: &Op) -> Result<OpResult, OpError> {
    match op {
        Op::DeliveryResult {
            delivery_id,
            attempt,
            next_attempt_at,
            state,
        } => outbox::record_delivery_result(e, delivery_id, attempt, *next_attempt_at, state).await,
        Op::EnqueueDelivery {
            event_id,
            endpoint_id,
            merchant_id,
            livemode,
            next_attempt_at,
        } => {
            outbox::enqueue_delivery(
                e,
                event_id,
                endpoint_id,
                merchant_id,
                *livemode,
                *next_attempt_at,
            )
            .await
        }
        _ => Err(misrouted(op)),
    }
}

async fn revoke_api_key<E: Exec>(
    e: &mut E,
    id: &str,
    revoked_at: i64,
) -> Result<OpResult, OpError> {
    if e.run(&REVOKE_API_KEY, params![id, revoked_at]).await? == 1 {
        return Ok(OpResult::Done);
    }
    match e.first(&API_KEY_EXISTS, params![id]).await? {
        None => Err(OpError::Conflict(ConflictKind::NotFound)),
        Some(_) => Ok(OpResult::Exists),
    }
}

async fn insert_object<E: Exec>(e: &mut E, o: &ObjectRow, data: &str) -> Result<OpResult, OpError> {
    let p = params![
        &o.id,
        &o.merchant_id,
        o.livemode,
        &o.kind,
        &o.parent,
        &o.tag,
        o.due,
        o.created,
        o.version,
        data
    ];
    inserted(e.run(&INSERT_OBJECT, p).await?, ConflictKind::ObjectExists)
}

async fn update_object<E: Exec>(
    e: &mut E,
    id: &str,
    expected_version: i64,
    data: &str,
    tag: &Option<String>,
    due: Option<i64>,
) -> Result<OpResult, OpError> {
    if e.run(
        &UPDATE_OBJECT,
        params![id, expected_version, data, tag, due],
    )
    .await?
        == 1
    {
        return Ok(OpResult::Done);
    }
    missing_or(e, &OBJECT_EXISTS, id, ConflictKind::VersionMismatch).await
}

/// The event object (kind "event", tag = type) and its outbox row.
async fn insert_event<E: Exec>(e: &mut E, ev: &EventRow, data: &str) -> Result<OpResult, OpError> {
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
        data
    ];
    inserted(e.run(&INSERT_OBJECT, p).await?, ConflictKind::ObjectExists)?;
    let p = params![
        &ev.id,
        &ev.merchant_id,
        ev.livemode,
        &ev.event_type,
        ev.created
    ];
    e.run(&INSERT_PENDING_EVENT, p).await?;
    Ok(OpResult::Done)
}

fn done_or_exists(rows: u64) -> OpResult {
    if rows == 0 {
        OpResult::Exists
    } else {
        OpResult::Done
    }
}

/// One changed row means done; none means `conflict`.
fn inserted(rows: u64, conflict: ConflictKind) -> Result<OpResult, OpError> {
    if rows == 0 {
        Err(OpError::Conflict(conflict))
    } else {
        Ok(OpResult::Done)
    }
}

/// After an update that changed nothing: `NotFound` if the row is missing, else `conflict`.
async fn missing_or<E: Exec>(
    e: &mut E,
    probe: &'static Sql,
    id: &str,
    conflict: ConflictKind,
) -> Result<OpResult, OpError> {
    match e.first(probe, params![id]).await? {
        None => Err(OpError::Conflict(ConflictKind::NotFound)),
        Some(_) => Err(OpError::Conflict(conflict)),
    }
}
