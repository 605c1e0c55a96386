//! Captures and refunds prepared, recorded and then repeated by another process after a crash:
//! the network answers the repeat with its recorded answer and counts the follow-up once.

mod common;

use std::time::Duration;

use common::{TestSim, authorize, code, link_config, req, start_in};
use paygate_iso8583::Profile;
use paygate_network::link::{
    AuthOutcome, FollowUpKind, Link, LinkError, NetRef, Outcome, PreparedFollowUp,
};
use paygate_sim_network::{FollowUpEntry, JournalEntry};

const LIMIT_MINOR: i64 = 10_000;
const VISA: &str = "4242424242424242";

/// What the gateway writes durably before sending, read back as recovery would.
fn persisted(p: &PreparedFollowUp) -> NetRef {
    let json = serde_json::to_string(&p.net_ref).unwrap();
    serde_json::from_str(&json).unwrap()
}

/// Journal entries of the capture or refund named `own` (by DE 41, DE 11, DE 7).
fn follow_ups_named(sim: &TestSim, own: &NetRef) -> Vec<FollowUpEntry> {
    sim.journal()
        .into_iter()
        .filter_map(|e| match e {
            JournalEntry::Capture(f) | JournalEntry::Refund(f) => Some(f),
            _ => None,
        })
        .filter(|f| {
            f.stan == own.stan
                && f.transmitted_at == own.transmitted_at
                && f.terminal_id == own.terminal_id
        })
        .collect()
}

async fn approved_auth(link: &Link, amount_minor: i64) -> (AuthOutcome, String) {
    let out = authorize(link, &req(VISA, amount_minor)).await.unwrap();
    assert!(out.approved());
    let rrn = out.rrn.clone().unwrap();
    (out, rrn)
}

async fn resend(
    link: &Link,
    own: &NetRef,
    orig: &AuthOutcome,
    rrn: &str,
    kind: FollowUpKind,
    amount_minor: i64,
) -> Result<Outcome, LinkError> {
    link.resend_follow_up(own, &orig.net_ref, rrn, kind, amount_minor, 410)
        .await
}

#[tokio::test]
async fn a_capture_sent_before_a_crash_is_recovered_by_its_net_ref_and_counted_once() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let before_crash = sim.link("PGFUP0A1").await;
    let (orig, rrn) = approved_auth(&before_crash, 8_000).await;
    let prepared = before_crash
        .prepare_capture(&orig.net_ref, &rrn, 5_000, 410)
        .unwrap();
    let own = persisted(&prepared);
    assert_eq!(own.mti, "0220");
    assert_eq!(
        own.terminal_id, orig.net_ref.terminal_id,
        "named as it travels: under the original's DE 41"
    );
    let first = before_crash.send_follow_up(prepared).await.unwrap();
    assert_eq!(first.response_code, "00", "the capture happened");
    drop(before_crash); // the process dies before it records the answer

    let after_crash = sim.link("PGFUP0B1").await;
    for _ in 0..2 {
        let again = resend(
            &after_crash,
            &own,
            &orig,
            &rrn,
            FollowUpKind::Capture,
            5_000,
        )
        .await
        .unwrap();
        assert_eq!(again, first, "the recorded answer, RRN included");
    }
    assert_eq!(after_crash.in_flight(), 0, "the repeat's STAN is released");

    let entry = sim.authorization(&orig.net_ref);
    assert_eq!((entry.captured_amount, entry.refunded_amount), (5_000, 0));
    let journaled = follow_ups_named(&sim, &own);
    assert_eq!(journaled.len(), 1, "one journal entry: {journaled:?}");
    assert_eq!(journaled[0].mti, "0220");
    // The 3,000 left of the hold was released once and nothing was captured twice.
    assert_eq!(code(&after_crash, VISA, 5_001).await, "51");
    assert_eq!(code(&after_crash, VISA, 5_000).await, "00");
}

