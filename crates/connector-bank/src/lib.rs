//! The gateway's bank connector: the typed operations of the bank telegram link
//! ([`BankConnector::issue`], [`BankConnector::deposit`], [`BankConnector::close`], transfers)
//! over [`link::Link`], and the payment phases' [`Connector`] for the one follow-up a bank
//! does: a transfer to a refund account ([`Connector::prepare_transfer`]).
//!
//! A virtual account is issued, never authorized: the confirm calls [`BankConnector::issue`]
//! directly (the bank answers a repeated order with the same account), and the money arrives
//! later as deposit notices handed to the gateway's [`NoticeSink`].

pub mod link;
pub mod transfer;
pub mod wire;

use std::sync::Arc;

use paygate_ledger::Counterparty;
use paygate_payments::{
    AuthorizationOutcome, AuthorizationRequest, BankAccount, BoxFuture, Connector, ConnectorError,
    ConnectorRef, FollowUpAnswer, FollowUpKind, PaymentMethodData, PreparedAuthorization,
    PreparedFollowUp,
};
use paygate_telegram::{Values, fit};
use serde::{Deserialize, Serialize};

pub use link::{DepositNotice, Link, LinkError, NoticeSink};
pub use transfer::{OrderInfo, OrderState, Ordered};
use wire::Kind;

/// The banks the gateway issues virtual accounts at (KFTC codes), with their names.
pub const BANKS: [(&str, &str); 5] = [
    ("004", "KB국민은행"),
    ("088", "신한은행"),
    ("020", "우리은행"),
    ("081", "하나은행"),
    ("011", "NH농협은행"),
];

/// The name of bank `code`, when the gateway works with it.
pub fn bank_name(code: &str) -> Option<&'static str> {
    BANKS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// A bank's refusal (its answer code), or no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    #[error("refused by the bank: {0}")]
    Refused(String),
    #[error(transparent)]
    Link(#[from] LinkError),
}

/// An issued virtual account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issued {
    pub account_number: String,
}

/// An accepted test deposit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositAccepted {
    pub deposit_id: String,
    pub remaining: i64,
}

/// The connector over one session with the bank.
pub struct BankConnector {
    pub(crate) link: Arc<Link>,
}

