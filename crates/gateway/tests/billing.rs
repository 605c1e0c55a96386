//! Billing keys over HTTP: SetupIntents (account verification at the network, no money),
//! off-session charges of the saved card with their stored-credential data in the network's
//! journal, `setup_future_usage`, `authentication_required`, tenancy and idempotency.

mod support;

use reqwest::StatusCode;
use serde_json::Value;
use support::TestApp;

const SETUP: &str = "/v1/setup_intents";

async fn customer(app: &TestApp) -> String {
    let (s, c) = app.post("/v1/customers", &[("name", "Kim")]).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    c["id"].as_str().unwrap().to_string()
}

/// A SetupIntent created and confirmed at once with card `number` for `customer`.
async fn setup(app: &TestApp, customer: &str, number: &str, usage: &str) -> (StatusCode, Value) {
    app.post(
        SETUP,
        &[
            ("customer", customer),
            ("usage", usage),
            ("confirm", "true"),
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", number),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", "2034"),
            ("payment_method_data[card][cvc]", "123"),
        ],
    )
    .await
}

/// An off-session charge of `pm` for `customer`.
async fn charge_off_session(
    app: &TestApp,
    customer: &str,
    pm: &str,
    amount: &str,
    off_session: &str,
) -> (StatusCode, Value) {
    app.post(
        "/v1/payment_intents",
        &[
            ("amount", amount),
            ("currency", "krw"),
            ("customer", customer),
            ("payment_method", pm),
            ("off_session", off_session),
            ("confirm", "true"),
        ],
    )
    .await
}

