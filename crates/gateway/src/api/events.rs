//! `/v1/events`: retrieve, list (filter by `type`), and the delivery attempts of an event.

use crate::api::refunds::retrieve_kind;
use crate::error::ApiError;
use crate::http::{Req, get};
use crate::render::{expand_param, list_envelope, list_query};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

/// Most attempts listed at once.
const MAX_ATTEMPTS_LISTED: usize = 100;

pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    retrieve_kind(st, id, req, "event").await
}

pub async fn list(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let expands = expand_param(&mut p)?;
        let mut q = list_query(&mut p, "event")?;
        q.tag = p.str("type")?;
        p.allow(&["delivery_success", "types"]);
        p.deny_unknown()?;
        let page = st.store.list_objects(&caller.scope(), &q).await?;
        list_envelope(&st, &caller, "/v1/events", page, &expands).await
    })
    .await
}

/// paygate extension: every delivery attempt of an event, newest first.
pub async fn attempts(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    get(req, |caller, p| async move {
        p.deny_unknown()?;
        let scope = caller.scope();
        st.store
            .get_object(&scope, &id)
            .await?
            .filter(|r| r.kind == "event")
            .ok_or_else(|| ApiError::not_found("event", &id, "id"))?;
        let rows = st
            .store
            .list_delivery_attempts(&scope, Some(&id), None, MAX_ATTEMPTS_LISTED)
            .await?;
        let data: Vec<Value> = rows
            .into_iter()
            .map(|a| {
                json!({
                    "object": "webhook_delivery_attempt",
                    "event": a.event_id,
                    "webhook_endpoint": a.endpoint_id,
                    "attempt": a.attempt_no,
                    "created": a.at,
                    "status_code": a.status_code,
                    "error": a.error,
                    "duration_ms": a.duration_ms,
                })
            })
            .collect();
        Ok(json!({"object": "list", "data": data, "has_more": false, "url": format!("/v1/events/{id}/delivery_attempts")}))
    })
    .await
}
