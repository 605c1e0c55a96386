//! Many requests in flight on one connection, each answer matched to its request by STAN.
//!
//! The requests differ in what the simulator decides (four test cards with four outcomes) and
//! in amount, and the card account's open-to-buy is exactly the sum of the approvable amounts:
//! an answer matched to the wrong request would carry another card's response code, another
//! request's RRN (the journal names each request's RRN by its STAN), or leave the open-to-buy
//! other than exactly used up.

mod common;

use std::collections::{HashMap, HashSet};

use common::{TestSim, code, req};
use paygate_iso8583::Profile;
use paygate_sim_network::JournalEntry;

const REQUESTS: i64 = 1_000;

/// (card, DE 39 the simulator decides for it).
const CARDS: [(&str, &str); 4] = [
    ("4242424242424242", "00"),
    ("4000000000000002", "05"),
    ("4000000000009995", "51"),
    ("4000000000000127", "N7"),
];

fn card_of(i: i64) -> (&'static str, &'static str) {
    CARDS[usize::try_from(i).unwrap() % CARDS.len()]
}

fn amount_of(i: i64) -> i64 {
    1_000 + i
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_authorizations_in_flight_on_one_connection_each_get_their_own_decision() {
    let approvable: i64 = (0..REQUESTS)
        .filter(|&i| card_of(i).1 == "00")
        .map(amount_of)
        .sum();
    let sim = TestSim::start(Profile::Ascii, approvable).await;
    let link = sim.link("PGLOAD01").await;
    let mut tasks = Vec::new();
    for i in 0..REQUESTS {
        let link = link.clone();
        tasks.push(tokio::spawn(async move {
            let prepared = link.prepare_auth(&req(card_of(i).0, amount_of(i))).unwrap();
            let stan = prepared.net_ref.stan.clone();
            let out = link.send_auth(prepared).await.expect("answered");
            (i, stan, out)
        }));
    }
    // STAN → (request index, DE 39 answered, RRN answered).
    let mut answered = HashMap::new();
    for task in tasks {
        let (i, stan, out) = task.await.unwrap();
        let (card, expected) = card_of(i);
        assert_eq!(out.response_code, expected, "request {i} for {card}");
        assert_eq!(out.approval_code.is_some(), expected == "00", "request {i}");
        let rrn = out.rrn.expect("every answer carries an RRN");
        assert!(
            answered.insert(stan, (i, expected, rrn)).is_none(),
            "STANs unique"
        );
    }
    assert_eq!(link.in_flight(), 0, "every STAN released");

    // The network's own record of each request, found by the STAN the answer was matched on.
    let journal: Vec<_> = sim
        .journal()
        .into_iter()
        .filter_map(|e| match e {
            JournalEntry::Authorization(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(
        journal.len(),
        answered.len(),
        "one journal entry per request"
    );
    let mut rrns = HashSet::new();
    for a in &journal {
        let (i, expected, rrn) = &answered[&a.stan];
        assert_eq!(
            &a.rrn, rrn,
            "the answer for STAN {} is that request's",
            a.stan
        );
        assert_eq!(a.amount, amount_of(*i), "STAN {}", a.stan);
        assert_eq!(&a.response_code, expected, "STAN {}", a.stan);
        assert!(rrns.insert(a.rrn.clone()), "RRNs unique");
    }
    let approved: Vec<_> = journal.iter().filter(|a| a.response_code == "00").collect();
    assert_eq!(
        approved.len(),
        250,
        "a quarter of the requests are approvable"
    );
    let held: i64 = approved.iter().map(|a| a.amount).sum();
    assert_eq!(held, approvable, "the open-to-buy is consumed exactly");
    assert_eq!(
        code(&link, CARDS[0].0, 1).await,
        "51",
        "and nothing is left"
    );
}
