//! Ledger entries, postings and balances.
//!
//! An entry is written with its postings; balances change once per batch, after all units,
//! through [`BalanceDeltas`]: summed per account and applied in account-key order. Summing
//! turns many updates of a hot account (a merchant's pending balance) into one per batch, and
//! the fixed order means two PostgreSQL batches never wait on each other's balance rows in
//! opposite orders (no deadlock).

use std::collections::BTreeMap;

use std::sync::OnceLock;

use paygate_ledger::{Entry, POSTINGS_PER_ENTRY_MAX};

use super::OpError;
use super::prepare::PostingRow;
use crate::error::{ConflictKind, StoreError};
use crate::limits::LEDGER_VERIFY_PROBLEMS_MAX;
use crate::sql::{Dialect, Exec, ExecSql, Param, Sql, SqlBuilder, TxMode, params};
use crate::types::{LedgerReport, OpResult};

pub(crate) static INSERT_ENTRY: Sql = Sql::new(
    "INSERT INTO ledger_entries (id, kind, reference, created) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (id) DO NOTHING",
);
static ENTRY_HEAD: Sql = Sql::new("SELECT kind, reference FROM ledger_entries WHERE id = $1");
static ENTRY_POSTINGS: Sql =
    Sql::new("SELECT account_key, amount FROM ledger_postings WHERE entry_id = $1 ORDER BY idx");
static UPSERT_BALANCE: Sql = Sql::new(
    "INSERT INTO ledger_balances (account_key, currency, balance) VALUES ($1, $2, $3) \
     ON CONFLICT (account_key) DO UPDATE SET balance = ledger_balances.balance + excluded.balance",
);
static BALANCES_FROM: Sql = Sql::new(
    "SELECT account_key, balance FROM ledger_balances WHERE account_key >= $1 ORDER BY account_key LIMIT $2",
);
static BALANCES_BETWEEN: Sql = Sql::new(
    "SELECT account_key, balance FROM ledger_balances WHERE account_key >= $1 AND account_key < $2 \
     ORDER BY account_key LIMIT $3",
);
static COUNT_ENTRIES: Sql = Sql::new("SELECT COUNT(*) FROM ledger_entries");
static COUNT_ACCOUNTS: Sql = Sql::new("SELECT COUNT(*) FROM ledger_balances");
static UNBALANCED_ENTRIES: Sql = Sql::new(
    "SELECT entry_id, currency, CAST(SUM(amount) AS BIGINT) FROM ledger_postings \
     GROUP BY entry_id, currency HAVING SUM(amount) <> 0 ORDER BY entry_id, currency LIMIT $1",
);
static SHORT_ENTRIES: Sql = Sql::new(
    "SELECT e.id, COUNT(p.entry_id) FROM ledger_entries e LEFT JOIN ledger_postings p ON p.entry_id = e.id \
     GROUP BY e.id HAVING COUNT(p.entry_id) < 2 ORDER BY e.id LIMIT $1",
);
static WRONG_BALANCES: Sql = Sql::new(
    "SELECT b.account_key, b.balance, CAST(COALESCE(s.total, 0) AS BIGINT) FROM ledger_balances b \
     LEFT JOIN (SELECT account_key, SUM(amount) AS total FROM ledger_postings GROUP BY account_key) s \
     ON s.account_key = b.account_key WHERE b.balance <> COALESCE(s.total, 0) ORDER BY b.account_key LIMIT $1",
);
static MISSING_BALANCES: Sql = Sql::new(
    "SELECT p.account_key, CAST(SUM(p.amount) AS BIGINT) FROM ledger_postings p \
     LEFT JOIN ledger_balances b ON b.account_key = p.account_key WHERE b.account_key IS NULL \
     GROUP BY p.account_key ORDER BY p.account_key LIMIT $1",
);

/// Balance changes of a unit or a batch: account key -> (currency, sum of amounts).
#[derive(Debug, Default)]
pub(crate) struct BalanceDeltas {
    by_account: BTreeMap<String, (String, i64)>,
}

impl BalanceDeltas {
    pub(crate) fn add(
        &mut self,
        account_key: String,
        currency: String,
        amount: i64,
    ) -> Result<(), StoreError> {
        let slot = self.by_account.entry(account_key).or_insert((currency, 0));
        slot.1 = slot.1.checked_add(amount).ok_or_else(|| {
            StoreError::InvalidUnit("ledger: balance change overflows i64 minor units".to_owned())
        })?;
        Ok(())
    }

    /// Adds a finished unit's changes to the batch's; on overflow nothing is added.
    pub(crate) fn merge(&mut self, unit: BalanceDeltas) -> Result<(), StoreError> {
        let fits = unit.by_account.iter().all(|(key, (_, amount))| {
            self.by_account
                .get(key)
                .is_none_or(|(_, sum)| sum.checked_add(*amount).is_some())
        });
        if !fits {
            return Err(StoreError::InvalidUnit(
                "ledger: balance change overflows i64 minor units".to_owned(),
            ));
        }
        for (key, (currency, amount)) in unit.by_account {
            self.add(key, currency, amount)?;
        }
        Ok(())
    }

