//! The OpenAPI document: generated from the route table, checked in at `docs/openapi.json`
//! (regenerate with `cargo run -p paygate -- openapi > docs/openapi.json`), served at
//! `/openapi.json` and rendered at `/docs`.

mod support;

use paygate_gateway::api::openapi::document;
use paygate_gateway::api::operations::OPERATIONS;
use reqwest::StatusCode;
use serde_json::Value;
use support::TestApp;

const CHECKED_IN: &str = include_str!("../../../docs/openapi.json");

#[test]
fn checked_in_document_matches_the_code() {
    let checked_in: Value = serde_json::from_str(CHECKED_IN).expect("docs/openapi.json is JSON");
    assert!(
        checked_in == document(),
        "docs/openapi.json drifted from the code: regenerate it with \
         `cargo run -p paygate -- openapi > docs/openapi.json`"
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
