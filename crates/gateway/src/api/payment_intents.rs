//! `/v1/payment_intents`: create, retrieve, update, list, confirm, capture, cancel.

use crate::api::intent_params::{
    IntentCancel, IntentCapture, IntentConfirm, IntentCreate, IntentRetrieve, IntentUpdate,
};
use crate::api::load;
use crate::api::respond::Responder;
use crate::engine::{self, Cancel, Capture};
use crate::error::{ApiError, ApiResult, GatewayError};
use crate::http::{Ctx, Req, get, post};
use crate::ids::{new_id, random_base62};
use crate::methods::Confirm;
use crate::models::{ConfirmationMethod, PaymentIntent, from_value, to_value};
use crate::records::{event, insert};
use crate::render::{
    check_client_expand, check_client_secret, client_view, expand, list_envelope, list_request,
    public,
};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_payments::intent::check;
use paygate_payments::{IntentOp, PaymentIntentStatus as Status};
use paygate_store::WriteUnit;
use serde_json::{Map, Value};

pub async fn create(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, create_inner).await
}

async fn create_inner(mut ctx: Ctx) -> ApiResult<Value> {
    let params = IntentCreate::parse(&mut ctx.params)?;
    if let Some(c) = &params.customer {
        load(&ctx, c, "customer", "customer").await?;
    }
    let (pi, confirm, expands) = new_intent(params, ctx.now, ctx.caller.livemode);
    if !confirm {
        crate::methods::installments::check(&pi, true)?;
    }
    let scope = ctx.scope();
    let doc = to_value(&pi);
    let key = ctx.idempotency_key();
    let ops = vec![
        insert(
            &scope,
            "payment_intent",
            pi.customer.as_deref(),
            &doc,
            ctx.now,
        ),
        event(&scope, "payment_intent.created", &doc, key, ctx.now),
    ];
    if !confirm {
        let body = expand(&ctx.st, &ctx.caller, public(doc), &expands).await?;
        return ctx.commit_ok(WriteUnit { ops }, body).await;
    }
    let c = Confirm {
        intent: pi,
        version: None,
        pre: ops,
        expands,
    };
    crate::methods::confirm(&mut ctx, c).await
}

/// A new PaymentIntent from checked create parameters; also whether to confirm it now and the
/// `expand[]` paths.
pub(crate) fn new_intent(
    params: IntentCreate,
    now: i64,
    livemode: bool,
) -> (PaymentIntent, bool, Vec<String>) {
    let IntentCreate {
        amount,
        currency,
        automatic_payment_methods,
        capture_method,
        confirm,
        confirmation_method,
        customer,
        description,
        metadata,
        payment_method,
        payment_method_types,
        receipt_email,
        statement_descriptor,
        attempt,
        expand: expands,
    } = params;
    let status = Status::awaiting(payment_method.is_some());
    let id = new_id("pi");
    let mut pi = PaymentIntent {
        client_secret: format!("{id}_secret_{}", random_base62(24)),
        id,
        object: "payment_intent".into(),
        amount,
        amount_capturable: 0,
        amount_received: 0,
        canceled_at: None,
        cancellation_reason: None,
        capture_method,
        confirmation_method,
        created: now,
        currency: currency.code().to_string(),
        customer,
        description,
        last_payment_error: None,
        latest_charge: None,
        livemode,
        metadata,
        next_action: None,
        payment_method: payment_method.clone(),
        payment_method_types,
        receipt_email,
        statement_descriptor,
        status,
        automatic_payment_methods,
        shipping: None,
        attempts: 0,
        return_url: None,
        error_on_requires_action: false,
        use_stripe_sdk: false,
        request_three_d_secure: None,
        three_ds: None,
        setup_future_usage: None,
        off_session: None,
        checkout_session: None,
        installments: None,
    };
    attempt.apply(&mut pi);
    (pi, confirm, expands)
}

pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let IntentRetrieve {
            client_secret,
            expand: expands,
        } = IntentRetrieve::parse(&mut p)?;
        let row = st
            .store
            .get_object(&caller.scope(), &id)
            .await?
            .filter(|r| r.kind == "payment_intent")
            .ok_or_else(|| ApiError::not_found("payment_intent", &id, "intent"))?;
        if !caller.secret {
            check_client_secret(&row.data, client_secret.as_deref())?;
            check_client_expand(&expands)?;
            return expand(&st, &caller, client_view(public(row.data)), &expands).await;
        }
        expand(&st, &caller, public(row.data), &expands).await
    })
    .await
}

pub async fn list(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let mut r = list_request::<PiFilters>(&mut p, "payment_intent")?;
        r.query.parent = r.filters.customer.map(|c| c.0);
        let page = st.store.list_objects(&caller.scope(), &r.query).await?;
        list_envelope(&st, &caller, "/v1/payment_intents", page, &r.expand).await
    })
    .await
}

pub async fn update_pi(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    req: Req,
) -> Response {
    post(st, req, |mut ctx| async move {
        let u = IntentUpdate::parse(&mut ctx.params)?;
        let (row, mut pi) = load_pi(&ctx, &id).await?;
        if let Some(cur) = u.currency {
            allow(&pi, IntentOp::UpdateAmountOrCurrency, "currency")?;
            pi.currency = cur.code().to_string();
        }
        if let Some(a) = u.amount {
            allow(&pi, IntentOp::UpdateAmountOrCurrency, "amount")?;
            let currency = paygate_ledger::Currency::parse(&pi.currency)
                .map_err(|e| GatewayError::corrupt("payment_intent", e))?;
            pi.amount = crate::api::check_amount(a, currency)?;
        }
        if let Some(d) = u.description {
            allow(&pi, IntentOp::Update, "description")?;
            pi.description = d;
        }
        if let Some(e) = u.receipt_email {
            allow(&pi, IntentOp::UpdateCustomer, "receipt_email")?;
            pi.receipt_email = e;
        }
        let mut new_parent = None;
        if let Some(c) = u.customer {
            allow(&pi, IntentOp::UpdateCustomer, "customer")?;
            if let Some(c) = &c {
                load(&ctx, c, "customer", "customer").await?;
            }
            pi.customer = c;
            new_parent = Some(pi.customer.clone());
        }
        if let Some(pm) = u.payment_method {
            allow(&pi, IntentOp::UpdatePaymentMethod, "payment_method")?;
            pi.payment_method = pm;
            pi.status = Status::awaiting(pi.payment_method.is_some());
        }
        if let Some(m) = u.metadata {
            merge_metadata(&mut pi.metadata, m);
        }
        let expands = u.expand;
        let doc = to_value(&pi);
        // The tag and due time stay (an intent waiting for the payer still expires).
        let mut unit = WriteUnit {
            ops: vec![paygate_store::Op::UpdateObject {
                id: pi.id.clone(),
                expected_version: row.version,
                data: doc.clone(),
                tag: row.tag.clone(),
                due: row.due,
            }],
        };
        if let Some(parent) = new_parent {
            unit.ops.push(paygate_store::Op::SetParent {
                id: pi.id.clone(),
                parent,
            });
        }
        let body = expand(&ctx.st, &ctx.caller, public(doc), &expands).await?;
        ctx.commit_ok(unit, body).await
    })
    .await
}

/// Merges a metadata update into a stored document's `metadata` object.
pub fn merge_metadata_doc(doc: &mut Value, update: Map<String, Value>) {
    let mut meta = match doc["metadata"].take() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    merge_metadata(&mut meta, update);
    doc["metadata"] = Value::Object(meta);
}

/// Stripe merges metadata: an empty value removes a key; an empty object leaves all as is.
pub fn merge_metadata(target: &mut Map<String, Value>, update: Map<String, Value>) {
    for (k, v) in update {
        if v.as_str().is_some_and(str::is_empty) {
            target.remove(&k);
        } else {
            target.insert(k, v);
        }
    }
}

pub async fn confirm(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |ctx| confirm_inner(ctx, id)).await
}

