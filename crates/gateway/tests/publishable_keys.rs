//! Publishable keys (`pk_…`) do only what Stripe.js does: create PaymentMethods, and retrieve
//! or confirm a PaymentIntent with its `client_secret`. Everything else is 403
//! `secret_key_required`.

mod support;

use paygate_gateway::admin;
use reqwest::StatusCode;
use serde_json::Value;
use support::{TestApp, VISA};

/// A merchant of its own on `app`'s gateway: (secret key, publishable key).
async fn keys(app: &TestApp) -> (String, String) {
    let m = admin::create_merchant(
        &app.server.state.store,
        &app.server.state.cfg,
        "Stripe.js shop",
    )
    .await
    .expect("merchant");
    (m.secret_key, m.publishable_key)
}

fn assert_secret_key_required(s: StatusCode, e: &Value, what: &str) {
    assert_eq!(s, StatusCode::FORBIDDEN, "{what}: {e}");
    assert_eq!(e["error"]["type"], "invalid_request_error", "{what}");
    assert_eq!(e["error"]["code"], "secret_key_required", "{what}");
}

#[tokio::test]
async fn a_publishable_key_reads_nothing_and_writes_nothing_beyond_stripe_js() {
    let app = TestApp::spawn().await;
    let (sk, pk) = keys(&app).await;
    // Data a publishable key must not see.
    let (s, pi) = app
        .post_as(
            &sk,
            "/v1/payment_intents",
            &[
                ("amount", "5000"),
                ("currency", "krw"),
                ("confirm", "true"),
                ("payment_method", "pm_card_visa"),
            ],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let (s, cus) = app
        .post_as(&sk, "/v1/customers", &[("email", "a@b.co")], None)
        .await;
    assert_eq!(s, StatusCode::OK, "{cus}");
    let pi_id = pi["id"].as_str().unwrap();
    let ch_id = pi["latest_charge"].as_str().unwrap();
    let cus_id = cus["id"].as_str().unwrap();
    for path in [
        "/v1/customers".to_string(),
        format!("/v1/customers/{cus_id}"),
        "/v1/events".into(),
        "/v1/balance".into(),
        "/v1/balance_transactions".into(),
        "/v1/payment_intents".into(),
        "/v1/charges".into(),
        format!("/v1/charges/{ch_id}"),
        "/v1/refunds".into(),
        "/v1/payouts".into(),
        "/v1/webhook_endpoints".into(),
        format!("/v1/payment_methods?customer={cus_id}"),
        // Retrieving an intent needs its client secret.
        format!("/v1/payment_intents/{pi_id}"),
    ] {
        let (s, e) = app.get_as(&pk, &path).await;
        assert_secret_key_required(s, &e, &path);
    }
    let posts: &[(&str, &[(&str, &str)])] = &[
        ("/v1/customers", &[("email", "x@y.co")]),
        (
            "/v1/payment_intents",
            &[("amount", "5000"), ("currency", "krw")],
        ),
        ("/v1/refunds", &[("payment_intent", pi_id)]),
        ("/v1/payouts", &[("amount", "100"), ("currency", "krw")]),
        (
            "/v1/webhook_endpoints",
            &[("url", "https://example.com/h"), ("enabled_events[]", "*")],
        ),
    ];
    for (path, form) in posts {
        let (s, e) = app.post_as(&pk, path, form, None).await;
        assert_secret_key_required(s, &e, path);
    }
    let (s, e) = app
        .post_as(
            &pk,
            &format!("/v1/payment_intents/{pi_id}/cancel"),
            &[],
            None,
        )
        .await;
    assert_secret_key_required(s, &e, "cancel");
    // Nothing was created by the refused writes.
    let (_, list) = app.get_as(&sk, "/v1/customers").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (_, list) = app.get_as(&sk, "/v1/refunds").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn stripe_js_flow_with_a_publishable_key_and_the_client_secret() {
    let app = TestApp::spawn().await;
    let (sk, pk) = keys(&app).await;
    let (s, pi) = app
        .post_as(
            &sk,
            "/v1/payment_intents",
            &[
                ("amount", "7000"),
                ("currency", "krw"),
                ("metadata[order]", "secret-order-42"),
            ],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let id = pi["id"].as_str().unwrap();
    let secret = pi["client_secret"].as_str().unwrap();
    // Stripe.js creates the PaymentMethod with the publishable key.
    let (s, pm) = app
        .post_as(
            &pk,
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", VISA),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
                ("card[cvc]", "123"),
            ],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pm}");
    // Retrieve with the client secret: the reduced client view.
    let (s, view) = app
        .get_as(
            &pk,
            &format!("/v1/payment_intents/{id}?client_secret={secret}"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{view}");
    assert_eq!(view["id"], id);
    assert_eq!(view["status"], "requires_payment_method");
    assert!(
        view.get("metadata").is_none(),
        "no metadata in the client view: {view}"
    );
    assert!(view.get("customer").is_none(), "{view}");
    // A wrong secret is refused by name.
    let (s, e) = app
        .get_as(
            &pk,
            &format!("/v1/payment_intents/{id}?client_secret={id}_secret_nope"),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "client_secret");
    // Confirm without the secret: refused; with it: succeeds, in the client view.
    let confirm = format!("/v1/payment_intents/{id}/confirm");
    let pm_id = pm["id"].as_str().unwrap();
    let (s, e) = app
        .post_as(&pk, &confirm, &[("payment_method", pm_id)], None)
        .await;
    assert_secret_key_required(s, &e, "confirm without client_secret");
    let (s, done) = app
        .post_as(
            &pk,
            &confirm,
            &[("payment_method", pm_id), ("client_secret", secret)],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "succeeded");
    assert!(done.get("metadata").is_none(), "{done}");
    assert!(done.get("latest_charge").is_none(), "{done}");
    // The secret key still sees everything.
    let (_, full) = app.get_as(&sk, &format!("/v1/payment_intents/{id}")).await;
    assert_eq!(full["metadata"]["order"], "secret-order-42");
    assert_eq!(full["status"], "succeeded");
}

/// A confirm made with a publishable key and replayed under the same Idempotency-Key answers
/// the client view again, not the full object stored for the first request.
#[tokio::test]
async fn a_replayed_publishable_confirm_answers_the_client_view_again() {
    let app = TestApp::spawn().await;
    let (sk, pk) = keys(&app).await;
    let (s, pi) = app
        .post_as(
            &sk,
            "/v1/payment_intents",
            &[
                ("amount", "7000"),
                ("currency", "krw"),
                ("metadata[order]", "secret-order-7"),
            ],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let confirm = format!("/v1/payment_intents/{}/confirm", pi["id"].as_str().unwrap());
    let form = [
        ("payment_method", "pm_card_visa"),
        ("client_secret", pi["client_secret"].as_str().unwrap()),
    ];
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let r = app
            .post_response(&pk, &confirm, &form, Some("pk-confirm-1"))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let replayed = r.headers().get("idempotent-replayed").is_some();
        let body: Value = r.json().await.unwrap();
        bodies.push((replayed, body));
    }
    let (first_replayed, first) = &bodies[0];
    let (second_replayed, second) = &bodies[1];
    assert!(
        !first_replayed && *second_replayed,
        "the second one is a replay"
    );
    assert_eq!(first["status"], "succeeded", "{first}");
    assert_eq!(
        second, first,
        "the replay answers what the first request answered"
    );
    for secret_only in ["metadata", "latest_charge", "amount_received", "customer"] {
        assert!(
            second.get(secret_only).is_none(),
            "{secret_only} in {second}"
        );
    }
    // The secret key still sees the whole intent.
    let (_, full) = app
        .get_as(
            &sk,
            &format!("/v1/payment_intents/{}", pi["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(full["metadata"]["order"], "secret-order-7");
    // A decline carries the intent in the error: the client view too, first and on replay.
    let (_, pi) = app
        .post_as(
            &sk,
            "/v1/payment_intents",
            &[
                ("amount", "7000"),
                ("currency", "krw"),
                ("metadata[order]", "secret-order-8"),
            ],
            None,
        )
        .await;
    let confirm = format!("/v1/payment_intents/{}/confirm", pi["id"].as_str().unwrap());
    let form = [
        ("payment_method", "pm_card_chargeDeclined"),
        ("client_secret", pi["client_secret"].as_str().unwrap()),
    ];
    let mut errors = Vec::new();
    for _ in 0..2 {
        let (s, e) = app
            .post_as(&pk, &confirm, &form, Some("pk-confirm-declined"))
            .await;
        assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
        let carried = &e["error"]["payment_intent"];
        assert_eq!(carried["status"], "requires_payment_method", "{e}");
        assert!(carried.get("metadata").is_none(), "{e}");
        errors.push(e);
    }
    assert_eq!(errors[0], errors[1]);
}
