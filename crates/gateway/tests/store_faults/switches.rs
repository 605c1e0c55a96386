//! The fault switches are for test-mode secret keys while no live key exists, at run time and
//! from configuration.

use crate::common::set_faults;
use crate::support::{TestApp, VISA};
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn fault_switches_are_for_test_mode_secret_keys_while_no_live_key_exists() {
    let app = TestApp::spawn().await;
    let (s, v) = app.get("/v1/test_helpers/faults").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["fail_next_commits"], 0);
    assert_eq!(v["commit_delay_ms"], 0);

    let (s, e) = app
        .post("/v1/test_helpers/faults", &[("commit_delay_ms", "60001")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "commit_delay_ms");
    let (s, e) = app
        .post("/v1/test_helpers/faults", &[("fail_next_commits", "-1")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "fail_next_commits");
    let (s, e) = app.post("/v1/test_helpers/faults", &[("drop", "5")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "parameter_unknown");

    // The delay switch holds every commit.
    set_faults(&app, &[("commit_delay_ms", "600")]).await;
    let started = Instant::now();
    let (s, _) = app
        .post("/v1/customers", &[("email", "slow@example.com")])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(600));
    let v = set_faults(&app, &[("commit_delay_ms", "0")]).await;
    assert_eq!(v["commit_delay_ms"], 0);

    // A live key anywhere turns the switches off, for reading and setting.
    paygate_gateway::admin::create_key(&app.server.state.store, &app.merchant, true, true)
        .await
        .expect("live key");
    let (s, e) = app
        .post("/v1/test_helpers/faults", &[("fail_next_commits", "1")])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("live-mode")
    );
    assert_eq!(
        app.server
            .state
            .store
            .write_faults()
            .get()
            .fail_next_commits,
        0
    );
}

#[tokio::test]
async fn configured_fault_switches_are_refused_when_live_keys_exist() {
    let app = TestApp::spawn().await;
    paygate_gateway::admin::create_key(&app.server.state.store, &app.merchant, true, true)
        .await
        .expect("live key");
    let mut cfg = app.server.state.cfg.clone();
    cfg.fault_fail_next_commits = 3;
    let err = paygate_gateway::api::test_faults::from_config(&cfg, &app.server.state.store, true)
        .expect_err("refused");
    assert!(err.contains("live-mode API keys exist"), "{err}");
}

#[tokio::test]
async fn a_clock_skew_moves_this_gateways_now_either_way_until_healed() {
    const T0: i64 = 1_796_172_557; // 2026-12-02 00:49:17 UTC
    let clock = Arc::new(paygate_payments::ManualClock::new(T0));
    let app = TestApp::spawn_with_clock(|_| {}, clock.clone()).await;
    let (s, e) = app
        .post("/v1/test_helpers/faults", &[("clock_skew_s", "86401")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "clock_skew_s");

    let v = set_faults(&app, &[("clock_skew_s", "-300")]).await;
    assert_eq!(v["clock_skew_s"], -300);
    let (s, behind) = app.pay(VISA, 12_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{behind}");
    assert_eq!(behind["status"], "succeeded");
    assert_eq!(behind["created"], T0 - 300);
    let (_, events) = app.get("/v1/events?limit=1").await;
    assert_eq!(events["data"][0]["created"], T0 - 300, "{events}");

    let v = set_faults(&app, &[("clock_skew_s", "0")]).await;
    assert_eq!(v["clock_skew_s"], 0);
    let (s, healed) = app.pay(VISA, 13_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{healed}");
    assert_eq!(healed["created"], T0);
    // Both paid once, and the books balance across the skew.
    assert_eq!(app.balance().await.1, 12_000 + 13_000 - fees(&app).await);
    assert!(app.ledger_problems().await.is_empty());
}

/// The fees of every balance transaction so far.
async fn fees(app: &TestApp) -> i64 {
    let (_, v) = app.get("/v1/balance_transactions?limit=100").await;
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["fee"].as_i64().unwrap())
        .sum()
}
