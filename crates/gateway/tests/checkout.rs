//! Checkout Sessions over HTTP: the API (create, retrieve, list, expire, line items), the
//! hosted page paying by card (success_url, session complete, events, ledger), errors in the
//! payer's language, setup mode, expiry by the clock, tenancy, XSS and framing, CORS for
//! paygate.js.

mod support;

use paygate_payments::ManualClock;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use support::{TestApp, VISA, url_encode};

const SUCCESS: &str = "https://shop.example/done?session={CHECKOUT_SESSION_ID}";
const XSS: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn create(app: &TestApp, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("mode", "payment"),
        ("success_url", SUCCESS),
        ("cancel_url", "https://shop.example/cart"),
        ("line_items[0][price_data][currency]", "krw"),
        ("line_items[0][price_data][unit_amount]", "15000"),
        ("line_items[0][price_data][product_data][name]", XSS),
        ("line_items[0][quantity]", "2"),
        ("line_items[1][price_data][currency]", "krw"),
        ("line_items[1][price_data][unit_amount]", "5000"),
        ("line_items[1][price_data][product_data][name]", "배송비"),
        ("line_items[1][quantity]", "1"),
        ("payment_method_types[]", "card"),
    ];
    form.extend_from_slice(extra);
    let (s, cs) = app.post("/v1/checkout/sessions", &form).await;
    assert_eq!(s, StatusCode::OK, "{cs}");
    cs
}

/// The page (status, headers, HTML) at `url`.
async fn page(url: &str, lang: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let r = no_redirects()
        .get(url)
        .header("accept-language", lang)
        .send()
        .await
        .expect("page");
    let (s, h) = (r.status(), r.headers().clone());
    (s, h, r.text().await.expect("html"))
}

/// The form's CSRF token.
fn token(html: &str) -> String {
    let at = html.find("name=\"t\" value=\"").expect("token field") + 16;
    html[at..].split('"').next().expect("token").to_string()
}

/// The form's action (the page, with its locale).
fn action(html: &str) -> String {
    let at = html.find("action=\"").expect("form action") + 8;
    html[at..].split('"').next().expect("action").to_string()
}

/// Posts the page's form; returns (status, Location, body).
async fn submit(url: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
    let r = no_redirects()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(url_encode(fields))
        .send()
        .await
        .expect("submit");
    let s = r.status();
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (s, loc, r.text().await.unwrap_or_default())
}

async fn pay_by_card(url: &str, number: &str, lang: &str) -> (StatusCode, String, String) {
    let (s, _, html) = page(url, lang).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let t = token(&html);
    let fields = [
        ("t", t.as_str()),
        ("payment_method_type", "card"),
        ("card_number", number),
        ("exp_month", "12"),
        ("exp_year", "2034"),
        ("cvc", "123"),
    ];
    submit(&action(&html), &fields).await
}

