//! `/v1/refunds` (create, retrieve, update, list) and `/v1/charges` (retrieve, list).

use crate::api::load;
use crate::api::payment_intents::merge_metadata;
use crate::api::refund_params::{RefundCreate, RefundUpdate};
use crate::error::{ApiError, ApiResult, GatewayError};
use crate::http::{Ctx, Req, get, post};
use crate::ids::new_id;
use crate::models::{Charge, Refund, from_value, to_value};
use crate::params::typed::Id;
use crate::postings::{balance_txn, ledger};
use crate::records::{event, insert, update as update_op};
use crate::render::{expand, expand_param, list_envelope, list_request, public};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use paygate_ledger::Currency;
use paygate_payments::{AttemptRecord, ConnectorRef, FollowUpAnswer, FollowUpKind, RefundStatus};
use paygate_store::ListFilter;
use paygate_store::{AttemptRow, Op, Scope, WriteUnit};
use serde::Deserialize;
use serde_json::Map;
use serde_json::{Value, json};

pub async fn create(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, create_inner).await
}

async fn create_inner(mut ctx: Ctx) -> ApiResult<Value> {
    let RefundCreate {
        amount,
        charge: charge_id,
        payment_intent: pi_id,
        reason,
        metadata,
        expand: expands,
    } = RefundCreate::parse(&mut ctx.params)?;
    let reason = reason.map(|r| r.as_str().to_string());
    let charge_id = match (charge_id, pi_id) {
        (Some(c), Some(pi)) => {
            // Both given: they must name the same payment.
            let row = load(&ctx, &pi, "payment_intent", "payment_intent").await?;
            if row.data["latest_charge"].as_str() != Some(c.as_str()) {
                return Err(ApiError::invalid(
                    "charge",
                    "parameter_invalid",
                    format!(
                        "The charge {} does not belong to the PaymentIntent {}; give one of them, or the two of the same payment.",
                        crate::error::echo(&c),
                        crate::error::echo(&pi)
                    ),
                ));
            }
            c
        }
        (Some(c), None) => c,
        (None, Some(pi)) => {
            let row = load(&ctx, &pi, "payment_intent", "payment_intent").await?;
            row.data["latest_charge"]
                .as_str()
                .filter(|_| row.data["status"] == "succeeded")
                .map(str::to_string)
                .ok_or_else(|| {
                    ApiError::unexpected_state(
                        "charge_not_refundable",
                        format!(
                            "This PaymentIntent ({pi}) does not have a successful charge to refund."
                        ),
                    )
                    .with_param("payment_intent")
                })?
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "charge",
                "parameter_missing",
                "One of the following params should be provided for this request: payment_intent or charge.",
            ));
        }
    };
    let row = load(&ctx, &charge_id, "charge", "charge").await?;
    let mut ch: Charge = from_value(row.data.clone())?;
    let refundable = ch.amount_captured - refunded_of_captured(&ch) - ch.refund_reserved;
    if !ch.captured || ch.status != paygate_payments::ChargeStatus::Succeeded {
        return Err(ApiError::unexpected_state(
            "charge_not_refundable",
            format!(
                "Charge {} has not been captured and cannot be refunded; cancel the PaymentIntent instead.",
                ch.id
            ),
        ));
    }
    if refundable <= 0 {
        return Err(ApiError::unexpected_state(
            "charge_already_refunded",
            format!("Charge {} has already been refunded.", ch.id),
        ));
    }
    let amount = amount.unwrap_or(refundable);
    if amount > refundable {
        return Err(ApiError::invalid(
            "amount",
            "amount_too_large",
            format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({refundable})."
            ),
        ));
    }
    let net = ch
        .net
        .clone()
        .ok_or(GatewayError::Invariant("charge without network reference"))?;
    let scope = ctx.scope();
    let refund_id = new_id("re");
    let prepared = ctx.st.connector.prepare_follow_up(
        FollowUpKind::Refund,
        &ConnectorRef(json!(net.net_ref)),
        &net.rrn,
        amount,
        net.currency_numeric,
    )?;
    let record = prepared.record.clone();
    // Phase 1: reserve the amount on the charge (serializes concurrent refunds) and record
    // the refund message about to go out.
    ch.refund_reserved += amount;
    let attempt_id = format!("{refund_id}:refund");
    let mut unit = WriteUnit::default();
    ctx.begin(&mut unit);
    unit.ops
        .push(update_op(&ch.id, row.version, &to_value(&ch)));
    unit.ops.push(Op::PutAttempt(AttemptRow {
        id: attempt_id.clone(),
        merchant_id: scope.merchant_id.clone(),
        livemode: scope.livemode,
        owner_node: ctx.st.cfg.node_id.clone(),
        state: "refunding".into(),
        created: ctx.now,
        data: AttemptRecord::Refund {
            charge: ch.id.clone(),
            refund: refund_id.clone(),
            follow_up: record.clone(),
            reason: reason.clone(),
            metadata: metadata.clone(),
            idempotency_key: ctx.idempotency_key().map(str::to_string),
        }
        .to_stored(),
    }));
    ctx.commit(unit).await?;
    // Phase 2: the network; a lost answer is asked for again with a repeat (0201).
    let ok = match crate::capture::send(&ctx.st, prepared, &record).await {
        FollowUpAnswer::Approved => true,
        FollowUpAnswer::Refused(_) => false,
        FollowUpAnswer::Unknown(why) => {
            return Err(ApiError::internal(format!("refund outcome unknown: {why}")));
        }
    };
    // Phase 3.
    let draft = RefundDraft {
        id: refund_id,
        amount,
        reason,
        metadata,
    };
    let (mut unit, re_doc) = refund_unit(
        &scope,
        ch,
        row.version + 1,
        draft,
        ok,
        ctx.idempotency_key(),
        ctx.now,
    )?;
    if ok {
        crate::metrics::Metrics::incr(&ctx.st.metrics.refunds);
    }
    unit.ops.push(Op::DeleteAttempt { id: attempt_id });
    let body = expand(&ctx.st, &ctx.caller, public(re_doc), &expands).await?;
    ctx.finish(&mut unit, StatusCode::OK, &body);
    ctx.commit(unit).await?;
    Ok(body)
}

