//! 3-D Secure during a SetupIntent's confirm: the same decision as a payment's
//! ([`crate::three_ds::decide`]), an EMV 3DS **non-payment** authentication (`messageCategory`
//! 02-NPA, `threeDSRequestorAuthenticationInd` 04 "add card", amount 0 in the verification's
//! currency; see [`paygate_three_ds::AuthenticationPurpose`]), then:
//!
//! - frictionless → the account verification at once, carrying ECI, CAVV and dsTransID;
//! - challenge → `requires_action` with `next_action.redirect_to_url` to the same
//!   `/pay/3ds/{seti}/start` pages a PaymentIntent uses; the payer's CRes brings them back to
//!   [`resume`], which runs the verification with the authentication result;
//! - not authenticated → `requires_payment_method` with `setup_intent_authentication_failure`.
//!
//! The stored credential keeps the result (`_stored_credential.three_d_secure`).

use super::SetupIntent;
use super::confirm::{SetupConfirm, Verified, failed, pm_ops, verify, write_waiting_si};
use crate::cards::{AuthCard, saved_card};
use crate::engine::RequestContext;
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::ids::new_id;
use crate::models::ThreeDsAttempt;
use crate::records::event;
use crate::render::{expand, public};
use crate::state::{AppState, SharedState};
use crate::three_ds::confirm::{browser_info, unauthenticated};
use crate::three_ds::decide::{Decision, Unavailable, decide};
use paygate_ledger::Currency;
use paygate_payer_pages::RedirectStatus;
use paygate_payments::setup_intent::allowed;
use paygate_payments::{Authentication, NextAction, SetupIntentOp, SetupIntentStatus as Status};
use paygate_store::{ObjectRow, Op, WriteUnit};
use paygate_three_ds::{
    AuthenticationPurpose, AuthenticationRequest, AuthenticationStart, Challenge,
    ChallengeWindowSize, CresAccepted, TransStatus,
};
use paygate_vault::{Expiry, Pan};
use serde_json::{Value, json};

/// What 3-D Secure says about a setup's verification.
pub enum SetupAuthentication {
    /// Verify now: with the authentication (and its result for the stored credential), or
    /// without when 3-D Secure does not apply or could not run and the merchant did not insist.
    Proceed(Option<Authentication>, Option<Value>),
    /// The payer must answer the issuer's challenge first.
    Challenge(Box<Challenge>),
    /// The issuer did not authenticate the cardholder: no verification is sent.
    Failed,
}

/// Stripe's error of a SetupIntent whose cardholder failed authentication.
pub fn authentication_failure() -> ApiError {
    ApiError::invalid(
        "payment_method",
        "setup_intent_authentication_failure",
        "The latest attempt to set up the payment method has failed because authentication \
         failed. Provide payment_method_data or a new PaymentMethod to attempt to set up again.",
    )
}

/// A confirm of a SetupIntent waiting for the payer starts over: the challenge in progress is
/// abandoned in the commit of this confirm (its late RReq and CRes are refused).
pub fn start_over(c: &mut SetupConfirm) {
    if let Some(finish) = finish_transaction(&c.si) {
        c.pre.push(finish);
        c.si.three_ds = None;
        c.si.next_action = None;
    }
}

/// The lookup of `si`'s challenge in progress marked finished (see
/// [`crate::three_ds::finish_transaction`]); `None` when it waits for no challenge.
pub fn finish_transaction(si: &SetupIntent) -> Option<Op> {
    let attempt = si.three_ds.as_ref()?;
    if si.status != Status::RequiresAction {
        return None;
    }
    Some(crate::three_ds::finish_lookup(
        attempt.pending.three_ds_server_trans_id,
    ))
}

/// Decides and, when it applies, sends the non-payment AReq for `card`.
pub async fn authenticate(
    ctx: &Ctx,
    si: &SetupIntent,
    card: &AuthCard,
) -> ApiResult<SetupAuthentication> {
    let add = AddCard {
        owner: &si.id,
        requested: si.request_three_d_secure,
        pan: &card.pan,
        expiry: &card.expiry,
        currency: super::confirm::verification_currency()?,
        merchant_id: &ctx.merchant.id,
        merchant_name: &ctx.merchant.name,
    };
    authenticate_add_card(&ctx.st, &add, || {
        if si.return_url.is_none() {
            return Err(ApiError::invalid(
                "return_url",
                "parameter_missing",
                "Missing required param: return_url. This card needs 3-D Secure authentication, \
                 which may redirect the customer: give the return_url they come back to.",
            ));
        }
        Ok(())
    })
    .await
}