    /// Writes the changes, in account-key order. An account whose changes cancel out still
    /// gets its balance row (ledger_verify expects one for every account with postings).
    pub(crate) async fn apply<E: Exec>(self, e: &mut E) -> Result<(), StoreError> {
        let sql = UPSERT_BALANCE.text(e.dialect());
        let upserts = self.upserts();
        let statements: Vec<(&str, &[Param<'_>])> = upserts.iter().map(|p| (sql, &p[..])).collect();
        for answer in e.pipeline(&statements).await? {
            answer?;
        }
        Ok(())
    }

    /// Parameters of one balance upsert per account, in key order.
    fn upserts(&self) -> Vec<[Param<'_>; 3]> {
        self.by_account
            .iter()
            .map(|(key, (currency, amount))| {
                [Param::from(key), Param::from(currency), Param::Int(*amount)]
            })
            .collect()
    }
}

/// Inserts an entry and its postings (`rows`, prepared from `entry`); balance changes go to
/// `deltas`.
pub(crate) async fn post_entry<E: Exec>(
    e: &mut E,
    entry: &Entry,
    rows: &[PostingRow],
    created: i64,
    deltas: &mut BalanceDeltas,
) -> Result<OpResult, OpError> {
    let head = params![&entry.id, entry.kind.as_str(), &entry.reference, created];
    if e.run(&INSERT_ENTRY, head).await? == 0 {
        return compare_existing(e, entry, rows).await;
    }
    let (sql, params) = postings_statement(e.dialect(), &entry.id, rows)?;
    e.execute(sql, &params).await?;
    for row in rows {
        deltas.add(row.account_key.clone(), row.currency.to_owned(), row.amount)?;
    }
    Ok(OpResult::Done)
}

const POSTING_COLUMNS: usize = 5;

/// The one INSERT of an entry's postings, with its parameters.
pub(crate) fn postings_statement<'a>(
    dialect: Dialect,
    entry_id: &'a str,
    rows: &'a [PostingRow],
) -> Result<(&'static str, Vec<Param<'a>>), StoreError> {
    let mut params = Vec::with_capacity(rows.len() * POSTING_COLUMNS);
    for (idx, row) in (0_i64..).zip(rows) {
        params.extend([
            Param::Text(entry_id),
            Param::Int(idx),
            Param::from(&row.account_key),
            Param::Text(row.currency),
            Param::Int(row.amount),
        ]);
    }
    Ok((insert_postings_sql(dialect, rows.len())?, params))
}

/// `INSERT INTO ledger_postings ... VALUES (...), (...)` for `count` postings, built once per
/// dialect and count.
fn insert_postings_sql(dialect: Dialect, count: usize) -> Result<&'static str, StoreError> {
    static CACHE: [[OnceLock<String>; POSTINGS_PER_ENTRY_MAX + 1]; 2] =
        [const { [const { OnceLock::new() }; POSTINGS_PER_ENTRY_MAX + 1] }; 2];
    let build = || {
        let mut b = SqlBuilder::new(
            "INSERT INTO ledger_postings (entry_id, idx, account_key, currency, amount) VALUES ",
        );
        for i in 0..count {
            b.raw(if i == 0 { "" } else { ", " });
            b.push_row(&[Param::Null; POSTING_COLUMNS]);
        }
        b.finish(dialect).0
    };
    let slot = match dialect {
        Dialect::Sqlite => 0,
        Dialect::Postgres => 1,
    };
    match CACHE[slot].get(count).filter(|_| count > 0) {
        Some(cell) => Ok(cell.get_or_init(build).as_str()),
        None => Err(StoreError::InvalidUnit(format!(
            "ledger: {count} postings, must be 1..={POSTINGS_PER_ENTRY_MAX}"
        ))),
    }
}

/// A repeated entry id: `Exists` when the stored entry is the same, else a conflict.
async fn compare_existing<E: Exec>(
    e: &mut E,
    entry: &Entry,
    rows: &[PostingRow],
) -> Result<OpResult, OpError> {
    let Some(head) = e.first(&ENTRY_HEAD, params![&entry.id]).await? else {
        return Err(StoreError::Corrupt(format!(
            "ledger entry {} vanished during insert",
            entry.id
        ))
        .into());
    };
    let mut head = head.reader("ledger_entries");
    let (kind, reference) = (head.text()?, head.text()?);
    let mut stored = Vec::new();
    for row in e.rows(&ENTRY_POSTINGS, params![&entry.id]).await? {
        let mut r = row.reader("ledger_postings");
        stored.push((r.text()?, r.int()?));
    }
    let mut wanted: Vec<(String, i64)> = rows
        .iter()
        .map(|r| (r.account_key.clone(), r.amount))
        .collect();
    stored.sort();
    wanted.sort();
    if kind == entry.kind.as_str() && reference == entry.reference && stored == wanted {
        Ok(OpResult::Exists)
    } else {
        Err(OpError::Conflict(ConflictKind::LedgerEntryDiffers))
    }
}

