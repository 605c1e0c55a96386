//! 계좌이체 in the hosted checkout: through paygate's bank choice and the bank's own login and
//! approval pages back to `success_url`; offered for KRW only and when a bank is configured.

use super::{carrier_world, va_world};
use crate::support::checkout_page::{SUCCESS, choose, client, get_page, hidden, position, session};
use reqwest::StatusCode;

fn between<'a>(html: &'a str, before: &str) -> &'a str {
    let at = html
        .find(before)
        .unwrap_or_else(|| panic!("{before} in {html}"))
        + before.len();
    html[at..].split('"').next().unwrap()
}

/// From paygate's bank choice page (`bt_page`) through the bank's login and approval pages:
/// the bank's redirect back to paygate.
async fn pay_at_the_bank(bt_page: &str, bank: &str, account: &str, password: &str) -> String {
    let html = client().get(bt_page).send().await.unwrap().text().await;
    let html = html.unwrap();
    assert!(
        html.contains("name=\"bank\"") && html.contains("신한은행"),
        "{html}"
    );
    let choice = between(&html, "<form method=\"post\" action=\"").replace("&amp;", "&");
    let t = hidden(&html, "t");
    let r = client()
        .post(&choice)
        .form(&[("t", t.as_str()), ("bank", bank)]);
    let html = r.send().await.unwrap().text().await.unwrap();
    let bank_url = between(&html, "<form method=\"get\" action=\"").to_string();
    let login = [("account_number", account), ("password", password)];
    let r = client().post(format!("{bank_url}/login")).form(&login);
    let html = r.send().await.unwrap().text().await.unwrap();
    let session = between(&html, "name=\"session\" value=\"").to_string();
    let r = client()
        .post(format!("{bank_url}/approve"))
        .form(&[("session", session.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_bank_transfer_checkout_goes_through_the_banks_pages_back_to_success_url() {
    let va = va_world().await;
    let cs = session(&va.app, "42000", &[]).await;
    let id = cs["id"].as_str().unwrap();
    let types = cs["payment_method_types"].to_string();
    assert!(
        types.contains("\"bank_transfer\""),
        "offered by default: {types}"
    );
    let url = cs["url"].as_str().unwrap();
    let (_, _, html) = get_page(url, "ko").await;
    assert!(
        html.contains("value=\"bank_transfer\"") && html.contains("계좌이체"),
        "{html}"
    );

    let (s, bt_page, body) = choose(url, "ko", &[("payment_method_type", "bank_transfer")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(bt_page.contains("/pay/bank_transfer/"), "{bt_page}");
    let ret = pay_at_the_bank(&bt_page, "004", "12345678901234", "1111").await;
    assert!(ret.contains("/pay/bank_transfer/"), "{ret}");
    let (s, back, _) = get_page(&ret, "ko").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(
        back.contains(&format!("/pay/checkout/{id}/return")),
        "{back}"
    );
    let (s, _, html) = get_page(&back, "ko").await;
    assert_eq!(s, StatusCode::OK);
    let done = format!("https://shop.example/done?session={id}");
    assert!(html.contains(&done), "on to success_url: {html}");

    let (_, cs) = va.app.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(cs["status"], "complete", "{cs}");
    assert_eq!(cs["payment_status"], "paid");
    let pi_id = cs["payment_intent"].as_str().unwrap();
    let (_, pi) = va.app.get(&format!("/v1/payment_intents/{pi_id}")).await;
    assert_eq!(pi["status"], "succeeded", "{pi}");
    let ch_id = pi["latest_charge"].as_str().unwrap();
    let (_, ch) = va.app.get(&format!("/v1/charges/{ch_id}")).await;
    assert_eq!(
        ch["payment_method_details"]["type"], "bank_transfer",
        "{ch}"
    );
    assert_eq!(
        ch["payment_method_details"]["bank_transfer"]["bank_code"],
        "004"
    );
    assert_eq!(ch["amount_captured"], 42000);
    assert!(va.app.ledger_problems().await.is_empty());
    assert_eq!(
        va.bank.balance("004", "12345678901234").unwrap(),
        Some(958_000)
    );
    let events = va.app.event_types().await;
    assert!(
        position(&events, "payment_intent.succeeded")
            < position(&events, "checkout.session.completed")
    );
    let completed = events.iter().filter(|e| *e == "checkout.session.completed");
    assert_eq!(completed.count(), 1);
    // The session's URL again goes on to success_url; nothing is debited twice.
    let (s, loc, _) = get_page(url, "ko").await;
    assert_eq!((s, loc.as_str()), (StatusCode::SEE_OTHER, done.as_str()));
    let (s, _, _) = get_page(&back, "ko").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(va.app.event_types().await.len(), events.len());
    assert_eq!(
        va.bank.balance("004", "12345678901234").unwrap(),
        Some(958_000)
    );

    let other = va.app.other_merchant().await;
    let path = format!("/v1/checkout/sessions/{id}");
    assert_eq!(va.app.get_as(&other, &path).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bank_transfer_is_krw_only_and_needs_the_bank() {
    let w = carrier_world().await;
    let cs = session(&w.app, "15000", &[]).await;
    let types = cs["payment_method_types"].to_string();
    assert!(
        !types.contains("bank_transfer"),
        "no bank configured: {types}"
    );
    let va = va_world().await;
    let usd = [
        ("mode", "payment"),
        ("success_url", SUCCESS),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "2000"),
        ("line_items[0][price_data][product_data][name]", "T-shirt"),
        ("line_items[0][quantity]", "1"),
    ];
    let (s, cs) = va.app.post("/v1/checkout/sessions", &usd).await;
    assert_eq!(s, StatusCode::OK, "{cs}");
    let types = cs["payment_method_types"].to_string();
    assert!(!types.contains("bank_transfer"), "not for usd: {types}");
}
