//! `/dashboard/checkout_sessions`: the Checkout Sessions of the viewer's merchants (newest
//! first) and one session — status, payment status, total, customer, line items (product
//! names shown as text: markup in them is inert), metadata and a link to its payment.
//! Read-only: sessions are made and expired through the API. Another merchant's session is
//! the same 404 as an unknown id.

use crate::catalog::T;
use crate::layout;
use crate::listing::{self, Cell, Column, List};
use crate::payments::{metadata, money, when};
use crate::tables::{self, s};
use crate::users::Role;
use crate::web::{self, Viewer};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use paygate_gateway::state::SharedState;
use paygate_payer_pages::html::Html;
use paygate_store::ObjectRow;
use serde_json::Value;
use std::collections::HashMap;

const KIND: &str = "checkout_session";

fn total(d: &Value, v: &Viewer) -> String {
    match d["amount_total"].as_i64() {
        Some(a) => money(a, d["currency"].as_str().unwrap_or("krw"), v.locale),
        None => String::new(),
    }
}

/// The Checkout Sessions list.
pub struct Sessions;

impl List for Sessions {
    type Row = ObjectRow;
    const NAME: &'static str = "checkout_sessions";
    const COLUMNS: &'static [Column<ObjectRow>] = &[
        Column::new("id", T::Id, |r| Cell::Link {
            href: format!("/dashboard/checkout_sessions/{}", r.id),
            text: r.id.clone(),
        }),
        Column::new("merchant", T::Merchant, |r| {
            Cell::Text(r.merchant_id.clone())
        }),
        Column::new("amount_total", T::Total, |r| {
            match r.data["amount_total"].as_i64() {
                Some(minor) => Cell::Money {
                    minor,
                    currency: s(&r.data, "currency"),
                },
                None => Cell::Text(String::new()),
            }
        }),
        Column::csv_only("currency", T::Currency, |r| {
            Cell::Text(s(&r.data, "currency"))
        }),
        Column::new("status", T::Status, |r| Cell::Text(s(&r.data, "status"))),
        Column::new("payment_status", T::PaymentStatus, |r| {
            Cell::Text(s(&r.data, "payment_status"))
        }),
        Column::new("customer_email", T::Email, |r| {
            Cell::Text(s(&r.data, "customer_email"))
        }),
        Column::new("created", T::Created, |r| Cell::Time(Some(r.created))),
    ];

    async fn rows(
        st: &SharedState,
        role: &Role,
        q: &HashMap<String, String>,
    ) -> Result<Vec<ObjectRow>, String> {
        tables::objects(st, role, KIND, tables::livemode(q)).await
    }
}

/// `GET /dashboard/checkout_sessions`.
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
    let rows = match Sessions::rows(&st, &v.user.role, &web::query(raw.as_deref())).await {
        Ok(r) => r,
        Err(e) => return web::server_error(v.locale, &e),
    };
    let c = v.chrome();
    let mut h = Html::new();
    listing::export_link(&mut h, v.locale, Sessions::NAME, raw.as_deref());
    listing::table(&mut h, v.locale, Sessions::COLUMNS, &rows, None);
    layout::page(&c, StatusCode::OK, c.t(T::CheckoutSessions), h)
}

/// `GET /dashboard/checkout_sessions/{id}`.
pub async fn show(
    State(st): State<SharedState>,
    peer: web::Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let v = match web::viewer(&st, &headers, raw.as_deref(), peer.0.as_ref()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let row = match st.store.find_object(&id).await {
        Ok(r) => r.filter(|r| r.kind == KIND && v.user.role.sees(&r.merchant_id)),
        Err(e) => return web::server_error(v.locale, &e.to_string()),
    };
    let Some(row) = row else {
        return web::not_found(&v);
    };
    let c = v.chrome();
    let h = detail_html(&v, &row);
    layout::page(&c, StatusCode::OK, c.t(T::CheckoutSession), h)
}

fn item(h: &mut Html, term: &str, value: &str) {
    h.raw("<dt>")
        .text(term)
        .raw("</dt><dd>")
        .text(value)
        .raw("</dd>");
}

fn detail_html(v: &Viewer, row: &ObjectRow) -> Html {
    let t = |k: T| k.text(v.locale);
    let d = &row.data;
    let mut h = Html::new();
    h.raw("<dl>");
    item(&mut h, t(T::Id), &row.id);
    item(&mut h, t(T::Merchant), &row.merchant_id);
    item(&mut h, t(T::Total), &total(d, v));
    item(&mut h, t(T::Status), &s(d, "status"));
    item(&mut h, t(T::PaymentStatus), &s(d, "payment_status"));
    item(&mut h, t(T::Mode), &s(d, "mode"));
    item(&mut h, t(T::Customer), &s(d, "customer"));
    item(&mut h, t(T::Email), &s(d, "customer_email"));
    item(&mut h, t(T::SuccessUrl), &s(d, "success_url"));
    item(&mut h, t(T::Created), &when(row.created));
    item(
        &mut h,
        t(T::ExpiresAt),
        &when(d["expires_at"].as_i64().unwrap_or(0)),
    );
    if let Some(pi) = d["payment_intent"].as_str() {
        h.raw("<dt>")
            .text(t(T::PaymentIntent))
            .raw("</dt><dd><a")
            .attr("href", &format!("/dashboard/payments/{pi}"))
            .raw(">")
            .text(pi)
            .raw("</a></dd>");
    }
    h.raw("</dl><h2>").text(t(T::LineItems)).raw("</h2>");
    let items: Vec<Vec<String>> = d["_line_items"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|li| {
            let cur = li["currency"].as_str().unwrap_or("krw");
            vec![
                s(li, "description"),
                li["quantity"].as_i64().unwrap_or(0).to_string(),
                money(li["amount_total"].as_i64().unwrap_or(0), cur, v.locale),
            ]
        })
        .collect();
    tables::table(&mut h, v.locale, &[T::Name, T::Quantity, T::Amount], &items);
    h.raw("<h2>").text(t(T::Metadata)).raw("</h2><dl>");
    for (k, val) in metadata(d) {
        item(&mut h, &k, &val);
    }
    h.raw("</dl>");
    h
}
