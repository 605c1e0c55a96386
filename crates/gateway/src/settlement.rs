//! Settlement (D+N): balance transactions whose `available_on` has come move from the
//! merchant's pending to available balance, one balanced ledger entry per merchant, mode and
//! currency, in the same transaction as the status change of the balance transactions.

use paygate_ledger::Currency;
use paygate_payments::clock::day_plus;
use paygate_store::{ObjectRow, Op, Store, WriteUnit};
use std::collections::BTreeMap;

/// Balance transactions settled per unit at most.
const SETTLE_BATCH: usize = 500;

/// Outcome of a settlement run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SettleReport {
    pub transactions: usize,
    pub entries: usize,
}

/// Settles everything available on or before the end of the UTC day containing `day_start`;
/// `now` stamps the ledger entries.
pub async fn settle(store: &Store, day_start: i64, now: i64) -> Result<SettleReport, String> {
    let cutoff = day_plus(day_start, 0);
    let mut report = SettleReport::default();
    loop {
        let due = store
            .list_due("balance_transaction", "pending", cutoff, SETTLE_BATCH)
            .await
            .map_err(|e| e.to_string())?;
        if due.is_empty() {
            return Ok(report);
        }
        let mut groups: BTreeMap<(String, bool, String), Vec<ObjectRow>> = BTreeMap::new();
        for row in due {
            let cur = row.data["currency"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            groups
                .entry((row.merchant_id.clone(), row.livemode, cur))
                .or_default()
                .push(row);
        }
        for ((merchant, livemode, cur), rows) in groups {
            let currency = Currency::parse(&cur).map_err(|e| e.to_string())?;
            let net: i64 = rows
                .iter()
                .map(|r| r.data["net"].as_i64().unwrap_or(0))
                .sum();
            let mut unit = WriteUnit::default();
            let first = rows.first().map(|r| r.id.clone()).unwrap_or_default();
            if net != 0 {
                let entry = paygate_ledger::settle(
                    format!("settle:{first}"),
                    &merchant,
                    livemode,
                    currency,
                    net,
                    format!("settlement:{cutoff}"),
                )
                .map_err(|e| e.to_string())?;
                unit.ops.push(Op::Ledger(entry, now));
                report.entries += 1;
            }
            for r in &rows {
                let mut doc = r.data.clone();
                doc["status"] = "available".into();
                unit.ops.push(Op::UpdateObject {
                    id: r.id.clone(),
                    expected_version: r.version,
                    data: doc,
                    tag: Some("available".into()),
                    due: r.due,
                });
            }
            report.transactions += rows.len();
            store.commit(unit).await.map_err(|e| e.to_string())?;
        }
    }
}

/// Parses `YYYY-MM-DD` into the unix time of that day's start (UTC).
pub fn parse_date(s: &str) -> Result<i64, String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).map_err(|e| format!("--date must be YYYY-MM-DD: {e}"))?;
    Ok(d.midnight().assume_utc().unix_timestamp())
}
