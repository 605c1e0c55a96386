//! [`RequestContext`]: what the engine knows of the request it runs for — whose objects
//! (scope and merchant), when (`now`, from the injectable clock), which request (`request_id`,
//! carried into events) and its idempotency key, with the protocol that stores the first result
//! under that key in the same transaction as the state change it reports.
//!
//! A mutating request runs at most once per (merchant, mode, key): phase 1 of a multi-step
//! operation marks the key in flight ([`RequestContext::begin`]); the commit that completes it
//! stores the result ([`RequestContext::finish`]). Nothing here knows HTTP: the HTTP shell
//! builds a context per request (`http::Ctx` derefs to it) and tests or jobs can build one too.

use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;
use axum::http::StatusCode;
use paygate_payments::PaymentIntentStatus as Status;
use paygate_store::{CommitError, ConflictKind, MerchantRow, Op, OpResult, Scope, WriteUnit};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// How far a request got in the idempotency protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdemStage {
    None,
    Begun,
    Finished,
    /// Begun, and the outcome is in the hands of the recovery record the engine kept (the
    /// counterparty's answer is unknown, or its outcome could not be stored): the key stays
    /// in flight — a retry is answered 409 — until recovery (or the in-process reverser)
    /// finishes the record and with it the key. Freeing it at once let a retry refund twice.
    Held,
}

/// The request an operation runs for.
pub struct RequestContext {
    pub st: SharedState,
    /// `req_…` of the request (events written by it carry it as `request.id`).
    pub request_id: String,
    /// The merchant whose objects the request reads and writes (fees, settlement days).
    pub merchant: MerchantRow,
    pub livemode: bool,
    /// The time of the request, read once from the state's clock.
    pub now: i64,
    idem: Option<(String, String)>,
    stage: Arc<Mutex<IdemStage>>,
}

impl RequestContext {
    /// A context for `merchant`; `idempotency` is the key and the hash of the request it was
    /// first used with.
    pub fn new(
        st: SharedState,
        request_id: String,
        merchant: MerchantRow,
        livemode: bool,
        idempotency: Option<(String, String)>,
    ) -> RequestContext {
        RequestContext {
            now: st.now(),
            st,
            request_id,
            merchant,
            livemode,
            idem: idempotency,
            stage: Arc::new(Mutex::new(IdemStage::None)),
        }
    }

    pub fn scope(&self) -> Scope {
        Scope {
            merchant_id: self.merchant.id.clone(),
            livemode: self.livemode,
        }
    }

    /// A handle on the idempotency stage that outlives the context (the HTTP shell reads it
    /// after the handler consumed the context, to decide what to store for an error).
    pub fn stage_handle(&self) -> Arc<Mutex<IdemStage>> {
        self.stage.clone()
    }

    pub fn idempotency_key(&self) -> Option<&str> {
        self.idem.as_ref().map(|(k, _)| k.as_str())
    }

