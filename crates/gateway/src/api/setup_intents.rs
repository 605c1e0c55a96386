//! `/v1/setup_intents`: create, retrieve, update, confirm, cancel, list (Stripe's shapes).
//! The confirm itself is [`crate::setup_intents::confirm`].

use crate::api::load;
use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, get, post};
use crate::ids::{new_id, random_base62};
use crate::models::RequestThreeDSecure;
use crate::params::Params;
use crate::records::{event, insert};
use crate::render::{
    check_client_expand, check_client_secret, expand, expand_param, list_envelope, list_request,
    public,
};
use crate::setup_intents::confirm::{
    SetupConfirm, confirm as confirm_setup, write_si, write_waiting_si,
};
use crate::setup_intents::{SetupIntent, state_error};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_payments::setup_intent::allowed;
use paygate_payments::{SetupIntentOp, SetupIntentStatus as Status, SetupUsage};
use paygate_store::WriteUnit;
use serde_json::Value;

const KIND: &str = "setup_intent";

/// `usage`: `off_session` (Stripe's default) or `on_session`.
fn usage(p: &mut Params) -> ApiResult<Option<SetupUsage>> {
    Ok(
        match p
            .enum_str("usage", &["off_session", "on_session"])?
            .as_deref()
        {
            Some("on_session") => Some(SetupUsage::OnSession),
            Some(_) => Some(SetupUsage::OffSession),
            None => None,
        },
    )
}

/// `return_url`: an absolute http(s) URL.
fn return_url(p: &mut Params) -> ApiResult<Option<String>> {
    let Some(url) = p.str("return_url")?.filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let ok = url::Url::parse(&url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if !ok {
        return Err(ApiError::invalid(
            "return_url",
            "url_invalid",
            "Invalid return_url: must be an absolute http or https URL.",
        ));
    }
    Ok(Some(url))
}

/// `payment_method_options[card][request_three_d_secure]`: `automatic`, `any`, `challenge`.
fn request_three_d_secure(p: &mut Params) -> ApiResult<Option<RequestThreeDSecure>> {
    let Some(mut options) = p.object("payment_method_options")? else {
        return Ok(None);
    };
    let mut asked = None;
    if let Some(mut card) = options.object("card")? {
        asked = match card
            .enum_str("request_three_d_secure", &["automatic", "any", "challenge"])?
            .as_deref()
        {
            Some("any") => Some(RequestThreeDSecure::Any),
            Some("challenge") => Some(RequestThreeDSecure::Challenge),
            Some(_) => Some(RequestThreeDSecure::Automatic),
            None => None,
        };
        card.deny_unknown()?;
    }
    options.deny_unknown()?;
    Ok(asked)
}

/// `payment_method_types[]`: only `card` can be set up.
fn payment_method_types(p: &mut Params) -> ApiResult<Vec<String>> {
    let types = p.str_list("payment_method_types")?;
    if let Some(t) = types.iter().find(|t| t.as_str() != "card") {
        return Err(ApiError::invalid(
            "payment_method_types",
            "payment_method_invalid_parameter",
            format!(
                "The payment method type '{}' cannot be set up: only card is supported.",
                crate::error::echo(t)
            ),
        ));
    }
    Ok(vec!["card".into()])
}

/// Checks that `customer` and `payment_method` exist for this merchant.
async fn check_refs(ctx: &Ctx, customer: Option<&str>, pm: Option<&str>) -> ApiResult<()> {
    if let Some(c) = customer {
        load(ctx, c, "customer", "customer").await?;
    }
    if let Some(pm) = pm.filter(|pm| !pm.starts_with("pm_card_")) {
        load(ctx, pm, "payment_method", "payment_method").await?;
    }
    Ok(())
}

pub async fn create(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, create_inner).await
}

async fn create_inner(mut ctx: Ctx) -> ApiResult<Value> {
    let p = &mut ctx.params;
    let customer = p.str("customer")?.filter(|s| !s.is_empty());
    let payment_method = p.str("payment_method")?.filter(|s| !s.is_empty());
    let id = new_id("seti");
    let si = SetupIntent {
        client_secret: format!("{id}_secret_{}", random_base62(24)),
        id,
        object: KIND.into(),
        cancellation_reason: None,
        created: ctx.rc.now,
        customer,
        description: p.str("description")?,
        last_setup_error: None,
        latest_attempt: None,
        livemode: ctx.caller.livemode,
        metadata: p.metadata()?.unwrap_or_default(),
        next_action: None,
        status: Status::awaiting(payment_method.is_some()),
        payment_method,
        payment_method_types: payment_method_types(p)?,
        usage: usage(p)?.unwrap_or_default(),
        return_url: return_url(p)?,
        request_three_d_secure: request_three_d_secure(p)?,
        three_ds: None,
    };
    let confirm = p.bool("confirm")?.unwrap_or(false);
    let expands = expand_param(p)?;
    if confirm {
        p.allow(&["payment_method_data"]);
    }
    p.deny_unknown()?;
    check_refs(&ctx, si.customer.as_deref(), si.payment_method.as_deref()).await?;
    let scope = ctx.scope();
    let doc = si.to_doc();
    let key = ctx.idempotency_key();
    let ops = vec![
        insert(&scope, KIND, si.customer.as_deref(), &doc, ctx.now),
        event(&scope, "setup_intent.created", &doc, key, ctx.now),
    ];
    if !confirm {
        let body = expand(&ctx.st, &ctx.caller, public(doc), &expands).await?;
        return ctx.commit_ok(WriteUnit { ops }, body).await;
    }
    let c = SetupConfirm {
        si,
        version: None,
        pre: ops,
        expands,
    };
    confirm_setup(&mut ctx, c).await
}

