//! The one SQL dialect both backends speak, and the small executor interface the shared
//! operation code runs on.
//!
//! Statements are written once with PostgreSQL placeholders (`$1`); SQLite gets the same text
//! with `?1` (which SQLite binds by number, so a placeholder may repeat or appear out of
//! order). The few statements that must differ (`FOR UPDATE SKIP LOCKED`) are [`Sql::split`].

use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use crate::error::StoreError;

/// Which SQL engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A static statement with its text for each dialect.
pub(crate) struct Sql {
    pg: &'static str,
    sqlite_source: &'static str,
    sqlite: OnceLock<String>,
}

impl Sql {
    /// The same statement for both engines.
    pub(crate) const fn new(text: &'static str) -> Sql {
        Sql {
            pg: text,
            sqlite_source: text,
            sqlite: OnceLock::new(),
        }
    }

    /// Different text per engine; both use `$n` placeholders.
    pub(crate) const fn split(pg: &'static str, sqlite: &'static str) -> Sql {
        Sql {
            pg,
            sqlite_source: sqlite,
            sqlite: OnceLock::new(),
        }
    }

    /// The text for `dialect`.
    pub(crate) fn text(&self, dialect: Dialect) -> &str {
        match dialect {
            Dialect::Postgres => self.pg,
            Dialect::Sqlite => self
                .sqlite
                .get_or_init(|| to_dialect(self.sqlite_source, Dialect::Sqlite)),
        }
    }
}

/// Rewrites `$n` placeholders to `?n` for SQLite; PostgreSQL text is returned unchanged.
/// Our statements contain no `$` inside string literals.
pub(crate) fn to_dialect(sql: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Postgres => sql.to_owned(),
        Dialect::Sqlite => {
            let mut out = String::with_capacity(sql.len());
            let mut chars = sql.chars().peekable();
            while let Some(c) = chars.next() {
                let next_is_digit = chars.peek().is_some_and(char::is_ascii_digit);
                out.push(if c == '$' && next_is_digit { '?' } else { c });
            }
            out
        }
    }
}

/// A bound parameter (borrowed from the operation being applied).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Param<'a> {
    Null,
    Int(i64),
    Bool(bool),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl From<i64> for Param<'_> {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<bool> for Param<'_> {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}
impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Text(v)
    }
}
impl<'a> From<&'a String> for Param<'a> {
    fn from(v: &'a String) -> Self {
        Param::Text(v)
    }
}
impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(v: &'a [u8]) -> Self {
        Param::Blob(v)
    }
}
impl<'a> From<&'a Vec<u8>> for Param<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Param::Blob(v)
    }
}
impl From<Option<i64>> for Param<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Param::Null, Param::Int)
    }
}
impl<'a> From<&'a Option<String>> for Param<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_deref().map_or(Param::Null, Param::Text)
    }
}
impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Param::Null, Param::Text)
    }
}

/// `params![a, b]` builds a `&[Param]` from values convertible with `Param::from`.
macro_rules! params {
    ($($x:expr),* $(,)?) => { &[$($crate::sql::Param::from($x)),*][..] };
}
pub(crate) use params;

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match *self {
            Param::Null => ToSqlOutput::Owned(Value::Null),
            Param::Int(v) => ToSqlOutput::Owned(Value::Integer(v)),
            Param::Bool(v) => ToSqlOutput::Owned(Value::Integer(i64::from(v))),
            Param::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Param::Blob(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
        })
    }
}

impl tokio_postgres::types::ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Param::Null => Ok(tokio_postgres::types::IsNull::Yes),
            Param::Int(v) => v.to_sql(ty, out),
            Param::Bool(v) => v.to_sql(ty, out),
            Param::Text(v) => v.to_sql(ty, out),
            Param::Blob(v) => v.to_sql(ty, out),
        }
    }

    // The variant decides; `to_sql_checked` below asks the inner type.
    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    fn to_sql_checked(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Param::Null => Ok(tokio_postgres::types::IsNull::Yes),
            Param::Int(v) => v.to_sql_checked(ty, out),
            Param::Bool(v) => v.to_sql_checked(ty, out),
            Param::Text(v) => v.to_sql_checked(ty, out),
            Param::Blob(v) => v.to_sql_checked(ty, out),
        }
    }
}

