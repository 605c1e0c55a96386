//! The ISP payer page's routes over HTTP (`/pay/isp/…`): the page of an intent waiting for its
//! signature (only with the intent's page token, ko/en, CSP that lets its script call the
//! gateway only), the script, the same-origin proxies to the ISP server (relayed answers,
//! refusals worded for the payer) and the confirm from the page (the API's path: a refusal
//! puts the intent back to `requires_payment_method`). The ISP server here is a stand-in
//! answering fixed JSON, so these tests look at the gateway's side only; the real simulator
//! and the page's cryptography are exercised by crates/paygate/tests/browser_isp.rs.

mod support;

use axum::Json;
use axum::http::StatusCode as AxStatus;
use axum::routing::{get, post};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use support::TestApp;

const SHOP: &str = "https://shop.example/done";

/// The requests the stand-in ISP server received (path, body).
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// A stand-in ISP server: its key, an enrolment (refused for the card "declined"), and a
/// verification that always refuses the signature.
async fn fake_isp() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let (s1, s2) = (seen.clone(), seen.clone());
    let app = axum::Router::new()
        .route(
            "/v1/encryption_key",
            get(|| async {
                Json(
                    json!({"kty":"EC","crv":"P-256","x":"eA","y":"eQ","kid":"k1",
                            "use":"enc","alg":"ECDH-ES"}),
                )
            }),
        )
        .route(
            "/v1/enroll",
            post(move |Json(b): Json<Value>| async move {
                s1.lock().unwrap().push(("/v1/enroll".into(), b.clone()));
                if b["card"] == "declined" {
                    let e = json!({"error":{"code":"isp_card_declined","message":"no"}});
                    return (AxStatus::PAYMENT_REQUIRED, Json(e));
                }
                (
                    AxStatus::OK,
                    Json(json!({"certificate":"PEM","serial":"0a1b"})),
                )
            }),
        )
        .route(
            "/v1/verify",
            post(move |Json(b): Json<Value>| async move {
                s2.lock().unwrap().push(("/v1/verify".into(), b));
                let e = json!({"error":{"code":"isp_signature_invalid","message":"bad"}});
                (AxStatus::PAYMENT_REQUIRED, Json(e))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), seen)
}

async fn app_with_isp() -> (TestApp, Seen) {
    let (url, seen) = fake_isp().await;
    (
        TestApp::spawn_with(move |c| c.isp_url = Some(url)).await,
        seen,
    )
}

/// An ISP intent in `requires_action`: its id and the page's path with the token.
async fn waiting_intent(app: &TestApp) -> (String, String) {
    let (s, pi) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "35000"),
                ("currency", "krw"),
                ("payment_method_types[]", "isp"),
                ("confirm", "true"),
                ("payment_method_data[type]", "isp"),
                ("return_url", SHOP),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let url = pi["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap();
    let path = url
        .strip_prefix(&app.base)
        .expect("the page is on the gateway");
    (pi["id"].as_str().unwrap().to_string(), path.to_string())
}

fn token_of(path: &str) -> String {
    path.split("t=").nth(1).unwrap().to_string()
}

async fn get_page(app: &TestApp, path: &str, lang: &str) -> (StatusCode, reqwest::Response) {
    let r = app
        .client
        .get(format!("{}{path}", app.base))
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    (r.status(), r)
}

/// A call of the page's script (JSON), with the token and intent headers when given.
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    auth: Option<(&str, &str)>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.base))
        .header("accept-language", "en-US");
    if let Some((pi, t)) = auth {
        req = req
            .header("x-paygate-payment-intent", pi)
            .header("x-paygate-page-token", t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_page_needs_its_token_and_speaks_korean_or_english() {
    let (app, _) = app_with_isp().await;
    let (id, path) = waiting_intent(&app).await;
    let (s, r) = get_page(&app, &path, "ko-KR").await;
    assert_eq!(s, StatusCode::OK);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("connect-src 'self'") && csp.contains("form-action 'none'"),
        "{csp}"
    );
    let html = r.text().await.unwrap();
    for want in [
        "lang=\"ko\"",
        "ISP 안전결제",
        "35,000원",
        "src=\"/pay/isp/isp.js\"",
    ] {
        assert!(html.contains(want), "{want} missing");
    }
    assert!(html.contains(&format!("data-payment-intent=\"{id}\"")));
    assert!(html.contains("data-amount=\"35000\"") && html.contains("data-currency=\"krw\""));
    assert!(
        html.contains("data-merchant=\"acct_"),
        "the merchant's account id is signed"
    );

    let (s, r) = get_page(&app, &format!("{path}&locale=en"), "ko-KR").await;
    assert_eq!(s, StatusCode::OK);
    assert!(r.text().await.unwrap().contains("ISP secure payment"));

    let (_, other) = waiting_intent(&app).await;
    let forged = format!("/pay/isp/{id}?t={}", token_of(&other));
    for bad in [
        format!("/pay/isp/{id}"),
        forged,
        format!("/pay/isp/{id}?t=1.x"),
    ] {
        let (s, _) = get_page(&app, &bad, "en").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}");
    }
}

