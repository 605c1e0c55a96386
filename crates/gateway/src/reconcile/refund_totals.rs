//! The succeeded refunds of one merchant and mode, summed per charge in one walk.
//!
//! A reconciliation compares every charge's refunds with its counterparty. Asking the store
//! for each charge's refunds (a list by parent) costs a query per charge, and on SQLite that
//! query walked every refund of the scope (the planner prefers the scope/kind index, which
//! also gives the order, to the parent index): quadratic in the books' size, 20 minutes for
//! one 5-minute chaos run's books. One walk over the scope's refunds, a page at a time, is
//! linear and takes `refunds / PAGE_LIMIT` queries however many charges there are.

use super::PAGE_LIMIT;
use crate::models::Refund;
use paygate_store::{ListQuery, Scope, Store};
use std::collections::HashMap;

/// Succeeded refunds that went back through the charge's processor, in minor units, by
/// charge id. A refund transferred to a bank account (a carrier charge after its month) is
/// the bank's, not the processor's: `reconcile_bank` matches it.
#[derive(Debug, Default)]
pub(crate) struct RefundTotals {
    by_charge: HashMap<String, i64>,
}

impl RefundTotals {
    /// Walks every refund of `scope` once.
    pub(crate) async fn load(store: &Store, scope: &Scope) -> Result<Self, String> {
        let mut totals = RefundTotals::default();
        let mut q = ListQuery::new("refund", PAGE_LIMIT);
        loop {
            let page = store
                .list_objects(scope, &q)
                .await
                .map_err(|e| format!("listing the refunds of {}: {e}", scope.merchant_id))?;
            for row in &page.data {
                let re: Refund = serde_json::from_value(row.data.clone()).map_err(|e| {
                    format!("refund {}: the stored document does not parse: {e}", row.id)
                })?;
                if re.status == "succeeded" && !re.to_bank_account() {
                    totals.add(&re.charge, re.amount)?;
                }
            }
            match (page.has_more, page.data.last()) {
                (true, Some(last)) => q.starting_after = Some(last.id.clone()),
                _ => return Ok(totals),
            }
        }
    }

    fn add(&mut self, charge_id: &str, amount: i64) -> Result<(), String> {
        let total = self.by_charge.entry(charge_id.to_string()).or_default();
        *total = total
            .checked_add(amount)
            .ok_or_else(|| format!("refunds of charge {charge_id}: total overflows i64"))?;
        Ok(())
    }

    /// The charge's total (0 when it has no succeeded refund).
    pub(crate) fn of(&self, charge_id: &str) -> i64 {
        self.by_charge.get(charge_id).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_per_charge_and_refuse_to_overflow() {
        let mut t = RefundTotals::default();
        t.add("ch_1", 300).unwrap();
        t.add("ch_1", 200).unwrap();
        t.add("ch_2", 7).unwrap();
        assert_eq!((t.of("ch_1"), t.of("ch_2"), t.of("ch_3")), (500, 7, 0));
        let err = t.add("ch_2", i64::MAX).unwrap_err();
        assert!(err.contains("ch_2") && err.contains("overflows"), "{err}");
    }
}
