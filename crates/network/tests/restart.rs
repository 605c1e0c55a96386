//! A restarted simulator keeps its journal, its open-to-buy balances and its RRN sequence.

mod common;

use std::collections::HashSet;

use common::{TestSim, authorize, code, req};
use paygate_iso8583::Profile;
use paygate_sim_network::JournalEntry;

const LIMIT_MINOR: i64 = 10_000;
const VISA: &str = "4242424242424242";

#[tokio::test]
async fn a_restart_keeps_the_journal_and_the_open_to_buy() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let link = sim.link("PGRST001").await;
    let first = authorize(&link, &req(VISA, 6_000)).await.unwrap();
    assert!(first.approved());
    let before = sim.journal();
    drop(link);

    let sim = sim.restart().await;
    let after_restart = sim.journal();
    assert_eq!(after_restart, before, "journal kept as it was");
    let link = sim.link("PGRST002").await;
    assert_eq!(
        code(&link, VISA, 4_001).await,
        "51",
        "the 6,000 hold survived"
    );
    let last = authorize(&link, &req(VISA, 4_000)).await.unwrap();
    assert!(last.approved());

    // The reversal of an authorization from before the restart still finds it.
    let rev = link.reverse(&first.net_ref, 6_000, 410).await.unwrap();
    assert_eq!(rev.response_code, "00");
    assert!(sim.authorization(&first.net_ref).reversed);
    assert_eq!(code(&link, VISA, 6_000).await, "00");

    let rrns: Vec<String> = sim
        .journal()
        .into_iter()
        .filter_map(|e| match e {
            JournalEntry::Authorization(a) => Some(a.rrn),
            _ => None,
        })
        .collect();
    assert_eq!(rrns.len(), 4);
    assert_eq!(
        rrns.iter().collect::<HashSet<_>>().len(),
        4,
        "RRNs unique across restarts"
    );
}
