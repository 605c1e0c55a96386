//! Card payments end to end: HTTP API → vault → ISO 8583 link → simulator → ledger → events.

mod support;

use reqwest::StatusCode;
use support::{TestApp, VISA};

#[tokio::test]
async fn a_confirmed_payment_succeeds_is_posted_to_the_ledger_and_matches_the_network_journal() {
    let app = TestApp::spawn().await;
    let (status, pi) = app
        .pay(VISA, 10_000, &[("expand[]", "latest_charge")])
        .await;
    assert_eq!(status, StatusCode::OK, "{pi}");
    assert_eq!(pi["object"], "payment_intent");
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["amount_received"], 10_000);
    let ch = &pi["latest_charge"];
    assert_eq!(ch["object"], "charge");
    assert_eq!(ch["amount_captured"], 10_000);
    assert_eq!(ch["payment_method_details"]["card"]["brand"], "visa");
    assert_eq!(ch["payment_method_details"]["card"]["last4"], "4242");
    let rrn = ch["payment_method_details"]["card"]["network_transaction_id"]
        .as_str()
        .unwrap();
    assert_eq!(rrn.len(), 12);
    let j = app.journal_by_rrn(rrn);
    assert_eq!(j["amount"], 10_000);
    assert_eq!(j["currency"], "410");
    assert_eq!(j["response_code"], "00");
    assert_eq!(j["reversed"], false);
    // 2.9% fee on 10,000 KRW = 290; pending until settlement.
    assert_eq!(app.balance().await, (0, 9_710));
    let types = app.event_types().await;
    for t in [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
    ] {
        assert!(types.contains(&t.to_string()), "{t} missing from {types:?}");
    }
    assert!(app.ledger_problems().await.is_empty());
    let (s, txns) = app.get("/v1/balance_transactions").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(txns["data"][0]["fee"], 290);
    assert_eq!(txns["data"][0]["net"], 9_710);
    assert_eq!(txns["data"][0]["source"], ch["id"]);
}

