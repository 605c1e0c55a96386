//! The dashboard over HTTP on a real gateway (port 0, fresh database, its own card network
//! simulator, a `ManualClock`): login with password + TOTP, session fixation, CSRF refused,
//! lockout, idle timeout, tenancy (another merchant's payment is a 404), metadata rendered
//! inert, search, CSV, a refund from the UI (ledger + events), and the audit chain.

mod support;

use paygate_dashboard::{audit, totp, users};
use paygate_gateway::admin;
use paygate_payments::Clock;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::Value;
use support::*;

#[tokio::test]
async fn login_with_totp_rotates_the_session_and_is_audited() {
    let app = App::start().await;
    let secret = app.user("ops@paygate.example", users::Role::Operator).await;
    let r = app
        .password("ops@paygate.example", "wrong password!!")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A session cookie planted before the login (fixation) is not the logged-in one.
    let r = app.password("ops@paygate.example", PASSWORD).await;
    let pending = format!(
        "pgdash_session={}",
        set_cookie(r.headers(), "pgdash_session").unwrap()
    );
    let (s, _, h) = app.get("/dashboard/payments", &pending).await;
    assert_eq!(
        (s, &h[LOCATION]),
        (StatusCode::SEE_OTHER, &"/dashboard/login".parse().unwrap())
    );
    let cookie = app.login("ops@paygate.example", &secret).await;
    let (s, html, h) = app.get("/dashboard/payments", &cookie).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<html lang=\"en\""));
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'nonce-"),
        "{csp}"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    // The same TOTP code again is refused (a code is good once).
    let r = app.password("ops@paygate.example", PASSWORD).await;
    let c = format!(
        "pgdash_session={}",
        set_cookie(r.headers(), "pgdash_session").unwrap()
    );
    let (_, html, _) = app.get("/dashboard/login/totp", &c).await;
    let code = totp::code_at(&secret, totp::step_of(app.clock.now()));
    let r = app
        .post(
            "/dashboard/login/totp",
            &c,
            &[("csrf", &csrf(&html)), ("code", &code)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Logout ends the session.
    let (_, html, _) = app.get("/dashboard/payments", &cookie).await;
    let r = app
        .post("/dashboard/logout", &cookie, &[("csrf", &csrf(&html))])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, _, _) = app.get("/dashboard/payments", &cookie).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let store = &app.server.state.store;
    let entries = audit::entries(store).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.record.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "login_failed",
            "login_password_ok",
            "login_password_ok",
            "login",
            "login_password_ok",
            "login_failed",
            "logout"
        ]
    );
    assert_eq!(audit::verify(store).await.unwrap().broken, None);
    assert!(
        entries.iter().all(|e| e.record.ip.starts_with("127.0.0.1")),
        "{entries:?}"
    );
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = App::start().await;
    let secret = app
        .user(
            "a@shop.example",
            users::Role::Merchant {
                merchant: app.merchant.clone(),
            },
        )
        .await;
    let (pre, _) = app.login_form().await;
    let r = app
        .post(
            "/dashboard/login",
            &format!("pgdash_login={pre}"),
            &[
                ("csrf", "1.forged"),
                ("email", "a@shop.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let cookie = app.login("a@shop.example", &secret).await;
    let pi = app.pay(&app.key, "15000", &[]).await;
    let id = pi["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/dashboard/payments/{id}/refund"),
            &cookie,
            &[
                ("csrf", "9999999999.AAAA"),
                ("amount", "15000"),
                ("idempotency_key", "k1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let refunds: Value = app
        .http
        .get(format!("{}/v1/refunds", app.base))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(refunds["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn ten_failures_lock_for_thirty_minutes_and_idle_sessions_end() {
    let app = App::start().await;
    let secret = app.user("b@shop.example", users::Role::Operator).await;
    for i in 0..9 {
        let r = app.password("b@shop.example", "not the password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "try {i}");
    }
    let r = app.password("b@shop.example", "not the password").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("locked for 30 minutes"));
    let r = app.password("b@shop.example", PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "the right password while locked"
    );
    app.clock.advance(users::LOCK_S);
    let cookie = app.login("b@shop.example", &secret).await;
    app.clock.advance(14 * 60);
    assert_eq!(
        app.get("/dashboard/payments", &cookie).await.0,
        StatusCode::OK
    );
    app.clock.advance(15 * 60);
    let (s, _, h) = app.get("/dashboard/payments", &cookie).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[LOCATION], "/dashboard/login");
}

#[tokio::test]
async fn a_merchant_sees_only_its_payments_and_refunds_from_the_ui() {
    let app = App::start().await;
    let st = &app.server.state;
    let other = admin::create_merchant(&st.store, &st.cfg, "Shop B")
        .await
        .unwrap();
    let secret = app
        .user(
            "c@shop.example",
            users::Role::Merchant {
                merchant: app.merchant.clone(),
            },
        )
        .await;
    let cookie = app.login("c@shop.example", &secret).await;
    let theirs = app.pay(&other.secret_key, "5000", &[]).await;
    let ours = app
        .pay(
            &app.key,
            "12000",
            &[
                ("metadata[note]", "<script>alert(1)</script>"),
                ("description", "<img src=x onerror=alert(2)>"),
            ],
        )
        .await;
    let ours_id = ours["id"].as_str().unwrap();
    let theirs_id = theirs["id"].as_str().unwrap();
    // Another merchant's payment: the same 404 as an unknown id, and not in the list.
    assert_eq!(
        app.get(&format!("/dashboard/payments/{theirs_id}"), &cookie)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/dashboard/payments/pi_unknown", &cookie).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, list, _) = app.get("/dashboard/payments", &cookie).await;
    assert!(list.contains(ours_id) && !list.contains(theirs_id));
    // Search: status, last4, amount, and a date range that excludes it.
    let (_, hit, _) = app
        .get(
            "/dashboard/payments?status=succeeded&last4=4242&q=12000",
            &cookie,
        )
        .await;
    assert!(hit.contains(ours_id));
    let (_, miss, _) = app.get("/dashboard/payments?last4=0000", &cookie).await;
    assert!(!miss.contains(ours_id));
    let (_, miss, _) = app.get("/dashboard/payments?to=2020-01-01", &cookie).await;
    assert!(!miss.contains(ours_id));
    let (s, csv, h) = app
        .get("/dashboard/export/payments?status=succeeded", &cookie)
        .await;
    assert_eq!(
        (s, h["content-type"].to_str().unwrap()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    assert!(
        csv.trim_start_matches('\u{feff}')
            .starts_with("id,merchant,amount")
            && csv.contains(&format!(
                "{ours_id},{},12000,krw,succeeded,card,4242",
                app.merchant
            ))
    );
    // Metadata and description are text, not markup.
    let (s, detail, _) = app
        .get(&format!("/dashboard/payments/{ours_id}"), &cookie)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!detail.contains("<script>alert") && !detail.contains("<img src=x"));
    assert!(detail.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && detail.contains("4242"));
    assert!(!detail.contains("4242424242424242"));
    // Refund from the UI: confirmation, then the form (CSRF + idempotency key).
    let (_, confirm, _) = app
        .get(&format!("/dashboard/payments/{ours_id}/refund"), &cookie)
        .await;
    let key_at = confirm.find("name=\"idempotency_key\" value=\"").unwrap() + 30;
    let idem = confirm[key_at..].split('"').next().unwrap().to_string();
    let form = [
        ("csrf", csrf(&confirm)),
        ("amount", "5000".into()),
        ("idempotency_key", idem),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app
        .post(
            &format!("/dashboard/payments/{ours_id}/refund"),
            &cookie,
            &form,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The same confirmation again (double submit) replays: still one refund.
    let r = app
        .post(
            &format!("/dashboard/payments/{ours_id}/refund"),
            &cookie,
            &form,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let refunds: Value = app
        .http
        .get(format!("{}/v1/refunds", app.base))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = refunds["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(
        (data[0]["amount"].as_i64(), data[0]["status"].as_str()),
        (Some(5000), Some("succeeded"))
    );
    let (_, detail, _) = app
        .get(&format!("/dashboard/payments/{ours_id}"), &cookie)
        .await;
    assert!(detail.contains(data[0]["id"].as_str().unwrap()) && detail.contains("charge.refunded"));
    // The ledger balances and the refund is in the audit log with who and what.
    assert!(st.store.ledger_verify().await.unwrap().problems.is_empty());
    let entries = audit::entries(&st.store).await.unwrap();
    let refund = entries
        .iter()
        .find(|e| e.record.action == "refund")
        .expect("audited");
    assert_eq!(
        (refund.record.target.as_str(), refund.record.email.as_str()),
        (ours_id, "c@shop.example")
    );
    // An action on another merchant's payment is a 404 too.
    let r = app
        .post(
            &format!("/dashboard/payments/{theirs_id}/refund"),
            &cookie,
            &form,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