pub(crate) fn body(pairs: &[(&'static str, String)]) -> Values {
    pairs.iter().cloned().collect()
}

pub(crate) fn accepted(t: &wire::Telegram) -> Result<(), BankError> {
    if t.resp == "0000" {
        Ok(())
    } else {
        Err(BankError::Refused(t.resp.clone()))
    }
}

/// What a transfer's follow-up record holds: everything to send the same transfer again.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct TransferRecord {
    transfer_ref: String,
    to: BankAccount,
    amount: i64,
}

impl BankConnector {
    pub fn new(link: Arc<Link>) -> BankConnector {
        BankConnector { link }
    }

    pub fn link(&self) -> &Arc<Link> {
        &self.link
    }

    /// Issues a virtual account of `bank` for the order `order_ref` (the PaymentIntent) of
    /// `amount` KRW, open until `expires_at` (Unix s), shown to the payer as held by `holder`.
    pub async fn issue(
        &self,
        bank: &str,
        order_ref: &str,
        amount: i64,
        expires_at: i64,
        holder: &str,
    ) -> Result<Issued, BankError> {
        let b = body(&[
            ("order_ref", order_ref.to_string()),
            ("amount", amount.to_string()),
            ("expires_at", wire::kst(expires_at)),
            ("holder", fit(holder, 40)),
        ]);
        let t = self.link.request(Kind::Issue, bank, b).await?;
        accepted(&t)?;
        Ok(Issued {
            account_number: t.field("account_no").to_string(),
        })
    }

    /// A payer's deposit (test mode: the bank simulator takes it as from a teller).
    pub async fn deposit(
        &self,
        account_number: &str,
        amount: i64,
        depositor: &str,
    ) -> Result<DepositAccepted, BankError> {
        let b = body(&[
            ("account_no", account_number.to_string()),
            ("amount", amount.to_string()),
            ("depositor", fit(depositor, 30)),
        ]);
        let t = self.link.request(Kind::Deposit, "000", b).await?;
        accepted(&t)?;
        Ok(DepositAccepted {
            deposit_id: t.field("deposit_id").to_string(),
            remaining: t.number("remaining"),
        })
    }

    /// Closes a virtual account (expired, canceled): the bank returns deposits made to it to
    /// their depositors; answers how much it returned.
    pub async fn close(&self, bank: &str, account_number: &str) -> Result<i64, BankError> {
        let b = body(&[("account_no", account_number.to_string())]);
        let t = self.link.request(Kind::Close, bank, b).await?;
        accepted(&t)?;
        Ok(t.number("returned"))
    }

    async fn transfer(&self, r: &TransferRecord) -> FollowUpAnswer {
        let b = body(&[
            ("transfer_ref", r.transfer_ref.clone()),
            ("to_bank", r.to.bank_code.clone()),
            ("to_account", r.to.account_number.clone()),
            ("holder", fit(&r.to.holder_name, 30)),
            ("amount", r.amount.to_string()),
        ]);
        match self.link.request(Kind::Transfer, &r.to.bank_code, b).await {
            Ok(t) if t.resp == "0000" => FollowUpAnswer::Approved,
            Ok(t) => FollowUpAnswer::Refused(t.resp),
            Err(LinkError::Down) => FollowUpAnswer::Refused("bank_link_down".into()),
            Err(e) => FollowUpAnswer::Unknown(e.to_string()),
        }
    }
}

/// A follow-up record: a refund to the payer's own account (계좌이체), or a transfer to a
/// refund account (stored first, without a tag: the payer's has an `order_id`).
#[derive(Deserialize)]
#[serde(untagged)]
enum FollowUpRecord {
    Payer(transfer::PayerRefundRecord),
    Transfer(TransferRecord),
}

fn record_of(r: &ConnectorRef) -> Result<FollowUpRecord, ConnectorError> {
    serde_json::from_value(r.0.clone())
        .map_err(|e| ConnectorError(format!("not a bank transfer record: {e}")))
}

impl Connector for BankConnector {
    fn counterparty(&self) -> Counterparty {
        Counterparty::Bank
    }

    fn prepare_authorization(
        &self,
        req: &AuthorizationRequest<'_>,
    ) -> Result<PreparedAuthorization, ConnectorError> {
        let PaymentMethodData::BankTransfer {
            bank_code,
            order_id,
        } = req.method
        else {
            return Err(ConnectorError(
                "a bank confirms account transfers only; it authorizes no card".into(),
            ));
        };
        if req.currency.numeric() != 410 {
            return Err(ConnectorError("bank transfers are in KRW only".into()));
        }
        let r = transfer::OrderRef {
            bank_transfer_order: order_id.to_string(),
            bank: bank_code.to_string(),
        };
        let reference =
            ConnectorRef(serde_json::to_value(&r).map_err(|e| ConnectorError(e.to_string()))?);
        Ok(PreparedAuthorization {
            reference,
            message: Box::new((r, req.amount)),
        })
    }

    fn send_authorization(&self, p: PreparedAuthorization) -> BoxFuture<'_, AuthorizationOutcome> {
        Box::pin(async move {
            match p.message.downcast::<(transfer::OrderRef, i64)>() {
                Ok(m) => self.confirm(&m.0, m.1).await,
                Err(_) => AuthorizationOutcome::Unknown {
                    why: "not a bank transfer order".into(),
                    reversal: None,
                },
            }
        })
    }

    fn prepare_follow_up(
        &self,
        kind: FollowUpKind,
        _original: &ConnectorRef,
        _ntid: &str,
        _amount: i64,
        _currency_numeric: u16,
    ) -> Result<PreparedFollowUp, ConnectorError> {
        Err(ConnectorError(format!(
            "a bank payment has no {kind:?} message: it is refunded by transfer to a refund account"
        )))
    }

    fn prepare_transfer(
        &self,
        reference: &str,
        to: &BankAccount,
        amount: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, ConnectorError> {
        if currency_numeric != 410 {
            return Err(ConnectorError("bank transfers are in KRW only".into()));
        }
        if reference.len() > 30 {
            return Err(ConnectorError(format!(
                "transfer reference {reference:?} longer than 30"
            )));
        }
        let r = TransferRecord {
            transfer_ref: reference.to_string(),
            to: to.clone(),
            amount,
        };
        let record =
            ConnectorRef(serde_json::to_value(&r).map_err(|e| ConnectorError(e.to_string()))?);
        Ok(PreparedFollowUp {
            record,
            message: Box::new(r),
        })
    }

    fn send_follow_up(&self, prepared: PreparedFollowUp) -> BoxFuture<'_, FollowUpAnswer> {
        Box::pin(async move {
            let m = prepared.message;
            if let Some(r) = m.downcast_ref::<transfer::PayerRefundRecord>() {
                return self.refund_payer(r).await;
            }
            match m.downcast::<TransferRecord>() {
                Ok(r) => self.transfer(&r).await,
                Err(_) => FollowUpAnswer::Refused("not a bank transfer".into()),
            }
        })
    }

    fn resend_follow_up<'a>(&'a self, record: &'a ConnectorRef) -> BoxFuture<'a, FollowUpAnswer> {
        Box::pin(async move {
            match record_of(record) {
                Ok(FollowUpRecord::Transfer(r)) => self.transfer(&r).await,
                Ok(FollowUpRecord::Payer(r)) => self.refund_payer(&r).await,
                Err(e) => FollowUpAnswer::Unknown(e.0),
            }
        })
    }

    fn follow_up_amount(&self, record: &ConnectorRef) -> Result<i64, ConnectorError> {
        Ok(match record_of(record)? {
            FollowUpRecord::Transfer(r) => r.amount,
            FollowUpRecord::Payer(r) => r.amount,
        })
    }

    fn prepare_payer_refund(
        &self,
        reference: &str,
        original: &ConnectorRef,
        amount: i64,
        currency_numeric: u16,
    ) -> Result<PreparedFollowUp, ConnectorError> {
        if currency_numeric != 410 {
            return Err(ConnectorError("bank transfers are in KRW only".into()));
        }
        BankConnector::prepare_payer_refund(reference, original, amount)
    }

    /// A transfer payment's reversal: the order is canceled at the bank, which returns a
    /// debit to the payer (idempotent there). Other bank payments have none.
    fn reverse<'a>(
        &'a self,
        reference: &'a ConnectorRef,
        _amount: i64,
        _currency_numeric: u16,
    ) -> BoxFuture<'a, Result<(), ConnectorError>> {
        Box::pin(async move {
            let r = transfer::order_ref(reference)?;
            self.cancel(&r).await
        })
    }
}