/// A refund as requested, before the network answered.
pub struct RefundDraft {
    pub id: String,
    pub amount: i64,
    pub reason: Option<String>,
    pub metadata: Map<String, Value>,
}

/// The writes that record a refund's answer: the refund object, the charge (reservation
/// released, refunded amount on success), the ledger entry and balance transaction, events.
pub fn refund_unit(
    scope: &Scope,
    mut ch: Charge,
    ch_version: i64,
    draft: RefundDraft,
    ok: bool,
    idempotency_key: Option<&str>,
    now: i64,
) -> ApiResult<(WriteUnit, Value)> {
    let currency = Currency::parse(&ch.currency).map_err(|e| GatewayError::corrupt("charge", e))?;
    ch.refund_reserved = (ch.refund_reserved - draft.amount).max(0);
    let mut re = Refund {
        id: draft.id,
        object: "refund".into(),
        amount: draft.amount,
        balance_transaction: None,
        charge: ch.id.clone(),
        created: now,
        currency: ch.currency.clone(),
        failure_reason: None,
        metadata: draft.metadata,
        payment_intent: ch.payment_intent.clone(),
        reason: draft.reason,
        status: RefundStatus::Succeeded,
    };
    let mut unit = WriteUnit::default();
    if ok {
        let txn = balance_txn(
            scope,
            "refund",
            &re.id,
            currency,
            -re.amount,
            0,
            now,
            "available",
            now,
        );
        let entry = paygate_ledger::refund(
            format!("refund:{}", re.id),
            ch.processor,
            &scope.merchant_id,
            scope.livemode,
            currency,
            re.amount,
            &re.id,
        )?;
        unit.ops.push(ledger(entry, now));
        unit.ops.push(txn.op);
        re.balance_transaction = Some(txn.id);
        ch.amount_refunded += re.amount;
        ch.refunded = refunded_of_captured(&ch) >= ch.amount_captured;
    } else {
        re.status = RefundStatus::Failed;
        re.failure_reason = Some("declined".into());
    }
    let re_doc = to_value(&re);
    let ch_doc = to_value(&ch);
    unit.ops
        .push(insert(scope, "refund", Some(&ch.id), &re_doc, now));
    unit.ops.push(update_op(&ch.id, ch_version, &ch_doc));
    unit.ops.push(event(
        scope,
        "refund.created",
        &re_doc,
        idempotency_key,
        now,
    ));
    let follow = if ok {
        ("charge.refunded", &ch_doc)
    } else {
        ("refund.failed", &re_doc)
    };
    unit.ops
        .push(event(scope, follow.0, follow.1, idempotency_key, now));
    Ok((unit, re_doc))
}

