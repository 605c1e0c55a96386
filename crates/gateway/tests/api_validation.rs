//! Bad input through HTTP: each rule answers with the right status, names the parameter in
//! full bracket form and leaves nothing half-written.

#[path = "api_validation/payment_methods.rs"]
mod payment_methods;
mod support;

use reqwest::StatusCode;
use serde_json::Value;
use support::{TestApp, VISA};

/// Sends a raw body (form unless `content_type` says otherwise).
async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    ct: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let r = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(&app.key)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("request");
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

const FORM: &str = "application/x-www-form-urlencoded";

fn assert_param(s: StatusCode, e: &Value, status: StatusCode, param: &str) {
    assert_eq!(s, status, "{e}");
    assert_eq!(e["error"]["param"], param, "{e}");
}

async fn paid(app: &TestApp) -> Value {
    let (s, pi) = app.pay(VISA, 5000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    pi
}

#[tokio::test]
async fn a_refund_naming_an_intent_and_another_payments_charge_is_refused() {
    let app = TestApp::spawn().await;
    let a = paid(&app).await;
    let b = paid(&app).await;
    let (s, e) = app
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", a["id"].as_str().unwrap()),
                ("charge", b["latest_charge"].as_str().unwrap()),
            ],
        )
        .await;
    assert_param(s, &e, StatusCode::BAD_REQUEST, "charge");
    let (_, list) = app.get("/v1/refunds").await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        0,
        "nothing refunded"
    );
    // The same payment's pair is fine.
    let (s, re) = app
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", a["id"].as_str().unwrap()),
                ("charge", a["latest_charge"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{re}");
    assert_eq!(re["charge"], a["latest_charge"]);
}

#[tokio::test]
async fn payment_method_and_payment_method_data_together_are_refused() {
    let app = TestApp::spawn().await;
    let mut form = support::card_payment_form(VISA, "5000");
    form.push(("payment_method", "pm_card_visa"));
    let (s, e) = app.post("/v1/payment_intents", &form).await;
    assert_param(s, &e, StatusCode::BAD_REQUEST, "payment_method_data");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only specify one")
    );
    let (_, list) = app.get("/v1/payment_intents").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_deleted_customer_is_gone_for_every_use() {
    let app = TestApp::spawn().await;
    let (_, c) = app.post("/v1/customers", &[("name", "zombie")]).await;
    let id = c["id"].as_str().unwrap();
    let (s, _) = raw(
        &app,
        reqwest::Method::DELETE,
        &format!("/v1/customers/{id}"),
        FORM,
        vec![],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // Reading it shows the tombstone, as Stripe answers; nothing else can use it.
    let (s, t) = app.get(&format!("/v1/customers/{id}")).await;
    assert_eq!(
        (s, &t["deleted"]),
        (StatusCode::OK, &Value::Bool(true)),
        "{t}"
    );
    assert!(t.get("name").is_none(), "{t}");
    let (s, e) = app
        .post(&format!("/v1/customers/{id}"), &[("name", "zombie")])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(e["error"]["code"], "resource_missing");
    let (s, e) = app
        .post(
            "/v1/payment_intents",
            &[("amount", "5000"), ("currency", "krw"), ("customer", id)],
        )
        .await;
    assert_param(s, &e, StatusCode::NOT_FOUND, "customer");
    let (_, pm) = app
        .post(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", VISA),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
            ],
        )
        .await;
    let (s, e) = app
        .post(
            &format!("/v1/payment_methods/{}/attach", pm["id"].as_str().unwrap()),
            &[("customer", id)],
        )
        .await;
    assert_param(s, &e, StatusCode::NOT_FOUND, "customer");
    let (s, _) = app
        .get(&format!("/v1/customers/{id}/payment_methods"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_validation_error_does_not_lock_the_idempotency_key() {
    let app = TestApp::spawn().await;
    let (s, e) = app
        .post_idem(
            "/v1/payment_intents",
            &[
                ("amount", "5000"),
                ("currency", "krw"),
                ("customer", "cus_nope"),
            ],
            "order-9",
        )
        .await;
    assert_param(s, &e, StatusCode::NOT_FOUND, "customer");
    let (s, e) = app
        .post_idem(
            "/v1/payment_intents",
            &[("amount", "0"), ("currency", "krw")],
            "order-9",
        )
        .await;
    assert_param(s, &e, StatusCode::BAD_REQUEST, "amount");
    let form = [("amount", "5000"), ("currency", "krw")];
    let (s, pi) = app.post_idem("/v1/payment_intents", &form, "order-9").await;
    assert_eq!(
        s,
        StatusCode::OK,
        "corrected parameters run under the same key: {pi}"
    );
    let (s, again) = app.post_idem("/v1/payment_intents", &form, "order-9").await;
    assert_eq!(
        (s, &again["id"]),
        (StatusCode::OK, &pi["id"]),
        "and that result is kept"
    );
}

#[tokio::test]
async fn amounts_must_be_positive_and_within_the_currencys_charge_limits() {
    let app = TestApp::spawn().await;
    let pi = paid(&app).await;
    let id = pi["id"].as_str().unwrap();
    for amount in ["0", "-1"] {
        let (s, e) = app
            .post("/v1/refunds", &[("payment_intent", id), ("amount", amount)])
            .await;
        assert_param(s, &e, StatusCode::BAD_REQUEST, "amount");
        assert_eq!(e["error"]["code"], "parameter_invalid_integer", "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("positive"),
            "{e}"
        );
    }
    let (_, held) = app.pay(VISA, 5000, &[("capture_method", "manual")]).await;
    let (s, e) = app
        .post(
            &format!(
                "/v1/payment_intents/{}/capture",
                held["id"].as_str().unwrap()
            ),
            &[("amount_to_capture", "0")],
        )
        .await;
    assert_param(s, &e, StatusCode::BAD_REQUEST, "amount_to_capture");
    assert_eq!(e["error"]["code"], "parameter_invalid_integer");
    let cases = [
        ("49", "usd", Some("amount_too_small")),
        ("50", "usd", None),
        ("99", "krw", Some("amount_too_small")),
        ("100", "krw", None),
        ("99999999", "usd", None),
        ("100000000", "usd", Some("amount_too_large")),
        ("99999999", "krw", None),
        ("100000000", "krw", Some("amount_too_large")),
    ];
    for (amount, currency, code) in cases {
        let (s, v) = app
            .post(
                "/v1/payment_intents",
                &[("amount", amount), ("currency", currency)],
            )
            .await;
        match code {
            None => assert_eq!(s, StatusCode::OK, "{amount} {currency}: {v}"),
            Some(code) => {
                assert_param(s, &v, StatusCode::BAD_REQUEST, "amount");
                assert_eq!(v["error"]["code"], code, "{amount} {currency}");
            }
        }
    }
}

#[tokio::test]
async fn field_limits_and_formats_are_enforced() {
    let app = TestApp::spawn().await;
    let long_description = "d".repeat(1001);
    let pi_cases: &[(&[(&str, &str)], &str)] = &[
        (&[("description", &long_description)], "description"),
        (
            &[("statement_descriptor", "ABCDEFGHIJKLMNOPQRSTUVW")],
            "statement_descriptor",
        ),
        (
            &[("statement_descriptor", "SHOP*ONE")],
            "statement_descriptor",
        ),
        (
            &[("statement_descriptor", "<SHOP>")],
            "statement_descriptor",
        ),
        (&[("receipt_email", "not-an-email")], "receipt_email"),
        (&[("off_session", "true")], "off_session"),
    ];
    for (extra, param) in pi_cases {
        let mut form = vec![("amount", "5000"), ("currency", "krw")];
        form.extend_from_slice(extra);
        let (s, e) = app.post("/v1/payment_intents", &form).await;
        assert_param(s, &e, StatusCode::BAD_REQUEST, param);
    }
    let long_name = "n".repeat(257);
    let customer_cases: &[(&[(&str, &str)], &str)] = &[
        (&[("email", "kim@@example.com")], "email"),
        (&[("email", "kim example.com")], "email"),
        (&[("name", &long_name)], "name"),
        (&[("phone", "+82 10 1234 5678 90123")], "phone"),
        (&[("address[planet]", "mars")], "address[planet]"),
    ];
    for (form, param) in customer_cases {
        let (s, e) = app.post("/v1/customers", form).await;
        assert_param(s, &e, StatusCode::BAD_REQUEST, param);
    }
    let (_, list) = app.get("/v1/customers").await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        0,
        "nothing half-written"
    );
}

#[tokio::test]
async fn metadata_keys_and_values_are_checked() {
    let app = TestApp::spawn().await;
    let json = "application/json";
    let cases = [
        (r#"{"metadata": {"": "x"}}"#, "metadata"),
        (r#"{"metadata": {"a[b]": "x"}}"#, "metadata"),
        (
            r#"{"metadata": {"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk": "x"}}"#,
            "metadata",
        ),
        (
            r#"{"metadata": {"order": {"nested": "x"}}}"#,
            "metadata[order]",
        ),
    ];
    for (body, param) in cases {
        let (s, e) = raw(
            &app,
            reqwest::Method::POST,
            "/v1/customers",
            json,
            body.into(),
        )
        .await;
        assert_param(s, &e, StatusCode::BAD_REQUEST, param);
    }
    let long = format!("metadata[order]={}", "v".repeat(501));
    let (s, e) = raw(
        &app,
        reqwest::Method::POST,
        "/v1/customers",
        FORM,
        long.into(),
    )
    .await;
    assert_param(s, &e, StatusCode::BAD_REQUEST, "metadata[order]");
    let many: Vec<String> = (0..51).map(|i| format!("metadata[k{i}]=v")).collect();
    let (s, e) = raw(
        &app,
        reqwest::Method::POST,
        "/v1/customers",
        FORM,
        many.join("&").into(),
    )
    .await;
    assert_param(s, &e, StatusCode::BAD_REQUEST, "metadata");
}

#[tokio::test]
async fn bytes_that_are_not_text_and_repeated_scalars_are_refused() {
    let app = TestApp::spawn().await;
    let post = |body: &'static [u8]| {
        raw(
            &app,
            reqwest::Method::POST,
            "/v1/customers",
            FORM,
            body.to_vec(),
        )
    };
    let (s, e) = post(b"name=a%00b").await;
    assert_param(s, &e, StatusCode::BAD_REQUEST, "name");
    let (s, e) = post(b"name=%FF%FE").await;
    assert_param(s, &e, StatusCode::BAD_REQUEST, "name");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("UTF-8"),
        "{e}"
    );
    let (s, e) = raw(
        &app,
        reqwest::Method::POST,
        "/v1/customers",
        "application/json",
        br#"{"name": "a\u0000b"}"#.to_vec(),
    )
    .await;
    assert_param(s, &e, StatusCode::BAD_REQUEST, "name");
    let (s, e) = raw(
        &app,
        reqwest::Method::POST,
        "/v1/payment_intents",
        FORM,
        b"amount=100&amount=200&currency=krw".to_vec(),
    )
    .await;
    assert_param(s, &e, StatusCode::BAD_REQUEST, "amount");
    let (_, list) = app.get("/v1/payment_intents").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn routes_methods_keys_and_echoes_answer_like_stripe() {
    let app = TestApp::spawn().await;
    let (s, e) = raw(
        &app,
        reqwest::Method::DELETE,
        "/v1/payment_intents",
        FORM,
        vec![],
    )
    .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{e}");
    assert_eq!(e["error"]["type"], "invalid_request_error");
    let (s, e) = app.get("/v1/nowhere").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(e["error"]["type"], "invalid_request_error");
    // A 100 KB bogus parameter name is not echoed in full.
    let bogus = "x".repeat(100_000);
    let (s, e) = raw(
        &app,
        reqwest::Method::POST,
        "/v1/customers",
        FORM,
        format!("{bogus}=1").into(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        e.to_string().len() < 1_000,
        "echo is capped: {} bytes",
        e.to_string().len()
    );
    // A 100 KB bogus key either.
    let big_key = format!("sk_test_{bogus}");
    let (s, e) = app.get_as(&big_key, "/v1/customers").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(e["error"]["type"], "invalid_request_error");
    assert!(e.to_string().len() < 1_000, "{} bytes", e.to_string().len());
    // The Bearer scheme is case-insensitive.
    let r = app
        .client
        .get(format!("{}/v1/customers", app.base))
        .header("authorization", format!("bearer {}", app.key))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Nested parameters are named in full bracket form.
    let (s, e) = raw(
        &app,
        reqwest::Method::POST,
        "/v1/customers",
        FORM,
        b"invoice_settings[default_payment_method][x]=1".to_vec(),
    )
    .await;
    assert_param(
        s,
        &e,
        StatusCode::BAD_REQUEST,
        "invoice_settings[default_payment_method]",
    );
    let (s, e) = app
        .post("/v1/customers", &[("expand[0]", "a.b.c.d.e")])
        .await;
    assert_param(s, &e, StatusCode::BAD_REQUEST, "expand");
}
