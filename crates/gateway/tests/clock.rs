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

/// `GET`/`POST /v1/test_helpers/test_clock[/advance]` of a gateway started with `test_clock`.
#[tokio::test]
async fn the_test_clock_moves_forward_over_http_and_new_objects_follow_it() {
    let app = TestApp::spawn_with(|c| c.test_clock = true).await;
    let system_now = paygate_payments::Clock::now(&paygate_payments::SystemClock);
    let (s, c) = app.get("/v1/test_helpers/test_clock").await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["object"], "test_clock");
    assert_eq!(c["offset_seconds"], 0);
    assert!(c["now"].as_i64().unwrap() >= system_now, "{c}");

    let path = "/v1/test_helpers/test_clock/advance";
    let (s, c) = app.post_idem(path, &[("seconds", "3600")], "adv-1").await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["offset_seconds"], 3600, "{c}");
    // A retry under the same key replays the answer and does not move the clock again.
    let replay = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(&app.key)
        .header("Idempotency-Key", "adv-1")
        .form(&[("seconds", "3600")])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let (_, c) = app.get("/v1/test_helpers/test_clock").await;
    assert_eq!(c["offset_seconds"], 3600, "{c}");

    let to = c["now"].as_i64().unwrap() + 45 * DAY;
    let (s, c) = app.post(path, &[("to", &to.to_string())]).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let now = c["now"].as_i64().unwrap();
    assert!((to..to + 30).contains(&now), "{c}");
    assert!(
        c["offset_seconds"].as_i64().unwrap() >= 45 * DAY + 3600 - 1,
        "{c}"
    );

    let (s, pi) = app.pay(VISA, 10_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert!(pi["created"].as_i64().unwrap() >= to, "{pi}");
    let (_, txns) = app.get("/v1/balance_transactions").await;
    assert!(txns["data"][0]["created"].as_i64().unwrap() >= to, "{txns}");
    assert!(app.ledger_problems().await.is_empty());

    // Refusals name the parameter and leave the clock where it is.
    let before = app.get("/v1/test_helpers/test_clock").await.1["offset_seconds"].clone();
    let past = (to - DAY).to_string();
    for (form, param) in [
        (vec![("seconds", "0")], "seconds"),
        (vec![("seconds", "-60")], "seconds"),
        (vec![("to", past.as_str())], "to"),
        (vec![("seconds", "5"), ("to", past.as_str())], "to"),
        (vec![], "seconds"),
    ] {
        let (s, e) = app.post(path, &form).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{form:?}: {e}");
        assert_eq!(e["error"]["code"], "parameter_invalid", "{form:?}: {e}");
        assert_eq!(e["error"]["param"], param, "{form:?}: {e}");
    }
    let (s, e) = app.post(path, &[("days", "1")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "days", "{e}");
    let (_, c) = app.get("/v1/test_helpers/test_clock").await;
    assert_eq!(c["offset_seconds"], before, "{c}");

    // Test-mode secret keys only: a publishable key and a live key are refused.
    let (s, e) = app
        .get_as(&app.publishable, "/v1/test_helpers/test_clock")
        .await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::UNAUTHORIZED,
        "{s} {e}"
    );
    let (live, _) =
        paygate_gateway::admin::create_key(&app.server.state.store, &app.merchant, true, true)
            .await
            .expect("live key");
    let (s, e) = app.get_as(&live, "/v1/test_helpers/test_clock").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = app.post_as(&live, path, &[("seconds", "60")], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");

    // With live keys in the database, a gateway no longer starts with a test clock.
    let mut cfg = app.server.state.cfg.clone();
    cfg.listen = "127.0.0.1:0".into();
    cfg.metrics_listen = "off".into();
    cfg.pages_csrf_key = vec!["cGF5ZXItcGFnZXMtY3NyZi1rZXktZm9yLXRoZS1saXZlLXRlc3Q=".into()];
    // Live mode also wants the vault's keys from configuration (PCI DSS 3.6.1; test keys).
    cfg.vault_keks = vec!["kek-live-test:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into()];
    cfg.fingerprint_key = Some("ZmluZ2VycHJpbnQta2V5LWZvci10aGUtbGl2ZS10ZXN0MTI=".into());
    let err = paygate_gateway::start(cfg)
        .await
        .err()
        .expect("no test clock with live keys");
    assert!(err.contains("test_clock"), "{err}");
}

#[tokio::test]
async fn without_test_clock_the_endpoints_answer_test_clock_disabled() {
    let app = TestApp::spawn().await;
    let (s, e) = app.get("/v1/test_helpers/test_clock").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "test_clock_disabled", "{e}");
    let (s, e) = app
        .post("/v1/test_helpers/test_clock/advance", &[("seconds", "60")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "test_clock_disabled", "{e}");
}