/// A value read back from either engine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int(_) => "integer",
            Value::Bool(_) => "boolean",
            Value::Text(_) => "text",
            Value::Blob(_) => "blob",
        }
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    /// Reads the columns in order; `what` names the table for error messages.
    pub(crate) fn reader(self, what: &'static str) -> RowReader {
        RowReader {
            values: self.0.into_iter(),
            index: 0,
            what,
        }
    }
}

/// Takes a row's columns one by one, converting each or reporting [`StoreError::Corrupt`].
pub(crate) struct RowReader {
    values: std::vec::IntoIter<Value>,
    index: usize,
    what: &'static str,
}

impl RowReader {
    fn next(&mut self) -> Result<Value, StoreError> {
        self.index += 1;
        self.values
            .next()
            .ok_or_else(|| self.corrupt("missing column"))
    }

    fn corrupt(&self, detail: &str) -> StoreError {
        StoreError::Corrupt(format!("{} column {}: {detail}", self.what, self.index))
    }

    fn wrong(&self, expected: &str, found: &Value) -> StoreError {
        self.corrupt(&format!("expected {expected}, found {}", found.kind()))
    }

    pub(crate) fn text(&mut self) -> Result<String, StoreError> {
        match self.next()? {
            Value::Text(s) => Ok(s),
            other => Err(self.wrong("text", &other)),
        }
    }

    pub(crate) fn opt_text(&mut self) -> Result<Option<String>, StoreError> {
        match self.next()? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s)),
            other => Err(self.wrong("text or null", &other)),
        }
    }

    pub(crate) fn int(&mut self) -> Result<i64, StoreError> {
        match self.next()? {
            Value::Int(v) => Ok(v),
            other => Err(self.wrong("integer", &other)),
        }
    }

    pub(crate) fn opt_int(&mut self) -> Result<Option<i64>, StoreError> {
        match self.next()? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(v)),
            other => Err(self.wrong("integer or null", &other)),
        }
    }

    pub(crate) fn opt_u16(&mut self) -> Result<Option<u16>, StoreError> {
        match self.opt_int()? {
            None => Ok(None),
            Some(v) => u16::try_from(v)
                .map(Some)
                .map_err(|_| self.corrupt(&format!("{v} is not a u16"))),
        }
    }

    /// SQLite stores booleans as 0/1 integers, PostgreSQL as `BOOLEAN`.
    pub(crate) fn bool(&mut self) -> Result<bool, StoreError> {
        match self.next()? {
            Value::Bool(v) => Ok(v),
            Value::Int(0) => Ok(false),
            Value::Int(1) => Ok(true),
            other => Err(self.wrong("boolean", &other)),
        }
    }

    pub(crate) fn blob(&mut self) -> Result<Vec<u8>, StoreError> {
        match self.next()? {
            Value::Blob(v) => Ok(v),
            other => Err(self.wrong("blob", &other)),
        }
    }

    pub(crate) fn json(&mut self) -> Result<serde_json::Value, StoreError> {
        let text = self.text()?;
        serde_json::from_str(&text).map_err(|e| self.corrupt(&format!("invalid JSON: {e}")))
    }
}

/// How a transaction starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxMode {
    /// Takes the write lock at once (SQLite `BEGIN IMMEDIATE`), so it never fails half-way
    /// on a lock upgrade.
    Write,
    /// A consistent read-only snapshot across several queries.
    ReadSnapshot,
}

/// A connection the shared operation code runs on. SQLite implementations complete every
/// future on its first poll (see [`block_ready`]); PostgreSQL ones really wait.
pub(crate) trait Exec {
    fn dialect(&self) -> Dialect;

