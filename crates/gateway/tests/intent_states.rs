//! The PaymentIntent transition table seen through the API: what may change in which status,
//! and that bookkeeping updates never disturb a payment in flight.

mod support;

use paygate_store::{Op, Scope, WriteUnit};
use reqwest::StatusCode;
use serde_json::Value;
use support::{TestApp, VISA};

/// Creates a KRW intent and confirms it with a card in the background; returns the intent's
/// path and the pending confirm, once the payment is at the network (`processing`).
async fn confirm_in_flight(
    app: &TestApp,
) -> (String, tokio::task::JoinHandle<(StatusCode, Value)>) {
    let (_, pi) = app
        .post(
            "/v1/payment_intents",
            &[("amount", "5000"), ("currency", "krw")],
        )
        .await;
    let path = format!("/v1/payment_intents/{}", pi["id"].as_str().unwrap());
    let form: Vec<(String, String)> = support::card_payment_form(VISA, "5000")
        .into_iter()
        .filter(|(k, _)| k.starts_with("payment_method_data"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (client, url, key) = (
        app.client.clone(),
        format!("{}{path}/confirm", app.base),
        app.key.clone(),
    );
    let confirm = tokio::spawn(async move {
        let r = client
            .post(url)
            .bearer_auth(key)
            .form(&form)
            .send()
            .await
            .expect("confirm answered");
        (r.status(), r.json::<Value>().await.expect("json"))
    });
    for _ in 0..100 {
        let (_, now) = app.get(&path).await;
        if now["status"] == "processing" {
            return (path, confirm);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the confirm never reached the network");
}

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
    let (path, confirm) = confirm_in_flight(&app).await;
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

/// The outcome merges only bookkeeping into an intent that is still `processing`: when the
/// intent was taken out of `processing` meanwhile (as another process's recovery sweep does
/// after reversing the payment), the approval is not recorded over it and is reversed.
#[tokio::test]
async fn an_outcome_never_overwrites_an_intent_that_left_processing() {
    let app = TestApp::spawn_with(|c| c.fault_delay_after_auth_ms = 1_500).await;
    let (path, confirm) = confirm_in_flight(&app).await;
    let id = path.rsplit('/').next().unwrap().to_string();
    let st = &app.server.state;
    let scope = Scope {
        merchant_id: app.merchant.clone(),
        livemode: false,
    };
    let row = st.store.get_object(&scope, &id).await.unwrap().unwrap();
    let mut doc = row.data.clone();
    doc["status"] = "requires_payment_method".into();
    let unit = WriteUnit {
        ops: vec![Op::UpdateObject {
            id: id.clone(),
            expected_version: row.version,
            data: doc,
            tag: None,
            due: None,
        }],
    };
    st.store.commit(unit).await.unwrap();
    let (s, e) = confirm.await.unwrap();
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (_, pi) = app.get(&path).await;
    assert_eq!(pi["status"], "requires_payment_method");
    assert_eq!(app.balance().await, (0, 0), "nothing posted");
    assert!(app.ledger_problems().await.is_empty());
    // The approval is undone at the network (in the background, after the failed commit).
    let mut reversed = false;
    for _ in 0..100 {
        let journal = paygate_sim_network::journal(&app.sim_dir()).expect("journal");
        let v = serde_json::to_value(journal).unwrap();
        let auths: Vec<&Value> = v
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "authorization")
            .collect();
        assert_eq!(auths.len(), 1);
        if auths[0]["reversed"] == true {
            reversed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(reversed, "the approval was reversed at the network");
}
