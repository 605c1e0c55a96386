//! A payer's ISP client for the Rust tests (the protocol crate's client side: CSR, JWE,
//! signature), and the requests of an ISP payment over paygate's HTTP API. The independent
//! client (no paygate code) is the Python one in `tests/data/isp_python/`.
#![allow(dead_code)]

use crate::support::TestApp;
use paygate_isp::p256::ecdsa::SigningKey;
use paygate_isp::{CardPayload, Expected, PublicJwk, SignedData};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const RETURN_URL: &str = "https://shop.example/return";

/// A card enrolled at the ISP server: the payer's key and certificate.
pub struct Holder {
    pub key: SigningKey,
    pub certificate: String,
    pub serial: String,
    pub card: CardPayload,
}

/// A test card payload (test data only).
pub fn card(number: &str) -> CardPayload {
    CardPayload {
        number: number.into(),
        exp_month: 12,
        exp_year: 2034,
        cvc: Some("123".into()),
    }
}

async fn isp_json(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let base = app
        .isp
        .as_ref()
        .expect("ISP simulator")
        .base_url()
        .to_string();
    let mut req = app.client.request(method, format!("{base}{path}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("ISP server answers");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The card as the ISP server's JWE.
pub async fn jwe(app: &TestApp, card: &CardPayload) -> String {
    let (s, key) = isp_json(app, reqwest::Method::GET, "/v1/encryption_key", None).await;
    assert_eq!(s, StatusCode::OK, "{key}");
    let jwk: PublicJwk = serde_json::from_value(key.clone()).expect("JWK");
    let kid = key["kid"].as_str().expect("kid");
    paygate_isp::jwe::encrypt_card(&jwk, kid, card).expect("JWE")
}

/// Enrols `card` with a key made of `seed` (distinct seeds, distinct keys).
pub async fn enroll(app: &TestApp, seed: u8, card: CardPayload) -> Holder {
    let key = SigningKey::from_slice(&[seed; 32]).expect("test key");
    let csr = paygate_isp::csr::build(&key).expect("CSR");
    let body = json!({"csr": csr, "card": jwe(app, &card).await, "password_set": true});
    let (s, out) = isp_json(app, reqwest::Method::POST, "/v1/enroll", Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{out}");
    Holder {
        key,
        certificate: out["certificate"].as_str().unwrap().into(),
        serial: out["serial"].as_str().unwrap().into(),
        card,
    }
}

/// Revokes a certificate at the ISP server.
pub async fn revoke(app: &TestApp, serial: &str) {
    let (s, out) = isp_json(
        app,
        reqwest::Method::POST,
        "/v1/revoke",
        Some(json!({"serial": serial})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{out}");
}

/// An intent created with `payment_method_types[]=isp` and confirmed without a signature:
/// `requires_action` with the signature request.
pub async fn intent_awaiting_signature(
    app: &TestApp,
    amount: i64,
    extra: &[(&str, &str)],
) -> Value {
    let amount = amount.to_string();
    let mut form = vec![
        ("amount", amount.as_str()),
        ("currency", "krw"),
        ("payment_method_types[]", "isp"),
        ("return_url", RETURN_URL),
        ("confirm", "true"),
        ("payment_method_data[type]", "isp"),
    ];
    form.extend_from_slice(extra);
    let (s, pi) = app.post("/v1/payment_intents", &form).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_action", "{pi}");
    pi
}

/// The signed data for `pi`'s signature request, signed now.
pub fn signed_text(pi: &Value) -> String {
    let req = &pi["next_action"]["isp_signature_request"];
    let expected = Expected {
        payment_intent: req["payment_intent"].as_str().unwrap().into(),
        merchant: req["merchant"].as_str().unwrap().into(),
        amount: req["amount"].as_i64().unwrap(),
        currency: req["currency"].as_str().unwrap().into(),
    };
    SignedData::new(&expected, time::OffsetDateTime::now_utc()).to_text()
}

/// What the holder submits for `pi`: (signed_data, signature, card JWE).
pub async fn sign(app: &TestApp, holder: &Holder, pi: &Value) -> (String, String, String) {
    let text = signed_text(pi);
    let sig = paygate_isp::signature::sign(&holder.key, text.as_bytes());
    (text, sig, jwe(app, &holder.card).await)
}

/// Confirms `pi` with the payer's publishable key, client secret and the signed fields.
pub async fn confirm_signed(
    app: &TestApp,
    pi: &Value,
    certificate: &str,
    (text, sig, card): &(String, String, String),
    idem: Option<&str>,
) -> (StatusCode, Value) {
    let path = format!("/v1/payment_intents/{}/confirm", pi["id"].as_str().unwrap());
    let form = [
        ("client_secret", pi["client_secret"].as_str().unwrap()),
        ("payment_method_data[type]", "isp"),
        ("payment_method_data[isp][certificate]", certificate),
        ("payment_method_data[isp][signed_data]", text.as_str()),
        ("payment_method_data[isp][signature]", sig.as_str()),
        ("payment_method_data[isp][card]", card.as_str()),
    ];
    app.post_as(&app.publishable, &path, &form, idem).await
}

/// The intent with its latest charge expanded.
pub async fn intent(app: &TestApp, id: &str) -> Value {
    let (s, pi) = app
        .get(&format!("/v1/payment_intents/{id}?expand[]=latest_charge"))
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    pi
}

/// The ISP server's journal as JSON.
pub fn isp_journal(app: &TestApp) -> Vec<Value> {
    let entries = paygate_sim_isp::journal(&app.isp_dir()).expect("ISP journal");
    serde_json::to_value(entries)
        .expect("json")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The network simulator's authorizations as JSON.
pub fn network_authorizations(app: &TestApp) -> Vec<Value> {
    let entries = paygate_sim_network::journal(&app.sim_dir()).expect("network journal");
    serde_json::to_value(entries)
        .expect("json")
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["type"] == "authorization")
        .collect()
}

/// Every charge of the merchant.
pub async fn charges(app: &TestApp) -> Vec<Value> {
    let (s, list) = app.get("/v1/charges?limit=100").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list["data"].as_array().cloned().unwrap_or_default()
}
