//! The gateway reads "now" from an injectable clock: a test moves a running server through
//! time and sees the objects' times, the settlement date and the daily settlement job follow it.

mod support;

use paygate_payments::ManualClock;
use paygate_payments::clock::day_plus;
use reqwest::StatusCode;
use std::sync::Arc;

use std::time::Duration;
use support::{TestApp, VISA};

const DAY: i64 = 86_400;

#[tokio::test]
async fn a_running_gateway_follows_a_manual_clock_through_settlement() {
    // 2030-01-01 03:00 UTC.
    let t0 = 1_893_456_000 + 3 * 3600;
    let clock = Arc::new(ManualClock::new(t0));
    let app = TestApp::spawn_with_clock(
        |c| {
            c.settle_daily = true;
            c.sweep_interval_ms = 20;
        },
        clock.clone(),
    )
    .await;
    let (s, pi) = app.pay(VISA, 10_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["created"], t0, "{pi}");
    let (s, txns) = app.get("/v1/balance_transactions").await;
    assert_eq!(s, StatusCode::OK, "{txns}");
    let txn = &txns["data"][0];
    assert_eq!(txn["created"], t0, "{txn}");
    // Test merchants settle D+2 (UTC days).
    assert_eq!(txn["available_on"], day_plus(t0, 2), "{txn}");
    let net = txn["net"].as_i64().expect("net");
    assert_eq!(app.balance().await, (0, net));

    // A day later nothing is due yet, however often the job runs.
    clock.advance(DAY);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.balance().await, (0, net));

    // On the settlement day the running job moves the money to available.
    clock.advance(DAY);
    let mut balance = app.balance().await;
    for _ in 0..500 {
        if balance == (net, 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        balance = app.balance().await;
    }
    assert_eq!(balance, (net, 0), "settlement did not follow the clock");
    let (_, later) = app.pay(VISA, 5_000, &[]).await;
    assert_eq!(later["created"], t0 + 2 * DAY, "{later}");
    assert!(app.ledger_problems().await.is_empty());
}
