//! 가상계좌 (`payment_method_data[type]=virtual_account`): the confirm asks the bank for an
//! account of `payment_method_options[virtual_account][bank]`, open
//! `[expires_after_days]` days (default 3), and puts the intent in `requires_action` with
//! Stripe's `next_action.display_bank_transfer_instructions`. The money arrives later as
//! deposits ([`crate::engine::deposit`]). KRW only; `cash_receipt[...]` asks for a 현금영수증.
//!
//! The issue is not an engine operation: it moves no money and the bank answers a repeated
//! order (the same intent) with the same account, so a confirm cut off after the bank's
//! answer is simply confirmed again.

use super::{Confirm, PaymentMethodKind};
use crate::api::respond::Responder;
use crate::engine::{Answer, Respond};
use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::records::event;
use crate::three_ds::confirm::write_intent;
use crate::virtual_accounts::{
    EXPIRES_AFTER_DAYS_DEFAULT, EXPIRES_AFTER_DAYS_MAX, KIND, VaStatus, VirtualAccount,
    cash_receipt,
};
use paygate_connector_bank::{BankError, bank_name};
use paygate_payments::{NextAction, PaymentIntentStatus as Status};
use paygate_store::{ObjectRow, Op, WriteUnit};
use serde_json::Value;

const SECONDS_PER_DAY: i64 = 86_400;

/// The checked options of a virtual-account confirm.
struct Options {
    bank: String,
    expires_after_days: i64,
    cash_receipt: Option<cash_receipt::CashReceipt>,
}

fn options(ctx: &mut Ctx) -> ApiResult<Options> {
    if let Some(mut pmd) = ctx.params.object("payment_method_data")? {
        pmd.enum_str("type", &["virtual_account"])?;
        pmd.allow(&["billing_details", "metadata"]);
        pmd.deny_unknown()?;
    }
    let codes: Vec<&str> = paygate_connector_bank::BANKS
        .iter()
        .map(|(c, _)| *c)
        .collect();
    let mut bank = None;
    let mut days = None;
    if let Some(mut pmo) = ctx.params.object("payment_method_options")? {
        if let Some(mut va) = pmo.object("virtual_account")? {
            bank = va.enum_str("bank", &codes)?;
            days = va.int("expires_after_days")?;
            va.deny_unknown()?;
        }
        pmo.allow(&["card"]);
    }
    let bank =
        bank.ok_or_else(|| ApiError::missing("payment_method_options[virtual_account][bank]"))?;
    let expires_after_days = days.unwrap_or(EXPIRES_AFTER_DAYS_DEFAULT);
    if !(1..=EXPIRES_AFTER_DAYS_MAX).contains(&expires_after_days) {
        return Err(ApiError::bad_param(
            "payment_method_options[virtual_account][expires_after_days]",
            format!("must be a whole number of days from 1 to {EXPIRES_AFTER_DAYS_MAX}"),
        ));
    }
    let cash_receipt = cash_receipt::parse(ctx.params.root().get("cash_receipt"))?;
    Ok(Options {
        bank,
        expires_after_days,
        cash_receipt,
    })
}

fn bank_refusal(e: BankError) -> ApiError {
    match e {
        BankError::Refused(code) if code == "B001" => ApiError::bad_param(
            "payment_method_options[virtual_account][bank]",
            "the bank does not issue virtual accounts",
        ),
        BankError::Refused(code) => ApiError::service_unavailable(
            "bank_refused",
            format!(
                "The bank refused to issue a virtual account ({code}); try again or pick another bank."
            ),
        ),
        BankError::Link(e) => ApiError::service_unavailable(
            "bank_unavailable",
            format!("The bank did not answer ({e}); confirming again is safe."),
        ),
    }
}

