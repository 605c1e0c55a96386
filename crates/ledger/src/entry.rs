//! Postings and entries, with the double-entry invariants.

use std::collections::BTreeMap;
use std::fmt;

use crate::account::AccountId;
use crate::error::LedgerError;

/// Most postings in one entry (the built-in rules use at most three).
pub const POSTINGS_PER_ENTRY_MAX: usize = 16;
/// Longest entry id, in bytes.
pub const ENTRY_ID_BYTES_MAX: usize = 128;
/// Longest entry reference, in bytes.
pub const REFERENCE_BYTES_MAX: usize = 128;

/// One line of an entry. `amount` is in minor units of the account's currency;
/// **positive = debit, negative = credit**. A balance is the sum of its postings
/// (debits − credits).
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Posting {
    /// The account posted to (serialised as its key).
    pub account: AccountId,
    /// Minor units, debit positive, credit negative, never zero.
    pub amount: i64,
}

impl Posting {
    /// A debit of `amount` (> 0) minor units.
    pub fn debit(account: AccountId, amount: i64) -> Posting {
        Posting { account, amount }
    }

    /// A credit of `amount` (> 0) minor units, stored as `-amount`. (`i64::MIN` saturates
    /// instead of overflowing; [`Entry::new`] rejects it as too large either way.)
    pub fn credit(account: AccountId, amount: i64) -> Posting {
        Posting {
            account,
            amount: amount.saturating_neg(),
        }
    }
}

/// What business event an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// A captured charge.
    Capture,
    /// A refund of a captured charge.
    Refund,
    /// Funds moving from pending to available, or network funds reaching the bank.
    Settlement,
    /// Money paid out to a merchant.
    Payout,
    /// A stand-alone fee.
    Fee,
    /// A manual correction.
    Adjustment,
}

impl EntryKind {
    /// Every kind.
    pub const ALL: [EntryKind; 6] = [
        EntryKind::Capture,
        EntryKind::Refund,
        EntryKind::Settlement,
        EntryKind::Payout,
        EntryKind::Fee,
        EntryKind::Adjustment,
    ];

