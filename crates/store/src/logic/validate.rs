//! Checks on a unit before it is queued: a broken unit is the caller's bug and must not take
//! a place in a group commit.

use super::outbox::DELIVERY_STATES;
use crate::error::StoreError;
use crate::limits::MAX_OPS_PER_UNIT;
use crate::types::{Op, WriteUnit};

/// Checks the rules that do not need the database.
pub(crate) fn unit(unit: &WriteUnit) -> Result<(), StoreError> {
    if unit.ops.len() > MAX_OPS_PER_UNIT {
        return Err(StoreError::InvalidUnit(format!(
            "ops: {} operations, at most MAX_OPS_PER_UNIT = {MAX_OPS_PER_UNIT} per unit",
            unit.ops.len()
        )));
    }
    for (index, op) in unit.ops.iter().enumerate() {
        let problem = match op {
            // The ledger crate's own rules: 2..=16 postings, non-zero bounded amounts, one
            // mode, debits equal credits per currency.
            Op::Ledger(entry, _) => entry
                .check()
                .err()
                .map(|e| format!("entry {}: {e}", entry.id)),
            Op::DeliveryResult { state, .. } if !DELIVERY_STATES.contains(&state.as_str()) => {
                Some(format!("state {state:?} is not one of {DELIVERY_STATES:?}"))
            }
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(StoreError::InvalidUnit(format!(
                "ops[{index}] ({}): {problem}",
                op.name()
            )));
        }
    }
    Ok(())
}
