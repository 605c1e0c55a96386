//! Posting rules: one function per business event, each returning a balanced [`Entry`].
//!
//! Notation in the tables: `Dr` = debit (positive posting), `Cr` = credit (negative
//! posting); `m:` = the merchant's account, `g:` = the gateway's, all in the entry's mode
//! and currency. Rules do not look at balances (the ledger core has no I/O); limits such
//! as "refund ≤ captured" are the caller's business rules.

use crate::account::{AccountId, AccountKind, Counterparty, check_merchant_id};
use crate::currency::Currency;
use crate::entry::{Entry, EntryKind, Posting};
use crate::error::LedgerError;

/// A processing fee: `bps` basis points (1/100 of a percent) of the amount plus a fixed
/// part in minor units of the charge currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fee {
    /// Percentage part in basis points: 290 = 2.90 %.
    pub bps: u32,
    /// Fixed part in minor units of the charge currency (30 = $0.30, or ₩30).
    pub fixed_minor: i64,
}

impl Fee {
    /// The fee on `amount` minor units, in integer arithmetic:
    ///
    /// `fee = round_half_up(amount × bps / 10 000) + fixed_minor`, then clamped to
    /// `0..=amount`: a fee never exceeds the charge (the merchant never owes money for a
    /// capture) and is never negative (a negative `fixed_minor` cannot turn a fee into a
    /// rebate; use an adjustment for that). A non-positive `amount` gives 0.
    ///
    /// Round half up: 1.5 minor units → 2, 1.49 → 1. Computed in `i128`, so no input
    /// overflows.
    pub fn compute(&self, amount: i64) -> i64 {
        if amount <= 0 {
            return 0;
        }
        let pct = (i128::from(amount) * i128::from(self.bps) + 5_000) / 10_000;
        let fee = (pct + i128::from(self.fixed_minor)).clamp(0, i128::from(amount));
        // Clamped into 0..=amount, which is an i64.
        i64::try_from(fee).unwrap_or(amount)
    }
}

/// Capture of a charge of `amount`, of which the gateway keeps `fee` (0 ≤ fee ≤ amount).
///
/// | account                 | Dr       | Cr           |
/// |-------------------------|----------|--------------|
/// | g:<counterparty> receivable | amount   |              |
/// | m:pending               |          | amount − fee |
/// | g:fee_revenue           |          | fee          |
///
/// The merchant is credited net of the fee, so `m:pending + m:available` is always what
/// the merchant will be paid. A zero line (fee 0, or fee = amount) is left out.
// Every argument is one fact of the entry; a parameter struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn capture(
    entry_id: impl Into<String>,
    counterparty: Counterparty,
    merchant: &str,
    livemode: bool,
    cur: Currency,
    amount: i64,
    fee: i64,
    reference: impl Into<String>,
) -> Result<Entry, LedgerError> {
    check_merchant_id(merchant)?;
    check_amount("amount", amount, cur.max_amount(), cur)?;
    if !(0..=amount).contains(&fee) {
        return Err(LedgerError::Field {
            field: "fee",
            reason: format!("must be between 0 and the amount {amount}, got {fee}"),
        });
    }
    let m = |kind| AccountId::merchant(merchant, livemode, kind, cur);
    let g = |kind| AccountId::gateway(livemode, kind, cur);
    let mut postings = vec![Posting::debit(
        g(AccountKind::Receivable(counterparty)),
        amount,
    )];
    if amount > fee {
        postings.push(Posting::credit(m(AccountKind::Pending), amount - fee));
    }
    if fee > 0 {
        postings.push(Posting::credit(g(AccountKind::FeeRevenue), fee));
    }
    Entry::new(entry_id, EntryKind::Capture, reference, postings)
}

