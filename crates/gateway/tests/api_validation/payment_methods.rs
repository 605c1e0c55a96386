//! Payment methods' card rules: an expired card or an impossible month is refused when a
//! payment method is made or updated; an update changes expiry, billing details and metadata,
//! and the card number cannot be changed.

use super::assert_param;
use crate::support::{TestApp, VISA};
use reqwest::StatusCode;

#[tokio::test]
async fn expired_cards_are_refused_when_a_payment_method_is_made() {
    let app = TestApp::spawn().await;
    let card = |month: &'static str, year: &'static str| {
        vec![
            ("type", "card"),
            ("card[number]", VISA),
            ("card[exp_month]", month),
            ("card[exp_year]", year),
        ]
    };
    let (s, e) = app.post("/v1/payment_methods", &card("12", "2020")).await;
    assert_param(s, &e, StatusCode::PAYMENT_REQUIRED, "card[exp_year]");
    assert_eq!(e["error"]["type"], "card_error");
    assert_eq!(e["error"]["code"], "invalid_expiry_year");
    let (s, e) = app.post("/v1/payment_methods", &card("13", "2034")).await;
    assert_param(s, &e, StatusCode::PAYMENT_REQUIRED, "card[exp_month]");
    let (s, e) = app.post("/v1/payment_methods", &card("12", "2034")).await;
    assert_eq!(s, StatusCode::OK, "{e}");
}

#[tokio::test]
async fn payment_method_updates_change_expiry_billing_details_and_metadata() {
    let app = TestApp::spawn().await;
    let (_, pm) = app
        .post(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", VISA),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
            ],
        )
        .await;
    let id = pm["id"].as_str().unwrap();
    let (s, up) = app
        .post(
            &format!("/v1/payment_methods/{id}"),
            &[
                ("card[exp_month]", "3"),
                ("card[exp_year]", "2035"),
                ("billing_details[name]", "Kim Minji"),
                ("billing_details[email]", "minji@example.kr"),
                ("billing_details[address][city]", "Seoul"),
                ("metadata[tier]", "gold"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{up}");
    assert_eq!(
        (
            up["card"]["exp_month"].as_i64(),
            up["card"]["exp_year"].as_i64()
        ),
        (Some(3), Some(2035))
    );
    assert_eq!(up["billing_details"]["name"], "Kim Minji");
    assert_eq!(up["billing_details"]["address"]["city"], "Seoul");
    assert_eq!(up["metadata"]["tier"], "gold");
    assert!(up.get("_vault").is_none());
    let (_, again) = app.get(&format!("/v1/payment_methods/{id}")).await;
    assert_eq!(again["card"]["exp_year"], 2035);
    // The new expiry is what the network is sent: the saved card still pays.
    let (s, pi) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "5000"),
                ("currency", "krw"),
                ("confirm", "true"),
                ("payment_method", id),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    let (s, e) = app
        .post(
            &format!("/v1/payment_methods/{id}"),
            &[("card[exp_year]", "2019")],
        )
        .await;
    assert_param(s, &e, StatusCode::PAYMENT_REQUIRED, "card[exp_year]");
    let (s, e) = app
        .post(
            &format!("/v1/payment_methods/{id}"),
            &[("card[number]", VISA)],
        )
        .await;
    assert_param(s, &e, StatusCode::BAD_REQUEST, "card[number]");
}
