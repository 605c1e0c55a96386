//! Every object kind paygate serves conforms to Stripe's published OpenAPI schema
//! (`tests/data/stripe-openapi/schemas.json`, a subset of stripe/openapi's spec3, MIT).
//!
//! The check is a small hand-written validator of what the schema states: `required` fields,
//! JSON types, `nullable`, `enum`, `anyOf` and `$ref`; extra fields are allowed. A full JSON
//! Schema crate (`jsonschema`) would bring a regex engine, an HTTP client for remote `$ref`s
//! and dozens of crates for these few rules, and OpenAPI 3.0's `nullable` is not JSON Schema.

mod support;

use paygate_gateway::settlement;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;
use support::{TestApp, VISA};

const SCHEMAS: &str = include_str!("data/stripe-openapi/schemas.json");

struct Checker {
    schemas: Value,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            schemas: serde_json::from_str(SCHEMAS).expect("schemas.json"),
        }
    }

    /// Problems of `v` against the component schema `name`, each with its JSON path.
    fn check(&self, name: &str, v: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        self.walk(&self.schemas[name], v, name, &mut problems);
        problems
    }

    fn walk(&self, schema: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
        if let Some(name) = schema.get("$ref").and_then(Value::as_str) {
            return self.walk(&self.schemas[name], v, path, out);
        }
        if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
            let fits = branches.iter().any(|b| {
                let mut p = Vec::new();
                self.walk(b, v, path, &mut p);
                p.is_empty()
            });
            let null_ok = v.is_null() && nullable(schema);
            if !(fits || null_ok) {
                out.push(format!("{path}: {} fits none of anyOf", short(v)));
            }
            return;
        }
        if v.is_null() {
            if !nullable(schema) && schema.as_object().is_some_and(|o| !o.is_empty()) {
                out.push(format!("{path}: null, but the schema does not allow null"));
            }
            return;
        }
        let ty = schema.get("type").and_then(Value::as_str);
        let type_ok = match ty {
            None => true,
            Some("object") => v.is_object(),
            Some("array") => v.is_array(),
            Some("string") => v.is_string(),
            Some("integer") => v.is_i64() || v.is_u64(),
            Some("number") => v.is_number(),
            Some("boolean") => v.is_boolean(),
            Some(other) => panic!("unknown schema type {other}"),
        };
        if !type_ok {
            out.push(format!("{path}: {} is not {}", short(v), ty.unwrap_or("?")));
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(v)
        {
            out.push(format!("{path}: {} is not one of {allowed:?}", short(v)));
        }
        if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
            for (i, item) in arr.iter().enumerate() {
                self.walk(items, item, &format!("{path}[{i}]"), out);
            }
        }
        let Some(obj) = v.as_object() else { return };
        for req in schema["required"].as_array().into_iter().flatten() {
            let key = req.as_str().unwrap();
            if !obj.contains_key(key) {
                out.push(format!("{path}.{key}: required, missing"));
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (key, sub) in props {
                if let Some(x) = obj.get(key) {
                    self.walk(sub, x, &format!("{path}.{key}"), out);
                }
            }
        }
    }

    /// Checks an object by its own `object` field (and, for events, the object they carry).
    fn check_object(&self, v: &Value, problems: &mut Vec<String>, kinds: &mut BTreeSet<String>) {
        let kind = match v["object"].as_str() {
            Some("customer") if v["deleted"] == true => "deleted_customer",
            Some(k) => k,
            None => panic!("no object field: {v}"),
        };
        assert!(
            self.schemas.get(kind).is_some(),
            "no schema kept for {kind}"
        );
        kinds.insert(kind.to_string());
        problems.extend(self.check(kind, v));
        if kind == "event" {
            self.check_object(&v["data"]["object"], problems, kinds);
        }
        if kind == "list" {
            for item in v["data"].as_array().unwrap() {
                self.check_object(item, problems, kinds);
            }
        }
    }
}

fn nullable(schema: &Value) -> bool {
    schema.get("nullable") == Some(&Value::Bool(true))
}

fn short(v: &Value) -> String {
    v.to_string().chars().take(60).collect()
}

async fn ok(app: &TestApp, r: (StatusCode, Value)) -> Value {
    let _ = app;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    r.1
}

