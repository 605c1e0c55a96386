//! `/v1/balance`, `/v1/balance_transactions` and `/v1/payouts`: views of the ledger.

use crate::api::parse_amount_currency;
use crate::api::refunds::retrieve_kind;
use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, get, post};
use crate::ids::new_id;
use crate::postings::{balance_txn, ledger};
use crate::records::{event, insert};
use crate::render::{expand, expand_param, list_envelope, list_query, public};
use crate::state::{AppState, SharedState};
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_ledger::{AccountId, AccountKind};
use paygate_store::{Scope, WriteUnit};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Per currency: (available, pending) owed to the merchant, in minor units.
pub async fn merchant_balances(
    st: &AppState,
    scope: &Scope,
) -> ApiResult<BTreeMap<String, (i64, i64)>> {
    let prefix = paygate_ledger::merchant_prefix(&scope.merchant_id, scope.livemode);
    let rows = st.store.ledger_balances(&prefix).await?;
    let mut out: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (key, balance) in rows {
        let account = AccountId::parse_key(&key).map_err(ApiError::internal)?;
        let owed = account.owed(balance);
        let slot = out.entry(account.currency.to_string()).or_default();
        match account.kind {
            AccountKind::Available => slot.0 += owed,
            AccountKind::Pending => slot.1 += owed,
            _ => {}
        }
    }
    Ok(out)
}

pub async fn retrieve(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, p| async move {
        p.deny_unknown()?;
        let balances = merchant_balances(&st, &caller.scope()).await?;
        let part = |pick: fn(&(i64, i64)) -> i64| -> Vec<Value> {
            balances
                .iter()
                .map(|(cur, b)| json!({"amount": pick(b), "currency": cur, "source_types": {"card": pick(b)}}))
                .collect()
        };
        Ok(json!({
            "object": "balance",
            "available": part(|b| b.0),
            "pending": part(|b| b.1),
            "livemode": caller.livemode,
        }))
    })
    .await
}

pub async fn list_txns(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let expands = expand_param(&mut p)?;
        let mut q = list_query(&mut p, "balance_transaction")?;
        q.parent = p.str("source")?;
        q.tag = None;
        p.allow(&["type", "currency", "payout"]);
        p.deny_unknown()?;
        let page = st.store.list_objects(&caller.scope(), &q).await?;
        list_envelope(&st, &caller, "/v1/balance_transactions", page, &expands).await
    })
    .await
}

pub async fn retrieve_txn(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    req: Req,
) -> Response {
    retrieve_kind(st, id, req, "balance_transaction").await
}

/// A payout moves available funds to the merchant's bank account.
pub async fn create_payout(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, create_payout_inner).await
}

async fn create_payout_inner(mut ctx: Ctx) -> ApiResult<Value> {
    let (amount, currency) = parse_amount_currency(&mut ctx.params)?;
    let description = ctx.params.str("description")?;
    let metadata = ctx.params.metadata()?.unwrap_or_default();
    let expands = expand_param(&mut ctx.params)?;
    ctx.params.allow(&[
        "method",
        "destination",
        "statement_descriptor",
        "source_type",
    ]);
    ctx.params.deny_unknown()?;
    let scope = ctx.scope();
    let available = merchant_balances(&ctx.st, &scope)
        .await?
        .get(currency.code())
        .map(|b| b.0)
        .unwrap_or(0);
    if amount > available {
        return Err(ApiError::invalid(
            "amount",
            "balance_insufficient",
            format!(
                "You have insufficient funds in your paygate account for this payout: {amount} requested, {available} {} available.",
                currency.code()
            ),
        ));
    }
    let id = new_id("po");
    let txn = balance_txn(
        &scope,
        "payout",
        &id,
        currency,
        -amount,
        0,
        ctx.now,
        "available",
        ctx.now,
    );
    let entry = paygate_ledger::payout(
        format!("payout:{id}"),
        &scope.merchant_id,
        scope.livemode,
        currency,
        amount,
        &id,
    )
    .map_err(ApiError::internal)?;
    let doc = json!({
        "id": id,
        "object": "payout",
        "amount": amount,
        "arrival_date": paygate_payments::clock::day_plus(ctx.now, 1),
        "automatic": false,
        "balance_transaction": txn.id,
        "created": ctx.now,
        "currency": currency.code(),
        "description": description,
        "livemode": scope.livemode,
        "metadata": metadata,
        "method": "standard",
        "status": "paid",
        "type": "bank_account",
    });
    let unit = WriteUnit {
        ops: vec![
            ledger(entry, ctx.now),
            txn.op,
            insert(&scope, "payout", None, &doc, ctx.now),
            event(
                &scope,
                "payout.created",
                &doc,
                ctx.idempotency_key(),
                ctx.now,
            ),
            event(&scope, "payout.paid", &doc, ctx.idempotency_key(), ctx.now),
        ],
    };
    let body = expand(&ctx.st, &ctx.caller, public(doc), &expands).await?;
    ctx.commit_ok(unit, body).await
}

pub async fn list_payouts(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let expands = expand_param(&mut p)?;
        let q = list_query(&mut p, "payout")?;
        p.allow(&["status", "arrival_date", "destination"]);
        p.deny_unknown()?;
        let page = st.store.list_objects(&caller.scope(), &q).await?;
        list_envelope(&st, &caller, "/v1/payouts", page, &expands).await
    })
    .await
}

pub async fn retrieve_payout(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    req: Req,
) -> Response {
    retrieve_kind(st, id, req, "payout").await
}
