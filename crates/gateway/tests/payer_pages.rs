//! The payer's status page `GET /pay/payment_intents/{id}?client_secret=…`: shown only with
//! the intent's own client secret (anything else is the same 404 as an unknown id), in Korean
//! or English, with the security headers, and never with more of the card than its last four
//! digits.

mod support;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use support::{TestApp, VISA};

/// A page: status, headers, body.
async fn page(
    app: &TestApp,
    path: &str,
    accept_language: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    let mut req = app.client.get(format!("{}{path}", app.base));
    if let Some(al) = accept_language {
        req = req.header("accept-language", al);
    }
    let r = req.send().await.expect("request");
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.text().await.expect("body"))
}

fn status_path(pi: &Value, secret: &str) -> String {
    format!(
        "/pay/payment_intents/{}?client_secret={secret}",
        pi["id"].as_str().expect("id")
    )
}

/// The body with this response's nonce blanked out, to compare two responses.
fn without_nonce(headers: &HeaderMap, body: &str) -> String {
    let csp = headers["content-security-policy"].to_str().unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a nonce in the CSP");
    body.replace(nonce, "NONCE")
}

async fn paid_intent(app: &TestApp) -> Value {
    let (s, pi) = app.pay(VISA, 12_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded", "{pi}");
    pi
}

#[tokio::test]
async fn the_payer_sees_the_payment_with_its_client_secret_in_korean_by_default() {
    let app = TestApp::spawn().await;
    let pi = paid_intent(&app).await;
    let secret = pi["client_secret"].as_str().unwrap();
    let (s, h, body) = page(&app, &status_path(&pi, secret), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonced = without_nonce(&h, &body);
    assert!(
        nonced.contains("<style nonce=\"NONCE\">"),
        "the stylesheet carries the CSP nonce"
    );
    assert!(body.contains("<html lang=\"ko\">"), "{body}");
    assert!(body.contains("12,000원"), "{body}");
    assert!(body.contains("결제가 완료되었습니다"), "{body}");
    assert!(body.contains("Test shop"), "{body}");
    assert!(
        body.contains("4242</dd>"),
        "the last four digits show: {body}"
    );
}

#[tokio::test]
async fn english_is_chosen_by_accept_language_or_by_the_locale_parameter() {
    let app = TestApp::spawn().await;
    let pi = paid_intent(&app).await;
    let path = status_path(&pi, pi["client_secret"].as_str().unwrap());
    let (_, h, body) = page(&app, &path, Some("en-US,en;q=0.9,ko;q=0.5")).await;
    assert!(
        body.contains("<html lang=\"en\">") && body.contains("₩12,000"),
        "{body}"
    );
    assert!(body.contains("Payment complete"), "{body}");
    assert_eq!(h["content-language"], "en");
    let (_, _, body) = page(&app, &format!("{path}&locale=en"), Some("ko")).await;
    assert!(
        body.contains("<html lang=\"en\">"),
        "the query wins: {body}"
    );
    let (_, _, body) = page(&app, &format!("{path}&locale=ko"), Some("en")).await;
    assert!(body.contains("<html lang=\"ko\">"), "{body}");
}

#[tokio::test]
async fn a_wrong_or_missing_secret_gets_the_same_404_as_an_unknown_id() {
    let app = TestApp::spawn().await;
    let pi = paid_intent(&app).await;
    let secret = pi["client_secret"].as_str().unwrap();
    let id = pi["id"].as_str().unwrap();
    let (s, h, unknown) = page(
        &app,
        "/pay/payment_intents/pi_doesnotexist?client_secret=x",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let unknown = without_nonce(&h, &unknown);
    assert!(unknown.contains("결제를 찾을 수 없습니다"), "{unknown}");
    let wrong = format!("{secret}x");
    let almost = format!("{}X", &secret[..secret.len() - 1]);
    for path in [
        format!("/pay/payment_intents/{id}"),
        format!("/pay/payment_intents/{id}?client_secret="),
        format!("/pay/payment_intents/{id}?client_secret={wrong}"),
        format!("/pay/payment_intents/{id}?client_secret={almost}"),
        format!("/pay/payment_intents/{id}?client_secret={id}"),
    ] {
        let (s, h, body) = page(&app, &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(without_nonce(&h, &body), unknown, "{path}");
        assert!(
            !body.contains("12,000"),
            "{path}: nothing of the payment shows"
        );
    }
}

#[tokio::test]
async fn another_merchants_intent_is_not_shown_with_this_merchants_secret() {
    let app = TestApp::spawn().await;
    let mine = paid_intent(&app).await;
    let other_key = app.other_merchant().await;
    let form = support::card_payment_form(VISA, "7000");
    let (s, theirs) = app
        .post_as(&other_key, "/v1/payment_intents", &form, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{theirs}");
    let my_secret = mine["client_secret"].as_str().unwrap();
    let their_secret = theirs["client_secret"].as_str().unwrap();
    let (s, _, body) = page(&app, &status_path(&theirs, my_secret), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert!(!body.contains("7,000"));
    let (s, _, body) = page(&app, &status_path(&mine, their_secret), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, _, body) = page(&app, &status_path(&theirs, their_secret), None).await;
    assert_eq!(s, StatusCode::OK, "its own secret opens it");
    assert!(
        body.contains("Other shop") && body.contains("7,000원"),
        "{body}"
    );
}

#[tokio::test]
async fn no_page_shows_more_of_the_card_than_its_last_four_digits() {
    let app = TestApp::spawn().await;
    let pi = paid_intent(&app).await;
    let secret = pi["client_secret"].as_str().unwrap();
    for al in [None, Some("en")] {
        let (s, _, body) = page(&app, &status_path(&pi, secret), al).await;
        assert_eq!(s, StatusCode::OK);
        let digits: String = body.chars().filter(char::is_ascii_digit).collect();
        assert!(!digits.contains(VISA), "a full card number in {body}");
        assert!(
            !body.contains("424242"),
            "more than the last four in {body}"
        );
        assert!(body.contains("Visa"), "{body}");
    }
}

#[tokio::test]
async fn an_unconfirmed_intent_shows_its_status_without_a_card_or_a_way_back() {
    let app = TestApp::spawn().await;
    let (s, pi) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "5000"),
                ("currency", "usd"),
                ("return_url", "https://shop.example/done"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let path = status_path(&pi, pi["client_secret"].as_str().unwrap());
    let (s, _, body) = page(&app, &path, Some("en")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("$50.00"), "{body}");
    assert!(body.contains("Waiting for a payment method"), "{body}");
    assert!(
        !body.contains("shop.example"),
        "no return link before the payment ends"
    );
    assert!(!body.contains("<dt>Card</dt>"), "{body}");
}

#[tokio::test]
async fn once_a_live_key_exists_the_gateway_starts_only_with_a_configured_csrf_key() {
    let app = TestApp::spawn().await;
    paygate_gateway::admin::create_key(&app.server.state.store, &app.merchant, true, true)
        .await
        .expect("live key");
    let mut cfg = app.server.state.cfg.clone();
    cfg.listen = "127.0.0.1:0".into();
    cfg.metrics_listen = "off".into();
    // Live mode also wants the vault's keys from configuration (PCI DSS 3.6.1; test keys).
    cfg.vault_keks = vec!["kek-live-test:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into()];
    cfg.fingerprint_key = Some("ZmluZ2VycHJpbnQta2V5LWZvci10aGUtbGl2ZS10ZXN0MTI=".into());
    let err = paygate_gateway::start(cfg.clone())
        .await
        .err()
        .expect("no start without pages_csrf_key");
    assert!(err.contains("pages_csrf_key is required"), "{err}");
    cfg.pages_csrf_key = vec!["cGF5ZXItcGFnZXMtY3NyZi1rZXktZm9yLXRoZS1saXZlLXRlc3Q=".into()];
    cfg.public_url = Some("https://pay.example.com".into());
    let second = paygate_gateway::start(cfg)
        .await
        .expect("starts with the key");
    assert_eq!(
        second.state.pages.url("/pay/x"),
        "https://pay.example.com/pay/x"
    );
    second.shutdown().await;
}
