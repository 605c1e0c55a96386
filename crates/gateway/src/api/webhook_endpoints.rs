//! `/v1/webhook_endpoints`: create (returns the `whsec_` secret once; it is stored sealed by
//! the vault), retrieve, update, delete, list; and a manual resend of one event to one endpoint.

use crate::api::payment_intents::merge_metadata_doc;
use crate::api::{ExpandOnly, NoParams, is_deleted, load};
use crate::error::{ApiError, ApiResult};
use crate::http::{Ctx, Req, get, post};
use crate::ids::{new_id, random_base62};
use crate::params::typed::{Expand, Flag, Id, List, Metadata, Text};
use crate::records::{insert, update as update_op};
use crate::render::{NoFilters, list_envelope, list_request, public};
use crate::state::SharedState;
use crate::webhooks::{check_url, secret};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use paygate_store::ListFilter;
use paygate_store::{Op, WriteUnit};
use serde::Deserialize;
use serde_json::{Value, json};

/// Most event types one endpoint may name.
const MAX_ENABLED_EVENTS: usize = 256;

/// `POST /v1/webhook_endpoints`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateParams {
    url: Option<Text<5000>>,
    enabled_events: Option<List>,
    description: Option<Text<5000>>,
    metadata: Option<Metadata>,
    api_version: Option<Text<5000>>,
    /// Nothing in an endpoint expands; accepted as Stripe does.
    #[serde(rename = "expand")]
    _expand: Option<Expand>,
}

/// `POST /v1/webhook_endpoints/{id}`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateParams {
    url: Option<Text<5000>>,
    enabled_events: Option<List>,
    description: Option<Text<5000>>,
    metadata: Option<Metadata>,
    disabled: Option<Flag>,
    /// Nothing in an endpoint expands; accepted as Stripe does.
    #[serde(rename = "expand")]
    _expand: Option<Expand>,
}

/// Checks `enabled_events`: 1 to 256 event types (`type.name`) or `*`.
fn check_events(list: Vec<String>) -> ApiResult<Vec<String>> {
    if list.is_empty() || list.len() > MAX_ENABLED_EVENTS {
        return Err(ApiError::bad_param(
            "enabled_events",
            format!("give between 1 and {MAX_ENABLED_EVENTS} event types (or '*')."),
        ));
    }
    if let Some((i, bad)) = list
        .iter()
        .enumerate()
        .find(|(_, e)| e.as_str() != "*" && !e.contains('.'))
    {
        return Err(ApiError::bad_param(
            &format!("enabled_events[{i}]"),
            format!("'{}' is not an event type.", crate::error::echo(bad)),
        ));
    }
    Ok(list)
}

pub async fn create(State(st): State<SharedState>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let p: CreateParams = ctx.params.typed()?;
        let url = p
            .url
            .and_then(Text::non_empty)
            .ok_or_else(|| ApiError::missing("url"))?;
        check_url(
            &ctx.st.webhook_dns,
            &url,
            ctx.caller.livemode,
            ctx.st.cfg.webhooks_allow_private,
        )
        .await?;
        let events = check_events(
            p.enabled_events
                .ok_or_else(|| ApiError::missing("enabled_events"))?
                .0,
        )?;
        let description = p.description.and_then(Text::non_empty);
        let metadata = p.metadata.unwrap_or_default().0;
        let api_version = p.api_version.and_then(Text::non_empty);
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
    get(req, |caller, mut p| async move {
        p.typed::<ExpandOnly>()?;
        let row = st
            .store
            .get_object(&caller.scope(), &id)
            .await?
            .filter(|r| r.kind == "webhook_endpoint" && !is_deleted(&r.data))
            .ok_or_else(|| ApiError::not_found("webhook_endpoint", &id, "id"))?;
        Ok(without_secret(row.data))
    })
    .await
}

pub async fn update(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        let p: UpdateParams = ctx.params.typed()?;
        let row = load(&ctx, &id, "webhook_endpoint", "id").await?;
        let mut doc = row.data.clone();
        secret::seal_legacy(&ctx.st.vault, &id, &mut doc)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if let Some(url) = p.url {
            check_url(
                &ctx.st.webhook_dns,
                &url.0,
                ctx.caller.livemode,
                ctx.st.cfg.webhooks_allow_private,
            )
            .await?;
            doc["url"] = json!(url.0);
        }
        if let Some(ev) = p.enabled_events {
            doc["enabled_events"] = json!(check_events(ev.0)?);
        }
        if let Some(disabled) = p.disabled {
            doc["status"] = json!(if disabled.0 { "disabled" } else { "enabled" });
        }
        if let Some(d) = p.description {
            doc["description"] = json!(d.non_empty());
        }
        if let Some(m) = p.metadata {
            merge_metadata_doc(&mut doc, m.0);
        }
        let unit = WriteUnit {
            ops: vec![update_op(&id, row.version, &doc)],
        };
        ctx.commit_ok(unit, without_secret(doc)).await
    })
    .await
}

/// Deleting disables delivery for good and leaves a tombstone.
pub async fn delete(State(st): State<SharedState>, Path(id): Path<String>, req: Req) -> Response {
    post(st, req, |mut ctx: Ctx| async move {
        ctx.params.typed::<NoParams>()?;
        let row = load(&ctx, &id, "webhook_endpoint", "id").await?;
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
        let mut r = list_request::<NoFilters>(&mut p, "webhook_endpoint")?;
        r.query.filters.push(ListFilter::FieldAbsent("deleted"));
        let expands = r.expand;
        let mut page = st.store.list_objects(&caller.scope(), &r.query).await?;
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
        let event_id = ctx.params.typed::<ResendParams>()?.event.0;
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

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResendParams {
    event: Id,
}
