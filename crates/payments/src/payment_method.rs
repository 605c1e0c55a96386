//! The stored PaymentMethod document, typed. It is exactly Stripe's object plus `_vault` (the
//! id of the sealed card record; fields starting with `_` are never served).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Stripe's PaymentMethod `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethodType {
    Card,
}

/// A PaymentMethod as stored and served.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentMethod {
    pub id: String,
    pub object: String,
    #[serde(rename = "type")]
    pub kind: PaymentMethodType,
    pub billing_details: BillingDetails,
    pub card: CardDetails,
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
            card: CardDetails {
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
            },
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
}
