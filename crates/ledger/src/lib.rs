//! # paygate-ledger: the double-entry core
//!
//! Pure data and rules, no I/O: the storage crate persists [`Entry`] values and account
//! balances, and runs [`verify_entries`] over what it reads back.
//!
//! ## Money
//! Amounts are `i64` minor units of a [`Currency`] (ISO 4217 code + exponent): ₩1,000 is
//! `1000` (KRW, exponent 0), $10.00 is `1000` (USD, exponent 2), 1.000 KWD is `1000`
//! (exponent 3). Floats never appear.
//!
//! ## Sign convention
//! A [`Posting`] amount is **positive for a debit and negative for a credit**, and an
//! account's balance is the sum of its postings (debits − credits). Every entry sums to
//! zero per currency, so every (mode, currency) slice of the ledger sums to zero.
//!
//! Accounts have a normal side ([`AccountKind::normal_side`]); [`AccountId::natural`] and
//! [`Book::natural_balance`] read a balance on that side:
//!
//! | account (owner)            | type        | normal | natural reading                       |
//! |----------------------------|-------------|--------|---------------------------------------|
//! | `pending` (merchant)       | liability   | credit | captured net of fees, not yet settled |
//! | `available` (merchant)     | liability   | credit | settled, payable now (may be < 0)     |
//! | `refunds`/`fees`/`payouts` (merchant) | liability | credit | reserved for adjustments   |
//! | `network_receivable` (gw)  | asset       | debit  | owed to the gateway by the card network (one receivable per [`Counterparty`]) |
//! | `fee_revenue` (gateway)    | revenue     | credit | fees earned                           |
//! | `bank` (gateway)           | asset       | debit  | cash at the gateway's bank            |
//!
//! So a merchant's raw balances are negative when the gateway owes money, and
//! [`MerchantBalance::owed`] (from [`Book::merchant_balance`]) gives the natural
//! "owed to the merchant" figure: `−(pending + available)` =
//! captured − fees − refunded − paid out.
//!
//! ## Posting rules (T-accounts; `m:` merchant, `g:` gateway)
//!
//! ```text
//! capture(amount A, fee F)        refund(R)                   settle(S)
//!   g:network_receivable Dr A       m:available Dr R            m:pending   Dr S
//!   m:pending            Cr A−F     g:network_receivable Cr R   m:available Cr S
//!   g:fee_revenue        Cr F
//!
//! payout(P)                       network_settlement(N)
//!   m:available Dr P                g:bank               Dr N
//!   g:bank      Cr P                g:network_receivable Cr N
//! ```
//!
//! Why this model: the merchant side holds only balances that are paid out
//! (`pending + available` is exactly what the merchant will receive), fees go straight to
//! the gateway's revenue, and refunds reduce the merchant's available balance by the
//! full amount, as card processors commonly do. Lifetime totals (captured, fees,
//! refunded, paid out) are sums over entries of each [`EntryKind`], not accounts, so the
//! merchant `refunds`/`fees`/`payouts` kinds are not touched by the built-in rules; they
//! remain valid for [`EntryKind::Adjustment`] entries and storage compatibility.
//!
//! ## Invariants and outcomes
//! [`Entry::new`] (and deserialisation) accept only balanced, single-mode entries with
//! non-zero, bounded amounts. [`Book::apply`] is idempotent by entry id and reports an
//! [`Applied`] code; it asserts validity again, and read paths re-assert it in debug
//! builds.

mod account;
mod book;
mod charge_limits;
mod currency;
mod entry;
mod error;
mod rules;

pub use account::{
    AccountId, AccountKind, Counterparty, MERCHANT_ID_CHARS_MAX, MerchantBalance, Owner, Side,
    check_merchant_id, gateway_prefix, merchant_prefix,
};
pub use book::{Book, verify_entries};
pub use charge_limits::CHARGE_MINOR_UNITS_MAX;
pub use currency::{CHARGE_MAJOR_UNITS_MAX, Currency, POSTING_MAJOR_UNITS_MAX};
pub use entry::{
    Applied, ENTRY_ID_BYTES_MAX, Entry, EntryKind, POSTINGS_PER_ENTRY_MAX, Posting,
    REFERENCE_BYTES_MAX,
};
pub use error::{LedgerError, VerifyError};
pub use rules::{
    Fee, capture, deposit_return, interchange, network_settlement, payout, refund, settle,
};
