//! `/dashboard/balance`: what the ledger owes each of the viewer's merchants per currency
//! (available and pending, from the same ledger balances as `GET /v1/balance`), the newest
//! balance transactions (charges, refunds, settlements, fees) and payouts. Read-only.

use crate::catalog::T;
use crate::layout;
use crate::payments::{merchants, money, when};
use crate::tables::{self, s};
use crate::web::{self, Viewer};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use paygate_gateway::api::balance::merchant_balances;
use paygate_gateway::state::SharedState;
use paygate_payer_pages::html::Html;
use paygate_store::Scope;

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
    let live = tables::livemode(&web::query(raw.as_deref()));
    match body(&st, &v, live).await {
        Ok(h) => {
            let c = v.chrome();
            layout::page(&c, StatusCode::OK, c.t(T::Balance), h)
        }
        Err(e) => web::server_error(v.locale, &e),
    }
}

async fn body(st: &SharedState, v: &Viewer, live: bool) -> Result<Html, String> {
    let l = v.locale;
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
    let txns = tables::objects(st, &v.user.role, "balance_transaction", live).await?;
    let amount =
        |d: &serde_json::Value, f: &str| money(d[f].as_i64().unwrap_or(0), &s(d, "currency"), l);
    let rows: Vec<Vec<String>> = txns
        .iter()
        .map(|r| {
            let d = &r.data;
            vec![
                r.id.clone(),
                r.merchant_id.clone(),
                s(d, "type"),
                amount(d, "amount"),
                amount(d, "fee"),
                amount(d, "net"),
                s(d, "status"),
                when(r.created),
            ]
        })
        .collect();
    let heads = [
        T::Id,
        T::Merchant,
        T::Type,
        T::Amount,
        T::Fee,
        T::Net,
        T::Status,
        T::Created,
    ];
    tables::table(&mut h, l, &heads, &rows);
    h.raw("<h2>").text(T::Payouts.text(l)).raw("</h2>");
    let payouts = tables::objects(st, &v.user.role, "payout", live).await?;
    let rows: Vec<Vec<String>> = payouts
        .iter()
        .map(|r| {
            let d = &r.data;
            vec![
                r.id.clone(),
                r.merchant_id.clone(),
                amount(d, "amount"),
                s(d, "status"),
                when(r.created),
            ]
        })
        .collect();
    let heads = [T::Id, T::Merchant, T::Amount, T::Status, T::Created];
    tables::table(&mut h, l, &heads, &rows);
    Ok(h)
}