/// Loads a SetupIntent of the caller's merchant.
async fn load_si(ctx: &Ctx, id: &str) -> ApiResult<(i64, SetupIntent)> {
    let (version, _, si) = load_si_due(ctx, id).await?;
    Ok((version, si))
}

/// [`load_si`] with the time a SetupIntent waiting for the payer is abandoned at.
async fn load_si_due(ctx: &Ctx, id: &str) -> ApiResult<(i64, Option<i64>, SetupIntent)> {
    let row = load(ctx, id, KIND, "intent").await?;
    Ok((row.version, row.due, SetupIntent::from_doc(row.data)?))
}

pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let client_secret = p.str("client_secret")?;
        let expands = expand_param(&mut p)?;
        p.deny_unknown()?;
        let row = st
            .store
            .get_object(&caller.scope(), &id)
            .await?
            .filter(|r| r.kind == KIND)
            .ok_or_else(|| ApiError::not_found("setup_intent", &id, "intent"))?;
        if !caller.secret {
            check_client_secret(&row.data, client_secret.as_deref())?;
            check_client_expand(&expands)?;
            let body = expand(&st, &caller, public(row.data), &expands).await?;
            return Ok(crate::render::client_body(body));
        }
        expand(&st, &caller, public(row.data), &expands).await
    })
    .await
}

pub async fn update(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx| async move {
        let (version, due, mut si) = load_si_due(&ctx, &id).await?;
        let p = &mut ctx.params;
        let customer = p.str("customer")?;
        let payment_method = p.str("payment_method")?;
        let description = p.str("description")?;
        let metadata = p.metadata()?;
        let expands = expand_param(p)?;
        p.deny_unknown()?;
        if customer.is_some() || payment_method.is_some() {
            if !allowed(si.status, SetupIntentOp::Update) {
                return Err(state_error(&si, "update"));
            }
            check_refs(&ctx, customer.as_deref(), payment_method.as_deref()).await?;
        }
        if let Some(c) = customer {
            si.customer = Some(c).filter(|c| !c.is_empty());
        }
        if let Some(pm) = payment_method {
            si.payment_method = Some(pm).filter(|pm| !pm.is_empty());
            si.status = Status::awaiting(si.payment_method.is_some());
        }
        if let Some(d) = description {
            si.description = Some(d).filter(|d| !d.is_empty());
        }
        if let Some(m) = metadata {
            crate::api::payment_intents::merge_metadata(&mut si.metadata, m);
        }
        let doc = si.to_doc();
        let mut ops = Vec::new();
        match due.filter(|_| si.status == Status::RequiresAction) {
            // Still waiting for the payer: it stays due for the abandoned sweep.
            Some(due) => write_waiting_si(&mut ops, &si.id, Some(version), &doc, due),
            None => write_si(&mut ops, &si.id, Some(version), &doc),
        }
        ops.push(paygate_store::Op::SetParent {
            id: si.id.clone(),
            parent: si.customer.clone(),
        });
        let body = expand(&ctx.st, &ctx.caller, public(doc), &expands).await?;
        ctx.commit_ok(WriteUnit { ops }, body).await
    })
    .await
}

pub async fn confirm(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |ctx| confirm_inner(ctx, id)).await
}

/// The confirm of SetupIntent `id` with `ctx`'s parameters: the API's, and the hosted
/// checkout page's in setup mode.
pub(crate) async fn confirm_inner(mut ctx: Ctx, id: String) -> ApiResult<Value> {
    {
        let (version, mut si) = load_si(&ctx, &id).await?;
        let p = &mut ctx.params;
        let client_secret = p.str("client_secret")?;
        let payment_method = p.str("payment_method")?.filter(|s| !s.is_empty());
        if let Some(url) = return_url(p)? {
            si.return_url = Some(url);
        }
        if let Some(asked) = request_three_d_secure(p)? {
            si.request_three_d_secure = Some(asked);
        }
        let expands = expand_param(p)?;
        p.allow(&["payment_method_data"]);
        p.deny_unknown()?;
        if !ctx.caller.secret {
            check_client_secret(&si.to_doc(), client_secret.as_deref())?;
            check_client_expand(&expands)?;
        }
        if !allowed(si.status, SetupIntentOp::Confirm) {
            return Err(state_error(&si, "confirm"));
        }
        if let Some(pm) = payment_method {
            check_refs(&ctx, None, Some(&pm)).await?;
            si.payment_method = Some(pm);
        }
        let c = SetupConfirm {
            si,
            version: Some(version),
            pre: Vec::new(),
            expands,
        };
        confirm_setup(&mut ctx, c).await
    }
}

