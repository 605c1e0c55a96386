//! Webhook lanes: each endpoint is delivered to on its own, so one merchant's slow or failing
//! endpoint never holds back another merchant's webhooks.

mod support;

use axum::Router;
use axum::routing::post;
use reqwest::StatusCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::TestApp;
use tokio::sync::watch;

/// Polls `cond` every 100 ms, at most `tries` times.
async fn eventually(tries: usize, mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..tries {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    cond()
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook")
}

/// Counts requests in progress; dropped (request over or abandoned) it counts down.
struct Holding(Arc<AtomicUsize>);

impl Drop for Holding {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A receiver that holds every request until `release` turns true; `held` counts requests
/// being held right now.
async fn holding_receiver(release: watch::Receiver<bool>) -> (String, Arc<AtomicUsize>) {
    let held = Arc::new(AtomicUsize::new(0));
    let h = held.clone();
    let app = Router::new().route(
        "/hook",
        post(move || {
            let (h, mut release) = (h.clone(), release.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                let _holding = Holding(h);
                let _ = release.wait_for(|r| *r).await;
                "ok"
            }
        }),
    );
    (serve(app).await, held)
}

/// A receiver that answers `status` and counts requests; on each it also notes what
/// `watch` read at that moment (in `seen`).
async fn counting_receiver(
    status: u16,
    watch: Arc<AtomicUsize>,
) -> (String, Arc<AtomicUsize>, Arc<std::sync::Mutex<Vec<usize>>>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (c, s) = (calls.clone(), seen.clone());
    let app = Router::new().route(
        "/hook",
        post(move || {
            let (c, s, w) = (c.clone(), s.clone(), watch.clone());
            async move {
                s.lock().unwrap().push(w.load(Ordering::SeqCst));
                c.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    (serve(app).await, calls, seen)
}

async fn endpoint(app: &TestApp, key: &str, url: &str) -> String {
    let (s, we) = app
        .post_as(
            key,
            "/v1/webhook_endpoints",
            &[("url", url), ("enabled_events[]", "customer.created")],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{we}");
    we["id"].as_str().unwrap().to_string()
}

async fn customer_event(app: &TestApp, key: &str) -> String {
    let (s, c) = app
        .post_as(key, "/v1/customers", &[("name", "Kim")], None)
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let (_, evs) = app.get_as(key, "/v1/events?type=customer.created").await;
    let ev = evs["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["data"]["object"]["id"] == c["id"])
        .expect("the customer's event")
        .clone();
    ev["id"].as_str().unwrap().to_string()
}

async fn attempt_codes(app: &TestApp, key: &str, event_id: &str) -> Vec<serde_json::Value> {
    let (_, a) = app
        .get_as(key, &format!("/v1/events/{event_id}/delivery_attempts"))
        .await;
    a["data"]
        .as_array()
        .map(|d| d.iter().map(|x| x["status_code"].clone()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_endpoint_does_not_delay_another_merchants_webhooks() {
    let app = TestApp::spawn_with(|c| c.webhook_timeout_ms = 30_000).await;
    let key_b = app.other_merchant().await;
    let (release, release_rx) = watch::channel(false);
    let (url_a, held_a) = holding_receiver(release_rx).await;
    let (url_b, calls_b, held_a_when_b_saw) = counting_receiver(200, held_a.clone()).await;
    endpoint(&app, &app.key, &url_a).await;
    endpoint(&app, &key_b, &url_b).await;

    let event_a = customer_event(&app, &app.key).await;
    assert!(
        eventually(100, || held_a.load(Ordering::SeqCst) >= 1).await,
        "A's receiver gets A's event and holds it"
    );
    customer_event(&app, &key_b).await;
    let b_delivered = eventually(200, || calls_b.load(Ordering::SeqCst) >= 1).await;
    let held_then = held_a_when_b_saw.lock().unwrap().first().copied();
    release.send(true).unwrap();
    assert!(b_delivered, "B's event is delivered");
    assert_eq!(
        held_then,
        Some(1),
        "B's event arrived while A's request was still held"
    );
    // Released, A's delivery completes and is recorded as such.
    let mut codes = Vec::new();
    for _ in 0..100 {
        codes = attempt_codes(&app, &app.key, &event_a).await;
        if !codes.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(codes, vec![serde_json::json!(200)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_endpoint_is_held_back_alone() {
    let app = TestApp::spawn().await;
    let key_b = app.other_merchant().await;
    let nothing = Arc::new(AtomicUsize::new(0));
    let (url_a, calls_a, _) = counting_receiver(500, nothing.clone()).await;
    let (url_b, calls_b, _) = counting_receiver(200, nothing).await;
    endpoint(&app, &app.key, &url_a).await;
    endpoint(&app, &key_b, &url_b).await;

    // A's endpoint fails the breaker's number of times in a row, one event after another.
    let failures = paygate_gateway::webhooks::BREAKER_FAILURES as usize;
    for n in 1..=failures {
        customer_event(&app, &app.key).await;
        assert!(
            eventually(100, || calls_a.load(Ordering::SeqCst) >= n).await,
            "A's endpoint is tried for event {n}"
        );
    }
    // Its breaker is open now: A's next event waits, B's is delivered.
    let held_back = customer_event(&app, &app.key).await;
    customer_event(&app, &key_b).await;
    assert!(
        eventually(100, || calls_b.load(Ordering::SeqCst) >= 1).await,
        "B's event is delivered"
    );
    assert_eq!(
        calls_a.load(Ordering::SeqCst),
        failures,
        "A is not tried again yet"
    );
    assert!(
        attempt_codes(&app, &app.key, &held_back).await.is_empty(),
        "A's newest event has no attempt while A's breaker is open"
    );
}
