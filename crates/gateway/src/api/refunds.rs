//! `/v1/refunds` (create, retrieve, update, list) and `/v1/charges` (retrieve, list).

use crate::api::load;
use crate::api::payment_intents::merge_metadata;
use crate::api::refund_params::{RefundCreate, RefundUpdate};
use crate::api::respond::Responder;
use crate::engine::{self, Refund};
use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, get, post};
use crate::models::{Charge, Refund as RefundDoc, from_value, to_value};
use crate::params::typed::Id;
use crate::records::update as update_op;
use crate::render::{expand, expand_param, list_envelope, list_request, public};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_store::ListFilter;
use paygate_store::WriteUnit;
use serde::Deserialize;
use serde_json::Value;

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
        refund_account,
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
    let charge: Charge = from_value(row.data)?;
    if charge.processor == paygate_ledger::Counterparty::Carrier {
        crate::methods::mobile_carrier::refund::check(&charge, amount, ctx.now)?;
    }
    let respond = Responder::new(&ctx, expands);
    let cmd = Refund {
        charge,
        charge_version: row.version,
        amount,
        reason,
        metadata,
        refund_account,
    };
    engine::refund::refund(&ctx.rc, &respond, cmd).await
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
        let mut re: RefundDoc = from_value(row.data.clone())?;
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
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefundFilters {
    charge: Option<Id>,
    payment_intent: Option<Id>,
}

/// `GET /v1/charges` filters.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChargeFilters {
    customer: Option<Id>,
    payment_intent: Option<Id>,
}
