//! Webhooks: events are delivered to matching endpoints, signed with Stripe's scheme, retried
//! after failures, recorded, and resendable.

mod support;

use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use sha2::Sha256;
use std::time::Duration;
use support::webhook_receiver::{receiver, wait_for};
use support::{TestApp, VISA};

fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = "";
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = x,
            Some(("v1", x)) => v1.push(x.to_string()),
            _ => {}
        }
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    v1.contains(&expected)
}

#[tokio::test]
async fn events_are_delivered_signed_to_matching_endpoints_only() {
    let app = TestApp::spawn().await;
    let (url, got) = receiver(0).await;
    let (s, we) = app
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", &url),
                ("enabled_events[]", "payment_intent.succeeded"),
                ("enabled_events[]", "charge.refunded"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{we}");
    let secret = we["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let (_, again) = app
        .get(&format!(
            "/v1/webhook_endpoints/{}",
            we["id"].as_str().unwrap()
        ))
        .await;
    assert!(again.get("secret").is_none(), "the secret is shown once");
    let (_, pi) = app.pay(VISA, 2500, &[]).await;
    let deliveries = wait_for(&got, 1).await;
    assert_eq!(deliveries.len(), 1, "only the subscribed type is sent");
    let (sig, body) = &deliveries[0];
    assert!(
        verify(&secret, sig, body),
        "signature verifies with the endpoint secret"
    );
    assert!(!verify("whsec_other", sig, body));
    let event: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["type"], "payment_intent.succeeded");
    assert_eq!(event["data"]["object"]["id"], pi["id"]);
    // The attempt is recorded right after the receiver answered.
    let path = format!(
        "/v1/events/{}/delivery_attempts",
        event["id"].as_str().unwrap()
    );
    let mut attempts = serde_json::Value::Null;
    for _ in 0..50 {
        attempts = app.get(&path).await.1;
        if attempts["data"].as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(attempts["data"][0]["status_code"], 200, "{attempts}");
}

#[tokio::test]
async fn failed_deliveries_are_retried_recorded_and_can_be_resent() {
    let app = TestApp::spawn().await;
    let (url, got) = receiver(1).await;
    let (_, we) = app
        .post(
            "/v1/webhook_endpoints",
            &[("url", &url), ("enabled_events[]", "*")],
        )
        .await;
    let (_, c) = app.post("/v1/customers", &[("name", "Lee")]).await;
    // The first attempt fails (500); it is recorded with its status and scheduled for later.
    let mut event_id = String::new();
    for _ in 0..50 {
        let (_, evs) = app.get("/v1/events?type=customer.created").await;
        event_id = evs["data"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (_, a) = app
            .get(&format!("/v1/events/{event_id}/delivery_attempts"))
            .await;
        if a["data"].as_array().is_some_and(|d| !d.is_empty()) {
            assert_eq!(a["data"][0]["status_code"], 500);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(got.lock().unwrap().is_empty());
    // A manual resend delivers it now.
    let (s, r) = app
        .post(
            &format!(
                "/v1/webhook_endpoints/{}/resend",
                we["id"].as_str().unwrap()
            ),
            &[("event", &event_id)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let d = wait_for(&got, 1).await;
    assert_eq!(d.len(), 1);
    let e: serde_json::Value = serde_json::from_slice(&d[0].1).unwrap();
    assert_eq!(e["data"]["object"]["id"], c["id"]);
}

#[tokio::test]
async fn live_mode_refuses_private_webhook_urls() {
    let app = TestApp::spawn().await;
    let (live, _) =
        paygate_gateway::admin::create_key(&app.server.state.store, &app.merchant, true, true)
            .await
            .unwrap();
    for url in [
        "https://127.0.0.1/hook",
        "https://10.0.0.5/hook",
        "https://localhost/x",
        "http://example.com/x",
    ] {
        let (s, e) = app
            .post_as(
                &live,
                "/v1/webhook_endpoints",
                &[("url", url), ("enabled_events[]", "*")],
                None,
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{url}");
        assert_eq!(e["error"]["param"], "url");
    }
    let (s, _) = app
        .post_as(
            &live,
            "/v1/webhook_endpoints",
            &[
                ("url", "https://hooks.example.com/x"),
                ("enabled_events[]", "*"),
            ],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}
