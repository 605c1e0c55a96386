//! The hosted checkout page driven with a plain HTTP client (no redirects followed): a
//! session, the page, its form posted with its CSRF token.

use super::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

pub const SUCCESS: &str = "https://shop.example/done?session={CHECKOUT_SESSION_ID}";

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&needle)
        .unwrap_or_else(|| panic!("{name} in {html}"))
        + needle.len();
    html[at..].split('"').next().unwrap().to_string()
}

pub fn action(html: &str) -> String {
    let at = html.find("action=\"").expect("form action") + 8;
    html[at..].split('"').next().unwrap().replace("&amp;", "&")
}

pub async fn session(app: &TestApp, amount: &str, types: &[&str]) -> Value {
    let mut form = vec![
        ("mode", "payment"),
        ("success_url", SUCCESS),
        ("cancel_url", "https://shop.example/cart"),
        ("line_items[0][price_data][currency]", "krw"),
        ("line_items[0][price_data][unit_amount]", amount),
        (
            "line_items[0][price_data][product_data][name]",
            "한우 선물세트",
        ),
        ("line_items[0][quantity]", "1"),
    ];
    for t in types {
        form.push(("payment_method_types[]", t));
    }
    let (s, cs) = app.post("/v1/checkout/sessions", &form).await;
    assert_eq!(s, StatusCode::OK, "{cs}");
    cs
}

/// Opens the page and posts the form with `fields` (the token added); (status, Location, body).
pub async fn choose(
    url: &str,
    lang: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let html = client()
        .get(url)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let t = hidden(&html, "t");
    let mut form = vec![("t", t.as_str())];
    form.extend_from_slice(fields);
    let r = client()
        .post(action(&html))
        .form(&form)
        .send()
        .await
        .unwrap();
    let s = r.status();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (s, loc, r.text().await.unwrap())
}

pub async fn get_page(url: &str, lang: &str) -> (StatusCode, String, String) {
    let r = client()
        .get(url)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    let s = r.status();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (s, loc, r.text().await.unwrap())
}

pub fn position(types: &[String], t: &str) -> usize {
    types
        .iter()
        .position(|x| x == t)
        .unwrap_or_else(|| panic!("{t} in {types:?}"))
}
