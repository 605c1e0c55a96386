//! The payment methods the checkout page offers: ONE table. Adding a landed method to checkout
//! is one [`CHECKOUT_METHODS`] entry: its API type name (a [`PaymentMethodKind`]), the catalog
//! key of its label, what the page collects for it and how it confirms.

use crate::methods::PaymentMethodKind;
use crate::state::AppState;
use paygate_payer_pages::{MethodChoice, Msg};

/// What the checkout page collects for a method before confirming.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Collects {
    /// The card fields (`card_number`, `exp_month`, `exp_year`, `cvc`) → `payment_method_data[card]`.
    CardForm,
    /// Nothing: the method's own page asks the payer (`next_action.redirect_to_url`).
    Nothing,
    /// The bank of the account to deposit into (`bank`) and an optional 현금영수증
    /// (`cash_receipt_type`, `cash_receipt_identifier`) →
    /// `payment_method_options[virtual_account][bank]`, `cash_receipt[...]`.
    BankAndCashReceipt,
}

/// When the money of a method arrives (Stripe's "delayed notification" methods).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settles {
    /// While the payer is on the page (or the method's page): the session completes paid.
    AtOnce,
    /// Later (a deposit): the session completes `unpaid` at the payer's choice
    /// (`checkout.session.completed`), then `checkout.session.async_payment_succeeded` or
    /// `…_failed` follows.
    Later,
}

/// One method on the checkout page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckoutMethod {
    pub kind: PaymentMethodKind,
    pub label: Msg,
    pub collects: Collects,
    /// Whether the setup mode (save a card, no payment) can use it.
    pub setup: bool,
    pub settles: Settles,
    /// Whether only KRW sessions offer it (a Korean bill or bank account).
    pub krw_only: bool,
}

/// Every method checkout offers, in the order the page lists them.
pub const CHECKOUT_METHODS: &[CheckoutMethod] = &[
    CheckoutMethod {
        kind: PaymentMethodKind::Card,
        label: Msg::CheckoutMethodCard,
        collects: Collects::CardForm,
        setup: true,
        krw_only: false,
        settles: Settles::AtOnce,
    },
    CheckoutMethod {
        kind: PaymentMethodKind::EasyPay,
        label: Msg::CheckoutMethodEasyPay,
        collects: Collects::Nothing,
        setup: false,
        krw_only: false,
        settles: Settles::AtOnce,
    },
    CheckoutMethod {
        kind: PaymentMethodKind::Isp,
        label: Msg::CheckoutMethodIsp,
        collects: Collects::Nothing,
        setup: false,
        krw_only: false,
        settles: Settles::AtOnce,
    },
    CheckoutMethod {
        kind: PaymentMethodKind::MobileCarrier,
        label: Msg::CheckoutMethodMobileCarrier,
        collects: Collects::Nothing,
        setup: false,
        krw_only: true,
        settles: Settles::AtOnce,
    },
    CheckoutMethod {
        kind: PaymentMethodKind::VirtualAccount,
        label: Msg::CheckoutMethodVirtualAccount,
        collects: Collects::BankAndCashReceipt,
        setup: false,
        krw_only: true,
        settles: Settles::Later,
    },
    CheckoutMethod {
        kind: PaymentMethodKind::BankTransfer,
        label: Msg::BtTitle,
        collects: Collects::Nothing,
        setup: false,
        krw_only: true,
        settles: Settles::AtOnce,
    },
];

impl CheckoutMethod {
    /// The entry of the API type name `t`.
    pub fn find(t: &str) -> Option<&'static CheckoutMethod> {
        CHECKOUT_METHODS.iter().find(|m| m.kind.as_str() == t)
    }

    /// Whether this gateway can take it now (its counterparty is configured).
    pub fn available(&self, st: &AppState) -> bool {
        match self.kind {
            PaymentMethodKind::Card => true,
            PaymentMethodKind::EasyPay => st.sms.is_some(),
            PaymentMethodKind::Isp => st.isp.is_some(),
            PaymentMethodKind::VirtualAccount | PaymentMethodKind::BankTransfer => {
                st.bank.is_some()
            }
            PaymentMethodKind::MobileCarrier => st.carrier.is_some(),
        }
    }

    /// Whether a session in `currency` (none in setup mode) may offer it.
    pub fn takes(&self, currency: Option<&str>) -> bool {
        !self.krw_only || currency == Some("krw")
    }

    /// The page's radio button.
    pub fn choice(&self) -> MethodChoice {
        MethodChoice {
            type_name: self.kind.as_str(),
            label: self.label,
        }
    }
}

/// The type names a session offers by default: every method this gateway can take for `setup`
/// or payment mode in `currency`.
pub fn default_types(st: &AppState, setup: bool, currency: Option<&str>) -> Vec<String> {
    CHECKOUT_METHODS
        .iter()
        .filter(|m| m.available(st) && (!setup || m.setup) && m.takes(currency))
        .map(|m| m.kind.as_str().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_a_method_once() {
        for m in CHECKOUT_METHODS {
            assert_eq!(CheckoutMethod::find(m.kind.as_str()), Some(m));
        }
        assert_eq!(CheckoutMethod::find("wire"), None);
    }
}
