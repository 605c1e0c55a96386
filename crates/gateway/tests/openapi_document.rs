//! The OpenAPI document: generated from the route table, checked in at `docs/openapi.json`
//! (regenerate with `cargo run -p paygate -- openapi > docs/openapi.json`), served at
//! `/openapi.json` and rendered at `/docs`.

mod support;

use paygate_gateway::api::openapi::document;
use paygate_gateway::api::openapi_params::{FormKeys, nested};
use paygate_gateway::api::operations::{OPERATIONS, Operation, Returns};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::TestApp;

/// Flattening a nested parameter schema into Stripe's bracketed form keys.
#[test]
fn nested_objects_lists_and_maps_become_bracketed_keys() {
    let schema = json!({"type": "object", "required": ["amount", "shipping"], "properties": {
        "amount": {"type": "integer"},
        "shipping": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"},
            "address": {"type": ["object", "null"], "required": ["line1"],
                "properties": {"line1": {"type": "string"}}}}},
        "expand": {"type": ["array", "null"], "items": {"type": "string"}},
        "items": {"type": "array", "items": {"type": "object",
            "properties": {"price": {"type": "string"}}}},
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
    }});
    let keys = FormKeys::of(&schema);
    let names: Vec<&str> = keys.properties.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "amount",
            "expand[]",
            "items[0][price]",
            "shipping[address][line1]",
            "shipping[name]"
        ]
    );
    assert_eq!(keys.required, ["amount", "shipping[name]"]);
    assert_eq!(keys.properties["expand[]"]["type"], "array");
    assert!(keys.patterns.contains_key("^metadata\\[[^\\[\\]]+\\]$"));
}

const CHECKED_IN: &str = include_str!("../../../docs/openapi.json");

#[test]
fn checked_in_document_matches_the_code() {
    if std::env::var("PAYGATE_BLESS_OPENAPI").as_deref() == Ok("1") {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        std::fs::write(path, format!("{:#}\n", document())).unwrap();
        return;
    }
    let checked_in: Value = serde_json::from_str(CHECKED_IN).expect("docs/openapi.json is JSON");
    assert!(
        checked_in == document(),
        "docs/openapi.json drifted from the code: regenerate it with \
         `cargo run -p paygate -- openapi > docs/openapi.json` (or run this test with \
         PAYGATE_BLESS_OPENAPI=1)"
    );
}

#[test]
fn every_operation_is_in_the_document_once_with_its_responses() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ids = std::collections::HashSet::new();
    for op in OPERATIONS {
        let o = &doc["paths"][op.path][op.method.to_lowercase()];
        assert_eq!(
            o["operationId"], op.operation_id,
            "{} {}",
            op.method, op.path
        );
        assert!(ids.insert(op.operation_id), "duplicate {}", op.operation_id);
        assert!(o["responses"]["200"].is_object(), "{}", op.operation_id);
        assert!(o["responses"]["4XX"].is_object(), "{}", op.operation_id);
        if op.path.contains("{id}") {
            assert_eq!(o["parameters"][0]["in"], "path", "{}", op.operation_id);
        }
    }
    let counted: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(counted, OPERATIONS.len());
}

