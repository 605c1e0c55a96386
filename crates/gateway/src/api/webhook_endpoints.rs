//! `/v1/webhook_endpoints`: create (returns the `whsec_` secret once; it is stored sealed by
//! the vault), retrieve, update, delete, list; and a manual resend of one event to one endpoint.

use crate::api::load;
use crate::api::payment_intents::merge_metadata_doc;
use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, get, post};
use crate::ids::{new_id, random_base62};
use crate::records::{insert, update as update_op};
use crate::render::{expand_param, list_envelope, list_query, public};
use crate::state::SharedState;
use crate::webhooks::{check_url, secret};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use paygate_store::{Op, WriteUnit};
use serde_json::{Value, json};

/// Most event types one endpoint may name.
const MAX_ENABLED_EVENTS: usize = 256;

fn enabled_events(ctx: &mut Ctx, required: bool) -> ApiResult<Option<Vec<String>>> {
    let present = ctx.params.root().contains_key("enabled_events");
    let list = ctx.params.str_list("enabled_events")?;
    if !present {
        return if required {
            Err(ApiError::missing("enabled_events"))
        } else {
            Ok(None)
        };
    }
    if list.is_empty() || list.len() > MAX_ENABLED_EVENTS {
        return Err(ApiError::bad_param(
            "enabled_events",
            format!("give between 1 and {MAX_ENABLED_EVENTS} event types (or '*')."),
        ));
    }
    if let Some(bad) = list.iter().find(|e| e.as_str() != "*" && !e.contains('.')) {
        return Err(ApiError::bad_param(
            "enabled_events",
            format!("'{bad}' is not an event type."),
        ));
    }
    Ok(Some(list))
}

pub async fn create(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let url = ctx.params.req_str("url")?;
        let allow_private = ctx.st.cfg.webhooks_allow_private;
        check_url(
            &ctx.st.webhook_dns,
            &url,
            ctx.caller.livemode,
            allow_private,
        )
        .await?;
        let events = enabled_events(&mut ctx, true)?.unwrap_or_default();
        let description = ctx.params.str("description")?;
        let metadata = ctx.params.metadata()?.unwrap_or_default();
        let api_version = ctx.params.str("api_version")?;
        ctx.params.allow(&["connect", "expand"]);
        ctx.params.deny_unknown()?;
        let scope = ctx.scope();
        let id = new_id("we");
        let doc = json!({
            "id": id,
            "object": "webhook_endpoint",
            "api_version": api_version,
            "application": null,
            "created": ctx.now,
            "description": description,
            "enabled_events": events,
            "livemode": scope.livemode,
            "metadata": metadata,
            "status": "enabled",
            "url": url,
        });
        // The secret is shown in this answer only; what is stored (the endpoint, and the
        // answer kept for an idempotent replay) holds it sealed or not at all.
        let clear = format!("whsec_{}", random_base62(32));
        let mut stored = doc.clone();
        secret::seal_into(&ctx.st.vault, &id, &clear, &mut stored)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let mut unit = WriteUnit {
            ops: vec![insert(&scope, "webhook_endpoint", None, &stored, ctx.now)],
        };
        ctx.finish(&mut unit, StatusCode::OK, &doc);
        ctx.commit(unit).await?;
        let mut shown = doc;
        shown["secret"] = json!(clear);
        Ok(shown)
    })
    .await
}

/// The secret is shown only by create; later reads omit it.
fn without_secret(v: Value) -> Value {
    let mut v = public(v);
    secret::strip(&mut v);
    v
}

pub async fn retrieve(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    get(req, |caller, p| async move {
        p.deny_unknown()?;
        let row = st
            .store
            .get_object(&caller.scope(), &id)
            .await?
            .filter(|r| r.kind == "webhook_endpoint")
            .ok_or_else(|| ApiError::not_found("webhook_endpoint", &id, "id"))?;
        Ok(without_secret(row.data))
    })
    .await
}

pub async fn update(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let row = load(&ctx, &id, "webhook_endpoint", "id").await?;
        if row.data.get("deleted").is_some() {
            return Err(ApiError::not_found("webhook_endpoint", &id, "id"));
        }
        let mut doc = row.data.clone();
        secret::seal_legacy(&ctx.st.vault, &id, &mut doc)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if let Some(url) = ctx.params.str("url")? {
            let allow_private = ctx.st.cfg.webhooks_allow_private;
            check_url(
                &ctx.st.webhook_dns,
                &url,
                ctx.caller.livemode,
                allow_private,
            )
            .await?;
            doc["url"] = json!(url);
        }
        if let Some(ev) = enabled_events(&mut ctx, false)? {
            doc["enabled_events"] = json!(ev);
        }
        if let Some(disabled) = ctx.params.bool("disabled")? {
            doc["status"] = json!(if disabled { "disabled" } else { "enabled" });
        }
        if let Some(d) = ctx.params.str("description")? {
            doc["description"] = json!(d);
        }
        if let Some(m) = ctx.params.metadata()? {
            merge_metadata_doc(&mut doc, m);
        }
        ctx.params.deny_unknown()?;
        let unit = WriteUnit {
            ops: vec![update_op(&id, row.version, &doc)],
        };
        ctx.commit_ok(unit, without_secret(doc)).await
    })
    .await
}

/// Deleting disables delivery for good and leaves a tombstone.
pub async fn delete(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |ctx: Ctx| async move {
        let row = load(&ctx, &id, "webhook_endpoint", "id").await?;
        ctx.params.deny_unknown()?;
        let mut doc = row.data.clone();
        doc["status"] = json!("disabled");
        doc["deleted"] = json!(true);
        let unit = WriteUnit {
            ops: vec![update_op(&id, row.version, &doc)],
        };
        ctx.commit_ok(
            unit,
            json!({"id": id, "object": "webhook_endpoint", "deleted": true}),
        )
        .await
    })
    .await
}

pub async fn list(State(st): State<SharedState>, req: Req) -> Response {
    get(req, |caller, mut p| async move {
        let expands = expand_param(&mut p)?;
        let q = list_query(&mut p, "webhook_endpoint")?;
        p.deny_unknown()?;
        let mut page = st.store.list_objects(&caller.scope(), &q).await?;
        page.data.retain(|r| r.data.get("deleted").is_none());
        for r in &mut page.data {
            secret::strip(&mut r.data);
        }
        list_envelope(&st, &caller, "/v1/webhook_endpoints", page, &expands).await
    })
    .await
}

/// paygate extension: `POST /v1/webhook_endpoints/{id}/resend` with `event=evt_…` queues one
/// more delivery of that event to that endpoint now.
pub async fn resend(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let event_id = ctx.params.req_str("event")?;
        ctx.params.deny_unknown()?;
        load(&ctx, &id, "webhook_endpoint", "id").await?;
        load(&ctx, &event_id, "event", "event").await?;
        let scope = ctx.scope();
        let unit = WriteUnit {
            ops: vec![Op::EnqueueDelivery {
                event_id: event_id.clone(),
                endpoint_id: id.clone(),
                merchant_id: scope.merchant_id.clone(),
                livemode: scope.livemode,
                next_attempt_at: ctx.now,
            }],
        };
        ctx.commit_ok(unit, json!({"object": "webhook_resend", "event": event_id, "webhook_endpoint": id, "queued": true}))
            .await
    })
    .await
}