    /// Lowercase name (`capture`, `refund`, `settlement`, `payout`, `fee`, `adjustment`).
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Capture => "capture",
            EntryKind::Refund => "refund",
            EntryKind::Settlement => "settlement",
            EntryKind::Payout => "payout",
            EntryKind::Fee => "fee",
            EntryKind::Adjustment => "adjustment",
        }
    }

    /// Inverse of [`EntryKind::as_str`].
    pub fn parse(s: &str) -> Result<EntryKind, LedgerError> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| LedgerError::UnknownEntryKind {
                input: s.chars().take(32).collect(),
            })
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for EntryKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for EntryKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        EntryKind::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A balanced set of postings with a client-supplied id (the idempotency key: applying
/// the same id twice never posts twice).
///
/// Invariants, checked by [`Entry::new`], on deserialisation, and by [`Entry::check`]:
/// * `id`: 1..=128 bytes of printable ASCII; `reference`: 0..=128 bytes of printable ASCII;
/// * 2..=16 postings, no zero amount, each |amount| ≤ the currency's posting limit;
/// * each account well formed and at most once per entry;
/// * all accounts in one mode (live or test);
/// * per currency, the postings sum to zero (debits = credits).
///
/// The fields are public for reading and pattern matching; an entry changed by hand must
/// pass [`Entry::check`] again ([`crate::Book::apply`] asserts it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawEntry")]
pub struct Entry {
    /// Client-supplied, idempotent id.
    pub id: String,
    /// The business event.
    pub kind: EntryKind,
    /// The object it belongs to (`ch_...`, `re_...`, `po_...`).
    pub reference: String,
    /// The postings, in the order given.
    pub postings: Vec<Posting>,
}

/// Unvalidated shape for deserialisation; becomes an [`Entry`] only through
/// [`Entry::new`].
#[derive(serde::Deserialize)]
struct RawEntry {
    id: String,
    kind: EntryKind,
    reference: String,
    postings: Vec<Posting>,
}

impl TryFrom<RawEntry> for Entry {
    type Error = LedgerError;

    fn try_from(raw: RawEntry) -> Result<Self, Self::Error> {
        Entry::new(raw.id, raw.kind, raw.reference, raw.postings)
    }
}

impl Entry {
    /// Builds an entry, checking every invariant listed on [`Entry`].
    pub fn new(
        id: impl Into<String>,
        kind: EntryKind,
        reference: impl Into<String>,
        postings: Vec<Posting>,
    ) -> Result<Entry, LedgerError> {
        let entry = Entry {
            id: id.into(),
            kind,
            reference: reference.into(),
            postings,
        };
        entry.check()?;
        Ok(entry)
    }

    /// Re-checks every invariant (for entries read from storage or changed by hand).
    pub fn check(&self) -> Result<(), LedgerError> {
        check_text("entry_id", &self.id, 1, ENTRY_ID_BYTES_MAX)?;
        check_text("reference", &self.reference, 0, REFERENCE_BYTES_MAX)?;
        let got = self.postings.len();
        if !(2..=POSTINGS_PER_ENTRY_MAX).contains(&got) {
            return Err(LedgerError::PostingCount {
                got,
                max: POSTINGS_PER_ENTRY_MAX,
            });
        }
        self.check_postings()?;
        self.check_balanced()
    }

    /// Debug builds only: asserts [`Entry::check`]. Called on read paths so a corrupted
    /// entry crashes tests loudly instead of skewing balances quietly.
    #[track_caller]
    pub fn debug_assert_valid(&self) {
        if cfg!(debug_assertions)
            && let Err(e) = self.check()
        {
            panic!("ledger invariant broken in entry `{}`: {e}", self.id);
        }
    }

    /// Live mode of the entry (all postings share it; `false` for test mode).
    pub fn livemode(&self) -> bool {
        self.postings.first().is_some_and(|p| p.account.livemode)
    }

    /// Whether `other` records the same thing: same id, kind, reference and the same
    /// postings in any order. Used to tell `Exists` from `ExistsWithDifferentPostings`.
    pub fn same_as(&self, other: &Entry) -> bool {
        let sorted = |e: &Entry| {
            let mut p = e.postings.clone();
            p.sort();
            p
        };
        self.id == other.id
            && self.kind == other.kind
            && self.reference == other.reference
            && sorted(self) == sorted(other)
    }

    fn check_postings(&self) -> Result<(), LedgerError> {
        let livemode = self.livemode();
        for (i, p) in self.postings.iter().enumerate() {
            p.account.check()?;
            if p.amount == 0 {
                return Err(LedgerError::ZeroAmount {
                    account: p.account.key(),
                });
            }
            let max = p.account.currency.max_posting_amount();
            if p.amount.unsigned_abs() > max.unsigned_abs() {
                return Err(LedgerError::AmountTooLarge {
                    account: p.account.key(),
                    amount: p.amount,
                    max,
                });
            }
            if p.account.livemode != livemode {
                return Err(LedgerError::MixedLivemode);
            }
            if self.postings[..i].iter().any(|q| q.account == p.account) {
                return Err(LedgerError::DuplicateAccount {
                    account: p.account.key(),
                });
            }
        }
        Ok(())
    }

    fn check_balanced(&self) -> Result<(), LedgerError> {
        // Amounts are bounded by the posting limit and there are at most 16, so the sum
        // fits in i64 (checked by a unit test on the currency table).
        let mut sums: BTreeMap<&'static str, i64> = BTreeMap::new();
        for p in &self.postings {
            *sums.entry(p.account.currency.code()).or_default() += p.amount;
        }
        match sums.into_iter().find(|&(_, sum)| sum != 0) {
            Some((currency, sum)) => Err(LedgerError::Unbalanced { currency, sum }),
            None => Ok(()),
        }
    }
}

fn check_text(field: &'static str, s: &str, min: usize, max: usize) -> Result<(), LedgerError> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(LedgerError::Field {
            field,
            reason: format!("must be {min} to {max} bytes of printable ASCII without spaces"),
        });
    }
    Ok(())
}

/// Outcome of applying an entry, TigerBeetle-style: a retry with the same id returns
/// `Exists` and posts nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Applied {
    /// The entry was new and its postings were applied.
    Created,
    /// An identical entry (same kind, reference and postings) was already applied.
    Exists,
    /// An entry with this id but a different kind, reference or postings was already
    /// applied; nothing was posted. Usually a client reusing an id: report it.
    ExistsWithDifferentPostings,
}

impl Applied {
    /// Snake-case code (`created`, `exists`, `exists_with_different_postings`).
    pub fn as_str(self) -> &'static str {
        match self {
            Applied::Created => "created",
            Applied::Exists => "exists",
            Applied::ExistsWithDifferentPostings => "exists_with_different_postings",
        }
    }
}
