//! The journal as operators, tests and reconciliation read it (`paygate sim bank journal
//! --data-dir DIR --json`): every decision in order.

use std::path::Path;

use paygate_sim_kit::{SimError, data_dir};
use serde::{Deserialize, Serialize};

use crate::store::JOURNAL_FILE;

/// One decision of the bank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalLine {
    pub seq: i64,
    /// Unix seconds (the simulator's clock).
    pub at: i64,
    /// `issue`, `issue_refused`, `deposit`, `deposit_refused`, `notice_acked`, `close`,
    /// `transfer`, `transfer_refused`.
    pub event: String,
    pub bank: String,
    pub account_no: String,
    /// KRW (minor units = won).
    pub amount: i64,
    /// The order (payment intent), deposit id or transfer reference.
    pub reference: String,
    /// The answer code (`0000` when done).
    pub resp: String,
}

/// Every line of the journal in `data_dir`, oldest first.
pub fn read(data_dir: &Path) -> Result<Vec<JournalLine>, SimError> {
    let conn = data_dir::open_reader(data_dir, JOURNAL_FILE)?;
    let mut stmt = conn.prepare(
        "SELECT seq, at, event, bank, account_no, amount, reference, resp FROM journal ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(JournalLine {
            seq: r.get(0)?,
            at: r.get(1)?,
            event: r.get(2)?,
            bank: r.get(3)?,
            account_no: r.get(4)?,
            amount: r.get(5)?,
            reference: r.get(6)?,
            resp: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
