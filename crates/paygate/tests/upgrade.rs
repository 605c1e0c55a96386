//! Expand/contract upgrade on PostgreSQL (docs/OPERATIONS.md, "Upgrades"): the previous
//! release (tag `v0.8.0`, commit `1637d9a`) creates the schema and serves under
//! `paygate bench` load; this build starts beside it on the same schema (running its
//! migrations), the old process gets SIGTERM, and the load goes on against this build alone.
//! No request fails, the ledger verifies, the books agree with the card network, and a payment
//! the old build made is refunded by this one.
//!
//! The previous release is built from git history (`tests/common/previous_release.rs`: how,
//! and why that is cheap) into this build's target dir; a clone without its commit (shallow)
//! skips the test with a loud message. `PAYGATE_PREVIOUS_BIN` names an already built previous
//! release instead (or, to check the test itself quickly, this build).
//!
//! v0.8.0 has no drain delay: at SIGTERM it stops at once (`Stop::Closes`), so a request
//! already written on a keep-alive connection can meet a closed connection with no answer (2–5
//! per run on 2026-12-03). The bench, acting as the load balancer in front of both, sends such
//! a keyed request once more, as a load balancer retries on a reset: the Idempotency-Key makes
//! that safe, and the ledger check below proves nothing was charged twice. A request that still
//! fails counts.

mod common;

use common::BIN;
use common::pg_cluster::{Cluster, Stop, finish_bench, refund, start_bench, stop};
use common::{pay_form, post};
use std::path::Path;
use std::time::Duration;

#[test]
fn the_previous_release_and_this_build_serve_one_database_through_an_upgrade() {
    let Some(old) = common::previous_release::binary() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), "upgrade", &old);
    let mut gws = [cluster.gateway(&old, 0), cluster.gateway(Path::new(BIN), 1)];
    cluster.start_gateway(&mut gws[0], 0);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (status, paid_by_old) = rt
        .block_on(post(
            &gws[0].url(),
            &cluster.key,
            "upgrade-old-1",
            pay_form(),
        ))
        .unwrap();
    assert_eq!(status, 200, "{paid_by_old}");
    // The bench knows both addresses from the start; the new one refuses connections until
    // it starts, so the load goes to the old build alone, then to both, then to the new one.
    let bench = start_bench(&cluster.key, &[&gws[0], &gws[1]], "12s");
    std::thread::sleep(Duration::from_secs(2));
    cluster.start_gateway(&mut gws[1], 0);
    std::thread::sleep(Duration::from_secs(3));
    stop(&mut gws[0], Stop::Closes);
    let approved = finish_bench(bench);
    let (status, refunded) = rt.block_on(refund(
        &gws[1].url(),
        &cluster.key,
        paid_by_old["id"].as_str().unwrap(),
    ));
    assert_eq!(status, 200, "{refunded}");
    assert_eq!(refunded["status"], "succeeded", "{refunded}");
    stop(&mut gws[1], Stop::Drains);
    // The bench's approved payments plus the one paid by the old build (each one capture
    // entry) and its refund (one entry).
    assert_eq!(cluster.verified_ledger_entries(), approved + 2);
    cluster.assert_reconciled();
    cluster.drop_schema();
}
