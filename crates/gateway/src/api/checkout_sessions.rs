//! `/v1/checkout/sessions`: create, retrieve, list, expire, and `…/{id}/line_items` (Stripe's
//! shapes). A session in payment mode is created with its PaymentIntent (in setup mode its
//! SetupIntent) in the same commit; the hosted page at `url` confirms that intent.

use crate::api::load;
use crate::checkout::lifecycle::{self, NotExpired, write};
use crate::checkout::methods::default_types;
use crate::checkout::params::SessionCreate;
use crate::checkout::session::{Mode, PaymentStatus, SessionStatus};
use crate::checkout::{CheckoutSession, KIND};
use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, get, post};
use crate::ids::{new_id, random_base62};
use crate::params::Params;
use crate::records::{event, insert};
use crate::render::{list_envelope, list_request, public};
use crate::setup_intents::SetupIntent;
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_payments::{SetupIntentStatus, SetupUsage};
use paygate_store::{Op, WriteUnit};
use serde_json::{Value, json};

pub async fn create(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, create_inner).await
}

async fn create_inner(mut ctx: Ctx) -> ApiResult<Value> {
    let now = ctx.now;
    let c = SessionCreate::parse(&mut ctx.params, now)?;
    ctx.params.deny_unknown()?;
    if let Some(customer) = &c.customer {
        load(&ctx, customer, "customer", "customer").await?;
    }
    let id = new_id(if ctx.caller.livemode {
        "cs_live"
    } else {
        "cs_test"
    });
    let types = if c.payment_method_types.is_empty() {
        default_types(
            &ctx.st,
            c.mode == Mode::Setup,
            c.currency.map(|cur| cur.code()),
        )
    } else {
        c.payment_method_types.clone()
    };
    let scope = ctx.scope();
    let (mut ops, payment_intent, setup_intent) = match c.mode {
        Mode::Payment => {
            let (op_pi, op_ev, pi) = new_payment_intent(&ctx, &c, &types, &id)?;
            (vec![op_pi, op_ev], Some(pi), None)
        }
        Mode::Setup => {
            let (op_si, op_ev, si) = new_setup_intent(&ctx, &c, &types);
            (vec![op_si, op_ev], None, Some(si))
        }
    };
    let cs = CheckoutSession {
        url: Some(ctx.st.pages.url(&format!("/pay/checkout/{id}"))),
        id,
        object: "checkout.session".into(),
        amount_subtotal: c.amount_total,
        amount_total: c.amount_total,
        cancel_url: c.cancel_url,
        client_reference_id: c.client_reference_id,
        created: ctx.now,
        currency: c.currency.map(|cur| cur.code().to_string()),
        customer: c.customer,
        customer_email: c.customer_email,
        expires_at: c.expires_at,
        livemode: ctx.caller.livemode,
        locale: c.locale,
        metadata: c.metadata,
        mode: c.mode,
        payment_intent,
        payment_method_types: types,
        payment_status: match c.mode {
            Mode::Payment => PaymentStatus::Unpaid,
            Mode::Setup => PaymentStatus::NoPaymentRequired,
        },
        setup_intent,
        status: SessionStatus::Open,
        success_url: c.success_url,
        line_items: c.line_items,
    };
    ops.push(write(&cs, None, &scope, cs.expires_at, ctx.now));
    let body = public(cs.to_doc());
    ctx.commit_ok(WriteUnit { ops }, body).await
}

/// The session's PaymentIntent (not confirmed: the page confirms it), through the
/// PaymentIntent API's own parameter check and constructor.
fn new_payment_intent(
    ctx: &Ctx,
    c: &SessionCreate,
    types: &[String],
    session: &str,
) -> ApiResult<(Op, Op, String)> {
    let (Some(currency), Some(amount)) = (c.currency, c.amount_total) else {
        return Err(ApiError::missing("line_items"));
    };
    let mut root = serde_json::Map::new();
    root.insert("amount".into(), json!(amount));
    root.insert("currency".into(), json!(currency.code()));
    root.insert("payment_method_types".into(), json!(types));
    if let Some(customer) = &c.customer {
        root.insert("customer".into(), json!(customer));
    }
    if let Some(email) = &c.customer_email {
        root.insert("receipt_email".into(), json!(email));
    }
    let mut p = Params::from_map(root);
    let params = crate::api::intent_params::IntentCreate::parse(&mut p)?;
    let (mut pi, _, _) =
        crate::api::payment_intents::new_intent(params, ctx.now, ctx.caller.livemode);
    pi.checkout_session = Some(session.to_string());
    let doc = crate::models::to_value(&pi);
    let scope = ctx.scope();
    let key = ctx.idempotency_key();
    Ok((
        insert(
            &scope,
            "payment_intent",
            pi.customer.as_deref(),
            &doc,
            ctx.now,
        ),
        event(&scope, "payment_intent.created", &doc, key, ctx.now),
        pi.id,
    ))
}

