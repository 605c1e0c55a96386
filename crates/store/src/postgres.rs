//! PostgreSQL backend: batcher tasks that group-commit on their own connections, and a small
//! pool of connections for reads and outbox work.
//!
//! Several processes may share the database: units check versions in their WHERE clauses,
//! claims and outbox fan-out lock rows with `FOR UPDATE SKIP LOCKED`, and balance rows are
//! updated in key order at the end of each batch (see `logic::ledger`).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_postgres::types::{ToSql, Type};

use crate::error::{CommitError, StoreError};
use crate::limits::{
    PG_CONNECT_TIMEOUT_MS, PG_MAX_BATCH_UNITS, PG_POOL_MAX_CONNECTIONS, PG_RECONNECT_BACKOFF_MS,
    PG_WRITE_CONNECTIONS, WRITE_QUEUE_MAX_UNITS,
};
use crate::logic::batch;
use crate::logic::prepare::{Done, PreparedUnit, Reply};
use crate::migrate;
use crate::pg_conn::{PgConn, PgPool, PgSettings, Pooled};
use crate::pg_tls::{self, PgTls};
use crate::sql::{Dialect, Exec, Param, Row, TxMode, Value};
use crate::stats::WriteStats;

/// Longest schema name PostgreSQL keeps (NAMEDATALEN - 1).
const PG_SCHEMA_NAME_MAX_BYTES: usize = 63;

enum WriteMsg {
    Unit {
        unit: PreparedUnit,
        reply: oneshot::Sender<Done>,
    },
    /// Units that must be applied in this order (one `commit_many` call): one batcher takes
    /// them all, so they cannot be split across connections running concurrently.
    Ordered(Vec<(PreparedUnit, oneshot::Sender<Done>)>),
    Close,
}

pub(crate) struct PgBackend {
    queue: mpsc::Sender<WriteMsg>,
    batchers: Mutex<Vec<JoinHandle<()>>>,
    pool: Arc<PgPool>,
    pub(crate) stats: Arc<WriteStats>,
}

/// Schema names are spliced into `SET search_path`, so only plain identifiers pass.
fn check_schema(schema: &str) -> Result<(), StoreError> {
    let plain = schema
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let starts_well = schema
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    if plain && starts_well && schema.len() <= PG_SCHEMA_NAME_MAX_BYTES {
        Ok(())
    } else {
        Err(StoreError::Config(format!(
            "schema {schema:?}: must be 1..={PG_SCHEMA_NAME_MAX_BYTES} of [A-Za-z0-9_], not starting with a digit"
        )))
    }
}

impl PgBackend {
    pub(crate) async fn open(
        url: &str,
        schema: Option<String>,
        pool_size: usize,
    ) -> Result<PgBackend, StoreError> {
        if let Some(schema) = &schema {
            check_schema(schema)?;
        }
        if !(1..=PG_POOL_MAX_CONNECTIONS).contains(&pool_size) {
            return Err(StoreError::Config(format!(
                "pool_size: {pool_size}, must be 1..={PG_POOL_MAX_CONNECTIONS} (PG_POOL_MAX_CONNECTIONS)"
            )));
        }
        let (url, tls_params) = pg_tls::split_url(url);
        let mut config: tokio_postgres::Config = url.parse()?;
        config.connect_timeout(Duration::from_millis(PG_CONNECT_TIMEOUT_MS));
        let tls = PgTls::from_params(&tls_params, &mut config)?;
        let settings = Arc::new(PgSettings {
            config,
            tls,
            schema,
        });
        let first = PgConn::connect(&settings).await?;
        migrate::postgres(&first.client, settings.schema.as_deref()).await?;
        let pool = Arc::new(PgPool {
            settings: Arc::clone(&settings),
            idle: Mutex::new(vec![first]),
            permits: Arc::new(Semaphore::new(pool_size)),
        });
        let (queue, rx) = mpsc::channel(WRITE_QUEUE_MAX_UNITS);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let stats = Arc::new(WriteStats::default());
        let mut batchers = Vec::with_capacity(PG_WRITE_CONNECTIONS);
        for _ in 0..PG_WRITE_CONNECTIONS {
            let conn = PgConn::connect(&settings).await?;
            let shared = Shared {
                settings: Arc::clone(&settings),
                rx: Arc::clone(&rx),
                stats: Arc::clone(&stats),
            };
            batchers.push(tokio::spawn(batcher(shared, Some(conn))));
        }
        Ok(PgBackend {
            queue,
            batchers: Mutex::new(batchers),
            pool,
            stats,
        })
    }

