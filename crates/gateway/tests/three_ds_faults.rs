//! 3-D Secure simulator faults set at run time through its HTTP admin endpoint (`POST
//! /faults`, issue 15 §2), observed from the gateway: a late DS still authenticates, an
//! injected ARes decline fails the payment without authorizing it, and a silent, garbling or
//! connection-dropping DS never turns into a 500 — after the heal the next payment
//! authenticates again.

mod support;
mod three_ds_support;

use paygate_payments::SystemClock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::TestApp;
use three_ds_support::{intent, pay};

const FRICTIONLESS: &str = "4000000000003055";

async fn app_with_admin() -> (TestApp, String) {
    let mut app = TestApp::spawn_three_ds(|_| {}, Arc::new(SystemClock)).await;
    let admin = app
        .three_ds
        .as_mut()
        .expect("3-D Secure simulator")
        .serve_admin("127.0.0.1:0".parse().unwrap())
        .await
        .expect("admin listener");
    (app, format!("http://{admin}/faults"))
}

async fn set_faults(app: &TestApp, url: &str, settings: Value) {
    let r = app.client.post(url).json(&settings).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Lifts the faults; a frictionless payment is authenticated and paid again.
async fn authenticated_after_heal(app: &TestApp, url: &str) {
    set_faults(app, url, json!({})).await;
    let (s, pi) = pay(app, FRICTIONLESS, Some("any"), 20_000).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    let done = intent(app, pi["id"].as_str().unwrap()).await;
    let tds = &done["latest_charge"]["payment_method_details"]["card"]["three_d_secure"];
    assert_eq!(tds["result"], "authenticated", "{done}");
    assert!(app.ledger_problems().await.is_empty());
}

#[tokio::test]
async fn a_late_ds_still_authenticates() {
    let (app, url) = app_with_admin().await;
    set_faults(&app, &url, json!({"late_ms": 300})).await;
    let started = Instant::now();
    let (s, pi) = pay(&app, FRICTIONLESS, Some("any"), 20_000).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn an_injected_ares_decline_fails_the_payment_without_an_authorization() {
    let (app, url) = app_with_admin().await;
    set_faults(&app, &url, json!({"decline_pct": 100, "decline_code": "N"})).await;
    let (s, e) = pay(&app, FRICTIONLESS, Some("any"), 20_000).await;
    assert!(s.is_client_error(), "{s} {e}");
    assert_eq!(
        e["error"]["code"], "payment_intent_authentication_failure",
        "{e}"
    );
    assert_eq!(
        e["error"]["payment_intent"]["status"], "requires_payment_method",
        "{e}"
    );
    let journal = paygate_sim_network::journal(&app.sim_dir()).unwrap();
    assert!(journal.is_empty(), "nothing reached the card network");
    authenticated_after_heal(&app, &url).await;
}

#[tokio::test]
async fn a_silent_garbling_or_dropping_ds_is_never_a_500() {
    let (app, url) = app_with_admin().await;
    for fault in [
        json!({"garbage_pct": 100}),
        json!({"drop_pct": 100}),
        json!({"silent": true}),
    ] {
        set_faults(&app, &url, fault.clone()).await;
        let (s, v) = pay(&app, FRICTIONLESS, Some("automatic"), 20_000).await;
        assert!(!s.is_server_error(), "{fault}: {s} {v}");
        if s == StatusCode::OK {
            // `automatic` goes ahead without authentication when the DS cannot answer.
            let done = intent(&app, v["id"].as_str().unwrap()).await;
            let tds = &done["latest_charge"]["payment_method_details"]["card"]["three_d_secure"];
            assert_ne!(tds["result"], "authenticated", "{fault}: {done}");
        }
        authenticated_after_heal(&app, &url).await;
    }
}