/// Refunded amount that came out of the captured amount (a partial capture reports the
/// released rest of the hold as refunded too, which is not refundable again).
fn refunded_of_captured(ch: &Charge) -> i64 {
    let released = ch.amount - ch.amount_captured;
    ch.amount_refunded - released.min(ch.amount_refunded)
}

pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    retrieve_kind(st, id, req, "refund").await
}

pub async fn retrieve_charge(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    req: Req,
) -> Response {
    retrieve_kind(st, id, req, "charge").await
}

/// GET one object of `kind` (with `expand[]`).
pub async fn retrieve_kind(st: SharedState, id: String, req: Req, kind: &'static str) -> Response {
    get(req, |caller, mut p| async move {
        let expands = expand_param(&mut p)?;
        p.deny_unknown()?;
        let row = st
            .store
            .get_object(&caller.scope(), &id)
            .await?
            .filter(|r| r.kind == kind)
            .ok_or_else(|| ApiError::not_found(kind, &id, "id"))?;
        expand(&st, &caller, public(row.data), &expands).await
    })
    .await
}

pub async fn list(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let mut r = list_request::<RefundFilters>(&mut p, "refund")?;
        r.query.parent = r.filters.charge.map(|c| c.0);
        if let Some(pi) = r.filters.payment_intent {
            r.query.filters.push(ListFilter::FieldEq {
                field: "payment_intent",
                value: pi.0,
            });
        }
        let page = st.store.list_objects(&caller.scope(), &r.query).await?;
        list_envelope(&st, &caller, "/v1/refunds", page, &r.expand).await
    })
    .await
}

pub async fn list_charges(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let mut r = list_request::<ChargeFilters>(&mut p, "charge")?;
        let eq = |field: &'static str, value: String| ListFilter::FieldEq { field, value };
        if let Some(pi) = r.filters.payment_intent {
            r.query.filters.push(eq("payment_intent", pi.0));
        }
        if let Some(c) = r.filters.customer {
            r.query.filters.push(eq("customer", c.0));
        }
        let page = st.store.list_objects(&caller.scope(), &r.query).await?;
        list_envelope(&st, &caller, "/v1/charges", page, &r.expand).await
    })
    .await
}

pub async fn update(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx| async move {
        let u = RefundUpdate::parse(&mut ctx.params)?;
        let row = load(&ctx, &id, "refund", "id").await?;
        let mut re: Refund = from_value(row.data.clone())?;
        if let Some(m) = u.metadata {
            merge_metadata(&mut re.metadata, m);
        }
        let expands = u.expand;
        let doc = to_value(&re);
        let unit = WriteUnit {
            ops: vec![update_op(&re.id, row.version, &doc)],
        };
        let body = expand(&ctx.st, &ctx.caller, public(doc), &expands).await?;
        ctx.commit_ok(unit, body).await
    })
    .await
}

/// `GET /v1/refunds` filters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundFilters {
    charge: Option<Id>,
    payment_intent: Option<Id>,
}

/// `GET /v1/charges` filters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargeFilters {
    customer: Option<Id>,
    payment_intent: Option<Id>,
}