    /// Queues a unit; the receiver resolves after the COMMIT that includes it.
    pub(crate) async fn submit(&self, unit: PreparedUnit) -> Result<Reply, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.queue
            .send(WriteMsg::Unit { unit, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        Ok(rx)
    }

    /// Queues units to be applied in order, by one batcher.
    pub(crate) async fn submit_ordered(
        &self,
        units: Vec<PreparedUnit>,
    ) -> Result<Vec<Reply>, StoreError> {
        let (queued, receivers) = units
            .into_iter()
            .map(|unit| {
                let (reply, rx) = oneshot::channel();
                ((unit, reply), rx)
            })
            .unzip();
        self.queue
            .send(WriteMsg::Ordered(queued))
            .await
            .map_err(|_| StoreError::Closed)?;
        Ok(receivers)
    }

    /// A pooled connection for reads and outbox transactions.
    pub(crate) async fn conn(&self) -> Result<Pooled, StoreError> {
        self.pool.get().await
    }

    /// Finishes the queued units, stops the batchers and closes the pool.
    pub(crate) async fn close(&self) {
        self.pool.permits.close();
        let _ = self.queue.send(WriteMsg::Close).await;
        let handles: Vec<_> = self
            .batchers
            .lock()
            .map(|mut b| b.drain(..).collect())
            .unwrap_or_default();
        for handle in handles {
            let _ = handle.await;
        }
        if let Ok(mut idle) = self.pool.idle.lock() {
            idle.clear();
        }
    }
}

/// Takes up to [`PG_MAX_BATCH_UNITS`] queued units and commits them on `conn`, until the
/// queue is closed and empty. Several batchers share the queue.
/// What every batcher of one store shares.
struct Shared {
    settings: Arc<PgSettings>,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<WriteMsg>>>,
    stats: Arc<WriteStats>,
}

async fn batcher(shared: Shared, mut conn: Option<PgConn>) {
    let mut units: Vec<(PreparedUnit, oneshot::Sender<Done>)> =
        Vec::with_capacity(PG_MAX_BATCH_UNITS);
    loop {
        {
            let mut rx = shared.rx.lock().await;
            let Some(first) = rx.recv().await else { break };
            let mut next = Some(first);
            while let Some(msg) = next.take() {
                match msg {
                    WriteMsg::Unit { unit, reply } => units.push((unit, reply)),
                    WriteMsg::Ordered(list) => units.extend(list),
                    WriteMsg::Close => rx.close(),
                }
                if units.len() < PG_MAX_BATCH_UNITS {
                    next = rx.try_recv().ok();
                }
            }
        }
        // An ordered list may be longer than one batch: its chunks go one after the other.
        while !units.is_empty() {
            let rest = units.split_off(units.len().min(PG_MAX_BATCH_UNITS));
            commit_batch(&shared, &mut conn, &mut units).await;
            units = rest;
        }
    }
}

async fn commit_batch(
    shared: &Shared,
    conn: &mut Option<PgConn>,
    units: &mut Vec<(PreparedUnit, oneshot::Sender<Done>)>,
) {
    let outcome = match connected(&shared.settings, conn).await {
        Ok(c) => {
            let refs: Vec<&PreparedUnit> = units.iter().map(|(u, _)| u).collect();
            batch::run(c, &refs).await
        }
        Err(err) => Err(err),
    };
    shared
        .stats
        .record(units.len(), outcome.as_ref().ok().map(|c| c.careful));
    if conn
        .as_ref()
        .is_some_and(|c| c.client.is_closed() || c.in_tx)
    {
        *conn = None;
    }
    match outcome {
        Ok(committed) => {
            for ((unit, reply), result) in units.drain(..).zip(committed.results) {
                let _ = reply.send((result, unit));
            }
        }
        Err(err) => {
            let reason = err.to_string();
            if let Some(repeated) = crate::health::GROUP_COMMIT_LOG.check(&reason) {
                tracing::warn!(error = %reason, units = units.len(), repeated, "postgres group commit failed");
            }
            for (unit, reply) in units.drain(..) {
                let _ = reply.send((Err(CommitError::Store(err.clone())), unit));
            }
        }
    }
}

/// The batcher's connection, reconnecting (after a short pause) if it was lost.
async fn connected<'a>(
    settings: &PgSettings,
    conn: &'a mut Option<PgConn>,
) -> Result<&'a mut PgConn, StoreError> {
    if conn.as_ref().is_some_and(|c| c.client.is_closed()) {
        *conn = None;
    }
    if conn.is_none() {
        match PgConn::connect(settings).await {
            Ok(c) => *conn = Some(c),
            Err(err) => {
                tokio::time::sleep(Duration::from_millis(PG_RECONNECT_BACKOFF_MS)).await;
                return Err(err);
            }
        }
    }
    conn.as_mut().ok_or(StoreError::Closed)
}

