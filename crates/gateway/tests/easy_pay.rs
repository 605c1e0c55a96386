//! The 간편결제 wallet through its pages with a plain HTTP client (forms, no script): first
//! registration, weak PIN refused, wrong SMS code, second payment with the PIN only at another
//! merchant, wrong-PIN lockout and its expiry on the test clock, card removal, the SMS test
//! helper's tenancy, and no PIN or code in the database.

mod support;

use paygate_payer_pages as pp;
use paygate_payments::ManualClock;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use support::TestApp;

const PHONE: &str = "010-1234-5678";

struct Payer {
    http: reqwest::Client,
    cookie: Option<String>,
}

fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("{name} in {html}"))
        + needle.len();
    html[start..].split('"').next().unwrap().to_string()
}

impl Payer {
    async fn get(&mut self, url: &str) -> (StatusCode, String) {
        let mut r = self.http.get(url);
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c.clone());
        }
        let resp = r.send().await.unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let mut r = self.http.post(url).form(form);
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c.clone());
        }
        let resp = r.send().await.unwrap();
        if let Some(c) = resp.headers().get("set-cookie") {
            self.cookie = Some(c.to_str().unwrap().split(';').next().unwrap().to_string());
        }
        (resp.status(), resp.text().await.unwrap())
    }
}

