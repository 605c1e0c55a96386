//! The OpenAPI 3.1 document of the merchant API, built from the route table
//! (`api::operations`) and the parsers' parameter structs (`api::openapi_params`), served at
//! `GET /openapi.json` and rendered from that same value as a server-side HTML page at
//! `GET /docs` (`api::docs_page`: no JavaScript, nothing fetched from the network). The checked-in copy
//! `docs/openapi.json` is regenerated with `paygate openapi > docs/openapi.json`; a test fails
//! when it drifts from what the code produces.

use crate::api::openapi_params::{FormKeys, nested};
use crate::api::operations::{KINDS, Kind, OPERATIONS, Operation, Returns};
use crate::state::SharedState;
use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

/// `/openapi.json` and `/docs` (public: no key needed to read the contract).
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/openapi.json", get(serve_document))
        .route("/docs", get(serve_docs))
}

async fn serve_document() -> Response {
    let body = format!("{:#}", document());
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn serve_docs() -> Html<String> {
    Html(crate::api::docs_page::render(&document()))
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let item = paths.entry(op.path).or_insert_with(|| json!({}));
        item[op.method.to_lowercase()] = operation(op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "paygate API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Stripe-compatible merchant API of paygate. Requests are form-encoded \
                (bracket notation for nested parameters); responses are JSON. Authenticate with \
                a secret key as a bearer token (or as the basic-auth user name). Every POST \
                accepts an Idempotency-Key header.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"basicAuth": []}],
        "paths": paths,
        "components": components(),
    })
}

/// The `{name}` segments of `path`, in order.
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

fn operation(op: &Operation) -> Value {
    let mut params = Vec::new();
    for name in path_parameters(op.path) {
        let description = if name == "id" {
            "The object's id."
        } else {
            "A path segment."
        };
        params.push(json!({"name": name, "in": "path", "required": true,
            "description": description, "schema": {"type": "string", "minLength": 1}}));
    }
    let keys = FormKeys::of(&nested(op.params));
    if op.method != "POST" {
        params.extend(keys.query_parameters());
    }
    if op.method == "POST" {
        params.push(
            json!({"name": "Idempotency-Key", "in": "header", "required": false,
            "description": "Makes the request safe to retry: a retry with the same key and \
                parameters returns the first response; other parameters are refused.",
            "schema": {"type": "string", "maxLength": 255}}),
        );
    }
    let mut o = json!({
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [tag(op.path)],
        "parameters": params,
        "responses": responses(op),
    });
    if op.method == "POST" {
        o["requestBody"] = json!({"required": !keys.required.is_empty(), "content": {
            "application/x-www-form-urlencoded": {"schema": keys.body_schema()}}});
    }
    if op.path.starts_with("/healthz") || op.path.starts_with("/readyz") {
        o["security"] = json!([]);
    }
    o
}

/// The tag of a path: its first segment after `/v1/` (`payment_intents`), or `operations`.
fn tag(path: &str) -> &str {
    path.strip_prefix("/v1/")
        .and_then(|p| p.split('/').next())
        .unwrap_or("operations")
}

fn responses(op: &Operation) -> Value {
    let returns = op.returns;
    let ok = match returns {
        Returns::Object(k) => schema_ref(k.name),
        Returns::List(item) => list_schema(item),
        Returns::Health => json!({"type": "object"}),
    };
    let mut r = json!({
        "200": {"description": "Success.", "content": {"application/json": {"schema": ok}}},
        "4XX": {"description": "A Stripe-shaped error naming the parameter and the rule.",
            "content": {"application/json": {"schema": schema_ref("error")}}},
    });
    if op.method != "POST" {
        // hyper refuses an overlong request line or head before the API sees it (a long
        // enough query reaches that): an empty 414 or 431, not the API's JSON error.
        r["414"] = json!({"description": "URI too long: the HTTP server refuses a request \
            line over 64 KiB before the API sees it (no body)."});
        r["431"] = json!({"description": "Request head too large: refused by the HTTP \
            server before the API sees it (no body)."});
    }
    if matches!(returns, Returns::Health) {
        r["503"] = json!({"description": "Not ready.",
            "content": {"application/json": {"schema": {"type": "object"}}}});
    }
    r
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn list_schema(item: Option<Kind>) -> Value {
    let item = item.map_or_else(|| json!({"type": "object"}), |k| schema_ref(k.name));
    json!({
        "type": "object",
        "required": ["object", "data", "has_more", "url"],
        "properties": {
            "object": {"const": "list"},
            "data": {"type": "array", "items": item},
            "has_more": {"type": "boolean"},
            "url": {"type": "string"},
        },
    })
}

fn components() -> Value {
    let mut schemas = Map::new();
    for k in KINDS {
        let mut required = vec!["object"];
        let mut props = json!({"object": {"const": k.name}});
        if k.has_id {
            required.push("id");
            props["id"] = json!({"type": "string"});
        }
        schemas.insert(
            k.name.to_string(),
            json!({"type": "object", "required": required, "properties": props}),
        );
    }
    schemas.insert("error".into(), error_schema());
    json!({
        "schemas": schemas,
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "basicAuth": {"type": "http", "scheme": "basic"},
        },
    })
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {
                "type": {"enum": ["api_error", "card_error", "idempotency_error",
                    "invalid_request_error", "rate_limit_error"]},
                "message": {"type": "string"},
                "code": {"type": "string"},
                "decline_code": {"type": "string"},
                "param": {"type": "string"},
            },
        }},
    })
}