/// The session's SetupIntent (mode=setup), saved for off-session use.
fn new_setup_intent(ctx: &Ctx, c: &SessionCreate, types: &[String]) -> (Op, Op, String) {
    let id = new_id("seti");
    let si = SetupIntent {
        client_secret: format!("{id}_secret_{}", random_base62(24)),
        id: id.clone(),
        object: "setup_intent".into(),
        cancellation_reason: None,
        created: ctx.now,
        customer: c.customer.clone(),
        description: None,
        last_setup_error: None,
        latest_attempt: None,
        livemode: ctx.caller.livemode,
        metadata: serde_json::Map::new(),
        next_action: None,
        payment_method: None,
        payment_method_types: types.to_vec(),
        status: SetupIntentStatus::RequiresPaymentMethod,
        usage: SetupUsage::OffSession,
        return_url: None,
        request_three_d_secure: None,
        three_ds: None,
    };
    let doc = si.to_doc();
    let scope = ctx.scope();
    let key = ctx.idempotency_key();
    (
        insert(
            &scope,
            "setup_intent",
            si.customer.as_deref(),
            &doc,
            ctx.now,
        ),
        event(&scope, "setup_intent.created", &doc, key, ctx.now),
        id,
    )
}

/// Loads a session of the caller's merchant (another merchant's is a 404), completing it
/// first when its intent succeeded meanwhile.
async fn load_synced(
    st: &SharedState,
    caller: &crate::auth::Caller,
    id: &str,
) -> ApiResult<(paygate_store::ObjectRow, CheckoutSession)> {
    let row = st
        .store
        .get_object(&caller.scope(), id)
        .await?
        .filter(|r| r.kind == KIND)
        .ok_or_else(|| ApiError::not_found("checkout.session", id, "session"))?;
    let cs = lifecycle::sync(st, &row).await?;
    Ok((row, cs))
}

pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    get(req, |caller, p| async move {
        p.deny_unknown()?;
        let (_, cs) = load_synced(&st, &caller, &id).await?;
        Ok(public(cs.to_doc()))
    })
    .await
}

pub async fn list(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let mut r = list_request::<SessionFilters>(&mut p, KIND)?;
        r.query.parent = r.filters.customer.map(|c| c.0);
        let page = st.store.list_objects(&caller.scope(), &r.query).await?;
        list_envelope(&st, &caller, "/v1/checkout/sessions", page, &r.expand).await
    })
    .await
}

/// `GET /v1/checkout/sessions` filters.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SessionFilters {
    customer: Option<crate::params::typed::Id>,
}

pub async fn expire(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |ctx| async move {
        ctx.params.deny_unknown()?;
        let row = load(&ctx, &id, KIND, "session").await?;
        match lifecycle::expire(&ctx.st, &row, ctx.idempotency_key()).await? {
            Ok(cs) => Ok(public(cs.to_doc())),
            Err(NotExpired::Completed(cs)) => Err(cs.state_error("expire")),
            Err(NotExpired::Busy) => Err(ApiError::invalid(
                "session",
                "checkout_session_unexpected_state",
                "This Checkout Session cannot be expired: its payment is in progress.",
            )),
        }
    })
    .await
}

/// Largest `limit` of a line item page.
const LINE_ITEMS_PAGE_MAX: i64 = 100;

pub async fn line_items(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    req: Req,
) -> Response {
    get(req, |caller, mut p| async move {
        let limit = p.int("limit")?.unwrap_or(10);
        if !(1..=LINE_ITEMS_PAGE_MAX).contains(&limit) {
            return Err(ApiError::invalid(
                "limit",
                "parameter_invalid_integer",
                format!("Invalid limit: must be 1 to {LINE_ITEMS_PAGE_MAX}."),
            ));
        }
        let after = p.str("starting_after")?;
        p.deny_unknown()?;
        let (_, cs) = load_synced(&st, &caller, &id).await?;
        let start = match after {
            Some(a) => cs
                .line_items
                .iter()
                .position(|i| i.id == a)
                .map_or(cs.line_items.len(), |i| i + 1),
            None => 0,
        };
        let rest = &cs.line_items[start..];
        let n = usize::try_from(limit).unwrap_or(10).min(rest.len());
        Ok(json!({
            "object": "list",
            "data": &rest[..n],
            "has_more": rest.len() > n,
            "url": format!("/v1/checkout/sessions/{id}/line_items"),
        }))
    })
    .await
}

/// The parameters [`line_items`] reads, declared for the OpenAPI document.
#[allow(dead_code)] // read through `JsonSchema` only
#[derive(schemars::JsonSchema)]
pub struct LineItemsQuery {
    #[schemars(range(min = 1, max = LINE_ITEMS_PAGE_MAX))]
    limit: Option<crate::params::typed::Int>,
    starting_after: Option<crate::params::typed::Id>,
}