#[tokio::test]
async fn every_object_kind_paygate_serves_fits_stripes_schema() {
    let app = TestApp::spawn().await;
    let checker = Checker::new();
    let mut served: Vec<Value> = Vec::new();
    // Payments, a refund, a customer with a saved card, an endpoint.
    let cus = ok(
        &app,
        app.post(
            "/v1/customers",
            &[("email", "kim@example.com"), ("address[city]", "Seoul")],
        )
        .await,
    )
    .await;
    let cus_id = cus["id"].as_str().unwrap().to_string();
    let pm = ok(
        &app,
        app.post(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", VISA),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
            ],
        )
        .await,
    )
    .await;
    let pm_id = pm["id"].as_str().unwrap().to_string();
    served.push(
        ok(
            &app,
            app.post(
                &format!("/v1/payment_methods/{pm_id}/attach"),
                &[("customer", &cus_id)],
            )
            .await,
        )
        .await,
    );
    let pi = ok(
        &app,
        app.pay(VISA, 30_000, &[("metadata[order]", "1")]).await,
    )
    .await;
    let held = ok(
        &app,
        app.pay(VISA, 20_000, &[("capture_method", "manual")]).await,
    )
    .await;
    let open = ok(
        &app,
        app.post(
            "/v1/payment_intents",
            &[("amount", "5000"), ("currency", "usd")],
        )
        .await,
    )
    .await;
    let re = ok(
        &app,
        app.post(
            "/v1/refunds",
            &[
                ("payment_intent", pi["id"].as_str().unwrap()),
                ("amount", "1000"),
            ],
        )
        .await,
    )
    .await;
    let ch = ok(
        &app,
        app.get(&format!(
            "/v1/charges/{}",
            pi["latest_charge"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    let we = ok(
        &app,
        app.post(
            "/v1/webhook_endpoints",
            &[
                ("url", "https://example.com/hooks"),
                ("enabled_events[]", "*"),
            ],
        )
        .await,
    )
    .await;
    // Money that settles can be paid out.
    let now = app.server.state.now();
    let today = paygate_payments::clock::day_plus(now, 0);
    settlement::settle(&app.server.state.store, today + 30 * 86_400, now)
        .await
        .unwrap();
    let po = ok(
        &app,
        app.post("/v1/payouts", &[("amount", "1000"), ("currency", "krw")])
            .await,
    )
    .await;
    let gone = ok(&app, app.post("/v1/customers", &[("name", "gone")]).await).await;
    let deleted = app
        .client
        .delete(format!(
            "{}/v1/customers/{}",
            app.base,
            gone["id"].as_str().unwrap()
        ))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    served.extend([cus, pm, pi, held, open, re, ch, we, po, deleted]);
    served.push(ok(&app, app.get("/v1/balance").await).await);
    for list in [
        "/v1/payment_intents",
        "/v1/charges",
        "/v1/refunds",
        "/v1/customers",
        &format!("/v1/payment_methods?customer={cus_id}"),
        "/v1/events?limit=100",
        "/v1/webhook_endpoints",
        "/v1/balance_transactions",
        "/v1/payouts",
    ] {
        served.push(ok(&app, app.get(list).await).await);
    }
    let mut problems = Vec::new();
    let mut kinds = BTreeSet::new();
    for v in &served {
        checker.check_object(v, &mut problems, &mut kinds);
    }
    for kind in [
        "payment_intent",
        "charge",
        "refund",
        "customer",
        "deleted_customer",
        "payment_method",
        "event",
        "webhook_endpoint",
        "balance",
        "balance_transaction",
        "payout",
        "list",
    ] {
        assert!(kinds.contains(kind), "{kind} was not checked");
    }
    // Errors: a bad parameter, a card decline, a missing key.
    let (s, e) = app.post("/v1/payment_intents", &[("amount", "x")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    problems.extend(checker.check("error", &e));
    let (s, e) = app.pay("4000000000000002", 5000, &[]).await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
    problems.extend(checker.check("error", &e));
    let r = app
        .client
        .get(format!("{}/v1/customers", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    problems.extend(checker.check("error", &r.json::<Value>().await.unwrap()));
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_checker_finds_what_stripe_would_refuse() {
    let checker = Checker::new();
    let charge = serde_json::json!({"id": "ch_1", "object": "charge", "amount": 1, "amount_captured": 1,
        "amount_refunded": 0, "captured": true, "created": 1, "currency": "krw", "livemode": false,
        "metadata": {}, "paid": true, "refunded": false, "status": "succeeded"});
    let problems = checker.check("charge", &charge);
    assert!(
        problems.iter().any(|p| p.contains("billing_details")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("disputed")),
        "{problems:?}"
    );
    let refund = serde_json::json!({"id": "re_1", "object": "refund", "amount": 1, "created": 1,
        "currency": "krw", "failure_reason": null});
    assert!(
        !checker.check("refund", &refund).is_empty(),
        "failure_reason is not nullable"
    );
    let err = serde_json::json!({"error": {"type": "authentication_error", "message": "x"}});
    assert!(
        !checker.check("error", &err).is_empty(),
        "not one of Stripe's error types"
    );
}
