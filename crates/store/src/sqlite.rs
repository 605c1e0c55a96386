//! SQLite backend: one writer thread that group-commits, a small pool of reader connections.
//!
//! WAL mode lets readers run beside the writer; `synchronous = FULL` syncs the WAL at every
//! COMMIT, so a reply means the unit is on disk. Everything that writes (units and the outbox
//! tasks) goes through the writer thread, which is the only holder of the write connection;
//! another process on the same file serializes with it through `BEGIN IMMEDIATE` and
//! `busy_timeout`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::error::{CommitError, StoreError};
use crate::limits::{
    MAX_BATCH_UNITS, SQLITE_BUSY_TIMEOUT_MS, SQLITE_CHECKPOINT_INTERVAL_MS,
    SQLITE_READ_CONNECTIONS, SQLITE_STATEMENT_CACHE_MAX, SQLITE_WRITER_CHECKPOINT_PAGES,
    WRITE_QUEUE_MAX_UNITS,
};
use crate::logic::batch;
use crate::logic::prepare::{Done, PreparedUnit, Reply};
use crate::migrate;
use crate::sql::{Dialect, Exec, Param, Row, TxMode, Value, block_ready};
use crate::stats::WriteStats;

/// Page cache of each connection (negative = KiB, SQLite's convention).
const SQLITE_CACHE_KIB: i64 = 32 * 1024;

/// Work that runs on the writer thread with its connection.
type WriterTask = Box<dyn FnOnce(&Connection) + Send>;

/// Work for the writer thread.
enum WriteMsg {
    Unit {
        unit: PreparedUnit,
        reply: oneshot::Sender<Done>,
    },
    /// Runs alone, in its own transaction, after the batch it was drained with.
    Task(WriterTask),
    /// Stop accepting work; finish what is queued.
    Close,
}

pub(crate) struct SqliteBackend {
    queue: mpsc::Sender<WriteMsg>,
    writer: Mutex<Option<JoinHandle<()>>>,
    checkpointer: Mutex<Option<Checkpointer>>,
    readers: Arc<ReaderPool>,
    pub(crate) stats: Arc<WriteStats>,
}

impl SqliteBackend {
    pub(crate) fn open(path: &Path) -> Result<SqliteBackend, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let conn = Connection::open(path)?;
        configure_writer(&conn)?;
        migrate::sqlite(&conn)?;
        let (queue, rx) = mpsc::channel(WRITE_QUEUE_MAX_UNITS);
        let stats = Arc::new(WriteStats::default());
        let writer_stats = Arc::clone(&stats);
        let writer = std::thread::Builder::new()
            .name("paygate-store-writer".into())
            .spawn(move || writer_loop(conn, rx, &writer_stats))?;
        let checkpointer = Checkpointer::start(path)?;
        let readers = Arc::new(ReaderPool {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(SQLITE_READ_CONNECTIONS)),
        });
        Ok(SqliteBackend {
            queue,
            writer: Mutex::new(Some(writer)),
            checkpointer: Mutex::new(Some(checkpointer)),
            readers,
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

    /// Runs `f` on the writer thread inside its own write transaction.
    pub(crate) async fn write_task<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteExec<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let task = move |conn: &Connection| {
            let mut e = SqliteExec { conn };
            let _ = reply.send(in_write_tx(&mut e, f));
        };
        self.queue
            .send(WriteMsg::Task(Box::new(task)))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on a reader connection on a blocking thread.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteExec<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        self.readers.run(f).await
    }

    /// Finishes the queued work, stops the writer thread and closes the readers.
    pub(crate) async fn close(&self) {
        self.readers.permits.close();
        let checkpointer = self.checkpointer.lock().ok().and_then(|mut c| c.take());
        if let Some(checkpointer) = checkpointer {
            let _ = tokio::task::spawn_blocking(move || checkpointer.stop()).await;
        }
        let _ = self.queue.send(WriteMsg::Close).await;
        let handle = self.writer.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
        }
        if let Ok(mut idle) = self.readers.idle.lock() {
            idle.clear();
        }
    }
}

fn in_write_tx<T>(
    e: &mut SqliteExec<'_>,
    f: impl FnOnce(&mut SqliteExec<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    block_ready(e.begin(TxMode::Write))?;
    match f(e) {
        Ok(value) => {
            block_ready(e.commit())?;
            Ok(value)
        }
        Err(err) => {
            let _ = block_ready(e.rollback());
            Err(err)
        }
    }
}

fn configure_writer(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS))?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Config(format!(
            "sqlite: journal_mode is {mode}, WAL is required"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", -SQLITE_CACHE_KIB)?;
    // Each unit's savepoint copies the pages it changes to a sub-journal; kept in memory
    // that is a memcpy, on disk it was a write system call per page.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "wal_autocheckpoint", SQLITE_WRITER_CHECKPOINT_PAGES)?;
    conn.set_prepared_statement_cache_capacity(SQLITE_STATEMENT_CACHE_MAX);
    Ok(())
}

/// A thread that checkpoints the WAL every [`SQLITE_CHECKPOINT_INTERVAL_MS`] on its own
/// connection. A PASSIVE checkpoint never waits for the writer, so the writer's commits no
/// longer pay for copying pages and syncing the database file.
struct Checkpointer {
    stop: std::sync::mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Checkpointer {
    fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS))?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let interval = Duration::from_millis(SQLITE_CHECKPOINT_INTERVAL_MS);
        let thread = std::thread::Builder::new()
            .name("paygate-store-checkpoint".into())
            .spawn(move || {
                // Runs until told to stop or the store is dropped (the sender goes away).
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(interval)
                {
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!(error = %e, "sqlite background checkpoint failed");
                    }
                }
            })?;
        Ok(Checkpointer { stop, thread })
    }

    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

