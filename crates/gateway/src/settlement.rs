//! Settlement (D+N): balance transactions whose `available_on` has come move from the
//! merchant's pending to available balance, one balanced ledger entry per merchant, mode and
//! currency, in the same transaction as the status change of the balance transactions.
//!
//! A payment on day D of a D+N merchant is `available_on` 00:00 UTC of day D+N. Settling day X
//! moves everything available on or before 00:00 UTC of X, so settling today moves exactly what
//! has become available at today's start (what the daily job in `serve` does); a day after
//! today has not begun, and settling it would pay out money early: [`settle_day`] refuses it.

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

/// The day an operator asked to settle (`YYYY-MM-DD`, UTC; default today) as the unix time of
/// its start, refusing a day that has not begun at `now`.
pub fn settle_day(date: Option<&str>, now: i64) -> Result<i64, String> {
    let today = day_plus(now, 0);
    let Some(date) = date else {
        return Ok(today);
    };
    let day = parse_date(date)?;
    if day > today {
        return Err(format!(
            "--date {date} is in the future: settlement moves only balances whose D+N day has \
             begun (today is {}, UTC); nothing was settled",
            format_date(today)
        ));
    }
    Ok(day)
}

/// The start of a UTC day (unix seconds) as `YYYY-MM-DD`.
pub fn format_date(day_start: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::OffsetDateTime::from_unix_timestamp(day_start)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| day_start.to_string())
}

/// Parses `YYYY-MM-DD` into the unix time of that day's start (UTC).
pub fn parse_date(s: &str) -> Result<i64, String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).map_err(|e| format!("--date must be YYYY-MM-DD: {e}"))?;
    Ok(d.midnight().assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_and_past_days_settle_and_tomorrow_is_refused() {
        let now = parse_date("2026-03-10").unwrap() + 3_600;
        assert_eq!(settle_day(None, now), parse_date("2026-03-10"));
        assert_eq!(
            settle_day(Some("2026-03-10"), now),
            parse_date("2026-03-10")
        );
        assert_eq!(
            settle_day(Some("2026-01-31"), now),
            parse_date("2026-01-31")
        );
        let e = settle_day(Some("2026-03-11"), now).unwrap_err();
        assert!(
            e.contains("in the future") && e.contains("2026-03-10"),
            "{e}"
        );
        assert_eq!(format_date(parse_date("2026-03-10").unwrap()), "2026-03-10");
    }
}
