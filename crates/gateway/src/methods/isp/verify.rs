//! `POST /v1/verify` at the ISP server: the payer's certificate, signature, signed data and
//! encrypted card, with what this payment expects. The answer is the verified card (the
//! issuer's ISP server hands it to the acquirer, as the card network would) and the
//! authentication the authorization carries, or the one check that refused.

use super::IspSubmission;
use super::client::IspClient;
use crate::cards::card_error;
use crate::error::{ApiError, ApiResult};
use paygate_isp::IspCheck;
use paygate_vault::{Expiry, Pan};
use serde::Deserialize;
use serde_json::{Value, json};

/// What the signed data must say: this intent, this merchant, this amount and currency.
pub struct Expected<'a> {
    pub payment_intent: &'a str,
    pub merchant: &'a str,
    pub amount: i64,
    /// Lowercase ISO 4217 alpha code.
    pub currency: &'a str,
}

/// A verification the ISP server accepted. `Debug` masks the card and the CAVV.
pub struct Verification {
    /// `ispv_…`, the server's name of this verification (in its journal).
    pub verification_id: String,
    /// Serial of the certificate that signed (lowercase hex).
    pub serial: String,
    pub pan: Pan,
    pub expiry: Expiry,
    /// "05" (or "02" for a Mastercard range).
    pub eci: String,
    /// The CAVV the network checks, 28 base64 characters.
    pub authentication_value: String,
    /// The UUID the CAVV binds (sent in DE 48.44).
    pub transaction_id: String,
}

impl std::fmt::Debug for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verification")
            .field("verification_id", &self.verification_id)
            .field("serial", &self.serial)
            .field("pan", &self.pan)
            .field("eci", &self.eci)
            .field("authentication_value", &"<redacted>")
            .field("transaction_id", &self.transaction_id)
            .finish()
    }
}

/// The server's answer.
#[derive(Debug)]
pub enum Outcome {
    Verified(Box<Verification>),
    Refused(IspCheck),
}

#[derive(Deserialize)]
struct Verified {
    verification_id: String,
    serial: String,
    card: VerifiedCard,
    eci: String,
    authentication_value: String,
    transaction_id: String,
}

#[derive(Deserialize)]
struct VerifiedCard {
    number: String,
    exp_month: i64,
    exp_year: i64,
}

impl IspClient {
    /// Asks the ISP server to verify `sub` for `expected`. A refusal is an [`Outcome`]; an
    /// unreachable server or an answer outside the contract is an error (nothing changed).
    pub async fn verify(&self, sub: &IspSubmission, expected: &Expected<'_>) -> ApiResult<Outcome> {
        let body = json!({
            "certificate": sub.certificate,
            "signed_data": sub.signed_data,
            "signature": sub.signature,
            "card": sub.card,
            "expected": {
                "payment_intent": expected.payment_intent,
                "merchant": expected.merchant,
                "amount": expected.amount,
                "currency": expected.currency,
            },
        });
        let (status, answer) = self.post_json("/v1/verify", &body).await?;
        read_answer(status, answer)
    }
}

/// The contract's answers: 200 verified, 400/402 with one check's code.
fn read_answer(status: u16, answer: Value) -> ApiResult<Outcome> {
    if status == 200 && answer["result"] == "verified" {
        let v: Verified = serde_json::from_value(answer)
            .map_err(|e| ApiError::internal(format!("ISP verify answer: {e}")))?;
        let pan = Pan::parse(&v.card.number).map_err(card_error)?;
        let expiry = Expiry::new(v.card.exp_month, v.card.exp_year).map_err(card_error)?;
        return Ok(Outcome::Verified(Box::new(Verification {
            verification_id: v.verification_id,
            serial: v.serial,
            pan,
            expiry,
            eci: v.eci,
            authentication_value: v.authentication_value,
            transaction_id: v.transaction_id,
        })));
    }
    let code = answer["error"]["code"].as_str().unwrap_or_default();
    match super::refusal::parse(code, status) {
        Some(check) => {
            tracing::info!(code, message = %answer["error"]["message"], "the ISP server refused");
            Ok(Outcome::Refused(check))
        }
        None => Err(ApiError::internal(format!(
            "ISP verify answered HTTP {status} outside the contract (code {code:?})"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_read_by_its_code_and_anything_else_is_an_error() {
        let refused = read_answer(
            402,
            json!({"error": {"code": "isp_card_mismatch", "message": "m"}}),
        );
        assert!(matches!(
            refused,
            Ok(Outcome::Refused(IspCheck::CardMismatch))
        ));
        assert!(read_answer(402, json!({"error": {"code": "what"}})).is_err());
        assert!(read_answer(500, json!({"error": {"code": "isp_card_mismatch"}})).is_err());
        let ok = read_answer(
            200,
            json!({"result": "verified", "verification_id": "ispv_1", "serial": "0a",
                   "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034},
                   "eci": "05", "authentication_value": "kJMZRiDunhPsBwAU0hu9rrx0eWN6",
                   "transaction_id": "8a880dc0-d2d2-4067-bcb1-b08d1690b26e"}),
        );
        let Ok(Outcome::Verified(v)) = ok else {
            panic!("not verified: {ok:?}");
        };
        assert_eq!(v.pan.last4(), "4242");
        assert!(!format!("{v:?}").contains("4242424242424242"));
        assert!(!format!("{v:?}").contains("kJMZ"));
    }
}
