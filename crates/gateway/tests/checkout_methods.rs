//! The hosted checkout with the methods beyond cards, driven with a plain HTTP client:
//! 휴대폰 소액결제 through the carrier page back to `success_url`; 가상계좌 with the transfer
//! instructions on the page, the session `complete`/`unpaid` at the choice, `paid` with the
//! deposit (`checkout.session.async_payment_succeeded`) or failed with the account's expiry
//! (`…async_payment_failed`), the 현금영수증 fields; 계좌이체 through paygate's bank choice and
//! the bank's own login and approval pages back to `success_url` (할부:
//! `checkout_installments.rs`).

#[path = "checkout_methods/bank_transfer.rs"]
mod bank_transfer;
mod support;

use paygate_payments::{Clock, ManualClock};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use support::TestApp;
use support::checkout_page::{SUCCESS, choose, client, get_page, hidden, position, session};

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

// ---- 휴대폰 소액결제 ----------------------------------------------------------------

struct Carrier {
    app: TestApp,
    sms: paygate_sim_sms::Running,
    _carrier: paygate_sim_carrier::Running,
}

async fn carrier_world() -> Carrier {
    let dir = tempfile::tempdir().unwrap().keep();
    let clock = paygate_sim_kit::clock::SimClock::system();
    let sms = paygate_sim_sms::start(paygate_sim_sms::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("sms"),
        clock: clock.clone(),
    })
    .await
    .unwrap();
    let carrier = paygate_sim_carrier::start(paygate_sim_carrier::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("carrier"),
        sms_url: Some(sms.base_url().to_string()),
        clock,
    })
    .await
    .unwrap();
    let (carrier_url, sms_url) = (carrier.base_url().to_string(), sms.base_url().to_string());
    let app = TestApp::spawn_with(|cfg| {
        cfg.carrier_url = Some(carrier_url);
        cfg.sms_url = Some(sms_url);
    })
    .await;
    Carrier {
        app,
        sms,
        _carrier: carrier,
    }
}

impl Carrier {
    async fn code(&self, phone: &str) -> String {
        let url = format!("{}/v1/messages?phone={phone}", self.sms.base_url());
        let v: Value = client()
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let body = v["data"][0]["body"].as_str().unwrap().to_string();
        let at = body.find("인증번호 ").unwrap() + "인증번호 ".len();
        body[at..at + 6].to_string()
    }
}

