//! Reconciliation of the gateway's books against the card network's daily clearing file
//! (`paygate reconcile --clearing FILE`, docs/CLEARING.md), and the booking of its
//! interchange ([`fees`], `--book-fees`).
//!
//! Each detail of the file is paired with the succeeded card-network charge its RRN names
//! ([`books`]), provided the record's merchant (DE 42) is that charge's merchant — a record
//! never reaches another merchant's charge. Then:
//!
//! | kind | what disagrees |
//! |---|---|
//! | `missing_at_paygate` | a record with no charge of that RRN and merchant, a sale presented for a charge the gateway never captured, or a credit with no succeeded refund of the charge left to pair |
//! | `missing_at_network` | a charge captured, or a refund succeeded, on the file's day (UTC, the gateway's clock) that no record presents |
//! | `amount_mismatch` | a sale whose amount or currency differs from the charge's `amount_captured`; a credit whose amount matches none of the charge's refunds while one of that day is left unpaired |
//! | `duplicate_presentment` | a second sale presented for the same RRN in the file |
//! | `late_presentment` | a sale presented more than `late_after_days` days after its authorization's day |
//!
//! A capture or refund near midnight can fall on different days at the two sides' clocks;
//! it then shows as `missing_at_network` today and is presented in tomorrow's file.

mod books;
pub mod fees;

use books::{Books, GwCharge};
use paygate_network::clearing::{ClearingFile, ClearingRecord, TransactionCode};
use paygate_store::Store;
use serde::Serialize;

/// Default of `--late-after-days`.
pub const LATE_AFTER_DAYS: i64 = 3;

/// What an exception is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    MissingAtPaygate,
    MissingAtNetwork,
    AmountMismatch,
    DuplicatePresentment,
    LatePresentment,
}

impl ExceptionKind {
    /// The snake-case name of the report.
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionKind::MissingAtPaygate => "missing_at_paygate",
            ExceptionKind::MissingAtNetwork => "missing_at_network",
            ExceptionKind::AmountMismatch => "amount_mismatch",
            ExceptionKind::DuplicatePresentment => "duplicate_presentment",
            ExceptionKind::LatePresentment => "late_presentment",
        }
    }
}

/// One exception, naming the record (file line) and the gateway's objects concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exception {
    pub kind: ExceptionKind,
    /// The detail's line in the file, when the file has one.
    pub line: Option<usize>,
    pub rrn: String,
    pub merchant: Option<String>,
    pub charge: Option<String>,
    pub refund: Option<String>,
    /// Minor units: the record's amount, or the gateway's when the file has none.
    pub amount: i64,
    /// ISO 4217 numeric (the file's) or code (the gateway's).
    pub currency: String,
    pub detail: String,
}

/// The outcome of one clearing reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClearingReport {
    /// The day cleared, `YYYY-MM-DD`.
    pub date: String,
    pub records: usize,
    /// Records paired with a charge or refund (their fees are what `--book-fees` books).
    pub matched: usize,
    pub exceptions: Vec<Exception>,
    /// Interchange of the matched records per merchant, mode and currency.
    pub fees: Vec<fees::FeeTotal>,
}

/// Reconciles `file` with the books in `store`.
pub async fn reconcile_clearing(
    store: &Store,
    file: &ClearingFile,
    late_after_days: i64,
) -> Result<ClearingReport, String> {
    let mut books = books::read(store).await?;
    let day = file.date.midnight().assume_utc().unix_timestamp();
    let mut m = Matcher {
        report: ClearingReport {
            date: crate::settlement::format_date(day),
            records: file.records.len(),
            matched: 0,
            exceptions: Vec::new(),
            fees: Vec::new(),
        },
        late_after_days,
        file_date: file.date,
    };
    for rec in &file.records {
        m.record(&mut books, rec);
    }
    unpresented(&books, day, &mut m.report);
    Ok(m.report)
}

struct Matcher {
    report: ClearingReport,
    late_after_days: i64,
    file_date: time::Date,
}

impl Matcher {
    fn push(
        &mut self,
        kind: ExceptionKind,
        rec: &ClearingRecord,
        g: Option<&GwCharge>,
        detail: String,
    ) {
        self.report.exceptions.push(Exception {
            kind,
            line: Some(rec.line),
            rrn: rec.rrn.clone(),
            merchant: g.map(|g| g.scope.merchant_id.clone()),
            charge: g.map(|g| g.charge.id.clone()),
            refund: None,
            amount: rec.amount,
            currency: rec.currency.clone(),
            detail,
        });
    }

