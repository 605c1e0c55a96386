//! The hosted checkout's Apple Pay and Samsung Pay buttons, server side, over HTTP: the page
//! carries the (hidden) buttons only when the merchant has the wallet's processing key; the
//! script's calls — Apple Pay's merchant validation (test mode), then the wallet's token
//! posted with the page's CSRF token — pay the session like a card: session `complete`/`paid`,
//! the charge's wallet, its balance transaction and the `checkout.session.completed` event.
//! Tokens are made by the independent Python generator (`support::wallet_python`). The
//! browser half (the buttons shown only where the browser has the wallet) is not tested here.

mod support;

use paygate_gateway::wallet_tokens::keys::{self, NewKey};
use paygate_payments::ManualClock;
use paygate_store::Scope;
use paygate_wallet_tokens::Wallet;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use support::TestApp;
use support::checkout_page::{client, hidden, session};
use support::wallet_python::{generate, venv};

const VALIDATION_URL: &str =
    "https://apple-pay-gateway-cert.apple.com/paymentservices/startSession";

/// The session's page: (CSP, HTML).
async fn page(cs: &Value) -> (String, String) {
    let r = client()
        .get(cs["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    (csp, r.text().await.unwrap())
}

/// A call of the buttons' script: (status, JSON answer).
async fn call(app: &TestApp, cs: &Value, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let id = cs["id"].as_str().unwrap();
    let r = client()
        .post(format!("{}/pay/checkout/{id}/{path}", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn add_keys(app: &TestApp, g: &Value) {
    let st = &app.server.state;
    let scope = Scope {
        merchant_id: app.merchant.clone(),
        livemode: false,
    };
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    let apple = NewKey {
        wallet: Wallet::ApplePay,
        certificate_pem: Some(&s(&g["merchant_certificate_pem"])),
        private_key_pem: &s(&g["merchant_key_pem"]),
        trust_root_pem: Some(&s(&g["root_pem"])),
    };
    keys::add(&st.store, &st.vault, &scope, apple, 0)
        .await
        .unwrap();
    let samsung = NewKey {
        wallet: Wallet::SamsungPay,
        certificate_pem: None,
        private_key_pem: &s(&g["samsung_key_pem"]),
        trust_root_pem: None,
    };
    keys::add(&st.store, &st.vault, &scope, samsung, 0)
        .await
        .unwrap();
}

/// The session, its intent with the charge, the balance transactions (`paid` wallet payments
/// so far), the ledger and the event after a wallet payment: what a card payment leaves.
async fn assert_paid(app: &TestApp, cs: &Value, wallet: &str, paid: usize) {
    let id = cs["id"].as_str().unwrap();
    let (_, now) = app.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(
        (now["status"].as_str(), now["payment_status"].as_str()),
        (Some("complete"), Some("paid")),
        "{now}"
    );
    let pi = now["payment_intent"].as_str().unwrap();
    let (_, pi) = app
        .get(&format!("/v1/payment_intents/{pi}?expand[]=latest_charge"))
        .await;
    assert_eq!(pi["status"], "succeeded", "{pi}");
    let charge = &pi["latest_charge"];
    assert_eq!(
        charge["payment_method_details"]["card"]["wallet"]["type"], wallet,
        "{charge}"
    );
    assert!(app.ledger_problems().await.is_empty());
    let (_, txns) = app.get("/v1/balance_transactions?limit=100").await;
    let charges = txns["data"].as_array().unwrap().iter();
    let charges = charges
        .filter(|t| t["type"] == "charge" && t["amount"] == 15_000)
        .count();
    assert_eq!(charges, paid, "{txns}");
    let (_, events) = app.get("/v1/events?limit=100").await;
    let sent = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "checkout.session.completed" && e["data"]["object"]["id"] == id);
    assert!(sent, "{events}");
}

#[tokio::test]
async fn wallet_buttons_pay_a_checkout_session_with_apple_pay_and_samsung_pay() {
    let Some(py) = venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let g = generate(&py, &dir.path().join("tokens.json"));
    let signed_at = g["signed_at"].as_i64().unwrap();
    let clock = Arc::new(ManualClock::new(signed_at + 5));
    let app = TestApp::spawn_with_clock(|_| {}, clock).await;
    // No processing key: no button, no script, no calls from script.
    let before = session(&app, "15000", &["card"]).await;
    let (csp, html) = page(&before).await;
    assert!(
        !html.contains("id=\"wallets\"") && !csp.contains("connect-src"),
        "{html}"
    );
    add_keys(&app, &g).await;
    let cs = session(&app, "15000", &["card"]).await;
    let (csp, html) = page(&cs).await;
    for needle in [
        "id=\"apple-pay\"",
        "id=\"samsung-pay\"",
        "src=\"/pay/checkout/wallets.js\"",
        "data-amount=\"15000\"",
    ] {
        assert!(html.contains(needle), "{needle}: {html}");
    }
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    let t = hidden(&html, "t");
    // Apple Pay JS's merchant validation: a test-mode session for Apple's hosts only.
    let (s, ms) = call(
        &app,
        &cs,
        "apple_pay/session",
        &[("t", &t), ("validation_url", VALIDATION_URL)],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{ms}");
    assert!(ms["merchantSessionIdentifier"].is_string() && ms["paygateTestMode"] == true);
    let evil = [
        ("t", t.as_str()),
        ("validation_url", "https://evil.example/startSession"),
    ];
    assert_eq!(
        call(&app, &cs, "apple_pay/session", &evil).await.0,
        StatusCode::BAD_REQUEST
    );
    let apple = |n: &str| g["apple"][n].as_str().unwrap().to_string();
    let forged = [("t", "forged"), ("wallet", "apple_pay"), ("token", "{}")];
    assert_eq!(
        call(&app, &cs, "wallet", &forged).await.0,
        StatusCode::FORBIDDEN
    );
    // A tampered token: refused with the payer's message, the session stays open.
    let tampered = [
        ("t", t.as_str()),
        ("wallet", "apple_pay"),
        ("token", &apple("tampered")),
    ];
    let (s, err) = call(&app, &cs, "wallet", &tampered).await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("wallet_token_invalid_signature")
        ),
        "{err}"
    );
    assert!(!err["error"]["message"].as_str().unwrap().is_empty());
    let visa = apple("visa");
    let (s, done) = call(
        &app,
        &cs,
        "wallet",
        &[("t", &t), ("wallet", "apple_pay"), ("token", &visa)],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let id = cs["id"].as_str().unwrap();
    assert_eq!(
        done["redirect"],
        format!("https://shop.example/done?session={id}")
    );
    assert_paid(&app, &cs, "apple_pay", 1).await;
    // The same token on another session: a replay, refused; that session stays open.
    let again = session(&app, "15000", &["card"]).await;
    let t2 = hidden(&page(&again).await.1, "t");
    let (s, err) = call(
        &app,
        &again,
        "wallet",
        &[("t", &t2), ("wallet", "apple_pay"), ("token", &visa)],
    )
    .await;
    assert_eq!(
        (s, err["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("wallet_token_replayed")),
        "{err}"
    );
    // Samsung Pay pays that one.
    let samsung = g["samsung"]["visa"].as_str().unwrap();
    let (s, done) = call(
        &app,
        &again,
        "wallet",
        &[("t", &t2), ("wallet", "samsung_pay"), ("token", samsung)],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_paid(&app, &again, "samsung_pay", 2).await;
    // A complete session takes no second payment.
    let (s, _) = call(
        &app,
        &again,
        "wallet",
        &[("t", &t2), ("wallet", "samsung_pay"), ("token", samsung)],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let r = client()
        .get(format!("{}/pay/checkout/wallets.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("ApplePaySession.canMakePayments()")
    );
}
