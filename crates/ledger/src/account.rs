//! Accounts: who owns them, what kind they are, and their stable text key.

use std::fmt;

use crate::currency::Currency;
use crate::error::LedgerError;

/// Longest merchant id, in characters (`[A-Za-z0-9_.-]`).
pub const MERCHANT_ID_CHARS_MAX: usize = 64;
/// Longest account key accepted by [`AccountId::parse_key`], in bytes.
const ACCOUNT_KEY_BYTES_MAX: usize = 128;

/// Who an account belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    /// A merchant, by merchant id (e.g. `acct_123`).
    Merchant(String),
    /// The gateway itself.
    Gateway,
}

/// Which side of an account a positive balance sits on in its natural reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Assets: the balance reads naturally as `debits − credits`.
    Debit,
    /// Liabilities and revenue: the balance reads naturally as `credits − debits`.
    Credit,
}

/// Who owes the gateway for captured payments until it pays them out: each counterparty has
/// its own receivable account (`g:<mode>:<receivable>:<cur>`), so what each one owes can be
/// read and reconciled on its own. Adding a counterparty adds a variant and its key name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Counterparty {
    /// The card network (ISO 8583 link); its receivable keeps the key `network_receivable`.
    CardNetwork,
    /// The banks of virtual accounts and transfers (telegram link); key `bank_receivable`.
    Bank,
    /// The mobile carrier (휴대폰 소액결제: charges on the subscriber's phone bill).
    Carrier,
}

impl Counterparty {
    /// Every counterparty.
    pub const ALL: [Counterparty; 3] = [
        Counterparty::CardNetwork,
        Counterparty::Bank,
        Counterparty::Carrier,
    ];

    /// The name recorded on charges (`_processor`) and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Counterparty::CardNetwork => "card_network",
            Counterparty::Bank => "bank",
            Counterparty::Carrier => "mobile_carrier",
        }
    }

    /// Inverse of [`Counterparty::as_str`].
    pub fn parse(s: &str) -> Option<Counterparty> {
        Counterparty::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The kind name of its receivable account in account keys (never changes once used).
    fn receivable_key(self) -> &'static str {
        match self {
            Counterparty::CardNetwork => "network_receivable",
            Counterparty::Bank => "bank_receivable",
            Counterparty::Carrier => "carrier_receivable",
        }
    }
}

impl serde::Serialize for Counterparty {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Counterparty {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Counterparty::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown counterparty {s:?}")))
    }
}

/// The kind of an account. The first five belong to merchants, the last three to the
/// gateway (checked by [`AccountId::check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountKind {
    /// Merchant, credit-normal: captured funds (net of fees) not yet settled.
    Pending,
    /// Merchant, credit-normal: settled funds that can be paid out; refunds are taken from
    /// here and may drive it negative (the merchant then owes the gateway).
    Available,
    /// Merchant, credit-normal: reserved for adjustments; the built-in rules do not post
    /// to it (refund totals come from the entries, see the crate docs).
    Refunds,
    /// Merchant, credit-normal: reserved for adjustments (e.g. fee rebates); fees charged
    /// are credited to the gateway's `FeeRevenue`.
    Fees,
    /// Merchant, credit-normal: reserved for payouts in transit; the built-in payout rule
    /// pays straight from `Available` to the gateway's `Bank`.
    Payouts,
    /// Gateway, debit-normal asset: what a counterparty owes the gateway for captures not
    /// yet received (one account per counterparty).
    Receivable(Counterparty),
    /// Gateway, credit-normal revenue: processing fees earned.
    FeeRevenue,
    /// Gateway, debit-normal asset: the gateway's settlement bank account.
    Bank,
}

impl AccountKind {
    /// Every kind, merchant kinds first.
    pub const ALL: [AccountKind; 9] = [
        AccountKind::Pending,
        AccountKind::Available,
        AccountKind::Refunds,
        AccountKind::Fees,
        AccountKind::Payouts,
        AccountKind::Receivable(Counterparty::CardNetwork),
        AccountKind::Receivable(Counterparty::Bank),
        AccountKind::FeeRevenue,
        AccountKind::Bank,
    ];