    fn record(&mut self, books: &mut Books, rec: &ClearingRecord) {
        let Some(&i) = books.by_rrn.get(&rec.rrn) else {
            let detail = "no card charge at the gateway has this RRN".to_string();
            return self.push(ExceptionKind::MissingAtPaygate, rec, None, detail);
        };
        let g = &mut books.charges[i];
        let acceptor = paygate_connector_card::acceptor_id(&g.scope.merchant_id);
        if acceptor.trim_end() != rec.merchant_id {
            let detail = format!(
                "the charge with this RRN belongs to another merchant than the record's {:?}",
                rec.merchant_id
            );
            return self.push(ExceptionKind::MissingAtPaygate, rec, None, detail);
        }
        let booked = match rec.code {
            TransactionCode::Presentment => self.presentment(g, rec),
            TransactionCode::Credit => self.credit(g, rec),
        };
        if booked {
            self.report.matched += 1;
            fees::add(&mut self.report.fees, g, rec.fee);
        }
    }

    /// A sale: whether it pairs (its fee is then booked).
    fn presentment(&mut self, g: &mut GwCharge, rec: &ClearingRecord) -> bool {
        if let Some(first) = g.presented_on {
            let detail = format!("already presented on line {first}");
            self.push(ExceptionKind::DuplicatePresentment, rec, Some(g), detail);
            return false;
        }
        g.presented_on = Some(rec.line);
        let ch = &g.charge;
        if !ch.captured || ch.amount_captured == 0 {
            let detail = "presented, but the gateway never captured the charge".to_string();
            self.push(ExceptionKind::MissingAtPaygate, rec, Some(g), detail);
            return false;
        }
        if rec.amount != ch.amount_captured || rec.currency != g.currency_numeric() {
            let detail = format!(
                "presented {} ({}), captured {} {} ({}) at the gateway",
                rec.amount,
                rec.currency,
                ch.amount_captured,
                ch.currency,
                g.currency_numeric()
            );
            self.push(ExceptionKind::AmountMismatch, rec, Some(g), detail);
        }
        let days = (self.file_date - rec.transaction_date).whole_days();
        if days > self.late_after_days {
            let detail = format!(
                "presented {days} days after the authorization of {} (limit {})",
                rec.transaction_date, self.late_after_days
            );
            self.push(ExceptionKind::LatePresentment, rec, Some(g), detail);
        }
        rec.currency == g.currency_numeric()
    }

    /// A credit: paired with an unclaimed succeeded refund of the same amount.
    fn credit(&mut self, g: &mut GwCharge, rec: &ClearingRecord) -> bool {
        let same_currency = rec.currency == g.currency_numeric();
        let found = g
            .refunds
            .iter_mut()
            .find(|r| !r.claimed && r.amount == rec.amount && same_currency);
        if let Some(r) = found {
            r.claimed = true;
            return true;
        }
        let day = self.file_date.midnight().assume_utc().unix_timestamp();
        let unpaired = g.refunds.iter().find(|r| !r.claimed && r.day == day);
        let (kind, detail) = match unpaired {
            Some(r) => (
                ExceptionKind::AmountMismatch,
                format!(
                    "credited {}, the gateway's refund {} is {}",
                    rec.amount, r.id, r.amount
                ),
            ),
            None => (
                ExceptionKind::MissingAtPaygate,
                "no succeeded refund of the charge is left to pair with this credit".to_string(),
            ),
        };
        self.push(kind, rec, Some(g), detail);
        false
    }
}

/// Captures and refunds of the file's day that no record presented.
fn unpresented(books: &Books, day: i64, report: &mut ClearingReport) {
    for g in &books.charges {
        let ch = &g.charge;
        let rrn = ch.net.as_ref().map(|n| n.rrn.clone()).unwrap_or_default();
        let mut push = |refund: Option<&str>, amount: i64, detail: String| {
            report.exceptions.push(Exception {
                kind: ExceptionKind::MissingAtNetwork,
                line: None,
                rrn: rrn.clone(),
                merchant: Some(g.scope.merchant_id.clone()),
                charge: Some(ch.id.clone()),
                refund: refund.map(str::to_string),
                amount,
                currency: ch.currency.clone(),
                detail,
            });
        };
        if g.capture_day == Some(day) && g.presented_on.is_none() {
            push(
                None,
                ch.amount_captured,
                "captured on this day, not presented".into(),
            );
        }
        for r in g.refunds.iter().filter(|r| r.day == day && !r.claimed) {
            push(
                Some(&r.id),
                r.amount,
                "refunded on this day, no credit presented".into(),
            );
        }
    }
}
