//! Every bound the store enforces, with its unit in the name.

/// Write units that may wait in the queue of a backend; `commit` waits for room beyond this.
pub const WRITE_QUEUE_MAX_UNITS: usize = 4096;
/// Units group-committed in one SQLite transaction.
pub const MAX_BATCH_UNITS: usize = 512;
/// Units group-committed in one PostgreSQL transaction. Each unit runs in its own savepoint
/// (a subtransaction); PostgreSQL caches 64 subtransaction ids per backend and slows every
/// snapshot in the cluster down once one transaction has more, so batches stay below that.
pub const PG_MAX_BATCH_UNITS: usize = 60;
/// Operations in one write unit.
pub const MAX_OPS_PER_UNIT: usize = 64;
/// Read-only SQLite connections in the reader pool.
pub const SQLITE_READ_CONNECTIONS: usize = 4;
/// How long a SQLite connection waits for a lock held by another process.
pub const SQLITE_BUSY_TIMEOUT_MS: u64 = 5_000;
/// Pause between background WAL checkpoints (copying committed pages into the database
/// file), which keeps that work and its fsync off the writer thread.
pub const SQLITE_CHECKPOINT_INTERVAL_MS: u64 = 250;
/// WAL size (in 4 KiB pages) at which the writer checkpoints by itself, should the background
/// checkpointer fall behind.
pub const SQLITE_WRITER_CHECKPOINT_PAGES: u32 = 16_384;
/// Prepared statements kept per SQLite connection.
pub const SQLITE_STATEMENT_CACHE_MAX: usize = 128;
/// PostgreSQL connections that run group commits (in addition to the pool).
pub const PG_WRITE_CONNECTIONS: usize = 2;
/// Largest `pool_size` accepted for the PostgreSQL read/task pool.
pub const PG_POOL_MAX_CONNECTIONS: usize = 64;
/// Time allowed to open one PostgreSQL connection.
pub const PG_CONNECT_TIMEOUT_MS: u64 = 5_000;
/// Pause before a write connection reconnects after losing the server.
pub const PG_RECONNECT_BACKOFF_MS: u64 = 200;
/// Times a batch or unit is re-run after a deadlock or serialization failure.
pub const RETRY_MAX_ATTEMPTS: usize = 3;
/// Page size bound of `list_objects` and other lists.
pub const LIST_LIMIT_MAX: usize = 100;
/// Rows returned by `list_due`, `vault_cards_not_under`, `list_delivery_attempts`.
pub const SCAN_LIMIT_MAX: usize = 1_000;
/// Pending events fanned out by one `dispatch_events` call.
pub const DISPATCH_LIMIT_MAX: usize = 1_000;
/// Webhook endpoints considered per merchant and mode when fanning out an event.
pub const ENDPOINTS_PER_MERCHANT_MAX: usize = 100;
/// Deliveries claimed by one `claim_deliveries` call.
pub const CLAIM_LIMIT_MAX: usize = 1_000;
/// Idempotency rows deleted per transaction by `prune_idempotency` (keeps the writer
/// available to payments between chunks).
pub const PRUNE_CHUNK_ROWS: usize = 5_000;
/// Problems listed by `ledger_verify` before it stops collecting.
pub const LEDGER_VERIFY_PROBLEMS_MAX: usize = 1_000;
