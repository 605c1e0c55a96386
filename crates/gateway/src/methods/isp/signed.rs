//! A signed ISP payment: verified at the ISP server before anything is recorded, then
//! authorized through the card engine with the ISP result — or the attempt fails with the
//! check that refused it.

use super::IspSubmission;
use super::verify::{Expected, Outcome, Verification};
use crate::cards::{VaultedKind, new_vaulted};
use crate::engine::authorize::{Authorize, authorize};
use crate::engine::{RequestContext, Respond};
use crate::error::{ApiError, ApiResult};
use crate::methods::Confirm;
use crate::models::{PaymentIntent, to_value};
use crate::records::event;
use crate::render::public;
use crate::three_ds::confirm::write_intent;
use paygate_isp::IspCheck;
use paygate_payments::{Authentication, AuthenticationProgram, PaymentIntentStatus as Status};
use paygate_store::WriteUnit;
use serde_json::Value;

/// `Authentication::version` of an ISP result (the field names a 3-D Secure version).
const ISP_VERSION: &str = "isp";

/// Confirms `c` with the signed submission `sub`: the one path of the API's confirm and the
/// payer page's. Ok is the engine's answer (the intent, rendered by `respond`); a refusal is
/// the Stripe error of its check, with the intent back in `requires_payment_method`.
pub async fn confirm_signed(
    rc: &RequestContext,
    respond: &dyn Respond,
    mut c: Confirm,
    sub: IspSubmission,
) -> ApiResult<Value> {
    let client = super::client(&rc.st)?;
    start_over(&mut c);
    let money = c.intent.money()?;
    let expected = Expected {
        payment_intent: &c.intent.id,
        merchant: &rc.merchant.id,
        amount: money.minor(),
        currency: &c.intent.currency,
    };
    let verification = match client.verify(&sub, &expected).await? {
        Outcome::Verified(v) => v,
        Outcome::Refused(check) => return Err(fail(rc, c, check).await),
    };
    tracing::info!(payment_intent = %c.intent.id, verification_id = %verification.verification_id, serial = %verification.serial, "ISP verified");
    let cmd = authorize_command(rc, c, &sub, *verification).await?;
    if rc.st.cfg.fault_delay_before_auth_ms > 0 {
        tracing::warn!("fault injection: delaying the authorization after the ISP verification");
        tokio::time::sleep(std::time::Duration::from_millis(
            rc.st.cfg.fault_delay_before_auth_ms,
        ))
        .await;
    }
    authorize(rc, respond, cmd).await
}

/// A confirm of an intent waiting for the payer starts over: its signature request (or a
/// 3-D Secure challenge in progress) ends in this confirm's commit.
fn start_over(c: &mut Confirm) {
    if let Some(finish) = crate::three_ds::finish_transaction(&c.intent) {
        c.pre.push(finish);
    }
    c.intent.three_ds = None;
    c.intent.next_action = None;
}

/// The card engine's command for a verified payment: a new `isp` PaymentMethod over the
/// verified card, the ISP result as the authentication, the evidence for the charge.
async fn authorize_command(
    rc: &RequestContext,
    c: Confirm,
    sub: &IspSubmission,
    v: Verification,
) -> ApiResult<Authorize> {
    let evidence = super::evidence::of(sub, &v);
    let Verification {
        serial,
        pan,
        expiry,
        eci,
        authentication_value,
        transaction_id,
        ..
    } = v;
    let kind = VaultedKind::Isp {
        certificate_serial: &serial,
    };
    let card = new_vaulted(&rc.st, &rc.scope(), (pan, expiry, None), kind, rc.now).await?;
    Ok(Authorize {
        intent: c.intent,
        version: c.version,
        pre: c.pre,
        payment: crate::engine::payment::AuthPayment::Card(card),
        authentication: Some(Authentication {
            eci,
            cavv: Some(authentication_value),
            ds_trans_id: Some(transaction_id),
            version: ISP_VERSION.into(),
            program: AuthenticationProgram::Isp,
        }),
        three_d_secure: None,
        isp: Some(evidence),
        easy_pay: None,
        credential_on_file: None,
        card_present: None,
    })
}

/// The ISP server refused: the intent goes back to `requires_payment_method` with the check's
/// error as `last_payment_error`, `payment_intent.payment_failed` is emitted, nothing reaches
/// the network. Returns the error to answer, stored under the idempotency key with the change.
async fn fail(rc: &RequestContext, c: Confirm, check: IspCheck) -> ApiError {
    let Confirm {
        intent: mut pi,
        version,
        pre: mut ops,
        ..
    } = c;
    let err = super::refusal::error(check);
    pi.status = Status::RequiresPaymentMethod;
    pi.payment_method = None;
    pi.last_payment_error = Some(err.body()["error"].clone());
    let doc = to_value(&pi);
    write_intent(&mut ops, &pi.id, version, &doc, None);
    ops.push(event(
        &rc.scope(),
        "payment_intent.payment_failed",
        &doc,
        rc.idempotency_key(),
        rc.now,
    ));
    let err = err.with_extra("payment_intent", public(doc));
    let mut unit = WriteUnit { ops };
    rc.finish(&mut unit, err.status, &err.body());
    if let Err(e) = rc.commit(unit).await {
        return e;
    }
    err
}

/// Whether `pi` waits for an ISP signature (its `next_action` carries the request).
pub fn awaits_signature(pi: &PaymentIntent) -> bool {
    pi.status == Status::RequiresAction
        && pi
            .next_action
            .as_ref()
            .is_some_and(|a| a.isp_signature_request().is_some())
}
