//! `/v1/payment_methods`: create (cards are vaulted), retrieve, update, attach, detach, list.

use crate::api::load;
use crate::api::payment_intents::merge_metadata_doc;
use crate::api::refunds::retrieve_kind;
use crate::cards::card_from_params;
use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, get, post};
use crate::records::{event, update as update_op};
use crate::render::{expand, expand_param, list_envelope, list_query, public};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_store::{Op, WriteUnit};
use serde_json::{Value, json};

pub async fn create(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let scope = ctx.scope();
        let p = &mut ctx.params;
        p.enum_str("type", &["card"])?
            .ok_or_else(|| ApiError::missing("type"))?;
        let metadata = p.metadata()?.unwrap_or_default();
        let billing = p.object("billing_details")?;
        let expands = expand_param(p)?;
        let mut card = p.object("card")?.ok_or_else(|| ApiError::missing("card"))?;
        p.deny_unknown()?;
        let mut auth = card_from_params(&ctx.st, &scope, &mut card, ctx.now)?;
        auth.pm["metadata"] = Value::Object(metadata);
        if let Some(mut b) = billing {
            for f in ["name", "email", "phone"] {
                if let Some(v) = b.str(f)? {
                    auth.pm["billing_details"][f] = json!(v);
                }
            }
            b.allow(&["address"]);
            b.deny_unknown()?;
        }
        if let Some(cvc) = auth.cvc.take() {
            ctx.st.remember_cvc(&auth.pm_id, cvc);
        }
        let mut ops = auth.new_ops;
        // The object op is the last one; give it the final document.
        if let Some(Op::InsertObject(row)) = ops.last_mut() {
            row.data = auth.pm.clone();
        }
        let body = expand(&ctx.st, &ctx.caller, public(auth.pm), &expands).await?;
        ctx.commit_ok(WriteUnit { ops }, body).await
    })
    .await
}

pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    retrieve_kind(st, id, req, "payment_method").await
}

pub async fn update(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let row = load(&ctx, &id, "payment_method", "payment_method").await?;
        let mut doc = row.data.clone();
        if let Some(m) = ctx.params.metadata()? {
            merge_metadata_doc(&mut doc, m);
        }
        ctx.params.allow(&["billing_details", "card"]);
        ctx.params.deny_unknown()?;
        let scope = ctx.scope();
        let unit = WriteUnit {
            ops: vec![
                update_op(&id, row.version, &doc),
                event(
                    &scope,
                    "payment_method.updated",
                    &doc,
                    ctx.idempotency_key(),
                    ctx.now,
                ),
            ],
        };
        ctx.commit_ok(unit, public(doc)).await
    })
    .await
}

pub async fn attach(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let customer = ctx.params.req_str("customer")?;
        let expands = expand_param(&mut ctx.params)?;
        ctx.params.deny_unknown()?;
        load(&ctx, &customer, "customer", "customer").await?;
        let row = load(&ctx, &id, "payment_method", "payment_method").await?;
        if let Some(other) = row.data["customer"].as_str()
            && other != customer
        {
            return Err(ApiError::unexpected_state(
                "payment_method_unexpected_state",
                "The payment method you provided has already been attached to a customer.",
            ));
        }
        set_customer(
            &ctx,
            row,
            Some(customer),
            "payment_method.attached",
            &expands,
        )
        .await
    })
    .await
}

pub async fn detach(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let expands = expand_param(&mut ctx.params)?;
        ctx.params.deny_unknown()?;
        let row = load(&ctx, &id, "payment_method", "payment_method").await?;
        if row.data["customer"].is_null() {
            return Err(ApiError::unexpected_state(
                "payment_method_unexpected_state",
                "The payment method you provided is not attached to a customer so detachment is impossible.",
            ));
        }
        set_customer(&ctx, row, None, "payment_method.detached", &expands).await
    })
    .await
}

async fn set_customer(
    ctx: &Ctx,
    row: paygate_store::ObjectRow,
    customer: Option<String>,
    event_type: &str,
    expands: &[String],
) -> ApiResult<Value> {
    let mut doc = row.data.clone();
    doc["customer"] = json!(customer);
    let scope = ctx.scope();
    let unit = WriteUnit {
        ops: vec![
            Op::UpdateObject {
                id: row.id.clone(),
                expected_version: row.version,
                data: doc.clone(),
                tag: None,
                due: None,
            },
            Op::SetParent {
                id: row.id.clone(),
                parent: customer,
            },
            event(&scope, event_type, &doc, ctx.idempotency_key(), ctx.now),
        ],
    };
    let body = expand(&ctx.st, &ctx.caller, public(doc), expands).await?;
    ctx.commit_ok(unit, body).await
}

pub async fn list(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let expands = expand_param(&mut p)?;
        let mut q = list_query(&mut p, "payment_method")?;
        q.parent = p.str("customer")?;
        p.allow(&["type"]);
        p.deny_unknown()?;
        if q.parent.is_none() {
            return Err(ApiError::missing("customer"));
        }
        let page = st.store.list_objects(&caller.scope(), &q).await?;
        list_envelope(&st, &caller, "/v1/payment_methods", page, &expands).await
    })
    .await
}

pub async fn list_for_customer(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    req: Req,
) -> Response {
    get(req, |caller, mut p| async move {
        let expands = expand_param(&mut p)?;
        let mut q = list_query(&mut p, "payment_method")?;
        p.allow(&["type"]);
        p.deny_unknown()?;
        st.store
            .get_object(&caller.scope(), &id)
            .await?
            .filter(|r| r.kind == "customer")
            .ok_or_else(|| ApiError::not_found("customer", &id, "customer"))?;
        q.parent = Some(id.clone());
        let page = st.store.list_objects(&caller.scope(), &q).await?;
        list_envelope(
            &st,
            &caller,
            &format!("/v1/customers/{id}/payment_methods"),
            page,
            &expands,
        )
        .await
    })
    .await
}
