//! `/dashboard/balance`: what the ledger owes each of the viewer's merchants per currency
//! (available and pending, from the same ledger balances as `GET /v1/balance`), the newest
//! balance transactions (charges, refunds, settlements, fees) and payouts. Read-only.

use crate::catalog::T;
use crate::layout;
use crate::listing::{self, Cell, Column, List};
use crate::payments::{merchants, money};
use crate::tables::{self, s};
use crate::users::Role;
use crate::web::{self, Viewer};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use paygate_gateway::api::balance::merchant_balances;
use paygate_gateway::state::SharedState;
use paygate_payer_pages::html::Html;
use paygate_store::{ObjectRow, Scope};
use std::collections::HashMap;

/// An amount field of a balance transaction or payout, in its currency.
fn amount(r: &ObjectRow, field: &str) -> Cell {
    Cell::Money {
        minor: r.data[field].as_i64().unwrap_or(0),
        currency: s(&r.data, "currency"),
    }
}

/// The newest balance transactions (charges, refunds, fees; settlements move them from
/// pending to available).
pub struct BalanceTransactions;

impl List for BalanceTransactions {
    type Row = ObjectRow;
    const NAME: &'static str = "balance_transactions";
    const COLUMNS: &'static [Column<ObjectRow>] = &[
        Column::new("id", T::Id, |r| Cell::Code(r.id.clone())),
        Column::new("merchant", T::Merchant, |r| {
            Cell::Text(r.merchant_id.clone())
        }),
        Column::new("type", T::Type, |r| Cell::Text(s(&r.data, "type"))),
        Column::new("amount", T::Amount, |r| amount(r, "amount")),
        Column::new("fee", T::Fee, |r| amount(r, "fee")),
        Column::new("net", T::Net, |r| amount(r, "net")),
        Column::csv_only("currency", T::Currency, |r| {
            Cell::Text(s(&r.data, "currency"))
        }),
        Column::new("status", T::Status, |r| Cell::Text(s(&r.data, "status"))),
        Column::new("created", T::Created, |r| Cell::Time(Some(r.created))),
    ];

    async fn rows(
        st: &SharedState,
        role: &Role,
        q: &HashMap<String, String>,
    ) -> Result<Vec<ObjectRow>, String> {
        tables::objects(st, role, "balance_transaction", tables::livemode(q)).await
    }
}

/// The newest payouts (settlements paid out to the merchant's bank account).
pub struct Payouts;

impl List for Payouts {
    type Row = ObjectRow;
    const NAME: &'static str = "payouts";
    const COLUMNS: &'static [Column<ObjectRow>] = &[
        Column::new("id", T::Id, |r| Cell::Code(r.id.clone())),
        Column::new("merchant", T::Merchant, |r| {
            Cell::Text(r.merchant_id.clone())
        }),
        Column::new("amount", T::Amount, |r| amount(r, "amount")),
        Column::csv_only("currency", T::Currency, |r| {
            Cell::Text(s(&r.data, "currency"))
        }),
        Column::new("status", T::Status, |r| Cell::Text(s(&r.data, "status"))),
        Column::new("created", T::Created, |r| Cell::Time(Some(r.created))),
    ];

    async fn rows(
        st: &SharedState,
        role: &Role,
        q: &HashMap<String, String>,
    ) -> Result<Vec<ObjectRow>, String> {
        tables::objects(st, role, "payout", tables::livemode(q)).await
    }
}

/// `GET /dashboard/balance`.
pub async fn show(
    State(st): State<SharedState>,
    peer: web::Peer,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let v = match web::viewer(&st, &headers, raw.as_deref(), peer.0.as_ref()).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match body(&st, &v, raw.as_deref()).await {
        Ok(h) => {
            let c = v.chrome();
            layout::page(&c, StatusCode::OK, c.t(T::Balance), h)
        }
        Err(e) => web::server_error(v.locale, &e),
    }
}

async fn body(st: &SharedState, v: &Viewer, raw: Option<&str>) -> Result<Html, String> {
    let l = v.locale;
    let q = &web::query(raw);
    let live = tables::livemode(q);
    let mut balances = Vec::new();
    for m in merchants(st, &v.user.role).await? {
        let scope = Scope {
            merchant_id: m.clone(),
            livemode: live,
        };
        let per = merchant_balances(st, &scope)
            .await
            .map_err(|e| format!("balance of {m}: {e:?}"))?;
        for (cur, (available, pending)) in per {
            balances.push(vec![
                m.clone(),
                cur.to_uppercase(),
                money(available, &cur, l),
                money(pending, &cur, l),
            ]);
        }
    }
    let mut h = Html::new();
    let heads = [T::Merchant, T::Currency, T::Available, T::Pending];
    tables::table(&mut h, l, &heads, &balances);
    h.raw("<h2>").text(T::BalanceTxns.text(l)).raw("</h2>");
    let txns = BalanceTransactions::rows(st, &v.user.role, q).await?;
    listing::export_link(&mut h, l, BalanceTransactions::NAME, raw);
    listing::table(&mut h, l, BalanceTransactions::COLUMNS, &txns, None);
    h.raw("<h2>").text(T::Payouts.text(l)).raw("</h2>");
    let payouts = Payouts::rows(st, &v.user.role, q).await?;
    listing::export_link(&mut h, l, Payouts::NAME, raw);
    listing::table(&mut h, l, Payouts::COLUMNS, &payouts, None);
    Ok(h)
}
