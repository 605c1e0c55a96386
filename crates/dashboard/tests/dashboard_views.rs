//! The dashboard's checkout sessions pages, charts and live updates over HTTP on a real
//! gateway: sessions listed and shown with their line items (a product name with markup shown
//! as text), another merchant's session a 404; the charts drawn from the payments made
//! through the API (approved and declined, the decline reason) and the gateway's latency
//! histogram, each with its table; the live stream tells of a payment made through the API
//! and ends when the session idles out, without ever keeping it alive.

mod support;

use paygate_dashboard::{session, users};
use paygate_gateway::admin;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use support::*;

/// Bounds a hang of the stream (it answers within about a second).
const STREAM_WAIT: Duration = Duration::from_secs(20);

async fn api(app: &App, key: &str, path: &str, form: &[(&str, &str)]) -> Value {
    let r = app
        .http
        .post(format!("{}{path}", app.base))
        .bearer_auth(key)
        .form(form)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.expect("json")
}

async fn checkout_session(app: &App, key: &str, product: &str) -> Value {
    let form = [
        ("mode", "payment"),
        ("success_url", "https://shop.example/done"),
        ("line_items[0][price_data][currency]", "krw"),
        ("line_items[0][price_data][unit_amount]", "12500"),
        ("line_items[0][price_data][product_data][name]", product),
        ("line_items[0][quantity]", "2"),
        ("customer_email", "kim@example.com"),
        ("metadata[order]", "<img src=x onerror=alert(1)>"),
    ];
    api(app, key, "/v1/checkout/sessions", &form).await
}

async fn merchant_user(app: &App, email: &str) -> String {
    let role = users::Role::Merchant {
        merchant: app.merchant.clone(),
    };
    let secret = app.user(email, role).await;
    app.login(email, &secret).await
}

