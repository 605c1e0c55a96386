//! Authorizations without an answer are reversed; reversals are idempotent.

mod common;

use std::time::Duration;

use common::{TestSim, authorize, code, link_config, req};
use paygate_iso8583::Profile;
use paygate_network::link::{Link, LinkError, Unanswered};
use paygate_sim_network::{JournalEntry, NO_ANSWER_CARD};

const LIMIT_MINOR: i64 = 10_000;

#[tokio::test]
async fn an_unanswered_authorization_is_reversed_and_never_approved() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let mut cfg = link_config(sim.addr(), "PGREV001", Profile::Ascii);
    cfg.request_timeout_ms = 300;
    let link = Link::connect(cfg).await.unwrap();

    let prepared = link.prepare_auth(&req(NO_ANSWER_CARD, 7_000)).unwrap();
    let net_ref = prepared.net_ref.clone();
    let err = link.send_auth(prepared).await.expect_err("no answer");
    let LinkError::TimedOut { reversal, cause } = err else {
        panic!("expected TimedOut, got {err:?}");
    };
    assert_eq!(cause, Unanswered::Timeout { timeout_ms: 300 });
    assert_eq!(reversal.original(), &net_ref);
    let outcome = reversal.wait().await.expect("reversal answered");
    assert_eq!(outcome.response_code, "00");

    let entry = sim.authorization(&net_ref);
    assert_eq!(
        entry.response_code, "00",
        "the issuer approved; the answer was lost"
    );
    assert!(entry.reversed, "the hold was released by the reversal");
    let found = sim.journal().into_iter().any(|e| {
        matches!(e, JournalEntry::Reversal(r)
            if r.original_stan == net_ref.stan && r.original_found && r.response_code == "00")
    });
    assert!(found, "the reversal is journaled against its original");
}

#[tokio::test]
async fn a_second_reversal_answers_00_and_restores_the_open_to_buy_once() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let link = sim.link("PGREV002").await;
    let out = authorize(&link, &req("4242424242424242", 4_000))
        .await
        .unwrap();
    assert!(out.approved());
    assert_eq!(
        code(&link, "4242424242424242", 6_001).await,
        "51",
        "6,000 left"
    );

    for _ in 0..2 {
        let rev = link.reverse(&out.net_ref, 4_000, 410).await.unwrap();
        assert_eq!(rev.response_code, "00");
    }
    assert!(sim.authorization(&out.net_ref).reversed);
    assert_eq!(code(&link, "4242424242424242", LIMIT_MINOR).await, "00");
    assert_eq!(
        code(&link, "4242424242424242", 1).await,
        "51",
        "restored once, not twice"
    );
}

#[tokio::test]
async fn a_reversal_of_an_original_never_seen_answers_00_and_is_journaled() {
    let sim = TestSim::start(Profile::Binary, LIMIT_MINOR).await;
    let link = sim.link("PGREV003").await;
    // Prepared (STAN and DE 7 allocated) but never sent: as if lost on the way.
    let lost = link.prepare_auth(&req("4242424242424242", 1_000)).unwrap();
    let net_ref = lost.net_ref.clone();
    drop(lost);
    let rev = link.reverse(&net_ref, 1_000, 410).await.unwrap();
    assert_eq!(rev.response_code, "00");
    let entry = sim
        .journal()
        .into_iter()
        .find_map(|e| match e {
            JournalEntry::Reversal(r) if r.original_stan == net_ref.stan => Some(r),
            _ => None,
        })
        .unwrap();
    assert!(!entry.original_found);
}

#[tokio::test]
async fn an_authorization_in_flight_when_the_link_drops_is_reversed_after_reconnecting() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let mut cfg = link_config(sim.addr(), "PGREV004", Profile::Ascii);
    cfg.request_timeout_ms = 5_000;
    let link = Link::connect(cfg).await.unwrap();
    let prepared = link.prepare_auth(&req(NO_ANSWER_CARD, 3_000)).unwrap();
    let net_ref = prepared.net_ref.clone();
    let sending = tokio::spawn({
        let link = link.clone();
        async move { link.send_auth(prepared).await }
    });
    common::eventually("the simulator journals the authorization", || {
        sim.journal().len() == 1
    })
    .await;
    let sim = sim.restart().await;
    let err = sending.await.unwrap().expect_err("connection lost");
    let LinkError::TimedOut { reversal, cause } = err else {
        panic!("expected TimedOut, got {err:?}");
    };
    assert_eq!(cause, Unanswered::ConnectionLost);
    let outcome = tokio::time::timeout(Duration::from_secs(10), reversal.wait())
        .await
        .expect("reversal ends after the reconnect")
        .expect("reversal answered");
    assert_eq!(outcome.response_code, "00");
    assert!(sim.authorization(&net_ref).reversed);
}

#[tokio::test]
async fn a_full_reversal_after_capture_is_refused_with_12() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let link = sim.link("PGREV005").await;
    let out = authorize(&link, &req("4242424242424242", 4_000))
        .await
        .unwrap();
    let rrn = out.rrn.clone().unwrap();
    assert!(
        link.capture(&out.net_ref, &rrn, 4_000, 410)
            .await
            .unwrap()
            .approved()
    );
    let rev = link.reverse(&out.net_ref, 4_000, 410).await.unwrap();
    assert_eq!(rev.response_code, "12");
    assert!(!sim.authorization(&out.net_ref).reversed);
}
