//! The fixed-width records of the clearing file (docs/CLEARING.md, "Layout"): 128 characters
//! each, a header, one detail per presentment or credit, a trailer with counts and hash
//! totals. Numbers are right-aligned and zero-filled, text left-aligned and space-filled.

use super::fees::{Brand, CardType};

/// Characters per record, without the line feed.
pub const RECORD_WIDTH: usize = 128;
/// The sender id in the header.
pub const SENDER_ID: &str = "PGNETSIM";
/// The layout version in the header.
pub const LAYOUT_VERSION: &str = "001";

/// Transaction code of a detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionCode {
    /// `05`: a sale presented (a purchase, or the capture of an authorization).
    Presentment,
    /// `06`: a credit (refund) presented.
    Credit,
}

impl TransactionCode {
    fn code(self) -> &'static str {
        match self {
            TransactionCode::Presentment => "05",
            TransactionCode::Credit => "06",
        }
    }
}

/// One detail record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    pub code: TransactionCode,
    /// The RRN of the authorization or purchase.
    pub rrn: String,
    /// DE 41, DE 11 and DE 7 of the authorization or purchase.
    pub terminal_id: String,
    pub auth_stan: String,
    pub auth_transmitted_at: String,
    /// DE 11 of the message presented (purchase, 0220 capture, refund).
    pub message_stan: String,
    /// First 6 and last 4 digits.
    pub masked_pan: String,
    pub approval_code: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 numeric.
    pub currency: u16,
    /// The authorization's day, `YYYYMMDD` (UTC, the simulator's clock).
    pub transaction_date: String,
    /// DE 42 without padding; empty when the authorization carried none.
    pub merchant_id: String,
    pub brand: Brand,
    pub card_type: CardType,
    /// Minor units; owed by the acquirer on a presentment, given back on a credit.
    pub fee: i64,
}

fn num(v: i64, width: usize) -> String {
    format!("{:0width$}", v.max(0))
}

fn text(v: &str, width: usize) -> String {
    let v: String = v.chars().take(width).collect();
    format!("{v:<width$}")
}

fn pad(mut line: String) -> String {
    let len = line.chars().count();
    line.push_str(&" ".repeat(RECORD_WIDTH.saturating_sub(len)));
    line
}

/// The header of the file of `date` (`YYYYMMDD`).
pub fn header(date: &str) -> String {
    pad(format!("H{}{SENDER_ID}{LAYOUT_VERSION}", text(date, 8)))
}

/// One detail record.
pub fn detail(d: &Detail) -> String {
    let sign = match d.code {
        TransactionCode::Presentment => "D",
        TransactionCode::Credit => "C",
    };
    pad(format!(
        "D{}{}{}{}{}{}{}{}{}{:03}{}{}{}{}{}{sign}",
        d.code.code(),
        text(&d.rrn, 12),
        text(&d.terminal_id, 8),
        text(&d.auth_stan, 6),
        text(&d.auth_transmitted_at, 10),
        text(&d.message_stan, 6),
        text(&d.masked_pan, 19),
        text(&d.approval_code, 6),
        num(d.amount, 12),
        d.currency,
        text(&d.transaction_date, 8),
        text(&d.merchant_id, 15),
        d.brand.code(),
        d.card_type.code(),
        num(d.fee, 12),
    ))
}

/// The trailer: counts and hash totals (amounts summed whatever their currency, as Base II
/// does) and the net interchange with its sign.
pub fn trailer(details: &[Detail]) -> String {
    let of = |c: TransactionCode| details.iter().filter(move |d| d.code == c);
    let sales: i64 = of(TransactionCode::Presentment).map(|d| d.amount).sum();
    let credits: i64 = of(TransactionCode::Credit).map(|d| d.amount).sum();
    let fees: i64 = of(TransactionCode::Presentment).map(|d| d.fee).sum::<i64>()
        - of(TransactionCode::Credit).map(|d| d.fee).sum::<i64>();
    pad(format!(
        "T{}{}{}{}{}{}{}",
        num(details.len() as i64, 8),
        num(of(TransactionCode::Presentment).count() as i64, 8),
        num(sales, 16),
        num(of(TransactionCode::Credit).count() as i64, 8),
        num(credits, 16),
        num(fees.abs(), 16),
        if fees < 0 { "C" } else { "D" },
    ))
}
