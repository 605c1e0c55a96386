//! ISP 안전결제 end to end over HTTP: the gateway, the ISP server simulator (in-process) and the
//! card network simulator, which verifies the authentication value the ISP server computed
//! with the key they share. The payer's side is the protocol crate's client functions; the
//! independent client (Python, no paygate code) is `isp_python.rs`.

mod isp_support;
mod support;

use isp_support::{
    RETURN_URL, card, charges, confirm_signed, enroll, intent, intent_awaiting_signature,
    isp_journal, network_authorizations, revoke, sign,
};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use support::TestApp;
use support::webhook_receiver::{receiver, wait_for};

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

async fn app() -> TestApp {
    TestApp::spawn_isp(|c| c.webhooks_allow_private = true, YEAR).await
}

/// The events of an ISP payment a merchant's endpoint receives, in order.
const EVENTS: [&str; 3] = [
    "payment_intent.requires_action",
    "charge.succeeded",
    "payment_intent.succeeded",
];

/// Every ISP charge pairs with one verified ISP verification (same intent, amount, transaction
/// id) and one network authorization verified under the ISP program (its RRN, amount); every
/// network authorization under the ISP program belongs to a charge. Returns the number of
/// verified verifications that were never charged (a crash between the two).
async fn reconcile(app: &TestApp) -> usize {
    let charges = charges(app).await;
    let isp = isp_journal(app);
    let net = network_authorizations(app);
    let isp_charges: Vec<&Value> = charges
        .iter()
        .filter(|c| c["payment_method_details"]["type"] == "isp")
        .collect();
    for ch in &isp_charges {
        let d = &ch["payment_method_details"]["isp"];
        let v = isp
            .iter()
            .find(|e| e["kind"] == "verify" && e["verification_id"] == d["verification_id"])
            .unwrap_or_else(|| panic!("no ISP verification for {ch}"));
        assert_eq!(v["result"], "verified", "{v}");
        assert_eq!(v["transaction_id"], d["transaction_id"], "{v} / {ch}");
        assert_eq!(v["payment_intent"], ch["payment_intent"]);
        assert_eq!(v["amount"], ch["amount"]);
        assert_eq!(v["serial"], d["certificate_serial"]);
        let a = net
            .iter()
            .find(|a| a["rrn"] == d["network_transaction_id"])
            .unwrap_or_else(|| panic!("no network authorization for {ch}"));
        assert_eq!(a["amount"], ch["amount"], "{a}");
        assert_eq!(a["authentication_program"], "isp", "{a}");
        let approved = ch["status"] == "succeeded";
        assert_eq!(a["response_code"] == "00", approved, "{a} / {ch}");
        if approved {
            assert_eq!(a["authentication"], "verified", "{a}");
        }
    }
    let isp_auths = net
        .iter()
        .filter(|a| a["authentication_program"] == "isp")
        .count();
    assert_eq!(isp_auths, isp_charges.len(), "{net:#?}");
    let verified = isp
        .iter()
        .filter(|e| e["kind"] == "verify" && e["result"] == "verified")
        .count();
    verified - isp_charges.len()
}

