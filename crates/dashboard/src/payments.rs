//! `/dashboard/payments`: the list with search (id, amount, status, method, card last 4, date
//! range), its CSV export ([`crate::export`]), and a payment's detail page with its timeline. An operator sees
//! every merchant's payments; a merchant's user only its own — another merchant's payment is
//! the same 404 as an unknown id. Test-mode objects (`?mode=live` for live mode).

use crate::catalog::T;
use crate::layout;
use crate::listing::{self, Cell, Column, List};
use crate::users::Role;
use crate::web::{self, Viewer};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use paygate_gateway::state::SharedState;
use paygate_ledger::Currency;
use paygate_payer_pages::html::Html;
use paygate_payer_pages::{Amount, Locale};
use paygate_store::{ListFilter, ListQuery, ObjectRow, Scope};
use serde_json::Value;
use std::collections::HashMap;

/// Most payments one list or export shows per merchant.
const LIST_LIMIT: usize = 100;
/// The statuses offered in the filter.
const STATUSES: [&str; 7] = [
    "requires_payment_method",
    "requires_confirmation",
    "requires_action",
    "processing",
    "requires_capture",
    "canceled",
    "succeeded",
];

/// One row of the list.
pub struct Row {
    pub id: String,
    pub merchant: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub method: String,
    pub last4: String,
    pub created: i64,
}

/// The search of the list page, from its query string.
#[derive(Default)]
pub struct Search {
    pub q: String,
    pub status: String,
    pub method: String,
    pub last4: String,
    pub from: String,
    pub to: String,
    pub livemode: bool,
}

impl Search {
    fn from_query(q: &HashMap<String, String>) -> Search {
        let g = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        Search {
            q: g("q"),
            status: g("status"),
            method: g("method"),
            last4: g("last4"),
            from: g("from"),
            to: g("to"),
            livemode: g("mode") == "live",
        }
    }
}

/// The merchants `role` sees.
pub async fn merchants(st: &SharedState, role: &Role) -> Result<Vec<String>, String> {
    match role {
        Role::Merchant { merchant } => Ok(vec![merchant.clone()]),
        Role::Operator => Ok(st
            .store
            .list_merchants()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|m| m.id)
            .collect()),
    }
}

/// The payments list: the search of the page's query string.
pub struct Payments;

impl List for Payments {
    type Row = Row;
    const NAME: &'static str = "payments";
    const COLUMNS: &'static [Column<Row>] = &[
        Column::new("id", T::Id, |r| Cell::Link {
            href: format!("/dashboard/payments/{}", r.id),
            text: r.id.clone(),
        }),
        Column::new("merchant", T::Merchant, |r| Cell::Text(r.merchant.clone())),
        Column::new("amount", T::Amount, |r| Cell::Money {
            minor: r.amount,
            currency: r.currency.clone(),
        }),
        Column::csv_only("currency", T::Currency, |r| Cell::Text(r.currency.clone())),
        Column::new("status", T::Status, |r| Cell::Text(r.status.clone())),
        Column::new("method", T::Method, |r| Cell::Text(r.method.clone())),
        Column::new("last4", T::Last4, |r| Cell::Text(r.last4.clone())),
        Column::new("created", T::Created, |r| Cell::Time(Some(r.created))),
    ];

    async fn rows(
        st: &SharedState,
        role: &Role,
        q: &HashMap<String, String>,
    ) -> Result<Vec<Row>, String> {
        search(st, role, &Search::from_query(q)).await
    }
}

/// Unix seconds of the start of a `YYYY-MM-DD` day (UTC), plus `days`.
fn day_start(s: &str, days: i64) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).ok()?;
    Some(d.midnight().assume_utc().unix_timestamp() + days * 86_400)
}

/// The rows matching `s` that the viewer may see, newest first.
pub async fn search(st: &SharedState, role: &Role, s: &Search) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for m in merchants(st, role).await? {
        let scope = Scope {
            merchant_id: m,
            livemode: s.livemode,
        };
        for obj in candidates(st, &scope, s).await? {
            let row = row_of(st, &scope, &obj).await?;
            // The amount is compared here: the store's field filter compares text, and
            // `amount` is a JSON number.
            let keep = (s.q.is_empty() || s.q.starts_with("pi_") || s.q == row.amount.to_string())
                && (s.method.is_empty() || row.method == s.method)
                && (s.last4.is_empty() || row.last4 == s.last4);
            if keep {
                rows.push(row);
            }
        }
    }
    rows.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
    Ok(rows)
}

async fn candidates(st: &SharedState, scope: &Scope, s: &Search) -> Result<Vec<ObjectRow>, String> {
    if s.q.starts_with("pi_") {
        let got = st
            .store
            .get_object(scope, &s.q)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(got
            .into_iter()
            .filter(|r| r.kind == "payment_intent")
            .collect());
    }
    let mut q = ListQuery::new("payment_intent", LIST_LIMIT);
    if STATUSES.contains(&s.status.as_str()) {
        q.filters.push(ListFilter::FieldEq {
            field: "status",
            value: s.status.clone(),
        });
    }
    q.created_gte = day_start(&s.from, 0);
    q.created_lte = day_start(&s.to, 1).map(|t| t - 1);
    Ok(st
        .store
        .list_objects(scope, &q)
        .await
        .map_err(|e| e.to_string())?
        .data)
}

