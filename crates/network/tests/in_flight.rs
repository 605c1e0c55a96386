//! Many requests in flight on one connection, each answer matched to its request by STAN.

mod common;

use std::collections::HashSet;
use std::time::Instant;

use common::{TestSim, req};
use paygate_iso8583::Profile;
use paygate_network::sim::DEFAULT_OPEN_TO_BUY_MINOR;

const REQUESTS: i64 = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_authorizations_in_flight_on_one_connection_are_all_answered_and_matched() {
    let sim = TestSim::start(Profile::Ascii, DEFAULT_OPEN_TO_BUY_MINOR).await;
    let link = sim.link("PGLOAD01").await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..REQUESTS {
        let link = link.clone();
        tasks.push(tokio::spawn(async move {
            let amount = 1_000 + i;
            let prepared = link.prepare_auth(&req("4242424242424242", amount)).unwrap();
            let sent = prepared.net_ref.clone();
            let out = link.send_auth(prepared).await.expect("answered");
            (sent, amount, out)
        }));
    }
    let mut stans = HashSet::new();
    let mut rrns = HashSet::new();
    for task in tasks {
        let (sent, amount, out) = task.await.unwrap();
        assert_eq!(out.net_ref, sent, "answer matched to its own request");
        assert_eq!(out.amount_minor, amount, "DE 4 echoed for this request");
        assert!(out.approved());
        assert!(stans.insert(sent.stan), "STANs are unique while in flight");
        assert!(rrns.insert(out.rrn.unwrap()), "RRNs are unique");
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{REQUESTS} authorizations in flight answered in {elapsed:?} ({:.0}/s, debug build)",
        REQUESTS as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(link.in_flight(), 0, "every STAN released");
    let auths = sim
        .journal()
        .into_iter()
        .filter(|e| matches!(e, paygate_network::sim::JournalEntry::Authorization(_)))
        .count();
    assert_eq!(auths, REQUESTS as usize);
}
