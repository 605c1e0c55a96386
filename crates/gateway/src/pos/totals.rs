//! End-of-day totals (0500 → 0510): what the host booked today (UTC day) for the terminal that
//! asks, in DE 48, for the terminal to compare with its own batch.
//!
//! DE 48 of the 0510, 32 digits: sales count (n4), sales amount in minor units (n12), refunds
//! count (n4), refunds amount (n12) — succeeded store purchases and refunds of this terminal
//! (their `metadata.terminal_id`) in the currency of DE 49. They are what the ledger booked
//! and the network journaled: a reversed sale is a sale and its full refund (the reversal of
//! an approved purchase refunds it through the engine), a reversed refund that went through
//! is still a refund (the network takes no reversal of a refund: its 0410 says `21`), a sale
//! or refund reversed before it arrived is neither.

use super::terminals::Terminal;
use crate::state::SharedState;
use paygate_store::{ListQuery, Scope};
use serde_json::Value;

/// Today's totals of `terminal` in `currency` (ISO 4217 alphabetic, lower case), as DE 48.
pub async fn totals(
    st: &SharedState,
    terminal: &Terminal,
    currency: &str,
) -> Result<String, String> {
    let scope = Scope {
        merchant_id: terminal.merchant.clone(),
        livemode: false,
    };
    let day_start = st.now() - st.now().rem_euclid(86_400);
    let mine = |d: &Value| d["metadata"]["terminal_id"] == terminal.terminal_id.as_str();
    let sales = sum(st, &scope, "payment_intent", day_start, |d| {
        (mine(d) && d["status"] == "succeeded" && d["currency"] == currency)
            .then(|| d["amount_received"].as_i64().unwrap_or(0))
    })
    .await?;
    let refunds = sum(st, &scope, "refund", day_start, |d| {
        (mine(d) && d["status"] == "succeeded" && d["currency"] == currency)
            .then(|| d["amount"].as_i64().unwrap_or(0))
    })
    .await?;
    Ok(format!(
        "{:04}{:012}{:04}{:012}",
        sales.0, sales.1, refunds.0, refunds.1
    ))
}

/// Count and sum of the objects of `kind` created since `since` that `pick` keeps.
async fn sum(
    st: &SharedState,
    scope: &Scope,
    kind: &str,
    since: i64,
    pick: impl Fn(&Value) -> Option<i64>,
) -> Result<(u64, i64), String> {
    let mut q = ListQuery {
        kind: kind.into(),
        parent: None,
        tag: None,
        created_gte: Some(since),
        created_lte: None,
        limit: 100,
        starting_after: None,
        ending_before: None,
        filters: Vec::new(),
    };
    let (mut count, mut total) = (0u64, 0i64);
    loop {
        let page = st
            .store
            .list_objects(scope, &q)
            .await
            .map_err(|e| e.to_string())?;
        for row in &page.data {
            if let Some(amount) = pick(&row.data) {
                count += 1;
                total += amount;
            }
        }
        match page.data.last() {
            Some(last) if page.has_more => q.starting_after = Some(last.id.clone()),
            _ => return Ok((count, total)),
        }
    }
}