/// Refund of `amount` to the cardholder.
///
/// | account                 | Dr     | Cr     |
/// |-------------------------|--------|--------|
/// | m:available             | amount |        |
/// | g:<counterparty> receivable |        | amount |
///
/// The refund reduces what the merchant is owed by the full amount (the capture fee is
/// not returned) and is taken from `available`, which may go negative while the capture
/// is still pending; settlement brings it back.
pub fn refund(
    entry_id: impl Into<String>,
    counterparty: Counterparty,
    merchant: &str,
    livemode: bool,
    cur: Currency,
    amount: i64,
    reference: impl Into<String>,
) -> Result<Entry, LedgerError> {
    check_merchant_id(merchant)?;
    check_amount("amount", amount, cur.max_amount(), cur)?;
    let postings = vec![
        Posting::debit(
            AccountId::merchant(merchant, livemode, AccountKind::Available, cur),
            amount,
        ),
        Posting::credit(
            AccountId::gateway(livemode, AccountKind::Receivable(counterparty), cur),
            amount,
        ),
    ];
    Entry::new(entry_id, EntryKind::Refund, reference, postings)
}

/// A deposit into a virtual account that was never completed goes back to the payer (the
/// account expired or was canceled with part of the amount paid): the bank returns it, and
/// what the deposit credited to the merchant's pending balance is taken back.
///
/// | account                  | Dr     | Cr     |
/// |--------------------------|--------|--------|
/// | m:pending                | amount |        |
/// | g:bank_receivable        |        | amount |
///
/// Partial deposits carry no fee (the fee is taken by the deposit that completes the
/// payment), so the whole amount comes back out of `pending`.
pub fn deposit_return(
    entry_id: impl Into<String>,
    merchant: &str,
    livemode: bool,
    cur: Currency,
    amount: i64,
    reference: impl Into<String>,
) -> Result<Entry, LedgerError> {
    check_merchant_id(merchant)?;
    check_amount("amount", amount, cur.max_amount(), cur)?;
    let postings = vec![
        Posting::debit(
            AccountId::merchant(merchant, livemode, AccountKind::Pending, cur),
            amount,
        ),
        Posting::credit(
            AccountId::gateway(livemode, AccountKind::Receivable(Counterparty::Bank), cur),
            amount,
        ),
    ];
    Entry::new(entry_id, EntryKind::Refund, reference, postings)
}

/// Merchant funds become available.
///
/// | account      | Dr     | Cr     |
/// |--------------|--------|--------|
/// | m:pending    | amount |        |
/// | m:available  |        | amount |
pub fn settle(
    entry_id: impl Into<String>,
    merchant: &str,
    livemode: bool,
    cur: Currency,
    amount: i64,
    reference: impl Into<String>,
) -> Result<Entry, LedgerError> {
    check_merchant_id(merchant)?;
    check_amount("amount", amount, cur.max_posting_amount(), cur)?;
    let m = |kind| AccountId::merchant(merchant, livemode, kind, cur);
    let postings = vec![
        Posting::debit(m(AccountKind::Pending), amount),
        Posting::credit(m(AccountKind::Available), amount),
    ];
    Entry::new(entry_id, EntryKind::Settlement, reference, postings)
}

/// Payout of available funds to the merchant's bank account.
///
/// | account      | Dr     | Cr     |
/// |--------------|--------|--------|
/// | m:available  | amount |        |
/// | g:bank       |        | amount |
///
/// The liability to the merchant and the gateway's cash both go down. (`m:payouts` is
/// not used: money that left the bank is no longer owed.)
pub fn payout(
    entry_id: impl Into<String>,
    merchant: &str,
    livemode: bool,
    cur: Currency,
    amount: i64,
    reference: impl Into<String>,
) -> Result<Entry, LedgerError> {
    check_merchant_id(merchant)?;
    check_amount("amount", amount, cur.max_posting_amount(), cur)?;
    let postings = vec![
        Posting::debit(
            AccountId::merchant(merchant, livemode, AccountKind::Available, cur),
            amount,
        ),
        Posting::credit(AccountId::gateway(livemode, AccountKind::Bank, cur), amount),
    ];
    Entry::new(entry_id, EntryKind::Payout, reference, postings)
}