async fn row_of(st: &SharedState, scope: &Scope, pi: &ObjectRow) -> Result<Row, String> {
    let d = &pi.data;
    let mut method = d["payment_method_types"][0]
        .as_str()
        .unwrap_or("card")
        .to_string();
    let mut last4 = String::new();
    if let Some(ch) = d["latest_charge"].as_str() {
        let c = st
            .store
            .get_object(scope, ch)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(c) = c {
            let pmd = &c.data["payment_method_details"];
            if let Some(t) = pmd["type"].as_str() {
                method = t.to_string();
            }
            last4 = pmd[method.as_str()]["last4"]
                .as_str()
                .or(pmd["card"]["last4"].as_str())
                .unwrap_or_default()
                .to_string();
        }
    }
    Ok(Row {
        id: pi.id.clone(),
        merchant: pi.merchant_id.clone(),
        amount: d["amount"].as_i64().unwrap_or(0),
        currency: d["currency"].as_str().unwrap_or("krw").to_string(),
        status: d["status"].as_str().unwrap_or_default().to_string(),
        method,
        last4,
        created: pi.created,
    })
}

pub fn money(minor: i64, currency: &str, l: Locale) -> String {
    match Currency::parse(currency) {
        Ok(c) => Amount::new(minor, c).format(l),
        Err(_) => format!("{minor} {currency}"),
    }
}

pub fn when(t: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&fmt).ok())
        .unwrap_or_default()
}

/// `GET /dashboard/payments`.
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
    let s = Search::from_query(&q);
    let rows = match Payments::rows(&st, &v.user.role, &q).await {
        Ok(r) => r,
        Err(e) => return web::server_error(v.locale, &e),
    };
    let c = v.chrome();
    let mut list = Html::new();
    list.raw("<div id=\"payment-list\">");
    if rows.is_empty() {
        list.raw("<p>").text(c.t(T::NoPayments)).raw("</p>");
    } else {
        listing::table(&mut list, v.locale, Payments::COLUMNS, &rows, None);
    }
    list.raw("</div>");
    if headers.contains_key(web::REFRESH_HEADER) {
        return layout::fragment(&c, list);
    }
    let mut h = Html::new();
    filters(&mut h, &v, &s);
    listing::export_link(&mut h, v.locale, Payments::NAME, raw.as_deref());
    h.raw("<p id=\"live-status\" role=\"status\"")
        .attr("data-updated", c.t(T::LiveUpdated))
        .raw("></p>")
        .fragment(list);
    layout::script(&mut h, &c.nonce, crate::live::SCRIPT);
    layout::page(&c, StatusCode::OK, c.t(T::Payments), h)
}

fn filters(h: &mut Html, v: &Viewer, s: &Search) {
    let t = |k: T| k.text(v.locale);
    h.raw("<form class=\"filters\" method=\"get\" action=\"/dashboard/payments\" role=\"search\">");
    let field = |h: &mut Html, id: &'static str, label: T, value: &str, kind: &'static str| {
        h.raw("<div><label")
            .attr("for", id)
            .raw(">")
            .text(t(label))
            .raw("</label><input");
        h.attr("id", id)
            .attr("name", id)
            .attr("type", kind)
            .attr("value", value)
            .raw("></div>");
    };
    field(h, "q", T::SearchHint, &s.q, "search");
    h.raw("<div><label for=\"status\">")
        .text(t(T::Status))
        .raw("</label><select id=\"status\" name=\"status\"><option value=\"\">")
        .text(t(T::Any))
        .raw("</option>");
    for st in STATUSES {
        h.raw("<option").attr("value", st);
        if s.status == st {
            h.raw(" selected");
        }
        h.raw(">").text(st).raw("</option>");
    }
    h.raw("</select></div>");
    field(h, "method", T::Method, &s.method, "text");
    field(h, "last4", T::Last4, &s.last4, "text");
    field(h, "from", T::From, &s.from, "date");
    field(h, "to", T::To, &s.to, "date");
    h.raw("<div><button class=\"button\" type=\"submit\">")
        .text(t(T::Search))
        .raw("</button></div></form>");
}

/// The payment `id` if the viewer may see it (same `None` for unknown and not theirs).
pub async fn visible(st: &SharedState, v: &Viewer, id: &str) -> Result<Option<ObjectRow>, String> {
    let row = st.store.find_object(id).await.map_err(|e| e.to_string())?;
    Ok(row.filter(|r| r.kind == "payment_intent" && v.user.role.sees(&r.merchant_id)))
}

/// The metadata of a document as pairs (for display).
pub fn metadata(d: &Value) -> Vec<(String, String)> {
    d["metadata"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(day_start("2024-01-02", 0), Some(1_704_153_600));
        assert_eq!(day_start("2024-01-02", 1), Some(1_704_240_000));
        assert_eq!(day_start("yesterday", 0), None);
    }
}
