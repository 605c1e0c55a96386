//! Card-network simulator faults set at run time through its HTTP admin endpoint
//! (`POST /faults`, issue 15 §2), each observed from the gateway's side: late answers still
//! pay, injected declines decline with their code, a silent network times out and the
//! authorization is reversed, garbage and dropped connections are handled — never a 500 loop,
//! and the next payment after the fault is lifted succeeds.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{TestApp, VISA};

async fn app_with_admin() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let admin = app
        .sim
        .serve_admin("127.0.0.1:0".parse().unwrap())
        .await
        .expect("admin listener");
    (app, format!("http://{admin}/faults"))
}

async fn set_faults(app: &TestApp, url: &str, settings: Value) -> Value {
    let r = app.client.post(url).json(&settings).send().await.unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

fn authorizations(app: &TestApp) -> Vec<Value> {
    let journal = paygate_sim_network::journal(&app.sim_dir()).expect("journal");
    let v = serde_json::to_value(journal).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "authorization")
        .cloned()
        .collect()
}

/// Lifts the faults; a payment succeeds within a few seconds (the link may first have to
/// notice a connection the fault broke) and nothing is ever a 500.
async fn paid_after_heal(app: &TestApp, url: &str) {
    set_faults(app, url, json!({})).await;
    let until = Instant::now() + Duration::from_secs(10);
    let mut failed = 0;
    loop {
        let (s, pi) = app.pay(VISA, 3_000, &[]).await;
        assert!(!s.is_server_error(), "{pi}");
        if s == StatusCode::OK {
            assert_eq!(pi["status"], "succeeded");
            break;
        }
        failed += 1;
        assert!(Instant::now() < until, "no payment after the heal: {pi}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("payments failed after the heal before one succeeded: {failed}");
    assert!(app.ledger_problems().await.is_empty());
}

#[tokio::test]
async fn the_admin_endpoint_names_the_field_of_a_bad_setting() {
    let (app, url) = app_with_admin().await;
    let r = app
        .client
        .post(&url)
        .json(&json!({"drop_pct": 101}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().starts_with("drop_pct"), "{v}");
    let v: Value = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["drop_pct"], 0);
}

#[tokio::test]
async fn a_late_network_still_pays() {
    let (app, url) = app_with_admin().await;
    set_faults(&app, &url, json!({"late_ms": 400})).await;
    let started = Instant::now();
    let (s, pi) = app.pay(VISA, 5_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert!(app.ledger_problems().await.is_empty());
}

#[tokio::test]
async fn injected_declines_decline_with_their_code() {
    let (app, url) = app_with_admin().await;
    set_faults(
        &app,
        &url,
        json!({"decline_pct": 100, "decline_code": "51"}),
    )
    .await;
    for _ in 0..3 {
        let (s, e) = app.pay(VISA, 5_000, &[]).await;
        assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
        assert_eq!(e["error"]["type"], "card_error", "{e}");
        assert_eq!(e["error"]["decline_code"], "insufficient_funds", "{e}");
    }
    let auths = authorizations(&app);
    assert_eq!(auths.len(), 3);
    assert!(
        auths.iter().all(|a| a["response_code"] == "51"),
        "{auths:?}"
    );
    assert_eq!(app.balance().await, (0, 0));
    paid_after_heal(&app, &url).await;
}

#[tokio::test]
async fn a_silent_network_times_out_and_the_authorization_is_reversed() {
    let (app, url) = app_with_admin().await;
    set_faults(&app, &url, json!({"silent": true})).await;
    let (s, e) = app.pay(VISA, 5_000, &[]).await;
    assert!(
        s == StatusCode::PAYMENT_REQUIRED || s == StatusCode::SERVICE_UNAVAILABLE,
        "a timeout is not a 500: {s} {e}"
    );
    assert_eq!(e["error"]["code"], "processing_error", "{e}");
    set_faults(&app, &url, json!({})).await;
    // The network approved it silently; the gateway's reversal releases it.
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        let auths = authorizations(&app);
        if auths.len() == 1 && auths[0]["reversed"] == true {
            break;
        }
        assert!(Instant::now() < until, "not reversed: {auths:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.balance().await, (0, 0));
    paid_after_heal(&app, &url).await;
}

#[tokio::test]
async fn garbage_and_dropped_answers_are_handled_without_a_500_loop() {
    let (app, url) = app_with_admin().await;
    for fault in [json!({"garbage_pct": 100}), json!({"drop_pct": 100})] {
        set_faults(&app, &url, fault.clone()).await;
        for _ in 0..3 {
            let (s, e) = app.pay(VISA, 5_000, &[]).await;
            assert_ne!(s, StatusCode::OK, "{fault}: {e}");
            assert_ne!(s, StatusCode::INTERNAL_SERVER_ERROR, "{fault}: {e}");
        }
        paid_after_heal(&app, &url).await;
    }
    // Every approval the network gave during the faults was reversed: only the healed
    // payments hold funds.
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        let held = authorizations(&app)
            .iter()
            .filter(|a| a["response_code"] == "00" && a["reversed"] == false)
            .count();
        if held == 2 {
            break;
        }
        assert!(
            Instant::now() < until,
            "held {held}: {:?}",
            authorizations(&app)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Found by `paygate chaos`: a refund the network did not answer failed 500 and its key was
/// released at once, so the client's retry refunded a second time while the first refund was
/// still to be settled. The key now stays in flight until recovery has settled the refund, and
/// then answers that refund.
#[tokio::test]
async fn the_retry_of_a_refund_whose_answer_is_unknown_waits_for_it_and_never_refunds_twice() {
    let app = TestApp::spawn_with(|c| {
        c.network_timeout_ms = 300;
        c.sweep_interval_ms = 600_000;
        c.attempt_stale_s = 600;
    })
    .await;
    let admin = app
        .sim
        .serve_admin("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("http://{admin}/faults");
    let (_, pi) = app.pay(VISA, 9_000, &[]).await;
    let pi_id = pi["id"].as_str().unwrap().to_string();
    set_faults(&app, &url, json!({"silent": true})).await;
    let form = [("payment_intent", pi_id.as_str()), ("amount", "1000")];
    let (s, e) = app.post_idem("/v1/refunds", &form, "refund-k").await;
    assert!(
        s.is_server_error(),
        "the refund's outcome is unknown: {s} {e}"
    );
    let (s, e) = app.post_idem("/v1/refunds", &form, "refund-k").await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "the key is still in flight, no second refund: {e}"
    );

    set_faults(&app, &url, json!({})).await;
    paygate_gateway::engine::recovery::recover(&app.server.state, None)
        .await
        .unwrap();
    let (s, refund) = app.post_idem("/v1/refunds", &form, "refund-k").await;
    assert_eq!(s, StatusCode::OK, "{refund}");
    assert_eq!(refund["status"], "succeeded", "{refund}");
    let (_, list) = app
        .get(&format!("/v1/refunds?payment_intent={pi_id}"))
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["data"][0]["id"], refund["id"]);
    let refunds_at_network: Vec<Value> = paygate_sim_network::journal(&app.sim_dir())
        .map(|j| serde_json::to_value(j).unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "refund" && e["response_code"] == "00")
        .cloned()
        .collect();
    assert_eq!(refunds_at_network.len(), 1, "{refunds_at_network:?}");
    assert!(app.ledger_problems().await.is_empty());
}