    /// Snake-case name used in account keys (`network_receivable`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Pending => "pending",
            AccountKind::Available => "available",
            AccountKind::Refunds => "refunds",
            AccountKind::Fees => "fees",
            AccountKind::Payouts => "payouts",
            AccountKind::Receivable(c) => c.receivable_key(),
            AccountKind::FeeRevenue => "fee_revenue",
            AccountKind::Bank => "bank",
        }
    }

    /// Inverse of [`AccountKind::as_str`].
    pub fn parse(s: &str) -> Option<AccountKind> {
        AccountKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the kind belongs to a merchant (`true`) or to the gateway (`false`).
    pub fn is_merchant(self) -> bool {
        matches!(
            self,
            AccountKind::Pending
                | AccountKind::Available
                | AccountKind::Refunds
                | AccountKind::Fees
                | AccountKind::Payouts
        )
    }

    /// The side on which the balance reads naturally. Merchant accounts are liabilities
    /// of the gateway (credit-normal), `FeeRevenue` is revenue (credit-normal),
    /// receivables and `Bank` are assets (debit-normal).
    pub fn normal_side(self) -> Side {
        match self {
            AccountKind::Receivable(_) | AccountKind::Bank => Side::Debit,
            _ => Side::Credit,
        }
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One ledger account: owner, mode, kind, currency. Its text form is [`AccountId::key`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId {
    /// Merchant or gateway.
    pub owner: Owner,
    /// Live (`true`) or test (`false`) mode; never mixed in one entry.
    pub livemode: bool,
    /// What the account holds.
    pub kind: AccountKind,
    /// Currency of every amount posted to it.
    pub currency: Currency,
}

impl AccountId {
    /// A merchant account. Validity (merchant id, kind) is checked by [`AccountId::check`],
    /// which every entry runs.
    pub fn merchant(merchant: &str, livemode: bool, kind: AccountKind, currency: Currency) -> Self {
        AccountId {
            owner: Owner::Merchant(merchant.to_owned()),
            livemode,
            kind,
            currency,
        }
    }

    /// A gateway account.
    pub fn gateway(livemode: bool, kind: AccountKind, currency: Currency) -> Self {
        AccountId {
            owner: Owner::Gateway,
            livemode,
            kind,
            currency,
        }
    }

    /// Stable text key: `m:acct_123:test:pending:krw` or `g:live:network_receivable:usd`.
    /// Storage uses it as the account's primary key, so the format never changes.
    pub fn key(&self) -> String {
        match &self.owner {
            Owner::Merchant(m) => format!(
                "{}{}:{}",
                merchant_prefix(m, self.livemode),
                self.kind,
                self.currency
            ),
            Owner::Gateway => format!(
                "{}{}:{}",
                gateway_prefix(self.livemode),
                self.kind,
                self.currency
            ),
        }
    }

    /// Parses [`AccountId::key`] output; the result passes [`AccountId::check`].
    pub fn parse_key(s: &str) -> Result<AccountId, LedgerError> {
        let bad = |reason| LedgerError::AccountKey {
            key: s.chars().take(200).collect(),
            reason,
        };
        if s.len() > ACCOUNT_KEY_BYTES_MAX {
            return Err(bad("is longer than 128 bytes"));
        }
        let parts: Vec<&str> = s.split(':').collect();
        let (owner, rest) = match parts.as_slice() {
            ["m", merchant, rest @ ..] if rest.len() == 3 => {
                (Owner::Merchant((*merchant).to_owned()), rest)
            }
            ["g", rest @ ..] if rest.len() == 3 => (Owner::Gateway, rest),
            _ => {
                return Err(bad(
                    "must be m:<merchant>:<mode>:<kind>:<cur> or g:<mode>:<kind>:<cur>",
                ));
            }
        };
        let livemode = match rest[0] {
            "live" => true,
            "test" => false,
            _ => return Err(bad("mode must be `live` or `test`")),
        };
        let kind = AccountKind::parse(rest[1]).ok_or_else(|| bad("unknown account kind"))?;
        // Keys are written lowercase; accept nothing else so one account has one key.
        let currency = Currency::parse(rest[2])
            .ok()
            .filter(|c| c.code() == rest[2])
            .ok_or_else(|| bad("unknown or non-lowercase currency"))?;
        let id = AccountId {
            owner,
            livemode,
            kind,
            currency,
        };
        id.check()?;
        Ok(id)
    }

    /// Checks the merchant id (1..=64 of `[A-Za-z0-9_.-]`) and that the kind belongs to the
    /// owner (merchant kinds on merchants, gateway kinds on the gateway).
    pub fn check(&self) -> Result<(), LedgerError> {
        let bad = |reason| LedgerError::Account {
            account: self.key(),
            reason,
        };
        match &self.owner {
            Owner::Merchant(m) => {
                check_merchant_id(m).map_err(|_| {
                    bad("merchant id must be 1 to 64 characters of A-Z a-z 0-9 _ . -")
                })?;
                if !self.kind.is_merchant() {
                    return Err(bad("kind belongs to the gateway, not a merchant"));
                }
            }
            Owner::Gateway if self.kind.is_merchant() => {
                return Err(bad("kind belongs to a merchant, not the gateway"));
            }
            Owner::Gateway => {}
        }
        Ok(())
    }

    /// The merchant id, for merchant accounts.
    pub fn merchant_id(&self) -> Option<&str> {
        match &self.owner {
            Owner::Merchant(m) => Some(m),
            Owner::Gateway => None,
        }
    }

    /// What the gateway owes on this account given its raw `balance` (debits − credits):
    /// for merchant accounts, the amount owed to the merchant (`−balance`). The same as
    /// [`AccountId::natural`], named for the merchant-balance call sites.
    pub fn owed(&self, balance: i64) -> i64 {
        self.natural(balance)
    }

    /// `balance` (debits − credits) read on the account's normal side: for merchant
    /// accounts this is what the gateway owes the merchant, for a receivable what
    /// its counterparty owes the gateway, for `FeeRevenue` the fees earned.
    pub fn natural(&self, balance: i64) -> i64 {
        match self.kind.normal_side() {
            Side::Debit => balance,
            Side::Credit => -balance,
        }
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

impl serde::Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.key())
    }
}

impl<'de> serde::Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        AccountId::parse_key(&s).map_err(serde::de::Error::custom)
    }
}

