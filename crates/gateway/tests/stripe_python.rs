//! The official `stripe` Python library, unmodified, against a running paygate: a merchant's
//! existing code works by changing the API base and the key.
//!
//! The test makes its own venv (`pip install stripe==16.1.0`, `python_support`) under the
//! target dir. Without python3 it fails, unless `PAYGATE_SKIP_PYTHON=1`. Longer scripts live in
//! `tests/data/stripe_python/`.

mod python_support;
mod support;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use python_support::{last_json, run_python, venv};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::TestApp;

const SCRIPT: &str = r#"
import json, sys, stripe
base, key, hook_url = sys.argv[1], sys.argv[2], sys.argv[3]
stripe.api_key = key
stripe.api_base = base
out = {}
we = stripe.WebhookEndpoint.create(url=hook_url, enabled_events=["payment_intent.succeeded"])
out["whsec"] = we.secret
pi = stripe.PaymentIntent.create(amount=15000, currency="krw", payment_method="pm_card_visa", confirm=True)
out["auto_status"] = pi.status
out["auto_id"] = pi.id
try:
    stripe.PaymentIntent.create(amount=1000, currency="krw", confirm=True,
                                payment_method="pm_card_chargeDeclinedInsufficientFunds")
    out["decline"] = "no error"
except stripe.error.CardError as e:
    out["decline"] = [e.code, e.error.decline_code, e.http_status]
pi2 = stripe.PaymentIntent.create(amount=8000, currency="krw", capture_method="manual")
pi2 = stripe.PaymentIntent.confirm(pi2.id, payment_method="pm_card_mastercard")
out["manual_status"] = pi2.status
pi2 = stripe.PaymentIntent.capture(pi2.id, amount_to_capture=5000)
out["captured"] = [pi2.status, pi2.amount_received]
re = stripe.Refund.create(payment_intent=pi2.id, amount=2000)
out["refund"] = [re.status, re.amount]
lst = stripe.PaymentIntent.list(limit=2, expand=["data.latest_charge"])
out["list"] = [len(lst.data), lst.has_more, lst.data[0].latest_charge.object]
out["all_ids"] = [p.id for p in stripe.PaymentIntent.list(limit=1).auto_paging_iter()]
cus = stripe.Customer.create(email="park@example.kr", metadata={"tier": "gold"})
out["customer"] = stripe.Customer.retrieve(cus.id).metadata["tier"]
try:
    stripe.PaymentIntent.retrieve("pi_doesnotexist")
except stripe.error.InvalidRequestError as e:
    out["missing"] = [e.http_status, e.code]
print(json.dumps(out))
"#;

const VERIFY: &str = r#"
import sys, stripe
body = open(sys.argv[1], "rb").read().decode()
sig = open(sys.argv[2]).read()
event = stripe.Webhook.construct_event(body, sig, sys.argv[3])
print(event["type"], event["data"]["object"]["id"])
try:
    stripe.Webhook.construct_event(body, sig, "whsec_wrong")
    print("WRONG SECRET ACCEPTED")
