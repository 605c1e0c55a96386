//! 3-D Secure when a card is registered in the 간편결제 wallet, through the pages with a plain
//! HTTP client (forms, no script): a card that always requires authentication
//! (`4000002760003184`) sends the payer from the wallet page to the issuer's ACS and back; the
//! account verification then carries ECI/CAVV (the network simulator verifies it) and the card
//! joins the wallet. A failed challenge and an abandoned one leave the wallet without the card,
//! with a clear message on the wallet page, and a late CRes is refused.

mod support;
mod three_ds_support;

use paygate_payments::SystemClock;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use support::TestApp;
use three_ds_support::{Form, acs_journal, browser, challenge_from, submit};

/// Requires authentication on every payment and setup.
const ALWAYS: &str = "4000002760003184";

struct Payer {
    http: reqwest::Client,
}

impl Payer {
    async fn get(&self, url: &str) -> (StatusCode, Option<String>, String) {
        let resp = self.http.get(url).send().await.unwrap();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (resp.status(), location, resp.text().await.unwrap())
    }

    async fn post(&self, url: &str, form: &[(&str, &str)]) -> (StatusCode, Option<String>, String) {
        let resp = self.http.post(url).form(form).send().await.unwrap();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (resp.status(), location, resp.text().await.unwrap())
    }
}

fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("{name} in {html}"))
        + needle.len();
    html[start..].split('"').next().unwrap().to_string()
}