#[tokio::test]
async fn a_refund_sent_before_a_crash_is_recovered_by_its_net_ref_and_counted_once() {
    let sim = TestSim::start(Profile::Binary, LIMIT_MINOR).await;
    let before_crash = sim.link("PGFUP0A2").await;
    let (orig, rrn) = approved_auth(&before_crash, 6_000).await;
    let captured = before_crash.capture(&orig.net_ref, &rrn, 6_000, 410).await;
    assert!(captured.unwrap().approved());
    let prepared = before_crash
        .prepare_refund(&orig.net_ref, &rrn, 2_500, 410)
        .unwrap();
    let own = persisted(&prepared);
    assert_eq!(own.mti, "0200");
    let first = before_crash.send_follow_up(prepared).await.unwrap();
    assert_eq!(first.response_code, "00", "the refund happened");
    drop(before_crash);

    let after_crash = sim.link("PGFUP0B2").await;
    for _ in 0..2 {
        let again = resend(&after_crash, &own, &orig, &rrn, FollowUpKind::Refund, 2_500)
            .await
            .unwrap();
        assert_eq!(again, first, "the recorded answer, RRN included");
    }

    let entry = sim.authorization(&orig.net_ref);
    assert_eq!(
        (entry.captured_amount, entry.refunded_amount),
        (6_000, 2_500)
    );
    assert_eq!(follow_ups_named(&sim, &own).len(), 1);
    // 10,000 - 6,000 captured + 2,500 refunded once.
    assert_eq!(code(&after_crash, VISA, 6_501).await, "51");
    assert_eq!(code(&after_crash, VISA, 6_500).await, "00");
}

#[tokio::test]
async fn a_follow_up_the_network_never_saw_is_processed_by_its_repeat_exactly_once() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let before_crash = sim.link("PGFUP0A3").await;
    let (orig, rrn) = approved_auth(&before_crash, 4_000).await;
    let capture = before_crash
        .prepare_capture(&orig.net_ref, &rrn, 3_000, 410)
        .unwrap();
    let own_capture = persisted(&capture);
    drop(capture); // recorded, never sent
    drop(before_crash);
    assert_eq!(sim.authorization(&orig.net_ref).captured_amount, 0);

    let after_crash = sim.link("PGFUP0B3").await;
    let kind = FollowUpKind::Capture;
    let first = resend(&after_crash, &own_capture, &orig, &rrn, kind, 3_000)
        .await
        .unwrap();
    assert_eq!(first.response_code, "00", "processed now");
    let again = resend(&after_crash, &own_capture, &orig, &rrn, kind, 3_000)
        .await
        .unwrap();
    assert_eq!(again, first, "and recorded");
    assert_eq!(sim.authorization(&orig.net_ref).captured_amount, 3_000);
    assert_eq!(follow_ups_named(&sim, &own_capture).len(), 1);

    // The same for a refund prepared by the recovering process itself and never sent.
    let refund = after_crash
        .prepare_refund(&orig.net_ref, &rrn, 1_000, 410)
        .unwrap();
    let own_refund = persisted(&refund);
    drop(refund);
    let kind = FollowUpKind::Refund;
    for _ in 0..2 {
        let out = resend(&after_crash, &own_refund, &orig, &rrn, kind, 1_000)
            .await
            .unwrap();
        assert_eq!(out.response_code, "00");
    }
    assert_eq!(sim.authorization(&orig.net_ref).refunded_amount, 1_000);
    assert_eq!(follow_ups_named(&sim, &own_refund).len(), 1);
}