/// Polls `futures` together so that their requests go out back to back (tokio-postgres sends
/// a request when its future is first polled, in that order) and collects the answers in
/// order. Answers arrive in request order, so after the first round only the oldest
/// unfinished future needs polling: O(n) polls in all.
async fn join_in_order<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut answers: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut next = 0;
    let mut all_sent = false;
    std::future::poll_fn(|cx| {
        let mut i = next;
        while i < futures.len() {
            if answers[i].is_none() {
                match futures[i].as_mut().poll(cx) {
                    Poll::Ready(answer) => answers[i] = Some(answer),
                    Poll::Pending if all_sent => break,
                    Poll::Pending => {}
                }
            }
            i += 1;
        }
        all_sent = true;
        while next < answers.len() && answers[next].is_some() {
            next += 1;
        }
        if next == answers.len() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    answers.into_iter().flatten().collect()
}

fn as_sql<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

fn row_of(row: &tokio_postgres::Row) -> Result<Row, StoreError> {
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?
                .map_or(Value::Null, Value::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?
                .map_or(Value::Null, |v| Value::Int(i64::from(v)))
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?
                .map_or(Value::Null, Value::Bool)
        } else if *ty == Type::TEXT
            || *ty == Type::VARCHAR
            || *ty == Type::NAME
            || *ty == Type::BPCHAR
        {
            row.try_get::<_, Option<String>>(i)?
                .map_or(Value::Null, Value::Text)
        } else if *ty == Type::BYTEA {
            row.try_get::<_, Option<Vec<u8>>>(i)?
                .map_or(Value::Null, Value::Blob)
        } else {
            return Err(StoreError::Corrupt(format!(
                "column {}: unsupported type {ty}",
                column.name()
            )));
        };
        values.push(value);
    }
    Ok(Row(values))
}

impl Exec for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let stmt = self.statement(sql).await?;
        Ok(self.client.execute(&stmt, &as_sql(params)).await?)
    }

    async fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.statement(sql).await?;
        let rows = self.client.query(&stmt, &as_sql(params)).await?;
        rows.iter().map(row_of).collect()
    }

    async fn pipeline(
        &mut self,
        statements: &[(&str, &[Param<'_>])],
    ) -> Result<Vec<Result<u64, StoreError>>, StoreError> {
        let mut prepared = Vec::with_capacity(statements.len());
        for (sql, _) in statements {
            prepared.push(self.statement(sql).await?);
        }
        let params: Vec<Vec<&(dyn ToSql + Sync)>> =
            statements.iter().map(|(_, p)| as_sql(p)).collect();
        let client = &self.client;
        let pending = prepared
            .iter()
            .zip(&params)
            .map(|(stmt, p)| client.execute(stmt, p))
            .collect();
        let answers = join_in_order(pending).await;
        Ok(answers
            .into_iter()
            .map(|a| a.map_err(StoreError::from))
            .collect())
    }

    fn pipelines(&self) -> bool {
        true
    }

    async fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.client.batch_execute(sql).await?)
    }

    async fn begin(&mut self, mode: TxMode) -> Result<(), StoreError> {
        self.in_tx = true;
        let sql = match mode {
            TxMode::Write => "BEGIN",
            TxMode::ReadSnapshot => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        Ok(self.client.batch_execute(sql).await?)
    }

    async fn commit(&mut self) -> Result<(), StoreError> {
        self.client.batch_execute("COMMIT").await?;
        self.in_tx = false;
        Ok(())
    }

    async fn rollback(&mut self) -> Result<(), StoreError> {
        self.client.batch_execute("ROLLBACK").await?;
        self.in_tx = false;
        Ok(())
    }
}

/// Runs the rest of a pooled transaction's outcome: COMMIT on success, ROLLBACK otherwise.
pub(crate) async fn finish<T>(
    conn: &mut PgConn,
    result: Result<T, StoreError>,
) -> Result<T, StoreError> {
    match result {
        Ok(value) => {
            conn.commit().await?;
            Ok(value)
        }
        Err(err) => {
            let _ = conn.rollback().await;
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_schema;

    #[test]
    fn schema_names_must_be_plain_identifiers() {
        assert!(check_schema("paygate_test_1").is_ok());
        assert!(check_schema("1abc").is_err());
        assert!(check_schema("a\"; DROP TABLE x; --").is_err());
        assert!(check_schema("").is_err());
    }
}
