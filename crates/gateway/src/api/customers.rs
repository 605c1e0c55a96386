//! `/v1/customers`: create, retrieve, update, delete, list.

use crate::api::load;
use crate::api::payment_intents::merge_metadata_doc;
use crate::api::refunds::retrieve_kind;
use crate::error::ApiResult;
use crate::http::{Ctx, Req, get, post};
use crate::ids::new_id;
use crate::params::Params;
use crate::records::{event, insert, update as update_op};
use crate::render::{expand, expand_param, list_envelope, list_query, public};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_store::WriteUnit;
use serde_json::{Value, json};

const TEXT_FIELDS: [&str; 4] = ["email", "name", "description", "phone"];

fn read_fields(p: &mut Params, doc: &mut Value) -> ApiResult<()> {
    for f in TEXT_FIELDS {
        if let Some(v) = p.str(f)? {
            doc[f] = if v.is_empty() { Value::Null } else { json!(v) };
        }
    }
    if let Some(m) = p.metadata()? {
        merge_metadata_doc(doc, m);
    }
    if let Some(mut inv) = p.object("invoice_settings")? {
        if let Some(pm) = inv.str("default_payment_method")? {
            doc["invoice_settings"]["default_payment_method"] = if pm.is_empty() {
                Value::Null
            } else {
                json!(pm)
            };
        }
        inv.deny_unknown()?;
    }
    p.allow(&[
        "address",
        "shipping",
        "payment_method",
        "preferred_locales",
        "tax_exempt",
    ]);
    Ok(())
}

pub async fn create(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let scope = ctx.scope();
        let mut doc = json!({
            "id": new_id("cus"),
            "object": "customer",
            "address": null,
            "balance": 0,
            "created": ctx.now,
            "currency": null,
            "default_source": null,
            "delinquent": false,
            "description": null,
            "email": null,
            "invoice_settings": {"default_payment_method": null},
            "livemode": scope.livemode,
            "metadata": {},
            "name": null,
            "phone": null,
        });
        read_fields(&mut ctx.params, &mut doc)?;
        let expands = expand_param(&mut ctx.params)?;
        ctx.params.deny_unknown()?;
        let unit = WriteUnit {
            ops: vec![
                insert(&scope, "customer", None, &doc, ctx.now),
                event(
                    &scope,
                    "customer.created",
                    &doc,
                    ctx.idempotency_key(),
                    ctx.now,
                ),
            ],
        };
        let body = expand(&ctx.st, &ctx.caller, public(doc), &expands).await?;
        ctx.commit_ok(unit, body).await
    })
    .await
}

pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    retrieve_kind(st, id, req, "customer").await
}

pub async fn update(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let row = load(&ctx, &id, "customer", "id").await?;
        let mut doc = row.data.clone();
        read_fields(&mut ctx.params, &mut doc)?;
        let expands = expand_param(&mut ctx.params)?;
        ctx.params.deny_unknown()?;
        let scope = ctx.scope();
        let unit = WriteUnit {
            ops: vec![
                update_op(&id, row.version, &doc),
                event(
                    &scope,
                    "customer.updated",
                    &doc,
                    ctx.idempotency_key(),
                    ctx.now,
                ),
            ],
        };
        let body = expand(&ctx.st, &ctx.caller, public(doc), &expands).await?;
        ctx.commit_ok(unit, body).await
    })
    .await
}

/// Deletion keeps a tombstone (`deleted: true`), as Stripe answers later reads of it.
pub async fn delete(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |ctx: Ctx| async move {
        let row = load(&ctx, &id, "customer", "id").await?;
        ctx.params.deny_unknown()?;
        let scope = ctx.scope();
        let tomb = json!({"id": id, "object": "customer", "deleted": true});
        let unit = WriteUnit {
            ops: vec![
                update_op(&id, row.version, &tomb),
                event(
                    &scope,
                    "customer.deleted",
                    &row.data,
                    ctx.idempotency_key(),
                    ctx.now,
                ),
            ],
        };
        ctx.commit_ok(unit, tomb).await
    })
    .await
}

pub async fn list(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let expands = expand_param(&mut p)?;
        let q = list_query(&mut p, "customer")?;
        p.allow(&["email"]);
        p.deny_unknown()?;
        let page = st.store.list_objects(&caller.scope(), &q).await?;
        list_envelope(&st, &caller, "/v1/customers", page, &expands).await
    })
    .await
}
