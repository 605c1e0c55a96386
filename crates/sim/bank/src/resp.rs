//! The bank's answer codes (the header's `resp`), one per rule.

/// An answer code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resp {
    Ok,
    /// The telegram breaks the layout or a value is out of range.
    FormatError,
    UnknownBank,
    /// No such virtual account (deposit, close) or test account (transfer).
    UnknownAccount,
    /// The virtual account is expired, closed or fully paid: the deposit stays with the payer.
    AccountClosed,
    /// The deposit is more than what is left to pay: refused, never kept.
    AmountExceedsRemaining,
    /// A fully paid account cannot be closed.
    AccountPaid,
    /// The transfer's holder name is not the account's holder.
    HolderMismatch,
    /// 계좌이체: the payer's balance is less than the amount; nothing was debited.
    InsufficientFunds,
    /// 계좌이체: the payer's account is locked for internet banking (too many wrong
    /// passwords); nothing was debited.
    AccountLocked,
    /// 계좌이체: the payer has not approved the debit (yet).
    NotApproved,
    /// 계좌이체: the order was canceled or its debit reversed.
    OrderClosed,
    /// 계좌이체: a refund to the payer of more than what is left of the debit.
    RefundExceedsDebit,
}

const TABLE: [(Resp, &str); 13] = [
    (Resp::Ok, "0000"),
    (Resp::FormatError, "F001"),
    (Resp::UnknownBank, "B001"),
    (Resp::UnknownAccount, "A001"),
    (Resp::AccountClosed, "V002"),
    (Resp::AmountExceedsRemaining, "V003"),
    (Resp::AccountPaid, "V004"),
    (Resp::HolderMismatch, "T002"),
    (Resp::InsufficientFunds, "T003"),
    (Resp::AccountLocked, "T004"),
    (Resp::NotApproved, "T005"),
    (Resp::OrderClosed, "T006"),
    (Resp::RefundExceedsDebit, "T007"),
];

impl Resp {
    /// The code on the wire.
    pub fn code(self) -> &'static str {
        TABLE
            .iter()
            .find(|(r, _)| *r == self)
            .map(|(_, c)| *c)
            .unwrap_or("F001")
    }

    /// Inverse of [`Resp::code`].
    pub fn parse(s: &str) -> Option<Resp> {
        TABLE.iter().find(|(_, c)| *c == s).map(|(r, _)| *r)
    }
}