async fn easy_pay_intent(app: &TestApp, sk: &str, amount: &str) -> (String, String) {
    let (s, pi) = app
        .post_as(
            sk,
            "/v1/payment_intents",
            &[
                ("amount", amount),
                ("currency", "krw"),
                ("payment_method_types[]", "easy_pay"),
                ("payment_method_data[type]", "easy_pay"),
                ("confirm", "true"),
                ("return_url", "https://shop.example/back"),
            ],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let url = pi["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    (pi["id"].as_str().unwrap().to_string(), url)
}

async fn code(app: &TestApp, sk: &str) -> String {
    let (s, list) = app
        .get_as(sk, "/v1/test_helpers/sms_messages?phone=01012345678")
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let body = list["data"][0]["body"]
        .as_str()
        .unwrap_or_else(|| panic!("{list}"));
    body.split(' ')
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn wallet_register_pay_lockout_and_removal() {
    let t0 = 1_893_456_000;
    let clock = Arc::new(ManualClock::new(t0));
    let dir = tempfile::tempdir().unwrap();
    let sms = paygate_sim_sms::start(paygate_sim_sms::Config::new(
        "127.0.0.1:0".parse().unwrap(),
        dir.path(),
    ))
    .await
    .unwrap();
    let sms_url = sms.base_url().to_string();
    let app = TestApp::spawn_with_clock(move |c| c.sms_url = Some(sms_url), clock.clone()).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut payer = Payer { http, cookie: None };

    let (hook, got) = support::webhook_receiver::receiver(0).await;
    let (s, we) = app
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", &hook),
                ("enabled_events[]", "payment_intent.requires_action"),
                ("enabled_events[]", "payment_intent.succeeded"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{we}");

    // First payment: phone → code (one wrong first) → weak PIN refused → register → PIN.
    let (pi1, url) = easy_pay_intent(&app, &app.key, "15000").await;
    let (s, html) = payer.get(&url).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("name=\"phone\""), "{html}");
    let t = hidden(&html, "t");
    let action = url.split('?').next().unwrap().to_string();
    let (s, html) = payer
        .post(&action, &[("t", &t), ("step", "phone"), ("phone", PHONE)])
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("name=\"otp\"") && html.contains("010-****-5678"),
        "{html}"
    );
    let good = code(&app, &app.key).await;
    let other = app.other_merchant().await;
    let (_, theirs) = app
        .get_as(&other, "/v1/test_helpers/sms_messages?phone=01012345678")
        .await;
    assert_eq!(
        theirs["data"].as_array().unwrap().len(),
        0,
        "tenancy: {theirs}"
    );
    let wrong = if good == "000000" { "111111" } else { "000000" };
    let (s, html) = payer
        .post(&action, &[("t", &t), ("step", "otp"), ("otp", wrong)])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{html}");
    let (s, html) = payer
        .post(&action, &[("t", &t), ("step", "otp"), ("otp", &good)])
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("name=\"card_number\"") && payer.cookie.is_some(),
        "{html}"
    );
    // With JavaScript the PIN inputs get the shuffled pad: a script of the gateway, loaded
    // under the page's nonce (no inline script); without it they are plain inputs.
    assert!(html.contains(" data-pin-pad "), "{html}");
    assert!(
        html.contains(&format!("src=\"{}\"></script>", pp::PIN_PAD_SCRIPT_PATH)),
        "{html}"
    );
    let script = payer
        .http
        .get(format!("{}{}", app.base, pp::PIN_PAD_SCRIPT_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(script.text().await.unwrap(), pp::PIN_PAD_SCRIPT);
    let card = [
        ("t", t.as_str()),
        ("step", "register"),
        ("card_number", "4242424242424242"),
        ("exp_month", "12"),
        ("exp_year", "2034"),
        ("cvc", "123"),
    ];
    let mut weak = card.to_vec();
    weak.extend([("pin", "123456"), ("pin_confirmation", "123456")]);
    let (s, html) = payer.post(&action, &weak).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("123456"), "{html}");
    // The issuer checks the card (account verification with the CVC) before it is kept.
    let mut bad_cvc = weak.clone();
    bad_cvc[2] = ("card_number", "4000000000000127");
    bad_cvc[6] = ("pin", "250913");
    bad_cvc[7] = ("pin_confirmation", "250913");
    let (s, html) = payer.post(&action, &bad_cvc).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{html}");
    assert!(html.contains("보안코드가 틀렸습니다"), "{html}");
    let mut ok = card.to_vec();
    ok.extend([("pin", "250913"), ("pin_confirmation", "250913")]);
    let (s, html) = payer.post(&action, &ok).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("name=\"pin\"") && html.contains("4242"),
        "{html}"
    );
    // The registration's account verification: nothing moved, the stored credential's first use.
    let journal: Vec<Value> = serde_json::from_value(
        serde_json::to_value(paygate_sim_network::journal(&app.sim_dir()).unwrap()).unwrap(),
    )
    .unwrap();
    let verified = journal.last().unwrap();
    assert_eq!(
        (&verified["amount"], &verified["response_code"]),
        (&Value::from(0), &Value::from("00")),
        "{verified}"
    );
    assert_eq!(verified["stored_credential"], "initial", "{verified}");
    let (s, html) = payer
        .post(&action, &[("t", &t), ("step", "pay"), ("pin", "250913")])
        .await;
    assert!(
        html.contains("https://shop.example/back?payment_intent="),
        "{s} {html}"
    );
    assert!(html.contains("redirect_status=succeeded"), "{html}");
    let (_, pi) = app
        .get(&format!("/v1/payment_intents/{pi1}?expand[]=latest_charge"))
        .await;
    assert_eq!(pi["status"], "succeeded", "{pi}");
    let details = &pi["latest_charge"]["payment_method_details"];
    assert_eq!(details["type"], "easy_pay", "{details}");
    assert_eq!(details["easy_pay"]["last4"], "4242");
    assert_eq!(details["easy_pay"]["phone"], "010-****-5678");
    assert!(
        app.event_types()
            .await
            .contains(&"payment_intent.succeeded".to_string())
    );
    assert!(app.ledger_problems().await.is_empty());
    let (_, balance) = app.get("/v1/balance_transactions").await;
    assert_eq!(balance["data"][0]["amount"], 15000, "{balance}");
    let hooks = support::webhook_receiver::wait_for(&got, 2).await;
    let types: Vec<String> = hooks
        .iter()
        .map(|(_, body)| serde_json::from_slice::<Value>(body).unwrap())
        .filter(|e| e["data"]["object"]["id"] == pi1.as_str())
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        ["payment_intent.requires_action", "payment_intent.succeeded"],
        "{types:?}"
    );

    // Second payment at another merchant: this device goes straight to the PIN.
    let (pi2, url2) = easy_pay_intent(&app, &other, "7000").await;
    let (s, html) = payer.get(&url2).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("name=\"pin\"") && !html.contains("name=\"phone\""),
        "{html}"
    );
    let t2 = hidden(&html, "t");
    let action2 = url2.split('?').next().unwrap().to_string();
    for n in 1..=4 {
        let (s, html) = payer
            .post(&action2, &[("t", &t2), ("step", "pay"), ("pin", "111112")])
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "try {n}: {html}");
    }
    let (s, _) = payer
        .post(&action2, &[("t", &t2), ("step", "pay"), ("pin", "111112")])
        .await;
    assert_eq!(s.as_u16(), 423, "locked after 5");
    let (s, _) = payer
        .post(&action2, &[("t", &t2), ("step", "pay"), ("pin", "250913")])
        .await;
    assert_eq!(s.as_u16(), 423, "the right PIN is refused while locked");
    clock.advance(30 * 60 + 1);
    let (_, html) = payer
        .post(&action2, &[("t", &t2), ("step", "pay"), ("pin", "250913")])
        .await;
    assert!(html.contains("redirect_status=succeeded"), "{html}");
    let (_, pi) = app
        .get_as(&other, &format!("/v1/payment_intents/{pi2}"))
        .await;
    assert_eq!(pi["status"], "succeeded", "{pi}");

    // Card removal (needs the PIN), then the wallet asks for a card again.
    let (_, url3) = easy_pay_intent(&app, &app.key, "1000").await;
    let (_, html) = payer.get(&url3).await;
    let t3 = hidden(&html, "t");
    let card_id = hidden(&html, "card");
    let action3 = url3.split('?').next().unwrap().to_string();
    let (s, html) = payer
        .post(
            &action3,
            &[
                ("t", &t3),
                ("step", "remove_card"),
                ("card", &card_id),
                ("pin", "250913"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("name=\"card_number\""), "{html}");

    // The operator's view (what `paygate wallets easy-pay audit|lock|unlock` runs).
    use paygate_gateway::easy_pay::operator;
    let (store, vault) = (&app.server.state.store, &app.server.state.vault);
    let trail = operator::audit(store, vault, PHONE, false).await.unwrap();
    let events: Vec<&str> = trail.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        events.iter().filter(|e| **e == "pin_failed").count(),
        5,
        "{events:?}"
    );
    for e in [
        "locked",
        "locked_attempt",
        "card_added",
        "card_removed",
        "pin_accepted",
        "pin_set",
    ] {
        assert!(events.contains(&e), "{e} in {events:?}");
    }
    assert!(trail.iter().all(|e| e["phone"] == "010-****-5678"));
    assert!(
        operator::audit(store, vault, PHONE, true).await.is_err(),
        "test wallet only"
    );
    let w = operator::set_lock(store, vault, PHONE, false, Some(60), t0)
        .await
        .unwrap();
    assert!(w.locked_until.is_some());
    let w = operator::set_lock(store, vault, PHONE, false, None, t0)
        .await
        .unwrap();
    assert_eq!(w.locked_until, None);

    // No PIN, code or PAN in clear in the database.
    let db = std::fs::read(app.dir.path().join("paygate.db")).expect("the database file");
    assert!(db.len() > 4096);
    let wal = std::fs::read(app.dir.path().join("paygate.db-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["250913", good.as_str(), "4242424242424242", "01012345678"] {
            assert!(!text.contains(secret), "{secret} at rest in clear");
        }
    }
}