/// Confirms `c` with a virtual account: `requires_action` until the payer deposits.
pub async fn confirm(ctx: &mut Ctx, c: Confirm) -> ApiResult<Value> {
    let opts = options(ctx)?;
    let respond = Responder::new(ctx, c.expands.clone());
    let rc = &ctx.rc;
    let Confirm {
        intent: mut pi,
        version,
        pre: mut ops,
        ..
    } = c;
    let money = pi.money()?;
    if money.currency().code() != "krw" {
        return Err(ApiError::bad_param(
            "currency",
            "virtual_account payments are in krw only",
        ));
    }
    let bank = rc.st.bank.clone().ok_or_else(|| {
        ApiError::bad_param(
            "payment_method_data[type]",
            "virtual_account is not offered: no bank is configured (bank_addr)",
        )
    })?;
    let expires_at = rc.now + opts.expires_after_days * SECONDS_PER_DAY;
    let holder = rc.merchant.name.clone();
    let issued = bank
        .issue(&opts.bank, &pi.id, money.minor(), expires_at, &holder)
        .await
        .map_err(bank_refusal)?;
    let va_id = VirtualAccount::id_of(&issued.account_number);
    let va = match rc.st.store.get_object(&rc.scope(), &va_id).await? {
        // Confirmed again: the bank answered with the account it issued the first time.
        Some(row) => crate::models::from_value::<VirtualAccount>(row.data)?,
        None => {
            let va = VirtualAccount {
                id: va_id.clone(),
                object: KIND.into(),
                payment_intent: pi.id.clone(),
                bank_code: opts.bank.clone(),
                bank_name: bank_name(&opts.bank).unwrap_or_default().to_string(),
                account_number: issued.account_number.clone(),
                account_holder_name: holder,
                amount: money.minor(),
                amount_received: 0,
                currency: "krw".into(),
                expires_at,
                status: VaStatus::Open,
                deposits: Vec::new(),
                cash_receipt: opts.cash_receipt.clone(),
                created: rc.now,
                livemode: rc.livemode,
            };
            let (tag, due) = va.tag_due();
            ops.push(Op::InsertObject(ObjectRow {
                id: va_id,
                merchant_id: rc.merchant.id.clone(),
                livemode: rc.livemode,
                kind: KIND.into(),
                parent: Some(pi.id.clone()),
                tag,
                due,
                created: rc.now,
                version: 0,
                data: crate::models::to_value(&va),
            }));
            va
        }
    };
    pi.status = Status::RequiresAction;
    pi.next_action = Some(NextAction::bank_transfer(
        va.remaining(),
        "krw",
        va.instructions(),
    ));
    pi.payment_method = None;
    pi.last_payment_error = None;
    let doc = crate::models::to_value(&pi);
    write_intent(&mut ops, &pi.id, version, &doc, None);
    ops.push(event(
        &rc.scope(),
        "payment_intent.requires_action",
        &doc,
        rc.idempotency_key(),
        rc.now,
    ));
    let body = respond
        .body(&Answer {
            primary: doc,
            charge: None,
        })
        .await?;
    let method = PaymentMethodKind::VirtualAccount;
    rc.commit_requires_action(WriteUnit { ops }, body, method)
        .await
}

/// What [`options`] and `cash_receipt::parse` read, declared for the OpenAPI document
/// (`api::openapi_params`): the wire structs that pass these subtrees on name the types with
/// `#[schemars(with = …)]`; the test `openapi_params_match_the_parsers` posts every key.
pub mod table {
    // Declarations for the document only: read through `JsonSchema`, never constructed.
    #![allow(dead_code)]

    use crate::params::typed::{Int, Text};
    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
    use std::borrow::Cow;

    /// A bank code of `paygate_connector_bank::BANKS`.
    pub struct BankCode;

    impl JsonSchema for BankCode {
        fn inline_schema() -> bool {
            true
        }
        fn schema_name() -> Cow<'static, str> {
            "BankCode".into()
        }
        fn json_schema(_g: &mut SchemaGenerator) -> Schema {
            let codes: Vec<&str> = paygate_connector_bank::BANKS
                .iter()
                .map(|(c, _)| *c)
                .collect();
            json_schema!({"type": "string", "enum": codes})
        }
    }

    /// `payment_method_options[virtual_account]`.
    #[derive(JsonSchema)]
    pub struct Options {
        /// The bank that issues the account.
        bank: BankCode,
        #[schemars(range(min = 1, max = super::EXPIRES_AFTER_DAYS_MAX))]
        expires_after_days: Option<Int>,
    }

    /// `cash_receipt[…]` (현금영수증).
    #[derive(JsonSchema)]
    pub struct CashReceipt {
        /// A mobile or cash-receipt card number (`income_deduction`), or a business
        /// registration number (`expense_proof`).
        identifier: Text<5000>,
        #[schemars(extend("enum" = ["income_deduction", "expense_proof"]))]
        r#type: Text<5000>,
    }
}
