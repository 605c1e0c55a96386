//! The daily clearing file (`paygate sim network clearing --date YYYY-MM-DD`): what the network
//! clears for the acquirer on one UTC day of the simulator's clock, in the simplified shape of
//! Visa Base II / Mastercard IPM — a header, one fixed-width detail per sale presented (an
//! approved purchase, or the approved 0220 capture of an authorization, never one reversed)
//! and per approved refund, with the interchange of [`fees`], and a trailer with counts and
//! totals. The layout is [`layout`], documented in docs/CLEARING.md.
//!
//! A record belongs to the day the network recorded its message (`recorded_at_ms`, the
//! simulator's clock: a test clock moves it). The file is built from the journal, so the same
//! day gives the same file — unless a sale is reversed afterwards (it then leaves the file:
//! the simulator clears at the end of the day and takes reversals until then).

pub mod fees;
pub mod layout;

use std::path::Path;

use paygate_sim_kit::{SimError, data_dir};
use rusqlite::{Row, params};

use crate::JOURNAL_FILE;
use layout::{Detail, TransactionCode};

const QUERY: &str = "
SELECT j.kind, j.stan, j.amount_minor, a.rrn, a.terminal_id, a.stan, a.transmitted_at, a.card,
       a.currency, o.approval_code, o.recorded_at_ms, acc.merchant_id
FROM journal j
JOIN authorizations a ON a.id = j.auth_id
JOIN journal o ON o.auth_id = a.id AND o.kind = 'authorization'
LEFT JOIN acceptors acc ON acc.auth_id = a.id
WHERE j.response_code = '00' AND j.recorded_at_ms >= ?1 AND j.recorded_at_ms < ?2
  AND ((j.kind = 'authorization' AND j.mti = '0200' AND a.reversed = 0)
       OR (j.kind = 'capture' AND a.reversed = 0)
       OR j.kind = 'refund')
ORDER BY j.seq";

const DAY_MS: i64 = 86_400_000;

/// The clearing file of `day` (UTC) for the simulator whose data directory is `data_dir` (it
/// may be running): the text of the file, one record per line.
pub fn file(data_dir: &Path, day: time::Date) -> Result<String, SimError> {
    let conn = data_dir::open_reader(data_dir, JOURNAL_FILE)?;
    let start = day.midnight().assume_utc().unix_timestamp() * 1_000;
    let mut stmt = conn.prepare(QUERY)?;
    let details = stmt
        .query_map(params![start, start + DAY_MS], detail)?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = layout::header(&yyyymmdd(day));
    out.push('\n');
    for d in &details {
        out.push_str(&layout::detail(d));
        out.push('\n');
    }
    out.push_str(&layout::trailer(&details));
    out.push('\n');
    Ok(out)
}

fn yyyymmdd(day: time::Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

fn date_of_ms(ms: i64) -> String {
    let day = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1_000))
        .map_or(time::Date::MIN, |t| t.date());
    yyyymmdd(day)
}

fn detail(r: &Row<'_>) -> rusqlite::Result<Detail> {
    let kind: String = r.get(0)?;
    let code = if kind == "refund" {
        TransactionCode::Credit
    } else {
        TransactionCode::Presentment
    };
    let amount: i64 = r.get::<_, Option<i64>>(2)?.unwrap_or(0);
    let masked_pan: String = r.get(7)?;
    let row = fees::row_for(&masked_pan);
    let fee = match code {
        TransactionCode::Presentment => fees::presentment_fee(&row, amount),
        TransactionCode::Credit => fees::credit_fee(&row, amount),
    };
    Ok(Detail {
        code,
        message_stan: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        amount,
        rrn: r.get(3)?,
        terminal_id: r.get(4)?,
        auth_stan: r.get(5)?,
        auth_transmitted_at: r.get(6)?,
        masked_pan,
        currency: r.get(8)?,
        approval_code: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
        transaction_date: date_of_ms(r.get(10)?),
        merchant_id: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
        brand: row.brand,
        card_type: row.card_type,
        fee,
    })
}
