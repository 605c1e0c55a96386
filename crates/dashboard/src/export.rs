//! `GET /dashboard/export/{list}`: any list page as CSV ([`crate::listing`]): the rows the
//! page shows — its query string's filters and `mode`, the merchants the viewer sees — with
//! the columns it declares, UTF-8 with a byte-order mark. Each export is an audit entry
//! (`export_csv`, the list as target, the row count and query as detail).

use crate::audit::{self, Record};
use crate::balance::{BalanceTransactions, Payouts};
use crate::layout;
use crate::listing::{self, List};
use crate::users::Role;
use crate::web::{self, Viewer};
use crate::{api_keys, checkout_sessions, customers, payments, webhooks};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use paygate_gateway::state::SharedState;
use std::collections::HashMap;

/// The CSV of list `L` for the viewer, and its number of rows.
async fn render<L: List>(
    st: &SharedState,
    role: &Role,
    q: &HashMap<String, String>,
) -> Result<(String, usize), String> {
    let rows = L::rows(st, role, q).await?;
    Ok((listing::csv(L::COLUMNS, &rows), rows.len()))
}

/// The export of the list named `name`, or `None` for no such list.
async fn by_name(
    st: &SharedState,
    role: &Role,
    name: &str,
    q: &HashMap<String, String>,
) -> Option<Result<(String, usize), String>> {
    Some(match name {
        payments::Payments::NAME => render::<payments::Payments>(st, role, q).await,
        customers::Customers::NAME => render::<customers::Customers>(st, role, q).await,
        checkout_sessions::Sessions::NAME => {
            render::<checkout_sessions::Sessions>(st, role, q).await
        }
        BalanceTransactions::NAME => render::<BalanceTransactions>(st, role, q).await,
        Payouts::NAME => render::<Payouts>(st, role, q).await,
        webhooks::Endpoints::NAME => render::<webhooks::Endpoints>(st, role, q).await,
        webhooks::Deliveries::NAME => render::<webhooks::Deliveries>(st, role, q).await,
        api_keys::ApiKeys::NAME => render::<api_keys::ApiKeys>(st, role, q).await,
        _ => return None,
    })
}

/// `GET /dashboard/export/{list}`.
pub async fn csv(
    State(st): State<SharedState>,
    peer: web::Peer,
    headers: HeaderMap,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let v = match web::viewer(&st, &headers, raw.as_deref(), peer.0.as_ref()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let q = web::query(raw.as_deref());
    let (body, n) = match by_name(&st, &v.user.role, &name, &q).await {
        Some(Ok(found)) => found,
        Some(Err(e)) => return web::server_error(v.locale, &e),
        None => return web::not_found(&v),
    };
    audit::record(&st, record(&v, &name, n, raw.as_deref())).await;
    let mut resp = (StatusCode::OK, body).into_response();
    let hd = resp.headers_mut();
    hd.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    // `name` is one of the lists' own names here, never the client's text.
    if let Ok(d) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.csv\"")) {
        hd.insert(header::CONTENT_DISPOSITION, d);
    }
    layout::security_headers(hd);
    resp
}

fn record(v: &Viewer, name: &str, rows: usize, raw: Option<&str>) -> Record {
    let merchant = match &v.user.role {
        Role::Merchant { merchant } => merchant.clone(),
        Role::Operator => String::new(),
    };
    let query: String = raw.unwrap_or_default().chars().take(200).collect();
    Record {
        actor: v.user.id.clone(),
        email: v.user.email.clone(),
        action: "export_csv".into(),
        target: name.to_string(),
        merchant,
        ip: v.client.clone(),
        detail: format!("rows={rows} query={query}"),
    }
}

/// `GET /dashboard/payments.csv` (the first export's address): a redirect to the export.
pub async fn payments_csv(RawQuery(raw): RawQuery) -> Response {
    let to = format!(
        "/dashboard/export/{}?{}",
        payments::Payments::NAME,
        raw.unwrap_or_default()
    );
    web::see_other(&to, &[])
}
