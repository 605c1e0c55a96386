//! The interchange fee table of the simulated network (docs/CLEARING.md, "Interchange").
//!
//! A card's brand comes from its BIN (the first digits of the masked PAN the simulator keeps),
//! its type (credit or debit) from the same table; the fee of a presentment is
//! `round_half_up(amount × bps / 10 000) + fixed` in minor units of the transaction's
//! currency, charged to the acquirer (sign `D`). A credit (refund) gives the percentage part
//! back (sign `C`, no fixed part): the network keeps the fixed part of the sale.

/// Card brands as the clearing file names them (2 characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Brand {
    /// `VI`.
    Visa,
    /// `MC`.
    Mastercard,
    /// `AX`.
    Amex,
    /// `JC`.
    Jcb,
    /// `UP`.
    UnionPay,
    /// `LC`: the Korean domestic-only range (9…).
    Local,
    /// `OT`: a BIN none of the rows claims.
    Other,
}

impl Brand {
    /// The 2-character code of the clearing record.
    pub fn code(self) -> &'static str {
        match self {
            Brand::Visa => "VI",
            Brand::Mastercard => "MC",
            Brand::Amex => "AX",
            Brand::Jcb => "JC",
            Brand::UnionPay => "UP",
            Brand::Local => "LC",
            Brand::Other => "OT",
        }
    }
}

/// Credit or debit (the card type column of the fee table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardType {
    /// `C`.
    Credit,
    /// `D` (the Korean check card range).
    Debit,
}

impl CardType {
    /// The 1-character code of the clearing record.
    pub fn code(self) -> &'static str {
        match self {
            CardType::Credit => "C",
            CardType::Debit => "D",
        }
    }
}

/// One row of the fee table: a BIN prefix, what it is, what it costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeRow {
    /// The PAN prefix the row claims (longest prefix wins).
    pub bin_prefix: &'static str,
    /// Brand of the range.
    pub brand: Brand,
    /// Credit or debit.
    pub card_type: CardType,
    /// Percentage part, basis points of the amount.
    pub bps: u32,
    /// Fixed part, minor units of the transaction's currency.
    pub fixed_minor: i64,
}

const fn row(p: &'static str, brand: Brand, t: CardType, bps: u32, fixed: i64) -> FeeRow {
    FeeRow {
        bin_prefix: p,
        brand,
        card_type: t,
        bps,
        fixed_minor: fixed,
    }
}

/// The table, documented row by row in docs/CLEARING.md.
pub const FEE_TABLE: &[FeeRow] = &[
    row("4", Brand::Visa, CardType::Credit, 150, 10),
    row("2", Brand::Mastercard, CardType::Credit, 160, 10),
    row("5", Brand::Mastercard, CardType::Credit, 160, 10),
    row("34", Brand::Amex, CardType::Credit, 230, 0),
    row("37", Brand::Amex, CardType::Credit, 230, 0),
    row("35", Brand::Jcb, CardType::Credit, 180, 0),
    row("62", Brand::UnionPay, CardType::Credit, 120, 0),
    row("94", Brand::Local, CardType::Debit, 80, 0),
];

/// Any other BIN.
const OTHER: FeeRow = row("", Brand::Other, CardType::Credit, 200, 0);

/// The row of a (masked) PAN: the longest matching prefix.
pub fn row_for(pan: &str) -> FeeRow {
    FEE_TABLE
        .iter()
        .filter(|r| pan.starts_with(r.bin_prefix))
        .max_by_key(|r| r.bin_prefix.len())
        .copied()
        .unwrap_or(OTHER)
}

/// `round_half_up(amount × bps / 10 000)`, computed in i128 (never overflows).
fn percentage(amount: i64, bps: u32) -> i64 {
    let v = (i128::from(amount) * i128::from(bps) + 5_000) / 10_000;
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The interchange of a presentment of `amount`, owed by the acquirer.
pub fn presentment_fee(row: &FeeRow, amount: i64) -> i64 {
    percentage(amount, row.bps).saturating_add(row.fixed_minor)
}

/// The interchange a credit (refund) of `amount` gives back to the acquirer.
pub fn credit_fee(row: &FeeRow, amount: i64) -> i64 {
    percentage(amount, row.bps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_card_range_has_its_row_and_fees_round_half_up() {
        assert_eq!(row_for("424242******4242").brand, Brand::Visa);
        assert_eq!(row_for("555555******4444").brand, Brand::Mastercard);
        assert_eq!(row_for("378282*****0005").brand, Brand::Amex);
        assert_eq!(row_for("356600******0505").brand, Brand::Jcb);
        assert_eq!(row_for("620000******0005").brand, Brand::UnionPay);
        let local = row_for("940000******0007");
        assert_eq!(
            (local.brand, local.card_type),
            (Brand::Local, CardType::Debit)
        );
        assert_eq!(row_for("111111******1111").brand, Brand::Other);
        let visa = row_for("4242");
        // 3 000 × 1.5 % = 45, + 10 fixed.
        assert_eq!(presentment_fee(&visa, 3_000), 55);
        // 12 345 × 1.5 % = 185.175 → 185; 1 × 1.5 % = 0.015 → 0.
        assert_eq!(presentment_fee(&visa, 12_345), 195);
        assert_eq!(credit_fee(&visa, 1), 0);
        // 100 × 1.5 % = 1.5 → 2 (half up).
        assert_eq!(credit_fee(&visa, 100), 2);
        // The largest amount does not overflow: computed in i128.
        let max = (i128::from(i64::MAX) * 150 + 5_000) / 10_000 + 10;
        assert_eq!(i128::from(presentment_fee(&visa, i64::MAX)), max);
    }
}
