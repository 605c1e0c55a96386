//! 3-D Secure challenges from start to end over HTTP: the transaction an RReq is matched with
//! lives only while its challenge does, a confirm during a challenge starts over, and a
//! challenge payment's events reach the merchant's webhook endpoint in order.

mod support;
mod three_ds_support;

use paygate_payments::SystemClock;
use paygate_sim_threeds::JournalEntry;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use support::TestApp;
use support::webhook_receiver::{receiver, wait_for};
use three_ds_support::{
    RETURN_URL, acs_journal, browser, challenge, challenge_from, charge_count, intent,
    open_next_action, pay, post_rreq, rreq_of, submit,
};

const CHALLENGE: &str = "4000000000003220";

async fn app() -> TestApp {
    TestApp::spawn_three_ds(|c| c.webhooks_allow_private = true, Arc::new(SystemClock)).await
}

/// The gateway's lookup object of `entry`'s transaction (`Null` when there is none).
async fn lookup(app: &TestApp, entry: &JournalEntry) -> Value {
    let tx = uuid::Uuid::parse_str(&entry.three_ds_server_trans_id).expect("a UUID");
    let id = paygate_gateway::three_ds::transaction_object_id(tx);
    let row = app
        .server
        .state
        .store
        .find_object(&id)
        .await
        .expect("store");
    row.map_or(Value::Null, |r| r.data)
}

#[tokio::test]
async fn a_replayed_rreq_of_a_finished_challenge_is_answered_erro_301() {
    let app = app().await;
    let (_, pi) = pay(&app, CHALLENGE, None, 10_000).await;
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let b = browser();
    let cres = challenge(&b, &pi, &["1234"]).await;
    let entry = acs_journal(&app).pop().expect("the challenge");
    assert_eq!(entry.rreq_delivery.as_deref(), Some("rres"), "{entry:?}");
    assert_eq!(lookup(&app, &entry).await["payment_intent"], pi["id"]);

    let back = submit(&b, &cres, &[]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let done = lookup(&app, &entry).await;
    assert!(done.get("payment_intent").is_none(), "{done}");
    let erro = post_rreq(&app, rreq_of(&entry)).await;
    assert_eq!(erro["messageType"], "Erro", "{erro}");
    assert_eq!(erro["errorCode"], "301", "{erro}");
    assert_eq!(charge_count(&app).await, 1);
    assert_eq!(
        intent(&app, pi["id"].as_str().unwrap()).await["status"],
        "succeeded"
    );
}

#[tokio::test]
async fn a_canceled_challenge_leaves_no_transaction() {
    let app = app().await;
    let (_, pi) = pay(&app, CHALLENGE, None, 10_000).await;
    let id = pi["id"].as_str().unwrap();
    let handoff = open_next_action(&browser(), &pi).await;
    let (s, c) = app
        .post(&format!("/v1/payment_intents/{id}/cancel"), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    // The payer finishes at the ACS afterwards: the RReq finds no transaction.
    let b = browser();
    let cres = challenge_from(&b, &handoff, &["1234"]).await;
    let entry = acs_journal(&app).pop().expect("the challenge");
    assert_eq!(
        entry.rreq_delivery.as_deref(),
        Some("erro 301"),
        "{entry:?}"
    );
    assert!(lookup(&app, &entry).await.get("payment_intent").is_none());
    let back = submit(&b, &cres, &[]).await;
    assert_eq!(back.status, StatusCode::BAD_REQUEST, "{}", back.body);
    assert_eq!(charge_count(&app).await, 0);
}

#[tokio::test]
async fn confirming_again_during_a_challenge_starts_a_new_one() {
    let app = app().await;
    let (_, pi) = pay(&app, CHALLENGE, None, 10_000).await;
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let id = pi["id"].as_str().unwrap();
    let b = browser();
    let old = open_next_action(&b, &pi).await;

    let path = format!("/v1/payment_intents/{id}/confirm");
    let (s, again) = app.post(&path, &[("return_url", RETURN_URL)]).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["status"], "requires_action", "{again}");
    assert_eq!(again["next_action"]["type"], "redirect_to_url");
    let new = open_next_action(&b, &again).await;
    assert_ne!(new.field("creq"), old.field("creq"));

    // The old challenge, finished late: its RReq and its CRes are refused, nothing is charged.
    let old_cres = challenge_from(&b, &old, &["1234"]).await;
    let entries = acs_journal(&app);
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0].rreq_delivery.as_deref(), Some("erro 301"));
    let late = submit(&b, &old_cres, &[]).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST, "{}", late.body);
    assert_eq!(charge_count(&app).await, 0);
    assert_eq!(intent(&app, id).await["status"], "requires_action");

    let cres = challenge_from(&b, &new, &["1234"]).await;
    let back = submit(&b, &cres, &[]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let done = intent(&app, id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["amount_received"], 10_000);
    // The old CRes once more, now that the intent succeeded: still nothing more charged.
    let late = submit(&b, &old_cres, &[]).await;
    assert_ne!(late.status, StatusCode::SEE_OTHER, "{}", late.body);
    assert_eq!(charge_count(&app).await, 1);
    assert!(app.ledger_problems().await.is_empty());
}

