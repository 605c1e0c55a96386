//! The stored PaymentMethod document, typed. It is exactly Stripe's object plus `_vault` (the
//! id of the sealed card record; fields starting with `_` are never served). The details of
//! the method sit under the key named by its `type` (`card` or `isp`), as in Stripe; the other
//! key is absent.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Stripe's PaymentMethod `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethodType {
    Card,
    /// A card paid through ISP (안전결제): signed by the cardholder's certificate.
    Isp,
}

/// A PaymentMethod as stored and served.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    pub object: String,
    #[serde(rename = "type")]
    pub kind: PaymentMethodType,
    pub billing_details: BillingDetails,
    /// The card, for `type: card`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<CardDetails>,
    /// The ISP card and its certificate, for `type: isp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isp: Option<IspDetails>,
    pub created: i64,
    pub customer: Option<String>,
    pub livemode: bool,
    pub metadata: Map<String, Value>,
    /// Id of the vault record holding the sealed PAN and expiry.
    #[serde(rename = "_vault")]
    pub vault: String,
}

/// Stripe's `billing_details`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BillingDetails {
    pub address: Option<Value>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// What may be shown of a card: never the PAN, only brand, last four and expiry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardDetails {
    pub brand: String,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
    /// Keyed fingerprint of the PAN (same card, same fingerprint, per installation).
    pub fingerprint: String,
    pub funding: String,
    pub country: Option<String>,
    pub checks: CardChecks,
    pub networks: CardNetworks,
}

/// What may be shown of a card paid through ISP: brand, last four, expiry, the keyed
/// fingerprint and the serial of the cardholder's certificate that signed the payment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IspDetails {
    pub brand: String,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
    /// Keyed fingerprint of the PAN, the same as the card method's for the same card.
    pub fingerprint: String,
    /// Serial of the ISP certificate (lowercase hex).
    pub certificate_serial: String,
}

/// Checks known when the card was saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardChecks {
    /// `unchecked` when a CVC was given (checked at the first authorization), else
    /// `unavailable`.
    pub cvc_check: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardNetworks {
    pub available: Vec<String>,
    pub preferred: Option<String>,
}

impl PaymentMethod {
    /// The stored document.
    pub fn to_document(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_card_payment_method_has_stripes_shape() {
        let pm = PaymentMethod {
            id: "pm_1".into(),
            object: "payment_method".into(),
            kind: PaymentMethodType::Card,
            billing_details: BillingDetails::default(),
            card: Some(CardDetails {
                brand: "visa".into(),
                last4: "4242".into(),
                exp_month: 12,
                exp_year: 2034,
                fingerprint: "fp".into(),
                funding: "credit".into(),
                country: None,
                checks: CardChecks {
                    cvc_check: "unchecked".into(),
                },
                networks: CardNetworks {
                    available: vec!["visa".into()],
                    preferred: None,
                },
            }),
            isp: None,
            created: 7,
            customer: None,
            livemode: false,
            metadata: Map::new(),
            vault: "vc_1".into(),
        };
        let doc = pm.to_document();
        assert_eq!(
            doc,
            json!({
                "id": "pm_1", "object": "payment_method", "type": "card",
                "billing_details": {"address": null, "email": null, "name": null, "phone": null},
                "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034,
                         "fingerprint": "fp", "funding": "credit", "country": null,
                         "checks": {"cvc_check": "unchecked"},
                         "networks": {"available": ["visa"], "preferred": null}},
                "created": 7, "customer": null, "livemode": false, "metadata": {}, "_vault": "vc_1"
            })
        );
        assert_eq!(serde_json::from_value::<PaymentMethod>(doc).unwrap(), pm);
    }

    #[test]
    fn an_isp_payment_method_has_its_details_under_isp_and_no_card() {
        let pm = PaymentMethod {
            id: "pm_2".into(),
            object: "payment_method".into(),
            kind: PaymentMethodType::Isp,
            billing_details: BillingDetails::default(),
            card: None,
            isp: Some(IspDetails {
                brand: "visa".into(),
                last4: "4242".into(),
                exp_month: 12,
                exp_year: 2034,
                fingerprint: "fp".into(),
                certificate_serial: "0a1b".into(),
            }),
            created: 7,
            customer: None,
            livemode: false,
            metadata: Map::new(),
            vault: "vc_2".into(),
        };
        let doc = pm.to_document();
        assert_eq!(doc["type"], "isp");
        assert!(doc.get("card").is_none());
        assert_eq!(
            doc["isp"],
            json!({"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034,
                   "fingerprint": "fp", "certificate_serial": "0a1b"})
        );
        assert_eq!(serde_json::from_value::<PaymentMethod>(doc).unwrap(), pm);
    }
}