#[tokio::test]
async fn a_session_is_created_shown_paid_by_card_and_completed() {
    let app = TestApp::spawn().await;
    let (hook, got) = support::webhook_receiver::receiver(0).await;
    let (s, we) = app
        .post(
            "/v1/webhook_endpoints",
            &[
                ("url", &hook),
                ("enabled_events[]", "checkout.session.completed"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{we}");
    let cs = create(
        &app,
        &[("metadata[order]", XSS), ("client_reference_id", "order-7")],
    )
    .await;
    let id = cs["id"].as_str().unwrap();
    assert!(id.starts_with("cs_test_"), "{cs}");
    assert_eq!(cs["object"], "checkout.session");
    assert_eq!(cs["status"], "open");
    assert_eq!(cs["payment_status"], "unpaid");
    assert_eq!(cs["amount_total"], 35_000);
    assert_eq!(cs["currency"], "krw");
    assert_eq!(cs["client_reference_id"], "order-7");
    assert!(cs.get("_line_items").is_none(), "{cs}");
    let url = cs["url"].as_str().unwrap().to_string();
    assert!(url.ends_with(&format!("/pay/checkout/{id}")), "{url}");
    let pi = cs["payment_intent"].as_str().unwrap();

    let (s, items) = app
        .get(&format!("/v1/checkout/sessions/{id}/line_items?limit=1"))
        .await;
    assert_eq!(s, StatusCode::OK, "{items}");
    assert_eq!(items["data"][0]["amount_total"], 30_000, "{items}");
    assert_eq!(items["data"][0]["quantity"], 2);
    assert_eq!(items["has_more"], true);
    let (_, list) = app.get("/v1/checkout/sessions?limit=5").await;
    assert_eq!(list["data"][0]["id"], id, "{list}");

    // The page: escaped product name, no framing, the API's names on the inputs.
    let (s, h, html) = page(&url, "en-US").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("<script>alert(1)"), "unescaped product name");
    assert!(!html.contains("<img src=x"), "unescaped product name");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("lang=\"en\""));
    assert!(html.contains("₩35,000"), "total shown");
    for name in ["card_number", "exp_month", "exp_year", "cvc"] {
        assert!(html.contains(&format!("name=\"{name}\"")), "{name}");
    }
    assert!(html.contains("name=\"payment_method_type\" value=\"card\""));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");

    let (s, loc, body) = pay_by_card(&url, VISA, "ko").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(loc, format!("https://shop.example/done?session={id}"));

    let (_, done) = app.get(&format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(done["payment_status"], "paid");
    let (_, intent) = app.get(&format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(intent["status"], "succeeded", "{intent}");
    assert_eq!(intent["amount_received"], 35_000);
    let types = app.event_types().await;
    assert!(
        types.contains(&"checkout.session.completed".to_string()),
        "{types:?}"
    );
    assert!(
        types.contains(&"payment_intent.succeeded".to_string()),
        "{types:?}"
    );
    assert!(app.ledger_problems().await.is_empty());
    let delivered = support::webhook_receiver::wait_for(&got, 1).await;
    let event: Value = serde_json::from_slice(&delivered[0].1).expect("event json");
    assert_eq!(event["type"], "checkout.session.completed");
    assert_eq!(event["data"]["object"]["id"], id);
    assert_eq!(event["data"]["object"]["payment_status"], "paid");

    // The page of a complete session sends the payer on; the form cannot pay twice.
    let (s, h, _) = page(&url, "ko").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        h["location"],
        format!("https://shop.example/done?session={id}")
    );
    let (_, charges) = app.get(&format!("/v1/charges?payment_intent={pi}")).await;
    assert_eq!(
        charges["data"].as_array().map(Vec::len),
        Some(1),
        "{charges}"
    );
}

#[tokio::test]
async fn a_declined_card_is_explained_in_the_payers_language_and_the_session_stays_open() {
    let app = TestApp::spawn().await;
    let cs = create(&app, &[("locale", "auto")]).await;
    let url = cs["url"].as_str().unwrap();
    let (s, _, html) = pay_by_card(url, "4000000000000002", "ko-KR").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{html}");
    assert!(html.contains("카드가 거절되었습니다"), "{html}");
    assert!(html.contains("role=\"alert\""));
    let (s, _, html) = pay_by_card(url, "4242424242424241", "en").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("The card number is not valid."), "{html}");
    let (_, now) = app
        .get(&format!(
            "/v1/checkout/sessions/{}",
            cs["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(now["status"], "open");
    // A form without its token is refused.
    let (s, _, _) = submit(
        url,
        &[("payment_method_type", "card"), ("card_number", VISA)],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Then a good card pays.
    let (s, _, _) = pay_by_card(url, VISA, "ko").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn bad_parameters_name_the_field() {
    let app = TestApp::spawn().await;
    let base = [
        ("mode", "payment"),
        ("success_url", SUCCESS),
        ("line_items[0][price_data][currency]", "krw"),
        ("line_items[0][price_data][unit_amount]", "1000"),
        ("line_items[0][price_data][product_data][name]", "A"),
        ("line_items[0][quantity]", "1"),
    ];
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("line_items[1][price_data][currency]", "usd"),
                ("line_items[1][price_data][unit_amount]", "100"),
                ("line_items[1][price_data][product_data][name]", "B"),
                ("line_items[1][quantity]", "1"),
            ],
            "line_items[1][price_data][currency]",
        ),
        (
            vec![("line_items[0][quantity]", "0")],
            "line_items[0][quantity]",
        ),
        (vec![("locale", "fr")], "locale"),
        (vec![("success_url", "javascript:alert(1)")], "success_url"),
        (vec![("expires_at", "1")], "expires_at"),
        (
            vec![("payment_method_types[]", "paypal")],
            "payment_method_types",
        ),
        (
            vec![("line_items[0][price_data][unit_amount]", "-5")],
            "line_items[0][price_data][unit_amount]",
        ),
        (
            vec![("line_items[0][price_data][unit_amount]", "10")],
            "line_items",
        ),
        (vec![("customer_email", "nope")], "customer_email"),
        (vec![("shipping_rates", "x")], "shipping_rates"),
    ];
    for (extra, param) in cases {
        let mut form: Vec<(&str, &str)> = base.to_vec();
        for (k, v) in extra {
            form.retain(|(bk, _)| *bk != k);
            form.push((k, v));
        }
        let (s, e) = app.post("/v1/checkout/sessions", &form).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{param}: {e}");
        assert_eq!(e["error"]["param"], param, "{e}");
    }
    let (s, e) = app
        .post(
            "/v1/checkout/sessions",
            &[("mode", "payment"), ("success_url", SUCCESS)],
        )
        .await;
    assert_eq!(
        (s, e["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("line_items"))
    );
}

#[tokio::test]
async fn another_merchant_sees_no_session() {
    let app = TestApp::spawn().await;
    let cs = create(&app, &[]).await;
    let id = cs["id"].as_str().unwrap();
    let other = app.other_merchant().await;
    for path in [
        format!("/v1/checkout/sessions/{id}"),
        format!("/v1/checkout/sessions/{id}/line_items"),
    ] {
        let (s, _) = app.get_as(&other, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }
    let (s, _) = app
        .post_as(
            &other,
            &format!("/v1/checkout/sessions/{id}/expire"),
            &[],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.get_as(&other, "/v1/checkout/sessions").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0), "{list}");
    // An id that is not a session has no page.
    let pi = cs["payment_intent"].as_str().unwrap();
    let (s, _, _) = page(&format!("{}/pay/checkout/{pi}", app.base), "ko").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sessions_expire_by_the_merchant_and_by_the_clock() {
    let t0 = 1_893_456_000;
    let clock = Arc::new(ManualClock::new(t0));
    let app = TestApp::spawn_with_clock(|c| c.sweep_interval_ms = 3_600_000, clock.clone()).await;
    let cs = create(&app, &[]).await;
    let id = cs["id"].as_str().unwrap();
    let (s, exp) = app
        .post_idem(&format!("/v1/checkout/sessions/{id}/expire"), &[], "exp-1")
        .await;
    assert_eq!(s, StatusCode::OK, "{exp}");
    assert_eq!(exp["status"], "expired");
    let (_, pi) = app
        .get(&format!(
            "/v1/payment_intents/{}",
            cs["payment_intent"].as_str().unwrap()
        ))
        .await;
    assert_eq!(pi["status"], "canceled", "{pi}");
    let (s, again) = app
        .post(&format!("/v1/checkout/sessions/{id}/expire"), &[])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{again}");
    let (s, _, html) = page(cs["url"].as_str().unwrap(), "en").await;
    assert_eq!(s, StatusCode::GONE);
    assert!(
        html.contains("https://shop.example/cart"),
        "way back to the shop"
    );

    let due = (t0 + 1800).to_string();
    let late = create(&app, &[("expires_at", &due)]).await;
    let paid = create(&app, &[("expires_at", &due)]).await;
    let (s, _, _) = pay_by_card(paid["url"].as_str().unwrap(), VISA, "ko").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let st = &app.server.state;
    clock.advance(1799);
    assert_eq!(paygate_gateway::checkout::lifecycle::sweep(st).await, Ok(0));
    clock.advance(2);
    assert_eq!(paygate_gateway::checkout::lifecycle::sweep(st).await, Ok(1));
    let (_, l) = app
        .get(&format!(
            "/v1/checkout/sessions/{}",
            late["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(l["status"], "expired", "{l}");
    let (_, p) = app
        .get(&format!(
            "/v1/checkout/sessions/{}",
            paid["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(p["status"], "complete", "{p}");
    let types = app.event_types().await;
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "checkout.session.expired")
            .count(),
        2,
        "{types:?}"
    );
}

#[tokio::test]
async fn setup_mode_saves_a_card_through_a_setup_intent() {
    let app = TestApp::spawn().await;
    let (s, cus) = app
        .post("/v1/customers", &[("email", "a@shop.example")])
        .await;
    assert_eq!(s, StatusCode::OK);
    let form = [
        ("mode", "setup"),
        ("success_url", SUCCESS),
        ("customer", cus["id"].as_str().unwrap()),
        ("currency", "krw"),
    ];
    let (s, cs) = app.post("/v1/checkout/sessions", &form).await;
    assert_eq!(s, StatusCode::OK, "{cs}");
    assert_eq!(cs["payment_status"], "no_payment_required");
    assert_eq!(cs["payment_method_types"], serde_json::json!(["card"]));
    let seti = cs["setup_intent"].as_str().unwrap();
    let (s, _, body) = pay_by_card(cs["url"].as_str().unwrap(), VISA, "en").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let (_, done) = app
        .get(&format!(
            "/v1/checkout/sessions/{}",
            cs["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(done["status"], "complete", "{done}");
    let (_, si) = app.get(&format!("/v1/setup_intents/{seti}")).await;
    assert_eq!(si["status"], "succeeded", "{si}");
}

#[tokio::test]
async fn paygate_js_is_served_and_publishable_calls_allow_cross_origin() {
    let app = TestApp::spawn().await;
    let r = reqwest::get(format!("{}/v1/paygate.js", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(r.text().await.unwrap().contains("confirmPayment"));
    let pre = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/payment_methods", app.base),
        )
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), StatusCode::NO_CONTENT);
    assert_eq!(pre.headers()["access-control-allow-origin"], "*");
    let card = [
        ("type", "card"),
        ("card[number]", VISA),
        ("card[exp_month]", "12"),
        ("card[exp_year]", "2034"),
        ("card[cvc]", "123"),
    ];
    let r = app
        .post_response(&app.publishable, "/v1/payment_methods", &card, None)
        .await;
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    // Secret-key-only paths get no CORS, so a browser page cannot read them.
    let pre = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/checkout/sessions", app.base),
        )
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(pre.headers().get("access-control-allow-origin").is_none());
}