/// The events of a 3-D Secure challenge payment.
const CHALLENGE_EVENTS: [&str; 3] = [
    "payment_intent.requires_action",
    "payment_intent.succeeded",
    "charge.succeeded",
];

/// `(id, type)` of `events`, in their order.
fn ids_and_types<'a>(events: impl Iterator<Item = &'a Value>) -> Vec<(String, String)> {
    events
        .map(|e| {
            (
                e["id"].as_str().unwrap().into(),
                e["type"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_challenge_payment_notifies_requires_action_then_succeeded() {
    let app = app().await;
    let (url, got) = receiver(0).await;
    let mut form = vec![("url", url.as_str())];
    form.extend(CHALLENGE_EVENTS.map(|t| ("enabled_events[]", t)));
    let (s, we) = app.post("/v1/webhook_endpoints", &form).await;
    assert_eq!(s, StatusCode::OK, "{we}");

    let (_, pi) = pay(&app, CHALLENGE, None, 10_000).await;
    let b = browser();
    let cres = challenge(&b, &pi, &["1234"]).await;
    assert_eq!(submit(&b, &cres, &[]).await.status, StatusCode::SEE_OTHER);

    let bodies: Vec<Value> = wait_for(&got, CHALLENGE_EVENTS.len())
        .await
        .iter()
        .map(|(_, body)| serde_json::from_slice(body).expect("an event"))
        .collect();
    let delivered = ids_and_types(bodies.iter());
    let mut types: Vec<&str> = delivered.iter().map(|(_, t)| t.as_str()).collect();
    // First the challenge, then the payment's result (its two events in one commit).
    assert_eq!(types[0], CHALLENGE_EVENTS[0], "{delivered:?}");
    types[1..].sort_unstable();
    assert_eq!(types[1..], ["charge.succeeded", "payment_intent.succeeded"]);
    let of = |t: &str| &bodies[delivered.iter().position(|d| d.1 == t).unwrap()];
    let requires_action = &of(CHALLENGE_EVENTS[0])["data"]["object"];
    assert_eq!(requires_action["id"], pi["id"]);
    assert_eq!(requires_action["next_action"]["type"], "redirect_to_url");
    assert_eq!(
        of(CHALLENGE_EVENTS[1])["data"]["object"]["status"],
        "succeeded"
    );
    assert_eq!(
        of(CHALLENGE_EVENTS[2])["data"]["object"]["payment_intent"],
        pi["id"]
    );

    // `GET /v1/events` (newest first) lists the same events in the same order.
    let (_, list) = app.get("/v1/events?limit=100").await;
    let listed = list["data"].as_array().expect("events");
    let mut listed = ids_and_types(
        listed
            .iter()
            .filter(|e| CHALLENGE_EVENTS.contains(&e["type"].as_str().unwrap_or(""))),
    );
    listed.reverse();
    assert_eq!(listed, delivered);
}
