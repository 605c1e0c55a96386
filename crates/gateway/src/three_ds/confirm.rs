//! A confirm with 3-D Secure: decide ([`super::decide`]), send the AReq, then either authorize
//! at once (frictionless, or unauthenticated when allowed), fail the attempt (the issuer did
//! not authenticate the payer), or put the intent in `requires_action` with the redirect to
//! the challenge and the [`PendingAuthentication`] stored in it.

use super::decide::{Decision, Unavailable, decide};
use crate::engine::authorize::{Authorize, authorize};
use crate::engine::payment::AuthPayment;
use crate::engine::{Answer, RequestContext, Respond};
use crate::error::{ApiError, ApiResult};
use crate::models::{PaymentIntent, ThreeDsAttempt, to_value};
use crate::records::event;
use crate::render::public;
use paygate_payments::{Authentication, NextAction, PaymentIntentStatus as Status};
use paygate_store::{ObjectRow, Op, WriteUnit};
use paygate_three_ds::{
    AuthenticationRequest, AuthenticationStart, BrowserInfo, Challenge, ChallengeWindowSize,
    Outcome, TransStatus,
};
use serde_json::{Value, json};

/// Tag of intents waiting for the payer (their `due` is when they are abandoned).
pub const REQUIRES_ACTION_TAG: &str = "requires_action";

/// Confirms `cmd`: through 3-D Secure when the decision says so, else straight to the engine.
pub async fn confirm(
    rc: &RequestContext,
    respond: &dyn Respond,
    mut cmd: Authorize,
) -> ApiResult<Value> {
    start_over(&mut cmd);
    let Some(server) = rc.st.three_ds.clone() else {
        return authorize(rc, respond, cmd).await;
    };
    // 3-D Secure is a step of the card method: other payment data goes straight on.
    let Some(card) = cmd.payment.card() else {
        return authorize(rc, respond, cmd).await;
    };
    let money = cmd.intent.money()?;
    let decision = decide(
        cmd.intent.request_three_d_secure,
        &server.enrollment(&card.pan),
        money.minor(),
        money.currency(),
        rc.st.cfg.three_ds_required_from_krw,
    );
    let Decision::Authenticate {
        challenge,
        requested,
    } = decision
    else {
        return authorize(rc, respond, cmd).await;
    };
    let Some(return_url) = cmd.intent.return_url.clone() else {
        return Err(ApiError::invalid(
            "return_url",
            "parameter_missing",
            "Missing required param: return_url. This payment needs 3-D Secure authentication, \
             which may redirect the customer: give the return_url they come back to.",
        ));
    };
    let start = send_areq(rc, &server, &cmd, card, challenge).await;
    match start {
        AuthenticationStart::Frictionless(outcome) => {
            cmd.authentication = outcome.authorization_data();
            cmd.three_d_secure = Some(super::charge_details(&outcome, false));
            authorize(rc, respond, cmd).await
        }
        AuthenticationStart::Challenge(ch) if cmd.intent.error_on_requires_action => {
            tracing::info!(payment_intent = %cmd.intent.id, acs_trans_id = %ch.acs_trans_id, "challenge refused: error_on_requires_action");
            Err(fail_attempt(rc, cmd).await)
        }
        AuthenticationStart::Challenge(ch) => {
            requires_action(rc, respond, cmd, *ch, return_url).await
        }
        AuthenticationStart::Failed(outcome) => {
            let unavailable = outcome.trans_status == TransStatus::Unavailable;
            if unavailable && Decision::on_unavailable(requested) == Unavailable::Proceed {
                cmd.authentication = Some(unauthenticated(&outcome));
                cmd.three_d_secure = Some(super::charge_details(&outcome, false));
                return authorize(rc, respond, cmd).await;
            }
            Err(fail_attempt(rc, cmd).await)
        }
        AuthenticationStart::Unavailable(_) => match Decision::on_unavailable(requested) {
            Unavailable::Proceed => authorize(rc, respond, cmd).await,
            Unavailable::Fail => Err(fail_attempt(rc, cmd).await),
        },
    }
}

