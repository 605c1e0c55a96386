//! `/dashboard/webhooks`: the viewer's merchants' webhook endpoints (URL, status, event types;
//! never the signing secret) each with its newest delivery attempts, and a resend form per
//! attempt that queues one more delivery of that event through the gateway's
//! `POST /v1/webhook_endpoints/{id}/resend` handler (CSRF, idempotency key, audited).

use crate::api_call;
use crate::audit::{self, Record};
use crate::catalog::T;
use crate::layout;
use crate::payments::when;
use crate::tables::{self, s};
use crate::web::{self, Viewer};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use paygate_gateway::state::SharedState;
use paygate_payer_pages::html::Html;
use paygate_store::{ObjectRow, Scope};
use serde_json::{Map, Value};

/// Attempts shown per endpoint.
const ATTEMPTS_SHOWN: usize = 20;

/// `GET /dashboard/webhooks`.
pub async fn list(
    State(st): State<SharedState>,
    peer: web::Peer,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let v = match web::viewer(&st, &headers, raw.as_deref(), peer.0.as_ref()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let q = web::query(raw.as_deref());
    let note = q.contains_key("resent").then_some(Ok(()));
    page(&st, &v, tables::livemode(&q), note, StatusCode::OK).await
}

async fn page(
    st: &SharedState,
    v: &Viewer,
    live: bool,
    note: Option<Result<(), String>>,
    status: StatusCode,
) -> Response {
    let endpoints = match tables::objects(st, &v.user.role, "webhook_endpoint", live).await {
        Ok(e) => e,
        Err(e) => return web::server_error(v.locale, &e),
    };
    let c = v.chrome();
    let mut h = Html::new();
    match note {
        Some(Ok(())) => layout::notice(&mut h, c.t(T::Resent), false),
        Some(Err(e)) => layout::notice(&mut h, &format!("{}: {e}", c.t(T::Failed)), true),
        None => {}
    }
    if endpoints.is_empty() {
        tables::table(&mut h, v.locale, &[], &[]);
    }
    for ep in &endpoints {
        if let Err(e) = endpoint(st, v, ep, &mut h).await {
            return web::server_error(v.locale, &e);
        }
    }
    layout::page(&c, status, c.t(T::Webhooks), h)
}

async fn endpoint(
    st: &SharedState,
    v: &Viewer,
    ep: &ObjectRow,
    h: &mut Html,
) -> Result<(), String> {
    let t = |k: T| k.text(v.locale);
    let events: Vec<&str> = ep.data["enabled_events"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    h.raw("<h2>").text(&s(&ep.data, "url")).raw("</h2><dl><dt>");
    h.text(t(T::Id))
        .raw("</dt><dd><code>")
        .text(&ep.id)
        .raw("</code></dd><dt>");
    h.text(t(T::Merchant))
        .raw("</dt><dd>")
        .text(&ep.merchant_id)
        .raw("</dd><dt>");
    h.text(t(T::Status))
        .raw("</dt><dd>")
        .text(&s(&ep.data, "status"))
        .raw("</dd><dt>");
    h.text(t(T::EventTypes))
        .raw("</dt><dd>")
        .text(&events.join(", "))
        .raw("</dd></dl>");
    let scope = Scope {
        merchant_id: ep.merchant_id.clone(),
        livemode: ep.livemode,
    };
    let attempts = st
        .store
        .list_delivery_attempts(&scope, None, Some(&ep.id), ATTEMPTS_SHOWN)
        .await
        .map_err(|e| e.to_string())?;
    h.raw("<h3>").text(t(T::Attempts)).raw("</h3>");
    if attempts.is_empty() {
        h.raw("<p>").text(t(T::NoneYet)).raw("</p>");
        return Ok(());
    }
    h.raw("<table><thead><tr>");
    for col in [
        T::Event,
        T::Attempt,
        T::StatusCode,
        T::Error,
        T::Created,
        T::Resend,
    ] {
        h.raw("<th scope=\"col\">").text(t(col)).raw("</th>");
    }
    h.raw("</tr></thead><tbody>");
    for a in &attempts {
        let code = a.status_code.map(|c| c.to_string()).unwrap_or_default();
        h.raw("<tr><td><code>")
            .text(&a.event_id)
            .raw("</code></td><td>");
        h.text(&a.attempt_no.to_string())
            .raw("</td><td>")
            .text(&code)
            .raw("</td><td>");
        h.text(a.error.as_deref().unwrap_or_default())
            .raw("</td><td>");
        h.text(&when(a.at)).raw("</td><td>");
        resend_form(h, v, &ep.id, &a.event_id);
        h.raw("</td></tr>");
    }
    h.raw("</tbody></table>");
    Ok(())
}

fn resend_form(h: &mut Html, v: &Viewer, endpoint: &str, event: &str) {
    h.raw("<form method=\"post\"")
        .attr("action", &format!("/dashboard/webhooks/{endpoint}/resend"))
        .raw("><input type=\"hidden\" name=\"csrf\"")
        .attr("value", &v.csrf)
        .raw("><input type=\"hidden\" name=\"idempotency_key\"")
        .attr("value", &crate::session::new_token())
        .raw("><input type=\"hidden\" name=\"event\"")
        .attr("value", event)
        .raw("><button class=\"button\" type=\"submit\"")
        .attr(
            "aria-label",
            &format!("{} {event}", T::Resend.text(v.locale)),
        )
        .raw(">")
        .text(T::Resend.text(v.locale))
        .raw("</button></form>");
}

/// `POST /dashboard/webhooks/{id}/resend` with `event`.
pub async fn resend(
    State(st): State<SharedState>,
    peer: web::Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let v = match web::viewer(&st, &headers, raw.as_deref(), peer.0.as_ref()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let f = web::form(&body);
    if !v.csrf_ok(&st, &f) {
        return web::forbidden(v.locale, Some((&v.user.email, &v.csrf)));
    }
    let ep = match st.store.find_object(&id).await {
        Ok(Some(r)) if r.kind == "webhook_endpoint" && v.user.role.sees(&r.merchant_id) => r,
        Ok(_) => return web::not_found(&v),
        Err(e) => return web::server_error(v.locale, &e.to_string()),
    };
    let event = f.get("event").cloned().unwrap_or_default();
    let mut params = Map::new();
    params.insert("event".into(), Value::String(event.clone()));
    let target = (Method::POST, format!("/v1/webhook_endpoints/{id}/resend"));
    let key = f.get("idempotency_key");
    let req =
        match api_call::as_merchant(&st, &v, &ep.merchant_id, ep.livemode, target, params, key)
            .await
        {
            Ok(Some(r)) => r,
            Ok(None) => return web::not_found(&v),
            Err(e) => return web::server_error(v.locale, &e),
        };
    let resp =
        paygate_gateway::api::webhook_endpoints::resend(State(st.clone()), Path(id.clone()), req)
            .await;
    let result = api_call::answer(resp).await.map(|_| ());
    let record = Record {
        actor: v.user.id.clone(),
        email: v.user.email.clone(),
        action: if result.is_ok() {
            "webhook_resend"
        } else {
            "webhook_resend_failed"
        }
        .into(),
        target: id.clone(),
        merchant: ep.merchant_id.clone(),
        ip: v.client.clone(),
        detail: match &result {
            Ok(()) => event,
            Err(e) => format!("{event}: {e}"),
        },
    };
    audit::record(&st, record).await;
    match result {
        Ok(()) => web::see_other("/dashboard/webhooks?resent=1", &[]),
        Err(e) => {
            page(
                &st,
                &v,
                ep.livemode,
                Some(Err(e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
