//! Parameters of the PaymentIntent and Refund endpoints that used to be accepted and ignored:
//! each is now honoured (visible in the retrieved object, or kept for the payment flow) or
//! refused by name.

mod support;

use paygate_store::Scope;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{TestApp, VISA};

const INTENTS: &str = "/v1/payment_intents";

type Form<'a> = Vec<(&'a str, &'a str)>;

fn assert_refused(s: StatusCode, e: &Value, param: &str, code: &str) {
    assert_eq!(s, StatusCode::BAD_REQUEST, "{param}: {e}");
    assert_eq!(e["error"]["param"], param, "{e}");
    assert_eq!(e["error"]["code"], code, "{e}");
}

/// An intent created with `extra` (not confirmed), as returned.
async fn create(app: &TestApp, extra: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form = vec![("amount", "5000"), ("currency", "krw")];
    form.extend_from_slice(extra);
    app.post(INTENTS, &form).await
}

/// The stored document of an object, internal fields included.
async fn stored(app: &TestApp, id: &str) -> Value {
    let scope = Scope {
        merchant_id: app.merchant.clone(),
        livemode: false,
    };
    let row = app.server.state.store.get_object(&scope, id).await.unwrap();
    row.expect("stored").data
}

#[tokio::test]
async fn return_url_is_kept_for_redirects_and_must_be_an_absolute_http_url() {
    let app = TestApp::spawn().await;
    let url = "https://shop.example/orders/42/return?x=1";
    let (s, pi) = create(&app, &[("return_url", url)]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let id = pi["id"].as_str().unwrap();
    assert!(
        pi.get("return_url").is_none(),
        "not in Stripe's object: {pi}"
    );
    assert_eq!(stored(&app, id).await["_return_url"], url);
    // Given again on confirm, the new one is kept.
    let (s, done) = app
        .post(
            &format!("{INTENTS}/{id}/confirm"),
            &[
                ("payment_method", "pm_card_visa"),
                ("return_url", "http://localhost:8080/back"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(
        stored(&app, id).await["_return_url"],
        "http://localhost:8080/back"
    );
    let long = format!("https://shop.example/{}", "a".repeat(2048));
    for (bad, code) in [
        ("/orders/42", "url_invalid"),
        ("ftp://shop.example/x", "url_invalid"),
        ("javascript:alert(1)", "url_invalid"),
        ("https://", "url_invalid"),
        (long.as_str(), "parameter_invalid_string_too_long"),
    ] {
        let (s, e) = create(&app, &[("return_url", bad)]).await;
        assert_refused(s, &e, "return_url", code);
    }
}

#[tokio::test]
async fn automatic_payment_methods_are_stored_rendered_and_exclusive_with_types() {
    let app = TestApp::spawn().await;
    let (s, pi) = create(&app, &[("automatic_payment_methods[enabled]", "true")]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let (_, got) = app
        .get(&format!("{INTENTS}/{}", pi["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        got["automatic_payment_methods"],
        json!({"enabled": true, "allow_redirects": "always"})
    );
    assert_eq!(got["payment_method_types"], json!(["card"]));
    let (_, pi) = create(
        &app,
        &[
            ("automatic_payment_methods[enabled]", "true"),
            ("automatic_payment_methods[allow_redirects]", "never"),
        ],
    )
    .await;
    assert_eq!(pi["automatic_payment_methods"]["allow_redirects"], "never");
    // Not given: null, as before.
    let (_, pi) = create(&app, &[]).await;
    assert!(pi["automatic_payment_methods"].is_null(), "{pi}");
    let (s, e) = create(
        &app,
        &[
            ("automatic_payment_methods[enabled]", "true"),
            ("payment_method_types[]", "card"),
        ],
    )
    .await;
    assert_refused(s, &e, "payment_method_types", "parameter_invalid");
    let (s, e) = create(
        &app,
        &[("automatic_payment_methods[allow_redirects]", "always")],
    )
    .await;
    assert_refused(
        s,
        &e,
        "automatic_payment_methods[enabled]",
        "parameter_missing",
    );
    let (s, e) = create(
        &app,
        &[
            ("automatic_payment_methods[enabled]", "true"),
            ("automatic_payment_methods[allow_redirects]", "sometimes"),
        ],
    )
    .await;
    assert_refused(
        s,
        &e,
        "automatic_payment_methods[allow_redirects]",
        "parameter_invalid",
    );
    // Stripe takes it on create only.
    let (_, pi) = create(&app, &[]).await;
    let (s, e) = app
        .post(
            &format!("{INTENTS}/{}/confirm", pi["id"].as_str().unwrap()),
            &[
                ("payment_method", "pm_card_visa"),
                ("automatic_payment_methods[enabled]", "true"),
            ],
        )
        .await;
    assert_refused(s, &e, "automatic_payment_methods", "parameter_unknown");
}

#[tokio::test]
async fn shipping_is_checked_stored_and_rendered() {
    let app = TestApp::spawn().await;
    let shipping = [
        ("shipping[name]", "Kim Minji"),
        ("shipping[phone]", "+82 10-1234-5678"),
        ("shipping[carrier]", "CJ Logistics"),
        ("shipping[address][line1]", "1 Sejong-daero"),
        ("shipping[address][city]", "Seoul"),
        ("shipping[address][postal_code]", "04524"),
        ("shipping[address][country]", "kr"),
    ];
    let (s, pi) = create(&app, &shipping).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let (_, got) = app
        .get(&format!("{INTENTS}/{}", pi["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        got["shipping"],
        json!({
            "address": {"city": "Seoul", "country": "KR", "line1": "1 Sejong-daero",
                        "line2": null, "postal_code": "04524", "state": null},
            "carrier": "CJ Logistics", "name": "Kim Minji",
            "phone": "+82 10-1234-5678", "tracking_number": null
        })
    );
    let without = |drop: &str| -> Vec<(&str, &str)> {
        shipping
            .iter()
            .filter(|(k, _)| *k != drop)
            .copied()
            .collect()
    };
    let cases: Vec<(Form, &str, &str)> = vec![
        (
            without("shipping[name]"),
            "shipping[name]",
            "parameter_missing",
        ),
        (
            without("shipping[address][line1]"),
            "shipping[address][line1]",
            "parameter_missing",
        ),
        (
            [
                without("shipping[phone]"),
                vec![("shipping[phone]", "call me")],
            ]
            .concat(),
            "shipping[phone]",
            "parameter_invalid",
        ),
        (
            [
                without("shipping[address][country]"),
                vec![("shipping[address][country]", "Korea")],
            ]
            .concat(),
            "shipping[address][country]",
            "parameter_invalid",
        ),
        (
            [
                shipping.to_vec(),
                vec![("shipping[address][planet]", "Earth")],
            ]
            .concat(),
            "shipping[address][planet]",
            "parameter_unknown",
        ),
    ];
    for (form, param, code) in cases {
        let (s, e) = create(&app, &form).await;
        assert_refused(s, &e, param, code);
    }
}

#[tokio::test]
async fn mandates_are_refused_by_name_and_future_usage_values_are_checked() {
    let app = TestApp::spawn().await;
    let refused: [(&str, &str, &str); 4] = [
        (
            "mandate_data[customer_acceptance][type]",
            "online",
            "parameter_unsupported",
        ),
        ("setup_future_usage", "sometimes", "parameter_invalid"),
        ("off_session", "maybe", "parameter_invalid"),
        ("off_session", "true", "parameter_invalid"),
    ];
    let (_, pi) = create(&app, &[]).await;
    let confirm = format!("{INTENTS}/{}/confirm", pi["id"].as_str().unwrap());
    for (key, value, code) in refused {
        let param = key.split('[').next().unwrap();
        // On create without confirm=true, off_session=true is refused too.
        let (s, e) = create(&app, &[(key, value)]).await;
        assert_refused(s, &e, param, code);
        if value == "true" {
            continue;
        }
        let (s, e) = app
            .post(
                &confirm,
                &[("payment_method", "pm_card_visa"), (key, value)],
            )
            .await;
        assert_refused(s, &e, param, code);
    }
    // Nothing was charged by the refused confirms.
    let (_, got) = app
        .get(&format!("{INTENTS}/{}", pi["id"].as_str().unwrap()))
        .await;
    assert_eq!(got["status"], "requires_payment_method");
}

#[tokio::test]
async fn confirmation_method_manual_means_secret_key_confirms_only() {
    let app = TestApp::spawn().await;
    let m = paygate_gateway::admin::create_merchant(
        &app.server.state.store,
        &app.server.state.cfg,
        "Manual shop",
    )
    .await
    .unwrap();
    let (s, pi) = app
        .post_as(
            &m.secret_key,
            INTENTS,
            &[
                ("amount", "5000"),
                ("currency", "krw"),
                ("confirmation_method", "manual"),
            ],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["confirmation_method"], "manual");
    let confirm = format!("{INTENTS}/{}/confirm", pi["id"].as_str().unwrap());
    let secret = pi["client_secret"].as_str().unwrap();
    let (s, e) = app
        .post_as(
            &m.publishable_key,
            &confirm,
            &[
                ("payment_method", "pm_card_visa"),
                ("client_secret", secret),
            ],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "secret_key_required");
    let (s, done) = app
        .post_as(
            &m.secret_key,
            &confirm,
            &[("payment_method", "pm_card_visa")],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "succeeded");
    let (s, e) = create(&app, &[("confirmation_method", "later")]).await;
    assert_refused(s, &e, "confirmation_method", "parameter_invalid");
}

#[tokio::test]
async fn error_on_requires_action_and_use_stripe_sdk_are_kept_for_the_payment_flow() {
    let app = TestApp::spawn().await;
    let (s, pi) = app
        .pay(
            VISA,
            5000,
            &[
                ("error_on_requires_action", "true"),
                ("use_stripe_sdk", "true"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    let doc = stored(&app, pi["id"].as_str().unwrap()).await;
    assert_eq!(doc["_error_on_requires_action"], true, "{doc}");
    assert_eq!(doc["_use_stripe_sdk"], true, "{doc}");
    assert!(pi.get("error_on_requires_action").is_none(), "{pi}");
    let (s, e) = create(&app, &[("error_on_requires_action", "maybe")]).await;
    assert_refused(
        s,
        &e,
        "error_on_requires_action",
        "parameter_invalid_boolean",
    );
}

#[tokio::test]
async fn capture_honours_metadata_and_statement_descriptor_and_refuses_partial_finals() {
    let app = TestApp::spawn().await;
    let (_, pi) = app.pay(VISA, 9000, &[("capture_method", "manual")]).await;
    assert_eq!(pi["status"], "requires_capture", "{pi}");
    let capture = format!("{INTENTS}/{}/capture", pi["id"].as_str().unwrap());
    let (s, e) = app.post(&capture, &[("final_capture", "false")]).await;
    assert_refused(s, &e, "final_capture", "parameter_unsupported");
    let (s, e) = app.post(&capture, &[("amount_to_capture", "1.5")]).await;
    assert_refused(s, &e, "amount_to_capture", "parameter_invalid_integer");
    let (s, done) = app
        .post(
            &capture,
            &[
                ("final_capture", "true"),
                ("metadata[packed]", "yes"),
                ("statement_descriptor", "PAYGATE SHOP"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let (_, got) = app
        .get(&format!("{INTENTS}/{}", pi["id"].as_str().unwrap()))
        .await;
    assert_eq!(got["status"], "succeeded");
    assert_eq!(got["metadata"]["packed"], "yes");
    assert_eq!(got["statement_descriptor"], "PAYGATE SHOP");
}

#[tokio::test]
async fn cancel_reasons_are_a_closed_set() {
    let app = TestApp::spawn().await;
    let (_, pi) = create(&app, &[]).await;
    let cancel = format!("{INTENTS}/{}/cancel", pi["id"].as_str().unwrap());
    let (s, e) = app.post(&cancel, &[("cancellation_reason", "bored")]).await;
    assert_refused(s, &e, "cancellation_reason", "parameter_invalid");
    let (s, e) = app.post(&cancel, &[("reason", "duplicate")]).await;
    assert_refused(s, &e, "reason", "parameter_unknown");
    let (s, done) = app
        .post(&cancel, &[("cancellation_reason", "abandoned")])
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["cancellation_reason"], "abandoned");
}

#[tokio::test]
async fn refund_options_paygate_cannot_honour_are_refused_by_name() {
    let app = TestApp::spawn().await;
    let (_, pi) = app.pay(VISA, 9000, &[]).await;
    let pi_id = pi["id"].as_str().unwrap();
    for (key, value, code) in [
        ("refund_application_fee", "true", "parameter_unsupported"),
        ("reverse_transfer", "true", "parameter_unsupported"),
        ("origin", "customer_balance", "parameter_unsupported"),
        (
            "instructions_email",
            "kim@example.com",
            "parameter_unsupported",
        ),
        ("reason", "changed_mind", "parameter_invalid"),
        ("amount", "0", "parameter_invalid_integer"),
        ("bogus", "1", "parameter_unknown"),
    ] {
        let (s, e) = app
            .post("/v1/refunds", &[("payment_intent", pi_id), (key, value)])
            .await;
        assert_refused(s, &e, key, code);
    }
    let (s, re) = app
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", pi_id),
                ("amount", "1000"),
                ("reason", "requested_by_customer"),
                ("reverse_transfer", "false"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{re}");
    assert_eq!(re["reason"], "requested_by_customer");
    let path = format!("/v1/refunds/{}", re["id"].as_str().unwrap());
    let (s, e) = app.post(&path, &[("reason", "duplicate")]).await;
    assert_refused(s, &e, "reason", "parameter_unknown");
    let (s, up) = app.post(&path, &[("metadata[ticket]", "T-9")]).await;
    assert_eq!(s, StatusCode::OK, "{up}");
    assert_eq!(up["metadata"]["ticket"], "T-9");
}