/// A confirm of an intent waiting for the payer starts over (Stripe's): the challenge in
/// progress is abandoned in the commit of this confirm, whatever that confirm ends in; its
/// late RReq and CRes are refused.
fn start_over(cmd: &mut Authorize) {
    if let Some(finish) = super::finish_transaction(&cmd.intent) {
        cmd.pre.push(finish);
        cmd.intent.three_ds = None;
        cmd.intent.next_action = None;
    }
}

/// Sends the AReq of `cmd`; an Erro or an invalid ARes counts as "3-D Secure unavailable".
async fn send_areq(
    rc: &RequestContext,
    server: &paygate_three_ds::ThreeDsServer,
    cmd: &Authorize,
    card: &crate::cards::AuthCard,
    challenge: paygate_three_ds::ChallengeInd,
) -> AuthenticationStart {
    let money = match cmd.intent.money() {
        Ok(m) => m,
        Err(e) => return AuthenticationStart::Unavailable(e.message),
    };
    let notification_url = rc
        .st
        .pages
        .url(&format!("/pay/3ds/{}/complete", cmd.intent.id));
    let merchant_id: String = rc.merchant.id.chars().take(35).collect();
    let merchant_name = super::merchant_name(&cmd.intent, &rc.merchant);
    let browser = browser_info();
    let req = AuthenticationRequest {
        three_ds_server_trans_id: uuid::Uuid::new_v4(),
        purpose: paygate_three_ds::AuthenticationPurpose::Payment,
        pan: &card.pan,
        expiry: &card.expiry,
        amount_minor: money.minor(),
        currency: money.currency(),
        challenge,
        window_size: ChallengeWindowSize::FullScreen,
        browser: &browser,
        notification_url: &notification_url,
        acquirer_merchant_id: &merchant_id,
        merchant_name: &merchant_name,
    };
    match server.authenticate(&req).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(payment_intent = %cmd.intent.id, error = %e, "3-D Secure AReq failed");
            AuthenticationStart::Unavailable(e.to_string())
        }
    }
}

/// [`fail`] for the attempt of `cmd` (with the writes it carries: the intent's insert, the
/// new PaymentMethod).
async fn fail_attempt(rc: &RequestContext, mut cmd: Authorize) -> ApiError {
    let mut ops = std::mem::take(&mut cmd.pre);
    ops.extend(cmd.payment.new_ops().iter().cloned());
    fail(rc, cmd.intent, cmd.version, ops, cmd.payment.pm()).await
}

/// ECI 07 alone: a 3-D Secure attempt that could not be done (no liability shift).
pub(crate) fn unauthenticated(outcome: &Outcome) -> Authentication {
    Authentication {
        eci: "07".into(),
        cavv: None,
        ds_trans_id: None,
        version: outcome.message_version.clone(),
        program: paygate_payments::AuthenticationProgram::ThreeDSecure,
    }
}

/// What the AReq says of the payer's browser. The merchant's server confirms, not the
/// browser, so these are the typical values of a Korean desktop browser.
pub(crate) fn browser_info() -> BrowserInfo {
    BrowserInfo {
        accept_header: "text/html,application/xhtml+xml".into(),
        user_agent: "Mozilla/5.0 (paygate)".into(),
        language: "ko-KR".into(),
        java_enabled: false,
        javascript_enabled: true,
        color_depth: 24,
        screen_height: 1080,
        screen_width: 1920,
        tz_offset_minutes: -540,
        ip: None,
    }
}

