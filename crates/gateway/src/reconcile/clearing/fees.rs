//! Booking a clearing file's interchange (`paygate reconcile --clearing FILE --book-fees`):
//! per merchant, mode and currency, one balanced ledger entry
//! ([`paygate_ledger::interchange`]: the merchant's `available` against the network
//! receivable) and one balance transaction of type `network_cost`, in one write unit.
//!
//! Idempotent: the entry id and the balance transaction id are derived from the file (day
//! and sender), the merchant, the mode and the currency. Booking the same file again finds
//! the balance transaction already there and writes nothing (`already_booked`); a different
//! file for the same day and sender whose interchange differs is refused by the ledger
//! (`differs`) and writes nothing either.

use super::books::GwCharge;
use crate::postings::balance_txn;
use paygate_ledger::Currency;
use paygate_network::clearing::ClearingFile;
use paygate_store::{CommitError, ConflictKind, ObjectRow, Op, Scope, Store, WriteUnit};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The interchange of one merchant, mode and currency in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeTotal {
    pub merchant: String,
    pub livemode: bool,
    /// ISO code of the charges (`krw`).
    pub currency: String,
    /// Minor units; positive when charged to the merchant.
    pub net: i64,
    /// Records it sums.
    pub records: usize,
}

/// Adds one matched record's fee to its merchant's total.
pub(super) fn add(totals: &mut Vec<FeeTotal>, g: &GwCharge, fee: i64) {
    let (merchant, livemode) = (&g.scope.merchant_id, g.scope.livemode);
    let currency = &g.charge.currency;
    let same = |t: &&mut FeeTotal| {
        &t.merchant == merchant && t.livemode == livemode && &t.currency == currency
    };
    match totals.iter_mut().find(same) {
        Some(t) => {
            t.net = t.net.saturating_add(fee);
            t.records += 1;
        }
        None => totals.push(FeeTotal {
            merchant: merchant.clone(),
            livemode,
            currency: currency.clone(),
            net: fee,
            records: 1,
        }),
    }
}

/// What booking one total did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Booking {
    /// Entry and balance transaction written.
    Booked,
    /// This file's total was booked before: nothing written.
    AlreadyBooked,
    /// A file of the same day and sender was booked with another amount: nothing written.
    Differs,
    /// The total is 0: nothing to book.
    Nothing,
}

/// Books every total of `file`; `now` stamps the entries (unix seconds).
pub async fn book(
    store: &Store,
    file: &ClearingFile,
    totals: &[FeeTotal],
    now: i64,
) -> Result<Vec<(FeeTotal, Booking)>, String> {
    let mut out = Vec::new();
    for t in totals {
        let booking = if t.net == 0 {
            Booking::Nothing
        } else {
            book_one(store, file, t, now).await?
        };
        out.push((t.clone(), booking));
    }
    Ok(out)
}

async fn book_one(
    store: &Store,
    file: &ClearingFile,
    t: &FeeTotal,
    now: i64,
) -> Result<Booking, String> {
    let day = format!(
        "{:04}{:02}{:02}",
        file.date.year(),
        u8::from(file.date.month()),
        file.date.day()
    );
    let mode = if t.livemode { "live" } else { "test" };
    let entry_id = format!(
        "interchange:{day}:{}:{}:{mode}:{}",
        file.sender, t.merchant, t.currency
    );
    let reference = format!("clearing:{day}:{}", file.sender);
    let currency = Currency::parse(&t.currency).map_err(|e| e.to_string())?;
    let entry = paygate_ledger::interchange(
        &entry_id,
        &t.merchant,
        t.livemode,
        currency,
        t.net,
        &reference,
    )
    .map_err(|e| format!("{entry_id}: {e}"))?;
    let scope = Scope {
        merchant_id: t.merchant.clone(),
        livemode: t.livemode,
    };
    let mut txn = balance_txn(
        &scope,
        "network_cost",
        &reference,
        currency,
        -t.net,
        0,
        now,
        "available",
        now,
    );
    let id = format!(
        "txn_ic{}",
        &hex::encode(Sha256::digest(entry_id.as_bytes()))[..24]
    );
    txn.doc["id"] = id.clone().into();
    txn.doc["description"] =
        format!("Interchange of clearing file {day} ({} records)", t.records).into();
    let insert = Op::InsertObject(ObjectRow {
        id,
        data: txn.doc,
        ..match txn.op {
            Op::InsertObject(row) => row,
            _ => return Err("a balance transaction is an object insert".into()),
        }
    });
    let unit = WriteUnit::new(vec![Op::Ledger(entry, now), insert]);
    match store.commit(unit).await {
        Ok(_) => Ok(Booking::Booked),
        Err(CommitError::Conflict {
            what: ConflictKind::ObjectExists,
            ..
        }) => Ok(Booking::AlreadyBooked),
        Err(CommitError::Conflict {
            what: ConflictKind::LedgerEntryDiffers,
            ..
        }) => Ok(Booking::Differs),
        Err(e) => Err(format!("booking {entry_id}: {e}")),
    }
}
