//! Rolling restart on PostgreSQL (docs/OPERATIONS.md, "Rolling restart"): two `paygate serve`
//! processes on one schema under `paygate bench` load spread over both, as a load balancer
//! would; each in turn gets SIGTERM (its `/readyz` turns 503 while it still serves, in-flight
//! requests finish, it exits 0) and starts again on its port. No request fails, every payment
//! the bench saw approved is in the ledger exactly once, the ledger verifies and the books
//! agree with the card network (no authorization left standing).

mod common;

use common::BIN;
use common::pg_cluster::{Cluster, Stop, finish_bench, start_bench, stop};
use std::path::Path;
use std::time::Duration;

#[test]
fn two_gateways_restarted_in_turn_under_load_lose_and_fail_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), "rolling", Path::new(BIN));
    let mut gws = [
        cluster.gateway(Path::new(BIN), 0),
        cluster.gateway(Path::new(BIN), 1),
    ];
    for gw in &mut gws {
        cluster.start_gateway(gw, 0);
    }
    let mut bench = start_bench(&cluster.key, &[&gws[0], &gws[1]], "20s");
    for gw in &mut gws {
        std::thread::sleep(Duration::from_secs(3));
        stop(gw, Stop::Drains);
        cluster.start_gateway(gw, 1);
    }
    assert!(
        bench.try_wait().unwrap().is_none(),
        "both restarts happened while the bench was still sending"
    );
    let approved = finish_bench(bench);
    for gw in &mut gws {
        stop(gw, Stop::Drains);
    }
    // Every approved payment is one capture entry (captures are automatic), no more, no less.
    assert_eq!(cluster.verified_ledger_entries(), approved);
    cluster.assert_reconciled();
    cluster.drop_schema();
}