#[tokio::test]
async fn the_document_is_served_without_a_key_and_every_operation_routes() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(r.json::<Value>().await.unwrap() == document());
    let page = app
        .client
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    // Every documented operation is routed: without a key each answers 401 (or, for the
    // health endpoints, a health report), never the router's 404 or 405.
    for op in OPERATIONS {
        assert!(
            html.contains(&format!("id=\"{}\"", op.operation_id)),
            "{}",
            op.operation_id
        );
        let path = op.path.replace("{id}", "x_1");
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap();
        let r = app
            .client
            .request(method, format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(
            matches!(status, 200 | 401 | 503),
            "{} {}: {status} (not routed?)",
            op.method,
            op.path
        );
    }
    // An undocumented route is not served.
    let r = app
        .client
        .get(format!("{}/v1/nope", app.base))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// Sends `op` with `pairs` (query for GET/DELETE, form body for POST); the error code and
/// param of the answer, if it is an error.
async fn call(app: &TestApp, op: &Operation, pairs: &[(String, String)]) -> (u16, Value) {
    let path = op
        .path
        .replace("{id}", "x_missing_1")
        .replace("{account_number}", "000000000000");
    let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap();
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let req = if op.method == "POST" {
        app.client
            .request(method, format!("{}{path}", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encoded)
    } else {
        app.client
            .request(method, format!("{}{path}?{encoded}", app.base))
    };
    let req = req.bearer_auth(&app.key);
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json::<Value>().await.unwrap_or(Value::Null))
}

fn unknown_param(body: &Value) -> Option<&str> {
    (body["error"]["code"] == "parameter_unknown")
        .then(|| body["error"]["param"].as_str())
        .flatten()
}

/// The operations whose answer to an undeclared parameter (against a missing object) is
/// another error: the health checks and the test-mode GET helpers read no parameters; the
/// others check something first (the object exists, `mode` is given, the test clock is on).
const NOT_REFUSING_FIRST: &[&str] = &[
    "GetHealthz",
    "GetReadyz",
    "PostSetupIntentsId",
    "PostSetupIntentsIdConfirm",
    "PostSetupIntentsIdCancel",
    "PostCustomersId",
    "PostCheckoutSessions",
    "GetTestHelpersFaults",
    "GetTestHelpersSmsMessages",
    "GetTestHelpersTestClock",
    "PostTestHelpersTestClockAdvance",
];

/// The documented parameters are the parsers': every key an operation's schema declares is
/// accepted by its handler (never `parameter_unknown`), and a key it does not declare is
/// refused by name (`parameter_unknown`, as Stripe answers) by every operation that reads
/// parameters before loading its object.
#[tokio::test]
async fn openapi_params_match_the_parsers() {
    let app = TestApp::spawn().await;
    let mut refused_undeclared = 0;
    let mut not_refusing = Vec::new();
    for op in OPERATIONS {
        let keys = FormKeys::of(&nested(op.params));
        let mut declared: Vec<(String, String)> = keys
            .properties
            .keys()
            .map(|k| (k.clone(), String::new()))
            .collect();
        if keys
            .patterns
            .keys()
            .any(|p| p == "^metadata\\[[^\\[\\]]+\\]$")
        {
            declared.push(("metadata[order]".into(), "42".into()));
        }
        // `payment_method_data` is taken only with `confirm=true` where `confirm` is a
        // parameter (SetupIntent create): each key is sent with it there.
        let confirm = keys.properties.contains_key("confirm");
        for pair in declared {
            let mut pairs = vec![pair.clone()];
            if confirm && pair.0 != "confirm" {
                pairs.push(("confirm".into(), "true".into()));
            }
            let (status, body) = call(&app, op, &pairs).await;
            let health = matches!(op.returns, Returns::Health);
            assert!(
                status < 500 || health,
                "{} {}: {body}",
                op.operation_id,
                pair.0
            );
            assert_eq!(
                unknown_param(&body),
                None,
                "{} refuses its declared parameter {}: {body}",
                op.operation_id,
                pair.0
            );
        }
        let undeclared = [("zz_undeclared".to_string(), "1".to_string())];
        let (_, body) = call(&app, op, &undeclared).await;
        match unknown_param(&body) {
            Some(p) => {
                assert_eq!(p, "zz_undeclared", "{}", op.operation_id);
                refused_undeclared += 1;
            }
            None => not_refusing.push(op.operation_id),
        }
    }
    assert_eq!(
        not_refusing,
        NOT_REFUSING_FIRST,
        "{refused_undeclared} of {} operations refused an undeclared parameter",
        OPERATIONS.len()
    );
}

/// The part of the `/docs` page that documents the operation `id` (its `<article>`).
fn article<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<article id=\"{id}\""))
        .unwrap_or_else(|| panic!("no article for {id}"));
    let len = html[start..].find("</article>").expect("article ends");
    &html[start..start + len]
}

/// `/docs` shows, per operation and from the same document, its parameters, its request
/// body's fields with type, required, limits and description, and its responses.
#[tokio::test]
async fn the_docs_page_shows_every_operations_parameters_body_and_responses() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script"), "no JavaScript");
    assert!(
        html.contains("<a class=\"skip\" href=\"#main\">") && html.contains("<main id=\"main\">")
    );
    let doc = document();
    let mut ids = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap();
            let part = article(&html, id);
            ids += 1;
            // Every documented response status is on the page.
            for status in op["responses"].as_object().unwrap().keys() {
                assert!(
                    part.contains(&format!("<th scope=\"row\">{status}</th>")),
                    "{id}: response {status}"
                );
            }
            // Every parameter and body field is a row.
            let body = &op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"];
            let fields = body["properties"].as_object().into_iter().flatten();
            let params = op["parameters"].as_array().into_iter().flatten();
            let names = fields
                .map(|(k, _)| k.as_str())
                .chain(params.map(|p| p["name"].as_str().unwrap()));
            for name in names {
                let escaped = name.replace('&', "&amp;").replace('<', "&lt;");
                assert!(
                    part.contains(&format!("<th scope=\"row\"><code>{escaped}</code></th>")),
                    "{id}: {name}"
                );
            }
        }
    }
    assert_eq!(ids, OPERATIONS.len());

    let create = article(&html, "PostPaymentIntents");
    assert!(create.contains("<code>POST</code> <code>/v1/payment_intents</code>"));
    assert!(
        create.contains(
            "<th scope=\"row\"><code>amount</code></th><td>integer</td><td>required</td>\
             <td>at least 30; at most 99999999</td><td>Minor units of `currency`"
        ),
        "{create}"
    );
    assert!(
        create.contains(
            "<th scope=\"row\"><code>currency</code></th><td>string</td><td>required</td>"
        )
    );
    assert!(create.contains(
        "<th scope=\"row\"><code>capture_method</code></th><td>string</td><td>optional</td>\
         <td>one of: automatic, automatic_async, manual</td>"
    ));
    assert!(create.contains(
        "<th scope=\"row\"><code>Idempotency-Key</code></th><td>header</td><td>string</td>\
         <td>optional</td><td>at most 255 characters</td>"
    ));
    assert!(create.contains("<th scope=\"row\">200</th><td>Success.</td><td>payment_intent"));
    assert!(create.contains("<th scope=\"row\">4XX</th>"));
    let list = article(&html, "GetPaymentIntents");
    assert!(list.contains("<td>list of payment_intent (application/json)</td>"));
    assert!(list.contains("<th scope=\"row\"><code>limit</code></th><td>query</td>"));
    let retrieve = article(&html, "GetPaymentIntentsId");
    assert!(retrieve.contains(
        "<th scope=\"row\"><code>id</code></th><td>path</td><td>string</td><td>required</td>\
         <td>not empty</td><td>The object&#39;s id.</td>"
    ));
}
