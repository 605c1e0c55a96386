//! 가상계좌 (virtual accounts): the account a bank issues for one PaymentIntent, the payer's
//! deposits into it and its expiry. The method's confirm is `methods::virtual_account`; the
//! deposits run through the engine's `deposit` operation ([`crate::engine::deposit`]), fed
//! by the bank link's notices ([`NoticeReceiver`]); [`expiry`] closes accounts past their
//! time and cancels their intents (`cancellation_reason=expired`).
//!
//! A `virtual_account` object (id `va_<account number>`, the intent as parent) keeps what the
//! bank issued, what was deposited (each deposit by the bank's id: a notice delivered twice
//! counts once) and the status; while open it carries the tag [`OPEN_TAG`] due at its expiry.

pub mod cash_receipt;
pub mod expiry;
pub mod funding;

use crate::config::Config;
use crate::state::{AppState, SharedState};
use paygate_connector_bank::{BankConnector, DepositNotice, Link, NoticeSink};
use paygate_payments::{BoxFuture, Clock, KrVirtualAccount};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Object kind of a virtual account.
pub const KIND: &str = "virtual_account";
/// Tag of an open account, due at its expiry.
pub const OPEN_TAG: &str = "va_open";
/// Default and most days a virtual account stays open (`expires_after_days`).
pub const EXPIRES_AFTER_DAYS_DEFAULT: i64 = 3;
pub const EXPIRES_AFTER_DAYS_MAX: i64 = 30;

/// Where a virtual account is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VaStatus {
    /// Deposits are taken.
    Open,
    /// The whole amount arrived: the intent succeeded.
    Paid,
    /// Past its expiry: closed at the bank, deposits returned to the payer.
    Expired,
    /// Its intent was canceled: closed at the bank, deposits returned to the payer.
    Closed,
}

/// What happened to one deposit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositStatus {
    /// Counted toward the intent.
    Received,
    /// Went back to the payer (the account was closed).
    Returned,
}

/// One deposit as the gateway recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    /// The bank's id.
    pub id: String,
    pub amount: i64,
    pub depositor: String,
    pub deposited_at: i64,
    pub status: DepositStatus,
}

/// The `virtual_account` object.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VirtualAccount {
    pub id: String,
    pub object: String,
    pub payment_intent: String,
    pub bank_code: String,
    pub bank_name: String,
    pub account_number: String,
    pub account_holder_name: String,
    /// KRW to deposit in all.
    pub amount: i64,
    pub amount_received: i64,
    pub currency: String,
    pub expires_at: i64,
    pub status: VaStatus,
    pub deposits: Vec<Deposit>,
    /// `cash_receipt` as shown on the charge (identifier masked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_receipt: Option<cash_receipt::CashReceipt>,
    pub created: i64,
    pub livemode: bool,
}

impl VirtualAccount {
    /// The object id of account `number`.
    pub fn id_of(number: &str) -> String {
        format!("va_{number}")
    }

    pub fn remaining(&self) -> i64 {
        self.amount - self.amount_received
    }

    /// Whether deposit `id` was recorded already.
    pub fn has_deposit(&self, id: &str) -> bool {
        self.deposits.iter().any(|d| d.id == id)
    }

    /// The account as `next_action.display_bank_transfer_instructions` shows it.
    pub fn instructions(&self) -> KrVirtualAccount {
        KrVirtualAccount {
            bank_code: self.bank_code.clone(),
            bank_name: self.bank_name.clone(),
            account_number: self.account_number.clone(),
            account_holder_name: self.account_holder_name.clone(),
            expires_at: self.expires_at,
        }
    }

    /// The tag and due time of the stored object: open accounts are due at their expiry.
    pub fn tag_due(&self) -> (Option<String>, Option<i64>) {
        match self.status {
            VaStatus::Open => (Some(OPEN_TAG.to_string()), Some(self.expires_at)),
            _ => (None, None),
        }
    }
}

/// The bank connector over a link to `bank_addr`, when configured.
pub fn connect(cfg: &Config, clock: &Arc<dyn Clock>) -> Result<Option<Arc<BankConnector>>, String> {
    let Some(addr) = &cfg.bank_addr else {
        return Ok(None);
    };
    let addr = addr
        .parse()
        .map_err(|e| format!("bank_addr {addr:?} is not an address: {e}"))?;
    let clock = clock.clone();
    let link = Link::connect(
        addr,
        Duration::from_millis(cfg.network_timeout_ms),
        Arc::new(move || clock.now()),
    );
    Ok(Some(Arc::new(BankConnector::new(link))))
}

/// Hands the bank link's notices to the engine's deposit operation.
pub fn listen(st: &SharedState) {
    if let Some(bank) = &st.bank {
        bank.link().set_sink(Arc::new(NoticeReceiver {
            st: Arc::downgrade(st),
        }));
    }
}

/// The link's [`NoticeSink`]: a notice is acknowledged only after its deposit committed.
struct NoticeReceiver {
    st: Weak<AppState>,
}

impl NoticeSink for NoticeReceiver {
    fn deliver(&self, notice: DepositNotice) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let st = self.st.upgrade().ok_or("the gateway is stopping")?;
            crate::engine::deposit::receive(&st, notice)
                .await
                .map_err(|e| e.message)
        })
    }
}