/// The challenge starts: the intent waits in `requires_action` (until it is abandoned at
/// `now + requires_action_ttl_s`) with the redirect to `/pay/3ds/{id}/start`.
async fn requires_action(
    rc: &RequestContext,
    respond: &dyn Respond,
    mut cmd: Authorize,
    ch: Challenge,
    return_url: String,
) -> ApiResult<Value> {
    let method = cmd.method();
    let pi = &mut cmd.intent;
    let url = rc.st.pages.url(&format!(
        "/pay/3ds/{}/start?client_secret={}",
        pi.id, pi.client_secret
    ));
    pi.status = Status::RequiresAction;
    pi.next_action = Some(NextAction::redirect(url, Some(return_url)));
    pi.payment_method = Some(cmd.payment.pm_id().to_string());
    pi.last_payment_error = None;
    pi.three_ds = Some(ThreeDsAttempt {
        pending: ch.pending.clone(),
        creq: ch.creq.clone(),
    });
    if let AuthPayment::Card(card) = &mut cmd.payment
        && let Some(cvc) = card.cvc.take()
    {
        rc.st.remember_cvc(&card.pm_id, cvc);
    }
    let doc = to_value(&*pi);
    let scope = rc.scope();
    let mut ops = std::mem::take(&mut cmd.pre);
    ops.extend(cmd.payment.new_ops().iter().cloned());
    let due = rc.now + rc.st.cfg.requires_action_ttl_s;
    write_intent(&mut ops, &pi.id, cmd.version, &doc, Some(due));
    ops.push(Op::InsertObject(ObjectRow {
        id: super::transaction_object_id(ch.pending.three_ds_server_trans_id),
        merchant_id: scope.merchant_id.clone(),
        livemode: scope.livemode,
        kind: super::TRANSACTION_KIND.into(),
        parent: Some(pi.id.clone()),
        tag: None,
        due: None,
        created: rc.now,
        version: 0,
        data: json!({"id": super::transaction_object_id(ch.pending.three_ds_server_trans_id),
                     "payment_intent": pi.id}),
    }));
    let key = rc.idempotency_key();
    ops.push(event(
        &scope,
        "payment_intent.requires_action",
        &doc,
        key,
        rc.now,
    ));
    let answer = Answer {
        primary: doc,
        charge: None,
    };
    let body = respond.body(&answer).await?;
    let commit = rc.commit_requires_action(WriteUnit { ops }, body, method);
    (rc.st.card_vault)
        .commit_or_discard(cmd.payment.sealed(), commit)
        .await
}

/// Writes the intent `doc`: an update of `version`, or the insert already in `ops` (create
/// with `confirm=true`) rewritten. `due` marks an intent waiting for the payer.
pub fn write_intent(
    ops: &mut Vec<Op>,
    id: &str,
    version: Option<i64>,
    doc: &Value,
    due: Option<i64>,
) {
    let tag = due.map(|_| REQUIRES_ACTION_TAG.to_string());
    let inserted = ops.iter_mut().find_map(|op| match op {
        Op::InsertObject(row) if row.id == id => Some(row),
        _ => None,
    });
    match (version, inserted) {
        (None, Some(row)) => {
            row.data = doc.clone();
            row.tag = tag;
            row.due = due;
        }
        (v, _) => ops.push(Op::UpdateObject {
            id: id.to_string(),
            expected_version: v.unwrap_or(0),
            data: doc.clone(),
            tag,
            due,
        }),
    }
}

/// The issuer did not authenticate the payer: the intent goes back to
/// `requires_payment_method` with `payment_intent_authentication_failure` (no authorization
/// is sent, no charge made), `payment_intent.payment_failed` is emitted. Returns the error to
/// answer, already stored under the idempotency key with the change.
pub async fn fail(
    rc: &RequestContext,
    mut pi: PaymentIntent,
    version: Option<i64>,
    mut ops: Vec<Op>,
    pm: &Value,
) -> ApiError {
    const MESSAGE: &str = "The provided PaymentMethod has failed authentication. You can provide \
                           payment_method_data or a new PaymentMethod to attempt to fulfill this \
                           PaymentIntent again.";
    pi.status = Status::RequiresPaymentMethod;
    pi.next_action = None;
    pi.payment_method = None;
    pi.three_ds = None;
    pi.last_payment_error = Some(json!({
        "type": "invalid_request_error",
        "code": "payment_intent_authentication_failure",
        "message": MESSAGE,
        "payment_method": public(pm.clone()),
    }));
    let doc = to_value(&pi);
    let scope = rc.scope();
    write_intent(&mut ops, &pi.id, version, &doc, None);
    ops.push(event(
        &scope,
        "payment_intent.payment_failed",
        &doc,
        rc.idempotency_key(),
        rc.now,
    ));
    let err = ApiError::invalid(
        "payment_method",
        "payment_intent_authentication_failure",
        MESSAGE,
    )
    .with_extra("payment_intent", public(doc));
    let mut unit = WriteUnit { ops };
    rc.finish(&mut unit, err.status, &err.body());
    if let Err(e) = rc.commit(unit).await {
        return e;
    }
    err
}