/// The confirm of intent `id` with `ctx`'s parameters: the API's, and the hosted checkout
/// page's (which builds the same parameters from its form).
pub(crate) async fn confirm_inner(mut ctx: Ctx, id: String) -> ApiResult<Value> {
    {
        let c = IntentConfirm::parse(&mut ctx.params)?;
        let (row, mut pi) = load_pi(&ctx, &id).await?;
        let publishable = !ctx.caller.secret;
        if publishable {
            check_client_secret(&row.data, c.client_secret.as_deref())?;
            check_client_expand(&c.expand)?;
            if pi.confirmation_method == ConfirmationMethod::Manual {
                return Err(ApiError::forbidden(
                    "This PaymentIntent has confirmation_method=manual: it can only be confirmed \
                     with a secret key.",
                ));
            }
        }
        if let Some(pm) = c.payment_method {
            pi.payment_method = Some(pm);
        }
        if let Some(cm) = c.capture_method {
            pi.capture_method = cm;
        }
        if let Some(e) = c.receipt_email {
            pi.receipt_email = e;
        }
        c.attempt.apply(&mut pi);
        let expands = c.expand;
        check(pi.status, IntentOp::Confirm).map_err(|e| state_error(&pi, e))?;
        let c = Confirm {
            intent: pi,
            version: Some(row.version),
            pre: Vec::new(),
            expands,
        };
        crate::methods::confirm(&mut ctx, c).await
    }
}

pub async fn capture(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx| async move {
        let c = IntentCapture::parse(&mut ctx.params)?;
        let (row, mut pi) = load_pi(&ctx, &id).await?;
        let (amount, expands) = (c.amount_to_capture, c.expand);
        check(pi.status, IntentOp::Capture).map_err(|e| state_error(&pi, e))?;
        let amount = amount.unwrap_or(pi.amount_capturable);
        crate::api::check_positive("amount_to_capture", amount)?;
        if amount > pi.amount_capturable {
            return Err(ApiError::invalid(
                "amount_to_capture",
                "amount_too_large",
                format!(
                    "The amount to capture must be between 1 and the capturable amount ({}); got {amount}.",
                    pi.amount_capturable
                ),
            ));
        }
        if let Some(m) = c.metadata {
            merge_metadata(&mut pi.metadata, m);
        }
        if let Some(d) = c.statement_descriptor {
            pi.statement_descriptor = d;
        }
        let amount = crate::models::money_of(amount, &pi.currency)?;
        let respond = Responder::new(&ctx, expands);
        let cmd = Capture {
            intent: pi,
            version: row.version,
            amount,
        };
        engine::capture::capture(&ctx.rc, &respond, cmd).await
    })
    .await
}

pub async fn cancel(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx| async move {
        let c = IntentCancel::parse(&mut ctx.params)?;
        let (row, pi) = load_pi(&ctx, &id).await?;
        let (reason, expands) = (c.reason.map(|r| r.as_str().to_string()), c.expand);
        check(pi.status, IntentOp::Cancel).map_err(|e| state_error(&pi, e))?;
        let respond = Responder::new(&ctx, expands);
        let cmd = Cancel {
            intent: pi,
            version: row.version,
            reason,
        };
        engine::cancel::cancel(&ctx.rc, &respond, cmd).await
    })
    .await
}

pub async fn load_pi(ctx: &Ctx, id: &str) -> ApiResult<(paygate_store::ObjectRow, PaymentIntent)> {
    let row = ctx
        .st
        .store
        .get_object(&ctx.scope(), id)
        .await?
        .filter(|r| r.kind == "payment_intent")
        .ok_or_else(|| ApiError::not_found("payment_intent", id, "intent"))?;
    let pi: PaymentIntent = from_value(row.data.clone())?;
    Ok((row, pi))
}

/// Stripe's `payment_intent_unexpected_state` for an operation the transition table refused,
/// carrying the intent.
pub fn state_error(pi: &PaymentIntent, refused: paygate_payments::UnexpectedState) -> ApiError {
    ApiError::from(refused).with_extra("payment_intent", public(to_value(pi)))
}

/// Asks the transition table whether `op` is allowed; a refusal names `param`.
fn allow(pi: &PaymentIntent, op: IntentOp, param: &str) -> ApiResult<()> {
    check(pi.status, op).map_err(|e| state_error(pi, e).with_param(param))
}

/// `GET /v1/payment_intents` filters.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PiFilters {
    customer: Option<crate::params::typed::Id>,
}
