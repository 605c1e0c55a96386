//! `/v1/payment_methods`: create (cards are vaulted), retrieve, update, attach, detach, list.

use crate::api::payment_intents::merge_metadata_doc;
use crate::api::refunds::retrieve_kind;
use crate::api::{Address, Cleared, ExpandOnly, is_deleted, load};
use crate::card_vault::PendingRecord;
use crate::cards::{
    card_error, card_from_params, current_month, current_year, new_card, saved_card,
};
use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, get, post};
use crate::params::typed::{Email, Expand, Id, Int, Metadata, Text};
use crate::params::{Params, Sub};
use crate::records::{event, update as update_op};
use crate::render::{expand, list_envelope, list_request, public};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_store::{Op, WriteUnit};
use paygate_vault::Expiry;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// `POST /v1/payment_methods`: a card, vaulted.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateParams {
    r#type: PmType,
    /// Read by `cards::card_from_params`, which names `card[…]` in its errors.
    #[schemars(with = "Option<crate::cards::table::Card>")]
    card: Option<Map<String, Value>>,
    billing_details: Option<BillingDetails>,
    metadata: Option<Metadata>,
    expand: Option<Expand>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
enum PmType {
    Card,
}

/// `billing_details[…]`; an empty string clears a part on update.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct BillingDetails {
    address: Option<Cleared<Address>>,
    email: Option<Email>,
    name: Option<Text<5000>>,
    phone: Option<Text<5000>>,
}

impl BillingDetails {
    fn apply(self, doc: &mut Value) {
        let b = &mut doc["billing_details"];
        if let Some(a) = self.address {
            b["address"] = a.0.map_or(Value::Null, Address::to_value);
        }
        let texts = [
            ("email", self.email.map(|e| e.0)),
            ("name", self.name.map(|t| t.0)),
            ("phone", self.phone.map(|t| t.0)),
        ];
        for (field, v) in texts {
            if let Some(v) = v {
                b[field] = json!(Some(v).filter(|s| !s.is_empty()));
            }
        }
    }
}

pub async fn create(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let scope = ctx.scope();
        let p: CreateParams = ctx.params.typed()?;
        let PmType::Card = p.r#type;
        let card = p.card.ok_or_else(|| ApiError::missing("card"))?;
        let mut card = Sub {
            path: "card".into(),
            inner: Params::from_map(card),
        };
        let mut auth = card_from_params(&ctx.st, &scope, &mut card, ctx.now).await?;
        check_not_expired(&auth.expiry, "card")?;
        auth.pm["metadata"] = Value::Object(p.metadata.unwrap_or_default().0);
        if let Some(b) = p.billing_details {
            b.apply(&mut auth.pm);
        }
        if let Some(cvc) = auth.cvc.take() {
            ctx.st.remember_cvc(&auth.pm_id, cvc);
        }
        let mut ops = auth.new_ops;
        // The object op is the last one; give it the final document.
        if let Some(Op::InsertObject(row)) = ops.last_mut() {
            row.data = auth.pm.clone();
        }
        let expands = p.expand.unwrap_or_default().0;
        let (pm, sealed) = (auth.pm, auth.sealed.as_slice());
        let commit = async {
            let body = expand(&ctx.st, &ctx.caller, public(pm), &expands).await?;
            ctx.commit_ok(WriteUnit { ops }, body).await
        };
        ctx.st.card_vault.commit_or_discard(sealed, commit).await
    })
    .await
}

/// A card whose expiry month has passed is refused as Stripe does: 402 `card_error`,
/// `invalid_expiry_year` (a past year) or `invalid_expiry_month` (this year, a past month).
fn check_not_expired(expiry: &Expiry, path: &str) -> ApiResult<()> {
    let (year, month) = (current_year(), current_month());
    if !expiry.is_expired_at(year, month) {
        return Ok(());
    }
    let (code, field, message) = if expiry.year < year {
        (
            "invalid_expiry_year",
            "exp_year",
            "Your card's expiration year is in the past.",
        )
    } else {
        (
            "invalid_expiry_month",
            "exp_month",
            "Your card's expiration month is in the past.",
        )
    };
    Err(ApiError::card(code, None, message).with_param(&format!("{path}[{field}]")))
}

pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    retrieve_kind(st, id, req, "payment_method").await
}

/// `POST /v1/payment_methods/{id}`: billing details, card expiry and metadata.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateParams {
    billing_details: Option<BillingDetails>,
    card: Option<CardUpdate>,
    metadata: Option<Metadata>,
    expand: Option<Expand>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct CardUpdate {
    exp_month: Option<Int>,
    exp_year: Option<Int>,
}