/// A card network pays the gateway (a network settlement batch arrives at the bank).
///
/// | account                 | Dr     | Cr     |
/// |-------------------------|--------|--------|
/// | g:bank                  | amount |        |
/// | g:<counterparty> receivable |        | amount |
///
/// Gateway-only: merchant balances do not change. Without it `g:bank` would only ever
/// fall (payouts) and `g:network_receivable` only ever grow.
pub fn network_settlement(
    entry_id: impl Into<String>,
    counterparty: Counterparty,
    livemode: bool,
    cur: Currency,
    amount: i64,
    reference: impl Into<String>,
) -> Result<Entry, LedgerError> {
    check_amount("amount", amount, cur.max_posting_amount(), cur)?;
    let g = |kind| AccountId::gateway(livemode, kind, cur);
    let postings = vec![
        Posting::debit(g(AccountKind::Bank), amount),
        Posting::credit(g(AccountKind::Receivable(counterparty)), amount),
    ];
    Entry::new(entry_id, EntryKind::Settlement, reference, postings)
}

/// Interchange a card network deducted from what it pays (or gave back, on credits) for a
/// merchant's transactions in one clearing file: `net` > 0 is charged to the merchant,
/// `net` < 0 given back.
///
/// | account                 | Dr (net > 0) | Cr (net > 0) |
/// |-------------------------|--------------|--------------|
/// | m:available             | net          |              |
/// | g:network_receivable    |              | net          |
///
/// (sides swapped when `net` < 0). The network owes the gateway that much less; the merchant
/// is owed that much less — the interchange is passed through (interchange-plus pricing).
pub fn interchange(
    entry_id: impl Into<String>,
    merchant: &str,
    livemode: bool,
    cur: Currency,
    net: i64,
    reference: impl Into<String>,
) -> Result<Entry, LedgerError> {
    check_merchant_id(merchant)?;
    check_amount("net", net.saturating_abs(), cur.max_posting_amount(), cur)?;
    let available = AccountId::merchant(merchant, livemode, AccountKind::Available, cur);
    let network = AccountId::gateway(
        livemode,
        AccountKind::Receivable(Counterparty::CardNetwork),
        cur,
    );
    let postings = vec![
        Posting {
            account: available,
            amount: net,
        },
        Posting {
            account: network,
            amount: -net,
        },
    ];
    Entry::new(entry_id, EntryKind::Fee, reference, postings)
}

fn check_amount(
    field: &'static str,
    amount: i64,
    max: i64,
    cur: Currency,
) -> Result<(), LedgerError> {
    if amount <= 0 || amount > max {
        return Err(LedgerError::Field {
            field,
            reason: format!("must be between 1 and {max} minor units of {cur}, got {amount}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod interchange_tests {
    use super::*;

    #[test]
    fn interchange_moves_between_available_and_the_network_receivable_both_ways() {
        let krw = Currency::parse("krw").unwrap();
        let e = interchange("ic:1", "acct_1", false, krw, 55, "clearing:20261202").unwrap();
        let of = |e: &Entry, k: AccountKind| {
            e.postings
                .iter()
                .find(|p| p.account.kind == k)
                .unwrap()
                .amount
        };
        assert_eq!(of(&e, AccountKind::Available), 55);
        let net = AccountKind::Receivable(Counterparty::CardNetwork);
        assert_eq!(of(&e, net), -55);
        let back = interchange("ic:2", "acct_1", false, krw, -3, "r").unwrap();
        assert_eq!((of(&back, AccountKind::Available), of(&back, net)), (-3, 3));
        assert!(interchange("ic:3", "acct_1", false, krw, 0, "r").is_err());
    }
}

#[cfg(test)]
mod deposit_return_tests {
    use super::*;

    #[test]
    fn a_returned_deposit_takes_back_pending_against_the_bank_receivable() {
        let krw = Currency::parse("krw").unwrap();
        let e = deposit_return("ret:1", "acct_1", false, krw, 3000, "pi_1").unwrap();
        e.check().unwrap();
        assert_eq!(e.postings.len(), 2);
        assert!(
            e.postings
                .iter()
                .any(|p| p.account.kind == AccountKind::Pending)
        );
        assert!(
            e.postings
                .iter()
                .any(|p| p.account.kind.as_str() == "bank_receivable")
        );
        assert!(deposit_return("ret:2", "acct_1", false, krw, 0, "pi_1").is_err());
    }
}
