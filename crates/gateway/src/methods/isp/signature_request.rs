//! An ISP confirm without a signature: the intent waits in `requires_action` for the payer's
//! ISP client — the gateway's page (`redirect_to_url`, with its page token) or the payer's own
//! client (`isp_signature_request`: what to sign and where the ISP server is).

use super::page::page_token;
use crate::engine::{Answer, RequestContext, Respond};
use crate::error::{ApiError, ApiResult};
use crate::methods::{Confirm, PaymentMethodKind};
use crate::models::to_value;
use crate::records::event;
use crate::three_ds::confirm::write_intent;
use paygate_payments::{IspSignatureRequest, NextAction, PaymentIntentStatus as Status};
use paygate_store::WriteUnit;
use serde_json::Value;

/// Puts `c`'s intent in `requires_action` until it is abandoned (`requires_action_ttl_s`),
/// with the redirect to `/pay/isp/{id}?t=…` and the signature request.
pub async fn request(rc: &RequestContext, respond: &dyn Respond, c: Confirm) -> ApiResult<Value> {
    let client = super::client(&rc.st)?;
    let Confirm {
        intent: mut pi,
        version,
        pre: mut ops,
        ..
    } = c;
    let Some(return_url) = pi.return_url.clone() else {
        return Err(ApiError::invalid(
            "return_url",
            "parameter_missing",
            "Missing required param: return_url. An ISP payment redirects the customer to sign \
             it: give the return_url they come back to.",
        ));
    };
    let money = pi.money()?;
    if let Some(finish) = crate::three_ds::finish_transaction(&pi) {
        ops.push(finish);
    }
    let due = rc.now + rc.st.cfg.requires_action_ttl_s;
    let token = page_token(&rc.st, &pi.id, due);
    let url = rc.st.pages.url(&format!("/pay/isp/{}?t={token}", pi.id));
    let request = IspSignatureRequest {
        payment_intent: pi.id.clone(),
        merchant: rc.merchant.id.clone(),
        amount: money.minor(),
        currency: pi.currency.clone(),
        isp_url: client.base_url().to_string(),
    };
    pi.status = Status::RequiresAction;
    pi.next_action = Some(NextAction::isp(url, Some(return_url), request));
    pi.three_ds = None;
    pi.payment_method = None;
    pi.last_payment_error = None;
    let doc = to_value(&pi);
    write_intent(&mut ops, &pi.id, version, &doc, Some(due));
    ops.push(event(
        &rc.scope(),
        "payment_intent.requires_action",
        &doc,
        rc.idempotency_key(),
        rc.now,
    ));
    let answer = Answer {
        primary: doc,
        charge: None,
    };
    let body = respond.body(&answer).await?;
    rc.commit_requires_action(WriteUnit { ops }, body, PaymentMethodKind::Isp)
        .await
}
