//! 계좌이체 (`payment_method_data[type]=bank_transfer`): the confirm puts the intent in
//! `requires_action` with a redirect to paygate's bank choice page
//! (`/pay/bank_transfer/{pi}?t=…`, `crate::bank_transfer_pages`). The payer picks a bank,
//! paygate registers a transfer order there over the bank link (1600), and the payer logs in
//! and approves the debit on **the bank's own page**. Back on paygate's return page the
//! bank is asked over the link what happened (1700) — the browser's return proves nothing —
//! and a debited order goes to the engine's `Authorize` as [`TransferPayment`], whose
//! authorization is the confirm of the debit at the bank (1800). KRW only, captured at once.
//! Refunds go back to the account the money came from (2000); a payment that cannot be
//! committed is reversed at the bank (1900: the debit goes back to the payer).

pub mod pay;

use super::Confirm;
use super::PaymentMethodKind;
use super::page_redirect::PayerPage;
use crate::error::ApiResult;
use crate::http::Ctx;
use paygate_payer_pages::Purpose;
use paygate_store::Op;
use serde_json::{Value, json};

/// The bank choice page of an intent (`/pay/bank_transfer/{pi}?t=…`).
pub const PAGE: PayerPage = PayerPage {
    method: PaymentMethodKind::BankTransfer,
    purpose: Purpose::BankTransferPage,
    place: "their bank's page",
};

/// What the engine's `Authorize` charges for a transfer: the bank's order the payer
/// approved.
pub struct TransferPayment {
    /// The `bank_transfer` PaymentMethod of the payment (bank, account's last 4).
    pub pm_id: String,
    pub pm: Value,
    /// Writes that insert that PaymentMethod (phase 1).
    pub new_ops: Vec<Op>,
    pub bank_code: String,
    /// The bank's id of the order.
    pub order_id: String,
}

impl TransferPayment {
    /// The charge's `payment_method_details`: the bank, the account's last 4 digits and the
    /// bank's id of the debit.
    pub fn charge_details(&self, debit_id: Option<&str>) -> Value {
        let d = &self.pm["bank_transfer"];
        json!({"type": "bank_transfer", "bank_transfer": {
            "bank_code": d["bank_code"],
            "bank_name": d["bank_name"],
            "account_last4": d["account_last4"],
            "debit_id": debit_id,
        }})
    }
}

/// Confirms `c` with bank_transfer: `requires_action` until the payer approved the debit at
/// their bank. KRW only, captured at once.
pub async fn confirm(ctx: &mut Ctx, c: Confirm) -> ApiResult<Value> {
    super::page_redirect::confirm(ctx, c, PAGE).await
}
