//! Tamper-evident audit logs: the hash chain they share (`chain`) and the operator audit log
//! of CLI actions and key use (`operator`). The dashboard's own log is a second chain
//! (`paygate_dashboard::audit`).

pub mod chain;
pub mod operator;

pub use chain::{Chain, ChainError, Entry, Record, Verdict};
