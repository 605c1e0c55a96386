//! What operators and integrators see around the API: request ids, the metrics listener.

mod metrics_exposition;
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
        text.contains("paygate_payments_total{method=\"card\",outcome=\"succeeded\"} 1\n"),
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

/// `/metrics` after an approved payment, a decline, a refund, a delivered webhook and one that
/// is being retried: a strict exposition page whose labelled values say exactly that — per
/// route template (never the raw path), per method and outcome, per decline code, per
/// counterparty link.
#[tokio::test]
async fn metrics_label_requests_payments_declines_links_and_webhooks() {
    let app = TestApp::spawn().await;
    let (url, got) = support::webhook_receiver::receiver(0).await;
    let (s, we) = app
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", &url),
                ("enabled_events[]", "payment_intent.succeeded"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{we}");
    // A second endpoint that always answers 500: its attempts are retried, never delivered.
    let (down, _) = support::webhook_receiver::receiver(usize::MAX).await;
    let form = [
        ("url", down.as_str()),
        ("enabled_events[]", "payment_intent.succeeded"),
    ];
    let (s, we) = app.post("/v1/webhook_endpoints", &form).await;
    assert_eq!(s, StatusCode::OK, "{we}");
    let (s, pi) = app.pay(VISA, 10_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let id = pi["id"].as_str().unwrap();
    let (s, e) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("confirm", "true"),
                ("payment_method", "pm_card_chargeDeclined"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
    assert_eq!(e["error"]["decline_code"], "generic_decline");
    let (s, re) = app.post("/v1/refunds", &[("payment_intent", id)]).await;
    assert_eq!(s, StatusCode::OK, "{re}");
    let (s, _) = app.get(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get("/v1/no_such_thing/pi_123").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(support::webhook_receiver::wait_for(&got, 1).await.len(), 1);

    // The delivery is recorded just after the receiver answered: read until it is counted.
    let mut page = metrics_exposition::parse(&app.metrics_text().await);
    for _ in 0..100 {
        if page.value("paygate_webhook_deliveries_ok_total", &[]) == Some(1.0)
            && page.value("paygate_webhook_delivery_retries_total", &[]) >= Some(1.0)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = metrics_exposition::parse(&app.metrics_text().await);
    }
    let v = |name: &str, labels: &[(&str, &str)]| {
        page.value(name, labels)
            .unwrap_or_else(|| panic!("{name}{labels:?} missing"))
    };
    let requests = "paygate_http_requests_total";
    let route = |r, m, s| [("route", r), ("method", m), ("status", s)];
    assert_eq!(
        v(requests, &route("/v1/payment_intents", "POST", "200")),
        1.0
    );
    assert_eq!(
        v(requests, &route("/v1/payment_intents", "POST", "402")),
        1.0
    );
    assert_eq!(
        v(requests, &route("/v1/payment_intents/{id}", "GET", "200")),
        1.0
    );
    assert_eq!(v(requests, &route("/v1/refunds", "POST", "200")), 1.0);
    assert_eq!(v(requests, &route("unmatched", "GET", "404")), 1.0);
    assert!(
        page.samples
            .iter()
            .all(|(_, l, _)| l.iter().all(|(_, v)| !v.contains("pi_"))),
        "no raw path (object id) is a label value"
    );
    let latency = "paygate_http_request_duration_seconds_count";
    assert_eq!(v(latency, &[("route", "/v1/payment_intents")]), 2.0);

    let payments = "paygate_payments_total";
    let pay = |outcome| [("method", "card"), ("outcome", outcome)];
    assert_eq!(v(payments, &pay("succeeded")), 1.0);
    assert_eq!(v(payments, &pay("declined")), 1.0);
    assert_eq!(v(payments, &pay("network_failed")), 0.0);
    assert_eq!(
        v(
            payments,
            &[("method", "mobile_carrier"), ("outcome", "succeeded")]
        ),
        0.0
    );
    let declines = [("method", "card"), ("code", "generic_decline")];
    assert_eq!(v("paygate_declines_total", &declines), 1.0);
    assert_eq!(page.sum("paygate_declines_total", &[]), 1.0);
    assert_eq!(v("paygate_refunds_total", &[]), 1.0);
    assert_eq!(v("paygate_reversals_total", &[]), 0.0);
    let action = [("action", "reverse_authorization")];
    assert_eq!(v("paygate_recovery_actions_total", &action), 0.0);

    // Two authorizations and a refund went over the card network's link; none is in flight.
    let card = [("counterparty", "card_network")];
    assert!(v("paygate_link_request_duration_seconds_count", &card) >= 3.0);
    assert_eq!(v("paygate_link_in_flight", &card), 0.0);

    assert_eq!(v("paygate_webhook_deliveries_ok_total", &[]), 1.0);
    assert_eq!(v("paygate_webhook_delivery_lag_seconds_count", &[]), 1.0);
    assert_eq!(v("paygate_webhook_deliveries_failed_total", &[]), 0.0);
    assert!(v("paygate_webhook_delivery_retries_total", &[]) >= 1.0);
    v("paygate_webhook_backlog", &[("stage", "delivery")]);
    v("paygate_webhook_backlog", &[("stage", "fan_out")]);

    let batches = v("paygate_store_batches_total", &[]);
    assert!(batches >= 1.0);
    assert_eq!(v("paygate_store_batch_units_count", &[]), batches);
    assert_eq!(
        v("paygate_store_batch_units_sum", &[]),
        v("paygate_store_units_total", &[])
    );
    assert_eq!(v("paygate_metrics_dropped_total", &[]), 0.0);
    if cfg!(target_os = "linux") {
        assert!(v("process_resident_memory_bytes", &[]) > 0.0);
        assert!(v("process_open_fds", &[]) > 0.0);
        assert!(v("process_start_time_seconds", &[]) > 1.6e9);
        v("process_cpu_seconds_total", &[]);
    }
    assert_eq!(page.types["paygate_payments_total"], "counter");
    assert_eq!(page.types["paygate_link_in_flight"], "gauge");
    assert_eq!(
        page.types["paygate_http_request_duration_seconds"],
        "histogram"
    );
}
