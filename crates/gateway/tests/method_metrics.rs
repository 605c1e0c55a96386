//! `/metrics` for the methods that do not end in one card authorization: 휴대폰 소액결제 (the
//! carrier's code steps are calls to the carrier), 가상계좌 (the deposit that pays the account
//! is the payment's outcome) and 안심클릭 (the calls to the 3-D Secure Directory Server).
//! Every payment reaches `paygate_payments_total` once per outcome it went through.

mod carrier_support;
mod metrics_exposition;
mod support;
mod three_ds_support;
mod va_support;

use metrics_exposition::Page;
use paygate_payments::SystemClock;
use reqwest::StatusCode;
use std::sync::Arc;
use support::TestApp;

fn payments(page: &Page, method: &str, outcome: &str) -> f64 {
    let labels = [("method", method), ("outcome", outcome)];
    page.value("paygate_payments_total", &labels)
        .unwrap_or_else(|| panic!("paygate_payments_total{labels:?} missing"))
}

/// Calls to `counterparty` answered so far, and calls waiting now.
fn link(page: &Page, counterparty: &str) -> (f64, f64) {
    let l = [("counterparty", counterparty)];
    let count = page.value("paygate_link_request_duration_seconds_count", &l);
    let in_flight = page.value("paygate_link_in_flight", &l);
    (
        count.unwrap_or_else(|| panic!("no latency of {counterparty}")),
        in_flight.unwrap_or_else(|| panic!("no in-flight gauge of {counterparty}")),
    )
}

async fn page(app: &TestApp) -> Page {
    metrics_exposition::parse(&app.metrics_text().await)
}

#[tokio::test]
async fn a_carrier_payment_counts_its_code_steps_and_its_outcomes() {
    let w = carrier_support::world().await;
    let before = page(&w.app).await;
    assert_eq!(link(&before, "mobile_carrier"), (0.0, 0.0));
    let pi = w
        .pay(&w.app.key, "15000", "01012345678", "skt", "19900101")
        .await;
    assert_eq!(w.intent_doc(&w.app.key, &pi).await["status"], "succeeded");

    let after = page(&w.app).await;
    // Asked for a code, confirmed it, charged: three calls to the carrier, none waiting.
    assert_eq!(link(&after, "mobile_carrier"), (3.0, 0.0));
    assert_eq!(payments(&after, "mobile_carrier", "requires_action"), 1.0);
    assert_eq!(payments(&after, "mobile_carrier", "succeeded"), 1.0);
    assert_eq!(payments(&after, "mobile_carrier", "declined"), 0.0);
}

#[tokio::test]
async fn a_virtual_account_payment_succeeds_once_with_the_deposit_that_pays_it() {
    let va = va_support::spawn().await;
    let (pi, number) = va_support::issue(&va, "30000").await;
    let m = page(&va.app).await;
    assert_eq!(payments(&m, "virtual_account", "requires_action"), 1.0);
    assert_eq!(payments(&m, "virtual_account", "succeeded"), 0.0);

    let (s, part) = va_support::deposit(&va, &number, "10000").await;
    assert_eq!(s, StatusCode::OK, "{part}");
    let m = page(&va.app).await;
    assert_eq!(
        payments(&m, "virtual_account", "succeeded"),
        0.0,
        "a partial deposit is no outcome"
    );
    assert_eq!(payments(&m, "virtual_account", "requires_action"), 1.0);

    let (s, done) = va_support::deposit(&va, &number, "20000").await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let (_, doc) = va.app.get(&format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(doc["status"], "succeeded", "{doc}");
    let m = page(&va.app).await;
    assert_eq!(payments(&m, "virtual_account", "succeeded"), 1.0);
    assert_eq!(payments(&m, "virtual_account", "requires_action"), 1.0);
    assert_eq!(m.sum("paygate_payments_total", &[("method", "card")]), 0.0);
}

#[tokio::test]
async fn three_d_secure_payments_measure_the_directory_server_and_count_each_outcome() {
    let app = TestApp::spawn_three_ds(|_| {}, Arc::new(SystemClock)).await;
    let (s, pi) = three_ds_support::pay(&app, "4000000000003055", None, 20_000).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded", "frictionless");
    let (s, pi) = three_ds_support::pay(&app, "4000000000003220", None, 50_000).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_action", "challenge");
    let b = three_ds_support::browser();
    let cres = three_ds_support::challenge(&b, &pi, &["1234"]).await;
    let back = three_ds_support::submit(&b, &cres, &[]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let done = three_ds_support::intent(&app, pi["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");

    let m = page(&app).await;
    // Two AReqs and the card ranges (a PReq at start, and one by the refresher that starts
    // with a refresh): three calls or four, all answered.
    let (calls, in_flight) = link(&m, "three_ds");
    assert!((3.0..=4.0).contains(&calls), "{calls} calls to the DS");
    assert_eq!(in_flight, 0.0);
    assert_eq!(payments(&m, "card", "requires_action"), 1.0);
    assert_eq!(payments(&m, "card", "succeeded"), 2.0);
    assert_eq!(link(&m, "card_network"), (2.0, 0.0));
}