fn mode_str(livemode: bool) -> &'static str {
    if livemode { "live" } else { "test" }
}

/// Key prefix shared by all of a merchant's accounts in one mode: `m:acct_123:test:`.
/// Every [`AccountId::key`] of that merchant and mode starts with it (and no other key
/// does, since merchant ids cannot contain `:`), so storage can list them by prefix.
pub fn merchant_prefix(merchant: &str, livemode: bool) -> String {
    format!("m:{merchant}:{}:", mode_str(livemode))
}

/// Key prefix shared by all gateway accounts in one mode: `g:live:`.
pub fn gateway_prefix(livemode: bool) -> String {
    format!("g:{}:", mode_str(livemode))
}

/// Checks a merchant id: 1..=64 characters of `[A-Za-z0-9_.-]` (so it cannot contain the
/// key separator `:`).
pub fn check_merchant_id(merchant: &str) -> Result<(), LedgerError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if merchant.is_empty()
        || merchant.len() > MERCHANT_ID_CHARS_MAX
        || !merchant.chars().all(ok_char)
    {
        return Err(LedgerError::Field {
            field: "merchant",
            reason: "must be 1 to 64 characters of A-Z a-z 0-9 _ . -".into(),
        });
    }
    Ok(())
}

/// A merchant's balances in one currency and mode, read on the credit side (positive =
/// the gateway owes the merchant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MerchantBalance {
    /// Captured, net of fees, not yet settled.
    pub pending: i64,
    /// Settled, minus refunds and payouts; may be negative.
    pub available: i64,
}

impl MerchantBalance {
    /// From raw account balances (debits − credits) of `Pending` and `Available`.
    pub fn from_raw(pending_balance: i64, available_balance: i64) -> Self {
        MerchantBalance {
            pending: -pending_balance,
            available: -available_balance,
        }
    }

    /// Everything the gateway will still pay the merchant: pending + available
    /// (= captured − fees − refunded − paid out).
    pub fn owed(&self) -> i64 {
        self.pending + self.available
    }
}
