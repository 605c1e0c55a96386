//! `/v1/customers`: create, retrieve, update, delete, list.

use crate::api::payment_intents::merge_metadata_doc;
use crate::api::refunds::retrieve_kind;
use crate::api::{Address, Cleared, NoParams, load};
use crate::http::{Ctx, Req, get, post};
use crate::ids::new_id;
use crate::params::typed::{Email, Expand, Id, List, Metadata, Text};
use crate::records::{event, insert, update as update_op};
use crate::render::{expand, list_envelope, list_request, public};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_store::{ListFilter, WriteUnit};
use serde::Deserialize;
use serde_json::{Value, json};

/// `POST /v1/customers` and `POST /v1/customers/{id}`: an empty string unsets a field.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomerParams {
    email: Option<Email>,
    name: Option<Text<256>>,
    description: Option<Text<5000>>,
    phone: Option<Text<20>>,
    address: Option<Cleared<Address>>,
    shipping: Option<Cleared<Shipping>>,
    preferred_locales: Option<List>,
    metadata: Option<Metadata>,
    invoice_settings: Option<InvoiceSettings>,
    expand: Option<Expand>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct InvoiceSettings {
    default_payment_method: Option<Id>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Shipping {
    address: Address,
    name: Text<5000>,
    phone: Option<Text<5000>>,
}

impl CustomerParams {
    /// Writes the given fields into the customer document.
    fn apply(self, doc: &mut Value) -> Vec<String> {
        let texts = [
            ("email", self.email.map(|e| e.0)),
            ("name", self.name.map(|t| t.0)),
            ("description", self.description.map(|t| t.0)),
            ("phone", self.phone.map(|t| t.0)),
        ];
        for (field, v) in texts {
            if let Some(v) = v {
                doc[field] = if v.is_empty() { Value::Null } else { json!(v) };
            }
        }
        if let Some(a) = self.address {
            doc["address"] = a.0.map_or(Value::Null, |a| a.to_value());
        }
        if let Some(s) = self.shipping {
            doc["shipping"] = s.0.map_or(Value::Null, |s| {
                json!({"address": s.address.to_value(), "name": s.name.0,
                       "phone": s.phone.and_then(Text::non_empty)})
            });
        }
        if let Some(l) = self.preferred_locales {
            doc["preferred_locales"] = json!(l.0);
        }
        if let Some(m) = self.metadata {
            merge_metadata_doc(doc, m.0);
        }
        if let Some(pm) = self.invoice_settings.and_then(|i| i.default_payment_method) {
            doc["invoice_settings"]["default_payment_method"] = json!(pm.non_empty());
        }
        self.expand.unwrap_or_default().0
    }
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
            "preferred_locales": [],
            "shipping": null,
        });
        let expands = ctx.params.typed::<CustomerParams>()?.apply(&mut doc);
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

/// A deleted customer reads as its tombstone (`{"id", "object", "deleted": true}`), as Stripe
/// answers; every other use of it is a 404.
pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    retrieve_kind(st, id, req, "customer").await
}

pub async fn update(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let row = load(&ctx, &id, "customer", "id").await?;
        let mut doc = row.data.clone();
        let expands = ctx.params.typed::<CustomerParams>()?.apply(&mut doc);
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
    post(st, req, |mut ctx: Ctx| async move {
        ctx.params.typed::<NoParams>()?;
        let row = load(&ctx, &id, "customer", "id").await?;
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
        let mut r = list_request::<CustomerFilters>(&mut p, "customer")?;
        r.query.filters.push(ListFilter::FieldAbsent("deleted"));
        if let Some(email) = r.filters.email {
            r.query.filters.push(ListFilter::FieldEq {
                field: "email",
                value: email.0,
            });
        }
        let page = st.store.list_objects(&caller.scope(), &r.query).await?;
        list_envelope(&st, &caller, "/v1/customers", page, &r.expand).await
    })
    .await
}

/// `GET /v1/customers` filters: `email` matches exactly (case-sensitive, as Stripe).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomerFilters {
    email: Option<Text<512>>,
}
