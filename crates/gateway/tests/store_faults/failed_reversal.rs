//! An authorization whose outcome is unknown (the network never answered) is reversed in the
//! background; when the store cannot take the failure, the recovery record must survive the
//! reversal so that recovery moves the intent out of `processing` (found by `paygate chaos`).

use crate::common::{captured_log, eventually, log_lines_with, set_faults};
use crate::support::{self, TestApp};
use reqwest::StatusCode;
use std::time::Duration;

/// The simulator's card that is never answered.
const NO_ANSWER: &str = "4000000000000150";

#[tokio::test]
async fn a_failure_the_store_could_not_take_is_recovered_not_left_processing() {
    let log = captured_log();
    let app = TestApp::spawn_with(|c| {
        c.network_timeout_ms = 300;
        // The window between the network's (non-)answer and the failure commit.
        c.fault_delay_after_auth_ms = 1_000;
        c.sweep_interval_ms = 600_000;
        c.attempt_stale_s = 600;
    })
    .await;
    let form = support::card_payment_form(NO_ANSWER, "7000");
    let (client, url, key) = (
        app.client.clone(),
        format!("{}/v1/payment_intents", app.base),
        app.key.clone(),
    );
    let body = support::url_encode(&form);
    let pay = tokio::spawn(async move {
        client
            .post(url)
            .bearer_auth(key)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("Idempotency-Key", "no-answer-once")
            .body(body)
            .send()
            .await
            .expect("answered")
    });
    let st = &app.server.state;
    // Phase 1 is committed once the attempt exists; then the failure commit must fail.
    while st.store.attempts(None).await.unwrap().is_empty() {
        tokio::task::yield_now().await;
    }
    set_faults(&app, &[("fail_next_commits", "1")]).await;
    let resp = pay.await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let attempts = st.store.attempts(None).await.unwrap();
    assert_eq!(
        attempts.len(),
        1,
        "the recovery record outlives the failed commit"
    );
    let pi_id = attempts[0].id.split(':').next().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/v1/payment_intents/{pi_id}")).await.1["status"],
        "processing"
    );
    // The background reversal is acknowledged and gives the record to recovery (before the
    // fix it deleted the record here, and recovery below found nothing to finish).
    let log_ref = &log;
    assert!(
        eventually(Duration::from_secs(15), || async move {
            !log_lines_with(log_ref, "reversed, but the failure was not stored").is_empty()
        })
        .await,
        "the reversal left the record to recovery"
    );
    assert_eq!(st.store.attempts(None).await.unwrap().len(), 1);

    paygate_gateway::engine::recovery::recover(st, None)
        .await
        .unwrap();
    let (_, pi) = app.get(&format!("/v1/payment_intents/{pi_id}")).await;
    assert_eq!(pi["status"], "requires_payment_method", "{pi}");
    assert_eq!(pi["last_payment_error"]["code"], "processing_error", "{pi}");
    assert!(st.store.attempts(None).await.unwrap().is_empty());
    assert!(app.ledger_problems().await.is_empty());
}
