//! A SetupIntent's confirm: the card, 3-D Secure when it applies ([`super::three_ds`]), its
//! account verification, and one commit of the outcome.

use super::three_ds::{SetupAuthentication, authenticate};
use super::{SetupIntent, StoredCredentialRecord};
use crate::auth::Caller;
use crate::cards::AuthCard;
use crate::engine::{CardVerification, RequestContext, Verification, verify_card};
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::records::event;
use crate::render::{expand, public};
use paygate_payments::{Authentication, Currency, SetupIntentStatus as Status};
use paygate_store::{Op, WriteUnit};
use serde_json::{Value, json};

/// A SetupIntent being confirmed.
pub struct SetupConfirm {
    pub si: SetupIntent,
    /// The stored version; `None` when `pre` inserts it (create with `confirm=true`).
    pub version: Option<i64>,
    /// Writes committed with the outcome (the insert and `setup_intent.created`).
    pub pre: Vec<Op>,
    pub expands: Vec<String>,
}

/// The currency of the verification message (DE 49): the gateway's home currency.
pub fn verification_currency() -> ApiResult<Currency> {
    Currency::parse("krw").map_err(ApiError::internal)
}

/// Confirms `c`: authenticates the cardholder when 3-D Secure applies, verifies the card and
/// commits the outcome with the idempotent answer.
pub async fn confirm(ctx: &mut Ctx, mut c: SetupConfirm) -> ApiResult<Value> {
    let card = resolve_card(ctx, &c.si).await?;
    super::three_ds::start_over(&mut c);
    match authenticate(ctx, &c.si, &card).await? {
        SetupAuthentication::Proceed(auth, three_d_secure) => {
            let done = Verified {
                authentication: auth.as_ref(),
                three_d_secure,
            };
            verify(ctx, Some(&ctx.caller), c, card, done).await
        }
        SetupAuthentication::Challenge(ch) => {
            super::three_ds::requires_action(ctx, c, card, *ch).await
        }
        SetupAuthentication::Failed => {
            let err = super::three_ds::authentication_failure();
            failed(ctx, c, card, err, json!(null)).await
        }
    }
}

/// What 3-D Secure gave a verification: the data relayed to the issuer and the result kept.
pub struct Verified<'a> {
    pub authentication: Option<&'a Authentication>,
    pub three_d_secure: Option<Value>,
}

/// Verifies `card` at its issuer (with the authentication, when there is one) and commits the
/// outcome. `caller` renders the answer with `expand` (none: the plain public object).
pub async fn verify(
    rc: &RequestContext,
    caller: Option<&Caller>,
    c: SetupConfirm,
    card: AuthCard,
    auth: Verified<'_>,
) -> ApiResult<Value> {
    let asked = CardVerification {
        merchant_id: &rc.merchant.id,
        pan: &card.pan,
        expiry: &card.expiry,
        cvc: card.cvc.as_ref(),
        currency: verification_currency()?,
        authentication: auth.authentication,
        store_for_later: true,
    };
    let verification = match verify_card(&rc.st, &asked).await {
        Ok(v) => v,
        // No answer: nothing was held; the attempt fails like a decline, retryable.
        Err(e) if e.status.as_u16() == 402 => {
            return failed(rc, c, card, e, json!(null)).await;
        }
        Err(e) => return Err(e),
    };
    match verification.error() {
        None => succeeded(rc, caller, c, card, &verification, auth.three_d_secure).await,
        Some(err) => failed(rc, c, card, err, verification.checks()).await,
    }
}

/// The card a confirm verifies: `payment_method_data[card]` (a new PaymentMethod), else the
/// SetupIntent's PaymentMethod, which must be a card of its customer (or of none).
async fn resolve_card(ctx: &mut Ctx, si: &SetupIntent) -> ApiResult<AuthCard> {
    let scope = ctx.scope();
    if let Some(mut pmd) = ctx.params.object("payment_method_data")? {
        pmd.enum_str("type", &["card"])?
            .ok_or_else(|| ApiError::missing("payment_method_data[type]"))?;
        let mut card = pmd
            .object("card")?
            .ok_or_else(|| ApiError::missing("payment_method_data[card]"))?;
        pmd.allow(&["billing_details", "metadata"]);
        pmd.deny_unknown()?;
        return crate::cards::card_from_params(&ctx.st, &scope, &mut card, ctx.now).await;
    }
    let Some(pm_id) = si.payment_method.clone() else {
        return Err(ApiError::unexpected_state(
            "setup_intent_unexpected_state",
            "You cannot confirm this SetupIntent because it's missing a payment method. \
             Pass a payment_method or payment_method_data.",
        )
        .with_param("payment_method"));
    };
    let card = crate::cards::saved_card(&ctx.st, &scope, &pm_id, ctx.now).await?;
    if card.pm["type"] != "card" {
        return Err(ApiError::bad_param(
            "payment_method",
            "Only card PaymentMethods can be set up for future payments.",
        ));
    }
    if let Some(owner) = card.pm["customer"].as_str()
        && si.customer.as_deref() != Some(owner)
    {
        return Err(ApiError::bad_param(
            "payment_method",
            "The provided PaymentMethod belongs to another Customer than this SetupIntent.",
        ));
    }
    Ok(card)
}

