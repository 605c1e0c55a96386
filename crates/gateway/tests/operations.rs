//! What operators and integrators see around the API: request ids, the metrics listener.

mod support;

use reqwest::StatusCode;
use support::{TestApp, VISA};

fn request_id(r: &reqwest::Response) -> String {
    r.headers()
        .get("request-id")
        .unwrap_or_else(|| panic!("no Request-Id on {} {:?}", r.status(), r.url().path()))
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_response_carries_its_own_request_id_errors_included() {
    let app = TestApp::spawn().await;
    let c = &app.client;
    let mut seen = std::collections::HashSet::new();
    let cases = [
        (
            c.get(format!("{}/v1/customers", app.base))
                .bearer_auth(&app.key),
            200,
        ),
        (c.get(format!("{}/v1/customers", app.base)), 401),
        (
            c.get(format!("{}/v1/nope", app.base)).bearer_auth(&app.key),
            404,
        ),
        (
            c.post(format!("{}/v1/customers/cus_nope", app.base))
                .bearer_auth(&app.key)
                .body("name=x")
                .header("content-type", "application/x-www-form-urlencoded"),
            404,
        ),
        (
            c.post(format!("{}/v1/payment_intents", app.base))
                .bearer_auth(&app.key)
                .body("amount=-1&currency=krw")
                .header("content-type", "application/x-www-form-urlencoded"),
            400,
        ),
        (c.get(format!("{}/healthz", app.base)), 200),
    ];
    for (req, status) in cases {
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{:?}", r.url().path());
        let id = request_id(&r);
        assert!(
            id.starts_with("req_") && id.len() > 10,
            "{id} is not a request id"
        );
        assert!(seen.insert(id.clone()), "{id} given twice");
    }
}

#[tokio::test]
async fn events_name_the_request_that_caused_them() {
    let app = TestApp::spawn().await;
    let form = support::card_payment_form(VISA, "15000");
    let r = app
        .post_response(&app.key, "/v1/payment_intents", &form, Some("order-77"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let rid = request_id(&r);
    let pi: serde_json::Value = r.json().await.unwrap();
    let (_, events) = app.get("/v1/events?limit=100").await;
    let caused: Vec<&serde_json::Value> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["object"]["id"] == pi["id"])
        .collect();
    assert!(!caused.is_empty(), "{events}");
    for e in caused {
        assert_eq!(
            e["request"],
            serde_json::json!({"id": rid, "idempotency_key": "order-77"}),
            "{e}"
        );
    }
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_and_never_on_the_api_port() {
    let app = TestApp::spawn().await;
    app.pay(VISA, 10_000, &[]).await;
    let api = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    let metrics_addr = app.server.metrics_addr.unwrap();
    assert_ne!(metrics_addr, app.server.addr);
    let text = app.metrics_text().await;
    assert!(
        text.contains("paygate_payments_succeeded_total 1"),
        "{text}"
    );
    let other = reqwest::get(format!("http://{metrics_addr}/v1/customers"))
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        StatusCode::NOT_FOUND,
        "the metrics port serves nothing of the API"
    );
    let off = TestApp::spawn_with(|c| c.metrics_listen = "off".into()).await;
    assert_eq!(off.server.metrics_addr, None);
}
