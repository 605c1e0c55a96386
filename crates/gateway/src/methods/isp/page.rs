//! What the payer's ISP page (`/pay/isp/…`, its routes live with the page) needs from the
//! method: the page token of an intent and the confirm of a signed payment from the page.

use super::IspSubmission;
use crate::engine::{Answer, RequestContext, Respond};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::methods::Confirm;
use crate::models::from_value;
use crate::render::public;
use crate::state::{AppState, SharedState};
use paygate_payer_pages::{CsrfError, Purpose};
use paygate_payments::BoxFuture;
use paygate_payments::IntentOp;
use paygate_payments::intent::check;
use paygate_store::ObjectRow;
use serde_json::Value;

/// The token `t` of `/pay/isp/{payment_intent}?t=…`, valid until `expires_at` (unix seconds).
pub fn page_token(st: &AppState, payment_intent: &str, expires_at: i64) -> String {
    st.pages
        .csrf
        .issue(Purpose::IspPage, payment_intent, expires_at)
}

/// Checks a page token for `payment_intent` at `now`.
pub fn verify_page_token(
    st: &AppState,
    token: &str,
    payment_intent: &str,
    now: i64,
) -> Result<(), CsrfError> {
    st.pages
        .csrf
        .verify(token, Purpose::IspPage, payment_intent, now)
}

/// Renders an engine answer as the stored public object (no caller, no `expand`).
struct Plain;

impl Respond for Plain {
    fn body<'a>(&'a self, answer: &'a Answer) -> BoxFuture<'a, ApiResult<Value>> {
        Box::pin(async move { Ok(public(answer.primary.clone())) })
    }
}

/// Confirms the intent stored in `row` with `sub` from the payer's page: the same path as the
/// API's confirm ([`super::confirm_signed`]). Ok is the public intent; Err the Stripe error
/// (`err.body()`), e.g. `isp_signature_invalid` with the intent back in
/// `requires_payment_method`.
pub async fn confirm_from_page(
    st: &SharedState,
    row: &ObjectRow,
    sub: IspSubmission,
) -> ApiResult<Value> {
    sub.check("isp")?;
    let pi: crate::models::PaymentIntent = from_value(row.data.clone())?;
    check(pi.status, IntentOp::Confirm).map_err(ApiError::from)?;
    let merchant = st
        .merchant(&row.merchant_id)
        .await?
        .ok_or_else(|| ApiError::internal("the intent's merchant is missing"))?;
    let rc = RequestContext::new(st.clone(), new_id("req"), merchant, row.livemode, None);
    let c = Confirm {
        intent: pi,
        version: Some(row.version),
        pre: Vec::new(),
        expands: Vec::new(),
    };
    super::confirm_signed(&rc, &Plain, c, sub).await
}