pub async fn update(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let p: UpdateParams = ctx.params.typed()?;
        let row = load(&ctx, &id, "payment_method", "payment_method").await?;
        let mut doc = row.data.clone();
        let (mut ops, mut sealed) = (Vec::new(), PendingRecord::default());
        if let Some(card) = p.card {
            (ops, sealed) = new_expiry(&ctx, &id, &mut doc, card).await?;
        }
        if let Some(b) = p.billing_details {
            b.apply(&mut doc);
        }
        if let Some(m) = p.metadata {
            merge_metadata_doc(&mut doc, m.0);
        }
        let scope = ctx.scope();
        ops.push(update_op(&id, row.version, &doc));
        ops.push(event(
            &scope,
            "payment_method.updated",
            &doc,
            ctx.idempotency_key(),
            ctx.now,
        ));
        let expands = p.expand.unwrap_or_default().0;
        let commit = async {
            let body = expand(&ctx.st, &ctx.caller, public(doc), &expands).await?;
            ctx.commit_ok(WriteUnit { ops }, body).await
        };
        let sealed = sealed.as_slice();
        ctx.st.card_vault.commit_or_discard(sealed, commit).await
    })
    .await
}

/// A new expiry for a saved card: the card is sealed again under a new vault record with
/// the new expiry (what the network is sent), and the document shows it. The ops and, with
/// the remote vault, its new record there.
async fn new_expiry(
    ctx: &Ctx,
    id: &str,
    doc: &mut Value,
    card: CardUpdate,
) -> ApiResult<(Vec<Op>, PendingRecord)> {
    let scope = ctx.scope();
    if doc["type"] != "card" {
        return Err(ApiError::bad_param(
            "card",
            "Only a card PaymentMethod has a card to update; an isp PaymentMethod's card is \
             the one its certificate is bound to.",
        ));
    }
    let saved = saved_card(&ctx.st, &scope, id, ctx.now).await?;
    let month = card
        .exp_month
        .map_or(i64::from(saved.expiry.month), |m| m.0);
    let year = card.exp_year.map_or(i64::from(saved.expiry.year), |y| y.0);
    let expiry = Expiry::new(month, year).map_err(|e| {
        let mut err = card_error(e);
        err.param = err.param.map(|p| format!("card[{p}]"));
        err
    })?;
    check_not_expired(&expiry, "card")?;
    let resealed = new_card(&ctx.st, &scope, saved.pan, expiry, None, ctx.now).await?;
    doc["card"]["exp_month"] = json!(expiry.month);
    doc["card"]["exp_year"] = json!(expiry.year);
    doc["_vault"] = resealed.pm["_vault"].clone();
    // Keep the vault record, not the new PaymentMethod `new_card` would also create.
    let ops = resealed
        .new_ops
        .into_iter()
        .filter(|op| !matches!(op, Op::InsertObject(_)))
        .collect();
    Ok((ops, resealed.sealed))
}

pub async fn attach(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let p: AttachParams = ctx.params.typed()?;
        let (customer, expands) = (p.customer.0, p.expand.unwrap_or_default().0);
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
        let expands = ctx.params.typed::<ExpandOnly>()?.expand.unwrap_or_default().0;
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
        let mut r = list_request::<PmFilters>(&mut p, "payment_method")?;
        let customer = r
            .filters
            .customer
            .ok_or_else(|| ApiError::missing("customer"))?;
        r.query.parent = Some(customer.0);
        let page = st.store.list_objects(&caller.scope(), &r.query).await?;
        list_envelope(&st, &caller, "/v1/payment_methods", page, &r.expand).await
    })
    .await
}

pub async fn list_for_customer(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    req: Req,
) -> Response {
    get(req, |caller, mut p| async move {
        let r = list_request::<PmTypeFilter>(&mut p, "payment_method")?;
        let (mut q, expands) = (r.query, r.expand);
        st.store
            .get_object(&caller.scope(), &id)
            .await?
            .filter(|r| r.kind == "customer" && !is_deleted(&r.data))
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

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttachParams {
    customer: Id,
    expand: Option<Expand>,
}

/// `GET /v1/payment_methods`: a customer's PaymentMethods (`type` may only be `card`, the
/// one type paygate stores).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PmFilters {
    customer: Option<Id>,
    #[serde(rename = "type")]
    _type: Option<PmType>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PmTypeFilter {
    #[serde(rename = "type")]
    _type: Option<PmType>,
}
