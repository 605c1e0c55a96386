//! The one way the dashboard acts on a merchant's objects: a request to the gateway's own API
//! handler (the same validation, idempotency, engine phases, ledger postings and events as
//! `POST /v1/…`) with the user acting as that merchant, and the handler's JSON answer read
//! back. The caller's key id is `dashboard:<user id>`, so the gateway's logs tell the two apart.

use crate::web::Viewer;
use axum::http::Method;
use axum::response::Response;
use paygate_gateway::auth::Caller;
use paygate_gateway::http::Req;
use paygate_gateway::params::Params;
use paygate_gateway::state::SharedState;
use serde_json::{Map, Value};

/// A request to the API as `merchant_id` (in `livemode`), or `None` for no such merchant.
pub async fn as_merchant(
    st: &SharedState,
    v: &Viewer,
    merchant_id: &str,
    livemode: bool,
    (method, path): (Method, String),
    params: Map<String, Value>,
    idempotency_key: Option<&String>,
) -> Result<Option<Req>, String> {
    let Some(merchant) = st
        .store
        .get_merchant(merchant_id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    Ok(Some(Req {
        request_id: paygate_gateway::ids::new_id("req"),
        caller: Caller {
            key_id: format!("dashboard:{}", v.user.id),
            merchant,
            livemode,
            secret: true,
        },
        params: Params::from_map(params),
        idempotency_key: idempotency_key
            .filter(|k| !k.is_empty() && k.len() <= 255)
            .cloned(),
        method,
        path,
    }))
}

/// The handler's answer: `Ok(object)` on success, `Err(message)` with the API error's message.
pub async fn answer(resp: Response) -> Result<Value, String> {
    let ok = resp.status().is_success();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if ok {
        Ok(v)
    } else {
        Err(v["error"]["message"]
            .as_str()
            .unwrap_or("error")
            .chars()
            .take(300)
            .collect())
    }
}
