//! Validation, authentication, idempotency, tenancy, pagination and modes, through HTTP.

mod support;

use reqwest::StatusCode;
use support::{TestApp, VISA};

/// (form, expected `param`, expected `code`)
type Case = (
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

#[tokio::test]
async fn bad_input_names_the_parameter_and_the_rule() {
    let app = TestApp::spawn().await;
    let cases: &[Case] = &[
        (
            &[("amount", "100"), ("currency", "xyz")],
            "currency",
            "parameter_invalid",
        ),
        (
            &[("amount", "0"), ("currency", "krw")],
            "amount",
            "amount_too_small",
        ),
        (
            &[("amount", "10.5"), ("currency", "usd")],
            "amount",
            "parameter_invalid_integer",
        ),
        (
            &[("amount", "100000000000000"), ("currency", "krw")],
            "amount",
            "amount_too_large",
        ),
        (&[("currency", "krw")], "amount", "parameter_missing"),
        (
            &[("amount", "100"), ("currency", "krw"), ("bogus", "1")],
            "bogus",
            "parameter_unknown",
        ),
        (
            &[
                ("amount", "100"),
                ("currency", "krw"),
                ("capture_method", "later"),
            ],
            "capture_method",
            "parameter_invalid",
        ),
    ];
    for (form, param, code) in cases {
        let (s, e) = app.post("/v1/payment_intents", form).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{form:?}: {e}");
        assert_eq!(e["error"]["type"], "invalid_request_error");
        assert_eq!(e["error"]["param"], *param, "{e}");
        assert_eq!(e["error"]["code"], *code, "{e}");
    }
    // Card field errors name the nested parameter.
    let (s, e) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "100"),
                ("currency", "krw"),
                ("confirm", "true"),
                ("payment_method_data[type]", "card"),
                ("payment_method_data[card][number]", "4242424242424241"),
                ("payment_method_data[card][exp_month]", "12"),
                ("payment_method_data[card][exp_year]", "2030"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
    assert_eq!(e["error"]["code"], "incorrect_number");
    assert_eq!(e["error"]["param"], "payment_method_data[card][number]");
    // Exponents: 3-decimal KWD accepts 1.234 KWD as 1234 minor units.
    let (s, pi) = app
        .post(
            "/v1/payment_intents",
            &[("amount", "1234"), ("currency", "KWD")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["currency"], "kwd");
    // JSON bodies are accepted too.
    let resp = app
        .client
        .post(format!("{}/v1/payment_intents", app.base))
        .bearer_auth(&app.key)
        .header("content-type", "application/json")
        .body(r#"{"amount": 5000, "currency": "krw", "metadata": {"order": "A-1"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["metadata"]["order"], "A-1");
}

#[tokio::test]
async fn authentication_is_required_and_keys_are_checked() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(format!("{}/v1/payment_intents", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
    let (s, _) = app
        .get_as(
            "sk_test_nope0000000000000000000000000000",
            "/v1/payment_intents",
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Basic auth with the key as user name works (curl -u sk_…:).
    let r = app
        .client
        .get(format!("{}/v1/payment_intents", app.base))
        .basic_auth(&app.key, Some(""))
        .header("Stripe-Version", "2024-06-20")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (s, e) = app.get("/v1/nothing_here").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(e["error"]["code"], "resource_missing");
}

#[tokio::test]
async fn idempotency_replays_the_first_result_and_refuses_other_parameters() {
    let app = TestApp::spawn().await;
    let form = [
        ("amount", "3000"),
        ("currency", "krw"),
        ("confirm", "true"),
        ("payment_method", "pm_card_visa"),
    ];
    let (s1, a) = app.post_idem("/v1/payment_intents", &form, "order-1").await;
    let (s2, b) = app.post_idem("/v1/payment_intents", &form, "order-1").await;
    assert_eq!(s1, StatusCode::OK);
    assert_eq!(s2, StatusCode::OK);
    assert_eq!(a, b, "the replay is byte-for-byte the first answer");
    let (_, list) = app.get("/v1/payment_intents").await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "one payment, not two"
    );
    let (s3, e) = app
        .post_idem(
            "/v1/payment_intents",
            &[("amount", "3001"), ("currency", "krw")],
            "order-1",
        )
        .await;
    assert_eq!(s3, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["type"], "idempotency_error");
    // Errors are replayed too.
    let decl = [
        ("amount", "3000"),
        ("currency", "krw"),
        ("confirm", "true"),
        ("payment_method", "pm_card_chargeDeclined"),
    ];
    let (d1, e1) = app.post_idem("/v1/payment_intents", &decl, "order-2").await;
    let (d2, e2) = app.post_idem("/v1/payment_intents", &decl, "order-2").await;
    assert_eq!(
        (d1, d2),
        (StatusCode::PAYMENT_REQUIRED, StatusCode::PAYMENT_REQUIRED)
    );
    assert_eq!(e1, e2);
    // Concurrent duplicates: exactly one payment results.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let client = app.client.clone();
        let url = format!("{}/v1/payment_intents", app.base);
        let key = app.key.clone();
        set.spawn(async move {
            client
                .post(url)
                .bearer_auth(key)
                .header("Idempotency-Key", "order-3")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("amount=4000&currency=krw&confirm=true&payment_method=pm_card_visa")
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    let mut codes = Vec::new();
    while let Some(r) = set.join_next().await {
        codes.push(r.unwrap());
    }
    assert!(
        codes
            .iter()
            .all(|c| *c == StatusCode::OK || *c == StatusCode::CONFLICT),
        "{codes:?}"
    );
    let (_, list) = app.get("/v1/payment_intents?limit=100").await;
    let n4000 = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["amount"] == 4000)
        .count();
    assert_eq!(n4000, 1);
}

#[tokio::test]
async fn one_merchant_never_sees_or_touches_anothers_objects() {
    let app = TestApp::spawn().await;
    let other = app.other_merchant().await;
    let (_, pi) = app.pay(VISA, 1000, &[("capture_method", "manual")]).await;
    let id = pi["id"].as_str().unwrap();
    let ch = pi["latest_charge"].as_str().unwrap();
    for path in [
        format!("/v1/payment_intents/{id}"),
        format!("/v1/charges/{ch}"),
    ] {
        let (s, e) = app.get_as(&other, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(e["error"]["code"], "resource_missing");
    }
    let (s, _) = app
        .post_as(
            &other,
            &format!("/v1/payment_intents/{id}/capture"),
            &[],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post_as(&other, "/v1/refunds", &[("charge", ch)], None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.get_as(&other, "/v1/payment_intents").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
    let (_, ev) = app.get_as(&other, "/v1/events").await;
    assert_eq!(ev["data"].as_array().unwrap().len(), 0);
    let (s, _) = app
        .post(&format!("/v1/payment_intents/{id}/capture"), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "the owner still can");
}

#[tokio::test]
async fn lists_paginate_like_stripe() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let (_, c) = app
            .post("/v1/customers", &[("name", &format!("c{i}"))])
            .await;
        ids.push(c["id"].as_str().unwrap().to_string());
    }
    ids.reverse(); // newest first
    let (_, p1) = app.get("/v1/customers?limit=3").await;
    let got: Vec<&str> = p1["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, ids[..3].iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(p1["has_more"], true);
    assert_eq!(p1["object"], "list");
    let (_, p2) = app
        .get(&format!("/v1/customers?limit=3&starting_after={}", ids[2]))
        .await;
    assert_eq!(p2["data"][0]["id"], ids[3]);
    let (_, p3) = app
        .get(&format!("/v1/customers?limit=3&starting_after={}", ids[5]))
        .await;
    assert_eq!(p3["data"].as_array().unwrap().len(), 1);
    assert_eq!(p3["has_more"], false);
    let (_, back) = app
        .get(&format!("/v1/customers?limit=2&ending_before={}", ids[3]))
        .await;
    let got: Vec<&str> = back["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[1].as_str(), ids[2].as_str()]);
    let (s, e) = app.get("/v1/customers?limit=101").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["param"], "limit");
    // expand on lists
    app.pay(VISA, 1000, &[]).await;
    let (_, l) = app
        .get("/v1/payment_intents?expand[]=data.latest_charge")
        .await;
    assert_eq!(l["data"][0]["latest_charge"]["object"], "charge");
}

#[tokio::test]
async fn live_mode_refuses_test_cards_and_test_keys_never_see_live_objects() {
    let app = TestApp::spawn().await;
    let (live, _) =
        paygate_gateway::admin::create_key(&app.server.state.store, &app.merchant, true, true)
            .await
            .unwrap();
    let (s, e) = app
        .post_as(
            &live,
            "/v1/payment_intents",
            &[
                ("amount", "1000"),
                ("currency", "krw"),
                ("confirm", "true"),
                ("payment_method_data[type]", "card"),
                ("payment_method_data[card][number]", VISA),
                ("payment_method_data[card][exp_month]", "12"),
                ("payment_method_data[card][exp_year]", "2030"),
            ],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
    assert_eq!(e["error"]["decline_code"], "live_mode_test_card");
    let (_, c) = app
        .post_as(&live, "/v1/customers", &[("name", "live")], None)
        .await;
    assert_eq!(c["livemode"], true);
    let (s, _) = app
        .get(&format!("/v1/customers/{}", c["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "test key cannot read a live object"
    );
}

#[tokio::test]
async fn customers_and_webhook_endpoints_update_list_and_delete() {
    let app = TestApp::spawn().await;
    let (_, c) = app
        .post(
            "/v1/customers",
            &[("email", "a@example.kr"), ("metadata[k]", "v")],
        )
        .await;
    let id = c["id"].as_str().unwrap();
    let (s, u) = app
        .post(
            &format!("/v1/customers/{id}"),
            &[("name", "Choi"), ("metadata[k]", ""), ("metadata[x]", "1")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert_eq!(u["name"], "Choi");
    assert_eq!(
        u["metadata"],
        serde_json::json!({"x": "1"}),
        "empty value removes a key"
    );
    let (s, pi) = app
        .post(
            "/v1/payment_intents",
            &[("amount", "900"), ("currency", "krw"), ("customer", id)],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let pi_id = pi["id"].as_str().unwrap();
    let (s, upd) = app
        .post(
            &format!("/v1/payment_intents/{pi_id}"),
            &[("amount", "950"), ("description", "two coffees")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{upd}");
    assert_eq!(upd["amount"], 950);
    let (_, by_customer) = app.get(&format!("/v1/payment_intents?customer={id}")).await;
    assert_eq!(by_customer["data"].as_array().unwrap().len(), 1);
    let resp = app
        .client
        .delete(format!("{}/v1/customers/{id}", app.base))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, gone) = app.get(&format!("/v1/customers/{id}")).await;
    assert_eq!(gone["deleted"], true);

    let (_, we) = app
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("enabled_events[]", "*"),
            ],
        )
        .await;
    let we_id = we["id"].as_str().unwrap();
    let (s, upd) = app
        .post(
            &format!("/v1/webhook_endpoints/{we_id}"),
            &[
                ("disabled", "true"),
                ("enabled_events[]", "charge.refunded"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{upd}");
    assert_eq!(upd["status"], "disabled");
    assert_eq!(
        upd["enabled_events"],
        serde_json::json!(["charge.refunded"])
    );
    assert!(upd.get("secret").is_none());
    let (_, list) = app.get("/v1/webhook_endpoints").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let resp = app
        .client
        .delete(format!("{}/v1/webhook_endpoints/{we_id}", app.base))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, list) = app.get("/v1/webhook_endpoints").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
    let (_, evs) = app.get("/v1/events?type=customer.deleted").await;
    let ev_id = evs["data"][0]["id"].as_str().unwrap();
    let (s, ev) = app.get(&format!("/v1/events/{ev_id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ev["data"]["object"]["id"], id);
}
