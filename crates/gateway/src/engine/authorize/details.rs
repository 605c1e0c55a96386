//! What the method adds to an authorization's charge: 3-D Secure, the wallet, ISP's evidence,
//! 간편결제, the card-present read, the 할부 plan; and the method the metrics count it under.

use super::AuthorizePhases;
use crate::methods::PaymentMethodKind;
use serde_json::json;

impl AuthorizePhases {
    /// What 3-D Secure, ISP or a wallet adds to the card's `payment_method_details` of `ch`.
    pub(super) fn method_details(&self, ch: &mut crate::models::Charge) {
        if let Some(tds) = &self.three_d_secure {
            ch.payment_method_details["card"]["three_d_secure"] = tds.clone();
        }
        if let Some(w) = self.payment.card().and_then(|c| c.wallet.as_ref()) {
            ch.payment_method_details["card"]["wallet"] =
                json!({"type": w.wallet, "dynamic_last4": w.dynamic_last4});
        }
        if let Some(evidence) = &self.isp {
            ch.payment_method_details =
                crate::methods::isp::evidence::charge_details(&ch.payment_method_details, evidence);
        }
        if let Some(wallet) = &self.easy_pay {
            ch.payment_method_details =
                crate::methods::easy_pay::charge_details(&ch.payment_method_details, wallet);
        }
        if let Some(read) = &self.card_present {
            ch.payment_method_details =
                read.charge_details(&ch.payment_method_details, self.issuer_data.as_deref());
        }
        if let Some(n) = self.pi.installments
            && ch.payment_method_details.get("card").is_some()
        {
            ch.payment_method_details["card"]["installments"] =
                crate::methods::installments::plan(n);
        }
    }

    /// The payment method, for the metrics: a card authorization made for ISP or 간편결제
    /// counts under that method.
    pub(super) fn method(&self) -> PaymentMethodKind {
        method_of(&self.isp, &self.easy_pay, &self.payment)
    }
}

impl super::Authorize {
    /// The payment method of the authorization, for the metrics (as [`AuthorizePhases`]').
    pub fn method(&self) -> PaymentMethodKind {
        method_of(&self.isp, &self.easy_pay, &self.payment)
    }
}

fn method_of(
    isp: &Option<serde_json::Value>,
    easy_pay: &Option<serde_json::Value>,
    payment: &crate::engine::payment::AuthPayment,
) -> PaymentMethodKind {
    match (isp, easy_pay) {
        (Some(_), _) => PaymentMethodKind::Isp,
        (None, Some(_)) => PaymentMethodKind::EasyPay,
        (None, None) => payment.kind(),
    }
}