/// The network journal as JSON entries.
fn journal(app: &TestApp) -> Vec<Value> {
    let entries = paygate_sim_network::journal(&app.sim_dir()).expect("journal");
    serde_json::to_value(entries)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The RRN of a succeeded intent's charge.
async fn charge_rrn(app: &TestApp, pi: &Value) -> String {
    let ch = pi["latest_charge"].as_str().unwrap();
    let (_, ch) = app.get(&format!("/v1/charges/{ch}")).await;
    ch["payment_method_details"]["card"]["network_transaction_id"]
        .as_str()
        .or(ch["network_transaction_id"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no network transaction id on {ch}"))
}

#[tokio::test]
async fn a_setup_saves_a_billing_key_without_money_and_off_session_charges_name_it() {
    let app = TestApp::spawn().await;
    let cus = customer(&app).await;
    let (s, si) = setup(&app, &cus, support::VISA, "off_session").await;
    assert_eq!(s, StatusCode::OK, "{si}");
    assert_eq!(si["object"], "setup_intent");
    assert_eq!(si["status"], "succeeded");
    assert_eq!(si["usage"], "off_session");
    assert!(si.get("_return_url").is_none());
    let pm_id = si["payment_method"].as_str().unwrap().to_string();
    let (_, pm) = app.get(&format!("/v1/payment_methods/{pm_id}")).await;
    assert_eq!(pm["customer"], cus.as_str(), "{pm}");
    assert_eq!(pm["card"]["checks"]["cvc_check"], "pass", "{pm}");
    assert!(
        pm.get("_stored_credential").is_none(),
        "internal field rendered: {pm}"
    );
    // No money moved: nothing in the ledger or the balance.
    assert_eq!(app.balance().await, (0, 0));
    assert!(app.ledger_problems().await.is_empty());
    let entries = journal(&app);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let v = &entries[0];
    assert_eq!(v["type"], "account_verification", "{v}");
    assert_eq!(
        (v["mti"].as_str(), v["amount"].as_i64()),
        (Some("0100"), Some(0))
    );
    assert_eq!(v["stored_credential"], "initial");
    assert!(v.get("original_rrn").is_none());
    let initial = v["rrn"].as_str().unwrap().to_string();

    let (s, pi) = charge_off_session(&app, &cus, &pm_id, "9900", "recurring").await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    let first = app.journal_by_rrn(&charge_rrn(&app, &pi).await);
    assert_eq!(first["stored_credential"], "recurring", "{first}");
    assert_eq!(first["original_rrn"], initial.as_str(), "{first}");
    let (s, pi) = charge_off_session(&app, &cus, &pm_id, "1500", "true").await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let second = app.journal_by_rrn(&charge_rrn(&app, &pi).await);
    assert_eq!(second["stored_credential"], "unscheduled", "{second}");
    assert_eq!(second["original_rrn"], initial.as_str());
    assert!(
        app.balance().await.1 > 0,
        "the charges are pending in the balance"
    );
    assert!(app.ledger_problems().await.is_empty());
    let types = app.event_types().await;
    let want = [
        "customer.created",
        "setup_intent.created",
        "payment_method.attached",
        "setup_intent.succeeded",
    ];
    assert_eq!(&types[..4], want, "{types:?}");
}

#[tokio::test]
async fn a_declined_setup_keeps_the_intent_waiting_with_its_error_and_cvc_check() {
    let app = TestApp::spawn().await;
    let cus = customer(&app).await;
    let (s, e) = setup(&app, &cus, "4000000000000127", "off_session").await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
    assert_eq!(e["error"]["type"], "card_error");
    assert_eq!(e["error"]["code"], "incorrect_cvc");
    let si = &e["error"]["setup_intent"];
    assert_eq!(si["status"], "requires_payment_method", "{e}");
    assert_eq!(si["last_setup_error"]["code"], "incorrect_cvc");
    assert_eq!(
        si["last_setup_error"]["payment_method"]["card"]["checks"]["cvc_check"],
        "fail"
    );
    assert!(si["payment_method"].is_null());
    let types = app.event_types().await;
    assert!(
        types.contains(&"setup_intent.setup_failed".to_string()),
        "{types:?}"
    );
    assert!(!types.contains(&"payment_method.attached".to_string()));
    // The intent can be confirmed again with another card.
    let id = si["id"].as_str().unwrap();
    let (s, ok) = app
        .post(
            &format!("{SETUP}/{id}/confirm"),
            &[("payment_method", "pm_card_visa")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    assert_eq!(ok["status"], "succeeded");
    assert_eq!(app.balance().await, (0, 0));
}

#[tokio::test]
async fn a_card_that_needs_authentication_off_session_answers_authentication_required() {
    let app = TestApp::spawn().await;
    let cus = customer(&app).await;
    let (s, pm) = app
        .post(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", "4000002760003184"),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pm}");
    let pm_id = pm["id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &format!("/v1/payment_methods/{pm_id}/attach"),
            &[("customer", &cus)],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = charge_off_session(&app, &cus, pm_id, "5000", "true").await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
    assert_eq!(e["error"]["code"], "authentication_required", "{e}");
    assert_eq!(
        e["error"]["payment_intent"]["status"],
        "requires_payment_method"
    );
    assert_eq!(app.balance().await, (0, 0));
    // A card saved without a setup has no stored credential: no DE 48.46 was sent.
    let entries = journal(&app);
    assert!(entries[0].get("stored_credential").is_none(), "{entries:?}");
    assert_eq!(entries[0]["response_code"], "1A");
}

#[tokio::test]
async fn setup_future_usage_saves_the_card_with_the_payment_as_its_initial_use() {
    let app = TestApp::spawn().await;
    let cus = customer(&app).await;
    let (s, pi) = app
        .pay(
            support::VISA,
            12_000,
            &[("customer", &cus), ("setup_future_usage", "off_session")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["setup_future_usage"], "off_session");
    let initial = charge_rrn(&app, &pi).await;
    assert_eq!(app.journal_by_rrn(&initial)["stored_credential"], "initial");
    let pm_id = pi["payment_method"].as_str().unwrap();
    let (_, pm) = app.get(&format!("/v1/payment_methods/{pm_id}")).await;
    assert_eq!(pm["customer"], cus.as_str(), "{pm}");
    let (s, next) = charge_off_session(&app, &cus, pm_id, "12000", "recurring").await;
    assert_eq!(s, StatusCode::OK, "{next}");
    let later = app.journal_by_rrn(&charge_rrn(&app, &next).await);
    assert_eq!(later["original_rrn"], initial.as_str(), "{later}");
    // Off-session charges take a saved PaymentMethod, never raw card data.
    let mut form = support::card_payment_form(support::VISA, "1000");
    form.push(("off_session", "true"));
    let (s, e) = app.post("/v1/payment_intents", &form).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "off_session");
}

#[tokio::test]
async fn setup_intents_are_idempotent_tenant_scoped_cancelable_and_listed() {
    let app = TestApp::spawn().await;
    let cus = customer(&app).await;
    let (_, si) = app
        .post(
            SETUP,
            &[("customer", &cus), ("payment_method", "pm_card_visa")],
        )
        .await;
    assert_eq!(si["status"], "requires_confirmation", "{si}");
    let id = si["id"].as_str().unwrap().to_string();
    let confirm = format!("{SETUP}/{id}/confirm");
    let (s1, a) = app.post_idem(&confirm, &[], "seti-confirm-1").await;
    let (s2, b) = app.post_idem(&confirm, &[], "seti-confirm-1").await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK), "{a} {b}");
    assert_eq!(a, b);
    assert_eq!(journal(&app).len(), 1, "one verification for one key");
    // Another merchant sees nothing of it.
    let other = app.other_merchant().await;
    let (s, e) = app.get_as(&other, &format!("{SETUP}/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, _) = app.post_as(&other, &confirm, &[], None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Succeeded: no more confirm or cancel.
    let (s, e) = app.post(&format!("{SETUP}/{id}/cancel"), &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "setup_intent_unexpected_state");
    let (_, waiting) = app.post(SETUP, &[("customer", &cus)]).await;
    let wid = waiting["id"].as_str().unwrap();
    let (s, c) = app
        .post(
            &format!("{SETUP}/{wid}/cancel"),
            &[("cancellation_reason", "abandoned")],
        )
        .await;
    assert_eq!(
        (s, &c["status"]),
        (StatusCode::OK, &Value::from("canceled"))
    );
    let (_, list) = app.get(&format!("{SETUP}?customer={cus}")).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(2), "{list}");
    let types = app.event_types().await;
    assert!(types.contains(&"setup_intent.canceled".to_string()));
    let (s, e) = app.post(SETUP, &[("usage", "sometimes")]).await;
    assert_eq!(
        (s, &e["error"]["param"]),
        (StatusCode::BAD_REQUEST, &Value::from("usage"))
    );
}

#[tokio::test]
async fn a_publishable_key_confirms_with_the_client_secret() {
    let app = TestApp::spawn().await;
    let (_, si) = app.post(SETUP, &[]).await;
    let id = si["id"].as_str().unwrap();
    let secret = si["client_secret"].as_str().unwrap();
    let confirm = format!("{SETUP}/{id}/confirm");
    let pk = app.publishable.clone();
    let form = [
        ("payment_method", "pm_card_visa"),
        ("client_secret", "wrong"),
    ];
    let (s, _) = app.post_as(&pk, &confirm, &form, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let form = [
        ("payment_method", "pm_card_visa"),
        ("client_secret", secret),
    ];
    let (s, got) = app.post_as(&pk, &confirm, &form, None).await;
    assert_eq!(s, StatusCode::OK, "{got}");
    assert_eq!(got["status"], "succeeded");
    assert!(got.get("customer").is_none(), "client view: {got}");
    assert!(got.get("metadata").is_none());
}

#[tokio::test]
async fn a_lost_verification_answer_holds_nothing_and_is_never_reversed() {
    let app = TestApp::spawn().await;
    let cus = customer(&app).await;
    // The simulator approves this card silently: no answer reaches the gateway.
    let (s, e) = setup(&app, &cus, "4000000000000150", "off_session").await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
    assert_eq!(e["error"]["code"], "processing_error", "{e}");
    assert_eq!(
        e["error"]["setup_intent"]["status"],
        "requires_payment_method"
    );
    let entries = journal(&app);
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["account_verification"],
        "no reversal follows: {entries:?}"
    );
    assert_eq!(entries[0]["amount"], 0);
    assert_eq!(app.balance().await, (0, 0));
    let attempts = app.server.state.store.attempts(None).await.unwrap();
    assert!(
        attempts.is_empty(),
        "no recovery record is left: {attempts:?}"
    );
}