/// Drains up to [`MAX_BATCH_UNITS`] units per transaction until every sender is gone or the
/// store is closed and the queue is empty.
fn writer_loop(conn: Connection, mut rx: mpsc::Receiver<WriteMsg>, stats: &WriteStats) {
    let mut units = Vec::with_capacity(MAX_BATCH_UNITS);
    let mut tasks: Vec<WriterTask> = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                WriteMsg::Unit { unit, reply } => units.push((unit, reply)),
                WriteMsg::Task(task) => tasks.push(task),
                WriteMsg::Close => rx.close(),
            }
            if units.len() < MAX_BATCH_UNITS {
                next = rx.try_recv().ok();
            }
        }
        if !units.is_empty() {
            // A panic in one batch must not take the writer (and every later commit) down:
            // its units' reply senders are dropped, so their callers see `Closed`.
            survive(&conn, "group commit", || {
                commit_batch(&conn, &mut units, stats)
            });
            units.clear();
        }
        for task in tasks.drain(..) {
            survive(&conn, "write task", || task(&conn));
        }
    }
    // Dropping the connection checkpoints the WAL when it is the last one.
    drop(conn);
}

/// Runs `f`, and after a panic rolls back whatever transaction it left open.
fn survive(conn: &Connection, what: &str, f: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err() {
        tracing::error!(what, "sqlite writer recovered from a panic");
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
}

fn commit_batch(
    conn: &Connection,
    units: &mut Vec<(PreparedUnit, oneshot::Sender<Done>)>,
    stats: &WriteStats,
) {
    let refs: Vec<&PreparedUnit> = units.iter().map(|(u, _)| u).collect();
    let mut e = SqliteExec { conn };
    let outcome = block_ready(batch::run(&mut e, &refs));
    stats.record(units.len(), outcome.as_ref().ok().map(|c| c.careful));
    match outcome {
        Ok(committed) => {
            for ((unit, reply), result) in units.drain(..).zip(committed.results) {
                let _ = reply.send((result, unit));
            }
        }
        Err(err) => {
            let reason = err.to_string();
            if let Some(repeated) = crate::health::GROUP_COMMIT_LOG.check(&reason) {
                tracing::warn!(error = %reason, units = units.len(), repeated, "sqlite group commit failed");
            }
            for (unit, reply) in units.drain(..) {
                let _ = reply.send((Err(CommitError::Store(err.clone())), unit));
            }
        }
    }
}

/// Read connections, opened lazily, one per concurrent read.
struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl ReaderPool {
    async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteExec<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Closed)?;
        let pool = Arc::clone(self);
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = match pool.idle.lock().ok().and_then(|mut idle| idle.pop()) {
                Some(conn) => conn,
                None => open_reader(&pool.path)?,
            };
            let result = f(&mut SqliteExec { conn: &conn });
            // A read transaction left open would pin an old snapshot for the next user.
            if (conn.is_autocommit() || conn.execute_batch("ROLLBACK").is_ok())
                && let Ok(mut idle) = pool.idle.lock()
            {
                idle.push(conn);
            }
            result
        })
        .await;
        joined.map_err(|e| StoreError::Internal(format!("sqlite reader task: {e}")))?
    }
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS))?;
    // Read-write open (WAL readers need the shared-memory file) but refuses writes.
    conn.pragma_update(None, "query_only", "ON")?;
    conn.pragma_update(None, "cache_size", -SQLITE_CACHE_KIB)?;
    conn.set_prepared_statement_cache_capacity(SQLITE_STATEMENT_CACHE_MAX);
    Ok(conn)
}

/// [`Exec`] over a borrowed SQLite connection; every future completes on first poll.
pub(crate) struct SqliteExec<'c> {
    conn: &'c Connection,
}

impl SqliteExec<'_> {
    fn execute_now(&self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let n = stmt.execute(rusqlite::params_from_iter(params.iter()))?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    fn query_now(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(value_of(row.get_ref(i)?, i)?);
            }
            out.push(Row(values));
        }
        Ok(out)
    }
}

fn value_of(v: rusqlite::types::ValueRef<'_>, column: usize) -> Result<Value, StoreError> {
    use rusqlite::types::ValueRef;
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => {
            return Err(StoreError::Corrupt(format!(
                "column {column}: unexpected real {f}"
            )));
        }
        ValueRef::Text(t) => Value::Text(
            String::from_utf8(t.to_vec())
                .map_err(|_| StoreError::Corrupt(format!("column {column}: text is not UTF-8")))?,
        ),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    })
}

impl Exec for SqliteExec<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        self.execute_now(sql, params)
    }

    async fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        self.query_now(sql, params)
    }

    async fn pipeline(
        &mut self,
        statements: &[(&str, &[Param<'_>])],
    ) -> Result<Vec<Result<u64, StoreError>>, StoreError> {
        Ok(statements
            .iter()
            .map(|(sql, params)| self.execute_now(sql, params))
            .collect())
    }

    // In-process calls: there is no round trip to save.
    fn pipelines(&self) -> bool {
        false
    }

    async fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch(sql)?)
    }

    async fn begin(&mut self, mode: TxMode) -> Result<(), StoreError> {
        let sql = match mode {
            TxMode::Write => "BEGIN IMMEDIATE",
            TxMode::ReadSnapshot => "BEGIN DEFERRED",
        };
        Ok(self.conn.execute_batch(sql)?)
    }

    async fn commit(&mut self) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    async fn rollback(&mut self) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch("ROLLBACK")?)
    }
}
