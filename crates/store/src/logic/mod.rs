//! Operation code shared by both backends, written against [`crate::sql::Exec`].
//!
//! Each function here runs inside whatever transaction its caller opened; the backends
//! decide where it runs (SQLite: the writer thread or a reader; PostgreSQL: a batcher or a
//! pooled connection).

pub(crate) mod batch;
pub(crate) mod event_feed;
pub(crate) mod ledger;
pub(crate) mod outbox;
pub(crate) mod pipeline;
pub(crate) mod prepare;
pub(crate) mod reads;
pub(crate) mod validate;
pub(crate) mod write;

use crate::error::{ConflictKind, StoreError};

/// Why one operation did not apply.
#[derive(Debug)]
pub(crate) enum OpError {
    Conflict(ConflictKind),
    Store(StoreError),
}

impl From<StoreError> for OpError {
    fn from(e: StoreError) -> Self {
        OpError::Store(e)
    }
}

/// JSON text of a document.
pub(crate) fn json_text(value: &serde_json::Value) -> String {
    // Serializing a `Value` cannot fail (its map keys are strings); `to_string` would go
    // through the slower `Display` path.
    serde_json::to_string(value).unwrap_or_else(|_| value.to_string())
}