/// A card being added (to a customer by a SetupIntent, to a payer's 간편결제 wallet) that
/// 3-D Secure may authenticate: the one non-payment authentication both use.
pub struct AddCard<'a> {
    /// The object the challenge comes back to (`/pay/3ds/{owner}/complete`).
    pub owner: &'a str,
    pub requested: Option<crate::models::RequestThreeDSecure>,
    pub pan: &'a Pan,
    pub expiry: &'a Expiry,
    /// The currency of the AReq (amount 0) and of the account verification.
    pub currency: Currency,
    pub merchant_id: &'a str,
    pub merchant_name: &'a str,
}

/// The decision and, when it applies, the non-payment AReq (02-NPA, "add card") of `add`.
/// `before_areq` runs once 3-D Secure applies, before the AReq (the caller's own
/// precondition, such as a SetupIntent's `return_url`).
pub async fn authenticate_add_card(
    st: &AppState,
    add: &AddCard<'_>,
    before_areq: impl FnOnce() -> ApiResult<()>,
) -> ApiResult<SetupAuthentication> {
    let Some(server) = st.three_ds.clone() else {
        return Ok(SetupAuthentication::Proceed(None, None));
    };
    // The gateway's KRW amount rule is about payments: adding a card moves no money.
    let enrollment = server.enrollment(add.pan);
    let decision = decide(add.requested, &enrollment, 0, add.currency, None);
    let Decision::Authenticate {
        challenge,
        requested,
    } = decision
    else {
        return Ok(SetupAuthentication::Proceed(None, None));
    };
    before_areq()?;
    let notification_url = st.pages.url(&format!("/pay/3ds/{}/complete", add.owner));
    let merchant_id: String = add.merchant_id.chars().take(35).collect();
    let name = paygate_three_ds::merchant_name(add.merchant_name.trim());
    let merchant_name = if name.is_empty() {
        "paygate".into()
    } else {
        name
    };
    let browser = browser_info();
    let req = AuthenticationRequest {
        three_ds_server_trans_id: uuid::Uuid::new_v4(),
        purpose: AuthenticationPurpose::AddCard,
        pan: add.pan,
        expiry: add.expiry,
        amount_minor: 0,
        currency: add.currency,
        challenge,
        window_size: ChallengeWindowSize::FullScreen,
        browser: &browser,
        notification_url: &notification_url,
        acquirer_merchant_id: &merchant_id,
        merchant_name: &merchant_name,
    };
    let start = match server.authenticate(&req).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(owner = %add.owner, error = %e, "3-D Secure AReq (add card) failed");
            AuthenticationStart::Unavailable(e.to_string())
        }
    };
    let proceed = Decision::on_unavailable(requested) == Unavailable::Proceed;
    Ok(match start {
        AuthenticationStart::Frictionless(o) => SetupAuthentication::Proceed(
            o.authorization_data(),
            Some(crate::three_ds::charge_details(&o, false)),
        ),
        AuthenticationStart::Challenge(ch) => SetupAuthentication::Challenge(ch),
        AuthenticationStart::Failed(o) if o.trans_status == TransStatus::Unavailable && proceed => {
            SetupAuthentication::Proceed(
                Some(unauthenticated(&o)),
                Some(crate::three_ds::charge_details(&o, false)),
            )
        }
        AuthenticationStart::Unavailable(_) if proceed => SetupAuthentication::Proceed(None, None),
        AuthenticationStart::Failed(_) | AuthenticationStart::Unavailable(_) => {
            SetupAuthentication::Failed
        }
    })
}

