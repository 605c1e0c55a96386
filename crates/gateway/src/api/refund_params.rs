//! Typed parameters of the Refund endpoints (create, update).
//!
//! As for PaymentIntents (`intent_params`): a wire struct refuses unknown parameters by name,
//! then the checked values reach the handler. Connect-only options paygate has no use for
//! (`refund_application_fee`, `reverse_transfer`, `origin`, `instructions_email`) are refused by
//! name when they ask for something, never accepted and ignored.

use crate::api::check_positive;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::params::typed::{Email, Expand, Flag, Id, Int, Metadata, OneOf, Text, Words};
use paygate_payments::BankAccount;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Why a merchant refunds (Stripe's `reason` on create).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundReason {
    Duplicate,
    Fraudulent,
    RequestedByCustomer,
}

impl RefundReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundReason::Duplicate => "duplicate",
            RefundReason::Fraudulent => "fraudulent",
            RefundReason::RequestedByCustomer => "requested_by_customer",
        }
    }
}

impl Words for RefundReason {
    const WORDS: &'static [(&'static str, RefundReason)] = &[
        ("duplicate", RefundReason::Duplicate),
        ("fraudulent", RefundReason::Fraudulent),
        ("requested_by_customer", RefundReason::RequestedByCustomer),
    ];
}

/// `POST /v1/refunds`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateForm {
    amount: Option<Int>,
    charge: Option<Id>,
    expand: Option<Expand>,
    instructions_email: Option<Email>,
    metadata: Option<Metadata>,
    origin: Option<Text<5000>>,
    payment_intent: Option<Id>,
    reason: Option<OneOf<RefundReason>>,
    refund_account: Option<RefundAccountForm>,
    refund_application_fee: Option<Flag>,
    reverse_transfer: Option<Flag>,
}

/// `refund_account[...]`: the bank account a cash-type payment (or a carrier charge after its
/// KST month) is refunded to (`engine/refund_account.rs`).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RefundAccountForm {
    bank_code: Option<Text<10>>,
    account_number: Option<Text<40>>,
    holder_name: Option<Text<100>>,
}

/// Longest holder name the bank's transfer telegram carries, in bytes.
const HOLDER_NAME_MAX_BYTES: usize = 30;

impl RefundAccountForm {
    fn check(self) -> ApiResult<BankAccount> {
        let need = |v: Option<Text<10>>, p: &str| {
            v.and_then(Text::non_empty)
                .ok_or_else(|| ApiError::missing(p))
        };
        let bank_code = need(self.bank_code, "refund_account[bank_code]")?;
        if paygate_connector_bank::bank_name(&bank_code).is_none() {
            let codes: Vec<&str> = paygate_connector_bank::BANKS
                .iter()
                .map(|(c, _)| *c)
                .collect();
            return Err(ApiError::bad_param(
                "refund_account[bank_code]",
                format!(
                    "must be one of the banks paygate transfers to: {}",
                    codes.join(", ")
                ),
            ));
        }
        let number: String = self
            .account_number
            .and_then(Text::non_empty)
            .ok_or_else(|| ApiError::missing("refund_account[account_number]"))?
            .chars()
            .filter(|c| *c != '-')
            .collect();
        if !(10..=16).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::bad_param(
                "refund_account[account_number]",
                "must be 10 to 16 digits (hyphens allowed)",
            ));
        }
        let holder_name = self
            .holder_name
            .and_then(Text::non_empty)
            .ok_or_else(|| ApiError::missing("refund_account[holder_name]"))?;
        if holder_name.len() > HOLDER_NAME_MAX_BYTES {
            return Err(ApiError::bad_param(
                "refund_account[holder_name]",
                format!("at most {HOLDER_NAME_MAX_BYTES} bytes"),
            ));
        }
        Ok(BankAccount {
            bank_code,
            account_number: number,
            holder_name,
        })
    }
}

/// A checked `POST /v1/refunds`; which charge it refunds is settled by the handler (it needs
/// the stored objects).
pub struct RefundCreate {
    pub amount: Option<i64>,
    pub charge: Option<String>,
    pub payment_intent: Option<String>,
    pub reason: Option<RefundReason>,
    pub metadata: Map<String, Value>,
    pub expand: Vec<String>,
    /// `refund_account[...]`: refund by transfer to this bank account.
    pub refund_account: Option<BankAccount>,
}

impl RefundCreate {
    /// Reads and checks every parameter of the request; errors name the parameter.
    pub fn parse(p: &mut Params) -> ApiResult<RefundCreate> {
        let f: CreateForm = p.typed()?;
        let connect_only = [
            ("refund_application_fee", f.refund_application_fee),
            ("reverse_transfer", f.reverse_transfer),
        ];
        if let Some((param, _)) = connect_only.iter().find(|(_, v)| v.is_some_and(|f| f.0)) {
            return Err(ApiError::invalid(
                param,
                "parameter_unsupported",
                format!(
                    "{param} is only for Connect charges, which paygate does not make. \
                     Omit {param} (or give false)."
                ),
            ));
        }
        if f.origin.is_some_and(|o| !o.0.is_empty()) {
            return Err(ApiError::invalid(
                "origin",
                "parameter_unsupported",
                "origin is not supported: paygate keeps no customer balance to refund from. \
                 Omit origin.",
            ));
        }
        if f.instructions_email.is_some_and(|e| !e.0.is_empty()) {
            return Err(ApiError::invalid(
                "instructions_email",
                "parameter_unsupported",
                "instructions_email is not supported: card refunds go back to the card, so \
                 no refund instructions are sent. Omit instructions_email.",
            ));
        }
        Ok(RefundCreate {
            amount: f
                .amount
                .map(|a| check_positive("amount", a.0))
                .transpose()?,
            charge: f.charge.and_then(Text::non_empty),
            payment_intent: f.payment_intent.and_then(Text::non_empty),
            reason: f.reason.map(|r| r.0),
            metadata: f.metadata.map(|m| m.0).unwrap_or_default(),
            expand: f.expand.unwrap_or_default().0,
            refund_account: f.refund_account.map(RefundAccountForm::check).transpose()?,
        })
    }
}

/// `POST /v1/refunds/{id}`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateForm {
    expand: Option<Expand>,
    metadata: Option<Metadata>,
}

/// A checked refund update.
pub struct RefundUpdate {
    pub metadata: Option<Map<String, Value>>,
    pub expand: Vec<String>,
}

impl RefundUpdate {
    /// Reads and checks every parameter of the request; errors name the parameter.
    pub fn parse(p: &mut Params) -> ApiResult<RefundUpdate> {
        let f: UpdateForm = p.typed()?;
        Ok(RefundUpdate {
            metadata: f.metadata.map(|m| m.0),
            expand: f.expand.unwrap_or_default().0,
        })
    }
}
