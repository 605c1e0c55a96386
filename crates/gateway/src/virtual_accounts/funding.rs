//! The writes of one deposit into a virtual account — the account, the intent, the charge
//! once fully paid, the ledger entries, balance transactions and events — as one pure
//! function of what is stored and what the bank did ([`Fate`]). The engine's deposit
//! operation commits them ([`crate::engine::deposit`]), and so does its recovery.

use super::{Deposit, DepositStatus, VaStatus, VirtualAccount};
use crate::checkout::session::Delayed;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::models::{Charge, PaymentIntent, to_value};
use crate::postings::{balance_txn, ledger, merchant_fee, settle_days};
use crate::records::{event, insert, update};
use paygate_ledger::{Counterparty, Currency};
use paygate_payments::clock::day_plus;
use paygate_payments::{ChargeStatus, NextAction, PaymentIntentStatus as Status};
use paygate_store::{MerchantRow, ObjectRow, Op, Scope};
use serde_json::{Value, json};

/// What becomes of a deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Counted toward the intent (it awaits deposits).
    Keep,
    /// The intent no longer awaits deposits and the account was open: the bank closed it
    /// and returned every deposit made to it (`returned` KRW in all).
    ReturnedAll { returned: i64 },
    /// The account was closed before (expiry, cancel): the bank returned this deposit then.
    AlreadyReturned,
}

/// The writes of a deposit, the intent as they leave it, and whether this deposit paid the
/// account in full (the intent succeeded: a payment outcome for the metrics).
pub struct Funded {
    pub ops: Vec<Op>,
    pub doc: Value,
    pub paid: bool,
}

/// A deposit as the bank reported it.
pub struct Incoming {
    pub id: String,
    pub amount: i64,
    pub depositor: String,
    pub deposited_at: i64,
}

/// The stored objects a deposit changes, with their versions.
pub struct Stored {
    pub va: VirtualAccount,
    pub va_version: i64,
    pub pi: PaymentIntent,
    pub pi_version: i64,
    /// The Checkout Session that made the intent, if one did: paid with the intent.
    pub session: Option<ObjectRow>,
}

fn va_update(va: &VirtualAccount, version: i64) -> Op {
    let (tag, due) = va.tag_due();
    Op::UpdateObject {
        id: va.id.clone(),
        expected_version: version,
        data: to_value(va),
        tag,
        due,
    }
}

/// The writes of deposit `d` with fate `fate`, and the intent as it is after them.
pub fn writes(
    scope: &Scope,
    merchant: &MerchantRow,
    s: Stored,
    d: Incoming,
    fate: Fate,
    now: i64,
) -> ApiResult<Funded> {
    let Stored {
        mut va,
        va_version,
        mut pi,
        pi_version,
        session,
    } = s;
    let mut ops = Vec::new();
    let deposit = |status| Deposit {
        id: d.id.clone(),
        amount: d.amount,
        depositor: d.depositor.clone(),
        deposited_at: d.deposited_at,
        status,
    };
    match fate {
        Fate::AlreadyReturned => va.deposits.push(deposit(DepositStatus::Returned)),
        Fate::ReturnedAll { .. } => {
            ops.extend(return_deposits(scope, &mut va, now)?);
            va.status = VaStatus::Closed;
            va.deposits.push(deposit(DepositStatus::Returned));
        }
        Fate::Keep => {
            va.deposits.push(deposit(DepositStatus::Received));
            va.amount_received += d.amount;
            pi.amount_received += d.amount;
            let (more, doc) = received(scope, merchant, &mut va, &mut pi, &d, pi_version, now)?;
            ops.extend(more);
            if va.status == VaStatus::Paid
                && let Some(row) = &session
            {
                ops.extend(crate::checkout::delayed::writes(row, Delayed::Succeeded, now)?.0);
            }
            ops.push(va_update(&va, va_version));
            let paid = va.status == VaStatus::Paid;
            return Ok(Funded { ops, doc, paid });
        }
    }
    ops.push(va_update(&va, va_version));
    Ok(Funded {
        ops,
        doc: to_value(&pi),
        paid: false,
    })
}

/// The entries returning what `va` received (its intent is gone): the bank gave it back.
pub fn return_deposits(scope: &Scope, va: &mut VirtualAccount, now: i64) -> ApiResult<Vec<Op>> {
    let mut ops = Vec::new();
    let received = va.amount_received;
    for dep in va
        .deposits
        .iter_mut()
        .filter(|d| d.status == DepositStatus::Received)
    {
        dep.status = DepositStatus::Returned;
    }
    if received > 0 {
        let krw = krw()?;
        let entry = paygate_ledger::deposit_return(
            format!("deposit_return:{}", va.id),
            &scope.merchant_id,
            scope.livemode,
            krw,
            received,
            &va.payment_intent,
        )
        .map_err(ApiError::internal)?;
        ops.push(ledger(entry, now));
        let txn = balance_txn(
            scope,
            "payment_failure_refund",
            &va.payment_intent,
            krw,
            -received,
            0,
            now,
            "available",
            now,
        );
        ops.push(txn.op);
        va.amount_received = 0;
    }
    Ok(ops)
}

