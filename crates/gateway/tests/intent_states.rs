//! The PaymentIntent transition table seen through the API: what may change in which status,
//! and that bookkeeping updates never disturb a payment in flight.

mod support;

use reqwest::StatusCode;
use support::{TestApp, VISA};

/// Defect 4: the currency (or amount) of an authorized intent cannot change; the capture then
/// posts the ledger in the currency that was authorized at the network.
#[tokio::test]
async fn currency_and_amount_of_an_authorized_intent_cannot_change() {
    let app = TestApp::spawn().await;
    let (s, pi) = app.pay(VISA, 10_000, &[("capture_method", "manual")]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_capture");
    let id = pi["id"].as_str().unwrap();
    let path = format!("/v1/payment_intents/{id}");
    for (param, value) in [("currency", "usd"), ("amount", "20000")] {
        let (s, e) = app.post(&path, &[(param, value)]).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{param}: {e}");
        assert_eq!(e["error"]["code"], "payment_intent_unexpected_state");
        assert_eq!(e["error"]["param"], param);
        assert_eq!(
            e["error"]["message"],
            "You cannot update the amount or currency of this PaymentIntent because it has a status of requires_capture."
        );
    }
    let (_, now) = app.get(&path).await;
    assert_eq!(now["currency"], "krw");
    assert_eq!(now["amount"], 10_000);
    let (s, captured) = app.post(&format!("{path}/capture"), &[]).await;
    assert_eq!(s, StatusCode::OK, "{captured}");
    assert_eq!(captured["status"], "succeeded");
    // 10,000 KRW less 2.9 % pending, in KRW; nothing in any other currency.
    assert_eq!(app.balance().await, (0, 9_710));
    let (_, b) = app.get("/v1/balance").await;
    assert_eq!(b["pending"].as_array().unwrap().len(), 1, "{b}");
    assert!(app.ledger_problems().await.is_empty());
}

/// The amount and currency of an intent still waiting for its payment can change.
#[tokio::test]
async fn an_unconfirmed_intent_takes_a_new_amount_and_currency() {
    let app = TestApp::spawn().await;
    let (_, pi) = app
        .post(
            "/v1/payment_intents",
            &[("amount", "1000"), ("currency", "krw")],
        )
        .await;
    let path = format!("/v1/payment_intents/{}", pi["id"].as_str().unwrap());
    let (s, pi) = app
        .post(&path, &[("currency", "usd"), ("amount", "1500")])
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["currency"], "usd");
    assert_eq!(pi["amount"], 1_500);
}

/// Defect 5: a metadata update that lands while the payment is at the network is kept, and the
/// payment still succeeds — posted to the ledger, not reversed at the network.
#[tokio::test]
async fn a_metadata_update_during_a_payment_in_flight_is_kept_and_the_payment_succeeds() {
    let app = TestApp::spawn_with(|c| c.fault_delay_after_auth_ms = 1_500).await;
    let (_, pi) = app
        .post(
            "/v1/payment_intents",
            &[("amount", "5000"), ("currency", "krw")],
        )
        .await;
    let id = pi["id"].as_str().unwrap().to_string();
    let path = format!("/v1/payment_intents/{id}");
    let confirm_form: Vec<(String, String)> = support::card_payment_form(VISA, "5000")
        .into_iter()
        .filter(|(k, _)| k.starts_with("payment_method_data"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let client = app.client.clone();
    let (base, key) = (app.base.clone(), app.key.clone());
    let confirm_path = format!("{path}/confirm");
    let confirm = tokio::spawn(async move {
        let r = client
            .post(format!("{base}{confirm_path}"))
            .bearer_auth(key)
            .form(&confirm_form)
            .send()
            .await
            .expect("confirm answered");
        (
            r.status(),
            r.json::<serde_json::Value>().await.expect("json"),
        )
    });
    // Wait until the payment is at the network (phase 1 committed), then update its metadata.
    let mut in_flight = false;
    for _ in 0..100 {
        let (_, now) = app.get(&path).await;
        if now["status"] == "processing" {
            in_flight = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(in_flight, "the confirm reached the network");
    let (s, updated) = app
        .post(
            &path,
            &[("metadata[order]", "A-17"), ("description", "gift")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    assert_eq!(
        updated["status"], "processing",
        "the update landed mid-payment"
    );
    let (s, confirmed) = confirm.await.unwrap();
    assert_eq!(s, StatusCode::OK, "{confirmed}");
    assert_eq!(confirmed["status"], "succeeded");
    let (_, pi) = app.get(&path).await;
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["metadata"]["order"], "A-17");
    assert_eq!(pi["description"], "gift");
    assert_eq!(app.balance().await, (0, 4_855), "captured and posted");
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
}

/// Metadata and description stay editable after the payment is final (Stripe allows it).
#[tokio::test]
async fn metadata_of_a_succeeded_intent_can_change_but_not_its_payment_method() {
    let app = TestApp::spawn().await;
    let (_, pi) = app.pay(VISA, 3_000, &[]).await;
    let path = format!("/v1/payment_intents/{}", pi["id"].as_str().unwrap());
    let (s, pi) = app.post(&path, &[("metadata[note]", "shipped")]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["metadata"]["note"], "shipped");
    assert_eq!(pi["status"], "succeeded");
    let (s, e) = app.post(&path, &[("payment_method", "pm_card_visa")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "payment_intent_unexpected_state");
    assert_eq!(e["error"]["param"], "payment_method");
}
