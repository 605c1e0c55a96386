//! A store that cannot write (issue 15 §1): the "fail next N commits" switch and a real full
//! disk (a small tmpfs) → `503 store_unavailable` with `Retry-After`, `/readyz` not ready with
//! the reason until a write succeeds, the authorization whose outcome could not be stored
//! reversed at the network within seconds (no restart), the client's retry paid once, the
//! ledger clean, and the failures logged once with a count instead of a flood.

#[path = "../support/mod.rs"]
mod support;

mod common;
mod failed_reversal;
mod full_disk;
mod outcome;
mod switches;
