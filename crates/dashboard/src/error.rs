//! The dashboard's errors: storage, the vault, and the rules a command or form broke.

use paygate_store::{CommitError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DashError {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("storage: {0}")]
    Commit(#[from] CommitError),
    #[error("vault: {0}")]
    Vault(#[from] paygate_vault::VaultError),
    #[error("a stored dashboard document is malformed: {0}")]
    Corrupt(String),
    /// A rule of the input: the field and what is wrong with it.
    #[error("{field}: {rule}")]
    Invalid { field: &'static str, rule: String },
    #[error("{0}")]
    Other(String),
}

impl DashError {
    pub fn invalid(field: &'static str, rule: impl Into<String>) -> DashError {
        DashError::Invalid {
            field,
            rule: rule.into(),
        }
    }
}