/// The card is good: the SetupIntent succeeds and the PaymentMethod becomes the customer's
/// billing key, remembering the verification as its stored credential's initial use.
async fn succeeded(
    ctx: &RequestContext,
    caller: Option<&Caller>,
    c: SetupConfirm,
    card: AuthCard,
    verification: &Verification,
    three_d_secure: Option<Value>,
) -> ApiResult<Value> {
    let Verification::Verified {
        network_transaction_id,
        ..
    } = verification
    else {
        return Err(ApiError::internal("succeeded without a verification"));
    };
    let SetupConfirm {
        mut si,
        version,
        pre,
        expands,
    } = c;
    let record = StoredCredentialRecord {
        network_transaction_id: network_transaction_id.clone(),
        usage: si.usage,
        three_d_secure,
    };
    let mut pm = card.pm.clone();
    pm["card"]["checks"] = verification.checks();
    pm["_stored_credential"] = json!(record);
    if si.customer.is_some() {
        pm["customer"] = json!(si.customer);
    }
    si.status = Status::Succeeded;
    si.payment_method = Some(card.pm_id.clone());
    si.last_setup_error = None;
    si.next_action = None;
    si.three_ds = None;
    let doc = si.to_doc();
    let scope = ctx.scope();
    let key = ctx.idempotency_key();
    let mut ops = pre;
    ops.extend(pm_ops(ctx, &card, &pm, si.customer.as_deref()).await?);
    write_si(&mut ops, &si.id, version, &doc);
    if si.customer.is_some() && card.pm["customer"].is_null() {
        ops.push(event(&scope, "payment_method.attached", &pm, key, ctx.now));
    }
    ops.push(event(&scope, "setup_intent.succeeded", &doc, key, ctx.now));
    let body = match caller {
        Some(caller) => expand(&ctx.st, caller, public(doc), &expands).await?,
        None => public(doc),
    };
    let commit = ctx.commit_ok(WriteUnit { ops }, body);
    let sealed = card.sealed.as_slice();
    ctx.st.card_vault.commit_or_discard(sealed, commit).await
}

/// The writes that store the PaymentMethod `pm` of `card`: its insert rewritten when it is
/// new, else an update of the stored one; attached to `customer` when there is one.
pub async fn pm_ops(
    ctx: &RequestContext,
    card: &AuthCard,
    pm: &Value,
    customer: Option<&str>,
) -> ApiResult<Vec<Op>> {
    let mut ops = card.new_ops.clone();
    let inserted = ops.iter_mut().find_map(|op| match op {
        Op::InsertObject(row) if row.id == card.pm_id => Some(row),
        _ => None,
    });
    if let Some(row) = inserted {
        row.data = pm.clone();
        row.parent = customer.map(str::to_string);
        return Ok(ops);
    }
    let row = ctx
        .st
        .store
        .get_object(&ctx.scope(), &card.pm_id)
        .await?
        .ok_or_else(|| ApiError::not_found("PaymentMethod", &card.pm_id, "payment_method"))?;
    ops.push(Op::UpdateObject {
        id: card.pm_id.clone(),
        expected_version: row.version,
        data: pm.clone(),
        tag: None,
        due: None,
    });
    if customer.is_some() {
        ops.push(Op::SetParent {
            id: card.pm_id.clone(),
            parent: customer.map(str::to_string),
        });
    }
    Ok(ops)
}

/// The issuer refused the card (or did not answer): the SetupIntent goes back to
/// `requires_payment_method` with `last_setup_error`; `setup_intent.setup_failed` is emitted
/// and the 402 is stored under the idempotency key with the change.
pub async fn failed(
    ctx: &RequestContext,
    c: SetupConfirm,
    card: AuthCard,
    err: ApiError,
    checks: Value,
) -> ApiResult<Value> {
    let SetupConfirm {
        mut si,
        version,
        pre,
        ..
    } = c;
    let mut pm = card.pm.clone();
    if !checks.is_null() {
        pm["card"]["checks"] = checks;
    }
    let mut error = err.body()["error"].clone();
    error["payment_method"] = public(pm.clone());
    si.status = Status::RequiresPaymentMethod;
    si.payment_method = None;
    si.next_action = None;
    si.three_ds = None;
    si.last_setup_error = Some(error);
    let doc = si.to_doc();
    let scope = ctx.scope();
    let mut ops = pre;
    ops.extend(pm_ops(ctx, &card, &pm, None).await?);
    write_si(&mut ops, &si.id, version, &doc);
    ops.push(event(
        &scope,
        "setup_intent.setup_failed",
        &doc,
        ctx.idempotency_key(),
        ctx.now,
    ));
    let err = err.with_extra("setup_intent", public(doc));
    let mut unit = WriteUnit { ops };
    ctx.finish(&mut unit, err.status, &err.body());
    ctx.commit(unit).await?;
    Err(err)
}

/// Writes the SetupIntent `doc`: an update of `version`, or the insert already in `ops`.
pub fn write_si(ops: &mut Vec<Op>, id: &str, version: Option<i64>, doc: &Value) {
    crate::three_ds::confirm::write_intent(ops, id, version, doc, None);
}

/// [`write_si`] of a SetupIntent waiting for the payer until `due` (the sweeper cancels it as
/// abandoned then).
pub fn write_waiting_si(ops: &mut Vec<Op>, id: &str, version: Option<i64>, doc: &Value, due: i64) {
    crate::three_ds::confirm::write_intent(ops, id, version, doc, Some(due));
}