async fn sms_code(app: &TestApp, phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let (s, list) = app
        .get(&format!("/v1/test_helpers/sms_messages?phone={digits}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let body = list["data"][0]["body"].as_str().unwrap();
    body.split(' ')
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_string()
}

fn network_journal(app: &TestApp) -> Vec<Value> {
    let entries = paygate_sim_network::journal(&app.sim_dir()).expect("journal");
    serde_json::from_value(serde_json::to_value(entries).unwrap()).unwrap()
}

/// An easy_pay intent, its wallet page proved by `phone`'s SMS code; then the registration
/// of `ALWAYS` with a PIN is posted. Returns the intent, the page (action, token) and the
/// answer to the registration.
async fn register_always(
    app: &TestApp,
    payer: &Payer,
    phone: &str,
) -> (
    String,
    (String, String),
    (StatusCode, Option<String>, String),
) {
    let (s, pi) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "12000"),
                ("currency", "krw"),
                ("payment_method_data[type]", "easy_pay"),
                ("confirm", "true"),
                ("return_url", "https://shop.example/back"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let url = pi["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap();
    let (_, _, html) = payer.get(url).await;
    let t = hidden(&html, "t");
    let action = url.split('?').next().unwrap().to_string();
    let (s, _, html) = payer
        .post(&action, &[("t", &t), ("step", "phone"), ("phone", phone)])
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let code = sms_code(app, phone).await;
    let (s, _, html) = payer
        .post(&action, &[("t", &t), ("step", "otp"), ("otp", &code)])
        .await;
    assert!(
        s == StatusCode::OK && html.contains("card_number"),
        "{html}"
    );
    let form = [
        ("t", t.as_str()),
        ("step", "register"),
        ("card_number", ALWAYS),
        ("exp_month", "12"),
        ("exp_year", "2034"),
        ("cvc", "123"),
        ("pin", "250913"),
        ("pin_confirmation", "250913"),
    ];
    let answer = payer.post(&action, &form).await;
    let id = pi["id"].as_str().unwrap().to_string();
    (id, (action, t), answer)
}

/// The hand-off page `location` points at: the auto-post form to the ACS.
async fn handoff(payer: &Payer, location: Option<&str>) -> Form {
    let start = location.expect("a redirect to the 3-D Secure hand-off");
    assert!(start.contains("/pay/3ds/eps_"), "{start}");
    let (s, _, page) = payer.get(start).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    Form::read(&page)
}

async fn wallet_cards(app: &TestApp, phone: &str) -> usize {
    let st = &app.server.state;
    let p = paygate_gateway::easy_pay::Phone::parse(phone).unwrap();
    let id = p.wallet_id(&st.vault, false);
    match paygate_gateway::easy_pay::Wallet::load(st, &id)
        .await
        .unwrap()
    {
        Some(w) => w.cards.len(),
        None => 0,
    }
}

#[tokio::test]
async fn a_card_that_requires_authentication_is_registered_through_the_issuers_challenge() {
    let dir = tempfile::tempdir().unwrap();
    let sms = paygate_sim_sms::start(paygate_sim_sms::Config::new(
        "127.0.0.1:0".parse().unwrap(),
        dir.path(),
    ))
    .await
    .unwrap();
    let sms_url = sms.base_url().to_string();
    let app =
        TestApp::spawn_three_ds(move |c| c.sms_url = Some(sms_url), Arc::new(SystemClock)).await;
    let payer = Payer { http: browser() };
    let phone = "010-3184-0001";
    let (pi, _, (s, location, body)) = register_always(&app, &payer, phone).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    // The ACS saw a non-payment authentication of a card being added, for nothing; the
    // issuer is asked nothing before the payer is back, and the wallet has no card yet.
    let areq = acs_journal(&app).pop().expect("an ACS transaction");
    assert_eq!((areq.message_category.as_str(), areq.amount), ("02", 0));
    assert_eq!(areq.flow, "challenge");
    assert!(network_journal(&app).is_empty());
    assert_eq!(wallet_cards(&app, phone).await, 0);

    let hand_off = handoff(&payer, location.as_deref()).await;
    let cres = challenge_from(&payer.http, &hand_off, &["1234"]).await;
    let back = submit(&payer.http, &cres, &[]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let wallet_page = back.location.expect("back to the wallet page");
    assert!(
        wallet_page.contains(&format!("/pay/easy_pay/{pi}?t=")),
        "{wallet_page}"
    );
    let (s, _, html) = payer.get(&wallet_page).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("카드가 등록되었습니다"), "{html}");
    assert!(
        html.contains("name=\"pin\"") && html.contains("3184"),
        "{html}"
    );
    assert_eq!(wallet_cards(&app, phone).await, 1);
    // The account verification carried the authentication; the network verified its CAVV.
    let entries = network_journal(&app);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let v = &entries[0];
    assert_eq!(v["amount"], 0, "{v}");
    assert_eq!(v["authentication"], "verified", "{v}");
    assert_eq!(v["eci"], "05", "{v}");
    assert_eq!(v["stored_credential"], "initial", "{v}");
    assert_eq!(v["response_code"], "00", "{v}");
    // The same CRes again: an error page; nothing registered twice, nothing sent.
    let again = submit(&payer.http, &cres, &[]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    assert_eq!(wallet_cards(&app, phone).await, 1);
    assert_eq!(network_journal(&app).len(), 1);
    // Shown once: the page after it is the plain pay form.
    let (_, _, html) = payer.get(&wallet_page).await;
    assert!(!html.contains("카드가 등록되었습니다"), "{html}");
    let trail = paygate_gateway::easy_pay::operator::audit(
        &app.server.state.store,
        &app.server.state.vault,
        phone,
        false,
    )
    .await
    .unwrap();
    assert!(
        trail.iter().any(|e| e["event"] == "card_added"),
        "{trail:?}"
    );
    // No PIN, full PAN or phone number at rest in clear.
    let db = std::fs::read(app.dir.path().join("paygate.db")).unwrap();
    let wal = std::fs::read(app.dir.path().join("paygate.db-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["250913", ALWAYS, "01031840001"] {
            assert!(!text.contains(secret), "{secret} at rest in clear");
        }
    }
    // Registering moved no money and the intent still waits for the PIN.
    assert_eq!(app.balance().await, (0, 0));
    let (_, intent) = app.get(&format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(intent["status"], "requires_action", "{intent}");
}

#[tokio::test]
async fn a_failed_or_abandoned_challenge_registers_no_card() {
    let dir = tempfile::tempdir().unwrap();
    let sms = paygate_sim_sms::start(paygate_sim_sms::Config::new(
        "127.0.0.1:0".parse().unwrap(),
        dir.path(),
    ))
    .await
    .unwrap();
    let sms_url = sms.base_url().to_string();
    let app =
        TestApp::spawn_three_ds(move |c| c.sms_url = Some(sms_url), Arc::new(SystemClock)).await;

    // Abandoned: the payer is back on the wallet page without finishing the challenge.
    let phone = "010-3184-0003";
    let payer = Payer { http: browser() };
    let (pi, (action, t), (s, location, body)) = register_always(&app, &payer, phone).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let hand_off = handoff(&payer, location.as_deref()).await;
    let (s, _, html) = payer.get(&format!("{action}?t={}", urlencode(&t))).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("인증을 마치지 않아"), "{html}");
    assert!(html.contains("name=\"card_number\""), "{html}");
    // The old tab finishes the challenge later: its CRes is refused, nothing is registered.
    let cres = challenge_from(&payer.http, &hand_off, &["1234"]).await;
    let late = submit(&payer.http, &cres, &[]).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST, "{}", late.body);
    assert_eq!(wallet_cards(&app, phone).await, 0);
    assert!(network_journal(&app).is_empty(), "no verification was sent");
    let (_, intent) = app.get(&format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(intent["status"], "requires_action", "{intent}");
    assert_eq!(app.balance().await, (0, 0));

    // Failed: five wrong passwords at the ACS.
    let payer = Payer { http: browser() };
    let phone = "010-3184-0002";
    let (_, _, (s, location, body)) = register_always(&app, &payer, phone).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let hand_off = handoff(&payer, location.as_deref()).await;
    let cres = challenge_from(&payer.http, &hand_off, &["0000"; 5]).await;
    let back = submit(&payer.http, &cres, &[]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let (s, _, html) = payer.get(&back.location.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("본인 인증(안심클릭)에 실패"), "{html}");
    assert!(
        html.contains("name=\"card_number\""),
        "the registration form: {html}"
    );
    assert_eq!(wallet_cards(&app, phone).await, 0);
    assert!(network_journal(&app).is_empty(), "no verification was sent");
    // The ACS now refuses the locked card at once: no challenge, the same message.
    let payer = Payer { http: browser() };
    let (_, _, (s, location, html)) = register_always(&app, &payer, "010-3184-0004").await;
    assert_eq!((s, location), (StatusCode::BAD_REQUEST, None), "{html}");
    assert!(html.contains("본인 인증(안심클릭)에 실패"), "{html}");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
