//! 할부 (instalments) over HTTP: the checkout card form's `installments` on KRW sessions of
//! 50,000 or more, the API's `payment_method_options[card][installments][plan]` and its rules
//! (each refusal naming the parameter), the months in the network simulator's journal
//! (DE 48.50) and the plan on the charge.

mod support;

use reqwest::StatusCode;
use serde_json::Value;
use support::TestApp;
use support::checkout_page::{choose, get_page, session};

const PLAN_COUNT: &str = "payment_method_options[card][installments][plan][count]";

/// The charge of `pi` and the network simulator's journal entry of its authorization.
async fn charge_and_journal(app: &TestApp, pi: &Value) -> (Value, Value) {
    let (_, ch) = app
        .get(&format!(
            "/v1/charges/{}",
            pi["latest_charge"].as_str().unwrap()
        ))
        .await;
    let rrn = ch["payment_method_details"]["card"]["network_transaction_id"]
        .as_str()
        .or(ch["network_transaction_id"].as_str())
        .unwrap_or_else(|| panic!("no network transaction id on {ch}"))
        .to_string();
    let entry = app.journal_by_rrn(&rrn);
    (ch, entry)
}

#[tokio::test]
async fn a_krw_card_checkout_of_50000_or_more_offers_instalments_the_network_journals() {
    let app = TestApp::spawn().await;
    let small = session(&app, "15000", &["card"]).await;
    let (_, _, html) = get_page(small["url"].as_str().unwrap(), "ko").await;
    assert!(
        !html.contains("name=\"installments\""),
        "under 50,000: {html}"
    );

    let cs = session(&app, "60000", &["card"]).await;
    let url = cs["url"].as_str().unwrap();
    let (_, _, html) = get_page(url, "ko").await;
    assert!(
        html.contains("name=\"installments\"")
            && html.contains("일시불")
            && html.contains("12개월"),
        "{html}"
    );
    let (_, _, en) = get_page(url, "en").await;
    assert!(
        en.contains("Pay in full") && en.contains("3 months"),
        "{en}"
    );
    let card = [
        ("payment_method_type", "card"),
        ("card_number", support::VISA),
        ("exp_month", "12"),
        ("exp_year", "2034"),
        ("cvc", "123"),
        ("installments", "3"),
    ];
    let (s, loc, body) = choose(url, "ko", &card).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(loc.starts_with("https://shop.example/done"), "{loc}");
    let (_, pi) = app
        .get(&format!(
            "/v1/payment_intents/{}",
            cs["payment_intent"].as_str().unwrap()
        ))
        .await;
    assert_eq!(pi["status"], "succeeded", "{pi}");
    assert!(
        pi.get("_installments").is_none(),
        "internal field hidden: {pi}"
    );
    let (ch, entry) = charge_and_journal(&app, &pi).await;
    let plan = &ch["payment_method_details"]["card"]["installments"]["plan"];
    assert_eq!(plan["count"], 3, "{ch}");
    assert_eq!(plan["interval"], "month");
    assert_eq!(plan["type"], "fixed_count");
    assert_eq!(entry["installments"], 3, "{entry}");
    assert!(app.ledger_problems().await.is_empty());
}

#[tokio::test]
async fn instalments_are_for_krw_card_payments_of_50000_or_more_naming_the_param() {
    let app = TestApp::spawn().await;
    let plan = |n: &'static str| {
        vec![
            (PLAN_COUNT, n),
            (
                "payment_method_options[card][installments][plan][interval]",
                "month",
            ),
            (
                "payment_method_options[card][installments][plan][type]",
                "fixed_count",
            ),
        ]
    };
    type Form = Vec<(&'static str, &'static str)>;
    let refused: [(&str, &str, Form); 4] = [
        ("49999", "krw", plan("3")),
        ("60000", "krw", plan("13")),
        ("60000", "krw", plan("1")),
        ("60000", "usd", plan("3")),
    ];
    for (amount, currency, extra) in refused {
        let mut form = support::card_payment_form(support::VISA, amount);
        form[1] = ("currency", currency);
        form.extend(extra);
        let (s, e) = app.post("/v1/payment_intents", &form).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{amount} {currency}: {e}");
        assert_eq!(e["error"]["param"], PLAN_COUNT, "{e}");
    }
    let mut weekly = plan("3");
    weekly[1].1 = "week";
    let (s, e) = app.pay(support::VISA, 60000, &weekly).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(
        e["error"]["param"],
        "payment_method_options[card][installments][plan][interval]"
    );
    assert!(app.event_types().await.is_empty(), "nothing half-written");

    let (s, pi) = app.pay(support::VISA, 60000, &plan("6")).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    let (ch, entry) = charge_and_journal(&app, &pi).await;
    assert_eq!(
        ch["payment_method_details"]["card"]["installments"]["plan"]["count"],
        6
    );
    assert_eq!(entry["installments"], 6, "{entry}");
    let (s, pi) = app.pay(support::VISA, 60000, &plan("0")).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let (ch, entry) = charge_and_journal(&app, &pi).await;
    assert!(
        ch["payment_method_details"]["card"]
            .get("installments")
            .is_none(),
        "일시불: {ch}"
    );
    assert!(entry.get("installments").is_none(), "{entry}");
}
