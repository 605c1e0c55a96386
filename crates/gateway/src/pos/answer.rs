//! The terminal's answer to a purchase, read back from what the engine committed: the
//! PaymentIntent's latest charge gives DE 39 (00, or the issuer's code), DE 37 (the network's
//! RRN), DE 38 (approval code) and DE 55 (the issuer's EMV data, `emv_auth_data`).

use crate::state::SharedState;
use paygate_store::Scope;
use serde_json::Value;

/// DE 39 when the payment never got an issuer's answer (link down, timeout reversed).
pub const ISSUER_UNAVAILABLE: &str = "91";

/// What the 0210 carries besides the echoed fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub response_code: String,
    pub rrn: Option<String>,
    pub approval_code: Option<String>,
    /// Upper-case hex BER-TLV.
    pub icc: Option<String>,
    /// The PaymentIntent of the purchase.
    pub payment_intent: String,
}

/// The answer recorded under a request's idempotency key (success or error body).
pub async fn from_stored(st: &SharedState, scope: &Scope, body: &str) -> Option<Answer> {
    let v: Value = serde_json::from_str(body).ok()?;
    let pi = v["payment_intent"]["id"]
        .as_str()
        .or_else(|| v["error"]["payment_intent"]["id"].as_str())?;
    of_intent(st, scope, pi).await
}

/// The answer of the intent `pi` as stored now.
pub async fn of_intent(st: &SharedState, scope: &Scope, pi: &str) -> Option<Answer> {
    let pi_row = st.store.get_object(scope, pi).await.ok()??;
    let charge_id = pi_row.data["latest_charge"].as_str();
    let charge = match charge_id {
        Some(id) => st.store.get_object(scope, id).await.ok()?.map(|r| r.data),
        None => None,
    };
    let Some(ch) = charge else {
        return Some(Answer {
            response_code: ISSUER_UNAVAILABLE.into(),
            rrn: None,
            approval_code: None,
            icc: None,
            payment_intent: pi.to_owned(),
        });
    };
    let details = &ch["payment_method_details"]["card_present"];
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let response_code = if ch["status"] == "succeeded" {
        "00".to_owned()
    } else {
        text(&ch["outcome"]["network_decline_code"]).unwrap_or_else(|| ISSUER_UNAVAILABLE.into())
    };
    Some(Answer {
        response_code,
        rrn: text(&details["network_transaction_id"]),
        approval_code: text(&details["authorization_code"]),
        icc: text(&details["emv_auth_data"]),
        payment_intent: pi.to_owned(),
    })
}