#[tokio::test]
async fn a_repeat_waits_while_its_stan_is_held_on_the_link_and_is_sent_once_it_is_free() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let link = sim.link("PGFUP004").await;
    let (orig, rrn) = approved_auth(&link, 4_000).await;
    let holder = link
        .prepare_capture(&orig.net_ref, &rrn, 4_000, 410)
        .unwrap();
    let own = persisted(&holder);

    // A caller-chosen STAN that is held is refused.
    let mut raw = paygate_iso8583::Message::new("0800").unwrap();
    raw.set_str(7, &own.transmitted_at)
        .set_str(11, &own.stan)
        .set_str(70, "301");
    let refused = link.send(raw).await.unwrap_err();
    assert!(
        matches!(refused, LinkError::InvalidRequest { field: "DE 11", .. }),
        "{refused:?}"
    );

    let repeating = tokio::spawn({
        let (link, own, orig, rrn) = (link.clone(), own.clone(), orig.clone(), rrn.clone());
        async move { resend(&link, &own, &orig, &rrn, FollowUpKind::Capture, 4_000).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!repeating.is_finished(), "waits for the STAN");
    assert!(follow_ups_named(&sim, &own).is_empty(), "nothing sent yet");
    drop(holder);
    let out = tokio::time::timeout(Duration::from_secs(5), repeating)
        .await
        .expect("sent once the STAN is free")
        .unwrap()
        .unwrap();
    assert_eq!(out.response_code, "00");
    assert_eq!(follow_ups_named(&sim, &own).len(), 1);
    assert_eq!(sim.authorization(&orig.net_ref).captured_amount, 4_000);
}

#[tokio::test]
async fn a_repeat_whose_stan_stays_held_is_abandoned_after_reversal_max_ms_unsent() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let mut cfg = link_config(sim.addr(), "PGFUP005", Profile::Ascii);
    cfg.reversal_max_ms = 300;
    let link = Link::connect(cfg).await.unwrap();
    let (orig, rrn) = approved_auth(&link, 1_000).await;
    let holder = link
        .prepare_capture(&orig.net_ref, &rrn, 1_000, 410)
        .unwrap();
    let own = persisted(&holder);
    let err = resend(&link, &own, &orig, &rrn, FollowUpKind::Capture, 1_000)
        .await
        .unwrap_err();
    let LinkError::RepeatAbandoned {
        stan,
        attempts,
        last_error,
        ..
    } = &err
    else {
        panic!("expected RepeatAbandoned, got {err:?}");
    };
    assert_eq!(stan, &own.stan);
    assert!(*attempts >= 2, "{attempts}");
    assert!(last_error.contains("is held by another request"), "{err}");
    assert!(follow_ups_named(&sim, &own).is_empty());
    drop(holder);
}

#[tokio::test]
async fn a_repeat_keeps_trying_through_a_network_outage() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let link = sim.link("PGFUP006").await;
    let (orig, rrn) = approved_auth(&link, 2_000).await;
    let prepared = link.prepare_refund(&orig.net_ref, &rrn, 500, 410).unwrap();
    let own = persisted(&prepared);
    drop(prepared);
    assert!(
        link.capture(&orig.net_ref, &rrn, 2_000, 410)
            .await
            .unwrap()
            .approved()
    );

    let addr = sim.addr();
    let TestSim {
        handle,
        dir,
        profile,
        open_to_buy_minor,
    } = sim;
    handle.shutdown().await.unwrap();
    let repeating = tokio::spawn({
        let (link, own, orig, rrn) = (link.clone(), own.clone(), orig.clone(), rrn.clone());
        async move { resend(&link, &own, &orig, &rrn, FollowUpKind::Refund, 500).await }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!repeating.is_finished(), "no network: still repeating");
    let handle = start_in(dir.path(), addr, profile, open_to_buy_minor).await;
    let sim = TestSim {
        handle,
        dir,
        profile,
        open_to_buy_minor,
    };
    let out = tokio::time::timeout(Duration::from_secs(10), repeating)
        .await
        .expect("answered after the reconnect")
        .unwrap()
        .unwrap();
    assert_eq!(out.response_code, "00");
    assert_eq!(sim.authorization(&orig.net_ref).refunded_amount, 500);
    assert_eq!(follow_ups_named(&sim, &own).len(), 1);
}

#[tokio::test]
async fn a_repeat_that_does_not_fit_its_kind_or_original_is_refused_unsent() {
    let sim = TestSim::start(Profile::Ascii, LIMIT_MINOR).await;
    let link = sim.link("PGFUP007").await;
    let (orig, rrn) = approved_auth(&link, 1_000).await;
    let prepared = link
        .prepare_capture(&orig.net_ref, &rrn, 1_000, 410)
        .unwrap();
    let own = persisted(&prepared);
    drop(prepared);

    let as_refund = resend(&link, &own, &orig, &rrn, FollowUpKind::Refund, 1_000).await;
    assert!(
        matches!(
            as_refund,
            Err(LinkError::InvalidRequest {
                field: "own.mti",
                ..
            })
        ),
        "{as_refund:?}"
    );
    let mut elsewhere = own.clone();
    elsewhere.terminal_id = "PGOTHER1".to_owned();
    let moved = resend(&link, &elsewhere, &orig, &rrn, FollowUpKind::Capture, 1_000).await;
    assert!(
        matches!(
            moved,
            Err(LinkError::InvalidRequest {
                field: "terminal_id",
                ..
            })
        ),
        "{moved:?}"
    );
    assert!(follow_ups_named(&sim, &own).is_empty());
    assert_eq!(sim.authorization(&orig.net_ref).captured_amount, 0);
}