#[tokio::test]
async fn a_mobile_carrier_checkout_goes_through_the_carrier_page_back_to_success_url() {
    let w = carrier_world().await;
    let (hook, got) = support::webhook_receiver::receiver(0).await;
    let (s, we) = w
        .app
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", &hook),
                ("enabled_events[]", "checkout.session.completed"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{we}");
    let cs = session(&w.app, "15000", &[]).await;
    let id = cs["id"].as_str().unwrap();
    let types: Vec<&str> = cs["payment_method_types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        types.contains(&"mobile_carrier"),
        "offered by default: {cs}"
    );
    let url = cs["url"].as_str().unwrap();
    let (_, _, html) = get_page(url, "ko").await;
    assert!(
        html.contains("value=\"mobile_carrier\"") && html.contains("휴대폰 결제"),
        "{html}"
    );

    let (s, carrier_page, body) =
        choose(url, "ko", &[("payment_method_type", "mobile_carrier")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(
        carrier_page.contains("/pay/mobile_carrier/"),
        "{carrier_page}"
    );
    let html = client()
        .get(&carrier_page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let t = hidden(&html, "t");
    let page_action = carrier_page.split('?').next().unwrap().to_string();
    let start = [
        ("t", t.as_str()),
        ("step", "start"),
        ("carrier", "skt"),
        ("phone", "01012345678"),
        ("birth_date", "19900101"),
        ("consent", "yes"),
    ];
    let r = client()
        .post(&page_action)
        .form(&start)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let code = w.code("01012345678").await;
    let otp = [("t", t.as_str()), ("step", "otp"), ("otp", code.as_str())];
    let r = client().post(&page_action).form(&otp).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        back.contains(&format!("/pay/checkout/{id}/return")),
        "{back}"
    );
    let (s, _, html) = get_page(&back, "ko").await;
    assert_eq!(s, StatusCode::OK);
    let done = format!("https://shop.example/done?session={id}");
    assert!(html.contains(&done), "on to success_url: {html}");

    let (_, cs) = w.app.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(cs["status"], "complete", "{cs}");
    assert_eq!(cs["payment_status"], "paid");
    let (_, pi) = w
        .app
        .get(&format!(
            "/v1/payment_intents/{}",
            cs["payment_intent"].as_str().unwrap()
        ))
        .await;
    assert_eq!(pi["status"], "succeeded", "{pi}");
    let (_, ch) = w
        .app
        .get(&format!(
            "/v1/charges/{}",
            pi["latest_charge"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        ch["payment_method_details"]["type"], "mobile_carrier",
        "{ch}"
    );
    assert_eq!(ch["amount_captured"], 15000);
    assert!(w.app.ledger_problems().await.is_empty());
    let events = w.app.event_types().await;
    assert!(
        position(&events, "payment_intent.succeeded")
            < position(&events, "checkout.session.completed")
    );
    let delivered = support::webhook_receiver::wait_for(&got, 1).await;
    let body: Value = serde_json::from_slice(&delivered[0].1).unwrap();
    assert_eq!(body["type"], "checkout.session.completed");
    assert_eq!(body["data"]["object"]["id"], id);
    assert_eq!(body["data"]["object"]["payment_status"], "paid");

    // Another merchant sees nothing of it.
    let other = w.app.other_merchant().await;
    let (s, _) = w
        .app
        .get_as(&other, &format!("/v1/checkout/sessions/{id}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn carrier_and_virtual_account_are_krw_only_and_need_their_counterparty() {
    let w = carrier_world().await;
    let (s, cs) = w
        .app
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("success_url", SUCCESS),
                ("line_items[0][price_data][currency]", "usd"),
                ("line_items[0][price_data][unit_amount]", "2000"),
                ("line_items[0][price_data][product_data][name]", "T-shirt"),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{cs}");
    let types = cs["payment_method_types"].to_string();
    assert!(!types.contains("mobile_carrier"), "not for usd: {types}");
    let cs = session(&w.app, "15000", &[]).await;
    let types = cs["payment_method_types"].to_string();
    assert!(
        types.contains("mobile_carrier") && !types.contains("virtual_account"),
        "no bank configured: {types}"
    );
}

// ---- 가상계좌 --------------------------------------------------------------------------

struct Va {
    app: TestApp,
    bank: paygate_sim_bank::Running,
    bank_dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
}

async fn va_world() -> Va {
    let clock = Arc::new(ManualClock::new(T0));
    let bank_dir = tempfile::tempdir().unwrap();
    let c = clock.clone();
    let bank = paygate_sim_bank::start(paygate_sim_bank::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: bank_dir.path().to_path_buf(),
        now: Arc::new(move || c.now()),
        notice_retry_ms: 100,
        // The bank's own login pages, for 계좌이체.
        pages_listen: Some("127.0.0.1:0".parse().unwrap()),
    })
    .await
    .unwrap();
    let addr = bank.local_addr().to_string();
    let app = TestApp::spawn_with_clock(move |cfg| cfg.bank_addr = Some(addr), clock.clone()).await;
    Va {
        app,
        bank,
        bank_dir,
        clock,
    }
}

/// Chooses 가상계좌 at bank 신한 (088) with an income-deduction cash receipt; returns the
/// session id, its URL and the page answering the choice.
async fn choose_va(va: &Va, receipt: &str) -> (String, String, (StatusCode, String, String)) {
    let cs = session(&va.app, "35000", &["card", "virtual_account"]).await;
    let url = cs["url"].as_str().unwrap().to_string();
    let (_, _, html) = get_page(&url, "ko").await;
    for input in [
        "name=\"bank\"",
        "name=\"cash_receipt_type\"",
        "name=\"cash_receipt_identifier\"",
        "신한은행",
    ] {
        assert!(html.contains(input), "{input}: {html}");
    }
    let fields = [
        ("payment_method_type", "virtual_account"),
        ("bank", "088"),
        ("cash_receipt_type", "income_deduction"),
        ("cash_receipt_identifier", receipt),
    ];
    let answer = choose(&url, "ko", &fields).await;
    (cs["id"].as_str().unwrap().to_string(), url, answer)
}

#[tokio::test]
async fn a_virtual_account_checkout_shows_the_transfer_and_is_paid_by_the_deposit() {
    let va = va_world().await;
    let (id, url, (s, _, html)) = choose_va(&va, "010-1234-5678").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    for shown in [
        "입금 안내",
        "신한은행",
        "Test shop",
        "35,000원",
        "2026-01-04 09:00 KST",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    let (_, cs) = va.app.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(
        cs["status"], "complete",
        "Stripe: complete at the choice: {cs}"
    );
    assert_eq!(cs["payment_status"], "unpaid");
    let pi_id = cs["payment_intent"].as_str().unwrap().to_string();
    let (_, pi) = va.app.get(&format!("/v1/payment_intents/{pi_id}")).await;
    let account = pi["next_action"]["display_bank_transfer_instructions"]["financial_addresses"][0]
        ["kr_virtual_account"]["account_number"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(html.contains(&account), "{html}");
    let (s, _, en) = get_page(&url, "en").await;
    assert_eq!(s, StatusCode::OK);
    assert!(en.contains("Transfer by") && en.contains(&account), "{en}");
    let events = va.app.event_types().await;
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "checkout.session.completed")
            .count(),
        1
    );
    assert!(
        !events
            .iter()
            .any(|e| e.starts_with("checkout.session.async"))
    );

    let path = format!("/v1/test_helpers/virtual_accounts/{account}/deposit");
    let (s, paid) = va
        .app
        .post(&path, &[("amount", "35000"), ("depositor_name", "홍길동")])
        .await;
    assert_eq!(s, StatusCode::OK, "{paid}");
    assert_eq!(paid["status"], "succeeded");
    let (_, cs) = va.app.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(cs["status"], "complete");
    assert_eq!(cs["payment_status"], "paid", "{cs}");
    let events = va.app.event_types().await;
    assert!(
        position(&events, "checkout.session.completed")
            < position(&events, "checkout.session.async_payment_succeeded")
    );
    let (_, ch) = va
        .app
        .get(&format!(
            "/v1/charges/{}",
            paid["latest_charge"].as_str().unwrap()
        ))
        .await;
    let receipt = &ch["payment_method_details"]["virtual_account"]["cash_receipt"];
    assert_eq!(receipt["type"], "income_deduction", "{ch}");
    assert_eq!(receipt["identifier"], "*******5678");
    assert!(!ch.to_string().contains("01012345678"));
    assert!(va.app.ledger_problems().await.is_empty());
    let (s, loc, _) = get_page(&url, "ko").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "paid: on to success_url");
    assert_eq!(loc, format!("https://shop.example/done?session={id}"));
    let issued = paygate_sim_bank::journal(va.bank_dir.path()).unwrap();
    assert_eq!(issued[0].event, "issue");
    assert_eq!(issued[0].reference, pi_id);
}

#[tokio::test]
async fn an_expired_virtual_account_fails_the_checkout_session() {
    let va = va_world().await;
    let (id, url, (s, _, html)) = choose_va(&va, "01012345678").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let st = &va.app.server.state;
    va.clock.advance(3 * 86_400 + 1);
    assert_eq!(
        paygate_gateway::virtual_accounts::expiry::sweep(st).await,
        Ok(1)
    );
    let (_, cs) = va.app.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(cs["status"], "complete", "{cs}");
    assert_eq!(cs["payment_status"], "unpaid");
    let events = va.app.event_types().await;
    assert!(
        position(&events, "checkout.session.completed")
            < position(&events, "checkout.session.async_payment_failed")
    );
    assert!(
        !events
            .iter()
            .any(|e| e == "checkout.session.async_payment_succeeded")
    );
    let (s, _, html) = get_page(&url, "ko").await;
    assert_eq!(s, StatusCode::GONE);
    assert!(html.contains("입금 기한이 지났습니다"), "{html}");
    // A second sweep finds nothing and adds no second failure.
    assert_eq!(
        paygate_gateway::virtual_accounts::expiry::sweep(st).await,
        Ok(0)
    );
    let again = va.app.event_types().await;
    assert_eq!(again.len(), events.len());
}

#[tokio::test]
async fn a_bad_cash_receipt_number_is_told_in_the_payers_language_and_nothing_is_issued() {
    let va = va_world().await;
    let (id, _, (s, _, html)) = choose_va(&va, "12345").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("현금영수증 번호가 올바르지 않습니다."),
        "{html}"
    );
    let (_, cs) = va.app.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(cs["status"], "open", "{cs}");
    assert!(
        paygate_sim_bank::journal(va.bank_dir.path())
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn months_of_a_declined_card_attempt_do_not_follow_the_payer_to_another_method() {
    let va = va_world().await;
    let cs = session(&va.app, "60000", &["card", "virtual_account"]).await;
    let url = cs["url"].as_str().unwrap();
    let declined = [
        ("payment_method_type", "card"),
        ("card_number", "4000000000000002"),
        ("exp_month", "12"),
        ("exp_year", "2034"),
        ("cvc", "123"),
        ("installments", "3"),
    ];
    let (s, _, html) = choose(url, "ko", &declined).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{html}");
    assert!(html.contains("카드가 거절되었습니다"), "{html}");
    let (s, _, html) = choose(
        url,
        "ko",
        &[("payment_method_type", "virtual_account"), ("bank", "004")],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("KB국민은행") && html.contains("60,000원"),
        "{html}"
    );
}