/// `(account_key, balance)` of every account whose key starts with `prefix`, by key.
pub(crate) async fn balances<E: Exec>(
    e: &mut E,
    prefix: &str,
    max_rows: usize,
) -> Result<Vec<(String, i64)>, StoreError> {
    let max_rows = i64::try_from(max_rows).unwrap_or(i64::MAX);
    let rows = match prefix_successor(prefix) {
        Some(upper) => {
            e.rows(&BALANCES_BETWEEN, params![prefix, upper.as_str(), max_rows])
                .await?
        }
        None => e.rows(&BALANCES_FROM, params![prefix, max_rows]).await?,
    };
    rows.into_iter()
        .map(|row| {
            let mut r = row.reader("ledger_balances");
            Ok((r.text()?, r.int()?))
        })
        .collect()
}

/// The smallest string greater than every string starting with `prefix` (in code-point order,
/// which is byte order for UTF-8 and the order of the key columns); `None` if there is none.
pub(crate) fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Checks every entry and balance inside one read snapshot.
pub(crate) async fn verify<E: Exec>(e: &mut E) -> Result<LedgerReport, StoreError> {
    e.begin(TxMode::ReadSnapshot).await?;
    let report = verify_in_snapshot(e).await;
    // Read-only: ending the snapshot either way changes nothing.
    let end = e.commit().await;
    let report = report?;
    end?;
    Ok(report)
}

async fn verify_in_snapshot<E: Exec>(e: &mut E) -> Result<LedgerReport, StoreError> {
    let max = i64::try_from(LEDGER_VERIFY_PROBLEMS_MAX).unwrap_or(i64::MAX);
    let mut problems = Vec::new();
    for row in e.rows(&UNBALANCED_ENTRIES, params![max]).await? {
        let mut r = row.reader("ledger_postings");
        let (id, currency, sum) = (r.text()?, r.text()?, r.int()?);
        problems.push(format!(
            "entry {id}: {currency} postings sum to {sum}, expected 0"
        ));
    }
    for row in e.rows(&SHORT_ENTRIES, params![max]).await? {
        let mut r = row.reader("ledger_entries");
        let (id, count) = (r.text()?, r.int()?);
        problems.push(format!(
            "entry {id}: has {count} postings, expected at least 2"
        ));
    }
    for row in e.rows(&WRONG_BALANCES, params![max]).await? {
        let mut r = row.reader("ledger_balances");
        let (key, actual, expected) = (r.text()?, r.int()?, r.int()?);
        problems.push(format!(
            "account {key}: balance {actual}, expected {expected} (sum of its postings)"
        ));
    }
    for row in e.rows(&MISSING_BALANCES, params![max]).await? {
        let mut r = row.reader("ledger_postings");
        let (key, expected) = (r.text()?, r.int()?);
        problems.push(format!(
            "account {key}: no balance row, expected {expected} (sum of its postings)"
        ));
    }
    problems.truncate(LEDGER_VERIFY_PROBLEMS_MAX);
    Ok(LedgerReport {
        entries: count(e, &COUNT_ENTRIES).await?,
        accounts: count(e, &COUNT_ACCOUNTS).await?,
        problems,
    })
}

async fn count<E: Exec>(e: &mut E, sql: &'static Sql) -> Result<u64, StoreError> {
    let Some(row) = e.first(sql, &[]).await? else {
        return Err(StoreError::Corrupt("COUNT(*) returned no row".into()));
    };
    let n = row.reader("count").int()?;
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("COUNT(*) returned {n}")))
}

#[cfg(test)]
mod tests {
    use super::prefix_successor;

    #[test]
    fn prefix_successor_bounds_exactly_the_keys_with_the_prefix() {
        assert_eq!(prefix_successor("m:acct_1:"), Some("m:acct_1;".to_owned()));
        assert_eq!(prefix_successor(""), None);
        assert_eq!(prefix_successor("a\u{10FFFF}"), Some("b".to_owned()));
        let (lower, upper) = ("m:acct_1:", prefix_successor("m:acct_1:").unwrap());
        let in_range = |k: &str| k >= lower && k < upper.as_str();
        assert!(in_range("m:acct_1:test:pending:krw"));
        assert!(!in_range("m:acct_10:test:pending:krw"));
        assert!(!in_range("m:acct_2:test:pending:krw"));
    }
}
