//! Persistence of the paygate gateway: one API over SQLite (embedded, the default) and
//! PostgreSQL.
//!
//! * **Writes** are [`WriteUnit`]s: lists of [`Op`]s applied atomically. Units from concurrent
//!   callers are *group-committed*: one transaction and one fsync for many units. A unit that
//!   conflicts leaves nothing behind while the others commit (a fast pass runs the units back
//!   to back, pipelined on PostgreSQL; if a unit fails after it has written, the batch runs
//!   again with a savepoint per unit; see `logic::batch`). [`Store::commit`] returns only
//!   once the transaction is durable.
//! * **Reads** go to a pool of connections (SQLite: read connections on WAL, run on blocking
//!   threads) and never wait for the writer.
//! * **Outbox**: [`Op::InsertEvent`] records an event with a pending row;
//!   [`Store::dispatch_events`] fans it out to webhook deliveries, which workers lease with
//!   [`Store::claim_deliveries`] and settle with [`Op::DeliveryResult`].
//!
//! Both backends run the same operation code (`logic`), written once against a small
//! executor interface; they differ in where it runs and in transaction plumbing.

mod commit;
pub mod delivery_schedule;
mod error;
mod health;
pub mod limits;
pub mod log_limit;
mod logic;
mod migrate;
mod pg_conn;
mod pg_tls;
mod postgres;
mod sql;
mod sqlite;
mod stats;
pub mod tls_files;
mod types;

use std::path::PathBuf;
use std::sync::Arc;
use tracing::Instrument;

pub use delivery_schedule::delivery_backoff_s;
pub use error::{CommitError, ConflictKind, StoreError};
pub use health::{FAULT_COMMIT_DELAY_MAX_MS, WriteFaultSettings, WriteFaults, WriteHealth};
pub use stats::{BATCH_UNITS_BOUNDS, StoreStats};
pub use types::{
    ApiKeyRow, AttemptLogRow, AttemptRow, DeliveryJob, EventRow, IdempotencyRow, LedgerReport,
    ListFilter, ListQuery, MerchantRow, ObjectRow, Op, OpResult, Page, Scope, VaultCardRow,
    WriteUnit,
};

use limits::{PRUNE_CHUNK_ROWS, SCAN_LIMIT_MAX};
use logic::prepare::{PreparedUnit, Reply};
use logic::{event_feed, ledger, reads, validate};
use postgres::PgBackend;
use sql::{Exec, TxMode, block_ready};
use sqlite::SqliteBackend;

/// Rows returned by `list_merchants`, `list_api_keys`, `attempts` and `ledger_balances`.
pub const ADMIN_LIST_MAX_ROWS: usize = 10_000;

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// An SQLite database file (created with its directory if missing).
    Sqlite {
        /// Database file.
        path: PathBuf,
    },
    /// A PostgreSQL database.
    Postgres {
        /// `postgres://user@host:port/db` or key=value form.
        url: String,
        /// Schema to use (created if missing; set as `search_path` on every connection).
        /// Tests use one fresh schema each.
        schema: Option<String>,
        /// Connections for reads and outbox work, 1..=`limits::PG_POOL_MAX_CONNECTIONS`.
        /// Group commits use `limits::PG_WRITE_CONNECTIONS` more.
        pool_size: usize,
    },
}

/// The gateway's store. Cheap to clone; dropping the last clone lets the writer finish the
/// queued units and stop. A `commit` whose future is dropped still runs.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Backend>,
    /// Whether commits reach storage, and the injected write faults.
    writes: Arc<health::Writes>,
    /// Read transactions run ([`StoreStats::reads`]).
    reads: Arc<std::sync::atomic::AtomicU64>,
}

enum Backend {
    Sqlite(SqliteBackend),
    Postgres(PgBackend),
}

/// Runs a read on the backend's read side. `$arg`s are the borrowed arguments the call uses;
/// SQLite gets owned copies because its reads run on a blocking thread.
macro_rules! on_reader {
    ($store:expr, [$($arg:ident),*], |$e:ident| $call:expr) => {{
        $store.reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match &*$store.inner {
            Backend::Sqlite(backend) => {
                $(let $arg = $arg.to_owned();)*
                backend.read(move |$e| block_ready($call)).await
            }
            Backend::Postgres(backend) => {
                let mut conn = backend.conn().await?;
                let $e = conn.get();
                // `$call` borrows its arguments for both arms; here they already are references.
                #[allow(clippy::needless_borrow)]
                let result = $call.await;
                result
            }
        }
    }};
}

