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
}

const TABLE: [(Resp, &str); 8] = [
    (Resp::Ok, "0000"),
    (Resp::FormatError, "F001"),
    (Resp::UnknownBank, "B001"),
    (Resp::UnknownAccount, "A001"),
    (Resp::AccountClosed, "V002"),
    (Resp::AmountExceedsRemaining, "V003"),
    (Resp::AccountPaid, "V004"),
    (Resp::HolderMismatch, "T002"),
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