pub async fn cancel(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx| async move {
        let (version, mut si) = load_si(&ctx, &id).await?;
        let p = &mut ctx.params;
        let reason = p.enum_str(
            "cancellation_reason",
            &["abandoned", "requested_by_customer", "duplicate"],
        )?;
        let expands = expand_param(p)?;
        p.deny_unknown()?;
        if !allowed(si.status, SetupIntentOp::Cancel) {
            return Err(state_error(&si, "cancel"));
        }
        let mut ops: Vec<paygate_store::Op> =
            crate::setup_intents::three_ds::finish_transaction(&si)
                .into_iter()
                .collect();
        si.status = Status::Canceled;
        si.cancellation_reason = reason;
        si.next_action = None;
        si.three_ds = None;
        let doc = si.to_doc();
        write_si(&mut ops, &si.id, Some(version), &doc);
        let scope = ctx.scope();
        let key = ctx.idempotency_key();
        ops.push(event(&scope, "setup_intent.canceled", &doc, key, ctx.now));
        let body = expand(&ctx.st, &ctx.caller, public(doc), &expands).await?;
        ctx.commit_ok(WriteUnit { ops }, body).await
    })
    .await
}

pub async fn list(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let mut r = list_request::<SiFilters>(&mut p, KIND)?;
        r.query.parent = r.filters.customer.map(|c| c.0);
        let page = st.store.list_objects(&caller.scope(), &r.query).await?;
        list_envelope(&st, &caller, "/v1/setup_intents", page, &r.expand).await
    })
    .await
}

/// `GET /v1/setup_intents` filters.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SiFilters {
    customer: Option<crate::params::typed::Id>,
}

/// The parameters the SetupIntent handlers above read through the accessor API, declared
/// for the OpenAPI document (`api::openapi_params`). The handlers refuse any other key
/// (`deny_unknown`); the test `openapi_params_match_the_parsers` posts every declared key and
/// an undeclared one, so a table cannot drift from its handler.
pub mod tables {
    // Declarations for the document only: read through `JsonSchema`, never constructed.
    #![allow(dead_code)]

    use crate::params::typed::{Expand, Flag, Id, List, Metadata, Text};
    use schemars::JsonSchema;

    /// `payment_method_options[card]`.
    #[derive(JsonSchema)]
    pub struct CardOptions {
        #[schemars(extend("enum" = ["automatic", "any", "challenge"]))]
        request_three_d_secure: Option<Text<5000>>,
    }

    /// `payment_method_options`.
    #[derive(JsonSchema)]
    pub struct Options {
        card: Option<CardOptions>,
    }

    /// `POST /v1/setup_intents`.
    #[derive(JsonSchema)]
    pub struct Create {
        confirm: Option<Flag>,
        customer: Option<Id>,
        description: Option<Text<5000>>,
        expand: Option<Expand>,
        metadata: Option<Metadata>,
        payment_method: Option<Id>,
        /// The card to set up (with `confirm=true`): `type=card` and `card[…]`.
        payment_method_data: Option<crate::cards::table::PaymentMethodData>,
        payment_method_options: Option<Options>,
        /// Only `card` can be set up.
        payment_method_types: Option<List>,
        /// An absolute http(s) URL.
        return_url: Option<Text<5000>>,
        #[schemars(extend("enum" = ["off_session", "on_session"]))]
        usage: Option<Text<5000>>,
    }

    /// `GET /v1/setup_intents/{id}`.
    #[derive(JsonSchema)]
    pub struct Retrieve {
        client_secret: Option<Text<5000>>,
        expand: Option<Expand>,
    }

    /// `POST /v1/setup_intents/{id}`.
    #[derive(JsonSchema)]
    pub struct Update {
        customer: Option<Id>,
        description: Option<Text<5000>>,
        expand: Option<Expand>,
        metadata: Option<Metadata>,
        payment_method: Option<Id>,
    }

    /// `POST /v1/setup_intents/{id}/confirm`.
    #[derive(JsonSchema)]
    pub struct Confirm {
        client_secret: Option<Text<5000>>,
        expand: Option<Expand>,
        payment_method: Option<Id>,
        /// The card to set up: `type=card` and `card[…]`.
        payment_method_data: Option<crate::cards::table::PaymentMethodData>,
        payment_method_options: Option<Options>,
        /// An absolute http(s) URL.
        return_url: Option<Text<5000>>,
    }

    /// `POST /v1/setup_intents/{id}/cancel`.
    #[derive(JsonSchema)]
    pub struct Cancel {
        #[schemars(extend("enum" = ["abandoned", "requested_by_customer", "duplicate"]))]
        cancellation_reason: Option<Text<5000>>,
        expand: Option<Expand>,
    }
}
