//! The payer is back from the challenge with a CRes that matched the stored transaction: the
//! intent resumes (`IntentOp::Resume`) — authorized through the engine with the RReq's ECI,
//! CAVV and dsTransID, or failed when the issuer did not authenticate the payer.

use crate::cards::saved_card;
use crate::engine::authorize::{Authorize, authorize};
use crate::engine::{Answer, RequestContext, Respond};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::models::PaymentIntent;
use crate::render::public;
use crate::state::SharedState;
use paygate_payer_pages::RedirectStatus;
use paygate_payments::intent::check;
use paygate_payments::{BoxFuture, IntentOp};
use paygate_store::{ObjectRow, Scope};
use paygate_three_ds::CresAccepted;
use serde_json::Value;

/// Renders an engine answer as the stored public object (no caller, no `expand`).
struct Plain;

impl Respond for Plain {
    fn body<'a>(&'a self, answer: &'a Answer) -> BoxFuture<'a, ApiResult<Value>> {
        Box::pin(async move { Ok(public(answer.primary.clone())) })
    }
}

/// Resumes the intent of `row` after `accepted`; says how the payer's return URL reports it.
/// A server error (the outcome is unknown, recovery finishes it) is an `Err`.
pub async fn resume(
    st: &SharedState,
    row: &ObjectRow,
    mut pi: PaymentIntent,
    accepted: CresAccepted,
) -> ApiResult<RedirectStatus> {
    check(pi.status, IntentOp::Resume).map_err(ApiError::from)?;
    // The authentication ends with this resume's first commit: its RReq is not taken again.
    let finish: Vec<_> = super::finish_transaction(&pi).into_iter().collect();
    let merchant = st
        .merchant(&row.merchant_id)
        .await?
        .ok_or_else(|| ApiError::internal("the intent's merchant is missing"))?;
    let rc = RequestContext::new(st.clone(), new_id("req"), merchant, row.livemode, None);
    let scope = Scope {
        merchant_id: row.merchant_id.clone(),
        livemode: row.livemode,
    };
    let outcome = accepted.outcome;
    let mut pending = *accepted.pending;
    // The CAVV leaves storage with this write: the authorization carries it from memory.
    if let Some(r) = pending.result.as_mut() {
        r.authentication_value = None;
    }
    if let Some(attempt) = pi.three_ds.as_mut() {
        attempt.pending = pending;
    }
    let pm_id = pi
        .payment_method
        .clone()
        .ok_or_else(|| ApiError::internal("a 3-D Secure intent without its payment method"))?;
    if !outcome.is_authenticated_or_attempted() {
        let pm = st
            .store
            .get_object(&scope, &pm_id)
            .await?
            .map(|r| r.data)
            .unwrap_or(Value::Null);
        super::confirm::fail(&rc, pi, Some(row.version), finish, &pm).await;
        return Ok(RedirectStatus::Failed);
    }
    let card = saved_card(st, &scope, &pm_id, rc.now).await?;
    let pm_version = st
        .store
        .get_object(&scope, &pm_id)
        .await?
        .map(|r| r.version);
    let credential_on_file =
        crate::engine::credential_on_file::CredentialOnFile::of(&pi, &card, pm_version);
    let cmd = Authorize {
        intent: pi,
        version: Some(row.version),
        pre: finish,
        payment: crate::engine::payment::AuthPayment::Card(card),
        authentication: outcome.authorization_data(),
        three_d_secure: Some(super::charge_details(&outcome, true)),
        isp: None,
        easy_pay: None,
        credential_on_file,
        card_present: None,
    };
    match authorize(&rc, &Plain, cmd).await {
        Ok(_) => Ok(RedirectStatus::Succeeded),
        Err(e) if e.status.is_server_error() => Err(e),
        Err(_) => Ok(RedirectStatus::Failed),
    }
}
