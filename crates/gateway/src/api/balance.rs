//! `/v1/balance`, `/v1/balance_transactions` and `/v1/payouts`: views of the ledger.

use crate::api::refunds::retrieve_kind;
use crate::api::{NoParams, check_positive, parse_currency};
use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, get, post};
use crate::ids::new_id;
use crate::params::typed::{Expand, Id, Int, Metadata, StatementDescriptor, Text};
use crate::postings::{balance_txn, ledger};
use crate::records::{event, insert};
use crate::render::{expand, list_envelope, list_request, public};
use crate::state::{AppState, SharedState};
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_ledger::{AccountId, AccountKind, Currency};
use paygate_store::ListFilter;
use paygate_store::{Scope, WriteUnit};
use serde::Deserialize;
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
    get(req, |caller, mut p| async move {
        p.typed::<NoParams>()?;
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
        let mut r = list_request::<TxnFilters>(&mut p, "balance_transaction")?;
        let f = r.filters;
        if let Some(po) = f.payout {
            let row = st.store.get_object(&caller.scope(), &po.0).await?;
            if row.filter(|r| r.kind == "payout").is_none() {
                return Err(ApiError::not_found("payout", &po.0, "payout"));
            }
            // Stripe filters by payout only for automatic payouts; paygate's are all manual.
            return Err(ApiError::invalid(
                "payout",
                "parameter_invalid",
                "Balance transaction history can only be filtered on automatic payouts, not manual ones; \
                 paygate's payouts are manual. Use source=<payout id> for the payout's own transaction.",
            ));
        }
        let eq = |field: &'static str, value: String| ListFilter::FieldEq { field, value };
        if let Some(t) = f.r#type {
            r.query.filters.push(eq("type", t.0));
        }
        if let Some(c) = f.currency {
            r.query.filters.push(eq("currency", parse_currency(&c.0)?.code().to_string()));
        }
        if let Some(src) = f.source {
            r.query.filters.push(eq("source", src.0));
        }
        let page = st.store.list_objects(&caller.scope(), &r.query).await?;
        list_envelope(&st, &caller, "/v1/balance_transactions", page, &r.expand).await
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

/// `POST /v1/payouts`: paygate pays out to the merchant's one bank account, by the standard
/// method, from the card balance; other destinations, methods and sources are refused.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PayoutParams {
    amount: Int,
    currency: Text<3>,
    description: Option<Text<5000>>,
    metadata: Option<Metadata>,
    method: Option<PayoutMethod>,
    source_type: Option<PayoutSource>,
    statement_descriptor: Option<StatementDescriptor>,
    expand: Option<Expand>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
enum PayoutMethod {
    Standard,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
enum PayoutSource {
    Card,
}

/// A payout may take only what is available in its currency.
async fn check_available(ctx: &Ctx, currency: Currency, amount: i64) -> ApiResult<()> {
    let available = merchant_balances(&ctx.st, &ctx.scope())
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
    Ok(())
}

async fn create_payout_inner(mut ctx: Ctx) -> ApiResult<Value> {
    let p: PayoutParams = ctx.params.typed()?;
    let currency = parse_currency(&p.currency.0)?;
    let amount = check_positive("amount", p.amount.0)?;
    let description = p.description.and_then(Text::non_empty);
    let metadata = p.metadata.unwrap_or_default().0;
    let statement_descriptor = p
        .statement_descriptor
        .map(|s| s.0)
        .filter(|s| !s.is_empty());
    let expands = p.expand.unwrap_or_default().0;
    let _ = (p.method, p.source_type);
    let scope = ctx.scope();
    check_available(&ctx, currency, amount).await?;
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
        "statement_descriptor": statement_descriptor,
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
        let mut r = list_request::<PayoutFilters>(&mut p, "payout")?;
        if let Some(status) = r.filters.status {
            r.query.filters.push(ListFilter::FieldEq {
                field: "status",
                value: status.as_str().to_string(),
            });
        }
        let page = st.store.list_objects(&caller.scope(), &r.query).await?;
        list_envelope(&st, &caller, "/v1/payouts", page, &r.expand).await
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

/// `GET /v1/balance_transactions` filters.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TxnFilters {
    r#type: Option<Text<5000>>,
    currency: Option<Text<3>>,
    payout: Option<Id>,
    source: Option<Id>,
}

/// `GET /v1/payouts` filters.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PayoutFilters {
    status: Option<PayoutStatus>,
}

/// Stripe's payout statuses (paygate's payouts are `paid` at once).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
enum PayoutStatus {
    Pending,
    Paid,
    Failed,
    Canceled,
}

impl PayoutStatus {
    fn as_str(&self) -> &'static str {
        match self {
            PayoutStatus::Pending => "pending",
            PayoutStatus::Paid => "paid",
            PayoutStatus::Failed => "failed",
            PayoutStatus::Canceled => "canceled",
        }
    }
}