#[tokio::test]
async fn checkout_sessions_are_listed_and_shown_with_markup_inert_and_others_hidden() {
    let app = App::start().await;
    let st = &app.server.state;
    let other = admin::create_merchant(&st.store, &st.cfg, "Shop B")
        .await
        .unwrap();
    let cookie = merchant_user(&app, "m@shop.example").await;
    let ours = checkout_session(&app, &app.key, "<script>alert(1)</script>티셔츠").await;
    let theirs = checkout_session(&app, &other.secret_key, "Mug").await;
    let (ours_id, theirs_id) = (ours["id"].as_str().unwrap(), theirs["id"].as_str().unwrap());
    let (s, list, _) = app.get("/dashboard/checkout_sessions", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains(ours_id) && list.contains("₩25,000"), "{list}");
    assert!(list.contains("open") && list.contains("unpaid"), "{list}");
    assert!(
        !list.contains(theirs_id),
        "another merchant's session is not listed"
    );
    let (s, page, _) = app
        .get(&format!("/dashboard/checkout_sessions/{ours_id}"), &cookie)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;티셔츠"),
        "{page}"
    );
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert") && !page.contains("<img src=x"));
    assert!(page.contains("kim@example.com") && page.contains("https://shop.example/done"));
    let (s, _, _) = app
        .get(
            &format!("/dashboard/checkout_sessions/{theirs_id}"),
            &cookie,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "the same 404 as an unknown id");
    let (s, _, _) = app
        .get("/dashboard/checkout_sessions/cs_nope", &cookie)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn charts_draw_volume_approval_declines_and_latency_with_their_tables() {
    let app = App::start().await;
    let cookie = merchant_user(&app, "m@shop.example").await;
    let (s, empty, _) = app.get("/dashboard/charts", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(empty.contains("No data yet."), "{empty}");
    for _ in 0..3 {
        assert_eq!(app.pay(&app.key, "10000", &[]).await["status"], "succeeded");
    }
    let declined = app
        .http
        .post(format!("{}/v1/payment_intents", app.base))
        .bearer_auth(&app.key)
        .form(&[
            ("amount", "10000"),
            ("currency", "krw"),
            ("confirm", "true"),
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", "4000000000009995"),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", "2034"),
            ("payment_method_data[card][cvc]", "123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), StatusCode::PAYMENT_REQUIRED);
    let (s, page, h) = app.get("/dashboard/charts", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 5, "{page}");
    assert!(page.contains("aria-labelledby=\"volume-title volume-desc\""));
    // Today (the test clock's day, last column): 4 card payments, 3 approved = 75.0%.
    let today = "<tr><th scope=\"row\">03-17</th><td class=\"num\">";
    assert!(page.contains(&format!("{today}4</td></tr>")), "{page}");
    assert!(page.contains(&format!("{today}75.0%</td></tr>")), "{page}");
    // The approved amount, in its currency: 3 × ₩10,000 today (the decline adds nothing).
    assert!(page.contains("aria-labelledby=\"amount-krw-title amount-krw-desc\""));
    let amount = format!(
        "{today}{}</td></tr>",
        paygate_dashboard::payments::money(30_000, "krw", paygate_payer_pages::Locale::En)
    );
    assert!(page.contains(&amount), "{page}");
    assert!(
        page.contains("<tr><th scope=\"row\">insufficient_funds</th><td class=\"num\">1</td>"),
        "{page}"
    );
    assert!(page.contains("<th scope=\"row\">p99</th>") && page.contains(" ms</td>"));
    assert!(
        !page.contains("style=\""),
        "no inline style attributes (CSP)"
    );
}

/// Reads the stream until what it sent satisfies `done`; `None` if it ends first.
async fn read_until(r: &mut reqwest::Response, done: impl Fn(&str) -> bool) -> Option<String> {
    let mut seen = String::new();
    loop {
        let chunk = tokio::time::timeout(STREAM_WAIT, r.chunk())
            .await
            .expect("the stream answers")
            .expect("stream read")?;
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if done(&seen) {
            return Some(seen);
        }
    }
}

#[tokio::test]
async fn the_live_stream_tells_of_a_new_payment_and_ends_when_the_session_idles_out() {
    let app = App::start().await;
    let cookie = merchant_user(&app, "m@shop.example").await;
    let (_, list, h) = app.get("/dashboard/payments", &cookie).await;
    let csp = h["content-security-policy"].to_str().unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        list.contains(&format!("<script nonce=\"{nonce}\">")),
        "{list}"
    );
    assert!(list.contains("<div id=\"payment-list\">") && csp.contains("connect-src 'self'"));
    let mut r = app
        .http
        .get(format!("{}/dashboard/payments/live", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    read_until(&mut r, |s| s.contains(": live"))
        .await
        .expect("the stream opens");
    let pi = app.pay(&app.key, "21000", &[]).await;
    let id = pi["id"].as_str().unwrap();
    let charge = pi["latest_charge"].as_str().unwrap();
    let event = |s: &str| {
        s.split("event: payment\n")
            .nth(1)
            .is_some_and(|e| e.contains("\n\n"))
    };
    let got = read_until(&mut r, event).await.expect("an event");
    let data = got.split("event: payment\ndata: ").nth(1).unwrap();
    let object = data.split('\n').next().unwrap();
    assert!(object == id || object == charge, "{got}");
    // The list the script fetches shows it, and that fetch does not count as activity.
    let (_, fresh, _) = app.get("/dashboard/payments", &cookie).await;
    assert!(fresh.contains(id));
    app.clock.advance(session::IDLE_S + 1);
    assert!(
        read_until(&mut r, |s| s.contains("never sent"))
            .await
            .is_none(),
        "the stream ends once the session has idled out"
    );
    let again = app
        .http
        .get(format!("{}/dashboard/payments/live", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NO_CONTENT, "no reconnecting");
    let none = app
        .http
        .get(format!("{}/dashboard/payments/live", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_refresh_by_the_page_does_not_keep_the_session_alive() {
    let app = App::start().await;
    let cookie = merchant_user(&app, "m@shop.example").await;
    let refresh = || async {
        let r = app
            .http
            .get(format!("{}/dashboard/payments", app.base))
            .header("cookie", &cookie)
            .header("pgdash-refresh", "1")
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    };
    app.clock.advance(session::IDLE_S / 2);
    let (status, body) = refresh().await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.starts_with("<div id=\"payment-list\">") && body.ends_with("</div>"),
        "the refresh gets the list alone: {body}"
    );
    // Idle since the login (the refresh did not count): the session is over.
    app.clock.advance(session::IDLE_S / 2 + 1);
    assert_eq!(refresh().await.0, StatusCode::SEE_OTHER);
}
