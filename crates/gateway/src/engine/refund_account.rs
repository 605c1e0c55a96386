//! Refunds to a bank account (`refund_account[bank_code|account_number|holder_name]` on
//! `POST /v1/refunds`): which charges take one ([`rule`]), and the refund's
//! `destination_details`. The transfer itself is the bank connector's follow-up
//! ([`paygate_payments::Connector::prepare_transfer`]), sent in the refund operation's phases
//! (`engine/refund.rs`) and posted against the bank's receivable.

use crate::error::{ApiError, ApiResult};
use crate::models::Charge;
use paygate_ledger::Counterparty;
use paygate_payments::BankAccount;
use serde_json::{Value, json};

/// Whether a charge's refunds go to a bank account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundAccountRule {
    /// Cash-type payments (가상계좌): the money came from a bank account, it goes back to one.
    Required,
    /// Refunds go back the way the money came (cards; 계좌이체, back to the payer's own
    /// account through the bank).
    Refused,
}

/// Whether `charge` was paid by 계좌이체 (its refunds go back to the debited account).
pub fn is_bank_transfer(charge: &Charge) -> bool {
    charge.processor == Counterparty::Bank
        && charge.payment_method_details["type"] == "bank_transfer"
}

/// The rule of `charge`. A method whose refunds may go to an account in some cases (carrier
/// billing after its month) answers `Required` from its own check before calling the engine.
pub fn rule(charge: &Charge) -> RefundAccountRule {
    match charge.processor {
        Counterparty::Bank if is_bank_transfer(charge) => RefundAccountRule::Refused,
        Counterparty::Bank => RefundAccountRule::Required,
        // Cards, and carrier charges (back to the phone bill within the month; after it the
        // carrier method refuses before the engine runs).
        Counterparty::CardNetwork | Counterparty::Carrier => RefundAccountRule::Refused,
    }
}

/// The refund's `destination_details` of a 계좌이체 charge: the account it was paid from
/// (its last 4 digits only).
pub fn payer_destination(charge: &Charge) -> Value {
    let d = &charge.payment_method_details["bank_transfer"];
    let last4 = d["account_last4"].as_str().unwrap_or_default();
    json!({"type": "kr_bank_transfer", "kr_bank_transfer": {
        "bank_code": d["bank_code"],
        "bank_name": d["bank_name"],
        "account_number": format!("****{last4}"),
        "holder_name": null,
    }})
}

/// Checks `account` against the charge's rule.
pub fn check(charge: &Charge, account: Option<&BankAccount>) -> ApiResult<()> {
    if is_bank_transfer(charge) && account.is_some() {
        return Err(ApiError::bad_param(
            "refund_account",
            "a bank_transfer payment is refunded to the account it was paid from;              refund_account is for virtual_account payments",
        ));
    }
    match (rule(charge), account) {
        (RefundAccountRule::Required, None) => Err(ApiError::invalid(
            "refund_account",
            "parameter_missing",
            "This charge was paid from a bank account (virtual_account): give the refund_account \
             [bank_code], [account_number] and [holder_name] the money is transferred to.",
        )),
        (RefundAccountRule::Refused, Some(_)) => Err(ApiError::bad_param(
            "refund_account",
            "a card payment is refunded to its card; refund_account is for cash-type payments",
        )),
        _ => Ok(()),
    }
}

/// The refund's `destination_details` for a transfer to `a` (the account number masked).
pub fn destination_details(a: &BankAccount) -> Value {
    json!({"type": "kr_bank_transfer", "kr_bank_transfer": {
        "bank_code": a.bank_code,
        "bank_name": paygate_connector_bank::bank_name(&a.bank_code),
        "account_number": a.masked(),
        "holder_name": a.holder_name,
    }})
}
