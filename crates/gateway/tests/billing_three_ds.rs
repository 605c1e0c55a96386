//! 3-D Secure during a SetupIntent's confirm, over HTTP like a browser without JavaScript:
//! the non-payment authentication (02-NPA, "add card") at the DS + ACS simulator, the
//! challenge pages serving the SetupIntent, the account verification carrying the CAVV the
//! network simulator verifies, the stored credential keeping the result; a failed challenge;
//! an abandoned one canceled by the sweeper on the test clock.

mod support;
mod three_ds_support;

use paygate_payments::{ManualClock, SystemClock};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use support::TestApp;
use three_ds_support::{RETURN_URL, acs_journal, browser, challenge, submit};

/// Requires authentication on every payment and setup.
const ALWAYS: &str = "4000002760003184";
/// Enrolled, not required: 3-D Secure only when asked for.
const NOT_REQUIRED: &str = "4242424242424242";

async fn customer(app: &TestApp) -> String {
    let (s, c) = app.post("/v1/customers", &[("name", "Kim")]).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    c["id"].as_str().unwrap().to_string()
}

/// A SetupIntent created and confirmed with `number`, a return URL and `extra`.
async fn setup(
    app: &TestApp,
    cus: &str,
    number: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = vec![
        ("customer", cus),
        ("confirm", "true"),
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", number),
        ("payment_method_data[card][exp_month]", "12"),
        ("payment_method_data[card][exp_year]", "2034"),
        ("payment_method_data[card][cvc]", "123"),
    ];
    form.extend_from_slice(extra);
    app.post("/v1/setup_intents", &form).await
}