    /// Runs a statement; returns the number of rows changed.
    fn execute(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<u64, StoreError>>;

    /// Runs a statement that returns rows.
    fn query(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Vec<Row>, StoreError>>;

    /// Runs statements back to back without waiting for each answer where the engine allows
    /// (PostgreSQL pipelining); one answer (rows changed) per statement, in order. The outer
    /// error is a failure to send at all.
    fn pipeline(
        &mut self,
        statements: &[(&str, &[Param<'_>])],
    ) -> impl Future<Output = Result<Vec<Result<u64, StoreError>>, StoreError>>;

    /// Whether [`Exec::pipeline`] saves round trips (else it is a plain loop).
    fn pipelines(&self) -> bool;

    /// Runs one or more parameterless statements (transaction control).
    fn batch(&mut self, sql: &str) -> impl Future<Output = Result<(), StoreError>>;

    fn begin(&mut self, mode: TxMode) -> impl Future<Output = Result<(), StoreError>>;
    fn commit(&mut self) -> impl Future<Output = Result<(), StoreError>>;
    fn rollback(&mut self) -> impl Future<Output = Result<(), StoreError>>;
}

/// Static-statement helpers over [`Exec`].
pub(crate) trait ExecSql: Exec {
    async fn run(&mut self, sql: &'static Sql, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let text = sql.text(self.dialect());
        self.execute(text, params).await
    }

    async fn rows(
        &mut self,
        sql: &'static Sql,
        params: &[Param<'_>],
    ) -> Result<Vec<Row>, StoreError> {
        let text = sql.text(self.dialect());
        self.query(text, params).await
    }

    async fn first(
        &mut self,
        sql: &'static Sql,
        params: &[Param<'_>],
    ) -> Result<Option<Row>, StoreError> {
        Ok(self.rows(sql, params).await?.into_iter().next())
    }
}

impl<E: Exec> ExecSql for E {}

/// Builds a statement whose WHERE clause depends on which filters are present (each shape is
/// still a small, bounded set of texts, so statement caches stay bounded).
pub(crate) struct SqlBuilder<'a> {
    text: String,
    params: Vec<Param<'a>>,
}

impl<'a> SqlBuilder<'a> {
    pub(crate) fn new(head: &str) -> Self {
        SqlBuilder {
            text: head.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends `fragment`, replacing its `?` with the next placeholder bound to `param`.
    pub(crate) fn push(&mut self, fragment: &str, param: Param<'a>) -> &mut Self {
        self.params.push(param);
        let placeholder = format!("${}", self.params.len());
        self.text.push_str(&fragment.replacen('?', &placeholder, 1));
        self
    }

    /// Appends `(p1, p2, ...)` with one placeholder per parameter (a VALUES row).
    pub(crate) fn push_row(&mut self, row: &[Param<'a>]) -> &mut Self {
        self.text.push('(');
        for (i, param) in row.iter().enumerate() {
            self.params.push(*param);
            let sep = if i == 0 { "" } else { ", " };
            self.text.push_str(&format!("{sep}${}", self.params.len()));
        }
        self.text.push(')');
        self
    }

    /// Appends text without parameters.
    pub(crate) fn raw(&mut self, fragment: &str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }

    pub(crate) fn finish(self, dialect: Dialect) -> (String, Vec<Param<'a>>) {
        (to_dialect(&self.text, dialect), self.params)
    }
}

/// Completes a future that never waits (the SQLite executor's) on the current thread.
pub(crate) fn block_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        // SQLite calls are synchronous: a pending future here is a bug in this crate.
        Poll::Pending => panic!("a SQLite store future was pending; SQLite executors never wait"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_placeholders_keep_their_numbers() {
        assert_eq!(
            to_dialect(
                "SELECT $1, $12 FROM t WHERE a = $1 AND b = '$'",
                Dialect::Sqlite
            ),
            "SELECT ?1, ?12 FROM t WHERE a = ?1 AND b = '$'"
        );
        assert_eq!(to_dialect("SELECT $1", Dialect::Postgres), "SELECT $1");
    }

    #[test]
    fn builder_numbers_parameters_in_order() {
        let mut b = SqlBuilder::new("SELECT 1 FROM t WHERE a = 1");
        b.push(" AND b = ?", Param::Int(1))
            .push(" AND c = ?", Param::Text("x"))
            .raw(" LIMIT 2");
        let (text, params) = b.finish(Dialect::Postgres);
        assert_eq!(
            text,
            "SELECT 1 FROM t WHERE a = 1 AND b = $1 AND c = $2 LIMIT 2"
        );
        assert_eq!(params.len(), 2);
    }

    #[test]
    fn reader_reports_the_column_that_is_wrong() {
        let row = Row(vec![Value::Text("a".into()), Value::Int(7)]);
        let mut r = row.reader("objects");
        assert_eq!(r.text().unwrap(), "a");
        let err = r.text().unwrap_err().to_string();
        assert!(
            err.contains("objects column 2") && err.contains("expected text"),
            "{err}"
        );
    }
}
