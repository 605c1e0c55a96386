//! 계좌이체 over the bank link (docs/BANK_TELEGRAMS.md, kinds 1600–2000): the order the
//! payer approves on the bank's own page ([`BankConnector::order`]), what became of it
//! ([`BankConnector::inquire`]), and the payment phases' pieces — the authorization is the
//! confirm of the payer's debit (1800), its reversal the cancel (1900, the debit goes back to
//! the payer), a refund the transfer back to the payer's account (2000).

use paygate_payments::{
    AuthorizationOutcome, ConnectorError, ConnectorRef, Decline, FollowUpAnswer, PreparedFollowUp,
};
use paygate_telegram::fit;
use serde::{Deserialize, Serialize};

use crate::wire::Kind;
use crate::{BankConnector, BankError, LinkError, accepted, body};

/// A registered order: the payer goes to `auth_url`, the bank's login page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ordered {
    pub order_id: String,
    pub auth_url: String,
}

/// Where an order stands at the bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderState {
    /// The payer has not approved (or not logged in) yet.
    Waiting,
    /// The payer approved; the debit awaits the gateway's confirm.
    Debited,
    /// Confirmed by the gateway already.
    Confirmed,
    /// Refused at the bank (insufficient funds, account locked): nothing was debited.
    Refused,
    /// Canceled, or its debit returned to the payer.
    Closed,
}

/// An order as the bank answers an inquiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderInfo {
    pub state: OrderState,
    /// The bank's refusal code when refused (`T003`, `T004`).
    pub reason: String,
    pub order_ref: String,
    pub amount: i64,
    pub account_last4: String,
}

/// The reference of a transfer payment (stored in recovery records and on the charge).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct OrderRef {
    pub bank_transfer_order: String,
    pub bank: String,
}

/// What a refund to the payer's follow-up record holds: everything to send it again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PayerRefundRecord {
    pub order_id: String,
    pub bank: String,
    pub refund_ref: String,
    pub amount: i64,
}

/// The merchant-facing refusal of a bank code.
pub fn decline(code: &str) -> Decline {
    match code {
        "T003" => Decline {
            code: "card_declined",
            decline_code: "insufficient_funds",
            message: "The bank account has insufficient funds to complete the transfer.",
            outcome_type: "issuer_declined",
        },
        "T004" => Decline {
            code: "card_declined",
            decline_code: "bank_account_locked",
            message: "The payer's internet banking is locked after too many wrong passwords.",
            outcome_type: "issuer_declined",
        },
        _ => Decline {
            code: "card_declined",
            decline_code: "bank_transfer_declined",
            message: "The bank declined the transfer.",
            outcome_type: "issuer_declined",
        },
    }
}

pub(crate) fn order_ref(r: &ConnectorRef) -> Result<OrderRef, ConnectorError> {
    serde_json::from_value(r.0.clone())
        .map_err(|e| ConnectorError(format!("not a bank transfer order: {e}")))
}

impl BankConnector {
    /// Registers a transfer order of `amount` KRW at `bank` for `order_ref` (the
    /// PaymentIntent), shown to the payer as paid to `merchant`; the bank sends the payer
    /// back to `return_url`.
    pub async fn order(
        &self,
        bank: &str,
        order_ref: &str,
        amount: i64,
        merchant: &str,
        return_url: &str,
    ) -> Result<Ordered, BankError> {
        if return_url.len() > 300 {
            return Err(BankError::Link(LinkError::Build(
                "return URL longer than 300 bytes".into(),
            )));
        }
        let b = body(&[
            ("order_ref", order_ref.to_string()),
            ("amount", amount.to_string()),
            ("merchant", fit(merchant, 40)),
            ("return_url", return_url.to_string()),
        ]);
        let t = self.link.request(Kind::Order, bank, b).await?;
        accepted(&t)?;
        Ok(Ordered {
            order_id: t.field("order_id").to_string(),
            auth_url: t.field("auth_url").to_string(),
        })
    }

