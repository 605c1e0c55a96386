//! Property test: random workloads of captures, refunds (≤ captured − refunded), settles
//! (≤ pending), payouts (≤ available), network settlements (≤ receivable) and retries,
//! across merchants, modes and currencies, keep every invariant.

use std::collections::BTreeMap;

use paygate_ledger::{
    AccountId, AccountKind, Applied, Book, Counterparty, Currency, Entry, Fee, capture,
    network_settlement, payout, refund, settle, verify_entries,
};
use proptest::prelude::*;

const MERCHANTS: [&str; 3] = ["acct_a", "acct_b", "acct_c"];
const CURRENCIES: [Currency; 3] = [Currency::KRW, Currency::USD, Currency::KWD];

#[derive(Clone, Debug)]
enum Op {
    Capture {
        m: usize,
        c: usize,
        live: bool,
        amount: i64,
        bps: u32,
        fixed: i64,
    },
    /// `per_mille` of what is still refundable / pending / available / receivable.
    Refund {
        m: usize,
        c: usize,
        live: bool,
        per_mille: i64,
    },
    Settle {
        m: usize,
        c: usize,
        live: bool,
        per_mille: i64,
    },
    Payout {
        m: usize,
        c: usize,
        live: bool,
        per_mille: i64,
    },
    NetworkSettle {
        c: usize,
        live: bool,
        per_mille: i64,
    },
    Retry {
        back: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let mcl = (0..MERCHANTS.len(), 0..CURRENCIES.len(), any::<bool>());
    prop_oneof![
        4 => (mcl.clone(), 1i64..5_000_000, 0u32..600, 0i64..500)
            .prop_map(|((m, c, live), amount, bps, fixed)| Op::Capture { m, c, live, amount, bps, fixed }),
        2 => (mcl.clone(), 1i64..=1000).prop_map(|((m, c, live), per_mille)| Op::Refund { m, c, live, per_mille }),
        2 => (mcl.clone(), 1i64..=1000).prop_map(|((m, c, live), per_mille)| Op::Settle { m, c, live, per_mille }),
        2 => (mcl, 1i64..=1000).prop_map(|((m, c, live), per_mille)| Op::Payout { m, c, live, per_mille }),
        1 => (0..CURRENCIES.len(), any::<bool>(), 1i64..=1000)
            .prop_map(|(c, live, per_mille)| Op::NetworkSettle { c, live, per_mille }),
        1 => (0usize..20).prop_map(|back| Op::Retry { back }),
    ]
}

/// What the test expects, tracked independently of the ledger.
#[derive(Default, Clone, Copy, Debug)]
struct MerchantModel {
    captured: i64,
    fees: i64,
    refunded: i64,
    settled: i64,
    paid_out: i64,
}

impl MerchantModel {
    fn pending(&self) -> i64 {
        self.captured - self.fees - self.settled
    }
    fn available(&self) -> i64 {
        self.settled - self.refunded - self.paid_out
    }
    fn owed(&self) -> i64 {
        self.captured - self.fees - self.refunded - self.paid_out
    }
}

#[derive(Default)]
struct Model {
    merchants: BTreeMap<(usize, usize, bool), MerchantModel>,
    network_settled: BTreeMap<(usize, bool), i64>,
    applied: Vec<Entry>,
}

impl Model {
    fn receivable(&self, c: usize, live: bool) -> i64 {
        let captured_less_refunded: i64 = self
            .merchants
            .iter()
            .filter(|((_, mc, ml), _)| *mc == c && *ml == live)
            .map(|(_, mm)| mm.captured - mm.refunded)
            .sum();
        captured_less_refunded - self.network_settled.get(&(c, live)).copied().unwrap_or(0)
    }
}

fn part(total: i64, per_mille: i64) -> i64 {
    total * per_mille / 1000
}

/// Builds the entry for `op`, or `None` when the op has nothing to act on.
fn entry_for(op: &Op, n: usize, model: &mut Model) -> Option<Entry> {
    let id = format!("e{n}");
    let entry = match *op {
        Op::Capture {
            m,
            c,
            live,
            amount,
            bps,
            fixed,
        } => {
            let fee = Fee {
                bps,
                fixed_minor: fixed,
            }
            .compute(amount);
            let mm = model.merchants.entry((m, c, live)).or_default();
            mm.captured += amount;
            mm.fees += fee;
            capture(
                id,
                Counterparty::CardNetwork,
                MERCHANTS[m],
                live,
                CURRENCIES[c],
                amount,
                fee,
                format!("ch_{n}"),
            )
        }
        Op::Refund {
            m,
            c,
            live,
            per_mille,
        } => {
            let mm = model.merchants.entry((m, c, live)).or_default();
            let amount = part(mm.captured - mm.refunded, per_mille);
            if amount <= 0 {
                return None;
            }
            mm.refunded += amount;
            refund(
                id,
                Counterparty::CardNetwork,
                MERCHANTS[m],
                live,
                CURRENCIES[c],
                amount,
                format!("re_{n}"),
            )
        }
        Op::Settle {
            m,
            c,
            live,
            per_mille,
        } => {
            let mm = model.merchants.entry((m, c, live)).or_default();
            let amount = part(mm.pending(), per_mille);
            if amount <= 0 {
                return None;
            }
            mm.settled += amount;
            settle(
                id,
                MERCHANTS[m],
                live,
                CURRENCIES[c],
                amount,
                format!("st_{n}"),
            )
        }
        Op::Payout {
            m,
            c,
            live,
            per_mille,
        } => {
            let mm = model.merchants.entry((m, c, live)).or_default();
            let amount = part(mm.available(), per_mille);
            if amount <= 0 {
                return None;
            }
            mm.paid_out += amount;
            payout(
                id,
                MERCHANTS[m],
                live,
                CURRENCIES[c],
                amount,
                format!("po_{n}"),
            )
        }
        Op::NetworkSettle { c, live, per_mille } => {
            let amount = part(model.receivable(c, live), per_mille);
            if amount <= 0 {
                return None;
            }
            *model.network_settled.entry((c, live)).or_default() += amount;
            network_settlement(
                id,
                Counterparty::CardNetwork,
                live,
                CURRENCIES[c],
                amount,
                format!("batch_{n}"),
            )
        }
        Op::Retry { .. } => return None,
    };
    Some(entry.expect("posting rules accept in-range amounts"))
}

fn check_book(book: &Book, model: &Model) -> Result<(), TestCaseError> {
    book.verify()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let stored: Vec<(AccountId, i64)> = book.balances().map(|(a, b)| (a.clone(), b)).collect();
    verify_entries(book.entries(), stored.iter().cloned())
        .map_err(|e| TestCaseError::fail(e.to_string()))?;

    // Every balance equals the sum of its postings, recomputed here without the crate.
    let mut sums: BTreeMap<AccountId, i64> = BTreeMap::new();
    for e in &model.applied {
        prop_assert!(e.check().is_ok());
        for p in &e.postings {
            *sums.entry(p.account.clone()).or_default() += p.amount;
        }
    }
    for (account, balance) in &stored {
        prop_assert_eq!(
            sums.get(account).copied().unwrap_or(0),
            *balance,
            "{}",
            account
        );
    }

    for (&(m, c, live), mm) in &model.merchants {
        let mb = book.merchant_balance(MERCHANTS[m], live, CURRENCIES[c]);
        prop_assert_eq!(mb.pending, mm.pending());
        prop_assert_eq!(mb.available, mm.available());
        prop_assert_eq!(
            mb.owed(),
            mm.owed(),
            "owed = captured - fees - refunded - paid out"
        );
    }
    for (c, &cur) in CURRENCIES.iter().enumerate() {
        for live in [false, true] {
            let g = |kind| AccountId::gateway(live, kind, cur);
            let of = |f: fn(&MerchantModel) -> i64| -> i64 {
                model
                    .merchants
                    .iter()
                    .filter(|((_, mc, ml), _)| *mc == c && *ml == live)
                    .map(|(_, mm)| f(mm))
                    .sum()
            };
            let settled = model.network_settled.get(&(c, live)).copied().unwrap_or(0);
            prop_assert_eq!(
                book.natural_balance(&g(AccountKind::Receivable(Counterparty::CardNetwork))),
                of(|mm| mm.captured) - of(|mm| mm.refunded) - settled,
                "network receivable = captured - refunded - network settled"
            );
            prop_assert_eq!(
                book.natural_balance(&g(AccountKind::FeeRevenue)),
                of(|mm| mm.fees)
            );
            prop_assert_eq!(
                book.natural_balance(&g(AccountKind::Bank)),
                settled - of(|mm| mm.paid_out)
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_workloads_keep_the_ledger_consistent(ops in proptest::collection::vec(op(), 1..80)) {
        let mut book = Book::new();
        let mut model = Model::default();
        for (n, op) in ops.iter().enumerate() {
            if let Op::Retry { back } = *op {
                if let Some(e) = model.applied.iter().rev().nth(back).cloned() {
                    let before: Vec<(AccountId, i64)> = book.balances().map(|(a, b)| (a.clone(), b)).collect();
                    prop_assert_eq!(book.apply(&e), Applied::Exists);
                    let after: Vec<(AccountId, i64)> = book.balances().map(|(a, b)| (a.clone(), b)).collect();
                    prop_assert_eq!(before, after, "a retry posts nothing");
                }
                continue;
            }
            if let Some(e) = entry_for(op, n, &mut model) {
                prop_assert_eq!(book.apply(&e), Applied::Created);
                model.applied.push(e);
            }
        }
        prop_assert_eq!(book.len(), model.applied.len());
        check_book(&book, &model)?;
    }
}
