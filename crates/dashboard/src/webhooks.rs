//! `/dashboard/webhooks`: the viewer's merchants' webhook endpoints (URL, status, event types;
//! never the signing secret) each with its newest delivery attempts (both lists exportable as
//! CSV), and a resend form per
//! attempt that queues one more delivery of that event through the gateway's
//! `POST /v1/webhook_endpoints/{id}/resend` handler (CSRF, idempotency key, audited).

use crate::api_call;
use crate::audit::{self, Record};
use crate::catalog::T;
use crate::layout;
use crate::listing::{self, Cell, Column, List};
use crate::tables::{self, s};
use crate::users::Role;
use crate::web::{self, Viewer};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use paygate_gateway::state::SharedState;
use paygate_payer_pages::html::Html;
use paygate_store::{AttemptLogRow, ObjectRow, Scope};
use serde_json::{Map, Value};
use std::collections::HashMap;

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
    let note = web::query(raw.as_deref())
        .contains_key("resent")
        .then_some(Ok(()));
    page(&st, &v, raw.as_deref(), note, StatusCode::OK).await
}

/// The webhook endpoints (never their signing secret).
pub struct Endpoints;

impl List for Endpoints {
    type Row = ObjectRow;
    const NAME: &'static str = "webhook_endpoints";
    const COLUMNS: &'static [Column<ObjectRow>] = &[
        Column::new("id", T::Id, |r| Cell::Code(r.id.clone())),
        Column::new("merchant", T::Merchant, |r| {
            Cell::Text(r.merchant_id.clone())
        }),
        Column::new("url", T::Url, |r| Cell::Text(s(&r.data, "url"))),
        Column::new("status", T::Status, |r| Cell::Text(s(&r.data, "status"))),
        Column::new("enabled_events", T::EventTypes, |r| {
            let events: Vec<&str> = r.data["enabled_events"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            Cell::Text(events.join(" "))
        }),
        Column::new("created", T::Created, |r| Cell::Time(Some(r.created))),
    ];

    async fn rows(
        st: &SharedState,
        role: &Role,
        q: &HashMap<String, String>,
    ) -> Result<Vec<ObjectRow>, String> {
        tables::objects(st, role, "webhook_endpoint", tables::livemode(q)).await
    }
}

/// The newest delivery attempts of each endpoint (at most [`ATTEMPTS_SHOWN`] per endpoint).
pub struct Deliveries;

impl List for Deliveries {
    type Row = AttemptLogRow;
    const NAME: &'static str = "webhook_deliveries";
    const COLUMNS: &'static [Column<AttemptLogRow>] = &[
        Column::new("event", T::Event, |a| Cell::Code(a.event_id.clone())),
        Column::new("endpoint", T::Endpoint, |a| {
            Cell::Code(a.endpoint_id.clone())
        }),
        Column::new("attempt", T::Attempt, |a| {
            Cell::Text(a.attempt_no.to_string())
        }),
        Column::new("status_code", T::StatusCode, |a| {
            Cell::Text(a.status_code.map(|c| c.to_string()).unwrap_or_default())
        }),
        Column::new("error", T::Error, |a| {
            Cell::Text(a.error.clone().unwrap_or_default())
        }),
        Column::new("created", T::Created, |a| Cell::Time(Some(a.at))),
    ];

    async fn rows(
        st: &SharedState,
        role: &Role,
        q: &HashMap<String, String>,
    ) -> Result<Vec<AttemptLogRow>, String> {
        let mut out = Vec::new();
        for ep in Endpoints::rows(st, role, q).await? {
            out.extend(attempts(st, &ep).await?);
        }
        Ok(out)
    }
}

async fn attempts(st: &SharedState, ep: &ObjectRow) -> Result<Vec<AttemptLogRow>, String> {
    let scope = Scope {
        merchant_id: ep.merchant_id.clone(),
        livemode: ep.livemode,
    };
    st.store
        .list_delivery_attempts(&scope, None, Some(&ep.id), ATTEMPTS_SHOWN)
        .await
        .map_err(|e| e.to_string())
}

async fn page(
    st: &SharedState,
    v: &Viewer,
    raw: Option<&str>,
    note: Option<Result<(), String>>,
    status: StatusCode,
) -> Response {
    let q = web::query(raw);
    let endpoints = match Endpoints::rows(st, &v.user.role, &q).await {
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
    listing::export_link(&mut h, v.locale, Endpoints::NAME, raw);
    listing::table(&mut h, v.locale, Endpoints::COLUMNS, &endpoints, None);
    if !endpoints.is_empty() {
        h.raw("<h2>").text(c.t(T::Attempts)).raw("</h2>");
        listing::export_link(&mut h, v.locale, Deliveries::NAME, raw);
    }
    for ep in &endpoints {
        let found = match attempts(st, ep).await {
            Ok(a) => a,
            Err(e) => return web::server_error(v.locale, &e),
        };
        h.raw("<h3>").text(&s(&ep.data, "url")).raw("</h3>");
        let resend = |h: &mut Html, a: &AttemptLogRow| resend_form(h, v, &ep.id, &a.event_id);
        let actions = listing::Actions {
            head: T::Resend,
            render: &resend,
        };
        listing::table(&mut h, v.locale, Deliveries::COLUMNS, &found, Some(actions));
    }
    layout::page(&c, status, c.t(T::Webhooks), h)
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
            let mode = if ep.livemode { "mode=live" } else { "" };
            page(
                &st,
                &v,
                Some(mode),
                Some(Err(e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
