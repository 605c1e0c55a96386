//! `GET /v1/test_helpers/sms_messages?phone=010…` (test mode, secret key): the text messages
//! paygate (간편결제 codes) or the mobile carrier (휴대폰 소액결제 codes) sent to `phone` for
//! flows of the caller's own intents, newest first —
//! `{"object":"list","data":[{"phone","body","created"}]}`. Another merchant's messages to
//! the same phone are never listed (the flow records of [`crate::easy_pay_pages`] and
//! [`crate::mobile_carrier_pages`] are in the merchant's scope, tagged with the number's keyed
//! hash, and name the SMS ids sent for them).

use crate::easy_pay::Phone;
use crate::easy_pay_pages::SESSION_KIND;
use crate::error::{ApiError, ApiResult};
use crate::http::{Req, error_response, json_response};
use crate::state::SharedState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use paygate_store::ListQuery;
use serde_json::{Value, json};
use std::collections::HashSet;

/// `GET /v1/test_helpers/sms_messages`.
pub async fn list(State(st): State<SharedState>, req: Req) -> Response {
    match run(&st, &req).await {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(e) => error_response(e),
    }
}

async fn run(st: &SharedState, req: &Req) -> ApiResult<Value> {
    if !req.caller.secret || req.caller.livemode {
        return Err(ApiError::forbidden(
            "Test helpers take a test-mode secret key (sk_test_…).",
        ));
    }
    let raw = req
        .params
        .root()
        .get("phone")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if raw.is_empty() {
        return Err(ApiError::missing("phone"));
    }
    let phone = Phone::parse(&raw).ok_or_else(|| {
        ApiError::bad_param("phone", "must be a Korean mobile number like 01012345678")
    })?;
    let sms = st
        .sms
        .as_ref()
        .ok_or_else(|| ApiError::bad_param("phone", "No SMS gateway is configured (sms_url)."))?;
    let scope = paygate_store::Scope {
        merchant_id: req.caller.merchant.id.clone(),
        livemode: false,
    };
    let mut ids = HashSet::new();
    for kind in [SESSION_KIND, crate::mobile_carrier_pages::SESSION_KIND] {
        let mut q = ListQuery::new(kind, 100);
        q.tag = Some(phone.key(&st.vault));
        let page = st.store.list_objects(&scope, &q).await?;
        ids.extend(
            page.data
                .iter()
                .flat_map(|r| r.data["sms_ids"].as_array().cloned().unwrap_or_default())
                .filter_map(|v| v.as_str().map(str::to_string)),
        );
    }
    let data: Vec<Value> = sms
        .inbox(phone.digits())
        .await?
        .into_iter()
        .filter(|m| m["id"].as_str().is_some_and(|id| ids.contains(id)))
        .map(|m| json!({"phone": m["phone"], "body": m["body"], "created": m["created_ms"].as_i64().map(|ms| ms / 1000)}))
        .collect();
    Ok(
        json!({"object": "list", "data": data, "has_more": false, "url": "/v1/test_helpers/sms_messages"}),
    )
}

/// The parameters [`list`] reads, declared for the OpenAPI document.
#[allow(dead_code)] // read through `JsonSchema` only
#[derive(schemars::JsonSchema)]
pub struct SmsQuery {
    /// A Korean mobile number like 01012345678.
    phone: crate::params::typed::Text<5000>,
}
