//! Refunds to a bank account (`refund_account[bank_code|account_number|holder_name]` on
//! `POST /v1/refunds`): which charges take one ([`rule`]), and the refund's
//! `destination_details`. The transfer itself is the bank connector's follow-up
//! ([`paygate_payments::Connector::prepare_transfer`]), sent in the refund operation's phases
//! (`engine/refund.rs`) and posted against the bank's receivable.

use crate::error::{ApiError, ApiResult};
use crate::models::Charge;
use paygate_ledger::Counterparty;
use paygate_payments::BankAccount;
use paygate_payments::clock::same_kst_month;
use serde_json::{Value, json};

/// Whether a charge's refund goes to a bank account, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundAccountRule {
    /// The money goes back by transfer: `refund_account` is required (`code`, `why` answer
    /// its absence).
    Required {
        code: &'static str,
        why: &'static str,
    },
    /// The money goes back the way it came; `why` answers a `refund_account` given anyway.
    Refused { why: &'static str },
}

/// The rule of a refund of `ch` at `now`:
///
/// | processor | refund |
/// |---|---|
/// | bank, 계좌이체 | back to the account it was paid from |
/// | bank (가상계좌) | transfer to a refund account, always |
/// | carrier, in the KST month of the charge | cancelled on the phone bill |
/// | carrier, after that month | the carrier closed the bill: transfer to a refund account |
/// | card network | back to the card |
pub fn rule(ch: &Charge, now: i64) -> RefundAccountRule {
    match ch.processor {
        Counterparty::Bank if is_bank_transfer(ch) => RefundAccountRule::Refused {
            why: "a bank_transfer payment is refunded to the account it was paid from; \
                  refund_account is for virtual_account payments",
        },
        Counterparty::Bank => RefundAccountRule::Required {
            code: "parameter_missing",
            why: "This charge was paid from a bank account (virtual_account): give the \
                  refund_account[bank_code], [account_number] and [holder_name] the money is \
                  transferred to.",
        },
        Counterparty::Carrier if !same_kst_month(ch.created, now) => RefundAccountRule::Required {
            code: "charge_not_refundable_after_month_end",
            why: "The carrier closed the phone bill of this charge's month (KST) and no longer \
                  cancels it: the refund goes by bank transfer to the refund_account[bank_code], \
                  [account_number] and [holder_name] the merchant gives.",
        },
        Counterparty::Carrier => RefundAccountRule::Refused {
            why: "in the KST month it was billed in, a mobile_carrier charge is cancelled on the \
                  phone bill; refund_account is for refunds after that month ended",
        },
        Counterparty::CardNetwork => RefundAccountRule::Refused {
            why: "a card payment is refunded to its card; refund_account is for cash-type payments",
        },
    }
}

/// Whether `charge` was paid by 계좌이체 (its refunds go back to the debited account).
pub fn is_bank_transfer(charge: &Charge) -> bool {
    charge.processor == Counterparty::Bank
        && charge.payment_method_details["type"] == "bank_transfer"
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

/// Checks `account` against the rule of a refund of `ch` at `now`.
pub fn check(ch: &Charge, now: i64, account: Option<&BankAccount>) -> ApiResult<()> {
    match (rule(ch, now), account) {
        (RefundAccountRule::Required { code, why }, None) => {
            Err(ApiError::invalid("refund_account", code, why))
        }
        (RefundAccountRule::Refused { why }, Some(_)) => {
            Err(ApiError::bad_param("refund_account", why))
        }
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
