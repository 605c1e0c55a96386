//! The dashboard's customers, balance, webhooks and API keys pages over HTTP on a real
//! gateway: a merchant's user sees only its merchant's objects (another merchant's endpoint or
//! key is a 404), a webhook delivery is resent from the page (queued through the gateway,
//! attempted again, audited), and a key is rolled (new key shown once, old one refused by the
//! API, audited without the key) and revoked; every list exports as CSV (the page's filters,
//! the merchant's own rows, formula cells neutralized, UTF-8 with BOM, one audit entry each).

mod support;

use paygate_dashboard::{audit, users};
use paygate_gateway::admin;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use support::*;

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

/// The value of the hidden `name` field of the first form posting to `action`.
fn field_of(html: &str, action: &str, name: &str) -> String {
    let at = html
        .find(&format!("action=\"{action}\""))
        .expect("the form");
    let tail = &html[at..];
    let key = format!("name=\"{name}\" value=\"");
    let v = tail.find(&key).expect("the field") + key.len();
    tail[v..].split('"').next().expect("value").to_string()
}

async fn merchant_user(app: &App) -> String {
    let role = users::Role::Merchant {
        merchant: app.merchant.clone(),
    };
    let secret = app.user("m@shop.example", role).await;
    app.login("m@shop.example", &secret).await
}

