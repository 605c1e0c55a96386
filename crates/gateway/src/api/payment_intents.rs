//! `/v1/payment_intents`: create, retrieve, update, list, confirm, capture, cancel.

use crate::api::respond::Responder;
use crate::api::{load, parse_amount_currency};
use crate::engine::{self, Authorize, Cancel, Capture};
use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, get, post};
use crate::ids::{new_id, random_base62};
use crate::models::{PaymentIntent, from_value, to_value};
use crate::params::Params;
use crate::params::typed::{Email, StatementDescriptor, Text};
use crate::records::{event, insert, update};
use crate::render::{
    check_client_expand, check_client_secret, client_view, expand, expand_param, list_envelope,
    list_request, public,
};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_payments::intent::check;
use paygate_payments::{CaptureMethod, IntentOp, PaymentIntentStatus as Status};
use paygate_store::WriteUnit;
use serde_json::{Map, Value};

const CREATE_PARAMS: &[&str] = &[
    "automatic_payment_methods",
    "confirmation_method",
    "error_on_requires_action",
    "return_url",
    "setup_future_usage",
    "use_stripe_sdk",
    "mandate_data",
    "shipping",
];

/// `payment_method` and `payment_method_data` together would leave it unclear which card is
/// charged: refused.
fn check_one_payment_method(p: &Params) -> ApiResult<()> {
    let given = |k: &str| {
        p.root()
            .get(k)
            .is_some_and(|v| v.as_str() != Some("") && !v.is_null())
    };
    if given("payment_method") && given("payment_method_data") {
        return Err(ApiError::invalid(
            "payment_method_data",
            "parameter_invalid",
            "You may only specify one of these parameters: payment_method, payment_method_data.",
        ));
    }
    Ok(())
}

/// `off_session`: paygate keeps no mandates for merchant-initiated payments yet, so a payment
/// cannot be marked as taken without the customer present; `off_session=false` (the default)
/// is accepted. Refused by name rather than accepted and ignored.
fn check_off_session(p: &mut Params) -> ApiResult<()> {
    match p.str("off_session")?.as_deref() {
        None | Some("false") | Some("") => Ok(()),
        Some(_) => Err(ApiError::invalid(
            "off_session",
            "parameter_unsupported",
            "off_session payments are not supported: paygate keeps no mandates for \
             merchant-initiated payments. Confirm with the customer present (omit off_session).",
        )),
    }
}

pub async fn create(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, create_inner).await
}

async fn create_inner(mut ctx: Ctx) -> ApiResult<Value> {
    let p = &mut ctx.params;
    let (amount, currency) = parse_amount_currency(p)?;
    let capture_method = p
        .enum_str(
            "capture_method",
            &["automatic", "automatic_async", "manual"],
        )?
        .and_then(|c| CaptureMethod::parse(&c))
        .unwrap_or(CaptureMethod::Automatic);
    let confirm = p.bool("confirm")?.unwrap_or(false);
    let customer = p.str("customer")?.filter(|s| !s.is_empty());
    let description = p
        .field::<Text<1000>>("description")?
        .and_then(Text::non_empty);
    let receipt_email = p
        .field::<Email>("receipt_email")?
        .map(|e| e.0)
        .filter(|e| !e.is_empty());
    let statement_descriptor = p
        .field::<StatementDescriptor>("statement_descriptor")?
        .map(|s| s.0)
        .filter(|s| !s.is_empty());
    check_off_session(p)?;
    check_one_payment_method(p)?;
    let metadata = p.metadata()?.unwrap_or_default();
    let types = p.str_list("payment_method_types")?;
    if let Some(t) = types.iter().find(|t| t.as_str() != "card") {
        return Err(ApiError::bad_param(
            "payment_method_types",
            format!("The payment method type '{t}' is not supported; paygate accepts 'card'."),
        ));
    }
    let payment_method = p.str("payment_method")?.filter(|s| !s.is_empty());
    let expands = expand_param(p)?;
    p.allow(CREATE_PARAMS);
    p.allow(&["payment_method_data"]);
    if !confirm && p.root().contains_key("payment_method_data") {
        return Err(ApiError::bad_param(
            "payment_method_data",
            "payment_method_data can only be given together with confirm=true.",
        ));
    }
    p.deny_unknown()?;
    if let Some(c) = &customer {
        load(&ctx, c, "customer", "customer").await?;
    }
    let status = Status::awaiting(payment_method.is_some());
    let id = new_id("pi");
    let pi = PaymentIntent {
        client_secret: format!("{id}_secret_{}", random_base62(24)),
        id,
        object: "payment_intent".into(),
        amount,
        amount_capturable: 0,
        amount_received: 0,
        canceled_at: None,
        cancellation_reason: None,
        capture_method,
        confirmation_method: "automatic".into(),
        created: ctx.now,
        currency: currency.code().to_string(),
        customer,
        description,
        last_payment_error: None,
        latest_charge: None,
        livemode: ctx.caller.livemode,
        metadata,
        next_action: None,
        payment_method: payment_method.clone(),
        payment_method_types: vec!["card".into()],
        receipt_email,
        statement_descriptor,
        status,
        attempts: 0,
    };
    let scope = ctx.scope();
    let doc = to_value(&pi);
    let created_event = event(
        &scope,
        "payment_intent.created",
        &doc,
        ctx.idempotency_key(),
        ctx.now,
    );
    if !confirm {
        let unit = WriteUnit {
            ops: vec![
                insert(
                    &scope,
                    "payment_intent",
                    pi.customer.as_deref(),
                    &doc,
                    ctx.now,
                ),
                created_event,
            ],
        };
        let body = expand(&ctx.st, &ctx.caller, public(doc), &expands).await?;
        return ctx.commit_ok(unit, body).await;
    }
    let pre = vec![
        insert(
            &scope,
            "payment_intent",
            pi.customer.as_deref(),
            &doc,
            ctx.now,
        ),
        created_event,
    ];
    let card = crate::cards::confirm_card(&mut ctx, &pi).await?;
    let respond = Responder::new(&ctx, expands);
    let cmd = Authorize {
        intent: pi,
        version: None,
        pre,
        card,
        authentication: None,
    };
    engine::authorize::authorize(&ctx.rc, &respond, cmd).await
}

pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let expands = expand_param(&mut p)?;
        let client_secret = p.str("client_secret")?;
        p.deny_unknown()?;
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
        let (row, mut pi) = load_pi(&ctx, &id).await?;
        let p = &mut ctx.params;
        if let Some(c) = p.str("currency")? {
            allow(&pi, IntentOp::UpdateAmountOrCurrency, "currency")?;
            let cur = paygate_ledger::Currency::parse(&c).map_err(|_| {
                ApiError::invalid(
                    "currency",
                    "parameter_invalid",
                    format!("Invalid currency: {c}"),
                )
            })?;
            pi.currency = cur.code().to_string();
        }
        if let Some(a) = p.int("amount")? {
            allow(&pi, IntentOp::UpdateAmountOrCurrency, "amount")?;
            let currency =
                paygate_ledger::Currency::parse(&pi.currency).map_err(ApiError::internal)?;
            pi.amount = crate::api::check_amount(a, currency)?;
        }
        if let Some(d) = p.field::<Text<1000>>("description")? {
            allow(&pi, IntentOp::Update, "description")?;
            pi.description = d.non_empty();
        }
        if let Some(e) = p.field::<Email>("receipt_email")? {
            allow(&pi, IntentOp::UpdateCustomer, "receipt_email")?;
            pi.receipt_email = Some(e.0).filter(|s| !s.is_empty());
        }
        let mut new_parent = None;
        if let Some(c) = p.str("customer")? {
            allow(&pi, IntentOp::UpdateCustomer, "customer")?;
            if !c.is_empty() {
                load(&ctx, &c, "customer", "customer").await?;
            }
            pi.customer = Some(c).filter(|s| !s.is_empty());
            new_parent = Some(pi.customer.clone());
        }
        let p = &mut ctx.params;
        if let Some(pm) = p.str("payment_method")? {
            allow(&pi, IntentOp::UpdatePaymentMethod, "payment_method")?;
            pi.payment_method = Some(pm).filter(|s| !s.is_empty());
            pi.status = Status::awaiting(pi.payment_method.is_some());
        }
        if let Some(m) = p.metadata()? {
            merge_metadata(&mut pi.metadata, m);
        }
        let expands = expand_param(p)?;
        p.deny_unknown()?;
        let doc = to_value(&pi);
        let mut unit = WriteUnit {
            ops: vec![update(&pi.id, row.version, &doc)],
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
    post(st, req, |mut ctx| async move {
        let (row, mut pi) = load_pi(&ctx, &id).await?;
        let publishable = !ctx.caller.secret;
        let p = &mut ctx.params;
        let client_secret = p.str("client_secret")?;
        if publishable {
            check_client_secret(&row.data, client_secret.as_deref())?;
        }
        if let Some(pm) = p.str("payment_method")?.filter(|s| !s.is_empty()) {
            pi.payment_method = Some(pm);
        }
        if let Some(cm) = p.enum_str("capture_method", &["automatic", "manual"])? {
            pi.capture_method = CaptureMethod::parse(&cm).unwrap_or(pi.capture_method);
        }
        if let Some(e) = p.field::<Email>("receipt_email")? {
            pi.receipt_email = Some(e.0).filter(|e| !e.is_empty());
        }
        check_off_session(p)?;
        check_one_payment_method(p)?;
        let expands = expand_param(p)?;
        if publishable {
            check_client_expand(&expands)?;
        }
        p.allow(CREATE_PARAMS);
        p.allow(&["payment_method_data"]);
        p.deny_unknown()?;
        check(pi.status, IntentOp::Confirm).map_err(|e| state_error(&pi, e))?;
        let card = crate::cards::confirm_card(&mut ctx, &pi).await?;
        let respond = Responder::new(&ctx, expands);
        let cmd = Authorize {
            intent: pi,
            version: Some(row.version),
            pre: Vec::new(),
            card,
            authentication: None,
        };
        engine::authorize::authorize(&ctx.rc, &respond, cmd).await
    })
    .await
}

pub async fn capture(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx| async move {
        let (row, pi) = load_pi(&ctx, &id).await?;
        let p = &mut ctx.params;
        let amount = p.int("amount_to_capture")?;
        let expands = expand_param(p)?;
        p.allow(&["statement_descriptor", "final_capture", "metadata"]);
        p.deny_unknown()?;
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
        let (row, pi) = load_pi(&ctx, &id).await?;
        let p = &mut ctx.params;
        let reason = p.enum_str(
            "cancellation_reason",
            &[
                "duplicate",
                "fraudulent",
                "requested_by_customer",
                "abandoned",
            ],
        )?;
        let expands = expand_param(p)?;
        p.deny_unknown()?;
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
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PiFilters {
    customer: Option<crate::params::typed::Id>,
}