except stripe.error.SignatureVerificationError:
    print("wrong secret refused")
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_stripe_python_library_works_against_paygate() {
    let Some(py) = venv() else { return };
    let app = TestApp::spawn().await;
    let got: Arc<Mutex<Vec<(String, Bytes)>>> = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let hook = Router::new().route(
        "/hook",
        post(move |h: HeaderMap, b: Bytes| {
            let g = g.clone();
            async move {
                let sig = h
                    .get("stripe-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                g.lock().unwrap().push((sig, b));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hook).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("flow.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let stdout = run_python(&py, &script, &[&app.base, &app.key, &hook_url]).await;
    let v = last_json(&stdout);
    assert_eq!(v["auto_status"], "succeeded");
    assert_eq!(
        v["decline"],
        serde_json::json!(["card_declined", "insufficient_funds", 402])
    );
    assert_eq!(v["manual_status"], "requires_capture");
    assert_eq!(v["captured"], serde_json::json!(["succeeded", 5000]));
    assert_eq!(v["refund"], serde_json::json!(["succeeded", 2000]));
    assert_eq!(v["list"], serde_json::json!([2, true, "charge"]));
    assert_eq!(
        v["all_ids"].as_array().unwrap().len(),
        3,
        "auto-paging walks every intent"
    );
    assert_eq!(v["customer"], "gold");
    assert_eq!(v["missing"], serde_json::json!([404, "resource_missing"]));

    // The webhook for the automatic payment verifies with stripe.Webhook.construct_event
    // (deliveries are not ordered: the captured manual payment also succeeds).
    let auto_id = v["auto_id"].as_str().unwrap().to_string();
    let mut delivery = None;
    for _ in 0..100 {
        let found = got
            .lock()
            .unwrap()
            .iter()
            .find(|(_, b)| String::from_utf8_lossy(b).contains(&auto_id))
            .cloned();
        if found.is_some() {
            delivery = found;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (sig, body) = delivery.expect("a webhook was delivered");
    std::fs::write(dir.path().join("body"), &body).unwrap();
    std::fs::write(dir.path().join("sig"), &sig).unwrap();
    std::fs::write(dir.path().join("verify.py"), VERIFY).unwrap();
    let whsec = v["whsec"].as_str().unwrap();
    let (body_path, sig_path) = (dir.path().join("body"), dir.path().join("sig"));
    let text = run_python(
        &py,
        &dir.path().join("verify.py"),
        &[
            body_path.to_str().unwrap(),
            sig_path.to_str().unwrap(),
            whsec,
        ],
    )
    .await;
    assert!(
        text.contains(&format!(
            "payment_intent.succeeded {}",
            v["auto_id"].as_str().unwrap()
        )),
        "{text}"
    );
    assert!(text.contains("wrong secret refused"), "{text}");
}

/// 안심클릭 with the `stripe` library for the merchant and urllib as the payer's browser:
/// a passed challenge, a frictionless authentication and a failed challenge
/// (`tests/data/stripe_python/three_ds.py` checks each step and raises on any mismatch).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_python_drives_3ds_challenge_frictionless_and_failure() {
    let Some(py) = venv() else { return };
    let app = TestApp::spawn_three_ds(|_| {}, Arc::new(paygate_payments::SystemClock)).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stripe_python/three_ds.py");
    let stdout = run_python(&py, &script, &[&app.base, &app.key]).await;
    let v = last_json(&stdout);

    // What the script saw through the library, checked again through the API.
    for (case, status, outcome) in [
        ("challenge", "succeeded", "authenticated"),
        ("frictionless", "succeeded", "authenticated"),
        (
            "failed",
            "requires_payment_method",
            "payment_intent_authentication_failure",
        ),
    ] {
        let id = v[case][0].as_str().unwrap_or_else(|| panic!("{case}: {v}"));
        assert_eq!(v[case][1], status, "{case}: {v}");
        assert_eq!(v[case][2], outcome, "{case}: {v}");
        let (_, pi) = app
            .get(&format!("/v1/payment_intents/{id}?expand[]=latest_charge"))
            .await;
        assert_eq!(pi["status"], status, "{pi}");
    }
    assert_eq!(v["challenge"][3], "challenge", "{v}");
    assert_eq!(v["frictionless"][3], "frictionless", "{v}");
    let (_, charges) = app.get("/v1/charges?limit=10").await;
    let charges = charges["data"].as_array().expect("charges").len();
    assert_eq!(
        charges, 2,
        "the failed authentication sent no authorization"
    );
}

/// Billing keys with the `stripe` library (`tests/data/stripe_python/billing.py`): setup,
/// off-session charges, a declined setup, `authentication_required`, `setup_future_usage`;
/// then the network journal's stored-credential data and the ledger, read directly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_python_sets_up_a_billing_key_and_charges_it_off_session() {
    let Some(py) = venv() else { return };
    let app = TestApp::spawn().await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stripe_python/billing.py");
    let stdout = run_python(&py, &script, &[&app.base, &app.key]).await;
    let v = last_json(&stdout);
    assert_eq!(v["setup"][1], "succeeded", "{v}");
    assert_eq!(v["declined"][0], "card_declined", "{v}");
    assert_eq!(v["declined"][1], "requires_payment_method", "{v}");
    assert_eq!(v["auth_required"][0], "authentication_required", "{v}");
    assert_eq!(v["auth_required"][1], "requires_payment_method", "{v}");
    assert_eq!(v["canceled"], "canceled", "{v}");
    let journal =
        serde_json::to_value(paygate_sim_network::journal(&app.sim_dir()).unwrap()).unwrap();
    let entries = journal.as_array().unwrap();
    let verification = entries
        .iter()
        .find(|e| e["type"] == "account_verification" && e["response_code"] == "00")
        .expect("the setup's verification");
    let initial = verification["rrn"].as_str().unwrap();
    let uses: Vec<&str> = entries
        .iter()
        .filter(|e| e["original_rrn"] == initial)
        .map(|e| e["stored_credential"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(uses, ["recurring", "unscheduled"], "{journal}");
    assert!(app.ledger_problems().await.is_empty());
    // Four approved charges (two off-session, the saving payment and its recurring use).
    assert!(
        app.balance().await.1 > 0,
        "the charges are pending in the balance"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_python_creates_retrieves_lists_and_expires_checkout_sessions() {
    let Some(py) = venv() else { return };
    let app = TestApp::spawn().await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stripe_python/checkout.py");
    let v = last_json(&run_python(&py, &script, &[&app.base, &app.key]).await);
    assert_eq!(
        v["created"],
        serde_json::json!(["checkout.session", "open", "unpaid", 27000, "krw"]),
        "{v}"
    );
    assert!(
        v["url"]
            .as_str()
            .unwrap()
            .contains("/pay/checkout/cs_test_"),
        "{v}"
    );
    assert_eq!(
        v["retrieved"],
        serde_json::json!([true, "A-1", true]),
        "{v}"
    );
    assert_eq!(
        v["items"],
        serde_json::json!([["티셔츠", 2, 24000], ["배송비", 1, 3000]]),
        "{v}"
    );
    assert_eq!(
        v["setup"],
        serde_json::json!(["setup", "no_payment_required", true])
    );
    assert_eq!(v["list"], serde_json::json!([1, true, true]), "{v}");
    assert_eq!(v["expired"], "expired");
    assert_eq!(
        v["expire_again"],
        serde_json::json!([400, "checkout_session_unexpected_state"])
    );
    assert_eq!(
        v["bad"],
        serde_json::json!([400, "line_items[0][quantity]"]),
        "{v}"
    );
}

/// 3-D Secure during a setup with the `stripe` library and urllib as the payer's browser
/// (`tests/data/stripe_python/setup_three_ds.py`): confirm → `requires_action` → the ACS
/// password page → back to the shop → `succeeded`; then the verification, read directly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_python_sets_up_a_card_that_requires_3ds_through_the_challenge() {
    let Some(py) = venv() else { return };
    let app = TestApp::spawn_three_ds(|_| {}, Arc::new(paygate_payments::SystemClock)).await;
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stripe_python/setup_three_ds.py");
    let stdout = run_python(&py, &script, &[&app.base, &app.key]).await;
    let v = last_json(&stdout);
    assert_eq!(v["setup"][1], "succeeded", "{v}");
    assert_eq!(v["setup"][3], "pass", "{v}");
    let journal =
        serde_json::to_value(paygate_sim_network::journal(&app.sim_dir()).unwrap()).unwrap();
    let verification = &journal.as_array().unwrap()[0];
    assert_eq!(verification["type"], "account_verification", "{journal}");
    assert_eq!(verification["authentication"], "verified", "{journal}");
    assert_eq!(verification["response_code"], "00", "{journal}");
}