async fn retrieve(app: &TestApp, id: &str) -> Value {
    let (s, v) = app.get(&format!("/v1/setup_intents/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// The network simulator's journal, newest last.
fn network_journal(app: &TestApp) -> Vec<Value> {
    let entries = paygate_sim_network::journal(&app.sim_dir()).expect("journal");
    serde_json::from_value(serde_json::to_value(entries).unwrap()).unwrap()
}

fn query(location: Option<&str>) -> std::collections::HashMap<String, String> {
    let url = url::Url::parse(location.expect("a Location")).expect("absolute");
    assert!(
        url.as_str().starts_with("https://shop.example/return?"),
        "{url}"
    );
    url.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn a_card_that_requires_authentication_is_set_up_through_the_challenge() {
    let app = TestApp::spawn_three_ds(|_| {}, Arc::new(SystemClock)).await;
    let cus = customer(&app).await;
    // Without a return_url the customer could not come back: refused, naming it.
    let (s, e) = setup(&app, &cus, ALWAYS, &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "return_url");

    let (s, si) = setup(&app, &cus, ALWAYS, &[("return_url", RETURN_URL)]).await;
    assert_eq!(s, StatusCode::OK, "{si}");
    assert_eq!(si["status"], "requires_action", "{si}");
    assert_eq!(si["next_action"]["type"], "redirect_to_url");
    assert_eq!(
        si["next_action"]["redirect_to_url"]["return_url"],
        RETURN_URL
    );
    assert!(!si.to_string().contains("_three_ds"), "{si}");
    let id = si["id"].as_str().unwrap();
    // The ACS saw a non-payment authentication of a card being added, for nothing.
    let areq = acs_journal(&app).pop().expect("an ACS transaction");
    assert_eq!(areq.message_category, "02");
    assert_eq!(areq.amount, 0);
    assert_eq!(areq.flow, "challenge");
    assert!(
        network_journal(&app).is_empty(),
        "no verification before the payer is back"
    );

    let b = browser();
    let cres = challenge(&b, &si, &["1234"]).await;
    let back = submit(&b, &cres, &[]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let q = query(back.location.as_deref());
    assert_eq!(q["order"], "7");
    assert_eq!(q["setup_intent"], id);
    assert_eq!(
        q["setup_intent_client_secret"],
        si["client_secret"].as_str().unwrap()
    );
    assert_eq!(q["redirect_status"], "succeeded");
    assert!(!q.contains_key("payment_intent"));

    let done = retrieve(&app, id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(done["next_action"].is_null());
    let pm_id = done["payment_method"].as_str().unwrap();
    let (_, pm) = app.get(&format!("/v1/payment_methods/{pm_id}")).await;
    assert_eq!(pm["customer"], cus.as_str(), "{pm}");
    assert_eq!(pm["card"]["checks"]["cvc_check"], "pass");
    // The account verification carried the authentication; the network verified its CAVV.
    let entries = network_journal(&app);
    let v = entries.last().unwrap();
    assert_eq!(v["amount"], 0, "{v}");
    assert_eq!(v["authentication"], "verified", "{v}");
    assert_eq!(v["eci"], "05", "{v}");
    assert_eq!(v["stored_credential"], "initial", "{v}");
    assert_eq!(v["response_code"], "00", "{v}");
    let events = app.event_types().await;
    for e in [
        "setup_intent.created",
        "setup_intent.requires_action",
        "payment_method.attached",
        "setup_intent.succeeded",
    ] {
        assert!(events.iter().any(|t| t == e), "{e} in {events:?}");
    }
    assert_eq!(app.balance().await, (0, 0), "a setup moves no money");

    // The same CRes again: an error page, the SetupIntent stays as it is.
    let again = submit(&b, &cres, &[]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    assert_eq!(retrieve(&app, id).await["status"], "succeeded");
}

#[tokio::test]
async fn a_failed_challenge_leaves_the_setup_intent_without_a_card_and_nothing_verified() {
    let app = TestApp::spawn_three_ds(|_| {}, Arc::new(SystemClock)).await;
    let cus = customer(&app).await;
    let (s, si) = setup(
        &app,
        &cus,
        NOT_REQUIRED,
        &[
            ("return_url", RETURN_URL),
            (
                "payment_method_options[card][request_three_d_secure]",
                "challenge",
            ),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{si}");
    assert_eq!(si["status"], "requires_action", "{si}");
    let b = browser();
    let cres = challenge(&b, &si, &["0000"; 5]).await;
    let back = submit(&b, &cres, &[]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_eq!(query(back.location.as_deref())["redirect_status"], "failed");
    let failed = retrieve(&app, si["id"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "requires_payment_method", "{failed}");
    assert_eq!(
        failed["last_setup_error"]["code"],
        "setup_intent_authentication_failure"
    );
    assert!(failed["payment_method"].is_null());
    assert!(network_journal(&app).is_empty(), "no verification was sent");
    let events = app.event_types().await;
    assert!(
        events.iter().any(|t| t == "setup_intent.setup_failed"),
        "{events:?}"
    );

    // Without request_three_d_secure the same card is set up without a challenge.
    let (s, ok) = setup(&app, &cus, NOT_REQUIRED, &[]).await;
    assert_eq!(s, StatusCode::OK, "{ok}");
    assert_eq!(ok["status"], "succeeded", "{ok}");
}

#[tokio::test]
async fn an_abandoned_setup_challenge_is_canceled_by_the_sweeper() {
    let clock = Arc::new(ManualClock::new(1_800_000_000));
    let app = TestApp::spawn_three_ds(
        |c| {
            c.sweep_interval_ms = 20;
            c.requires_action_ttl_s = 600;
        },
        clock.clone(),
    )
    .await;
    let cus = customer(&app).await;
    let (_, si) = setup(&app, &cus, ALWAYS, &[("return_url", RETURN_URL)]).await;
    assert_eq!(si["status"], "requires_action", "{si}");
    let id = si["id"].as_str().unwrap();
    // A bookkeeping update meanwhile does not make it wait forever.
    let (s, v) = app
        .post(
            &format!("/v1/setup_intents/{id}"),
            &[("metadata[order]", "7")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    clock.advance(599);
    assert_eq!(retrieve(&app, id).await["status"], "requires_action");
    clock.advance(2);
    let mut now = retrieve(&app, id).await;
    // Bounded wait for the background sweep (it runs every 20 ms); no deadline is waited for.
    for _ in 0..500 {
        if now["status"] == "canceled" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        now = retrieve(&app, id).await;
    }
    assert_eq!(now["status"], "canceled", "{now}");
    assert_eq!(now["cancellation_reason"], "abandoned");
    assert!(now["next_action"].is_null());
    let events = app.event_types().await;
    assert!(
        events.iter().any(|t| t == "setup_intent.canceled"),
        "{events:?}"
    );
    // The payer coming back late verifies nothing.
    let b = browser();
    let url = si["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap();
    let page = b.get(url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert!(network_journal(&app).is_empty());
}
