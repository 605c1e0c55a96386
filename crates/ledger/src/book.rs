//! An in-memory ledger ([`Book`]) and the verification shared with storage
//! ([`verify_entries`]).

use std::collections::{BTreeMap, HashSet};

use crate::account::{AccountId, AccountKind, MerchantBalance};
use crate::currency::Currency;
use crate::entry::{Applied, Entry};
use crate::error::{LedgerError, VerifyError};

/// An in-memory ledger: applied entries by id and a balance per account. Used by tests
/// and as the reference for `ledger verify`; the storage crate persists the same data.
#[derive(Clone, Debug, Default)]
pub struct Book {
    entries: BTreeMap<String, Entry>,
    balances: BTreeMap<AccountId, i64>,
}

impl Book {
    /// An empty book.
    pub fn new() -> Book {
        Book::default()
    }

    /// Applies `e` once. A second entry with the same id posts nothing and returns
    /// `Exists` (identical) or `ExistsWithDifferentPostings`.
    ///
    /// # Panics
    /// If `e` breaks an entry invariant (only possible for an entry built or changed by
    /// hand, since [`Entry::new`] checks them), or if a balance would overflow `i64`.
    /// Both are programmer errors: posting them would corrupt the book.
    pub fn apply(&mut self, e: &Entry) -> Applied {
        if let Err(err) = e.check() {
            panic!("Book::apply: entry `{}` is invalid: {err}", e.id);
        }
        if let Some(existing) = self.entries.get(&e.id) {
            return if existing.same_as(e) {
                Applied::Exists
            } else {
                Applied::ExistsWithDifferentPostings
            };
        }
        for p in &e.postings {
            let balance = self.balances.entry(p.account.clone()).or_default();
            *balance = balance
                .checked_add(p.amount)
                .unwrap_or_else(|| panic!("Book::apply: balance of {} overflows i64", p.account));
        }
        self.entries.insert(e.id.clone(), e.clone());
        Applied::Created
    }

    /// Balance of `a` (debits − credits), 0 if never posted to.
    pub fn balance(&self, a: &AccountId) -> i64 {
        self.balances.get(a).copied().unwrap_or(0)
    }

    /// Balance of `a` on its normal side (see [`AccountId::natural`]).
    pub fn natural_balance(&self, a: &AccountId) -> i64 {
        a.natural(self.balance(a))
    }

    /// Every account ever posted to with its balance, ordered by account.
    pub fn balances(&self) -> impl Iterator<Item = (&AccountId, i64)> {
        self.debug_assert_balanced();
        self.balances.iter().map(|(a, &b)| (a, b))
    }

    /// A merchant's pending and available balances; `.owed()` is their sum.
    pub fn merchant_balance(
        &self,
        merchant: &str,
        livemode: bool,
        cur: Currency,
    ) -> MerchantBalance {
        let raw = |kind| self.balance(&AccountId::merchant(merchant, livemode, kind, cur));
        MerchantBalance::from_raw(raw(AccountKind::Pending), raw(AccountKind::Available))
    }

    /// The entry with this id.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        let e = self.entries.get(id)?;
        e.debug_assert_valid();
        Some(e)
    }

    /// All applied entries, ordered by id.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values().inspect(|e| e.debug_assert_valid())
    }

    /// Number of applied entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry has been applied.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Recomputes every balance from the entries and compares (see [`verify_entries`]).
    pub fn verify(&self) -> Result<(), LedgerError> {
        verify_entries(
            self.entries.values(),
            self.balances.iter().map(|(a, &b)| (a.clone(), b)),
        )?;
        Ok(())
    }

    /// Debug builds only: for every (mode, currency) the balances sum to zero, which holds
    /// when every applied entry balanced.
    fn debug_assert_balanced(&self) {
        if cfg!(debug_assertions) {
            let mut sums: BTreeMap<(bool, Currency), i128> = BTreeMap::new();
            for (a, &b) in &self.balances {
                *sums.entry((a.livemode, a.currency)).or_default() += i128::from(b);
            }
            for ((livemode, cur), sum) in sums {
                assert_eq!(
                    sum, 0,
                    "ledger out of balance: livemode={livemode} {cur} sums to {sum}"
                );
            }
        }
    }
}

/// Checks stored ledger data: every entry is valid and its id unique, and every stored
/// balance equals the sum of its account's postings (an account with postings but no
/// stored balance counts as stored 0, and a stored non-zero balance without postings is
/// a mismatch too). Returns the first problem found, naming the entry or account and the
/// expected and actual values.
pub fn verify_entries<'a>(
    entries: impl Iterator<Item = &'a Entry>,
    balances: impl Iterator<Item = (AccountId, i64)>,
) -> Result<(), VerifyError> {
    let computed = sum_postings(entries)?;
    let mut stored: BTreeMap<AccountId, i64> = BTreeMap::new();
    for (account, balance) in balances {
        let key = account.key();
        if stored.insert(account, balance).is_some() {
            return Err(VerifyError::DuplicateBalance { account: key });
        }
    }
    for (account, &expected) in &computed {
        let actual = stored.remove(account).unwrap_or(0);
        if actual != expected {
            return Err(VerifyError::BalanceMismatch {
                account: account.key(),
                expected,
                actual,
            });
        }
    }
    // What is left in `stored` has no postings at all.
    match stored.into_iter().find(|&(_, b)| b != 0) {
        Some((account, actual)) => Err(VerifyError::BalanceMismatch {
            account: account.key(),
            expected: 0,
            actual,
        }),
        None => Ok(()),
    }
}

fn sum_postings<'a>(
    entries: impl Iterator<Item = &'a Entry>,
) -> Result<BTreeMap<AccountId, i64>, VerifyError> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut sums: BTreeMap<AccountId, i64> = BTreeMap::new();
    for e in entries {
        if !seen.insert(e.id.as_str()) {
            return Err(VerifyError::DuplicateEntry {
                entry_id: e.id.clone(),
            });
        }
        e.check().map_err(|reason| VerifyError::InvalidEntry {
            entry_id: e.id.clone(),
            reason,
        })?;
        for p in &e.postings {
            let sum = sums.entry(p.account.clone()).or_default();
            *sum = sum
                .checked_add(p.amount)
                .ok_or_else(|| VerifyError::Overflow {
                    account: p.account.key(),
                })?;
        }
    }
    Ok(sums)
}
