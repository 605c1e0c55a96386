//! Payment methods: what a confirm charges and which counterparty serves it.
//!
//! Each method is one module here ([`card`], [`isp`]) that turns the confirm request into the
//! engine's command for it; the engine then talks to the connector of the method's
//! counterparty ([`PaymentMethodKind::counterparty`], looked up in
//! [`crate::engine::connectors::Connectors`]). Capture, refund, cancel and recovery follow the
//! `processor` recorded on the charge or the recovery record, so they need nothing from here.
//! Adding a method adds a variant, its module, its arm in [`confirm`] and its connector's
//! registration in `start_with_clock` — no other method's code changes.

pub mod bank_transfer;
pub mod card;
pub mod easy_pay;
pub mod installments;
pub mod isp;
pub mod mobile_carrier;
pub mod page_outcome;
pub mod page_redirect;
pub mod virtual_account;

use crate::error::ApiResult;
use crate::http::Ctx;
use crate::models::PaymentIntent;
use paygate_ledger::Counterparty;
use paygate_store::Op;
use serde_json::Value;

/// A payment method the gateway offers (Stripe's `payment_method[type]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentMethodKind {
    /// A card, authorized over the card network (with 3-D Secure when it applies).
    Card,
    /// ISP (안전결제): a card whose holder signed the payment with an ISP certificate,
    /// verified by the card company's ISP server, then authorized over the card network.
    Isp,
    /// 간편결제: the payer's wallet (card registered once, paid with a PIN on the wallet
    /// page), authorized over the card network.
    EasyPay,
    /// 가상계좌: a bank account issued for the payment, paid by the payer's deposits.
    VirtualAccount,
    /// 휴대폰 소액결제: charged to the payer's phone bill after a code the carrier sends by
    /// SMS (`methods/mobile_carrier`).
    MobileCarrier,
    /// 계좌이체: debited from the payer's account after they approved it on their bank's
    /// page (`methods/bank_transfer`).
    BankTransfer,
}

impl PaymentMethodKind {
    /// Every method.
    pub const ALL: [PaymentMethodKind; 6] = [
        PaymentMethodKind::Card,
        PaymentMethodKind::Isp,
        PaymentMethodKind::EasyPay,
        PaymentMethodKind::VirtualAccount,
        PaymentMethodKind::MobileCarrier,
        PaymentMethodKind::BankTransfer,
    ];

    /// The `type` name of the method in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethodKind::Card => "card",
            PaymentMethodKind::Isp => "isp",
            PaymentMethodKind::EasyPay => "easy_pay",
            PaymentMethodKind::VirtualAccount => "virtual_account",
            PaymentMethodKind::MobileCarrier => "mobile_carrier",
            PaymentMethodKind::BankTransfer => "bank_transfer",
        }
    }

    /// Inverse of [`PaymentMethodKind::as_str`].
    pub fn parse(s: &str) -> Option<PaymentMethodKind> {
        PaymentMethodKind::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The counterparty whose connector authorizes payments of this method.
    pub fn counterparty(self) -> Counterparty {
        match self {
            PaymentMethodKind::Card | PaymentMethodKind::Isp | PaymentMethodKind::EasyPay => {
                Counterparty::CardNetwork
            }
            PaymentMethodKind::VirtualAccount | PaymentMethodKind::BankTransfer => {
                Counterparty::Bank
            }
            PaymentMethodKind::MobileCarrier => Counterparty::Carrier,
        }
    }

    /// The method a confirm asks for: `payment_method_data[type]`; else `easy_pay` when it is
    /// the only type the intent accepts and no PaymentMethod is given (the wallet needs none
    /// from the merchant); else the intent's saved PaymentMethod, which is always a card (an
    /// ISP PaymentMethod is not confirmed again). A type no method claims goes to the card
    /// method, whose parameter check answers with the field and the accepted values.
    fn requested(ctx: &Ctx, pi: &PaymentIntent) -> PaymentMethodKind {
        let root = ctx.params.root();
        if let Some(t) = root
            .get("payment_method_data")
            .and_then(|pmd| pmd.get("type"))
            .and_then(Value::as_str)
        {
            return PaymentMethodKind::parse(t).unwrap_or(PaymentMethodKind::Card);
        }
        let no_pm = pi.payment_method.is_none() && root.get("payment_method").is_none();
        // Methods that need no PaymentMethod from the merchant, when the only type accepted.
        for m in [
            PaymentMethodKind::EasyPay,
            PaymentMethodKind::VirtualAccount,
            PaymentMethodKind::MobileCarrier,
            PaymentMethodKind::BankTransfer,
        ] {
            if no_pm && pi.payment_method_types == [m.as_str()] {
                return m;
            }
        }
        PaymentMethodKind::Card
    }
}

/// A PaymentIntent being confirmed, before its method resolves what it charges.
pub struct Confirm {
    pub intent: PaymentIntent,
    /// The stored version of the intent; `None` when `pre` inserts it.
    pub version: Option<i64>,
    /// Writes committed with the engine's phase 1 (the insert of an intent created and
    /// confirmed in one request).
    pub pre: Vec<Op>,
    /// The `expand[]` paths of the answer.
    pub expands: Vec<String>,
}

/// Confirms `c` with the method the request asks for.
pub async fn confirm(ctx: &mut Ctx, c: Confirm) -> ApiResult<Value> {
    let method = PaymentMethodKind::requested(ctx, &c.intent);
    let cash_receipt = ctx.params.root().get("cash_receipt");
    if method != PaymentMethodKind::VirtualAccount && cash_receipt.is_some_and(|v| !v.is_null()) {
        return Err(crate::error::ApiError::bad_param(
            "cash_receipt",
            "a cash receipt (현금영수증) is issued for cash-type payments only (virtual_account)",
        ));
    }
    let mut c = c;
    let card = method == PaymentMethodKind::Card;
    // Months kept from an earlier card attempt do not follow the payer to another method;
    // months asked for in this request with another method are refused by `check`.
    if !card && !installments::asked(ctx.params.root()) {
        c.intent.installments = None;
    }
    installments::check(&c.intent, card)?;
    match method {
        PaymentMethodKind::Card => card::confirm(ctx, c).await,
        PaymentMethodKind::VirtualAccount => virtual_account::confirm(ctx, c).await,
        PaymentMethodKind::Isp => isp::confirm(ctx, c).await,
        PaymentMethodKind::EasyPay => easy_pay::confirm(ctx, c).await,
        PaymentMethodKind::MobileCarrier => mobile_carrier::confirm(ctx, c).await,
        PaymentMethodKind::BankTransfer => bank_transfer::confirm(ctx, c).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_names_itself_and_its_counterparty() {
        for m in PaymentMethodKind::ALL {
            assert_eq!(PaymentMethodKind::parse(m.as_str()), Some(m));
        }
        assert_eq!(
            PaymentMethodKind::Card.counterparty(),
            Counterparty::CardNetwork
        );
        assert_eq!(PaymentMethodKind::parse("kakao_pay"), None);
    }
}
