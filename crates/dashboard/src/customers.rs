//! `/dashboard/customers`: the customers of the viewer's merchants (id, merchant, email, name,
//! created), and their CSV export. Read-only: customers are made and changed through the API.

use crate::catalog::T;
use crate::layout;
use crate::listing::{self, Cell, Column, List};
use crate::tables::{self, s};
use crate::users::Role;
use crate::web;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use paygate_gateway::state::SharedState;
use paygate_payer_pages::html::Html;
use paygate_store::ObjectRow;
use std::collections::HashMap;

/// The customers list.
pub struct Customers;

impl List for Customers {
    type Row = ObjectRow;
    const NAME: &'static str = "customers";
    const COLUMNS: &'static [Column<ObjectRow>] = &[
        Column::new("id", T::Id, |r| Cell::Code(r.id.clone())),
        Column::new("merchant", T::Merchant, |r| {
            Cell::Text(r.merchant_id.clone())
        }),
        Column::new("email", T::Email, |r| Cell::Text(s(&r.data, "email"))),
        Column::new("name", T::Name, |r| Cell::Text(s(&r.data, "name"))),
        Column::new("created", T::Created, |r| Cell::Time(Some(r.created))),
    ];

    async fn rows(
        st: &SharedState,
        role: &Role,
        q: &HashMap<String, String>,
    ) -> Result<Vec<ObjectRow>, String> {
        tables::objects(st, role, "customer", tables::livemode(q)).await
    }
}

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
    let rows = match Customers::rows(&st, &v.user.role, &web::query(raw.as_deref())).await {
        Ok(r) => r,
        Err(e) => return web::server_error(v.locale, &e),
    };
    let c = v.chrome();
    let mut h = Html::new();
    listing::export_link(&mut h, v.locale, Customers::NAME, raw.as_deref());
    listing::table(&mut h, v.locale, Customers::COLUMNS, &rows, None);
    layout::page(&c, StatusCode::OK, c.t(T::Customers), h)
}
