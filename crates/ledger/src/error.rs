//! Ledger errors. Each names the field or account and the rule it broke.

/// Why a ledger value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// Not a supported ISO 4217 alpha code.
    #[error("currency: `{input}` is not a supported ISO 4217 code")]
    UnknownCurrency {
        /// The input (first 16 characters).
        input: String,
    },
    /// A scalar field (id, reference, amount, fee, merchant) broke its rule.
    #[error("{field}: {reason}")]
    Field {
        /// The field name as the caller knows it (`entry_id`, `amount`, `fee` ...).
        field: &'static str,
        /// The rule, with the offending value where it is safe to show.
        reason: String,
    },
    /// An account key string could not be parsed.
    #[error("account key `{key}`: {reason}")]
    AccountKey {
        /// The key (first 200 characters).
        key: String,
        /// The rule broken.
        reason: &'static str,
    },
    /// An account id is not well formed (owner/kind mismatch, bad merchant id).
    #[error("account {account}: {reason}")]
    Account {
        /// The account key.
        account: String,
        /// The rule broken.
        reason: &'static str,
    },
    /// Fewer than two or more than the maximum postings.
    #[error("postings: an entry needs 2 to {max} postings, got {got}")]
    PostingCount {
        /// How many postings the entry had.
        got: usize,
        /// The limit ([`crate::POSTINGS_PER_ENTRY_MAX`]).
        max: usize,
    },
    /// A posting with amount 0.
    #[error("postings: account {account} has a zero amount")]
    ZeroAmount {
        /// The account key.
        account: String,
    },
    /// A posting above the currency's posting limit.
    #[error("postings: account {account} amount {amount} exceeds the posting limit {max}")]
    AmountTooLarge {
        /// The account key.
        account: String,
        /// The amount, minor units.
        amount: i64,
        /// [`crate::Currency::max_posting_amount`].
        max: i64,
    },
    /// The same account twice in one entry.
    #[error("postings: account {account} appears more than once")]
    DuplicateAccount {
        /// The account key.
        account: String,
    },
    /// Live and test accounts in one entry.
    #[error("postings: live-mode and test-mode accounts are mixed in one entry")]
    MixedLivemode,
    /// Debits and credits of one currency do not cancel.
    #[error("postings: {currency} debits and credits differ by {sum} minor units")]
    Unbalanced {
        /// The currency code.
        currency: &'static str,
        /// Sum of the postings (debits positive), minor units.
        sum: i64,
    },
    /// Not one of the entry kinds.
    #[error(
        "entry kind: `{input}` is not one of capture, refund, settlement, payout, fee, adjustment"
    )]
    UnknownEntryKind {
        /// The input (first 32 characters).
        input: String,
    },
    /// [`crate::Book::verify`] found an inconsistency.
    #[error("ledger verification failed: {0}")]
    Verify(Box<VerifyError>),
}

impl From<VerifyError> for LedgerError {
    fn from(e: VerifyError) -> Self {
        LedgerError::Verify(Box::new(e))
    }
}

/// What [`crate::verify_entries`] found wrong: names the entry id or account and the
/// expected versus actual value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A stored entry breaks an entry invariant.
    #[error("entry `{entry_id}` is invalid: {reason}")]
    InvalidEntry {
        /// The entry id.
        entry_id: String,
        /// The rule broken.
        reason: LedgerError,
    },
    /// Two stored entries share an id.
    #[error("entry id `{entry_id}` appears more than once")]
    DuplicateEntry {
        /// The entry id.
        entry_id: String,
    },
    /// An account appears twice among the stored balances.
    #[error("account {account} has more than one stored balance")]
    DuplicateBalance {
        /// The account key.
        account: String,
    },
    /// A stored balance differs from the sum of the account's postings.
    #[error("account {account}: postings sum to {expected} but the stored balance is {actual}")]
    BalanceMismatch {
        /// The account key.
        account: String,
        /// Sum of the postings (0 if there are none).
        expected: i64,
        /// The stored balance (0 if none is stored).
        actual: i64,
    },
    /// The sum of an account's postings does not fit in `i64`.
    #[error("account {account}: the sum of its postings overflows i64")]
    Overflow {
        /// The account key.
        account: String,
    },
}
