//! The event feed (`GET /v1/events/stream`): a merchant's events in an order that later
//! commits never go back behind, so a reader that resumes after the last event it got misses
//! none.
//!
//! Record numbers (`seq`) are handed out when a row is inserted, not when its transaction
//! commits. SQLite has one writer, so its transactions commit in `seq` order and the feed reads
//! by `seq`. PostgreSQL commits concurrent transactions in any order: a reader that has passed
//! `seq` N+1 would never see N committing after it. There each row carries the id of the
//! transaction that wrote it (`commit_xid`, schema version 4) and the feed:
//!
//! * orders by `(commit_xid, seq)`;
//! * returns only rows whose transaction is below the reading snapshot's xmin (the oldest
//!   transaction still running): every transaction that can still commit has an id at or
//!   above it, so every row committed later sorts after every row returned now.
//!
//! The cursor stays an event id: its `(commit_xid, seq)` is looked up in the same statement.
//! A transaction left open anywhere on the server holds the feed back (not other reads) until
//! it ends.

use super::reads::{OBJECT_COLUMNS, cursor_seq, object_from, push_filter, sql_limit};
use crate::error::StoreError;
use crate::limits::LIST_LIMIT_MAX;
use crate::sql::{Dialect, Exec, ExecSql, Param, Sql, SqlBuilder, params};
use crate::types::{ListFilter, ObjectRow, Scope};

/// Rows no running transaction can precede (PostgreSQL; see the module doc).
const PG_SETTLED: &str = " AND commit_xid < pg_snapshot_xmin(pg_current_snapshot())";

/// The id of the last event in feed order: where a feed that starts "from now on" starts.
static FEED_END: Sql = Sql::split(
    "SELECT id FROM objects WHERE merchant_id = $1 AND livemode = $2 AND kind = 'event' \
     AND commit_xid < pg_snapshot_xmin(pg_current_snapshot()) \
     ORDER BY commit_xid DESC, seq DESC LIMIT 1",
    "SELECT id FROM objects WHERE merchant_id = $1 AND livemode = $2 AND kind = 'event' \
     ORDER BY seq DESC LIMIT 1",
);

/// Up to `limit` (1..=100) events of `scope` matching every filter, oldest first in feed
/// order, after the event `after` (`None`: from the first). An `after` that is not an event
/// of `scope` is [`StoreError::InvalidCursor`] naming `starting_after`.
pub(crate) async fn events_after<E: Exec>(
    e: &mut E,
    scope: &Scope,
    after: Option<&str>,
    filters: &[ListFilter],
    limit: usize,
) -> Result<Vec<ObjectRow>, StoreError> {
    let cursor = match after {
        Some(id) => Some(cursor_seq(e, scope, "event", id, "starting_after").await?),
        None => None,
    };
    let dialect = e.dialect();
    let mut b = SqlBuilder::new(&format!("SELECT {OBJECT_COLUMNS} FROM objects WHERE "));
    b.push("merchant_id = ?", Param::from(&scope.merchant_id))
        .push(" AND livemode = ?", Param::Bool(scope.livemode))
        .raw(" AND kind = 'event'");
    for f in filters {
        push_filter(&mut b, f, dialect)?;
    }
    match dialect {
        Dialect::Sqlite => {
            if let Some(seq) = cursor {
                b.push(" AND seq > ?", Param::Int(seq));
            }
            b.raw(" ORDER BY seq");
        }
        Dialect::Postgres => {
            b.raw(PG_SETTLED);
            if let Some(seq) = cursor {
                b.push(
                    " AND (commit_xid, seq) > (SELECT commit_xid, seq FROM objects WHERE seq = ?)",
                    Param::Int(seq),
                );
            }
            b.raw(" ORDER BY commit_xid, seq");
        }
    }
    b.push(
        " LIMIT ?",
        Param::Int(sql_limit(limit.clamp(1, LIST_LIMIT_MAX))),
    );
    let (text, params) = b.finish(dialect);
    e.query(&text, &params)
        .await?
        .into_iter()
        .map(object_from)
        .collect()
}

/// The last event of `scope` in feed order, if any.
pub(crate) async fn feed_end<E: Exec>(
    e: &mut E,
    scope: &Scope,
) -> Result<Option<String>, StoreError> {
    match e
        .first(&FEED_END, params![&scope.merchant_id, scope.livemode])
        .await?
    {
        Some(row) => Ok(Some(row.reader("objects").text()?)),
        None => Ok(None),
    }
}
