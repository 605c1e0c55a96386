//! The carrier's refund rule, checked before the engine's `Refund` goes to the carrier: in
//! the KST calendar month it was billed in, a carrier charge is cancelled on the phone bill in
//! full only. After that month the carrier refuses any cancel, and the engine transfers the
//! refund — any amount up to what is left — to the refund account the merchant names
//! (`engine/refund_account.rs`, docs/MOBILE_CARRIER.md).

use crate::error::{ApiError, ApiResult};
use crate::models::Charge;
use paygate_payments::clock::same_kst_month;

/// Checks a refund of `amount` (None: the rest) of the carrier charge `ch` at `now`.
pub fn check(ch: &Charge, amount: Option<i64>, now: i64) -> ApiResult<()> {
    if !same_kst_month(ch.created, now) {
        // A bank transfer, not a cancel at the carrier: the engine's rules apply.
        return Ok(());
    }
    let remaining = ch.amount_captured - ch.amount_refunded;
    if amount.is_some_and(|a| a != ch.amount_captured) || remaining != ch.amount_captured {
        return Err(ApiError::invalid(
            "amount",
            "parameter_invalid",
            format!(
                "A mobile_carrier charge is cancelled on the phone bill in full only: amount \
                 must be {} (or left out).",
                ch.amount_captured
            ),
        ));
    }
    Ok(())
}