    /// What became of `order_id` at `bank`; changes nothing there.
    pub async fn inquire(&self, bank: &str, order_id: &str) -> Result<OrderInfo, BankError> {
        let b = body(&[("order_id", order_id.to_string())]);
        let t = self.link.request(Kind::Inquiry, bank, b).await?;
        accepted(&t)?;
        let state = match t.field("status") {
            "debited" => OrderState::Debited,
            "confirmed" => OrderState::Confirmed,
            "declined" | "locked" => OrderState::Refused,
            "canceled" | "reversed" => OrderState::Closed,
            _ => OrderState::Waiting,
        };
        Ok(OrderInfo {
            state,
            reason: t.field("reason").to_string(),
            order_ref: t.field("order_ref").to_string(),
            amount: t.number("amount"),
            account_last4: t.field("account_last4").to_string(),
        })
    }

    /// Cancels `order_id` at `bank`: an approved debit goes back to the payer, an order not
    /// approved can no longer be (an abandoned payment).
    pub async fn cancel_order(&self, bank: &str, order_id: &str) -> Result<(), ConnectorError> {
        self.cancel(&OrderRef {
            bank_transfer_order: order_id.to_string(),
            bank: bank.to_string(),
        })
        .await
    }

    /// The authorization of a transfer payment: the confirm of the payer's debit.
    pub(crate) async fn confirm(&self, r: &OrderRef, amount: i64) -> AuthorizationOutcome {
        let b = body(&[
            ("order_id", r.bank_transfer_order.clone()),
            ("amount", amount.to_string()),
        ]);
        let reference = ConnectorRef(serde_json::to_value(r).unwrap_or_default());
        match self.link.request(Kind::Confirm, &r.bank, b).await {
            Ok(t) if t.resp == "0000" => AuthorizationOutcome::Approved {
                reference,
                approval_code: None,
                network_transaction_id: Some(t.field("debit_id").to_string()),
                issuer_data: None,
                funding_last4: Some(t.field("account_last4").to_string()),
            },
            Ok(t) => AuthorizationOutcome::Declined {
                decline: decline(&t.resp),
                network_code: t.resp,
                network_transaction_id: None,
                issuer_data: None,
            },
            Err(e) => AuthorizationOutcome::Unknown {
                why: e.to_string(),
                reversal: None,
            },
        }
    }

    /// Cancels an order: a debit goes back to the payer (idempotent at the bank).
    pub(crate) async fn cancel(&self, r: &OrderRef) -> Result<(), ConnectorError> {
        let b = body(&[("order_id", r.bank_transfer_order.clone())]);
        let t = self
            .link
            .request(Kind::Cancel, &r.bank, b)
            .await
            .map_err(|e| ConnectorError(e.to_string()))?;
        accepted(&t).map_err(|e| ConnectorError(e.to_string()))
    }

    pub(crate) fn prepare_payer_refund(
        reference: &str,
        original: &ConnectorRef,
        amount: i64,
    ) -> Result<PreparedFollowUp, ConnectorError> {
        let o = order_ref(original)?;
        let r = PayerRefundRecord {
            order_id: o.bank_transfer_order,
            bank: o.bank,
            refund_ref: reference.to_string(),
            amount,
        };
        let record =
            ConnectorRef(serde_json::to_value(&r).map_err(|e| ConnectorError(e.to_string()))?);
        Ok(PreparedFollowUp {
            record,
            message: Box::new(r),
        })
    }

    pub(crate) async fn refund_payer(&self, r: &PayerRefundRecord) -> FollowUpAnswer {
        let b = body(&[
            ("order_id", r.order_id.clone()),
            ("refund_ref", r.refund_ref.clone()),
            ("amount", r.amount.to_string()),
        ]);
        match self.link.request(Kind::PayerRefund, &r.bank, b).await {
            Ok(t) if t.resp == "0000" => FollowUpAnswer::Approved,
            Ok(t) => FollowUpAnswer::Refused(t.resp),
            Err(LinkError::Down) => FollowUpAnswer::Refused("bank_link_down".into()),
            Err(e) => FollowUpAnswer::Unknown(e.to_string()),
        }
    }
}
