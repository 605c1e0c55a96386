//! 안심클릭 / 3-D Secure end to end, driven over HTTP like a browser without JavaScript: the
//! gateway, the DS + ACS simulator and the card network simulator (which verifies the CAVV
//! the ACS computed with the key they share).

mod support;
mod three_ds_support;

use paygate_payments::{ManualClock, SystemClock};
use reqwest::StatusCode;
use std::sync::Arc;
use support::TestApp;
use three_ds_support::{
    RETURN_URL, acs_journal, acs_page, browser, challenge, charge_count, intent, journal_of,
    open_next_action, pay, post_rreq, submit,
};

const CHALLENGE: &str = "4000000000003220";
const FRICTIONLESS: &str = "4000000000003055";
const DECLINED_AFTER: &str = "4000008400001629";
const ACS_DOWN: &str = "4000000000003097";
const NOT_REQUIRED: &str = "4242424242424242";

async fn app() -> TestApp {
    TestApp::spawn_three_ds(|_| {}, Arc::new(SystemClock)).await
}

/// The shop's return URL the payer is sent to, with Stripe's parameters.
fn assert_return(location: Option<&str>, pi: &serde_json::Value, status: &str) {
    let loc = location.expect("a Location");
    let url = url::Url::parse(loc).expect("absolute");
    assert!(loc.starts_with("https://shop.example/return?"), "{loc}");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["order"], "7", "{loc}");
    assert_eq!(q["payment_intent"], pi["id"].as_str().unwrap(), "{loc}");
    assert_eq!(
        q["payment_intent_client_secret"],
        pi["client_secret"].as_str().unwrap()
    );
    assert_eq!(q["redirect_status"], status, "{loc}");
}