#[tokio::test]
async fn an_expired_or_exhausted_code_is_refused() {
    let clock = Arc::new(ManualClock::new(1_893_456_000));
    let dir = tempfile::tempdir().unwrap();
    let sms = paygate_sim_sms::start(paygate_sim_sms::Config::new(
        "127.0.0.1:0".parse().unwrap(),
        dir.path(),
    ))
    .await
    .unwrap();
    let sms_url = sms.base_url().to_string();
    let app = TestApp::spawn_with_clock(move |c| c.sms_url = Some(sms_url), clock.clone()).await;
    let mut payer = Payer {
        http: reqwest::Client::new(),
        cookie: None,
    };
    let (_, url) = easy_pay_intent(&app, &app.key, "5000").await;
    let (_, html) = payer.get(&url).await;
    let t = hidden(&html, "t");
    let action = url.split('?').next().unwrap().to_string();
    payer
        .post(&action, &[("t", &t), ("step", "phone"), ("phone", PHONE)])
        .await;
    let good = code(&app, &app.key).await;
    clock.advance(181);
    let (s, html) = payer
        .post(&action, &[("t", &t), ("step", "otp"), ("otp", &good)])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("name=\"phone\""),
        "expired → phone form: {html}"
    );
    let (s, _) = payer
        .post(&action, &[("t", &t), ("step", "phone"), ("phone", PHONE)])
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = payer
        .post(&action, &[("t", &t), ("step", "phone"), ("phone", PHONE)])
        .await;
    assert_eq!(s.as_u16(), 429, "resend is rate-limited");
    let good = code(&app, &app.key).await;
    let wrong = if good == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        payer
            .post(&action, &[("t", &t), ("step", "otp"), ("otp", wrong)])
            .await;
    }
    let (s, html) = payer
        .post(&action, &[("t", &t), ("step", "otp"), ("otp", &good)])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("name=\"phone\""),
        "exhausted → phone form: {html}"
    );
    // `payment_method_types[]=easy_pay` alone is enough to confirm into the wallet.
    let (s, pi) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "3000"),
                ("currency", "krw"),
                ("payment_method_types[]", "easy_pay"),
                ("confirm", "true"),
                ("return_url", "https://shop.example/back"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let next: &Value = &pi["next_action"]["redirect_to_url"]["url"];
    assert!(next.as_str().unwrap().contains("/pay/easy_pay/"), "{pi}");
    // Without a return_url the wallet cannot send the payer back: the field is named.
    let (s, err) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "3000"),
                ("currency", "krw"),
                ("payment_method_data[type]", "easy_pay"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["error"]["param"], "return_url", "{err}");
}