#[tokio::test]
async fn the_script_is_served_as_javascript_and_a_finished_intent_goes_to_its_status_page() {
    let (app, _) = app_with_isp().await;
    let (s, r) = get_page(&app, "/pay/isp/isp.js", "en").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("PBKDF2_ITERATIONS = 600000")
    );

    let (id, path) = waiting_intent(&app).await;
    let (s, pi) = app
        .post(&format!("/v1/payment_intents/{id}/cancel"), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let (s, r) = get_page(&app, &path, "en").await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the redirect (303) to the status page, followed"
    );
    assert_eq!(r.url().path(), format!("/pay/payment_intents/{id}"));
    assert!(r.text().await.unwrap().contains("Payment canceled"));
}

#[tokio::test]
async fn the_proxies_need_the_token_and_relay_the_isp_servers_answers() {
    let (app, seen) = app_with_isp().await;
    let (id, path) = waiting_intent(&app).await;
    let t = token_of(&path);
    let key = "/pay/isp/encryption_key";
    let (s, e) = call(&app, reqwest::Method::GET, key, None, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "isp_page_token_invalid");
    let (s, jwk) = call(&app, reqwest::Method::GET, key, Some((&id, &t)), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(jwk["kid"], "k1");

    let enroll = "/pay/isp/enroll";
    let body = json!({"csr": "CSR", "card": "JWE", "password_set": true, "extra": 1});
    let (s, v) = call(
        &app,
        reqwest::Method::POST,
        enroll,
        Some((&id, &t)),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"certificate": "PEM", "serial": "0a1b"}));
    let sent = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        sent.1,
        json!({"csr": "CSR", "card": "JWE", "password_set": true})
    );

    let body = json!({"csr": "CSR", "card": "declined", "password_set": true});
    let (s, v) = call(
        &app,
        reqwest::Method::POST,
        enroll,
        Some((&id, &t)),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{v}");
    assert_eq!(v["error"]["code"], "isp_card_declined");
    assert_eq!(v["error"]["type"], "card_error");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.starts_with("Your card company declined"), "{msg}");
}

#[tokio::test]
async fn a_refused_confirm_from_the_page_is_worded_for_the_payer_and_reopens_the_intent() {
    let (app, seen) = app_with_isp().await;
    let (id, path) = waiting_intent(&app).await;
    let (other, other_path) = waiting_intent(&app).await;
    let sub = json!({"certificate": "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n",
                     "signed_data": "{}", "signature": "MEUCIQ==", "card": "a.b.c.d.e"});
    let confirm = format!("/pay/isp/{id}/confirm");
    let wrong = token_of(&other_path);
    let (s, v) = call(
        &app,
        reqwest::Method::POST,
        &confirm,
        Some((&other, &wrong)),
        Some(sub.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another intent's token: {v}");
    assert!(seen.lock().unwrap().iter().all(|(p, _)| p != "/v1/verify"));

    let t = token_of(&path);
    let (s, v) = call(
        &app,
        reqwest::Method::POST,
        &confirm,
        Some((&id, &t)),
        Some(sub),
    )
    .await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{v}");
    assert_eq!(v["error"]["code"], "isp_signature_invalid");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.starts_with("The payment was not approved"), "{msg}");
    let verified = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(p, _)| p == "/v1/verify")
        .count();
    assert_eq!(verified, 1);
    let (_, pi) = app.get(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(pi["status"], "requires_payment_method", "{pi}");
    assert_eq!(
        pi["last_payment_error"]["code"], "isp_signature_invalid",
        "{pi}"
    );
}