/// Runs work that writes outside of units (outbox fan-out, claims, pruning) in its own write
/// transaction: on the SQLite writer thread, or on a pooled PostgreSQL connection.
macro_rules! on_writer {
    ($store:expr, [$($arg:ident),*], |$e:ident| $call:expr) => {
        match &*$store.inner {
            Backend::Sqlite(backend) => {
                $(let $arg = $arg.to_owned();)*
                backend.write_task(move |$e| block_ready($call)).await
            }
            Backend::Postgres(backend) => {
                let mut conn = backend.conn().await?;
                let $e = conn.get();
                $e.begin(TxMode::Write).await?;
                #[allow(clippy::needless_borrow)]
                let result = $call.await;
                postgres::finish($e, result).await
            }
        }
    };
}

// After the macros: the webhook outbox's methods of `Store` use them.
mod webhook_outbox;

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to date.
    pub async fn open(cfg: StoreConfig) -> Result<Store, StoreError> {
        let backend = match cfg {
            StoreConfig::Sqlite { path } => {
                let opened = tokio::task::spawn_blocking(move || SqliteBackend::open(&path)).await;
                Backend::Sqlite(
                    opened
                        .map_err(|e| StoreError::Internal(format!("sqlite open task: {e}")))??,
                )
            }
            StoreConfig::Postgres {
                url,
                schema,
                pool_size,
            } => Backend::Postgres(PgBackend::open(&url, schema, pool_size).await?),
        };
        Ok(Store {
            inner: Arc::new(backend),
            writes: Arc::default(),
            reads: Arc::default(),
        })
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match &*self.inner {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Group-commit and read counters since open.
    pub fn stats(&self) -> StoreStats {
        let writes = match &*self.inner {
            Backend::Sqlite(b) => b.stats.snapshot(),
            Backend::Postgres(b) => b.stats.snapshot(),
        };
        StoreStats {
            reads: self.reads.load(std::sync::atomic::Ordering::Relaxed),
            ..writes
        }
    }

    /// Finishes the queued units, then stops the writer and closes connections. Later calls
    /// on any clone return [`StoreError::Closed`].
    pub async fn close(&self) {
        match &*self.inner {
            Backend::Sqlite(b) => b.close().await,
            Backend::Postgres(b) => b.close().await,
        }
    }

    /// The object, if it exists in `scope` (another merchant's or mode's object is `None`).
    pub async fn get_object(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<ObjectRow>, StoreError> {
        on_reader!(self, [scope, id], |e| reads::get_object(e, &scope, &id))
    }

    /// The object with this id whatever its merchant and mode, for callers that prove their
    /// right to it by other means than an API key (a payer page checks the intent's
    /// `client_secret`). Everything answering a merchant uses [`Store::get_object`].
    pub async fn find_object(&self, id: &str) -> Result<Option<ObjectRow>, StoreError> {
        on_reader!(self, [id], |e| reads::find_object(e, &id))
    }

    /// One page of `q.kind` objects in `scope`, newest first. A cursor that names no object
    /// of this kind in this scope is [`StoreError::InvalidCursor`].
    pub async fn list_objects(&self, scope: &Scope, q: &ListQuery) -> Result<Page, StoreError> {
        on_reader!(self, [scope, q], |e| reads::list_objects(e, &scope, &q))
    }

    /// The event feed of `GET /v1/events/stream`: up to `limit` (1..=100) events of `scope`
    /// matching every filter, oldest first, after the event `after` (`None`: from the first).
    /// Its order is the commit order: an event committing later never comes before one already
    /// returned, so a reader that resumes after the last event it got misses none (on
    /// PostgreSQL an event waits until no transaction that began before it is still running;
    /// `logic::event_feed`). An `after` that is no event of `scope` is
    /// [`StoreError::InvalidCursor`].
    pub async fn event_feed(
        &self,
        scope: &Scope,
        after: Option<&str>,
        filters: &[ListFilter],
        limit: usize,
    ) -> Result<Vec<ObjectRow>, StoreError> {
        let after = after.map(str::to_owned);
        on_reader!(self, [scope, filters], |e| event_feed::events_after(
            e,
            &scope,
            after.as_deref(),
            &filters,
            limit
        ))
    }

    /// The last event of `scope` in [`Store::event_feed`] order: a feed that starts after it
    /// gets every event from now on.
    pub async fn event_feed_end(&self, scope: &Scope) -> Result<Option<String>, StoreError> {
        on_reader!(self, [scope], |e| event_feed::feed_end(e, &scope))
    }

    /// Objects of `kind` with `tag` due at or before `due_lte`, across merchants, earliest
    /// first (settlement and other timed work). `limit` is capped at `SCAN_LIMIT_MAX`.
    pub async fn list_due(
        &self,
        kind: &str,
        tag: &str,
        due_lte: i64,
        limit: usize,
    ) -> Result<Vec<ObjectRow>, StoreError> {
        let limit = limit.min(SCAN_LIMIT_MAX);
        on_reader!(self, [kind, tag], |e| reads::list_due(
            e, &kind, &tag, due_lte, limit
        ))
    }

    /// A merchant by id.
    pub async fn get_merchant(&self, id: &str) -> Result<Option<MerchantRow>, StoreError> {
        on_reader!(self, [id], |e| reads::get_merchant(e, &id))
    }

    /// Merchants by creation time, at most [`ADMIN_LIST_MAX_ROWS`].
    pub async fn list_merchants(&self) -> Result<Vec<MerchantRow>, StoreError> {
        on_reader!(self, [], |e| reads::list_merchants(e, ADMIN_LIST_MAX_ROWS))
    }

    /// The API key with this hash (revoked ones too: the caller checks `revoked_at`).
    pub async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRow>, StoreError> {
        on_reader!(self, [key_hash], |e| reads::find_api_key(e, &key_hash))
    }

    /// A merchant's API keys by creation time, at most [`ADMIN_LIST_MAX_ROWS`].
    pub async fn list_api_keys(&self, merchant_id: &str) -> Result<Vec<ApiKeyRow>, StoreError> {
        on_reader!(self, [merchant_id], |e| reads::list_api_keys(
            e,
            &merchant_id,
            ADMIN_LIST_MAX_ROWS
        ))
    }

    /// A recorded idempotency key.
    pub async fn idempotency_get(
        &self,
        scope: &Scope,
        key: &str,
    ) -> Result<Option<IdempotencyRow>, StoreError> {
        on_reader!(self, [scope, key], |e| reads::idempotency_get(
            e, &scope, &key
        ))
    }

    /// Deletes idempotency keys created before `created_before` (unix seconds), in chunks of
    /// `PRUNE_CHUNK_ROWS` per transaction; returns how many were deleted.
    pub async fn prune_idempotency(&self, created_before: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let deleted = on_writer!(self, [], |e| reads::prune_idempotency_chunk(
                e,
                created_before,
                PRUNE_CHUNK_ROWS
            ))?;
            total += deleted;
            if deleted < PRUNE_CHUNK_ROWS as u64 {
                return Ok(total);
            }
        }
    }

    /// Crash-recovery records, of one node or all, oldest first, at most
    /// [`ADMIN_LIST_MAX_ROWS`] (delete the resolved ones and ask again for more).
    pub async fn attempts(&self, owner_node: Option<&str>) -> Result<Vec<AttemptRow>, StoreError> {
        let owner_node = owner_node.map(str::to_owned);
        on_reader!(self, [owner_node], |e| reads::attempts(
            e,
            owner_node.as_deref(),
            ADMIN_LIST_MAX_ROWS
        ))
    }

    /// A vault card by id.
    pub async fn get_vault_card(&self, id: &str) -> Result<Option<VaultCardRow>, StoreError> {
        on_reader!(self, [id], |e| reads::get_vault_card(e, &id))
    }

    /// Cards whose data key is not wrapped under `kek_id` (re-wrap work), by id; `limit` is
    /// capped at `SCAN_LIMIT_MAX`.
    pub async fn vault_cards_not_under(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<VaultCardRow>, StoreError> {
        let limit = limit.min(SCAN_LIMIT_MAX);
        on_reader!(self, [kek_id], |e| reads::vault_cards_not_under(
            e, &kek_id, limit
        ))
    }

    /// `(account_key, balance)` for every account key starting with `account_prefix`, by key,
    /// at most [`ADMIN_LIST_MAX_ROWS`].
    pub async fn ledger_balances(
        &self,
        account_prefix: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        on_reader!(self, [account_prefix], |e| ledger::balances(
            e,
            &account_prefix,
            ADMIN_LIST_MAX_ROWS
        ))
    }

    /// Checks, in one snapshot, that every entry balances per currency and every balance row
    /// equals the sum of its postings; lists each offending entry or account.
    pub async fn ledger_verify(&self) -> Result<LedgerReport, StoreError> {
        on_reader!(self, [], |e| ledger::verify(e))
    }
}