#[tokio::test]
async fn declines_carry_stripe_codes_and_leave_the_intent_retryable() {
    let app = TestApp::spawn().await;
    let cases = [
        ("4000000000000002", "card_declined", Some("generic_decline")),
        (
            "4000000000009995",
            "card_declined",
            Some("insufficient_funds"),
        ),
        ("4000000000000069", "expired_card", Some("expired_card")),
        ("4000000000000127", "incorrect_cvc", Some("incorrect_cvc")),
        ("4000000000009987", "card_declined", Some("lost_card")),
        ("4000000000009979", "card_declined", Some("stolen_card")),
        (
            "4000000000000119",
            "processing_error",
            Some("processing_error"),
        ),
        (
            "4111111111111111",
            "incorrect_number",
            Some("incorrect_number"),
        ),
    ];
    for (card, code, decline) in cases {
        let (status, body) = app.pay(card, 5_000, &[]).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{card}: {body}");
        let e = &body["error"];
        assert_eq!(e["type"], "card_error", "{card}");
        assert_eq!(e["code"], code, "{card}: {body}");
        if let Some(d) = decline {
            assert_eq!(e["decline_code"], d, "{card}");
        }
        let pi = &e["payment_intent"];
        assert_eq!(pi["status"], "requires_payment_method", "{card}");
        assert_eq!(pi["last_payment_error"]["code"], code, "{card}");
        // The decline is visible on a later read too.
        let (_, again) = app
            .get(&format!(
                "/v1/payment_intents/{}",
                pi["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(again["last_payment_error"]["code"], code);
    }
    assert_eq!(app.balance().await, (0, 0), "declines move no money");
    assert!(
        app.event_types()
            .await
            .contains(&"payment_intent.payment_failed".to_string())
    );
}

#[tokio::test]
async fn manual_capture_partial_then_several_refunds_never_above_captured() {
    let app = TestApp::spawn().await;
    let (s, pi) = app.pay(VISA, 10_000, &[("capture_method", "manual")]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_capture");
    assert_eq!(pi["amount_capturable"], 10_000);
    assert_eq!(
        app.balance().await,
        (0, 0),
        "an authorization moves no money"
    );
    let id = pi["id"].as_str().unwrap();
    let (s, e) = app
        .post(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "20000")],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["param"], "amount_to_capture");
    let (s, pi) = app
        .post(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "6000")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["amount_received"], 6_000);
    let (s, r1) = app
        .post("/v1/refunds", &[("payment_intent", id), ("amount", "2000")])
        .await;
    assert_eq!(s, StatusCode::OK, "{r1}");
    assert_eq!(r1["status"], "succeeded");
    let (s, r2) = app
        .post("/v1/refunds", &[("payment_intent", id), ("amount", "3000")])
        .await;
    assert_eq!(s, StatusCode::OK, "{r2}");
    let (s, e) = app
        .post("/v1/refunds", &[("payment_intent", id), ("amount", "1001")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "amount");
    let (s, r3) = app.post("/v1/refunds", &[("payment_intent", id)]).await;
    assert_eq!(s, StatusCode::OK, "{r3}");
    assert_eq!(r3["amount"], 1_000, "the rest of the captured amount");
    let (_, ch) = app
        .get(&format!(
            "/v1/charges/{}",
            pi["latest_charge"].as_str().unwrap()
        ))
        .await;
    assert_eq!(ch["refunded"], true);
    assert_eq!(ch["amount_captured"], 6_000);
    // fee 2.9% of 6000 = 174; refunds 6000 → pending 5826 − 6000 = −174 owed back.
    let (available, pending) = app.balance().await;
    assert_eq!(available + pending, -174);
    let (_, list) = app
        .get(&format!(
            "/v1/refunds?charge={}",
            ch["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 3);
    assert!(app.ledger_problems().await.is_empty());
    let rrn = ch["payment_method_details"]["card"]["network_transaction_id"]
        .as_str()
        .unwrap();
    let j = app.journal_by_rrn(rrn);
    assert_eq!(j["captured_amount"], 6_000);
    assert_eq!(j["refunded_amount"], 6_000);
}

#[tokio::test]
async fn canceling_an_authorization_reverses_it_at_the_network() {
    let app = TestApp::spawn().await;
    let (_, pi) = app
        .pay(
            VISA,
            7_000,
            &[("capture_method", "manual"), ("expand[]", "latest_charge")],
        )
        .await;
    let id = pi["id"].as_str().unwrap();
    let rrn = pi["latest_charge"]["payment_method_details"]["card"]["network_transaction_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, c) = app
        .post(
            &format!("/v1/payment_intents/{id}/cancel"),
            &[("cancellation_reason", "requested_by_customer")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["status"], "canceled");
    assert_eq!(c["cancellation_reason"], "requested_by_customer");
    assert_eq!(app.journal_by_rrn(&rrn)["reversed"], true);
    let (s, e) = app
        .post(&format!("/v1/payment_intents/{id}/capture"), &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["code"], "payment_intent_unexpected_state");
    assert!(
        app.event_types()
            .await
            .contains(&"payment_intent.canceled".to_string())
    );
}

#[tokio::test]
async fn two_step_create_then_confirm_with_a_saved_payment_method() {
    let app = TestApp::spawn().await;
    let (s, cus) = app
        .post(
            "/v1/customers",
            &[("email", "kim@example.kr"), ("name", "Kim")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{cus}");
    let (s, pm) = app
        .post(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", "5555555555554444"),
                ("card[exp_month]", "3"),
                ("card[exp_year]", "2031"),
                ("card[cvc]", "999"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pm}");
    assert_eq!(pm["card"]["brand"], "mastercard");
    assert!(pm.to_string().find("5555555555554444").is_none());
    let pm_id = pm["id"].as_str().unwrap();
    let cus_id = cus["id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &format!("/v1/payment_methods/{pm_id}/attach"),
            &[("customer", cus_id)],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = app
        .get(&format!("/v1/payment_methods?customer={cus_id}"))
        .await;
    assert_eq!(list["data"][0]["id"], pm_id);
    let (s, pi) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1500"),
                ("currency", "usd"),
                ("customer", cus_id),
                ("payment_method", pm_id),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_confirmation");
    let id = pi["id"].as_str().unwrap();
    let (s, pi) = app
        .post(&format!("/v1/payment_intents/{id}/confirm"), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["payment_method"], pm_id);
    let (s, _) = app
        .post(&format!("/v1/payment_methods/{pm_id}/detach"), &[])
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = app
        .get(&format!("/v1/customers/{cus_id}/payment_methods"))
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn test_tokens_work_in_test_mode() {
    let app = TestApp::spawn().await;
    let (s, pi) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "jpy"),
                ("confirm", "true"),
                ("payment_method", "pm_card_visa"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    let (s, e) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "jpy"),
                ("confirm", "true"),
                ("payment_method", "pm_card_chargeDeclined"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(e["error"]["decline_code"], "generic_decline");
}

/// `/metrics` counts payments and shows the store's group commits: every payment's units went
/// through a batch, and the mean batch size is derivable from the counters.
#[tokio::test]
async fn metrics_count_payments_and_the_stores_group_commits() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        let (status, pi) = app.pay(VISA, 1_000, &[]).await;
        assert_eq!(status, StatusCode::OK, "{pi}");
    }
    let text = app.metrics_text().await;
    let value = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing from\n{text}"))
    };
    assert_eq!(
        value("paygate_payments_total{method=\"card\",outcome=\"succeeded\"}"),
        3
    );
    let (batches, units) = (
        value("paygate_store_batches_total"),
        value("paygate_store_units_total"),
    );
    // Each payment commits twice (the attempt before the network, the outcome after it).
    assert!(units >= 6, "units {units}");
    assert!(
        (1..=units).contains(&batches),
        "batches {batches}, units {units}"
    );
    assert!(value("paygate_store_largest_batch_units") >= 1);
    assert_eq!(value("paygate_store_failed_batches_total"), 0);
}

/// A client that hangs up while its payment is at the network does not stop the payment
/// half-way: the request runs to its end in its own task, the outcome is committed and stored
/// under the idempotency key, and the retry gets that result — not a reversal and a retryable
/// intent (which is what recovery would have made of an abandoned attempt).
#[tokio::test]
async fn a_client_hanging_up_mid_payment_does_not_abandon_it() {
    let app = TestApp::spawn_with(|c| c.fault_delay_after_auth_ms = 800).await;
    let fields = support::card_payment_form(VISA, "5000");
    let form = support::url_encode(&fields);
    let gave_up = app
        .client
        .post(format!("{}/v1/payment_intents", app.base))
        .bearer_auth(&app.key)
        .header("Idempotency-Key", "hang-up-1")
        .header("content-type", "application/x-www-form-urlencoded")
        .timeout(std::time::Duration::from_millis(200))
        .body(form)
        .send()
        .await;
    assert!(gave_up.is_err(), "the client timed out first: {gave_up:?}");
    // The payment finishes on its own: succeeded, captured, on the ledger, not reversed.
    let mut found = None;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (_, list) = app.get("/v1/payment_intents?limit=10").await;
        if let Some(pi) = list["data"].as_array().and_then(|a| a.first()).cloned()
            && pi["status"] == "succeeded"
        {
            found = Some(pi);
            break;
        }
    }
    let pi = found.expect("the abandoned request's payment succeeded");
    assert_eq!(app.balance().await, (0, 4_855));
    assert!(app.ledger_problems().await.is_empty());
    let (_, ch) = app
        .get(&format!(
            "/v1/charges/{}",
            pi["latest_charge"].as_str().unwrap()
        ))
        .await;
    let rrn = ch["payment_method_details"]["card"]["network_transaction_id"]
        .as_str()
        .unwrap();
    assert_eq!(app.journal_by_rrn(rrn)["reversed"], false);
    // The retry with the same key replays the stored result instead of paying again.
    let (status, again) = app
        .post_idem("/v1/payment_intents", &fields, "hang-up-1")
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], pi["id"]);
    let (_, list) = app.get("/v1/payment_intents?limit=10").await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "one payment, not two"
    );
}