#[tokio::test]
async fn a_signed_payment_is_verified_then_authorized_with_evidence_ledger_and_events() {
    let app = app().await;
    let (hook, got) = receiver(0).await;
    let mut form = vec![("url", hook.as_str())];
    form.extend(EVENTS.map(|t| ("enabled_events[]", t)));
    let (s, we) = app.post("/v1/webhook_endpoints", &form).await;
    assert_eq!(s, StatusCode::OK, "{we}");
    let holder = enroll(&app, 0x11, card("4242424242424242")).await;
    let pi = intent_awaiting_signature(&app, 50_000, &[]).await;
    let next = &pi["next_action"];
    assert_eq!(next["type"], "redirect_to_url");
    assert_eq!(next["redirect_to_url"]["return_url"], RETURN_URL);
    let url = next["redirect_to_url"]["url"].as_str().unwrap();
    assert!(
        url.contains(&format!("/pay/isp/{}?t=", pi["id"].as_str().unwrap())),
        "{url}"
    );
    let req = &next["isp_signature_request"];
    assert_eq!(req["merchant"], app.merchant.as_str());
    assert_eq!(req["amount"], 50_000);
    assert_eq!(req["currency"], "krw");
    assert_eq!(req["isp_url"], app.isp.as_ref().unwrap().base_url());
    assert_eq!(charges(&app).await.len(), 0);

    let signed = sign(&app, &holder, &pi).await;
    let (s, done) = confirm_signed(&app, &pi, &holder.certificate, &signed, None).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "succeeded", "{done}");
    let done = intent(&app, pi["id"].as_str().unwrap()).await;
    assert_eq!(done["amount_received"], 50_000);
    let rrn = assert_evidence(&app, &done, &holder, &signed).await;
    // Ledger and events.
    assert_eq!(app.balance().await.1, 50_000 - 1_450);
    assert!(app.ledger_problems().await.is_empty());
    let events = app.event_types().await;
    assert!(
        events.iter().any(|x| x == "payment_intent.created"),
        "{events:?}"
    );
    assert_webhooks(&got, &signed.1).await;
    // The network saw the ISP result and checked it.
    let auth = app.journal_by_rrn(&rrn);
    assert_eq!(auth["authentication"], "verified", "{auth}");
    assert_eq!(auth["authentication_program"], "isp");
    assert_eq!(auth["eci"], "05");
    assert_eq!(reconcile(&app).await, 0);
    // The metrics count it under its own method, and the ISP server's link saw the calls.
    let metrics = app.metrics_text().await;
    let paid = "\npaygate_payments_total{method=\"isp\",outcome=\"succeeded\"} 1\n";
    assert!(metrics.contains(paid), "{metrics}");
    let isp_calls: u64 = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix("paygate_link_request_duration_seconds_count{counterparty=\"isp\"} ")
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(isp_calls >= 1, "{metrics}");
    // A saved ISP PaymentMethod is not charged again without a new signature.
    let pm_id = done["payment_method"].as_str().unwrap();
    let (s, e) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1000"),
                ("currency", "krw"),
                ("confirm", "true"),
                ("payment_method", pm_id),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "payment_method");
}

/// The charge of `done` keeps the ISP evidence of `signed` and `holder`'s certificate; its
/// PaymentMethod is an `isp` one; no card number anywhere. Returns the network's RRN.
async fn assert_evidence(
    app: &TestApp,
    done: &Value,
    holder: &isp_support::Holder,
    signed: &(String, String, String),
) -> String {
    let ch = &done["latest_charge"];
    let d = &ch["payment_method_details"];
    assert_eq!(d["type"], "isp", "{ch}");
    assert!(d.get("card").is_none(), "{ch}");
    let isp = &d["isp"];
    assert_eq!(isp["brand"], "visa");
    assert_eq!(isp["last4"], "4242");
    assert_eq!(isp["certificate_serial"], holder.serial.as_str());
    assert_eq!(isp["signed_data"], signed.0.as_str());
    assert_eq!(isp["signature"], signed.1.as_str());
    assert!(
        isp["verification_id"]
            .as_str()
            .unwrap()
            .starts_with("ispv_")
    );
    assert_eq!(isp["transaction_id"].as_str().unwrap().len(), 36);
    let pm_id = done["payment_method"].as_str().unwrap();
    let (_, pm) = app.get(&format!("/v1/payment_methods/{pm_id}")).await;
    assert_eq!(pm["type"], "isp", "{pm}");
    assert_eq!(pm["isp"]["certificate_serial"], holder.serial.as_str());
    assert!(pm.get("card").is_none(), "{pm}");
    for text in [done.to_string(), pm.to_string()] {
        assert!(!text.contains("4242424242424242"), "{text}");
    }
    isp["network_transaction_id"].as_str().unwrap().to_string()
}

/// The merchant's endpoint got the payment's events in order; the charge's shows the ISP
/// `signature`, never the card number.
async fn assert_webhooks(got: &support::webhook_receiver::Received, signature: &str) {
    let bodies: Vec<Value> = wait_for(got, EVENTS.len())
        .await
        .iter()
        .map(|(_, body)| serde_json::from_slice(body).expect("an event"))
        .collect();
    let types: Vec<&str> = bodies.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, EVENTS, "{bodies:#?}");
    let hooked = &bodies[1]["data"]["object"]["payment_method_details"];
    assert_eq!(hooked["isp"]["signature"], signature, "{hooked}");
    assert!(!format!("{bodies:?}").contains("4242424242424242"));
}

