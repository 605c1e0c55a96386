//! The gateway's side of a clearing reconciliation: every succeeded card-network charge of
//! every merchant and mode, indexed by the RRN it is known by at the network, with the day it
//! was captured and its succeeded refunds (by the gateway's clock).

use crate::models::{Charge, Refund};
use crate::reconcile::PAGE_LIMIT;
use paygate_payments::clock::day_plus;
use paygate_store::{ADMIN_LIST_MAX_ROWS, ListQuery, Scope, Store};
use std::collections::HashMap;

/// A succeeded refund of a charge.
pub(super) struct GwRefund {
    pub id: String,
    pub amount: i64,
    /// Start of its UTC day (unix seconds).
    pub day: i64,
    /// Claimed by a credit record of the file.
    pub claimed: bool,
}

/// A succeeded card-network charge.
pub(super) struct GwCharge {
    pub scope: Scope,
    pub charge: Charge,
    /// Start of the UTC day of its capture (its balance transaction), when captured.
    pub capture_day: Option<i64>,
    pub refunds: Vec<GwRefund>,
    /// Presented by a record of the file (its line).
    pub presented_on: Option<usize>,
}

impl GwCharge {
    /// ISO 4217 numeric of the charge as the network knows it.
    pub fn currency_numeric(&self) -> String {
        self.charge
            .net
            .as_ref()
            .map(|n| format!("{:03}", n.currency_numeric))
            .unwrap_or_default()
    }
}

/// The charges, and where each RRN points.
pub(super) struct Books {
    pub charges: Vec<GwCharge>,
    pub by_rrn: HashMap<String, usize>,
}

/// Reads every succeeded card-network charge of every merchant, both modes.
pub(super) async fn read(store: &Store) -> Result<Books, String> {
    let merchants = store
        .list_merchants()
        .await
        .map_err(|e| format!("listing merchants: {e}"))?;
    if merchants.len() >= ADMIN_LIST_MAX_ROWS {
        return Err(format!(
            "{} merchants reach the store's listing cap of {ADMIN_LIST_MAX_ROWS}: the walk would be incomplete",
            merchants.len()
        ));
    }
    let mut books = Books {
        charges: Vec::new(),
        by_rrn: HashMap::new(),
    };
    for m in &merchants {
        for livemode in [false, true] {
            let scope = Scope {
                merchant_id: m.id.clone(),
                livemode,
            };
            read_scope(store, &scope, &mut books).await?;
        }
    }
    Ok(books)
}

async fn read_scope(store: &Store, scope: &Scope, books: &mut Books) -> Result<(), String> {
    let mut q = ListQuery::new("charge", PAGE_LIMIT);
    loop {
        let page = store
            .list_objects(scope, &q)
            .await
            .map_err(|e| format!("listing charges of {}: {e}", scope.merchant_id))?;
        for row in &page.data {
            let ch: Charge = serde_json::from_value(row.data.clone()).map_err(|e| {
                format!("charge {}: the stored document does not parse: {e}", row.id)
            })?;
            let card = ch.processor == paygate_ledger::Counterparty::CardNetwork;
            let Some(rrn) = ch.net.as_ref().map(|n| n.rrn.clone()) else {
                continue;
            };
            if !card || ch.status.as_str() != "succeeded" {
                continue;
            }
            let capture_day = capture_day(store, scope, &ch).await?;
            let refunds = refunds(store, scope, &ch.id).await?;
            books.by_rrn.insert(rrn, books.charges.len());
            books.charges.push(GwCharge {
                scope: scope.clone(),
                charge: ch,
                capture_day,
                refunds,
                presented_on: None,
            });
        }
        match (page.has_more, page.data.last()) {
            (true, Some(last)) => q.starting_after = Some(last.id.clone()),
            _ => return Ok(()),
        }
    }
}

/// The day of a captured charge's balance transaction (written with its capture).
async fn capture_day(store: &Store, scope: &Scope, ch: &Charge) -> Result<Option<i64>, String> {
    let (true, Some(txn)) = (ch.captured, ch.balance_transaction.as_deref()) else {
        return Ok(None);
    };
    let row = store
        .get_object(scope, txn)
        .await
        .map_err(|e| format!("balance transaction {txn}: {e}"))?;
    Ok(Some(day_plus(row.map_or(ch.created, |r| r.created), 0)))
}

async fn refunds(store: &Store, scope: &Scope, charge_id: &str) -> Result<Vec<GwRefund>, String> {
    let mut q = ListQuery::new("refund", PAGE_LIMIT);
    q.parent = Some(charge_id.to_string());
    let mut out = Vec::new();
    loop {
        let page = store
            .list_objects(scope, &q)
            .await
            .map_err(|e| format!("listing refunds of charge {charge_id}: {e}"))?;
        for row in &page.data {
            let re: Refund = serde_json::from_value(row.data.clone()).map_err(|e| {
                format!("refund {}: the stored document does not parse: {e}", row.id)
            })?;
            if re.status.as_str() == "succeeded" && re.charge == charge_id {
                out.push(GwRefund {
                    id: re.id,
                    amount: re.amount,
                    day: day_plus(re.created, 0),
                    claimed: false,
                });
            }
        }
        match (page.has_more, page.data.last()) {
            (true, Some(last)) => q.starting_after = Some(last.id.clone()),
            _ => return Ok(out),
        }
    }
}