#[tokio::test]
async fn a_challenge_with_the_right_password_authorizes_once_with_a_verified_cavv() {
    let app = app().await;
    let (s, pi) = pay(&app, CHALLENGE, None, 50_000).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_action");
    assert_eq!(pi["next_action"]["type"], "redirect_to_url");
    assert_eq!(
        pi["next_action"]["redirect_to_url"]["return_url"],
        RETURN_URL
    );
    let text = pi.to_string();
    assert!(
        !text.contains("_three_ds") && !text.contains("creq"),
        "{text}"
    );
    assert_eq!(charge_count(&app).await, 0);

    let b = browser();
    let cres = challenge(&b, &pi, &["1234"]).await;
    let back = submit(&b, &cres, &[]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_return(back.location.as_deref(), &pi, "succeeded");

    let done = intent(&app, pi["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["amount_received"], 50_000);
    let ch = &done["latest_charge"];
    let tds = &ch["payment_method_details"]["card"]["three_d_secure"];
    assert_eq!(tds["result"], "authenticated", "{ch}");
    assert_eq!(tds["authentication_flow"], "challenge");
    assert_eq!(tds["version"], "2.2.0");
    assert_eq!(tds["electronic_commerce_indicator"], "05");
    let j = journal_of(&app, ch);
    assert_eq!(j["authentication"], "verified", "{j}");
    assert_eq!(j["eci"], "05");
    let events = app.event_types().await;
    for e in [
        "payment_intent.requires_action",
        "payment_intent.succeeded",
        "charge.succeeded",
    ] {
        assert!(events.iter().any(|t| t == e), "{e} in {events:?}");
    }
    assert_eq!(app.balance().await.1, 50_000 - 50_000 * 290 / 10_000);
    assert!(app.ledger_problems().await.is_empty());

    // The same CRes again (a replay, or the back button): an error page, nothing charged twice.
    let again = submit(&b, &cres, &[]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    assert_eq!(charge_count(&app).await, 1);
    assert_eq!(
        intent(&app, pi["id"].as_str().unwrap()).await["status"],
        "succeeded"
    );
}

#[tokio::test]
async fn five_wrong_passwords_fail_the_authentication_and_lock_the_card() {
    let app = app().await;
    let (_, pi) = pay(&app, CHALLENGE, Some("challenge"), 10_000).await;
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let b = browser();
    let cres = challenge(&b, &pi, &["0000"; 5]).await;
    assert!(cres.field("cres").is_some());
    let back = submit(&b, &cres, &[]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    assert_return(back.location.as_deref(), &pi, "failed");
    let failed = intent(&app, pi["id"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "requires_payment_method", "{failed}");
    assert_eq!(
        failed["last_payment_error"]["code"],
        "payment_intent_authentication_failure"
    );
    assert_eq!(charge_count(&app).await, 0, "no authorization was sent");
    assert!(
        app.event_types()
            .await
            .iter()
            .any(|t| t == "payment_intent.payment_failed")
    );

    // Locked for 30 minutes: the ACS refuses the card's next authentication at once
    // (ARes N), so the confirm fails without a challenge.
    let (s, err) = pay(&app, CHALLENGE, Some("challenge"), 10_000).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(
        err["error"]["code"],
        "payment_intent_authentication_failure"
    );
    assert!(err["error"]["payment_intent"]["next_action"].is_null());
    assert_eq!(charge_count(&app).await, 0);
}

#[tokio::test]
async fn a_frictionless_authentication_authorizes_at_once() {
    let app = app().await;
    let (s, pi) = pay(&app, FRICTIONLESS, None, 20_000).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    assert!(pi["next_action"].is_null());
    let done = intent(&app, pi["id"].as_str().unwrap()).await;
    let tds = &done["latest_charge"]["payment_method_details"]["card"]["three_d_secure"];
    assert_eq!(tds["result"], "authenticated", "{done}");
    assert_eq!(tds["authentication_flow"], "frictionless");
    let j = journal_of(&app, &done["latest_charge"]);
    assert_eq!(j["authentication"], "verified", "{j}");
}

#[tokio::test]
async fn an_authenticated_payment_can_still_be_declined_by_the_issuer() {
    let app = app().await;
    let (_, pi) = pay(&app, DECLINED_AFTER, None, 30_000).await;
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let b = browser();
    let cres = challenge(&b, &pi, &["1234"]).await;
    let back = submit(&b, &cres, &[]).await;
    assert_return(back.location.as_deref(), &pi, "failed");
    let done = intent(&app, pi["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "requires_payment_method", "{done}");
    assert_eq!(done["last_payment_error"]["code"], "card_declined");
    let tds = &done["latest_charge"]["payment_method_details"]["card"]["three_d_secure"];
    assert_eq!(tds["result"], "authenticated", "{done}");
    assert_eq!(app.balance().await, (0, 0));
}

#[tokio::test]
async fn acs_unavailable_goes_ahead_under_automatic_and_fails_under_any() {
    let app = app().await;
    let (s, pi) = pay(&app, ACS_DOWN, Some("automatic"), 10_000).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    let done = intent(&app, pi["id"].as_str().unwrap()).await;
    let tds = &done["latest_charge"]["payment_method_details"]["card"]["three_d_secure"];
    assert_eq!(tds["result"], "processing_error", "{done}");
    let j = journal_of(&app, &done["latest_charge"]);
    assert_eq!(j["authentication"], "none", "{j}");

    let (s, err) = pay(&app, ACS_DOWN, Some("any"), 10_000).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(
        err["error"]["code"],
        "payment_intent_authentication_failure"
    );
    assert_eq!(
        err["error"]["payment_intent"]["status"],
        "requires_payment_method"
    );
    assert_eq!(charge_count(&app).await, 1);
}

#[tokio::test]
async fn a_card_whose_issuer_does_not_require_3ds_is_challenged_only_on_request() {
    let app = app().await;
    let (_, pi) = pay(&app, NOT_REQUIRED, Some("automatic"), 10_000).await;
    assert_eq!(pi["status"], "succeeded", "{pi}");
    let done = intent(&app, pi["id"].as_str().unwrap()).await;
    assert!(
        done["latest_charge"]["payment_method_details"]["card"]["three_d_secure"].is_null(),
        "{done}"
    );
    let (_, pi) = pay(&app, NOT_REQUIRED, Some("challenge"), 10_000).await;
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let b = browser();
    let cres = challenge(&b, &pi, &["1234"]).await;
    let back = submit(&b, &cres, &[]).await;
    assert_return(back.location.as_deref(), &pi, "succeeded");
}

#[tokio::test]
async fn a_korean_rule_authenticates_large_krw_payments_of_enrolled_cards() {
    let app = TestApp::spawn_three_ds(
        |c| c.three_ds_required_from_krw = Some(300_000),
        Arc::new(SystemClock),
    )
    .await;
    let (_, small) = pay(&app, NOT_REQUIRED, None, 299_999).await;
    assert_eq!(small["status"], "succeeded", "{small}");
    let (_, large) = pay(&app, NOT_REQUIRED, None, 300_000).await;
    let tds = &intent(&app, large["id"].as_str().unwrap()).await["latest_charge"]["payment_method_details"]
        ["card"]["three_d_secure"];
    assert_eq!(tds["result"], "authenticated", "{large}");
    // A card in no range is never blocked by the rule.
    let (_, other) = pay(&app, "5555555555554444", None, 900_000).await;
    assert_eq!(other["status"], "succeeded", "{other}");
}

#[tokio::test]
async fn a_tampered_creq_is_refused_and_charges_nothing() {
    let app = app().await;
    let (_, pi) = pay(&app, CHALLENGE, None, 10_000).await;
    let b = browser();
    let mut handoff = open_next_action(&b, &pi).await;
    let creq = handoff.field("creq").unwrap().to_string();
    let mut chars: Vec<char> = creq.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    handoff.set("creq", &chars.into_iter().collect::<String>());
    let page = submit(&b, &handoff, &[]).await;
    // The ACS cannot read the CReq: no password page; whatever it sends back does not pay.
    assert!(!page.body.contains("name=\"password\""), "{}", page.body);
    if page.body.contains("cres-form") {
        let back = submit(&b, &three_ds_support::Form::read(&page.body), &[]).await;
        assert_ne!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    }
    assert_eq!(charge_count(&app).await, 0);
    let still = intent(&app, pi["id"].as_str().unwrap()).await;
    assert_eq!(still["status"], "requires_action");
}

#[tokio::test]
async fn error_on_requires_action_fails_instead_of_challenging() {
    let app = app().await;
    let (s, err) = pay_with(&app, CHALLENGE, &[("error_on_requires_action", "true")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(
        err["error"]["code"],
        "payment_intent_authentication_failure"
    );
    assert_eq!(
        err["error"]["payment_intent"]["status"],
        "requires_payment_method"
    );
}

async fn pay_with(
    app: &TestApp,
    pan: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, serde_json::Value) {
    let mut form = vec![("return_url", RETURN_URL)];
    form.extend_from_slice(extra);
    app.pay(pan, 10_000, &form).await
}

#[tokio::test]
async fn three_ds_needs_a_return_url() {
    let app = app().await;
    let (s, err) = app
        .pay(
            CHALLENGE,
            10_000,
            &[(
                "payment_method_options[card][request_three_d_secure]",
                "any",
            )],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["error"]["param"], "return_url");
    let (s, err) = app
        .pay(
            NOT_REQUIRED,
            10_000,
            &[(
                "payment_method_options[card][request_three_d_secure]",
                "sometimes",
            )],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(
        err["error"]["param"],
        "payment_method_options[card][request_three_d_secure]"
    );
}

#[tokio::test]
async fn an_abandoned_challenge_cancels_the_intent() {
    let clock = Arc::new(ManualClock::new(1_800_000_000));
    let app = TestApp::spawn_three_ds(
        |c| {
            c.sweep_interval_ms = 20;
            c.requires_action_ttl_s = 600;
        },
        clock.clone(),
    )
    .await;
    let (_, pi) = pay(&app, CHALLENGE, None, 10_000).await;
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let id = pi["id"].as_str().unwrap();
    // A bookkeeping update meanwhile does not make the intent wait forever.
    let (s, v) = app
        .post(
            &format!("/v1/payment_intents/{id}"),
            &[("metadata[order]", "7")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    clock.advance(599);
    let mut now = intent(&app, id).await;
    assert_eq!(now["status"], "requires_action");
    clock.advance(2);
    for _ in 0..500 {
        now = intent(&app, id).await;
        if now["status"] == "canceled" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(now["status"], "canceled", "{now}");
    assert_eq!(now["cancellation_reason"], "abandoned");
    assert!(now["next_action"].is_null());
    assert!(
        app.event_types()
            .await
            .iter()
            .any(|t| t == "payment_intent.canceled")
    );
    // The payer coming back late finds nothing to authorize.
    let b = browser();
    let page = b
        .get(
            pi["next_action"]["redirect_to_url"]["url"]
                .as_str()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(charge_count(&app).await, 0);
}

#[tokio::test]
async fn a_challenge_canceled_by_the_merchant_cannot_be_completed() {
    let app = app().await;
    let (_, pi) = pay(&app, CHALLENGE, None, 10_000).await;
    let id = pi["id"].as_str().unwrap();
    let b = browser();
    let cres = challenge(&b, &pi, &["1234"]).await;
    let (s, c) = app
        .post(&format!("/v1/payment_intents/{id}/cancel"), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let back = submit(&b, &cres, &[]).await;
    assert_eq!(back.status, StatusCode::BAD_REQUEST, "{}", back.body);
    assert_eq!(intent(&app, id).await["status"], "canceled");
    assert_eq!(charge_count(&app).await, 0);
}

#[tokio::test]
async fn the_rreq_endpoint_answers_erro_to_what_it_cannot_accept() {
    let app = app().await;
    let erro = post_rreq(&app, "not json".into()).await;
    assert_eq!(erro["messageType"], "Erro", "{erro}");
    // A well-formed RReq naming no transaction of ours (a forged result): Erro 301.
    let forged = serde_json::json!({
        "messageType": "RReq", "messageVersion": "2.2.0",
        "threeDSServerTransID": "8a880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "dsTransID": "9a880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "acsTransID": "7a880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "messageCategory": "01", "transStatus": "Y", "eci": "05",
        "authenticationValue": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "authenticationType": "01", "interactionCounter": "01"
    });
    let erro = post_rreq(&app, forged.to_string()).await;
    assert_eq!(erro["messageType"], "Erro", "{erro}");
    assert_eq!(erro["errorCode"], "301", "{erro}");
}

#[tokio::test]
async fn the_acs_shows_the_merchants_name_or_the_intents_statement_descriptor() {
    let app = app().await;
    let b = browser();
    let (_, pi) = pay(&app, CHALLENGE, None, 10_000).await;
    let page = acs_page(&b, &open_next_action(&b, &pi).await).await;
    assert!(page.body.contains("Test shop"), "{}", page.body);
    assert!(!page.body.contains("paygate merchant"), "{}", page.body);
    // Stripe's rule: the statement descriptor, when the intent has one, is what the
    // cardholder sees.
    let (_, pi) = pay_with(&app, CHALLENGE, &[("statement_descriptor", "SEOUL COFFEE")]).await;
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let page = acs_page(&b, &open_next_action(&b, &pi).await).await;
    assert!(page.body.contains("SEOUL COFFEE"), "{}", page.body);
    assert!(!page.body.contains("Test shop"), "{}", page.body);
    let names: Vec<_> = acs_journal(&app)
        .into_iter()
        .map(|e| e.merchant_name)
        .collect();
    assert_eq!(names, ["Test shop", "SEOUL COFFEE"]);
}
