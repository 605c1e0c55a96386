//! The dashboard's audit log: every login, logout, refused login and action (who, what, when,
//! from where), as a hash chain (`paygate_gateway::audit::chain`, shared with the operator
//! audit log) — an entry changed, removed or inserted afterwards breaks the chain at that
//! point (`paygate dashboard audit verify`); `export` prints it as JSON lines.
//!
//! Storage: entries are objects of kind [`ENTRY_KIND`] with ids `dae_<seq>` in the platform
//! scope, the chain's head is `dah_chain`.

use crate::error::DashError;
pub use paygate_gateway::audit::chain::{Entry, GENESIS, Record, Verdict, check, entry_hash};
use paygate_gateway::audit::{Chain, ChainError};
use paygate_store::Store;

pub const ENTRY_KIND: &str = "dashboard_audit";

/// The dashboard's chain (kinds and ids unchanged since it was first written).
pub const DASHBOARD: Chain = Chain {
    entry_kind: ENTRY_KIND,
    head_kind: "dashboard_audit_head",
    head_id: "dah_chain",
    id_prefix: "dae",
};

impl From<ChainError> for DashError {
    fn from(e: ChainError) -> DashError {
        match e {
            ChainError::Store(e) => DashError::Store(e),
            ChainError::Commit(e) => DashError::Commit(e),
            ChainError::Corrupt(id) => DashError::Corrupt(id),
            ChainError::Contended => DashError::Other(e.to_string()),
        }
    }
}

/// Appends `record` at `now`; returns the entry written.
pub async fn append(store: &Store, now: i64, record: Record) -> Result<Entry, DashError> {
    Ok(DASHBOARD.append(store, now, record).await?)
}

/// Appends `record` at the state's clock; a failure to write is logged (the action it records
/// has already happened and its answer is owed to the user).
pub async fn record(st: &paygate_gateway::state::SharedState, record: Record) {
    if let Err(e) = append(&st.store, st.clock.now(), record).await {
        tracing::error!(error = %e, "dashboard audit entry not written");
    }
}

/// Every entry, oldest first.
pub async fn entries(store: &Store) -> Result<Vec<Entry>, DashError> {
    Ok(DASHBOARD.entries(store).await?)
}

/// Reads and checks the whole chain.
pub async fn verify(store: &Store) -> Result<Verdict, DashError> {
    Ok(DASHBOARD.verify(store).await?)
}