#[tokio::test]
async fn pin_change_and_reset_after_an_sms_code() {
    let clock = Arc::new(ManualClock::new(1_893_456_000));
    let dir = tempfile::tempdir().unwrap();
    let sms = paygate_sim_sms::start(paygate_sim_sms::Config::new(
        "127.0.0.1:0".parse().unwrap(),
        dir.path(),
    ))
    .await
    .unwrap();
    let sms_url = sms.base_url().to_string();
    let app = TestApp::spawn_with_clock(move |c| c.sms_url = Some(sms_url), clock.clone()).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut payer = Payer { http, cookie: None };
    let (_, url) = easy_pay_intent(&app, &app.key, "5000").await;
    let (_, html) = payer.get(&url).await;
    let t = hidden(&html, "t");
    let action = url.split('?').next().unwrap().to_string();
    payer
        .post(&action, &[("t", &t), ("step", "phone"), ("phone", PHONE)])
        .await;
    let good = code(&app, &app.key).await;
    payer
        .post(&action, &[("t", &t), ("step", "otp"), ("otp", &good)])
        .await;
    let (s, html) = payer
        .post(
            &action,
            &[
                ("t", &t),
                ("step", "register"),
                ("card_number", "5555555555554444"),
                ("exp_month", "1"),
                ("exp_year", "2033"),
                ("cvc", "321"),
                ("pin", "481620"),
                ("pin_confirmation", "481620"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let card = hidden(&html, "card");
    // Change: the current PIN is needed, a weak new one is refused.
    let (s, _) = payer
        .post(
            &action,
            &[
                ("t", &t),
                ("step", "change_pin"),
                ("pin", "000001"),
                ("new_pin", "592817"),
                ("new_pin_confirmation", "592817"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = payer
        .post(
            &action,
            &[
                ("t", &t),
                ("step", "change_pin"),
                ("pin", "481620"),
                ("new_pin", "000000"),
                ("new_pin_confirmation", "000000"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, html) = payer
        .post(
            &action,
            &[
                ("t", &t),
                ("step", "change_pin"),
                ("pin", "481620"),
                ("new_pin", "592817"),
                ("new_pin_confirmation", "592817"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    // Reset: this flow proved the phone by SMS; the card's CVC goes to the issuer.
    let (s, html) = payer
        .post(
            &action,
            &[
                ("t", &t),
                ("step", "reset_pin"),
                ("card", &card),
                ("cvc", "321"),
                ("new_pin", "730418"),
                ("new_pin_confirmation", "730418"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let (s, html) = payer
        .post(&action, &[("t", &t), ("step", "pay"), ("pin", "592817")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "the old PIN is gone: {html}");
    let (_, html) = payer
        .post(&action, &[("t", &t), ("step", "pay"), ("pin", "730418")])
        .await;
    assert!(html.contains("redirect_status=succeeded"), "{html}");
    // A new device without a code cannot reset.
    let (_, url) = easy_pay_intent(&app, &app.key, "5000").await;
    let mut stranger = Payer {
        http: reqwest::Client::new(),
        cookie: None,
    };
    let (_, html) = stranger.get(&url).await;
    let t = hidden(&html, "t");
    let action = url.split('?').next().unwrap().to_string();
    let (s, html) = stranger
        .post(
            &action,
            &[
                ("t", &t),
                ("step", "reset_pin"),
                ("card", &card),
                ("cvc", "321"),
                ("new_pin", "730419"),
                ("new_pin_confirmation", "730419"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("name=\"phone\""), "{html}");
    let trail = paygate_gateway::easy_pay::operator::audit(
        &app.server.state.store,
        &app.server.state.vault,
        PHONE,
        false,
    )
    .await
    .unwrap();
    assert!(trail.iter().any(|e| e["event"] == "pin_reset"), "{trail:?}");
}
