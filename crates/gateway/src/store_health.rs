//! The store's write health as the gateway acts on it: `/readyz` reports not ready (with the
//! reason) while the store cannot write, and a probe commits a tiny unit every
//! [`PROBE_EVERY`] during such a spell, so readiness returns by itself once the disk has
//! space or PostgreSQL is back — even when the load balancer, seeing "not ready", sends no
//! request that could find out.

use crate::state::SharedState;
use paygate_store::WriteHealth;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::watch;

/// How often an unwritable store is probed.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// Whether the store writes, and the `/readyz` fields saying so.
pub fn readiness(st: &SharedState) -> (bool, Value) {
    match st.store.write_health() {
        WriteHealth::Writable => (true, json!({"store_writable": true})),
        WriteHealth::Unwritable {
            reason,
            since,
            failures,
        } => (
            false,
            json!({
                "store_writable": false,
                "store_reason": format!(
                    "the store cannot write for {} s ({failures} failed commits): {reason}",
                    since.elapsed().as_secs()
                ),
            }),
        ),
    }
}

/// Probes the store while it cannot write, until shutdown.
pub fn spawn_probe(st: SharedState, mut rx: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(PROBE_EVERY) => {}
                _ = rx.changed() => return,
            }
            if st.store.write_health() != WriteHealth::Writable {
                // The failure itself is logged (rate-limited) by the store.
                let _ = st.store.probe_write(&st.cfg.node_id, st.now()).await;
            }
        }
    })
}