    fn stage(&self) -> IdemStage {
        *self.stage.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_stage(&self, s: IdemStage) {
        *self.stage.lock().unwrap_or_else(|p| p.into_inner()) = s;
    }

    /// The request fails with its outcome left to the recovery record: keep the key in flight.
    pub fn hold_for_recovery(&self) {
        if self.stage() == IdemStage::Begun {
            self.set_stage(IdemStage::Held);
        }
    }

    /// Adds the "request in flight" marker to the first unit of a multi-step request (one that
    /// talks to the network between two commits).
    pub fn begin(&self, unit: &mut WriteUnit) {
        if let Some((key, hash)) = &self.idem {
            unit.ops.push(Op::IdempotencyBegin {
                scope: self.scope(),
                key: key.clone(),
                request_hash: hash.clone(),
                owner: self.st.cfg.node_id.clone(),
                created: self.now,
            });
        }
    }

    /// Adds the stored result to the unit that completes the request.
    pub fn finish(&self, unit: &mut WriteUnit, status: StatusCode, body: &Value) {
        let Some((key, hash)) = &self.idem else {
            return;
        };
        let body = body.to_string();
        let op = if self.stage() == IdemStage::None {
            Op::IdempotencyInsertDone {
                scope: self.scope(),
                key: key.clone(),
                request_hash: hash.clone(),
                status: status.as_u16(),
                body,
                created: self.now,
            }
        } else {
            Op::IdempotencyFinish {
                scope: self.scope(),
                key: key.clone(),
                status: status.as_u16(),
                body,
            }
        };
        unit.ops.push(op);
    }

    /// Commits a unit; marks the idempotency stage from the ops it carried.
    pub async fn commit(&self, unit: WriteUnit) -> ApiResult<Vec<OpResult>> {
        let begins = unit
            .ops
            .iter()
            .any(|o| matches!(o, Op::IdempotencyBegin { .. }));
        let finishes = unit.ops.iter().any(|o| {
            matches!(
                o,
                Op::IdempotencyFinish { .. } | Op::IdempotencyInsertDone { .. }
            )
        });
        let r = self.st.store.commit(unit).await.map_err(commit_error)?;
        if finishes {
            self.set_stage(IdemStage::Finished);
        } else if begins {
            self.set_stage(IdemStage::Begun);
        }
        Ok(r)
    }

    /// Commits the outcome of a payment (phase 3). While the payment was in flight its intent
    /// could only change by bookkeeping updates (metadata, description, …: the transition table
    /// refuses every payment operation on a `processing` intent); one that landed meanwhile
    /// bumped the intent's version. Its fields are merged into the outcome, which is then
    /// committed again, so the update neither fails an approved payment nor is lost.
    pub async fn commit_outcome(&self, unit: WriteUnit) -> ApiResult<Vec<OpResult>> {
        let finishes = unit.ops.iter().any(|o| {
            matches!(
                o,
                Op::IdempotencyFinish { .. } | Op::IdempotencyInsertDone { .. }
            )
        });
        let mut unit = unit;
        for _ in 0..OUTCOME_MERGES_MAX {
            let (result, back) = self.st.store.commit_returning(unit).await;
            let (
                Err(CommitError::Conflict {
                    what: ConflictKind::VersionMismatch,
                    op_index,
                }),
                Some(mut back),
            ) = (&result, back)
            else {
                return self.mark_committed(result.map_err(commit_error), finishes);
            };
            let op_index = *op_index;
            if !merge_bookkeeping_into(&self.st, &self.scope(), &mut back, op_index).await? {
                return self.mark_committed(result.map_err(commit_error), finishes);
            }
            unit = back;
        }
        Err(ApiError::conflict(
            "This object was modified by too many requests at the same time; please retry.",
        ))
    }

    fn mark_committed(
        &self,
        r: ApiResult<Vec<OpResult>>,
        finishes: bool,
    ) -> ApiResult<Vec<OpResult>> {
        if r.is_ok() && finishes {
            self.set_stage(IdemStage::Finished);
        }
        r
    }

    /// Finishes the request with a success body in one commit with `unit`.
    pub async fn commit_ok(&self, mut unit: WriteUnit, body: Value) -> ApiResult<Value> {
        self.finish(&mut unit, StatusCode::OK, &body);
        self.commit(unit).await?;
        Ok(body)
    }

    /// [`RequestContext::commit_ok`] of an intent a `method` put in `requires_action` before
    /// any authorization (a page, a challenge, a deposit to wait for), counted as that
    /// payment outcome once committed.
    pub async fn commit_requires_action(
        &self,
        unit: WriteUnit,
        body: Value,
        method: crate::methods::PaymentMethodKind,
    ) -> ApiResult<Value> {
        let body = self.commit_ok(unit, body).await?;
        let counted = crate::metrics::Counted::Payment(
            method,
            crate::metrics::PaymentOutcome::RequiresAction,
        );
        self.st.metrics.count(counted);
        Ok(body)
    }
}

/// How often an outcome commit merges concurrent bookkeeping updates before giving up.
const OUTCOME_MERGES_MAX: usize = 8;

/// When op `op_index` of `unit` is an intent update that lost to a bookkeeping update, takes
/// the stored bookkeeping fields and version into it; false when the conflict is another one.
async fn merge_bookkeeping_into(
    st: &SharedState,
    scope: &Scope,
    unit: &mut WriteUnit,
    op_index: usize,
) -> ApiResult<bool> {
    let Some(Op::UpdateObject {
        id,
        expected_version,
        data,
        ..
    }) = unit.ops.get_mut(op_index)
    else {
        return Ok(false);
    };
    if data["object"] != "payment_intent" {
        return Ok(false);
    }
    let Some(row) = st.store.get_object(scope, id).await? else {
        return Ok(false);
    };
    // Only a bookkeeping update leaves a `processing` intent `processing`. Anything else (the
    // sweeper of another process recovered the attempt and reversed it at the network) is a
    // real conflict: the outcome must not overwrite it.
    if row.data["status"] != Status::Processing.as_str() {
        return Ok(false);
    }
    crate::records::merge_bookkeeping(data, &row.data);
    *expected_version = row.version;
    Ok(true)
}

/// Maps store conflicts to API errors (a racing duplicate request is a 409; a store that
/// cannot write is a 503).
pub fn commit_error(e: CommitError) -> ApiError {
    match e {
        CommitError::Conflict {
            what: ConflictKind::IdempotencyKeyExists,
            ..
        } => ApiError::idempotency_in_flight(),
        CommitError::Conflict {
            what: ConflictKind::VersionMismatch,
            ..
        } => ApiError::conflict(
            "This object was modified by another request at the same time; please retry.",
        ),
        // The one mapping of a store that cannot write (it also records whether the write
        // may still have landed).
        CommitError::Store(e) if e.is_unavailable() => ApiError::from(e),
        other => crate::error::GatewayError::Commit(other).into(),
    }
}