/// The challenge starts: the SetupIntent waits in `requires_action` (until it is abandoned at
/// `now + requires_action_ttl_s`) with the redirect to `/pay/3ds/{id}/start`; the new
/// PaymentMethod is stored, not yet attached; `setup_intent.requires_action` is emitted.
pub async fn requires_action(
    ctx: &Ctx,
    c: SetupConfirm,
    mut card: AuthCard,
    ch: Challenge,
) -> ApiResult<Value> {
    let SetupConfirm {
        mut si,
        version,
        pre,
        expands,
    } = c;
    let url = ctx.st.pages.url(&format!(
        "/pay/3ds/{}/start?client_secret={}",
        si.id, si.client_secret
    ));
    let next = NextAction::redirect(url, si.return_url.clone());
    si.status = Status::RequiresAction;
    si.next_action = Some(serde_json::to_value(next).map_err(ApiError::internal)?);
    si.payment_method = Some(card.pm_id.clone());
    si.last_setup_error = None;
    si.three_ds = Some(ThreeDsAttempt {
        pending: ch.pending.clone(),
        creq: ch.creq.clone(),
    });
    if let Some(cvc) = card.cvc.take() {
        ctx.st.remember_cvc(&card.pm_id, cvc);
    }
    let doc = si.to_doc();
    let scope = ctx.scope();
    let mut ops = pre;
    ops.extend(pm_ops(ctx, &card, &card.pm, None).await?);
    let due = ctx.now + ctx.st.cfg.requires_action_ttl_s;
    write_waiting_si(&mut ops, &si.id, version, &doc, due);
    ops.push(transaction_lookup(
        &scope,
        &ch,
        "setup_intent",
        &si.id,
        ctx.now,
    ));
    let key = ctx.idempotency_key();
    ops.push(event(
        &scope,
        "setup_intent.requires_action",
        &doc,
        key,
        ctx.now,
    ));
    let body = expand(&ctx.st, &ctx.caller, public(doc), &expands).await?;
    ctx.commit_ok(WriteUnit { ops }, body).await
}

/// The lookup object of a challenge's `threeDSServerTransID`, naming the object it serves
/// under `owner_field` (`setup_intent`, `easy_pay_session`): how the RReq finds it.
pub fn transaction_lookup(
    scope: &paygate_store::Scope,
    ch: &Challenge,
    owner_field: &str,
    owner: &str,
    now: i64,
) -> Op {
    let tx_id = crate::three_ds::transaction_object_id(ch.pending.three_ds_server_trans_id);
    let mut data = json!({"id": tx_id});
    data[owner_field] = json!(owner);
    Op::InsertObject(ObjectRow {
        id: tx_id,
        merchant_id: scope.merchant_id.clone(),
        livemode: scope.livemode,
        kind: crate::three_ds::TRANSACTION_KIND.into(),
        parent: Some(owner.to_string()),
        tag: None,
        due: None,
        created: now,
        version: 0,
        data,
    })
}

/// The payer is back from the challenge with a CRes that matched the stored transaction: the
/// card is verified with the authentication result (or the setup fails when the issuer did
/// not authenticate). Says how the return URL reports it; a server error is an `Err`.
pub async fn resume(
    st: &SharedState,
    row: &ObjectRow,
    si: SetupIntent,
    accepted: CresAccepted,
) -> ApiResult<RedirectStatus> {
    if !allowed(si.status, SetupIntentOp::Resume) {
        return Err(super::state_error(&si, "resume"));
    }
    let merchant = st
        .merchant(&row.merchant_id)
        .await?
        .ok_or_else(|| ApiError::internal("the SetupIntent's merchant is missing"))?;
    let rc = RequestContext::new(st.clone(), new_id("req"), merchant, row.livemode, None);
    let pm_id = si
        .payment_method
        .clone()
        .ok_or_else(|| ApiError::internal("a 3-D Secure SetupIntent without its card"))?;
    let card = saved_card(st, &rc.scope(), &pm_id, rc.now).await?;
    let pre: Vec<Op> = finish_transaction(&si).into_iter().collect();
    let c = SetupConfirm {
        si,
        version: Some(row.version),
        pre,
        expands: Vec::new(),
    };
    let outcome = accepted.outcome;
    if !outcome.is_authenticated_or_attempted() {
        return match failed(&rc, c, card, authentication_failure(), json!(null)).await {
            Err(e) if e.status.is_server_error() => Err(e),
            _ => Ok(RedirectStatus::Failed),
        };
    }
    let authentication = outcome.authorization_data();
    let done = Verified {
        authentication: authentication.as_ref(),
        three_d_secure: Some(crate::three_ds::charge_details(&outcome, true)),
    };
    match verify(&rc, None, c, card, done).await {
        Ok(_) => Ok(RedirectStatus::Succeeded),
        Err(e) if e.status.is_server_error() => Err(e),
        Err(_) => Ok(RedirectStatus::Failed),
    }
}
