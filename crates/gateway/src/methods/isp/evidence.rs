//! What an ISP charge keeps for non-repudiation: the certificate's serial, the exact signed
//! text and its signature, the ISP server's verification id and transaction id — so the
//! merchant can show later who signed what — beside what the card's charge details show.

use super::IspSubmission;
use super::verify::Verification;
use serde_json::{Value, json};

/// The ISP part of a charge's `payment_method_details`, known once the server verified.
pub fn of(sub: &IspSubmission, v: &Verification) -> Value {
    json!({
        "certificate_serial": v.serial,
        "signed_data": sub.signed_data,
        "signature": sub.signature,
        "verification_id": v.verification_id,
        "transaction_id": v.transaction_id,
        "electronic_commerce_indicator": v.eci,
    })
}

/// `payment_method_details` of an ISP charge: `{"type": "isp", "isp": {…}}` from the card
/// details the engine made (`{"type": "card", "card": {…}}`) and the `evidence` of [`of`].
pub fn charge_details(card_details: &Value, evidence: &Value) -> Value {
    let c = &card_details["card"];
    let mut isp = json!({
        "brand": c["brand"],
        "last4": c["last4"],
        "exp_month": c["exp_month"],
        "exp_year": c["exp_year"],
        "fingerprint": c["fingerprint"],
        "network": c["network"],
        "network_transaction_id": c["network_transaction_id"],
        "authorization_code": c["authorization_code"],
    });
    if let (Some(out), Some(ev)) = (isp.as_object_mut(), evidence.as_object()) {
        out.extend(ev.clone());
    }
    json!({"type": "isp", "isp": isp})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_charge_shows_the_card_tail_and_the_evidence_never_the_cvc_checks() {
        let card = json!({"type": "card", "card": {"brand": "visa", "last4": "4242",
            "exp_month": 12, "exp_year": 2034, "fingerprint": "fp", "network": "visa",
            "network_transaction_id": "123456789012", "authorization_code": "A1",
            "checks": {"cvc_check": null}}});
        let ev = json!({"certificate_serial": "0a", "signed_data": "{}", "signature": "MEU=",
                        "verification_id": "ispv_1", "transaction_id": "t"});
        let d = charge_details(&card, &ev);
        assert_eq!(d["type"], "isp");
        assert_eq!(d["isp"]["last4"], "4242");
        assert_eq!(d["isp"]["certificate_serial"], "0a");
        assert_eq!(d["isp"]["network_transaction_id"], "123456789012");
        assert!(d.get("card").is_none() && d["isp"].get("checks").is_none());
    }
}