fn krw() -> ApiResult<Currency> {
    Currency::parse("krw").map_err(ApiError::internal)
}

/// A deposit counted: its ledger entry and balance transaction, the intent partially funded
/// or (when nothing is left) succeeded with its charge.
#[allow(clippy::too_many_arguments)]
fn received(
    scope: &Scope,
    merchant: &MerchantRow,
    va: &mut VirtualAccount,
    pi: &mut PaymentIntent,
    d: &Incoming,
    pi_version: i64,
    now: i64,
) -> ApiResult<(Vec<Op>, Value)> {
    let krw = krw()?;
    let remaining = va.remaining();
    let paid = remaining == 0;
    // The fee is taken once, by the deposit that completes the payment (partial deposits
    // may still go back to the payer, and go back whole).
    let fee = if paid {
        merchant_fee(merchant, "krw")
            .compute(va.amount)
            .min(d.amount)
    } else {
        0
    };
    let entry = paygate_ledger::capture(
        format!("deposit:{}", d.id),
        Counterparty::Bank,
        &scope.merchant_id,
        scope.livemode,
        krw,
        d.amount,
        fee,
        &pi.id,
    )
    .map_err(ApiError::internal)?;
    let available_on = day_plus(now, settle_days(merchant));
    let txn = balance_txn(
        scope,
        "charge",
        &pi.id,
        krw,
        d.amount,
        fee,
        available_on,
        "pending",
        now,
    );
    let mut ops = vec![ledger(entry, now), txn.op];
    if !paid {
        pi.next_action = Some(NextAction::bank_transfer(
            remaining,
            "krw",
            va.instructions(),
        ));
        let doc = to_value(&*pi);
        ops.push(update(&pi.id, pi_version, &doc));
        ops.push(event(
            scope,
            "payment_intent.partially_funded",
            &doc,
            None,
            now,
        ));
        return Ok((ops, doc));
    }
    va.status = VaStatus::Paid;
    let ch = charge(pi, va, txn.id, now);
    let ch_doc = to_value(&ch);
    pi.status = Status::Succeeded;
    pi.next_action = None;
    pi.latest_charge = Some(ch.id.clone());
    let doc = to_value(&*pi);
    ops.push(insert(scope, "charge", Some(&pi.id), &ch_doc, now));
    ops.push(update(&pi.id, pi_version, &doc));
    ops.push(event(scope, "charge.succeeded", &ch_doc, None, now));
    ops.push(event(scope, "payment_intent.succeeded", &doc, None, now));
    Ok((ops, doc))
}

/// The charge of a fully paid virtual account (captured: the money is at the bank).
fn charge(pi: &PaymentIntent, va: &VirtualAccount, txn: String, now: i64) -> Charge {
    let received: Vec<Value> = va
        .deposits
        .iter()
        .filter(|d| d.status == DepositStatus::Received)
        .map(|d| json!({"id": d.id, "amount": d.amount, "depositor_name": d.depositor, "deposited_at": d.deposited_at}))
        .collect();
    Charge {
        id: new_id("ch"),
        object: "charge".into(),
        amount: va.amount,
        amount_captured: va.amount,
        amount_refunded: 0,
        balance_transaction: Some(txn),
        captured: true,
        created: now,
        currency: "krw".into(),
        customer: pi.customer.clone(),
        description: pi.description.clone(),
        failure_code: None,
        failure_message: None,
        livemode: pi.livemode,
        metadata: pi.metadata.clone(),
        outcome: json!({"network_status": "approved_by_network", "reason": null, "risk_level": "normal",
            "seller_message": "Payment complete.", "type": "authorized"}),
        paid: true,
        payment_intent: Some(pi.id.clone()),
        payment_method: None,
        payment_method_details: json!({"type": "virtual_account", "virtual_account": {
            "bank_code": va.bank_code, "bank_name": va.bank_name,
            "account_number": va.account_number, "expires_at": va.expires_at,
            "deposits": received, "cash_receipt": va.cash_receipt,
        }}),
        refunded: false,
        status: ChargeStatus::Succeeded,
        net: None,
        processor: Counterparty::Bank,
        refund_reserved: 0,
    }
}
