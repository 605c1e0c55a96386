//! What a method's page does to the intent once the counterparty answered, shared by the
//! pages of 휴대폰 소액결제 and 계좌이체: the context the engine runs in (the intent's
//! merchant, no API key), the plain answer, and [`fail`] — a refusal before any charge.

use crate::engine::{Answer, RequestContext, Respond};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::models::{PaymentIntent, from_value, to_value};
use crate::records::{event, update};
use crate::render::public;
use crate::state::SharedState;
use paygate_payments::{BoxFuture, Decline, PaymentIntentStatus as Status};
use paygate_store::{ObjectRow, WriteUnit};
use serde_json::Value;

/// The engine's answer as the page needs it: the public intent.
pub struct Plain;

impl Respond for Plain {
    fn body<'a>(&'a self, answer: &'a Answer) -> BoxFuture<'a, ApiResult<Value>> {
        Box::pin(async move { Ok(public(answer.primary.clone())) })
    }
}

/// A request context of the merchant of the intent in `row`.
pub async fn context(st: &SharedState, row: &ObjectRow) -> ApiResult<RequestContext> {
    let merchant = st
        .merchant(&row.merchant_id)
        .await?
        .ok_or_else(|| ApiError::internal("the intent's merchant is missing"))?;
    Ok(RequestContext::new(
        st.clone(),
        new_id("req"),
        merchant,
        row.livemode,
        None,
    ))
}

/// The counterparty refused before any charge: the intent goes back to
/// `requires_payment_method` with the refusal as `last_payment_error` and
/// `payment_intent.payment_failed` is emitted. An intent no longer waiting is left alone.
pub async fn fail(st: &SharedState, row: &ObjectRow, decline: Decline) -> ApiResult<()> {
    let mut pi: PaymentIntent = from_value(row.data.clone())?;
    if pi.status != Status::RequiresAction {
        return Ok(());
    }
    let rc = context(st, row).await?;
    pi.status = Status::RequiresPaymentMethod;
    pi.next_action = None;
    pi.payment_method = None;
    let err = ApiError::card(decline.code, Some(decline.decline_code), decline.message);
    pi.last_payment_error = Some(err.body()["error"].clone());
    let doc = to_value(&pi);
    let scope = rc.scope();
    let ops = vec![
        update(&pi.id, row.version, &doc),
        event(&scope, "payment_intent.payment_failed", &doc, None, rc.now),
    ];
    st.store
        .commit(WriteUnit { ops })
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(())
}