#[tokio::test]
async fn a_refusal_names_the_check_fails_the_attempt_and_sends_nothing_to_the_network() {
    let app = app().await;
    let holder = enroll(&app, 0x12, card("5555555555554444")).await;
    let pi = intent_awaiting_signature(&app, 20_000, &[]).await;
    let (text, _, jwe) = sign(&app, &holder, &pi).await;
    let forged = paygate_isp::signature::sign(&holder.key, b"another text");
    let (s, e) = confirm_signed(&app, &pi, &holder.certificate, &(text, forged, jwe), None).await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
    assert_eq!(e["error"]["type"], "card_error");
    assert_eq!(e["error"]["code"], "isp_signature_invalid");
    assert_eq!(e["error"]["param"], "payment_method_data[isp][signature]");
    let after = intent(&app, pi["id"].as_str().unwrap()).await;
    assert_eq!(after["status"], "requires_payment_method");
    assert_eq!(after["last_payment_error"]["code"], "isp_signature_invalid");
    assert!(after["next_action"].is_null());
    assert!(network_authorizations(&app).is_empty());
    assert!(
        app.event_types()
            .await
            .iter()
            .any(|e| e == "payment_intent.payment_failed")
    );
    // Revoked certificates are refused too; a fresh intent then pays with another card.
    revoke(&app, &holder.serial).await;
    let signed = sign(&app, &holder, &pi).await;
    let (s, e) = confirm_signed(&app, &pi, &holder.certificate, &signed, None).await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
    assert_eq!(e["error"]["code"], "isp_certificate_revoked");
    let other = enroll(&app, 0x13, card("5555555555554444")).await;
    let signed = sign(&app, &other, &pi).await;
    let (s, done) = confirm_signed(&app, &pi, &other.certificate, &signed, None).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let done = intent(&app, pi["id"].as_str().unwrap()).await;
    // Mastercard ranges carry ECI 02.
    let rrn = done["latest_charge"]["payment_method_details"]["isp"]["network_transaction_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.journal_by_rrn(&rrn)["eci"], "02");
    assert_eq!(reconcile(&app).await, 0);
}

#[tokio::test]
async fn manual_capture_and_refunds_follow_the_card_network() {
    let app = app().await;
    let holder = enroll(&app, 0x14, card("4242424242424242")).await;
    let pi = intent_awaiting_signature(&app, 30_000, &[("capture_method", "manual")]).await;
    let signed = sign(&app, &holder, &pi).await;
    let (s, held) = confirm_signed(&app, &pi, &holder.certificate, &signed, None).await;
    assert_eq!(s, StatusCode::OK, "{held}");
    assert_eq!(held["status"], "requires_capture");
    let id = pi["id"].as_str().unwrap();
    let (s, cap) = app
        .post(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "20000")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{cap}");
    assert_eq!(cap["amount_received"], 20_000);
    let (s, re) = app
        .post("/v1/refunds", &[("payment_intent", id), ("amount", "5000")])
        .await;
    assert_eq!(s, StatusCode::OK, "{re}");
    assert_eq!(re["status"], "succeeded");
    assert!(app.ledger_problems().await.is_empty());
    assert_eq!(reconcile(&app).await, 0);
}

#[tokio::test]
async fn without_return_url_or_isp_server_the_method_says_what_is_missing() {
    let app = app().await;
    let (s, e) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1000"),
                ("currency", "krw"),
                ("confirm", "true"),
                ("payment_method_data[type]", "isp"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "return_url");
    let (s, e) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1000"),
                ("currency", "krw"),
                ("confirm", "true"),
                ("return_url", RETURN_URL),
                ("payment_method_data[type]", "isp"),
                ("payment_method_data[isp][certificate]", "x"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "parameter_missing");
    assert_eq!(e["error"]["param"], "payment_method_data[isp][signed_data]");
    let plain = TestApp::spawn().await;
    let (s, e) = plain
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1000"),
                ("currency", "krw"),
                ("confirm", "true"),
                ("return_url", RETURN_URL),
                ("payment_method_data[type]", "isp"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "payment_method_data[type]");
}

#[tokio::test]
async fn an_expired_certificate_is_refused_by_its_own_check() {
    let app = TestApp::spawn_isp(|_| {}, Duration::from_secs(2)).await;
    let holder = enroll(&app, 0x15, card("4242424242424242")).await;
    let pi = intent_awaiting_signature(&app, 1_000, &[]).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let signed = sign(&app, &holder, &pi).await;
    let (s, e) = confirm_signed(&app, &pi, &holder.certificate, &signed, None).await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
    assert_eq!(e["error"]["code"], "isp_certificate_expired");
    assert_eq!(e["error"]["param"], "payment_method_data[isp][certificate]");
}
