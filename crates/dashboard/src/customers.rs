//! `/dashboard/customers`: the customers of the viewer's merchants (id, merchant, email, name,
//! created). Read-only: customers are made and changed through the API.

use crate::catalog::T;
use crate::layout;
use crate::payments::when;
use crate::tables::{self, s};
use crate::web;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use paygate_gateway::state::SharedState;
use paygate_payer_pages::html::Html;

/// `GET /dashboard/customers`.
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
    let live = tables::livemode(&web::query(raw.as_deref()));
    let rows = match tables::objects(&st, &v.user.role, "customer", live).await {
        Ok(r) => r,
        Err(e) => return web::server_error(v.locale, &e),
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.merchant_id.clone(),
                s(&r.data, "email"),
                s(&r.data, "name"),
                when(r.created),
            ]
        })
        .collect();
    let c = v.chrome();
    let mut h = Html::new();
    let heads = [T::Id, T::Merchant, T::Email, T::Name, T::Created];
    tables::table(&mut h, v.locale, &heads, &cells);
    layout::page(&c, StatusCode::OK, c.t(T::Customers), h)
}
