//! 가상계좌 deposit notices (입금통보) through the public API: a notice delivered twice, and a
//! notice cut mid-telegram by a dropped link — retransmitted after the reconnect — each
//! count once (one posting, one event, the intent's amount).

mod support;
mod va_support;

use reqwest::StatusCode;
use va_support::{Va, deposit, issue, journal, spawn};

/// Polls the bank's journal (bounded) until `n` notices are acknowledged.
async fn acked(va: &Va, n: usize) {
    for _ in 0..500 {
        if journal(va)
            .iter()
            .filter(|l| l.event == "notice_acked")
            .count()
            >= n
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let acks = journal(va)
        .iter()
        .filter(|l| l.event == "notice_acked")
        .count();
    assert_eq!(acks, n, "{:?}", journal(va));
}

#[tokio::test]
async fn a_notice_delivered_twice_counts_once() {
    let va = spawn().await;
    let (pi_id, number) = issue(&va, "10000").await;
    let (s, _) = deposit(&va, &number, "4000").await;
    assert_eq!(s, StatusCode::OK);
    let deposit_id = journal(&va)
        .iter()
        .find(|l| l.event == "deposit")
        .unwrap()
        .reference
        .clone();
    va.bank.redeliver(&deposit_id).unwrap();
    // The second acknowledgement shows the gateway has handled the second delivery.
    acked(&va, 2).await;
    let (_, pi) = va.app.get(&format!("/v1/payment_intents/{pi_id}")).await;
    assert_eq!(pi["amount_received"], 4000);
    assert_eq!(va.app.balance().await, (0, 4000));
    let partial = va
        .app
        .event_types()
        .await
        .iter()
        .filter(|t| *t == "payment_intent.partially_funded")
        .count();
    assert_eq!(partial, 1);
}

#[tokio::test]
async fn a_notice_cut_by_a_dropped_link_is_retransmitted_and_counts_once() {
    let va = spawn().await;
    let (pi_id, number) = issue(&va, "10000").await;
    // The bank cuts its next notice after half its bytes and drops the session.
    va.bank.cut_next_notice();
    let (s, pi) = deposit(&va, &number, "10000").await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    acked(&va, 1).await;
    let lines = journal(&va);
    let deposits = lines.iter().filter(|l| l.event == "deposit").count();
    assert_eq!(deposits, 1, "{lines:?}");
    let (_, pi) = va.app.get(&format!("/v1/payment_intents/{pi_id}")).await;
    assert_eq!(pi["status"], "succeeded", "{pi}");
    assert_eq!(pi["amount_received"], 10000, "{pi}");
    let events = va.app.event_types().await;
    let succeeded = events
        .iter()
        .filter(|t| *t == "payment_intent.succeeded")
        .count();
    assert_eq!(succeeded, 1, "{events:?}");
    let (_, txns) = va.app.get("/v1/balance_transactions").await;
    let postings = txns["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["source"] == pi_id.as_str())
        .count();
    assert_eq!(postings, 1, "one posting for one deposit: {txns}");
    assert!(va.app.ledger_problems().await.is_empty());
}