#[tokio::test]
async fn customers_balance_and_webhooks_with_resend_are_the_merchants_own() {
    let app = App::start().await;
    let st = &app.server.state;
    let other = admin::create_merchant(&st.store, &st.cfg, "Shop B")
        .await
        .unwrap();
    let cookie = merchant_user(&app).await;
    let ours = api(
        &app,
        &app.key,
        "/v1/customers",
        &[("email", "kim@example.com")],
    )
    .await;
    let theirs = api(
        &app,
        &other.secret_key,
        "/v1/customers",
        &[("email", "lee@example.com")],
    )
    .await;
    let (s, page, _) = app.get("/dashboard/customers", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(ours["id"].as_str().unwrap()) && page.contains("kim@example.com"));
    assert!(!page.contains(theirs["id"].as_str().unwrap()) && !page.contains("lee@example.com"));
    // Nobody listens on port 9: the delivery fails and is recorded as an attempt.
    let hook = [
        ("url", "http://127.0.0.1:9/hook"),
        ("enabled_events[]", "*"),
    ];
    let ep = api(&app, &app.key, "/v1/webhook_endpoints", &hook).await;
    let theirs_ep = api(&app, &other.secret_key, "/v1/webhook_endpoints", &hook).await;
    let ep_id = ep["id"].as_str().unwrap();
    let pi = app.pay(&app.key, "15000", &[]).await;
    assert_eq!(pi["status"], "succeeded");
    let (s, balance, _) = app.get("/dashboard/balance", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        balance.contains("charge") && !balance.contains(&other.id),
        "{balance}"
    );
    let action = format!("/dashboard/webhooks/{ep_id}/resend");
    let page = attempts_page(&app, &cookie, &action, 1).await;
    assert!(page.contains(ep_id) && !page.contains(theirs_ep["id"].as_str().unwrap()));
    assert!(
        !page.contains("whsec_"),
        "the signing secret is never shown"
    );
    let event = field_of(&page, &action, "event");
    let form = [
        ("csrf", field_of(&page, &action, "csrf")),
        (
            "idempotency_key",
            field_of(&page, &action, "idempotency_key"),
        ),
        ("event", event.clone()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post(&action, &cookie, &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    attempts_page(&app, &cookie, &action, 2).await;
    // Another merchant's endpoint: the same 404 as an unknown one; no valid CSRF: 403.
    let theirs_action = format!(
        "/dashboard/webhooks/{}/resend",
        theirs_ep["id"].as_str().unwrap()
    );
    assert_eq!(
        app.post(&theirs_action, &cookie, &form).await.status(),
        StatusCode::NOT_FOUND
    );
    let forged = [("csrf", "x"), ("event", event.as_str())];
    assert_eq!(
        app.post(&action, &cookie, &forged).await.status(),
        StatusCode::FORBIDDEN
    );
    let log = audit::entries(&st.store).await.unwrap();
    let resent = log
        .iter()
        .filter(|e| e.record.action == "webhook_resend")
        .count();
    assert_eq!(resent, 1, "one resend went through and is audited");
}

/// The webhooks page once it lists at least `n` attempts (the delivery worker runs beside the
/// test); each attempt row carries one resend form.
async fn attempts_page(app: &App, cookie: &str, action: &str, n: usize) -> String {
    let mut page = String::new();
    for _ in 0..100 {
        page = app.get("/dashboard/webhooks", cookie).await.1;
        if page.matches(&format!("action=\"{action}\"")).count() >= n {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} attempts listed: {page}");
}

#[tokio::test]
async fn api_keys_are_rolled_and_revoked_from_the_page_and_audited() {
    let app = App::start().await;
    let st = &app.server.state;
    let other = admin::create_merchant(&st.store, &st.cfg, "Shop B")
        .await
        .unwrap();
    let cookie = merchant_user(&app).await;
    let keys = admin::list_keys(&st.store, &app.merchant).await.unwrap();
    let sk = keys.iter().find(|k| k.kind == "secret").unwrap().id.clone();
    let (s, page, _) = app.get("/dashboard/api_keys", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&sk) && !page.contains(&other.secret_key_id));
    assert!(
        !page.contains(&app.key),
        "a key is never shown after its creation"
    );
    let action = format!("/dashboard/api_keys/{sk}/roll");
    let csrf = field_of(&page, &action, "csrf");
    let r = app.post(&action, &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let answer = r.text().await.unwrap();
    let at = answer.find("id=\"new-key\"").expect("the new key is shown");
    let tail = &answer[at..];
    let v = tail.find("value=\"").unwrap() + 7;
    let new_key = tail[v..].split('"').next().unwrap().to_string();
    assert!(new_key.starts_with("sk_test_") && new_key != app.key);
    let balance = |key: String| {
        let http = app.http.clone();
        let url = format!("{}/v1/balance", app.base);
        async move {
            http.get(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(balance(app.key.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(balance(new_key.clone()).await, StatusCode::OK);
    let log = audit::entries(&st.store).await.unwrap();
    let roll = log
        .iter()
        .find(|e| e.record.action == "api_key_roll")
        .expect("audited");
    assert_eq!(roll.record.target, sk);
    assert!(
        !roll.record.detail.contains(&new_key),
        "the audit log holds ids, not keys"
    );
    // Another merchant's key: 404. Revoking the new one: the API refuses it.
    let theirs = format!("/dashboard/api_keys/{}/revoke", other.secret_key_id);
    assert_eq!(
        app.post(&theirs, &cookie, &[("csrf", &csrf)])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(balance(other.secret_key.clone()).await, StatusCode::OK);
    let new_id = &roll.record.detail;
    let revoke = format!("/dashboard/api_keys/{new_id}/revoke");
    assert_eq!(
        app.post(&revoke, &cookie, &[("csrf", &csrf)])
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(balance(new_key).await, StatusCode::UNAUTHORIZED);
}

/// A CSV export over HTTP: its status, its body's bytes as text (BOM kept) and headers.
async fn export(app: &App, cookie: &str, path: &str) -> (StatusCode, String, String) {
    let r = app
        .http
        .get(format!("{}{path}", app.base))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .expect("request");
    let status = r.status();
    let kind = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = r.bytes().await.expect("body");
    (
        status,
        String::from_utf8(bytes.to_vec()).expect("UTF-8"),
        kind,
    )
}

#[tokio::test]
async fn every_list_exports_as_csv_with_its_filters_tenancy_escaping_and_an_audit_entry() {
    let app = App::start().await;
    let st = &app.server.state;
    let other = admin::create_merchant(&st.store, &st.cfg, "Shop B")
        .await
        .unwrap();
    let cookie = merchant_user(&app).await;
    let evil = "=HYPERLINK(\"http://evil.example\",\"김민수\")";
    let ours = api(&app, &app.key, "/v1/customers", &[("name", evil)]).await;
    let theirs = api(&app, &other.secret_key, "/v1/customers", &[("name", "Lee")]).await;
    let hook = [
        ("url", "http://127.0.0.1:9/hook"),
        ("enabled_events[]", "*"),
    ];
    let ep = api(&app, &app.key, "/v1/webhook_endpoints", &hook).await;
    let small = app.pay(&app.key, "12000", &[]).await;
    let large = app.pay(&app.key, "15000", &[]).await;
    let session = [
        ("mode", "payment"),
        ("success_url", "https://shop.example/done"),
        ("line_items[0][price_data][currency]", "krw"),
        ("line_items[0][price_data][unit_amount]", "5000"),
        ("line_items[0][price_data][product_data][name]", "Tea"),
        ("line_items[0][quantity]", "1"),
    ];
    let cs = api(&app, &app.key, "/v1/checkout/sessions", &session).await;
    // The page links its export with its own query string.
    let (_, page, _) = app.get("/dashboard/customers?mode=test", &cookie).await;
    assert!(page.contains("href=\"/dashboard/export/customers?mode=test\""));

    let (s, csv, kind) = export(&app, &cookie, "/dashboard/export/customers").await;
    assert_eq!(
        (s, kind.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    assert!(
        csv.starts_with("\u{feff}id,merchant,email,name,created\r\n"),
        "{csv}"
    );
    let id = ours["id"].as_str().unwrap();
    let escaped = "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"김민수\"\")\"";
    assert!(
        csv.contains(&format!("{id},{},,{escaped},", app.merchant)),
        "{csv}"
    );
    assert!(!csv.contains(theirs["id"].as_str().unwrap()) && !csv.contains("Lee"));
    let (_, live, _) = export(&app, &cookie, "/dashboard/export/customers?mode=live").await;
    assert_eq!(live, "\u{feff}id,merchant,email,name,created\r\n");

    // Payments: the page's search applies; the first address redirects to the export.
    let (_, csv, _) = export(&app, &cookie, "/dashboard/export/payments?q=12000").await;
    let small_id = small["id"].as_str().unwrap();
    assert!(csv.contains(&format!(
        "{small_id},{},12000,krw,succeeded,card,4242,",
        app.merchant
    )));
    assert!(!csv.contains(large["id"].as_str().unwrap()));
    let (s, _, h) = app.get("/dashboard/payments.csv?q=12000", &cookie).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h["location"], "/dashboard/export/payments?q=12000");

    let (_, csv, _) = export(&app, &cookie, "/dashboard/export/balance_transactions").await;
    assert!(csv.starts_with("\u{feff}id,merchant,type,amount,fee,net,currency,status,created\r\n"));
    assert!(
        csv.contains(",charge,15000,") && csv.contains(",charge,12000,"),
        "{csv}"
    );
    assert!(!csv.contains(&other.id));
    let (_, csv, _) = export(&app, &cookie, "/dashboard/export/checkout_sessions").await;
    let cs_id = cs["id"].as_str().unwrap();
    assert!(
        csv.contains(&format!("{cs_id},{},5000,krw,open,unpaid,", app.merchant)),
        "{csv}"
    );
    let (_, csv, _) = export(&app, &cookie, "/dashboard/export/webhook_endpoints").await;
    assert!(csv.contains(ep["id"].as_str().unwrap()) && !csv.contains("whsec_"));
    let (_, csv, _) = export(&app, &cookie, "/dashboard/export/webhook_deliveries").await;
    assert!(csv.starts_with("\u{feff}event,endpoint,attempt,status_code,error,created\r\n"));
    let (_, csv, _) = export(&app, &cookie, "/dashboard/export/api_keys").await;
    assert!(
        csv.contains(",secret,test,sk_test_") && !csv.contains(&app.key),
        "{csv}"
    );
    assert!(!csv.contains(&other.secret_key_id));
    let (_, csv, _) = export(&app, &cookie, "/dashboard/export/payouts").await;
    assert_eq!(
        csv,
        "\u{feff}id,merchant,amount,currency,status,created\r\n"
    );

    assert_eq!(
        export(&app, &cookie, "/dashboard/export/users").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        export(&app, "", "/dashboard/export/customers").await.0,
        StatusCode::SEE_OTHER,
        "no session, no export"
    );
    let log = audit::entries(&st.store).await.unwrap();
    let exports: Vec<_> = log
        .iter()
        .filter(|e| e.record.action == "export_csv")
        .map(|e| (e.record.target.as_str(), e.record.merchant.as_str()))
        .collect();
    assert_eq!(exports.len(), 9, "one entry per export");
    assert!(exports.contains(&("customers", app.merchant.as_str())));
    assert!(exports.contains(&("api_keys", app.merchant.as_str())));

    // An operator's export holds every merchant's rows.
    let secret = app.user("ops@example.com", users::Role::Operator).await;
    let ops = app.login("ops@example.com", &secret).await;
    let (_, csv, _) = export(&app, &ops, "/dashboard/export/customers").await;
    assert!(csv.contains(id) && csv.contains(theirs["id"].as_str().unwrap()));
}
