//! `/v1/events`: retrieve, list (filter by `type`), and the delivery attempts of an event.

use crate::api::NoParams;
use crate::api::refunds::retrieve_kind;
use crate::error::ApiError;
use crate::http::{Req, get};
use crate::params::typed::{Flag, List, Text};
use crate::render::{list_envelope, list_request};
use crate::state::SharedState;
use axum::extract::{Path, State};
use axum::response::Response;
use paygate_store::ListFilter;
use serde::Deserialize;
use serde_json::{Value, json};

/// Most attempts listed at once.
const MAX_ATTEMPTS_LISTED: usize = 100;

pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    retrieve_kind(st, id, req, "event").await
}

pub async fn list(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let mut r = list_request::<EventFilters>(&mut p, "event")?;
        let f = r.filters;
        if f.r#type.is_some() && f.types.is_some() {
            return Err(ApiError::invalid(
                "types",
                "parameter_invalid",
                "You may only specify one of these parameters: type, types.",
            ));
        }
        if let Some(t) = f.r#type {
            r.query.filters.push(type_filter(&t.0));
        }
        if let Some(types) = f.types {
            if types.0.len() > MAX_TYPES {
                return Err(ApiError::bad_param(
                    "types",
                    format!("at most {MAX_TYPES} event types."),
                ));
            }
            r.query.filters.push(ListFilter::TagIn(types.0));
        }
        if let Some(ok) = f.delivery_success {
            r.query.filters.push(ListFilter::DeliverySuccess(ok.0));
        }
        let page = st.store.list_objects(&caller.scope(), &r.query).await?;
        list_envelope(&st, &caller, "/v1/events", page, &r.expand).await
    })
    .await
}

/// Most event types in one `types[]` filter.
const MAX_TYPES: usize = 20;

/// `GET /v1/events` filters, as Stripe's: `type` (one type, or a pattern ending in `*`
/// such as `charge.*`), `types[]` (exact types) and `delivery_success`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventFilters {
    r#type: Option<Text<5000>>,
    types: Option<List>,
    delivery_success: Option<Flag>,
}

/// `charge.*` matches every type starting with `charge.`; anything else matches exactly.
fn type_filter(t: &str) -> ListFilter {
    match t.strip_suffix('*') {
        Some(prefix) => ListFilter::TagPrefix(prefix.to_string()),
        None => ListFilter::TagIn(vec![t.to_string()]),
    }
}

/// paygate extension: every delivery attempt of an event, newest first.
pub async fn attempts(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        p.typed::<NoParams>()?;
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
