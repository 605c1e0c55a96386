//! Error types. Expected outcomes of a write (an id that already exists, a stale version) are
//! [`CommitError::Conflict`] with a [`ConflictKind`]; everything else is a [`StoreError`].

use std::sync::Arc;

/// A storage failure that is not an expected, per-operation outcome. Cheap to clone: when a
/// group commit fails, every unit in it receives the same error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The SQLite engine reported an error.
    #[error("sqlite: {0}")]
    Sqlite(Arc<rusqlite::Error>),
    /// The PostgreSQL server or client reported an error. Shown with its causes: tokio-postgres
    /// prints only its kind ("db error", "error performing TLS handshake") on its own.
    #[error("postgres: {}", with_causes(.0.as_ref()))]
    Postgres(Arc<tokio_postgres::Error>),
    /// A list cursor does not name an object of this list. The string is the name of the
    /// parameter that carried it: `"starting_after"` or `"ending_before"`.
    #[error("{0}: no such object in this list")]
    InvalidCursor(String),
    /// The store was closed ([`crate::Store::close`]) or its writer stopped.
    #[error("store is closed")]
    Closed,
    /// Data read back from the database does not have the expected shape.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// A write unit or argument breaks a rule checked before anything is written (for example a
    /// ledger entry whose postings do not balance, or a unit with too many operations).
    #[error("invalid write: {0}")]
    InvalidUnit(String),
    /// The store configuration is unusable (for example a schema name with odd characters).
    #[error("configuration: {0}")]
    Config(String),
    /// Creating the database directory or a similar filesystem step failed.
    #[error("io: {0}")]
    Io(Arc<std::io::Error>),
    /// A store thread or task failed (panicked); the message says which.
    #[error("internal: {0}")]
    Internal(String),
}

/// `error: cause: cause…`, the way an operator needs to read it.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(Arc::new(e))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Postgres(Arc::new(e))
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(Arc::new(e))
    }
}

impl StoreError {
    /// Whether running the same work again may succeed: a PostgreSQL deadlock victim or
    /// serialization failure.
    pub fn is_retryable(&self) -> bool {
        use tokio_postgres::error::SqlState;
        match self {
            StoreError::Postgres(e) => {
                matches!(e.code(), Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE)
            }
            _ => false,
        }
    }
}

impl StoreError {
    /// Whether a failed commit may nevertheless have been applied: PostgreSQL's connection
    /// broke without the server answering (it may have committed before the answer was lost).
    /// An error the server answered with, every SQLite error (a commit there either returns
    /// `SQLITE_DONE` or rolls back) and a write refused before it was sent are definite.
    pub fn may_have_committed(&self) -> bool {
        match self {
            StoreError::Postgres(e) => e.as_db_error().is_none(),
            _ => false,
        }
    }

    /// Whether the storage itself cannot take writes right now — disk full, I/O error,
    /// read-only or locked database file, PostgreSQL unreachable, shutting down or out of
    /// space, the store closed — as opposed to a bad unit or a bug: what the gateway answers
    /// `503` with `Retry-After` and reports as not ready.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Sqlite(e) => sqlite_unavailable(e),
            StoreError::Postgres(e) => postgres_unavailable(e),
            StoreError::Io(_) | StoreError::Closed => true,
            StoreError::InvalidCursor(_)
            | StoreError::Corrupt(_)
            | StoreError::InvalidUnit(_)
            | StoreError::Config(_)
            | StoreError::Internal(_) => false,
        }
    }
}

fn sqlite_unavailable(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode as C;
    matches!(
        e.sqlite_error_code(),
        Some(
            C::DiskFull
                | C::SystemIoFailure
                | C::ReadOnly
                | C::CannotOpen
                | C::DatabaseBusy
                | C::DatabaseLocked
                | C::OutOfMemory
                | C::FileLockingProtocolFailed
        )
    )
}

fn postgres_unavailable(e: &tokio_postgres::Error) -> bool {
    let Some(code) = e.code() else {
        // No SQLSTATE: the connection failed or closed, not the statement.
        return true;
    };
    let class = code.code().get(..2).unwrap_or_default();
    // 08 connection exception, 53 insufficient resources (disk full), 57P0x shutting down
    // or not accepting connections, 25006 read-only transaction (a standby).
    matches!(class, "08" | "53") || code.code().starts_with("57P") || code.code() == "25006"
}

/// Why one operation of a unit could not be applied; the whole unit was rolled back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// An object, merchant, API key, vault card or event with this id already exists.
    ObjectExists,
    /// The row's version (or a vault card's key id) is not the expected one.
    VersionMismatch,
    /// The idempotency key is already recorded for this scope.
    IdempotencyKeyExists,
    /// A ledger entry with this id exists with different kind, reference or postings.
    LedgerEntryDiffers,
    /// The row to update does not exist.
    NotFound,
}

impl ConflictKind {
    /// Stable machine-readable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::ObjectExists => "object_exists",
            ConflictKind::VersionMismatch => "version_mismatch",
            ConflictKind::IdempotencyKeyExists => "idempotency_key_exists",
            ConflictKind::LedgerEntryDiffers => "ledger_entry_differs",
            ConflictKind::NotFound => "not_found",
        }
    }
}

/// Outcome of [`crate::Store::commit`] when the unit was not applied.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CommitError {
    /// Operation `op_index` of the unit conflicted; nothing of the unit was written.
    #[error("operation {op_index} conflicts: {}", what.as_str())]
    Conflict {
        /// Index into `WriteUnit::ops` of the operation that conflicted.
        op_index: usize,
        /// What kind of conflict it was.
        what: ConflictKind,
    },
    /// A storage failure; nothing of the unit was written (or, for a failed COMMIT on
    /// PostgreSQL whose answer was lost, the outcome is unknown and the caller must re-read).
    #[error(transparent)]
    Store(#[from] StoreError),
}
