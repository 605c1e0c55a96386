//! List filters as Stripe applies them, each checked against what it must keep and leave
//! out; unknown list parameters are refused by name.

mod support;

use reqwest::StatusCode;
use serde_json::Value;
use support::TestApp;

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|o| o["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn ok(app: &TestApp, path: &str) -> Value {
    let (s, v) = app.get(path).await;
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
    v
}

async fn customer(app: &TestApp, email: &str) -> String {
    let (s, c) = app.post("/v1/customers", &[("email", email)]).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    c["id"].as_str().unwrap().to_string()
}

async fn pay_for(app: &TestApp, customer: Option<&str>) -> Value {
    let mut form = vec![
        ("amount", "5000"),
        ("currency", "krw"),
        ("confirm", "true"),
        ("payment_method", "pm_card_visa"),
    ];
    if let Some(c) = customer {
        form.push(("customer", c));
    }
    let (s, pi) = app.post("/v1/payment_intents", &form).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    pi
}

#[tokio::test]
async fn customers_filter_by_email_and_leave_deleted_ones_out() {
    let app = TestApp::spawn().await;
    let kim = customer(&app, "kim@example.com").await;
    let lee = customer(&app, "lee@example.com").await;
    let gone = customer(&app, "kim@example.com").await;
    let (s, _) = app
        .client
        .delete(format!("{}/v1/customers/{gone}", app.base))
        .bearer_auth(&app.key)
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(s, StatusCode::OK);
    let v = ok(&app, "/v1/customers?email=kim@example.com").await;
    assert_eq!(ids(&v), vec![kim.clone()]);
    let v = ok(&app, "/v1/customers").await;
    assert_eq!(ids(&v), vec![lee, kim], "the deleted customer is left out");
    let v = ok(&app, "/v1/customers?email=nobody@example.com").await;
    assert!(ids(&v).is_empty());
}

#[tokio::test]
async fn charges_filter_by_customer_and_payment_intent() {
    let app = TestApp::spawn().await;
    let kim = customer(&app, "kim@example.com").await;
    let a = pay_for(&app, Some(&kim)).await;
    let b = pay_for(&app, None).await;
    let v = ok(&app, &format!("/v1/charges?customer={kim}")).await;
    assert_eq!(ids(&v), vec![a["latest_charge"].as_str().unwrap()]);
    let v = ok(
        &app,
        &format!("/v1/charges?payment_intent={}", b["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(ids(&v), vec![b["latest_charge"].as_str().unwrap()]);
    let v = ok(&app, "/v1/charges").await;
    assert_eq!(ids(&v).len(), 2);
}

#[tokio::test]
async fn balance_transactions_filter_by_type_currency_source_and_refuse_manual_payouts() {
    let app = TestApp::spawn().await;
    let pi = pay_for(&app, None).await;
    let (s, re) = app
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", pi["id"].as_str().unwrap()),
                ("amount", "1000"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{re}");
    let (s, usd) = app
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "1500"),
                ("currency", "usd"),
                ("confirm", "true"),
                ("payment_method", "pm_card_visa"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{usd}");
    let all = ok(&app, "/v1/balance_transactions").await;
    assert_eq!(ids(&all).len(), 3, "{all}");
    let refunds = ok(&app, "/v1/balance_transactions?type=refund").await;
    assert_eq!(
        ids(&refunds),
        vec![re["balance_transaction"].as_str().unwrap()]
    );
    let usd_txns = ok(&app, "/v1/balance_transactions?currency=USD").await;
    assert_eq!(usd_txns["data"].as_array().unwrap().len(), 1);
    assert_eq!(usd_txns["data"][0]["currency"], "usd");
    let by_source = ok(
        &app,
        &format!(
            "/v1/balance_transactions?source={}",
            re["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(ids(&by_source), ids(&refunds));
    let (s, e) = app.get("/v1/balance_transactions?payout=po_nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(e["error"]["param"], "payout");
}

#[tokio::test]
async fn payouts_filter_by_status() {
    let app = TestApp::spawn().await;
    let v = ok(&app, "/v1/payouts?status=paid").await;
    assert!(ids(&v).is_empty());
    let (s, e) = app.get("/v1/payouts?status=lost").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "status");
}

#[tokio::test]
async fn events_filter_by_type_wildcard_types_and_delivery_success() {
    let app = TestApp::spawn().await;
    pay_for(&app, None).await;
    customer(&app, "kim@example.com").await;
    let types = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_string())
            .collect()
    };
    let all = ok(&app, "/v1/events").await;
    assert!(types(&all).len() >= 4, "{all}");
    let v = ok(&app, "/v1/events?type=charge.succeeded").await;
    assert_eq!(types(&v), vec!["charge.succeeded"]);
    let v = ok(&app, "/v1/events?type=charge.*").await;
    assert!(!types(&v).is_empty());
    assert!(types(&v).iter().all(|t| t.starts_with("charge.")), "{v}");
    let v = ok(&app, "/v1/events?type=payment_intent.*").await;
    let mut got = types(&v);
    got.sort();
    assert_eq!(
        got,
        vec!["payment_intent.created", "payment_intent.succeeded"]
    );
    let v = ok(
        &app,
        "/v1/events?types[]=customer.created&types[]=charge.succeeded",
    )
    .await;
    let mut got = types(&v);
    got.sort();
    assert_eq!(got, vec!["charge.succeeded", "customer.created"]);
    // No endpoint: nothing is waiting for delivery, so every event counts as delivered.
    let v = ok(&app, "/v1/events?delivery_success=true").await;
    assert_eq!(ids(&v).len(), ids(&all).len());
    let v = ok(&app, "/v1/events?delivery_success=false").await;
    assert!(ids(&v).is_empty(), "{v}");
    let (s, e) = app.get("/v1/events?type=a.b&types[]=c.d").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
}

#[tokio::test]
async fn unknown_list_parameters_are_refused_by_name() {
    let app = TestApp::spawn().await;
    for (path, param) in [
        ("/v1/customers?emial=x@y.co", "emial"),
        ("/v1/charges?custmer=cus_1", "custmer"),
        ("/v1/events?typ=charge.succeeded", "typ"),
        ("/v1/payouts?arrival_date=1", "arrival_date"),
        ("/v1/balance_transactions?kind=refund", "kind"),
        ("/v1/refunds?status=succeeded", "status"),
        ("/v1/payment_intents?limit=5&bogus[x]=1", "bogus"),
        ("/v1/webhook_endpoints?created[around]=5", "created[around]"),
    ] {
        let (s, e) = app.get(path).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {e}");
        assert_eq!(e["error"]["code"], "parameter_unknown", "{path}: {e}");
        assert_eq!(e["error"]["param"], param, "{path}: {e}");
    }
    let (s, e) = app.get("/v1/customers?limit=abc").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["param"], "limit");
}
